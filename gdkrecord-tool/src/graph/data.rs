//! What the dashboard shows, collected in one streaming pass: events counted in adaptive
//! time buckets (constant memory whatever the length), frames and damage as compact
//! samples (16 bytes a frame), resizes and main-loop stalls as lists. [`binned`] reduces
//! samples to one min/max/mean per pixel column when drawing.

use std::collections::HashMap;

use gdkrecord_format::{EventType, Header, Nanos, Record, SurfaceId, SurfaceKind};

use crate::input::Filter;
use crate::stalls::StallIndex;

/// Input events are grouped into these rows, in this order, top to bottom.
pub const EVENT_ROWS: [&str; 8] = [
    "motion",
    "button",
    "key",
    "scroll",
    "enter/leave",
    "focus",
    "touch",
    "other",
];

/// The row of [`EVENT_ROWS`] an event type belongs to.
pub fn event_row(event_type: EventType) -> usize {
    match event_type {
        EventType::MOTION_NOTIFY => 0,
        EventType::BUTTON_PRESS | EventType::BUTTON_RELEASE => 1,
        EventType::KEY_PRESS | EventType::KEY_RELEASE => 2,
        EventType::SCROLL => 3,
        EventType::ENTER_NOTIFY | EventType::LEAVE_NOTIFY => 4,
        EventType::FOCUS_CHANGE => 5,
        EventType::TOUCH_BEGIN
        | EventType::TOUCH_UPDATE
        | EventType::TOUCH_END
        | EventType::TOUCH_CANCEL => 6,
        _ => 7,
    }
}

/// Counts of events in time buckets whose width doubles whenever the recording outgrows
/// [`TimeHistogram::BUCKETS`] buckets: exact for short recordings, bounded for long ones.
#[derive(Debug, Clone)]
pub struct TimeHistogram {
    bucket_ns: u64,
    counts: Vec<u64>,
    total: u64,
}

impl TimeHistogram {
    /// More buckets than a dashboard has pixel columns.
    pub const BUCKETS: usize = 8192;

    pub fn new() -> TimeHistogram {
        // 1 ms buckets to start: 8 s before the first doubling.
        TimeHistogram {
            bucket_ns: 1_000_000,
            counts: vec![0; Self::BUCKETS],
            total: 0,
        }
    }

    /// Counts one event `t_ns` after the start of the graphed range.
    pub fn add(&mut self, t_ns: u64) {
        while t_ns / self.bucket_ns >= Self::BUCKETS as u64 {
            for i in 0..Self::BUCKETS / 2 {
                self.counts[i] = self.counts[2 * i] + self.counts[2 * i + 1];
            }
            self.counts[Self::BUCKETS / 2..].fill(0);
            self.bucket_ns *= 2;
        }
        self.counts[(t_ns / self.bucket_ns) as usize] += 1;
        self.total += 1;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Counts summed into `columns` columns spanning `0..span_ns`.
    pub fn columns(&self, columns: usize, span_ns: u64) -> Vec<u64> {
        let mut out = vec![0; columns];
        if columns == 0 {
            return out;
        }
        for (i, &count) in self.counts.iter().enumerate().filter(|(_, &c)| c > 0) {
            let middle = i as u64 * self.bucket_ns + self.bucket_ns / 2;
            let column = (middle as f64 / span_ns.max(1) as f64 * columns as f64) as usize;
            out[column.min(columns - 1)] += count;
        }
        out
    }
}

/// A value at a time (frame duration in ms, damaged percentage of the window).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// ns after the start of the graphed range.
    pub t_ns: u64,
    pub value: f32,
}

/// Per pixel column: the smallest, largest and mean value, and how many samples.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bin {
    pub count: u32,
    pub min: f32,
    pub max: f32,
    pub mean: f32,
}

/// Samples reduced to one [`Bin`] per column.
pub fn binned(samples: &[Sample], columns: usize, span_ns: u64) -> Vec<Bin> {
    let mut bins = vec![Bin::default(); columns];
    let mut sums = vec![0f64; columns];
    if columns == 0 {
        return bins;
    }
    for sample in samples {
        let column = ((sample.t_ns as f64 / span_ns.max(1) as f64) * columns as f64) as usize;
        let column = column.min(columns - 1);
        let bin = &mut bins[column];
        if bin.count == 0 {
            bin.min = sample.value;
            bin.max = sample.value;
        } else {
            bin.min = bin.min.min(sample.value);
            bin.max = bin.max.max(sample.value);
        }
        bin.count += 1;
        sums[column] += f64::from(sample.value);
    }
    for (bin, sum) in bins.iter_mut().zip(sums) {
        if bin.count > 0 {
            bin.mean = (sum / f64::from(bin.count)) as f32;
        }
    }
    bins
}

/// A toplevel took a new size.
#[derive(Debug, Clone)]
pub struct Resize {
    pub t_ns: u64,
    pub surface: SurfaceId,
    pub width: i32,
    pub height: i32,
}

/// Everything the dashboard draws.
#[derive(Debug)]
pub struct GraphData {
    pub header: Option<Header>,
    /// Recording time (ns since its start) of the graphed range's left edge.
    pub origin_ns: Nanos,
    /// Whether `--from` or `--to` narrowed the range.
    pub windowed: bool,
    /// Length of the graphed range.
    pub span_ns: u64,
    pub events: Vec<TimeHistogram>,
    /// Frame-clock cycle durations, ms.
    pub frames: Vec<Sample>,
    /// Damaged area per damage record, percent of the surface.
    pub damage: Vec<Sample>,
    /// Whether any renderer damage was recorded (else `damage` holds the painted region).
    pub damage_is_painted: bool,
    pub resizes: Vec<Resize>,
    pub refresh_interval_ns: Option<u64>,
    pub records: u64,
    /// Main-loop stalls overlapping the graphed range, by start.
    pub stalls: Vec<StallSpan>,
}

/// A main-loop stall, relative to the graphed range's left edge (clipped to it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StallSpan {
    pub t_ns: u64,
    /// How long it is shown (after clipping).
    pub shown_ns: u64,
    /// How long the stall lasted (its label).
    pub duration_ns: u64,
    /// The recording ended during it: it lasted at least `duration_ns`.
    pub ongoing_at_end: bool,
}

impl GraphData {
    /// The frame budget: the display's refresh interval, or 60 Hz when unknown.
    pub fn budget_ms(&self) -> f32 {
        self.refresh_interval_ns
            .map_or(1000.0 / 60.0, |ns| ns as f32 / 1e6)
    }
}

/// Collects [`GraphData`] from records in file order; records outside `from..=to` only
/// update what is needed to interpret the others (surface sizes).
#[derive(Debug)]
pub struct Collector {
    from_ns: Nanos,
    to_ns: Option<Nanos>,
    header: Option<Header>,
    events: Vec<TimeHistogram>,
    frames: Vec<Sample>,
    damage: Vec<Sample>,
    painted: Vec<Sample>,
    resizes: Vec<Resize>,
    sizes: HashMap<SurfaceId, (SurfaceKind, i32, i32)>,
    refresh_interval_ns: Option<u64>,
    /// The last time seen anywhere in the recording.
    last_ns: Nanos,
    records: u64,
    stalls: StallIndex,
}

impl Collector {
    pub fn new(from_ns: Option<Nanos>, to_ns: Option<Nanos>) -> Collector {
        Collector {
            from_ns: from_ns.unwrap_or(0),
            to_ns,
            header: None,
            events: (0..EVENT_ROWS.len())
                .map(|_| TimeHistogram::new())
                .collect(),
            frames: Vec::new(),
            damage: Vec::new(),
            painted: Vec::new(),
            resizes: Vec::new(),
            sizes: HashMap::new(),
            refresh_interval_ns: None,
            last_ns: 0,
            records: 0,
            stalls: StallIndex::new(),
        }
    }

    pub fn push(&mut self, record: &Record) {
        let t = record.t_ns();
        // Stalls are kept whole and clipped to the range at the end: one that started
        // before `--from` may still cover part of it.
        if matches!(record, Record::Stall(_) | Record::StallSample(_)) {
            self.stalls.add(record, &Filter::default());
        }
        let inside = t >= self.from_ns && self.to_ns.is_none_or(|to| t <= to);
        let rel = t.saturating_sub(self.from_ns);
        self.last_ns = self.last_ns.max(t);
        if let Record::Frame(f) = record {
            self.last_ns = self.last_ns.max(f.end_ns);
        }
        match record {
            Record::Header(h) => self.header = Some(h.clone()),
            Record::Surface(s) => {
                self.sizes
                    .insert(s.surface, (s.surface_kind, s.width, s.height));
                if inside && s.surface_kind == SurfaceKind::TOPLEVEL {
                    self.resizes.push(Resize {
                        t_ns: rel,
                        surface: s.surface,
                        width: s.width,
                        height: s.height,
                    });
                }
            }
            Record::Size(s) => {
                let kind = self
                    .sizes
                    .get(&s.surface)
                    .map_or(SurfaceKind::TOPLEVEL, |k| k.0);
                self.sizes.insert(s.surface, (kind, s.width, s.height));
                if inside && kind == SurfaceKind::TOPLEVEL {
                    self.resizes.push(Resize {
                        t_ns: rel,
                        surface: s.surface,
                        width: s.width,
                        height: s.height,
                    });
                }
            }
            Record::FrameTimings(timings) if self.refresh_interval_ns.is_none() => {
                self.refresh_interval_ns = timings.refresh_interval_ns.filter(|&ns| ns > 0);
            }
            _ => {}
        }
        if !inside {
            return;
        }
        self.records += 1;
        match record {
            Record::Event(e) => self.events[event_row(e.event_type)].add(rel),
            Record::Frame(f) => {
                self.frames.push(Sample {
                    t_ns: rel,
                    value: f.duration_ns() as f32 / 1e6,
                });
            }
            Record::Damage(d) | Record::Painted(d) => {
                let (_, w, h) =
                    self.sizes
                        .get(&d.surface)
                        .copied()
                        .unwrap_or((SurfaceKind::TOPLEVEL, 0, 0));
                let window = i64::from(w.max(0)) * i64::from(h.max(0));
                let percent = if window > 0 {
                    (d.area() as f64 / window as f64 * 100.0).min(100.0) as f32
                } else {
                    0.0
                };
                let sample = Sample {
                    t_ns: rel,
                    value: percent,
                };
                if matches!(record, Record::Damage(_)) {
                    self.damage.push(sample);
                } else {
                    self.painted.push(sample);
                }
            }
            _ => {}
        }
    }

    pub fn finish(self) -> GraphData {
        let end = match self.to_ns {
            Some(to) => to.min(self.last_ns.max(self.from_ns)),
            None => self.last_ns,
        };
        let span_ns = end.saturating_sub(self.from_ns).max(1_000_000);
        let damage_is_painted = self.damage.is_empty() && !self.painted.is_empty();
        let stalls = self
            .stalls
            .finish()
            .into_iter()
            .filter(|s| s.end_ns() >= self.from_ns && s.start_ns <= end)
            .map(|s| {
                let start = s.start_ns.max(self.from_ns);
                StallSpan {
                    t_ns: start - self.from_ns,
                    shown_ns: s.end_ns().min(end).saturating_sub(start),
                    duration_ns: s.duration_ns,
                    ongoing_at_end: s.ongoing_at_end,
                }
            })
            .collect();
        GraphData {
            header: self.header,
            origin_ns: self.from_ns,
            windowed: self.from_ns > 0 || self.to_ns.is_some(),
            span_ns,
            events: self.events,
            frames: self.frames,
            damage: if damage_is_painted {
                self.painted
            } else {
                self.damage
            },
            damage_is_painted,
            resizes: self.resizes,
            refresh_interval_ns: self.refresh_interval_ns,
            records: self.records,
            stalls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_merges_buckets_when_time_outgrows_it() {
        let mut h = TimeHistogram::new();
        h.add(0);
        h.add(500_000);
        h.add(1_000_000);
        h.add(100_000_000_000); // 100 s: needs 1 ms × 2^4 buckets
        assert_eq!(h.total(), 4);
        assert_eq!(h.counts.iter().sum::<u64>(), 4);
        let columns = h.columns(10, 100_000_000_000);
        assert_eq!(columns[0], 3);
        assert_eq!(columns[9], 1);
    }

    #[test]
    fn bins_keep_min_max_and_mean_per_column() {
        let samples = [
            Sample {
                t_ns: 0,
                value: 2.0,
            },
            Sample {
                t_ns: 10,
                value: 6.0,
            },
            Sample {
                t_ns: 60,
                value: 40.0,
            },
            Sample {
                t_ns: 100,
                value: 1.0,
            },
        ];
        let bins = binned(&samples, 2, 100);
        assert_eq!(bins[0].count, 2);
        assert_eq!((bins[0].min, bins[0].max, bins[0].mean), (2.0, 6.0, 4.0));
        assert_eq!(
            bins[1].count, 2,
            "the sample at the end goes into the last column"
        );
        assert_eq!(bins[1].max, 40.0);
    }
}
