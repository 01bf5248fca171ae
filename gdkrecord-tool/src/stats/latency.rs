//! Input latency: for each input event, the time from the event to the end of the next
//! frame of its surface's toplevel that painted (had a `damage` record), and for the
//! latencies over budget, the slowest phase of that frame and the main-loop stall that
//! delayed the answer, if one did (see [`StallBlamer::for_input`]).
//!
//! Counted: button, key, scroll, touch, touchpad and pad events. Pointer motion,
//! crossing, focus and the like are left out: motion comes continuously and most of it
//! changes nothing on screen, so "the next frame that painted" says little about it.
//! A frame answers the events that came before it started; events arriving during a frame
//! wait for the next. When the recording has no damage capture, every frame counts as
//! painting.

use std::collections::{BTreeMap, HashMap, VecDeque};

use gdkrecord_format::{Event, EventType, Frame, Nanos, Record, SurfaceId};
use serde::Serialize;

use super::mainloop::{StallBlame, StallBlamer};
use super::summary::{ms, Durations, PerPhase, SlowestPhase, Worst};
use super::surfaces::Surfaces;

/// Worst latencies listed in the report.
const WORST_KEPT: usize = 10;
/// Frames (or damage records) kept per toplevel while waiting for their partner record:
/// the recorder writes a frame's damage during its paint phase, before the frame record.
const UNPAIRED_KEPT: usize = 16;

/// Whether events of this type count for input latency.
pub fn is_counted_input(event_type: EventType) -> bool {
    matches!(
        event_type,
        EventType::BUTTON_PRESS
            | EventType::BUTTON_RELEASE
            | EventType::KEY_PRESS
            | EventType::KEY_RELEASE
            | EventType::SCROLL
            | EventType::TOUCH_BEGIN
            | EventType::TOUCH_UPDATE
            | EventType::TOUCH_END
            | EventType::TOUCH_CANCEL
            | EventType::TOUCHPAD_SWIPE
            | EventType::TOUCHPAD_PINCH
            | EventType::TOUCHPAD_HOLD
            | EventType::PAD_BUTTON_PRESS
            | EventType::PAD_BUTTON_RELEASE
            | EventType::PAD_RING
            | EventType::PAD_STRIP
    )
}

/// Pairs input events with the painting frames that answered them.
#[derive(Debug)]
pub struct LatencyStats {
    every_frame_paints: bool,
    toplevels: HashMap<SurfaceId, Toplevel>,
    inputs: u64,
    samples: Vec<Sample>,
}

#[derive(Debug, Default)]
struct Toplevel {
    /// Input events not answered yet: `(t_ns, time_ms, type)`.
    waiting: VecDeque<(Nanos, u32, EventType)>,
    /// Frames seen whose damage was not (yet) seen.
    frames_without_damage: VecDeque<FrameEnd>,
    /// Frame counters with damage whose frame record was not (yet) seen.
    damage_without_frame: VecDeque<i64>,
}

#[derive(Clone, Copy, Debug)]
struct FrameEnd {
    counter: i64,
    start_ns: Nanos,
    end_ns: Nanos,
    slowest: Option<SlowestPhase>,
}

#[derive(Debug)]
struct Sample {
    event_type: EventType,
    t_ns: Nanos,
    /// The windowing system's time of the event, to tell when it arrived.
    time_ms: u32,
    latency_ns: u64,
    frame: FrameEnd,
}

impl LatencyStats {
    /// `damage_capture`: whether the recording says damage is recorded.
    pub fn new(damage_capture: bool) -> LatencyStats {
        LatencyStats {
            every_frame_paints: !damage_capture,
            toplevels: HashMap::new(),
            inputs: 0,
            samples: Vec::new(),
        }
    }

    /// Takes in events, frames and damage; `surfaces` knows each surface's toplevel.
    pub fn observe(&mut self, record: &Record, surfaces: &Surfaces) {
        match record {
            Record::Event(event) => self.event(event, surfaces),
            Record::Frame(frame) => self.frame(frame, surfaces),
            Record::Damage(damage) => {
                let toplevel = self
                    .toplevels
                    .entry(surfaces.toplevel(damage.surface))
                    .or_default();
                match toplevel
                    .frames_without_damage
                    .iter()
                    .position(|f| f.counter == damage.frame)
                {
                    Some(at) => {
                        let frame = toplevel
                            .frames_without_damage
                            .remove(at)
                            .expect("position is in range");
                        answer(toplevel, frame, &mut self.samples);
                    }
                    None if !toplevel.damage_without_frame.contains(&damage.frame) => {
                        push_bounded(&mut toplevel.damage_without_frame, damage.frame);
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }

    fn event(&mut self, event: &Event, surfaces: &Surfaces) {
        if is_counted_input(event.event_type) {
            self.inputs += 1;
            let toplevel = self
                .toplevels
                .entry(surfaces.toplevel(event.surface))
                .or_default();
            toplevel
                .waiting
                .push_back((event.t_ns, event.time_ms, event.event_type));
        }
    }

    fn frame(&mut self, frame: &Frame, surfaces: &Surfaces) {
        let end = FrameEnd {
            counter: frame.counter,
            start_ns: frame.t_ns,
            end_ns: frame.end_ns,
            slowest: SlowestPhase::of(frame),
        };
        let toplevel = self
            .toplevels
            .entry(surfaces.toplevel(frame.surface))
            .or_default();
        if let Some(at) = toplevel
            .damage_without_frame
            .iter()
            .position(|c| *c == frame.counter)
        {
            toplevel.damage_without_frame.remove(at);
            answer(toplevel, end, &mut self.samples);
        } else if self.every_frame_paints {
            answer(toplevel, end, &mut self.samples);
        } else {
            push_bounded(&mut toplevel.frames_without_damage, end);
        }
    }

    /// The `input_latency` section of the report; `frame_budget_ns` sets its budget,
    /// `stalls` (sorted by start) are blamed for the slow answers they delayed.
    pub fn report(self, frame_budget_ns: u64, stalls: &StallBlamer) -> LatencyReport {
        let budget_ns = 2 * frame_budget_ns;
        let mut over = LatencyOverBudget {
            count: 0,
            slowest_phase: PerPhase::default(),
            delayed_by_stall: 0,
            worst: Vec::new(),
        };
        let mut worst = Worst::new(WORST_KEPT);
        let mut by_type: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for sample in &self.samples {
            by_type
                .entry(sample.event_type.to_string())
                .or_default()
                .push(sample.latency_ns);
            if sample.latency_ns > budget_ns {
                over.count += 1;
                if let Some(slowest) = sample.frame.slowest {
                    over.slowest_phase.0[slowest.phase] += 1;
                }
                let stall = stalls.for_input(sample.t_ns, sample.time_ms, sample.frame.end_ns);
                over.delayed_by_stall += u64::from(stall.is_some());
                worst.offer(sample.latency_ns, || SlowInput {
                    event_type: sample.event_type.to_string(),
                    t_ms: ms(sample.t_ns),
                    latency_ms: ms(sample.latency_ns),
                    frame_counter: sample.frame.counter,
                    frame_ms: ms(sample.frame.end_ns.saturating_sub(sample.frame.start_ns)),
                    slowest_phase: sample.frame.slowest.map(|s| s.name()),
                    slowest_phase_ms: sample.frame.slowest.map(|s| ms(s.duration_ns)),
                    stall,
                });
            }
        }
        over.worst = worst.into_vec();
        let mut all: Vec<u64> = self.samples.iter().map(|s| s.latency_ns).collect();
        let measured = all.len() as u64;
        LatencyReport {
            inputs: self.inputs,
            measured,
            unanswered: self.inputs - measured,
            latency: Durations::of(&mut all),
            budget_ms: ms(budget_ns),
            over_budget: over,
            by_type: by_type
                .into_iter()
                .filter_map(|(t, mut v)| Some((t, Durations::of(&mut v)?)))
                .collect(),
        }
    }
}

/// `frame` painted: it answers every event of its toplevel that came before it started.
fn answer(toplevel: &mut Toplevel, frame: FrameEnd, samples: &mut Vec<Sample>) {
    while let Some(&(t_ns, time_ms, event_type)) = toplevel.waiting.front() {
        if t_ns > frame.start_ns {
            break;
        }
        toplevel.waiting.pop_front();
        samples.push(Sample {
            event_type,
            t_ns,
            time_ms,
            latency_ns: frame.end_ns.saturating_sub(t_ns),
            frame,
        });
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() == UNPAIRED_KEPT {
        queue.pop_front();
    }
    queue.push_back(item);
}

/// JSON `input_latency`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyReport {
    /// Input events counted (see the module docs for which).
    pub inputs: u64,
    /// Those followed by a painting frame.
    pub measured: u64,
    /// Those no painting frame followed before the recording ended.
    pub unanswered: u64,
    pub latency: Option<Durations>,
    /// Twice the frame budget: the event may wait up to one refresh for the next frame,
    /// which then has one refresh to draw.
    pub budget_ms: f64,
    pub over_budget: LatencyOverBudget,
    /// Latency per event type.
    pub by_type: BTreeMap<String, Durations>,
}

/// JSON `input_latency.over_budget`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyOverBudget {
    pub count: u64,
    /// For how many slow answers each phase was the slowest of the answering frame.
    pub slowest_phase: PerPhase,
    /// How many slow answers a main-loop stall delayed.
    pub delayed_by_stall: u64,
    pub worst: Vec<SlowInput>,
}

/// One slowly answered input event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlowInput {
    #[serde(rename = "type")]
    pub event_type: String,
    pub t_ms: f64,
    pub latency_ms: f64,
    /// The frame that answered it: its counter, duration and slowest phase.
    pub frame_counter: i64,
    pub frame_ms: f64,
    pub slowest_phase: Option<&'static str>,
    pub slowest_phase_ms: Option<f64>,
    /// The longest stall between the event and the end of the answering frame, or the
    /// stall the event arrived during; null when none.
    pub stall: Option<StallBlame>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Damage, Phase, Renderer};

    fn frame(counter: i64, start: u64, paint_ns: u64) -> Record {
        Record::Frame(Frame {
            t_ns: start,
            surface: SurfaceId(1),
            counter,
            end_ns: start + 1_000_000 + paint_ns,
            before_paint: None,
            update: Some(Phase {
                start_ns: start,
                end_ns: start + 1_000_000,
            }),
            layout: None,
            paint: Some(Phase {
                start_ns: start + 1_000_000,
                end_ns: start + 1_000_000 + paint_ns,
            }),
            after_paint: None,
        })
    }

    fn damage(counter: i64, t: u64) -> Record {
        Record::Damage(Damage {
            t_ns: t,
            surface: SurfaceId(1),
            frame: counter,
            renderer: Renderer::GL,
            rects: vec![],
        })
    }

    fn press(t: u64) -> Record {
        Record::Event(Event::new(t, SurfaceId(1), EventType::BUTTON_PRESS, 0))
    }

    #[test]
    fn the_next_painting_frame_answers_and_is_blamed() {
        let surfaces = Surfaces::default();
        let mut stats = LatencyStats::new(true);
        let motion = Record::Event(Event::new(0, SurfaceId(1), EventType::MOTION_NOTIFY, 0));
        for record in [
            motion,
            press(1_000_000),
            frame(1, 2_000_000, 1_000_000), // no damage: does not answer
            damage(2, 12_000_000),          // damage first, as the recorder writes it
            press(10_500_000),              // arrives while frame 2 runs: waits for frame 3
            frame(2, 10_000_000, 1_000_000),
            frame(3, 20_000_000, 40_000_000),
            damage(3, 21_000_000), // damage after its frame also pairs
        ] {
            stats.observe(&record, &surfaces);
        }
        let report = stats.report(16_666_667, &StallBlamer::default());
        assert_eq!(
            (report.inputs, report.measured, report.unanswered),
            (2, 2, 0)
        );
        let latency = report.latency.unwrap();
        assert_eq!(latency.p50_ms, 11.0); // 1 ms -> end of frame 2 at 12 ms
        assert_eq!(latency.max_ms, 50.5); // 10.5 ms -> end of frame 3 at 61 ms
        assert_eq!(report.over_budget.count, 1);
        assert_eq!(report.over_budget.slowest_phase.0, [0, 0, 0, 1, 0]);
        assert_eq!(report.over_budget.worst[0].frame_counter, 3);
        assert_eq!(report.by_type["button-press"].count, 2);
    }

    #[test]
    fn without_damage_capture_every_frame_answers() {
        let surfaces = Surfaces::default();
        let mut stats = LatencyStats::new(false);
        stats.observe(&press(0), &surfaces);
        stats.observe(&frame(1, 1_000, 1_000), &surfaces);
        stats.observe(&press(5_000_000), &surfaces);
        let report = stats.report(16_666_667, &StallBlamer::default());
        assert_eq!((report.measured, report.unanswered), (1, 1));
    }
}
