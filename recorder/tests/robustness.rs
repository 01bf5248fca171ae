//! GUI tests of what a recording survives, and what recording never does to the program
//! or to files: our `counter` sample SIGKILLed, crashing (abort(), SIGSEGV) or killing
//! itself under `GDKRECORD_SYNC=1` keeps its input; an unwritable output path, a damage
//! layout that does not fit this GTK and a file name shared by two programs leave the
//! program running and recorded; a file already at the output path is kept, a symbolic
//! link there not followed, the recording private (0600). Under a private Xvfb, driven
//! with xdotool, recordings read back with `gdkrecord_format::Reader`.
//!
//! `harness = false`: GTK programs are separate processes, but the X server and input
//! are shared, so the tests run one after the other. Prints `N passed, N failed` and
//! exits non-zero on failure. Needs Xvfb and xdotool; the binaries are found beside the
//! test executable (`cargo build --workspace --all-targets` builds them). The harness is
//! shared with the other GUI test binaries (`support`).

#[macro_use]
mod support;
#[path = "support/counter.rs"]
mod counter;
#[path = "support/records.rs"]
mod records;

use std::path::Path;
use std::process::Command;

use gdkrecord_format::{EventType, Problem, Record};

use counter::*;
use records::*;
use support::{App, Ctx, Suite, Test, TestResult};

/// A SIGKILLed program's log still reads, with every input made before the kill.
fn killed_app_keeps_its_input(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("killed");
    let (mut app, window) = start_counter(ctx, &log, &[])?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    let clicks = 7;
    for _ in 0..clicks {
        ctx.click(&window, BUTTON_CENTER, 1)?;
    }
    ctx.click(&window, ENTRY_POINT, 1)?;
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

/// A program that crashes (abort(), SIGSEGV) in the handler of a click: the click's
/// events, still on their way to the writer thread when it crashed, are in the log
/// (the crash handler writes them), and the program dies of its own signal.
fn crashed_app_keeps_its_last_input(ctx: &Ctx) -> TestResult {
    use std::os::unix::process::ExitStatusExt;
    for (crash, signal) in [("abort", libc::SIGABRT), ("segv", libc::SIGSEGV)] {
        let log = ctx.log_path(&format!("crash-{crash}"));
        let (mut app, window) = start_counter(ctx, &log, &["--crash-on-click", crash])?;
        ctx.xdotool(&["windowfocus", "--sync", &window])?;
        ctx.click(&window, BUTTON_CENTER, 1)?;
        let (status, stderr) = app.wait()?;
        ensure!(
            status.signal() == Some(signal),
            "{crash}: expected death by signal {signal}, got {status}: {stderr}"
        );
        let (records, issues) = read_log(&log)?;
        ensure!(
            issues.iter().all(|i| i.problem == Problem::Truncated),
            "{crash}: unexpected read issues: {issues:?}"
        );
        let top = toplevel(&records)?;
        for event_type in [EventType::BUTTON_PRESS, EventType::BUTTON_RELEASE] {
            ensure!(
                events(&records).any(|e| e.event_type == event_type
                    && e.surface == top.surface
                    && near(e.x, BUTTON_CENTER.0)
                    && near(e.y, BUTTON_CENTER.1)),
                "{crash}: the click's {event_type:?} is missing from the log"
            );
        }
    }
    Ok(())
}

/// With `GDKRECORD_SYNC=1` each record is in the file when its hook returns: a program
/// that SIGKILLs itself in the handler of a click keeps the click's events.
fn sync_records_survive_sigkill(ctx: &Ctx) -> TestResult {
    use std::os::unix::process::ExitStatusExt;
    let log = ctx.log_path("sync-kill");
    let mut command = ctx.gtk_command(ctx.bin("counter"), &log);
    command
        .env("GDKRECORD_SYNC", "1")
        .args(["--print-layout", "--crash-on-click", "kill"]);
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    let (status, stderr) = app.wait()?;
    ensure!(
        status.signal() == Some(libc::SIGKILL),
        "expected death by SIGKILL, got {status}: {stderr}"
    );
    let (records, _) = read_log(&log)?;
    for event_type in [EventType::BUTTON_PRESS, EventType::BUTTON_RELEASE] {
        ensure!(
            events(&records).any(|e| e.event_type == event_type
                && near(e.x, BUTTON_CENTER.0)
                && near(e.y, BUTTON_CENTER.1)),
            "the click's {event_type:?} is missing from the log"
        );
    }
    Ok(())
}

/// An unwritable output path: one warning, and the program runs normally.
fn unwritable_output_leaves_the_app_running(ctx: &Ctx) -> TestResult {
    let log = Path::new("/nonexistent-gdkrecord-dir/x.gdkrecord");
    let mut command = ctx.gtk_command(ctx.bin("counter"), log);
    command.args(["--print-layout", "--exit-after", "2"]);
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
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

/// A layout that does not fit this GTK (forced with GDKRECORD_DAMAGE_LAYOUT, as a GTK with
/// unknown class layouts would do by itself): damage off with the reason in the header and
/// once on stderr, no Damage or Painted record, everything else recorded, a clean exit.
fn a_layout_that_does_not_fit_turns_damage_off_only(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("wrong-layout");
    let gtk = Command::new("pkg-config")
        .args(["--modversion", "gtk4"])
        .output()
        .map_err(|e| format!("pkg-config: {e}"))?;
    let minor: u32 = String::from_utf8_lossy(&gtk.stdout)
        .split('.')
        .nth(1)
        .and_then(|m| m.trim().parse().ok())
        .ok_or("cannot read GTK's version from pkg-config")?;
    let wrong = if minor >= 14 { "gtk-4.8" } else { "gtk-4.24" };
    let mut command = ctx.gtk_command(ctx.bin("counter"), &log);
    command
        .env("GDKRECORD_DAMAGE_LAYOUT", wrong)
        .args(["--print-layout", "--exit-after", "3"]);
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    wait_for_log(&log, "the click", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
    })?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    let (records, _) = read_log(&log)?;
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    ensure!(!header.damage_capture, "damage capture on with {wrong}");
    let [major, minor, micro] = header.gtk_version;
    ensure!(
        header.damage_note.contains(wrong)
            && header
                .damage_note
                .contains(&format!("GTK {major}.{minor}.{micro}")),
        "the note names neither the layout nor GTK: {:?}",
        header.damage_note
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("gdkrecord:"))
        .collect();
    ensure!(
        warnings == [format!("gdkrecord: {}", header.damage_note)],
        "expected the note once on stderr, got {warnings:?}"
    );
    ensure!(
        !records.iter().any(|r| matches!(
            r,
            Record::Damage(_) | Record::Painted(_) | Record::DamageCapture(_)
        )),
        "damage recorded with a refused layout"
    );
    check_click(&records, toplevel(&records)?.surface, 1, BUTTON_CENTER)?;
    check_frames(&records)?;
    ensure!(
        matches!(records.last(), Some(Record::End(_))),
        "no End record last"
    );
    Ok(())
}

/// Two programs given the same GDKRECORD_FILENAME (a recorded GTK 4 app starting a GTK 4
/// child, which inherits it): the first keeps the file, the second records beside it into
/// `<name>-<pid>.gdkrecord` and says so; neither clobbers the other.
fn a_shared_file_name_is_not_clobbered(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("shared");
    // Both run until told to quit (a fixed lifetime raced the window searches on a loaded
    // machine); --exit-after is only a safety net.
    let start = |ctx: &Ctx| -> Result<(App, String), String> {
        let mut command = ctx.gtk_command(ctx.bin("counter"), &log);
        command.args(["--print-layout", "--exit-after", "120"]);
        let app = ctx.spawn(command)?;
        app.lines_until("ready")?;
        let window = ctx.window_of(app.pid())?;
        Ok((app, window))
    };
    let (mut first, first_window) = start(ctx)?;
    let (mut second, second_window) = start(ctx)?;
    // No window manager: both windows open at (0, 0); move the second off the first.
    ctx.xdotool(&["windowmove", "--sync", &second_window, "600", "0"])?;
    ctx.click(&first_window, BUTTON_CENTER, 1)?;
    for _ in 0..2 {
        ctx.click(&second_window, BUTTON_CENTER, 1)?;
    }
    for window in [&first_window, &second_window] {
        ctx.xdotool(&["windowfocus", "--sync", window, "key", "ctrl+q"])?;
    }
    let beside = ctx.work.join(format!("shared-{}.gdkrecord", second.pid()));
    let (status, _) = first.wait()?;
    ensure!(status.success(), "first counter exited with {status}");
    let (status, stderr) = second.wait()?;
    ensure!(status.success(), "second counter exited with {status}");
    ensure!(
        stderr.contains("is being recorded by another process")
            && stderr.contains(&beside.display().to_string()),
        "the second program did not say where it records: {stderr}"
    );
    for (path, presses) in [(&log, 1), (&beside, 2)] {
        let (records, issues) = read_log(path)?;
        ensure!(issues.is_empty(), "{}: {issues:?}", path.display());
        ensure!(
            matches!(records.last(), Some(Record::End(_))),
            "{}: no End record",
            path.display()
        );
        let found = count_type(&records, EventType::BUTTON_PRESS);
        ensure!(
            found == presses,
            "{}: {found} button presses, expected {presses}",
            path.display()
        );
    }
    Ok(())
}

/// The output path: a file there is kept as NAME.old, the recording is 0600 even under
/// a umask that takes the owner's bits away, and a symbolic link there is not followed
/// (the program records beside it and says so).
fn recording_is_private_and_clobbers_nothing(ctx: &Ctx) -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let log = ctx.log_path("private");
    std::fs::write(&log, b"yesterday's recording").map_err(|e| e.to_string())?;
    let mut command = ctx.gtk_command(ctx.bin("counter"), &log);
    command.arg("--print-layout");
    // SAFETY: umask is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o277);
            Ok(())
        })
    };
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    quit_with_ctrl_q(ctx, app.pid())?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    let old = ctx.work.join("private.gdkrecord.old");
    ensure!(
        std::fs::read(&old).ok().as_deref() == Some(&b"yesterday's recording"[..]),
        "the file that was there is not kept as {}",
        old.display()
    );
    ensure!(
        stderr.contains("kept the previous") && stderr.contains(&old.display().to_string()),
        "the program did not say it kept the old file: {stderr}"
    );
    let mode = std::fs::metadata(&log)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    ensure!(
        mode & 0o777 == 0o600,
        "recording mode {:o}, not 600",
        mode & 0o777
    );
    let (records, _) = read_log(&log)?;
    ensure!(
        matches!(records.last(), Some(Record::End(_))),
        "no End record"
    );

    let target = ctx.work.join("victim.txt");
    std::fs::write(&target, b"precious").map_err(|e| e.to_string())?;
    let link = ctx.log_path("planted");
    std::os::unix::fs::symlink(&target, &link).map_err(|e| e.to_string())?;
    let mut command = ctx.gtk_command(ctx.bin("counter"), &link);
    command.arg("--print-layout");
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    let pid = app.pid();
    quit_with_ctrl_q(ctx, pid)?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    ensure!(
        std::fs::read(&target).ok().as_deref() == Some(&b"precious"[..]),
        "the symlink's target was written"
    );
    let beside = ctx.work.join(format!("planted-{pid}.gdkrecord"));
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("gdkrecord:"))
        .collect();
    ensure!(
        warnings.len() == 1
            && warnings[0].contains("symbolic link")
            && warnings[0].contains(&beside.display().to_string()),
        "expected one warning naming {}: {warnings:?}",
        beside.display()
    );
    let (records, _) = read_log(&beside)?;
    ensure!(
        matches!(records.last(), Some(Record::End(_))),
        "no End record beside"
    );
    Ok(())
}

/// Quits the counter of `pid` as a user would.
fn quit_with_ctrl_q(ctx: &Ctx, pid: u32) -> TestResult {
    let window = ctx.window_of(pid)?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.xdotool(&["key", "ctrl+q"])?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let tests: [Test; 7] = [
        ("killed_app_keeps_its_input", killed_app_keeps_its_input),
        (
            "crashed_app_keeps_its_last_input",
            crashed_app_keeps_its_last_input,
        ),
        ("sync_records_survive_sigkill", sync_records_survive_sigkill),
        (
            "unwritable_output_leaves_the_app_running",
            unwritable_output_leaves_the_app_running,
        ),
        (
            "a_layout_that_does_not_fit_turns_damage_off_only",
            a_layout_that_does_not_fit_turns_damage_off_only,
        ),
        (
            "a_shared_file_name_is_not_clobbered",
            a_shared_file_name_is_not_clobbered,
        ),
        (
            "recording_is_private_and_clobbers_nothing",
            recording_is_private_and_clobbers_nothing,
        ),
    ];
    support::run(
        Suite {
            name: "robustness",
            binaries: &["counter"],
            patience: PATIENCE,
        },
        &tests,
    )
}
