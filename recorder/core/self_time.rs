//! Self-measurement for the benchmark: with `GDKRECORD_SELF_TIME=1` the recorder times
//! its own work on the main thread — each input event's hook, and all the work done for
//! one frame (phase hooks and handlers, size, damage and painted records) — into
//! histograms, and prints their median, p90, p99 and mean on stderr at exit. Medians
//! matter on a loaded machine: a hook preempted by the scheduler counts milliseconds
//! that are not its own. Off by default: then a timer is one relaxed load.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::clock::monotonic_ns;
use crate::hot::HOT;
use crate::ring::{Entry, Ring};

const BUCKETS: usize = 1000;

/// Durations in `width_ns` buckets; longer ones are only counted and summed.
#[derive(Debug)]
pub struct Histogram {
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
    pub fn count(&self) -> u64 {
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

/// The histograms, on the heap: 44 KB of them among the recorder's statics would
/// spread the hot ones over more pages.
#[derive(Debug)]
struct Histograms {
    /// Time in the `GdkSurface::event` hook, per input event (10 ns buckets).
    events: Histogram,
    /// The same, split: motion and button events read from memory, the others through
    /// GDK's getters.
    pointer_events: Histogram,
    other_events: Histogram,
    /// Time spent for each frame, all hooks together (100 ns buckets).
    frames: Histogram,
    /// Time per call at each frame site (10 ns buckets), by [`FrameSite::index`].
    sites: [Histogram; 9],
    /// Time the poll wrapper spent waking the parked writer thread (10 ns buckets).
    writer_wakes: Histogram,
    /// Time drawing a frame's pixels (`GDKRECORD_PIXELS`), per rendered frame, patches
    /// (10 µs buckets) and whole pictures (100 µs buckets); not in `frames`, whose
    /// buckets end at 100 µs.
    pixels: Histogram,
    pixels_whole: Histogram,
    /// Time waiting for a CPU rasterizer before reading its frame back (100 µs buckets),
    /// per read: the swap's wait, moved before it.
    renderer_wait: Histogram,
}

static HISTOGRAMS: OnceLock<Box<Histograms>> = OnceLock::new();

fn histograms() -> &'static Histograms {
    HISTOGRAMS.get_or_init(|| {
        Box::new(Histograms {
            events: Histogram::new(10),
            pointer_events: Histogram::new(10),
            other_events: Histogram::new(10),
            frames: Histogram::new(100),
            sites: [const { Histogram::new(10) }; 9],
            writer_wakes: Histogram::new(10),
            pixels: Histogram::new(10_000),
            pixels_whole: Histogram::new(100_000),
            renderer_wait: Histogram::new(100_000),
        })
    })
}

/// Input events timed so far.
pub fn events_timed() -> u64 {
    histograms().events.count()
}
/// Where frame work is done, for the per-site breakdown of frame work.
#[derive(Clone, Copy, Debug)]
pub enum FrameSite {
    /// The emission hook at the start of phase `n` (before-paint .. after-paint).
    PhaseStart(usize),
    /// The handler at the end of after-paint (writes the Frame and FrameTimings).
    CycleEnd,
    /// `GdkSurface::layout` (Size records).
    Layout,
    /// The renderer's `render` (Damage).
    Damage,
    /// The draw context's `end_frame` (Painted).
    Painted,
}

/// Names of the sites, in [`FrameSite::index`] order.
const SITE_NAMES: [&str; 9] = [
    "before_paint",
    "update",
    "layout",
    "paint",
    "after_paint",
    "cycle_end",
    "size",
    "damage",
    "painted",
];

impl FrameSite {
    fn index(self) -> usize {
        match self {
            FrameSite::PhaseStart(phase) => phase.min(4),
            FrameSite::CycleEnd => 5,
            FrameSite::Layout => 6,
            FrameSite::Damage => 7,
            FrameSite::Painted => 8,
        }
    }
}

/// Frame work accumulated since the last Frame record.
static FRAME_WORK_NS: AtomicU64 = AtomicU64::new(0);
/// Mean ns per event of the warm measurement (0: not run), see [`measure_warm`].
static WARM_EVENT_NS: AtomicU64 = AtomicU64::new(0);
/// Bytes of event records written (to report bytes per input event).
static EVENT_BYTES: AtomicU64 = AtomicU64::new(0);

/// Counts the bytes an Event record took in the file (on the writer thread), when
/// self-measuring.
pub fn count_event_bytes(bytes: usize) {
    if enabled() {
        EVENT_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// The warm measurement runs once, at the first motion event after this many events
/// (past start-up).
const WARM_AFTER_EVENTS: u64 = 200;
/// Set once the warm measurement has run (or failed to).
static WARM_DONE: AtomicBool = AtomicBool::new(false);
/// Times the warm measurement repeats the event path.
const WARM_REPEATS: u64 = 100_000;

/// Whether the warm measurement ([`measure_warm`]) is to run now: self-timing is on, the
/// app is past start-up, and it has not run yet (true once).
pub fn warm_measurement_due() -> bool {
    enabled() && events_timed() >= WARM_AFTER_EVENTS && !WARM_DONE.swap(true, Ordering::Relaxed)
}

/// The main thread's part of a front's event hook, `event_entry` (given a timestamp: the
/// clock read, reading the real event, the surface lookup, making the ring entry), run
/// [`WARM_REPEATS`] times back to back, so with warm caches, each entry moved into a
/// scratch ring (the recording is untouched). Its mean per event (`warm_event_ns` in the
/// report), next to the in-app figures, separates the code's cost from that of running
/// cold between GTK's own work. `event_entry` giving `None` ends it, unmeasured.
pub fn measure_warm(mut event_entry: impl FnMut(u64) -> Option<Entry>) {
    let scratch = Ring::new(256);
    let start = monotonic_ns();
    for _ in 0..WARM_REPEATS {
        let Some(entry) = event_entry(crate::clock::now()) else {
            return;
        };
        // SAFETY: this thread is the scratch ring's only user.
        if !unsafe { scratch.push(entry) } {
            while unsafe { scratch.pop() }.is_some() {}
        }
    }
    let ns = (monotonic_ns() - start) / WARM_REPEATS;
    WARM_EVENT_NS.store(ns, Ordering::Relaxed);
}

/// Reads `GDKRECORD_SELF_TIME`.
pub fn init_from_env() {
    let on = std::env::var_os("GDKRECORD_SELF_TIME").is_some_and(|v| !v.is_empty() && v != "0");
    HOT.self_time.store(on, Ordering::Relaxed);
    if on {
        histograms();
    }
}

/// Whether self-measurement is on.
#[inline(always)]
pub fn enabled() -> bool {
    HOT.self_time.load(Ordering::Relaxed)
}

/// A running measurement (nothing when self-measurement is off).
#[derive(Debug)]
pub struct Timer(Option<u64>);

impl Timer {
    /// Starts measuring.
    #[inline(always)]
    pub fn start() -> Timer {
        Timer(enabled().then(monotonic_ns))
    }

    /// Starts measuring from a [`monotonic_ns`] reading the hook made anyway.
    #[inline(always)]
    pub fn start_at(monotonic_ns: u64) -> Timer {
        Timer(enabled().then_some(monotonic_ns))
    }

    /// Leaves out `ns` of work timed on its own (a frame's pixels, [`time_pixels`]).
    #[inline(always)]
    pub fn exclude(&mut self, ns: u64) {
        if let Some(start) = &mut self.0 {
            *start = start.saturating_add(ns);
        }
    }

    /// One input event's work ends; `pointer` when it took the pointer-event path.
    #[inline(always)]
    pub fn stop_event(self, pointer: bool) {
        if let Some(start) = self.0 {
            let ns = monotonic_ns().saturating_sub(start);
            let histograms = histograms();
            histograms.events.add(ns);
            if pointer {
                histograms.pointer_events.add(ns);
            } else {
                histograms.other_events.add(ns);
            }
        }
    }

    /// The poll wrapper's wake-up of the parked writer thread ends.
    #[inline(always)]
    pub(crate) fn stop_writer_wake(self) {
        if let Some(start) = self.0 {
            histograms()
                .writer_wakes
                .add(monotonic_ns().saturating_sub(start));
        }
    }

    /// Some work for the current frame ends at `site`; `frame_done` when its Frame record
    /// was written.
    #[inline(always)]
    pub fn stop_frame_work(self, site: FrameSite, frame_done: bool) {
        if let Some(start) = self.0 {
            let ns = monotonic_ns().saturating_sub(start);
            let histograms = histograms();
            histograms.sites[site.index()].add(ns);
            FRAME_WORK_NS.fetch_add(ns, Ordering::Relaxed);
            if frame_done {
                histograms
                    .frames
                    .add(FRAME_WORK_NS.swap(0, Ordering::Relaxed));
            }
        }
    }
}

/// A frame's pixels took `spent_ns` of the main thread: a `whole` picture of the
/// surface, or patches.
pub fn time_pixels(spent_ns: u64, whole: bool) {
    if enabled() {
        let histograms = histograms();
        let histogram = if whole {
            &histograms.pixels_whole
        } else {
            &histograms.pixels
        };
        histogram.add(spent_ns);
    }
}

/// Reading a frame back waited `ns` for the renderer to finish it (a wait the swap would
/// have made: not the recorder's time, reported on its own).
pub fn time_renderer_wait(ns: u64) {
    if enabled() && ns > 0 {
        histograms().renderer_wait.add(ns);
    }
}

/// Bands of pixels read back from what the renderer drew, and drawn again instead.
static PIXEL_BANDS_READ_BACK: AtomicU64 = AtomicU64::new(0);
static PIXEL_BANDS_DRAWN: AtomicU64 = AtomicU64::new(0);

/// Counts bands of a frame's pixels by where they came from.
pub fn count_pixel_bands(read_back: u64, drawn: u64) {
    if enabled() {
        PIXEL_BANDS_READ_BACK.fetch_add(read_back, Ordering::Relaxed);
        PIXEL_BANDS_DRAWN.fetch_add(drawn, Ordering::Relaxed);
    }
}

/// The summary line printed at exit.
pub fn report(total_bytes: u64) -> String {
    let histograms = histograms();
    let events = histograms.events.count();
    let event_bytes = EVENT_BYTES.load(Ordering::Relaxed);
    let bytes_per_event = if events == 0 {
        0.0
    } else {
        event_bytes as f64 / events as f64
    };
    let sites: String = histograms
        .sites
        .iter()
        .zip(SITE_NAMES)
        .filter(|(histogram, _)| histogram.count() > 0)
        .map(|(histogram, name)| {
            let median = histogram
                .quantile(0.5)
                .map_or_else(|| ">10000".to_owned(), |ns| ns.to_string());
            format!(
                " site_{name}={} site_{name}_median_ns={median}",
                histogram.count()
            )
        })
        .collect();
    let pixels: String = [
        (&histograms.pixels, "pixels"),
        (&histograms.pixels_whole, "pixels_whole"),
        (&histograms.renderer_wait, "renderer_wait"),
    ]
    .iter()
    .filter(|(histogram, _)| histogram.count() > 0)
    .map(|(histogram, name)| format!(" {}", histogram.summary(name)))
    .chain(
        (histograms.pixels.count() + histograms.pixels_whole.count() > 0).then(|| {
            format!(
                " pixel_bands_read_back={} pixel_bands_drawn={}",
                PIXEL_BANDS_READ_BACK.load(Ordering::Relaxed),
                PIXEL_BANDS_DRAWN.load(Ordering::Relaxed)
            )
        }),
    )
    .collect();
    format!(
        "gdkrecord self-time: {} {} {} {} {}{pixels} event_bytes_per_event={bytes_per_event:.1} log_bytes={total_bytes} warm_event_ns={}{sites}",
        histograms.events.summary("events"),
        histograms.pointer_events.summary("pointer_events"),
        histograms.other_events.summary("other_events"),
        histograms.frames.summary("frames"),
        histograms.writer_wakes.summary("writer_wakes"),
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
