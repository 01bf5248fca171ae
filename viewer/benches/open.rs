//! Benchmark: how long opening (indexing) a big recording takes, and how long a lazy
//! decode around the playhead takes. `cargo bench -p gdkrecord-viewer --bench open -- [MB]`

#[path = "../tests/support/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::time::Instant;

use gdkrecord_viewer::index::RecordingIndex;

fn main() {
    let megabytes: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1024);
    let path = std::env::temp_dir().join(format!("gdkrecord-viewer-bench-{megabytes}M.gdkrecord"));
    if !path.exists() {
        let started = Instant::now();
        let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        let records = synth::write_session(file, megabytes << 20).unwrap();
        println!("generated {} ({records} records) in {:.2?}", path.display(), started.elapsed());
    }
    let started = Instant::now();
    let index = RecordingIndex::build(&path, &mut |_, _| true).unwrap();
    let open = started.elapsed();
    println!(
        "indexed {} MB: {} records, {} frames, {} input markers, {:.1} s recorded, in {open:.2?}",
        index.file_len >> 20,
        index.records,
        index.frames.len(),
        index.inputs.len(),
        index.duration_ns as f64 / 1e9
    );
}
