//! Self-measurement for the benchmark: with `GDKRECORD_SELF_TIME=1` the recorder times
//! its own work on the main thread — each input event's hook, and all the work done for
//! one frame (phase hooks and handlers, size, damage and painted records) — into
//! histograms, and prints their median, p90, p99 and mean on stderr at exit. Medians
//! matter on a loaded machine: a hook preempted by the scheduler counts milliseconds
//! that are not its own. Off by default: then a timer is one relaxed load.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::clock::monotonic_ns;

static ENABLED: AtomicBool = AtomicBool::new(false);

const BUCKETS: usize = 1000;

/// Durations in `width_ns` buckets; longer ones are only counted and summed.
#[derive(Debug)]
pub(crate) struct Histogram {
    width_ns: u64,
    buckets: [AtomicU32; BUCKETS],
    count: AtomicU64,
    sum_ns: AtomicU64,
    over: AtomicU64,
}

impl Histogram {
    const fn new(width_ns: u64) -> Histogram {
        Histogram {
            width_ns,
            buckets: [const { AtomicU32::new(0) }; BUCKETS],
            count: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
            over: AtomicU64::new(0),
        }
    }

    fn add(&self, ns: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        match self.buckets.get((ns / self.width_ns) as usize) {
            Some(bucket) => {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                self.over.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Durations added so far.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The upper bound of the bucket holding quantile `q`, or `None` when it is over range.
    fn quantile(&self, q: f64) -> Option<u64> {
        let count = self.count.load(Ordering::Relaxed);
        let rank = ((count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            seen += u64::from(bucket.load(Ordering::Relaxed));
            if seen >= rank {
                return Some((i as u64 + 1) * self.width_ns);
            }
        }
        None
    }

    fn summary(&self, name: &str) -> String {
        let count = self.count.load(Ordering::Relaxed);
        let mean = self
            .sum_ns
            .load(Ordering::Relaxed)
            .checked_div(count)
            .unwrap_or(0);
        let q = |q: f64| match self.quantile(q) {
            Some(ns) => ns.to_string(),
            None => format!(">{}", self.width_ns * BUCKETS as u64),
        };
        format!(
            "{name}={count} {name}_median_ns={} {name}_p90_ns={} {name}_p99_ns={} {name}_mean_ns={mean}",
            q(0.5),
            q(0.9),
            q(0.99)
        )
    }
}

/// Time in the `GdkSurface::event` hook, per input event (10 ns buckets).
pub(crate) static EVENTS: Histogram = Histogram::new(10);
/// Time spent for each frame, all hooks together (100 ns buckets).
pub(crate) static FRAMES: Histogram = Histogram::new(100);
/// Frame work accumulated since the last Frame record.
static FRAME_WORK_NS: AtomicU64 = AtomicU64::new(0);
/// Mean ns per event of the warm measurement (0: not run), see `events::measure_warm`.
pub(crate) static WARM_EVENT_NS: AtomicU64 = AtomicU64::new(0);
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

    /// Starts measuring from a [`monotonic_ns`] reading the hook made anyway.
    pub(crate) fn start_at(monotonic_ns: u64) -> Timer {
        Timer(enabled().then_some(monotonic_ns))
    }

    /// One input event's work ends.
    pub(crate) fn stop_event(self) {
        if let Some(start) = self.0 {
            EVENTS.add(monotonic_ns().saturating_sub(start));
        }
    }

    /// Some work for the current frame ends; `frame_done` when its Frame record was written.
    pub(crate) fn stop_frame_work(self, frame_done: bool) {
        if let Some(start) = self.0 {
            FRAME_WORK_NS.fetch_add(monotonic_ns().saturating_sub(start), Ordering::Relaxed);
            if frame_done {
                FRAMES.add(FRAME_WORK_NS.swap(0, Ordering::Relaxed));
            }
        }
    }
}

/// The summary line printed at exit.
pub(crate) fn report(total_bytes: u64) -> String {
    let events = EVENTS.count.load(Ordering::Relaxed);
    let event_bytes = EVENT_BYTES.load(Ordering::Relaxed);
    let bytes_per_event = if events == 0 {
        0.0
    } else {
        event_bytes as f64 / events as f64
    };
    format!(
        "gdkrecord self-time: {} {} event_bytes_per_event={bytes_per_event:.1} log_bytes={total_bytes} warm_event_ns={}",
        EVENTS.summary("events"),
        FRAMES.summary("frames"),
        WARM_EVENT_NS.load(Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_and_overflow() {
        let h = Histogram::new(10);
        for ns in [5, 15, 25, 35, 1_000_000] {
            h.add(ns);
        }
        assert_eq!(h.quantile(0.5), Some(30));
        assert_eq!(h.quantile(0.2), Some(10));
        assert_eq!(h.quantile(1.0), None);
        let line = h.summary("x");
        assert!(line.contains("x=5 x_median_ns=30"), "{line}");
        assert!(line.contains("x_p99_ns=>10000"), "{line}");
    }
}
