//! What each input is given to: the format crate's reader (pixel patches decoded), the replay model the GIF,
//! heatmap and viewer share, the viewer's index (in a forked child), and every reading
//! command of `gdkrecord-tool` (the real binary).

use std::path::Path;

use gdkrecord_format::{Reader, Record};
use gdkrecord_replay::{Replay, TimelineBuilder};

#[path = "../../viewer/src/index/mod.rs"]
#[allow(dead_code, missing_docs)]
mod viewer_index;

/// Frames of each surface the replay model steps through.
const REPLAY_FRAMES: usize = 1000;

/// The reader, the replay model (every surface: frames stepped, views built, the
/// heatmap) and the viewer's index (built, every record decoded by window).
pub fn in_process(path: &Path, bytes: &[u8]) {
    if let Ok(reader) = Reader::new(bytes) {
        let mut builder = TimelineBuilder::default();
        for record in reader {
            match record {
                Ok(record) => {
                    std::hint::black_box(serde_json::to_string(&record).ok());
                    if let Record::Pixels(pixels) = &record {
                        std::hint::black_box(pixels.decode().ok());
                    }
                    builder.push(&record);
                }
                Err(_) => break,
            }
        }
        let timeline = builder.finish();
        for surface in timeline.surfaces() {
            let mut replay = Replay::new(&timeline, surface.id);
            for n in 0..replay.frame_count().min(REPLAY_FRAMES) {
                replay.seek_frame(n);
                if let Some(view) = replay.view() {
                    std::hint::black_box(&view);
                }
            }
            std::hint::black_box(replay.heatmap(4, true));
        }
    }
    if let Ok(index) = viewer_index::RecordingIndex::build(path, &mut |_, _| true) {
        std::hint::black_box(index.issues_summary());
        let _ = index.decode_window(0, index.duration_ns);
        for surface in &index.surfaces {
            std::hint::black_box(index.frames_of(surface.id));
        }
    }
}

/// The reading commands, each with the arguments a user would give (outputs in `work`).
pub fn tool_commands(input: &str, work: &Path) -> Vec<Vec<String>> {
    let out = |name: &str| work.join(name).display().to_string();
    let commands: [&[&str]; 12] = [
        &["dump", input, "--format", "jsonl"],
        &["dump", input, "--format", "csv"],
        &["stats", input],
        &["stats", input, "--json"],
        &["stalls", input, "--group"],
        &["stalls", input, "--json"],
        &["export", input, "-o", "-"],
        &["graph", input, "--size", "400x300", "-o", &out("graph.png")],
        &[
            "exposures",
            input,
            "--heatmap",
            "--max-width",
            "100",
            "-o",
            &out("heat.png"),
        ],
        &[
            "exposures",
            input,
            "--max-frames",
            "30",
            "--max-width",
            "100",
            "-o",
            &out("replay.gif"),
        ],
        &["redact", input, "-o", &out("redacted.gdkrecord")],
        &["frames", input, "--max-frames", "20", "-o", &out("frames")],
    ];
    commands
        .iter()
        .map(|args| args.iter().map(|a| a.to_string()).collect())
        .collect()
}
