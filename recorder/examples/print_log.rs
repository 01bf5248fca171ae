//! Prints a recording as JSONL, one record per line, then what the reader skipped:
//! `cargo run -p gdkrecord-recorder --example print_log -- FILE`. (The user-facing
//! reader is `gdkrecord-tool dump`; this keeps the recorder's checks self-contained.)

use std::process::ExitCode;

use gdkrecord_format::Reader;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: print_log FILE");
        return ExitCode::FAILURE;
    };
    let mut reader = match Reader::open(&path) {
        Ok(reader) => reader,
        Err(error) => {
            eprintln!("print_log: {}: {error}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    for record in reader.by_ref() {
        match record
            .map_err(|e| e.to_string())
            .and_then(|r| serde_json::to_string(&r).map_err(|e| e.to_string()))
        {
            Ok(line) => println!("{line}"),
            Err(error) => {
                eprintln!("print_log: {}: {error}", path.to_string_lossy());
                return ExitCode::FAILURE;
            }
        }
    }
    for issue in reader.issues() {
        eprintln!("print_log: {}: {issue}", path.to_string_lossy());
    }
    ExitCode::SUCCESS
}
