//! What every hook reads before doing anything, gathered on one cache line: between two
//! hooks GTK's own work evicts the recorder's memory, and each separate line read back
//! costs a miss.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::layout_check::LayoutCheck;
use crate::ring::Producer;

/// The flags and constants of the hot path.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct Hot {
    /// Set while a recording is open and writable; hooks return at once when it is not.
    pub recording: AtomicBool,
    /// `GDKRECORD_SELF_TIME` is on.
    pub self_time: AtomicBool,
    /// `GDKRECORD_SYNC` is on: records are written by the thread that makes them.
    pub write_through: AtomicBool,
    /// The id of the surface looked up last (see `last_surface`).
    pub last_surface_id: AtomicU32,
    /// Per pointer-event kind (motion, button): trust in GTK's private event layout
    /// (see `events.rs`).
    pub pointer_layouts: [LayoutCheck; 2],
    /// [`thread_id`] of GTK's main thread (the one that loaded the recorder).
    pub main_thread: AtomicUsize,
    /// CLOCK_MONOTONIC (ns) when the module was loaded; every `t_ns` counts from here.
    pub start_monotonic_ns: AtomicU64,
    /// The surface looked up last (most events go to the same one); main thread only.
    pub last_surface: AtomicUsize,
    /// The producer side of the main thread's queue to the writer thread.
    pub queue: Producer,
}

pub static HOT: Hot = Hot {
    recording: AtomicBool::new(false),
    self_time: AtomicBool::new(false),
    write_through: AtomicBool::new(false),
    main_thread: AtomicUsize::new(0),
    start_monotonic_ns: AtomicU64::new(0),
    last_surface: AtomicUsize::new(0),
    last_surface_id: AtomicU32::new(0),
    pointer_layouts: [LayoutCheck::new(), LayoutCheck::new()],
    queue: Producer::new(),
};

const _: () = assert!(std::mem::size_of::<Hot>() == 64);

/// Marks the calling thread as GTK's main thread (from `g_io_module_load`, inside
/// `gtk_init()`).
pub fn set_main_thread() {
    HOT.main_thread.store(thread_id(), Ordering::Relaxed);
}

/// Whether the caller is GTK's main thread.
#[inline(always)]
pub fn on_main_thread() -> bool {
    thread_id() == HOT.main_thread.load(Ordering::Relaxed)
}

/// Whether records are being written.
#[inline(always)]
pub fn recording() -> bool {
    HOT.recording.load(Ordering::Relaxed)
}

/// Stops recording after a panic in a hook: the host goes on, unrecorded from here.
pub fn stop_after_panic() {
    HOT.recording.store(false, Ordering::Relaxed);
}

/// A number unique to the calling thread among live threads: glibc's thread pointer,
/// which `pthread_self()` also returns, read from the FS segment without a call.
#[inline(always)]
pub fn thread_id() -> usize {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let id: usize;
        // SAFETY: on x86-64 Linux, fs:0 holds the thread control block's own address.
        unsafe {
            std::arch::asm!("mov {}, fs:0", out(reg) id, options(nostack, readonly, preserves_flags));
        }
        id
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        // SAFETY: pthread_self has no preconditions.
        unsafe { libc::pthread_self() as usize }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_differ_between_threads_and_match_pthread_self() {
        let here = thread_id();
        assert_eq!(here, thread_id());
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        assert_eq!(here, unsafe { libc::pthread_self() } as usize);
        let there = std::thread::spawn(thread_id).join().unwrap();
        assert_ne!(here, there);
    }
}
