//! The dashboard's panels: input events by type, frame durations against the frame
//! budget, repainted area, and the strips of window sizes and main-loop stalls.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{
    heading, linear_panel, mesh, plot_box, resize_lines, resize_lines_fit, stall_shading, style,
    text_width, DrawResult, Key, TimeAxis, BUDGET_LINE, DAMAGE, DAMAGE_BAND, DAMAGE_FLOOR_PERCENT,
    DAMAGE_MEAN, EVENT_COLORS, FRAME_BAND, FRAME_MEAN, FRAME_OK, GRID, MUTED, OVER_BUDGET,
    OVER_BUDGET_BAND, RESIZE, STALL, STALL_LABELS, TEXT, Y_LABEL_AREA,
};
use super::data::{binned, Bin, GraphData, EVENT_ROWS};
use super::labels::{format_percent, format_time, thousands, time_desc};

pub(super) fn draw_events<DB: DrawingBackend>(
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

pub(super) fn draw_frames<DB: DrawingBackend>(
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

pub(super) fn draw_damage<DB: DrawingBackend>(
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
pub(super) fn draw_stalls<DB: DrawingBackend>(
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
pub(super) fn draw_resize_labels<DB: DrawingBackend>(
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
