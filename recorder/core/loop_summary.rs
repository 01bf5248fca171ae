//! The main loop's time summed per second: `loop-summary` records (format version 2)
//! instead of one `loop-iteration` record per iteration, which was most of a recording's
//! records (about 85 % during continuous pointer motion).
//!
//! The poll wrapper (`mainloop.rs`) hands every stretch of poll and of work, in order and
//! without gaps, to [`LoopSummer`]. It adds them up into a *stretch* that never crosses a
//! whole second of recording time (seconds count from the recording's start, as
//! `gdkrecord-tool stats` counts them), so the busy share of each second stays exact. A
//! poll covering whole seconds becomes one stretch of its own. A stretch is written once
//! the main loop is seen in a later second, so SIGKILL loses at most the current second's
//! summary (and a poll in progress); a normal exit writes it ([`flush`]).

use std::sync::Mutex;

use gdkrecord_format::{LoopSummary, Nanos, Record};

const SECOND_NS: u64 = 1_000_000_000;

/// The stretch being summed: its start (none before the first poll or just after a
/// flush) and what it holds so far.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct LoopSummer {
    start: Option<Nanos>,
    iterations: u64,
    work_ns: u64,
    poll_ns: u64,
}

impl LoopSummer {
    pub(crate) const fn new() -> LoopSummer {
        LoopSummer {
            start: None,
            iterations: 0,
            work_ns: 0,
            poll_ns: 0,
        }
    }

    /// The main thread slept in poll over `from..to` (recording time).
    pub(crate) fn add_poll(&mut self, from: Nanos, to: Nanos, emit: &mut impl FnMut(LoopSummary)) {
        self.add(from, to, false, emit);
    }

    /// The main thread worked over `from..to`: one iteration, counted in the stretch
    /// where it started.
    pub(crate) fn add_work(&mut self, from: Nanos, to: Nanos, emit: &mut impl FnMut(LoopSummary)) {
        self.enter_second_of(from, emit);
        self.start.get_or_insert(from);
        self.iterations += 1;
        self.add(from, to, true, emit);
    }

    /// Writes the stretch being summed, if it holds anything.
    pub(crate) fn flush(&mut self, emit: &mut impl FnMut(LoopSummary)) {
        if let Some(start) = self.start.take() {
            if self.iterations + self.work_ns + self.poll_ns > 0 {
                emit(LoopSummary {
                    t_ns: start,
                    iterations: self.iterations,
                    work_ns: self.work_ns,
                    poll_ns: self.poll_ns,
                });
            }
        }
        *self = LoopSummer::new();
    }

    /// Flushes the stretch if it lies in an earlier second than `t`.
    fn enter_second_of(&mut self, t: Nanos, emit: &mut impl FnMut(LoopSummary)) {
        if self
            .start
            .is_some_and(|start| start / SECOND_NS != t / SECOND_NS)
        {
            self.flush(emit);
        }
    }

    fn add(&mut self, from: Nanos, to: Nanos, work: bool, emit: &mut impl FnMut(LoopSummary)) {
        let mut t = from;
        while t < to {
            self.enter_second_of(t, emit);
            let next_second = (t / SECOND_NS).saturating_add(1).saturating_mul(SECOND_NS);
            if !work && self.start.is_none() && t.is_multiple_of(SECOND_NS) && to >= next_second {
                // Whole seconds asleep: one stretch of their own, written at once.
                let whole = to - to % SECOND_NS;
                emit(LoopSummary {
                    t_ns: t,
                    iterations: 0,
                    work_ns: 0,
                    poll_ns: whole - t,
                });
                t = whole;
                continue;
            }
            self.start.get_or_insert(t);
            let upto = next_second.min(to);
            if work {
                self.work_ns += upto - t;
            } else {
                self.poll_ns += upto - t;
            }
            t = upto;
        }
    }
}

/// The default context's summer. Locked by the main thread's poll wrapper once or twice
/// per iteration (uncontended) and at exit.
pub(crate) static SUMMER: Mutex<LoopSummer> = Mutex::new(LoopSummer::new());

/// Appends a stretch to the recording.
pub(crate) fn write(summary: LoopSummary) {
    crate::loop_state::write(Record::LoopSummary(summary));
}

/// Writes the stretch being summed (at exit). Skipped if the main thread is inside the
/// poll wrapper right now: exit from another thread while it runs.
pub(crate) fn flush() {
    if let Ok(mut summer) = SUMMER.try_lock() {
        summer.flush(&mut write);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn summaries(steps: &[(bool, u64, u64)]) -> Vec<(u64, u64, u64, u64)> {
        let mut out = Vec::new();
        let mut emit = |s: LoopSummary| out.push((s.t_ns, s.iterations, s.work_ns, s.poll_ns));
        let mut summer = LoopSummer::new();
        for &(work, from, to) in steps {
            if work {
                summer.add_work(from, to, &mut emit);
            } else {
                summer.add_poll(from, to, &mut emit);
            }
        }
        summer.flush(&mut emit);
        out
    }

    #[test]
    fn iterations_in_one_second_make_one_stretch() {
        let steps = [
            (false, 100 * MS, 200 * MS),
            (true, 200 * MS, 210 * MS),
            (false, 210 * MS, 300 * MS),
            (true, 300 * MS, 305 * MS),
        ];
        assert_eq!(summaries(&steps), [(100 * MS, 2, 15 * MS, 190 * MS)]);
    }

    #[test]
    fn stretches_are_cut_at_whole_seconds() {
        // Work from 0.9 s to 1.2 s, then a poll to 1.5 s.
        let steps = [
            (false, 500 * MS, 900 * MS),
            (true, 900 * MS, 1200 * MS),
            (false, 1200 * MS, 1500 * MS),
        ];
        assert_eq!(
            summaries(&steps),
            [
                (500 * MS, 1, 100 * MS, 400 * MS),
                (1000 * MS, 0, 200 * MS, 300 * MS)
            ]
        );
    }

    #[test]
    fn a_long_poll_is_one_stretch_between_its_seconds() {
        // Asleep from 0.8 s to 4.25 s, then 10 ms of work.
        let steps = [
            (true, 700 * MS, 800 * MS),
            (false, 800 * MS, 4250 * MS),
            (true, 4250 * MS, 4260 * MS),
        ];
        assert_eq!(
            summaries(&steps),
            [
                (700 * MS, 1, 100 * MS, 200 * MS),
                (1000 * MS, 0, 0, 3000 * MS),
                (4000 * MS, 1, 10 * MS, 250 * MS)
            ]
        );
    }

    #[test]
    fn the_sums_are_kept_whatever_the_cuts() {
        let mut steps = Vec::new();
        let mut t = 3;
        for i in 0..10_000u64 {
            let (work, poll) = ((i * 7919) % 13 * MS + 1, (i * 104_729) % 400 * MS);
            steps.push((true, t, t + work));
            steps.push((false, t + work, t + work + poll));
            t += work + poll;
        }
        let out = summaries(&steps);
        let total: (u64, u64, u64) = out
            .iter()
            .fold((0, 0, 0), |a, s| (a.0 + s.1, a.1 + s.2, a.2 + s.3));
        let work: u64 = steps.iter().filter(|s| s.0).map(|s| s.2 - s.1).sum();
        assert_eq!(total, (10_000, work, t - 3 - work));
        // Contiguous, in order, none crossing a second unless it is pure poll.
        for pair in out.windows(2) {
            assert_eq!(pair[0].0 + pair[0].2 + pair[0].3, pair[1].0);
        }
        for s in &out {
            let end = s.0 + s.2 + s.3;
            assert!(s.0 / SECOND_NS == (end - 1) / SECOND_NS || (s.1, s.2) == (0, 0));
        }
    }
}
