//! `gdkrecord-install-data OUT_DIR`: writes what an installation needs besides the binaries,
//! made from the programs' own command-line definitions so that they never drift apart:
//!
//! - `OUT_DIR/man/*.1`: `gdkrecord-tool(1)`, one page per command (`gdkrecord-tool-record(1)`,
//!   ...), and `gdkrecord-viewer(1)`;
//! - `OUT_DIR/completions/`: `gdkrecord-tool.bash`, `_gdkrecord-tool` (zsh) and
//!   `gdkrecord-tool.fish`.
//!
//! `scripts/install` runs it; the Debian package is made from what that installs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap_complete::Shell;

/// The tool's executable name, as completions must call it.
const TOOL: &str = "gdkrecord-tool";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out_dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: gdkrecord-install-data OUT_DIR");
        return ExitCode::from(2);
    };
    match write_all(Path::new(&out_dir)) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gdkrecord-install-data: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes every man page and completion under `out_dir`; returns their paths.
fn write_all(out_dir: &Path) -> Result<Vec<PathBuf>> {
    let man_dir = out_dir.join("man");
    let completions_dir = out_dir.join("completions");
    for dir in [&man_dir, &completions_dir] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut written = Vec::new();
    for (name, page) in man_pages()? {
        let path = man_dir.join(format!("{name}.1"));
        write(&path, &page)?;
        written.push(path);
    }
    for (shell, file_name) in [
        (Shell::Bash, format!("{TOOL}.bash")),
        (Shell::Zsh, format!("_{TOOL}")),
        (Shell::Fish, format!("{TOOL}.fish")),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut gdkrecord_tool::command(), TOOL, &mut script);
        let path = completions_dir.join(file_name);
        write(&path, &script)?;
        written.push(path);
    }
    Ok(written)
}

fn write(path: &Path, contents: &[u8]) -> Result<()> {
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Every man page as (name, roff text): the tool's, one per command, the viewer's.
fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut tool = gdkrecord_tool::command();
    tool.build();
    let mut pages = vec![(TOOL.to_owned(), render(tool.clone())?)];
    for command in tool.get_subcommands().filter(|c| c.get_name() != "help") {
        // `gdkrecord-tool-record(1)`: the page's name, and its synopsis shows the full
        // `gdkrecord-tool record` invocation.
        let name = format!("{TOOL}-{}", command.get_name());
        let page = command
            .clone()
            .name(name.clone())
            .bin_name(format!("{TOOL} {}", command.get_name()))
            .version(tool.get_version().unwrap_or_default().to_owned());
        pages.push((name, render(page)?));
    }
    if pages.len() < 2 {
        bail!("{TOOL} has no commands: nothing to document");
    }
    pages.push(("gdkrecord-viewer".to_owned(), render(viewer_command())?));
    Ok(pages)
}

fn render(command: clap::Command) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .section("1")
        .manual("gdkrecord")
        .render(&mut page)
        .context("cannot render a man page")?;
    Ok(page)
}

/// The viewer parses its command line with GApplication, not clap; this describes it for its
/// man page from the same options table the viewer registers (`gdkrecord_viewer::about`).
fn viewer_command() -> clap::Command {
    use gdkrecord_viewer::about::{OPTIONS, SUMMARY, VERSION};
    let mut command = clap::Command::new("gdkrecord-viewer")
        .version(VERSION)
        .about(SUMMARY)
        .long_about(format!(
            "{SUMMARY}\n\nEach FILE opens in a window of its own; without one, an empty window \
             offers to open a recording (Ctrl+O). Space plays and pauses at the recorded speed, \
             Left and Right step by frame, Home and End jump. GTK's own options are listed by \
             --help-all."
        ))
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("file")
                .value_name("FILE")
                .num_args(0..)
                .help("Recordings to open (.gdkrecord)"),
        );
    for option in OPTIONS {
        command = command.arg(
            clap::Arg::new(option.long)
                .long(option.long)
                .short(option.short)
                .action(clap::ArgAction::SetTrue)
                .help(option.help),
        );
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_command_and_the_viewer() {
        let pages = man_pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
        for expected in [
            "gdkrecord-tool",
            "gdkrecord-tool-record",
            "gdkrecord-tool-module-dir",
            "gdkrecord-tool-replay",
            "gdkrecord-viewer",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(!names.contains(&"gdkrecord-tool-help"));
        let commands = gdkrecord_tool::command().get_subcommands().count();
        assert_eq!(pages.len(), commands + 2, "{names:?}");
    }

    #[test]
    fn pages_carry_the_clap_help() {
        let pages = man_pages().unwrap();
        let record = &pages
            .iter()
            .find(|(name, _)| name == "gdkrecord-tool-record")
            .unwrap()
            .1;
        let text = String::from_utf8_lossy(record);
        assert!(text.starts_with(".ie"), "{text}");
        assert!(text.contains(".TH gdkrecord-tool-record 1"), "{text}");
        let tool = gdkrecord_tool::command();
        let about = tool
            .find_subcommand("record")
            .and_then(|record| record.get_about())
            .expect("record has a summary")
            .to_string();
        assert!(
            text.contains(&about.replace('-', "\\-")),
            "{about:?} in {text}"
        );
        assert!(text.contains("GDKRECORD_SYNC"), "after_help kept: {text}");
        let viewer = &pages.last().unwrap().1;
        let text = String::from_utf8_lossy(viewer);
        assert!(text.contains("\\-\\-version"), "{text}");
    }

    #[test]
    fn writes_man_pages_and_three_completions() {
        let dir =
            std::env::temp_dir().join(format!("gdkrecord-install-data-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let written = write_all(&dir).unwrap();
        let bash = fs::read_to_string(dir.join("completions/gdkrecord-tool.bash")).unwrap();
        assert!(
            bash.contains("complete -F") && bash.contains("module-dir"),
            "{bash}"
        );
        let zsh = fs::read_to_string(dir.join("completions/_gdkrecord-tool")).unwrap();
        assert!(zsh.starts_with("#compdef gdkrecord-tool"), "{zsh}");
        let fish = fs::read_to_string(dir.join("completions/gdkrecord-tool.fish")).unwrap();
        assert!(fish.contains("complete -c gdkrecord-tool"), "{fish}");
        assert_eq!(written.len(), man_pages().unwrap().len() + 3);
        fs::remove_dir_all(&dir).unwrap();
    }
}
