//! `libgdkrecord.so`: records the event loop of any unmodified GTK 4 program.
//!
//! # Loading
//! GTK 4 scans `$GTK_PATH/4.0.0/media/` for GIO modules inside `gtk_init()`, before the
//! display opens. With this library at `<dir>/4.0.0/media/libgdkrecord.so` (what
//! `gdkrecord-tool module-dir` prints as `<dir>`), `GTK_PATH=<dir> app` loads it and GIO
//! calls [`g_io_module_load`], which installs GObject emission hooks. GIO then
//! `dlclose()`s the module, so it is linked with `-z nodelete` (see `build.rs`). GTK 3
//! and non-GTK programs never look in `4.0.0/`.
//!
//! # What it writes
//! When the default display opens, `<pid>-<prgname>.gdkrecord` (or `$GDKRECORD_FILENAME`)
//! is created in the working directory with a Header record; then Surface, Size, State,
//! Scale, SurfaceDestroyed, Event, Frame, FrameTimings, Damage and Painted records (see
//! the `gdkrecord-format` crate), LoopSummary (per second), LoopIteration (slow ones),
//! Dispatch, Stall and StallSample records
//! (main-loop timing and stalls, `mainloop.rs` and `stall.rs`); an End record at normal
//! exit. Hooks hand what they read to a writer thread (`queue.rs`, `writer.rs`), which
//! encodes it into a memory-mapped file within 10 ms; crash signals drain what is left
//! (`crash.rs`), SIGKILL loses at most those 10 ms (none with `GDKRECORD_SYNC=1`).
//!
//! # Environment
//! - `GDKRECORD_FILENAME`: output path.
//! - `GDKRECORD_DAMAGE=0`: do not patch GTK's private classes (no damage records).
//! - `GDKRECORD_SYNC=1`: write each record from the thread that makes it, at once.
//! - `GDKRECORD_KEYS=redacted`: keys that type text are recorded without which key it was
//!   (`key_names.rs`; the rule of `gdkrecord_format::Event::redact_typing`).
//! - `GDKRECORD_PIXELS=1`: record the pixels of each repainted region (`pixels.rs`), at most
//!   `GDKRECORD_PIXELS_MB_PER_S` (32) MiB of them a second.
//! - `GDKRECORD_SELF_TIME=1`: print the recorder's own time per event and per frame at exit.
//! - `GDKRECORD_STALL_MS` (100), `GDKRECORD_STALL_SAMPLE_MS` (250),
//!   `GDKRECORD_DISPATCH_US` (1000), `GDKRECORD_SLOW_ITERATION_US` (16000),
//!   `GDKRECORD_MAINLOOP=0`: stall detection and main-loop
//!   timing (docs/stalls.md).
//!
//! # Design constraints
//! A guest in someone else's process: only the -sys crates, libc and the format crate;
//! every callback from C runs inside `guard` (a panic stops recording, never the
//! host); nothing the app or the OS decides is unwrapped; hooks read fields, timestamp
//! and queue them, nothing more, touching as few cache lines and pages as they can
//! (`hot.rs`).

use std::ffi::c_void;
use std::sync::Once;

// The core's pipeline, under the names the hooks use (`crate::queue`, `crate::clock`...).
pub(crate) use gdkrecord_core::{
    clock, guard, hot, idle_signal, key_names, layout_check, mainloop, queue, region, self_time,
    session,
};

mod damage;
mod events;
mod ffi;
mod frames;
mod hooks;
mod pixels;
mod surfaces;
mod tables;

static INIT: Once = Once::new();

/// Called by GIO when GTK loads the module (inside `gtk_init()`). Idempotent: a second
/// copy on GTK_PATH, or a second load, does nothing.
///
/// # Safety
/// Called by GIO with GTK 4 initialized.
#[no_mangle]
pub unsafe extern "C" fn g_io_module_load(_module: *mut c_void) {
    guard((), || {
        INIT.call_once(|| {
            clock::set_start();
            session::set_main_thread();
            self_time::init_from_env();
            gdkrecord_core::writer::init_from_env();
            key_names::init_from_env();
            pixels::init_from_env();
            damage::check_layout();
            unsafe {
                hooks::install();
                mainloop::install(&mainloop::Config::from_env());
                idle_signal::install();
                libc::atexit(session::on_exit);
                libc::pthread_atfork(None, None, Some(session::on_fork_child));
            }
        })
    })
}

/// Called by GIO right after [`g_io_module_load`]; the hooks stay (the library is never
/// unloaded).
///
/// # Safety
/// Called by GIO.
#[no_mangle]
pub unsafe extern "C" fn g_io_module_unload(_module: *mut c_void) {}
