//! Crafted recordings and hostile surroundings, on the real binary: each test is named
//! after the bug it holds fixed (issue 11, docs/reliability.md). Every run is capped in
//! time and address space, and its peak memory is checked: a crafted length field must
//! not decide how much memory a command takes.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gdkrecord_format::*;

mod support;
use support::scratch;

/// Peak resident memory any command may reach on these small inputs (the largest
/// honest run here takes about 20 MiB).
const MEMORY_BOUND_KIB: u64 = 200 << 10;
/// Hang guard (not a speed test: honest runs take well under a second).
const TIME_LIMIT: Duration = Duration::from_secs(60);

/// What a bounded run gave.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    max_rss_kib: u64,
}

/// Runs the tool in `dir` with at most 2 GiB of address space, killing it after
/// [`TIME_LIMIT`] (a failure); `setup` adjusts the command (stdout, fds).
fn run_with(dir: &Path, args: &[&str], setup: impl FnOnce(&mut Command)) -> Run {
    let out_path = dir.join(".stdout");
    let err_path = dir.join(".stderr");
    let mut command = Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("GDKRECORD_SYMBOLS")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap());
    setup(&mut command);
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        })
    };
    // Reaped by wait4 below, which also gives its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().expect("run gdkrecord-tool");
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: wait4 fills `usage`.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) } == pid {
            break (status, usage);
        }
        if start.elapsed() > TIME_LIMIT {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{args:?} still running after {TIME_LIMIT:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let run = Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
        max_rss_kib: usage.ru_maxrss as u64,
    };
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        run.stderr
    );
    assert!(
        run.code.is_some(),
        "{args:?} killed by a signal: {}",
        run.stderr
    );
    assert!(
        run.max_rss_kib < MEMORY_BOUND_KIB,
        "{args:?} took {} MiB",
        run.max_rss_kib >> 10
    );
    run
}

fn run(dir: &Path, args: &[&str]) -> Run {
    run_with(dir, args, |_| {})
}

/// A recording of `records` (a header first).
fn write_records(path: &Path, records: &[Record]) {
    let mut writer = Writer::new(Vec::new()).unwrap();
    writer.write(&header(vec!["prog".into()])).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

fn header(argv: Vec<String>) -> Record {
    Record::Header(Header {
        recorder_version: "test".into(),
        argv,
        start_unix_ns: 1,
        start_monotonic_ns: 1,
        display_name: ":0".into(),
        ..Header::synthetic("prog", 42)
    })
}

fn end(t_ns: Nanos, reason: EndReason) -> Record {
    Record::End(End {
        t_ns,
        reason,
        records: 2,
        dropped: 0,
    })
}

/// A frame holding `payload` (for payloads the Writer cannot make).
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut len = payload.len() as u64;
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[test]
fn stats_of_an_iteration_near_the_end_of_u64_takes_bounded_memory() {
    let dir = scratch("u64-iteration");
    write_records(
        &dir.join("x.gdkrecord"),
        &[Record::LoopIteration(LoopIteration {
            t_ns: u64::MAX - 3,
            poll_ns: 2_000_000_000,
            work_ns: 7,
        })],
    );
    for args in [
        &["stats", "x.gdkrecord"][..],
        &["stats", "x.gdkrecord", "--json"],
    ] {
        let out = run(&dir, args);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_fifo_or_device_named_as_a_stack_module_does_not_hang_the_commands() {
    let dir = scratch("fifo-module");
    let fifo = dir.join("libtrap.so");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let code = |module: &str| CodeAddress {
        addr: 0x7f00_0000_1000,
        module: Some(module.into()),
        offset: 0x1000,
        symbol: None,
    };
    write_records(
        &dir.join("x.gdkrecord"),
        &[
            Record::Stall(Stall {
                t_ns: 1_000_000,
                duration_ns: 300_000_000,
                duration_ms: 300.0,
                source: Some("a timeout".into()),
                samples: 1,
                stack: vec![
                    code(fifo.to_str().unwrap()),
                    code("/dev/zero"),
                    code("/dev/tty"),
                ],
            }),
            Record::Dispatch(Dispatch {
                t_ns: 1_000_000,
                duration_ns: 300_000_000,
                source: None,
                source_type: "GTimeoutSource".into(),
                priority: 0,
                callback: Some(code(fifo.to_str().unwrap())),
            }),
        ],
    );
    for args in [
        &["stats", "x.gdkrecord"][..],
        &["stalls", "x.gdkrecord"],
        &["stalls", "x.gdkrecord", "--json", "--group"],
        &["export", "x.gdkrecord", "-o", "trace.json"],
    ] {
        let out = run(&dir, args);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn huge_argv_and_stack_counts_take_bounded_memory() {
    let dir = scratch("huge-counts");
    // A header claiming 16 million arguments, each an empty string (one byte each).
    let mut argv = vec![RecordKind::Header as u8, 0, 1, 0, 42, 0];
    varint(&mut argv, 16_000_000);
    argv.resize(argv.len() + 16_000_000, 0);
    // A stall with a stack of 4 million minimal frames (4 bytes each).
    let mut stack = vec![RecordKind::Stall as u8, 5];
    varint(&mut stack, 300_000_000);
    stack.extend_from_slice(&[0, 1]);
    varint(&mut stack, 4_000_000);
    for _ in 0..4_000_000 {
        stack.extend_from_slice(&[1, 0, 1, 0]);
    }
    for (name, payload) in [("argv.gdkrecord", argv), ("stack.gdkrecord", stack)] {
        let mut bytes = file_header().to_vec();
        bytes.extend_from_slice(&frame(&payload));
        encode_record(&end(5, EndReason::EXIT), &mut bytes);
        std::fs::write(dir.join(name), &bytes).unwrap();
        for args in [
            &["dump", name][..],
            &["stats", name],
            &["stalls", name, "--json"],
            &["export", name, "-o", "trace.json"],
        ] {
            let out = run(&dir, args);
            assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
            assert!(
                out.stderr.contains("corrupt data: skipped"),
                "{args:?}: the record over the caps is skipped as corrupt: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn a_long_run_of_skipped_records_gives_a_few_lines_and_a_count() {
    let dir = scratch("skipped-run");
    let mut bytes = Writer::new(Vec::new()).unwrap();
    bytes.write(&header(vec![])).unwrap();
    let mut bytes = bytes.finish().unwrap();
    // 200,000 records of a kind from a newer recorder, each a stretch of its own
    // between records this version reads.
    for t in 0..200_000u64 {
        let mut unknown = vec![200u8];
        varint(&mut unknown, t);
        bytes.extend_from_slice(&frame(&unknown));
        if t % 2 == 0 {
            gdkrecord_format::encode_record(&end(t, EndReason::EXIT), &mut bytes);
        }
    }
    std::fs::write(dir.join("x.gdkrecord"), &bytes).unwrap();
    for args in [&["dump", "x.gdkrecord"][..], &["stats", "x.gdkrecord"]] {
        let out = run(&dir, args);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert!(lines.len() <= 8, "{args:?}: {} warning lines", lines.len());
        assert!(
            out.stderr
                .contains("and 199995 more unreadable stretches not listed (200000 stretches"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(run(&dir, &["dump", "x.gdkrecord", "--strict"]).code == Some(1));
}

/// `graph`, `exposures` and `exposures --heatmap` overwrote the recording they read when
/// `-o` named it or a symbolic link to it.
#[test]
fn graph_and_exposures_refuse_to_overwrite_the_recording() {
    let dir = scratch("overwrite-input");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/counter.gdkrecord");
    let original = std::fs::read(&fixture).unwrap();
    for name in ["rec.png", "rec.gif", "rec.gdkrecord"] {
        std::fs::write(dir.join(name), &original).unwrap();
    }
    std::os::unix::fs::symlink("rec.gdkrecord", dir.join("link.png")).unwrap();
    std::os::unix::fs::symlink("rec.gdkrecord", dir.join("link.gif")).unwrap();
    for (args, input) in [
        (&["graph", "rec.png", "-o", "rec.png"][..], "rec.png"),
        (
            &["graph", "rec.gdkrecord", "-o", "link.png"],
            "rec.gdkrecord",
        ),
        (&["exposures", "rec.gif", "-o", "./rec.gif"], "rec.gif"),
        (
            &["exposures", "rec.gdkrecord", "-o", "link.gif"],
            "rec.gdkrecord",
        ),
        (
            &["exposures", "rec.png", "--heatmap", "-o", "rec.png"],
            "rec.png",
        ),
        (
            &["exposures", "rec.gdkrecord", "--heatmap", "-o", "link.png"],
            "rec.gdkrecord",
        ),
        (
            &["dump", "rec.gdkrecord", "-o", "link.png"],
            "rec.gdkrecord",
        ),
        (
            &["redact", "rec.gdkrecord", "-o", "link.gif"],
            "rec.gdkrecord",
        ),
    ] {
        let out = run(&dir, args);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("is the recording being read"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(
            std::fs::read(dir.join(input)).unwrap(),
            original,
            "{args:?}"
        );
    }
}

#[test]
fn format_version_0_is_reported_as_version_0() {
    let dir = scratch("version-0");
    let mut bytes = file_header().to_vec();
    bytes[8] = 0;
    std::fs::write(dir.join("x.gdkrecord"), &bytes).unwrap();
    let out = run(&dir, &["dump", "x.gdkrecord"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("format version 0") && !out.stderr.contains("bad magic"),
        "{}",
        out.stderr
    );
}

#[test]
fn export_to_dash_writes_standard_output() {
    let dir = scratch("export-dash");
    write_records(&dir.join("x.gdkrecord"), &[end(5, EndReason::EXIT)]);
    let out = run(&dir, &["export", "x.gdkrecord", "-o", "-"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!dir.join("-").exists(), "a file named - was written");
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(trace["traceEvents"].is_array(), "{trace}");
    let dumped = run(&dir, &["dump", "x.gdkrecord", "-o", "-"]);
    assert!(!dir.join("-").exists() && !dumped.stdout.is_empty());
}

#[test]
fn closed_standard_output_makes_dump_stats_and_stalls_fail() {
    let dir = scratch("closed-stdout");
    write_records(&dir.join("x.gdkrecord"), &[end(5, EndReason::EXIT)]);
    for args in [
        &["dump", "x.gdkrecord"][..],
        &["stats", "x.gdkrecord"],
        &["stalls", "x.gdkrecord"],
        &["export", "x.gdkrecord", "-o", "-"],
    ] {
        let out = run_with(&dir, args, |command| {
            // SAFETY: close is async-signal-safe.
            unsafe {
                command.pre_exec(|| {
                    libc::close(libc::STDOUT_FILENO);
                    Ok(())
                })
            };
        });
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("standard output is closed"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_full_standard_output_is_named_standard_output() {
    let dir = scratch("full-stdout");
    write_records(&dir.join("x.gdkrecord"), &[end(5, EndReason::EXIT)]);
    for args in [
        &["dump", "x.gdkrecord"][..],
        &["stats", "x.gdkrecord"],
        &["stats", "x.gdkrecord", "--json"],
        &["stalls", "x.gdkrecord"],
        &["stalls", "x.gdkrecord", "--json"],
        &["export", "x.gdkrecord", "-o", "-"],
    ] {
        let out = run_with(&dir, args, |command| {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            command.stdout(full);
        });
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("standard output") && out.stderr.contains("No space left"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_recording_cut_by_a_full_disk_says_so() {
    let dir = scratch("disk-full");
    write_records(
        &dir.join("x.gdkrecord"),
        &[end(2_500_000_000, EndReason::DISK_FULL)],
    );
    let out = run(&dir, &["stats", "x.gdkrecord"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cut at 2.500 s because the disk was full")
            && !out.stderr.contains("did not exit normally"),
        "{}",
        out.stderr
    );
}

#[test]
fn redact_drops_typed_keys_and_the_command_line() {
    let dir = scratch("redact");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/counter.gdkrecord");
    std::fs::copy(&fixture, dir.join("x.gdkrecord")).unwrap();
    let out = run(&dir, &["redact", "x.gdkrecord", "-o", "shared.gdkrecord"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let read = |name: &str| -> Vec<Record> {
        Reader::open(dir.join(name))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let (before, after) = (read("x.gdkrecord"), read("shared.gdkrecord"));
    assert_eq!(before.len(), after.len(), "every record is kept");
    let Some(Record::Header(h)) = after.first() else {
        panic!("no header");
    };
    assert!(h.argv.is_empty(), "{:?}", h.argv);
    let keys = |records: &[Record]| -> Vec<Event> {
        records
            .iter()
            .filter_map(|r| match r {
                Record::Event(e) if matches!(e.event_type, EventType::KEY_PRESS) => Some(e.clone()),
                _ => None,
            })
            .collect()
    };
    let (typed, shared) = (keys(&before), keys(&after));
    assert_eq!(typed.len(), shared.len());
    assert!(
        typed.iter().any(|e| e.keyval.is_some_and(is_text_keyval)),
        "the fixture has typing"
    );
    for (t, s) in typed.iter().zip(&shared) {
        assert_eq!((t.t_ns, t.modifiers), (s.t_ns, s.modifiers));
        if t.keyval.is_some_and(is_text_keyval) {
            assert_eq!((s.keyval, s.key.as_deref(), s.keycode), (None, None, None));
        } else {
            assert_eq!(s, t, "a key that types nothing is kept");
        }
    }
    assert!(
        out.stderr.contains("wrote shared.gdkrecord"),
        "{}",
        out.stderr
    );
}
