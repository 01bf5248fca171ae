//! Draws the dashboard with plotters on any backend (bitmap for PNG, SVG): a title, then
//! panels sharing the time axis — input events by type, frame durations against the
//! frame budget, repainted area — with window resizes marked across them, and, when the
//! main loop stalled, a strip of red spans where it did, the longest labelled with
//! their duration.
//!
//! Every panel has the same label-area width, so their time axes line up; legends sit
//! on each panel's heading line rather than over the data.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{binned, Bin, GraphData, EVENT_ROWS};

const FONT: &str = "sans-serif";
const TEXT: RGBColor = RGBColor(30, 30, 36);
const MUTED: RGBColor = RGBColor(105, 105, 115);
const GRID: RGBColor = RGBColor(225, 225, 230);
const FRAME_OK: RGBColor = RGBColor(70, 120, 190);
const FRAME_MEAN: RGBColor = RGBColor(20, 45, 90);
const OVER_BUDGET: RGBColor = RGBColor(215, 35, 45);
const BUDGET_LINE: RGBColor = RGBColor(240, 140, 0);
const DAMAGE: RGBColor = RGBColor(150, 80, 200);
const DAMAGE_MEAN: RGBColor = RGBColor(70, 25, 105);
/// Pale versions for the min–max bands of long recordings.
const FRAME_BAND: RGBColor = RGBColor(175, 198, 232);
const OVER_BUDGET_BAND: RGBColor = RGBColor(242, 160, 165);
const DAMAGE_BAND: RGBColor = RGBColor(212, 188, 236);
const RESIZE: RGBColor = RGBColor(0, 130, 140);
/// Main-loop stalls: the spans in their strip.
const STALL: RGBColor = RGBColor(200, 20, 30);
/// Stalls labelled with their duration, longest first (more would crowd the strip).
const STALL_LABELS: usize = 8;
/// One colour per [`EVENT_ROWS`] row.
const EVENT_COLORS: [RGBColor; 8] = [
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
const Y_LABEL_AREA: u32 = 130;
/// The damage axis is logarithmic: a 24×24 spinner (0.1 % of a window) and a full
/// repaint must both be visible. Smaller repaints sit on the bottom edge.
const DAMAGE_FLOOR_PERCENT: f64 = 0.01;

type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
type LinearChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A legend entry: a swatch and what it means.
enum Key {
    Bar(RGBColor, String),
    Line(RGBColor, String),
    Dashed(RGBColor, String),
}

/// Pixel columns of the plots, shared by all panels (absolute backend pixels).
#[derive(Clone, Copy)]
struct TimeAxis {
    left: i32,
    right: i32,
    span_s: f64,
}

impl TimeAxis {
    fn x(&self, t_ns: u64) -> i32 {
        self.left
            + ((t_ns as f64 / 1e9) / self.span_s.max(1e-3) * f64::from(self.right - self.left))
                .round() as i32
    }
}

/// Draws the whole dashboard on `root`.
pub fn dashboard<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &GraphData,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let (_, height) = root.dim_in_pixel();
    let (title_area, body) = root.split_vertically(78);
    draw_title(&title_area, data)?;
    let body = body.margin(0, 8, 10, 24);
    let body_height = f64::from(height.saturating_sub(86));
    let (resize_strip, rest) = body.split_vertically(30);
    let (stall_strip, rest) = rest.split_vertically(if data.stalls.is_empty() { 0 } else { 36 });
    let (events, rest) = rest.split_vertically((body_height * 0.27) as u32);
    let (frames, damage) = rest.split_vertically((body_height * 0.35) as u32);
    let span_s = data.span_ns as f64 / 1e9;
    let axis = draw_events(&events, data, span_s)?;
    draw_frames(&frames, data, span_s)?;
    draw_damage(&damage, data, span_s)?;
    draw_resize_labels(&resize_strip, data, axis)?;
    draw_stalls(&stall_strip, data, axis)?;
    root.present()?;
    Ok(())
}

fn style(size: f64, color: &RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(color)
}

fn text_width(text: &str, size: f64) -> i32 {
    (FONT, size)
        .into_font()
        .box_size(text)
        .map_or(text.chars().count() as i32 * size as i32 / 2, |(w, _)| {
            w as i32
        })
}

fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
) -> DrawResult<(), DB> {
    let (program, pid) = data
        .header
        .as_ref()
        .map_or(("(no header)".to_owned(), String::new()), |h| {
            (h.program.clone(), format!(" (pid {})", h.pid))
        });
    let events: u64 = data.events.iter().map(|h| h.total()).sum();
    let duration = human_duration(data.span_ns as f64 / 1e9);
    let title = if data.windowed {
        let from = data.origin_ns as f64 / 1e9;
        let to = from + data.span_ns as f64 / 1e9;
        format!("{program}{pid} — {duration} shown, from {from:.3} s to {to:.3} s")
    } else {
        format!("{program}{pid} — {duration} recorded")
    };
    area.draw(&Text::new(title, (24, 12), style(30.0, &TEXT)))?;
    let mut facts = vec![
        format!("{} frames", thousands(data.frames.len() as u64)),
        format!("{} input events", thousands(events)),
        format!("{} records", thousands(data.records)),
    ];
    if let Some(h) = &data.header {
        facts.push(format!(
            "GTK {}.{}.{}",
            h.gtk_version[0], h.gtk_version[1], h.gtk_version[2]
        ));
        if !h.display_backend.is_empty() {
            facts.push(format!("{} {}", h.display_backend, h.display_name));
        }
        if !h.damage_capture {
            facts.push("damage capture off".into());
        }
    }
    area.draw(&Text::new(
        facts.join("   ·   "),
        (26, 52),
        style(17.0, &MUTED),
    ))?;
    Ok(())
}

/// A linear chart over `0..span_s` with the shared label areas (time labels, no axis title).
fn linear_panel<'a, DB: DrawingBackend>(
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
fn heading<DB: DrawingBackend>(
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
fn plot_box<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
) -> (i32, i32, i32, i32) {
    let (x, y) = chart.plotting_area().get_base_pixel();
    let (w, h) = chart.plotting_area().dim_in_pixel();
    (x, x + w as i32, y, y + h as i32)
}

/// The distinct pixel columns where toplevels took a new size.
fn resize_columns(data: &GraphData, axis: &TimeAxis) -> Vec<i32> {
    let mut columns: Vec<i32> = data.resizes.iter().map(|r| axis.x(r.t_ns)).collect();
    columns.dedup();
    columns
}

/// Whether resizes are sparse enough to draw as lines across the panels (at most one
/// every 6 pixels on average); otherwise they would hide the data, and only the ticks
/// of the window-size strip show them.
fn resize_lines_fit(data: &GraphData, axis: &TimeAxis) -> bool {
    resize_columns(data, axis).len() as i32 <= (axis.right - axis.left) / 6
}

/// Dashed vertical lines where a toplevel took a new size, over the whole plot height.
fn resize_lines<DB: DrawingBackend>(
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
fn stall_shading<DB: DrawingBackend>(
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

fn mesh<DB: DrawingBackend>(
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

fn draw_events<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    span_s: f64,
) -> DrawResult<TimeAxis, DB> {
    let origin_s = data.origin_ns as f64 / 1e9;
    let rows: Vec<usize> = (0..EVENT_ROWS.len())
        .filter(|&r| data.events[r].total() > 0)
        .collect();
    let n = rows.len().max(1) as f64;
    let mut chart = linear_panel(area, span_s, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_labels(16)
        .x_label_formatter(&|x| format_time(origin_s + *x, origin_s + span_s))
        .label_style(style(15.0, &TEXT))
        .max_light_lines(1)
        .light_line_style(GRID.mix(0.5))
        .bold_line_style(GRID)
        .draw()?;
    let plot = plot_box(&chart);
    let axis = TimeAxis {
        left: plot.0,
        right: plot.1,
        span_s,
    };
    stall_shading(area, data, &axis, plot)?;
    resize_lines(area, data, &axis, plot)?;
    let columns = chart.plotting_area().dim_in_pixel().0 as usize;
    let column_s = span_s / columns.max(1) as f64;
    let (ax, ay) = area.get_base_pixel();
    for (slot, &row) in rows.iter().enumerate() {
        // Rows top to bottom in EVENT_ROWS order.
        let base = n - 1.0 - slot as f64;
        let counts = data.events[row].columns(columns, data.span_ns);
        let most = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let color = EVENT_COLORS[row];
        chart.draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| {
                    // Height by the square root of the count so single events stay visible next to bursts.
                    let h = 0.2 + 0.7 * (c as f64 / most).sqrt();
                    let x = i as f64 * column_s;
                    Rectangle::new(
                        [(x, base + 0.05), (x + column_s, base + 0.05 + h)],
                        color.filled(),
                    )
                }),
        )?;
        let (_, py) = chart.backend_coord(&(0.0, base + 0.5));
        let label = format!(
            "{} ({})",
            EVENT_ROWS[row],
            thousands(data.events[row].total())
        );
        area.draw(&Text::new(
            label,
            (plot.0 - ax - 10, py - ay),
            style(15.0, &color).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    if rows.is_empty() {
        let (px, py) = chart.backend_coord(&(span_s / 2.0, n / 2.0));
        area.draw(&Text::new(
            "no input events in this range",
            (px - ax, py - ay),
            style(16.0, &MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    let mut keys = Vec::new();
    if !data.resizes.is_empty() && resize_lines_fit(data, &axis) {
        keys.push(Key::Dashed(RESIZE, "window resized".into()));
    }
    heading(
        area,
        (plot.0, plot.1, plot.2),
        "Input events by type (bar height: events per pixel column)",
        &keys,
    )?;
    Ok(axis)
}

fn draw_frames<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    span_s: f64,
) -> DrawResult<(), DB> {
    let budget = data.budget_ms();
    let mut durations: Vec<f32> = data.frames.iter().map(|s| s.value).collect();
    let longest = durations.iter().copied().fold(0.0f32, f32::max);
    let over_budget = durations.iter().filter(|&&d| d > budget).count() as u64;
    // Scale to the 99th percentile (but show at least 2.5 budgets) so that one 2-second
    // stall does not flatten every other frame; taller frames are clipped and marked.
    let top = if durations.is_empty() {
        budget * 2.5
    } else {
        let at = (durations.len() * 99 / 100).min(durations.len() - 1);
        let p99 = *durations.select_nth_unstable_by(at, f32::total_cmp).1;
        (p99 * 1.3)
            .max(budget * 2.5)
            .min(longest * 1.08)
            .max(budget * 1.5)
    };
    let mut chart = linear_panel(area, span_s, 0.0..f64::from(top))?;
    mesh(
        &mut chart,
        (data.origin_ns as f64 / 1e9, span_s),
        "frame duration (ms)",
        &|y| format!("{y:.0}"),
    )?;
    let plot = plot_box(&chart);
    let axis = TimeAxis {
        left: plot.0,
        right: plot.1,
        span_s,
    };
    stall_shading(area, data, &axis, plot)?;
    resize_lines(area, data, &axis, plot)?;
    let columns = chart.plotting_area().dim_in_pixel().0 as usize;
    let column_s = span_s / columns.max(1) as f64;
    let bins = binned(&data.frames, columns, data.span_ns);
    let clip = |v: f32| f64::from(v.min(top));
    // With a few frames per pixel column a bar per column reads best; with many, the
    // tallest frame of every column is over budget somewhere, so show the spread as a
    // band (pale red above the budget) and the mean as a line.
    let dense = data.frames.len() > 2 * columns;
    if dense {
        chart.draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0)
                .map(|(i, b)| {
                    bar(
                        i,
                        column_s,
                        f64::from(b.min.min(budget)),
                        clip(b.max.min(budget)),
                        FRAME_BAND,
                    )
                }),
        )?;
        chart.draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0 && b.max > budget)
                .map(|(i, b)| {
                    bar(
                        i,
                        column_s,
                        f64::from(b.min.max(budget)),
                        clip(b.max),
                        OVER_BUDGET_BAND,
                    )
                }),
        )?;
        chart.draw_series(LineSeries::new(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0)
                .map(|(i, b)| ((i as f64 + 0.5) * column_s, clip(b.mean))),
            FRAME_MEAN.stroke_width(1),
        ))?;
    } else {
        chart.draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0 && b.max <= budget)
                .map(|(i, b)| bar(i, column_s, 0.0, clip(b.max), FRAME_OK)),
        )?;
        chart.draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0 && b.max > budget)
                .map(|(i, b)| bar(i, column_s, 0.0, clip(b.max), OVER_BUDGET)),
        )?;
        chart.draw_series(mean_ticks(&bins, column_s, top, FRAME_MEAN))?;
    }
    // Frames taller than the scale: a triangle at the top edge.
    chart.draw_series(
        bins.iter()
            .enumerate()
            .filter(|(_, b)| b.max > top)
            .map(|(i, _)| {
                TriangleMarker::new(
                    ((i as f64 + 1.0) * column_s, f64::from(top) * 0.96),
                    6,
                    OVER_BUDGET.filled(),
                )
            }),
    )?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, f64::from(budget)), (span_s, f64::from(budget))],
        BUDGET_LINE.stroke_width(2),
    )))?;
    let mut title = "Frame-clock cycles: how long each frame took".to_owned();
    if data.frames.is_empty() {
        title.push_str(" — no frames in this range");
    } else if longest > top {
        title.push_str(&format!(" (▲ off the scale: longest {longest:.0} ms)"));
    }
    let share = 100.0 * over_budget as f64 / data.frames.len().max(1) as f64;
    let over = format!(
        "over budget ({} frames, {share:.1}%)",
        thousands(over_budget)
    );
    let keys = if dense {
        [
            Key::Bar(FRAME_BAND, "shortest–longest per pixel column".into()),
            Key::Bar(OVER_BUDGET_BAND, over),
            Key::Line(FRAME_MEAN, "mean".into()),
            Key::Line(
                BUDGET_LINE,
                format!("budget {budget:.1} ms ({})", budget_source(data)),
            ),
        ]
    } else {
        [
            Key::Bar(FRAME_OK, "longest per pixel column".into()),
            Key::Bar(OVER_BUDGET, over),
            Key::Line(FRAME_MEAN, "mean".into()),
            Key::Line(
                BUDGET_LINE,
                format!("budget {budget:.1} ms ({})", budget_source(data)),
            ),
        ]
    };
    heading(area, (plot.0, plot.1, plot.2), &title, &keys)
}

fn draw_damage<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    span_s: f64,
) -> DrawResult<(), DB> {
    let origin_s = data.origin_ns as f64 / 1e9;
    let floor = DAMAGE_FLOOR_PERCENT;
    let mut chart = ChartBuilder::on(area)
        .margin_top(30)
        .margin_bottom(4)
        .x_label_area_size(48)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0.0..span_s.max(1e-3), (floor..100.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(time_desc(origin_s + span_s))
        .y_desc("repainted area (% of window)")
        .x_labels(16)
        .x_label_formatter(&|x| format_time(origin_s + *x, origin_s + span_s))
        .y_label_formatter(&|y| format_percent(*y))
        .label_style(style(15.0, &TEXT))
        .axis_desc_style(style(16.0, &MUTED))
        .max_light_lines(1)
        .light_line_style(GRID.mix(0.5))
        .bold_line_style(GRID)
        .draw()?;
    let plot = plot_box(&chart);
    let axis = TimeAxis {
        left: plot.0,
        right: plot.1,
        span_s,
    };
    stall_shading(area, data, &axis, plot)?;
    resize_lines(area, data, &axis, plot)?;
    let columns = chart.plotting_area().dim_in_pixel().0 as usize;
    let column_s = span_s / columns.max(1) as f64;
    let bins = binned(&data.damage, columns, data.span_ns);
    let at_least = |v: f32| f64::from(v).clamp(floor, 100.0);
    let dense = data.damage.len() > 2 * columns;
    chart.draw_series(
        bins.iter()
            .enumerate()
            .filter(|(_, b)| b.count > 0)
            .map(|(i, b)| {
                let x = i as f64 * column_s;
                if dense {
                    Rectangle::new(
                        [(x, at_least(b.min)), (x + 2.0 * column_s, at_least(b.max))],
                        DAMAGE_BAND.filled(),
                    )
                } else {
                    Rectangle::new(
                        [(x, floor), (x + 2.0 * column_s, at_least(b.max))],
                        DAMAGE.filled(),
                    )
                }
            }),
    )?;
    if dense {
        chart.draw_series(LineSeries::new(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0)
                .map(|(i, b)| ((i as f64 + 0.5) * column_s, at_least(b.mean))),
            DAMAGE_MEAN.stroke_width(1),
        ))?;
    } else {
        chart.draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 1)
                .map(|(i, b)| {
                    let x = i as f64 * column_s;
                    PathElement::new(
                        vec![
                            (x, at_least(b.mean)),
                            (x + 2.0 * column_s, at_least(b.mean)),
                        ],
                        DAMAGE_MEAN.stroke_width(2),
                    )
                }),
        )?;
    }
    let mut title = if data.damage_is_painted {
        "Repainted area per frame (presented region: no renderer damage recorded)".to_owned()
    } else {
        "Repainted area per frame (GSK renderer damage)".to_owned()
    };
    if data.damage.is_empty() {
        let note = data
            .header
            .as_ref()
            .filter(|h| !h.damage_capture)
            .map_or("", |h| h.damage_note.as_str());
        title.push_str(" — no damage recorded");
        if !note.is_empty() {
            title.push_str(&format!(": {note}"));
        }
    }
    let keys = if dense {
        [
            Key::Bar(DAMAGE_BAND, "smallest–largest per pixel column".into()),
            Key::Line(DAMAGE_MEAN, "mean".into()),
        ]
    } else {
        [
            Key::Bar(DAMAGE, "largest repaint per pixel column".into()),
            Key::Line(DAMAGE_MEAN, "mean".into()),
        ]
    };
    heading(area, (plot.0, plot.1, plot.2), &title, &keys)
}

/// The main-loop stalls strip: a red span over each stall's time (at least 2 px wide, so
/// a short stall in a long recording stays visible), the longest few labelled with their
/// duration where the label fits.
fn draw_stalls<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    axis: TimeAxis,
) -> DrawResult<(), DB> {
    if data.stalls.is_empty() {
        return Ok(());
    }
    let (ax, _) = area.get_base_pixel();
    let (_, area_h) = area.dim_in_pixel();
    let (top, bottom) = (area_h as i32 - 16, area_h as i32 - 2);
    let total_ms: f64 = data.stalls.iter().map(|s| s.duration_ns as f64 / 1e6).sum();
    area.draw(&Text::new(
        format!(
            "stalls ({}, {total_ms:.0} ms)",
            thousands(data.stalls.len() as u64)
        ),
        (axis.left - ax - 10, (top + bottom) / 2),
        style(15.0, &STALL).pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    area.draw(&PathElement::new(
        vec![(axis.left - ax, bottom), (axis.right - ax, bottom)],
        GRID.stroke_width(1),
    ))?;
    let span = |s: &super::data::StallSpan| {
        let left = axis.x(s.t_ns);
        (left, axis.x(s.t_ns + s.shown_ns).max(left + 2))
    };
    for stall in &data.stalls {
        let (left, right) = span(stall);
        area.draw(&Rectangle::new(
            [(left - ax, top), (right - ax, bottom)],
            STALL.filled(),
        ))?;
    }
    let mut longest: Vec<_> = data.stalls.iter().collect();
    longest.sort_by_key(|s| std::cmp::Reverse(s.duration_ns));
    let mut taken: Vec<(i32, i32)> = Vec::new();
    let mut unlabelled = data.stalls.len().saturating_sub(STALL_LABELS);
    for stall in longest.into_iter().take(STALL_LABELS) {
        let (left, right) = span(stall);
        let label = format!(
            "{}{:.0} ms",
            if stall.ongoing_at_end { "≥ " } else { "" },
            stall.duration_ns as f64 / 1e6
        );
        let width = text_width(&label, 13.0);
        let x = ((left + right) / 2 - width / 2).clamp(axis.left, axis.right - width);
        let extent = (x - 4, x + width + 4);
        if taken.iter().any(|&(a, b)| extent.0 < b && a < extent.1) {
            unlabelled += 1;
            continue;
        }
        taken.push(extent);
        area.draw(&Text::new(
            label,
            (x - ax, top - 9),
            style(13.0, &STALL).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    if unlabelled > 0 {
        area.draw(&Text::new(
            format!("{} unlabelled", thousands(unlabelled as u64)),
            (axis.right - ax, top - 9),
            style(12.0, &MUTED).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// `WxH` labels above the panels where toplevels were resized.
fn draw_resize_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    axis: TimeAxis,
) -> DrawResult<(), DB> {
    if data.resizes.is_empty() {
        return Ok(());
    }
    let (ax, _) = area.get_base_pixel();
    let (area_w, area_h) = area.dim_in_pixel();
    let mid = area_h as i32 / 2;
    area.draw(&Text::new(
        "window size",
        (axis.left - ax - 10, mid),
        style(15.0, &RESIZE).pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    let several_windows = data
        .resizes
        .iter()
        .any(|r| r.surface != data.resizes[0].surface);
    // Label from the last resize backwards, so that a burst of resizes (dragging a
    // window edge) is labelled with the size it ended at.
    let mut label_limit = ax + area_w as i32;
    let mut skipped = 0u64;
    for resize in data.resizes.iter().rev() {
        let x = axis.x(resize.t_ns);
        area.draw(&PathElement::new(
            vec![(x - ax, area_h as i32 - 8), (x - ax, area_h as i32)],
            RESIZE.stroke_width(2),
        ))?;
        let label = if several_windows {
            format!("#{} {}×{}", resize.surface, resize.width, resize.height)
        } else {
            format!("{}×{}", resize.width, resize.height)
        };
        let width = text_width(&label, 14.0);
        if x + 3 + width > label_limit {
            skipped += 1;
            continue;
        }
        area.draw(&Text::new(
            label,
            (x - ax + 3, mid),
            style(14.0, &RESIZE).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        label_limit = x - 8;
    }
    if skipped > 0 {
        let note = format!("+{} more", thousands(skipped));
        area.draw(&Text::new(
            note,
            (axis.left - ax - 10, area_h as i32 + 4),
            style(12.0, &MUTED).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// A bar from `from` to `value`, two columns wide so that a lone frame in a long
/// recording is still visible.
fn bar(
    column: usize,
    column_s: f64,
    from: f64,
    value: f64,
    color: RGBColor,
) -> Rectangle<(f64, f64)> {
    let x = column as f64 * column_s;
    Rectangle::new([(x, from), (x + 2.0 * column_s, value)], color.filled())
}

fn mean_ticks(
    bins: &[Bin],
    column_s: f64,
    top: f32,
    color: RGBColor,
) -> impl Iterator<Item = PathElement<(f64, f64)>> + '_ {
    bins.iter()
        .enumerate()
        .filter(move |(_, b)| b.count > 1 && b.mean <= top)
        .map(move |(i, b)| {
            let x = i as f64 * column_s;
            PathElement::new(
                vec![
                    (x, f64::from(b.mean)),
                    (x + 2.0 * column_s, f64::from(b.mean)),
                ],
                color.stroke_width(2),
            )
        })
}

fn budget_source(data: &GraphData) -> String {
    match data.refresh_interval_ns {
        Some(ns) => format!("{:.0} Hz display", 1e9 / ns as f64),
        None => "60 Hz assumed".into(),
    }
}

/// The time axis' description: seconds for short recordings, clock time for long ones.
fn time_desc(span_s: f64) -> &'static str {
    if span_s >= 3600.0 {
        "time since start of recording (h:mm:ss)"
    } else if span_s >= 600.0 {
        "time since start of recording (m:ss)"
    } else {
        "time since start of recording (s)"
    }
}

/// A time-axis label in the unit [`time_desc`] announces for `span_s`.
fn format_time(s: f64, span_s: f64) -> String {
    if span_s >= 600.0 {
        let total = s.round() as u64;
        let (h, m, sec) = (total / 3600, total / 60 % 60, total % 60);
        if span_s >= 3600.0 {
            format!("{h}:{m:02}:{sec:02}")
        } else {
            format!("{}:{sec:02}", total / 60)
        }
    } else if s == 0.0 {
        "0".into()
    } else if s.abs() >= 100.0 {
        format!("{s:.0}")
    } else if s.abs() >= 10.0 {
        format!("{s:.1}")
    } else {
        format!("{s:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

/// `6.2 s`, `12 min 5 s`, `6 h 47 min`.
fn human_duration(s: f64) -> String {
    let total = s.round() as u64;
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{} min {} s", total / 60, total % 60)
    } else {
        format!("{} h {} min", total / 3600, total / 60 % 60)
    }
}

fn format_percent(p: f64) -> String {
    if p >= 1.0 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

/// `12345678` -> `12,345,678`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(format_time(2.5, 6.0), "2.5");
        assert_eq!(format_time(12.25, 60.0), "12.2");
        assert_eq!(format_time(125.0, 900.0), "2:05");
        assert_eq!(format_time(3725.0, 9000.0), "1:02:05");
        assert_eq!(human_duration(6.24), "6.2 s");
        assert_eq!(human_duration(24424.9), "6 h 47 min");
        assert_eq!(format_percent(0.1), "0.1%");
        assert_eq!(format_percent(100.0), "100%");
    }
}
