//! Main-loop timing: how long each iteration of the default `GMainContext` slept in
//! poll and how long it worked, and which GSource dispatches were slow.
//!
//! # Iterations
//! [`install`] replaces the default context's poll function with [`poll_wrapper`], which
//! calls the original. Returning from poll starts a *busy period*, entering poll ends it.
//! Poll and work times are summed per second into `loop-summary` records
//! (`loop_summary.rs`); a busy period of at least `GDKRECORD_SLOW_ITERATION_US` also gets
//! a `loop-iteration` record of its own. The start of the busy period is published in
//! [`BUSY_SINCE`] for the stall watchdog (`stall.rs`), and a busy period longer than the
//! stall threshold is reported as a `stall` at its end.
//! Only the thread that installed the recorder (the main thread) is measured: the poll
//! function is per context, so other threads' contexts never see the wrapper, and
//! another thread iterating the default context passes straight through.
//!
//! # Dispatches
//! GLib's exported `GSourceFuncs` tables (`g_idle_funcs`, `g_timeout_funcs`, ...) are
//! writable data. Their `dispatch` pointer is replaced *in place* by a timing wrapper
//! (one per table, [`WRAPPERS`]), so the tables keep their identity and calls such as
//! `g_idle_remove_by_data()` (which compare funcs pointers) keep working; cloning a
//! source's funcs would break them. Tables private to a library (GDK's X11 event
//! source) are found by looking up new source ids of the default context now and then
//! (`g_main_context_find_source_by_id`) and patched in place too, when their memory is
//! writable; a read-only table is left alone. A wrapper called for another context or
//! on another thread only compares two words before calling the original.
//!
//! A dispatch taking at least `GDKRECORD_DISPATCH_US` (default 1000 µs: a 60 Hz frame
//! budget is 16.7 ms, so 1 ms dispatches are the ones worth knowing about, while
//! sub-millisecond ones are too many to record) becomes a `dispatch` record with the
//! source's name, type, priority and its callback's address, named with `dladdr`.
//!
//! # Environment
//! - `GDKRECORD_MAINLOOP=0`: no main-loop timing, dispatch timing or stall detection.
//! - `GDKRECORD_DISPATCH_US`: dispatch threshold in µs (default 1000).
//! - `GDKRECORD_SLOW_ITERATION_US`: iterations working at least this long get a
//!   `loop-iteration` record (default 16000, a 60 Hz frame).
//! - `GDKRECORD_STALL_MS`, `GDKRECORD_STALL_SAMPLE_MS`: see `stall.rs`.

use std::ffi::{c_int, c_uint, CStr};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use gdkrecord_format::{Dispatch, LoopIteration, Record};
use glib_sys::{gboolean, gpointer, GMainContext, GPollFD, GSource, GSourceFunc, GSourceFuncs};

use crate::clock::monotonic_ns;
use crate::loop_state::{env_number, since_start, write, BUSY_SINCE, CURRENT_SOURCE};
use crate::self_time::Timer;
use crate::session::on_main_thread;
use crate::{code_address, loop_summary, queue, stall};

extern "C" {
    // GLib's exported source tables (glib-sys does not declare them). Writable data.
    static mut g_idle_funcs: GSourceFuncs;
    static mut g_timeout_funcs: GSourceFuncs;
    static mut g_io_watch_funcs: GSourceFuncs;
    static mut g_unix_fd_source_funcs: GSourceFuncs;
    static mut g_child_watch_funcs: GSourceFuncs;
    static mut g_unix_signal_funcs: GSourceFuncs;
}

type PollFn = unsafe extern "C" fn(*mut GPollFD, c_uint, c_int) -> c_int;
type DispatchFn = unsafe extern "C" fn(*mut GSource, GSourceFunc, gpointer) -> gboolean;

/// What to measure, from the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Whether main-loop timing is on at all (`GDKRECORD_MAINLOOP`).
    pub enabled: bool,
    /// Dispatches at least this long are recorded (`GDKRECORD_DISPATCH_US`).
    pub dispatch_threshold_ns: u64,
    /// Iterations working at least this long get a record of their own
    /// (`GDKRECORD_SLOW_ITERATION_US`).
    pub slow_iteration_ns: u64,
    /// Stall detection (`None`: off).
    pub stall: Option<stall::Config>,
}

/// Default `GDKRECORD_DISPATCH_US`.
pub(crate) const DEFAULT_DISPATCH_US: u64 = 1000;
/// Default `GDKRECORD_SLOW_ITERATION_US`: one frame at 60 Hz.
pub(crate) const DEFAULT_SLOW_ITERATION_US: u64 = 16_000;

impl Config {
    /// The configuration `lookup(name)` (the environment) asks for.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Config {
        let enabled = lookup("GDKRECORD_MAINLOOP").is_none_or(|v| v.trim() != "0");
        let dispatch_us = env_number(
            "GDKRECORD_DISPATCH_US",
            lookup("GDKRECORD_DISPATCH_US").as_deref(),
            DEFAULT_DISPATCH_US,
        );
        let slow_iteration_us = env_number(
            "GDKRECORD_SLOW_ITERATION_US",
            lookup("GDKRECORD_SLOW_ITERATION_US").as_deref(),
            DEFAULT_SLOW_ITERATION_US,
        );
        Config {
            enabled,
            dispatch_threshold_ns: dispatch_us.saturating_mul(1000),
            slow_iteration_ns: slow_iteration_us.saturating_mul(1000),
            stall: stall::Config::from_lookup(&lookup),
        }
    }

    /// The configuration the process environment asks for.
    pub fn from_env() -> Config {
        Config::from_lookup(|name| std::env::var(name).ok())
    }
}

/// The default main context, once installed.
static DEFAULT_CONTEXT: AtomicPtr<GMainContext> = AtomicPtr::new(std::ptr::null_mut());
/// The poll function the default context had before ours.
static ORIGINAL_POLL: AtomicUsize = AtomicUsize::new(0);
static DISPATCH_THRESHOLD_NS: AtomicU64 = AtomicU64::new(u64::MAX);
static SLOW_ITERATION_NS: AtomicU64 = AtomicU64::new(u64::MAX);
/// Stall threshold for the end-of-busy-period check (`u64::MAX`: stall detection off).
static STALL_THRESHOLD_NS: AtomicU64 = AtomicU64::new(u64::MAX);

/// How long the last poll slept (main thread only).
static LAST_POLL_NS: AtomicU64 = AtomicU64::new(0);
/// Poll calls on the main thread, to pace the search for private source tables.
static ITERATIONS: AtomicU64 = AtomicU64::new(0);
/// Installs the poll wrapper on the default context, patches GLib's source tables and
/// starts the stall watchdog. Call once, on the main thread (the one that will run the
/// main loop), e.g. from `g_io_module_load` inside `gtk_init()`.
pub fn install(config: &Config) {
    if !config.enabled {
        return;
    }
    // SAFETY: plain GLib calls; g_main_context_default never fails.
    unsafe {
        let context = glib_sys::g_main_context_default();
        let Some(original) = glib_sys::g_main_context_get_poll_func(context) else {
            eprintln!("gdkrecord: the main context has no poll function; main loop not timed");
            return;
        };
        if original as usize == poll_wrapper as *const () as usize {
            return; // already installed (a second copy of the module)
        }
        DEFAULT_CONTEXT.store(context, Ordering::Relaxed);
        DISPATCH_THRESHOLD_NS.store(config.dispatch_threshold_ns, Ordering::Relaxed);
        SLOW_ITERATION_NS.store(config.slow_iteration_ns, Ordering::Relaxed);
        ORIGINAL_POLL.store(original as usize, Ordering::Release);
        if let Some(stall_config) = &config.stall {
            if stall::start(stall_config) {
                STALL_THRESHOLD_NS.store(stall_config.threshold_ns, Ordering::Relaxed);
            }
        }
        patch_table(&raw mut g_idle_funcs, "idle");
        patch_table(&raw mut g_timeout_funcs, "timeout");
        patch_table(&raw mut g_io_watch_funcs, "io");
        patch_table(&raw mut g_unix_fd_source_funcs, "unix-fd");
        patch_table(&raw mut g_child_watch_funcs, "child-watch");
        patch_table(&raw mut g_unix_signal_funcs, "unix-signal");
        glib_sys::g_main_context_set_poll_func(context, Some(poll_wrapper));
    }
}

/// The default context's poll function while recording: times the iteration.
unsafe extern "C" fn poll_wrapper(fds: *mut GPollFD, nfds: c_uint, timeout: c_int) -> c_int {
    // SAFETY: set (Release) before this wrapper was installed, never changed after.
    let original: PollFn =
        unsafe { std::mem::transmute::<usize, PollFn>(ORIGINAL_POLL.load(Ordering::Acquire)) };
    if !on_main_thread() {
        return unsafe { original(fds, nfds, timeout) };
    }
    let entered = monotonic_ns();
    // A time: the main thread is the only writer until it stores 0 (the watchdog only
    // ever replaces a 0), so a plain load and store do.
    let busy_since = BUSY_SINCE.load(Ordering::Acquire);
    if busy_since > stall::WATCHDOG_PARKED {
        BUSY_SINCE.store(0, Ordering::Release);
        crate::guard((), || end_busy_period(busy_since, entered));
    }
    // Only the main thread counts: a plain load and store, no atomic read-modify-write.
    let iteration = ITERATIONS.load(Ordering::Relaxed) + 1;
    ITERATIONS.store(iteration, Ordering::Relaxed);
    if iteration.is_power_of_two() || iteration.is_multiple_of(256) {
        crate::guard((), || unsafe { discover_private_tables() });
    }
    crate::idle_signal::before_poll(timeout);
    // Here, not in the hooks that pushed them: the loop is done with its work.
    let timer = Timer::start();
    if queue::wake_writer_if_records_wait() {
        timer.stop_writer_wake();
    }
    let result = unsafe { original(fds, nfds, timeout) };
    let woke = monotonic_ns();
    LAST_POLL_NS.store(woke.saturating_sub(entered), Ordering::Relaxed);
    crate::guard((), || {
        let mut summer = loop_summary::SUMMER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        summer.add_poll(
            since_start(entered),
            since_start(woke),
            &mut loop_summary::write,
        );
    });
    // A swap, not a store: the watchdog may have parked meanwhile, and must be woken.
    if BUSY_SINCE.swap(woke, Ordering::AcqRel) == stall::WATCHDOG_PARKED {
        stall::wake_watchdog();
    }
    result
}

/// The main thread is back in poll after working since `busy_since`.
fn end_busy_period(busy_since: u64, entered: u64) {
    let work_ns = entered.saturating_sub(busy_since);
    loop_summary::SUMMER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .add_work(
            since_start(busy_since),
            since_start(entered),
            &mut loop_summary::write,
        );
    if work_ns >= SLOW_ITERATION_NS.load(Ordering::Relaxed) {
        write(Record::LoopIteration(LoopIteration {
            t_ns: since_start(busy_since),
            poll_ns: LAST_POLL_NS.load(Ordering::Relaxed),
            work_ns,
        }));
    }
    if work_ns >= STALL_THRESHOLD_NS.load(Ordering::Relaxed) {
        stall::stall_ended(busy_since, entered);
    }
}

/// Tables that can be patched: GLib's six exported ones and a few private ones.
const SLOTS: usize = 16;
/// The original `dispatch` of each patched table, by slot.
static ORIGINAL_DISPATCH: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
/// What the sources of each patched table are called in `dispatch` records.
static SOURCE_TYPES: [OnceLock<String>; SLOTS] = [const { OnceLock::new() }; SLOTS];
static USED_SLOTS: AtomicUsize = AtomicUsize::new(0);

/// One timing wrapper per slot: a wrapper knows its table's original by its slot.
const WRAPPERS: [DispatchFn; SLOTS] = [
    dispatch_wrapper::<0>,
    dispatch_wrapper::<1>,
    dispatch_wrapper::<2>,
    dispatch_wrapper::<3>,
    dispatch_wrapper::<4>,
    dispatch_wrapper::<5>,
    dispatch_wrapper::<6>,
    dispatch_wrapper::<7>,
    dispatch_wrapper::<8>,
    dispatch_wrapper::<9>,
    dispatch_wrapper::<10>,
    dispatch_wrapper::<11>,
    dispatch_wrapper::<12>,
    dispatch_wrapper::<13>,
    dispatch_wrapper::<14>,
    dispatch_wrapper::<15>,
];

/// Whether `dispatch` is one of our wrappers.
fn is_wrapper(dispatch: usize) -> bool {
    WRAPPERS.iter().any(|w| *w as usize == dispatch)
}

/// Replaces `table.dispatch` with a timing wrapper, keeping the original. False when the
/// table has no dispatch, is already patched, or no slot is left.
///
/// # Safety
/// `table` points to a live, writable `GSourceFuncs` that stays alive for the process.
unsafe fn patch_table(table: *mut GSourceFuncs, source_type: &str) -> bool {
    // The field is written while other threads may dispatch through it: treat it as an
    // atomic word (a plain aligned pointer store on every supported target).
    let field = unsafe { &*(&raw mut (*table).dispatch).cast::<AtomicUsize>() };
    let original = field.load(Ordering::Acquire);
    if original == 0 || is_wrapper(original) {
        return false;
    }
    let slot = USED_SLOTS.fetch_add(1, Ordering::Relaxed);
    if slot >= SLOTS {
        return false;
    }
    ORIGINAL_DISPATCH[slot].store(original, Ordering::Release);
    let _ = SOURCE_TYPES[slot].set(source_type.to_owned());
    field.store(WRAPPERS[slot] as usize, Ordering::Release);
    true
}

/// Times one dispatch of a source whose table is in `SLOT`.
unsafe extern "C" fn dispatch_wrapper<const SLOT: usize>(
    source: *mut GSource,
    callback: GSourceFunc,
    user_data: gpointer,
) -> gboolean {
    // SAFETY: stored (Release) before the table pointed here.
    let original: DispatchFn = unsafe {
        std::mem::transmute::<usize, DispatchFn>(ORIGINAL_DISPATCH[SLOT].load(Ordering::Acquire))
    };
    let ours = !source.is_null()
        && unsafe { (*source).context } == DEFAULT_CONTEXT.load(Ordering::Relaxed)
        && on_main_thread();
    if !ours {
        return unsafe { original(source, callback, user_data) };
    }
    let outer = CURRENT_SOURCE.swap(source, Ordering::Relaxed);
    let start = monotonic_ns();
    let result = unsafe { original(source, callback, user_data) };
    let duration_ns = monotonic_ns().saturating_sub(start);
    CURRENT_SOURCE.store(outer, Ordering::Relaxed);
    // Only the main thread writes it: no atomic read-modify-write needed.
    let id = unsafe { (*source).source_id };
    if id > MAX_SEEN_ID.load(Ordering::Relaxed) {
        MAX_SEEN_ID.store(id, Ordering::Relaxed);
    }
    if duration_ns >= DISPATCH_THRESHOLD_NS.load(Ordering::Relaxed) {
        crate::guard((), || unsafe {
            record_dispatch(SLOT, source, callback, start, duration_ns)
        });
    }
    result
}

/// GDK's frame-clock paint source: its dispatch is a frame, which the `frame` record
/// already times phase by phase. With the cairo renderer every frame's paint takes over a
/// millisecond, and its `dispatch` records (107 bytes each, 80 of them its name and
/// module) were a third of them in a widget-factory session; one is written only when
/// the frame is slow.
const FRAME_CLOCK_PAINT: &[u8] = b"[gtk] gdk_frame_clock_paint_idle";

/// Writes the `dispatch` record of a slow dispatch (not of a frame-clock paint shorter
/// than `GDKRECORD_SLOW_ITERATION_US`: see [`FRAME_CLOCK_PAINT`]).
///
/// # Safety
/// `source` is alive (its dispatch just returned; GLib still holds its reference).
unsafe fn record_dispatch(
    slot: usize,
    source: *mut GSource,
    callback: GSourceFunc,
    start: u64,
    duration_ns: u64,
) {
    let name = unsafe { glib_sys::g_source_get_name(source) };
    let name = (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) });
    if name.is_some_and(|n| n.to_bytes() == FRAME_CLOCK_PAINT)
        && duration_ns < SLOW_ITERATION_NS.load(Ordering::Relaxed)
    {
        return;
    }
    let source_name = name.map(|n| n.to_string_lossy().into_owned());
    let callback = callback.map(|f| code_address::resolve(f as usize, false));
    write(Record::Dispatch(Dispatch {
        t_ns: since_start(start),
        duration_ns,
        source: source_name,
        source_type: SOURCE_TYPES[slot]
            .get()
            .cloned()
            .unwrap_or_else(|| "other".to_owned()),
        priority: unsafe { glib_sys::g_source_get_priority(source) },
        callback,
    }));
}

/// The highest source id seen dispatching on the main thread: new sources (those of
/// private tables too) have ids up to about here.
static MAX_SEEN_ID: AtomicU32 = AtomicU32::new(0);
/// The next source id to look at for private tables.
static NEXT_PROBE_ID: AtomicU32 = AtomicU32::new(1);
/// Private tables already looked at (patched or refused), so each is judged once.
static SEEN_TABLES: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// Ids probed per search at most, so one search stays in the microseconds.
const PROBES_PER_SEARCH: u32 = 256;

/// Looks up the default context's sources added since the last search and patches the
/// private tables among them (main thread, from the poll wrapper, context unlocked).
///
/// # Safety
/// Called on the main thread with the default context installed.
unsafe fn discover_private_tables() {
    let context = DEFAULT_CONTEXT.load(Ordering::Relaxed);
    let first = NEXT_PROBE_ID.load(Ordering::Relaxed).max(1);
    // Ids are handed out in order; look a little past the highest one seen, for sources
    // (like GDK's event source) that never go through a patched table.
    let max_seen = MAX_SEEN_ID.load(Ordering::Relaxed);
    let last = max_seen
        .saturating_add(32)
        .min(first.saturating_add(PROBES_PER_SEARCH));
    // An id below the highest one seen that is not found now belongs to a destroyed
    // source and never comes back: the next search starts past it.
    let mut next = first.max(last.min(max_seen).saturating_add(1));
    for id in first..=last {
        let source = unsafe { glib_sys::g_main_context_find_source_by_id(context, id) };
        if source.is_null() {
            continue;
        }
        next = next.max(id + 1);
        let table = unsafe { (*source).source_funcs } as usize;
        let dispatch = if table == 0 {
            0
        } else {
            unsafe { (*(table as *const GSourceFuncs)).dispatch }.map_or(0, |f| f as usize)
        };
        if dispatch == 0 || is_wrapper(dispatch) {
            continue;
        }
        let mut seen = SEEN_TABLES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.contains(&table) {
            continue;
        }
        seen.push(table);
        drop(seen);
        if is_writable(table, std::mem::size_of::<GSourceFuncs>()) {
            let name = unsafe { glib_sys::g_source_get_name(source) };
            let name = if name.is_null() {
                String::new()
            } else {
                unsafe { CStr::from_ptr(name) }
                    .to_string_lossy()
                    .into_owned()
            };
            unsafe { patch_table(table as *mut GSourceFuncs, &source_type_from_name(&name)) };
        }
    }
    NEXT_PROBE_ID.store(next, Ordering::Relaxed);
}

/// A source type for a private table, from its source's name: `GDK X11 Event source`
/// gives `gdk-x11-event-source`; no name gives `other`.
fn source_type_from_name(name: &str) -> String {
    // Instance details in parentheses (`(:0)`, the display) are not part of the type.
    let words: Vec<String> = name
        .split_whitespace()
        .take_while(|w| !w.starts_with('('))
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "other".to_owned()
    } else {
        words.join("-")
    }
}

/// Whether `len` bytes at `addr` lie in one writable mapping (from /proc/self/maps):
/// a table in read-only memory must not be patched.
fn is_writable(addr: usize, len: usize) -> bool {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return false;
    };
    maps_say_writable(&maps, addr, len)
}

fn maps_say_writable(maps: &str, addr: usize, len: usize) -> bool {
    maps.lines().any(|line| {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            return false;
        };
        let Some((low, high)) = range.split_once('-') else {
            return false;
        };
        let (Ok(low), Ok(high)) = (
            usize::from_str_radix(low, 16),
            usize::from_str_radix(high, 16),
        ) else {
            return false;
        };
        low <= addr && addr.saturating_add(len) <= high && perms.as_bytes().get(1) == Some(&b'w')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_overrides() {
        let none = Config::from_lookup(|_| None);
        assert!(none.enabled);
        assert_eq!(none.dispatch_threshold_ns, 1_000_000);
        assert_eq!(none.slow_iteration_ns, 16_000_000);
        assert_eq!(
            none.stall.as_ref().map(|s| s.threshold_ns),
            Some(100_000_000)
        );
        let set = Config::from_lookup(|name| match name {
            "GDKRECORD_DISPATCH_US" => Some("250".into()),
            "GDKRECORD_STALL_MS" => Some("0".into()),
            _ => None,
        });
        assert_eq!(set.dispatch_threshold_ns, 250_000);
        assert_eq!(set.stall, None);
        let off = Config::from_lookup(|name| (name == "GDKRECORD_MAINLOOP").then(|| "0".into()));
        assert!(!off.enabled);
        let bad =
            Config::from_lookup(|name| (name == "GDKRECORD_DISPATCH_US").then(|| "fast".into()));
        assert_eq!(bad.dispatch_threshold_ns, 1_000_000);
    }

    #[test]
    fn private_source_types_come_from_names() {
        assert_eq!(
            source_type_from_name("GDK X11 Event source (:99)"),
            "gdk-x11-event-source"
        );
        assert_eq!(source_type_from_name(""), "other");
    }

    #[test]
    fn writability_is_read_from_maps() {
        let maps = "00400000-00401000 r-xp 00000000 08:01 1 /bin/x\n00600000-00602000 rw-p 00000000 08:01 1 /bin/x\n";
        assert!(!maps_say_writable(maps, 0x400010, 48));
        assert!(maps_say_writable(maps, 0x600010, 48));
        assert!(
            !maps_say_writable(maps, 0x601ff0, 48),
            "crosses the end of the mapping"
        );
        assert!(!maps_say_writable(maps, 0x700000, 8));
        static mut WRITABLE: [usize; 6] = [0; 6];
        assert!(is_writable((&raw const WRITABLE) as usize, 48));
        assert!(!is_writable(maps_say_writable as *const () as usize, 48));
    }
}
