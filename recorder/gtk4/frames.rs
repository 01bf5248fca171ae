//! Frame-clock cycles (the core's `frame_cycle`, over GDK 4): an emission hook per phase
//! signal gives each phase's start, which is also the end of the phase before it (GDK
//! emits them back to back from one idle callback); a handler connected after all others
//! on each clock's after-paint gives the cycle's end. One Frame record is written per
//! cycle when after-paint ends, then the GdkFrameTimings GDK has completed since. Per
//! cycle that is one hook call per phase GDK runs and one handler call: the fewest that
//! time every phase.

use std::ffi::{c_uint, c_void};

use gdk4_sys::{GdkFrameClock, GdkFrameTimings};
use gdkrecord_core::frame_cycle::{self, ClockState, TimingsCalls, AFTER_PAINT};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GObject, GSignalInvocationHint, GValue};

use crate::clock;
use crate::ffi::value_pointer;
use crate::self_time::{FrameSite, Timer};
use crate::tables::{with_session, Session};

pub(crate) use gdkrecord_core::frame_cycle::PHASE_SIGNALS;

/// GDK 4's frame clock and timings calls.
static TIMINGS: TimingsCalls<GdkFrameClock, GdkFrameTimings> = TimingsCalls {
    frame_counter: gdk4_sys::gdk_frame_clock_get_frame_counter,
    history_start: gdk4_sys::gdk_frame_clock_get_history_start,
    timings: gdk4_sys::gdk_frame_clock_get_timings,
    complete: gdk4_sys::gdk_frame_timings_get_complete,
    frame_time: gdk4_sys::gdk_frame_timings_get_frame_time,
    presentation_time: gdk4_sys::gdk_frame_timings_get_presentation_time,
    predicted_presentation_time: gdk4_sys::gdk_frame_timings_get_predicted_presentation_time,
    refresh_interval: gdk4_sys::gdk_frame_timings_get_refresh_interval,
};

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
            session.current_frame = state.phase_started(phase, now, || unsafe {
                gdk4_sys::gdk_frame_clock_get_frame_counter(clock)
            });
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
            let Some(end) = session
                .known_clock(clock)
                .and_then(|state| state.cycle_ended(now))
            else {
                return;
            };
            session.current_frame = -1;
            let (sent, timings) = unsafe { frame_cycle::finish_cycle(&TIMINGS, clock, end, now) };
            wrote_frame = sent;
            if let (Some((next, gdk_counter)), Some(state)) = (timings, session.known_clock(clock))
            {
                state.timings_written(next, gdk_counter);
            }
        });
        timer.stop_frame_work(FrameSite::CycleEnd, wrote_frame);
    })
}
