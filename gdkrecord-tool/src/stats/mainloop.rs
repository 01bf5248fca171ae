//! The main loop: how busy it was (utilisation, overall and in its busiest second), its
//! slowest GSource dispatches with their callbacks named, and a summary of its stalls
//! with their stacks grouped as `stalls --group` does. The stalls found here are also
//! what the frames and input-latency sections blame their slow cases on.
//!
//! Utilisation is Σ work / Σ (work + poll) over `loop-summary` records (format version
//! 2), or over `loop-iteration` records in version 1 files, which have one per iteration
//! (in version 2 those are only the slow iterations, already counted in the summaries).
//! For the busiest second, each iteration's poll (`t_ns − poll_ns .. t_ns`) and work
//! (`t_ns .. t_ns + work_ns`), or each summary's stretch, are spread over whole seconds of
//! recording time (`0–1 s`, `1–2 s`, …) and the second with the largest busy share wins;
//! a second the records cover for less than half is left out, so a lone iteration at the
//! edge of the recording does not count as a busy second. The recorder cuts summaries at
//! whole seconds, so both versions give the same figures.

use std::collections::BTreeMap;

use gdkrecord_format::{CodeAddress, LoopSummary, Nanos, Record};
use serde::Serialize;

use super::summary::{ms, Worst};
use crate::input::Filter;
use crate::stalls::{self, StallIndex, StallInfo};
use crate::symbolize::Symbolizer;

/// Slowest dispatches listed in the report.
const DISPATCHES_KEPT: usize = 10;
/// Stack groups and longest stalls listed in the report.
const STALLS_KEPT: usize = 3;
const SECOND_NS: u64 = 1_000_000_000;

/// Collects iterations, dispatches and stalls.
#[derive(Debug)]
pub struct MainLoopStats {
    /// From `loop-iteration` records: the figures of a version 1 file.
    from_iterations: LoopTime,
    /// From `loop-summary` records: the figures of a version 2 file.
    from_summaries: LoopTime,
    /// The file is version 2 or later (its `loop-iteration` records are the slow ones only).
    summarised: bool,
    dispatches: u64,
    dispatch_total_ns: u64,
    slowest_dispatches: Worst<DispatchSample>,
    stalls: StallIndex,
}

#[derive(Debug)]
struct DispatchSample {
    t_ns: Nanos,
    duration_ns: u64,
    source: Option<String>,
    source_type: String,
    priority: i32,
    callback: Option<CodeAddress>,
}

/// Spans longer than this (a damaged record's garbage, rather than a program hung for a
/// day) count in the totals but not in the busiest second, which would loop over them.
const LONGEST_SPREAD_NS: u64 = 86_400 * SECOND_NS;

/// Adds the part of `start..end` falling in each second to `add(second, ns)`.
fn spread(start: Nanos, end: Nanos, mut add: impl FnMut(u64, u64)) {
    if end.saturating_sub(start) > LONGEST_SPREAD_NS {
        return;
    }
    let mut t = start;
    while t < end {
        let second = t / SECOND_NS;
        // Saturating: the last second of u64's range has no end to wrap past.
        let upto = (second + 1).saturating_mul(SECOND_NS).min(end);
        add(second, upto - t);
        t = upto;
    }
}

/// The main loop's time: totals and the busiest second.
#[derive(Debug, Default)]
struct LoopTime {
    iterations: u64,
    work_ns: u64,
    poll_ns: u64,
    /// `(work, poll)` ns per whole second of recording time, for the seconds records
    /// may still add to; earlier ones are closed into `busiest_second`.
    open_seconds: BTreeMap<u64, (u64, u64)>,
    /// The busiest closed second and its utilisation.
    busiest_second: Option<(u64, f64)>,
}

impl LoopTime {
    /// One iteration: poll over `t − poll_ns .. t`, then work over `t .. t + work_ns`.
    fn add_iteration(&mut self, t: Nanos, poll_ns: u64, work_ns: u64) {
        self.iterations += 1;
        self.work_ns = self.work_ns.saturating_add(work_ns);
        self.poll_ns = self.poll_ns.saturating_add(poll_ns);
        let end = t.saturating_add(work_ns);
        let open_seconds = &mut self.open_seconds;
        spread(t.saturating_sub(poll_ns), t, |s, ns| {
            open_seconds.entry(s).or_default().1 += ns;
        });
        spread(t, end, |s, ns| {
            open_seconds.entry(s).or_default().0 += ns;
        });
        // Iterations come in order: the next one's poll starts where this one's
        // work ended, so the seconds before are complete.
        self.close_seconds_before(end / SECOND_NS);
    }

    /// A stretch of iterations; its work and poll are spread evenly over it (the
    /// recorder's stretches lie within one second, or are pure poll).
    fn add_summary(&mut self, summary: &LoopSummary) {
        self.iterations = self.iterations.saturating_add(summary.iterations);
        self.work_ns = self.work_ns.saturating_add(summary.work_ns);
        self.poll_ns = self.poll_ns.saturating_add(summary.poll_ns);
        let span = u128::from(summary.work_ns) + u128::from(summary.poll_ns);
        let end = summary.end_ns();
        let open_seconds = &mut self.open_seconds;
        spread(summary.t_ns, end, |s, ns| {
            let work = (u128::from(ns) * u128::from(summary.work_ns) / span.max(1)) as u64;
            let second = open_seconds.entry(s).or_default();
            second.0 += work;
            second.1 += ns - work;
        });
        // Stretches come in order, each starting where the one before ended.
        self.close_seconds_before(end / SECOND_NS);
    }

    /// Moves the seconds before `second` out of `open_seconds`, keeping the busiest
    /// (the earliest of equals) among those the records covered for half of it or more.
    fn close_seconds_before(&mut self, second: u64) {
        while let Some(entry) = self.open_seconds.first_entry() {
            if *entry.key() >= second {
                break;
            }
            let (closed, (work, poll)) = entry.remove_entry();
            if work.saturating_add(poll) < SECOND_NS / 2 {
                continue;
            }
            let utilisation = share(work, poll);
            if self
                .busiest_second
                .is_none_or(|(_, best)| utilisation > best)
            {
                self.busiest_second = Some((closed, utilisation));
            }
        }
    }
}

impl MainLoopStats {
    /// A collector for a file of format version `format_version` (1 when unknown).
    pub fn new(format_version: u16) -> MainLoopStats {
        MainLoopStats {
            from_iterations: LoopTime::default(),
            from_summaries: LoopTime::default(),
            summarised: format_version >= 2,
            dispatches: 0,
            dispatch_total_ns: 0,
            slowest_dispatches: Worst::new(DISPATCHES_KEPT),
            stalls: StallIndex::new(),
        }
    }

    /// Takes in iterations, dispatches, stalls and the input events stalls are shown with.
    pub fn observe(&mut self, record: &Record) {
        // The records reaching `stats` are already filtered.
        self.stalls.add(record, &Filter::default());
        match record {
            Record::LoopIteration(iteration) if !self.summarised => {
                self.from_iterations.add_iteration(
                    iteration.t_ns,
                    iteration.poll_ns,
                    iteration.work_ns,
                );
            }
            Record::LoopSummary(summary) => {
                // A version 1 file has none; without a header, the first one tells.
                self.summarised = true;
                self.from_summaries.add_summary(summary);
            }
            Record::Dispatch(dispatch) => {
                self.dispatches += 1;
                self.dispatch_total_ns += dispatch.duration_ns;
                self.slowest_dispatches
                    .offer(dispatch.duration_ns, || DispatchSample {
                        t_ns: dispatch.t_ns,
                        duration_ns: dispatch.duration_ns,
                        source: dispatch.source.clone(),
                        source_type: dispatch.source_type.clone(),
                        priority: dispatch.priority,
                        callback: dispatch.callback.clone(),
                    });
            }
            _ => {}
        }
    }

    /// The `main_loop` section, and the stalls (sorted by start, each with its
    /// [`StallBlame`]) for the other sections to blame.
    pub fn report(self, symbolizer: &mut Symbolizer) -> (MainLoopReport, StallBlamer) {
        let mut time = if self.summarised {
            self.from_summaries
        } else {
            self.from_iterations
        };
        time.close_seconds_before(u64::MAX);
        let clock_offset_ms = self.stalls.clock_offset_ms();
        let stalls: Vec<StallInfo> = self.stalls.finish();
        let blamed: Vec<BlamedStall> = stalls
            .iter()
            .map(|stall| BlamedStall {
                blame: StallBlame {
                    t_ms: ms(stall.start_ns),
                    duration_ms: ms(stall.duration_ns),
                    place: stalls::stall_place(stall, symbolizer),
                },
                stall: stall.clone(),
            })
            .collect();
        let worst_second = time
            .busiest_second
            .map(|(second, utilisation)| BusiestSecond {
                t_ms: ms(second * SECOND_NS),
                utilisation,
            });
        let slowest_dispatches = self
            .slowest_dispatches
            .into_vec()
            .into_iter()
            .map(|d| SlowDispatch {
                t_ms: ms(d.t_ns),
                duration_ms: ms(d.duration_ns),
                source: d.source,
                source_type: d.source_type,
                priority: d.priority,
                callback: d.callback.map(|c| symbolizer.name(&c, false).label()),
            })
            .collect();
        let mut longest: Vec<&BlamedStall> = blamed.iter().collect();
        longest.sort_by_key(|b| (std::cmp::Reverse(b.stall.duration_ns), b.stall.start_ns));
        let stall_summary = StallSummary {
            count: stalls.len() as u64,
            ongoing_at_end: stalls.iter().filter(|s| s.ongoing_at_end).count() as u64,
            total_ms: ms(stalls.iter().map(|s| s.duration_ns).sum()),
            max_ms: stalls.iter().map(|s| s.duration_ns).max().map(ms),
            longest: longest
                .into_iter()
                .take(STALLS_KEPT)
                .map(|b| LongStall {
                    t_ms: b.blame.t_ms,
                    duration_ms: b.blame.duration_ms,
                    ongoing_at_end: b.stall.ongoing_at_end,
                    source: b.stall.source.clone(),
                    place: b.blame.place.clone(),
                    input: b.stall.input.as_ref().map(|i| StallInputReport {
                        role: match i.role {
                            stalls::InputRole::Waiting => "waiting",
                            stalls::InputRole::Trigger => "during",
                        },
                        event_type: i.event_type.nick().into_owned(),
                        t_ms: ms(i.t_ns),
                        waited_ms: i.waited_ns.map(ms),
                    }),
                })
                .collect(),
            top_stacks: stalls::group_stalls(&stalls, symbolizer)
                .into_iter()
                .take(STALLS_KEPT)
                .map(|g| StackSummary {
                    count: g.count,
                    total_ms: ms(g.total_ns),
                    longest_ms: ms(g.longest_ns),
                    place: stalls::stall_place(&g.longest, symbolizer),
                    stack: g.frames.iter().map(|f| f.label()).collect(),
                })
                .collect(),
        };
        let report = MainLoopReport {
            iterations: time.iterations,
            work_ms: ms(time.work_ns),
            poll_ms: ms(time.poll_ns),
            utilisation: (time.iterations > 0).then(|| share(time.work_ns, time.poll_ns)),
            busiest_second: worst_second,
            dispatches: self.dispatches,
            dispatch_total_ms: ms(self.dispatch_total_ns),
            slowest_dispatches,
            stalls: stall_summary,
        };
        let blamer = StallBlamer {
            stalls: blamed,
            clock_offset_ms,
        };
        (report, blamer)
    }
}

/// `work / (work + poll)`, rounded to 4 decimals; 0 when both are 0.
fn share(work: u64, poll: u64) -> f64 {
    // In f64: a crafted file's totals may reach u64's end.
    let all = work as f64 + poll as f64;
    if all == 0.0 {
        return 0.0;
    }
    (work as f64 / all * 10_000.0).round() / 10_000.0
}

/// A stall with what the report says about it.
#[derive(Clone, Debug)]
struct BlamedStall {
    stall: StallInfo,
    blame: StallBlame,
}

/// JSON `stall` of a slow frame or input: the stall that delayed it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StallBlame {
    /// When the stall started.
    pub t_ms: f64,
    pub duration_ms: f64,
    /// Where it happened (see [`stalls::stall_place`]).
    pub place: String,
}

/// Finds the stall that delayed a frame or an input.
#[derive(Debug, Default)]
pub struct StallBlamer {
    /// Sorted by start.
    stalls: Vec<BlamedStall>,
    /// See [`StallIndex::clock_offset_ms`].
    clock_offset_ms: Option<f64>,
}

impl StallBlamer {
    /// The longest stall overlapping `from..=to` (a frame's cycle).
    pub fn within(&self, from: Nanos, to: Nanos) -> Option<StallBlame> {
        let started_by_end = self.stalls.partition_point(|b| b.stall.start_ns <= to);
        self.stalls[..started_by_end]
            .iter()
            .filter(|b| b.stall.end_ns() >= from)
            .max_by_key(|b| (b.stall.duration_ns, std::cmp::Reverse(b.stall.start_ns)))
            .map(|b| b.blame.clone())
    }

    /// The stall an input event delivered at `t_ns` (windowing time `time_ms`) waited
    /// for: the longest overlapping the time from the event to `answered_ns` (the end of
    /// the frame that answered it), else the one it arrived during by its windowing time
    /// (GDK delivers such an event only after the stall; see `stalls`' module docs).
    pub fn for_input(&self, t_ns: Nanos, time_ms: u32, answered_ns: Nanos) -> Option<StallBlame> {
        self.within(t_ns, answered_ns).or_else(|| {
            let offset_ms = self.clock_offset_ms.filter(|_| time_ms != 0)?;
            let arrival_ns = ((f64::from(time_ms) + offset_ms) * 1e6).max(0.0) as Nanos;
            // Delivered after the stall, so arrived during the last one started by then.
            let started = self.stalls.partition_point(|b| b.stall.start_ns <= t_ns);
            let stall = &self.stalls[started.checked_sub(1)?];
            (stall.stall.start_ns <= arrival_ns && arrival_ns <= stall.stall.end_ns())
                .then(|| stall.blame.clone())
        })
    }
}

/// JSON `main_loop`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MainLoopReport {
    /// Main-loop iterations (from `loop-summary` records; `loop-iteration` records in a
    /// version 1 file).
    pub iterations: u64,
    /// Σ `work_ns` and Σ `poll_ns` of the iterations.
    pub work_ms: f64,
    pub poll_ms: f64,
    /// Busy share, 0..1: work / (work + poll); null without iterations.
    pub utilisation: Option<f64>,
    /// The whole second of recording time with the largest busy share.
    pub busiest_second: Option<BusiestSecond>,
    /// `dispatch` records (dispatches over the recorder's threshold).
    pub dispatches: u64,
    pub dispatch_total_ms: f64,
    /// The slowest dispatches, slowest first.
    pub slowest_dispatches: Vec<SlowDispatch>,
    pub stalls: StallSummary,
}

/// JSON `main_loop.busiest_second`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BusiestSecond {
    /// The second's start.
    pub t_ms: f64,
    pub utilisation: f64,
}

/// One slow GSource dispatch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlowDispatch {
    pub t_ms: f64,
    pub duration_ms: f64,
    /// The source's name, when it has one.
    pub source: Option<String>,
    pub source_type: String,
    pub priority: i32,
    /// The callback's function, else `module+0xoffset`; null when not recorded.
    pub callback: Option<String>,
}

/// JSON `main_loop.stalls`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StallSummary {
    pub count: u64,
    /// Of those, stalls the recording ended in (known from their samples only).
    pub ongoing_at_end: u64,
    pub total_ms: f64,
    pub max_ms: Option<f64>,
    /// The longest stalls, longest first.
    pub longest: Vec<LongStall>,
    /// Stalls grouped by identical named stack (as `stalls --group`), most total time first.
    pub top_stacks: Vec<StackSummary>,
}

/// JSON `main_loop.stalls.longest[]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LongStall {
    pub t_ms: f64,
    pub duration_ms: f64,
    pub ongoing_at_end: bool,
    pub source: Option<String>,
    pub place: String,
    pub input: Option<StallInputReport>,
}

/// JSON `main_loop.stalls.longest[].input`: the input event shown with a stall.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StallInputReport {
    /// `waiting` (arrived during the stall) or `during` (being handled when it began).
    pub role: &'static str,
    #[serde(rename = "type")]
    pub event_type: String,
    pub t_ms: f64,
    pub waited_ms: Option<f64>,
}

/// JSON `main_loop.stalls.top_stacks[]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackSummary {
    pub count: u32,
    pub total_ms: f64,
    pub longest_ms: f64,
    /// Where the stalls happened (see [`stalls::stall_place`]).
    pub place: String,
    /// The stack's frames, innermost first: function, else `module+0xoffset`.
    pub stack: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Dispatch, LoopIteration, LoopSummary, Stall};

    fn iteration(t_ns: Nanos, poll_ns: u64, work_ns: u64) -> Record {
        Record::LoopIteration(LoopIteration {
            t_ns,
            poll_ns,
            work_ns,
        })
    }

    /// The main-loop report of `records` in a file of format version `version`.
    fn report_of(version: u16, records: &[Record]) -> (MainLoopReport, StallBlamer) {
        let mut stats = MainLoopStats::new(version);
        for record in records {
            stats.observe(record);
        }
        stats.report(&mut Symbolizer::new())
    }

    /// Second 0: 900 ms asleep then 100 ms of work. Second 1: 400 ms of work, 600 asleep
    /// (the poll straddles into second 2, which is covered for 0.1 s only: left out).
    fn version_1_iterations() -> [Record; 3] {
        [
            iteration(900_000_000, 900_000_000, 100_000_000),
            iteration(1_000_000_000, 0, 400_000_000),
            iteration(2_100_000_000, 700_000_000, 0),
        ]
    }

    #[test]
    fn utilisation_overall_and_in_the_busiest_second() {
        let (report, stalls) = report_of(1, &version_1_iterations());
        assert!(stalls.stalls.is_empty());
        assert_eq!(report.iterations, 3);
        assert_eq!((report.work_ms, report.poll_ms), (500.0, 1600.0));
        assert_eq!(report.utilisation, Some(0.2381));
        assert_eq!(
            report.busiest_second,
            Some(BusiestSecond {
                t_ms: 1000.0,
                utilisation: 0.4
            })
        );
        assert_eq!(report.stalls.max_ms, None);
    }

    fn summary(t_ns: Nanos, iterations: u64, work_ns: u64, poll_ns: u64) -> Record {
        Record::LoopSummary(LoopSummary {
            t_ns,
            iterations,
            work_ns,
            poll_ns,
        })
    }

    /// The main loop of `version_1_iterations` as the recorder summarises it in version 2
    /// (stretches cut at whole seconds), with a slow iteration's own record that must not
    /// be counted twice, gives the same section.
    #[test]
    fn summaries_give_the_figures_iterations_gave() {
        let (summarised, _) = report_of(
            2,
            &[
                summary(0, 1, 100_000_000, 900_000_000),
                iteration(1_000_000_000, 0, 400_000_000),
                summary(1_000_000_000, 1, 400_000_000, 600_000_000),
                summary(2_000_000_000, 1, 0, 100_000_000),
            ],
        );
        let (per_iteration, _) = report_of(1, &version_1_iterations());
        assert_eq!(summarised, per_iteration);
    }

    #[test]
    fn a_long_poll_summary_is_spread_over_its_seconds() {
        let mut stats = MainLoopStats::new(2);
        stats.observe(&summary(500_000_000, 2, 250_000_000, 250_000_000));
        stats.observe(&summary(1_000_000_000, 0, 0, 3_000_000_000));
        stats.observe(&summary(4_000_000_000, 1, 600_000_000, 400_000_000));
        let (report, _) = stats.report(&mut Symbolizer::new());
        assert_eq!(report.utilisation, Some(0.1889));
        assert_eq!(
            report.busiest_second,
            Some(BusiestSecond {
                t_ms: 4000.0,
                utilisation: 0.6
            })
        );
    }

    #[test]
    fn a_garbage_iteration_counts_but_is_not_spread() {
        let mut stats = MainLoopStats::new(1);
        stats.observe(&iteration(2_000_000_000, 1_000_000_000, u64::MAX / 2));
        stats.observe(&iteration(3_500_000_000, 500_000_000, 500_000_000));
        let (report, _) = stats.report(&mut Symbolizer::new());
        assert_eq!(report.iterations, 2);
        assert_eq!(
            report.busiest_second,
            Some(BusiestSecond {
                t_ms: 3000.0,
                utilisation: 0.5
            })
        );
    }

    /// Regression: an iteration near the end of u64's range made the spreading over
    /// seconds wrap and loop, growing memory until the process aborted.
    #[test]
    fn iteration_timestamp_near_u64_max_is_spread_without_overflow() {
        let mut stats = MainLoopStats::new(1);
        stats.observe(&iteration(u64::MAX - 10, 5, 7));
        stats.observe(&iteration(u64::MAX, 1_000_000_000, 0));
        let (report, _) = stats.report(&mut Symbolizer::new());
        assert_eq!(report.iterations, 2);
        // The same for version 2's summaries, whose stretch ends past u64's range.
        let (report, _) = report_of(
            2,
            &[
                summary(u64::MAX - 10, 1, 5, 7),
                summary(u64::MAX, 0, u64::MAX, u64::MAX),
            ],
        );
        assert_eq!(report.iterations, 1);
    }

    #[test]
    fn slowest_dispatches_and_stalls_are_kept() {
        let mut stats = MainLoopStats::new(2);
        for (t, d) in [
            (0, 2_000_000),
            (10_000_000, 31_000_000),
            (50_000_000, 5_000_000),
        ] {
            stats.observe(&Record::Dispatch(Dispatch {
                t_ns: t,
                duration_ns: d,
                source: None,
                source_type: "timeout".into(),
                priority: 0,
                callback: None,
            }));
        }
        stats.observe(&Record::Stall(Stall {
            t_ns: 100_000_000,
            duration_ns: 250_000_000,
            duration_ms: 250.0,
            source: Some("my-source".into()),
            samples: 0,
            stack: vec![],
        }));
        let (report, stalls) = stats.report(&mut Symbolizer::new());
        assert_eq!(report.dispatches, 3);
        assert_eq!(report.dispatch_total_ms, 38.0);
        let slowest: Vec<f64> = report
            .slowest_dispatches
            .iter()
            .map(|d| d.duration_ms)
            .collect();
        assert_eq!(slowest, [31.0, 5.0, 2.0]);
        assert_eq!(report.stalls.count, 1);
        assert_eq!(report.stalls.top_stacks[0].place, "my-source");
        assert_eq!(stalls.stalls[0].blame.place, "my-source");
        assert_eq!(
            stalls
                .within(340_000_000, 400_000_000)
                .map(|b| b.duration_ms),
            Some(250.0)
        );
        assert_eq!(stalls.within(350_000_001, 400_000_000), None);
        assert_eq!(stalls.within(0, 99_999_999), None);
        // An input delivered at 351 ms, answered at 360 ms: blamed when it arrived during
        // the stall (windowing clock = recording ms + 1000), not when it arrived after.
        let stalls = StallBlamer {
            clock_offset_ms: Some(-1000.0),
            ..stalls
        };
        let blamed = |time_ms| stalls.for_input(351_000_000, time_ms, 360_000_000);
        assert_eq!(blamed(1200).map(|b| b.t_ms), Some(100.0));
        assert_eq!(blamed(1351), None);
        assert_eq!(blamed(0), None); // no windowing time
    }
}
