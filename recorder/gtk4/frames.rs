//! Frame-clock cycles: an emission hook per phase signal gives each phase's start, which
//! is also the end of the phase before it (GDK emits them back to back from one idle
//! callback); a handler connected after all others on each clock's after-paint gives
//! the cycle's end. One Frame record is written per cycle when after-paint ends, then
//! the GdkFrameTimings GDK has completed since. Per cycle that is one hook call per
//! phase GDK runs and one handler call: the fewest that time every phase.

use std::ffi::{c_uint, c_void, CStr};

use gdk4_sys::GdkFrameClock;
use gdkrecord_format::{FrameTimings, Record, SurfaceId};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GObject, GSignalInvocationHint, GValue};

use crate::clock;
use crate::ffi::value_pointer;
use crate::queue::{self, Entry, FrameEntry};
use crate::self_time::{FrameSite, Timer};
use crate::tables::{with_session, ClockState, Session, NO_PHASE};

/// The phase signals, in the order GDK emits them (indexes of [`Frame::phases`]).
pub(crate) const PHASE_SIGNALS: [&CStr; 5] = [
    c"before-paint",
    c"update",
    c"layout",
    c"paint",
    c"after-paint",
];
const BEFORE_PAINT: usize = 0;
const LAYOUT: usize = 2;
const AFTER_PAINT: usize = 4;
/// At most this many completed timings are written per look (bounds the work; GDK
/// keeps 16 frames of history).
const MAX_TIMINGS_PER_LOOK: i64 = 8;
/// Completed timings are looked for every this many cycles: a batch of frames' timings
/// costs little more than one, as the first read brings GDK's code and history in.
const TIMINGS_EVERY: i64 = 4;
impl ClockState {
    #[inline(always)]
    fn start(&self, phase: usize) -> Option<u64> {
        (self.started & 1 << phase != 0).then_some(self.starts[phase])
    }

    #[inline(always)]
    fn set_start(&mut self, phase: usize, t_ns: u64) {
        self.starts[phase] = t_ns;
        self.started |= 1 << phase;
    }

    #[inline(always)]
    fn set_end(&mut self, phase: usize, t_ns: u64) {
        self.ends[phase] = t_ns;
        self.ended |= 1 << phase;
    }

    #[inline(always)]
    fn clear_phases(&mut self) {
        self.started = 0;
        self.ended = 0;
        self.last_phase = NO_PHASE;
    }
}

impl Session {
    /// The state of `clock`, connecting its phase-end handlers on first sight.
    ///
    /// # Safety
    /// `clock` is a valid GdkFrameClock.
    #[inline(always)]
    pub(crate) unsafe fn clock_state(&mut self, clock: *mut GdkFrameClock) -> &mut ClockState {
        let key = clock as usize;
        if self.clocks.get(key).is_none() {
            unsafe { watch_clock(clock) };
            self.clocks.insert(key, ClockState::default());
        }
        self.clocks.get_mut(key).expect("just inserted")
    }

    /// The state of a clock already seen.
    #[inline(always)]
    fn known_clock(&mut self, clock: *mut GdkFrameClock) -> Option<&mut ClockState> {
        self.clocks.get_mut(clock as usize)
    }
}

unsafe fn watch_clock(clock: *mut GdkFrameClock) {
    let object = clock.cast::<GObject>();
    let handler: unsafe extern "C" fn(*mut GdkFrameClock, *mut c_void) = on_cycle_end;
    unsafe {
        gobject_sys::g_signal_connect_data(
            object,
            PHASE_SIGNALS[AFTER_PAINT].as_ptr(),
            Some(std::mem::transmute::<
                unsafe extern "C" fn(*mut GdkFrameClock, *mut c_void),
                unsafe extern "C" fn(),
            >(handler)),
            std::ptr::null_mut(),
            None,
            gobject_sys::G_CONNECT_AFTER,
        );
    }
    unsafe {
        gobject_sys::g_object_weak_ref(object, Some(on_clock_finalized), std::ptr::null_mut())
    };
}

unsafe extern "C" fn on_clock_finalized(_data: *mut c_void, where_the_object_was: *mut GObject) {
    crate::guard((), || {
        with_session(|session| session.clocks.remove(where_the_object_was as usize));
    })
}

/// Emission hook on each phase signal; `data` is the phase index.
#[link_section = ".text.hot.gdkrecord"]
pub(crate) unsafe extern "C" fn on_phase_start(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    data: gpointer,
) -> gboolean {
    crate::guard((), || {
        if n_params < 1 || !crate::session::recording() {
            return;
        }
        let monotonic = clock::monotonic_ns();
        let timer = Timer::start_at(monotonic);
        let phase = data as usize;
        let clock = unsafe { value_pointer(params) }.cast::<GdkFrameClock>();
        if clock.is_null() || phase >= PHASE_SIGNALS.len() {
            return;
        }
        let now = clock::since_start(monotonic);
        with_session(|session| {
            let state = unsafe { session.clock_state(clock) };
            let last = state.last_phase;
            let new_cycle = phase == BEFORE_PAINT || (last != NO_PHASE && phase < last as usize);
            if new_cycle {
                state.clear_phases();
                // GDK counts a frame right before emitting its before-paint, so after the
                // first look the counter is counted here (checked again with the timings).
                state.counter = if phase == BEFORE_PAINT && state.counter >= 0 {
                    state.counter + 1
                } else {
                    unsafe { gdk4_sys::gdk_frame_clock_get_frame_counter(clock) }
                };
            } else if last != NO_PHASE && last as usize != phase {
                state.set_end(last as usize, now);
            }
            // Layout may run several times per cycle: keep the first start.
            if !(phase == LAYOUT && state.start(LAYOUT).is_some()) {
                state.set_start(phase, now);
            }
            state.last_phase = phase as u8;
            let counter = state.counter;
            session.current_frame = counter;
        });
        timer.stop_frame_work(FrameSite::PhaseStart(phase), false);
    });
    GTRUE
}

/// Connected after every other handler of each clock's after-paint: the cycle ends.
#[link_section = ".text.hot.gdkrecord"]
unsafe extern "C" fn on_cycle_end(clock: *mut GdkFrameClock, _data: *mut c_void) {
    crate::guard((), || {
        crate::idle_signal::frame_ended();
        if !crate::session::recording() {
            return;
        }
        let monotonic = clock::monotonic_ns();
        let timer = Timer::start_at(monotonic);
        let now = clock::since_start(monotonic);
        let mut wrote_frame = false;
        with_session(|session| {
            let Some(state) = session.known_clock(clock) else {
                return;
            };
            if state.start(AFTER_PAINT).is_none() {
                return;
            }
            state.set_end(AFTER_PAINT, now);
            // The phases go as the state holds them: the writer thread makes the record.
            let frame = state.surface.map(|surface| FrameEntry {
                surface,
                started: state.started,
                ended: state.ended,
                counter: state.counter,
                end_ns: now,
                starts: state.starts,
                ends: state.ends,
            });
            state.clear_phases();
            let counter = state.counter;
            if state.next_timings < 0 {
                state.next_timings = counter;
            }
            let next_timings = state.next_timings;
            session.current_frame = -1;
            let Some(frame) = frame else { return };
            let surface = frame.surface;
            queue::send_in_place(frame, Entry::Frame);
            wrote_frame = true;
            if counter % TIMINGS_EVERY != 0 {
                return;
            }
            let next = unsafe {
                write_completed_timings(session, clock, surface, next_timings, counter, now)
            };
            let gdk_counter = unsafe { gdk4_sys::gdk_frame_clock_get_frame_counter(clock) };
            if let Some(state) = session.known_clock(clock) {
                state.next_timings = next;
                state.counter = gdk_counter;
            }
        });
        timer.stop_frame_work(FrameSite::CycleEnd, wrote_frame);
    })
}

/// Writes the timings of frames `from..current` that GDK has completed, in order,
/// stopping at the first incomplete one, stamped `now`. Returns the next counter to look at.
#[inline(never)]
unsafe fn write_completed_timings(
    session: &mut Session,
    clock: *mut GdkFrameClock,
    surface: SurfaceId,
    from: i64,
    current: i64,
    now: u64,
) -> i64 {
    let history_start = unsafe { gdk4_sys::gdk_frame_clock_get_history_start(clock) };
    let mut counter = from.max(history_start);
    while counter < current && counter < from.max(history_start) + MAX_TIMINGS_PER_LOOK {
        let timings = unsafe { gdk4_sys::gdk_frame_clock_get_timings(clock, counter) };
        if !timings.is_null() {
            if unsafe { gdk4_sys::gdk_frame_timings_get_complete(timings) } == 0 {
                break;
            }
            let refresh_us = unsafe { gdk4_sys::gdk_frame_timings_get_refresh_interval(timings) };
            session.write(Record::FrameTimings(FrameTimings {
                t_ns: now,
                surface,
                counter,
                frame_time_ns: clock::from_gdk_us(unsafe {
                    gdk4_sys::gdk_frame_timings_get_frame_time(timings)
                }),
                presentation_time_ns: clock::from_gdk_us(unsafe {
                    gdk4_sys::gdk_frame_timings_get_presentation_time(timings)
                }),
                predicted_presentation_time_ns: clock::from_gdk_us(unsafe {
                    gdk4_sys::gdk_frame_timings_get_predicted_presentation_time(timings)
                }),
                refresh_interval_ns: (refresh_us > 0).then(|| refresh_us as u64 * 1000),
            }));
        }
        counter += 1;
    }
    counter
}
