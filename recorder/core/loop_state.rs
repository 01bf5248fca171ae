//! What the main thread's loop is doing now, as the poll wrapper (`mainloop.rs`)
//! publishes it for the stall watchdog (`stall.rs`) and the per-second summary
//! (`loop_summary.rs`), with the few helpers they share. Below all three.

use std::sync::atomic::{AtomicPtr, AtomicU64};

use gdkrecord_format::Record;
use glib_sys::GSource;

use crate::{clock, queue};

/// Reads a non-negative integer variable; a bad value warns and gives `default`.
pub(crate) fn env_number(name: &str, value: Option<&str>, default: u64) -> u64 {
    match value.map(str::trim) {
        None | Some("") => default,
        Some(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("gdkrecord: {name}={text} is not a whole number; using {default}");
            default
        }),
    }
}

/// CLOCK_MONOTONIC (ns) when the main thread last returned from poll; 0 while it is in
/// poll (and before its first poll), or [`WATCHDOG_PARKED`] when the stall
/// watchdog sleeps until the main thread leaves poll. Read by the stall watchdog.
pub(crate) static BUSY_SINCE: AtomicU64 = AtomicU64::new(0);
/// What [`BUSY_SINCE`] holds instead of 0 (main thread in poll) while the watchdog is
/// parked until the main thread leaves poll. Not a time: CLOCK_MONOTONIC is 1 ns only
/// at boot.
pub(crate) const WATCHDOG_PARKED: u64 = 1;
/// The source the main thread is dispatching through a patched table (innermost when
/// dispatches nest), for naming stalls; null outside dispatches. Alive while set: GLib
/// holds a reference on a source during its dispatch.
pub(crate) static CURRENT_SOURCE: AtomicPtr<GSource> = AtomicPtr::new(std::ptr::null_mut());

/// Nanoseconds since the recording started, for a CLOCK_MONOTONIC time.
pub(crate) fn since_start(monotonic: u64) -> u64 {
    monotonic.saturating_sub(clock::start().0)
}

/// Appends `record` to the recording, if one is open (from any thread).
pub(crate) fn write(record: Record) {
    queue::emit(record);
}
