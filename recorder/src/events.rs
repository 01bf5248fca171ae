//! Input: the emission hook on `GdkSurface::event` turns each GdkEvent into an Event
//! record with every field its type carries. Fields are read before taking the lock.

use std::ffi::c_uint;

use gdk4_sys::{GdkEvent, GdkSurface};
use gdkrecord_format::{
    CrossingMode, EventType, Modifiers, NotifyType, Record, ScrollDirection, SurfaceId,
};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GSignalInvocationHint, GValue};

use crate::clock;
use crate::ffi::c_string;
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
        let timer = Timer::start();
        let t_ns = clock::now();
        let surface = unsafe { gobject_sys::g_value_get_object(params) }.cast::<GdkSurface>();
        let event = unsafe { gobject_sys::g_value_get_pointer(params.add(1)) }.cast::<GdkEvent>();
        if surface.is_null() || event.is_null() {
            return;
        }
        let (mut record, sequence) = unsafe { read_event(event, t_ns) };
        with_session(|session| {
            record.surface = unsafe { session.surface_id(surface) };
            if let Some((raw, ends)) = sequence {
                record.sequence = Some(session.sequence_number(raw, ends));
            }
            let bytes = session.write(&Record::Event(record));
            if self_time::enabled() {
                self_time::EVENT_BYTES
                    .fetch_add(bytes as u64, std::sync::atomic::Ordering::Relaxed);
            }
        });
        timer.stop_event();
    });
    GTRUE
}
