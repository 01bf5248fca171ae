//! Pixels in the GUI tests: recorded patches composed with `gdkrecord_replay::Pictures`,
//! and compared with what the X server itself shows (`GetImage` of the window).
// Each test binary uses a part of these.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use gdkrecord_format::{EventType, Pixels, Record, SurfaceId};
use gdkrecord_replay::{Picture, Pictures};
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

use crate::records::{wait_for_log, PATIENCE};
use crate::support::{Ctx, TestResult};

/// Pictures drawn again from the render node (GL frames) may differ from what the GL
/// renderer showed where their antialiasing differs (the glyphs: about 1 % of the
/// counter's pixels), in a pixel whose channel differs by more than
/// [`CHANNEL_TOLERANCE`], in at most one pixel in [`REDRAWN_SHARE`]. Pictures read back
/// from what the renderer drew must be exact.
pub const CHANNEL_TOLERANCE: u8 = 8;
pub const REDRAWN_SHARE: usize = 40;

pub fn pixels(records: &[Record]) -> impl Iterator<Item = &Pixels> {
    records.iter().filter_map(|r| match r {
        Record::Pixels(p) => Some(p),
        _ => None,
    })
}

/// At `GDK_SCALE=2`: the first whole picture is of the `window` (application pixels) at
/// scale 2, and the first patch of `square` holds 2×2 device pixels for each of its own.
pub fn pictures_are_in_device_pixels(
    records: &[Record],
    window: [i32; 4],
    square: [i32; 4],
) -> TestResult {
    let whole = pixels(records).find(|p| p.full).ok_or("no whole picture")?;
    ensure!(
        whole.scale == 2 && whole.rect == window,
        "whole picture {:?} at scale {}",
        whole.rect,
        whole.scale
    );
    let patch = pixels(records)
        .find(|p| p.rect == square)
        .ok_or("no patch of the square")?;
    let data = patch.decode().map_err(|e| e.to_string())?;
    let expected = (square[2] * 2 * square[3] * 2 * 4) as usize;
    ensure!(
        data.len() == expected,
        "a square patch of {} bytes at scale 2, not {expected}",
        data.len()
    );
    Ok(())
}

pub fn intersects(a: [i32; 4], b: [i32; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

pub fn inside(x: u32, y: u32, r: [i32; 4]) -> bool {
    let (x, y) = (x as i32, y as i32);
    x >= r[0] && x < r[0] + r[2] && y >= r[1] && y < r[1] + r[3]
}

/// The picture of surface 1 after the first `n` records.
pub fn composed(records: &[Record], n: usize) -> Option<Picture> {
    let mut pictures = Pictures::default();
    for record in &records[..n] {
        pictures.push(record);
    }
    pictures.compose(SurfaceId(1))
}

/// Device pixels where two pictures of the same size differ.
pub fn differences(a: &Picture, b: &Picture) -> Vec<(u32, u32)> {
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
pub fn screenshot(display: &str, window: &str) -> Result<(u32, u32, Vec<u8>), String> {
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
pub fn screen_differences(
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
pub fn bounding_box(points: &[(u32, u32)]) -> [u32; 4] {
    let x0 = points.iter().map(|p| p.0).min().unwrap_or(0);
    let y0 = points.iter().map(|p| p.1).min().unwrap_or(0);
    let x1 = points.iter().map(|p| p.0 + 1).max().unwrap_or(0);
    let y1 = points.iter().map(|p| p.1 + 1).max().unwrap_or(0);
    [x0, y0, x1 - x0, y1 - y0]
}

/// Takes screenshots until one matches the picture composed from everything recorded
/// by then (the app may repaint between the two: a hover animation): exactly, or as a
/// redrawn picture may (see [`CHANNEL_TOLERANCE`]).
pub fn screen_matches_the_recording(
    ctx: &Ctx,
    window: &str,
    log: &Path,
    exact: bool,
) -> TestResult {
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

/// After a click on a button that changes the label `label`: the first frame whose patches
/// meet the label after the press changes the label, and nothing else than the label and
/// the button `button` with what it draws around it (composed pictures before and after
/// that frame's patches).
pub fn check_click_frame(log: &Path, label: [i32; 4], button: [i32; 4]) -> TestResult {
    let label_frame = |r: &[Record]| {
        let press = r.iter().position(
            |r| matches!(r, Record::Event(e) if e.event_type == EventType::BUTTON_PRESS),
        )?;
        r[press..]
            .iter()
            .position(|r| matches!(r, Record::Pixels(p) if intersects(p.rect, label) && !p.full))
            .map(|i| i + press)
    };
    let records = wait_for_log(log, "the label's patch after the click", |r| {
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
    ensure!(
        changed.iter().any(|&(x, y)| inside(x, y, label)),
        "the label's frame did not change the label"
    );
    // The button draws around itself too: a shadow under it (GTK 4.24's Adwaita), a focus
    // ring outside it.
    let around_button = [button[0] - 4, button[1] - 4, button[2] + 8, button[3] + 8];
    let elsewhere: Vec<_> = changed
        .iter()
        .filter(|&&(x, y)| !inside(x, y, label) && !inside(x, y, around_button))
        .collect();
    ensure!(
        elsewhere.is_empty(),
        "the label's frame changed {} pixels outside the label and the button, e.g. {:?}",
        elsewhere.len(),
        &elsewhere[..elsewhere.len().min(5)]
    );
    Ok(())
}

/// How many whole pictures follow `pixels-skipped` records; an error when the first
/// pixels after one are not whole.
pub fn wholes_after_skips(records: &[Record]) -> Result<usize, String> {
    let mut after_skip = false;
    let mut wholes = 0;
    for record in records {
        match record {
            Record::PixelsSkipped(_) => after_skip = true,
            Record::Pixels(p) if after_skip => {
                ensure!(
                    p.full,
                    "the first pixels after a skipped frame are not whole: {p:?}"
                );
                after_skip = false;
                wholes += 1;
            }
            _ => {}
        }
    }
    Ok(wholes)
}
