//! GUI tests of the recorder on our `counter` sample: what a session records (clicks, keys,
//! a popup, a resize, damage and frames) under X11 and under Wayland, keys recorded
//! redacted, and `gdkrecord-tool record`. The sample runs under a private Xvfb, loaded
//! through the real path (`GTK_PATH=$(gdkrecord-tool module-dir)`), driven with xdotool
//! (XTEST input), its recordings read back with `gdkrecord_format::Reader`. What a
//! recording survives is tested in `robustness`, apps we did not write in `other_apps`.
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
#[path = "support/damage.rs"]
mod damage;
#[path = "support/records.rs"]
mod records;
#[path = "support/wayland.rs"]
mod wayland;

use std::process::{Command, Stdio};
use std::time::Duration;

use gdkrecord_format::{CaptureState, Damage, Event, EventType, Record, SurfaceKind};

use counter::*;
use damage::{check_damage_capture, damage_expected};
use records::*;
use support::{Ctx, Suite, Test, TestResult};

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
    let tests: [Test; 4] = [
        (
            "counter_records_input_damage_frames",
            counter_records_input_damage_frames,
        ),
        (
            "redacted_keys_keep_presses_not_what_was_typed",
            redacted_keys_keep_presses_not_what_was_typed,
        ),
        ("wayland_counter_is_recorded", wayland_counter_is_recorded),
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
