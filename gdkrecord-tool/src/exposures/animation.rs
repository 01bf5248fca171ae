//! The animated GIF: one picture per frame of the surface, timed like the recording.
//!
//! Each picture shows the surface at its recorded size (outlined, on a dark backdrop as
//! large as the largest size it had), the damage of the current frame in [`DAMAGE_RGB`]
//! and of the previous frames fading towards the surface colour (with pixels recorded:
//! the app's own picture at the end of the frame, the damage outlined over it), the pointer, recent
//! clicks as rings, and a caption strip with the time, the frame counter, the frame's
//! duration, recent keys and shortened idle gaps.
//!
//! Timing: a picture stays up for the time to the next frame divided by `--speed`,
//! capped at [`IDLE_CAP_CS`] (the caption then says how long the idle was). GIF players
//! need at least 2/100 s per picture, so a 60 Hz burst plays a little slower and the
//! animation catches up at the next pause: every frame is shown.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use gdkrecord_replay::{FrameView, Picture, Replay, CLICK_RGB, DAMAGE_RGB};

use super::canvas::{mix, Canvas, Palette, Rgb};
use super::pictures::PictureCursor;

/// Longest time one picture stays up, hundredths of a second.
pub const IDLE_CAP_CS: f64 = 50.0;
/// Shortest delay GIF players honour, hundredths of a second.
const MIN_DELAY_CS: f64 = 2.0;
/// How long the last picture stays up before the animation loops.
const LAST_DELAY_CS: u16 = 150;

const BACKDROP: Rgb = [58, 60, 68];
const SURFACE: Rgb = [246, 246, 248];
const OUTLINE: Rgb = [20, 20, 24];
const CAPTION_BG: Rgb = [28, 29, 34];
const CAPTION_TEXT: Rgb = [240, 240, 240];
const NOTE_TEXT: Rgb = [255, 190, 60];
const SLOW_TEXT: Rgb = [255, 95, 95];
const MARGIN: u32 = 12;
/// Tallest surface picture: a size scribbled in a damaged file must not make every GIF
/// picture gigabytes.
const MAX_HEIGHT: u32 = 4096;
const CAPTION_H: u32 = 30;

/// Where the surface sits in the picture and how it is scaled.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub scale: f64,
    pub width: u32,
    pub height: u32,
}

impl Layout {
    /// A picture for a surface whose largest size is `max_size`, scaled down to at most
    /// `max_width` pixels wide and [`MAX_HEIGHT`] high.
    pub fn new(max_size: [i32; 2], max_width: u32) -> Layout {
        let [w, h] = max_size.map(|v| v.max(1) as f64);
        let scale = (f64::from(max_width) / w)
            .min(f64::from(MAX_HEIGHT) / h)
            .min(1.0);
        let area = [(w * scale).ceil() as u32, (h * scale).ceil() as u32];
        Layout {
            scale,
            width: (area[0] + 2 * MARGIN).max(420),
            height: area[1] + 2 * MARGIN + CAPTION_H,
        }
    }

    /// Surface pixel span `start..start+len` in picture pixels.
    fn span(&self, start: i32, len: i32, offset: u32) -> (i64, i64) {
        let a = (f64::from(start) * self.scale).floor() as i64;
        let b = (f64::from(start + len) * self.scale).ceil() as i64;
        (i64::from(offset) + a, i64::from(offset) + b)
    }
}

/// The colours of damage `age` frames old, for each age up to `fade` (fresh first).
fn damage_colors(fade: u32) -> Vec<Rgb> {
    (0..fade.max(1))
        .map(|age| mix(SURFACE, DAMAGE_RGB, gdkrecord_replay::fade_alpha(age, fade)))
        .collect()
}

fn click_colors() -> [Rgb; 4] {
    [1.0, 0.75, 0.5, 0.25].map(|a| mix(SURFACE, CLICK_RGB, a))
}

/// The app's pixels scaled to the GIF, kept while the picture and its place stay the
/// same (most frames change a few pixels, or none when only a popup moved elsewhere).
#[derive(Debug, Default)]
pub struct ScaledPicture {
    key: Option<(u64, [i64; 4])>,
    rgb: Vec<u8>,
}

impl ScaledPicture {
    /// Draws `picture` (version `version`) scaled into `x0..x1` × `y0..y1`, over the
    /// surface colour where it is transparent.
    fn draw(
        &mut self,
        canvas: &mut Canvas,
        (picture, version): (&Picture, u64),
        span: [i64; 4],
        layout: &Layout,
    ) {
        let [x0, y0, x1, y1] = span;
        let (cx0, cx1) = (x0.max(0), x1.min(i64::from(canvas.width)));
        let (cy0, cy1) = (y0.max(0), y1.min(i64::from(canvas.height)));
        if cx0 >= cx1 || cy0 >= cy1 {
            return;
        }
        let row = ((cx1 - cx0) * 3) as usize;
        if self.key != Some((version, span)) {
            self.key = Some((version, span));
            self.rgb.clear();
            let per_pixel = f64::from(picture.scale) / layout.scale;
            for y in cy0..cy1 {
                let py = ((y - y0) as f64 * per_pixel) as u32;
                for x in cx0..cx1 {
                    let px = ((x - x0) as f64 * per_pixel) as u32;
                    self.rgb
                        .extend_from_slice(&picture.rgb_over(px, py, SURFACE));
                }
            }
        }
        for (i, y) in (cy0..cy1).enumerate() {
            let at = ((y * i64::from(canvas.width) + cx0) * 3) as usize;
            canvas.rgb[at..at + row].copy_from_slice(&self.rgb[i * row..(i + 1) * row]);
        }
    }
}

/// Draws one frame's picture; `picture` is what the app showed at its end, when the
/// recording has pixels.
pub fn draw_frame(
    canvas: &mut Canvas,
    layout: &Layout,
    view: &FrameView<'_>,
    fade: u32,
    extra: &Caption,
    picture: Option<((&Picture, u64), &mut ScaledPicture)>,
) {
    canvas.clear(BACKDROP);
    let (x0, y0) = (MARGIN, MARGIN);
    let (sx0, sx1) = layout.span(0, view.size[0], x0);
    let (sy0, sy1) = layout.span(0, view.size[1], y0);
    canvas.fill(sx0, sy0, sx1, sy1, SURFACE);
    let with_pixels = picture.is_some();
    if let Some((picture, scaled)) = picture {
        scaled.draw(canvas, picture, [sx0, sy0, sx1, sy1], layout);
    }
    let colors = damage_colors(fade);
    for rect in &view.damage {
        let color = colors[(rect.age as usize).min(colors.len() - 1)];
        let (ax, bx) = layout.span(rect.rect[0], rect.rect[2], x0);
        let (ay, by) = layout.span(rect.rect[1], rect.rect[3], y0);
        let (ax, ay, bx, by) = (ax.max(sx0), ay.max(sy0), bx.min(sx1), by.min(sy1));
        if with_pixels {
            // Over the app's pixels the damage is outlined, the fresh one twice.
            canvas.outline(ax, ay, bx, by, color);
            if rect.age == 0 && bx - ax > 2 && by - ay > 2 {
                canvas.outline(ax + 1, ay + 1, bx - 1, by - 1, color);
            }
        } else {
            canvas.fill(ax, ay, bx, by, color);
        }
    }
    canvas.outline(sx0, sy0, sx1, sy1, OUTLINE);
    let clicks = click_colors();
    for click in &view.clicks {
        let level = ((1.0 - click.alpha) * 4.0).floor().clamp(0.0, 3.0) as usize;
        let (cx, cy) = (
            f64::from(x0) + f64::from(click.position[0]) * layout.scale,
            f64::from(y0) + f64::from(click.position[1]) * layout.scale,
        );
        let radius = 9.0 + 10.0 * (1.0 - click.alpha);
        canvas.ring(cx as f32, cy as f32, radius - 2.5, radius, clicks[level]);
        if click.pressed {
            canvas.ring(cx as f32, cy as f32, 0.0, 4.0, clicks[0]);
        }
    }
    if let Some([px, py]) = view.pointer {
        canvas.pointer(
            (f64::from(x0) + f64::from(px) * layout.scale) as f32,
            (f64::from(y0) + f64::from(py) * layout.scale) as f32,
        );
    }
    // Caption strip.
    let top = layout.height - CAPTION_H;
    canvas.fill(
        0,
        i64::from(top),
        i64::from(layout.width),
        i64::from(layout.height),
        CAPTION_BG,
    );
    let mid = (top + CAPTION_H / 2) as i32;
    let left = view.caption();
    canvas.text(&left, 8, mid, 15.0, CAPTION_TEXT, false);
    let mut x = 8 + Canvas::text_width(&left, 15.0) + 14;
    let duration_ms = view.frame.duration_ns() as f64 / 1e6;
    let duration = format!("{duration_ms:.1} ms");
    canvas.text(
        &duration,
        x,
        mid,
        15.0,
        if duration_ms > extra.budget_ms {
            SLOW_TEXT
        } else {
            CAPTION_TEXT
        },
        false,
    );
    x += Canvas::text_width(&duration, 15.0) + 14;
    if let Some(idle) = &extra.idle_note {
        canvas.text(idle, x, mid, 15.0, NOTE_TEXT, false);
        x += Canvas::text_width(idle, 15.0) + 14;
    }
    // Right end: what the colours mean, when there is room for it.
    let mut right = layout.width as i32 - 8;
    let legend_width =
        Canvas::text_width("repainted", 13.0) + Canvas::text_width("earlier", 13.0) + 54;
    if right - legend_width > x + 120 {
        for (label, color) in [
            ("earlier", colors[colors.len() / 2]),
            ("repainted", colors[0]),
        ] {
            canvas.text(label, right, mid, 13.0, CAPTION_TEXT, true);
            right -= Canvas::text_width(label, 13.0) + 16;
            canvas.fill(
                i64::from(right),
                i64::from(mid - 5),
                i64::from(right + 11),
                i64::from(mid + 6),
                color,
            );
            right -= 10;
        }
        right -= 6;
    }
    if !view.keys.is_empty() {
        let mut keys = view.keys.iter().rev().take(6).cloned().collect::<Vec<_>>();
        keys.reverse();
        let text = format!("keys: {}", keys.join(" "));
        if right - Canvas::text_width(&text, 15.0) > x {
            canvas.text(&text, right, mid, 15.0, NOTE_TEXT, true);
        }
    }
}

/// What the caption shows beyond the frame itself.
#[derive(Debug, Default)]
pub struct Caption {
    pub idle_note: Option<String>,
    pub budget_ms: f64,
}

/// Summary of a written animation.
#[derive(Debug)]
pub struct Written {
    pub frames: usize,
    pub width: u32,
    pub height: u32,
    pub duration_cs: u64,
}

/// Writes the replay's frames as an animated GIF at `path`.
pub fn write_gif(
    path: &Path,
    replay: &mut Replay<'_>,
    layout: &Layout,
    speed: f64,
    budget_ms: f64,
    mut pictures: Option<&mut PictureCursor>,
) -> Result<Written> {
    let shown = path.display();
    let fade = replay.options().fade_frames.max(1);
    let fixed: Vec<Rgb> = [
        BACKDROP,
        SURFACE,
        OUTLINE,
        CAPTION_BG,
        CAPTION_TEXT,
        NOTE_TEXT,
        SLOW_TEXT,
        [0, 0, 0],
        [255, 255, 255],
    ]
    .into_iter()
    .chain(damage_colors(fade.min(48)))
    .chain(click_colors())
    // Anti-aliased caption text: each text colour over the strip at 16 coverages.
    .chain(
        [CAPTION_TEXT, NOTE_TEXT, SLOW_TEXT]
            .into_iter()
            .flat_map(|c| (1..16).map(move |k| mix(CAPTION_BG, c, k as f32 / 16.0))),
    )
    // With the app's pixels: greys, most of what a GTK theme draws.
    .chain(
        (0..32u8)
            .filter(|_| pictures.is_some())
            .map(|k| [k * 8 + 4; 3]),
    )
    .collect();
    let mut palette = Palette::new(fixed);
    let file = File::create(path).with_context(|| format!("{shown}: cannot create"))?;
    let (w, h) = (
        layout.width.min(u32::from(u16::MAX)) as u16,
        layout.height.min(u32::from(u16::MAX)) as u16,
    );
    let mut encoder = gif::Encoder::new(BufWriter::new(file), w, h, &palette.table())
        .with_context(|| format!("{shown}: cannot write"))?;
    encoder
        .set_repeat(gif::Repeat::Infinite)
        .with_context(|| format!("{shown}: cannot write"))?;

    // Display times (hundredths of a second) of every frame start, idle gaps capped.
    let count = replay.frame_count();
    let mut display_cs = Vec::with_capacity(count);
    let mut idle_notes = Vec::with_capacity(count);
    let mut t = 0.0f64;
    let mut previous_start = None;
    for n in 0..count {
        let start = replay.frame_at(n).map_or(0, |f| f.start_ns);
        let mut note = None;
        if let Some(previous_start) = previous_start {
            let gap_ns = start.saturating_sub(previous_start);
            let gap_cs = gap_ns as f64 / 1e7 / speed;
            if gap_cs > IDLE_CAP_CS {
                note = Some(format!("+{:.1} s idle", gap_ns as f64 / 1e9));
            }
            t += gap_cs.min(IDLE_CAP_CS);
        }
        previous_start = Some(start);
        display_cs.push(t);
        idle_notes.push(note);
    }

    let mut canvas = Canvas::new(layout.width, layout.height, BACKDROP);
    let mut scaled = ScaledPicture::default();
    let mut previous: Option<Vec<u8>> = None;
    let mut indices = Vec::new();
    let mut shown_until = 0.0f64;
    for n in 0..count {
        replay.seek_frame(n);
        let Some(view) = replay.view() else { break };
        let caption = Caption {
            idle_note: idle_notes[n].take(),
            budget_ms,
        };
        let picture = pictures
            .as_deref_mut()
            .and_then(|p| p.at(view.frame.end_ns.max(view.frame.start_ns)));
        draw_frame(
            &mut canvas,
            layout,
            &view,
            fade,
            &caption,
            picture.map(|p| (p, &mut scaled)),
        );
        palette.indices(&canvas, &mut indices);
        let delay = if n + 1 < count {
            // Catch up with the recording's clock, never faster than players allow.
            let delay = (display_cs[n + 1] - shown_until).round().max(MIN_DELAY_CS);
            shown_until += delay;
            delay.min(f64::from(u16::MAX)) as u16
        } else {
            LAST_DELAY_CS
        };
        let frame = delta_frame(previous.as_deref(), &indices, layout.width as usize, delay);
        encoder
            .write_frame(&frame)
            .with_context(|| format!("{shown}: cannot write"))?;
        previous = Some(std::mem::take(&mut indices));
        indices = Vec::new();
    }
    drop(encoder);
    Ok(Written {
        frames: count,
        width: layout.width,
        height: layout.height,
        duration_cs: shown_until as u64 + u64::from(LAST_DELAY_CS),
    })
}

/// The part of `current` that differs from `previous` (its bounding box), with unchanged
/// pixels transparent so they compress to nothing; the whole picture for the first frame.
fn delta_frame<'a>(
    previous: Option<&[u8]>,
    current: &'a [u8],
    width: usize,
    delay: u16,
) -> gif::Frame<'a> {
    let height = current.len() / width.max(1);
    let mut frame = gif::Frame {
        delay,
        dispose: gif::DisposalMethod::Keep,
        ..gif::Frame::default()
    };
    let Some(previous) = previous else {
        frame.width = width as u16;
        frame.height = height as u16;
        frame.buffer = std::borrow::Cow::Borrowed(current);
        return frame;
    };
    let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0, 0);
    for y in 0..height {
        let row = y * width;
        let (a, b) = (&previous[row..row + width], &current[row..row + width]);
        if a == b {
            continue;
        }
        let first = a.iter().zip(b).position(|(p, c)| p != c).unwrap_or(0);
        let last = width
            - 1
            - a.iter()
                .rev()
                .zip(b.iter().rev())
                .position(|(p, c)| p != c)
                .unwrap_or(0);
        x0 = x0.min(first);
        x1 = x1.max(last + 1);
        y0 = y0.min(y);
        y1 = y1.max(y + 1);
    }
    if x0 >= x1 {
        // Nothing changed: one transparent pixel carries the delay.
        (x0, y0, x1, y1) = (0, 0, 1, 1);
    }
    let mut buffer = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        let row = y * width;
        for x in x0..x1 {
            let c = current[row + x];
            buffer.push(if c == previous[row + x] {
                Palette::TRANSPARENT
            } else {
                c
            });
        }
    }
    frame.left = x0 as u16;
    frame.top = y0 as u16;
    frame.width = (x1 - x0) as u16;
    frame.height = (y1 - y0) as u16;
    frame.transparent = Some(Palette::TRANSPARENT);
    frame.buffer = std::borrow::Cow::Owned(buffer);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_surfaces_are_scaled_down() {
        let layout = Layout::new([2048, 1000], 1024);
        assert_eq!(layout.scale, 0.5);
        assert_eq!(layout.height, 500 + 2 * MARGIN + CAPTION_H);
        assert_eq!(layout.width, 1024 + 2 * MARGIN);
        let tall = Layout::new([100, 1_000_000], 1024);
        assert!(tall.height <= MAX_HEIGHT + 2 * MARGIN + CAPTION_H);
        let small = Layout::new([100, 50], 1024);
        assert_eq!(small.scale, 1.0);
        assert_eq!(small.width, 420, "room for the caption");
    }

    #[test]
    fn delta_frames_cover_only_what_changed() {
        let before = vec![1u8; 12];
        let mut after = before.clone();
        after[5] = 2; // (1, 1) in a 4×3 picture
        after[10] = 3; // (2, 2)
        let frame = delta_frame(Some(&before), &after, 4, 7);
        assert_eq!(
            (frame.left, frame.top, frame.width, frame.height),
            (1, 1, 2, 2)
        );
        assert_eq!(
            &frame.buffer[..],
            [2, Palette::TRANSPARENT, Palette::TRANSPARENT, 3]
        );
        assert_eq!(frame.delay, 7);
        let same = delta_frame(Some(&before), &before, 4, 3);
        assert_eq!((same.width, same.height), (1, 1));
    }
}
