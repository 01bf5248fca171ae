//! `gdkrecord-tool`: records GTK 4 programs and reads their recordings.

use std::process::ExitCode;

use clap::Parser;

mod check;
mod diff;
mod dump;
mod export;
mod exposures;
mod figures;
mod formats;
mod frames;
mod graph;
mod input;
mod module_dir;
mod output;
mod record;
mod redact;
mod replay;
mod stalls;
mod stats;
mod symbolize;
mod terminal;

// The command line is the library's (`gdkrecord_tool::cli`), which the man page and
// completion generator reads too; `crate::cli` keeps naming it for the commands.
use gdkrecord_tool::cli;
use gdkrecord_tool::cli::{Cli, Command};

fn main() -> ExitCode {
    output::note_closed_stdout();
    let cli = Cli::parse();
    // Commands that compare, gate or replay (`diff`, `check`, `replay`) keep 1 for "a budget was
    // exceeded" and report errors with 2.
    let (result, error_code) = match cli.command {
        Command::Record(args) => (record::run(&args), 1),
        Command::ModuleDir(args) => (module_dir::run(&args), 1),
        Command::Dump(args) => (dump::run(&args), 1),
        Command::Stats(args) => (stats::run(&args), 1),
        Command::Export(args) => (export::run(&args), 1),
        Command::Graph(args) => (graph::run(&args), 1),
        Command::Exposures(args) => (exposures::run(&args), 1),
        Command::Frames(args) => (frames::run(&args), 1),
        Command::Stalls(args) => (stalls::run(&args), 1),
        Command::Redact(args) => (redact::run(&args), 1),
        Command::Diff(args) => (diff::run(&args), 2),
        Command::Check(args) => (check::run(&args), 2),
        Command::Replay(args) => (replay::run(&args), 2),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                // `gdkrecord-tool dump x | head` is not an error.
                return ExitCode::SUCCESS;
            }
            eprintln!("gdkrecord-tool: {error:#}");
            ExitCode::from(error_code)
        }
    }
}

/// Whether the error comes from writing to a closed pipe.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
