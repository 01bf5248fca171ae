//! Integration tests of `dump`, `stats` and `export` on the real binary: snapshots of every
//! output on small fixtures, every format parsed back by a standard parser (serde_json, csv,
//! quick-xml) against the JSONL contract, the filters, bad and damaged input, and
//! `dump | head`.
//!
//! Snapshots live in `tests/snapshots/`; `GDKRECORD_BLESS=1 cargo test -p gdkrecord-tool
//! --test cli` rewrites them after an intended change (review the diff).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use gdkrecord_format::*;

mod support;
use serde_json::Value;
use support::scratch;

#[path = "../examples/gen-recording/synth.rs"]
#[allow(dead_code)]
mod synth;

const FORMATS: [&str; 5] = ["text", "jsonl", "json", "csv", "xml"];

/// A real recording of the `counter` sample (clicks, typing, a popover, a resize, a stall),
/// made by the recorder's GUI tests.
fn copy_real_recording(dir: &Path) -> &'static str {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/counter.gdkrecord");
    std::fs::copy(fixture, dir.join("counter.gdkrecord")).unwrap();
    "counter.gdkrecord"
}

fn tool(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gdkrecord-tool")
}

/// `tool` naming stack frames only from the symbols stored in the recording, so that the
/// output does not depend on which module files this machine has.
fn tool_with_recorded_names(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
        .args(args)
        .current_dir(dir)
        .env("GDKRECORD_SYMBOLS", "recorded")
        .output()
        .expect("run gdkrecord-tool")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One record of every kind, with the awkward values (quotes, commas, `<`, `&`, line
/// breaks, `|`, non-ASCII, nulls, empty lists) that each format must escape.
fn every_kind() -> Vec<Record> {
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
            t_ns: 0,
            format_version: 1,
            recorder_version: "0.1.0".into(),
            pid: 4242,
            program: "fixture".into(),
            argv: vec![
                "./fixture".into(),
                "--title=A, \"B\" & <C>".into(),
                "a|b\\c".into(),
            ],
            gtk_version: [4, 8, 3],
            start_unix_ns: 1_790_000_000_123_456_789,
            start_monotonic_ns: 987_654_321_000,
            display_backend: "x11".into(),
            display_name: ":99".into(),
            damage_capture: true,
            damage_note: String::new(),
            damage_layout: "gtk-4.8".to_owned(),
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

fn write_records(path: &Path, records: &[Record]) {
    let mut writer = Writer::new(Vec::new()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

fn write_synthetic(path: &Path, records: u64, seed: u64) -> Vec<u8> {
    let bytes = synth::write_recording(Vec::new(), records, seed).unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// Compares `actual` with `tests/snapshots/<name>`, or rewrites it with `GDKRECORD_BLESS=1`.
fn snapshot(name: &str, actual: &str) {
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

#[test]
fn every_format_of_every_kind_matches_its_snapshot() {
    let dir = scratch("snapshots-dump");
    write_records(&dir.join("every-kind.gdkrecord"), &every_kind());
    for format in FORMATS {
        let out = stdout(&tool(
            &dir,
            &["dump", "every-kind.gdkrecord", "--format", format],
        ));
        snapshot(&format!("dump-every-kind.{format}"), &out);
    }
    let out = tool_with_recorded_names(
        &dir,
        &["export", "every-kind.gdkrecord", "-o", "trace.json"],
    );
    stdout(&out);
    snapshot(
        "export-every-kind.json",
        &std::fs::read_to_string(dir.join("trace.json")).unwrap(),
    );
}

#[test]
fn stats_and_export_of_a_session_match_their_snapshots() {
    let dir = scratch("snapshots-stats");
    write_synthetic(&dir.join("session.gdkrecord"), 3_000, 7);
    snapshot(
        "stats-session.txt",
        &stdout(&tool(&dir, &["stats", "session.gdkrecord"])),
    );
    snapshot(
        "stats-session.json",
        &stdout(&tool(&dir, &["stats", "session.gdkrecord", "--json"])),
    );
    snapshot("stats-every-kind.txt", &{
        write_records(&dir.join("every-kind.gdkrecord"), &every_kind());
        stdout(&tool_with_recorded_names(
            &dir,
            &["stats", "every-kind.gdkrecord"],
        ))
    });
    let real = copy_real_recording(&dir);
    // Its stacks go through the recorder and the counter binary as built on the machine
    // that recorded it: name them from the recording only, the same everywhere.
    snapshot(
        "stats-counter.txt",
        &stdout(&tool_with_recorded_names(&dir, &["stats", real])),
    );
    snapshot(
        "stats-counter.json",
        &stdout(&tool_with_recorded_names(&dir, &["stats", real, "--json"])),
    );
    snapshot("dump-counter.text", &stdout(&tool(&dir, &["dump", real])));
}

/// The JSONL objects of `file`, the contract every other format is checked against.
fn jsonl(dir: &Path, file: &str, extra: &[&str]) -> Vec<serde_json::Map<String, Value>> {
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

/// The flat text of a JSON value, as docs/formats.md defines it for CSV and XML.
fn flat(value: &Value) -> Option<String> {
    let element = |v: &Value| match v {
        Value::String(s) => s.replace('\\', "\\\\").replace('|', "\\|"),
        Value::Array(items) => items
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.iter().all(|i| i.is_string()) => {
            Some(items.iter().map(element).collect::<Vec<_>>().join("|"))
        }
        Value::Array(items) if items.iter().all(Value::is_number) => {
            Some(items.iter().map(element).collect::<Vec<_>>().join(" "))
        }
        Value::Array(items)
            if items
                .iter()
                .all(|i| i.as_array().is_some_and(|a| a.iter().all(Value::is_number))) =>
        {
            Some(items.iter().map(element).collect::<Vec<_>>().join(";"))
        }
        Value::Array(_) | Value::Object(_) => Some(value.to_string()),
        other => Some(other.to_string()),
    }
}

/// Whether a CSV/XML cell holds `expected` (numbers compared as numbers).
fn same_value(cell: &str, expected: &Value) -> bool {
    match (expected, flat(expected)) {
        (Value::Number(n), _) => cell.parse::<f64>().ok() == n.as_f64(),
        // Nested objects are compact JSON: compare them as JSON.
        (Value::Object(_), _) | (Value::Array(_), _) if cell.starts_with(['{', '[']) => {
            serde_json::from_str::<Value>(cell).ok().as_ref() == Some(expected)
        }
        // An object of numbers (a frame phase) is its values in field order; serde_json's
        // map here is sorted by key, so compare the start and end explicitly.
        (Value::Object(object), _) => {
            let numbers: Vec<&Value> = vec![&object["start_ns"], &object["end_ns"]];
            object.len() == 2
                && cell
                    == numbers
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
        }
        (_, Some(text)) => cell == text,
        (_, None) => cell.is_empty(),
    }
}

fn parse_back_fixtures(dir: &Path) -> Vec<&'static str> {
    write_records(&dir.join("every-kind.gdkrecord"), &every_kind());
    write_synthetic(&dir.join("session.gdkrecord"), 5_000, 3);
    vec![
        "every-kind.gdkrecord",
        "session.gdkrecord",
        copy_real_recording(dir),
    ]
}

#[test]
fn json_is_one_array_of_the_jsonl_objects() {
    let dir = scratch("parse-json");
    for file in parse_back_fixtures(&dir) {
        let objects = jsonl(&dir, file, &[]);
        let document: Value =
            serde_json::from_str(&stdout(&tool(&dir, &["dump", file, "--format", "json"])))
                .unwrap();
        let array = document.as_array().expect("an array");
        assert_eq!(array.len(), objects.len());
        for (a, b) in array.iter().zip(&objects) {
            assert_eq!(a.as_object().unwrap(), b);
        }
        // The objects are the serde form of the records the format crate reads.
        let records: Vec<Record> = Reader::open(dir.join(file))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(records.len(), objects.len());
        for (record, object) in records.iter().zip(&objects) {
            assert_eq!(
                &serde_json::to_value(record).unwrap(),
                &Value::Object(object.clone())
            );
            // JSON gives a pixel patch's size, not its pixels.
            let mut without_pixels = record.clone();
            if let Record::Pixels(pixels) = &mut without_pixels {
                pixels.data.clear();
            }
            assert_eq!(
                serde_json::from_value::<Record>(Value::Object(object.clone())).unwrap(),
                without_pixels
            );
        }
    }
}

#[test]
fn csv_rows_hold_the_jsonl_values() {
    let dir = scratch("parse-csv");
    for file in parse_back_fixtures(&dir) {
        let objects = jsonl(&dir, file, &[]);
        let text = stdout(&tool(&dir, &["dump", file, "--format", "csv"]));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(&header[..2], ["kind", "t_ns"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), objects.len(), "{file}: one row per record");
        for (row, object) in rows.iter().zip(&objects) {
            assert_eq!(row.len(), header.len());
            for (column, cell) in header.iter().zip(row.iter()) {
                match object.get(column) {
                    Some(value) => assert!(
                        same_value(cell, value),
                        "{file}: {column}: {cell:?} vs {value}"
                    ),
                    None => assert_eq!(
                        cell, "",
                        "{file}: {column} is not a field of {}",
                        object["kind"]
                    ),
                }
            }
        }
    }
}

#[test]
fn xml_elements_hold_the_jsonl_values() {
    use quick_xml::events::Event as XmlEvent;
    let dir = scratch("parse-xml");
    for file in parse_back_fixtures(&dir) {
        let objects = jsonl(&dir, file, &[]);
        let text = stdout(&tool(&dir, &["dump", file, "--format", "xml"]));
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut elements: Vec<BTreeMap<String, String>> = Vec::new();
        let mut roots = 0;
        loop {
            match reader.read_event().expect("well-formed XML") {
                XmlEvent::Empty(e) => {
                    assert_eq!(e.name().as_ref(), b"record");
                    let attributes = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                            (key, a.unescape_value().unwrap().into_owned())
                        })
                        .collect();
                    elements.push(attributes);
                }
                XmlEvent::Start(e) => {
                    assert_eq!(e.name().as_ref(), b"gdkrecord");
                    roots += 1;
                }
                XmlEvent::Eof => break,
                _ => {}
            }
        }
        assert_eq!(roots, 1);
        assert_eq!(
            elements.len(),
            objects.len(),
            "{file}: one element per record"
        );
        for (element, object) in elements.iter().zip(&objects) {
            for (name, value) in object {
                match element.get(name) {
                    Some(text) => assert!(
                        same_value(text, value),
                        "{file}: {name}: {text:?} vs {value}"
                    ),
                    None => assert!(value.is_null(), "{file}: {name} missing, JSON has {value}"),
                }
            }
            assert!(element.keys().all(|k| object.contains_key(k)));
        }
    }
}

#[test]
fn text_has_one_line_per_record_with_the_fields() {
    let dir = scratch("parse-text");
    for file in parse_back_fixtures(&dir) {
        let objects = jsonl(&dir, file, &[]);
        let text = stdout(&tool(&dir, &["dump", file]));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), objects.len());
        for (line, object) in lines.iter().zip(&objects) {
            let mut words = line.split_whitespace();
            let ms: f64 = words.next().unwrap().parse().unwrap();
            assert!(
                (ms - object["t_ns"].as_f64().unwrap() / 1e6).abs() < 0.001,
                "{line}"
            );
            assert_eq!(words.next(), Some("ms"));
            assert_eq!(words.next(), object["kind"].as_str());
            if let Some(surface) = object.get("surface").filter(|s| !s.is_null()) {
                assert!(line.contains(&format!(" surface={surface}")), "{line}");
            }
        }
    }
}

#[test]
fn export_is_a_trace_perfetto_reads() {
    let dir = scratch("parse-export");
    for file in parse_back_fixtures(&dir) {
        let objects = jsonl(&dir, file, &[]);
        stdout(&tool(&dir, &["export", file, "-o", "trace.json"]));
        let trace: Value =
            serde_json::from_slice(&std::fs::read(dir.join("trace.json")).unwrap()).unwrap();
        assert_eq!(trace["displayTimeUnit"], "ms");
        let events = trace["traceEvents"].as_array().expect("traceEvents");
        let count = |kind: &str| objects.iter().filter(|o| o["kind"] == kind).count();
        let frames: Vec<&Value> = events.iter().filter(|e| e["cat"] == "frame").collect();
        assert_eq!(frames.len(), count("frame"));
        let inputs = events
            .iter()
            .filter(|e| e["cat"] == "input" && e["ph"] == "i")
            .count();
        assert_eq!(inputs, count("event"));
        for event in events {
            let ph = event["ph"].as_str().unwrap();
            assert!(["X", "i", "C", "M"].contains(&ph), "{event}");
            assert!(
                event["pid"].is_u64() && event["name"].is_string(),
                "{event}"
            );
            if ph != "M" {
                assert!(event["ts"].as_f64().unwrap() >= 0.0, "{event}");
            }
            if ph == "X" {
                assert!(event["dur"].as_f64().unwrap() >= 0.0, "{event}");
            }
            if ph == "C" {
                assert!(
                    event["args"]
                        .as_object()
                        .unwrap()
                        .values()
                        .all(Value::is_number),
                    "{event}"
                );
            }
        }
        // Phases nest inside their frame's slice on the surface's track.
        for frame in &frames {
            let (start, end) = (
                frame["ts"].as_f64().unwrap(),
                frame["ts"].as_f64().unwrap() + frame["dur"].as_f64().unwrap(),
            );
            let phases = events
                .iter()
                .filter(|e| e["cat"] == "frame-phase" && e["tid"] == frame["tid"]);
            for phase in phases
                .filter(|p| p["ts"].as_f64().unwrap() >= start && p["ts"].as_f64().unwrap() < end)
            {
                assert!(
                    phase["ts"].as_f64().unwrap() + phase["dur"].as_f64().unwrap() <= end + 0.001
                );
            }
        }
        let thread_names: Vec<&str> = events
            .iter()
            .filter(|e| e["name"] == "thread_name")
            .map(|e| e["args"]["name"].as_str().unwrap())
            .collect();
        assert!(
            thread_names.contains(&"surface 1 (GtkApplicationWindow)"),
            "{thread_names:?}"
        );
    }
}

#[test]
fn formats_agree_on_counts_for_every_filter() {
    let dir = scratch("filters");
    write_synthetic(&dir.join("session.gdkrecord"), 20_000, 11);
    let all = jsonl(&dir, "session.gdkrecord", &[]);
    type Keep = Box<dyn Fn(&serde_json::Map<String, Value>) -> bool>;
    let cases: Vec<(Vec<&str>, Keep)> = vec![
        (
            vec!["--kind", "event,damage"],
            Box::new(|o| o["kind"] == "event" || o["kind"] == "damage"),
        ),
        (
            vec!["--type", "button-press,key-press"],
            Box::new(|o| {
                o.get("type")
                    .is_some_and(|t| t == "button-press" || t == "key-press")
            }),
        ),
        (
            vec!["--surface", "2"],
            Box::new(|o| o.get("surface") == Some(&Value::from(2))),
        ),
        (
            vec!["--from", "1.5s", "--to", "2500ms"],
            Box::new(|o| (1_500_000_000..=2_500_000_000).contains(&o["t_ns"].as_u64().unwrap())),
        ),
        (
            vec!["--kind", "frame", "--from", "2"],
            Box::new(|o| o["kind"] == "frame" && o["t_ns"].as_u64().unwrap() >= 2_000_000_000),
        ),
    ];
    for (args, keep) in cases {
        let expected: Vec<_> = all.iter().filter(|o| keep(o)).cloned().collect();
        assert!(!expected.is_empty(), "{args:?} keeps something");
        assert!(expected.len() < all.len(), "{args:?} drops something");
        assert_eq!(
            jsonl(&dir, "session.gdkrecord", &args),
            expected,
            "{args:?}"
        );
        for format in ["text", "csv", "xml"] {
            let mut full = vec!["dump", "session.gdkrecord", "--format", format];
            full.extend_from_slice(&args);
            let out = stdout(&tool(&dir, &full));
            let count = match format {
                "text" => out.lines().count(),
                "csv" => out.lines().count() - 1,
                _ => out.matches("<record ").count(),
            };
            assert_eq!(count, expected.len(), "{format} {args:?}");
        }
    }
    let out = tool(&dir, &["dump", "session.gdkrecord", "--kind", "nope"]);
    assert!(
        !out.status.success() && stderr(&out).contains("--kind"),
        "{}",
        stderr(&out)
    );
    let out = tool(&dir, &["dump", "session.gdkrecord", "--from", "soon"]);
    assert!(
        !out.status.success() && stderr(&out).contains("--from"),
        "{}",
        stderr(&out)
    );
}

/// Runs every reading command on `file` and checks each fails with one line naming it.
fn assert_refused(dir: &Path, file: &str, problem: &str) {
    for args in [
        vec!["dump", file],
        vec!["dump", file, "--format", "csv"],
        vec!["stats", file],
        vec!["stats", file, "--json"],
        vec!["export", file, "-o", "trace.json"],
    ] {
        let out = tool(dir, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(
            err.contains(file) && err.contains(problem),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty(), "{args:?}: no output");
    }
}

#[test]
fn bad_files_are_refused_with_one_line_naming_them() {
    let dir = scratch("bad-input");
    assert_refused(&dir, "missing.gdkrecord", "No such file");
    std::fs::create_dir(dir.join("a-directory")).unwrap();
    assert_refused(&dir, "a-directory", "directory");
    std::fs::write(dir.join("empty.gdkrecord"), b"").unwrap();
    assert_refused(&dir, "empty.gdkrecord", "empty");
    std::fs::write(
        dir.join("notes.txt"),
        b"these are not the records you are looking for\n",
    )
    .unwrap();
    assert_refused(&dir, "notes.txt", "not a gdkrecord recording");
    let mut newer = file_header().to_vec();
    newer[8] = 99;
    newer.extend_from_slice(&[1, 2, 3]);
    std::fs::write(dir.join("newer.gdkrecord"), &newer).unwrap();
    assert_refused(&dir, "newer.gdkrecord", "version 99");
    let mut state = 0x1234_5678_9abc_def0u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(dir.join("random.bin"), &random).unwrap();
    assert_refused(&dir, "random.bin", "not a gdkrecord recording");
    std::fs::write(dir.join("short.gdkrecord"), &MAGIC[..5]).unwrap();
    assert_refused(&dir, "short.gdkrecord", "cut short");
}

#[test]
fn a_cut_recording_gives_its_complete_records_and_a_warning() {
    let dir = scratch("cut");
    let bytes = write_synthetic(&dir.join("whole.gdkrecord"), 2_000, 5);
    let cut = &bytes[..bytes.len() - 7];
    std::fs::write(dir.join("cut.gdkrecord"), cut).unwrap();
    let complete: Vec<Record> = Reader::new(cut).unwrap().map(Result::unwrap).collect();
    let whole = jsonl(&dir, "whole.gdkrecord", &[]);
    assert_eq!(
        complete.len(),
        whole.len() - 1,
        "the cut loses the end record only"
    );
    for format in FORMATS {
        let out = tool(&dir, &["dump", "cut.gdkrecord", "--format", format]);
        let err = stderr(&out);
        assert!(out.status.success(), "{format}: {err}");
        assert!(
            err.contains("warning: cut.gdkrecord: file cut inside a record"),
            "{format}: {err}"
        );
        assert!(err.contains("no end record"), "{format}: {err}");
        if format == "jsonl" {
            let lines: Vec<Value> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(lines.len(), complete.len());
            assert_eq!(
                lines[..],
                whole
                    .iter()
                    .take(complete.len())
                    .cloned()
                    .map(Value::Object)
                    .collect::<Vec<_>>()[..]
            );
        }
    }
    for args in [
        vec!["dump", "cut.gdkrecord", "--strict"],
        vec!["stats", "cut.gdkrecord", "--strict"],
        vec!["export", "cut.gdkrecord", "--strict", "-o", "t.json"],
    ] {
        let out = tool(&dir, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("cut.gdkrecord: file cut inside a record") && !err.contains("warning"),
            "{args:?}: {err}"
        );
    }
    let out = tool(&dir, &["stats", "cut.gdkrecord", "--json"]);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["records"], complete.len());
}

#[test]
fn a_corrupted_record_is_skipped_and_reading_goes_on() {
    let dir = scratch("corrupt");
    let mut bytes = write_synthetic(&dir.join("whole.gdkrecord"), 2_000, 9);
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(dir.join("bad.gdkrecord"), &bytes).unwrap();
    let whole = jsonl(&dir, "whole.gdkrecord", &[]);
    let out = tool(&dir, &["dump", "bad.gdkrecord", "--format", "jsonl"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: bad.gdkrecord: corrupt data: skipped"),
        "{err}"
    );
    let lines = String::from_utf8(out.stdout).unwrap().lines().count();
    assert!(
        lines < whole.len() && lines >= whole.len() - 2,
        "{lines} of {}",
        whole.len()
    );
    assert_eq!(
        tool(&dir, &["dump", "bad.gdkrecord", "--strict"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn dump_into_a_closed_pipe_exits_quietly() {
    let dir = scratch("pipe");
    write_synthetic(&dir.join("big.gdkrecord"), 200_000, 2);
    for format in FORMATS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
            .args(["dump", "big.gdkrecord", "--format", format])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read the first lines like `head` does, then close the pipe.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 4096];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{format}: {status:?} {err}");
        assert_eq!(err, "", "{format}");
    }
}

#[test]
fn dump_writes_to_a_file_with_o() {
    let dir = scratch("output-file");
    write_records(&dir.join("every-kind.gdkrecord"), &every_kind());
    let out = tool(
        &dir,
        &[
            "dump",
            "every-kind.gdkrecord",
            "--format",
            "csv",
            "-o",
            "out.csv",
        ],
    );
    assert!(stdout(&out).is_empty());
    let written = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert_eq!(
        csv::Reader::from_reader(written.as_bytes())
            .records()
            .count(),
        every_kind().len()
    );
    // Writing over the recording being read would destroy it.
    for args in [
        vec![
            "dump",
            "every-kind.gdkrecord",
            "-o",
            "./every-kind.gdkrecord",
        ],
        vec![
            "export",
            "every-kind.gdkrecord",
            "-o",
            "every-kind.gdkrecord",
        ],
    ] {
        let out = tool(&dir, &args);
        assert!(
            !out.status.success() && stderr(&out).contains("is the recording being read"),
            "{args:?}"
        );
    }
    assert_eq!(
        jsonl(&dir, "every-kind.gdkrecord", &[]).len(),
        every_kind().len()
    );
    let out = tool(
        &dir,
        &["dump", "every-kind.gdkrecord", "-o", "no-such-dir/out.txt"],
    );
    assert!(
        !out.status.success() && stderr(&out).contains("no-such-dir/out.txt"),
        "{}",
        stderr(&out)
    );
}

/// The real recordings in samples/recordings/ (one of them killed) go through every
/// format, stats and export.
#[test]
fn sample_recordings_dump_in_every_format() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/recordings");
    let entries: Vec<_> = std::fs::read_dir(&samples)
        .expect("samples/recordings/")
        .collect();
    let mut recordings = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "gdkrecord") {
            continue;
        }
        let file = path.to_str().unwrap();
        let count = Reader::open(&path).unwrap().count();
        let dir = scratch("samples");
        for format in FORMATS {
            let out = stdout(&tool(&dir, &["dump", file, "--format", format]));
            assert!(!out.is_empty(), "{file} {format}");
        }
        assert_eq!(jsonl(&dir, file, &[]).len(), count, "{file}");
        stdout(&tool(&dir, &["stats", file, "--json"]));
        stdout(&tool(&dir, &["export", file, "-o", "trace.json"]));
        recordings += 1;
    }
    assert!(
        recordings >= 3,
        "samples/recordings/ holds {recordings} recordings"
    );
}

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
            t_ns: 0,
            // Version 1: a loop-iteration record per iteration.
            format_version: 1,
            recorder_version: "0.1.0".into(),
            pid: 77,
            program: "stalled-app".into(),
            argv: vec!["stalled-app".into()],
            gtk_version: [4, 8, 3],
            start_unix_ns: 1_790_000_000_000_000_000,
            start_monotonic_ns: 1_000_000_000,
            display_backend: "x11".into(),
            display_name: ":99".into(),
            damage_capture: true,
            damage_note: String::new(),
            damage_layout: "gtk-4.8".to_owned(),
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
