//! `libgdkrecord_gtk3.so`: records the event loop of any unmodified GTK 3 program, into
//! the same records and format as the GTK 4 front (`recorder/gtk4/`), through the same
//! core (`recorder/core/`).
//!
//! # Loading
//! GTK 3 loads the modules named in `GTK_MODULES` from `$GTK_PATH/3.0.0/modules/` inside
//! `gtk_init()` and calls their `gtk_module_init`. `gdkrecord-tool module-dir` makes
//! `<dir>/3.0.0/modules/libgdkrecord.so` point at this library (and
//! `<dir>/4.0.0/media/libgdkrecord.so` at the GTK 4 one), so
//! `GTK_PATH=<dir> GTK_MODULES=gdkrecord app` records a GTK 3 app and `GTK_PATH=<dir> app`
//! a GTK 4 one: each toolkit finds only its own library. This one links GTK 3 alone: a
//! process never maps both GTKs (which aborts it: "cannot register existing type").
//!
//! # Hooks
//! - [`gtk_module_init`] sets GDK's event handler to `events::on_event`, which records
//!   each event and hands it on to `gtk_main_do_event()` (what GTK had set): input,
//!   exposes (damage), configures (sizes) and window states;
//! - emission hooks on `GdkFrameClock`'s phase signals time each frame (`frames.rs`);
//! - an emission hook on `GdkDisplay::opened` opens the recording with the display;
//! - the core's main-loop timing and stall watchdog, as for GTK 4.
//!
//! The environment (`GDKRECORD_FILENAME`, `_SYNC`, `_KEYS`, `_SELF_TIME`, `_STALL_MS`...)
//! means what it means for GTK 4; `GDKRECORD_DAMAGE=0` leaves exposes out.
//! `GDKRECORD_PIXELS=1` reads back the exposed rectangles of each window once painted
//! (`pixels.rs`), under X11.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use gdkrecord_core::ffi::add_emission_hook;
use gdkrecord_core::{clock, guard, idle_signal, key_names, mainloop, self_time, session, writer};
use glib_sys::{gboolean, gpointer, GTRUE};
use gobject_sys::{GSignalInvocationHint, GValue};

mod events;
mod exposures;
mod ffi;
mod frames;
mod pixels;
mod shm_read;
mod surfaces;
mod tables;

static INIT: Once = Once::new();
/// `GDKRECORD_DAMAGE=0`: exposes are not recorded.
static DAMAGE_OFF: AtomicBool = AtomicBool::new(false);

/// Called by GTK 3 for `GTK_MODULES=gdkrecord`, inside `gtk_init()`. Idempotent.
///
/// # Safety
/// Called by GTK 3 on its main thread.
#[no_mangle]
pub unsafe extern "C" fn gtk_module_init(_argc: *mut c_int, _argv: *mut *mut *mut c_char) {
    guard((), || {
        INIT.call_once(|| {
            clock::set_start();
            session::set_main_thread();
            self_time::init_from_env();
            writer::init_from_env();
            key_names::init_from_env();
            gdkrecord_core::pixels::init_from_env();
            DAMAGE_OFF.store(
                std::env::var_os("GDKRECORD_DAMAGE").is_some_and(|v| v == "0"),
                Ordering::Relaxed,
            );
            unsafe {
                install_hooks();
                mainloop::install(&mainloop::Config::from_env());
                idle_signal::install();
                libc::atexit(session::on_exit);
                libc::pthread_atfork(None, None, Some(session::on_fork_child));
            }
            start_with_default_display();
        })
    })
}

/// Whether exposes are recorded (`GDKRECORD_DAMAGE`).
pub(crate) fn damage_on() -> bool {
    !DAMAGE_OFF.load(Ordering::Relaxed)
}

/// The event handler and the emission hooks (once, from [`gtk_module_init`]).
///
/// # Safety
/// GTK 3 is being initialized, on the main thread.
unsafe fn install_hooks() {
    unsafe {
        ffi::gdk_event_handler_set(Some(events::on_event), std::ptr::null_mut(), None);
        add_emission_hook(
            ffi::gdk_display_get_type(),
            c"opened",
            Some(on_display_opened),
            std::ptr::null_mut(),
        );
        let clock = ffi::gdk_frame_clock_get_type();
        for (phase, signal) in frames::PHASE_SIGNALS.iter().enumerate() {
            add_emission_hook(
                clock,
                signal,
                Some(frames::on_phase_start),
                phase as *mut c_void,
            );
        }
    }
}

unsafe extern "C" fn on_display_opened(
    _hint: *mut GSignalInvocationHint,
    n_params: c_uint,
    params: *const GValue,
    _data: gpointer,
) -> gboolean {
    guard((), || {
        if n_params >= 1 {
            let display = unsafe { gobject_sys::g_value_get_object(params) };
            if !display.is_null() {
                unsafe { start(display.cast()) };
            }
        }
    });
    GTRUE
}

/// Opens the recording on the default display, if it is open. (Cold and out of line: it
/// runs once, and would otherwise sit in the middle of the event handler's hot code.)
#[cold]
#[inline(never)]
pub(crate) fn start_with_default_display() {
    // SAFETY: a plain getter.
    let display = unsafe { ffi::gdk_display_get_default() };
    if !display.is_null() {
        unsafe { start(display) };
    }
}

/// Opens the recording (once per process; see `session::start`).
///
/// # Safety
/// `display` is a valid GdkDisplay.
unsafe fn start(display: *mut c_void) {
    session::start(
        || {
            // SAFETY: GDK 3's own gdk_keyval_name, on the main thread.
            unsafe { key_names::probe(ffi::gdk_keyval_name) };
            let damage = if damage_on() {
                (
                    true,
                    "GTK 3: exposures from GDK_EXPOSE events, in surface coordinates".to_owned(),
                    "gdk3 expose events".to_owned(),
                )
            } else {
                (false, "GDKRECORD_DAMAGE=0".to_owned(), String::new())
            };
            session::Toolkit {
                gtk_version: ffi::gtk_version(),
                display_type: unsafe { gdkrecord_core::ffi::type_name_of(display) },
                display_name: unsafe {
                    gdkrecord_core::ffi::c_string(ffi::gdk_display_get_name(display))
                },
                damage,
            }
        },
        tables::open,
    );
}
