//! Writes a synthetic but realistic recording (a small app used for a while: a spinner,
//! clicks, typing, a popup menu, resizes, a few slow frames) for trying the viewer.
//!
//! `cargo run -p gdkrecord-viewer --example synth -- OUT.gdkrecord [MEGABYTES]`

#[path = "../tests/support/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: synth OUT.gdkrecord [MEGABYTES]");
        return ExitCode::from(2);
    };
    let megabytes: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.2);
    let written = std::fs::File::create(&out)
        .map(std::io::BufWriter::new)
        .and_then(|f| synth::write_session(f, (megabytes * 1048576.0) as u64));
    match written {
        Ok(records) => {
            println!("{out}: {records} records");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {out}: {e}");
            ExitCode::FAILURE
        }
    }
}
