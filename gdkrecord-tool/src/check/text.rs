//! The terminal form of `check`: one line per budget with its limit, the measured value
//! and OK or FAIL, then the result.

use std::io::{self, Write};

use super::{Bound, Status, Verdict};
use crate::terminal::{paint, DIM, GREEN, RED};

/// Writes `verdict` for people; `colour` paints OK green and FAIL red.
pub fn write(verdict: &Verdict, colour: bool, out: &mut dyn Write) -> io::Result<()> {
    write!(out, "check {}", verdict.file)?;
    if let (Some(baseline), Some(pct)) = (&verdict.baseline, verdict.max_regression_pct) {
        write!(out, " against {baseline} (at most {pct} % worse)")?;
    }
    writeln!(out)?;
    let width = verdict
        .budgets
        .iter()
        .map(|b| b.label.chars().count() + 16)
        .max()
        .unwrap_or(0);
    for b in &verdict.budgets {
        let sign = match b.bound {
            Bound::Max => "≤",
            Bound::Min => "≥",
        };
        let rule = format!("{} {sign} {}", b.label, b.unit.show(b.limit));
        let (status, colour_of) = match b.status {
            Status::Ok => ("OK", GREEN),
            Status::Fail => ("FAIL", RED),
            Status::NotMeasured => ("FAIL (not measured)", RED),
            Status::NotInBaseline => ("SKIP (not in the baseline)", DIM),
        };
        write!(out, "  {rule:<width$}  {:>14}", b.unit.show(b.measured))?;
        if b.baseline.is_some() {
            write!(out, "  (baseline {})", b.unit.show(b.baseline))?;
        }
        writeln!(out, "  {}", paint(colour, colour_of, status))?;
    }
    let total = verdict
        .budgets
        .iter()
        .filter(|b| b.status != Status::NotInBaseline)
        .count();
    if verdict.passed {
        writeln!(out, "all {total} budgets hold")
    } else {
        writeln!(out, "{} of {total} budgets exceeded", verdict.failed)
    }
}
