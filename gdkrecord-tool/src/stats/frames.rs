//! Frame-clock cycles: how many, how long, how long each phase took, and which frames
//! went over the budget (the refresh interval) with the phase to blame for each, and the
//! main-loop stall when one overlapped the frame's cycle.

use gdkrecord_format::{Frame, Nanos, Record, SurfaceId};
use serde::Serialize;

use super::mainloop::{StallBlame, StallBlamer};
use super::summary::{ms, Durations, PerPhase, PhaseMeans, SlowestPhase, Worst};
use super::surfaces::fps;

/// The budget of a frame when the recording has no refresh interval: 60 Hz.
pub const DEFAULT_BUDGET_NS: u64 = 16_666_667;

/// Worst frames listed in the report.
const WORST_KEPT: usize = 10;

/// Collects every frame's duration and slowest phase (56 bytes a frame).
#[derive(Debug, Default)]
pub struct FrameStats {
    frames: Vec<FrameSample>,
    phase_total_ns: [u64; 5],
    phase_count: [u64; 5],
    first_start_ns: Option<Nanos>,
    last_end_ns: Nanos,
    refresh_interval_ns: Option<u64>,
}

#[derive(Debug)]
struct FrameSample {
    surface: SurfaceId,
    counter: i64,
    start_ns: Nanos,
    duration_ns: u64,
    slowest: Option<SlowestPhase>,
}

impl FrameStats {
    /// Takes in frames, and the refresh interval from frame timings.
    pub fn observe(&mut self, record: &Record) {
        match record {
            Record::Frame(frame) => self.frame(frame),
            Record::FrameTimings(t) => {
                if let Some(interval) = t.refresh_interval_ns.filter(|i| *i > 0) {
                    self.refresh_interval_ns = Some(interval);
                }
            }
            _ => {}
        }
    }

    fn frame(&mut self, frame: &Frame) {
        for (i, phase) in frame.phases().iter().enumerate() {
            if let Some(phase) = phase {
                self.phase_total_ns[i] += phase.duration_ns();
                self.phase_count[i] += 1;
            }
        }
        self.first_start_ns = Some(
            self.first_start_ns
                .map_or(frame.t_ns, |t| t.min(frame.t_ns)),
        );
        self.last_end_ns = self.last_end_ns.max(frame.end_ns);
        self.frames.push(FrameSample {
            surface: frame.surface,
            counter: frame.counter,
            start_ns: frame.t_ns,
            duration_ns: frame.duration_ns(),
            slowest: SlowestPhase::of(frame),
        });
    }

    /// The frame budget: the last refresh interval recorded, else 60 Hz.
    pub fn budget_ns(&self) -> u64 {
        self.refresh_interval_ns.unwrap_or(DEFAULT_BUDGET_NS)
    }

    /// The `frames` section of the report; `stalls` (sorted by start) are blamed for
    /// the slow frames whose cycle they overlap.
    pub fn report(self, stalls: &StallBlamer) -> FramesReport {
        let budget_ns = self.budget_ns();
        let mut over = OverBudget {
            count: 0,
            share: 0.0,
            slowest_phase: PerPhase::default(),
            delayed_by_stall: 0,
            worst: Vec::new(),
        };
        let mut worst = Worst::new(WORST_KEPT);
        for frame in self.frames.iter().filter(|f| f.duration_ns > budget_ns) {
            over.count += 1;
            if let Some(slowest) = frame.slowest {
                over.slowest_phase.0[slowest.phase] += 1;
            }
            let end_ns = frame.start_ns + frame.duration_ns;
            let stall = stalls.within(frame.start_ns, end_ns);
            over.delayed_by_stall += u64::from(stall.is_some());
            worst.offer(frame.duration_ns, || SlowFrame {
                surface: frame.surface,
                counter: frame.counter,
                t_ms: ms(frame.start_ns),
                duration_ms: ms(frame.duration_ns),
                slowest_phase: frame.slowest.map(|s| s.name()),
                slowest_phase_ms: frame.slowest.map(|s| ms(s.duration_ns)),
                stall,
            });
        }
        over.worst = worst.into_vec();
        if !self.frames.is_empty() {
            over.share =
                (over.count as f64 / self.frames.len() as f64 * 10_000.0).round() / 10_000.0;
        }
        let mut durations: Vec<u64> = self.frames.iter().map(|f| f.duration_ns).collect();
        let mut phase_mean_ms = PhaseMeans::default();
        for i in 0..5 {
            phase_mean_ms.0[i] = self.phase_total_ns[i]
                .checked_div(self.phase_count[i])
                .map(ms);
        }
        let span = self
            .last_end_ns
            .saturating_sub(self.first_start_ns.unwrap_or(0));
        FramesReport {
            count: self.frames.len() as u64,
            fps: fps(self.frames.len() as u64, span),
            budget_ms: ms(budget_ns),
            budget_from: if self.refresh_interval_ns.is_some() {
                "refresh-interval"
            } else {
                "default-60hz"
            },
            duration: Durations::of(&mut durations),
            phase_mean_ms,
            over_budget: over,
        }
    }
}

/// JSON `frames`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FramesReport {
    pub count: u64,
    /// Over all surfaces: (frames − 1) / (last frame's end − first frame's start).
    pub fps: Option<f64>,
    pub budget_ms: f64,
    /// `refresh-interval` (from frame timings) or `default-60hz`.
    pub budget_from: &'static str,
    pub duration: Option<Durations>,
    pub phase_mean_ms: PhaseMeans,
    pub over_budget: OverBudget,
}

/// JSON `frames.over_budget`: the jank, with the phase to blame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverBudget {
    pub count: u64,
    /// Of all frames, 0..1.
    pub share: f64,
    /// How many slow frames had each phase as their slowest.
    pub slowest_phase: PerPhase,
    /// How many slow frames a main-loop stall overlapped.
    pub delayed_by_stall: u64,
    /// The slowest frames, slowest first.
    pub worst: Vec<SlowFrame>,
}

/// One slow frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlowFrame {
    pub surface: SurfaceId,
    pub counter: i64,
    pub t_ms: f64,
    pub duration_ms: f64,
    pub slowest_phase: Option<&'static str>,
    pub slowest_phase_ms: Option<f64>,
    /// The longest stall overlapping the frame's cycle; null when none.
    pub stall: Option<StallBlame>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{FrameTimings, Phase};

    pub fn frame(counter: i64, start: u64, paint_ns: u64) -> Record {
        Record::Frame(Frame {
            t_ns: start,
            surface: SurfaceId(1),
            counter,
            end_ns: start + 1_000_000 + paint_ns,
            before_paint: None,
            update: None,
            layout: Some(Phase {
                start_ns: start,
                end_ns: start + 1_000_000,
            }),
            paint: Some(Phase {
                start_ns: start + 1_000_000,
                end_ns: start + 1_000_000 + paint_ns,
            }),
            after_paint: None,
        })
    }

    #[test]
    fn slow_frames_blame_their_slowest_phase() {
        let mut stats = FrameStats::default();
        stats.observe(&frame(1, 0, 2_000_000));
        stats.observe(&frame(2, 10_000_000, 30_000_000));
        stats.observe(&Record::FrameTimings(FrameTimings {
            t_ns: 50_000_000,
            surface: SurfaceId(1),
            counter: 1,
            frame_time_ns: None,
            presentation_time_ns: None,
            predicted_presentation_time_ns: None,
            refresh_interval_ns: Some(8_333_333),
        }));
        let report = stats.report(&StallBlamer::default());
        assert_eq!(report.count, 2);
        assert_eq!(report.budget_ms, 8.333);
        assert_eq!(report.budget_from, "refresh-interval");
        assert_eq!(report.over_budget.count, 1);
        assert_eq!(report.over_budget.slowest_phase.0, [0, 0, 0, 1, 0]);
        assert_eq!(report.over_budget.worst[0].slowest_phase, Some("paint"));
        assert_eq!(report.phase_mean_ms.0[3], Some(16.0));
        assert_eq!(report.phase_mean_ms.0[0], None);
        assert_eq!(report.fps, Some(24.39));
    }
}
