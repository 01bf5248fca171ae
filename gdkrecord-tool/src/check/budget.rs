//! The budgets of `check`, from its flags and its TOML budget file: validated into
//! [`Budgets`] before any recording is read, so a bad budget is an error of its own.
//!
//! ```toml
//! # budget.toml: every key is optional; the flags of `check` override them.
//! baseline = "baseline.gdkrecord"   # relative to this file
//! max_regression = "10%"            # with baseline: no figure more than 10 % worse
//! max_frame_p95 = "16.7ms"
//! max_frame_max = "100ms"
//! max_stall = "200ms"
//! max_input_latency_p95 = "50ms"
//! max_full_repaints = "25%"
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use gdkrecord_format::Nanos;
use serde::Deserialize;

use crate::cli::CheckArgs;
use crate::input::parse_time;

/// A budget file is a few lines; anything this big is the wrong file.
const BUDGET_FILE_MAX: u64 = 1 << 20;

/// Every budget `check` holds a recording to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budgets {
    pub max_frame_p95: Option<Nanos>,
    pub max_frame_max: Option<Nanos>,
    pub max_stall: Option<Nanos>,
    pub max_input_latency_p95: Option<Nanos>,
    /// Percent of damage records repainting the whole window.
    pub max_full_repaints: Option<f64>,
    /// Percent worse than the baseline.
    pub max_regression: Option<f64>,
    pub baseline: Option<PathBuf>,
}

impl Budgets {
    /// Whether no budget at all is set.
    pub fn is_empty(&self) -> bool {
        self.max_frame_p95.is_none()
            && self.max_frame_max.is_none()
            && self.max_stall.is_none()
            && self.max_input_latency_p95.is_none()
            && self.max_full_repaints.is_none()
            && self.max_regression.is_none()
    }
}

/// The budget file's keys, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetFile {
    baseline: Option<PathBuf>,
    max_regression: Option<Percent>,
    max_frame_p95: Option<String>,
    max_frame_max: Option<String>,
    max_stall: Option<String>,
    max_input_latency_p95: Option<String>,
    max_full_repaints: Option<Percent>,
}

/// A percentage written `10`, `12.5` or `"10%"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Percent {
    Number(f64),
    Text(String),
}

/// The budgets of `args`: the budget file's, overridden by the flags.
pub fn from_args(args: &CheckArgs) -> Result<Budgets> {
    let mut budgets = match &args.budget {
        Some(path) => read_file(path)?,
        None => Budgets::default(),
    };
    let time = |flag: &str, text: &Option<String>, into: &mut Option<Nanos>| -> Result<()> {
        if let Some(text) = text {
            *into = Some(duration(text).with_context(|| format!("--{flag}"))?);
        }
        Ok(())
    };
    time(
        "max-frame-p95",
        &args.max_frame_p95,
        &mut budgets.max_frame_p95,
    )?;
    time(
        "max-frame-max",
        &args.max_frame_max,
        &mut budgets.max_frame_max,
    )?;
    time("max-stall", &args.max_stall, &mut budgets.max_stall)?;
    time(
        "max-input-latency-p95",
        &args.max_input_latency_p95,
        &mut budgets.max_input_latency_p95,
    )?;
    if let Some(text) = &args.max_full_repaints {
        budgets.max_full_repaints = Some(percent(text).context("--max-full-repaints")?);
    }
    if let Some(text) = &args.max_regression {
        budgets.max_regression = Some(percent(text).context("--max-regression")?);
    }
    if let Some(baseline) = &args.baseline {
        budgets.baseline = Some(baseline.clone());
    }
    match (&budgets.baseline, budgets.max_regression) {
        (Some(_), None) => {
            bail!("a baseline needs --max-regression P% (how much worse it may get)")
        }
        (None, Some(_)) => bail!("--max-regression needs a baseline (--baseline BASE)"),
        _ => {}
    }
    if budgets.is_empty() {
        bail!("no budget given: use --budget FILE, --max-frame-p95 T, ... or --baseline BASE --max-regression P% (see check --help)");
    }
    Ok(budgets)
}

/// Reads a TOML budget file; errors name the file and the line.
fn read_file(path: &Path) -> Result<Budgets> {
    let shown = path.display();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(BUDGET_FILE_MAX + 1).read_to_string(&mut text))
        .with_context(|| format!("{shown}: cannot read"))?;
    if text.len() as u64 > BUDGET_FILE_MAX {
        bail!("{shown}: too big for a budget file (over {BUDGET_FILE_MAX} bytes)");
    }
    let file: BudgetFile = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let message = e.message().trim().replace('\n', " ");
        match line {
            Some(line) => anyhow::anyhow!("{shown}: line {line}: {message}"),
            None => anyhow::anyhow!("{shown}: {message}"),
        }
    })?;
    let key = |name: &str| format!("{shown}: {name}");
    let time = |name: &str, text: &Option<String>| -> Result<Option<Nanos>> {
        text.as_deref()
            .map(duration)
            .transpose()
            .with_context(|| key(name))
    };
    let pct = |name: &str, value: &Option<Percent>| -> Result<Option<f64>> {
        value
            .as_ref()
            .map(|p| match p {
                Percent::Number(n) => checked_percent(*n, &n.to_string()),
                Percent::Text(t) => percent(t),
            })
            .transpose()
            .with_context(|| key(name))
    };
    Ok(Budgets {
        max_frame_p95: time("max_frame_p95", &file.max_frame_p95)?,
        max_frame_max: time("max_frame_max", &file.max_frame_max)?,
        max_stall: time("max_stall", &file.max_stall)?,
        max_input_latency_p95: time("max_input_latency_p95", &file.max_input_latency_p95)?,
        max_full_repaints: pct("max_full_repaints", &file.max_full_repaints)?,
        max_regression: pct("max_regression", &file.max_regression)?,
        // A relative baseline is beside the budget file, wherever `check` runs from.
        baseline: file
            .baseline
            .map(|b| path.parent().unwrap_or(Path::new("")).join(b)),
    })
}

/// A duration with its unit: `16.7ms`, `0.2s`, `500us`. A bare number is refused:
/// elsewhere it means seconds, which a frame budget almost never is.
fn duration(text: &str) -> Result<Nanos> {
    let trimmed = text.trim();
    if !trimmed.ends_with(|c: char| c.is_alphabetic()) {
        bail!("`{text}` has no unit (write 16.7ms, 0.2s or 500us)");
    }
    parse_time(trimmed)
}

/// A percentage: `10`, `12.5%`.
fn percent(text: &str) -> Result<f64> {
    let number = text.trim().trim_end_matches('%').trim();
    let value: f64 = number
        .parse()
        .ok()
        .with_context(|| format!("`{text}` is not a percentage (examples: 10%, 2.5)"))?;
    checked_percent(value, text)
}

fn checked_percent(value: f64, text: &str) -> Result<f64> {
    if !(value.is_finite() && value >= 0.0) {
        bail!("`{text}` is not a percentage of 0 or more");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit_and_percentages_a_number() {
        assert_eq!(duration("16.7ms").unwrap(), 16_700_000);
        assert_eq!(duration(" 0.2s ").unwrap(), 200_000_000);
        assert!(duration("16").is_err());
        assert!(duration("fast").is_err());
        assert!(duration("-3ms").is_err());
        assert_eq!(percent("10%").unwrap(), 10.0);
        assert_eq!(percent("2.5").unwrap(), 2.5);
        assert!(percent("-1%").is_err());
        assert!(percent("NaN").is_err());
        assert!(percent("ten").is_err());
    }
}
