//! Self-measurement for the benchmark: with `GDKRECORD_SELF_TIME=1` the recorder adds up
//! the time spent inside its own hooks, per input event and per frame, and prints the
//! averages on stderr at exit. Off by default: then a timer is one relaxed load.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::clock::monotonic_ns;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// A sum of nanoseconds and how many times it was added to.
#[derive(Debug)]
pub(crate) struct Bucket {
    ns: AtomicU64,
    count: AtomicU64,
}

impl Bucket {
    const fn new() -> Bucket {
        Bucket {
            ns: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

/// Work done for input events (the `GdkSurface::event` hook).
pub(crate) static EVENTS: Bucket = Bucket::new();
/// Work done for frames: phase hooks and handlers, size, damage and painted records.
/// Its count is the number of frame records.
pub(crate) static FRAMES: Bucket = Bucket::new();
/// Bytes of event records written (to report bytes per input event).
pub(crate) static EVENT_BYTES: AtomicU64 = AtomicU64::new(0);

/// Reads `GDKRECORD_SELF_TIME`.
pub(crate) fn init_from_env() {
    let on = std::env::var_os("GDKRECORD_SELF_TIME").is_some_and(|v| !v.is_empty() && v != "0");
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether self-measurement is on.
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// A running measurement (nothing when self-measurement is off).
#[derive(Debug)]
pub(crate) struct Timer(Option<u64>);

impl Timer {
    /// Starts measuring.
    pub(crate) fn start() -> Timer {
        Timer(enabled().then(monotonic_ns))
    }

    /// Adds the time since `start` to `bucket`; `count` says whether this is one more
    /// unit (event, frame) or extra work for the current one.
    pub(crate) fn stop(self, bucket: &Bucket, count: bool) {
        if let Some(start) = self.0 {
            bucket
                .ns
                .fetch_add(monotonic_ns().saturating_sub(start), Ordering::Relaxed);
            if count {
                bucket.count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The summary line printed at exit.
pub(crate) fn report(total_bytes: u64) -> String {
    let per = |b: &Bucket| {
        let (ns, n) = (
            b.ns.load(Ordering::Relaxed),
            b.count.load(Ordering::Relaxed),
        );
        (n, ns.checked_div(n).unwrap_or(0))
    };
    let (events, ns_per_event) = per(&EVENTS);
    let (frames, ns_per_frame) = per(&FRAMES);
    let event_bytes = EVENT_BYTES.load(Ordering::Relaxed);
    let bytes_per_event = if events == 0 {
        0.0
    } else {
        event_bytes as f64 / events as f64
    };
    format!(
        "gdkrecord self-time: events={events} ns_per_event={ns_per_event} frames={frames} ns_per_frame={ns_per_frame} \
         event_bytes_per_event={bytes_per_event:.1} log_bytes={total_bytes}"
    )
}
