//! The terminal form of `diff`: one line per figure under its section, A and B side by
//! side, the change, and the verdict (green when better, red when worse, with colour).

use std::io::{self, Write};

use super::{Change, Comparison, Verdict};
use crate::figures::Unit;

/// Longer labels (surface roles) go on a line of their own.
const LABEL_WIDTH_MAX: usize = 40;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Writes `comparison` for people; `colour` adds ANSI colours to the verdicts.
pub fn write(comparison: &Comparison, colour: bool, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "A  {}", comparison.a)?;
    writeln!(out, "B  {}", comparison.b)?;
    let label_width = comparison
        .figures
        .iter()
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(20, LABEL_WIDTH_MAX);
    let mut section = "";
    for c in comparison
        .figures
        .iter()
        .filter(|c| c.verdict != Verdict::None)
    {
        if c.section != section {
            section = c.section;
            writeln!(out)?;
            writeln!(
                out,
                "{section:<label_width$}  {:>14}  {:>14}  change",
                "A", "B"
            )?;
        }
        if c.label.chars().count() > label_width {
            // A long surface role gets a line of its own rather than being cut.
            writeln!(out, "  {}", c.label)?;
        }
        let label = if c.label.chars().count() > label_width {
            ""
        } else {
            &c.label
        };
        write!(
            out,
            "  {label:<w$}{:>14}  {:>14}  ",
            c.unit.show(c.a),
            c.unit.show(c.b),
            w = label_width
        )?;
        let (verdict, paint) = match c.verdict {
            Verdict::Same => ("same", DIM),
            Verdict::Better => ("better", GREEN),
            Verdict::Worse => ("worse", RED),
            Verdict::Changed => ("changed", YELLOW),
            Verdict::OnlyA => ("only in A", YELLOW),
            Verdict::OnlyB => ("only in B", YELLOW),
            Verdict::None => ("", ""),
        };
        let delta = delta(c);
        if colour {
            writeln!(out, "{paint}{delta}{verdict}{RESET}")?;
        } else {
            writeln!(out, "{delta}{verdict}")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} better, {} worse, {} changed, {} the same",
        comparison.better,
        comparison.worse,
        comparison.changed,
        comparison
            .figures
            .iter()
            .filter(|c| c.verdict == Verdict::Same)
            .count()
    )
}

/// `+2.500 ms (+25.0 %) ` for a change, empty when there is none to show.
fn delta(c: &Change) -> String {
    let Some(d) = c.change.filter(|d| *d != 0.0) else {
        return String::new();
    };
    let amount = match c.unit {
        Unit::Ms => format!("{d:+.3} ms"),
        Unit::Fps => format!("{d:+.2} fps"),
        Unit::Px => format!("{d:+.0} px²"),
        Unit::Pixels => format!("{d:+.0} px"),
        // A change of a share is in percentage points; the relative change follows.
        Unit::Share => format!("{:+.2} pt", d * 100.0),
        Unit::Count => format!("{d:+.0}"),
    };
    match c.change_pct {
        Some(pct) => format!("{amount} ({pct:+.1} %) "),
        None => format!("{amount} "),
    }
}
