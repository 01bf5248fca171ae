//! What the tests of the reading commands on the real binary share (`snapshots`, `formats`,
//! `bad_input`, `output`, `stats`): running `gdkrecord-tool` and reading what it printed,
//! the fixtures (a record of every kind, synthetic sessions, a real recording), the
//! snapshots, and the JSONL objects every other format is checked against.

use std::path::Path;
use std::process::{Command, Output};

use gdkrecord_format::*;
use serde_json::Value;

#[path = "../../examples/gen-recording/synth.rs"]
mod synth;

pub const FORMATS: [&str; 5] = ["text", "jsonl", "json", "csv", "xml"];

/// A real recording of the `counter` sample (clicks, typing, a popover, a resize, a stall),
/// made by the recorder's GUI tests.
pub fn copy_real_recording(dir: &Path) -> &'static str {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/counter.gdkrecord");
    std::fs::copy(fixture, dir.join("counter.gdkrecord")).unwrap();
    "counter.gdkrecord"
}

pub fn tool(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gdkrecord-tool")
}

/// `tool` naming stack frames only from the symbols stored in the recording, so that the
/// output does not depend on which module files this machine has.
pub fn tool_with_recorded_names(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
        .args(args)
        .current_dir(dir)
        .env("GDKRECORD_SYMBOLS", "recorded")
        .output()
        .expect("run gdkrecord-tool")
}

pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One record of every kind, with the awkward values (quotes, commas, `<`, `&`, line
/// breaks, `|`, non-ASCII, nulls, empty lists) that each format must escape.
pub fn every_kind() -> Vec<Record> {
    let code = |addr: u64, symbol: Option<&str>| CodeAddress {
        addr,
        module: Some("/usr/lib/libgtk-4.so.1".into()),
        offset: addr - 0x1000,
        symbol: symbol.map(Into::into),
    };
    let mut click = Event::new(2_000_000, SurfaceId(1), EventType::BUTTON_PRESS, 1234);
    click.x = Some(200.0);
    click.y = Some(150.25);
    click.button = Some(1);
    click.modifiers = Some(Modifiers(Modifiers::SHIFT.0 | Modifiers::BUTTON1.0));
    let mut key = Event::new(3_000_000, SurfaceId(1), EventType::KEY_PRESS, 1300);
    key.keyval = Some(0x7c);
    key.key = Some("bar|\"q\",<&>\n".into());
    key.keycode = Some(36);
    key.modifiers = Some(Modifiers(0));
    let mut scroll = Event::new(3_500_000, SurfaceId(1), EventType::SCROLL, 1310);
    scroll.x = Some(10.0);
    scroll.y = Some(-3.5);
    scroll.scroll_direction = Some(ScrollDirection::SMOOTH);
    scroll.dx = Some(0.0);
    scroll.dy = Some(1.5);
    let mut enter = Event::new(3_600_000, SurfaceId(2), EventType::ENTER_NOTIFY, 1320);
    enter.crossing_mode = Some(CrossingMode::NORMAL);
    enter.crossing_detail = Some(NotifyType::NONLINEAR);
    let mut focus = Event::new(3_700_000, SurfaceId(1), EventType::FOCUS_CHANGE, 0);
    focus.focus_in = Some(true);
    let mut touch = Event::new(3_800_000, SurfaceId(1), EventType::TOUCH_BEGIN, 1400);
    touch.sequence = Some(7);
    let phase = |start: u64, end: u64| {
        Some(Phase {
            start_ns: start,
            end_ns: end,
        })
    };
    vec![
        Record::Header(Header {
            format_version: 1,
            argv: vec![
                "./fixture".into(),
                "--title=A, \"B\" & <C>".into(),
                "a|b\\c".into(),
            ],
            start_unix_ns: 1_790_000_000_123_456_789,
            start_monotonic_ns: 987_654_321_000,
            ..Header::synthetic("fixture", 4242)
        }),
        Record::Surface(Surface {
            t_ns: 1_000,
            surface: SurfaceId(1),
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: Some("GtkApplicationWindow".into()),
            width: 400,
            height: 300,
            scale_factor: 1,
        }),
        Record::Surface(Surface {
            t_ns: 1_500,
            surface: SurfaceId(2),
            surface_kind: SurfaceKind::POPUP,
            parent: Some(SurfaceId(1)),
            type_name: "GdkX11Popup".into(),
            widget_type: None,
            width: 120,
            height: 80,
            scale_factor: 2,
        }),
        Record::Size(Size {
            t_ns: 1_600,
            surface: SurfaceId(1),
            width: 900,
            height: 700,
        }),
        Record::Scale(Scale {
            t_ns: 1_700,
            surface: SurfaceId(1),
            scale_factor: 2,
        }),
        Record::State(State {
            t_ns: 1_800,
            surface: SurfaceId(1),
            state: ToplevelState(ToplevelState::MAXIMIZED.0 | ToplevelState::FOCUSED.0),
        }),
        Record::LoopIteration(LoopIteration {
            t_ns: 1_900_000,
            poll_ns: 1_800_000,
            work_ns: 50_000,
        }),
        Record::LoopSummary(LoopSummary {
            t_ns: 100_000,
            iterations: 1,
            work_ns: 50_000,
            poll_ns: 1_800_000,
        }),
        Record::Event(click),
        Record::Event(key),
        Record::Event(scroll),
        Record::Event(enter),
        Record::Event(focus),
        Record::Event(touch),
        Record::Damage(Damage {
            t_ns: 5_500_000,
            surface: SurfaceId(1),
            frame: 12,
            renderer: Renderer::GL,
            rects: vec![[11, 57, 375, 42], [711, 211, 20, 25]],
        }),
        Record::Painted(Damage {
            t_ns: 5_600_000,
            surface: SurfaceId(1),
            frame: 12,
            renderer: Renderer::GL,
            rects: vec![],
        }),
        Record::Frame(Frame {
            t_ns: 4_000_000,
            surface: SurfaceId(1),
            counter: 12,
            end_ns: 24_000_000,
            before_paint: phase(4_000_000, 4_010_000),
            update: phase(4_020_000, 4_500_000),
            layout: phase(4_600_000, 5_000_000),
            paint: phase(5_000_000, 23_900_000),
            after_paint: None,
        }),
        Record::FrameTimings(FrameTimings {
            t_ns: 40_000_000,
            surface: SurfaceId(1),
            counter: 12,
            frame_time_ns: Some(4_000_000),
            presentation_time_ns: Some(30_000_000),
            predicted_presentation_time_ns: None,
            refresh_interval_ns: Some(16_666_667),
        }),
        Record::Dispatch(Dispatch {
            t_ns: 41_000_000,
            duration_ns: 12_000_000,
            source: Some("[gtk] frame clock".into()),
            source_type: "idle".into(),
            priority: 120,
            callback: Some(code(0x7f00_1234, None)),
        }),
        Record::Stall(Stall {
            t_ns: 60_000_000,
            duration_ns: 300_000_000,
            duration_ms: 300.0,
            source: None,
            samples: 1,
            stack: vec![code(0x7f00_2000, Some("on_click")), code(0x7f00_3000, None)],
        }),
        Record::StallSample(StallSample {
            t_ns: 110_000_000,
            stall_start_ns: 60_000_000,
            stack: vec![code(0x7f00_2000, Some("on_click"))],
        }),
        Record::SurfaceDestroyed(SurfaceDestroyed {
            t_ns: 400_000_000,
            surface: SurfaceId(2),
        }),
        Record::DamageCapture(DamageCapture {
            t_ns: 400_500_000,
            class_name: "GskGLRenderer".into(),
            vfunc: DamageVfunc::RENDER,
            damage_layout: "gtk-4.8".into(),
            state: CaptureState::PROVEN,
            note: "16 calls' arguments checked".into(),
        }),
        Record::Pixels(Pixels::raw(
            5_700_000,
            SurfaceId(1),
            12,
            2,
            false,
            [11, 57, 2, 1],
            vec![0x40; 2 * 2 * 4 * 2],
        )),
        Record::PopupPosition(PopupPosition {
            t_ns: 5_800_000,
            surface: SurfaceId(2),
            x: 40,
            y: 25,
        }),
        Record::PixelsSkipped(PixelsSkipped {
            t_ns: 24_500_000,
            surface: SurfaceId(1),
            frame: 13,
            reason: PixelsSkipReason::BUDGET,
        }),
        Record::End(End {
            t_ns: 500_000_000,
            reason: EndReason::EXIT,
            records: 23,
            dropped: 0,
        }),
    ]
}

pub fn write_records(path: &Path, records: &[Record]) {
    let mut writer = Writer::new(Vec::new()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

pub fn write_synthetic(path: &Path, records: u64, seed: u64) -> Vec<u8> {
    let bytes = synth::write_recording(Vec::new(), records, seed).unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// Compares `actual` with `tests/snapshots/<name>`, or rewrites it with `GDKRECORD_BLESS=1`.
pub fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("GDKRECORD_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (GDKRECORD_BLESS=1 writes it)", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(0);
        panic!(
            "{name} differs from its snapshot at line {}:\n expected: {:?}\n   actual: {:?}\n(GDKRECORD_BLESS=1 rewrites it)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

/// The JSONL objects of `file`, the contract every other format is checked against.
pub fn jsonl(dir: &Path, file: &str, extra: &[&str]) -> Vec<serde_json::Map<String, Value>> {
    let mut args = vec!["dump", file, "--format", "jsonl"];
    args.extend_from_slice(extra);
    stdout(&tool(dir, &args))
        .lines()
        .map(
            |line| match serde_json::from_str(line).expect("a JSON object per line") {
                Value::Object(map) => map,
                other => panic!("not an object: {other}"),
            },
        )
        .collect()
}
