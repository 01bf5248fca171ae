//! The recorder's core: everything between a toolkit's hooks and the file, and nothing
//! of GTK. Each toolkit front (`recorder/gtk4/` → `libgdkrecord.so`, `recorder/gtk3/` →
//! `libgdkrecord_gtk3.so`) links it; the fronts read GTK and hand records here.
//!
//! The data's way, module by module (each uses only those above it in this list, and
//! `guard`):
//! - time and the hot line: [`clock`], [`hot`] (the flags every hook reads), [`layout_check`],
//!   [`small_map`], [`ffi`] (GObject and cairo helpers), [`region`] (cairo regions),
//!   [`key_names`] (GDK keyval names, through the front's `gdk_keyval_name`),
//!   [`touch_sequences`];
//! - hand-off: [`ring`] (the single-producer ring and what goes through it), [`queue`]
//!   (the main thread's ring and the other threads' list), [`writer_wake`];
//!   [`frame_cycle`] (a frame clock's cycle and timings, handed to the queue);
//! - file: [`mmap_writer`] (the memory-mapped file), [`writer`] (the writer thread,
//!   which packs [`pixels`] and adds whole pictures),
//!   [`crash`] (drain on a crash signal), [`self_time`] (the recorder's own cost);
//! - main loop: [`loop_state`] (what the main thread is doing now), [`loop_summary`],
//!   [`code_address`], [`stall`] (the watchdog), [`mainloop`] (the poll wrapper and
//!   patched source tables), [`idle_signal`] (`replay --wait-idle`);
//! - [`session`]: starting the recording when a front sees the display, ending it at
//!   exit, and the cell that lends a front's main-thread tables out.
//!
//! # Design constraints
//! A guest in someone else's process: only glib-sys, gobject-sys, libc and the format
//! crate (no GTK: a GTK 3 process must never map GTK 4's code, nor the reverse); every
//! callback from C runs inside [`guard`].

// The modules are public for the fronts, but their docs are written for whoever works on
// the pipeline: they name the private items that do the work.
#![allow(rustdoc::private_intra_doc_links)]

use std::panic::{catch_unwind, AssertUnwindSafe};

pub mod clock;
pub mod code_address;
pub mod crash;
pub mod ffi;
pub mod frame_cycle;
pub mod hot;
pub mod idle_signal;
pub mod key_names;
pub mod layout_check;
pub mod loop_state;
pub mod loop_summary;
pub mod mainloop;
pub mod mmap_writer;
pub mod pixels;
pub mod queue;
pub mod region;
pub mod ring;
pub mod self_time;
pub mod session;
pub mod small_map;
pub mod stall;
pub mod touch_sequences;
pub mod writer;
pub mod writer_wake;

/// Runs `f`, turning a panic into `default` and stopping the recording: no unwinding
/// may cross into C.
#[inline(always)]
pub fn guard<R>(default: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(_) => {
            session::stop_after_panic();
            default
        }
    }
}
