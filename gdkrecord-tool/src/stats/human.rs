//! The human form of the stats report: a few aligned lines per section.

use std::io::{self, Write};

use super::mainloop::{MainLoopReport, StallBlame};
use super::summary::{Durations, PerPhase};
use super::{RecordingInfo, Report};

/// Surfaces listed one per line; the JSON has them all.
const SURFACES_SHOWN: usize = 8;

/// Where damage came from: the layout and each wrapped class's state, or why it is off.
fn write_damage_capture(r: &RecordingInfo, out: &mut impl Write) -> io::Result<()> {
    if r.damage_capture {
        write!(out, "captured")?;
        // Recordings made before the recorder named its layouts have none.
        if !r.damage_layout.is_empty() {
            write!(out, ", GTK layout {}", r.damage_layout)?;
        }
        for c in &r.damage_classes {
            write!(out, "; {}.{} {}", c.class_name, c.vfunc, c.state)?;
        }
    } else {
        write!(out, "not captured")?;
        if !r.damage_layout.is_empty() {
            write!(out, " (GTK layout {})", r.damage_layout)?;
        }
    }
    if !r.damage_note.is_empty() {
        write!(out, ": {}", r.damage_note)?;
    }
    writeln!(out)
}

/// Writes `report` for people.
pub fn write(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let label = |out: &mut dyn Write, name: &str| write!(out, "{name:<10} ");
    label(out, "recording")?;
    match &report.recording {
        Some(r) => {
            let [major, minor, micro] = r.gtk_version;
            write!(
                out,
                "{} (pid {}), GTK {major}.{minor}.{micro}, {} {}",
                r.program, r.pid, r.display_backend, r.display_name
            )?;
            if !r.damage_capture {
                write!(out, ", no damage capture")?;
            }
            write!(out, "; ")?;
        }
        None => write!(out, "(no header); ")?,
    }
    writeln!(
        out,
        "{}, {} records",
        seconds(report.duration_ms),
        report.records
    )?;
    if let Some(r) = &report.recording {
        label(out, "damage")?;
        write_damage_capture(r, out)?;
    }

    label(out, "records")?;
    writeln!(
        out,
        "{}",
        counts(report.kinds.iter().map(|(k, n)| (k.to_string(), *n)))
    )?;
    if !report.event_types.is_empty() {
        label(out, "events")?;
        let mut types: Vec<_> = report
            .event_types
            .iter()
            .map(|(t, n)| (t.clone(), *n))
            .collect();
        types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        writeln!(out, "{}", counts(types.into_iter()))?;
    }

    for s in report.surfaces.iter().take(SURFACES_SHOWN) {
        label(out, &format!("surface {}", s.surface))?;
        match (&s.surface_kind, &s.type_name) {
            (Some(kind), Some(type_name)) => {
                write!(out, "{kind}")?;
                if let Some(parent) = s.parent {
                    write!(out, " of {parent}")?;
                }
                match &s.widget_type {
                    Some(widget) => write!(out, " {widget} ({type_name})")?,
                    None => write!(out, " {type_name}")?,
                }
            }
            _ => write!(out, "(its surface record was not read)")?,
        }
        if let (Some(first), Some(last)) = (s.sizes.first(), s.final_size) {
            write!(out, ", {}×{}", first.width, first.height)?;
            if s.size_changes > 1 {
                write!(out, " → {}×{} ({} sizes)", last[0], last[1], s.size_changes)?;
            }
        }
        if s.frames > 0 {
            write!(out, ", {} {}", s.frames, plural(s.frames, "frame"))?;
            if let Some(fps) = s.fps {
                write!(out, " at {fps:.1} fps")?;
            }
        }
        if let Some(t) = s.destroyed_ms {
            write!(out, ", destroyed at {}", seconds(t))?;
        }
        writeln!(out)?;
    }

    if report.surfaces.len() > SURFACES_SHOWN {
        label(out, "")?;
        writeln!(
            out,
            "and {} more surfaces (all in --json)",
            report.surfaces.len() - SURFACES_SHOWN
        )?;
    }

    let f = &report.frames;
    label(out, "frames")?;
    write!(out, "{}", f.count)?;
    if let Some(fps) = f.fps {
        write!(out, " at {fps:.1} fps")?;
    }
    if let Some(d) = &f.duration {
        write!(out, "; duration {}", percentiles(d))?;
    }
    writeln!(out)?;
    if f.count > 0 {
        label(out, "  phases")?;
        let means: Vec<String> = gdkrecord_format::PHASE_NAMES
            .iter()
            .zip(f.phase_mean_ms.0)
            .filter_map(|(name, mean)| Some(format!("{name} {:.3}", mean?)))
            .collect();
        writeln!(out, "mean ms: {}", means.join(", "))?;
        label(out, "  jank")?;
        let o = &f.over_budget;
        write!(
            out,
            "{} over the {:.3} ms budget ({:.1}%)",
            o.count,
            f.budget_ms,
            o.share * 100.0
        )?;
        if o.count > 0 {
            write!(out, ", slowest phase: {}", blame(&o.slowest_phase))?;
        }
        if o.delayed_by_stall > 0 {
            write!(out, "; {} during a stall", o.delayed_by_stall)?;
        }
        writeln!(out)?;
        for w in o.worst.iter().take(3) {
            label(out, "")?;
            write!(
                out,
                "  frame {} of surface {} at {}: {:.3} ms",
                w.counter,
                w.surface,
                seconds(w.t_ms),
                w.duration_ms
            )?;
            if let (Some(phase), Some(phase_ms)) = (w.slowest_phase, w.slowest_phase_ms) {
                write!(out, " ({phase} {phase_ms:.3} ms)")?;
            }
            write_stall_blame(out, w.stall.as_ref())?;
            writeln!(out)?;
        }
    }

    let d = &report.damage;
    label(out, "damage")?;
    write!(out, "{} {}", d.records, plural(d.records, "record"))?;
    if let Some(a) = &d.area {
        write!(
            out,
            "; area per frame px: mean {}, p50 {}, p95 {}, max {}; full window {} ({:.1}%)",
            a.mean_px,
            a.p50_px,
            a.p95_px,
            a.max_px,
            d.full_window,
            d.full_window_share * 100.0
        )?;
    }
    writeln!(out)?;
    if !d.top_rects.is_empty() {
        label(out, "  most")?;
        let top: Vec<String> = d
            .top_rects
            .iter()
            .take(5)
            .map(|r| {
                let [x, y, w, h] = r.rect;
                format!("{w}×{h}+{x}+{y} on {} ×{}", r.surface, r.count)
            })
            .collect();
        writeln!(
            out,
            "{}{}",
            top.join(", "),
            if d.top_rects_approximate {
                " (approximate)"
            } else {
                ""
            }
        )?;
    }

    if let Some(p) = &report.pixels {
        label(out, "pixels")?;
        let minutes = report.duration_ms / 60_000.0;
        write!(
            out,
            "{} patches ({} of whole pictures), {} in the file ({} decoded)",
            p.patches,
            p.full_patches,
            mebibytes(p.stored_bytes),
            mebibytes(p.decoded_bytes)
        )?;
        if minutes > 0.0 {
            write!(
                out,
                ", {} a minute",
                mebibytes((p.stored_bytes as f64 / minutes) as u64)
            )?;
        }
        if p.skipped_over_budget + p.skipped_failed > 0 {
            write!(
                out,
                "; frames without pixels: {} over the budget, {} failed",
                p.skipped_over_budget, p.skipped_failed
            )?;
        }
        writeln!(out)?;
    }

    let l = &report.input_latency;
    label(out, "latency")?;
    write!(
        out,
        "input → end of next painted frame: {} inputs",
        l.inputs
    )?;
    if let Some(d) = &l.latency {
        write!(out, "; {}", percentiles(d))?;
    }
    if l.unanswered > 0 {
        write!(out, "; {} unanswered", l.unanswered)?;
    }
    writeln!(out)?;
    if l.measured > 0 {
        label(out, "  jank")?;
        write!(out, "{} over {:.3} ms", l.over_budget.count, l.budget_ms)?;
        if l.over_budget.count > 0 {
            write!(
                out,
                ", slowest phase of the answering frame: {}",
                blame(&l.over_budget.slowest_phase)
            )?;
        }
        if l.over_budget.delayed_by_stall > 0 {
            write!(
                out,
                "; {} delayed by a stall",
                l.over_budget.delayed_by_stall
            )?;
        }
        writeln!(out)?;
        for w in l.over_budget.worst.iter().take(3) {
            label(out, "")?;
            write!(
                out,
                "  {} at {}: {:.3} ms to frame {}",
                w.event_type,
                seconds(w.t_ms),
                w.latency_ms,
                w.frame_counter
            )?;
            if let (Some(phase), Some(phase_ms)) = (w.slowest_phase, w.slowest_phase_ms) {
                write!(out, " ({phase} {phase_ms:.3} ms)")?;
            }
            write_stall_blame(out, w.stall.as_ref())?;
            writeln!(out)?;
        }
        for (event_type, d) in &l.by_type {
            label(out, "")?;
            writeln!(out, "  {event_type}: {}", percentiles(d))?;
        }
    }
    write_main_loop(&report.main_loop, out)
}

/// The main-loop lines: utilisation, slowest dispatches, stalls.
fn write_main_loop(m: &MainLoopReport, out: &mut impl Write) -> io::Result<()> {
    let label = |out: &mut dyn Write, name: &str| write!(out, "{name:<10} ");
    label(out, "main loop")?;
    match m.utilisation {
        None => writeln!(out, "no main-loop records")?,
        Some(utilisation) => {
            write!(
                out,
                "{} {}, busy {:.1}% ({:.3} ms working, {:.3} ms polling)",
                m.iterations,
                plural(m.iterations, "iteration"),
                utilisation * 100.0,
                m.work_ms,
                m.poll_ms
            )?;
            if let Some(second) = &m.busiest_second {
                write!(
                    out,
                    "; busiest second {:.1}% from {}",
                    second.utilisation * 100.0,
                    seconds(second.t_ms)
                )?;
            }
            writeln!(out)?;
        }
    }
    if m.dispatches > 0 {
        label(out, "  dispatch")?;
        writeln!(
            out,
            "{} slow {}, {:.3} ms in total; slowest:",
            m.dispatches,
            if m.dispatches == 1 {
                "dispatch"
            } else {
                "dispatches"
            },
            m.dispatch_total_ms
        )?;
        for d in m.slowest_dispatches.iter().take(3) {
            label(out, "")?;
            write!(
                out,
                "  {:.3} ms at {}: {}",
                d.duration_ms,
                seconds(d.t_ms),
                d.source_type
            )?;
            if let Some(source) = &d.source {
                write!(out, " \"{source}\"")?;
            }
            write!(out, " priority {}", d.priority)?;
            if let Some(callback) = &d.callback {
                write!(out, ", callback {callback}")?;
            }
            writeln!(out)?;
        }
    }
    let s = &m.stalls;
    label(out, "stalls")?;
    if s.count == 0 {
        return writeln!(out, "none");
    }
    write!(out, "{}", s.count)?;
    if let Some(max_ms) = s.max_ms {
        write!(
            out,
            ", {:.3} ms in total, longest {max_ms:.3} ms",
            s.total_ms
        )?;
    }
    if s.ongoing_at_end > 0 {
        write!(out, ", {} ongoing at end", s.ongoing_at_end)?;
    }
    writeln!(out)?;
    for stall in &s.longest {
        label(out, "")?;
        write!(
            out,
            "  {:.3} ms at {} in {}",
            stall.duration_ms,
            seconds(stall.t_ms),
            stall.place
        )?;
        if let Some(input) = &stall.input {
            match input.waited_ms {
                Some(waited) if input.role == "waiting" => {
                    write!(out, ", {} waited {waited:.3} ms", input.event_type)?
                }
                _ => write!(out, ", during {}", input.event_type)?,
            }
        }
        writeln!(out)?;
    }
    for (i, group) in s.top_stacks.iter().enumerate() {
        label(out, if i == 0 { "  stacks" } else { "" })?;
        write!(
            out,
            "{}{} \u{d7} {}, {:.3} ms in total",
            if i == 0 { "" } else { "  " },
            group.count,
            group.place,
            group.total_ms
        )?;
        // Groups differ by their whole stack; say so when their places read the same.
        match group.stack.first() {
            Some(innermost) if !group.place.starts_with(innermost.as_str()) => {
                write!(out, " (innermost {innermost})")?
            }
            _ => {}
        }
        writeln!(out)?;
    }
    Ok(())
}

/// ` — stall N ms in PLACE` when a stall delayed it.
fn write_stall_blame(out: &mut impl Write, stall: Option<&StallBlame>) -> io::Result<()> {
    match stall {
        Some(stall) => write!(
            out,
            " \u{2014} stall {:.3} ms in {}",
            stall.duration_ms, stall.place
        ),
        None => Ok(()),
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn seconds(ms: f64) -> String {
    format!("{:.3} s", ms / 1000.0)
}

fn counts(items: impl Iterator<Item = (String, u64)>) -> String {
    let counts: Vec<String> = items.map(|(name, n)| format!("{name} {n}")).collect();
    if counts.is_empty() {
        "none".to_owned()
    } else {
        counts.join(", ")
    }
}

fn percentiles(d: &Durations) -> String {
    format!(
        "n {} p50 {:.3} ms, p95 {:.3}, p99 {:.3}, max {:.3}",
        d.count, d.p50_ms, d.p95_ms, d.p99_ms, d.max_ms
    )
}

fn blame(per_phase: &PerPhase) -> String {
    let mut phases: Vec<_> = per_phase.nonzero().collect();
    phases.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    phases
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1.25 MiB`, `340 KiB`, `12 B`.
fn mebibytes(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.0} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.2} MiB", bytes as f64 / 1_048_576.0),
    }
}
