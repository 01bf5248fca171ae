//! What every panel of the dashboard is drawn with: the palette, the shared time axis
//! and label areas (so the panels' axes line up), headings with their legends, and the
//! marks drawn across panels (window resizes, stalls).

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::GraphData;
use super::labels::format_time;

pub(super) const FONT: &str = "sans-serif";
pub(super) const TEXT: RGBColor = RGBColor(30, 30, 36);
pub(super) const MUTED: RGBColor = RGBColor(105, 105, 115);
pub(super) const GRID: RGBColor = RGBColor(225, 225, 230);
pub(super) const FRAME_OK: RGBColor = RGBColor(70, 120, 190);
pub(super) const FRAME_MEAN: RGBColor = RGBColor(20, 45, 90);
pub(super) const OVER_BUDGET: RGBColor = RGBColor(215, 35, 45);
pub(super) const BUDGET_LINE: RGBColor = RGBColor(240, 140, 0);
pub(super) const DAMAGE: RGBColor = RGBColor(150, 80, 200);
pub(super) const DAMAGE_MEAN: RGBColor = RGBColor(70, 25, 105);
/// Pale versions for the min–max bands of long recordings.
pub(super) const FRAME_BAND: RGBColor = RGBColor(175, 198, 232);
pub(super) const OVER_BUDGET_BAND: RGBColor = RGBColor(242, 160, 165);
pub(super) const DAMAGE_BAND: RGBColor = RGBColor(212, 188, 236);
pub(super) const RESIZE: RGBColor = RGBColor(0, 130, 140);
/// Main-loop stalls: the spans in their strip.
pub(super) const STALL: RGBColor = RGBColor(200, 20, 30);
/// Stalls labelled with their duration, longest first (more would crowd the strip).
pub(super) const STALL_LABELS: usize = 8;
/// One colour per [`EVENT_ROWS`](super::data::EVENT_ROWS) row.
pub(super) const EVENT_COLORS: [RGBColor; 8] = [
    RGBColor(120, 120, 130),
    RGBColor(30, 110, 230),
    RGBColor(230, 120, 0),
    RGBColor(110, 160, 0),
    RGBColor(150, 100, 60),
    RGBColor(200, 60, 160),
    RGBColor(0, 170, 190),
    RGBColor(90, 90, 90),
];
/// Width of the label area left of every panel, so that the panels' time axes line up.
pub(super) const Y_LABEL_AREA: u32 = 130;
/// The damage axis is logarithmic: a 24×24 spinner (0.1 % of a window) and a full
/// repaint must both be visible. Smaller repaints sit on the bottom edge.
pub(super) const DAMAGE_FLOOR_PERCENT: f64 = 0.01;

pub(super) type DrawResult<T, DB> =
    Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
pub(super) type LinearChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A legend entry: a swatch and what it means.
pub(super) enum Key {
    Bar(RGBColor, String),
    Line(RGBColor, String),
    Dashed(RGBColor, String),
}

/// Pixel columns of the plots, shared by all panels (absolute backend pixels).
#[derive(Clone, Copy)]
pub(super) struct TimeAxis {
    pub(super) left: i32,
    pub(super) right: i32,
    pub(super) span_s: f64,
}

impl TimeAxis {
    pub(super) fn x(&self, t_ns: u64) -> i32 {
        self.left
            + ((t_ns as f64 / 1e9) / self.span_s.max(1e-3) * f64::from(self.right - self.left))
                .round() as i32
    }
}

pub(super) fn style(size: f64, color: &RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(color)
}

pub(super) fn text_width(text: &str, size: f64) -> i32 {
    (FONT, size)
        .into_font()
        .box_size(text)
        .map_or(text.chars().count() as i32 * size as i32 / 2, |(w, _)| {
            w as i32
        })
}

/// A linear chart over `0..span_s` with the shared label areas (time labels, no axis title).
pub(super) fn linear_panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    span_s: f64,
    y: std::ops::Range<f64>,
) -> DrawResult<LinearChart<'a, DB>, DB> {
    ChartBuilder::on(area)
        .margin_top(30)
        .margin_bottom(4)
        .x_label_area_size(26)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0.0..span_s.max(1e-3), y)
}

/// The heading above a plot, and its legend on the same line, right-aligned.
pub(super) fn heading<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: (i32, i32, i32),
    text: &str,
    keys: &[Key],
) -> DrawResult<(), DB> {
    let (left, right, top) = plot;
    let (ax, ay) = area.get_base_pixel();
    let y = top - ay - 16;
    area.draw(&Text::new(
        text.to_owned(),
        (left - ax, y),
        style(18.0, &TEXT).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    let mut x = right - ax;
    for key in keys.iter().rev() {
        let (color, label) = match key {
            Key::Bar(c, l) | Key::Line(c, l) | Key::Dashed(c, l) => (c, l),
        };
        x -= text_width(label, 14.0);
        area.draw(&Text::new(
            label.clone(),
            (x, y),
            style(14.0, &TEXT).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x -= 24;
        match key {
            Key::Bar(..) => area.draw(&Rectangle::new(
                [(x, y - 6), (x + 16, y + 6)],
                color.filled(),
            ))?,
            Key::Line(..) => area.draw(&PathElement::new(
                vec![(x, y), (x + 16, y)],
                color.stroke_width(3),
            ))?,
            Key::Dashed(..) => {
                for dy in [-7, -1, 5] {
                    area.draw(&PathElement::new(
                        vec![(x + 8, y + dy), (x + 8, y + dy + 3)],
                        color.stroke_width(2),
                    ))?;
                }
            }
        }
        x -= 18;
    }
    Ok(())
}

/// Where the plot of `chart` is, in backend pixels: left, right, top, bottom.
pub(super) fn plot_box<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
) -> (i32, i32, i32, i32) {
    let (x, y) = chart.plotting_area().get_base_pixel();
    let (w, h) = chart.plotting_area().dim_in_pixel();
    (x, x + w as i32, y, y + h as i32)
}

/// The distinct pixel columns where toplevels took a new size.
pub(super) fn resize_columns(data: &GraphData, axis: &TimeAxis) -> Vec<i32> {
    let mut columns: Vec<i32> = data.resizes.iter().map(|r| axis.x(r.t_ns)).collect();
    columns.dedup();
    columns
}

/// Whether resizes are sparse enough to draw as lines across the panels (at most one
/// every 6 pixels on average); otherwise they would hide the data, and only the ticks
/// of the window-size strip show them.
pub(super) fn resize_lines_fit(data: &GraphData, axis: &TimeAxis) -> bool {
    resize_columns(data, axis).len() as i32 <= (axis.right - axis.left) / 6
}

/// Dashed vertical lines where a toplevel took a new size, over the whole plot height.
pub(super) fn resize_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    axis: &TimeAxis,
    plot: (i32, i32, i32, i32),
) -> DrawResult<(), DB> {
    if !resize_lines_fit(data, axis) {
        return Ok(());
    }
    let (ax, ay) = area.get_base_pixel();
    let (_, _, top, bottom) = plot;
    for x in resize_columns(data, axis) {
        let mut y = top;
        while y < bottom {
            let end = (y + 5).min(bottom);
            area.draw(&PathElement::new(
                vec![(x - ax, y - ay), (x - ax, end - ay)],
                RESIZE.mix(0.8).stroke_width(1),
            ))?;
            y += 9;
        }
    }
    Ok(())
}

/// A pale red background over the plot where the main loop was stalled: nothing can be
/// handled or drawn there, which the panels' gaps then show.
pub(super) fn stall_shading<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    axis: &TimeAxis,
    plot: (i32, i32, i32, i32),
) -> DrawResult<(), DB> {
    let (ax, ay) = area.get_base_pixel();
    let (_, _, top, bottom) = plot;
    for stall in &data.stalls {
        let left = axis.x(stall.t_ns);
        let right = axis.x(stall.t_ns + stall.shown_ns).max(left + 1);
        area.draw(&Rectangle::new(
            [(left - ax, top - ay), (right - ax, bottom - ay)],
            STALL.mix(0.08).filled(),
        ))?;
    }
    Ok(())
}

pub(super) fn mesh<DB: DrawingBackend>(
    chart: &mut LinearChart<'_, DB>,
    (origin_s, span_s): (f64, f64),
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> DrawResult<(), DB> {
    chart
        .configure_mesh()
        .y_desc(y_desc)
        .x_labels(16)
        .y_labels(6)
        .x_label_formatter(&|x| format_time(origin_s + *x, origin_s + span_s))
        .y_label_formatter(y_format)
        .label_style(style(15.0, &TEXT))
        .axis_desc_style(style(16.0, &MUTED))
        .max_light_lines(1)
        .light_line_style(GRID.mix(0.5))
        .bold_line_style(GRID)
        .draw()
}
