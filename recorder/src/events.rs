//! Input: the emission hook on `GdkSurface::event` turns each GdkEvent into an Event
//! record with every field its type carries. Fields are read before taking the lock.

use std::ffi::c_uint;
use std::sync::atomic::{AtomicBool, Ordering};

use gdk4_sys::{GdkEvent, GdkSurface};
use gdkrecord_format::{
    CrossingMode, EventType, Modifiers, NotifyType, Record, ScrollDirection, SurfaceId,
};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GSignalInvocationHint, GValue};

use crate::clock;
use crate::ffi::{c_string, value_pointer};
use crate::mmap_writer::{MmapWriter, DEFAULT_CHUNK};
use crate::self_time::{self, Timer};
use crate::session::with_session;

/// Reads the fields of `event` into a record (surface filled in later).
///
/// # Safety
/// `event` is a valid GdkEvent.
unsafe fn read_event(
    event: *mut GdkEvent,
    t_ns: u64,
) -> (gdkrecord_format::Event, Option<(usize, bool)>) {
    use gdk4_sys as g;
    let raw_type = unsafe { g::gdk_event_get_event_type(event) };
    let event_type = EventType(u8::try_from(raw_type).unwrap_or(u8::MAX));
    let mut record = gdkrecord_format::Event::new(t_ns, SurfaceId(0), event_type, unsafe {
        g::gdk_event_get_time(event)
    });
    let (mut x, mut y) = (0.0, 0.0);
    if unsafe { g::gdk_event_get_position(event, &mut x, &mut y) } != 0 {
        record.x = Some(x);
        record.y = Some(y);
    }
    let mut sequence = None;
    let has_modifiers = match event_type {
        EventType::MOTION_NOTIFY | EventType::ENTER_NOTIFY | EventType::LEAVE_NOTIFY => true,
        EventType::BUTTON_PRESS | EventType::BUTTON_RELEASE => {
            record.button = Some(unsafe { g::gdk_button_event_get_button(event.cast()) });
            true
        }
        EventType::KEY_PRESS | EventType::KEY_RELEASE => {
            let keyval = unsafe { g::gdk_key_event_get_keyval(event.cast()) };
            record.keyval = Some(keyval);
            let name = unsafe { g::gdk_keyval_name(keyval) };
            if !name.is_null() {
                record.key = Some(unsafe { c_string(name) });
            }
            record.keycode = Some(unsafe { g::gdk_key_event_get_keycode(event.cast()) });
            true
        }
        EventType::SCROLL => {
            let direction = unsafe { g::gdk_scroll_event_get_direction(event.cast()) };
            record.scroll_direction = Some(ScrollDirection(direction as u8));
            if direction == g::GDK_SCROLL_SMOOTH {
                let (mut dx, mut dy) = (0.0, 0.0);
                unsafe { g::gdk_scroll_event_get_deltas(event.cast(), &mut dx, &mut dy) };
                record.dx = Some(dx);
                record.dy = Some(dy);
            }
            true
        }
        EventType::TOUCHPAD_SWIPE | EventType::TOUCHPAD_PINCH => {
            let (mut dx, mut dy) = (0.0, 0.0);
            unsafe { g::gdk_touchpad_event_get_deltas(event.cast(), &mut dx, &mut dy) };
            record.dx = Some(dx);
            record.dy = Some(dy);
            true
        }
        EventType::TOUCH_BEGIN
        | EventType::TOUCH_UPDATE
        | EventType::TOUCH_END
        | EventType::TOUCH_CANCEL => {
            let raw = unsafe { g::gdk_event_get_event_sequence(event) } as usize;
            let ends = matches!(event_type, EventType::TOUCH_END | EventType::TOUCH_CANCEL);
            sequence = Some((raw, ends));
            true
        }
        EventType::FOCUS_CHANGE => {
            record.focus_in = Some(unsafe { g::gdk_focus_event_get_in(event.cast()) } != 0);
            false
        }
        EventType::PAD_BUTTON_PRESS | EventType::PAD_BUTTON_RELEASE => {
            record.button = Some(unsafe { g::gdk_pad_event_get_button(event.cast()) });
            false
        }
        _ => false,
    };
    if matches!(
        event_type,
        EventType::ENTER_NOTIFY | EventType::LEAVE_NOTIFY
    ) {
        record.crossing_mode =
            Some(CrossingMode(
                unsafe { g::gdk_crossing_event_get_mode(event.cast()) } as u8,
            ));
        record.crossing_detail =
            Some(NotifyType(
                unsafe { g::gdk_crossing_event_get_detail(event.cast()) } as u8,
            ));
    }
    if has_modifiers {
        record.modifiers = Some(Modifiers(unsafe { g::gdk_event_get_modifier_state(event) }));
    }
    (record, sequence)
}

/// Emission hook on `GdkSurface::event(GdkEvent*)`.
pub(crate) unsafe extern "C" fn on_surface_event(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    _data: gpointer,
) -> gboolean {
    crate::guard((), || {
        if n_params < 2 || !crate::session::recording() {
            return;
        }
        let monotonic = clock::monotonic_ns();
        let timer = Timer::start_at(monotonic);
        let t_ns = clock::since_start(monotonic);
        // `event(GdkSurface*, gpointer)`: an object and a pointer.
        let surface = unsafe { value_pointer(params) }.cast::<GdkSurface>();
        let event = unsafe { value_pointer(params.add(1)) }.cast::<GdkEvent>();
        if surface.is_null() || event.is_null() {
            return;
        }
        let bytes = unsafe { record_event(surface, event, t_ns) };
        if self_time::enabled() {
            self_time::EVENT_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
            timer.stop_event();
            // A motion event: no touch sequence to number, no key name to allocate.
            if self_time::EVENTS.count() >= WARM_AFTER_EVENTS
                && unsafe { gdk4_sys::gdk_event_get_event_type(event) }
                    == gdk4_sys::GDK_MOTION_NOTIFY
                && !WARM_DONE.swap(true, Ordering::Relaxed)
            {
                unsafe { measure_warm(surface, event) };
            }
        }
    });
    GTRUE
}

/// Reads `event` and appends its record; returns the bytes written.
///
/// # Safety
/// `surface` and `event` are valid.
unsafe fn record_event(surface: *mut GdkSurface, event: *mut GdkEvent, t_ns: u64) -> usize {
    let (mut record, sequence) = unsafe { read_event(event, t_ns) };
    with_session(|session| {
        record.surface = unsafe { session.surface_id(surface) };
        if let Some((raw, ends)) = sequence {
            record.sequence = Some(session.sequence_number(raw, ends));
        }
        session.write(&Record::Event(record))
    })
    .unwrap_or(0)
}

/// The warm measurement runs once, at the first motion event after this many events
/// (past start-up).
const WARM_AFTER_EVENTS: u64 = 200;
/// Set once the warm measurement has run (or failed to).
static WARM_DONE: AtomicBool = AtomicBool::new(false);
/// Times the warm measurement repeats the event path.
const WARM_REPEATS: u64 = 100_000;

/// With `GDKRECORD_SELF_TIME=1`: the same path as the hook (clock read, reading the real
/// `event`, lock, surface lookup, encode, CRC, copy into a mapping) run
/// [`WARM_REPEATS`] times back to back, so with warm caches, into a scratch file (the
/// recording is untouched). Its mean per event, next to the in-app figures, separates
/// the code's cost from that of running cold between GTK's own work.
///
/// # Safety
/// `surface` and `event` are valid.
unsafe fn measure_warm(surface: *mut GdkSurface, event: *mut GdkEvent) {
    let path = std::env::temp_dir().join(format!("gdkrecord-warm-{}", std::process::id()));
    let scratch = MmapWriter::create(&path, DEFAULT_CHUNK);
    // The mapping outlives the name.
    let _ = std::fs::remove_file(&path);
    let Ok(scratch) = scratch else { return };
    let Some(saved) = with_session(|session| session.swap_writer(scratch)) else {
        return;
    };
    let start = clock::monotonic_ns();
    for _ in 0..WARM_REPEATS {
        let t_ns = clock::now();
        unsafe { record_event(surface, event, t_ns) };
    }
    let ns = (clock::monotonic_ns() - start) / WARM_REPEATS;
    with_session(|session| session.restore_writer(saved));
    self_time::WARM_EVENT_NS.store(ns, Ordering::Relaxed);
}
