//! GUI tests of the recorder: real GTK 4 programs (our `counter` sample, Debian's
//! gtk4-widget-factory, a PyGObject script) under a private Xvfb, loaded through the real
//! path (`GTK_PATH=$(gdkrecord-tool module-dir)`), driven with xdotool (XTEST input),
//! their recordings read back with `gdkrecord_format::Reader`.
//!
//! `harness = false`: GTK programs are separate processes, but the X server and input
//! are shared, so the tests run one after the other. Prints `N passed, N failed` and
//! exits non-zero on failure. Needs Xvfb and xdotool; the binaries are found beside the
//! test executable (`cargo build --workspace --all-targets` builds them). The harness is
//! shared with the `stalls` tests (`support`).

#[macro_use]
mod support;
#[path = "support/records.rs"]
mod records;
#[path = "support/wayland.rs"]
mod wayland;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gdkrecord_format::{
    CaptureState, Damage, DamageCapture, DamageVfunc, Event, EventType, Problem, Record,
    SurfaceKind,
};

use records::*;
use support::{App, Ctx, Suite, Test, TestResult};

/// Geometry of the counter sample (see samples/src/bin/counter.rs).
const BUTTON_CENTER: (f64, f64) = (100.0, 80.0);
const ENTRY_POINT: (f64, f64) = (120.0, 137.0);
const SQUARE: [i32; 4] = [300, 20, 24, 24];
const LABEL_AT: (i32, i32) = (20, 20);

/// The newest GTK 4 minor version in the recorder's layout table
/// (recorder/gtk4/damage/layouts.rs, `NEWEST_KNOWN_MINOR`).
const NEWEST_KNOWN_GTK_MINOR: u32 = 24;

/// Whether the recording must have damage. Everywhere the layout table knows GTK it
/// must; on a GTK newer than the table (Debian sid moves), damage off is the designed
/// behaviour when the proof refuses it: the header or a damage-capture record must then
/// say why naming the GTK version, and the test says that the table needs it.
fn damage_expected(records: &[Record]) -> Result<bool, String> {
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    let [major, minor, micro] = header.gtk_version;
    let refused = records.iter().find_map(|r| match r {
        Record::DamageCapture(c) if c.state == CaptureState::REFUSED => Some(c.note.clone()),
        _ => None,
    });
    let off_because = match (header.damage_capture, refused) {
        (true, None) => return Ok(true),
        (false, _) => header.damage_note.clone(),
        (true, Some(note)) => note,
    };
    if minor > NEWEST_KNOWN_GTK_MINOR {
        eprintln!(
            "warning: GTK {major}.{minor}.{micro} is newer than the recorder's layout table and damage capture is off ({off_because}): add it to recorder/gtk4/damage/layouts.rs"
        );
        ensure!(
            header
                .damage_note
                .contains(&format!("GTK {major}.{minor}.{micro}")),
            "the header's damage note does not name the GTK version: {:?}",
            header.damage_note
        );
        return Ok(false);
    }
    Err(format!(
        "damage capture off on GTK {major}.{minor}.{micro}: {off_because}"
    ))
}

/// The header names the layout, and both vfuncs were patched by it, and proven when
/// `proven` (after enough frames), with no class refused.
fn check_damage_capture(records: &[Record], proven: bool) -> TestResult {
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    ensure!(
        header.damage_layout.starts_with("gtk-4."),
        "header names no layout: {header:?}"
    );
    let captures: Vec<&DamageCapture> = records
        .iter()
        .filter_map(|r| match r {
            Record::DamageCapture(c) => Some(c),
            _ => None,
        })
        .collect();
    for vfunc in [DamageVfunc::RENDER, DamageVfunc::END_FRAME] {
        let state = if proven {
            CaptureState::PROVEN
        } else {
            CaptureState::PATCHED
        };
        ensure!(
            captures.iter().any(|c| c.vfunc == vfunc
                && c.state == state
                && c.damage_layout == header.damage_layout),
            "no {vfunc} {state} record with layout {}: {captures:?}",
            header.damage_layout
        );
    }
    ensure!(
        !captures.iter().any(|c| c.state == CaptureState::REFUSED),
        "a class was refused: {captures:?}"
    );
    Ok(())
}

fn start_counter(ctx: &Ctx, log: &Path, args: &[&str]) -> Result<(App, String), String> {
    let mut command = ctx.gtk_command(ctx.bin("counter"), log);
    command.arg("--print-layout").args(args);
    let app = ctx.spawn(command)?;
    let (layout, _) = app.lines_until("ready")?;
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

/// Clicks, keys, a popup, a resize, damage and frames on our sample; clean exit with Ctrl+Q.
fn counter_records_input_damage_frames(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("counter");
    let (mut app, window) = start_counter(ctx, &log, &[])?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    // The label changes: wait for the damage of the next frame.
    wait_for_log(&log, "the click", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
    })?;
    ctx.click(&window, ENTRY_POINT, 1)?;
    ctx.xdotool(&["type", "--delay", "30", "ab"])?;
    ctx.xdotool(&["key", "Return"])?;
    wait_for_log(&log, "the keys", |r| {
        events(r).any(|e| e.key.as_deref() == Some("Return"))
    })?;
    // Right click on the entry opens its context menu: a popup surface.
    ctx.click(&window, ENTRY_POINT, 3)?;
    wait_for_log(&log, "a popup", |r| {
        r.iter()
            .any(|r| matches!(r, Record::Surface(s) if s.surface_kind == SurfaceKind::POPUP))
    })?;
    ctx.xdotool(&["key", "Escape"])?;
    ctx.resize(&window, 640, 480)?;
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
    if !damage_expected(&records)? {
        return Ok(());
    }
    check_damage_capture(&records, true)?;
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

/// Under Wayland (weston in the Xvfb): the header says so, clicks land at their exact
/// surface position, keys are named, and damage is captured and proven as under X11.
fn wayland_counter_is_recorded(ctx: &Ctx) -> TestResult {
    let weston = wayland::Weston::start(ctx, 640, 400)?;
    let log = ctx.log_path("wayland-counter");
    let mut command = weston.client(ctx.gtk_command(ctx.bin("counter"), &log));
    command.arg("--print-layout");
    let mut app = ctx.spawn(command)?;
    let (layout, _) = app.lines_until("ready")?;
    // Fullscreen in the kiosk shell: the button is where the app says, in surface
    // coordinates, which are weston's output coordinates.
    let button: Vec<f64> = layout
        .iter()
        .find_map(|l| l.strip_prefix("layout button "))
        .map(|b| b.split(' ').filter_map(|v| v.parse().ok()).collect())
        .ok_or(format!("no button in {layout:?}"))?;
    ensure!(button.len() == 4, "button layout {button:?}");
    let at = (
        (button[0] + button[2] / 2.0).round(),
        (button[1] + button[3] / 2.0).round(),
    );
    wait_for_log(&log, "a first frame", |r| frames(r).next().is_some())?;
    weston.click(ctx, at, 1)?;
    wait_for_log(&log, "the click", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
    })?;
    ctx.xdotool(&["type", "--delay", "30", "xy"])?;
    let records = wait_for_log(&log, "the keys and a proven damage capture", |r| {
        events(r).filter(|e| e.event_type == EventType::KEY_RELEASE).count() >= 2
            && (damage_expected(r) != Ok(true)
                || r.iter().filter(|r| matches!(r, Record::DamageCapture(c) if c.state == CaptureState::PROVEN)).count() >= 2)
    })?;
    app.kill9();
    let Some(Record::Header(header)) = records.first() else {
        return Err("no Header first".into());
    };
    ensure!(
        header.display_backend == "wayland",
        "backend {:?}",
        header.display_backend
    );
    ensure!(
        header.display_name == weston.socket,
        "display {:?}",
        header.display_name
    );
    let top = toplevel(&records)?;
    ensure!(
        top.type_name == "GdkWaylandToplevel",
        "type {:?}",
        top.type_name
    );
    check_click(&records, top.surface, 1, at)?;
    check_keys(&records, &["x", "y"])?;
    check_frames(&records)?;
    if damage_expected(&records)? {
        check_damage_capture(&records, true)?;
        check_damage_inside(&records)?;
    }
    Ok(())
}

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

/// `GDKRECORD_KEYS=redacted`: every key press is recorded, with its time and modifiers,
/// but keys that type text without which key it was; Return keeps its name. Enough keys
/// for both ways key events are read (GDK's getters while the layout is checked, then
/// the direct read).
fn redacted_keys_keep_presses_not_what_was_typed(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("redacted-keys");
    let mut command = ctx.gtk_command(ctx.bin("counter"), &log);
    command
        .env("GDKRECORD_KEYS", "redacted")
        .arg("--print-layout");
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, ENTRY_POINT, 1)?;
    let typed = "hunter2secretpw";
    ctx.xdotool(&["type", "--delay", "20", typed])?;
    ctx.xdotool(&["key", "Return"])?;
    wait_for_log(&log, "the keys", |r| {
        events(r).any(|e| e.key.as_deref() == Some("Return"))
    })?;
    ctx.xdotool(&["key", "ctrl+q"])?;
    let (status, stderr) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    let (records, _) = read_log(&log)?;
    let presses: Vec<&Event> = events(&records)
        .filter(|e| e.event_type == EventType::KEY_PRESS)
        .collect();
    let redacted = presses
        .iter()
        .filter(|e| e.keyval.is_none() && e.key.is_none() && e.keycode.is_none())
        .count();
    ensure!(
        redacted > typed.len(),
        "{redacted} redacted key presses for {} typed keys and Ctrl+Q: {presses:?}",
        typed.len()
    );
    for e in &presses {
        ensure!(
            e.modifiers.is_some(),
            "a key press lost its modifiers: {e:?}"
        );
        if let Some(keyval) = e.keyval {
            ensure!(
                !gdkrecord_format::is_text_keyval(keyval),
                "a text key was recorded: {e:?}"
            );
        }
    }
    ensure!(
        presses.iter().any(|e| e.key.as_deref() == Some("Return")),
        "Return lost its name"
    );
    ensure!(
        presses
            .iter()
            .any(|e| e.keyval.is_none() && e.modifiers.is_some_and(|m| m.0 & 4 != 0)),
        "Ctrl+Q is not there as a redacted key with Control held"
    );
    ensure!(
        !events(&records).any(|e| e.key.as_deref().is_some_and(|k| k.len() == 1)),
        "a typed letter's name is in the file"
    );
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

/// A GTK 4 program from Debian (not ours): click, key, optionally a resize, frames, damage.
fn debian_app_is_recorded(ctx: &Ctx, program: &str, resize: Option<(i32, i32)>) -> TestResult {
    let log = ctx.log_path(program);
    let mut app = ctx.spawn(ctx.gtk_command(program, &log))?;
    let window = ctx.window_of(app.pid())?;
    // Wait for the first frame (slow with software GL) before sending input.
    wait_for_log(&log, "a first frame", |r| frames(r).next().is_some())?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    // A point near the bottom of the window, away from the header bar's buttons.
    let (width, height) = ctx.window_size(&window)?;
    let at = (f64::from(width / 2), f64::from(height - 12));
    ctx.click(&window, at, 1)?;
    ctx.xdotool(&["key", "shift"])?;
    if let Some((w, h)) = resize {
        ctx.resize(&window, w, h)?;
    }
    let records = wait_for_log(&log, "click, key and resize", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
            && events(r).any(|e| e.key.as_deref() == Some("Shift_L"))
            && resize.is_none_or(|(w, h)| {
                r.iter()
                    .any(|r| matches!(r, Record::Size(s) if (s.width, s.height) == (w, h)))
                    && (damage_expected(r) != Ok(true)
                        || damages(r).any(|d| d.rects == [[0, 0, w, h]]))
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
    if damage_expected(&records)? {
        check_damage_capture(&records, false)?;
        check_damage_inside(&records)?;
    }
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
    let mut app = ctx.spawn(command)?;
    app.lines_until("ready")?;
    let window = ctx.window_of(app.pid())?;
    ctx.click(&window, (150.0, 60.0), 1)?;
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

/// GTK_PATH set for programs that are not GTK 4 — a GTK 3 program that opens the display
/// (`gtk-query-settings`, Debian's libgtk-3-bin), GLib's `gio`, a shell: no file.
fn non_gtk4_programs_write_nothing(ctx: &Ctx) -> TestResult {
    let dir = ctx.work.join("non-gtk");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for program in [
        &["gtk-query-settings"][..],
        &["gio", "info", "/"][..],
        &["sh", "-c", "true"][..],
    ] {
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

fn main() -> std::process::ExitCode {
    let tests: [Test; 15] = [
        (
            "counter_records_input_damage_frames",
            counter_records_input_damage_frames,
        ),
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
            "redacted_keys_keep_presses_not_what_was_typed",
            redacted_keys_keep_presses_not_what_was_typed,
        ),
        (
            "recording_is_private_and_clobbers_nothing",
            recording_is_private_and_clobbers_nothing,
        ),
        ("widget_factory_is_recorded", widget_factory_is_recorded),
        ("gtk4_demo_is_recorded", gtk4_demo_is_recorded),
        ("pygobject_app_is_recorded", pygobject_app_is_recorded),
        ("wayland_counter_is_recorded", wayland_counter_is_recorded),
        (
            "non_gtk4_programs_write_nothing",
            non_gtk4_programs_write_nothing,
        ),
        (
            "record_command_records_and_keeps_status",
            record_command_records_and_keeps_status,
        ),
    ];
    support::run(
        Suite {
            name: "gui",
            binaries: &["counter"],
            patience: PATIENCE,
        },
        &tests,
    )
}
