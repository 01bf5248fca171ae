//! GDK 3's event handler: every event GDK hands to GTK passes here first
//! (`gdk_event_handler_set`, chained to `gtk_main_do_event`). Input becomes Event records
//! with GTK 4's fields and numbering, `GDK_EXPOSE` becomes Damage records, `GDK_CONFIGURE`
//! Size records and `GDK_WINDOW_STATE` State records, all in surface coordinates
//! (`surfaces.rs`).
//!
//! Events are read from GDK 3's public event structs (`ffi.rs`): no getter calls on the
//! way, and no private layout to prove.

use std::ffi::c_int;

use gdkrecord_core::clock;
use gdkrecord_core::ffi::c_string;
use gdkrecord_core::hot::HOT;
use gdkrecord_core::key_names::{self, KeyName};
use gdkrecord_core::queue::{self, Entry, KeyEvent, PointerEvent};
use gdkrecord_core::self_time::{self, FrameSite, Timer};
use gdkrecord_core::session::{on_main_thread, recording};
use gdkrecord_format::{
    is_text_keyval, CrossingMode, Event, EventType, Modifiers, NotifyType, Record, ScrollDirection,
    SurfaceId,
};
use glib_sys::gpointer;
use std::sync::atomic::Ordering;

use crate::exposures::{self, ExposedWindow};
use crate::ffi::{self, event_type as gdk3, GdkEvent, GdkWindow};
use crate::pixels;
use crate::surfaces::Target;
use crate::tables::with_tables;

/// The handler GDK calls for each event: records it, then lets GTK handle it. (In the
/// hot section with `record`, which is inlined here: the few code pages every event and
/// frame runs through.)
#[link_section = ".text.hot.gdkrecord"]
pub(crate) unsafe extern "C" fn on_event(event: *mut GdkEvent, _data: gpointer) {
    let expose_pixels = gdkrecord_core::guard(false, || {
        if event.is_null() {
            return false;
        }
        unsafe { record(event) };
        pixels::enabled() && unsafe { (*event.cast::<ffi::EventAny>()).event_type } == gdk3::EXPOSE
    });
    unsafe { ffi::gtk_main_do_event(event) };
    if expose_pixels {
        // An expose outside a frame-clock cycle (written at once): GTK painted it now.
        gdkrecord_core::guard((), || {
            with_tables(|tables| unsafe { pixels::read_due(tables) });
        });
    }
}

/// GTK 4's `GdkEventType` for a GDK 3 input event type; None for what is not input
/// (exposes, configures, maps...) and for GDK 3's extra 2BUTTON/3BUTTON presses, which
/// GDK 3 sends besides the presses themselves (GTK 4 has no such events).
fn input_type(gdk3_type: c_int) -> Option<EventType> {
    Some(match gdk3_type {
        gdk3::DELETE => EventType::DELETE,
        gdk3::MOTION_NOTIFY => EventType::MOTION_NOTIFY,
        gdk3::BUTTON_PRESS => EventType::BUTTON_PRESS,
        gdk3::BUTTON_RELEASE => EventType::BUTTON_RELEASE,
        gdk3::KEY_PRESS => EventType::KEY_PRESS,
        gdk3::KEY_RELEASE => EventType::KEY_RELEASE,
        gdk3::ENTER_NOTIFY => EventType::ENTER_NOTIFY,
        gdk3::LEAVE_NOTIFY => EventType::LEAVE_NOTIFY,
        gdk3::FOCUS_CHANGE => EventType::FOCUS_CHANGE,
        gdk3::PROXIMITY_IN => EventType::PROXIMITY_IN,
        gdk3::PROXIMITY_OUT => EventType::PROXIMITY_OUT,
        gdk3::DRAG_ENTER => EventType::DRAG_ENTER,
        gdk3::DRAG_LEAVE => EventType::DRAG_LEAVE,
        gdk3::DRAG_MOTION => EventType::DRAG_MOTION,
        gdk3::DROP_START => EventType::DROP_START,
        gdk3::SCROLL => EventType::SCROLL,
        gdk3::GRAB_BROKEN => EventType::GRAB_BROKEN,
        gdk3::TOUCH_BEGIN => EventType::TOUCH_BEGIN,
        gdk3::TOUCH_UPDATE => EventType::TOUCH_UPDATE,
        gdk3::TOUCH_END => EventType::TOUCH_END,
        gdk3::TOUCH_CANCEL => EventType::TOUCH_CANCEL,
        gdk3::TOUCHPAD_SWIPE => EventType::TOUCHPAD_SWIPE,
        gdk3::TOUCHPAD_PINCH => EventType::TOUCHPAD_PINCH,
        gdk3::PAD_BUTTON_PRESS => EventType::PAD_BUTTON_PRESS,
        gdk3::PAD_BUTTON_RELEASE => EventType::PAD_BUTTON_RELEASE,
        gdk3::PAD_RING => EventType::PAD_RING,
        gdk3::PAD_STRIP => EventType::PAD_STRIP,
        gdk3::PAD_GROUP_MODE => EventType::PAD_GROUP_MODE,
        _ => return None,
    })
}

/// Records `event`.
///
/// # Safety
/// `event` is a valid GdkEvent.
#[link_section = ".text.hot.gdkrecord"]
unsafe fn record(event: *mut GdkEvent) {
    let any = unsafe { &*event.cast::<ffi::EventAny>() };
    if !recording() {
        if !any.window.is_null() {
            // The display opened before the module could watch for it.
            crate::start_with_default_display();
        }
        return;
    }
    if any.window.is_null() || !on_main_thread() {
        return;
    }
    let event_type = any.event_type;
    // Pointer events first, tested apart from the rest: a `match` over every type is a
    // jump table in .rodata, a cache line and page of its own for the commonest events to
    // miss on.
    if matches!(
        event_type,
        gdk3::MOTION_NOTIFY | gdk3::BUTTON_PRESS | gdk3::BUTTON_RELEASE
    ) {
        unsafe { record_pointer(event, event_type, any.window) };
    } else if event_type == gdk3::EXPOSE {
        // Once or twice a frame: kept out of `record_other` too.
        if crate::damage_on() {
            let monotonic = clock::monotonic_ns();
            let timer = Timer::start_at(monotonic);
            unsafe { record_expose(event, any.window, clock::since_start(monotonic)) };
            timer.stop_frame_work(FrameSite::Damage, false);
        }
    } else {
        unsafe { record_other(event, any.window, event_type) };
    }
}

/// A motion or button event. A function of its own, so that the commonest path is a few
/// consecutive code lines, not spread among the handler's others.
///
/// # Safety
/// `event` is a valid motion or button event (`event_type`) of `window` (not null).
#[inline(never)]
#[link_section = ".text.hot.gdkrecord"]
unsafe fn record_pointer(event: *mut GdkEvent, event_type: c_int, window: *mut GdkWindow) {
    let monotonic = clock::monotonic_ns();
    let timer = Timer::start_at(monotonic);
    let t_ns = clock::since_start(monotonic);
    if let Some(pointer) = unsafe { pointer_event(event, event_type, window, t_ns) } {
        queue::send_in_place(pointer, Entry::Pointer);
    }
    timer.stop_event(true);
    if self_time::enabled() && event_type == gdk3::MOTION_NOTIFY {
        unsafe { after_timing(event, window) };
    }
}

/// Every event but pointer motion, buttons and exposes: configures, window states and
/// the other input events.
///
/// # Safety
/// `event` is a valid GdkEvent of `window` (not null), of GDK 3 type `event_type`.
#[inline(never)]
#[link_section = ".text.hot.gdkrecord"]
unsafe fn record_other(event: *mut GdkEvent, window: *mut GdkWindow, event_type: c_int) {
    let monotonic = clock::monotonic_ns();
    let t_ns = clock::since_start(monotonic);
    match event_type {
        gdk3::CONFIGURE => {
            let timer = Timer::start_at(monotonic);
            let configure = unsafe { &*event.cast::<ffi::EventConfigure>() };
            let target = unsafe { Target::of(window) };
            if target.surface == window {
                with_tables(|tables| unsafe {
                    tables.configured(window, configure.width, configure.height)
                });
            }
            timer.stop_frame_work(FrameSite::Layout, false);
        }
        gdk3::WINDOW_STATE => {
            let state = unsafe { &*event.cast::<ffi::EventWindowState>() };
            if unsafe { Target::of(window) }.surface == window {
                with_tables(|tables| unsafe {
                    tables.state_changed(window, state.new_window_state)
                });
            }
        }
        other => {
            if let Some(event_type) = input_type(other) {
                let timer = Timer::start_at(monotonic);
                unsafe { record_input(event, event_type, window, t_ns) };
                timer.stop_event(false);
            }
        }
    }
}

/// With self-timing, once the app is past start-up, on a motion event: the warm
/// measurement of the pointer path (`self_time::measure_warm`).
///
/// # Safety
/// `event` is a valid motion event of `window`.
#[cold]
#[inline(never)]
unsafe fn after_timing(event: *mut GdkEvent, window: *mut GdkWindow) {
    if self_time::warm_measurement_due() {
        self_time::measure_warm(|t_ns| {
            let pointer = unsafe { pointer_event(event, gdk3::MOTION_NOTIFY, window, t_ns) };
            pointer.map(Entry::Pointer)
        });
    }
}

/// The entry of a motion or button event, from the public struct, in surface
/// coordinates; `None` for a window of no known surface.
///
/// # Safety
/// `event` is a valid motion or button event of `window`.
#[inline(always)]
unsafe fn pointer_event(
    event: *mut GdkEvent,
    gdk3_type: c_int,
    window: *mut GdkWindow,
    t_ns: u64,
) -> Option<PointerEvent> {
    // The common case touches no table and calls nothing: the event is on the surface
    // window seen last (a surface is its own target, at no offset).
    let (surface, target) = if HOT.last_surface.load(Ordering::Relaxed) == window as usize {
        let at_origin = Target {
            surface: window,
            dx: 0,
            dy: 0,
        };
        (
            SurfaceId(HOT.last_surface_id.load(Ordering::Relaxed)),
            at_origin,
        )
    } else {
        unsafe { surface_of(window) }?
    };
    let pointer = if gdk3_type == gdk3::MOTION_NOTIFY {
        let motion = unsafe { &*event.cast::<ffi::EventMotion>() };
        PointerEvent {
            t_ns,
            x: motion.x + f64::from(target.dx),
            y: motion.y + f64::from(target.dy),
            surface,
            time_ms: motion.time,
            modifiers: motion.state,
            button: None,
            event_type: EventType::MOTION_NOTIFY,
        }
    } else {
        let button = unsafe { &*event.cast::<ffi::EventButton>() };
        PointerEvent {
            t_ns,
            x: button.x + f64::from(target.dx),
            y: button.y + f64::from(target.dy),
            surface,
            time_ms: button.time,
            modifiers: button.state,
            button: Some(button.button),
            event_type: if gdk3_type == gdk3::BUTTON_PRESS {
                EventType::BUTTON_PRESS
            } else {
                EventType::BUTTON_RELEASE
            },
        }
    };
    Some(pointer)
}

/// The surface of `window` (a child window, or another surface than the last) and the
/// window's offset in it; `None` for a window of no known surface. Out of line: the
/// pointer path runs through fewer code lines without it.
///
/// # Safety
/// `window` is a valid GdkWindow.
#[inline(never)]
#[link_section = ".text.hot.gdkrecord"]
unsafe fn surface_of(window: *mut GdkWindow) -> Option<(SurfaceId, Target)> {
    let target = unsafe { Target::of(window) };
    let id = with_tables(|tables| unsafe { tables.surface_id(target.surface) })?;
    Some((id, target))
}

/// Any other input event: keys (their names from GDK's table, as on GTK 4), crossing,
/// focus, scroll, touch, pads.
///
/// # Safety
/// `event` is a valid event of `window` of the GDK 3 type `event_type` stands for.
#[inline(never)]
unsafe fn record_input(
    event: *mut GdkEvent,
    event_type: EventType,
    window: *mut GdkWindow,
    t_ns: u64,
) {
    let target = unsafe { Target::of(window) };
    if matches!(event_type, EventType::KEY_PRESS | EventType::KEY_RELEASE) {
        let key = unsafe { &*event.cast::<ffi::EventKey>() };
        let mut entry = KeyEvent {
            t_ns,
            surface: SurfaceId(0),
            time_ms: key.time,
            modifiers: key.state,
            keycode: u32::from(key.hardware_keycode),
            keyval: key.keyval,
            name: KeyName::default(),
            event_type,
            redacted: false,
        };
        if key_names::redacting() && is_text_keyval(entry.keyval) {
            entry.redact();
        }
        let usable = key_names::usable();
        let entry = with_tables(|tables| {
            entry.surface = unsafe { tables.surface_id(target.surface) };
            if usable && entry.keyval != 0 {
                entry.name = unsafe { tables.key_name(entry.keyval) };
            }
            entry
        });
        let Some(entry) = entry else { return };
        if usable {
            queue::send_entry(Entry::Key(entry), true);
        } else {
            let mut record = entry.to_event_unnamed();
            if !entry.redacted && entry.keyval != 0 {
                record.key = Some(unsafe { c_string(ffi::gdk_keyval_name(entry.keyval)) });
            }
            queue::send(Record::Event(record), true);
        }
        return;
    }
    let (dx, dy) = (f64::from(target.dx), f64::from(target.dy));
    let mut record = Event::new(t_ns, SurfaceId(0), event_type, 0);
    let mut sequence = None;
    match event_type {
        EventType::ENTER_NOTIFY | EventType::LEAVE_NOTIFY => {
            let crossing = unsafe { &*event.cast::<ffi::EventCrossing>() };
            record.time_ms = crossing.time;
            record.x = Some(crossing.x + dx);
            record.y = Some(crossing.y + dy);
            record.modifiers = Some(Modifiers(crossing.state));
            record.crossing_mode = u8::try_from(crossing.mode).ok().map(CrossingMode);
            record.crossing_detail = u8::try_from(crossing.detail).ok().map(NotifyType);
        }
        EventType::FOCUS_CHANGE => {
            let focus = unsafe { &*event.cast::<ffi::EventFocus>() };
            record.focus_in = Some(focus.focus_in != 0);
        }
        EventType::SCROLL => {
            let scroll = unsafe { &*event.cast::<ffi::EventScroll>() };
            record.time_ms = scroll.time;
            record.x = Some(scroll.x + dx);
            record.y = Some(scroll.y + dy);
            record.modifiers = Some(Modifiers(scroll.state));
            record.scroll_direction = u8::try_from(scroll.direction).ok().map(ScrollDirection);
            if scroll.direction == ffi::SCROLL_SMOOTH {
                record.dx = Some(scroll.delta_x);
                record.dy = Some(scroll.delta_y);
            }
        }
        EventType::TOUCH_BEGIN
        | EventType::TOUCH_UPDATE
        | EventType::TOUCH_END
        | EventType::TOUCH_CANCEL => {
            let touch = unsafe { &*event.cast::<ffi::EventTouch>() };
            record.time_ms = touch.time;
            record.x = Some(touch.x + dx);
            record.y = Some(touch.y + dy);
            record.modifiers = Some(Modifiers(touch.state));
            let ends = matches!(event_type, EventType::TOUCH_END | EventType::TOUCH_CANCEL);
            sequence = Some((touch.sequence as usize, ends));
        }
        _ => {}
    }
    let record = with_tables(|tables| {
        record.surface = unsafe { tables.surface_id(target.surface) };
        if let Some((raw, ends)) = sequence {
            record.sequence = Some(tables.sequence_number(raw, ends));
        }
        record
    });
    if let Some(record) = record {
        queue::send(Record::Event(record), true);
    }
}

/// A `GDK_EXPOSE`: its region, moved by the window's offset in its surface, written as
/// a Damage record of the frame being painted (`exposures.rs`).
///
/// # Safety
/// `event` is a valid expose event of `window`.
#[inline(never)]
#[link_section = ".text.hot.gdkrecord"]
unsafe fn record_expose(event: *mut GdkEvent, window: *mut GdkWindow, t_ns: u64) {
    let expose = unsafe { &*event.cast::<ffi::EventExpose>() };
    let surface_window = if HOT.last_surface.load(Ordering::Relaxed) == window as usize {
        window
    } else {
        unsafe { ffi::gdk_window_get_toplevel(window) }
    };
    let (target, is_child, check_child) = if surface_window.is_null() || surface_window == window {
        let at_origin = Target {
            surface: window,
            dx: 0,
            dy: 0,
        };
        (at_origin, false, false)
    } else {
        let native = unsafe { ffi::gdk_window_has_native(window) } != 0;
        if !native && exposures::CHILDREN_INSIDE.trusted() {
            // Inside its surface's expose, proven on this process (`exposures.rs`).
            return;
        }
        let target = unsafe { Target::of_child(window, surface_window) };
        (
            target,
            true,
            !native && exposures::CHILDREN_INSIDE.checking(),
        )
    };
    with_tables(|tables| {
        let in_cycle = tables.current_frame >= 0;
        let frame = if in_cycle {
            tables.current_frame
        } else {
            // The app forced a repaint outside the frame clock's paint: the clock's frame.
            unsafe { clock_frame(target.surface) }
        };
        let exposed = ExposedWindow {
            surface: unsafe { tables.surface_id(target.surface) },
            window: target.surface,
            offset: (target.dx, target.dy),
            is_child,
            // Checked only against a surface's expose of the same cycle.
            check_child: check_child && in_cycle,
        };
        let exposures = &mut tables.exposures;
        unsafe { exposures.add(exposed, frame, expose.region, t_ns) };
        if !in_cycle && pixels::enabled() {
            exposures.painted();
        }
    });
}

/// The frame counter of `surface`'s frame clock, or -1.
///
/// # Safety
/// `surface` is a valid GdkWindow.
unsafe fn clock_frame(surface: *mut GdkWindow) -> i64 {
    let clock = unsafe { ffi::gdk_window_get_frame_clock(surface) };
    if clock.is_null() {
        -1
    } else {
        unsafe { ffi::gdk_frame_clock_get_frame_counter(clock) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdk3_input_types_get_gtk4_numbers_and_the_rest_none() {
        assert_eq!(
            input_type(gdk3::MOTION_NOTIFY),
            Some(EventType::MOTION_NOTIFY)
        );
        assert_eq!(
            input_type(gdk3::BUTTON_PRESS),
            Some(EventType::BUTTON_PRESS)
        );
        assert_eq!(input_type(gdk3::KEY_RELEASE), Some(EventType::KEY_RELEASE));
        assert_eq!(input_type(gdk3::SCROLL), Some(EventType::SCROLL));
        assert_eq!(input_type(gdk3::TOUCH_END), Some(EventType::TOUCH_END));
        // 2BUTTON_PRESS, 3BUTTON_PRESS, EXPOSE, CONFIGURE, MAP: not input records.
        for other in [5, 6, gdk3::EXPOSE, gdk3::CONFIGURE, 14] {
            assert_eq!(input_type(other), None, "{other}");
        }
    }
}
