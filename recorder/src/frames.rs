//! Frame-clock cycles: an emission hook per phase signal gives each phase's start, a
//! handler connected after all others on each clock gives its end; one Frame record is
//! written per cycle when after-paint ends, then the GdkFrameTimings GDK has completed
//! since.

use std::ffi::{c_uint, c_void, CStr};

use gdk4_sys::GdkFrameClock;
use gdkrecord_format::{Frame, FrameTimings, Phase, Record, SurfaceId};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GObject, GSignalInvocationHint, GValue};

use crate::clock;
use crate::ffi::value_pointer;
use crate::self_time::Timer;
use crate::session::{with_session, Session};

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
/// At most this many completed timings are written per cycle (bounds the work).
const MAX_TIMINGS_PER_CYCLE: i64 = 8;

/// One frame clock's current cycle.
#[derive(Debug, Default)]
pub(crate) struct ClockState {
    /// The surface (toplevel) this clock belongs to, once known.
    pub(crate) surface: Option<SurfaceId>,
    starts: [Option<u64>; 5],
    ends: [Option<u64>; 5],
    /// The last phase started in this cycle.
    last_phase: Option<usize>,
    /// The next frame counter whose timings are to be written.
    next_timings: Option<i64>,
}

impl Session {
    /// The state of `clock`, connecting its phase-end handlers on first sight.
    ///
    /// # Safety
    /// `clock` is a valid GdkFrameClock.
    pub(crate) unsafe fn clock_state(&mut self, clock: *mut GdkFrameClock) -> &mut ClockState {
        let key = clock as usize;
        let index = match self.clocks.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                unsafe { watch_clock(clock) };
                self.clocks.push((key, ClockState::default()));
                self.clocks.len() - 1
            }
        };
        &mut self.clocks[index].1
    }

    /// The state of a clock already seen.
    fn known_clock(&mut self, clock: *mut GdkFrameClock) -> Option<&mut ClockState> {
        let key = clock as usize;
        self.clocks
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, state)| state)
    }
}

unsafe fn watch_clock(clock: *mut GdkFrameClock) {
    let object = clock.cast::<GObject>();
    let handler: unsafe extern "C" fn(*mut GdkFrameClock, *mut c_void) = on_phase_end;
    for (phase, signal) in PHASE_SIGNALS.iter().enumerate() {
        unsafe {
            gobject_sys::g_signal_connect_data(
                object,
                signal.as_ptr(),
                Some(std::mem::transmute::<
                    unsafe extern "C" fn(*mut GdkFrameClock, *mut c_void),
                    unsafe extern "C" fn(),
                >(handler)),
                phase as *mut c_void,
                None,
                gobject_sys::G_CONNECT_AFTER,
            );
        }
    }
    unsafe {
        gobject_sys::g_object_weak_ref(object, Some(on_clock_finalized), std::ptr::null_mut())
    };
}

unsafe extern "C" fn on_clock_finalized(_data: *mut c_void, where_the_object_was: *mut GObject) {
    crate::guard((), || {
        with_session(|session| {
            session
                .clocks
                .retain(|(k, _)| *k != where_the_object_was as usize)
        });
    })
}

/// Emission hook on each phase signal; `data` is the phase index.
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
            let new_cycle =
                phase == BEFORE_PAINT || state.last_phase.is_some_and(|last| phase < last);
            if new_cycle {
                state.starts = [None; 5];
                state.ends = [None; 5];
            }
            // Layout may run several times per cycle: keep the first start.
            if !(phase == LAYOUT && state.starts[LAYOUT].is_some()) {
                state.starts[phase] = Some(now);
            }
            state.last_phase = Some(phase);
        });
        timer.stop_frame_work(false);
    });
    GTRUE
}

/// Connected after every other handler of each phase signal; `data` is the phase index.
unsafe extern "C" fn on_phase_end(clock: *mut GdkFrameClock, data: *mut c_void) {
    crate::guard((), || {
        if !crate::session::recording() {
            return;
        }
        let monotonic = clock::monotonic_ns();
        let timer = Timer::start_at(monotonic);
        let phase = data as usize;
        let now = clock::since_start(monotonic);
        let mut wrote_frame = false;
        with_session(|session| {
            let Some(state) = session.known_clock(clock) else {
                return;
            };
            if phase >= PHASE_SIGNALS.len() || state.starts[phase].is_none() {
                return;
            }
            state.ends[phase] = Some(now);
            if phase != AFTER_PAINT {
                return;
            }
            let phases: [Option<Phase>; 5] = std::array::from_fn(|i| {
                state.starts[i].map(|start_ns| Phase {
                    start_ns,
                    end_ns: state.ends[i].unwrap_or(start_ns).max(start_ns),
                })
            });
            let first_start = phases
                .iter()
                .flatten()
                .map(|p| p.start_ns)
                .min()
                .unwrap_or(now);
            state.starts = [None; 5];
            state.ends = [None; 5];
            state.last_phase = None;
            let Some(surface) = state.surface else { return };
            let counter = unsafe { gdk4_sys::gdk_frame_clock_get_frame_counter(clock) };
            let next_timings = *state.next_timings.get_or_insert(counter);
            let [before_paint, update, layout, paint, after_paint] = phases;
            session.write(&Record::Frame(Frame {
                t_ns: first_start,
                surface,
                counter,
                end_ns: now,
                before_paint,
                update,
                layout,
                paint,
                after_paint,
            }));
            wrote_frame = true;
            let next = unsafe {
                write_completed_timings(session, clock, surface, next_timings, counter, now)
            };
            if let Some(state) = session.known_clock(clock) {
                state.next_timings = Some(next);
            }
        });
        timer.stop_frame_work(wrote_frame);
    })
}

/// Writes the timings of frames `from..current` that GDK has completed, in order,
/// stopping at the first incomplete one, stamped `now`. Returns the next counter to look at.
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
    while counter < current && counter < from.max(history_start) + MAX_TIMINGS_PER_CYCLE {
        let timings = unsafe { gdk4_sys::gdk_frame_clock_get_timings(clock, counter) };
        if !timings.is_null() {
            if unsafe { gdk4_sys::gdk_frame_timings_get_complete(timings) } == 0 {
                break;
            }
            let refresh_us = unsafe { gdk4_sys::gdk_frame_timings_get_refresh_interval(timings) };
            session.write(&Record::FrameTimings(FrameTimings {
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
