//! GUI tests of the GTK 3 front (`libgdkrecord_gtk3.so`): GTK 3 programs we did not write
//! (Debian's gtk3-widget-factory and gtk3-demo, mousepad) and our PyGObject GTK 3 sample
//! (samples/gtk3/counter.py, run by /usr/bin/python3) under a private Xvfb, loaded the way
//! users load it (`GTK_PATH=$(gdkrecord-tool module-dir) GTK_MODULES=gdkrecord`, or
//! `gdkrecord-tool record`), driven with xdotool (XTEST input), their recordings read back
//! with `gdkrecord_format::Reader` and `gdkrecord-tool`. One test runs under Wayland
//! (weston, `support/wayland.rs`).
//!
//! `harness = false`, one test after the other (one X server and pointer); prints
//! `N passed, N failed`. Needs Xvfb, xdotool, weston, GTK 3 and its examples (what
//! scripts/setup installs), and `cargo build --workspace --all-targets`. A test whose
//! program is not installed fails, naming the package: GTK 3 is a build dependency of
//! the workspace, so where these tests are built GTK 3 is there.

#[macro_use]
mod support;
#[path = "support/gtk3_apps.rs"]
mod gtk3_apps;
#[path = "support/records.rs"]
mod records;
#[path = "support/wayland.rs"]
mod wayland;

use std::process::Command;
use std::time::Duration;

use gdkrecord_format::{EventType, Header, Record, SurfaceKind, ToplevelState};

use gtk3_apps::*;
use records::*;
use support::{Ctx, Suite, Test, TestResult};

fn header(records: &[Record]) -> Result<&Header, String> {
    match records.first() {
        Some(Record::Header(header)) => Ok(header),
        _ => Err("no Header first".into()),
    }
}

/// The header says GTK 3.24.x on `backend`.
fn check_header(records: &[Record], backend: &str) -> TestResult {
    let header = header(records)?;
    ensure!(
        header.gtk_version[0] == 3 && header.gtk_version[1] >= 22,
        "gtk_version {:?}",
        header.gtk_version
    );
    ensure!(
        header.display_backend == backend,
        "backend {:?}",
        header.display_backend
    );
    Ok(())
}

/// A Damage record after `after_ns` whose rectangles cover `target`.
fn damage_covers_after(records: &[Record], after_ns: u64, target: [i32; 4]) -> bool {
    damages(records).any(|d| d.t_ns > after_ns && covers(&d.rects, target))
}

/// Clicks on the button and in the entry (a child window), keys, a popup menu, a resize,
/// exposures of the widgets that changed, frames; a clean exit with Ctrl+Q.
fn counter_records_input_exposures_frames(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("counter-gtk3");
    let mut app = start_counter(ctx, ctx.gtk3_command("/usr/bin/python3", &log), &[])?;
    let window = ctx.window_of(app.pid())?;
    wait_for_log(&log, "a first frame", |r| frames(r).next().is_some())?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    let clicked = wait_for_log(&log, "the button's click", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
    })?;
    let click_ns = events(&clicked)
        .find(|e| e.event_type == EventType::BUTTON_RELEASE)
        .map_or(0, |e| e.t_ns);
    ctx.click(&window, ENTRY_POINT, 1)?;
    ctx.xdotool(&["type", "--delay", "30", "ab"])?;
    // The entry's context menu: a popup surface whose parent is the window.
    ctx.click(&window, ENTRY_POINT, 3)?;
    let popup = wait_for_log(&log, "the context menu's surface", |r| {
        r.iter()
            .any(|r| matches!(r, Record::Surface(s) if s.surface_kind == SurfaceKind::POPUP))
    })?;
    ctx.xdotool(&["key", "Escape"])?;
    ctx.resize(&window, 520, 260)?;
    let records = wait_for_log(&log, "keys, the resize, its exposure and a blink", |r| {
        events(r)
            .filter(|e| e.event_type == EventType::KEY_RELEASE)
            .count()
            >= 3
            && r.iter()
                .any(|r| matches!(r, Record::Size(s) if (s.width, s.height) == (520, 260)))
            && damages(r).any(|d| covers(&d.rects, [400, 200, 120, 60]))
            && damage_covers_after(r, click_ns, SQUARE)
            // A blink repaints the square alone (a child window, offset into the window),
            // beside whatever else that frame repainted (the entry's blinking cursor).
            && damages(r).any(|d| d.rects.contains(&SQUARE))
    })?;
    quit_with_ctrl_q(ctx, &window)?;
    let (status, stderr) = app.wait()?;
    ensure!(
        status.success(),
        "counter.py exited with {status}: {stderr}"
    );
    let (records_at_exit, issues) = read_log(&log)?;
    ensure!(issues.is_empty(), "read issues: {issues:?}");
    ensure!(
        matches!(records_at_exit.last(), Some(Record::End(_))),
        "no End record after Ctrl+Q"
    );

    check_header(&records, "x11")?;
    let top = toplevel(&records)?;
    ensure!(
        top.type_name == "GdkX11Window" && top.widget_type.as_deref() == Some("GtkWindow"),
        "toplevel {top:?}"
    );
    ensure!((top.width, top.height) == (400, 200), "first size {top:?}");
    check_click(&records, top.surface, 1, BUTTON_CENTER)?;
    check_click(&records, top.surface, 1, ENTRY_POINT)?;
    check_keys(&records, &["a", "b", "Escape"])?;
    let popup_surface = popup
        .iter()
        .find_map(|r| match r {
            Record::Surface(s) if s.surface_kind == SurfaceKind::POPUP => Some(s),
            _ => None,
        })
        .ok_or("no popup")?;
    ensure!(
        popup_surface.parent == Some(top.surface),
        "the context menu's parent is {:?}, not the window {}",
        popup_surface.parent,
        top.surface
    );
    check_frames(&records)?;
    check_damage_inside(&records)?;
    // The label changed on the click: its exposure covers where its text starts.
    ensure!(
        damage_covers_after(&records, click_ns, [LABEL_AT.0, LABEL_AT.1, 8, 8]),
        "no exposure over the label after the click"
    );
    Ok(())
}

fn quit_with_ctrl_q(ctx: &Ctx, window: &str) -> TestResult {
    ctx.xdotool(&["windowfocus", "--sync", window])?;
    ctx.xdotool(&["key", "ctrl+q"])?;
    Ok(())
}

/// A GTK 3 program from Debian: click, key, optionally a resize, frames, exposures; then
/// SIGKILL, after which the file still holds all of it.
fn debian_app_is_recorded(
    ctx: &Ctx,
    program: &str,
    widget_prefix: &str,
    resize: Option<(i32, i32)>,
) -> TestResult {
    ensure!(
        which(program),
        "{program} is not installed (scripts/setup installs gtk-3-examples and mousepad)"
    );
    let log = ctx.log_path(program);
    let mut app = ctx.spawn(ctx.gtk3_command(program, &log))?;
    let window = ctx.window_of(app.pid())?;
    wait_for_log(&log, "a first frame", |r| frames(r).next().is_some())?;
    let at = ctx.click_key_and_resize(&window, resize)?;
    let records = wait_for_log(&log, "click, key and resize", |r| {
        click_key_and_resize_recorded(r, resize)
            && resize
                .is_none_or(|(w, h)| damages(r).any(|d| covers(&d.rects, [w - 4, h - 4, 4, 4])))
    })?;
    app.kill9();
    let (after_kill, _) = read_log(&log)?;
    ensure!(
        after_kill.len() >= records.len(),
        "SIGKILL lost records: {} read before, {} after",
        records.len(),
        after_kill.len()
    );
    check_header(&records, "x11")?;
    // GLib names a GApplication's program after its application id when the program
    // did not name itself (sid's mousepad: `org.xfce.mousepad`).
    let recorded = &header(&records)?.program;
    ensure!(
        recorded == program || recorded.rsplit('.').next() == Some(program),
        "program name {recorded:?}, expected {program:?} or an application id ending in it"
    );
    let top = toplevel(&records)?;
    ensure!(
        top.widget_type
            .as_deref()
            .is_some_and(|t| t.starts_with(widget_prefix)),
        "widget type {:?}",
        top.widget_type
    );
    check_click(&records, top.surface, 1, at)?;
    check_keys(&records, &["Shift_L"])?;
    check_frames(&records)?;
    check_damage_inside(&records)?;
    Ok(())
}

fn gtk3_widget_factory_is_recorded(ctx: &Ctx) -> TestResult {
    // No resize: its window has a minimum size, smaller sizes bounce back.
    debian_app_is_recorded(ctx, "gtk3-widget-factory", "Gtk", None)
}

fn gtk3_demo_is_recorded(ctx: &Ctx) -> TestResult {
    debian_app_is_recorded(ctx, "gtk3-demo", "Gtk", Some((900, 700)))
}

fn mousepad_is_recorded(ctx: &Ctx) -> TestResult {
    debian_app_is_recorded(ctx, "mousepad", "Mousepad", Some((700, 500)))
}

/// A click whose handler blocks the main loop 300 ms: one stall, with the blocking call
/// and GTK 3's event dispatch in its stack.
fn blocked_click_is_a_stall_with_its_stack(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("blocked-gtk3");
    let mut app = start_counter(
        ctx,
        ctx.gtk3_command("/usr/bin/python3", &log),
        &["--block-on-click", "300", "--still"],
    )?;
    let window = ctx.window_of(app.pid())?;
    wait_for_log(&log, "a first frame", |r| frames(r).next().is_some())?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    app.lines_until("blocked ")?;
    let records = wait_for_log(&log, "the stall", |r| {
        r.iter().any(|r| matches!(r, Record::Stall(_)))
    })?;
    quit_with_ctrl_q(ctx, &window)?;
    app.wait()?;
    let stalls: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Stall(s) => Some(s),
            _ => None,
        })
        .collect();
    let stall = stalls
        .iter()
        .find(|s| (250.0..=600.0).contains(&s.duration_ms))
        .ok_or(format!("no stall of about 300 ms: {stalls:?}"))?;
    ensure!(
        stall.samples >= 1 && !stall.stack.is_empty(),
        "stall without a stack: {stall:?}"
    );
    let output = Command::new(ctx.bin("gdkrecord-tool"))
        .args(["stalls", &log.to_string_lossy()])
        .output()
        .map_err(|e| format!("cannot run gdkrecord-tool: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "gdkrecord-tool stalls failed");
    let block = text
        .split("\nstall at ")
        .find(|b| b.contains("during input: button-release"))
        .ok_or(format!("no stall during the click: {text}"))?;
    ensure!(
        block.contains("nanosleep") && block.contains("gtk_main_do_event"),
        "the stall's stack does not show the sleep under GTK 3's event dispatch: {block}"
    );
    Ok(())
}

/// Under Wayland (weston): exact click, keys, the Wayland backend in the header.
fn wayland_counter_is_recorded(ctx: &Ctx) -> TestResult {
    let weston = wayland::Weston::start(ctx, 640, 400)?;
    let log = ctx.log_path("wayland-counter-gtk3");
    let mut app = start_counter(
        ctx,
        weston.client(ctx.gtk3_command("/usr/bin/python3", &log)),
        &[],
    )?;
    // Fullscreen at the output's origin in the kiosk shell (output coordinates are then
    // window coordinates), and painted so: input before that reaches no surface.
    wait_for_log(&log, "a frame at the fullscreen size", |r| {
        let fullscreen_at = r.iter().find_map(|r| match r {
            Record::State(s) if s.state.0 & ToplevelState::FULLSCREEN.0 != 0 => Some(s.t_ns),
            _ => None,
        });
        fullscreen_at.is_some_and(|t| frames(r).any(|f| f.t_ns > t))
    })?;
    // And under the pointer: weston gives a surface the pointer (enter, motion) a moment
    // after showing it; a click before then reaches nothing.
    ctx.xdotool(&["mousemove", "90", "70"])?;
    wait_for_log(&log, "the pointer on the window", |r| {
        events(r).any(|e| {
            matches!(
                e.event_type,
                EventType::ENTER_NOTIFY | EventType::MOTION_NOTIFY
            )
        })
    })?;
    weston.click(ctx, BUTTON_CENTER, 1)?;
    wait_for_log(&log, "the click", |r| {
        count_type(r, EventType::BUTTON_RELEASE) >= 1
    })?;
    ctx.xdotool(&["type", "--delay", "30", "xy"])?;
    let records = wait_for_log(&log, "the keys", |r| {
        events(r)
            .filter(|e| e.event_type == EventType::KEY_RELEASE)
            .count()
            >= 2
    })?;
    app.kill9();
    check_header(&records, "wayland")?;
    ensure!(
        header(&records)?.display_name == weston.socket,
        "display {:?}",
        header(&records)?.display_name
    );
    let top = toplevel(&records)?;
    ensure!(
        top.type_name == "GdkWaylandWindow",
        "type {:?}",
        top.type_name
    );
    check_click(&records, top.surface, 1, BUTTON_CENTER)?;
    check_keys(&records, &["x", "y"])?;
    check_frames(&records)?;
    check_damage_inside(&records)?;
    Ok(())
}

/// `gdkrecord-tool record` on a GTK 3 program that starts a GTK 4 one (our counter
/// sample): each records, into its own file, with its own library; the user's
/// GTK_MODULES keep working (GTK 3 is told of a module it cannot find, and goes on).
fn record_command_records_gtk3_and_its_gtk4_child(ctx: &Ctx) -> TestResult {
    let counter = ctx.bin("counter");
    let versions = record_parent_and_child(ctx, "gtk3-parent", 3, &[counter.as_os_str()])?;
    ensure!(
        versions.len() == 2 && versions[0].0 == 3 && versions[1] == (4, "counter".to_owned()),
        "recordings (GTK major, program): {versions:?}"
    );
    Ok(())
}

/// The reverse: a GTK 4 program that starts a GTK 3 one (counter.py) records both, each
/// with its own toolkit's library, and neither aborts.
fn record_command_records_gtk4_and_its_gtk3_child(ctx: &Ctx) -> TestResult {
    let counter = counter_script();
    let python = std::ffi::OsStr::new("/usr/bin/python3");
    let versions = record_parent_and_child(ctx, "gtk4-parent", 4, &[python, counter.as_os_str()])?;
    ensure!(
        versions.len() == 2 && versions[0].0 == 3 && versions[1].0 == 4,
        "recordings (GTK major, program): {versions:?}"
    );
    Ok(())
}

/// Runs `gdkrecord-tool record` on a PyGObject program of GTK `parent_major` that starts
/// `child` (with `--exit-after 1.5`) and waits for it, in a folder of its own, with a
/// GTK_MODULES of the user's; returns the (GTK major, program) of each recording written.
fn record_parent_and_child(
    ctx: &Ctx,
    name: &str,
    parent_major: u32,
    child: &[&std::ffi::OsStr],
) -> Result<Vec<(u32, String)>, String> {
    let dir = ctx.work.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let child: Vec<String> = child
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let (show, run, quit) = if parent_major == 3 {
        ("window.show_all()", "Gtk.main()", "Gtk.main_quit()")
    } else {
        ("window.present()", "loop.run()", "loop.quit()")
    };
    let script = format!(
        r#"
import subprocess, gi
gi.require_version("Gtk", "{parent_major}.0")
from gi.repository import Gtk, GLib
child = subprocess.Popen({child:?} + ["--exit-after", "1.5"])
loop = GLib.MainLoop()
window = Gtk.Window(title="parent")
{show}
def done():
    child.wait()
    {quit}
GLib.timeout_add(300, done)
{run}
"#
    );
    let output = Command::new(ctx.bin("gdkrecord-tool"))
        .args(["record", "--", "/usr/bin/python3", "-c", &script])
        .current_dir(&dir)
        .env("DISPLAY", &ctx.display)
        .env("GDK_BACKEND", "x11")
        .env("GTK_MODULES", "no-such-module-of-the-user")
        .env("NO_AT_BRIDGE", "1")
        .env("GSETTINGS_BACKEND", "memory")
        .env_remove("GTK_PATH")
        .env_remove("GDKRECORD_FILENAME")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .map_err(|e| format!("cannot run gdkrecord-tool record: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(output.status.success(), "record failed: {stderr}");
    let mut versions = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "gdkrecord") {
            let (records, _) = read_log(&path)?;
            let header = header(&records)?;
            versions.push((header.gtk_version[0], header.program.clone()));
        }
    }
    versions.sort();
    if versions.len() != 2 {
        return Err(format!(
            "recordings (GTK major, program): {versions:?}; stderr: {stderr}"
        ));
    }
    Ok(versions)
}

/// `GDKRECORD_DAMAGE=0` leaves exposures out and says so; the rest is recorded.
fn damage_off_leaves_exposures_out(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("damage-off-gtk3");
    let mut command = ctx.gtk3_command("/usr/bin/python3", &log);
    command.env("GDKRECORD_DAMAGE", "0");
    let mut app = start_counter(ctx, command, &["--exit-after", "1"])?;
    let (status, stderr) = app.wait()?;
    ensure!(
        status.success(),
        "counter.py exited with {status}: {stderr}"
    );
    let (records, _) = read_log(&log)?;
    ensure!(!header(&records)?.damage_capture, "damage_capture on");
    ensure!(damages(&records).next().is_none(), "Damage records written");
    check_frames(&records)?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let tests: [Test; 9] = [
        (
            "counter_records_input_exposures_frames",
            counter_records_input_exposures_frames,
        ),
        (
            "gtk3_widget_factory_is_recorded",
            gtk3_widget_factory_is_recorded,
        ),
        ("gtk3_demo_is_recorded", gtk3_demo_is_recorded),
        ("mousepad_is_recorded", mousepad_is_recorded),
        (
            "blocked_click_is_a_stall_with_its_stack",
            blocked_click_is_a_stall_with_its_stack,
        ),
        ("wayland_counter_is_recorded", wayland_counter_is_recorded),
        (
            "record_command_records_gtk3_and_its_gtk4_child",
            record_command_records_gtk3_and_its_gtk4_child,
        ),
        (
            "record_command_records_gtk4_and_its_gtk3_child",
            record_command_records_gtk4_and_its_gtk3_child,
        ),
        (
            "damage_off_leaves_exposures_out",
            damage_off_leaves_exposures_out,
        ),
    ];
    support::run(
        Suite {
            name: "gtk3",
            binaries: &["libgdkrecord_gtk3.so", "counter"],
            patience: Duration::from_secs(60),
        },
        &tests,
    )
}
