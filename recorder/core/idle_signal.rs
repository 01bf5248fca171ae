//! Tells `gdkrecord-tool replay --wait-idle` when the app is idle: its main loop asleep with
//! no frame pending, so that each replayed input reaches the app in the same state however
//! slow the build is.
//!
//! The tool starts the app with two pipe ends in `GDKRECORD_IDLE_FDS=TOOL_PID,REQUEST,ANSWER`
//! (only its own child takes them: the app's children inherit the variable, not the
//! descriptors, and must not take unrelated files of the same numbers for them). It
//! writes a byte to REQUEST when it wants to know; the recorder notes the request (REQUEST
//! is watched by the main context, so a request also wakes an idle app), and the next time
//! the main thread goes to sleep in poll — with no timeout or one of at least
//! [`IDLE_TIMEOUT_MS`] (longer than a frame: no frame is pending), or right after a frame
//! that ended since the request (an app that animates, even a blinking text cursor, always
//! has a frame pending: drawn since the request, the input sent before it is on screen) —
//! it writes a byte to ANSWER. Without the variable nothing is installed, and the hooks in
//! the poll wrapper and at the end of each frame are one relaxed load each.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use libc::c_int;

/// A poll timeout at least this long (or none) means nothing is due soon: no frame of a
/// 60 Hz (or 30 Hz) clock is pending, only timers or input can wake the loop.
pub const IDLE_TIMEOUT_MS: c_int = 50;

type UnixFdSourceFunc =
    unsafe extern "C" fn(c_int, glib_sys::GIOCondition, glib_sys::gpointer) -> glib_sys::gboolean;

// In GLib's glib-unix.h, which glib-sys does not bind.
extern "C" {
    fn g_unix_fd_add(
        fd: c_int,
        condition: glib_sys::GIOCondition,
        function: Option<UnixFdSourceFunc>,
        user_data: glib_sys::gpointer,
    ) -> libc::c_uint;
}

/// The ANSWER pipe end, -1 when `--wait-idle` is not in use.
static ANSWER_FD: AtomicI32 = AtomicI32::new(-1);
/// A request came and was not answered yet.
static REQUESTED: AtomicBool = AtomicBool::new(false);
/// A frame ended since the request came.
static FRAME_SINCE_REQUEST: AtomicBool = AtomicBool::new(false);

/// The parent pid and the two descriptors of `GDKRECORD_IDLE_FDS` (`"4242,7,9"`).
fn parse_fds(value: &str) -> Option<(libc::pid_t, c_int, c_int)> {
    let mut parts = value.split(',').map(|p| p.trim().parse::<c_int>().ok());
    let (parent, request, answer) = (parts.next()??, parts.next()??, parts.next()??);
    (parts.next().is_none() && parent > 0 && request >= 0 && answer >= 0 && request != answer)
        .then_some((parent, request, answer))
}

/// Watches the REQUEST pipe from the default main context when the tool asked for it.
/// Call once, on the main thread, after the main-loop hooks are installed.
pub fn install() {
    let Some(value) = std::env::var_os("GDKRECORD_IDLE_FDS") else {
        return;
    };
    let Some((parent, request, answer)) = value.to_str().and_then(parse_fds) else {
        eprintln!("gdkrecord: GDKRECORD_IDLE_FDS={value:?} is not a pid and two descriptors; --wait-idle will time out");
        return;
    };
    // SAFETY: getppid cannot fail.
    if unsafe { libc::getppid() } != parent {
        return; // a child of the replayed app: the descriptors are not its
    }
    // SAFETY: fcntl on descriptors the tool passed us; a bad one only fails the call.
    let usable = unsafe {
        [request, answer].iter().all(|fd| {
            libc::fcntl(*fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0
                && libc::fcntl(*fd, libc::F_SETFL, libc::O_NONBLOCK) == 0
        })
    };
    if !usable {
        eprintln!(
            "gdkrecord: GDKRECORD_IDLE_FDS names closed descriptors; --wait-idle will time out"
        );
        return;
    }
    ANSWER_FD.store(answer, Ordering::Relaxed);
    // SAFETY: a plain GLib call; the callback takes no data.
    unsafe {
        g_unix_fd_add(
            request,
            glib_sys::G_IO_IN | glib_sys::G_IO_HUP | glib_sys::G_IO_ERR,
            Some(on_request),
            std::ptr::null_mut(),
        );
    }
}

/// REQUEST is readable: note the request (or stop watching when the tool is gone).
unsafe extern "C" fn on_request(
    fd: c_int,
    _condition: glib_sys::GIOCondition,
    _data: glib_sys::gpointer,
) -> glib_sys::gboolean {
    crate::guard(glib_sys::G_SOURCE_REMOVE, || {
        let mut buffer = [0u8; 64];
        loop {
            // SAFETY: reading into our own buffer from the non-blocking REQUEST end.
            let n = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
            if n > 0 {
                FRAME_SINCE_REQUEST.store(false, Ordering::Relaxed);
                REQUESTED.store(true, Ordering::Relaxed);
                continue;
            }
            if n == 0 {
                // The tool closed its end: no more requests, nobody to answer.
                ANSWER_FD.store(-1, Ordering::Relaxed);
                return glib_sys::G_SOURCE_REMOVE;
            }
            return glib_sys::G_SOURCE_CONTINUE; // EAGAIN: read it all
        }
    })
}

/// Called at the end of each frame-clock cycle.
pub fn frame_ended() {
    if REQUESTED.load(Ordering::Relaxed) {
        FRAME_SINCE_REQUEST.store(true, Ordering::Relaxed);
    }
}

/// Whether the main loop, about to sleep for up to `timeout_ms` (-1: until woken), is idle.
fn is_idle(timeout_ms: c_int, frame_since_request: bool) -> bool {
    match timeout_ms {
        // Work is ready: not asleep.
        0 => false,
        // Negative: until woken.
        t if !(0..IDLE_TIMEOUT_MS).contains(&t) => true,
        _ => frame_since_request,
    }
}

/// Called by the main thread's poll hook before it sleeps for up to `timeout_ms`.
pub fn before_poll(timeout_ms: c_int) {
    if !REQUESTED.load(Ordering::Relaxed)
        || !is_idle(timeout_ms, FRAME_SINCE_REQUEST.load(Ordering::Relaxed))
    {
        return;
    }
    let fd = ANSWER_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    REQUESTED.store(false, Ordering::Relaxed);
    // SAFETY: one byte from a static into the non-blocking ANSWER end; a full pipe (the
    // tool not reading) loses the byte, which the tool's next request makes up for.
    unsafe { libc::write(fd, b"i".as_ptr().cast(), 1) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_is_asleep_with_nothing_due_or_right_after_a_frame() {
        assert!(is_idle(-1, false));
        assert!(is_idle(IDLE_TIMEOUT_MS, false));
        assert!(!is_idle(16, false));
        assert!(is_idle(16, true));
        assert!(!is_idle(0, true));
    }

    #[test]
    fn the_variable_holds_a_pid_and_two_distinct_descriptors() {
        assert_eq!(parse_fds("42,7,9"), Some((42, 7, 9)));
        assert_eq!(parse_fds(" 42, 7 , 9 "), Some((42, 7, 9)));
        assert_eq!(parse_fds("7,9"), None);
        assert_eq!(parse_fds("42,7,7"), None);
        assert_eq!(parse_fds("42,-1,3"), None);
        assert_eq!(parse_fds("0,1,3"), None);
        assert_eq!(parse_fds("42,1,3,4"), None);
        assert_eq!(parse_fds("a,b,c"), None);
    }
}
