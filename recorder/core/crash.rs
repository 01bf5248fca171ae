//! Fatal signals: records still waiting for the writer thread (up to its last 10 ms)
//! are written before the process dies of SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT
//! or of a terminating SIGTERM, SIGINT, SIGHUP or SIGQUIT.
//!
//! The handler is installed once, when the recording starts, for each of those signals
//! the program does not ignore. It drains the queue, then hands the signal on: to the
//! handler that was there before (which may let the program go on, as GLib's
//! `g_unix_signal_add` does; ours stays), or to the default action (restored and
//! re-raised, so the exit status and core dump are the program's own). A program that
//! installs its own handler later replaces ours, and SIGKILL cannot be caught: then what
//! the writer had not taken yet, at most its last 10 ms, is lost.

use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::writer;

const SIGNALS: [c_int; 9] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
];

/// The actions in place before ours, by signal number.
static PREVIOUS: OnceLock<Vec<(c_int, libc::sigaction)>> = OnceLock::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once).
pub(crate) fn install() {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let mut previous = Vec::new();
    for signal in SIGNALS {
        // SAFETY: plain sigaction calls with valid pointers.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            previous.push((signal, old));
        }
    }
    let previous = PREVIOUS.get_or_init(|| previous);
    for (signal, _) in previous {
        // SAFETY: as above; the handler is async-signal-safe as far as draining allows.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fatal_signal as *const () as usize;
            // Not SA_ONSTACK: an alternate signal stack (Rust programs have an 8 KB one)
            // is too small for writing records. The cost: on a stack overflow this
            // handler faults in turn and the program dies of SIGSEGV at once, as it
            // would have, without the host's own overflow message.
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(*signal, &action, std::ptr::null_mut());
        }
    }
}

extern "C" fn on_fatal_signal(
    signal: c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: errno is thread-local; restoring it keeps the interrupted code's value.
    let errno = unsafe { *libc::__errno_location() };
    // No unwinding out of a signal handler.
    let _ = std::panic::catch_unwind(writer::drain_in_signal_handler);
    let Some(&(_, old)) = PREVIOUS
        .get()
        .and_then(|previous| previous.iter().find(|(s, _)| *s == signal))
    else {
        return;
    };
    // SAFETY: calling or restoring the action that was in place, as the kernel would have.
    unsafe {
        match old.sa_sigaction {
            libc::SIG_DFL => {
                libc::sigaction(signal, &old, std::ptr::null_mut());
                // Pending until this handler returns (the signal is blocked meanwhile),
                // then the default action ends the process. A fault would recur anyway.
                libc::raise(signal);
            }
            libc::SIG_IGN => {}
            handler if old.sa_flags & libc::SA_SIGINFO != 0 => {
                let handler: extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(handler);
                handler(signal, info, context);
            }
            handler => {
                let handler: extern "C" fn(c_int) = std::mem::transmute(handler);
                handler(signal);
            }
        }
        *libc::__errno_location() = errno;
    }
}
