//! `gdkrecord-tool check REC [budgets] [--json]`: holds the figures of a recording (see
//! [`crate::figures`]) to budgets, given as flags, in a TOML file ([`budget`]), or as
//! "no more than P % worse than a baseline recording". Prints each budget with the
//! measured value and OK or FAIL; exits 0 when all hold, 1 when one is exceeded, and
//! (through `main`) 2 on an error: a missing or unreadable file, a bad budget.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::diff::report_of_file;
use crate::figures::{self, Better, Figure, Unit};
use crate::stats::Report;
use crate::terminal;

mod budget;
mod text;

pub use budget::Budgets;

/// The figures a baseline turns into budgets with `--max-regression`.
const REGRESSION_FIGURES: [&str; 10] = [
    "frames.duration.p95_ms",
    "frames.duration.max_ms",
    "frames.over_budget.share",
    "frames.fps",
    "input_latency.latency.p95_ms",
    "damage.area.mean_px",
    "damage.full_window_share",
    "main_loop.utilisation",
    "main_loop.stalls.total_ms",
    "main_loop.stalls.max_ms",
];

/// Runs `check`.
pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    // Budgets first: a bad one is reported before any recording is read.
    let budgets = budget::from_args(args)?;
    let report = report_of_file(&args.file)?;
    let baseline = budgets
        .baseline
        .as_deref()
        .map(report_of_file)
        .transpose()?;
    let verdict = evaluate(&budgets, &report, baseline.as_ref());
    terminal::print(&verdict, args.json, |v, colour, out| {
        text::write(v, colour, out)
    })?;
    Ok(if verdict.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// JSON of `check --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub file: String,
    pub baseline: Option<String>,
    /// The `--max-regression` percentage, with a baseline.
    pub max_regression_pct: Option<f64>,
    pub budgets: Vec<BudgetCheck>,
    /// How many budgets failed (a figure not measured fails its budget).
    pub failed: u64,
    pub passed: bool,
}

/// One budget and how the recording did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetCheck {
    /// The budget's key (`max_frame_p95`), or `max_regression` for one from the baseline.
    pub budget: &'static str,
    /// The figure it holds (a key of `diff --json`).
    pub figure: String,
    #[serde(skip)]
    pub label: String,
    pub unit: Unit,
    /// `max` (the figure must not exceed the limit) or `min` (must not fall below).
    pub bound: Bound,
    pub limit: Option<f64>,
    pub measured: Option<f64>,
    /// The baseline's value, for a budget from the baseline.
    pub baseline: Option<f64>,
    pub status: Status,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    Max,
    Min,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Fail,
    /// The recording has nothing to measure the figure on (no frames, no inputs): the
    /// budget cannot be shown to hold, so it fails.
    NotMeasured,
    /// The baseline has nothing to measure it on: no budget, nothing fails.
    NotInBaseline,
}

/// Holds `report` to `budgets`, the regression ones against `baseline`.
pub fn evaluate(budgets: &Budgets, report: &Report, baseline: Option<&Report>) -> Verdict {
    let figures = figures::figures(report);
    let by_key: HashMap<&str, &Figure> = figures.iter().map(|f| (f.key.as_str(), f)).collect();
    let mut checks = Vec::new();
    let ms = |ns: u64| ns as f64 / 1e6;
    let fixed = [
        (
            "max_frame_p95",
            "frames.duration.p95_ms",
            budgets.max_frame_p95.map(ms),
        ),
        (
            "max_frame_max",
            "frames.duration.max_ms",
            budgets.max_frame_max.map(ms),
        ),
        (
            "max_stall",
            "main_loop.stalls.max_ms",
            budgets.max_stall.map(ms),
        ),
        (
            "max_input_latency_p95",
            "input_latency.latency.p95_ms",
            budgets.max_input_latency_p95.map(ms),
        ),
        (
            "max_full_repaints",
            "damage.full_window_share",
            budgets.max_full_repaints.map(|pct| pct / 100.0),
        ),
    ];
    for (budget, key, limit) in fixed {
        let Some(limit) = limit else { continue };
        let figure = by_key.get(key).copied();
        checks.push(check(budget, key, figure, Bound::Max, Some(limit), None));
    }
    if let (Some(baseline), Some(pct)) = (baseline, budgets.max_regression) {
        let base_figures = figures::figures(baseline);
        let base_by_key: HashMap<&str, &Figure> =
            base_figures.iter().map(|f| (f.key.as_str(), f)).collect();
        for key in REGRESSION_FIGURES {
            let base = base_by_key.get(key).and_then(|f| f.value);
            let figure = by_key.get(key).copied();
            let better = figure.or(base_by_key.get(key).copied()).map(|f| f.better);
            let (bound, limit) = match better {
                Some(Better::Higher) => (Bound::Min, base.map(|b| round(b * (1.0 - pct / 100.0)))),
                _ => (Bound::Max, base.map(|b| round(b * (1.0 + pct / 100.0)))),
            };
            checks.push(check(
                "max_regression",
                key,
                figure,
                bound,
                limit,
                Some(base),
            ));
        }
    }
    let failed = checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::NotMeasured))
        .count() as u64;
    Verdict {
        file: report.file.clone(),
        baseline: baseline.map(|b| b.file.clone()),
        max_regression_pct: baseline.and(budgets.max_regression),
        budgets: checks,
        failed,
        passed: failed == 0,
    }
}

/// One budget: `figure` (from the report; `None` when it has no such figure) against
/// `limit`; `baseline` is `Some` for a budget from a baseline, holding its value.
fn check(
    budget: &'static str,
    key: &str,
    figure: Option<&Figure>,
    bound: Bound,
    limit: Option<f64>,
    baseline: Option<Option<f64>>,
) -> BudgetCheck {
    let measured = figure.and_then(|f| f.value);
    let status = match (limit, measured) {
        (None, _) => Status::NotInBaseline,
        (Some(_), None) => Status::NotMeasured,
        // Within a millionth: the figures are rounded to the µs, a limit scaled from them
        // must not fail the very value it came from.
        (Some(limit), Some(value)) => {
            let holds = match bound {
                Bound::Max => value <= limit + 1e-9,
                Bound::Min => value >= limit - 1e-9,
            };
            if holds {
                Status::Ok
            } else {
                Status::Fail
            }
        }
    };
    BudgetCheck {
        budget,
        figure: key.to_owned(),
        label: figure.map_or_else(|| key.to_owned(), |f| f.label.clone()),
        unit: figure.map_or(Unit::Ms, |f| f.unit),
        bound,
        limit,
        measured,
        baseline: baseline.flatten(),
        status,
    }
}

fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(value: Option<f64>) -> Figure {
        Figure {
            key: "k".into(),
            section: "frames",
            label: "k".into(),
            unit: Unit::Ms,
            better: Better::Lower,
            value,
            absent_is_zero: false,
        }
    }

    #[test]
    fn a_budget_holds_up_to_its_limit_and_fails_unmeasured() {
        let at = |v: Option<f64>, bound| check("b", "k", Some(&figure(v)), bound, Some(10.0), None);
        assert_eq!(at(Some(10.0), Bound::Max).status, Status::Ok);
        assert_eq!(at(Some(10.001), Bound::Max).status, Status::Fail);
        assert_eq!(at(Some(9.0), Bound::Min).status, Status::Fail);
        assert_eq!(at(None, Bound::Max).status, Status::NotMeasured);
        let no_base = check(
            "b",
            "k",
            Some(&figure(Some(1.0))),
            Bound::Max,
            None,
            Some(None),
        );
        assert_eq!(no_base.status, Status::NotInBaseline);
    }
}
