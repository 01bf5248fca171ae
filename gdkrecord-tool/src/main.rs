//! `gdkrecord-tool`: records GTK 4 programs and reads their recordings.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod dump;
mod export;
mod exposures;
mod formats;
mod graph;
mod input;
mod module_dir;
mod output;
mod record;
mod redact;
mod stalls;
mod stats;
mod symbolize;

use cli::{Cli, Command};

fn main() -> ExitCode {
    output::note_closed_stdout();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Record(args) => record::run(&args),
        Command::ModuleDir(args) => module_dir::run(&args),
        Command::Dump(args) => dump::run(&args),
        Command::Stats(args) => stats::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Exposures(args) => exposures::run(&args),
        Command::Stalls(args) => stalls::run(&args),
        Command::Redact(args) => redact::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                // `gdkrecord-tool dump x | head` is not an error.
                return ExitCode::SUCCESS;
            }
            eprintln!("gdkrecord-tool: {error:#}");
            ExitCode::FAILURE
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
