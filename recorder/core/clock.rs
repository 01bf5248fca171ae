//! Time stamps: CLOCK_MONOTONIC in ns, counted from when the recorder was loaded.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::hot::HOT;

/// Wall-clock time (ns since the Unix epoch) at the same moment.
static START_UNIX_NS: AtomicU64 = AtomicU64::new(0);

#[inline(always)]
fn read(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // clock_gettime cannot fail for these clocks with a valid pointer.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// CLOCK_MONOTONIC in ns.
#[inline(always)]
pub fn monotonic_ns() -> u64 {
    read(libc::CLOCK_MONOTONIC)
}

/// Marks now as the start of the recording.
pub fn set_start() {
    HOT.start_monotonic_ns
        .store(monotonic_ns(), Ordering::Relaxed);
    START_UNIX_NS.store(read(libc::CLOCK_REALTIME), Ordering::Relaxed);
}

/// `(start_monotonic_ns, start_unix_ns)`.
pub fn start() -> (u64, u64) {
    (
        HOT.start_monotonic_ns.load(Ordering::Relaxed),
        START_UNIX_NS.load(Ordering::Relaxed),
    )
}

/// Nanoseconds since the recording started.
pub fn now() -> u64 {
    since_start(monotonic_ns())
}

/// A [`monotonic_ns`] reading as nanoseconds since the recording started (one clock
/// read serves both a hook's timestamp and its self-timer).
#[inline(always)]
pub fn since_start(monotonic_ns: u64) -> u64 {
    monotonic_ns.saturating_sub(HOT.start_monotonic_ns.load(Ordering::Relaxed))
}

/// A GDK time (µs of CLOCK_MONOTONIC, `g_get_monotonic_time`) as ns since the start;
/// `None` for GDK's 0 = unknown.
pub fn from_gdk_us(us: i64) -> Option<u64> {
    (us > 0)
        .then(|| (us as u64 * 1000).saturating_sub(HOT.start_monotonic_ns.load(Ordering::Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdk_times_convert_and_zero_is_unknown() {
        set_start();
        let (start, _) = start();
        assert_eq!(from_gdk_us(0), None);
        let us = (start / 1000 + 5) as i64;
        let ns = from_gdk_us(us).unwrap();
        assert!(ns <= 5000, "{ns}");
        assert!(now() < 10_000_000_000);
    }
}
