//! Every output format of `dump`, and `export`, parsed back by a standard parser
//! (serde_json, csv, quick-xml) against the JSONL contract, and the filters, which every
//! format must agree on.

use std::collections::BTreeMap;
use std::path::Path;

use gdkrecord_format::*;
use serde_json::Value;

use crate::common::*;
use crate::support::scratch;

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
