//! Integration tests of `graph` and `exposures`: run the real binary on fixtures written
//! with the format crate's Writer, decode the PNG / SVG / GIF it writes and check pixels.
//!
//! `cargo test -p gdkrecord-tool --test pictures -- --ignored regenerate_doc_pictures`
//! rewrites the example pictures of docs/pictures.md from the demo fixture.

mod common;
mod exposures;
mod graph;

use std::path::Path;

use gdkrecord_format::*;

use crate::common::*;

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
