//! `loop_bench`: measures what one main-loop iteration and one GSource dispatch cost,
//! so runs with and without the recorder (`GTK_PATH`, `GDKRECORD_MAINLOOP=0`) can be
//! compared. Used by `recorder/bench/mainloop.sh`; the numbers are in docs/benchmarks.md.
//!
//! After `gtk::init()` (which loads the recorder when `GTK_PATH` points at it, and opens
//! the display, which starts the recording) it runs the default main context by hand
//! with `g_main_context_iteration(ctx, FALSE)`: every iteration polls (timeout 0) and
//! dispatches the ready idles. Each measurement is repeated and its median printed:
//! - `iteration_ns`: one iteration dispatching one idle;
//! - `dispatch_ns`: one more idle dispatched in an iteration
//!   (`(t(101 idles) − t(1 idle)) / 100` per iteration).
//!
//! Options: `--iterations N` (default 100000), `--repeats N` (default 7).

use std::time::Instant;

use gtk::glib;

/// Iterates the default context `iterations` times with `idles` always-ready idles;
/// returns ns per iteration.
fn time_iterations(idles: usize, iterations: u32) -> f64 {
    let context = glib::MainContext::default();
    let ids: Vec<glib::SourceId> = (0..idles)
        .map(|_| glib::idle_add_local(|| glib::ControlFlow::Continue))
        .collect();
    // Warm up (first dispatches resolve lazily bound symbols).
    for _ in 0..1000 {
        context.iteration(false);
    }
    let start = Instant::now();
    for _ in 0..iterations {
        context.iteration(false);
    }
    let elapsed = start.elapsed();
    for id in ids {
        id.remove();
    }
    elapsed.as_nanos() as f64 / f64::from(iterations)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn parse_args() -> Result<(u32, usize), String> {
    let (mut iterations, mut repeats) = (100_000u32, 7usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a number"));
        match arg.as_str() {
            "--iterations" => {
                iterations = value("--iterations")?
                    .parse()
                    .map_err(|e| format!("--iterations: {e}"))?
            }
            "--repeats" => {
                repeats = value("--repeats")?
                    .parse()
                    .map_err(|e| format!("--repeats: {e}"))?
            }
            other => {
                return Err(format!(
                    "unknown argument: {other} (usage: loop_bench [--iterations N] [--repeats N])"
                ))
            }
        }
    }
    if iterations == 0 || repeats == 0 {
        return Err("--iterations and --repeats must be positive".into());
    }
    Ok((iterations, repeats))
}

fn main() -> std::process::ExitCode {
    let (iterations, repeats) = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("loop_bench: {message}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Err(error) = gtk::init() {
        eprintln!("loop_bench: cannot initialise GTK: {error}");
        return std::process::ExitCode::FAILURE;
    }
    let mut one = Vec::new();
    let mut many = Vec::new();
    for _ in 0..repeats {
        one.push(time_iterations(1, iterations));
        many.push(time_iterations(101, iterations / 20));
    }
    let iteration_ns = median(one);
    let dispatch_ns = (median(many) - iteration_ns) / 100.0;
    println!("iteration_ns={iteration_ns:.1} dispatch_ns={dispatch_ns:.1}");
    std::process::ExitCode::SUCCESS
}
