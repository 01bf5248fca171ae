//! Draws the dashboard with plotters on any backend (bitmap for PNG, SVG): a title, then
//! panels sharing the time axis — input events by type, frame durations against the
//! frame budget, repainted area — with window resizes marked across them, and, when the
//! main loop stalled, a strip of red spans where it did, the longest labelled with
//! their duration.
//!
//! Every panel has the same label-area width, so their time axes line up; legends sit
//! on each panel's heading line rather than over the data.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{style, DrawResult, MUTED, TEXT};
use super::data::GraphData;
use super::labels::{human_duration, thousands};
use super::panels::{draw_damage, draw_events, draw_frames, draw_resize_labels, draw_stalls};

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
