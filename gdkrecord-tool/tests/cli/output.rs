//! Where `dump` writes, and the real recordings it reads: into a closed pipe
//! (`dump | head` exits quietly), to a file with `-o` (never over the recording being
//! read), and every recording of samples/recordings/ in every format, `stats` and `export`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use gdkrecord_format::*;

use crate::common::*;
use crate::support::scratch;

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
