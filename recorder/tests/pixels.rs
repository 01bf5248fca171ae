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
#[path = "support/wayland.rs"]
#[allow(dead_code)] // this suite does not click
mod wayland;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gdkrecord_format::{EventType, Pixels, PixelsSkipReason, Reader, Record, SurfaceId};
use gdkrecord_replay::{Picture, Pictures};
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

use support::{App, Ctx, Suite, Test, TestResult};

/// How long to wait for what should happen quickly (a failure, not a measurement).
const PATIENCE: Duration = Duration::from_secs(60);
/// The counter's button centre and blinking square (samples/src/bin/counter.rs).
const BUTTON_CENTER: (i32, i32) = (100, 80);
const BUTTON: [i32; 4] = [20, 60, 160, 40];
const SQUARE: [i32; 4] = [300, 20, 24, 24];
const WINDOW: (u32, u32) = (400, 200);
/// Pictures drawn again from the render node (GL frames) may differ from what the GL
/// renderer showed where their antialiasing differs (the glyphs: about 1 % of the
/// counter's pixels), in a pixel whose channel differs by more than
/// [`CHANNEL_TOLERANCE`], in at most one pixel in [`REDRAWN_SHARE`]. Pictures read back
/// from what the renderer drew must be exact.
const CHANNEL_TOLERANCE: u8 = 8;
const REDRAWN_SHARE: usize = 40;

fn read_log(path: &Path) -> Result<Vec<Record>, String> {
    let reader = Reader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads the (still growing) log until `done` holds for its records.
fn wait_for_log(
    path: &Path,
    what: &str,
    done: impl Fn(&[Record]) -> bool,
) -> Result<Vec<Record>, String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let records = read_log(path).unwrap_or_default();
        if done(&records) {
            return Ok(records);
        }
        ensure!(
            Instant::now() < deadline,
            "the log never showed {what} ({} records)",
            records.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pixels(records: &[Record]) -> impl Iterator<Item = &Pixels> {
    records.iter().filter_map(|r| match r {
        Record::Pixels(p) => Some(p),
        _ => None,
    })
}

fn intersects(a: [i32; 4], b: [i32; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

fn inside(x: u32, y: u32, r: [i32; 4]) -> bool {
    let (x, y) = (x as i32, y as i32);
    x >= r[0] && x < r[0] + r[2] && y >= r[1] && y < r[1] + r[3]
}

/// The picture of surface 1 after the first `n` records.
fn composed(records: &[Record], n: usize) -> Option<Picture> {
    let mut pictures = Pictures::default();
    for record in &records[..n] {
        pictures.push(record);
    }
    pictures.compose(SurfaceId(1))
}

/// Device pixels where two pictures of the same size differ.
fn differences(a: &Picture, b: &Picture) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for y in 0..a.height.min(b.height) {
        for x in 0..a.width.min(b.width) {
            if a.bgra_at(x, y) != b.bgra_at(x, y) {
                out.push((x, y));
            }
        }
    }
    out
}

/// What the X server shows in `window`: B, G, R, unused bytes per pixel.
fn screenshot(display: &str, window: &str) -> Result<(u32, u32, Vec<u8>), String> {
    let (conn, _) = x11rb::connect(Some(display)).map_err(|e| e.to_string())?;
    let id: u32 = window
        .parse()
        .map_err(|e| format!("window {window}: {e}"))?;
    let geometry = conn
        .get_geometry(id)
        .map_err(|e| e.to_string())?
        .reply()
        .map_err(|e| e.to_string())?;
    let image = conn
        .get_image(
            ImageFormat::Z_PIXMAP,
            id,
            0,
            0,
            geometry.width,
            geometry.height,
            !0,
        )
        .map_err(|e| e.to_string())?
        .reply()
        .map_err(|e| e.to_string())?;
    let (w, h) = (u32::from(geometry.width), u32::from(geometry.height));
    ensure!(
        image.data.len() == w as usize * h as usize * 4,
        "a {w}×{h} window image of {} bytes (depth {}): expected 32 bits a pixel",
        image.data.len(),
        image.depth
    );
    Ok((w, h, image.data))
}

/// Pixels where the screenshot and the picture differ by more than `tolerance`.
fn screen_differences(
    shot: &(u32, u32, Vec<u8>),
    picture: &Picture,
    tolerance: u8,
) -> Vec<(u32, u32)> {
    let (w, h, data) = shot;
    let mut differing = Vec::new();
    for y in 0..*h {
        for x in 0..*w {
            let i = (y as usize * *w as usize + x as usize) * 4;
            let [r, g, b] = picture.rgb_over(x, y, [0, 0, 0]);
            let screen = [data[i + 2], data[i + 1], data[i]];
            if screen
                .iter()
                .zip([r, g, b])
                .any(|(s, p)| s.abs_diff(p) > tolerance)
            {
                differing.push((x, y));
            }
        }
    }
    differing
}

/// The smallest rectangle holding all `points` (x, y, width, height).
fn bounding_box(points: &[(u32, u32)]) -> [u32; 4] {
    let x0 = points.iter().map(|p| p.0).min().unwrap_or(0);
    let y0 = points.iter().map(|p| p.1).min().unwrap_or(0);
    let x1 = points.iter().map(|p| p.0 + 1).max().unwrap_or(0);
    let y1 = points.iter().map(|p| p.1 + 1).max().unwrap_or(0);
    [x0, y0, x1 - x0, y1 - y0]
}

/// Takes screenshots until one matches the picture composed from everything recorded
/// by then (the app may repaint between the two: a hover animation): exactly, or as a
/// redrawn picture may (see [`CHANNEL_TOLERANCE`]).
fn screen_matches_the_recording(ctx: &Ctx, window: &str, log: &Path, exact: bool) -> TestResult {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let shot = screenshot(&ctx.display, window)?;
        // What the app had drawn when the picture was taken reaches the file within
        // the writer's 10 ms; the next read has it.
        let records = wait_for_log(log, "records after the screenshot", |r| !r.is_empty())?;
        let picture = composed(&records, records.len()).ok_or("no picture in the log")?;
        ensure!(
            (picture.width, picture.height) == (shot.0, shot.1),
            "picture {}×{}, window {}×{}",
            picture.width,
            picture.height,
            shot.0,
            shot.1
        );
        let tolerance = if exact { 0 } else { CHANNEL_TOLERANCE };
        let differing = screen_differences(&shot, &picture, tolerance);
        let n = differing.len();
        if n == 0 || (!exact && n * REDRAWN_SHARE <= (shot.0 * shot.1) as usize) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the window and the recorded picture differ in {n} of {} pixels, within {:?}",
            shot.0 * shot.1,
            bounding_box(&differing)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

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
    click_changes_the_label(ctx, "cairo")
}

/// The same with the GL renderer, whose frames are drawn again from their render nodes
/// (not read back: that would wait for the GPU): what the X server shows within the
/// tolerance.
fn gl_frames_are_drawn_from_their_nodes(ctx: &Ctx) -> TestResult {
    click_changes_the_label(ctx, "gl")
}

fn click_changes_the_label(ctx: &Ctx, renderer: &str) -> TestResult {
    let read_back = renderer == "cairo";
    let log = ctx.log_path(&format!("click-{renderer}"));
    let (app, window) = ctx.start_counter_with(
        &log,
        &["--still"],
        &[("GSK_RENDERER", renderer), ("GDKRECORD_SELF_TIME", "1")],
    )?;
    let records = wait_for_log(&log, "a whole picture", |r| {
        pixels(r).any(|p| p.full && p.rect == [0, 0, 400, 200])
    })?;
    let first = pixels(&records).next().ok_or("no pixels")?;
    ensure!(first.full && first.scale == 1, "first patch {first:?}");
    screen_matches_the_recording(ctx, &window, &log, read_back)?;

    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, BUTTON_CENTER, 1)?;
    let label_frame = |r: &[Record]| {
        let press = r.iter().position(
            |r| matches!(r, Record::Event(e) if e.event_type == EventType::BUTTON_PRESS),
        )?;
        r[press..].iter().position(|r| {
            matches!(r, Record::Pixels(p) if intersects(p.rect, [20, 20, 120, 30]) && !p.full)
        })
        .map(|i| i + press)
    };
    let records = wait_for_log(&log, "the label's patch after the click", |r| {
        label_frame(r).is_some()
    })?;
    let at = label_frame(&records).ok_or("no label patch")?;
    let Record::Pixels(label_patch) = &records[at] else {
        return Err("not pixels".into());
    };
    // The whole frame: every patch of the same frame counter around it.
    let frame = label_patch.frame;
    let start = (0..at)
        .rev()
        .take_while(|&i| !matches!(&records[i], Record::Pixels(p) if p.frame != frame))
        .last()
        .unwrap_or(at);
    let end = (at..records.len())
        .find(|&i| !matches!(&records[i], Record::Pixels(p) if p.frame == frame))
        .unwrap_or(records.len());
    let before = composed(&records, start).ok_or("no picture before the click's frame")?;
    let after = composed(&records, end).ok_or("no picture after it")?;
    let changed = differences(&before, &after);
    ensure!(!changed.is_empty(), "the label's frame changed no pixel");
    let label = [20, 20, 120, 30];
    ensure!(
        changed.iter().any(|&(x, y)| inside(x, y, label)),
        "the label's frame did not change the label"
    );
    let elsewhere: Vec<_> = changed
        .iter()
        .filter(|&&(x, y)| !inside(x, y, label) && !inside(x, y, BUTTON))
        .collect();
    ensure!(
        elsewhere.is_empty(),
        "the label's frame changed {} pixels outside the label and the button, e.g. {:?}",
        elsewhere.len(),
        &elsewhere[..elsewhere.len().min(5)]
    );
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
    let records = read_log(&log)?;
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
    let records = wait_for_log(&log, "three frames over the budget", |r| {
        r.iter()
            .filter(
                |r| matches!(r, Record::PixelsSkipped(s) if s.reason == PixelsSkipReason::BUDGET),
            )
            .count()
            >= 3
    })?;
    ctx.quit(app, &window)?;
    let mut after_skip = false;
    let mut wholes_after_skips = 0;
    for record in &records {
        match record {
            Record::PixelsSkipped(_) => after_skip = true,
            Record::Pixels(p) if after_skip => {
                ensure!(
                    p.full,
                    "the first pixels after a skipped frame are not whole: {p:?}"
                );
                after_skip = false;
                wholes_after_skips += 1;
            }
            _ => {}
        }
    }
    ensure!(
        wholes_after_skips >= 2,
        "{wholes_after_skips} whole pictures after skips"
    );
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
    let tests: [Test; 5] = [
        (
            "a_click_changes_the_label_and_nothing_else",
            a_click_changes_the_label_and_nothing_else,
        ),
        (
            "gl_frames_are_drawn_from_their_nodes",
            gl_frames_are_drawn_from_their_nodes,
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
