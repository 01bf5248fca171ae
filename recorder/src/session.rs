//! The one recording of this process: the main thread's tables (surfaces, frame
//! clocks, touch sequences), and the rules for starting (when the display opens) and
//! ending (at exit) it.
//!
//! GTK runs every hook on its main thread, so the tables belong to that thread alone:
//! [`with_session`] checks the thread and lends them out without a lock (a flag refuses
//! re-entry, should a GTK call made inside emit a hooked signal). Records leave through
//! [`emit`] to the writer thread (`queue.rs`, `writer.rs`), which owns the file.

use std::cell::{Cell, UnsafeCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use gdkrecord_format::{
    file_header, EndReason, Header, Record, SurfaceId, FORMAT_VERSION, MAX_ARGS,
};

use crate::damage::Drawer;
use crate::ffi::{c_string, type_name_of};
use crate::frames::ClockState;
use crate::hot::{thread_id, HOT};
use crate::key_names::{self, KeyName};
use crate::mmap_writer::{self, MmapWriter, DEFAULT_CHUNK};
use crate::small_map::SmallMap;
use crate::surfaces::SurfaceInfo;
use crate::{clock, crash, damage, queue, writer};

/// Set once a recording was started (or failed to start): never twice per process.
static STARTED: AtomicBool = AtomicBool::new(false);
/// Set in a child forked from a recording process.
static FORKED_CHILD: AtomicBool = AtomicBool::new(false);

/// The main thread's tables, lent out by [`with_session`]. The flag and the start of
/// the session (what the frame hooks read) share a cache line.
#[repr(C, align(64))]
struct MainThreadSession {
    lent: Cell<bool>,
    session: UnsafeCell<Option<Session>>,
}

// Only the main thread touches the contents (checked in `with_session`).
unsafe impl Sync for MainThreadSession {}

static SESSION: MainThreadSession = MainThreadSession {
    lent: Cell::new(false),
    session: UnsafeCell::new(None),
};

/// The main thread's tables for the recording, kept inline in the static (see
/// `small_map.rs`).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Session {
    /// The frame counter of the frame-clock cycle running now, -1 outside cycles.
    pub(crate) current_frame: i64,
    /// Frame clocks by pointer.
    pub(crate) clocks: SmallMap<ClockState, 4>,
    /// Live surfaces by pointer.
    pub(crate) surfaces: SmallMap<SurfaceInfo, 8>,
    /// Renderers and draw contexts by pointer (see `damage::Drawer`).
    pub(crate) drawers: SmallMap<Drawer, 8>,
    /// Key names by keyval, as looked up once (see `key_names.rs`).
    pub(crate) key_names: SmallMap<KeyName, 32>,
    pub(crate) next_surface: u32,
    /// Touch sequences (GdkEventSequence pointers) -> small numbers.
    sequences: HashMap<usize, u64>,
    next_sequence: u64,
}

/// Marks the calling thread as GTK's main thread (from `g_io_module_load`, inside
/// `gtk_init()`).
pub(crate) fn set_main_thread() {
    HOT.main_thread.store(thread_id(), Ordering::Relaxed);
}

/// Whether the caller is GTK's main thread.
#[inline(always)]
pub(crate) fn on_main_thread() -> bool {
    thread_id() == HOT.main_thread.load(Ordering::Relaxed)
}

/// Runs `f` on the session, if recording, on the main thread, and not already inside
/// `with_session`.
#[inline(always)]
pub(crate) fn with_session<R>(f: impl FnOnce(&mut Session) -> R) -> Option<R> {
    if !HOT.recording.load(Ordering::Relaxed) || !on_main_thread() || SESSION.lent.replace(true) {
        return None;
    }
    /// Gives the session back even if `f` panics.
    struct GiveBack;
    impl Drop for GiveBack {
        fn drop(&mut self) {
            SESSION.lent.set(false);
        }
    }
    let _give_back = GiveBack;
    // SAFETY: main thread only, and `lent` rules out a second `&mut` on it.
    let session = unsafe { &mut *SESSION.session.get() };
    session.as_mut().map(f)
}

/// Sends `record` to the file, if recording (from any thread).
pub(crate) fn emit(record: Record) {
    if HOT.recording.load(Ordering::Relaxed) {
        queue::send(record, on_main_thread());
    }
}

/// Whether records are being written.
#[inline(always)]
pub(crate) fn recording() -> bool {
    HOT.recording.load(Ordering::Relaxed)
}

/// Stops recording after a panic in a hook: the host goes on, unrecorded from here.
pub(crate) fn stop_after_panic() {
    HOT.recording.store(false, Ordering::Relaxed);
}

/// Where to write: `GDKRECORD_FILENAME`, else `<pid>-<prgname>.gdkrecord` in the cwd.
fn output_path(program: &str) -> PathBuf {
    match std::env::var_os("GDKRECORD_FILENAME") {
        Some(name) if !name.is_empty() => PathBuf::from(name),
        _ => {
            let safe: String = program
                .chars()
                .map(|c| if c == '/' || c.is_control() { '_' } else { c })
                .collect();
            PathBuf::from(format!("{}-{safe}.gdkrecord", std::process::id()))
        }
    }
}

/// `run.gdkrecord` -> `run-<pid>.gdkrecord` (the pid goes before the extension).
fn with_pid_suffix(path: &std::path::Path) -> PathBuf {
    let pid = std::process::id();
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{pid}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{pid}"),
    };
    path.with_file_name(name)
}

/// `g_get_prgname()`, else the executable's file name.
fn program_name() -> String {
    let prgname = unsafe { c_string(glib_sys::g_get_prgname()) };
    if !prgname.is_empty() {
        return prgname;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The program's arguments, at most [`MAX_ARGS`] (what readers accept).
fn command_line() -> Vec<String> {
    match std::fs::read("/proc/self/cmdline") {
        Ok(bytes) => bytes
            .split(|b| *b == 0)
            .filter(|arg| !arg.is_empty())
            .take(MAX_ARGS)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect(),
        Err(_) => std::env::args_os()
            .take(MAX_ARGS)
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    }
}

/// `GdkX11Display` -> `x11`, `GdkWaylandDisplay` -> `wayland`.
pub(crate) fn backend_name(display_type: &str) -> String {
    let core = display_type.strip_prefix("Gdk").unwrap_or(display_type);
    let core = core.strip_suffix("Display").unwrap_or(core);
    core.to_ascii_lowercase()
}

/// Opens the recording when the default display opens (once per process).
///
/// # Safety
/// `display` is a valid GdkDisplay.
pub(crate) unsafe fn start(display: *mut gdk4_sys::GdkDisplay) {
    if STARTED.swap(true, Ordering::SeqCst) || FORKED_CHILD.load(Ordering::Relaxed) {
        return;
    }
    let program = program_name();
    let mut path = output_path(&program);
    let mut created = MmapWriter::create(&path, DEFAULT_CHUNK);
    let taken_by = match &created {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            // A GTK 4 child inherited GDKRECORD_FILENAME from its recorded parent.
            Some("is being recorded by another process")
        }
        Err(e) if mmap_writer::is_symlink_refused(e) => {
            Some("is a symbolic link, which a recording never follows")
        }
        _ => None,
    };
    if let Some(why) = taken_by {
        // Record beside it instead of clobbering it or what it points to.
        let taken = path.clone();
        path = with_pid_suffix(&taken);
        eprintln!(
            "gdkrecord: {} {why}; {program} records into {}",
            taken.display(),
            path.display()
        );
        created = MmapWriter::create(&path, DEFAULT_CHUNK);
    }
    let writer = match created {
        Ok((writer, kept)) => {
            if let Some(old) = kept {
                eprintln!(
                    "gdkrecord: kept the previous {} as {}",
                    path.display(),
                    old.display()
                );
            }
            writer
        }
        Err(error) => {
            eprintln!(
                "gdkrecord: cannot write the recording to {}: {error}; {program} runs unrecorded",
                path.display()
            );
            return;
        }
    };
    let (damage_capture, damage_note, damage_layout) = damage::status();
    let (start_monotonic_ns, start_unix_ns) = clock::start();
    let header = Header {
        t_ns: 0,
        format_version: FORMAT_VERSION,
        recorder_version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
        program,
        argv: command_line(),
        gtk_version: crate::ffi::gtk_version(),
        start_unix_ns,
        start_monotonic_ns,
        display_backend: backend_name(&unsafe { type_name_of(display) }),
        display_name: unsafe { c_string(gdk4_sys::gdk_display_get_name(display)) },
        damage_capture,
        damage_note,
        damage_layout,
    };
    queue::allocate();
    key_names::probe();
    if !writer::open(writer, path, &file_header(), &Record::Header(header)) {
        return;
    }
    if on_main_thread() {
        // SAFETY: main thread, before RECORDING is set: nothing has borrowed it.
        unsafe {
            *SESSION.session.get() = Some(Session {
                current_frame: -1,
                clocks: SmallMap::new(),
                surfaces: SmallMap::new(),
                drawers: SmallMap::new(),
                key_names: SmallMap::new(),
                next_surface: 1,
                sequences: HashMap::new(),
                next_sequence: 1,
            });
        }
    }
    crash::install();
    HOT.recording.store(true, Ordering::SeqCst);
}

impl Session {
    /// Sends `record` to the file (the caller is the main thread).
    #[inline(always)]
    pub(crate) fn write(&mut self, record: Record) {
        queue::send(record, true);
    }

    /// The small number of a touch sequence; `end` forgets it after this event.
    pub(crate) fn sequence_number(&mut self, sequence: usize, end: bool) -> u64 {
        let number = match self.sequences.get(&sequence) {
            Some(n) => *n,
            None => {
                let n = self.next_sequence;
                self.next_sequence += 1;
                self.sequences.insert(sequence, n);
                n
            }
        };
        if end {
            self.sequences.remove(&sequence);
        }
        number
    }

    /// The name of `keyval` (not 0), looked up in GDK the first time.
    ///
    /// # Safety
    /// `key_names::usable()`.
    pub(crate) unsafe fn key_name(&mut self, keyval: u32) -> KeyName {
        let key = keyval as usize;
        if let Some(name) = self.key_names.get_mut(key) {
            return *name;
        }
        let name = unsafe { key_names::look_up(keyval) };
        *self.key_names.insert(key, name)
    }

    /// What is known of a live surface.
    pub(crate) fn surface_info(&mut self, surface: usize) -> Option<&mut SurfaceInfo> {
        self.surfaces.get_mut(surface)
    }

    /// Looks a known surface up.
    pub(crate) fn known_surface(&self, surface: usize) -> Option<SurfaceId> {
        self.surfaces.get(surface).map(|info| info.id)
    }
}

/// Ends the recording (atexit).
pub(crate) extern "C" fn on_exit() {
    crate::guard((), || {
        if !FORKED_CHILD.load(Ordering::Relaxed) {
            crate::loop_summary::flush();
        }
        HOT.recording.store(false, Ordering::SeqCst);
        if FORKED_CHILD.load(Ordering::Relaxed) {
            writer::abandon();
        } else {
            writer::finish(EndReason::EXIT);
        }
    });
}

/// In a forked child: stop at once, the file belongs to the parent.
pub(crate) extern "C" fn on_fork_child() {
    FORKED_CHILD.store(true, Ordering::SeqCst);
    HOT.recording.store(false, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_come_from_display_types() {
        assert_eq!(backend_name("GdkX11Display"), "x11");
        assert_eq!(backend_name("GdkWaylandDisplay"), "wayland");
        assert_eq!(backend_name("GdkBroadwayDisplay"), "broadway");
        assert_eq!(backend_name("Odd"), "odd");
    }

    #[test]
    fn a_taken_file_name_gets_the_pid() {
        let pid = std::process::id();
        assert_eq!(
            with_pid_suffix(std::path::Path::new("/tmp/run.gdkrecord")),
            PathBuf::from(format!("/tmp/run-{pid}.gdkrecord"))
        );
        assert_eq!(
            with_pid_suffix(std::path::Path::new("log")),
            PathBuf::from(format!("log-{pid}"))
        );
    }

    #[test]
    fn default_output_name_is_pid_and_program() {
        std::env::remove_var("GDKRECORD_FILENAME");
        let path = output_path("my/prog");
        assert_eq!(
            path,
            PathBuf::from(format!("{}-my_prog.gdkrecord", std::process::id()))
        );
    }
}
