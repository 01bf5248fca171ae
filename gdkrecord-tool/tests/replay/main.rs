//! GUI tests of `replay`: a session recorded with xdotool (clicks, typing, a resize, the
//! quit key) replayed into a new run of the same app must give the same presses at the
//! same surface positions, the same keys in order, the same size, frames and damage; on
//! our `counter` sample, its GTK 3 twin (samples/gtk3/counter.py) and Debian's
//! gtk4-widget-factory (an app we did not write).
//! Then the errors: a recording without input, a window that never appears, a surface
//! the new run never creates, no display: exit 2, one line, the partial recording kept.
//!
//! `harness = false`, with the recorder's GUI-test harness (a private Xvfb, programs by
//! pid, no fixed sleeps): needs Xvfb, xdotool, gtk-4-examples, GTK 3's PyGObject, and the
//! workspace built (`cargo build --workspace --all-targets`).

#[macro_use]
#[path = "../../../recorder/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;
#[path = "../../../recorder/tests/support/gtk3_apps.rs"]
mod gtk3_apps;
#[path = "../../../recorder/tests/support/wayland.rs"]
#[allow(dead_code)]
mod wayland;

mod errors_and_timing;
mod sessions;

use std::path::Path;
use std::process::{Command, ExitCode, Output, Stdio};
use std::time::{Duration, Instant};

use gdkrecord_format::{
    End, EndReason, Event, EventType, Frame, Header, Reader, Record, Size, Surface, SurfaceId,
    SurfaceKind, Writer,
};

use support::{Ctx, Suite, Test, TestResult};

/// How long to wait for what a program should do quickly (a failure, not a measure);
/// a first GL frame on a cold llvmpipe can take several seconds.
const PATIENCE: Duration = Duration::from_secs(60);

fn read_log(path: &Path) -> Result<Vec<Record>, String> {
    let mut reader = Reader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .by_ref()
        .collect::<Result<Vec<Record>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads the growing log until `done` holds for its records.
fn wait_for_log(path: &Path, what: &str, done: impl Fn(&[Record]) -> bool) -> TestResult {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if read_log(path).is_ok_and(|records| done(&records)) {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "the log never showed {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(records: &[Record], event_type: EventType) -> Vec<&Event> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Event(e) if e.event_type == event_type => Some(e),
            _ => None,
        })
        .collect()
}

fn has_frame(records: &[Record]) -> bool {
    records.iter().any(|r| matches!(r, Record::Frame(_)))
}

/// `gdkrecord-tool ARGS` on the private display, with a limit on how long it may take.
fn tool(ctx: &Ctx, args: &[&str], env: &[(&str, Option<&str>)]) -> Result<Output, String> {
    let mut command = Command::new("timeout");
    command
        .arg("300")
        .arg(ctx.bin("gdkrecord-tool"))
        .args(args)
        .current_dir(&ctx.work)
        .env("DISPLAY", &ctx.display)
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        .env("GSETTINGS_BACKEND", "memory")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GTK_PATH")
        .env_remove("GTK_MODULES")
        .env_remove("GDKRECORD_MODULE")
        .stdin(Stdio::null());
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command
        .output()
        .map_err(|e| format!("cannot run gdkrecord-tool: {e}"))
}

/// `gdkrecord-tool replay REC -o OUT FLAGS... -- COMMAND...`, which must succeed; the new
/// recording's records and the tool's stderr.
fn replay(
    ctx: &Ctx,
    rec: &Path,
    out: &str,
    flags: &[&str],
    command: &[&str],
) -> Result<(Vec<Record>, String), String> {
    let rec = rec.display().to_string();
    let mut args = vec!["replay", &rec, "-o", out];
    args.extend(flags);
    args.push("--");
    args.extend(command);
    let output = tool(ctx, &args, &[])?;
    ensure!(
        output.status.success(),
        "replay failed: {}",
        stderr(&output)
    );
    Ok((read_log(&ctx.work.join(out))?, stderr(&output)))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The presses (button, position) and key names of a recording, and the sizes its first
fn main() -> ExitCode {
    use errors_and_timing::*;
    use sessions::*;
    let tests: &[Test] = &[
        (
            "counter_session_replays_the_same",
            counter_session_replays_the_same,
        ),
        (
            "gtk3_counter_session_replays_the_same",
            gtk3_counter_session_replays_the_same,
        ),
        (
            "widget_factory_session_replays_the_same",
            widget_factory_session_replays_the_same,
        ),
        (
            "wait_idle_holds_input_until_the_app_is_idle",
            wait_idle_holds_input_until_the_app_is_idle,
        ),
        (
            "wayland_app_in_nested_weston_is_replayed",
            wayland_app_in_nested_weston_is_replayed,
        ),
        (
            "replay_errors_exit_2_and_keep_the_partial_recording",
            replay_errors_exit_2_and_keep_the_partial_recording,
        ),
    ];
    support::run(
        Suite {
            name: "replay",
            binaries: &["counter", "blocker", "libgdkrecord_gtk3.so"],
            patience: PATIENCE,
        },
        tests,
    )
}
