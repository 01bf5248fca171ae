//! GUI tests of the recorder: real GTK 4 programs (our `counter` sample, Debian's
//! gtk4-widget-factory, a PyGObject script) under a private Xvfb, loaded through the real
//! path (`GTK_PATH=$(gdkrecord-tool module-dir)`), driven with xdotool (XTEST input),
//! their recordings read back with `gdkrecord_format::Reader`.
//!
//! `harness = false`: GTK programs are separate processes, but the X server and input
//! are shared, so the tests run one after the other. Prints `N passed, N failed` and
//! exits non-zero on failure. Needs Xvfb and xdotool; the binaries are found beside the
//! test executable (`cargo build --workspace --all-targets` builds them).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gdkrecord_format::{
    Damage, Event, EventType, Frame, Problem, ReadIssue, Reader, Record, Size, Surface, SurfaceId,
    SurfaceKind,
};

type TestResult = Result<(), String>;
/// A test: a name and its function.
type Test = (&'static str, fn(&Ctx) -> TestResult);

/// Fails the test with a message unless `cond`.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Geometry of the counter sample (see samples/src/bin/counter.rs).
const BUTTON_CENTER: (f64, f64) = (100.0, 80.0);
const ENTRY_POINT: (f64, f64) = (120.0, 137.0);
const SQUARE: [i32; 4] = [300, 20, 24, 24];
const LABEL_AT: (i32, i32) = (20, 20);

/// How long to wait for something a program should do quickly (a failure, not a measure).
const PATIENCE: Duration = Duration::from_secs(20);

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
    if number.trim().is_empty() {
        return Err("Xvfb did not report its display number".into());
    }
    Ok((xvfb, format!(":{}", number.trim())))
}

impl Ctx {
    fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// A command for a GTK program with the recorder loaded the way users load it.
    fn gtk_command(&self, program: impl AsRef<std::ffi::OsStr>, log: &Path) -> Command {
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
        if !output.status.success() {
            return Err(format!(
                "xdotool {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The visible X window of process `pid`.
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

    fn log_path(&self, name: &str) -> PathBuf {
        self.work.join(format!("{name}.gdkrecord"))
    }
}

/// A running program; killed if still running when dropped.
struct App {
    child: Child,
    lines: Option<mpsc::Receiver<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl App {
    fn spawn(mut command: Command) -> Result<App, String> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
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
            lines: Some(rx),
            stderr: Some(stderr),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stdout lines up to the one equal to `last`.
    fn lines_until(&mut self, last: &str) -> Result<Vec<String>, String> {
        let rx = self.lines.as_ref().ok_or("stdout already consumed")?;
        let deadline = Instant::now() + PATIENCE;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line == last => return Ok(lines),
                Ok(line) => lines.push(line),
                Err(_) => return Err(format!("no `{last}` line on stdout (got {lines:?})")),
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
            if Instant::now() > deadline {
                return Err("program did not exit".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill9(&mut self) {
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

/// Every record of a recording and what the reader skipped.
fn read_log(path: &Path) -> Result<(Vec<Record>, Vec<ReadIssue>), String> {
    let mut reader = Reader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let records: Result<Vec<Record>, _> = reader.by_ref().collect();
    let records = records.map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((records, reader.issues().to_vec()))
}

/// Reads the (still growing) log until `done` holds for its records.
fn wait_for_log(
    path: &Path,
    what: &str,
    done: impl Fn(&[Record]) -> bool,
) -> Result<Vec<Record>, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok((records, _)) = read_log(path) {
            if done(&records) {
                return Ok(records);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the log never showed {what} ({} records)",
                    records.len()
                ));
            }
        } else if Instant::now() > deadline {
            return Err(format!("no readable log at {} for {what}", path.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(records: &[Record]) -> impl Iterator<Item = &Event> {
    records.iter().filter_map(|r| {
        if let Record::Event(e) = r {
            Some(e)
        } else {
            None
        }
    })
}

fn damages(records: &[Record]) -> impl Iterator<Item = &Damage> {
    records.iter().filter_map(|r| {
        if let Record::Damage(d) = r {
            Some(d)
        } else {
            None
        }
    })
}

fn frames(records: &[Record]) -> impl Iterator<Item = &Frame> {
    records.iter().filter_map(|r| {
        if let Record::Frame(f) = r {
            Some(f)
        } else {
            None
        }
    })
}

fn count_type(records: &[Record], event_type: EventType) -> usize {
    events(records)
        .filter(|e| e.event_type == event_type)
        .count()
}

fn near(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1.0)
}

fn toplevel(records: &[Record]) -> Result<&Surface, String> {
    records
        .iter()
        .find_map(|r| match r {
            Record::Surface(s) if s.surface_kind == SurfaceKind::TOPLEVEL => Some(s),
            _ => None,
        })
        .ok_or_else(|| "no toplevel Surface record".to_owned())
}

/// A button press of `button` at `at` (±1 px) on `surface`, followed by its release.
fn check_click(records: &[Record], surface: SurfaceId, button: u32, at: (f64, f64)) -> TestResult {
    let matches = |t: EventType| {
        events(records).any(|e| {
            e.event_type == t
                && e.surface == surface
                && e.button == Some(button)
                && near(e.x, at.0)
                && near(e.y, at.1)
        })
    };
    ensure!(
        matches(EventType::BUTTON_PRESS),
        "no button-press {button} at {at:?} on surface {surface}"
    );
    ensure!(
        matches(EventType::BUTTON_RELEASE),
        "no button-release {button} at {at:?} on surface {surface}"
    );
    Ok(())
}

/// Key presses named `keys`, in this order (other keys may come between).
fn check_keys(records: &[Record], keys: &[&str]) -> TestResult {
    let pressed: Vec<&str> = events(records)
        .filter(|e| e.event_type == EventType::KEY_PRESS)
        .filter_map(|e| e.key.as_deref())
        .collect();
    let mut want = keys.iter().peekable();
    for key in &pressed {
        if want.peek().is_some_and(|w| *w == key) {
            want.next();
        }
    }
    ensure!(
        want.peek().is_none(),
        "key presses {keys:?} not all recorded in order: {pressed:?}"
    );
    for e in events(records).filter(|e| e.event_type == EventType::KEY_PRESS) {
        ensure!(
            e.keyval.is_some() && e.keycode.is_some_and(|k| k > 0),
            "key-press without keyval/keycode: {e:?}"
        );
        ensure!(e.x.is_none(), "key events carry no position: {e:?}");
    }
    Ok(())
}

/// Every frame's phases are ordered and within the frame.
fn check_frames(records: &[Record]) -> TestResult {
    let mut n = 0;
    for frame in frames(records) {
        n += 1;
        let mut last_end = frame.t_ns;
        for (i, phase) in frame.phases().iter().enumerate() {
            let Some(phase) = phase else { continue };
            ensure!(
                phase.start_ns <= phase.end_ns,
                "phase {i} ends before it starts: {frame:?}"
            );
            ensure!(
                phase.start_ns >= last_end,
                "phase {i} starts before the previous one ended: {frame:?}"
            );
            last_end = phase.end_ns;
        }
        ensure!(
            frame.end_ns >= last_end,
            "frame ends before its last phase: {frame:?}"
        );
        ensure!(
            frame.after_paint.is_some(),
            "frame without after-paint: {frame:?}"
        );
    }
    ensure!(n > 0, "no Frame records");
    Ok(())
}

/// Every damage rectangle lies inside its surface (at the size it had then).
fn check_damage_inside(records: &[Record]) -> TestResult {
    let mut sizes = std::collections::HashMap::new();
    let mut n = 0;
    for record in records {
        match record {
            Record::Surface(s) => {
                sizes.insert(s.surface, (s.width, s.height));
            }
            Record::Size(Size {
                surface,
                width,
                height,
                ..
            }) => {
                sizes.insert(*surface, (*width, *height));
            }
            Record::Damage(d) | Record::Painted(d) => {
                let (w, h) = sizes
                    .get(&d.surface)
                    .copied()
                    .ok_or(format!("damage on unknown surface: {d:?}"))?;
                for r in &d.rects {
                    n += 1;
                    ensure!(
                        r[0] >= 0
                            && r[1] >= 0
                            && r[2] > 0
                            && r[3] > 0
                            && r[0] + r[2] <= w
                            && r[1] + r[3] <= h,
                        "damage rect {r:?} outside the {w}x{h} surface: {d:?}"
                    );
                }
            }
            _ => {}
        }
    }
    ensure!(n > 0, "no damage rectangles");
    Ok(())
}

fn covers(rects: &[[i32; 4]], target: [i32; 4]) -> bool {
    // The target is small: check each of its pixels.
    (target[1]..target[1] + target[3]).all(|y| {
        (target[0]..target[0] + target[2]).all(|x| {
            rects
                .iter()
                .any(|r| x >= r[0] && x < r[0] + r[2] && y >= r[1] && y < r[1] + r[3])
        })
    })
}

fn start_counter(ctx: &Ctx, log: &Path, args: &[&str]) -> Result<(App, String), String> {
    let mut command = ctx.gtk_command(ctx.bin("counter"), log);
    command.arg("--print-layout").args(args);
    let mut app = App::spawn(command)?;
    let layout = app.lines_until("ready")?;
    let square = format!(
        "layout square {} {} {} {}",
        SQUARE[0], SQUARE[1], SQUARE[2], SQUARE[3]
    );
    ensure!(
        layout.contains(&square),
        "counter's layout changed: {layout:?}"
    );
    let window = ctx.window_of(app.pid())?;
    Ok((app, window))
}

fn click(ctx: &Ctx, window: &str, at: (f64, f64), button: u32) -> TestResult {
    let (x, y) = (at.0.to_string(), at.1.to_string());
    ctx.xdotool(&[
        "mousemove",
        "--window",
        window,
        &x,
        &y,
        "click",
        &button.to_string(),
    ])?;
    Ok(())
}

/// Clicks, keys, a popup, a resize, damage and frames on our sample; clean exit with Ctrl+Q.
fn counter_records_input_damage_frames(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("counter");
    let (mut app, window) = start_counter(ctx, &log, &[])?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    click(ctx, &window, BUTTON_CENTER, 1)?;
    // The label changes: wait for the damage of the next frame.
    wait_for_log(&log, "the click", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
    })?;
    click(ctx, &window, ENTRY_POINT, 1)?;
    ctx.xdotool(&["type", "--delay", "30", "ab"])?;
    ctx.xdotool(&["key", "Return"])?;
    wait_for_log(&log, "the keys", |r| {
        events(r).any(|e| e.key.as_deref() == Some("Return"))
    })?;
    // Right click on the entry opens its context menu: a popup surface.
    click(ctx, &window, ENTRY_POINT, 3)?;
    wait_for_log(&log, "a popup", |r| {
        r.iter()
            .any(|r| matches!(r, Record::Surface(s) if s.surface_kind == SurfaceKind::POPUP))
    })?;
    ctx.xdotool(&["key", "Escape"])?;
    ctx.xdotool(&["windowsize", "--sync", &window, "640", "480"])?;
    wait_for_log(&log, "the resize", |r| {
        r.iter()
            .any(|r| matches!(r, Record::Size(s) if (s.width, s.height) == (640, 480)))
    })?;
    // Let the square blink at least twice more.
    std::thread::sleep(Duration::from_millis(1100));
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.xdotool(&["key", "ctrl+q"])?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");

    let (records, issues) = read_log(&log)?;
    ensure!(
        issues.is_empty(),
        "a cleanly finished log has no issues: {issues:?}"
    );
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    ensure!(header.program == "counter", "program {:?}", header.program);
    ensure!(
        header.display_backend == "x11",
        "backend {:?}",
        header.display_backend
    );
    ensure!(
        header.display_name == ctx.display,
        "display {:?}",
        header.display_name
    );
    ensure!(
        header.damage_capture,
        "damage capture off: {}",
        header.damage_note
    );
    ensure!(header.gtk_version[0] == 4, "gtk {:?}", header.gtk_version);
    ensure!(
        matches!(records.last(), Some(Record::End(_))),
        "no End record last: {:?}",
        records.last()
    );
    if let Some(Record::End(end)) = records.last() {
        ensure!(
            end.records == records.len() as u64,
            "End counts {} records, file has {}",
            end.records,
            records.len()
        );
        ensure!(end.dropped == 0, "dropped {}", end.dropped);
    }
    let top = toplevel(&records)?;
    ensure!(
        top.widget_type.as_deref() == Some("GtkApplicationWindow"),
        "widget type {:?}",
        top.widget_type
    );
    ensure!(
        top.type_name == "GdkX11Toplevel",
        "type {:?}",
        top.type_name
    );
    let popup = records
        .iter()
        .find_map(|r| match r {
            Record::Surface(s) if s.surface_kind == SurfaceKind::POPUP => Some(s),
            _ => None,
        })
        .ok_or("no popup")?;
    ensure!(
        popup.parent == Some(top.surface),
        "popup parent {:?}",
        popup.parent
    );
    ensure!(
        records.iter().any(|r| matches!(r, Record::Size(s) if s.surface == top.surface && (s.width, s.height) == (400, 200))),
        "initial 400x200 size not recorded"
    );
    // Sizes are recorded on change only.
    let mut last = std::collections::HashMap::new();
    for r in &records {
        if let Record::Size(s) = r {
            ensure!(
                last.insert(s.surface, (s.width, s.height)) != Some((s.width, s.height)),
                "repeated size {s:?}"
            );
        }
    }

    check_click(&records, top.surface, 1, BUTTON_CENTER)?;
    check_click(&records, top.surface, 1, ENTRY_POINT)?;
    ensure!(
        events(&records).any(|e| e.event_type == EventType::BUTTON_PRESS
            && e.button == Some(3)
            && near(e.x, ENTRY_POINT.0)),
        "right click not recorded"
    );
    check_keys(&records, &["a", "b", "Return", "Escape", "q"])?;
    ensure!(
        events(&records)
            .any(|e| e.key.as_deref() == Some("q") && e.modifiers.is_some_and(|m| m.0 & 4 != 0)),
        "ctrl+q recorded without the control modifier"
    );
    ensure!(
        count_type(&records, EventType::FOCUS_CHANGE) > 0,
        "no focus-change"
    );

    check_frames(&records)?;
    ensure!(
        records.iter().any(|r| matches!(r, Record::FrameTimings(_))),
        "no FrameTimings records"
    );
    check_damage_inside(&records)?;
    // Frames repainting the square but not the whole window (the entry's blinking cursor
    // may be repainted in the same frame).
    let timer_frames: Vec<&Damage> = damages(&records)
        .filter(|d| covers(&d.rects, SQUARE) && d.area() < 400 * 200 / 4)
        .collect();
    ensure!(
        timer_frames.len() >= 2,
        "the blinking square was not damaged in at least 2 partial frames ({} damage records)",
        damages(&records).count()
    );

    ensure!(
        timer_frames
            .iter()
            .all(|d| d.surface == top.surface && d.frame >= 0),
        "square damage on wrong surface"
    );
    // The click changed the label: a damage after the click covers its first glyphs.
    let clicked_at = events(&records)
        .find(|e| e.event_type == EventType::BUTTON_RELEASE)
        .map(|e| e.t_ns)
        .unwrap_or(0);
    ensure!(
        damages(&records)
            .any(|d| d.t_ns > clicked_at && covers(&d.rects, [LABEL_AT.0, LABEL_AT.1, 8, 8])),
        "no damage covering the label after the click"
    );
    ensure!(
        records.iter().any(|r| matches!(r, Record::Painted(_))),
        "no Painted records"
    );
    Ok(())
}

/// A SIGKILLed program's log still reads, with every input made before the kill.
fn killed_app_keeps_its_input(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("killed");
    let (mut app, window) = start_counter(ctx, &log, &[])?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    let clicks = 7;
    for _ in 0..clicks {
        click(ctx, &window, BUTTON_CENTER, 1)?;
    }
    click(ctx, &window, ENTRY_POINT, 1)?;
    ctx.xdotool(&["type", "--delay", "20", "xyz"])?;
    // The input has reached the program once its last key is in the log: then kill.
    wait_for_log(&log, "the last key", |r| {
        events(r).any(|e| e.event_type == EventType::KEY_RELEASE && e.key.as_deref() == Some("z"))
    })?;
    app.kill9();
    let (records, issues) = read_log(&log)?;
    ensure!(
        issues.iter().all(|i| i.problem == Problem::Truncated),
        "unexpected read issues after a kill: {issues:?}"
    );
    ensure!(
        !records.iter().any(|r| matches!(r, Record::End(_))),
        "a killed program cannot write End"
    );
    let top = toplevel(&records)?;
    let presses = events(&records)
        .filter(|e| {
            e.event_type == EventType::BUTTON_PRESS
                && e.surface == top.surface
                && near(e.x, BUTTON_CENTER.0)
                && near(e.y, BUTTON_CENTER.1)
        })
        .count();
    ensure!(
        presses == clicks,
        "{presses} of {clicks} clicks in the log of the killed program"
    );
    check_keys(&records, &["x", "y", "z"])?;
    // The zero-padded tail is still there (nobody truncated the file).
    let len = std::fs::metadata(&log).map_err(|e| e.to_string())?.len();
    ensure!(
        len % 4096 == 0,
        "expected a chunk-sized file after a kill, got {len} bytes"
    );
    Ok(())
}

/// An unwritable output path: one warning, and the program runs normally.
fn unwritable_output_leaves_the_app_running(ctx: &Ctx) -> TestResult {
    let log = Path::new("/nonexistent-gdkrecord-dir/x.gdkrecord");
    let mut command = ctx.gtk_command(ctx.bin("counter"), log);
    command.args(["--print-layout", "--exit-after", "2"]);
    let mut app = App::spawn(command)?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    click(ctx, &window, BUTTON_CENTER, 1)?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("gdkrecord:"))
        .collect();
    ensure!(
        warnings.len() == 1,
        "expected one warning, got {warnings:?}"
    );
    ensure!(
        warnings[0].contains("/nonexistent-gdkrecord-dir/x.gdkrecord")
            && warnings[0].contains("unrecorded"),
        "warning does not say what happened: {}",
        warnings[0]
    );
    ensure!(!log.exists(), "a file appeared");
    Ok(())
}

/// A GTK 4 program from Debian (not ours): click, key, optionally a resize, frames, damage.
fn debian_app_is_recorded(ctx: &Ctx, program: &str, resize: Option<(i32, i32)>) -> TestResult {
    let log = ctx.log_path(program);
    let mut app = App::spawn(ctx.gtk_command(program, &log))?;
    let window = ctx.window_of(app.pid())?;
    // Wait for the first frame (slow with software GL) before sending input.
    wait_for_log(&log, "a first frame", |r| frames(r).next().is_some())?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    // A point near the bottom of the window, away from the header bar's buttons.
    let geometry = ctx.xdotool(&["getwindowgeometry", &window])?;
    let size = geometry
        .lines()
        .find_map(|l| l.trim().strip_prefix("Geometry: "))
        .and_then(|g| g.split_once('x'))
        .and_then(|(w, h)| Some((w.trim().parse::<f64>().ok()?, h.trim().parse::<f64>().ok()?)))
        .ok_or(format!("cannot parse {geometry:?}"))?;
    let at = ((size.0 * 0.5).round(), (size.1 - 12.0).round());
    click(ctx, &window, at, 1)?;
    ctx.xdotool(&["key", "shift"])?;
    if let Some((w, h)) = resize {
        ctx.xdotool(&[
            "windowsize",
            "--sync",
            &window,
            &w.to_string(),
            &h.to_string(),
        ])?;
    }
    let records = wait_for_log(&log, "click, key and resize", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
            && events(r).any(|e| e.key.as_deref() == Some("Shift_L"))
            && resize.is_none_or(|(w, h)| {
                r.iter()
                    .any(|r| matches!(r, Record::Size(s) if (s.width, s.height) == (w, h)))
                    && damages(r).any(|d| d.rects == [[0, 0, w, h]])
            })
    })?;
    let top = toplevel(&records)?;
    ensure!(
        top.widget_type
            .as_deref()
            .is_some_and(|t| t.starts_with("Gtk")),
        "widget type {:?}",
        top.widget_type
    );
    check_click(&records, top.surface, 1, at)?;
    check_keys(&records, &["Shift_L"])?;
    check_frames(&records)?;
    check_damage_inside(&records)?;
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    ensure!(header.program == program, "program {:?}", header.program);
    app.kill9();
    Ok(())
}

fn widget_factory_is_recorded(ctx: &Ctx) -> TestResult {
    // No resize: its window has a minimum size, smaller sizes bounce back.
    debian_app_is_recorded(ctx, "gtk4-widget-factory", None)
}

fn gtk4_demo_is_recorded(ctx: &Ctx) -> TestResult {
    debian_app_is_recorded(ctx, "gtk4-demo", Some((900, 700)))
}

/// A PyGObject GTK 4 program (GTK dlopen()ed late by the interpreter) is recorded too.
fn pygobject_app_is_recorded(ctx: &Ctx) -> TestResult {
    if !Path::new("/usr/bin/python3").exists() {
        return Err("/usr/bin/python3 missing (apt-get install python3-gi gir1.2-gtk-4.0)".into());
    }
    let script = r#"
import gi
gi.require_version("Gtk", "4.0")
from gi.repository import Gtk, GLib
app = Gtk.Application(application_id="org.gdkrecord.PyTest")
def activate(app):
    win = Gtk.ApplicationWindow(application=app, decorated=False, default_width=300, default_height=120)
    button = Gtk.Button(label="py")
    win.set_child(button)
    button.connect("clicked", lambda b: app.quit())
    win.present()
    GLib.timeout_add(300, lambda: print("ready", flush=True))
app.connect("activate", activate)
app.run(None)
"#;
    let log = ctx.log_path("python");
    let mut command = ctx.gtk_command("/usr/bin/python3", &log);
    command.args(["-c", script]);
    let mut app = App::spawn(command)?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    click(ctx, &window, (150.0, 60.0), 1)?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "python exited with {status}: {stderr}");
    let (records, issues) = read_log(&log)?;
    ensure!(issues.is_empty(), "issues: {issues:?}");
    let top = toplevel(&records)?;
    check_click(&records, top.surface, 1, (150.0, 60.0))?;
    ensure!(
        matches!(records.last(), Some(Record::End(_))),
        "no End record"
    );
    Ok(())
}

/// GTK_PATH set for a program that is not GTK 4 (GLib's `gio`, a shell): no file.
fn non_gtk4_programs_write_nothing(ctx: &Ctx) -> TestResult {
    let dir = ctx.work.join("non-gtk");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for program in [&["gio", "info", "/"][..], &["sh", "-c", "true"][..]] {
        let status = Command::new(program[0])
            .args(&program[1..])
            .current_dir(&dir)
            .env("DISPLAY", &ctx.display)
            .env("GTK_PATH", &ctx.module_dir)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", program[0]))?;
        ensure!(status.success(), "{} failed: {status}", program[0]);
    }
    let written: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    ensure!(written.is_empty(), "files written: {written:?}");
    Ok(())
}

/// `gdkrecord-tool record` runs the program recorded and keeps its exit status.
fn record_command_records_and_keeps_status(ctx: &Ctx) -> TestResult {
    let tool = ctx.bin("gdkrecord-tool");
    let log = ctx.log_path("via-record");
    let output = Command::new(&tool)
        .args(["record", "-o"])
        .arg(&log)
        .arg("--")
        .arg(ctx.bin("counter"))
        .args(["--exit-after", "1.5"])
        .current_dir(&ctx.work)
        .env("DISPLAY", &ctx.display)
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "record failed: {} {stderr}",
        output.status
    );
    ensure!(
        stderr.contains(&format!("recording: {}", log.display())),
        "record did not name the file: {stderr}"
    );
    let (records, _) = read_log(&log)?;
    ensure!(
        matches!(records.last(), Some(Record::End(_))),
        "no End record"
    );
    toplevel(&records)?;

    let status = Command::new(&tool)
        .args(["record", "--", "sh", "-c", "exit 7"])
        .current_dir(&ctx.work)
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    ensure!(
        status.code() == Some(7),
        "exit status not passed through: {status}"
    );
    let status = Command::new(&tool)
        .args(["record", "--", "sh", "-c", "kill -TERM $$"])
        .current_dir(&ctx.work)
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    ensure!(
        status.code() == Some(128 + libc::SIGTERM),
        "killed child not reported as 128+15: {status}"
    );
    Ok(())
}

fn setup() -> Result<(Xvfb, Ctx), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/deps/gui-<hash> -> target/<profile>
    let bin_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("odd test executable path")?
        .to_path_buf();
    for name in ["libgdkrecord.so", "counter", "gdkrecord-tool"] {
        if !bin_dir.join(name).exists() {
            return Err(format!(
                "{} is missing: run `cargo build --workspace --all-targets` first",
                bin_dir.join(name).display()
            ));
        }
    }
    let output = Command::new(bin_dir.join("gdkrecord-tool"))
        .arg("module-dir")
        .env_remove("GDKRECORD_MODULE")
        .output()
        .map_err(|e| format!("cannot run gdkrecord-tool module-dir: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "gdkrecord-tool module-dir failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let module_dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !module_dir.join("4.0.0/media/libgdkrecord.so").exists() {
        return Err(format!(
            "module-dir printed {}, which holds no 4.0.0/media/libgdkrecord.so",
            module_dir.display()
        ));
    }
    let work = std::env::temp_dir().join(format!("gdkrecord-gui-{}", std::process::id()));
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
    let tests: [Test; 8] = [
        (
            "counter_records_input_damage_frames",
            counter_records_input_damage_frames,
        ),
        ("killed_app_keeps_its_input", killed_app_keeps_its_input),
        (
            "unwritable_output_leaves_the_app_running",
            unwritable_output_leaves_the_app_running,
        ),
        ("widget_factory_is_recorded", widget_factory_is_recorded),
        ("gtk4_demo_is_recorded", gtk4_demo_is_recorded),
        ("pygobject_app_is_recorded", pygobject_app_is_recorded),
        (
            "non_gtk4_programs_write_nothing",
            non_gtk4_programs_write_nothing,
        ),
        (
            "record_command_records_and_keeps_status",
            record_command_records_and_keeps_status,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (xvfb, ctx) = match setup() {
        Ok(setup) => setup,
        Err(error) => {
            eprintln!("gui tests cannot start: {error}");
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
