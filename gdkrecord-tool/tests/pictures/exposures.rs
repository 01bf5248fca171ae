//! `exposures`: the GIF replay of the damage, timed like the recording, at the recorded
//! sizes, of popups; the heatmap.

use crate::common::*;

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
