//! The one recording of this process: its file, its surface and frame-clock tables, and
//! the rules for starting (when the display opens) and ending (at exit) it.
//!
//! Every hook goes through [`with_session`]: a relaxed atomic load when not recording,
//! else an uncontended Mutex (a later watchdog thread will write too). No GTK function
//! that can emit a signal is called while the lock is held.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use gdkrecord_format::{
    encode_payload, file_header, End, EndReason, Header, Record, SurfaceId, FORMAT_VERSION,
};

use crate::ffi::{c_string, type_name_of};
use crate::frames::ClockState;
use crate::mmap_writer::{MmapWriter, DEFAULT_CHUNK};
use crate::surfaces::SurfaceInfo;
use crate::{clock, damage, self_time};

/// Set while a recording is open and writable; hooks return at once when it is not.
static RECORDING: AtomicBool = AtomicBool::new(false);
/// Set once a recording was started (or failed to start): never twice per process.
static STARTED: AtomicBool = AtomicBool::new(false);
/// Set in a child forked from a recording process.
static FORKED_CHILD: AtomicBool = AtomicBool::new(false);

static SESSION: Mutex<Option<Session>> = Mutex::new(None);

/// The longest frame head: a 64-bit varint length (10 bytes at most) and a CRC-32.
const MAX_HEAD: usize = 10 + 4;

/// The state of the recording.
#[derive(Debug)]
pub(crate) struct Session {
    writer: Option<MmapWriter>,
    path: PathBuf,
    payload: Vec<u8>,
    records: u64,
    dropped: u64,
    pub(crate) surfaces: HashMap<usize, SurfaceInfo>,
    pub(crate) next_surface: u32,
    /// Frame clocks by pointer: a program has one per toplevel, so a short list scanned
    /// linearly touches less memory than a hash map on the per-phase path.
    pub(crate) clocks: Vec<(usize, ClockState)>,
    /// The surface looked up last (most events go to the same one): `(pointer, id)`.
    pub(crate) last_surface: (usize, SurfaceId),
    /// The rectangles of the last Damage or Painted record (a buffer kept for reuse).
    pub(crate) rects: Vec<[i32; 4]>,
    /// Touch sequences (GdkEventSequence pointers) -> small numbers.
    sequences: HashMap<usize, u64>,
    next_sequence: u64,
}

/// The recording's writer and counts, set aside by [`Session::swap_writer`].
#[derive(Debug)]
pub(crate) struct SavedWriter {
    writer: Option<MmapWriter>,
    records: u64,
    dropped: u64,
}

/// Runs `f` on the session, if recording.
pub(crate) fn with_session<R>(f: impl FnOnce(&mut Session) -> R) -> Option<R> {
    if !RECORDING.load(Ordering::Relaxed) {
        return None;
    }
    let mut guard = SESSION
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.as_mut().map(f)
}

/// Whether records are being written.
pub(crate) fn recording() -> bool {
    RECORDING.load(Ordering::Relaxed)
}

/// Stops recording after a panic in a hook: the host goes on, unrecorded from here.
pub(crate) fn stop_after_panic() {
    RECORDING.store(false, Ordering::Relaxed);
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

fn command_line() -> Vec<String> {
    match std::fs::read("/proc/self/cmdline") {
        Ok(bytes) => bytes
            .split(|b| *b == 0)
            .filter(|arg| !arg.is_empty())
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect(),
        Err(_) => std::env::args_os()
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
    if matches!(&created, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock) {
        // A GTK 4 child inherited GDKRECORD_FILENAME from its recorded parent: record
        // beside it instead of clobbering it.
        let taken = path.clone();
        path = with_pid_suffix(&taken);
        eprintln!(
            "gdkrecord: {} is being recorded by another process; {program} records into {}",
            taken.display(),
            path.display()
        );
        created = MmapWriter::create(&path, DEFAULT_CHUNK);
    }
    let writer = match created {
        Ok(writer) => writer,
        Err(error) => {
            eprintln!(
                "gdkrecord: cannot write the recording to {}: {error}; {program} runs unrecorded",
                path.display()
            );
            return;
        }
    };
    let (damage_capture, damage_note) = damage::status();
    let (start_monotonic_ns, start_unix_ns) = clock::start();
    let header = Header {
        t_ns: 0,
        format_version: FORMAT_VERSION,
        recorder_version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
        program,
        argv: command_line(),
        gtk_version: unsafe {
            [
                gtk4_sys::gtk_get_major_version(),
                gtk4_sys::gtk_get_minor_version(),
                gtk4_sys::gtk_get_micro_version(),
            ]
        },
        start_unix_ns,
        start_monotonic_ns,
        display_backend: backend_name(&unsafe { type_name_of(display) }),
        display_name: unsafe { c_string(gdk4_sys::gdk_display_get_name(display)) },
        damage_capture,
        damage_note,
    };
    let mut session = Session {
        writer: Some(writer),
        path,
        payload: Vec::with_capacity(256),
        records: 0,
        dropped: 0,
        surfaces: HashMap::new(),
        next_surface: 1,
        clocks: Vec::new(),
        last_surface: (0, SurfaceId(0)),
        rects: Vec::new(),
        sequences: HashMap::new(),
        next_sequence: 1,
    };
    if let Some(writer) = session.writer.as_mut() {
        if let Err(error) = writer.append(&file_header()) {
            eprintln!(
                "gdkrecord: cannot write the recording to {}: {error}; recording stops",
                session.path.display()
            );
            return;
        }
    }
    session.write(&Record::Header(header));
    *SESSION
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(session);
    RECORDING.store(true, Ordering::SeqCst);
}

impl Session {
    /// Appends one record (length, CRC-32, payload); returns the bytes it took.
    pub(crate) fn write(&mut self, record: &Record) -> usize {
        let Some(writer) = self.writer.as_mut() else {
            self.dropped += 1;
            return 0;
        };
        // The frame head (varint length, CRC-32) goes into the room left before the
        // payload, so the record reaches the mapping in one copy from one buffer.
        self.payload.clear();
        self.payload.resize(MAX_HEAD, 0);
        encode_payload(record, &mut self.payload);
        let payload_len = self.payload.len() - MAX_HEAD;
        let crc = crc32fast::hash(&self.payload[MAX_HEAD..]);
        let mut head = [0u8; MAX_HEAD];
        let mut n = 0;
        let mut len = payload_len as u64;
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                head[n] = byte;
                n += 1;
                break;
            }
            head[n] = byte | 0x80;
            n += 1;
        }
        head[n..n + 4].copy_from_slice(&crc.to_le_bytes());
        n += 4;
        let start = MAX_HEAD - n;
        self.payload[start..MAX_HEAD].copy_from_slice(&head[..n]);
        let result = writer.append(&self.payload[start..]);
        match result {
            Ok(()) => {
                self.records += 1;
                n + payload_len
            }
            Err(error) => {
                // One warning; the file keeps every complete record written before.
                eprintln!(
                    "gdkrecord: cannot write to {}: {error}; recording stops",
                    self.path.display()
                );
                self.writer = None;
                self.dropped += 1;
                0
            }
        }
    }

    /// Puts `scratch` in place of the recording's writer (for the warm self-measurement);
    /// [`Session::restore_writer`] undoes it, counts included.
    pub(crate) fn swap_writer(&mut self, scratch: MmapWriter) -> SavedWriter {
        SavedWriter {
            writer: self.writer.replace(scratch),
            records: self.records,
            dropped: self.dropped,
        }
    }

    /// Puts the recording's writer back, dropping the scratch one.
    pub(crate) fn restore_writer(&mut self, saved: SavedWriter) {
        self.writer = saved.writer;
        self.records = saved.records;
        self.dropped = saved.dropped;
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

    /// Writes the End record and closes the file at its real length.
    fn finish(mut self, reason: EndReason) {
        let end = End {
            t_ns: clock::now(),
            reason,
            records: self.records + 1,
            dropped: self.dropped,
        };
        self.write(&Record::End(end));
        let bytes = self.writer.as_ref().map_or(0, MmapWriter::len);
        if let Some(writer) = self.writer.take() {
            if let Err(error) = writer.finish() {
                eprintln!("gdkrecord: cannot finish {}: {error}", self.path.display());
            }
        }
        if self_time::enabled() {
            eprintln!("{}", self_time::report(bytes));
        }
    }

    /// Looks a known surface up.
    pub(crate) fn known_surface(&self, surface: usize) -> Option<SurfaceId> {
        self.surfaces.get(&surface).map(|info| info.id)
    }
}

/// Ends the recording (atexit).
pub(crate) extern "C" fn on_exit() {
    crate::guard((), || {
        RECORDING.store(false, Ordering::SeqCst);
        if FORKED_CHILD.load(Ordering::Relaxed) {
            // The lock may have been held by another thread of the parent at fork time.
            if let Ok(mut guard) = SESSION.try_lock() {
                if let Some(mut session) = guard.take() {
                    if let Some(writer) = session.writer.take() {
                        writer.abandon();
                    }
                }
            }
            return;
        }
        let session = SESSION
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(session) = session {
            session.finish(EndReason::EXIT);
        }
    });
}

/// In a forked child: stop at once, the file belongs to the parent.
pub(crate) extern "C" fn on_fork_child() {
    FORKED_CHILD.store(true, Ordering::SeqCst);
    RECORDING.store(false, Ordering::SeqCst);
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

/// Warm-cache cost of the write path (encode, CRC, copy into the mapping), for
/// docs/benchmarks.md: `cargo test --release -p gdkrecord-recorder --lib -- --ignored --nocapture bench_`.
#[cfg(test)]
mod bench {
    use super::*;
    use gdkrecord_format::{Event, EventType, Modifiers};

    #[test]
    #[ignore = "benchmark: run with --release --ignored --nocapture"]
    fn bench_write_motion_event() {
        let path = std::env::temp_dir().join(format!("gdkrecord-bench-{}", std::process::id()));
        let mut session = Session {
            writer: Some(MmapWriter::create(&path, DEFAULT_CHUNK).unwrap()),
            path: path.clone(),
            payload: Vec::with_capacity(256),
            records: 0,
            dropped: 0,
            surfaces: HashMap::new(),
            next_surface: 1,
            clocks: Vec::new(),
            last_surface: (0, SurfaceId(0)),
            rects: Vec::new(),
            sequences: HashMap::new(),
            next_sequence: 1,
        };
        let n = 1_000_000u64;
        let mut bytes = 0;
        let start = clock::monotonic_ns();
        for i in 0..n {
            let mut e = Event::new(i * 1000, SurfaceId(1), EventType::MOTION_NOTIFY, i as u32);
            e.x = Some(200.0 + (i % 100) as f64);
            e.y = Some(100.5);
            e.modifiers = Some(Modifiers(0));
            bytes += session.write(&Record::Event(e));
        }
        let ns = (clock::monotonic_ns() - start) / n;
        eprintln!(
            "bench_write_motion_event: {ns} ns per event, {} bytes per event",
            bytes as u64 / n
        );
        drop(session);
        let _ = std::fs::remove_file(&path);
    }
}
