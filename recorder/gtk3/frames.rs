//! Frame-clock cycles in GDK 3, whose `GdkFrameClock` has GTK 4's phase signals: the
//! core's `frame_cycle` over GDK 3 (the same scheme as the GTK 4 front's `frames.rs`). An
//! emission hook per phase signal gives each phase's start (the end of the phase before
//! it); a handler connected after all others on each clock's after-paint gives the
//! cycle's end, where the frame's pixels are read (with `GDKRECORD_PIXELS`), then its
//! Frame record is written and, every 4 cycles, the GdkFrameTimings GDK has completed
//! since.

use std::ffi::{c_uint, c_void};

use gdkrecord_core::clock;
use gdkrecord_core::ffi::value_pointer;
use gdkrecord_core::frame_cycle::{self, ClockState, TimingsCalls, AFTER_PAINT};
use gdkrecord_core::self_time::{FrameSite, Timer};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GObject, GSignalInvocationHint, GValue};

use crate::ffi::{self, GdkFrameClock, GdkFrameTimings};
use crate::pixels;
use crate::tables::{with_tables, Tables};

pub(crate) use gdkrecord_core::frame_cycle::PHASE_SIGNALS;

/// GDK 3's frame clock and timings calls.
static TIMINGS: TimingsCalls<GdkFrameClock, GdkFrameTimings> = TimingsCalls {
    frame_counter: ffi::gdk_frame_clock_get_frame_counter,
    history_start: ffi::gdk_frame_clock_get_history_start,
    timings: ffi::gdk_frame_clock_get_timings,
    complete: ffi::gdk_frame_timings_get_complete,
    frame_time: ffi::gdk_frame_timings_get_frame_time,
    presentation_time: ffi::gdk_frame_timings_get_presentation_time,
    predicted_presentation_time: ffi::gdk_frame_timings_get_predicted_presentation_time,
    refresh_interval: ffi::gdk_frame_timings_get_refresh_interval,
};

impl Tables {
    /// The state of `clock`, connecting its cycle-end handler on first sight.
    pub(crate) fn clock_state(&mut self, clock: *mut GdkFrameClock) -> &mut ClockState {
        let key = clock as usize;
        if self.clocks.get(key).is_none() {
            unsafe { watch_clock(clock) };
            self.clocks.insert(key, ClockState::default());
        }
        self.clocks.get_mut(key).expect("just inserted")
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
        gobject_sys::g_object_weak_ref(object, Some(on_clock_finalized), std::ptr::null_mut());
    }
}

unsafe extern "C" fn on_clock_finalized(_data: *mut c_void, where_the_object_was: *mut GObject) {
    gdkrecord_core::guard((), || {
        with_tables(|tables| tables.clocks.remove(where_the_object_was as usize));
    });
}

/// Emission hook on each phase signal; `data` is the phase's index.
#[link_section = ".text.hot.gdkrecord"]
pub(crate) unsafe extern "C" fn on_phase_start(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    data: gpointer,
) -> gboolean {
    gdkrecord_core::guard((), || {
        if n_params < 1 || !gdkrecord_core::session::recording() {
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
        with_tables(|tables| {
            let state = tables.clock_state(clock);
            tables.current_frame = state.phase_started(phase, now, || unsafe {
                ffi::gdk_frame_clock_get_frame_counter(clock)
            });
        });
        timer.stop_frame_work(FrameSite::PhaseStart(phase), false);
    });
    GTRUE
}

/// Connected after every other handler of each clock's after-paint: the cycle ends.
#[link_section = ".text.hot.gdkrecord"]
unsafe extern "C" fn on_cycle_end(clock: *mut GdkFrameClock, _data: *mut c_void) {
    gdkrecord_core::guard((), || {
        gdkrecord_core::idle_signal::frame_ended();
        if !gdkrecord_core::session::recording() {
            return;
        }
        let monotonic = clock::monotonic_ns();
        let mut timer = Timer::start_at(monotonic);
        let now = clock::since_start(monotonic);
        let mut wrote_frame = false;
        with_tables(|tables| {
            let Some(end) = tables
                .clocks
                .get_mut(clock as usize)
                .and_then(|state| state.cycle_ended(now))
            else {
                return;
            };
            tables.current_frame = -1;
            if pixels::enabled() {
                // GDK has painted the windows by now; before the Frame record, as GTK 4's
                // Pixels records come during paint. Timed on their own (`time_pixels`),
                // after the cycle's end time was taken.
                tables.exposures.painted();
                timer.exclude(unsafe { pixels::read_due(tables) });
            }
            let (sent, timings) = unsafe { frame_cycle::finish_cycle(&TIMINGS, clock, end, now) };
            wrote_frame = sent;
            if let (Some((next, gdk_counter)), Some(state)) =
                (timings, tables.clocks.get_mut(clock as usize))
            {
                state.timings_written(next, gdk_counter);
            }
        });
        timer.stop_frame_work(FrameSite::CycleEnd, wrote_frame);
    })
}
