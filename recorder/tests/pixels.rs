//! GUI tests of pixel recording (`GDKRECORD_PIXELS=1`): the `counter` sample under a
//! private Xvfb, clicked with xdotool; its recording read back and composed with
//! `gdkrecord-replay`, compared with what the X server itself shows (`GetImage` of the
//! window), and given to `gdkrecord-tool frames` and `exposures`.
//!
//! The sample runs with `GSK_RENDERER=cairo` and the cursor not blinking, so the only
//! repaints are the ones a test causes (and the blinking square, where a test wants it).
//!
//! `harness = false`: one X server and pointer for all tests. Prints `N passed, N failed`.
//! Needs Xvfb, xdotool, and the workspace's binaries built (found beside the test
//! executable). The harness is shared with the `gui` and `stalls` tests (`support`).

#[macro_use]
mod support;
#[path = "support/pictures.rs"]
mod pictures;
#[path = "support/records.rs"]
mod records;
#[path = "support/wayland.rs"]
#[allow(dead_code)] // this suite does not click
mod wayland;

use std::path::{Path, PathBuf};
use std::process::Command;

use gdkrecord_format::{PixelsSkipReason, Record};

use pictures::*;
use records::{read_log, wait_for_log, PATIENCE};
use support::{App, Ctx, Suite, Test, TestResult};

/// The counter's button centre and blinking square (samples/src/bin/counter.rs).
const BUTTON_CENTER: (i32, i32) = (100, 80);
const BUTTON: [i32; 4] = [20, 60, 160, 40];
const SQUARE: [i32; 4] = [300, 20, 24, 24];
const WINDOW: (u32, u32) = (400, 200);
impl Ctx {
    /// The counter with pixels on, drawn with cairo (unless `env` says otherwise), its
    /// cursor not blinking; its window.
    fn start_counter(&self, log: &Path, args: &[&str]) -> Result<(App, String), String> {
        self.start_counter_with(log, args, &[])
    }

    /// [`Ctx::start_counter`] with more environment.
    fn start_counter_with(
        &self,
        log: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(App, String), String> {
        let app = self.spawn(self.counter_command(log, args, env)?)?;
        app.lines_until("ready")?;
        let window = self.window_of(app.pid())?;
        Ok((app, window))
    }

    /// The command [`Ctx::start_counter_with`] runs.
    fn counter_command(
        &self,
        log: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Command, String> {
        let config = self.work.join("no-blink");
        std::fs::create_dir_all(config.join("gtk-4.0")).map_err(|e| e.to_string())?;
        std::fs::write(
            config.join("gtk-4.0/settings.ini"),
            "[Settings]\ngtk-cursor-blink=false\n",
        )
        .map_err(|e| e.to_string())?;
        let mut command = self.gtk_command(self.bin("counter"), log);
        command
            .arg("--print-layout")
            .args(args)
            .env("GSK_RENDERER", "cairo")
            .env("GDKRECORD_PIXELS", "1")
            .env("XDG_CONFIG_HOME", &config)
            .envs(env.iter().copied());
        Ok(command)
    }

    /// Quits the counter; its stderr.
    fn quit(&self, mut app: App, window: &str) -> Result<String, String> {
        self.xdotool(&["windowfocus", "--sync", window])?;
        self.xdotool(&["key", "ctrl+q"])?;
        let (status, stderr) = app.wait()?;
        ensure!(status.success(), "counter exited with {status}: {stderr}");
        Ok(stderr)
    }

    /// Runs `gdkrecord-tool` with `args`; its stderr.
    fn tool(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new(self.bin("gdkrecord-tool"))
            .args(args)
            .output()
            .map_err(|e| format!("cannot run gdkrecord-tool: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        ensure!(
            output.status.success(),
            "gdkrecord-tool {} failed: {stderr}",
            args.join(" ")
        );
        Ok(stderr)
    }
}

/// A click on the button: the frame that repaints the label changes the label (and the
/// button it pressed) and nothing else; the composed picture is exactly what the X
/// server shows, before and after: every band was read back from what the cairo
/// renderer drew (the recorder's self-time report counts them).
fn a_click_changes_the_label_and_nothing_else(ctx: &Ctx) -> TestResult {
    click_changes_the_label(ctx, "cairo", true)
}

/// The same with the GL renderer, whose frames are read back from its back buffer too:
/// under Xvfb the GL driver is llvmpipe, a CPU rasterizer (`recorder/gtk4/pixels/gl.rs`).
fn gl_frames_are_read_back(ctx: &Ctx) -> TestResult {
    click_changes_the_label(ctx, "gl", true)
}

/// Frames drawn again from their render nodes, as a GPU's GL frames and the Vulkan
/// renderer's are (`GDKRECORD_PIXELS_READ_BACK=0` asks for it here): what the X server
/// shows within the tolerance (cairo's glyph antialiasing is not GL's).
fn gl_frames_drawn_from_their_nodes(ctx: &Ctx) -> TestResult {
    click_changes_the_label(ctx, "gl", false)
}

/// GL frames at `GDK_SCALE=2`, read back in device pixels: a whole picture of 800×400,
/// then the blinking square's 48×48 patches, the picture exactly what the X server shows.
fn gl_frames_at_scale_two_are_read_back_in_device_pixels(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("scale-gl");
    let (app, window) = ctx.start_counter_with(
        &log,
        &[],
        &[
            ("GSK_RENDERER", "gl"),
            ("GDK_SCALE", "2"),
            ("GDKRECORD_SELF_TIME", "1"),
        ],
    )?;
    let records = wait_for_log(&log, "a whole picture and a square patch", |r| {
        pixels(r).any(|p| p.full) && pixels(r).any(|p| !p.full && p.rect == SQUARE)
    })?;
    pictures_are_in_device_pixels(&records, [0, 0, 400, 200], SQUARE)?;
    // Painted regions come in application pixels too, whichever this GTK passes (the
    // square's, or the whole window where GL has no buffer age).
    let painted: Vec<[i32; 4]> = records
        .iter()
        .filter_map(|r| match r {
            Record::Painted(d) => Some(d.rects.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    ensure!(
        !painted.is_empty()
            && painted
                .iter()
                .all(|r| r[0] >= 0 && r[1] >= 0 && r[0] + r[2] <= 400 && r[1] + r[3] <= 200),
        "painted rectangles at scale 2: {painted:?}"
    );
    screen_matches_the_recording(ctx, &window, &log, true)?;
    let stderr = ctx.quit(app, &window)?;
    bands_came_from(&stderr, true, "gl at scale 2")
}

fn click_changes_the_label(ctx: &Ctx, renderer: &str, read_back: bool) -> TestResult {
    let how = if read_back { "read" } else { "drawn" };
    let log = ctx.log_path(&format!("click-{renderer}-{how}"));
    let read_back_setting = if read_back { "1" } else { "0" };
    let (app, window) = ctx.start_counter_with(
        &log,
        &["--still"],
        &[
            ("GSK_RENDERER", renderer),
            ("GDKRECORD_SELF_TIME", "1"),
            ("GDKRECORD_PIXELS_READ_BACK", read_back_setting),
        ],
    )?;
    let records = wait_for_log(&log, "a whole picture", |r| {
        pixels(r).any(|p| p.full && p.rect == [0, 0, 400, 200])
    })?;
    let first = pixels(&records).next().ok_or("no pixels")?;
    ensure!(first.full && first.scale == 1, "first patch {first:?}");
    screen_matches_the_recording(ctx, &window, &log, read_back)?;

    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    check_click_frame(&log, [20, 20, 120, 30], BUTTON)?;
    screen_matches_the_recording(ctx, &window, &log, read_back)?;
    let stderr = ctx.quit(app, &window)?;
    bands_came_from(&stderr, read_back, renderer)
}

/// Checks, from the recorder's self-time report in the app's `stderr`, that at least two
/// bands were captured, all read back or all drawn again (`read_back`).
fn bands_came_from(stderr: &str, read_back: bool, what: &str) -> TestResult {
    let count = |name: &str| {
        stderr
            .split_once(&format!(" {name}="))
            .and_then(|(_, rest)| rest.split(' ').next()?.trim().parse::<u64>().ok())
    };
    let bands = (count("pixel_bands_read_back"), count("pixel_bands_drawn"));
    let expected = match bands {
        (Some(n), Some(0)) => read_back && n >= 2,
        (Some(0), Some(n)) => !read_back && n >= 2,
        _ => false,
    };
    ensure!(
        expected,
        "{what}: (read back, drawn again) bands {bands:?}: {stderr}"
    );
    Ok(())
}

/// Under Wayland (weston in the Xvfb, the counter fullscreen in its kiosk shell): the
/// cairo renderer's frames are read back from its shared-memory buffer too, a whole
/// picture of the fullscreen window first, with the app's square in it.
fn wayland_frames_are_read_back(ctx: &Ctx) -> TestResult {
    const OUTPUT: [i32; 2] = [640, 400];
    let weston = wayland::Weston::start(ctx, OUTPUT[0] as u32, OUTPUT[1] as u32)?;
    let log = ctx.log_path("wayland");
    let command = ctx.counter_command(
        &log,
        &["--still", "--exit-after", "3"],
        &[("GDKRECORD_SELF_TIME", "1")],
    )?;
    let mut app = ctx.spawn(weston.client(command))?;
    let (status, stderr) = app.wait()?;
    drop(weston);
    ensure!(status.success(), "counter exited with {status}: {stderr}");
    let (records, _) = read_log(&log)?;
    let whole = [0, 0, OUTPUT[0], OUTPUT[1]];
    ensure!(
        pixels(&records).any(|p| p.full && p.rect == whole),
        "no whole picture of the fullscreen window: {:?}",
        pixels(&records).map(|p| p.rect).collect::<Vec<_>>()
    );
    let picture = composed(&records, records.len()).ok_or("no picture")?;
    let [r, g, b] = picture.rgb_over(
        (SQUARE[0] + SQUARE[2] / 2) as u32,
        (SQUARE[1] + SQUARE[3] / 2) as u32,
        [0, 0, 0],
    );
    ensure!(
        ((r > 200 && b < 50) || (b > 200 && r < 50)) && g < 50,
        "the square is not red or blue in the picture: {:?}",
        [r, g, b]
    );
    bands_came_from(&stderr, true, "wayland")
}

/// The blinking square's patches are exactly its rectangle and alternate between two
/// pictures (red, blue, red...).
fn the_blinking_square_alternates(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("blink");
    let (app, window) = ctx.start_counter(&log, &[])?;
    let records = wait_for_log(&log, "five square patches", |r| {
        pixels(r).filter(|p| p.rect == SQUARE).count() >= 5
    })?;
    ctx.quit(app, &window)?;
    let squares: Vec<Vec<u8>> = pixels(&records)
        .filter(|p| p.rect == SQUARE)
        .map(|p| p.decode().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let centre = |data: &[u8]| {
        let i = (12 * 24 + 12) * 4;
        [data[i + 2], data[i + 1], data[i]]
    };
    for pair in squares.windows(2) {
        ensure!(
            pair[0] != pair[1],
            "two square patches in a row are the same"
        );
    }
    for triple in squares.windows(3) {
        ensure!(triple[0] == triple[2], "the square does not alternate");
    }
    let colours: Vec<[u8; 3]> = squares.iter().map(|s| centre(s)).collect();
    let red = colours.iter().any(|c| c[0] > 200 && c[2] < 50);
    let blue = colours.iter().any(|c| c[2] > 200 && c[0] < 50);
    ensure!(red && blue, "square colours {colours:?}");
    let others: Vec<_> = pixels(&records)
        .filter(|p| !p.full && p.rect != SQUARE)
        .map(|p| p.rect)
        .collect();
    ensure!(
        others.is_empty(),
        "other patches while only the square blinked: {others:?}"
    );
    check_tool_outputs(ctx, &log)
}

/// `frames` writes PNG files that decode to the window's size with the square in them;
/// `exposures` draws the app's pixels in its GIF and heatmap.
fn check_tool_outputs(ctx: &Ctx, log: &Path) -> TestResult {
    let dir = ctx.work.join("frames");
    let log_arg = log.display().to_string();
    ctx.tool(&["frames", &log_arg, "-o", &dir.display().to_string()])?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    ensure!(files.len() >= 5, "{} PNG files", files.len());
    let mut square_colours = Vec::new();
    for file in &files {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(file).map_err(|e| e.to_string())?,
        ));
        let mut reader = decoder
            .read_info()
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let mut buf = vec![0; reader.output_buffer_size().ok_or("no PNG size")?];
        let info = reader
            .next_frame(&mut buf)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        ensure!(
            (info.width, info.height) == WINDOW,
            "{}: {}×{}",
            file.display(),
            info.width,
            info.height
        );
        let i = ((32 * info.width + 312) * 4) as usize;
        square_colours.push([buf[i], buf[i + 1], buf[i + 2]]);
    }
    ensure!(
        square_colours.windows(2).any(|p| p[0] != p[1]),
        "the square never changed in the PNG files: {square_colours:?}"
    );

    let gif_path = ctx.work.join("blink.gif");
    ctx.tool(&["exposures", &log_arg, "-o", &gif_path.display().to_string()])?;
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(&gif_path).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    // The first picture shows the app: the label's dark grey text where it is (the
    // surface drawn 12 px from the GIF's corner, unscaled), not a flat colour with the
    // damage drawn on it.
    let frame = decoder
        .read_next_frame()
        .map_err(|e| e.to_string())?
        .ok_or("an empty GIF")?;
    let width = usize::from(frame.width);
    let grey_text = (32..52)
        .flat_map(|y| (32..142).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = (y * width + x) * 4;
            let [r, g, b] = [frame.buffer[i], frame.buffer[i + 1], frame.buffer[i + 2]];
            r < 110 && r.abs_diff(g) < 24 && g.abs_diff(b) < 24
        })
        .count();
    ensure!(
        grey_text > 30,
        "the GIF's first picture has {grey_text} dark grey pixels where the label is: no app pixels"
    );
    Ok(())
}

/// Over the budget (here 0 MiB a second: one frame's pixels a second), frames are recorded
/// without pixels, each with a `pixels-skipped` record, and the next pixels are a whole
/// picture again, so the composed picture is never left stale.
fn frames_over_the_budget_are_skipped_then_pictured_whole(ctx: &Ctx) -> TestResult {
    let log = ctx.log_path("budget");
    let (app, window) = ctx.start_counter_with(&log, &[], &[("GDKRECORD_PIXELS_MB_PER_S", "0")])?;
    // How many frames over the budget end in a whole picture depends on where the
    // square's repaints fall in each second: wait for two, after three skipped frames.
    let skipped = |r: &[Record]| {
        r.iter()
            .filter(
                |r| matches!(r, Record::PixelsSkipped(s) if s.reason == PixelsSkipReason::BUDGET),
            )
            .count()
    };
    let records = wait_for_log(
        &log,
        "three frames over the budget and two whole pictures after skips",
        |r| skipped(r) >= 3 && wholes_after_skips(r).is_ok_and(|n| n >= 2),
    )?;
    ctx.quit(app, &window)?;
    wholes_after_skips(&records)?;
    let out = Command::new(ctx.bin("gdkrecord-tool"))
        .args(["stats", &log.display().to_string(), "--json"])
        .output()
        .map_err(|e| e.to_string())?;
    let stats: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("stats --json: {e}"))?;
    ensure!(
        stats["pixels"]["skipped_over_budget"].as_u64() >= Some(3),
        "stats: {}",
        stats["pixels"]
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let tests: [Test; 7] = [
        (
            "a_click_changes_the_label_and_nothing_else",
            a_click_changes_the_label_and_nothing_else,
        ),
        ("gl_frames_are_read_back", gl_frames_are_read_back),
        (
            "gl_frames_drawn_from_their_nodes",
            gl_frames_drawn_from_their_nodes,
        ),
        (
            "gl_frames_at_scale_two_are_read_back_in_device_pixels",
            gl_frames_at_scale_two_are_read_back_in_device_pixels,
        ),
        ("wayland_frames_are_read_back", wayland_frames_are_read_back),
        (
            "the_blinking_square_alternates",
            the_blinking_square_alternates,
        ),
        (
            "frames_over_the_budget_are_skipped_then_pictured_whole",
            frames_over_the_budget_are_skipped_then_pictured_whole,
        ),
    ];
    support::run(
        Suite {
            name: "pixels",
            binaries: &["counter"],
            patience: PATIENCE,
        },
        &tests,
    )
}
