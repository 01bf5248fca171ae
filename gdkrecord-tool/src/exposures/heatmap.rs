//! `exposures --heatmap`: one PNG whose colour at each pixel says how often the surface
//! was repainted there, with a title and a logarithmic colour scale labelled in repaints;
//! over the app's own pixels (in grey, at the end of the range) when they were recorded.

use std::path::Path;

use anyhow::Result;
use gdkrecord_replay::{heat_color, heat_scale, Heatmap, Picture, NEVER_REPAINTED_RGB};

use super::canvas::{mix, Canvas, Rgb};
use crate::graph::{thousands, write_png};

const BACKGROUND: Rgb = [255, 255, 255];
const TEXT: Rgb = [30, 30, 36];
const MUTED: Rgb = [105, 105, 115];
const TITLE_H: u32 = 64;
const MARGIN: u32 = 16;
const LEGEND_W: u32 = 190;
const BAR_W: u32 = 26;
/// Tallest heatmap picture (see `--max-width` for the width).
const MAX_HEIGHT: u32 = 4096;

/// Writes `heat` as a PNG, the surface scaled down to at most `max_width` pixels wide
/// and [`MAX_HEIGHT`] high (each picture pixel showing the most repainted cell under it).
pub fn write_heatmap(
    path: &Path,
    heat: &Heatmap,
    title: &str,
    subtitle: &str,
    max_width: u32,
    picture: Option<&Picture>,
) -> Result<()> {
    let [sw, sh] = heat.size();
    let scale = (f64::from(max_width) / f64::from(sw.max(1)))
        .min(f64::from(MAX_HEIGHT) / f64::from(sh.max(1)))
        .min(1.0);
    let (pw, ph) = (
        ((f64::from(sw) * scale).ceil() as u32).max(1),
        ((f64::from(sh) * scale).ceil() as u32).max(1),
    );
    let width = (MARGIN + pw + MARGIN + LEGEND_W).max(560);
    let height = TITLE_H + ph.max(260) + MARGIN * 2;
    let mut canvas = Canvas::new(width, height, BACKGROUND);
    // Each picture pixel shows the hottest cell it covers: walk the cells once and keep
    // the maximum per picture pixel.
    let mut hottest = vec![0u32; pw as usize * ph as usize];
    let cell_px = f64::from(heat.cell()) * scale;
    for row in 0..heat.rows() {
        let y0 = (f64::from(row) * cell_px) as u32;
        let y1 = ((f64::from(row + 1) * cell_px).ceil() as u32).clamp(y0 + 1, ph);
        for column in 0..heat.columns() {
            let count = heat.counts()[(row * heat.columns() + column) as usize];
            if count == 0 {
                continue;
            }
            let x0 = (f64::from(column) * cell_px) as u32;
            let x1 = ((f64::from(column + 1) * cell_px).ceil() as u32).clamp(x0 + 1, pw);
            for y in y0.min(ph - 1)..y1 {
                for x in x0.min(pw - 1)..x1 {
                    let slot = &mut hottest[(y * pw + x) as usize];
                    *slot = (*slot).max(count);
                }
            }
        }
    }
    let (x0, y0) = (MARGIN, TITLE_H + MARGIN);
    for py in 0..ph {
        for px in 0..pw {
            let count = hottest[(py * pw + px) as usize];
            let mut color = heat.color(count);
            if let Some(picture) = picture {
                // The app's pixels in grey under the heat, so a spot can be named.
                let per_pixel = f64::from(picture.scale) / scale;
                let [r, g, b] = picture.rgb_over(
                    (f64::from(px) * per_pixel) as u32,
                    (f64::from(py) * per_pixel) as u32,
                    BACKGROUND,
                );
                let grey = ((u32::from(r) * 3 + u32::from(g) * 6 + u32::from(b)) / 10) as u8;
                let strength = if count == 0 { 0.35 } else { 0.7 };
                color = mix([grey; 3], color, strength);
            }
            let i = (((y0 + py) * width + x0 + px) * 3) as usize;
            canvas.rgb[i..i + 3].copy_from_slice(&color);
        }
    }
    canvas.outline(
        i64::from(x0),
        i64::from(y0),
        i64::from(x0 + pw),
        i64::from(y0 + ph),
        MUTED,
    );
    canvas.text(title, MARGIN as i32, 20, 20.0, TEXT, false);
    canvas.text(subtitle, MARGIN as i32, 46, 14.0, MUTED, false);
    draw_legend(
        &mut canvas,
        heat.max(),
        x0 + pw + MARGIN + 8,
        y0,
        ph.max(260),
    );
    write_png(path, width, height, &canvas.rgb)
}

/// The colour scale: a bar from one repaint (bottom) to the most (top), ticks at powers
/// of ten, and a swatch for pixels never repainted.
fn draw_legend(canvas: &mut Canvas, max: u32, x: u32, y: u32, height: u32) {
    canvas.text("repaints", x as i32, y as i32 + 8, 15.0, TEXT, false);
    let (bar_top, bar_bottom) = (y + 30, y + height - 40);
    let bar_h = bar_bottom - bar_top;
    for row in 0..bar_h {
        let t = 1.0 - row as f32 / (bar_h.max(2) - 1) as f32;
        let color = if max <= 1 {
            heat_color(1, 1)
        } else {
            heat_scale(t)
        };
        canvas.fill(
            i64::from(x),
            i64::from(bar_top + row),
            i64::from(x + BAR_W),
            i64::from(bar_top + row + 1),
            color,
        );
    }
    canvas.outline(
        i64::from(x),
        i64::from(bar_top),
        i64::from(x + BAR_W),
        i64::from(bar_bottom),
        MUTED,
    );
    let y_of = |count: u32| -> u32 {
        if max <= 1 {
            return bar_top;
        }
        let t = (f64::from(count).ln() / f64::from(max).ln()).clamp(0.0, 1.0);
        bar_bottom - 1 - (t * f64::from(bar_h - 1)).round() as u32
    };
    // 1, 2, 5, 10, 20, 50, ... and the maximum; labels that would overlap are dropped.
    let mut ticks: Vec<u32> = (0..10u32)
        .flat_map(|power| [1u32, 2, 5].map(|m| m.saturating_mul(10u32.saturating_pow(power))))
        .filter(|&t| t < max)
        .collect();
    ticks.dedup();
    if ticks.is_empty() || max > 1 {
        ticks.push(max.max(1));
    }
    let mut last_y = u32::MAX;
    for &count in ticks.iter().rev() {
        let ty = y_of(count);
        if last_y != u32::MAX && last_y.abs_diff(ty) < 16 {
            continue;
        }
        last_y = ty;
        canvas.fill(
            i64::from(x + BAR_W),
            i64::from(ty),
            i64::from(x + BAR_W + 6),
            i64::from(ty + 1),
            TEXT,
        );
        let label = if count == max {
            format!("{} (most)", thousands(u64::from(count)))
        } else {
            thousands(u64::from(count))
        };
        canvas.text(
            &label,
            (x + BAR_W + 10) as i32,
            ty as i32,
            14.0,
            TEXT,
            false,
        );
    }
    let swatch_y = bar_bottom + 14;
    canvas.fill(
        i64::from(x),
        i64::from(swatch_y),
        i64::from(x + BAR_W),
        i64::from(swatch_y + 16),
        NEVER_REPAINTED_RGB,
    );
    canvas.text(
        "never",
        (x + BAR_W + 10) as i32,
        (swatch_y + 8) as i32,
        14.0,
        TEXT,
        false,
    );
}
