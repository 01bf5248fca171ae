//! `graph`: PNG and SVG, stalls marked where they happened, time windows.

use gdkrecord_format::*;

use crate::common::*;

#[test]
fn graph_writes_a_png_beside_the_recording() {
    let run = Run::new("graph-png");
    let recording = run.path("x.gdkrecord");
    demo().write(&recording);
    run.ok(&["graph", recording.to_str().unwrap()]);
    let picture = decode_png(&run.path("x.gdkrecord.png"));
    assert_eq!((picture.width, picture.height), (1600, 1000));
    assert!(
        picture.distinct_colors() > 20,
        "a dashboard, not a blank picture"
    );
    // Over-budget frames (45 ms, 38 ms ...) are drawn in red somewhere.
    let red = (0..picture.height)
        .flat_map(|y| (0..picture.width).map(move |x| (x, y)))
        .filter(|&(x, y)| near(picture.rgb(x, y), [215, 35, 45], 40))
        .count();
    assert!(
        red > 50,
        "over-budget frames are marked red ({red} red pixels)"
    );
}

#[test]
fn graph_writes_svg_with_text_labels() {
    let run = Run::new("graph-svg");
    let recording = run.path("x.gdkrecord");
    demo().write(&recording);
    let svg = run.path("dash.svg");
    run.ok(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
        "--size",
        "1200x800",
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "an SVG document");
    assert!(text.contains(r#"width="1200""#));
    let texts: Vec<&str> = text.split("<text").skip(1).collect();
    assert!(
        texts.len() > 30,
        "labels are <text> elements ({} found)",
        texts.len()
    );
    for label in [
        "demo-app (pid 4711)",
        "time since start of recording (s)",
        "frame duration (ms)",
        "repainted area (% of window)",
        "budget 16.7 ms",
        "800×500",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(label)),
            "no <text> with {label:?}"
        );
    }
}

/// Frames every 50 ms for 2 s, with the main loop stalled 400 ms from 1.0 s (no frames
/// then) and 150 ms from 1.6 s; the second stall is known only from its samples and a
/// third one lies outside `--to`.
fn stalled() -> Fixture {
    let mut f = Fixture::new(320, 200);
    let mut t = 0.0;
    while t < 2000.0 {
        if !(1000.0..1400.0).contains(&t) && !(1600.0..1750.0).contains(&t) {
            f.frame(t, 3.0, vec![[0, 0, 32, 32]]);
        }
        t += 50.0;
    }
    f.records.push(Record::Stall(Stall {
        t_ns: 1000 * MS,
        duration_ns: 400 * MS,
        duration_ms: 400.0,
        source: Some("GDK X11 Event source (:99)".into()),
        samples: 0,
        stack: vec![],
    }));
    for at in [1700, 1750] {
        f.records.push(Record::StallSample(StallSample {
            t_ns: at * MS,
            stall_start_ns: 1600 * MS,
            stack: vec![],
        }));
    }
    f
}

/// The columns of `row` whose colour is near `color`.
fn columns_near(picture: &Picture, row: u32, color: [u8; 3]) -> Vec<u32> {
    (0..picture.width)
        .filter(|&x| near(picture.rgb(x, row), color, 6))
        .collect()
}

#[test]
fn graph_marks_main_loop_stalls_where_they_happened() {
    let run = Run::new("graph-stalls");
    let recording = run.path("stalled.gdkrecord");
    stalled().write(&recording);
    let png = run.path("stalled.png");
    run.ok(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        png.to_str().unwrap(),
    ]);
    let picture = decode_png(&png);
    const STALL: [u8; 3] = [200, 20, 30];
    // The stall strip: the row with the longest run of stall-red pixels (not a label).
    let longest_run = |columns: &[u32]| {
        columns
            .chunk_by(|a, b| b == &(a + 1))
            .map(<[u32]>::len)
            .max()
            .unwrap_or(0)
    };
    let strip_row = (0..picture.height)
        .max_by_key(|&y| longest_run(&columns_near(&picture, y, STALL)))
        .unwrap();
    let red: Vec<u32> = columns_near(&picture, strip_row, STALL)
        .chunk_by(|a, b| b == &(a + 1))
        .filter(|run| run.len() > 10)
        .flatten()
        .copied()
        .collect();
    // Two spans: split where the red columns are not contiguous.
    let gap = red
        .windows(2)
        .position(|w| w[1] > w[0] + 1)
        .expect("two stall spans");
    let (first, second) = (&red[..=gap], &red[gap + 1..]);
    let (x1000, x1400, x1600) = (first[0], *first.last().unwrap(), second[0]);
    // 400 ms then a 200 ms gap: the spans are where the stalls were on the time axis.
    let ratio = f64::from(x1400 - x1000) / f64::from(x1600 - x1000);
    assert!(
        (ratio - 400.0 / 600.0).abs() < 0.01,
        "spans at {x1000}, {x1400}, {x1600}"
    );
    // The ongoing stall reaches its last sample (150 ms).
    let x1750 = *second.last().unwrap();
    let ratio = f64::from(x1750 - x1600) / f64::from(x1600 - x1000);
    assert!(
        (ratio - 150.0 / 600.0).abs() < 0.01,
        "second span ends at {x1750}"
    );
    // Below the strip, the panels are shaded pale red during the stall, not outside it.
    let pale = [251, 236, 237];
    // (Grid lines cross the shading: the best of a few columns is counted.)
    let shaded = |x: u32| {
        (strip_row..picture.height)
            .filter(|&y| near(picture.rgb(x, y), pale, 3))
            .count()
    };
    let inside = (1..8)
        .map(|i| shaded(x1000 + (x1400 - x1000) * i / 8))
        .max();
    assert!(
        inside > Some(100),
        "{inside:?} pale red pixels under the stall"
    );
    assert_eq!(shaded((x1400 + x1600) / 2), 0);

    // SVG: the labels are text; a window ending before the second stall shows only one.
    let svg = run.path("stalled.svg");
    run.ok(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
        "--to",
        "1.5s",
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    let texts = |svg: &str| -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                Some(
                    t.split_once('>')?
                        .1
                        .split_once("</text>")?
                        .0
                        .trim()
                        .to_owned(),
                )
            })
            .collect()
    };
    let labels = texts(&text);
    for label in ["400 ms", "stalls (1, 400 ms)"] {
        assert!(
            labels.iter().any(|t| t == label),
            "no <text> {label:?} in {labels:?}"
        );
    }
    run.ok(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    let labels = texts(&text);
    for label in ["400 ms", "≥ 150 ms", "stalls (2, 550 ms)"] {
        assert!(
            labels.iter().any(|t| t == label),
            "no <text> {label:?} in {labels:?}"
        );
    }
}

#[test]
fn graph_time_window_and_bad_extension() {
    let run = Run::new("graph-window");
    let recording = run.path("x.gdkrecord");
    demo().write(&recording);
    let svg = run.path("late.svg");
    run.ok(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
        "--from",
        "3.9s",
        "--to",
        "4.5s",
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("0.6 s shown, from 3.900 s to 4.500 s"),
        "the title gives the window"
    );
    assert!(
        text.contains("\n4.2\n</text>"),
        "the time axis is labelled in recording time"
    );
    let bad = run.tool(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        run.path("x.jpg").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains(".png or .svg"));
}
