//! The one recording of this process: the rules for starting it (when the front sees
//! the display open) and ending it (at exit), and the cell that lends a front's
//! main-thread tables out.
//!
//! GTK runs every hook on its main thread, so a front's tables belong to that thread
//! alone: [`MainThreadCell::with`] checks the thread and lends them out without a lock (a
//! flag refuses re-entry, should a GTK call made inside emit a hooked signal). Records
//! leave through [`emit`] to the writer thread (`queue.rs`, `writer.rs`), which owns the
//! file.

use std::cell::{Cell, UnsafeCell};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use gdkrecord_format::{file_header, EndReason, Header, Record, FORMAT_VERSION, MAX_ARGS};

use crate::ffi::c_string;
use crate::hot::HOT;
use crate::mmap_writer::{self, MmapWriter, DEFAULT_CHUNK};
use crate::{clock, crash, queue, writer};

/// Set once a recording was started (or failed to start): never twice per process.
static STARTED: AtomicBool = AtomicBool::new(false);
/// Set in a child forked from a recording process.
static FORKED_CHILD: AtomicBool = AtomicBool::new(false);

/// A front's main-thread tables, lent out by [`MainThreadCell::with`]. The flag and the
/// start of the tables (what the frame hooks read) share a cache line.
#[repr(C, align(64))]
pub struct MainThreadCell<T> {
    lent: Cell<bool>,
    value: UnsafeCell<Option<T>>,
}

// Only the main thread touches the contents (checked in `with`).
unsafe impl<T> Sync for MainThreadCell<T> {}

impl<T> std::fmt::Debug for MainThreadCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MainThreadCell")
            .field("lent", &self.lent.get())
            .finish_non_exhaustive()
    }
}

impl<T> MainThreadCell<T> {
    /// An empty cell (tables are filled when the recording starts).
    pub const fn new() -> MainThreadCell<T> {
        MainThreadCell {
            lent: Cell::new(false),
            value: UnsafeCell::new(None),
        }
    }

    /// Runs `f` on the tables, if recording, on the main thread, and not already inside
    /// `with`.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if !HOT.recording.load(Ordering::Relaxed) || !on_main_thread() || self.lent.replace(true) {
            return None;
        }
        /// Gives the tables back even if `f` panics.
        struct GiveBack<'a>(&'a Cell<bool>);
        impl Drop for GiveBack<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let _give_back = GiveBack(&self.lent);
        // SAFETY: main thread only, and `lent` rules out a second `&mut` on it.
        let value = unsafe { &mut *self.value.get() };
        value.as_mut().map(f)
    }

    /// Fills the cell (from [`start`]'s `open_tables`).
    ///
    /// # Safety
    /// Main thread, before recording starts: nothing has borrowed the tables.
    pub unsafe fn fill(&self, value: T) {
        unsafe { *self.value.get() = Some(value) };
    }
}

impl<T> Default for MainThreadCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

pub use crate::hot::{on_main_thread, recording, set_main_thread, stop_after_panic};
pub use crate::queue::emit;

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
pub fn backend_name(display_type: &str) -> String {
    let core = display_type.strip_prefix("Gdk").unwrap_or(display_type);
    let core = core.strip_suffix("Display").unwrap_or(core);
    core.to_ascii_lowercase()
}

/// What a front knows of its toolkit for the Header record.
#[derive(Debug)]
pub struct Toolkit {
    /// GTK's run-time version.
    pub gtk_version: [u32; 3],
    /// The display's GType name (`GdkX11Display`).
    pub display_type: String,
    /// `gdk_display_get_name()`.
    pub display_name: String,
    /// Whether damage is recorded, why not, and the private layouts it relies on.
    pub damage: (bool, String, String),
}

/// Opens the recording when the default display opens (once per process): `toolkit`
/// says what goes into the Header; `open_tables` fills the front's main-thread tables
/// (on the main thread, before any hook records).
pub fn start(toolkit: impl FnOnce() -> Toolkit, open_tables: impl FnOnce()) {
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
    let toolkit = toolkit();
    let (damage_capture, damage_note, damage_layout) = toolkit.damage;
    let (start_monotonic_ns, start_unix_ns) = clock::start();
    let header = Header {
        t_ns: 0,
        format_version: FORMAT_VERSION,
        recorder_version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
        program,
        argv: command_line(),
        gtk_version: toolkit.gtk_version,
        start_unix_ns,
        start_monotonic_ns,
        display_backend: backend_name(&toolkit.display_type),
        display_name: toolkit.display_name,
        damage_capture,
        damage_note,
        damage_layout,
    };
    queue::allocate();
    if !writer::open(writer, path, &file_header(), &Record::Header(header)) {
        return;
    }
    if on_main_thread() {
        open_tables();
    }
    crash::install();
    HOT.recording.store(true, Ordering::SeqCst);
}

/// Ends the recording (atexit).
pub extern "C" fn on_exit() {
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
pub extern "C" fn on_fork_child() {
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
