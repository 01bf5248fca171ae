//! GUI tests of pixel recording in GTK 3 programs (`GDKRECORD_PIXELS=1`, read back from the
//! painted window by `libgdkrecord_gtk3.so`): the counter's GTK 3 twin
//! (samples/gtk3/counter.py) and gtk3-widget-factory under a private Xvfb, driven with
//! xdotool; the recordings composed with `gdkrecord-replay` and compared with what the X
//! server itself shows (`GetImage` of the window), as `pixels.rs` does for GTK 4; and under
//! Wayland (weston, `support/wayland.rs`), where there are none.
//!
//! The counter runs with the cursor not blinking and, where a test wants it still,
//! `--still` (the square does not blink), so the only repaints are the ones a test causes.
//!
//! `harness = false`: one X server and pointer for all tests. Prints `N passed, N failed`.
//! Needs Xvfb, xdotool, weston, GTK 3's PyGObject and examples (what scripts/setup installs), and
//! the workspace's binaries built (found beside the test executable).

#[macro_use]
mod support;
#[path = "support/gtk3_apps.rs"]
mod gtk3_apps;
#[path = "support/pictures.rs"]
mod pictures;
#[path = "support/records.rs"]
mod records;
#[path = "support/wayland.rs"]
#[allow(dead_code)] // no input sent to weston here
mod wayland;

use std::path::Path;

use gdkrecord_format::{PixelsSkipReason, Record, SurfaceKind};

use gtk3_apps::*;
use pictures::*;
use records::*;
use support::{App, Ctx, Suite, Test, TestResult};

/// The label's area (its text grows with the count) and the button of counter.py.
const LABEL: [i32; 4] = [20, 20, 120, 30];
const BUTTON: [i32; 4] = [20, 60, 160, 40];

impl Ctx {
    /// counter.py with pixels on, its cursor not blinking, with `args` and `env`; its
    /// window.
    fn start_counter_pixels(
        &self,
        log: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(App, String), String> {
        let config = self.work.join("no-blink");
        std::fs::create_dir_all(config.join("gtk-3.0")).map_err(|e| e.to_string())?;
        std::fs::write(
            config.join("gtk-3.0/settings.ini"),
            "[Settings]\ngtk-cursor-blink=false\n",
        )
        .map_err(|e| e.to_string())?;
        let mut command = self.gtk3_command("/usr/bin/python3", log);
        command
            .env("GDKRECORD_PIXELS", "1")
            .env("XDG_CONFIG_HOME", &config)
            .envs(env.iter().copied());
        let app = start_counter(self, command, args)?;
        let window = self.window_of(app.pid())?;
        Ok((app, window))
    }

    fn quit(&self, mut app: App, window: &str) -> TestResult {
        self.xdotool(&["windowfocus", "--sync", window])?;
        self.xdotool(&["key", "ctrl+q"])?;
        let (status, stderr) = app.wait()?;
        ensure!(
            status.success(),
            "counter.py exited with {status}: {stderr}"
        );
        Ok(())
    }
}

/// A click on the button: the frame that repaints the label changes the label (and the
/// button it pressed) and nothing else; the composed picture is what the X server shows,
/// before and after.
fn a_click_changes_the_label_and_nothing_else(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("click-gtk3");
    let (app, window) = ctx.start_counter_pixels(&log, &["--still"], &[])?;
    let records = wait_for_log(&log, "a whole picture", |r| {
        pixels(r).any(|p| p.full && p.rect == [0, 0, 400, 200])
    })?;
    let first = pixels(&records).next().ok_or("no pixels")?;
    ensure!(first.full && first.scale == 1, "first patch {first:?}");
    screen_matches_the_recording(ctx, &window, &log, true)?;

    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    check_click_frame(&log, LABEL, BUTTON)?;
    screen_matches_the_recording(ctx, &window, &log, true)?;
    ctx.quit(app, &window)
}

/// A repaint outside the frame clock's cycle (the click handler paints the label at once,
/// `gdk_window_process_updates`): its pixels are read once GTK painted it, so they show
/// the new label, and the composed picture is still what the X server shows.
fn a_paint_outside_the_cycle_has_its_pixels(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("paint-at-once-gtk3");
    let (app, window) = ctx.start_counter_pixels(&log, &["--still", "--paint-at-once"], &[])?;
    wait_for_log(&log, "a whole picture", |r| {
        pixels(r).any(|p| p.full && p.rect == [0, 0, 400, 200])
    })?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    check_click_frame(&log, LABEL, BUTTON)?;
    // The label's first patch after the click came outside a cycle: its frame counter is
    // that of a Frame record already written.
    let records = wait_for_log(&log, "the label's patch", |r| {
        pixels(r).any(|p| !p.full && intersects(p.rect, LABEL))
    })?;
    let at = records
        .iter()
        .position(|r| matches!(r, Record::Pixels(p) if !p.full && intersects(p.rect, LABEL)))
        .ok_or("no label patch")?;
    let Record::Pixels(patch) = &records[at] else {
        return Err("not pixels".into());
    };
    ensure!(
        records[..at]
            .iter()
            .any(|r| matches!(r, Record::Frame(f) if f.counter == patch.frame)),
        "the label's patch of frame {} came inside a cycle: --paint-at-once painted nothing",
        patch.frame
    );
    screen_matches_the_recording(ctx, &window, &log, true)?;
    ctx.quit(app, &window)
}

/// At scale 2 (`GDK_SCALE=2`) the patches carry twice the pixels a side, and the
/// composed picture is still what the X server shows.
fn scale_two_is_recorded_in_device_pixels(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("scale-gtk3");
    let (app, window) = ctx.start_counter_pixels(&log, &[], &[("GDK_SCALE", "2")])?;
    let records = wait_for_log(&log, "a whole picture and a square patch", |r| {
        pixels(r).any(|p| p.full) && pixels(r).any(|p| !p.full && p.rect == SQUARE)
    })?;
    pictures_are_in_device_pixels(&records, [0, 0, 400, 200], SQUARE)?;
    screen_matches_the_recording(ctx, &window, &log, true)?;
    ctx.quit(app, &window)
}

/// The entry's context menu, a popup: its pixels come after a `popup-position` record
/// placing it where it opened over the window (at the pointer), and decode.
fn a_popup_has_its_position_and_pixels(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("popup-gtk3");
    let (app, window) = ctx.start_counter_pixels(&log, &["--still"], &[])?;
    wait_for_log(&log, "a whole picture", |r| pixels(r).any(|p| p.full))?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, ENTRY_POINT, 3)?;
    let popup_id = |r: &[Record]| {
        r.iter().find_map(|r| match r {
            Record::Surface(s) if s.surface_kind == SurfaceKind::POPUP => Some(s.surface),
            _ => None,
        })
    };
    let records = wait_for_log(&log, "the menu's position and pixels", |r| {
        popup_id(r).is_some_and(|id| {
            pixels(r).any(|p| p.surface == id)
                && r.iter()
                    .any(|r| matches!(r, Record::PopupPosition(p) if p.surface == id))
        })
    })?;
    ctx.xdotool(&["key", "Escape"])?;
    let id = popup_id(&records).ok_or("no popup")?;
    let position = records
        .iter()
        .position(|r| matches!(r, Record::PopupPosition(p) if p.surface == id))
        .ok_or("no position")?;
    let first_pixels = records
        .iter()
        .position(|r| matches!(r, Record::Pixels(p) if p.surface == id))
        .ok_or("no pixels")?;
    ensure!(
        position < first_pixels,
        "the popup's position comes after its first pixels"
    );
    let Record::PopupPosition(at) = &records[position] else {
        return Err("not a position".into());
    };
    // GTK 3 opens a context menu with its corner at the pointer.
    let (x, y) = (ENTRY_POINT.0 as i32, ENTRY_POINT.1 as i32);
    ensure!(
        (at.x - x).abs() <= 4 && (at.y - y).abs() <= 4,
        "the menu sits at {},{} over the window, the click was at {x},{y}",
        at.x,
        at.y
    );
    for patch in pixels(&records).filter(|p| p.surface == id) {
        patch.decode().map_err(|e| format!("{patch:?}: {e}"))?;
    }
    ctx.quit(app, &window)
}

/// Over the budget (here 0 MiB a second: one frame's pixels a second), frames are recorded
/// without pixels, each with a `pixels-skipped` record, and the next pixels are a whole
/// picture again, so the composed picture is never left stale.
fn frames_over_the_budget_are_skipped_then_pictured_whole(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("budget-gtk3");
    let (app, window) =
        ctx.start_counter_pixels(&log, &[], &[("GDKRECORD_PIXELS_MB_PER_S", "0")])?;
    // How many frames over the budget end in a whole picture depends on where the
    // square's repaints fall in each second: wait for two.
    let records = wait_for_log(
        &log,
        "two whole pictures after frames over the budget",
        |r| wholes_after_skips(r).is_ok_and(|n| n >= 2),
    )?;
    ctx.quit(app, &window)?;
    wholes_after_skips(&records)?;
    ensure!(
        records
            .iter()
            .any(|r| matches!(r, Record::PixelsSkipped(s) if s.reason == PixelsSkipReason::BUDGET)),
        "no frame over the budget"
    );
    Ok(())
}

/// gtk3-widget-factory with pixels: a whole first picture of its window, then patches,
/// all decoding to their rectangles' size.
fn gtk3_widget_factory_has_pixels(ctx: &Ctx) -> TestResult {
    let program = "gtk3-widget-factory";
    ensure!(
        which(program),
        "{program} is not installed (scripts/setup installs gtk-3-examples)"
    );
    let log = ctx.log_path(program);
    let mut command = ctx.gtk3_command(program, &log);
    command.env("GDKRECORD_PIXELS", "1");
    let mut app = ctx.spawn(command)?;
    let window = ctx.window_of(app.pid())?;
    let (width, height) = ctx.window_size(&window)?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, (width / 2, height - 12), 1)?;
    let records = wait_for_log(&log, "a whole picture and patches", |r| {
        pixels(r).any(|p| p.full) && pixels(r).any(|p| !p.full)
    })?;
    app.kill9();
    let top = toplevel(&records)?.surface;
    // The last whole picture: the window may have been resized after its first frame.
    let whole = pixels(&records)
        .filter(|p| p.surface == top && p.full && p.rect[1] == 0)
        .last()
        .ok_or("no whole picture of the window")?;
    ensure!(
        whole.rect[..3] == [0, 0, width],
        "the last whole picture {:?} of a {width}×{height} window",
        whole.rect
    );
    for patch in pixels(&records) {
        let data = patch.decode().map_err(|e| format!("{patch:?}: {e}"))?;
        let side = patch.scale as usize;
        let expected = patch.rect[2] as usize * patch.rect[3] as usize * side * side * 4;
        ensure!(
            data.len() == expected,
            "a {:?} patch of {} bytes",
            patch.rect,
            data.len()
        );
    }
    let picture = composed(&records, records.len()).ok_or("no picture")?;
    let distinct: std::collections::HashSet<[u8; 4]> = (0..picture.height)
        .step_by(7)
        .flat_map(|y| (0..picture.width).step_by(7).map(move |x| (x, y)))
        .map(|(x, y)| picture.bgra_at(x, y))
        .collect();
    ensure!(
        distinct.len() > 20,
        "the composed picture has {} colours: not the widget factory",
        distinct.len()
    );
    Ok(())
}

/// Under Wayland (weston) the window is not read back: the recorder says so once on
/// stderr, records no pixels, and the rest (frames, exposures) as without pixels.
fn wayland_has_no_pixels_and_says_so(ctx: &Ctx) -> TestResult {
    let weston = wayland::Weston::start(ctx, 640, 400)?;
    let log = ctx.log_path("wayland-pixels-gtk3");
    let mut command = weston.client(ctx.gtk3_command("/usr/bin/python3", &log));
    command.env("GDKRECORD_PIXELS", "1");
    let mut app = start_counter(ctx, command, &["--exit-after", "2"])?;
    let (status, stderr) = app.wait()?;
    ensure!(
        status.success(),
        "counter.py exited with {status}: {stderr}"
    );
    let note = "pixels are read back under X11 only";
    ensure!(
        stderr.matches(note).count() == 1,
        "stderr does not say once that {note}: {stderr}"
    );
    let (records, _) = read_log(&log)?;
    ensure!(
        !records.iter().any(|r| matches!(
            r,
            Record::Pixels(_) | Record::PixelsSkipped(_) | Record::PopupPosition(_)
        )),
        "pixel records under Wayland"
    );
    ensure!(
        damages(&records).any(|d| covers(&d.rects, SQUARE)),
        "no exposure of the blinking square"
    );
    check_frames(&records)
}

fn main() -> std::process::ExitCode {
    let tests: [Test; 7] = [
        (
            "a_click_changes_the_label_and_nothing_else",
            a_click_changes_the_label_and_nothing_else,
        ),
        (
            "a_paint_outside_the_cycle_has_its_pixels",
            a_paint_outside_the_cycle_has_its_pixels,
        ),
        (
            "scale_two_is_recorded_in_device_pixels",
            scale_two_is_recorded_in_device_pixels,
        ),
        (
            "a_popup_has_its_position_and_pixels",
            a_popup_has_its_position_and_pixels,
        ),
        (
            "frames_over_the_budget_are_skipped_then_pictured_whole",
            frames_over_the_budget_are_skipped_then_pictured_whole,
        ),
        (
            "gtk3_widget_factory_has_pixels",
            gtk3_widget_factory_has_pixels,
        ),
        (
            "wayland_has_no_pixels_and_says_so",
            wayland_has_no_pixels_and_says_so,
        ),
    ];
    support::run(
        Suite {
            name: "gtk3-pixels",
            binaries: &["libgdkrecord_gtk3.so"],
            patience: PATIENCE,
        },
        &tests,
    )
}
