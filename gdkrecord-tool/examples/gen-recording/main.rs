//! Writes a synthetic recording of N records for benchmarks:
//! `cargo run --release -p gdkrecord-tool --example gen-recording -- 10000000 big.gdkrecord [SEED]`.

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

mod synth;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(path)) = (
        args.first().and_then(|n| n.parse::<u64>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: gen-recording RECORDS OUT.gdkrecord [SEED]");
        return ExitCode::FAILURE;
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let result = File::create(path).and_then(|file| {
        let out = synth::write_recording(BufWriter::with_capacity(1 << 20, file), count, seed)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-recording: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
