//! Printing a report on standard output, shared by `stats`, `diff` and `check`: the stable
//! JSON form, or the form for people, in colour when standard output is a terminal (and
//! `NO_COLOR` is not set).

use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::{Context, Result};
use serde::Serialize;

pub const GREEN: &str = "\x1b[32m";
pub const RED: &str = "\x1b[31m";
pub const YELLOW: &str = "\x1b[33m";
pub const DIM: &str = "\x1b[2m";
pub const RESET: &str = "\x1b[0m";

/// Writes `report` as pretty JSON when `json`, else through `human` (told whether to use
/// colour), on standard output.
pub fn print<T: Serialize>(
    report: &T,
    json: bool,
    human: impl FnOnce(&T, bool, &mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let colour = !json && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = BufWriter::new(crate::output::stdout()?);
    if json {
        // As an io::Error, a closed pipe stays recognisable (`... --json | head`).
        serde_json::to_writer_pretty(&mut out, report)
            .map_err(io::Error::from)
            .context("standard output")?;
        writeln!(out).context("standard output")?;
    } else {
        human(report, colour, &mut out).context("standard output")?;
    }
    out.flush().context("standard output")
}

/// `text` in `colour` when `on`.
pub fn paint(on: bool, colour: &str, text: &str) -> String {
    if on {
        format!("{colour}{text}{RESET}")
    } else {
        text.to_owned()
    }
}
