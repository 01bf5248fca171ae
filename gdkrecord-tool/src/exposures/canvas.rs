//! An RGB pixel buffer with the few shapes a replay picture needs (opaque rectangles,
//! outlines, rings, a pointer arrow), text drawn with plotters and the bundled font, and a
//! fixed palette that maps every pixel to one of at most 255 GIF colours.
//!
//! Shapes are drawn opaque with colours mixed in advance (fresh damage, damage faded by
//! k frames, ...), so a frame has few distinct colours and each maps to an exact palette
//! entry; only anti-aliased text edges need the nearest-colour fallback.

use std::collections::HashMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// 8-bit RGB.
pub type Rgb = [u8; 3];

/// `a` moved towards `b` by `t` (0: `a`, 1: `b`).
pub fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (f32::from(a[i]) + (f32::from(b[i]) - f32::from(a[i])) * t).round() as u8)
}

/// A picture being drawn.
#[derive(Debug, Clone)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, background: Rgb) -> Canvas {
        let mut canvas = Canvas {
            width,
            height,
            rgb: vec![0; width as usize * height as usize * 3],
        };
        canvas.clear(background);
        canvas
    }

    pub fn clear(&mut self, color: Rgb) {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        self.fill(0, 0, w, h, color);
    }

    #[cfg(test)]
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Fills `x0..x1` × `y0..y1` (clipped to the canvas).
    pub fn fill(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, color: Rgb) {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let (x0, x1) = (x0.clamp(0, w) as usize, x1.clamp(0, w) as usize);
        let (y0, y1) = (y0.clamp(0, h) as usize, y1.clamp(0, h) as usize);
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        // Fill the first row pixel by pixel, then copy it to the others.
        let stride = self.width as usize * 3;
        let (start, end) = (y0 * stride + x0 * 3, y0 * stride + x1 * 3);
        for pixel in self.rgb[start..end].chunks_exact_mut(3) {
            pixel.copy_from_slice(&color);
        }
        for y in y0 + 1..y1 {
            self.rgb.copy_within(start..end, start + (y - y0) * stride);
        }
    }

    /// A 1-pixel frame just outside `x0..x1` × `y0..y1`.
    pub fn outline(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, color: Rgb) {
        self.fill(x0 - 1, y0 - 1, x1 + 1, y0, color);
        self.fill(x0 - 1, y1, x1 + 1, y1 + 1, color);
        self.fill(x0 - 1, y0, x0, y1, color);
        self.fill(x1, y0, x1 + 1, y1, color);
    }

    fn put(&mut self, x: i64, y: i64, color: Rgb) {
        if x >= 0 && y >= 0 && x < i64::from(self.width) && y < i64::from(self.height) {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&color);
        }
    }

    /// A ring between radii `inner` and `outer` around (`cx`, `cy`), or a disc when `inner` is 0.
    pub fn ring(&mut self, cx: f32, cy: f32, inner: f32, outer: f32, color: Rgb) {
        let r = outer.ceil() as i64 + 1;
        let (x0, y0) = (cx.round() as i64, cy.round() as i64);
        for dy in -r..=r {
            for dx in -r..=r {
                let d = ((dx * dx + dy * dy) as f32).sqrt();
                if d <= outer && d >= inner {
                    self.put(x0 + dx, y0 + dy, color);
                }
            }
        }
    }

    /// The classic arrow pointer with its tip at (`x`, `y`): black with a white edge.
    pub fn pointer(&mut self, x: f32, y: f32) {
        // Rows of the 11×17 arrow: '#' black, 'o' white edge.
        const ARROW: [&str; 17] = [
            "o",
            "oo",
            "o#o",
            "o##o",
            "o###o",
            "o####o",
            "o#####o",
            "o######o",
            "o#######o",
            "o########o",
            "o#####ooooo",
            "o##o##o",
            "o#o o##o",
            "oo  o##o",
            "o    o##o",
            "     o##o",
            "      oo",
        ];
        let (x0, y0) = (x.round() as i64, y.round() as i64);
        for (dy, row) in ARROW.iter().enumerate() {
            for (dx, c) in row.chars().enumerate() {
                let color = match c {
                    '#' => [0, 0, 0],
                    'o' => [255, 255, 255],
                    _ => continue,
                };
                self.put(x0 + dx as i64, y0 + dy as i64, color);
            }
        }
    }

    /// Text with its left (or right, when `right_aligned`) edge at `x`, vertically centred
    /// on `y`, in the bundled font.
    pub fn text(&mut self, text: &str, x: i32, y: i32, size: f64, color: Rgb, right_aligned: bool) {
        let (w, h) = (self.width, self.height);
        let root = BitMapBackend::with_buffer(&mut self.rgb, (w, h)).into_drawing_area();
        let h_pos = if right_aligned {
            HPos::Right
        } else {
            HPos::Left
        };
        let style = ("sans-serif", size)
            .into_font()
            .color(&RGBColor(color[0], color[1], color[2]))
            .pos(Pos::new(h_pos, VPos::Center));
        // Text is decoration: a glyph the font lacks must not fail the picture.
        let _ = root.draw(&Text::new(text.to_owned(), (x, y), style));
    }

    /// Width of `text` in pixels at `size`.
    pub fn text_width(text: &str, size: f64) -> i32 {
        ("sans-serif", size)
            .into_font()
            .box_size(text)
            .map_or(text.len() as i32 * size as i32 / 2, |(w, _)| w as i32)
    }
}

/// Up to 255 colours plus one transparent entry, and the map from RGB to index.
#[derive(Debug)]
pub struct Palette {
    colors: Vec<Rgb>,
    exact: HashMap<Rgb, u8>,
}

impl Palette {
    /// The index GIF frames use for "unchanged since the previous frame".
    pub const TRANSPARENT: u8 = 255;

    /// A palette holding `colors` exactly (first come first served, up to 255), with the
    /// rest of the slots filled by a colour cube for everything else.
    pub fn new(colors: impl IntoIterator<Item = Rgb>) -> Palette {
        let mut palette = Palette {
            colors: Vec::new(),
            exact: HashMap::new(),
        };
        for color in colors {
            palette.add(color);
        }
        // A 5×5×5 cube (or what fits) for the anti-aliased edges of text.
        'cube: for r in 0..5u8 {
            for g in 0..5u8 {
                for b in 0..5u8 {
                    if palette.colors.len() >= 255 {
                        break 'cube;
                    }
                    palette.add([r * 63, g * 63, b * 63]);
                }
            }
        }
        palette
    }

    fn add(&mut self, color: Rgb) {
        if self.colors.len() < 255 && !self.exact.contains_key(&color) {
            self.exact.insert(color, self.colors.len() as u8);
            self.colors.push(color);
        }
    }

    /// The GIF colour table: 256 RGB triples (the last is the transparent slot).
    pub fn table(&self) -> Vec<u8> {
        let mut table: Vec<u8> = self.colors.iter().flatten().copied().collect();
        table.resize(256 * 3, 0);
        table
    }

    /// The palette index of `color`: exact when the colour is in the palette, else the
    /// nearest (remembered for the next time).
    pub fn index(&mut self, color: Rgb) -> u8 {
        if let Some(&i) = self.exact.get(&color) {
            return i;
        }
        let distance = |c: &Rgb| -> i32 {
            (0..3)
                .map(|i| (i32::from(c[i]) - i32::from(color[i])).pow(2))
                .sum()
        };
        let nearest = (0..self.colors.len())
            .min_by_key(|&i| distance(&self.colors[i]))
            .unwrap_or(0) as u8;
        self.exact.insert(color, nearest);
        nearest
    }

    /// Maps a whole canvas to palette indices.
    pub fn indices(&mut self, canvas: &Canvas, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(canvas.width as usize * canvas.height as usize);
        let mut last: Option<(Rgb, u8)> = None;
        for pixel in canvas.rgb.chunks_exact(3) {
            let color = [pixel[0], pixel[1], pixel[2]];
            let index = match last {
                Some((c, i)) if c == color => i,
                _ => self.index(color),
            };
            last = Some((color, index));
            out.push(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_keeps_exact_colours_and_finds_the_nearest_for_others() {
        let mut palette = Palette::new([[10, 20, 30], [250, 250, 250]]);
        assert_eq!(palette.index([10, 20, 30]), 0);
        assert_eq!(palette.index([250, 250, 250]), 1);
        let near_white = palette.index([249, 251, 250]);
        assert_eq!(
            palette.table()[near_white as usize * 3..][..3],
            [250, 250, 250]
        );
        assert_eq!(palette.table().len(), 768);
    }

    #[test]
    fn shapes_stay_inside_the_canvas() {
        let mut canvas = Canvas::new(20, 10, [0, 0, 0]);
        canvas.fill(-5, -5, 4, 3, [255, 0, 0]);
        canvas.outline(10, 2, 30, 8, [0, 255, 0]);
        canvas.ring(19.0, 9.0, 0.0, 5.0, [0, 0, 255]);
        canvas.pointer(18.0, 8.0);
        assert_eq!(canvas.pixel(3, 2), [255, 0, 0]);
        assert_eq!(canvas.pixel(4, 2), [0, 0, 0]);
        assert_eq!(canvas.pixel(9, 1), [0, 255, 0]);
        assert_eq!(mix([0, 0, 0], [200, 100, 50], 0.5), [100, 50, 25]);
    }
}
