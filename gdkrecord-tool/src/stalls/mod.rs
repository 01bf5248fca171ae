//! `gdkrecord-tool stalls`: when the main loop was blocked, for how long, in which
//! source, with the blocking code's stack named, and which input event waited for it.
//!
//! The analysis ([`StallIndex`]) is reusable: `stats`, `graph` and `export` can build
//! one from the records they read ([`StallIndex::add`] each record, then
//! [`StallIndex::finish`]) and ask [`index::stall_covering`] which stall delayed an input or a
//! frame.
//!
//! # The input event a stall is shown with
//! GDK events carry the windowing system's time (`time_ms`, another clock). The offset
//! between that clock and the recording's is estimated as the smallest
//! `t_ns/1e6 − time_ms` over the recording's events (the event handled fastest); an
//! event's *arrival* is its `time_ms` plus that offset. Then, for a stall from `start`
//! to `end`:
//! - **waiting**: the first input event recorded after `end` that arrived between
//!   `start` and `end`: the user acted during the freeze and waited; its wait is the
//!   time from arrival to delivery.
//! - else **trigger**: the last input event recorded between one second before `start`
//!   and `end`: what the app was handling when it blocked (a click's handler runs on
//!   the button release).
//!
//! Input events are every `event` record but focus, crossing and proximity changes; the
//! shared `--type` and `--surface` filters narrow them, `--from`/`--to` select stalls by
//! their start.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::json;

use crate::cli::StallsArgs;
use crate::input::{Filter, Recording};
use crate::symbolize::{NamedFrame, Symbolizer};

mod index;

pub use index::{group_stalls, stall_place, InputRole, StallIndex, StallInfo};
/// Reads the recording and lists its stalls.
pub fn run(args: &StallsArgs) -> Result<ExitCode> {
    let filter = Filter::from_args(&args.read.filters)?;
    let mut recording = Recording::open(&args.read.file, Filter::default(), args.read.strict)?;
    let stdout = crate::output::stdout()?;
    recording.show_progress("reading stalls");
    let mut index = StallIndex::new();
    recording.for_each(|record| {
        index.add(&record, &filter);
        Ok(())
    })?;
    let stalls: Vec<StallInfo> = index
        .finish()
        .into_iter()
        .filter(|s| {
            filter.from_ns().is_none_or(|from| s.start_ns >= from)
                && filter.to_ns().is_none_or(|to| s.start_ns <= to)
        })
        .collect();
    let mut out = BufWriter::new(stdout);
    let mut symbolizer = Symbolizer::new();
    if args.json {
        // As an io::Error, a closed pipe stays recognisable (`stalls --json | head`).
        serde_json::to_writer_pretty(&mut out, &stalls_json(&stalls, args.group, &mut symbolizer))
            .map_err(io::Error::from)
            .context("standard output")?;
        writeln!(out).context("standard output")?;
    } else if args.group {
        print_groups(&mut out, &stalls, &mut symbolizer).context("standard output")?;
    } else {
        print_list(&mut out, &stalls, &mut symbolizer).context("standard output")?;
    }
    out.flush().context("standard output")?;
    Ok(ExitCode::SUCCESS)
}

fn ms(ns: u64) -> String {
    format!("{:.1} ms", ns as f64 / 1e6)
}

fn seconds(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

fn summary_line(out: &mut impl Write, stalls: &[StallInfo]) -> io::Result<()> {
    let total: u64 = stalls.iter().map(|s| s.duration_ns).sum();
    let ongoing = stalls.iter().filter(|s| s.ongoing_at_end).count();
    write!(
        out,
        "{} stall{}, {} in total",
        stalls.len(),
        if stalls.len() == 1 { "" } else { "s" },
        ms(total)
    )?;
    if ongoing > 0 {
        write!(out, " ({ongoing} ongoing at end)")?;
    }
    writeln!(out)
}

fn write_stack(out: &mut impl Write, frames: &[NamedFrame]) -> io::Result<()> {
    if frames.is_empty() {
        return writeln!(
            out,
            "    (no stack sample: the stall ended before the watchdog sampled it)"
        );
    }
    for (i, frame) in frames.iter().enumerate() {
        match &frame.function {
            Some(function) => writeln!(out, "    #{i:<2} {function}  ({})", frame.location())?,
            None => writeln!(out, "    #{i:<2} {}", frame.location())?,
        }
    }
    Ok(())
}

fn print_list(
    out: &mut impl Write,
    stalls: &[StallInfo],
    symbolizer: &mut Symbolizer,
) -> io::Result<()> {
    summary_line(out, stalls)?;
    for stall in stalls {
        writeln!(out)?;
        let length = if stall.ongoing_at_end {
            format!("ongoing at end (at least {})", ms(stall.duration_ns))
        } else {
            ms(stall.duration_ns)
        };
        write!(out, "stall at {}: {length}", seconds(stall.start_ns))?;
        if let Some(source) = &stall.source {
            write!(out, " in {source}")?;
        }
        writeln!(
            out,
            ", {} sample{}",
            stall.samples,
            if stall.samples == 1 { "" } else { "s" }
        )?;
        if let Some(input) = &stall.input {
            match input.role {
                InputRole::Waiting => writeln!(
                    out,
                    "  waiting input: {} delivered at {} after waiting {}",
                    input.event_type,
                    seconds(input.t_ns),
                    ms(input.waited_ns.unwrap_or(0))
                )?,
                InputRole::Trigger => writeln!(
                    out,
                    "  during input: {} at {}",
                    input.event_type,
                    seconds(input.t_ns)
                )?,
            }
        }
        write_stack(out, &symbolizer.name_stack(&stall.stack))?;
    }
    Ok(())
}

fn print_groups(
    out: &mut impl Write,
    stalls: &[StallInfo],
    symbolizer: &mut Symbolizer,
) -> io::Result<()> {
    summary_line(out, stalls)?;
    for group in group_stalls(stalls, symbolizer) {
        writeln!(out)?;
        writeln!(
            out,
            "{} \u{d7} stack, {} in total, longest {}",
            group.count,
            ms(group.total_ns),
            ms(group.longest_ns)
        )?;
        write_stack(out, &group.frames)?;
    }
    Ok(())
}

fn frames_json(frames: &[NamedFrame]) -> serde_json::Value {
    frames
        .iter()
        .map(|f| json!({ "function": f.function, "module": f.module, "offset": f.offset }))
        .collect()
}

/// The `--json` document: `{"total_ns", "stalls": [...]}`, or with `--group`
/// `{"total_ns", "groups": [...]}` (documented in docs/stalls.md).
fn stalls_json(
    stalls: &[StallInfo],
    group: bool,
    symbolizer: &mut Symbolizer,
) -> serde_json::Value {
    let total_ns: u64 = stalls.iter().map(|s| s.duration_ns).sum();
    if group {
        let groups: Vec<_> = group_stalls(stalls, symbolizer)
            .iter()
            .map(|g| {
                json!({
                    "count": g.count,
                    "total_ns": g.total_ns,
                    "longest_ns": g.longest_ns,
                    "stack": frames_json(&g.frames),
                })
            })
            .collect();
        return json!({ "total_ns": total_ns, "groups": groups });
    }
    let list: Vec<_> = stalls
        .iter()
        .map(|s| {
            let input = s.input.as_ref().map(|i| {
                json!({
                    "role": match i.role { InputRole::Waiting => "waiting", InputRole::Trigger => "during" },
                    "type": i.event_type.nick(),
                    "t_ns": i.t_ns,
                    "waited_ns": i.waited_ns,
                })
            });
            json!({
                "t_ns": s.start_ns,
                "duration_ns": s.duration_ns,
                "duration_ms": s.duration_ns as f64 / 1e6,
                "ongoing_at_end": s.ongoing_at_end,
                "source": s.source,
                "samples": s.samples,
                "input": input,
                "stack": frames_json(&symbolizer.name_stack(&s.stack)),
            })
        })
        .collect();
    json!({ "total_ns": total_ns, "stalls": list })
}

#[cfg(test)]
mod tests {
    use super::*;
    // The stalls the analysis tests make (`index.rs`).
    use super::index::tests::{index, stall};

    #[test]
    fn list_and_groups_print_locations_when_modules_are_gone() {
        let stalls = index(&[
            stall(1_000_000_000, 300_000_000),
            stall(3_000_000_000, 310_000_000),
        ]);
        let mut symbolizer = Symbolizer::new();
        let mut list = Vec::new();
        print_list(&mut list, &stalls, &mut symbolizer).unwrap();
        let list = String::from_utf8(list).unwrap();
        assert!(list.starts_with("2 stalls, 610.0 ms in total\n"), "{list}");
        assert!(
            list.contains("stall at 1.000 s: 300.0 ms in GDK X11 Event source (:99), 1 sample"),
            "{list}"
        );
        assert!(list.contains("#0  app+0x10"), "{list}");
        let mut groups = Vec::new();
        print_groups(&mut groups, &stalls, &mut symbolizer).unwrap();
        let groups = String::from_utf8(groups).unwrap();
        let json = stalls_json(&stalls, false, &mut symbolizer);
        assert_eq!(json["total_ns"], 610_000_000);
        assert_eq!(json["stalls"][1]["duration_ms"], 310.0);
        assert_eq!(json["stalls"][0]["stack"][0]["module"], "app");
        assert_eq!(json["stalls"][0]["stack"][0]["offset"], 0x10);
        let grouped = stalls_json(&stalls, true, &mut symbolizer);
        assert_eq!(grouped["groups"][0]["count"], 2);
        assert!(
            groups.contains("2 \u{d7} stack, 610.0 ms in total, longest 310.0 ms"),
            "{groups}"
        );
    }
}
