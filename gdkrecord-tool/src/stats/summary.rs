//! Numbers shared by the sections of the report: times in ms, percentiles, counts per
//! frame-clock phase, and the slowest phase of a frame (the "jank blame").

use gdkrecord_format::{Frame, PHASE_NAMES};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Nanoseconds as milliseconds, rounded to the microsecond (what the JSON shows).
pub fn ms(ns: u64) -> f64 {
    (ns as f64 / 1_000.0).round() / 1_000.0
}

/// The value at quantile `q` (0..=1) of sorted `values`, nearest-rank.
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Count, mean and percentiles of durations, in ms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Durations {
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Durations {
    /// Summarises `values` (ns; sorted here); `None` when there are none.
    pub fn of(values: &mut [u64]) -> Option<Durations> {
        let [count, mean, p50, p95, p99, max] = summarise(values)?;
        Some(Durations {
            count: count as usize,
            mean_ms: ms(mean),
            p50_ms: ms(p50),
            p95_ms: ms(p95),
            p99_ms: ms(p99),
            max_ms: ms(max),
        })
    }
}

/// Count, mean and percentiles of areas, in square pixels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Areas {
    pub count: usize,
    pub mean_px: u64,
    pub p50_px: u64,
    pub p95_px: u64,
    pub p99_px: u64,
    pub max_px: u64,
}

impl Areas {
    /// Summarises `values` (sorted here); `None` when there are none.
    pub fn of(values: &mut [u64]) -> Option<Areas> {
        let [count, mean, p50, p95, p99, max] = summarise(values)?;
        Some(Areas {
            count: count as usize,
            mean_px: mean,
            p50_px: p50,
            p95_px: p95,
            p99_px: p99,
            max_px: max,
        })
    }
}

/// `[count, mean, p50, p95, p99, max]` of `values`, which it sorts.
fn summarise(values: &mut [u64]) -> Option<[u64; 6]> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let sum: u128 = values.iter().map(|v| u128::from(*v)).sum();
    let mean = (sum / values.len() as u128) as u64;
    Some([
        values.len() as u64,
        mean,
        quantile(values, 0.50),
        quantile(values, 0.95),
        quantile(values, 0.99),
        values[values.len() - 1],
    ])
}

/// A count per frame-clock phase; JSON: an object keyed by phase name, in phase order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerPhase(pub [u64; 5]);

impl PerPhase {
    /// The phases with a non-zero count, in phase order.
    pub fn nonzero(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        PHASE_NAMES
            .iter()
            .zip(self.0)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| (*name, n))
    }
}

impl Serialize for PerPhase {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(5))?;
        for (name, count) in PHASE_NAMES.iter().zip(self.0) {
            map.serialize_entry(name, &count)?;
        }
        map.end()
    }
}

/// The mean duration of each phase in ms (`null` for a phase that never ran), in phase order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PhaseMeans(pub [Option<f64>; 5]);

impl Serialize for PhaseMeans {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(5))?;
        for (name, mean) in PHASE_NAMES.iter().zip(self.0) {
            map.serialize_entry(name, &mean)?;
        }
        map.end()
    }
}

/// The phase that took longest in a frame: index into [`PHASE_NAMES`] and duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlowestPhase {
    pub phase: usize,
    pub duration_ns: u64,
}

impl SlowestPhase {
    /// The slowest phase of `frame`, `None` when no phase ran.
    pub fn of(frame: &Frame) -> Option<SlowestPhase> {
        frame
            .phases()
            .iter()
            .enumerate()
            .filter_map(|(phase, p)| {
                p.map(|p| SlowestPhase {
                    phase,
                    duration_ns: p.duration_ns(),
                })
            })
            .max_by_key(|s| (s.duration_ns, std::cmp::Reverse(s.phase)))
    }

    /// The phase's name (`paint`).
    pub fn name(&self) -> &'static str {
        PHASE_NAMES[self.phase]
    }
}

/// Keeps the `capacity` largest items seen (by `key`), largest first.
#[derive(Debug)]
pub struct Worst<T> {
    capacity: usize,
    items: Vec<(u64, T)>,
}

impl<T> Worst<T> {
    pub fn new(capacity: usize) -> Worst<T> {
        Worst {
            capacity,
            items: Vec::with_capacity(capacity + 1),
        }
    }

    pub fn offer(&mut self, key: u64, item: impl FnOnce() -> T) {
        if self.items.len() == self.capacity && self.items.last().is_some_and(|(k, _)| *k >= key) {
            return;
        }
        let at = self.items.partition_point(|(k, _)| *k >= key);
        self.items.insert(at, (key, item()));
        self.items.truncate(self.capacity);
    }

    pub fn into_vec(self) -> Vec<T> {
        self.items.into_iter().map(|(_, item)| item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Phase, SurfaceId};

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut values: Vec<u64> = (1..=100).rev().collect();
        let d =
            Durations::of(&mut values.iter().map(|v| v * 1_000_000).collect::<Vec<_>>()).unwrap();
        assert_eq!(
            (d.count, d.p50_ms, d.p95_ms, d.p99_ms, d.max_ms),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(d.mean_ms, 50.5);
        assert!(Durations::of(&mut []).is_none());
        assert_eq!(quantile(&[7], 0.99), 7);
        values.sort();
        assert_eq!(quantile(&values, 0.0), 1);
    }

    #[test]
    fn the_slowest_phase_is_blamed() {
        let mut frame = Frame {
            t_ns: 0,
            surface: SurfaceId(1),
            counter: 1,
            end_ns: 30,
            before_paint: None,
            update: Some(Phase {
                start_ns: 0,
                end_ns: 5,
            }),
            layout: Some(Phase {
                start_ns: 5,
                end_ns: 25,
            }),
            paint: Some(Phase {
                start_ns: 25,
                end_ns: 30,
            }),
            after_paint: None,
        };
        assert_eq!(
            SlowestPhase::of(&frame).map(|s| (s.name(), s.duration_ns)),
            Some(("layout", 20))
        );
        frame.update = None;
        frame.layout = None;
        frame.paint = None;
        assert_eq!(SlowestPhase::of(&frame), None);
    }

    #[test]
    fn worst_keeps_the_largest() {
        let mut worst = Worst::new(3);
        for v in [5, 1, 9, 3, 7, 9] {
            worst.offer(v, || v);
        }
        assert_eq!(worst.into_vec(), [9, 9, 7]);
    }
}
