//! The GTK 3 and GDK 3 declarations the front uses. There are no -sys crates for GTK 3
//! that share the GLib bindings of the GTK 4 ones (one `links = "glib-2.0"` per build),
//! so the few functions are declared here, and the events are read through GDK 3's
//! public, ABI-stable `GdkEvent*` structs (`gdk/gdkevents.h`, unchanged since 3.0).

use std::ffi::{c_char, c_int, c_uint, c_void};

use glib_sys::{gboolean, gpointer, GType};

pub(crate) use gdkrecord_core::ffi::*;

/// `GdkWindow`, opaque.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct GdkWindow {
    _private: [u8; 0],
}

/// `GdkFrameClock`, opaque.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct GdkFrameClock {
    _private: [u8; 0],
}

/// `GdkFrameTimings`, opaque.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct GdkFrameTimings {
    _private: [u8; 0],
}

/// `GdkEvent`, read through the structs below after its `type`. Each struct repeats the
/// common head (`GdkEventAny`'s three fields) rather than nesting it: in C the next
/// field packs right after `send_event`, where a nested struct would pad.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct GdkEvent {
    _private: [u8; 0],
}

/// `GdkEventAny`: what every event starts with.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventAny {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
}

/// `GdkEventMotion`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventMotion {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) time: u32,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) axes: *mut f64,
    pub(crate) state: c_uint,
}

/// `GdkEventButton`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventButton {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) time: u32,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) axes: *mut f64,
    pub(crate) state: c_uint,
    pub(crate) button: c_uint,
}

/// `GdkEventTouch`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventTouch {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) time: u32,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) axes: *mut f64,
    pub(crate) state: c_uint,
    pub(crate) sequence: *mut c_void,
}

/// `GdkEventScroll`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventScroll {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) time: u32,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) state: c_uint,
    pub(crate) direction: c_int,
    pub(crate) device: *mut c_void,
    pub(crate) x_root: f64,
    pub(crate) y_root: f64,
    pub(crate) delta_x: f64,
    pub(crate) delta_y: f64,
}

/// `GdkEventKey`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventKey {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) time: u32,
    pub(crate) state: c_uint,
    pub(crate) keyval: c_uint,
    pub(crate) length: c_int,
    pub(crate) string: *mut c_char,
    pub(crate) hardware_keycode: u16,
}

/// `GdkEventCrossing`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventCrossing {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) subwindow: *mut GdkWindow,
    pub(crate) time: u32,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) x_root: f64,
    pub(crate) y_root: f64,
    pub(crate) mode: c_int,
    pub(crate) detail: c_int,
    pub(crate) focus: gboolean,
    pub(crate) state: c_uint,
}

/// `GdkEventFocus`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventFocus {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) focus_in: i16,
}

/// `GdkEventExpose`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventExpose {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) area: CairoRectangleInt,
    pub(crate) region: *const CairoRegion,
    pub(crate) count: c_int,
}

/// `GdkEventConfigure`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventConfigure {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) x: c_int,
    pub(crate) y: c_int,
    pub(crate) width: c_int,
    pub(crate) height: c_int,
}

/// `GdkEventWindowState`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct EventWindowState {
    pub(crate) event_type: c_int,
    pub(crate) window: *mut GdkWindow,
    pub(crate) send_event: i8,
    pub(crate) changed_mask: c_uint,
    pub(crate) new_window_state: c_uint,
}

/// GDK 3's `GdkEventType` values the front reads.
pub(crate) mod event_type {
    use std::ffi::c_int;
    pub(crate) const DELETE: c_int = 0;
    pub(crate) const EXPOSE: c_int = 2;
    pub(crate) const MOTION_NOTIFY: c_int = 3;
    pub(crate) const BUTTON_PRESS: c_int = 4;
    pub(crate) const BUTTON_RELEASE: c_int = 7;
    pub(crate) const KEY_PRESS: c_int = 8;
    pub(crate) const KEY_RELEASE: c_int = 9;
    pub(crate) const ENTER_NOTIFY: c_int = 10;
    pub(crate) const LEAVE_NOTIFY: c_int = 11;
    pub(crate) const FOCUS_CHANGE: c_int = 12;
    pub(crate) const CONFIGURE: c_int = 13;
    pub(crate) const PROXIMITY_IN: c_int = 20;
    pub(crate) const PROXIMITY_OUT: c_int = 21;
    pub(crate) const DRAG_ENTER: c_int = 22;
    pub(crate) const DRAG_LEAVE: c_int = 23;
    pub(crate) const DRAG_MOTION: c_int = 24;
    pub(crate) const DROP_START: c_int = 26;
    pub(crate) const SCROLL: c_int = 31;
    pub(crate) const WINDOW_STATE: c_int = 32;
    pub(crate) const GRAB_BROKEN: c_int = 35;
    pub(crate) const TOUCH_BEGIN: c_int = 37;
    pub(crate) const TOUCH_UPDATE: c_int = 38;
    pub(crate) const TOUCH_END: c_int = 39;
    pub(crate) const TOUCH_CANCEL: c_int = 40;
    pub(crate) const TOUCHPAD_SWIPE: c_int = 41;
    pub(crate) const TOUCHPAD_PINCH: c_int = 42;
    pub(crate) const PAD_BUTTON_PRESS: c_int = 43;
    pub(crate) const PAD_BUTTON_RELEASE: c_int = 44;
    pub(crate) const PAD_RING: c_int = 45;
    pub(crate) const PAD_STRIP: c_int = 46;
    pub(crate) const PAD_GROUP_MODE: c_int = 47;
}

/// `GdkWindowType`.
pub(crate) mod window_type {
    use std::ffi::c_int;
    pub(crate) const TOPLEVEL: c_int = 1;
    pub(crate) const TEMP: c_int = 3;
    pub(crate) const SUBSURFACE: c_int = 6;
}

/// `GdkWindowTypeHint` values that make a toplevel a popup or a drag icon.
pub(crate) mod type_hint {
    use std::ffi::c_int;
    pub(crate) const MENU: c_int = 2;
    pub(crate) const DROPDOWN_MENU: c_int = 8;
    pub(crate) const POPUP_MENU: c_int = 9;
    pub(crate) const TOOLTIP: c_int = 10;
    pub(crate) const NOTIFICATION: c_int = 11;
    pub(crate) const COMBO: c_int = 12;
    pub(crate) const DND: c_int = 13;
}

/// `GdkScrollDirection`'s smooth value (deltas carried).
pub(crate) const SCROLL_SMOOTH: c_int = 4;

/// `GdkEventFunc`.
pub(crate) type EventFunc = unsafe extern "C" fn(event: *mut GdkEvent, data: gpointer);

#[link(name = "gdk-3")]
extern "C" {
    pub(crate) fn gdk_event_handler_set(
        func: Option<EventFunc>,
        data: gpointer,
        notify: glib_sys::GDestroyNotify,
    );
    pub(crate) fn gdk_display_get_default() -> *mut c_void;
    pub(crate) fn gdk_display_get_name(display: *mut c_void) -> *const c_char;
    pub(crate) fn gdk_display_get_type() -> GType;
    pub(crate) fn gdk_keyval_name(keyval: c_uint) -> *const c_char;
    pub(crate) fn gdk_window_get_toplevel(window: *mut GdkWindow) -> *mut GdkWindow;
    pub(crate) fn gdk_window_get_parent(window: *mut GdkWindow) -> *mut GdkWindow;
    pub(crate) fn gdk_window_get_position(window: *mut GdkWindow, x: *mut c_int, y: *mut c_int);
    pub(crate) fn gdk_window_get_window_type(window: *mut GdkWindow) -> c_int;
    pub(crate) fn gdk_window_get_type_hint(window: *mut GdkWindow) -> c_int;
    pub(crate) fn gdk_window_is_input_only(window: *mut GdkWindow) -> gboolean;
    pub(crate) fn gdk_window_has_native(window: *mut GdkWindow) -> gboolean;
    pub(crate) fn gdk_window_get_width(window: *mut GdkWindow) -> c_int;
    pub(crate) fn gdk_window_get_height(window: *mut GdkWindow) -> c_int;
    pub(crate) fn gdk_window_get_scale_factor(window: *mut GdkWindow) -> c_int;
    pub(crate) fn gdk_window_get_state(window: *mut GdkWindow) -> c_uint;
    pub(crate) fn gdk_window_get_frame_clock(window: *mut GdkWindow) -> *mut GdkFrameClock;
    pub(crate) fn gdk_window_get_user_data(window: *mut GdkWindow, data: *mut gpointer);
    pub(crate) fn gdk_window_get_display(window: *mut GdkWindow) -> *mut c_void;
    pub(crate) fn gdk_window_get_origin(window: *mut GdkWindow, x: *mut c_int, y: *mut c_int);
    pub(crate) fn gdk_window_is_destroyed(window: *mut GdkWindow) -> gboolean;
    pub(crate) fn gdk_window_is_viewable(window: *mut GdkWindow) -> gboolean;
    pub(crate) fn gdk_cairo_set_source_window(
        cr: *mut c_void,
        window: *mut GdkWindow,
        x: std::ffi::c_double,
        y: std::ffi::c_double,
    );
    /// Deprecated since 3.22 for `gdk_x11_display_error_trap_push()`, which it calls.
    pub(crate) fn gdk_error_trap_push();
    pub(crate) fn gdk_error_trap_pop_ignored();
    pub(crate) fn gdk_frame_clock_get_type() -> GType;
    pub(crate) fn gdk_frame_clock_get_frame_counter(clock: *mut GdkFrameClock) -> i64;
    pub(crate) fn gdk_frame_clock_get_history_start(clock: *mut GdkFrameClock) -> i64;
    pub(crate) fn gdk_frame_clock_get_timings(
        clock: *mut GdkFrameClock,
        counter: i64,
    ) -> *mut GdkFrameTimings;
    pub(crate) fn gdk_frame_timings_get_complete(timings: *mut GdkFrameTimings) -> gboolean;
    pub(crate) fn gdk_frame_timings_get_frame_time(timings: *mut GdkFrameTimings) -> i64;
    pub(crate) fn gdk_frame_timings_get_presentation_time(timings: *mut GdkFrameTimings) -> i64;
    pub(crate) fn gdk_frame_timings_get_predicted_presentation_time(
        timings: *mut GdkFrameTimings,
    ) -> i64;
    pub(crate) fn gdk_frame_timings_get_refresh_interval(timings: *mut GdkFrameTimings) -> i64;
}

#[link(name = "gtk-3")]
extern "C" {
    pub(crate) fn gtk_main_do_event(event: *mut GdkEvent);
    pub(crate) fn gtk_get_major_version() -> c_uint;
    pub(crate) fn gtk_get_minor_version() -> c_uint;
    pub(crate) fn gtk_get_micro_version() -> c_uint;
    pub(crate) fn gtk_window_get_type() -> GType;
    pub(crate) fn gtk_window_get_transient_for(window: *mut c_void) -> *mut c_void;
    pub(crate) fn gtk_window_get_attached_to(window: *mut c_void) -> *mut c_void;
    pub(crate) fn gtk_widget_get_toplevel(widget: *mut c_void) -> *mut c_void;
    pub(crate) fn gtk_widget_get_window(widget: *mut c_void) -> *mut GdkWindow;
    pub(crate) fn gtk_bin_get_child(bin: *mut c_void) -> *mut c_void;
    pub(crate) fn gtk_menu_get_type() -> GType;
    pub(crate) fn gtk_menu_get_attach_widget(menu: *mut c_void) -> *mut c_void;
}

/// GTK's run-time version, `[major, minor, micro]`.
pub(crate) fn gtk_version() -> [u32; 3] {
    // SAFETY: plain getters of constants, callable at any time.
    unsafe {
        [
            gtk_get_major_version(),
            gtk_get_minor_version(),
            gtk_get_micro_version(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    /// The offsets of gdkevents.h on x86-64, as gcc laid them out for GDK 3.24.38
    /// (`offsetof` in a C program built against gtk+-3.0).
    #[test]
    fn event_structs_match_gdk3_public_layout() {
        assert_eq!(offset_of!(EventAny, window), 8);
        assert_eq!(offset_of!(EventMotion, time), 20);
        assert_eq!(offset_of!(EventMotion, x), 24);
        assert_eq!(offset_of!(EventMotion, state), 48);
        assert_eq!(offset_of!(EventButton, state), 48);
        assert_eq!(offset_of!(EventButton, button), 52);
        assert_eq!(offset_of!(EventTouch, sequence), 56);
        assert_eq!(offset_of!(EventScroll, state), 40);
        assert_eq!(offset_of!(EventScroll, direction), 44);
        assert_eq!(offset_of!(EventScroll, delta_x), 72);
        assert_eq!(offset_of!(EventKey, state), 24);
        assert_eq!(offset_of!(EventKey, keyval), 28);
        assert_eq!(offset_of!(EventKey, hardware_keycode), 48);
        assert_eq!(offset_of!(EventCrossing, time), 32);
        assert_eq!(offset_of!(EventCrossing, mode), 72);
        assert_eq!(offset_of!(EventCrossing, state), 84);
        assert_eq!(offset_of!(EventFocus, focus_in), 18);
        assert_eq!(offset_of!(EventExpose, region), 40);
        assert_eq!(offset_of!(EventConfigure, width), 28);
        assert_eq!(offset_of!(EventWindowState, new_window_state), 24);
    }
}
