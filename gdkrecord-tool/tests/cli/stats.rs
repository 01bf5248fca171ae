//! `stats` of the main loop and its stalls: a synthetic session with two stalls and round
//! numbers (snapshots and every figure checked), and a real recording of the `blocker`
//! sample.
//!
//! Snapshots live in `tests/snapshots/`; `GDKRECORD_BLESS=1 cargo test -p gdkrecord-tool
//! --test cli` rewrites them after an intended change (review the diff).

use std::path::Path;

use gdkrecord_format::*;
use serde_json::Value;

use crate::common::*;
use crate::support::scratch;

/// A session with two main-loop stalls, written to give round numbers:
/// - iterations: 710 ms working, 2190 ms polling (utilisation 0.2448); the second from
///   1 s to 2 s is 550 ms busy (0.55), the busiest;
/// - a 400 ms stall at 1.2 s in `slow_handler ← on_click` (the app's own code, below
///   GLib's signal emission), started by a button release; a key pressed at 1.3 s (by the
///   windowing clock) waits for it and is delivered at 1.6005 s;
/// - frame 5 (1.605–1.65 s, 40 ms paint) answers the press, the release and the key;
/// - a 150 ms stall at 2.2 s inside frame 6's layout, in a library only
///   (`gtk_widget_measure`).
fn stalled_session() -> Vec<Record> {
    const MS: u64 = 1_000_000;
    let code = |module: &str, offset: u64, symbol: &str| CodeAddress {
        addr: 0x5000_0000 + offset,
        module: Some(module.into()),
        offset,
        symbol: Some(symbol.into()),
    };
    let app = "/nonexistent/stalled-app";
    let gobject = "/usr/lib/nonexistent/libgobject-2.0.so.0";
    let gtk = "/usr/lib/nonexistent/libgtk-4.so.1";
    let phase = |start: u64, end: u64| {
        Some(Phase {
            start_ns: start * MS / 10,
            end_ns: end * MS / 10,
        })
    };
    let iteration = |t: u64, poll: u64, work: u64| {
        Record::LoopIteration(LoopIteration {
            t_ns: t * MS,
            poll_ns: poll * MS,
            work_ns: work * MS,
        })
    };
    let event = |t_ns: u64, time_ms: u32, event_type: EventType| {
        Record::Event(Event::new(t_ns, SurfaceId(1), event_type, time_ms))
    };
    let damage = |t: u64, frame: i64| {
        Record::Damage(Damage {
            t_ns: t * MS,
            surface: SurfaceId(1),
            frame,
            renderer: Renderer::CAIRO,
            rects: vec![[0, 0, 100, 50]],
        })
    };
    vec![
        Record::Header(Header {
            // Version 1: a loop-iteration record per iteration.
            format_version: 1,
            ..Header::synthetic("stalled-app", 77)
        }),
        Record::Surface(Surface {
            t_ns: 1_000,
            surface: SurfaceId(1),
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: Some("GtkWindow".into()),
            width: 300,
            height: 100,
            scale_factor: 1,
        }),
        iteration(1000, 900, 50),
        event(1190 * MS, 11_190, EventType::BUTTON_PRESS),
        iteration(1200, 150, 400),
        event(1200 * MS, 11_200, EventType::BUTTON_RELEASE),
        Record::Dispatch(Dispatch {
            t_ns: 1200 * MS,
            duration_ns: 400 * MS,
            source: Some("GDK X11 Event source (:99)".into()),
            source_type: "gdk-x11-event-source".into(),
            priority: 0,
            callback: None,
        }),
        Record::Stall(Stall {
            t_ns: 1200 * MS,
            duration_ns: 400 * MS,
            duration_ms: 400.0,
            source: Some("GDK X11 Event source (:99)".into()),
            samples: 1,
            stack: vec![
                code(app, 0x1010, "slow_handler"),
                code(app, 0x2020, "on_click"),
                code(gobject, 0x3030, "g_signal_emit"),
            ],
        }),
        event(1_600_500_000, 11_300, EventType::KEY_PRESS),
        iteration(1800, 200, 100),
        Record::Dispatch(Dispatch {
            t_ns: 1800 * MS,
            duration_ns: 30 * MS,
            source: None,
            source_type: "timeout".into(),
            priority: 0,
            callback: Some(code(app, 0x4040, "on_tick")),
        }),
        damage(1620, 5),
        Record::Frame(Frame {
            t_ns: 1605 * MS,
            surface: SurfaceId(1),
            counter: 5,
            end_ns: 1650 * MS,
            before_paint: None,
            update: phase(16050, 16100),
            layout: None,
            paint: phase(16100, 16500),
            after_paint: None,
        }),
        Record::FrameTimings(FrameTimings {
            t_ns: 1660 * MS,
            surface: SurfaceId(1),
            counter: 5,
            frame_time_ns: Some(1605 * MS),
            presentation_time_ns: None,
            predicted_presentation_time_ns: None,
            refresh_interval_ns: Some(16_666_667),
        }),
        iteration(2200, 300, 160),
        Record::Stall(Stall {
            t_ns: 2200 * MS,
            duration_ns: 150 * MS,
            duration_ms: 150.0,
            source: Some("[gtk] frame clock".into()),
            samples: 1,
            stack: vec![code(gtk, 0x5050, "gtk_widget_measure")],
        }),
        damage(2355, 6),
        Record::Frame(Frame {
            t_ns: 2200 * MS,
            surface: SurfaceId(1),
            counter: 6,
            end_ns: 2360 * MS,
            before_paint: None,
            update: None,
            layout: phase(22000, 23500),
            paint: phase(23500, 23600),
            after_paint: None,
        }),
        iteration(3000, 640, 0),
    ]
}

#[test]
fn stats_measures_the_main_loop_and_blames_stalls() {
    let dir = scratch("stalls");
    write_records(&dir.join("stalled.gdkrecord"), &stalled_session());
    let text = stdout(&tool_with_recorded_names(
        &dir,
        &["stats", "stalled.gdkrecord"],
    ));
    snapshot("stats-stalled.txt", &text);
    let json = stdout(&tool_with_recorded_names(
        &dir,
        &["stats", "stalled.gdkrecord", "--json"],
    ));
    snapshot("stats-stalled.json", &json);
    let report: Value = serde_json::from_str(&json).unwrap();

    let main_loop = &report["main_loop"];
    assert_eq!(main_loop["iterations"], 5);
    assert_eq!(
        (main_loop["work_ms"].as_f64(), main_loop["poll_ms"].as_f64()),
        (Some(710.0), Some(2190.0))
    );
    assert_eq!(main_loop["utilisation"], 0.2448); // 710 / 2900
    assert_eq!(main_loop["busiest_second"]["t_ms"], 1000.0);
    assert_eq!(main_loop["busiest_second"]["utilisation"], 0.55);
    assert_eq!(main_loop["dispatches"], 2);
    assert_eq!(main_loop["slowest_dispatches"][0]["duration_ms"], 400.0);
    assert_eq!(
        main_loop["slowest_dispatches"][0]["source_type"],
        "gdk-x11-event-source"
    );
    assert_eq!(main_loop["slowest_dispatches"][1]["callback"], "on_tick");

    let stalls = &main_loop["stalls"];
    assert_eq!(stalls["count"], 2);
    assert_eq!(stalls["total_ms"], 550.0);
    assert_eq!(stalls["max_ms"], 400.0);
    let longest = &stalls["longest"][0];
    assert_eq!(longest["place"], "slow_handler \u{2190} on_click");
    assert_eq!(longest["input"]["role"], "waiting");
    assert_eq!(longest["input"]["type"], "key-press");
    assert_eq!(longest["input"]["waited_ms"], 300.5);
    assert_eq!(stalls["longest"][1]["place"], "gtk_widget_measure");
    assert_eq!(stalls["top_stacks"][0]["count"], 1);
    assert_eq!(stalls["top_stacks"][0]["stack"][2], "g_signal_emit");

    // Every input waited for the first stall: the press and release overlap it, the key
    // arrived during it.
    let latency = &report["input_latency"]["over_budget"];
    assert_eq!(latency["count"], 3);
    assert_eq!(latency["delayed_by_stall"], 3);
    let worst: Vec<(&str, f64, &str)> = latency["worst"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["type"].as_str().unwrap(),
                w["latency_ms"].as_f64().unwrap(),
                w["stall"]["place"].as_str().unwrap(),
            )
        })
        .collect();
    let place = "slow_handler \u{2190} on_click";
    assert_eq!(
        worst,
        [
            ("button-press", 460.0, place),
            ("button-release", 450.0, place),
            ("key-press", 49.5, place),
        ]
    );
    // Frame 6 had the second stall inside its cycle; frame 5 came after the first one
    // and is blamed on its paint phase only.
    let frames = &report["frames"]["over_budget"];
    assert_eq!(frames["count"], 2);
    assert_eq!(frames["delayed_by_stall"], 1);
    assert_eq!(frames["worst"][0]["counter"], 6);
    assert_eq!(frames["worst"][0]["slowest_phase"], "layout");
    assert_eq!(frames["worst"][0]["stall"]["place"], "gtk_widget_measure");
    assert_eq!(frames["worst"][0]["stall"]["duration_ms"], 150.0);
    assert_eq!(frames["worst"][1]["counter"], 5);
    assert_eq!(frames["worst"][1]["stall"], Value::Null);
    assert!(
        text.contains("button-press at 1.190 s: 460.000 ms to frame 5 (paint 40.000 ms) \u{2014} stall 400.000 ms in slow_handler \u{2190} on_click"),
        "{text}"
    );
}

/// A real recording of the `blocker` sample (three clicks on its button, each blocking
/// the main loop for about 300 ms), made by the recorder's stall tests. Its stacks name
/// `blocker::block_main_loop_for_300ms` where the recorded binary still exists
/// (`/work/targets/stalls/debug/blocker`); elsewhere they are `blocker+0x…` locations.
#[test]
fn stats_of_a_real_blocker_recording_names_the_blocking_handler() {
    let dir = scratch("blocker");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blocker.gdkrecord");
    std::fs::copy(fixture, dir.join("blocker.gdkrecord")).unwrap();
    let report: Value = serde_json::from_str(&stdout(&tool(
        &dir,
        &["stats", "blocker.gdkrecord", "--json"],
    )))
    .unwrap();
    let main_loop = &report["main_loop"];
    let utilisation = main_loop["utilisation"].as_f64().unwrap();
    assert!((0.2..0.5).contains(&utilisation), "{utilisation}");
    let stalls = &main_loop["stalls"];
    assert_eq!(stalls["count"], 3);
    for stall in stalls["longest"].as_array().unwrap() {
        let duration = stall["duration_ms"].as_f64().unwrap();
        assert!((250.0..450.0).contains(&duration), "{duration}");
        assert_eq!(stall["source"], "GDK X11 Event source (:1)");
        let place = stall["place"].as_str().unwrap();
        assert!(
            place.contains("blocker::block_main_loop_for_300ms") || place.starts_with("blocker+0x"),
            "{place}"
        );
    }
    // The clicks' handler runs in GDK's event source: its dispatches are the slowest.
    let slowest = &main_loop["slowest_dispatches"][0];
    assert_eq!(slowest["source_type"], "gdk-x11-event-source");
    assert!(slowest["duration_ms"].as_f64().unwrap() > 250.0);
    let text = stdout(&tool(&dir, &["stats", "blocker.gdkrecord"]));
    assert!(text.contains("stalls     3, "), "{text}");
}
