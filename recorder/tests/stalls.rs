//! GUI tests of main-loop timing and stall detection: the `blocker` and `counter`
//! samples under a private Xvfb, the recorder loaded through `GTK_PATH` (the directory
//! `gdkrecord-tool module-dir` prints), clicks and keys sent with xdotool, recordings
//! read back with `gdkrecord_format::Reader` and with `gdkrecord-tool stalls`.
//!
//! The programs run with `GSK_RENDERER=cairo`: on Xvfb the GL renderer is llvmpipe,
//! whose shader compilation really blocks the main loop for 100-200 ms now and then;
//! those are true stalls (the tool shows them inside libLLVM), but they would make the
//! counts below depend on the machine. For the same reason the checks count the stalls
//! after start-up (the end of the first painted frame): GTK's own start-up can pass the
//! 100 ms threshold on a loaded machine.
//!
//! `harness = false`: one X server and pointer for all tests, so they run one after the
//! other. Prints `N passed, N failed`; exits non-zero on failure. Needs Xvfb, xdotool,
//! and `cargo build --workspace --all-targets` (binaries are found beside the test
//! executable). The harness is shared with the `gui` tests (`support`).

#[macro_use]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use gdkrecord_format::{Dispatch, LoopSummary, Reader, Record, Stall};

use support::{Ctx, Suite, Test, TestResult};

/// The centre of the blocker's button, window coordinates (samples/src/bin/blocker.rs).
const BLOCK_BUTTON: (i32, i32) = (100, 50);
/// How long to wait for what should happen quickly (a failure, not a measurement).
const PATIENCE: Duration = Duration::from_secs(30);
const HANDLER: &str = "blocker::block_main_loop_for_300ms";

impl Ctx {
    /// A command for one of our samples, drawn with cairo (see the module docs).
    fn sample_command(&self, sample: &str, log: &Path) -> Command {
        let mut command = self.gtk_command(self.bin(sample), log);
        command.env("GSK_RENDERER", "cairo");
        command
    }

    /// Sends `key` to `window` (XSendEvent, not XTEST: no focus needed).
    fn key(&self, window: &str, key: &str) -> TestResult {
        self.xdotool(&["key", "--window", window, key]).map(drop)
    }

    /// Runs `gdkrecord-tool`: whether it succeeded, its stdout and its stderr.
    fn tool(&self, args: &[&str]) -> Result<(bool, String, String), String> {
        let output = Command::new(self.bin("gdkrecord-tool"))
            .args(args)
            .output()
            .map_err(|e| format!("cannot run gdkrecord-tool: {e}"))?;
        Ok((
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }
}

fn read_log(path: &Path) -> Result<Vec<Record>, String> {
    let reader = Reader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// When the program's start-up ended: the end of its first painted frame. GTK's own
/// start-up (CSS, fonts, the first layout and paint) can keep the main loop busy past
/// the stall threshold on a loaded machine; the tests judge the program after it.
fn startup_end(records: &[Record]) -> u64 {
    records
        .iter()
        .find_map(|r| match r {
            Record::Frame(f) if f.paint.is_some() => Some(f.end_ns),
            _ => None,
        })
        .unwrap_or(0)
}

/// The stalls that started after start-up.
fn stalls(records: &[Record]) -> Vec<&Stall> {
    let after = startup_end(records);
    records
        .iter()
        .filter_map(|r| match r {
            Record::Stall(s) if s.t_ns >= after => Some(s),
            _ => None,
        })
        .collect()
}

/// The stack samples of the stalls that started after start-up.
fn stall_samples(records: &[Record]) -> usize {
    let after = startup_end(records);
    records
        .iter()
        .filter(|r| matches!(r, Record::StallSample(s) if s.stall_start_ns >= after))
        .count()
}

fn loop_summaries(records: &[Record]) -> Vec<&LoopSummary> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::LoopSummary(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn dispatches(records: &[Record]) -> Vec<&Dispatch> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Dispatch(d) = r {
                Some(d)
            } else {
                None
            }
        })
        .collect()
}

/// Three clicks on the blocker's button: three stalls of about 300 ms whose stacks, as
/// `gdkrecord-tool stalls` names them, go through the handler; the 30 ms timeout's
/// dispatches with their duration; the worker thread's own context untouched; the
/// program's own checks (g_idle_remove_by_data, full g_usleep) pass.
fn blocker_clicked_three_times(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("blocker");
    let mut app = ctx.spawn(ctx.sample_command("blocker", &log))?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    let mut blocked = Vec::new();
    for click in 0..3 {
        ctx.click(&window, BLOCK_BUTTON, 1)?;
        if click == 2 {
            // A key typed (XTEST, to the window under the pointer) while the app is
            // blocked: the tool must show it as the input that waited.
            std::thread::sleep(Duration::from_millis(100));
            ctx.xdotool(&["key", "a"])?;
        }
        blocked.push(app.lines_until("blocked ")?.1);
        // Let the loop idle between clicks so the stalls stay apart.
        std::thread::sleep(Duration::from_millis(400));
    }
    // Let the 500 ms timeout run a few more times.
    std::thread::sleep(Duration::from_millis(1200));
    ctx.key(&window, "q")?;
    let (_, ticks) = app.lines_until("worker ticks ")?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "blocker exited with {status}: {stderr}");

    let records = read_log(&log)?;
    let stalls = stalls(&records);
    ensure!(
        stalls.len() == 3,
        "{} stalls instead of 3: {stalls:#?} (app printed {blocked:?})",
        stalls.len()
    );
    for stall in &stalls {
        ensure!(
            (250.0..=450.0).contains(&stall.duration_ms),
            "stall of {} ms",
            stall.duration_ms
        );
        ensure!(
            stall.samples >= 1 && !stall.stack.is_empty(),
            "stall without a stack sample: {stall:?}"
        );
        ensure!(
            stall
                .source
                .as_deref()
                .is_some_and(|s| s.starts_with("GDK X11 Event source")),
            "the click's stall is not named after GDK's event source: {:?}",
            stall.source
        );
    }
    let samples = stall_samples(&records);
    ensure!(
        samples as u32 == stalls.iter().map(|s| s.samples).sum::<u32>(),
        "{samples} stall-sample records"
    );

    let burns: Vec<_> = dispatches(&records)
        .into_iter()
        .filter(|d| d.source_type == "timeout" && d.priority == 0 && d.source.is_none())
        .collect();
    ensure!(
        burns.len() >= 4,
        "only {} dispatches of the 30 ms timeout: {burns:?}",
        burns.len()
    );
    for burn in &burns {
        let ms = burn.duration_ns as f64 / 1e6;
        ensure!(
            (29.0..200.0).contains(&ms),
            "the 30 ms timeout dispatch took {ms} ms"
        );
        let module = burn
            .callback
            .as_ref()
            .and_then(|c| c.module.as_deref())
            .unwrap_or_default();
        ensure!(
            module.ends_with("/blocker"),
            "timeout callback not in the blocker: {:?}",
            burn.callback
        );
    }
    ensure!(
        dispatches(&records)
            .iter()
            .all(|d| d.source.as_deref() != Some("blocker-worker")),
        "a dispatch of the worker thread's own context was recorded"
    );
    ensure!(
        !ticks.ends_with(" 0"),
        "the worker's timeout did not run: {ticks}"
    );
    let iterations: u64 = loop_summaries(&records).iter().map(|s| s.iterations).sum();
    ensure!(
        iterations > 10,
        "only {iterations} iterations in loop-summary records"
    );

    // The tool names the handler in each stall's stack from the executable's .symtab.
    let log_arg = log.to_string_lossy();
    let after_startup = format!("{}ns", startup_end(&records));
    let (ok, out, err) = ctx.tool(&["stalls", &log_arg, "--from", &after_startup])?;
    ensure!(ok, "gdkrecord-tool stalls failed: {err}");
    ensure!(out.starts_with("3 stalls, "), "unexpected summary: {out}");
    let blocks: Vec<&str> = out.split("\nstall at ").skip(1).collect();
    ensure!(blocks.len() == 3, "{} stalls listed: {out}", blocks.len());
    for block in &blocks {
        ensure!(
            block.contains(HANDLER),
            "a stall's stack does not name {HANDLER}: {block}"
        );
    }
    for block in &blocks[..2] {
        ensure!(
            block.contains("during input: button-release"),
            "no triggering input shown: {block}"
        );
    }
    let waited = blocks[2]
        .split_once("waiting input: key-press delivered at ")
        .and_then(|(_, rest)| rest.split_once(" after waiting "))
        .and_then(|(_, rest)| rest.split_once(" ms"))
        .and_then(|(ms, _)| ms.parse::<f64>().ok());
    // Typed during a 300 ms block (when exactly depends on xdotool's start-up): it
    // waited for the rest of the block.
    ensure!(
        waited.is_some_and(|ms| ms > 0.0 && ms <= 320.0),
        "the key typed during the third stall is not shown as waiting: {}",
        blocks[2]
    );
    let (ok, grouped, err) =
        ctx.tool(&["stalls", "--group", &log_arg, "--from", &after_startup])?;
    ensure!(ok, "gdkrecord-tool stalls --group failed: {err}");
    let counted: u32 = grouped
        .lines()
        .filter_map(|l| {
            l.split_once(" \u{d7} stack")
                .and_then(|(n, _)| n.parse::<u32>().ok())
        })
        .sum();
    ensure!(
        counted == 3 && grouped.contains(HANDLER),
        "groups do not add up to the 3 stalls: {grouped}"
    );
    let (ok, json, err) = ctx.tool(&["stalls", "--json", &log_arg, "--from", &after_startup])?;
    ensure!(ok, "gdkrecord-tool stalls --json failed: {err}");
    let json: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("stalls --json: {e}: {json}"))?;
    let listed = json["stalls"].as_array().map_or(&[][..], Vec::as_slice);
    ensure!(
        listed.len() == 3
            && listed.iter().all(|s| {
                s["stack"].as_array().is_some_and(|stack| {
                    stack
                        .iter()
                        .any(|f| f["function"].as_str() == Some(HANDLER))
                })
            }),
        "stalls --json does not list 3 stalls through {HANDLER}: {json}"
    );
    let (ok, _, err) = ctx.tool(&[
        "stalls",
        &ctx.work.join("missing.gdkrecord").to_string_lossy(),
    ])?;
    ensure!(
        !ok && err.contains("missing.gdkrecord") && err.lines().count() == 1,
        "missing file: {err}"
    );
    Ok(())
}

/// The counter sample, left alone, never blocks its loop: no stall, but iterations.
fn idle_app_records_no_stall(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("counter");
    let mut command = ctx.sample_command("counter", &log);
    command.args(["--exit-after", "3"]);
    let mut app = ctx.spawn(command)?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    let records = read_log(&log)?;
    let stalls = stalls(&records);
    ensure!(
        stalls.is_empty(),
        "an idle app recorded stalls: {stalls:#?}"
    );
    ensure!(
        stall_samples(&records) == 0,
        "an idle app recorded stall samples"
    );
    let summaries = loop_summaries(&records);
    let iterations: u64 = summaries.iter().map(|s| s.iterations).sum();
    ensure!(
        iterations > 5,
        "only {iterations} iterations in loop-summary records"
    );
    // The 500 ms blink timer: the loop mostly sleeps.
    let polled: u64 = summaries.iter().map(|s| s.poll_ns).sum();
    ensure!(
        polled > 1_500_000_000,
        "the idle app slept only {polled} ns in 3 s"
    );
    // One record per second at most, not one per iteration; each one's stretch follows
    // the one before and stays within its second unless it is one long poll.
    ensure!(
        summaries.len() <= 5,
        "{} loop-summary records for 3 s",
        summaries.len()
    );
    for pair in summaries.windows(2) {
        ensure!(
            pair[0].end_ns() == pair[1].t_ns,
            "a gap between stretches: {pair:?}"
        );
    }
    for summary in &summaries {
        let last_second = (summary.end_ns() - 1) / 1_000_000_000;
        ensure!(
            summary.t_ns / 1_000_000_000 == last_second || summary.work_ns == 0,
            "a stretch with work crosses a second: {summary:?}"
        );
    }
    let after_startup = format!("{}ns", startup_end(&records));
    let (ok, out, err) = ctx.tool(&["stalls", &log.to_string_lossy(), "--from", &after_startup])?;
    ensure!(
        ok && out.starts_with("0 stalls"),
        "tool on a stall-free log: {out} {err}"
    );
    Ok(())
}

/// A program killed while hung keeps its stack samples; the tool reports the stall as
/// ongoing at the end, with the hanging function named.
fn killed_while_hung_keeps_samples(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("hung");
    let mut app = ctx.spawn(ctx.sample_command("blocker", &log))?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    ctx.key(&window, "h")?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let samples = read_log(&log)
            .map(|r| {
                r.iter()
                    .filter(|r| matches!(r, Record::StallSample(_)))
                    .count()
            })
            .unwrap_or(0);
        if samples >= 2 {
            break;
        }
        ensure!(Instant::now() < deadline, "no stall samples while hung");
        std::thread::sleep(Duration::from_millis(100));
    }
    app.kill9();
    let (ok, out, err) = ctx.tool(&["stalls", &log.to_string_lossy()])?;
    ensure!(
        ok,
        "gdkrecord-tool stalls failed on a killed recording: {err}"
    );
    ensure!(
        out.contains("ongoing at end"),
        "hang not reported as ongoing: {out}"
    );
    ensure!(
        out.contains("blocker::hang_main_loop_forever"),
        "hanging function not named: {out}"
    );
    ensure!(
        err.contains("no end record"),
        "no warning about the missing end: {err}"
    );
    Ok(())
}

/// Context switches (voluntary + involuntary) of each thread of `pid`, by name.
fn thread_switches(pid: u32) -> Result<Vec<(String, u64)>, String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|e| e.to_string())?;
    let mut threads = Vec::new();
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_owned())
        };
        let switches = ["voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"]
            .iter()
            .filter_map(|f| field(f)?.parse::<u64>().ok())
            .sum();
        let name = if task.file_name().to_string_lossy() == pid.to_string() {
            "main".to_owned()
        } else {
            field("Name:").unwrap_or_default()
        };
        threads.push((name, switches));
    }
    threads.sort();
    Ok(threads)
}

/// Switches of the threads whose name starts with `prefix`, summed.
fn switches_of(threads: &[(String, u64)], prefix: &str) -> u64 {
    threads
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, n)| n)
        .sum()
}

/// How long the app's main thread must not have woken for the app to count as idle.
const IDLE_QUIET: Duration = Duration::from_millis(500);
/// How long wake-ups are counted once it is.
const IDLE_WINDOW: Duration = Duration::from_secs(3);

/// A recorded app whose main loop sleeps (no cursor blink, no input): the recorder's
/// writer thread and stall watchdog do not wake at all, counted from the kernel's
/// context-switch counts of each thread over a few seconds.
fn idle_app_wakes_no_recorder_thread(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("idle-wake-ups");
    let config = ctx.work.join("no-blink");
    std::fs::create_dir_all(config.join("gtk-4.0")).map_err(|e| e.to_string())?;
    std::fs::write(
        config.join("gtk-4.0/settings.ini"),
        "[Settings]\ngtk-cursor-blink=false\n",
    )
    .map_err(|e| e.to_string())?;
    let mut command = ctx.sample_command("counter", &log);
    command
        .args(["--print-layout", "--still"])
        .env("XDG_CONFIG_HOME", &config);
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    let pid = app.pid();
    ctx.window_of(pid)?;
    let deadline = Instant::now() + PATIENCE;
    let mut figures = None;
    while figures.is_none() {
        ensure!(
            Instant::now() < deadline,
            "the app never stayed idle for {IDLE_WINDOW:?}: {:?}",
            thread_switches(pid)?
        );
        // Idle: the main thread has not woken for IDLE_QUIET.
        let mut quiet_since = Instant::now();
        let mut main = switches_of(&thread_switches(pid)?, "main");
        while quiet_since.elapsed() < IDLE_QUIET {
            std::thread::sleep(Duration::from_millis(50));
            let now = switches_of(&thread_switches(pid)?, "main");
            if now != main {
                (main, quiet_since) = (now, Instant::now());
            }
            ensure!(
                Instant::now() < deadline,
                "the app never went idle: {:?}",
                thread_switches(pid)?
            );
        }
        let before = thread_switches(pid)?;
        std::thread::sleep(IDLE_WINDOW);
        let after = thread_switches(pid)?;
        let woke = |prefix| switches_of(&after, prefix) - switches_of(&before, prefix);
        // The main thread woke: not idle all along, count again.
        if woke("main") == 0 {
            figures = Some((woke("gdkrecord-write"), woke("gdkrecord-stall"), after));
        }
    }
    // The thread names as /proc gives them: cut to 15 bytes.
    let (writer, watchdog, threads) = figures.unwrap_or_default();
    println!(
        "idle app, {IDLE_WINDOW:?}: writer thread woke {writer} times, stall watchdog {watchdog}"
    );
    ensure!(
        switches_of(&threads, "gdkrecord-write") > 0
            && switches_of(&threads, "gdkrecord-stall") > 0,
        "the recorder's threads are not there: {threads:?}"
    );
    ensure!(
        writer == 0 && watchdog == 0,
        "while the app idled {IDLE_WINDOW:?}, the writer woke {writer} times and the watchdog {watchdog}"
    );
    app.kill9();
    Ok(())
}

fn main() -> std::process::ExitCode {
    let tests: [Test; 4] = [
        (
            "idle_app_wakes_no_recorder_thread",
            idle_app_wakes_no_recorder_thread,
        ),
        ("blocker_clicked_three_times", blocker_clicked_three_times),
        ("idle_app_records_no_stall", idle_app_records_no_stall),
        (
            "killed_while_hung_keeps_samples",
            killed_while_hung_keeps_samples,
        ),
    ];
    support::run(
        Suite {
            name: "stalls",
            binaries: &["blocker", "counter"],
            patience: PATIENCE,
        },
        &tests,
    )
}
