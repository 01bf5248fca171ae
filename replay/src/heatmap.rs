//! Repaint counts over a surface, and the colour scale that shows them.
//!
//! Rectangles are added to a 2-D difference array (four updates each) and summed once at
//! the end, so a heatmap of hours of full-window repaints costs one pass over the
//! rectangles plus one over the grid.

use gdkrecord_format::Rect;

/// Counts repaints cell by cell; [`HeatmapBuilder::finish`] gives the [`Heatmap`].
#[derive(Clone, Debug)]
pub struct HeatmapBuilder {
    columns: u32,
    rows: u32,
    cell: u32,
    width: u32,
    height: u32,
    /// (columns + 1) × (rows + 1) difference array.
    diff: Vec<i64>,
    frames: u64,
}

impl HeatmapBuilder {
    /// Most cells a grid may have: a surface size scribbled in a damaged file must not
    /// make a heatmap allocate gigabytes.
    pub const MAX_CELLS: u64 = 1 << 24;

    /// A grid over a `width`×`height` pixel surface in cells of `cell`×`cell` pixels
    /// (`cell` 1: per pixel), with cells made larger if needed to stay within
    /// [`HeatmapBuilder::MAX_CELLS`].
    pub fn new(width: u32, height: u32, cell: u32) -> HeatmapBuilder {
        let mut cell = cell.max(1);
        while u64::from(width.div_ceil(cell)) * u64::from(height.div_ceil(cell)) > Self::MAX_CELLS {
            cell *= 2;
        }
        let columns = width.div_ceil(cell).max(1);
        let rows = height.div_ceil(cell).max(1);
        HeatmapBuilder {
            columns,
            rows,
            cell,
            width,
            height,
            diff: vec![0; (columns as usize + 1) * (rows as usize + 1)],
            frames: 0,
        }
    }

    /// Counts one repaint of every cell `rect` touches (parts outside the grid are ignored).
    pub fn add_rect(&mut self, rect: Rect) {
        let [x, y, w, h] = rect.map(i64::from);
        if w <= 0 || h <= 0 {
            return;
        }
        let cell = i64::from(self.cell);
        let clamp_x = |v: i64| v.clamp(0, i64::from(self.columns)) as usize;
        let clamp_y = |v: i64| v.clamp(0, i64::from(self.rows)) as usize;
        let (x0, x1) = (
            clamp_x(x.div_euclid(cell)),
            clamp_x((x + w + cell - 1).div_euclid(cell)),
        );
        let (y0, y1) = (
            clamp_y(y.div_euclid(cell)),
            clamp_y((y + h + cell - 1).div_euclid(cell)),
        );
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let stride = self.columns as usize + 1;
        self.diff[y0 * stride + x0] += 1;
        self.diff[y0 * stride + x1] -= 1;
        self.diff[y1 * stride + x0] -= 1;
        self.diff[y1 * stride + x1] += 1;
    }

    /// Counts one frame's damage (its rectangles do not overlap, so each covered cell
    /// counts once per frame when `cell` is 1).
    pub fn add_frame(&mut self, rects: &[Rect]) {
        self.frames += 1;
        for &rect in rects {
            self.add_rect(rect);
        }
    }

    /// Sums the difference array into counts.
    pub fn finish(self) -> Heatmap {
        let (columns, rows) = (self.columns as usize, self.rows as usize);
        let stride = columns + 1;
        let mut counts = vec![0u32; columns * rows];
        let mut above = vec![0i64; columns];
        for row in 0..rows {
            let mut running = 0i64;
            for column in 0..columns {
                running += self.diff[row * stride + column];
                above[column] += running;
                counts[row * columns + column] = above[column].max(0) as u32;
            }
        }
        let max = counts.iter().copied().max().unwrap_or(0);
        Heatmap {
            columns: self.columns,
            rows: self.rows,
            cell: self.cell,
            width: self.width,
            height: self.height,
            counts,
            max,
            frames: self.frames,
        }
    }
}

/// How often each cell of a surface was repainted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heatmap {
    columns: u32,
    rows: u32,
    cell: u32,
    width: u32,
    height: u32,
    counts: Vec<u32>,
    max: u32,
    frames: u64,
}

impl Heatmap {
    /// Grid width in cells.
    pub fn columns(&self) -> u32 {
        self.columns
    }

    /// Grid height in cells.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Cell side in surface pixels.
    pub fn cell(&self) -> u32 {
        self.cell
    }

    /// The surface's `[width, height]` the grid covers, pixels.
    pub fn size(&self) -> [u32; 2] {
        [self.width, self.height]
    }

    /// Counts row by row (`columns × rows`).
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// The highest count.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// How many frames were added.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// How often the surface pixel `(x, y)` was repainted (0 outside the grid).
    pub fn count_at_pixel(&self, x: u32, y: u32) -> u32 {
        let (column, row) = (x / self.cell, y / self.cell);
        if column >= self.columns || row >= self.rows {
            return 0;
        }
        self.counts[(row * self.columns + column) as usize]
    }

    /// The colour for `count` on this heatmap's scale (see [`heat_color`]).
    pub fn color(&self, count: u32) -> [u8; 3] {
        heat_color(count, self.max)
    }
}

/// Stops of the heat scale, cold to hot: dark blue, purple, red, orange, pale yellow.
const HEAT_STOPS: [[u8; 3]; 5] = [
    [20, 24, 82],
    [110, 30, 140],
    [210, 40, 60],
    [250, 140, 20],
    [255, 245, 170],
];

/// The colour of `count` repaints when the most repainted cell has `max`: a logarithmic
/// scale (a spinner repainted 10 000 times must not wash out a button repainted 20 times),
/// dark blue for one repaint through to pale yellow for `max`; near-black for none.
pub fn heat_color(count: u32, max: u32) -> [u8; 3] {
    if count == 0 || max == 0 {
        return NEVER_REPAINTED_RGB;
    }
    let t = if max <= 1 {
        1.0
    } else {
        ((count as f64).ln() / (max as f64).ln()).clamp(0.0, 1.0)
    };
    heat_scale(t as f32)
}

/// The colour of cells never repainted.
pub const NEVER_REPAINTED_RGB: [u8; 3] = [12, 12, 16];

/// The heat scale at position `t` in `0.0..=1.0` (for drawing a legend).
pub fn heat_scale(t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0) * (HEAT_STOPS.len() - 1) as f32;
    let i = (t.floor() as usize).min(HEAT_STOPS.len() - 2);
    let f = t - i as f32;
    let (a, b) = (HEAT_STOPS[i], HEAT_STOPS[i + 1]);
    [0, 1, 2].map(|c| (f32::from(a[c]) + (f32::from(b[c]) - f32::from(a[c])) * f).round() as u8)
}
