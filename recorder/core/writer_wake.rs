//! Parking and waking the writer thread, race-free with nothing on the hooks' side.
//!
//! The writer parks, with no timeout, once records stop coming (`writer.rs`). Records
//! pushed after that wake it: for the main thread's ring, the poll wrapper reads the
//! writer's parked flag before the main loop sleeps and calls `unpark` only when the
//! flag is up and records wait (`queue::wake_writer_if_records_wait`); the other
//! threads' pushes wake it at once. So an app whose main loop sleeps gets no wake-up
//! from the recorder, and no hook pays for a wake-up.
//!
//! A record pushed just as the writer decides to park must still wake it, which takes a
//! store-load barrier between the push and the read of the flag: a fence on the main
//! thread. The writer, which parks rarely, pays for it instead with
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` between raising its flag and looking
//! at the queue a last time: that makes every running thread of the process execute a
//! full barrier, so either the push is visible to the writer's last look or the later
//! read of the flag sees it raised. Where the kernel lacks membarrier (Linux
//! before 4.14, or a seccomp filter), the writer parks for at most [`PARK_TIMEOUT`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::Duration;

/// Without membarrier: the longest a parked writer sleeps, which bounds how long a record
/// that raced with the writer going to sleep waits.
pub(crate) const PARK_TIMEOUT: Duration = Duration::from_millis(100);

/// The writer thread, once started.
static WRITER_THREAD: OnceLock<Thread> = OnceLock::new();

/// Whether the writer may park without a timeout: membarrier is there. Set once by
/// [`register`].
static HEAVY_FENCE: AtomicBool = AtomicBool::new(false);

// From linux/membarrier.h (the libc crate does not have them).
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

/// Registers the current thread as the writer (the one [`wake`] wakes), and the process
/// for expedited membarriers.
pub(crate) fn register() {
    let _ = WRITER_THREAD.set(std::thread::current());
    // SAFETY: plain syscall; failure (old kernel, seccomp) only means parking with a timeout.
    let registered = unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
            0,
            0,
        )
    } == 0;
    HEAVY_FENCE.store(registered, Ordering::Relaxed);
}

/// A full memory barrier on every running thread of the process; false when the kernel
/// refused it.
fn heavy_fence() -> bool {
    HEAVY_FENCE.load(Ordering::Relaxed)
        // SAFETY: plain syscall, registered by `register`.
        && unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) }
            == 0
}

/// Wakes the writer thread if it is parked (`parked` is its flag); called after a
/// record was pushed. Returns whether it woke it.
#[inline(always)]
pub(crate) fn wake(parked: &AtomicBool) -> bool {
    // The push before must not be moved after the read of the flag by the compiler (the
    // CPU's reordering is the writer's membarrier's business, see the module docs).
    std::sync::atomic::compiler_fence(Ordering::SeqCst);
    if parked.load(Ordering::Relaxed) && parked.swap(false, Ordering::Relaxed) {
        if let Some(thread) = WRITER_THREAD.get() {
            thread.unpark();
            return true;
        }
    }
    false
}

/// Parks the writer thread, raising `parked` meanwhile, unless `nothing_waiting` says
/// records came; until a record comes (or, without membarrier, [`PARK_TIMEOUT`] passes).
/// Spurious returns are harmless: the writer drains and comes back.
pub(crate) fn park(parked: &AtomicBool, nothing_waiting: impl FnOnce() -> bool) {
    parked.store(true, Ordering::SeqCst);
    let fenced = heavy_fence();
    if nothing_waiting() {
        if fenced {
            std::thread::park();
        } else {
            std::thread::park_timeout(PARK_TIMEOUT);
        }
    }
    parked.store(false, Ordering::Relaxed);
}
