//! Snapshots of every output on small fixtures: `dump` in every format and `export` of a
//! record of every kind, `stats` of a synthetic session and of a real recording.
//!
//! Snapshots live in `tests/snapshots/`; `GDKRECORD_BLESS=1 cargo test -p gdkrecord-tool
//! --test cli` rewrites them after an intended change (review the diff).

use crate::common::*;
use crate::support::scratch;

#[test]
fn every_format_of_every_kind_matches_its_snapshot() {
    let dir = scratch("snapshots-dump");
    write_records(&dir.join("every-kind.gdkrecord"), &every_kind());
    for format in FORMATS {
        let out = stdout(&tool(
            &dir,
            &["dump", "every-kind.gdkrecord", "--format", format],
        ));
        snapshot(&format!("dump-every-kind.{format}"), &out);
    }
    let out = tool_with_recorded_names(
        &dir,
        &["export", "every-kind.gdkrecord", "-o", "trace.json"],
    );
    stdout(&out);
    snapshot(
        "export-every-kind.json",
        &std::fs::read_to_string(dir.join("trace.json")).unwrap(),
    );
}

#[test]
fn stats_and_export_of_a_session_match_their_snapshots() {
    let dir = scratch("snapshots-stats");
    write_synthetic(&dir.join("session.gdkrecord"), 3_000, 7);
    snapshot(
        "stats-session.txt",
        &stdout(&tool(&dir, &["stats", "session.gdkrecord"])),
    );
    snapshot(
        "stats-session.json",
        &stdout(&tool(&dir, &["stats", "session.gdkrecord", "--json"])),
    );
    snapshot("stats-every-kind.txt", &{
        write_records(&dir.join("every-kind.gdkrecord"), &every_kind());
        stdout(&tool_with_recorded_names(
            &dir,
            &["stats", "every-kind.gdkrecord"],
        ))
    });
    let real = copy_real_recording(&dir);
    // Its stacks go through the recorder and the counter binary as built on the machine
    // that recorded it: name them from the recording only, the same everywhere.
    snapshot(
        "stats-counter.txt",
        &stdout(&tool_with_recorded_names(&dir, &["stats", real])),
    );
    snapshot(
        "stats-counter.json",
        &stdout(&tool_with_recorded_names(&dir, &["stats", real, "--json"])),
    );
    snapshot("dump-counter.text", &stdout(&tool(&dir, &["dump", real])));
}
