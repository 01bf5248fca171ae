//! `gdkrecord-fuzz`: feeds mutated recordings to the reader and every analysis, on
//! stable Rust. Seeds are the real recordings of the repository (samples/recordings,
//! the tool's test fixtures, the format's golden files); see docs/reliability.md.
//!
//! Each input goes to the in-process targets (reader, replay model, viewer index) in a
//! forked child, and to one `gdkrecord-tool` command in turn (the real binary, found
//! beside this one). A run that panics, crashes, aborts or exits with a status above 1
//! is a crash; one that outlives `--timeout-ms` is killed and counted as a timeout; every
//! run is capped at `--memory-mb` of address space and its peak resident memory is
//! reported. Crashing and hanging inputs are saved under `--crashes`. Exit status 1 when
//! any were found.
//!
//! ```text
//! gdkrecord-fuzz [--seconds N] [--seed N] [--timeout-ms N] [--memory-mb N]
//!                [--crashes DIR] [--tool PATH] [--replay DIR]...
//! ```
//! `--replay DIR` runs every file of DIR through every target once, unmutated, instead of
//! fuzzing (a crash found once, kept as a regression). The input that took the most
//! memory in each target is kept as `peak-memory-<target>.gdkrecord` in the `--crashes`
//! directory, to look into.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod mutate;
mod run;
mod targets;

use mutate::Rng;
use run::{Limits, Outcome, Status};

/// Largest piece of a seed a mutation starts from (see [`mutate::excerpt`]).
const EXCERPT: usize = 48 << 10;

#[derive(Debug)]
struct Options {
    seconds: u64,
    seed: u64,
    limits: Limits,
    crashes: PathBuf,
    tool: PathBuf,
    replay: Vec<PathBuf>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the fuzz crate is in the workspace")
        .to_path_buf()
}

fn parse_options() -> Result<Options, String> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut options = Options {
        seconds: 60,
        seed: 1,
        limits: Limits {
            time: Duration::from_secs(10),
            address_space: 2 << 30,
        },
        crashes: workspace_root().join("target/fuzz-crashes"),
        tool: exe_dir.join("gdkrecord-tool"),
        replay: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |text: String| -> Result<u64, String> {
            text.parse()
                .map_err(|_| format!("{flag}: not a number: {text}"))
        };
        match flag.as_str() {
            "--seconds" => options.seconds = number(value()?)?,
            "--seed" => options.seed = number(value()?)?,
            "--timeout-ms" => options.limits.time = Duration::from_millis(number(value()?)?),
            "--memory-mb" => options.limits.address_space = number(value()?)? << 20,
            "--crashes" => options.crashes = value()?.into(),
            "--tool" => options.tool = value()?.into(),
            "--replay" => options.replay.push(value()?.into()),
            "-h" | "--help" => {
                return Err("usage: gdkrecord-fuzz [--seconds N] [--seed N] [--timeout-ms N] [--memory-mb N] [--crashes DIR] [--tool PATH] [--replay DIR]...".into())
            }
            other => return Err(format!("unknown option {other} (see --help)")),
        }
    }
    if !options.tool.is_file() {
        return Err(format!(
            "{}: no gdkrecord-tool there; build the workspace first or give --tool",
            options.tool.display()
        ));
    }
    Ok(options)
}

/// The files of `dirs` that look like recordings (any file with the magic).
fn load_files(dirs: &[PathBuf]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if let Ok(bytes) = std::fs::read(&path) {
                if path.extension().is_some_and(|e| e == "gdkrecord") {
                    files.push((path.display().to_string(), bytes));
                }
            }
        }
    }
    files
}

/// Figures per target.
#[derive(Debug, Default)]
struct Tally {
    executions: u64,
    crashes: u64,
    timeouts: u64,
    max_rss_kib: u64,
}

struct Fuzzer {
    options: Options,
    work: PathBuf,
    tallies: BTreeMap<String, Tally>,
    saved: u64,
}

impl Fuzzer {
    /// Runs every target named by `which` (`None`: all tool commands) on `bytes`.
    fn run_input(&mut self, bytes: &[u8], tool_command: Option<usize>) {
        let input = self.work.join("input.gdkrecord");
        std::fs::write(&input, bytes).expect("write the fuzzer's input file");
        let stderr = self.work.join("stderr.txt");
        let limits = self.options.limits;
        let outcome = run::in_child(&limits, &stderr, || targets::in_process(&input, bytes));
        self.note("in-process (reader, replay, viewer index)", outcome, bytes);
        let commands = targets::tool_commands(&input.display().to_string(), &self.work);
        let chosen: Vec<&Vec<String>> = match tool_command {
            Some(i) => vec![&commands[i % commands.len()]],
            None => commands.iter().collect(),
        };
        for args in chosen {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let outcome = run::command(&limits, &stderr, &self.options.tool, &args);
            let name = format!("gdkrecord-tool {}", args[0..1].join(" "));
            let name = if args.len() > 2 && args[2].starts_with("--") && args[0] != "graph" {
                format!("{name} {}", args[2])
            } else {
                name
            };
            self.note(&name, outcome, bytes);
        }
    }

    fn note(&mut self, target: &str, outcome: Outcome, bytes: &[u8]) {
        let tally = self.tallies.entry(target.to_owned()).or_default();
        tally.executions += 1;
        let file_name = target.replace([' ', '(', ')', ','], "_");
        if outcome.max_rss_kib > tally.max_rss_kib {
            tally.max_rss_kib = outcome.max_rss_kib;
            // The input that took the most memory so far, to look into.
            let _ = std::fs::create_dir_all(&self.options.crashes);
            let _ = std::fs::write(
                self.options
                    .crashes
                    .join(format!("peak-memory-{file_name}.gdkrecord")),
                bytes,
            );
        }
        let what = match &outcome.status {
            Status::Fine => return,
            Status::Crash(message) => {
                tally.crashes += 1;
                format!("crash: {message}")
            }
            Status::Timeout => {
                tally.timeouts += 1;
                format!("timeout after {:?}", self.options.limits.time)
            }
        };
        self.saved += 1;
        let _ = std::fs::create_dir_all(&self.options.crashes);
        let path = self
            .options
            .crashes
            .join(format!("{file_name}-{}.gdkrecord", self.saved));
        let _ = std::fs::write(&path, bytes);
        eprintln!(
            "gdkrecord-fuzz: {target}: {what}\n  input saved as {}",
            path.display()
        );
    }

    fn report(&self, started: Instant, inputs: u64) -> bool {
        let mut clean = true;
        println!(
            "{inputs} inputs in {:.0} s (seed {}, limits {:?} and {} MiB per run)",
            started.elapsed().as_secs_f64(),
            self.options.seed,
            self.options.limits.time,
            self.options.limits.address_space >> 20
        );
        println!("| target | executions | crashes | timeouts | peak memory |");
        println!("|---|---:|---:|---:|---:|");
        for (target, t) in &self.tallies {
            clean &= t.crashes == 0 && t.timeouts == 0;
            println!(
                "| {target} | {} | {} | {} | {:.1} MiB |",
                t.executions,
                t.crashes,
                t.timeouts,
                t.max_rss_kib as f64 / 1024.0
            );
        }
        let total: u64 = self.tallies.values().map(|t| t.executions).sum();
        let crashes: u64 = self.tallies.values().map(|t| t.crashes).sum();
        let timeouts: u64 = self.tallies.values().map(|t| t.timeouts).sum();
        let peak = self
            .tallies
            .values()
            .map(|t| t.max_rss_kib)
            .max()
            .unwrap_or(0);
        println!(
            "total: {total} executions, {crashes} crashes, {timeouts} timeouts, peak memory {:.1} MiB",
            peak as f64 / 1024.0
        );
        clean
    }
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("gdkrecord-fuzz: {message}");
            return ExitCode::from(2);
        }
    };
    let work = std::env::temp_dir().join(format!("gdkrecord-fuzz-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&work) {
        eprintln!("gdkrecord-fuzz: {}: {error}", work.display());
        return ExitCode::from(2);
    }
    let root = workspace_root();
    let replay = !options.replay.is_empty();
    let files = if replay {
        load_files(&options.replay)
    } else {
        load_files(&[
            root.join("samples/recordings"),
            root.join("gdkrecord-tool/tests/fixtures"),
            root.join("format/tests/golden"),
        ])
    };
    if files.is_empty() {
        eprintln!("gdkrecord-fuzz: no recordings to start from");
        return ExitCode::from(2);
    }
    let seconds = options.seconds;
    let mut rng = Rng::new(options.seed);
    let mut fuzzer = Fuzzer {
        options,
        work: work.clone(),
        tallies: BTreeMap::new(),
        saved: 0,
    };
    let started = Instant::now();
    let mut inputs = 0u64;
    if replay {
        for (_, bytes) in &files {
            fuzzer.run_input(bytes, None);
            inputs += 1;
        }
    } else {
        // The seeds as they are first, then mutations until the time is up.
        while started.elapsed() < Duration::from_secs(seconds) {
            let input = if (inputs as usize) < files.len() {
                files[inputs as usize].1.clone()
            } else {
                let seed = mutate::excerpt(&files[rng.below(files.len())].1, EXCERPT, &mut rng);
                let other = mutate::excerpt(&files[rng.below(files.len())].1, EXCERPT, &mut rng);
                mutate::mutate(&seed, &other, &mut rng)
            };
            fuzzer.run_input(&input, Some(inputs as usize));
            inputs += 1;
        }
    }
    let clean = fuzzer.report(started, inputs);
    let _ = std::fs::remove_dir_all(&work);
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
