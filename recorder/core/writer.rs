//! The writer thread: takes the records the hooks sent (see `queue.rs`), encodes them
//! (varint length, CRC-32, payload) and copies them into the memory-mapped file.
//!
//! It drains every [`ACTIVE_PERIOD`] while records come and parks after [`IDLE_BEFORE_PARK`]
//! without any, with no timeout; the main loop wakes it when it is about to sleep in poll
//! with records waiting, or the stall watchdog when a handler keeps the loop from polling
//! (`queue.rs`, `writer_wake.rs`), so it never wakes while the app's main loop sleeps. So
//! a record reaches the page cache (where it survives SIGKILL) within [`ACTIVE_PERIOD`]
//! while records come; after a quiet spell, within that of the end of the main-loop
//! iteration that made it (or of the stall threshold, in a blocked handler). On a crash signal the handler in
//! `crash.rs` drains what is left before the process dies, and at exit the atexit handler
//! does, then writes the End record. With `GDKRECORD_SYNC=1` each record is written by the
//! thread that makes it instead ([`write_now`]).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use gdkrecord_format::{encode_payload, End, EndReason, Record};

use crate::hot::HOT;
use crate::mmap_writer::{self, MmapWriter};
use crate::queue::Entry;
use crate::{clock, pixels, queue, self_time, writer_wake};
use std::sync::atomic::Ordering;

/// How often the writer drains while records come: what SIGKILL can take, at most.
const ACTIVE_PERIOD: Duration = Duration::from_millis(10);
/// Quiet time after which the writer parks until the next record. Short, so a quiet
/// spell costs few wake-ups; long enough that a 60 Hz animation (a record every 16 ms)
/// keeps it from parking, since unparking it costs the main thread a system call.
const IDLE_BEFORE_PARK: Duration = Duration::from_millis(30);

/// The longest frame head: a 64-bit varint length (10 bytes at most) and a CRC-32.
const MAX_HEAD: usize = 10 + 4;

/// Bytes of frame buffer kept between records (pixel records are larger: their buffer
/// is freed after them).
const FRAME_KEPT: usize = 64 << 10;

/// The file and what was written to it. Its lock makes one consumer of the queue at a time.
static WRITER: Mutex<Option<FileState>> = Mutex::new(None);

/// The open recording file.
#[derive(Debug)]
struct FileState {
    writer: Option<MmapWriter>,
    path: PathBuf,
    /// The frame being encoded (head room, then the payload); kept to reuse its memory.
    frame: Vec<u8>,
    /// Rectangles of the region being written; kept to reuse its memory.
    rects: Vec<[i32; 4]>,
    records: u64,
    dropped: u64,
    /// The surfaces' pictures, for the whole pictures written every 10 s of repaints.
    wholes: pixels::Wholes,
}

/// Encodes `record` as a frame into `frame` and returns where the frame starts: the
/// head (varint length, CRC-32) goes into the room left before the payload, so the
/// record reaches the mapping in one copy from one buffer.
fn encode_frame(record: &Record, frame: &mut Vec<u8>) -> usize {
    frame.clear();
    frame.resize(MAX_HEAD, 0);
    encode_payload(record, frame);
    let payload_len = frame.len() - MAX_HEAD;
    let crc = crc32fast::hash(&frame[MAX_HEAD..]);
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
    frame[start..MAX_HEAD].copy_from_slice(&head[..n]);
    start
}

impl FileState {
    /// Appends one record (length, CRC-32, payload); returns the bytes it took.
    fn write(&mut self, record: &Record) -> usize {
        let Some(writer) = self.writer.as_mut() else {
            self.dropped += 1;
            return 0;
        };
        let start = encode_frame(record, &mut self.frame);
        match writer.append(&self.frame[start..]) {
            Ok(()) => {
                self.records += 1;
                self.frame.len() - start
            }
            Err(error) => {
                // One warning; the file keeps every complete record written before.
                eprintln!(
                    "gdkrecord: cannot write to {}: {error}; recording stops",
                    self.path.display()
                );
                self.dropped += 1;
                if mmap_writer::is_disk_full(&error) {
                    // Said now: the program may never exit normally.
                    let end = Record::End(End {
                        t_ns: clock::now(),
                        reason: EndReason::DISK_FULL,
                        records: self.records + 1,
                        dropped: self.dropped + queue::dropped(),
                    });
                    let start = encode_frame(&end, &mut self.frame);
                    let _ = writer.append_last(&self.frame[start..]);
                }
                self.writer = None;
                0
            }
        }
    }

    /// Writes the record `entry` stands for.
    ///
    /// `in_signal_handler`: nothing may be allocated (the signal may have come inside
    /// malloc), so a key event goes without its name.
    fn write_entry(&mut self, entry: &Entry, in_signal_handler: bool) {
        match entry {
            Entry::Record(record) => {
                if let Record::SurfaceDestroyed(destroyed) = record {
                    self.wholes.forget(destroyed.surface);
                }
                let bytes = self.write(record);
                if matches!(record, Record::Event(_)) {
                    self_time::count_event_bytes(bytes);
                }
            }
            Entry::Pointer(pointer) => {
                let bytes = self.write(&Record::Event(pointer.to_event()));
                self_time::count_event_bytes(bytes);
            }
            Entry::Key(key) => {
                let mut event = key.to_event_unnamed();
                if !in_signal_handler {
                    event.key = key.name.text(key.keyval);
                }
                let bytes = self.write(&Record::Event(event));
                self_time::count_event_bytes(bytes);
            }
            Entry::Frame(frame) => {
                self.write(&frame.to_record());
            }
            // Packing allocates: a crash signal's drain leaves the frame without pixels.
            Entry::Pixels(_) if in_signal_handler => self.dropped += 1,
            Entry::Pixels(patch) => {
                self.write(&patch.packed());
                for whole in self.wholes.paint(patch.raw()) {
                    self.write(&Record::Pixels(whole.packed()));
                }
                // A band of pixels grew the frame buffer to megabytes: give them back.
                if self.frame.capacity() > FRAME_KEPT {
                    self.frame = Vec::with_capacity(FRAME_KEPT);
                }
            }
            Entry::Region(region) => {
                let record = region.to_record(std::mem::take(&mut self.rects));
                self.write(&record);
                if let Record::Damage(damage) | Record::Painted(damage) = record {
                    self.rects = damage.rects;
                }
            }
        }
    }

    /// Writes every record waiting in the queue.
    fn drain(&mut self, in_signal_handler: bool) -> usize {
        // SAFETY: the caller holds WRITER, which makes it the only consumer.
        unsafe {
            queue::drain(
                |entry| self.write_entry(entry, in_signal_handler),
                in_signal_handler,
            )
        }
    }
}

/// Starts writing into `writer` (at `path`): `first` (the file header's bytes, then the
/// Header record) is written at once, the rest by the writer thread. False, with the
/// reason on stderr, when the file cannot take even that.
pub(crate) fn open(writer: MmapWriter, path: PathBuf, file_header: &[u8], header: &Record) -> bool {
    let mut state = FileState {
        writer: Some(writer),
        path,
        // Room for any but the largest records: a crash handler must not allocate.
        frame: Vec::with_capacity(64 * 1024),
        rects: Vec::with_capacity(queue::INLINE_RECTS),
        records: 0,
        dropped: 0,
        wholes: pixels::Wholes::default(),
    };
    if let Some(writer) = state.writer.as_mut() {
        if let Err(error) = writer.append(file_header) {
            eprintln!(
                "gdkrecord: cannot write the recording to {}: {error}; recording stops",
                state.path.display()
            );
            return false;
        }
    }
    if state.write(header) == 0 {
        return false;
    }
    *WRITER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(state);
    let spawned = std::thread::Builder::new()
        .name("gdkrecord-writer".to_owned())
        .spawn(|| crate::guard((), run));
    if let Err(error) = spawned {
        // Without its thread the recording still ends well: exit drains the queue.
        eprintln!(
            "gdkrecord: cannot start the writer thread: {error}; records are written at exit"
        );
    }
    true
}

/// Reads `GDKRECORD_SYNC`: `1` writes each record from the thread that makes it, at
/// once (nothing waits in the queue, so SIGKILL loses nothing; the app pays the
/// encoding and the copy, several times the queued cost per hook).
pub fn init_from_env() {
    let on = std::env::var_os("GDKRECORD_SYNC").is_some_and(|v| !v.is_empty() && v != "0");
    if on {
        queue::set_write_through(write_now);
    }
    HOT.write_through.store(on, Ordering::Relaxed);
}

/// With `GDKRECORD_SYNC`: writes `entry` now, from the calling thread.
#[inline(never)]
pub(crate) fn write_now(entry: &Entry) {
    let mut file = WRITER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(file) = file.as_mut() {
        file.write_entry(entry, false);
    }
}

/// The writer thread's kernel id (for its CPU time in the self-time report).
static WRITER_TID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// CPU time (user + system, ms) the writer thread has used, from /proc.
fn writer_cpu_ms() -> Option<u64> {
    let tid = WRITER_TID.load(Ordering::Relaxed);
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at ") ".
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(ticks * 1000 / per_second)
}

/// The writer thread's loop; returns when the file is closed.
fn run() {
    // SAFETY: gettid has no preconditions.
    WRITER_TID.store(unsafe { libc::gettid() }, Ordering::Relaxed);
    writer_wake::register();
    let mut quiet = Duration::ZERO;
    loop {
        let written = {
            let mut file = WRITER
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match file.as_mut() {
                Some(file) => file.drain(false),
                None => return,
            }
        };
        if written > 0 {
            quiet = Duration::ZERO;
        } else {
            quiet += ACTIVE_PERIOD;
        }
        if quiet >= IDLE_BEFORE_PARK {
            queue::park_writer();
            quiet = Duration::ZERO;
        } else {
            std::thread::sleep(ACTIVE_PERIOD);
        }
    }
}

/// From a crash signal's handler: writes what is waiting, without allocating or
/// freeing. Waits a little for the writer thread if it is draining; gives up after that.
pub(crate) fn drain_in_signal_handler() {
    for _ in 0..2000 {
        match WRITER.try_lock() {
            Ok(mut file) => {
                if let Some(file) = file.as_mut() {
                    file.drain(true);
                }
                return;
            }
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                if let Some(file) = poisoned.into_inner().as_mut() {
                    file.drain(true);
                }
                return;
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                // SAFETY: plain syscall; 2000 x 50 µs = 100 ms at most.
                unsafe { libc::usleep(50) };
            }
        }
    }
}

/// Writes what is waiting and the End record, then closes the file at its real length.
pub(crate) fn finish(reason: EndReason) {
    // Before the file goes: the writer thread ends when it sees it gone.
    let writer_cpu_ms = if self_time::enabled() {
        writer_cpu_ms()
    } else {
        None
    };
    let Some(mut file) = WRITER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
    else {
        return;
    };
    file.drain(false);
    let end = End {
        t_ns: clock::now(),
        reason,
        records: file.records + 1,
        dropped: file.dropped + queue::dropped(),
    };
    file.write(&Record::End(end));
    let bytes = file.writer.as_ref().map_or(0, MmapWriter::len);
    if let Some(writer) = file.writer.take() {
        if let Err(error) = writer.finish() {
            eprintln!("gdkrecord: cannot finish {}: {error}", file.path.display());
        }
    }
    if self_time::enabled() {
        eprintln!(
            "{} writer_cpu_ms={}",
            self_time::report(bytes),
            writer_cpu_ms.unwrap_or(0)
        );
    }
}

/// In a forked child: closes the file without touching it (it is the parent's). The
/// lock may have been held by the parent's writer thread at fork time: then leave it.
pub(crate) fn abandon() {
    if let Ok(mut file) = WRITER.try_lock() {
        if let Some(mut file) = file.take() {
            if let Some(writer) = file.writer.take() {
                writer.abandon();
            }
        }
    }
}

/// Warm-cache cost of the writer's work per record (encode, CRC, copy into the mapping),
/// for docs/benchmarks.md:
/// `cargo test --release -p gdkrecord-recorder --lib -- --ignored --nocapture bench_`.
#[cfg(test)]
mod bench {
    use super::*;
    use crate::mmap_writer::DEFAULT_CHUNK;
    use gdkrecord_format::{Event, EventType, Modifiers, SurfaceId};

    #[test]
    #[ignore = "benchmark: run with --release --ignored --nocapture"]
    fn bench_write_motion_event() {
        let path = std::env::temp_dir().join(format!("gdkrecord-bench-{}", std::process::id()));
        let mut file = FileState {
            writer: Some(MmapWriter::create(&path, DEFAULT_CHUNK).unwrap().0),
            path: path.clone(),
            frame: Vec::with_capacity(256),
            rects: Vec::new(),
            records: 0,
            dropped: 0,
            wholes: pixels::Wholes::default(),
        };
        let n = 1_000_000u64;
        let mut bytes = 0;
        let start = clock::monotonic_ns();
        for i in 0..n {
            let mut e = Event::new(i * 1000, SurfaceId(1), EventType::MOTION_NOTIFY, i as u32);
            e.x = Some(200.0 + (i % 100) as f64);
            e.y = Some(100.5);
            e.modifiers = Some(Modifiers(0));
            bytes += file.write(&Record::Event(e));
        }
        let ns = (clock::monotonic_ns() - start) / n;
        eprintln!(
            "bench_write_motion_event: {ns} ns per event, {} bytes per event",
            bytes as u64 / n
        );
        drop(file);
        let _ = std::fs::remove_file(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Reader, Scale, SurfaceId};

    /// Regression: when the disk filled, the recording ended without an End record and
    /// the tool said the program "did not exit normally".
    #[test]
    fn full_disk_ends_the_recording_with_a_disk_full_end_record() {
        let path = std::env::temp_dir().join(format!("gdkrecord-full-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut writer = MmapWriter::create(&path, 4096).unwrap().0;
        writer.append(&gdkrecord_format::file_header()).unwrap();
        writer.limit_space(8192);
        let mut file = FileState {
            writer: Some(writer),
            path: path.clone(),
            frame: Vec::with_capacity(256),
            rects: Vec::new(),
            records: 0,
            dropped: 0,
            wholes: pixels::Wholes::default(),
        };
        let scale = |t_ns| {
            Record::Scale(Scale {
                t_ns,
                surface: SurfaceId(1),
                scale_factor: 2,
            })
        };
        let mut t_ns = 0;
        while file.writer.is_some() {
            file.write(&scale(t_ns));
            t_ns += 1;
        }
        file.write(&scale(t_ns));
        drop(file);
        let mut reader = Reader::open(&path).unwrap();
        let records: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
        assert!(reader.issues().is_empty(), "{:?}", reader.issues());
        let Some(Record::End(end)) = records.last() else {
            panic!("no End record: {:?}", records.last());
        };
        assert_eq!(end.reason, EndReason::DISK_FULL);
        assert_eq!(end.records, records.len() as u64);
        assert_eq!(end.dropped, 1, "the record that did not fit");
        std::fs::remove_file(&path).unwrap();
    }
}
