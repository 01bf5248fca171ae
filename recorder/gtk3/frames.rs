//! Frame-clock cycles in GDK 3, whose `GdkFrameClock` has GTK 4's phase signals: an
//! emission hook per phase signal gives each phase's start (the end of the phase before
//! it); a handler connected after all others on each clock's after-paint gives the
//! cycle's end, where the Frame record is written and, every 4 cycles, the
//! GdkFrameTimings GDK has completed since. (The same scheme as the GTK 4 front's
//! `frames.rs`, over GDK 3.)

use std::ffi::{c_uint, c_void, CStr};

use gdkrecord_core::clock;
use gdkrecord_core::ffi::value_pointer;
use gdkrecord_core::self_time::{FrameSite, Timer};
use gdkrecord_format::{Frame, FrameTimings, Phase, Record, SurfaceId};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GObject, GSignalInvocationHint, GValue};

use crate::ffi::{self, GdkFrameClock};
use crate::pixels;
use crate::tables::{with_tables, ClockState, Tables};

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
/// At most this many completed timings are written per look (GDK keeps 16).
const MAX_TIMINGS_PER_LOOK: i64 = 8;
/// Completed timings are looked for every this many cycles (a batch costs little more
/// than one), when the counted frame counter is also checked against GDK's.
const TIMINGS_EVERY: i64 = 4;

impl Tables {
    /// The state of `clock`, connecting its cycle-end handler on first sight.
    pub(crate) fn clock_state(&mut self, clock: *mut GdkFrameClock) -> &mut ClockState {
        let key = clock as usize;
        if self.clocks.get(key).is_none() {
            unsafe { watch_clock(clock) };
            self.clocks.insert(
                key,
                ClockState {
                    counter: -1,
                    next_timings: -1,
                    ..ClockState::default()
                },
            );
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
        let now = clock::since_start(monotonic);
        let phase = data as usize;
        let clock = unsafe { value_pointer(params) }.cast::<GdkFrameClock>();
        if clock.is_null() || phase >= PHASE_SIGNALS.len() {
            return;
        }
        with_tables(|tables| {
            let state = tables.clock_state(clock);
            let last = state.last_phase;
            let new_cycle = phase == BEFORE_PAINT || last.is_some_and(|last| phase < last);
            if new_cycle {
                *state = ClockState {
                    starts: [None; 5],
                    ends: [None; 5],
                    last_phase: None,
                    // GDK counts a frame right before its before-paint: counted here,
                    // asked of GDK on the first cycle and checked every few cycles.
                    counter: if phase == BEFORE_PAINT && state.counter >= 0 {
                        state.counter + 1
                    } else {
                        unsafe { ffi::gdk_frame_clock_get_frame_counter(clock) }
                    },
                    ..*state
                };
            } else if let Some(last) = last.filter(|last| *last != phase) {
                state.ends[last] = Some(now);
            }
            // Layout may run several times per cycle: keep the first start.
            if !(phase == LAYOUT && state.starts[LAYOUT].is_some()) {
                state.starts[phase] = Some(now);
            }
            state.last_phase = Some(phase);
            tables.current_frame = state.counter;
        });
        timer.stop_frame_work(FrameSite::PhaseStart(phase), false);
    });
    GTRUE
}

/// Connected after every other handler of each clock's after-paint: the cycle ends.
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
            let Some(state) = tables.clocks.get_mut(clock as usize) else {
                return;
            };
            if state.starts[AFTER_PAINT].is_none() {
                return;
            }
            state.ends[AFTER_PAINT] = Some(now);
            // Before the Frame record, as GTK 4's Damage and Pixels records come during
            // paint; GDK has painted the windows by now.
            tables.exposures.flush();
            if pixels::enabled() {
                // Timed on their own (`time_pixels`), after the cycle's end time was taken.
                timer.exclude(unsafe { pixels::read_due(tables) });
            }
            let Some(state) = tables.clocks.get_mut(clock as usize) else {
                return;
            };
            let phases: [Option<Phase>; 5] = std::array::from_fn(|i| {
                state.starts[i].map(|start_ns| Phase {
                    start_ns,
                    end_ns: state.ends[i].unwrap_or(start_ns).max(start_ns),
                })
            });
            state.starts = [None; 5];
            state.ends = [None; 5];
            state.last_phase = None;
            let counter = state.counter;
            if state.next_timings < 0 {
                state.next_timings = counter;
            }
            let next_timings = state.next_timings;
            let surface = state.surface;
            tables.current_frame = -1;
            let Some(surface) = surface else { return };
            let first_start = phases
                .iter()
                .flatten()
                .map(|p| p.start_ns)
                .min()
                .unwrap_or(now);
            let [before_paint, update, layout, paint, after_paint] = phases;
            tables.write(Record::Frame(Frame {
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
            if counter % TIMINGS_EVERY != 0 {
                return;
            }
            let next = unsafe {
                write_completed_timings(tables, clock, surface, next_timings, counter, now)
            };
            let gdk_counter = unsafe { ffi::gdk_frame_clock_get_frame_counter(clock) };
            if let Some(state) = tables.clocks.get_mut(clock as usize) {
                state.next_timings = next;
                state.counter = gdk_counter;
            }
        });
        timer.stop_frame_work(FrameSite::CycleEnd, wrote_frame);
    })
}

/// Writes the timings of frames `from..current` that GDK has completed, in order,
/// stopping at the first incomplete one. Returns the next counter to look at.
unsafe fn write_completed_timings(
    tables: &mut Tables,
    clock: *mut GdkFrameClock,
    surface: SurfaceId,
    from: i64,
    current: i64,
    now: u64,
) -> i64 {
    let history_start = unsafe { ffi::gdk_frame_clock_get_history_start(clock) };
    let start = from.max(history_start);
    let mut counter = start;
    while counter < current && counter < start + MAX_TIMINGS_PER_LOOK {
        let timings = unsafe { ffi::gdk_frame_clock_get_timings(clock, counter) };
        if !timings.is_null() {
            if unsafe { ffi::gdk_frame_timings_get_complete(timings) } == 0 {
                break;
            }
            let refresh_us = unsafe { ffi::gdk_frame_timings_get_refresh_interval(timings) };
            tables.write(Record::FrameTimings(FrameTimings {
                t_ns: now,
                surface,
                counter,
                frame_time_ns: clock::from_gdk_us(unsafe {
                    ffi::gdk_frame_timings_get_frame_time(timings)
                }),
                presentation_time_ns: clock::from_gdk_us(unsafe {
                    ffi::gdk_frame_timings_get_presentation_time(timings)
                }),
                predicted_presentation_time_ns: clock::from_gdk_us(unsafe {
                    ffi::gdk_frame_timings_get_predicted_presentation_time(timings)
                }),
                refresh_interval_ns: (refresh_us > 0).then(|| refresh_us as u64 * 1000),
            }));
        }
        counter += 1;
    }
    counter
}
