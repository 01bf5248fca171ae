//! Integration tests of `diff` and `check` on the real binary: a recording compared with
//! itself, synthetic recordings with known differences (snapshots of both outputs), the
//! exit codes of `check` for a met budget, an exceeded one, a baseline, and bad input.
//!
//! Snapshots live in `tests/snapshots/`; `GDKRECORD_BLESS=1 cargo test -p gdkrecord-tool
//! --test compare` rewrites them after an intended change (review the diff).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gdkrecord_format::*;
use serde_json::Value;

const MS: u64 = 1_000_000;

/// A directory of its own for each test, removed when the test passes.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!(
        "gdkrecord-tool-compare-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn tool(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gdkrecord-tool"))
        .args(args)
        .current_dir(dir)
        .env("GDKRECORD_SYMBOLS", "recorded")
        .env("NO_COLOR", "1")
        .output()
        .expect("run gdkrecord-tool")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Compares `actual` with `tests/snapshots/<name>`, or rewrites it with `GDKRECORD_BLESS=1`.
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("GDKRECORD_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (GDKRECORD_BLESS=1 writes it)", path.display()));
    assert!(
        expected == actual,
        "{} differs from the output:\n{actual}",
        path.display()
    );
}

/// What differs between the synthetic runs.
struct Run {
    /// The toplevel's surface number (a new run may number it differently).
    surface: u32,
    /// Each frame's paint time; frames start every 20 ms.
    paint_ms: &'static [u64],
    /// A stall of this long, in the click handler, when not 0.
    stall_ms: u64,
    /// Whether every frame repaints the whole 400×200 window (else a 24×24 square).
    full_repaints: bool,
}

/// A session: a toplevel, a click and a key each answered by the next frame, frames with
/// the given paint times and damage, main-loop iterations, maybe a stall.
fn session(run: &Run) -> Vec<Record> {
    let surface = SurfaceId(run.surface);
    let mut records = vec![
        Record::Header(Header {
            // Version 1: a loop-iteration record per iteration (version 2 sums them per second).
            format_version: 1,
            damage_layout: String::new(),
            ..Header::synthetic("app", 77)
        }),
        Record::Surface(Surface {
            t_ns: 1_000,
            surface,
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: Some("GtkWindow".into()),
            width: 400,
            height: 200,
            scale_factor: 1,
        }),
    ];
    let mut press = Event::new(5 * MS, surface, EventType::BUTTON_PRESS, 5);
    press.x = Some(100.0);
    press.y = Some(80.0);
    press.button = Some(1);
    records.push(Record::Event(press));
    let mut key = Event::new(45 * MS, surface, EventType::KEY_PRESS, 45);
    key.keyval = Some(0x61);
    key.key = Some("a".into());
    records.push(Record::Event(key));
    if run.stall_ms > 0 {
        records.push(Record::Stall(Stall {
            t_ns: 6 * MS,
            duration_ns: run.stall_ms * MS,
            duration_ms: run.stall_ms as f64,
            source: Some("GDK X11 Event source (:99)".into()),
            samples: 1,
            stack: vec![CodeAddress {
                addr: 0x5000_1000,
                module: Some("/nonexistent/app".into()),
                offset: 0x1000,
                symbol: Some("on_click".into()),
            }],
        }));
    }
    for (i, paint) in run.paint_ms.iter().enumerate() {
        let start = (10 + 20 * i as u64) * MS;
        let end = start + MS + paint * MS;
        records.push(Record::LoopIteration(LoopIteration {
            t_ns: start,
            poll_ns: 10 * MS,
            work_ns: MS + paint * MS,
        }));
        let rect = if run.full_repaints {
            [0, 0, 400, 200]
        } else {
            [300, 20, 24, 24]
        };
        records.push(Record::Damage(Damage {
            t_ns: start + MS,
            surface,
            frame: i as i64,
            renderer: Renderer::GL,
            rects: vec![rect],
        }));
        records.push(Record::Frame(Frame {
            t_ns: start,
            surface,
            counter: i as i64,
            end_ns: end,
            before_paint: None,
            update: None,
            layout: Some(Phase {
                start_ns: start,
                end_ns: start + MS,
            }),
            paint: Some(Phase {
                start_ns: start + MS,
                end_ns: end,
            }),
            after_paint: None,
        }));
    }
    records.push(Record::End(End {
        t_ns: 1_000 * MS,
        reason: EndReason::EXIT,
        records: records.len() as u64,
        dropped: 0,
    }));
    records
}

fn write(dir: &Path, name: &str, run: &Run) -> String {
    let mut writer = Writer::new(Vec::new()).unwrap();
    for record in session(run) {
        writer.write(&record).unwrap();
    }
    std::fs::write(dir.join(name), writer.finish().unwrap()).unwrap();
    name.to_owned()
}

const BEFORE: Run = Run {
    surface: 1,
    paint_ms: &[2, 2, 3, 2, 4, 2, 2, 3],
    stall_ms: 0,
    full_repaints: false,
};

/// Slower painting, a stall, full-window repaints, and the toplevel numbered 3.
const AFTER: Run = Run {
    surface: 3,
    paint_ms: &[2, 30, 3, 2, 40, 2, 2, 3],
    stall_ms: 250,
    full_repaints: true,
};

fn json(output: &Output) -> Value {
    assert!(
        output.status.success() || output.status.code() == Some(1),
        "{}",
        stderr(output)
    );
    serde_json::from_str(&stdout(output)).unwrap()
}

fn figure<'a>(diff: &'a Value, key: &str) -> &'a Value {
    diff["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no figure {key}"))
}

#[test]
fn diff_of_a_recording_with_itself_shows_no_change() {
    let dir = scratch("itself");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/counter.gdkrecord");
    std::fs::copy(fixture, dir.0.join("counter.gdkrecord")).unwrap();
    let output = tool(
        &dir.0,
        &["diff", "counter.gdkrecord", "counter.gdkrecord", "--json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let diff = json(&output);
    let figures = diff["figures"].as_array().unwrap();
    assert!(figures.len() > 40, "{} figures", figures.len());
    for f in figures {
        assert!(
            f["verdict"] == "same" || f["verdict"] == "none",
            "{f} changed"
        );
    }
    assert_eq!(
        (
            diff["better"].as_u64(),
            diff["worse"].as_u64(),
            diff["changed"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    let text = stdout(&tool(
        &dir.0,
        &["diff", "counter.gdkrecord", "counter.gdkrecord"],
    ));
    let summary = text.lines().last().unwrap();
    assert!(
        summary.starts_with("0 better, 0 worse, 0 changed, "),
        "{summary}"
    );
    assert!(
        !text.contains("worse\n") && !text.contains("better\n"),
        "{text}"
    );
}

#[test]
fn diff_shows_known_differences_and_matches_surfaces_by_role() {
    let dir = scratch("known");
    let a = write(&dir.0, "before.gdkrecord", &BEFORE);
    let b = write(&dir.0, "after.gdkrecord", &AFTER);
    let output = tool(&dir.0, &["diff", &a, &b, "--json"]);
    let diff = json(&output);
    let p95 = figure(&diff, "frames.duration.p95_ms");
    assert_eq!(
        (p95["a"].as_f64(), p95["b"].as_f64()),
        (Some(5.0), Some(41.0))
    );
    assert_eq!(p95["verdict"], "worse");
    assert_eq!(p95["change"].as_f64(), Some(36.0));
    assert_eq!(p95["change_pct"].as_f64(), Some(720.0));
    let stalls = figure(&diff, "main_loop.stalls.max_ms");
    assert_eq!(
        (
            stalls["a"].as_f64(),
            stalls["b"].as_f64(),
            stalls["verdict"].as_str()
        ),
        (Some(0.0), Some(250.0), Some("worse"))
    );
    let full = figure(&diff, "damage.full_window_share");
    assert_eq!(
        (full["a"].as_f64(), full["b"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    // Surface 1 before, surface 3 after: the same role, so compared, not "only in".
    let frames = figure(&diff, "surfaces.toplevel GtkWindow #1.frames");
    assert_eq!(
        (frames["a"].as_f64(), frames["verdict"].as_str()),
        (Some(8.0), Some("same"))
    );
    assert_eq!(figure(&diff, "event_types.button-press")["verdict"], "same");
    // Reversed, worse becomes better.
    let reversed = json(&tool(&dir.0, &["diff", &b, &a, "--json"]));
    assert_eq!(
        figure(&reversed, "frames.duration.p95_ms")["verdict"],
        "better"
    );
    snapshot("diff-known.json", &stdout(&output));
    snapshot("diff-known.txt", &stdout(&tool(&dir.0, &["diff", &a, &b])));
}

#[test]
fn check_exits_0_when_budgets_hold_and_1_when_one_is_exceeded() {
    let dir = scratch("budgets");
    let a = write(&dir.0, "before.gdkrecord", &BEFORE);
    let b = write(&dir.0, "after.gdkrecord", &AFTER);
    let met = tool(
        &dir.0,
        &[
            "check",
            &a,
            "--max-frame-p95",
            "16.7ms",
            "--max-stall",
            "100ms",
            "--max-full-repaints",
            "10%",
            "--max-input-latency-p95",
            "50ms",
        ],
    );
    assert_eq!(
        met.status.code(),
        Some(0),
        "{}{}",
        stdout(&met),
        stderr(&met)
    );
    assert!(
        stdout(&met).ends_with("all 4 budgets hold\n"),
        "{}",
        stdout(&met)
    );
    let exceeded = tool(
        &dir.0,
        &[
            "check",
            &b,
            "--max-frame-p95",
            "16.7ms",
            "--max-stall",
            "100ms",
        ],
    );
    assert_eq!(exceeded.status.code(), Some(1));
    snapshot("check-exceeded.txt", &stdout(&exceeded));
    let verdict = json(&tool(
        &dir.0,
        &[
            "check",
            &b,
            "--max-frame-p95",
            "16.7ms",
            "--max-stall",
            "300ms",
            "--json",
        ],
    ));
    assert_eq!(verdict["passed"], false);
    assert_eq!(verdict["failed"], 1);
    assert_eq!(verdict["budgets"][0]["status"], "fail");
    assert_eq!(verdict["budgets"][0]["measured"].as_f64(), Some(41.0));
    assert_eq!(verdict["budgets"][1]["status"], "ok");
}

#[test]
fn check_against_a_baseline_fails_what_got_worse() {
    let dir = scratch("baseline");
    let a = write(&dir.0, "before.gdkrecord", &BEFORE);
    let b = write(&dir.0, "after.gdkrecord", &AFTER);
    let itself = tool(
        &dir.0,
        &["check", &a, "--baseline", &a, "--max-regression", "0%"],
    );
    assert_eq!(itself.status.code(), Some(0), "{}", stdout(&itself));
    let worse = tool(
        &dir.0,
        &[
            "check",
            &b,
            "--baseline",
            &a,
            "--max-regression",
            "10%",
            "--json",
        ],
    );
    assert_eq!(worse.status.code(), Some(1));
    let verdict = json(&worse);
    let status = |key: &str| {
        verdict["budgets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["figure"] == key)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("frames.duration.p95_ms"), "fail");
    assert_eq!(status("main_loop.stalls.max_ms"), "fail");
    assert_eq!(status("damage.full_window_share"), "fail");
    snapshot("check-baseline.json", &stdout(&worse));
    // Better than the baseline passes.
    let better = tool(
        &dir.0,
        &["check", &a, "--baseline", &b, "--max-regression", "10%"],
    );
    assert_eq!(better.status.code(), Some(0), "{}", stdout(&better));
}

#[test]
fn a_budget_file_holds_the_same_keys_and_its_baseline_is_beside_it() {
    let dir = scratch("budget-file");
    std::fs::create_dir_all(dir.0.join("ci")).unwrap();
    write(&dir.0, "ci/base.gdkrecord", &BEFORE);
    let b = write(&dir.0, "after.gdkrecord", &AFTER);
    std::fs::write(
        dir.0.join("ci/budget.toml"),
        "# budgets\nbaseline = \"base.gdkrecord\"\nmax_regression = 10\nmax_frame_p95 = \"50ms\"\nmax_full_repaints = \"100%\"\n",
    )
    .unwrap();
    let output = tool(
        &dir.0,
        &["check", &b, "--budget", "ci/budget.toml", "--json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let verdict = json(&output);
    assert_eq!(verdict["budgets"][0]["budget"], "max_frame_p95");
    assert_eq!(verdict["budgets"][0]["status"], "ok");
    assert!(verdict["baseline"]
        .as_str()
        .unwrap()
        .ends_with("ci/base.gdkrecord"));
    // A flag overrides the file's key.
    let flag = json(&tool(
        &dir.0,
        &[
            "check",
            &b,
            "--budget",
            "ci/budget.toml",
            "--max-frame-p95",
            "20ms",
            "--json",
        ],
    ));
    assert_eq!(flag["budgets"][0]["status"], "fail");
}

#[test]
fn check_errors_exit_2_with_one_line_naming_the_file() {
    let dir = scratch("errors");
    let a = write(&dir.0, "before.gdkrecord", &BEFORE);
    std::fs::write(dir.0.join("empty.gdkrecord"), "").unwrap();
    std::fs::write(dir.0.join("typo.toml"), "max_frame_p59 = \"16ms\"\n").unwrap();
    std::fs::write(dir.0.join("unitless.toml"), "\n\nmax_stall = \"200\"\n").unwrap();
    std::fs::write(dir.0.join("random.toml"), [0xff_u8, 0x00, 0x12, 0x80]).unwrap();
    for (args, problem) in [
        (
            vec!["check", "missing.gdkrecord", "--max-stall", "1s"],
            "missing.gdkrecord: cannot read",
        ),
        (
            vec!["check", "empty.gdkrecord", "--max-stall", "1s"],
            "empty.gdkrecord",
        ),
        (
            vec!["check", &a, "--budget", "nope.toml"],
            "nope.toml: cannot read",
        ),
        (
            vec!["check", &a, "--budget", "typo.toml"],
            "typo.toml: line 1: unknown field `max_frame_p59`",
        ),
        (
            vec!["check", &a, "--budget", "unitless.toml"],
            "unitless.toml: max_stall: `200` has no unit",
        ),
        (
            vec!["check", &a, "--budget", "random.toml"],
            "random.toml: cannot read",
        ),
        (
            vec!["check", &a, "--max-frame-p95", "fast"],
            "--max-frame-p95",
        ),
        (
            vec!["check", &a, "--max-full-repaints=-5%"],
            "--max-full-repaints",
        ),
        (vec!["check", &a], "no budget given"),
        (
            vec!["check", &a, "--max-regression", "5%"],
            "needs a baseline",
        ),
        (
            vec![
                "check",
                &a,
                "--baseline",
                "missing.gdkrecord",
                "--max-regression",
                "5%",
            ],
            "missing.gdkrecord: cannot read",
        ),
        (
            vec!["diff", &a, "missing.gdkrecord"],
            "missing.gdkrecord: cannot read",
        ),
        (vec!["diff", "empty.gdkrecord", &a], "empty.gdkrecord"),
    ] {
        let output = tool(&dir.0, &args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("gdkrecord-tool: ") && err.contains(problem),
            "{args:?}: {err}"
        );
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}
