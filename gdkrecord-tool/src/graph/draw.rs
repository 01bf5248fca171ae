//! Draws the dashboard with plotters on any backend (bitmap for PNG, SVG): a title, then
//! panels sharing the time axis — input events by type, frame durations against the
//! frame budget, repainted area — with window resizes marked across them.

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
const RESIZE: RGBColor = RGBColor(0, 150, 120);
/// One colour per [`EVENT_ROWS`] row.
const EVENT_COLORS: [RGBColor; 8] = [
    RGBColor(120, 120, 130),
    RGBColor(30, 110, 230),
    RGBColor(230, 120, 0),
    RGBColor(0, 160, 90),
    RGBColor(150, 100, 60),
    RGBColor(200, 60, 160),
    RGBColor(0, 170, 190),
    RGBColor(90, 90, 90),
];
/// Width of the label area left of every panel, so that the panels' time axes line up.
const Y_LABEL_AREA: u32 = 130;

type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws the whole dashboard on `root`.
pub fn dashboard<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &GraphData,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let (width, height) = root.dim_in_pixel();
    let (title_area, body) = root.split_vertically(78);
    draw_title(&title_area, data)?;
    let body = body.margin(0, 8, 10, 24);
    let body_height = height.saturating_sub(86) as f64;
    let (resize_strip, rest) = body.split_vertically(34);
    let (events, rest) = rest.split_vertically((body_height * 0.27) as u32);
    let (frames, damage) = rest.split_vertically((body_height * 0.37) as u32);
    let span_s = data.span_ns as f64 / 1e9;
    draw_events(&events, data, span_s)?;
    draw_frames(&frames, data, span_s)?;
    draw_damage(&damage, data, span_s)?;
    draw_resize_labels(&resize_strip, data, span_s, width)?;
    root.present()?;
    Ok(())
}

fn style(size: f64, color: &RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(color)
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
    let frames = data.frames.len();
    let events: u64 = data.events.iter().map(|h| h.total()).sum();
    let from = data.origin_ns as f64 / 1e9;
    let title = format!(
        "{program}{pid} — {:.1} s recorded",
        data.span_ns as f64 / 1e9
    );
    area.draw(&Text::new(title, (24, 12), style(30.0, &TEXT)))?;
    let mut facts = vec![
        format!("{} frames", thousands(frames as u64)),
        format!("{} input events", thousands(events)),
        format!("{} records", thousands(data.records)),
    ];
    if from > 0.0 {
        facts.push(format!("from {from:.3} s"));
    }
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

/// A chart over `0..span_s` with the shared label areas.
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    span_s: f64,
    y: std::ops::Range<f64>,
) -> DrawResult<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, DB> {
    ChartBuilder::on(area)
        .margin_top(30)
        .margin_bottom(4)
        .x_label_area_size(48)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0.0..span_s.max(1e-3), y)
}

fn panel_heading<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> DrawResult<(), DB> {
    let (x0, _) = chart.plotting_area().get_base_pixel();
    let (ax, ay) = area.get_base_pixel();
    let y0 = chart.plotting_area().get_base_pixel().1;
    area.draw(&Text::new(
        text.to_owned(),
        (x0 - ax, y0 - ay - 26),
        style(18.0, &TEXT),
    ))
}

/// Vertical lines where a toplevel took a new size.
fn resize_lines<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    data: &GraphData,
    y: (f64, f64),
) -> DrawResult<(), DB> {
    chart.draw_series(data.resizes.iter().map(|r| {
        let x = r.t_ns as f64 / 1e9;
        PathElement::new(vec![(x, y.0), (x, y.1)], RESIZE.mix(0.55).stroke_width(1))
    }))?;
    Ok(())
}

fn time_axis<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> DrawResult<(), DB> {
    chart
        .configure_mesh()
        .x_desc("time since start of recording (s)")
        .y_desc(y_desc)
        .x_labels(16)
        .y_labels(6)
        .x_label_formatter(&|x| format_seconds(*x))
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
) -> DrawResult<(), DB> {
    let rows: Vec<usize> = (0..EVENT_ROWS.len())
        .filter(|&r| data.events[r].total() > 0)
        .collect();
    let n = rows.len().max(1) as f64;
    let mut chart = panel(area, span_s, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_labels(16)
        .x_label_formatter(&|x| format_seconds(*x))
        .label_style(style(15.0, &TEXT))
        .max_light_lines(1)
        .light_line_style(GRID.mix(0.5))
        .bold_line_style(GRID)
        .draw()?;
    resize_lines(&mut chart, data, (0.0, n))?;
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
        let x = Y_LABEL_AREA as i32 - 8;
        area.draw(&Text::new(
            label,
            (x, py - ay),
            style(15.0, &color).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        let _ = ax;
    }
    if rows.is_empty() {
        let (px, py) = chart.backend_coord(&(span_s / 2.0, n / 2.0));
        area.draw(&Text::new(
            "no input events in this range",
            (px - ax, py - ay),
            style(16.0, &MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    panel_heading(
        &chart,
        area,
        "Input events by type (bar height: events per pixel column)",
    )?;
    Ok(())
}

fn draw_frames<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    span_s: f64,
) -> DrawResult<(), DB> {
    let budget = data.budget_ms();
    let mut durations: Vec<f32> = data.frames.iter().map(|s| s.value).collect();
    let longest = durations.iter().copied().fold(0.0f32, f32::max);
    // Scale to the 99th percentile (but show at least twice the budget) so that one
    // 2-second stall does not flatten every other frame; taller frames are clipped and marked.
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
    let mut chart = panel(area, span_s, 0.0..f64::from(top))?;
    time_axis(&mut chart, "frame duration (ms)", &|y| format!("{y:.0}"))?;
    resize_lines(&mut chart, data, (0.0, f64::from(top)))?;
    let columns = chart.plotting_area().dim_in_pixel().0 as usize;
    let column_s = span_s / columns.max(1) as f64;
    let bins = binned(&data.frames, columns, data.span_ns);
    let clip = |v: f32| f64::from(v.min(top));
    chart
        .draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0 && b.max <= budget)
                .map(|(i, b)| bar(i, column_s, clip(b.max), FRAME_OK)),
        )?
        .label("frame duration (tallest frame per pixel column)")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], FRAME_OK.filled()));
    chart
        .draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0 && b.max > budget)
                .map(|(i, b)| bar(i, column_s, clip(b.max), OVER_BUDGET)),
        )?
        .label(format!(
            "over budget ({} frames)",
            thousands(durations.iter().filter(|&&d| d > budget).count() as u64)
        ))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], OVER_BUDGET.filled()));
    chart
        .draw_series(mean_ticks(&bins, column_s, top, FRAME_MEAN))?
        .label("mean per pixel column")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], FRAME_MEAN.stroke_width(3)));
    // Frames taller than the scale: a triangle at the top edge.
    chart.draw_series(
        bins.iter()
            .enumerate()
            .filter(|(_, b)| b.max > top)
            .map(|(i, _)| {
                TriangleMarker::new(
                    ((i as f64 + 0.5) * column_s, f64::from(top) * 0.97),
                    6,
                    OVER_BUDGET.filled(),
                )
            }),
    )?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, f64::from(budget)), (span_s, f64::from(budget))],
            BUDGET_LINE.stroke_width(2),
        )))?
        .label(format!(
            "frame budget {budget:.1} ms ({})",
            budget_source(data)
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BUDGET_LINE.stroke_width(2)));
    legend(&mut chart)?;
    let mut heading = "Frame-clock cycles: how long each frame took".to_owned();
    if longest > top {
        heading.push_str(&format!(
            "   (▲ taller than the scale; longest {longest:.0} ms)"
        ));
    }
    if data.frames.is_empty() {
        heading.push_str("   — no frames in this range");
    }
    panel_heading(&chart, area, &heading)
}

fn draw_damage<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    span_s: f64,
) -> DrawResult<(), DB> {
    let top = data.damage.iter().map(|s| s.value).fold(0.0f32, f32::max);
    let top = if top > 50.0 {
        100.0
    } else {
        (top * 1.15).max(1.0)
    };
    let mut chart = panel(area, span_s, 0.0..f64::from(top))?;
    time_axis(&mut chart, "repainted area (% of window)", &|y| {
        format!("{y:.0}%")
    })?;
    resize_lines(&mut chart, data, (0.0, f64::from(top)))?;
    let columns = chart.plotting_area().dim_in_pixel().0 as usize;
    let column_s = span_s / columns.max(1) as f64;
    let bins = binned(&data.damage, columns, data.span_ns);
    chart
        .draw_series(
            bins.iter()
                .enumerate()
                .filter(|(_, b)| b.count > 0)
                .map(|(i, b)| bar(i, column_s, f64::from(b.max), DAMAGE)),
        )?
        .label("largest repaint per pixel column")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], DAMAGE.filled()));
    chart
        .draw_series(mean_ticks(&bins, column_s, top, DAMAGE_MEAN))?
        .label("mean per pixel column")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], DAMAGE_MEAN.stroke_width(3)));
    if !data.resizes.is_empty() {
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label("window resized")
            .legend(|(x, y)| {
                PathElement::new(vec![(x + 8, y - 7), (x + 8, y + 7)], RESIZE.stroke_width(2))
            });
    }
    legend(&mut chart)?;
    let mut heading = if data.damage_is_painted {
        "Repainted area per frame (presented region: no renderer damage recorded)".to_owned()
    } else {
        "Repainted area per frame (GSK renderer damage)".to_owned()
    };
    if data.damage.is_empty() {
        let note = data
            .header
            .as_ref()
            .filter(|h| !h.damage_capture)
            .map(|h| h.damage_note.as_str())
            .unwrap_or("");
        heading.push_str(&format!(
            "   — no damage recorded{}",
            if note.is_empty() {
                String::new()
            } else {
                format!(": {note}")
            }
        ));
    }
    panel_heading(&chart, area, &heading)
}

/// `WxH` labels above the panels where toplevels were resized, skipping labels that would
/// overlap the previous one.
fn draw_resize_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &GraphData,
    span_s: f64,
    _width: u32,
) -> DrawResult<(), DB> {
    let (area_w, area_h) = area.dim_in_pixel();
    let plot_w = area_w.saturating_sub(Y_LABEL_AREA) as f64;
    let x_of =
        |t_ns: u64| Y_LABEL_AREA as i32 + (t_ns as f64 / 1e9 / span_s.max(1e-3) * plot_w) as i32;
    area.draw(&Text::new(
        "window size",
        (Y_LABEL_AREA as i32 - 8, 10),
        style(15.0, &RESIZE).pos(Pos::new(HPos::Right, VPos::Center)),
    ))?;
    let several_windows = data
        .resizes
        .iter()
        .any(|r| r.surface != data.resizes[0].surface);
    // Label from the last resize backwards, so that a burst of resizes (dragging a
    // window edge) is labelled with the size it ended at.
    let mut label_limit = area_w as i32;
    let mut skipped = 0u64;
    for resize in data.resizes.iter().rev() {
        let x = x_of(resize.t_ns);
        area.draw(&PathElement::new(
            vec![(x, area_h as i32 - 10), (x, area_h as i32)],
            RESIZE.stroke_width(2),
        ))?;
        let label = if several_windows {
            format!("#{} {}×{}", resize.surface, resize.width, resize.height)
        } else {
            format!("{}×{}", resize.width, resize.height)
        };
        let label_width = 8 * label.chars().count() as i32 + 6;
        if x + label_width > label_limit {
            skipped += 1;
            continue;
        }
        area.draw(&Text::new(
            label,
            (x + 3, area_h as i32 / 2),
            style(14.0, &RESIZE).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        label_limit = x - 6;
    }
    if skipped > 0 {
        let note = format!("{} more not labelled", thousands(skipped));
        area.draw(&Text::new(
            note,
            (Y_LABEL_AREA as i32 - 8, area_h as i32 - 6),
            style(12.0, &MUTED).pos(Pos::new(HPos::Right, VPos::Bottom)),
        ))?;
    }
    Ok(())
}

fn bar(column: usize, column_s: f64, value: f64, color: RGBColor) -> Rectangle<(f64, f64)> {
    let x = column as f64 * column_s;
    // Two columns wide, so that a lone frame in a long recording is still visible.
    Rectangle::new([(x, 0.0), (x + 2.0 * column_s, value)], color.filled())
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
                vec![(x, f64::from(b.mean)), (x + column_s, f64::from(b.mean))],
                color.stroke_width(2),
            )
        })
}

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> DrawResult<(), DB> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .label_font(style(14.0, &TEXT))
        .draw()
}

fn budget_source(data: &GraphData) -> String {
    match data.refresh_interval_ns {
        Some(ns) => format!("{:.0} Hz display", 1e9 / ns as f64),
        None => "60 Hz assumed: refresh rate not recorded".into(),
    }
}

fn format_seconds(s: f64) -> String {
    if s == 0.0 {
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
