//! `gdkrecord-tool diff A B [--json]`: the figures of two recordings side by side (see
//! [`crate::figures`]), with the change from A to B and whether it is better or worse.
//! `--json` prints [`Comparison`] (documented in docs/formats.md); otherwise [`text`]
//! prints a table, coloured when standard output is a terminal.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use crate::cli::DiffArgs;
use crate::figures::{self, Better, Figure, Unit};
use crate::input::{Filter, Recording};
use crate::stats::{self, Report};
use crate::terminal;

mod text;

/// Runs `diff`.
pub fn run(args: &DiffArgs) -> Result<ExitCode> {
    let a = report_of_file(&args.a)?;
    let b = report_of_file(&args.b)?;
    let comparison = compare(&a, &b);
    terminal::print(&comparison, args.json, |c, colour, out| {
        text::write(c, colour, out)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The whole `stats` report of the recording at `path` (no filters).
pub fn report_of_file(path: &Path) -> Result<Report> {
    stats::report_of(Recording::open(path, Filter::default(), false)?)
}

/// JSON of `diff --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub figures: Vec<Change>,
    /// How many figures got better, worse, or changed without a better way.
    pub better: u64,
    pub worse: u64,
    pub changed: u64,
}

/// One figure in both recordings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub key: String,
    pub section: &'static str,
    #[serde(skip)]
    pub label: String,
    pub unit: Unit,
    pub better: Better,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `b − a`, when both are measured.
    pub change: Option<f64>,
    /// `(b − a) / a × 100`, when both are measured and `a` is not zero.
    pub change_pct: Option<f64>,
    pub verdict: Verdict,
}

/// What the change from A to B is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Same,
    Better,
    Worse,
    /// Changed, for a figure with no better way (a count of events).
    Changed,
    /// Measured in A only, or in B only.
    OnlyA,
    OnlyB,
    /// Measured in neither.
    None,
}

/// Pairs the figures of `a` and `b` by key: A's order, then those B alone has.
pub fn compare(a: &Report, b: &Report) -> Comparison {
    let a_figures = figures::figures(a);
    let b_figures = figures::figures(b);
    let b_by_key: HashMap<&str, &Figure> = b_figures.iter().map(|f| (f.key.as_str(), f)).collect();
    let mut changes: Vec<Change> = Vec::with_capacity(a_figures.len());
    for fa in &a_figures {
        let fb = b_by_key.get(fa.key.as_str()).copied();
        changes.push(change(fa, fa.value, side(fa, fb)));
    }
    let a_keys: std::collections::HashSet<&str> =
        a_figures.iter().map(|f| f.key.as_str()).collect();
    for fb in b_figures
        .iter()
        .filter(|f| !a_keys.contains(f.key.as_str()))
    {
        let a_value = fb.absent_is_zero.then_some(0.0);
        changes.push(change(fb, a_value, fb.value));
    }
    // Figures only B has go into their section, after A's (the sort is stable).
    changes.sort_by_key(|c| figures::section_rank(c.section));
    let count = |v: Verdict| changes.iter().filter(|c| c.verdict == v).count() as u64;
    Comparison {
        a: a.file.clone(),
        b: b.file.clone(),
        better: count(Verdict::Better),
        worse: count(Verdict::Worse),
        changed: count(Verdict::Changed),
        figures: changes,
    }
}

/// The value of `figure` on the other side: `other`'s, else zero or unmeasured.
fn side(figure: &Figure, other: Option<&Figure>) -> Option<f64> {
    match other {
        Some(other) => other.value,
        None => figure.absent_is_zero.then_some(0.0),
    }
}

fn change(figure: &Figure, a: Option<f64>, b: Option<f64>) -> Change {
    let (change, change_pct, verdict) = match (a, b) {
        (Some(a), Some(b)) => {
            let delta = round(b - a);
            let pct = (a != 0.0).then(|| round((b - a) / a.abs() * 100.0));
            let verdict = if delta == 0.0 {
                Verdict::Same
            } else {
                match (figure.better, delta < 0.0) {
                    (Better::Neither, _) => Verdict::Changed,
                    (Better::Lower, true) | (Better::Higher, false) => Verdict::Better,
                    _ => Verdict::Worse,
                }
            };
            (Some(delta), pct, verdict)
        }
        (Some(_), None) => (None, None, Verdict::OnlyA),
        (None, Some(_)) => (None, None, Verdict::OnlyB),
        (None, None) => (None, None, Verdict::None),
    };
    Change {
        key: figure.key.clone(),
        section: figure.section,
        label: figure.label.clone(),
        unit: figure.unit,
        better: figure.better,
        a,
        b,
        change,
        change_pct,
        verdict,
    }
}

/// Rounded to 6 decimals: the report's figures are µs-rounded ms and 4-decimal shares,
/// so what is left beyond is floating-point noise, which must not read as a change.
fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(key: &str, better: Better, value: Option<f64>) -> Figure {
        Figure {
            key: key.into(),
            section: "frames",
            label: key.into(),
            unit: Unit::Ms,
            better,
            value,
            absent_is_zero: false,
        }
    }

    #[test]
    fn verdicts_follow_which_way_is_better() {
        let lower = figure("x", Better::Lower, None);
        assert_eq!(
            change(&lower, Some(10.0), Some(12.0)).verdict,
            Verdict::Worse
        );
        assert_eq!(
            change(&lower, Some(10.0), Some(8.0)).verdict,
            Verdict::Better
        );
        assert_eq!(
            change(&lower, Some(10.0), Some(10.0)).verdict,
            Verdict::Same
        );
        let higher = figure("x", Better::Higher, None);
        assert_eq!(
            change(&higher, Some(50.0), Some(60.0)).verdict,
            Verdict::Better
        );
        let neither = figure("x", Better::Neither, None);
        assert_eq!(
            change(&neither, Some(1.0), Some(2.0)).verdict,
            Verdict::Changed
        );
        assert_eq!(change(&lower, Some(1.0), None).verdict, Verdict::OnlyA);
        assert_eq!(change(&lower, None, None).verdict, Verdict::None);
        let c = change(&lower, Some(10.0), Some(12.5));
        assert_eq!((c.change, c.change_pct), (Some(2.5), Some(25.0)));
        assert_eq!(change(&lower, Some(0.0), Some(3.0)).change_pct, None);
        assert_eq!(
            change(&lower, Some(0.1 + 0.2), Some(0.3)).verdict,
            Verdict::Same
        );
    }
}
