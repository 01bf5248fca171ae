//! GUI tests of main-loop timing and stall detection: the `blocker` and `counter`
//! samples under a private Xvfb, the recorder loaded through `GTK_PATH` (the directory
//! `gdkrecord-tool module-dir` prints), clicks and keys sent with xdotool, recordings
//! read back with `gdkrecord_format::Reader` and with `gdkrecord-tool stalls`.
//!
//! The programs run with `GSK_RENDERER=cairo`: on Xvfb the GL renderer is llvmpipe,
//! whose shader compilation really blocks the main loop for 100-200 ms now and then;
//! those are true stalls (the tool shows them inside libLLVM), but they would make the
//! counts below depend on the machine.
//!
//! `harness = false`: one X server and pointer for all tests, so they run one after the
//! other. Prints `N passed, N failed`; exits non-zero on failure. Needs Xvfb, xdotool,
//! and `cargo build --workspace` (binaries are found beside the test executable).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gdkrecord_format::{Dispatch, Reader, Record, Stall};

type TestResult = Result<(), String>;
/// A test: its name and its function.
type Test = (&'static str, fn(&Ctx) -> TestResult);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// The centre of the blocker's button, window coordinates (samples/src/bin/blocker.rs).
const BLOCK_BUTTON: (i32, i32) = (100, 50);
/// How long to wait for what should happen quickly (a failure, not a measurement).
const PATIENCE: Duration = Duration::from_secs(30);
const HANDLER: &str = "blocker::block_main_loop_for_300ms";

struct Ctx {
    display: String,
    module_dir: PathBuf,
    bin_dir: PathBuf,
    work: PathBuf,
}

/// The private X server, killed (by pid) when dropped.
struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_xvfb() -> Result<(Xvfb, String), String> {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Xvfb (apt-get install xvfb): {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no Xvfb stdout")?;
    let xvfb = Xvfb(child);
    let mut number = String::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).map_err(|e| e.to_string())? == 1 && byte[0] != b'\n' {
        number.push(byte[0] as char);
    }
    ensure!(
        !number.trim().is_empty(),
        "Xvfb did not report its display number"
    );
    Ok((xvfb, format!(":{}", number.trim())))
}

impl Ctx {
    fn gtk_command(&self, program: &str, log: &Path) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        command
            .current_dir(&self.work)
            .env("DISPLAY", &self.display)
            .env("GDK_BACKEND", "x11")
            .env("GSK_RENDERER", "cairo")
            .env("GTK_PATH", &self.module_dir)
            .env("GDKRECORD_FILENAME", log)
            .env("NO_AT_BRIDGE", "1")
            .env("GSETTINGS_BACKEND", "memory")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("GDKRECORD_STALL_MS")
            .env_remove("GDKRECORD_DISPATCH_US")
            .env_remove("GDKRECORD_MAINLOOP")
            .stdin(Stdio::null());
        command
    }

    fn xdotool(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("timeout")
            .arg("20")
            .arg("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .map_err(|e| format!("cannot run xdotool (apt-get install xdotool): {e}"))?;
        ensure!(
            output.status.success(),
            "xdotool {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    fn window_of(&self, pid: u32) -> Result<String, String> {
        let found = self.xdotool(&[
            "search",
            "--sync",
            "--onlyvisible",
            "--pid",
            &pid.to_string(),
        ])?;
        found
            .lines()
            .last()
            .map(str::to_owned)
            .ok_or_else(|| format!("no window for pid {pid}"))
    }

    fn click(&self, window: &str, at: (i32, i32)) -> TestResult {
        self.xdotool(&[
            "mousemove",
            "--window",
            window,
            &at.0.to_string(),
            &at.1.to_string(),
            "click",
            "1",
        ])
        .map(drop)
    }

    fn key(&self, window: &str, key: &str) -> TestResult {
        self.xdotool(&["key", "--window", window, key]).map(drop)
    }

    fn tool(&self, args: &[&str]) -> Result<(bool, String, String), String> {
        let output = Command::new(self.bin_dir.join("gdkrecord-tool"))
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

/// A running program; killed if still running when dropped.
struct App {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl App {
    fn spawn(mut command: Command) -> Result<App, String> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().ok_or("no stderr")?;
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Ok(App {
            child,
            lines,
            stderr: Some(stderr),
        })
    }

    /// Waits for a stdout line starting with `prefix`, and returns it.
    fn line_starting(&self, prefix: &str) -> Result<String, String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line.starts_with(prefix) => return Ok(line),
                Ok(_) => {}
                Err(_) => return Err(format!("no `{prefix}` line on stdout")),
            }
        }
    }

    fn wait(&mut self) -> Result<(ExitStatus, String), String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                let stderr = self
                    .stderr
                    .take()
                    .map(|h| h.join().unwrap_or_default())
                    .unwrap_or_default();
                return Ok((status, stderr));
            }
            ensure!(Instant::now() < deadline, "program did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_log(path: &Path) -> Result<Vec<Record>, String> {
    let reader = Reader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn stalls(records: &[Record]) -> Vec<&Stall> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Stall(s) = r {
                Some(s)
            } else {
                None
            }
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
    let log = ctx.work.join("blocker.gdkrecord");
    let mut app = App::spawn(ctx.gtk_command("blocker", &log))?;
    app.line_starting("ready")?;
    let window = ctx.window_of(app.child.id())?;
    let mut blocked = Vec::new();
    for click in 0..3 {
        ctx.click(&window, BLOCK_BUTTON)?;
        if click == 2 {
            // A key typed (XTEST, to the window under the pointer) while the app is
            // blocked: the tool must show it as the input that waited.
            std::thread::sleep(Duration::from_millis(100));
            ctx.xdotool(&["key", "a"])?;
        }
        blocked.push(app.line_starting("blocked ")?);
        // Let the loop idle between clicks so the stalls stay apart.
        std::thread::sleep(Duration::from_millis(400));
    }
    // Let the 500 ms timeout run a few more times.
    std::thread::sleep(Duration::from_millis(1200));
    ctx.key(&window, "q")?;
    let ticks = app.line_starting("worker ticks ")?;
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
    let samples = records
        .iter()
        .filter(|r| matches!(r, Record::StallSample(_)))
        .count();
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
    let iterations = records
        .iter()
        .filter(|r| matches!(r, Record::LoopIteration(_)))
        .count();
    ensure!(iterations > 10, "only {iterations} loop-iteration records");

    // The tool names the handler in each stall's stack from the executable's .symtab.
    let log_arg = log.to_string_lossy();
    let (ok, out, err) = ctx.tool(&["stalls", &log_arg])?;
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
    let (ok, grouped, err) = ctx.tool(&["stalls", "--group", &log_arg])?;
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
    let (ok, json, err) = ctx.tool(&["stalls", "--json", &log_arg])?;
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
    let log = ctx.work.join("counter.gdkrecord");
    let mut command = ctx.gtk_command("counter", &log);
    command.args(["--exit-after", "3"]);
    let mut app = App::spawn(command)?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    let records = read_log(&log)?;
    let stalls = stalls(&records);
    ensure!(
        stalls.is_empty(),
        "an idle app recorded stalls: {stalls:#?}"
    );
    ensure!(
        !records.iter().any(|r| matches!(r, Record::StallSample(_))),
        "an idle app recorded stall samples"
    );
    let iterations: Vec<_> = records
        .iter()
        .filter_map(|r| {
            if let Record::LoopIteration(i) = r {
                Some(i)
            } else {
                None
            }
        })
        .collect();
    ensure!(
        iterations.len() > 5,
        "only {} loop-iteration records",
        iterations.len()
    );
    // The 500 ms blink timer: the loop mostly sleeps.
    let polled: u64 = iterations.iter().map(|i| i.poll_ns).sum();
    ensure!(
        polled > 1_500_000_000,
        "the idle app slept only {polled} ns in 3 s"
    );
    let (ok, out, err) = ctx.tool(&["stalls", &log.to_string_lossy()])?;
    ensure!(
        ok && out.starts_with("0 stalls"),
        "tool on a stall-free log: {out} {err}"
    );
    Ok(())
}

/// A program killed while hung keeps its stack samples; the tool reports the stall as
/// ongoing at the end, with the hanging function named.
fn killed_while_hung_keeps_samples(ctx: &Ctx) -> TestResult {
    let log = ctx.work.join("hung.gdkrecord");
    let mut app = App::spawn(ctx.gtk_command("blocker", &log))?;
    app.line_starting("ready")?;
    let window = ctx.window_of(app.child.id())?;
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
    // SAFETY: our own child's pid.
    unsafe { libc::kill(app.child.id() as i32, libc::SIGKILL) };
    let _ = app.wait()?;
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

fn setup() -> Result<(Xvfb, Ctx), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/deps/stalls-<hash> -> target/<profile>
    let bin_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("odd test executable path")?
        .to_path_buf();
    for name in ["libgdkrecord.so", "blocker", "counter", "gdkrecord-tool"] {
        ensure!(
            bin_dir.join(name).exists(),
            "{} is missing: run `cargo build --workspace` first",
            bin_dir.join(name).display()
        );
    }
    let output = Command::new(bin_dir.join("gdkrecord-tool"))
        .arg("module-dir")
        .env_remove("GDKRECORD_MODULE")
        .output()
        .map_err(|e| format!("cannot run gdkrecord-tool module-dir: {e}"))?;
    ensure!(
        output.status.success(),
        "gdkrecord-tool module-dir failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let module_dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let work = std::env::temp_dir().join(format!("gdkrecord-stalls-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let (xvfb, display) = start_xvfb()?;
    Ok((
        xvfb,
        Ctx {
            display,
            module_dir,
            bin_dir,
            work,
        },
    ))
}

fn main() -> std::process::ExitCode {
    let tests: [Test; 3] = [
        ("blocker_clicked_three_times", blocker_clicked_three_times),
        ("idle_app_records_no_stall", idle_app_records_no_stall),
        (
            "killed_while_hung_keeps_samples",
            killed_while_hung_keeps_samples,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (xvfb, ctx) = match setup() {
        Ok(setup) => setup,
        Err(error) => {
            eprintln!("stall tests cannot start: {error}");
            println!("0 passed, {} failed", tests.len());
            return std::process::ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        match test(&ctx) {
            Ok(()) => {
                passed += 1;
                println!(
                    "test {name} ... ok ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
            Err(error) => {
                failed += 1;
                println!("test {name} ... FAILED: {error}");
            }
        }
    }
    drop(xvfb);
    if failed == 0 {
        let _ = std::fs::remove_dir_all(&ctx.work);
    } else {
        println!("logs kept in {}", ctx.work.display());
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
