//! `gdkrecord-tool exposures`: replays what a surface repainted, as an animated GIF
//! (flash and fade, pointer, clicks, caption) or with `--heatmap` as one PNG of how often
//! each pixel was repainted. Both walk the replay model of `gdkrecord-replay`, the same
//! one the GTK viewer draws.

use std::process::ExitCode;

use anyhow::{bail, Result};
use gdkrecord_replay::{Replay, ReplayOptions, Timeline, TimelineBuilder};

use crate::cli::ExposuresArgs;
use crate::graph::{font, output_path, thousands};
use crate::input::{Filter, Recording};

mod animation;
mod canvas;
mod heatmap;
mod pictures;

/// Runs `exposures`.
pub fn run(args: &ExposuresArgs) -> Result<ExitCode> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        bail!(
            "--speed: {} is not a positive number (1 = as recorded, 0.5 = half speed)",
            args.speed
        );
    }
    if args.fade == 0 {
        bail!("--fade: must be at least 1 frame");
    }
    if args.max_frames == 0 {
        bail!("--max-frames: must be at least 1");
    }
    if args.max_width < 100 {
        bail!(
            "--max-width: {} is too small (at least 100 pixels)",
            args.max_width
        );
    }
    let window = Filter::from_args(&args.read.filters)?;
    let output = output_path(
        &args.read.file,
        args.output.as_deref(),
        if args.heatmap { "heatmap.png" } else { "gif" },
    );
    let extension = if args.heatmap { "png" } else { "gif" };
    if !output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension))
    {
        bail!(
            "{}: the {} must end in .{extension}",
            output.display(),
            if args.heatmap { "heatmap" } else { "animation" }
        );
    }
    crate::output::refuse_input(&args.read.file, &output)?;
    // Every surface and every time is read: popups need their parents, frames after
    // --from need the sizes set before it. The window is applied by the replay.
    let mut everything = args.read.filters.clone();
    everything.surface = None;
    everything.from = None;
    everything.to = None;
    let mut recording = Recording::open(
        &args.read.file,
        Filter::from_args(&everything)?,
        args.read.strict,
    )?;
    recording.show_progress("exposures");
    let mut builder = TimelineBuilder::default();
    let mut any_pixels = false;
    recording.for_each(|record| {
        any_pixels |= matches!(record, gdkrecord_format::Record::Pixels(_));
        builder.push(&record);
        Ok(())
    })?;
    let timeline = builder.finish();
    let file = args.read.file.display();
    let surface = match window.surface() {
        Some(id) if timeline.surface(id).is_some() => id,
        Some(id) => bail!(
            "{file}: no surface {id} in the recording ({})",
            surface_list(&timeline)
        ),
        None => match timeline.default_surface() {
            Some(id) => id,
            None => bail!("{file}: no surface in the recording, nothing to replay"),
        },
    };
    let options = ReplayOptions {
        fade_frames: args.fade,
        ..ReplayOptions::default()
    };
    let mut replay = Replay::new(&timeline, surface)
        .with_range(window.from_ns(), window.to_ns())
        .with_options(options);
    let info = timeline
        .surface(surface)
        .map(|s| s.label())
        .unwrap_or_default();
    if replay.frame_count() == 0 {
        let range = if window.from_ns().is_some() || window.to_ns().is_some() {
            " in the --from/--to range"
        } else {
            ""
        };
        bail!(
            "{file}: {info} has no frames{range} (surfaces: {})",
            surface_list(&timeline)
        );
    }
    let max_size = timeline.surface(surface).map_or([1, 1], |s| s.max_size());
    let max_size = [max_size[0].max(1), max_size[1].max(1)];
    if !args.heatmap && replay.frame_count() > args.max_frames {
        // Cut at the last frame allowed; the heatmap always covers the whole range.
        let last_allowed = replay
            .frame_at(args.max_frames - 1)
            .map_or(0, |f| f.start_ns);
        eprintln!(
            "gdkrecord-tool: warning: {file}: {} frames in range, animating the first {} (to {:.3} s); choose others with --from/--to or raise --max-frames",
            thousands(replay.frame_count() as u64),
            thousands(args.max_frames as u64),
            last_allowed as f64 / 1e9
        );
        replay = replay.with_range(window.from_ns(), Some(last_allowed));
    }
    font::register();
    let first = replay.frame_at(0).map_or(0, |f| f.start_ns);
    let last = replay
        .frame_at(replay.frame_count() - 1)
        .map_or(0, |f| f.end_ns);
    let mut cursor = if any_pixels {
        Some(pictures::PictureCursor::open(&args.read.file, surface)?)
    } else {
        None
    };
    if args.heatmap {
        let heat = replay.heatmap(1, true);
        // The app as it looked at the end of the range, under the heat.
        let picture = cursor
            .as_mut()
            .and_then(|c| c.at(last))
            .map(|(p, _)| p.clone());
        let title = format!("Repaints of {info}");
        let program = timeline
            .header()
            .map(|h| format!("{} · ", h.program))
            .unwrap_or_default();
        let subtitle = format!(
            "{program}{} frames from {:.3} s to {:.3} s · surface up to {}×{} px · most repainted pixel: {} times",
            thousands(heat.frames()),
            first as f64 / 1e9,
            last as f64 / 1e9,
            max_size[0],
            max_size[1],
            thousands(u64::from(heat.max()))
        );
        heatmap::write_heatmap(
            &output,
            &heat,
            &title,
            &subtitle,
            args.max_width,
            picture.as_ref(),
        )?;
        eprintln!(
            "gdkrecord-tool: wrote {} ({} frames of {info})",
            output.display(),
            thousands(heat.frames())
        );
    } else {
        let layout = animation::Layout::new(max_size, args.max_width);
        let budget_ms = timeline
            .refresh_interval_ns()
            .map_or(1000.0 / 60.0, |ns| ns as f64 / 1e6);
        let written = animation::write_gif(
            &output,
            &mut replay,
            &layout,
            args.speed,
            budget_ms,
            cursor.as_mut(),
        )?;
        eprintln!(
            "gdkrecord-tool: wrote {} ({} frames of {info}, {}×{}, plays {:.1} s)",
            output.display(),
            thousands(written.frames as u64),
            written.width,
            written.height,
            written.duration_cs as f64 / 100.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `1 GtkApplicationWindow (toplevel, 120 frames), 2 GdkX11Popup (popup, 3 frames)`.
fn surface_list(timeline: &Timeline) -> String {
    let list: Vec<String> = timeline
        .surfaces()
        .iter()
        .map(|s| {
            let name = s.widget_type.as_deref().unwrap_or(&s.type_name);
            format!(
                "{} {name} ({}, {} frames)",
                s.id,
                s.kind,
                timeline.frame_indices(s.id).len()
            )
        })
        .collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}
