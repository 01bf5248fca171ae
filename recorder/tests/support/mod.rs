//! The harness shared by the recorder's GUI test binaries (`gui`, `robustness`,
//! `other_apps`, `stalls`, `pixels`, `gtk3`, and the tool's `replay`): a private Xvfb,
//! programs started with the recorder loaded the way users load it
//! (`GTK_PATH=$(gdkrecord-tool module-dir)`), input sent with xdotool, and a test runner
//! for `harness = false` binaries.
//!
//! The runner runs the tests one after the other (one X server and pointer for all),
//! prints `test NAME ... ok` or `test NAME ... FAILED: why` for each, then
//! `N passed, N failed`; on failure it keeps the recordings and exits non-zero.
//! Arguments not starting with `-` select the tests whose name contains one of them.

use std::ffi::OsStr;
use std::fmt::Display;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Fails the test with a message unless `cond`.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

pub type TestResult = Result<(), String>;
/// A test: its name and its function.
pub type Test = (&'static str, fn(&Ctx) -> TestResult);

/// What differs between the test binaries.
pub struct Suite {
    /// Names the binary in messages and its work directory (`gdkrecord-<name>-<pid>`).
    pub name: &'static str,
    /// Programs of the workspace the tests run, besides `libgdkrecord.so` and
    /// `gdkrecord-tool` (which every suite needs), found beside the test executable.
    pub binaries: &'static [&'static str],
    /// How long to wait for what a program should do quickly (a failure, not a measure).
    pub patience: Duration,
}

/// What a test works with: the private display, the recorder and the built programs.
pub struct Ctx {
    pub display: String,
    pub module_dir: PathBuf,
    #[allow(dead_code)] // read by `bin`, which not every test binary uses
    pub bin_dir: PathBuf,
    /// A fresh directory for the recordings; removed when every test passed.
    pub work: PathBuf,
    patience: Duration,
}

/// The private X server, killed (by pid) when dropped.
struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `Xvfb -displayfd`, which tells us its display number once it accepts clients:
/// a free number of its choosing, or the first free one of `GDKRECORD_TEST_DISPLAYS`
/// (`71-74`: for machines where display numbers are shared out between people).
fn start_xvfb() -> Result<(Xvfb, String), String> {
    let range = std::env::var("GDKRECORD_TEST_DISPLAYS").ok();
    let numbers: Vec<Option<u32>> = match range.as_deref().and_then(|r| r.split_once('-')) {
        Some((first, last)) => {
            let first: u32 = first
                .trim()
                .parse()
                .map_err(|_| "GDKRECORD_TEST_DISPLAYS: not N-M")?;
            let last: u32 = last
                .trim()
                .parse()
                .map_err(|_| "GDKRECORD_TEST_DISPLAYS: not N-M")?;
            (first..=last).map(Some).collect()
        }
        None => vec![None],
    };
    let mut last_error = String::from("GDKRECORD_TEST_DISPLAYS is an empty range");
    for number in numbers {
        match start_xvfb_on(number) {
            Ok(started) => return Ok(started),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

/// Starts Xvfb on display `number` (None: any free one).
fn start_xvfb_on(number: Option<u32>) -> Result<(Xvfb, String), String> {
    let mut command = Command::new("Xvfb");
    if let Some(number) = number {
        command.arg(format!(":{number}"));
    }
    let mut child = command
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x1024x24",
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
        "Xvfb did not report its display number (taken?)"
    );
    Ok((xvfb, format!(":{}", number.trim())))
}

impl Ctx {
    /// A program built by the workspace.
    #[allow(dead_code)] // not every test binary runs one (`other_apps`, `gtk3_pixels`)
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// Where the test named `name` has its program record.
    pub fn log_path(&self, name: &str) -> PathBuf {
        self.work.join(format!("{name}.gdkrecord"))
    }

    /// A command for a GTK program with the recorder loaded the way users load it, with
    /// the recorder's default settings whatever the caller's environment holds.
    pub fn gtk_command(&self, program: impl AsRef<OsStr>, log: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(&self.work)
            .env("DISPLAY", &self.display)
            .env("GDK_BACKEND", "x11")
            .env("GTK_PATH", &self.module_dir)
            .env("GDKRECORD_FILENAME", log)
            .env("NO_AT_BRIDGE", "1")
            .env("GSETTINGS_BACKEND", "memory")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("GDKRECORD_STALL_MS")
            .env_remove("GDKRECORD_DISPATCH_US")
            .env_remove("GDKRECORD_MAINLOOP")
            .env_remove("GDKRECORD_KEYS")
            .env_remove("GDKRECORD_PIXELS")
            .stdin(Stdio::null());
        command
    }

    /// Starts `command` (from [`Ctx::gtk_command`] or not), reading its output.
    pub fn spawn(&self, mut command: Command) -> Result<App, String> {
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
            patience: self.patience,
        })
    }

    /// Runs xdotool on our display; its trimmed stdout.
    pub fn xdotool(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("timeout")
            .arg(self.patience.as_secs().max(1).to_string())
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

    /// The visible X window of process `pid`.
    pub fn window_of(&self, pid: u32) -> Result<String, String> {
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

    /// The size of X window `window` (`xdotool getwindowgeometry`).
    #[allow(dead_code)] // not every test binary resizes
    pub fn window_size(&self, window: &str) -> Result<(i32, i32), String> {
        let geometry = self.xdotool(&["getwindowgeometry", window])?;
        geometry
            .lines()
            .find_map(|l| l.trim().strip_prefix("Geometry: "))
            .and_then(|g| g.split_once('x'))
            .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)))
            .ok_or(format!("cannot parse {geometry:?}"))
    }

    /// Resizes X window `window` and waits until the server has done it.
    #[allow(dead_code)] // not every test binary resizes
    pub fn resize(&self, window: &str, width: i32, height: i32) -> TestResult {
        self.xdotool(&[
            "windowsize",
            "--sync",
            window,
            &width.to_string(),
            &height.to_string(),
        ])
        .map(drop)
    }

    /// The input the tests send to apps we did not write: a click near the bottom middle
    /// of `window` (away from a header bar's buttons), a Shift key, then the resize to
    /// `resize` if any. Returns where it clicked (window coordinates).
    #[allow(dead_code)] // for the suites that run other programs
    pub fn click_key_and_resize(
        &self,
        window: &str,
        resize: Option<(i32, i32)>,
    ) -> Result<(f64, f64), String> {
        self.xdotool(&["windowfocus", "--sync", window])?;
        let (width, height) = self.window_size(window)?;
        let at = (f64::from(width / 2), f64::from(height - 12));
        self.click(window, at, 1)?;
        self.xdotool(&["key", "shift"])?;
        if let Some((w, h)) = resize {
            self.resize(window, w, h)?;
        }
        Ok(at)
    }

    /// Moves the pointer to `at` in `window` (window coordinates) and clicks `button`.
    pub fn click(&self, window: &str, at: (impl Display, impl Display), button: u32) -> TestResult {
        self.xdotool(&[
            "mousemove",
            "--window",
            window,
            &at.0.to_string(),
            &at.1.to_string(),
            "click",
            &button.to_string(),
        ])
        .map(drop)
    }
}

/// A running program; killed if still running when dropped.
pub struct App {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
    patience: Duration,
}

impl App {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line starting with `prefix`; returns the lines before it and it.
    pub fn lines_until(&self, prefix: &str) -> Result<(Vec<String>, String), String> {
        let deadline = Instant::now() + self.patience;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return Ok((before, line)),
                Ok(line) => before.push(line),
                Err(_) => return Err(format!("no `{prefix}` line on stdout (got {before:?})")),
            }
        }
    }

    /// Waits for the program to exit; its status and everything it wrote to stderr.
    pub fn wait(&mut self) -> Result<(ExitStatus, String), String> {
        let deadline = Instant::now() + self.patience;
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

    /// Kills the program with SIGKILL (no chance to clean up) and reaps it.
    #[allow(dead_code)] // not every test binary kills its app
    pub fn kill9(&mut self) {
        // SAFETY: kill(2) on our own child's pid, not yet reaped (we wait just after).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
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

/// Finds the built programs, asks `gdkrecord-tool module-dir` where the recorder is,
/// makes the work directory and starts the X server.
fn setup(suite: &Suite) -> Result<(Xvfb, Ctx), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/deps/<test>-<hash> -> target/<profile>
    let bin_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("odd test executable path")?
        .to_path_buf();
    let needed = ["libgdkrecord.so", "gdkrecord-tool"];
    for name in needed.iter().chain(suite.binaries) {
        ensure!(
            bin_dir.join(name).exists(),
            "{} is missing: run `cargo build --workspace --all-targets` first",
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
    ensure!(
        module_dir.join("4.0.0/media/libgdkrecord.so").exists(),
        "module-dir printed {}, which holds no 4.0.0/media/libgdkrecord.so",
        module_dir.display()
    );
    let work =
        std::env::temp_dir().join(format!("gdkrecord-{}-{}", suite.name, std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let (xvfb, display) = start_xvfb()?;
    Ok((
        xvfb,
        Ctx {
            display,
            module_dir,
            bin_dir,
            work,
            patience: suite.patience,
        },
    ))
}

/// Runs the selected `tests` one after the other; the binary's exit code.
pub fn run(suite: Suite, tests: &[Test]) -> ExitCode {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (xvfb, ctx) = match setup(&suite) {
        Ok(setup) => setup,
        Err(error) => {
            eprintln!("{} tests cannot start: {error}", suite.name);
            println!("0 passed, {} failed", tests.len());
            return ExitCode::FAILURE;
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
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
