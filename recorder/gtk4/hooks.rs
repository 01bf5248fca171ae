//! Installing the emission hooks (they cover every instance of a class, popups
//! included), and the hooks for display, widget realization and surface layout.

use std::ffi::{c_uint, c_void};

use gdk4_sys::GdkSurface;
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GSignalInvocationHint, GValue};

use crate::ffi::{
    add_emission_hook, c_string, gtk_version, is_a, type_name_of, value_int, value_pointer,
};
use crate::self_time::{FrameSite, Timer};
use crate::session::{self, on_main_thread};
use crate::surfaces::LAST_SIZE;
use crate::tables::with_session;
use crate::{damage, events, frames, key_names, tables};

/// Installs every hook (once per process, from `g_io_module_load`).
///
/// # Safety
/// GTK 4 is initialized.
pub(crate) unsafe fn install() {
    unsafe {
        add_emission_hook(
            gdk4_sys::gdk_display_get_type(),
            c"opened",
            Some(on_display_opened),
            std::ptr::null_mut(),
        );
        add_emission_hook(
            gtk4_sys::gtk_widget_get_type(),
            c"realize",
            Some(on_widget_realize),
            std::ptr::null_mut(),
        );
        add_emission_hook(
            gtk4_sys::gtk_widget_get_type(),
            c"unrealize",
            Some(on_widget_unrealize),
            std::ptr::null_mut(),
        );
        let surface = gdk4_sys::gdk_surface_get_type();
        add_emission_hook(
            surface,
            c"event",
            Some(events::on_surface_event),
            std::ptr::null_mut(),
        );
        add_emission_hook(
            surface,
            c"layout",
            Some(on_surface_layout),
            std::ptr::null_mut(),
        );
        let clock = gdk4_sys::gdk_frame_clock_get_type();
        for (phase, signal) in frames::PHASE_SIGNALS.iter().enumerate() {
            add_emission_hook(
                clock,
                signal,
                Some(frames::on_phase_start),
                phase as *mut c_void,
            );
        }
        let display = gdk4_sys::gdk_display_get_default();
        if !display.is_null() {
            start(display);
        }
    }
}

/// Opens the recording when the default display opens (once per process; see
/// `session::start`).
///
/// # Safety
/// `display` is a valid GdkDisplay.
unsafe fn start(display: *mut gdk4_sys::GdkDisplay) {
    session::start(
        || {
            // SAFETY: GDK's own gdk_keyval_name, on the main thread.
            unsafe { key_names::probe(gdk4_sys::gdk_keyval_name) };
            session::Toolkit {
                gtk_version: gtk_version(),
                display_type: unsafe { type_name_of(display) },
                display_name: unsafe { c_string(gdk4_sys::gdk_display_get_name(display)) },
                damage: damage::status(),
            }
        },
        tables::open,
    );
}

unsafe extern "C" fn on_display_opened(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    _data: gpointer,
) -> gboolean {
    crate::guard((), || {
        if n_params < 1 {
            return;
        }
        let display = unsafe { gobject_sys::g_value_get_object(params) };
        if !display.is_null() {
            unsafe { start(display.cast()) };
        }
    });
    GTRUE
}

/// Realized GtkNative widgets (windows, popovers, drag icons) have their surface and
/// renderer now: the Surface record gets the widget's type, the renderer gets patched.
unsafe extern "C" fn on_widget_realize(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    _data: gpointer,
) -> gboolean {
    crate::guard((), || {
        if n_params < 1 {
            return;
        }
        let widget = unsafe { gobject_sys::g_value_get_object(params) };
        if !unsafe { is_a(widget, gtk4_sys::gtk_native_get_type()) } {
            return;
        }
        let surface = unsafe { gtk4_sys::gtk_native_get_surface(widget.cast()) };
        if surface.is_null() {
            return;
        }
        // In case GdkDisplay::opened went by before the module was loaded.
        unsafe { start(gdk4_sys::gdk_surface_get_display(surface)) };
        with_session(|session| {
            if session.known_surface(surface as usize).is_none() {
                unsafe { session.register_surface(surface, Some(type_name_of(widget))) };
            }
        });
        unsafe { damage::patch_renderer(gtk4_sys::gtk_native_get_renderer(widget.cast())) };
    });
    GTRUE
}

/// An unrealized GtkNative drops its renderer and draw context, whose addresses may come
/// back for others: forget what they drew into.
unsafe extern "C" fn on_widget_unrealize(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    _data: gpointer,
) -> gboolean {
    crate::guard((), || {
        if n_params < 1 || !session::recording() {
            return;
        }
        let widget = unsafe { gobject_sys::g_value_get_object(params) };
        if unsafe { is_a(widget, gtk4_sys::gtk_native_get_type()) } {
            with_session(damage::forget_drawers);
        }
    });
    GTRUE
}

/// `GdkSurface::layout(width, height)` runs every frame: Size records only on change.
#[link_section = ".text.hot.gdkrecord"]
unsafe extern "C" fn on_surface_layout(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    _data: gpointer,
) -> gboolean {
    crate::guard((), || {
        if n_params < 3 || !session::recording() {
            return;
        }
        let timer = Timer::start();
        // `layout(GdkSurface*, gint, gint)`.
        let surface = unsafe { value_pointer(params) }.cast::<GdkSurface>();
        let (width, height) = unsafe { (value_int(params.add(1)), value_int(params.add(2))) };
        let unchanged = on_main_thread() && LAST_SIZE.is(surface as usize, width, height);
        if !surface.is_null() && !unchanged {
            with_session(|session| unsafe { session.surface_size(surface, width, height) });
        }
        timer.stop_frame_work(FrameSite::Layout, false);
    });
    GTRUE
}
