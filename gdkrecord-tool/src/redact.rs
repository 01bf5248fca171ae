//! `gdkrecord-tool redact`: a copy of a recording that is safe to share: what was typed
//! and the command line dropped (the rule: `gdkrecord_format`'s `redact` module docs,
//! docs/guide.md). Streams, in constant memory.

use std::io::BufWriter;
use std::process::ExitCode;

use anyhow::{Context, Result};
use gdkrecord_format::Writer;

use crate::cli::RedactArgs;
use crate::graph::thousands;
use crate::input;

/// Runs `redact`.
pub fn run(args: &RedactArgs) -> Result<ExitCode> {
    let mut recording = input::open(&args.read)?;
    recording.show_progress("redact");
    let shown = args.output.display().to_string();
    let file = recording.create_output(&args.output)?;
    let mut writer = Writer::new(BufWriter::with_capacity(64 << 10, file))
        .with_context(|| format!("{shown}: write error"))?;
    let (mut records, mut redacted) = (0u64, 0u64);
    recording.for_each(|mut record| {
        records += 1;
        redacted += u64::from(record.redact());
        writer
            .write(&record)
            .with_context(|| format!("{shown}: write error"))
    })?;
    writer
        .finish()
        .and_then(|out| out.into_inner().map_err(|e| e.into_error()))
        .and_then(|file| file.sync_all())
        .with_context(|| format!("{shown}: write error"))?;
    eprintln!(
        "gdkrecord-tool: wrote {shown} ({} records, {} with what was typed or the command line dropped)",
        thousands(records),
        thousands(redacted)
    );
    Ok(ExitCode::SUCCESS)
}
