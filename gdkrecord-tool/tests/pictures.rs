//! Integration tests of `graph` and `exposures`: run the real binary on fixtures written
//! with the format crate's Writer, decode the PNG / SVG / GIF it writes and check pixels.
//!
//! `cargo test -p gdkrecord-tool --test pictures -- --ignored regenerate_doc_pictures`
//! rewrites the example pictures of docs/pictures.md from the demo fixture.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gdkrecord_format::*;

const MS: u64 = 1_000_000;
const WINDOW: SurfaceId = SurfaceId(1);
const POPUP: SurfaceId = SurfaceId(2);

/// Writes records the way the recorder does (damage before the frame record that ends
/// the cycle).
struct Fixture {
    records: Vec<Record>,
    counter: i64,
}

impl Fixture {
    fn new(width: i32, height: i32) -> Fixture {
        let header = Header {
            t_ns: 0,
            format_version: FORMAT_VERSION,
            recorder_version: "0.1.0".into(),
            pid: 4711,
            program: "demo-app".into(),
            argv: vec!["demo-app".into()],
            gtk_version: [4, 8, 3],
            start_unix_ns: 1_790_000_000_000_000_000,
            start_monotonic_ns: 1_000_000_000,
            display_backend: "x11".into(),
            display_name: ":99".into(),
            damage_capture: true,
            damage_note: String::new(),
            damage_layout: "gtk-4.8".to_owned(),
        };
        let surface = Surface {
            t_ns: MS,
            surface: WINDOW,
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: Some("GtkApplicationWindow".into()),
            width,
            height,
            scale_factor: 1,
        };
        Fixture {
            records: vec![Record::Header(header), Record::Surface(surface)],
            counter: 0,
        }
    }

    /// One frame of `surface`'s clock starting at `start_ms`, taking `duration_ms`, with
    /// `rects` damaged.
    fn frame(&mut self, start_ms: f64, duration_ms: f64, rects: Vec<Rect>) {
        self.counter += 1;
        let start = (start_ms * 1e6) as u64;
        let end = start + (duration_ms * 1e6) as u64;
        let paint_start = start + (end - start) / 2;
        if !rects.is_empty() {
            self.records.push(Record::Damage(Damage {
                t_ns: paint_start + 1000,
                surface: WINDOW,
                frame: self.counter,
                renderer: Renderer::CAIRO,
                rects,
            }));
        }
        self.records.push(Record::Frame(Frame {
            t_ns: start,
            surface: WINDOW,
            counter: self.counter,
            end_ns: end,
            before_paint: None,
            update: Some(Phase {
                start_ns: start,
                end_ns: start + 100_000,
            }),
            layout: Some(Phase {
                start_ns: start + 100_000,
                end_ns: paint_start,
            }),
            paint: Some(Phase {
                start_ns: paint_start,
                end_ns: end,
            }),
            after_paint: None,
        }));
    }

    fn event(
        &mut self,
        t_ms: f64,
        event_type: EventType,
        at: Option<(f64, f64)>,
        button: Option<u32>,
        key: Option<&str>,
    ) {
        let mut event = Event::new(
            (t_ms * 1e6) as u64,
            WINDOW,
            event_type,
            (t_ms as u32).wrapping_add(100_000),
        );
        if let Some((x, y)) = at {
            event.x = Some(x);
            event.y = Some(y);
        }
        event.button = button;
        if let Some(key) = key {
            event.key = Some(key.into());
            event.keyval = Some(0x61);
            event.keycode = Some(38);
        }
        self.records.push(Record::Event(event));
    }

    fn resize(&mut self, t_ms: f64, width: i32, height: i32) {
        self.records.push(Record::Size(Size {
            t_ns: (t_ms * 1e6) as u64,
            surface: WINDOW,
            width,
            height,
        }));
    }

    fn write(mut self, path: &Path) {
        let t = self.records.iter().map(Record::t_ns).max().unwrap_or(0) + MS;
        let count = self.records.len() as u64 + 1;
        self.records.push(Record::End(End {
            t_ns: t,
            reason: EndReason::EXIT,
            records: count,
            dropped: 0,
        }));
        let mut writer = Writer::new(Vec::new()).unwrap();
        for record in &self.records {
            writer.write(record).unwrap();
        }
        std::fs::write(path, writer.finish().unwrap()).unwrap();
    }
}

/// A small recording with known damage: frame 1 repaints the whole 320×200 window, then
/// frames 2..=6 repaint a 40×30 box at (200, 100), frame 3 also a 60×20 strip at (20, 150).
fn known_damage() -> Fixture {
    let mut f = Fixture::new(320, 200);
    f.frame(10.0, 3.0, vec![[0, 0, 320, 200]]);
    for n in 0..5 {
        let mut rects = vec![[200, 100, 40, 30]];
        if n == 1 {
            rects.push([20, 150, 60, 20]);
        }
        f.frame(30.0 + 16.7 * f64::from(n), 2.0, rects);
    }
    f
}

/// A 6-second session of a small app: a spinner while loading, hovering and clicking a
/// button, a slow list refresh, typing into an entry, a resize, an idle pause, a popup.
fn demo() -> Fixture {
    let mut f = Fixture::new(640, 400);
    let mut t = 20.0;
    f.frame(t, 6.0, vec![[0, 0, 640, 400]]);
    // Loading: a 24×24 spinner at the top right repaints every frame for 1.5 s.
    while t < 1500.0 {
        t += 16.7;
        f.frame(t, 1.2, vec![[596, 12, 24, 24]]);
    }
    f.frame(t + 16.7, 4.0, vec![[596, 12, 24, 24], [20, 60, 600, 260]]);
    // The pointer comes in and moves to the "Refresh" button (20, 340, 120×40).
    f.event(
        1600.0,
        EventType::ENTER_NOTIFY,
        Some((630.0, 200.0)),
        None,
        None,
    );
    let mut t = 1600.0;
    let (mut x, mut y) = (630.0, 200.0);
    while t < 2400.0 {
        t += 8.0;
        x += (80.0 - x) * 0.04;
        y += (360.0 - y) * 0.04;
        f.event(t, EventType::MOTION_NOTIFY, Some((x, y)), None, None);
        if (t as u64).is_multiple_of(16) && x < 160.0 && y > 330.0 {
            f.frame(t + 1.0, 1.5, vec![[20, 340, 120, 40]]);
        }
    }
    f.frame(2100.0, 1.5, vec![[20, 340, 120, 40]]);
    // Click: the button repaints pressed, then the list refreshes slowly (two 45 ms frames).
    f.event(2500.0, EventType::BUTTON_PRESS, Some((x, y)), Some(1), None);
    f.frame(2505.0, 2.0, vec![[20, 340, 120, 40]]);
    f.event(
        2600.0,
        EventType::BUTTON_RELEASE,
        Some((x, y)),
        Some(1),
        None,
    );
    f.frame(2605.0, 45.0, vec![[20, 340, 120, 40], [20, 60, 600, 260]]);
    f.frame(2655.0, 38.0, vec![[20, 60, 600, 260]]);
    // Typing into the entry (20, 20, 300×28): each key repaints a few characters.
    for (i, key) in ["h", "e", "l", "l", "o"].iter().enumerate() {
        let t = 2800.0 + 180.0 * i as f64;
        f.event(t, EventType::KEY_PRESS, None, None, Some(key));
        f.event(t + 60.0, EventType::KEY_RELEASE, None, None, Some(key));
        f.frame(t + 5.0, 1.8, vec![[24 + 9 * i as i32, 22, 12, 24]]);
        f.frame(t + 90.0, 1.1, vec![[34 + 9 * i as i32, 22, 2, 24]]);
    }
    f.event(3800.0, EventType::SCROLL, Some((300.0, 200.0)), None, None);
    f.frame(3805.0, 9.0, vec![[20, 60, 600, 260]]);
    // The window is made bigger: whole-window repaints while it grows.
    for (i, (w, h)) in [(680, 420), (720, 450), (760, 480), (800, 500)]
        .into_iter()
        .enumerate()
    {
        let t = 4000.0 + 16.7 * i as f64;
        f.resize(t, w, h);
        f.frame(t + 1.0, 12.0 + 3.0 * i as f64, vec![[0, 0, w, h]]);
    }
    // 1.4 s idle, then a popup menu opens from the button and the cursor blinks twice.
    f.records.push(Record::Surface(Surface {
        t_ns: 5500 * MS,
        surface: POPUP,
        surface_kind: SurfaceKind::POPUP,
        parent: Some(WINDOW),
        type_name: "GdkX11Popup".into(),
        widget_type: None,
        width: 160,
        height: 120,
        scale_factor: 1,
    }));
    f.event(
        5480.0,
        EventType::BUTTON_PRESS,
        Some((80.0, 360.0)),
        Some(3),
        None,
    );
    f.frame(5500.0, 3.0, vec![[20, 340, 120, 40]]);
    f.records.push(Record::Damage(Damage {
        t_ns: 5501 * MS,
        surface: POPUP,
        frame: f.counter,
        renderer: Renderer::CAIRO,
        rects: vec![[0, 0, 160, 120]],
    }));
    f.frame(5700.0, 1.0, vec![[74, 22, 2, 24]]);
    f.frame(6200.0, 1.0, vec![[74, 22, 2, 24]]);
    f
}

struct Run {
    dir: PathBuf,
}

impl Run {
    fn new(name: &str) -> Run {
        let dir =
            std::env::temp_dir().join(format!("gdkrecord-pictures-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Run { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn tool(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
            .args(args)
            .env("FONTCONFIG_FILE", "/nonexistent/fonts.conf")
            .env("XDG_DATA_DIRS", "/nonexistent")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "the tool panicked: {stderr}");
        output
    }

    fn ok(&self, args: &[&str]) -> Output {
        let output = self.tool(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Decoded 8-bit RGB(A) picture.
struct Picture {
    width: u32,
    height: u32,
    channels: usize,
    pixels: Vec<u8>,
}

impl Picture {
    fn rgb(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * self.channels;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    fn distinct_colors(&self) -> usize {
        let mut colors: Vec<[u8; 3]> = self
            .pixels
            .chunks(self.channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        colors.sort_unstable();
        colors.dedup();
        colors.len()
    }
}

fn decode_png(path: &Path) -> Picture {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    pixels.truncate(info.buffer_size());
    Picture {
        width: info.width,
        height: info.height,
        channels,
        pixels,
    }
}

/// Every frame of a GIF, composited onto the canvas as a viewer shows it, with its delay
/// in hundredths of a second.
fn decode_gif(path: &Path) -> Vec<(Picture, u16)> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(path).unwrap())
        .unwrap();
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let mut canvas = vec![0u8; width as usize * height as usize * 4];
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        for row in 0..usize::from(frame.height) {
            for column in 0..usize::from(frame.width) {
                let src = (row * usize::from(frame.width) + column) * 4;
                if frame.buffer[src + 3] == 0 {
                    continue; // transparent: the previous frame shows through
                }
                let dst = ((row + usize::from(frame.top)) * width as usize
                    + column
                    + usize::from(frame.left))
                    * 4;
                canvas[dst..dst + 4].copy_from_slice(&frame.buffer[src..src + 4]);
            }
        }
        frames.push((
            Picture {
                width,
                height,
                channels: 4,
                pixels: canvas.clone(),
            },
            frame.delay,
        ));
    }
    frames
}

fn near(a: [u8; 3], b: [u8; 3], tolerance: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(&x, y)| (i32::from(x) - i32::from(y)).abs() <= tolerance)
}

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

#[test]
fn exposures_gif_flashes_damage_where_it_happened() {
    let run = Run::new("exposures-gif");
    let recording = run.path("x.gdkrecord");
    known_damage().write(&recording);
    run.ok(&["exposures", recording.to_str().unwrap()]);
    let frames = decode_gif(&run.path("x.gdkrecord.gif"));
    assert_eq!(frames.len(), 6, "one picture per frame");
    let (first, _) = &frames[0];
    assert!(
        first.width >= 320 && first.height >= 200,
        "at least the surface size: {}x{}",
        first.width,
        first.height
    );
    // The surface is drawn at a margin: find it from the frame where everything was damaged.
    let damage = [235, 30, 90];
    let (origin_x, origin_y) = (0..first.height)
        .flat_map(|y| (0..first.width).map(move |x| (x, y)))
        .find(|&(x, y)| first.rgb(x, y) == damage)
        .expect("frame 1 shows fresh damage");
    assert_eq!(
        first.rgb(origin_x + 319, origin_y + 199),
        damage,
        "the whole 320×200 window flashed"
    );
    // Frame 3 (third picture): fresh damage in its two rectangles, not elsewhere.
    let (third, _) = &frames[2];
    let at = |x: u32, y: u32| third.rgb(origin_x + x, origin_y + y);
    for (x, y) in [(200, 100), (239, 129), (220, 115), (20, 150), (79, 169)] {
        assert_eq!(at(x, y), damage, "({x}, {y}) is inside frame 3's damage");
    }
    for (x, y) in [(199, 100), (240, 115), (100, 50), (81, 160), (5, 5)] {
        assert_ne!(at(x, y), damage, "({x}, {y}) was not damaged in frame 3");
    }
    // The strip damaged in frame 3 fades in frame 4: still tinted, no longer full strength.
    let (fourth, _) = &frames[3];
    let faded = fourth.rgb(origin_x + 50, origin_y + 160);
    assert_ne!(faded, damage);
    assert!(
        faded[0] > faded[1] + 30,
        "still reddish while fading: {faded:?}"
    );
    let background = fourth.rgb(origin_x + 100, origin_y + 50);
    assert!(faded != background);
}

#[test]
fn exposures_gif_is_timed_like_the_recording_with_idle_gaps_shortened() {
    let run = Run::new("exposures-timing");
    let recording = run.path("x.gdkrecord");
    let mut f = Fixture::new(100, 80);
    f.frame(0.0, 1.0, vec![[0, 0, 10, 10]]);
    f.frame(100.0, 1.0, vec![[10, 0, 10, 10]]);
    f.frame(5100.0, 1.0, vec![[20, 0, 10, 10]]);
    f.frame(5300.0, 1.0, vec![[30, 0, 10, 10]]);
    f.write(&recording);
    let gif = run.path("out.gif");
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "-o",
        gif.to_str().unwrap(),
    ]);
    let delays: Vec<u16> = decode_gif(&gif).iter().map(|(_, d)| *d).collect();
    assert_eq!(
        &delays[..3],
        [10, 50, 20],
        "100 ms, a 5 s gap capped at 0.5 s, 200 ms"
    );
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "-o",
        gif.to_str().unwrap(),
        "--speed",
        "0.5",
    ]);
    let slow: Vec<u16> = decode_gif(&gif).iter().map(|(_, d)| *d).collect();
    assert_eq!(
        &slow[..3],
        [20, 50, 40],
        "half speed doubles delays, gaps stay capped"
    );
}

#[test]
fn exposures_show_the_surface_at_its_recorded_size_and_honour_the_time_window() {
    let run = Run::new("exposures-resize");
    let recording = run.path("x.gdkrecord");
    let mut f = Fixture::new(100, 80);
    f.frame(0.0, 1.0, vec![[0, 0, 100, 80]]);
    f.resize(30.0, 200, 100);
    f.frame(30.0, 1.0, vec![[0, 0, 200, 100]]);
    f.frame(60.0, 1.0, vec![[10, 10, 5, 5]]);
    f.write(&recording);
    let gif = run.path("out.gif");
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "-o",
        gif.to_str().unwrap(),
    ]);
    let frames = decode_gif(&gif);
    assert_eq!(frames.len(), 3);
    let damage = [235, 30, 90];
    let (first, _) = &frames[0];
    assert!(
        first.width >= 200 && first.height >= 100,
        "room for the largest size"
    );
    let (ox, oy) = (0..first.height)
        .flat_map(|y| (0..first.width).map(move |x| (x, y)))
        .find(|&(x, y)| first.rgb(x, y) == damage)
        .unwrap();
    assert_eq!(first.rgb(ox + 99, oy + 79), damage);
    let outside = first.rgb(ox + 150, oy + 50);
    let backdrop = first.rgb(ox - 5, oy - 5);
    assert_eq!(
        outside, backdrop,
        "beyond the 100×80 surface of frame 1: the backdrop"
    );
    let (second, _) = &frames[1];
    assert_eq!(
        second.rgb(ox + 150, oy + 50),
        damage,
        "inside the 200×100 surface of frame 2"
    );
    assert_eq!(second.rgb(ox + 199, oy + 99), damage);
    let (third, _) = &frames[2];
    assert_eq!(third.rgb(ox + 12, oy + 12), damage);
    let faded = third.rgb(ox + 150, oy + 50);
    assert!(
        faded != damage && faded != outside,
        "frame 2's damage fading on the larger surface"
    );

    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "-o",
        gif.to_str().unwrap(),
        "--from",
        "20ms",
    ]);
    assert_eq!(
        decode_gif(&gif).len(),
        2,
        "--from 20ms leaves frames 2 and 3"
    );
    let empty = run.tool(&["exposures", recording.to_str().unwrap(), "--from", "5s"]);
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no frames in the --from/--to range"));
}

#[test]
fn exposures_heatmap_is_hotter_where_repainted_more() {
    let run = Run::new("heatmap");
    let recording = run.path("x.gdkrecord");
    known_damage().write(&recording);
    let png = run.path("heat.png");
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "--heatmap",
        "-o",
        png.to_str().unwrap(),
    ]);
    let picture = decode_png(&png);
    assert!(picture.width >= 320 && picture.height >= 200);
    // Find the surface's top-left corner: the first pixel with the colour of 1 repaint
    // (frame 1 repainted everything once).
    let once = gdkrecord_replay::heat_color(1, 6);
    let (ox, oy) = (0..picture.height)
        .flat_map(|y| (0..picture.width).map(move |x| (x, y)))
        .find(|&(x, y)| picture.rgb(x, y) == once)
        .expect("pixels repainted once");
    let brightness = |x: u32, y: u32| {
        picture
            .rgb(ox + x, oy + y)
            .iter()
            .map(|&c| u32::from(c))
            .sum::<u32>()
    };
    assert_eq!(
        picture.rgb(ox + 210, oy + 110),
        gdkrecord_replay::heat_color(6, 6),
        "the box: 6 repaints"
    );
    assert_eq!(
        picture.rgb(ox + 30, oy + 160),
        gdkrecord_replay::heat_color(2, 6),
        "the strip: 2 repaints"
    );
    assert!(brightness(210, 110) > brightness(30, 160));
    assert!(brightness(30, 160) > brightness(100, 50));
}

#[test]
fn exposures_of_a_popup_surface_and_the_demo() {
    let run = Run::new("exposures-popup");
    let recording = run.path("demo.gdkrecord");
    demo().write(&recording);
    let gif = run.path("popup.gif");
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "--surface",
        "2",
        "-o",
        gif.to_str().unwrap(),
    ]);
    let frames = decode_gif(&gif);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].0.width >= 160);
    let missing = run.tool(&["exposures", recording.to_str().unwrap(), "--surface", "9"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("surface 9"));
    let whole = run.path("demo.gif");
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "-o",
        whole.to_str().unwrap(),
    ]);
    let frames = decode_gif(&whole);
    assert!(frames.len() > 50);
    assert!(
        std::fs::metadata(&whole).unwrap().len() < 3 << 20,
        "GIF size stays sane"
    );
}

#[test]
fn bad_input_is_a_clear_error_naming_the_file() {
    let run = Run::new("bad-input");
    let empty = run.path("empty.gdkrecord");
    std::fs::write(&empty, b"").unwrap();
    let random = run.path("random.gdkrecord");
    std::fs::write(
        &random,
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let missing = run.path("missing.gdkrecord");
    for file in [&empty, &random, &missing] {
        for command in [&["graph"][..], &["exposures"], &["exposures", "--heatmap"]] {
            let mut args = command.to_vec();
            args.push(file.to_str().unwrap());
            let output = run.tool(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{args:?} succeeded");
            assert!(
                stderr.contains(file.to_str().unwrap()),
                "{args:?}: error does not name the file: {stderr}"
            );
            assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        }
    }
    // A cut recording still yields its complete records, with a warning.
    let whole = run.path("whole.gdkrecord");
    known_damage().write(&whole);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = run.path("cut.gdkrecord");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let output = run.ok(&[
        "exposures",
        cut.to_str().unwrap(),
        "-o",
        run.path("cut.gif").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning"));
    assert!(!decode_gif(&run.path("cut.gif")).is_empty());
}

#[test]
fn a_recording_without_frames_graphs_but_has_nothing_to_replay() {
    let run = Run::new("no-frames");
    let recording = run.path("x.gdkrecord");
    let mut f = Fixture::new(300, 200);
    if let Record::Header(h) = &mut f.records[0] {
        h.damage_capture = false;
        h.damage_note = "GskRenderer class layout differs".into();
    }
    f.event(100.0, EventType::KEY_PRESS, None, None, Some("a"));
    f.write(&recording);
    let svg = run.path("x.svg");
    run.ok(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("no frames in this range"));
    assert!(text.contains("no damage recorded: GskRenderer class layout differs"));
    assert!(text.contains("damage capture off"));
    for args in [&["exposures"][..], &["exposures", "--heatmap"]] {
        let mut args = args.to_vec();
        args.push(recording.to_str().unwrap());
        let output = run.tool(&args);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("has no frames"), "{stderr}");
    }
}

#[test]
#[ignore = "writes docs/img/*: run by hand after changing the pictures"]
fn regenerate_doc_pictures() {
    let run = Run::new("docs");
    let recording = run.path("demo.gdkrecord");
    demo().write(&recording);
    let img = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/img");
    std::fs::create_dir_all(&img).unwrap();
    let out = |name: &str| img.join(name).to_str().unwrap().to_owned();
    run.ok(&[
        "graph",
        recording.to_str().unwrap(),
        "-o",
        &out("graph.png"),
    ]);
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "-o",
        &out("exposures.gif"),
    ]);
    run.ok(&[
        "exposures",
        recording.to_str().unwrap(),
        "--heatmap",
        "-o",
        &out("heatmap.png"),
    ]);
}
