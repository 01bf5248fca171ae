//! `gdkrecord-tool dump`: streams the records of a recording to a file or standard output
//! in one of the formats of [`crate::formats`], in constant memory.

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use gdkrecord_format::RecordKind;

use crate::cli::DumpArgs;
use crate::formats;
use crate::input;
use crate::output;

/// Output buffer: big enough for few write calls, small enough that `dump | head` and
/// `dump | less` see output at once.
const OUTPUT_BUFFER: usize = 64 << 10;

/// Runs `dump`.
pub fn run(args: &DumpArgs) -> Result<ExitCode> {
    let mut recording = input::open(&args.read)?;
    let kinds: Vec<RecordKind> = RecordKind::ALL
        .into_iter()
        .filter(|k| recording.filter().allows_kind(*k))
        .collect();
    let to_file = args.output.as_deref().filter(|p| !output::is_stdout(p));
    let (out, shown): (Box<dyn Write>, String) = match to_file {
        Some(path) => {
            let file = recording.create_output(path)?;
            (Box::new(file), path.display().to_string())
        }
        None => (Box::new(output::stdout()?), "standard output".to_owned()),
    };
    // A progress bar would garble records printed on the same terminal.
    if to_file.is_some() || !std::io::stdout().is_terminal() {
        recording.show_progress("dump");
    }
    let mut writer = formats::writer(
        args.format,
        BufWriter::with_capacity(OUTPUT_BUFFER, out),
        &kinds,
    )
    .with_context(|| format!("{shown}: write error"))?;
    let path = recording.path().to_owned();
    recording.for_each(|record| {
        writer
            .write(&record)
            .with_context(|| format!("{shown}: write error while dumping {}", path.display()))
    })?;
    writer
        .finish()
        .with_context(|| format!("{shown}: write error"))?;
    Ok(ExitCode::SUCCESS)
}
