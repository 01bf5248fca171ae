//! GUI tests of the recorder in programs we did not write: Debian's gtk4-widget-factory and
//! gtk4-demo, a PyGObject script (GTK dlopen()ed late by the interpreter), under a private
//! Xvfb, loaded through the real path (`GTK_PATH=$(gdkrecord-tool module-dir)`), driven
//! with xdotool, their recordings read back with `gdkrecord_format::Reader`; and programs
//! that are not GTK 4, given the same `GTK_PATH`, writing nothing.
//!
//! `harness = false`: GTK programs are separate processes, but the X server and input
//! are shared, so the tests run one after the other. Prints `N passed, N failed` and
//! exits non-zero on failure. Needs Xvfb and xdotool; the binaries are found beside the
//! test executable (`cargo build --workspace --all-targets` builds them). The harness is
//! shared with the other GUI test binaries (`support`).

#[macro_use]
mod support;
#[path = "support/damage.rs"]
mod damage;
#[path = "support/records.rs"]
mod records;

use std::path::Path;
use std::process::{Command, Stdio};

use gdkrecord_format::Record;

use damage::{check_damage_capture, damage_expected};
use records::*;
use support::{Ctx, Suite, Test, TestResult};

/// A GTK 4 program from Debian (not ours): click, key, optionally a resize, frames, damage.
fn debian_app_is_recorded(ctx: &Ctx, program: &str, resize: Option<(i32, i32)>) -> TestResult {
    let log = ctx.log_path(program);
    let mut app = ctx.spawn(ctx.gtk_command(program, &log))?;
    let window = ctx.window_of(app.pid())?;
    // Wait for the first frame (slow with software GL) before sending input.
    wait_for_log(&log, "a first frame", |r| frames(r).next().is_some())?;
    let at = ctx.click_key_and_resize(&window, resize)?;
    let records = wait_for_log(&log, "click, key and resize", |r| {
        click_key_and_resize_recorded(r, resize)
            && resize.is_none_or(|(w, h)| {
                damage_expected(r) != Ok(true) || damages(r).any(|d| d.rects == [[0, 0, w, h]])
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

fn main() -> std::process::ExitCode {
    let tests: [Test; 4] = [
        ("widget_factory_is_recorded", widget_factory_is_recorded),
        ("gtk4_demo_is_recorded", gtk4_demo_is_recorded),
        ("pygobject_app_is_recorded", pygobject_app_is_recorded),
        (
            "non_gtk4_programs_write_nothing",
            non_gtk4_programs_write_nothing,
        ),
    ];
    support::run(
        Suite {
            name: "other_apps",
            binaries: &[],
            patience: PATIENCE,
        },
        &tests,
    )
}
