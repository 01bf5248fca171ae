//! Stall detection: a watchdog thread notices when the main thread has been away from
//! its main loop's poll for longer than `GDKRECORD_STALL_MS` (default 100 ms) and takes
//! the main thread's stack with a real-time signal.
//!
//! # How
//! - The poll wrapper (`mainloop.rs`) publishes when the main thread left poll
//!   ([`BUSY_SINCE`]). The watchdog (thread `gdkrecord-stall`) sleeps until that time plus
//!   the threshold. When it finds the main thread in poll, it parks with no timeout,
//!   after swapping [`WATCHDOG_PARKED`] into `BUSY_SINCE` in place of its 0; the poll
//!   wrapper swaps its time in when poll returns, and unparks the watchdog when it took
//!   `WATCHDOG_PARKED` out. So the watchdog never wakes while the loop sleeps, wakes about
//!   twice per threshold while it runs, and the main thread pays one atomic swap per
//!   iteration and a wake-up call at most once per threshold.
//! - Past the threshold it sends the main thread a real-time signal with `tgkill`. The
//!   handler ([`on_sample_signal`]) copies the stack's return addresses, the interrupted
//!   program counter and the dispatching source's name into preallocated static memory,
//!   then flags it done. The watchdog names the addresses (`dladdr`, in
//!   `code_address.rs`) and writes a `stall-sample` record at once, so a program killed
//!   while hung keeps it. It samples again every `GDKRECORD_STALL_SAMPLE_MS` (default
//!   250 ms) while the stall lasts, twice as far apart after every 10 samples (at most
//!   one per 10 s): a hang of minutes stays a few hundred samples.
//! - When the main thread enters poll again, the poll wrapper calls [`stall_ended`],
//!   which writes the `stall` record: start, exact duration, sample count, the first
//!   sample's stack and source.
//!
//! # Unwinding in a signal handler
//! The handler calls glibc's `backtrace()`, called once in [`start`] first: its first
//! call `dlopen()`s libgcc_s (which would malloc and take the loader's lock), later calls
//! only run libgcc's `_Unwind_Backtrace`. That unwinder reads DWARF CFI, so it walks
//! through system libraries built without frame pointers, and through the signal frame
//! into the interrupted code. It is not async-signal-safe on paper; in practice, with
//! GCC 12's libgcc on glibc 2.35+ (Debian 12), it finds unwind tables with
//! `_dl_find_object`, which takes no lock, and touches the registered-frames mutex only
//! when some JIT registered frames; profilers rely on the same. Frame-pointer walking
//! would be signal-safe but stops at the first library without frame pointers.
//!
//! # Effects on the program
//! Installed with `SA_RESTART`: interrupted `read`, `write`, `waitpid`... restart.
//! Calls the kernel never restarts (`poll`, `nanosleep`) return `EINTR`; GLib's
//! `g_usleep` and `g_poll` callers retry, a raw `nanosleep` would return early: one more
//! reason to sample sparingly. The handler saves and restores `errno`. The signal is the
//! first real-time signal from `SIGRTMIN + 2` whose disposition is still the default,
//! so one the program uses is never taken.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use gdkrecord_format::{CodeAddress, Record, Stall, StallSample};

use crate::clock::monotonic_ns;
use crate::code_address;
pub(crate) use crate::loop_state::WATCHDOG_PARKED;
use crate::loop_state::{env_number, since_start, write, BUSY_SINCE, CURRENT_SOURCE};

/// The watchdog thread, once started (the poll wrapper unparks it).
static WATCHDOG_THREAD: std::sync::OnceLock<std::thread::Thread> = std::sync::OnceLock::new();

/// Called by the poll wrapper when it took [`WATCHDOG_PARKED`] out of [`BUSY_SINCE`].
pub(crate) fn wake_watchdog() {
    if let Some(thread) = WATCHDOG_THREAD.get() {
        thread.unpark();
    }
}

/// Default `GDKRECORD_STALL_MS`.
pub(crate) const DEFAULT_STALL_MS: u64 = 100;
/// Default `GDKRECORD_STALL_SAMPLE_MS`.
pub(crate) const DEFAULT_SAMPLE_MS: u64 = 250;
/// Samples are never further apart than this, however long a hang lasts.
const MAX_SAMPLE_INTERVAL_NS: u64 = 10_000_000_000;
/// Frames kept per sample.
const MAX_FRAMES: usize = gdkrecord_format::MAX_STACK_FRAMES;
/// Bytes of the source name kept per sample.
const MAX_NAME: usize = 128;

/// Stall detection settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// A busy period at least this long is a stall (`GDKRECORD_STALL_MS`).
    pub threshold_ns: u64,
    /// Time between two stack samples of one stall (`GDKRECORD_STALL_SAMPLE_MS`).
    pub sample_interval_ns: u64,
}

impl Config {
    /// Reads the settings; `None` when `GDKRECORD_STALL_MS=0` turns detection off.
    pub(crate) fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Option<Config> {
        let threshold_ms = env_number(
            "GDKRECORD_STALL_MS",
            lookup("GDKRECORD_STALL_MS").as_deref(),
            DEFAULT_STALL_MS,
        );
        let sample_ms = env_number(
            "GDKRECORD_STALL_SAMPLE_MS",
            lookup("GDKRECORD_STALL_SAMPLE_MS").as_deref(),
            DEFAULT_SAMPLE_MS,
        );
        (threshold_ms > 0).then(|| Config {
            threshold_ns: threshold_ms.saturating_mul(1_000_000),
            sample_interval_ns: sample_ms.max(1).saturating_mul(1_000_000),
        })
    }
}

/// What the signal handler fills in: written only by the handler between the states
/// `CAPTURING` and `DONE`, read only by the watchdog in state `DONE`.
struct Capture {
    frames: [*mut c_void; MAX_FRAMES],
    frame_count: usize,
    /// The interrupted instruction (0 when the platform's context is not known).
    pc: usize,
    /// Whether the main thread was still in the busy period the watchdog asked about.
    in_stall: bool,
    name: [u8; MAX_NAME],
    name_len: usize,
}

struct CaptureCell(UnsafeCell<Capture>);
// SAFETY: access is serialised by `STATE` (see `Capture`).
unsafe impl Sync for CaptureCell {}

static CAPTURE: CaptureCell = CaptureCell(UnsafeCell::new(Capture {
    frames: [std::ptr::null_mut(); MAX_FRAMES],
    frame_count: 0,
    pc: 0,
    in_stall: false,
    name: [0; MAX_NAME],
    name_len: 0,
}));

const IDLE: u32 = 0;
const REQUESTED: u32 = 1;
const CAPTURING: u32 = 2;
const DONE: u32 = 3;
/// The capture handshake between the watchdog and the handler.
static STATE: AtomicU32 = AtomicU32::new(IDLE);
/// The busy period (its `BUSY_SINCE`) the requested sample is for.
static REQUESTED_FOR: AtomicU64 = AtomicU64::new(0);
/// The main thread's kernel thread id and the signal used, once started.
static MAIN_TID: AtomicI32 = AtomicI32::new(0);
static SIGNAL: AtomicI32 = AtomicI32::new(0);
static STARTED: AtomicBool = AtomicBool::new(false);

/// The stall being sampled, shared by the watchdog (samples) and the main thread (end).
#[derive(Debug)]
struct Ongoing {
    /// `BUSY_SINCE` of the stall (0: none).
    start: u64,
    samples: u32,
    /// The first sample, not named yet: whoever writes the `stall` record names it, so
    /// a stall ending while the watchdog is still naming its sample keeps its stack.
    first_stack: Option<RawStack>,
    source: Option<String>,
}

static ONGOING: Mutex<Ongoing> = Mutex::new(Ongoing {
    start: 0,
    samples: 0,
    first_stack: None,
    source: None,
});

/// Installs the signal handler and starts the watchdog; call on the main thread. False
/// (with a warning) when no signal is free or the thread cannot start.
pub(crate) fn start(config: &Config) -> bool {
    if STARTED.swap(true, Ordering::SeqCst) {
        return false;
    }
    // Load libgcc_s now, on the main thread, not in the handler (see the module docs).
    let mut warm = [std::ptr::null_mut(); 4];
    // SAFETY: `warm` has room for 4 frames.
    unsafe { libc::backtrace(warm.as_mut_ptr(), warm.len() as c_int) };
    // SAFETY: gettid has no preconditions.
    MAIN_TID.store(unsafe { libc::gettid() }, Ordering::Relaxed);
    let Some(signal) = (unsafe { install_handler() }) else {
        eprintln!(
            "gdkrecord: no free real-time signal; stalls are timed but their stacks not sampled"
        );
        return true;
    };
    SIGNAL.store(signal, Ordering::Relaxed);
    let config = config.clone();
    let spawned = std::thread::Builder::new()
        .name("gdkrecord-stall".to_owned())
        .stack_size(256 * 1024)
        .spawn(move || crate::guard((), || watchdog(&config)));
    if let Err(error) = spawned {
        eprintln!(
            "gdkrecord: cannot start the stall watchdog: {error}; stalls are timed but not sampled"
        );
    }
    true
}

/// Installs [`on_sample_signal`] on the first free real-time signal.
///
/// # Safety
/// Changes process-wide signal dispositions.
unsafe fn install_handler() -> Option<c_int> {
    let (first, last) = (libc::SIGRTMIN() + 2, libc::SIGRTMAX());
    for signal in first..=last {
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        if unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) } != 0
            || old.sa_sigaction != libc::SIG_DFL
        {
            continue;
        }
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_sample_signal as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        // Block nothing extra: the handler is short and re-entry is refused by STATE.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        if unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) } == 0 {
            return Some(signal);
        }
    }
    None
}

/// The interrupted program counter from the handler's `ucontext_t`.
///
/// # Safety
/// `context` is the third argument of an `SA_SIGINFO` handler.
unsafe fn interrupted_pc(context: *mut c_void) -> usize {
    if context.is_null() {
        return 0;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let context = context.cast::<libc::ucontext_t>();
        unsafe { (*context).uc_mcontext.gregs[libc::REG_RIP as usize] as usize }
    }
    #[cfg(target_arch = "aarch64")]
    {
        let context = context.cast::<libc::ucontext_t>();
        unsafe { (*context).uc_mcontext.pc as usize }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        0
    }
}

/// The sampling signal's handler, on the main thread. Async-signal-safe apart from the
/// unwinder (see the module docs): no allocation, no lock, no formatting.
extern "C" fn on_sample_signal(_signal: c_int, _info: *mut libc::siginfo_t, context: *mut c_void) {
    if STATE
        .compare_exchange(REQUESTED, CAPTURING, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return; // late or foreign: nobody asked for this one
    }
    // SAFETY: __errno_location is the thread's errno; STATE == CAPTURING gives this
    // handler sole access to CAPTURE.
    unsafe {
        let errno = *libc::__errno_location();
        let capture = &mut *CAPTURE.0.get();
        capture.in_stall =
            BUSY_SINCE.load(Ordering::Relaxed) == REQUESTED_FOR.load(Ordering::Relaxed);
        capture.pc = interrupted_pc(context);
        let n = libc::backtrace(capture.frames.as_mut_ptr(), MAX_FRAMES as c_int);
        capture.frame_count = n.max(0) as usize;
        capture.name_len = 0;
        let source = CURRENT_SOURCE.load(Ordering::Relaxed);
        if !source.is_null() {
            let name = (*source).name;
            if !name.is_null() {
                let mut len = 0;
                while len < MAX_NAME && *name.add(len) != 0 {
                    capture.name[len] = *name.add(len) as u8;
                    len += 1;
                }
                capture.name_len = len;
            }
        }
        *libc::__errno_location() = errno;
    }
    STATE.store(DONE, Ordering::Release);
}

/// The interrupted code's return addresses, innermost first.
#[derive(Debug, Clone)]
struct RawStack {
    addrs: Vec<usize>,
    /// Whether the first address is the interrupted instruction itself (not a return
    /// address).
    exact_first: bool,
}

impl RawStack {
    /// Names every frame (dladdr; not async-signal-safe).
    fn name(&self) -> Vec<CodeAddress> {
        self.addrs
            .iter()
            .enumerate()
            .map(|(i, addr)| code_address::resolve(*addr, !(i == 0 && self.exact_first)))
            .collect()
    }
}

/// One stack sample.
#[derive(Debug)]
struct Sample {
    /// CLOCK_MONOTONIC when it was captured.
    t: u64,
    stack: RawStack,
    source: Option<String>,
}

/// Asks the main thread for its stack while it is in the busy period `busy_since`.
/// `None` when it does not answer in time (signal blocked) or already left the stall.
fn take_sample(busy_since: u64) -> Option<Sample> {
    let signal = SIGNAL.load(Ordering::Relaxed);
    if signal == 0 {
        return None;
    }
    REQUESTED_FOR.store(busy_since, Ordering::Relaxed);
    STATE.store(REQUESTED, Ordering::Release);
    // SAFETY: plain syscalls; a thread id of our own process.
    let sent =
        unsafe { libc::tgkill(libc::getpid(), MAIN_TID.load(Ordering::Relaxed), signal) } == 0;
    if !sent {
        STATE.store(IDLE, Ordering::Relaxed);
        return None;
    }
    let asked = monotonic_ns();
    loop {
        match STATE.load(Ordering::Acquire) {
            DONE => break,
            REQUESTED if monotonic_ns() - asked > 200_000_000 => {
                // Not delivered (the main thread blocks the signal?): withdraw the request;
                // a late delivery then finds nothing asked.
                if STATE
                    .compare_exchange(REQUESTED, IDLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return None;
                }
            }
            _ => std::thread::sleep(Duration::from_micros(100)),
        }
    }
    // SAFETY: STATE == DONE: the handler finished writing and will not write again until
    // the next request.
    let capture = unsafe { &*CAPTURE.0.get() };
    let sample = capture.in_stall.then(|| Sample {
        t: monotonic_ns(),
        stack: trim_frames(
            &capture.frames[..capture.frame_count.min(MAX_FRAMES)],
            capture.pc,
        ),
        source: (capture.name_len > 0)
            .then(|| String::from_utf8_lossy(&capture.name[..capture.name_len]).into_owned()),
    });
    STATE.store(IDLE, Ordering::Release);
    sample
}

/// Turns the raw frames of a capture into the interrupted code's stack, innermost first:
/// the handler's own frames and the signal trampoline are dropped by starting at the
/// interrupted program counter when it is among them (it is, when the unwinder went
/// through the signal frame), else after the first two frames.
fn trim_frames(frames: &[*mut c_void], pc: usize) -> RawStack {
    let addrs: Vec<usize> = frames.iter().map(|f| *f as usize).collect();
    let (start, exact_first) = match addrs.iter().position(|a| pc != 0 && *a == pc) {
        Some(i) => (i, true),
        None => (addrs.len().min(2), false),
    };
    RawStack {
        addrs: addrs[start..].to_vec(),
        exact_first,
    }
}

/// Sample intervals grow with the number of samples already taken.
fn sample_interval(base_ns: u64, samples: u32) -> u64 {
    let doublings = (samples / 10).min(16);
    base_ns
        .saturating_mul(1 << doublings)
        .min(MAX_SAMPLE_INTERVAL_NS.max(base_ns))
}

/// The watchdog thread's loop.
fn watchdog(config: &Config) {
    let mut sampled_period = 0u64;
    let mut samples = 0u32;
    let mut next_sample_at = 0u64;
    let _ = WATCHDOG_THREAD.set(std::thread::current());
    loop {
        let busy_since = BUSY_SINCE.load(Ordering::Acquire);
        let now = monotonic_ns();
        if busy_since <= WATCHDOG_PARKED {
            // The loop sleeps in poll: so does the watchdog, until the poll wrapper, which
            // swaps `WATCHDOG_PARKED` out when poll returns, unparks it.
            let parked = busy_since == WATCHDOG_PARKED
                || BUSY_SINCE
                    .compare_exchange(0, WATCHDOG_PARKED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
            while parked && BUSY_SINCE.load(Ordering::Acquire) == WATCHDOG_PARKED {
                std::thread::park();
            }
            continue;
        }
        let stalled_at = busy_since.saturating_add(config.threshold_ns);
        if now < stalled_at {
            std::thread::sleep(Duration::from_nanos(stalled_at - now));
            continue;
        }
        if busy_since != sampled_period {
            sampled_period = busy_since;
            samples = 0;
            next_sample_at = now;
        }
        // The main loop wakes the writer only before it polls: records its handlers made
        // before blocking would wait until the stall ends.
        crate::queue::wake_writer_if_records_wait();
        if now >= next_sample_at {
            if let Some(sample) = take_sample(busy_since) {
                record_sample(busy_since, sample);
                samples += 1;
            }
            next_sample_at =
                monotonic_ns().saturating_add(sample_interval(config.sample_interval_ns, samples));
        }
        // Wake for the next sample, or sooner to catch a new stall after this one ends.
        let wait = next_sample_at
            .saturating_sub(monotonic_ns())
            .clamp(1_000_000, config.threshold_ns.max(1_000_000));
        std::thread::sleep(Duration::from_nanos(wait));
    }
}

/// Counts a sample in its stall (keeping the first for the `stall` record), then names
/// it and writes its `stall-sample`.
fn record_sample(busy_since: u64, sample: Sample) {
    {
        let mut ongoing = ONGOING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if BUSY_SINCE.load(Ordering::Acquire) != busy_since {
            return; // the stall ended (and was recorded) in the meantime
        }
        if ongoing.start != busy_since {
            *ongoing = Ongoing {
                start: busy_since,
                samples: 0,
                first_stack: Some(sample.stack.clone()),
                source: sample.source,
            };
        }
        ongoing.samples += 1;
    }
    write(Record::StallSample(StallSample {
        t_ns: since_start(sample.t),
        stall_start_ns: since_start(busy_since),
        stack: sample.stack.name(),
    }));
}

/// Called by the poll wrapper on the main thread when a busy period of at least the
/// threshold ended: writes its `stall` record.
pub(crate) fn stall_ended(busy_since: u64, ended: u64) {
    let (samples, stack, source) = {
        let mut ongoing = ONGOING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if ongoing.start == busy_since {
            let taken = std::mem::replace(
                &mut *ongoing,
                Ongoing {
                    start: 0,
                    samples: 0,
                    first_stack: None,
                    source: None,
                },
            );
            (taken.samples, taken.first_stack, taken.source)
        } else {
            (0, None, None)
        }
    };
    // Names already looked up by the watchdog come from the cache.
    let stack = stack.as_ref().map(RawStack::name).unwrap_or_default();
    let duration_ns = ended.saturating_sub(busy_since);
    write(Record::Stall(Stall {
        t_ns: since_start(busy_since),
        duration_ns,
        duration_ms: duration_ns as f64 / 1e6,
        source,
        samples,
        stack,
    }));
}

/// Serialises the tests that share the handler's static state.
#[cfg(test)]
static TEST_LOCK: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_thresholds_and_zero_disables() {
        let default = Config::from_lookup(&|_| None).unwrap();
        assert_eq!(default.threshold_ns, 100_000_000);
        assert_eq!(default.sample_interval_ns, 250_000_000);
        let custom = Config::from_lookup(&|name: &str| match name {
            "GDKRECORD_STALL_MS" => Some("40".into()),
            "GDKRECORD_STALL_SAMPLE_MS" => Some("20".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            (custom.threshold_ns, custom.sample_interval_ns),
            (40_000_000, 20_000_000)
        );
        assert_eq!(
            Config::from_lookup(&|name: &str| (name == "GDKRECORD_STALL_MS").then(|| "0".into())),
            None
        );
    }

    #[test]
    fn intervals_back_off_and_are_capped() {
        assert_eq!(sample_interval(250, 0), 250);
        assert_eq!(sample_interval(250, 9), 250);
        assert_eq!(sample_interval(250, 10), 500);
        assert_eq!(sample_interval(250_000_000, 1000), MAX_SAMPLE_INTERVAL_NS);
    }

    fn ensure_handler() {
        STARTED.store(true, Ordering::SeqCst);
        if SIGNAL.load(Ordering::Relaxed) == 0 {
            let signal = unsafe { install_handler() }.expect("a free real-time signal");
            SIGNAL.store(signal, Ordering::Relaxed);
        }
    }

    #[inline(never)]
    fn spin_in_a_named_function(spinning: &AtomicBool, stop: &AtomicBool) {
        spinning.store(true, Ordering::Release);
        while !stop.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
    }

    /// The handler, sent by `tgkill` from another thread as the watchdog does, captures
    /// a stack that starts in the interrupted function and names it.
    #[test]
    fn signal_sample_captures_the_interrupted_stack() {
        let _serial = TEST_LOCK.lock().unwrap();
        ensure_handler();
        MAIN_TID.store(unsafe { libc::gettid() }, Ordering::Relaxed);
        let busy = monotonic_ns();
        BUSY_SINCE.store(busy, Ordering::Release);
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let spinning = std::sync::Arc::new(AtomicBool::new(false));
        let sampler = {
            let (stop, spinning) = (stop.clone(), spinning.clone());
            std::thread::spawn(move || {
                // Sample the spinning loop, not the thread creation before it.
                while !spinning.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                let sample = take_sample(busy);
                stop.store(true, Ordering::Relaxed);
                sample
            })
        };
        spin_in_a_named_function(&spinning, &stop);
        let sample = sampler.join().unwrap().expect("the handler answered");
        BUSY_SINCE.store(0, Ordering::Release);
        assert!(
            sample.stack.exact_first,
            "the interrupted pc was not among the frames"
        );
        let stack = sample.stack.name();
        assert!(stack.len() >= 2, "{stack:?}");
        let first = &stack[0];
        let module = first.module.as_deref().unwrap_or_default();
        assert!(module.starts_with('/'), "{first:?}");
        // The test binary does not export the function: find it by address range (the
        // innermost frame may be a helper it calls, such as AtomicBool::load unoptimised).
        let function = spin_in_a_named_function as *const () as usize as u64;
        let position = stack
            .iter()
            .position(|f| f.addr > function && f.addr < function + 1024);
        assert!(
            position.is_some_and(|p| p <= 2),
            "{stack:?} vs {function:#x}"
        );
        assert_eq!(STATE.load(Ordering::Relaxed), IDLE);
    }

    #[test]
    fn a_sample_after_the_stall_ended_is_dropped() {
        let _serial = TEST_LOCK.lock().unwrap();
        ensure_handler();
        MAIN_TID.store(unsafe { libc::gettid() }, Ordering::Relaxed);
        BUSY_SINCE.store(0, Ordering::Release);
        // The handler runs on this very thread (a signal to oneself is delivered before
        // tgkill returns) and sees no busy period.
        assert!(take_sample(12345).is_none());
        assert_eq!(STATE.load(Ordering::Relaxed), IDLE);
    }

    /// SA_RESTART: a `read()` blocked when the sampling signal arrives goes on waiting
    /// and returns the data, instead of failing with EINTR.
    #[test]
    fn interrupted_read_is_restarted() {
        let _serial = TEST_LOCK.lock().unwrap();
        ensure_handler();
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            tid_tx.send(unsafe { libc::gettid() }).unwrap();
            let mut byte = 0u8;
            let n = unsafe { libc::read(fds[0], (&raw mut byte).cast(), 1) };
            (n, std::io::Error::last_os_error().raw_os_error(), byte)
        });
        let tid = tid_rx.recv().unwrap();
        for _ in 0..5 {
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(
                unsafe { libc::tgkill(libc::getpid(), tid, SIGNAL.load(Ordering::Relaxed)) },
                0
            );
        }
        assert_eq!(unsafe { libc::write(fds[1], [42u8].as_ptr().cast(), 1) }, 1);
        let (n, errno, byte) = reader.join().unwrap();
        assert_eq!((n, byte), (1, 42), "read failed with errno {errno:?}");
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }
}
