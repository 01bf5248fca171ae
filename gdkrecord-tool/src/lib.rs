//! The library part of `gdkrecord-tool`: its command-line definition, so that the workspace's
//! generator (`gdkrecord-install-data`) makes the man pages and shell completions from the
//! very `clap::Command` the tool parses, never from a hand-kept copy.

pub mod cli;

/// The tool's whole command line (every subcommand, flag and help text).
pub fn command() -> clap::Command {
    <cli::Cli as clap::CommandFactory>::command()
}
