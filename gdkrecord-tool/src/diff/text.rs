//! The terminal form of `diff`: one line per figure under its section, A and B side by
//! side, the change, and the verdict (green when better, red when worse, with colour).

use std::io::{self, Write};

use super::{Comparison, Verdict};
use crate::terminal::{paint, DIM, GREEN, RED, YELLOW};

/// Longer labels (surface roles) go on a line of their own.
const LABEL_WIDTH_MAX: usize = 40;

/// Writes `comparison` for people; `colour` adds ANSI colours to the verdicts.
pub fn write(comparison: &Comparison, colour: bool, out: &mut dyn Write) -> io::Result<()> {
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
        let (verdict, colour_of) = match c.verdict {
            Verdict::Same => ("same", DIM),
            Verdict::Better => ("better", GREEN),
            Verdict::Worse => ("worse", RED),
            Verdict::Changed => ("changed", YELLOW),
            Verdict::OnlyA => ("only in A", YELLOW),
            Verdict::OnlyB => ("only in B", YELLOW),
            Verdict::None => ("", ""),
        };
        let change = match c.change.filter(|d| *d != 0.0) {
            Some(d) => match c.change_pct {
                Some(pct) => format!("{} ({pct:+.1} %) ", c.unit.show_change(d)),
                None => format!("{} ", c.unit.show_change(d)),
            },
            None => String::new(),
        };
        writeln!(
            out,
            "{}",
            paint(colour, colour_of, &format!("{change}{verdict}"))
        )?;
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
