//! Bad and damaged input on the real binary: files that are not recordings refused with
//! one line naming them, a cut recording and a corrupted record read up to what is
//! readable, with warnings (errors with `--strict`).

use std::path::Path;

use gdkrecord_format::*;
use serde_json::Value;

use crate::common::*;
use crate::support::scratch;

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
