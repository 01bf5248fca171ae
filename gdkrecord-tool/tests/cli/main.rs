//! The reading commands on the real binary (`CARGO_BIN_EXE_gdkrecord-tool`), one test
//! binary in modules by subject: every dump format against snapshots (`snapshots`) and
//! against each other (`formats`), bad input (`bad_input`), how output goes to pipes and
//! files (`output`), and `stats` of the main loop and its stalls (`stats`); what they
//! share is in `common`.
//!
//! Snapshots live in `tests/snapshots/`; `GDKRECORD_BLESS=1 cargo test -p gdkrecord-tool
//! --test cli` rewrites them after an intended change (review the diff).

#[path = "../support/mod.rs"]
mod support;

mod bad_input;
mod common;
mod formats;
mod output;
mod snapshots;
mod stats;
