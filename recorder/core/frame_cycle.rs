//! Frame-clock cycles, as GDK 3 and GDK 4 run them alike (the same five phase signals on
//! a `GdkFrameClock`, the same `GdkFrameTimings` calls): the state of a clock's cycle,
//! kept by the fronts' hooks (an emission hook per phase signal gives each phase's start,
//! which is also the end of the phase before it; a handler connected after all others
//! on after-paint gives the cycle's end), and the GdkFrameTimings completed since the last
//! look. The fronts keep one [`ClockState`] per clock in their tables and pass their
//! GDK's timings calls in ([`TimingsCalls`]): the core links no GDK.

use std::ffi::{c_int, CStr};

use gdkrecord_format::{FrameTimings, Record, SurfaceId};

use crate::clock;
use crate::queue::{self, Entry, FrameEntry};

/// The phase signals, in the order GDK emits them (the indexes of a cycle's phases).
pub const PHASE_SIGNALS: [&CStr; 5] = [
    c"before-paint",
    c"update",
    c"layout",
    c"paint",
    c"after-paint",
];
pub const BEFORE_PAINT: usize = 0;
pub const LAYOUT: usize = 2;
pub const AFTER_PAINT: usize = 4;
/// At most this many completed timings are written per look (bounds the work; GDK
/// keeps 16 frames of history).
const MAX_TIMINGS_PER_LOOK: i64 = 8;
/// Completed timings are looked for every this many cycles: a batch of frames' timings
/// costs little more than one, as the first read brings GDK's code and history in.
pub const TIMINGS_EVERY: i64 = 4;
/// No phase yet in [`ClockState::last_phase`].
const NO_PHASE: u8 = u8::MAX;

/// One frame clock's current cycle, compact (two cache lines): each phase hook touches it.
#[derive(Debug, Clone, Copy)]
pub struct ClockState {
    /// Phase start and end times (ns since the start); valid where `started` / `ended`
    /// has the phase's bit.
    starts: [u64; 5],
    ends: [u64; 5],
    /// This cycle's frame counter (read when it began).
    pub counter: i64,
    /// The next frame counter whose timings are to be written (-1: none yet).
    next_timings: i64,
    /// The surface (toplevel) this clock belongs to, once known.
    pub surface: Option<SurfaceId>,
    started: u8,
    ended: u8,
    /// The last phase started in this cycle, or [`NO_PHASE`].
    last_phase: u8,
}

impl Default for ClockState {
    fn default() -> ClockState {
        ClockState {
            starts: [0; 5],
            ends: [0; 5],
            counter: -1,
            next_timings: -1,
            surface: None,
            started: 0,
            ended: 0,
            last_phase: NO_PHASE,
        }
    }
}

/// What the end of a cycle leaves to do: its frame to write, and whether to look for
/// completed timings now (from which counter).
#[derive(Debug, Clone, Copy)]
pub struct CycleEnd {
    /// The cycle, if its surface is known.
    pub frame: Option<FrameEntry>,
    /// Timings are due (every [`TIMINGS_EVERY`] cycles): the first counter to look at.
    pub timings_from: Option<i64>,
}

impl ClockState {
    #[inline(always)]
    fn start(&self, phase: usize) -> Option<u64> {
        (self.started & 1 << phase != 0).then_some(self.starts[phase])
    }

    #[inline(always)]
    fn clear_phases(&mut self) {
        self.started = 0;
        self.ended = 0;
        self.last_phase = NO_PHASE;
    }

    /// Phase `phase` (< 5) started at `now`; returns the cycle's frame counter. A
    /// before-paint, or a phase earlier than the last one, begins a new cycle: GDK counts
    /// a frame right before its before-paint, so after the first look (`gdk_counter`,
    /// GDK's own count) the counter is counted here, and checked again with the timings.
    #[inline(always)]
    pub fn phase_started(
        &mut self,
        phase: usize,
        now: u64,
        gdk_counter: impl FnOnce() -> i64,
    ) -> i64 {
        let last = self.last_phase;
        let new_cycle = phase == BEFORE_PAINT || (last != NO_PHASE && phase < last as usize);
        if new_cycle {
            self.clear_phases();
            self.counter = if phase == BEFORE_PAINT && self.counter >= 0 {
                self.counter + 1
            } else {
                gdk_counter()
            };
        } else if last != NO_PHASE && last as usize != phase {
            self.ends[last as usize] = now;
            self.ended |= 1 << last;
        }
        // Layout may run several times per cycle: keep the first start.
        if !(phase == LAYOUT && self.start(LAYOUT).is_some()) {
            self.starts[phase] = now;
            self.started |= 1 << phase;
        }
        self.last_phase = phase as u8;
        self.counter
    }

    /// The cycle's after-paint ended at `now`: its frame, and whether timings are due.
    /// `None` when this cycle's after-paint was not seen to start (a clock first seen
    /// in the middle of a cycle).
    #[inline(always)]
    pub fn cycle_ended(&mut self, now: u64) -> Option<CycleEnd> {
        self.start(AFTER_PAINT)?;
        self.ends[AFTER_PAINT] = now;
        self.ended |= 1 << AFTER_PAINT;
        let frame = self.surface.map(|surface| FrameEntry {
            surface,
            started: self.started,
            ended: self.ended,
            counter: self.counter,
            end_ns: now,
            starts: self.starts,
            ends: self.ends,
        });
        self.clear_phases();
        if self.next_timings < 0 {
            self.next_timings = self.counter;
        }
        let due = frame.is_some() && self.counter % TIMINGS_EVERY == 0;
        Some(CycleEnd {
            frame,
            timings_from: due.then_some(self.next_timings),
        })
    }

    /// After a look for timings: the next counter to look at, and GDK's own frame counter
    /// (which the counting follows from now on).
    pub fn timings_written(&mut self, next: i64, gdk_counter: i64) {
        self.next_timings = next;
        self.counter = gdk_counter;
    }
}

/// Sends a cycle's frame to the writer thread (which makes it a Frame record).
#[inline(always)]
fn send_frame(frame: FrameEntry) {
    queue::send_in_place(frame, Entry::Frame);
}

/// GDK's `GdkFrameClock` / `GdkFrameTimings` calls, the same in GDK 3 and GDK 4 (the
/// front's, from the GDK it links, over its `Clock` and `Timings` types).
#[derive(Debug)]
pub struct TimingsCalls<Clock, Timings> {
    pub frame_counter: unsafe extern "C" fn(*mut Clock) -> i64,
    pub history_start: unsafe extern "C" fn(*mut Clock) -> i64,
    pub timings: unsafe extern "C" fn(*mut Clock, i64) -> *mut Timings,
    pub complete: unsafe extern "C" fn(*mut Timings) -> c_int,
    pub frame_time: unsafe extern "C" fn(*mut Timings) -> i64,
    pub presentation_time: unsafe extern "C" fn(*mut Timings) -> i64,
    pub predicted_presentation_time: unsafe extern "C" fn(*mut Timings) -> i64,
    pub refresh_interval: unsafe extern "C" fn(*mut Timings) -> i64,
}

/// The end of a cycle of `clock` (`end` from [`ClockState::cycle_ended`] at `now`): sends
/// its frame and, when due, the timings GDK has completed since the last look, then
/// returns the clock's next timings counter and GDK's frame counter for
/// [`ClockState::timings_written`] (None when no timings were due). Returns whether a
/// frame was sent, too.
///
/// # Safety
/// `clock` is a valid GdkFrameClock of the GDK `calls` come from.
#[inline(always)]
pub unsafe fn finish_cycle<Clock, Timings>(
    calls: &TimingsCalls<Clock, Timings>,
    clock: *mut Clock,
    end: CycleEnd,
    now: u64,
) -> (bool, Option<(i64, i64)>) {
    let Some(frame) = end.frame else {
        return (false, None);
    };
    let (surface, counter) = (frame.surface, frame.counter);
    send_frame(frame);
    let Some(from) = end.timings_from else {
        return (true, None);
    };
    let next = unsafe { write_completed_timings(calls, clock, surface, from, counter, now) };
    (true, Some((next, unsafe { (calls.frame_counter)(clock) })))
}

/// Writes the timings of frames `from..current` of `clock` that GDK has completed, in
/// order, stopping at the first incomplete one, stamped `now`. Returns the next counter
/// to look at.
///
/// # Safety
/// `clock` is a valid GdkFrameClock of the GDK `calls` come from.
#[inline(never)]
unsafe fn write_completed_timings<Clock, Timings>(
    calls: &TimingsCalls<Clock, Timings>,
    clock: *mut Clock,
    surface: SurfaceId,
    from: i64,
    current: i64,
    now: u64,
) -> i64 {
    let start = from.max(unsafe { (calls.history_start)(clock) });
    let mut counter = start;
    while counter < current && counter < start + MAX_TIMINGS_PER_LOOK {
        let timings = unsafe { (calls.timings)(clock, counter) };
        if !timings.is_null() {
            if unsafe { (calls.complete)(timings) } == 0 {
                break;
            }
            let refresh_us = unsafe { (calls.refresh_interval)(timings) };
            queue::send(
                Record::FrameTimings(FrameTimings {
                    t_ns: now,
                    surface,
                    counter,
                    frame_time_ns: clock::from_gdk_us(unsafe { (calls.frame_time)(timings) }),
                    presentation_time_ns: clock::from_gdk_us(unsafe {
                        (calls.presentation_time)(timings)
                    }),
                    predicted_presentation_time_ns: clock::from_gdk_us(unsafe {
                        (calls.predicted_presentation_time)(timings)
                    }),
                    refresh_interval_ns: (refresh_us > 0).then(|| refresh_us as u64 * 1000),
                }),
                true,
            );
        }
        counter += 1;
    }
    counter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(state: &mut ClockState, phases: &[(usize, u64)], end: u64) -> Option<CycleEnd> {
        for &(phase, at) in phases {
            state.phase_started(phase, at, || 41);
        }
        state.cycle_ended(end)
    }

    #[test]
    fn phases_end_where_the_next_starts_and_layout_keeps_its_first_start() {
        let mut state = ClockState {
            surface: Some(SurfaceId(3)),
            ..ClockState::default()
        };
        let end = cycle(
            &mut state,
            &[(0, 10), (1, 20), (2, 30), (2, 35), (3, 40), (4, 50)],
            60,
        )
        .expect("after-paint started");
        let frame = end.frame.expect("surface known");
        assert_eq!(frame.counter, 41, "GDK asked on the first cycle");
        assert_eq!(frame.starts, [10, 20, 30, 40, 50]);
        assert_eq!(frame.ends, [20, 30, 40, 50, 60]);
        assert_eq!((frame.started, frame.ended), (0b11111, 0b11111));
        // The next cycle is counted, not asked.
        let next = cycle(&mut state, &[(0, 100), (3, 110), (4, 120)], 130).unwrap();
        let frame = next.frame.unwrap();
        assert_eq!(frame.counter, 42);
        assert_eq!((frame.started, frame.ended), (0b11001, 0b11001));
    }

    #[test]
    fn timings_are_due_every_few_cycles_and_follow_gdk_after() {
        let mut state = ClockState {
            surface: Some(SurfaceId(1)),
            ..ClockState::default()
        };
        let mut due = Vec::new();
        for i in 0..9 {
            let end = cycle(&mut state, &[(0, i * 10), (4, i * 10 + 5)], i * 10 + 6).unwrap();
            if let Some(from) = end.timings_from {
                due.push((state.counter, from));
                state.timings_written(state.counter, state.counter);
            }
        }
        // The first frame (41 from GDK) sets where timings start; 44 and 48 are due.
        assert_eq!(due, [(44, 41), (48, 44)]);
    }

    #[test]
    fn a_cycle_seen_from_its_middle_or_of_no_surface_writes_no_frame() {
        let mut state = ClockState::default();
        assert!(
            cycle(&mut state, &[(2, 5)], 9).is_none(),
            "no after-paint start"
        );
        let end = cycle(&mut state, &[(0, 10), (4, 20)], 30).unwrap();
        assert!(end.frame.is_none() && end.timings_from.is_none());
    }
}
