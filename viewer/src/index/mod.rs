//! The recording index: one streaming pass over a file that keeps where every stretch of
//! records lives and what the timeline needs (frames, input markers, resizes, surfaces),
//! never the records themselves. Records are decoded later, a few hundred at a time
//! around the playhead, by [`RecordingIndex::decode_window`]; so a 1 GB recording is
//! indexed in about 2.3 CPU-seconds (split over the cores) and takes memory proportional
//! to its frames, not to its records (see `docs/benchmarks.md`, `## Viewer`).
//!
//! No GTK here: the window runs [`RecordingIndex::build`] on a named thread and receives
//! progress and the finished index as messages.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gdkrecord_format::{
    check_file_header, decode_frame, file_header, DamageCapture, End, EventType, FrameAt, Header,
    Nanos, OpenError, ReadIssue, Reader, Record, RecordKind, SurfaceId, SurfaceKind,
    FILE_HEADER_LEN,
};

/// A checkpoint is kept every this many records: a lazy decode starts at one, so this
/// bounds how many records are decoded needlessly before the wanted time.
const CHECKPOINT_EVERY: u64 = 256;

/// Bytes read from the file at a time by the index pass.
const CHUNK: usize = 8 << 20;

/// Frames up to this size are scanned in place; a bigger one (a long stack, say) goes
/// through the [`Reader`].
const MAX_FAST_FRAME: usize = 256 << 10;

/// Files smaller than this are indexed by one thread.
const MIN_PARALLEL_BYTES: u64 = 64 << 20;

/// At most this many threads index one file.
const MAX_INDEX_THREADS: usize = 4;

/// How far past a part's nominal start its first record start is looked for.
const SYNC_SEARCH_BYTES: usize = 1 << 20;

/// How many clean frames in a row mark a record start.
const SYNC_FRAMES: usize = 4;

/// How often the index pass reports progress, in bytes.
const PROGRESS_EVERY: u64 = 16 << 20;

/// Motion events of one surface closer together than this share one timeline marker:
/// a pointer moving at 1000 Hz would otherwise cost more memory than all the frames.
const MOTION_MARKER_GAP_NS: Nanos = 4_000_000;

/// Where a whole picture of a surface starts (its `full` pixel patches): composing the
/// surface's pixels at a time needs the records from the last one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PictureMark {
    /// The patch's time.
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
}

/// Why a file could not be opened at all (a cut or damaged one still opens, see
/// [`RecordingIndex::issues`]).
#[derive(Debug)]
pub struct IndexError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub error: OpenError,
}

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot open {}: {}", self.path.display(), self.error)
    }
}

impl std::error::Error for IndexError {}

/// One frame-clock cycle, as the timeline draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameMark {
    /// When its first phase started.
    pub t_ns: Nanos,
    /// File offset of its `frame` record (decode it for the phases).
    pub offset: u64,
    /// How long the cycle took, saturated at `u32::MAX` ns (4.3 s).
    pub duration_ns: u32,
    /// The toplevel whose frame clock it is.
    pub surface: SurfaceId,
}

/// An input event, as a timeline marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputMark {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    #[allow(missing_docs)]
    pub event_type: EventType,
}

/// A surface's size from a moment on (its creation or a resize).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeMark {
    #[allow(missing_docs)]
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub surface: SurfaceId,
    #[allow(missing_docs)]
    pub width: i32,
    #[allow(missing_docs)]
    pub height: i32,
}

/// A time the main thread did not return to its main loop (from `stall` records).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StallMark {
    /// When the stall started.
    pub t_ns: Nanos,
    #[allow(missing_docs)]
    pub duration_ns: u64,
    /// The GSource being dispatched, when known.
    pub source: Option<String>,
}

/// A surface of the recording and its life.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceInfo {
    #[allow(missing_docs)]
    pub id: SurfaceId,
    #[allow(missing_docs)]
    pub kind: SurfaceKind,
    /// A popup's parent.
    pub parent: Option<SurfaceId>,
    /// The widget owning it (`GtkApplicationWindow`), or the surface's GType name.
    pub name: String,
    /// When it appeared.
    pub created_ns: Nanos,
    /// When it was destroyed, if it was.
    pub destroyed_ns: Option<Nanos>,
}

impl SurfaceInfo {
    /// The surface whose frame clock drives this one (popups share their parent's).
    pub fn clock_surface(&self) -> SurfaceId {
        self.parent.unwrap_or(self.id)
    }

    /// A one-line label: `1 · toplevel · GtkApplicationWindow`.
    pub fn label(&self) -> String {
        format!("{} · {} · {}", self.id, self.kind, self.name)
    }
}

/// A known-good record start, for starting lazy decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Checkpoint {
    offset: u64,
    /// Largest `t_ns` of the records before this one (records are nearly, not exactly,
    /// in time order: a frame record is written when its cycle ends).
    max_t_before: Nanos,
    /// Smallest `t_ns` of the records from this one to the end (filled after the pass).
    min_t_from: Nanos,
}

/// Everything the viewer knows about a file without decoding it again.
#[derive(Debug)]
pub struct RecordingIndex {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub file_len: u64,
    /// The header record, when the file has one.
    pub header: Option<Header>,
    /// Surfaces in order of appearance.
    pub surfaces: Vec<SurfaceInfo>,
    /// Every frame-clock cycle, in file order.
    pub frames: Vec<FrameMark>,
    /// Input events in file order; motion of a surface thinned out to one marker per 4 ms.
    pub inputs: Vec<InputMark>,
    /// Surface sizes over time, in file order.
    pub sizes: Vec<SizeMark>,
    /// Main-loop stalls, in file order.
    pub stalls: Vec<StallMark>,
    /// Where damage came from: the GTK classes the recorder wrapped and their proofs.
    pub damage_captures: Vec<DamageCapture>,
    /// Whole pictures (recordings made with pixels on), in file order: one a surface
    /// every 10 s of repaints at least.
    pub pictures: Vec<PictureMark>,
    /// Whether the recording has pixels.
    pub has_pixels: bool,
    /// The end record, when the recording ended normally.
    pub end: Option<End>,
    /// Stretches of the file that could not be read (cut or corrupt).
    pub issues: Vec<ReadIssue>,
    /// How many records the file holds.
    pub records: u64,
    /// Time of the last record.
    pub duration_ns: Nanos,
    /// File offset just after the last complete record.
    data_end: u64,
    /// File offset of the first record.
    first_offset: Option<u64>,
    /// Surfaces destroyed that this part of the file did not see created.
    destroyed_elsewhere: Vec<(SurfaceId, Nanos)>,
    checkpoints: Vec<Checkpoint>,
}

/// Indexes the records starting in `start..end` (a record start; `end` may be
/// `u64::MAX`: to the end of the file).
fn scan_part(
    path: &Path,
    file_len: u64,
    start: u64,
    end: u64,
    scanned: &AtomicU64,
    stop: &AtomicBool,
) -> io::Result<RecordingIndex> {
    let mut index = RecordingIndex::empty(path, file_len, start);
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut scan = Scan { max_t: 0 };
    let mut chunk = Chunk {
        buf: Vec::with_capacity(CHUNK + MAX_FAST_FRAME),
        start,
        pos: 0,
        eof: false,
    };
    let mut reported = start;
    loop {
        chunk.fill(&mut file, MAX_FAST_FRAME)?;
        let offset = chunk.start + chunk.pos as u64;
        if offset >= reported + PROGRESS_EVERY {
            scanned.fetch_add(offset - reported, Ordering::Relaxed);
            reported = offset;
            if stop.load(Ordering::Relaxed) {
                return Err(io::ErrorKind::Interrupted.into());
            }
        }
        let bytes = &chunk.buf[chunk.pos..];
        if bytes.is_empty() || offset >= end {
            break;
        }
        let fast = clean_frame(bytes).and_then(|(payload_at, len)| {
            let payload = &bytes[payload_at..len];
            // Frames and input events are most of what the index keeps: their few needed
            // fields are read in place (layout in the format crate's docs).
            if let Some(mark) = Mark::read(payload, offset) {
                return Some((Found::Mark(mark), len));
            }
            if !needs_decoding(payload[0]) {
                return Some((Found::Skipped(Get::t_ns(payload)), len));
            }
            match decode_frame(bytes) {
                FrameAt::Record { record, .. } => Some((Found::Record(record), len)),
                // An unknown kind, or a valid CRC over a bad payload: the reader's call.
                _ => None,
            }
        });
        match fast {
            Some((found, len)) => {
                match found {
                    Found::Mark(Mark::Frame(frame)) => {
                        index.count(&mut scan, offset, frame.t_ns);
                        index.frames.push(frame);
                    }
                    Found::Mark(Mark::Input(input)) => {
                        index.count(&mut scan, offset, input.t_ns);
                        index.note_input(input);
                    }
                    Found::Mark(Mark::Pixels(picture, full)) => {
                        index.count(&mut scan, offset, picture.t_ns);
                        index.note_pixels(picture, full);
                    }
                    Found::Record(record) => {
                        index.count(&mut scan, offset, record.t_ns());
                        index.note(offset, record);
                    }
                    Found::Skipped(t_ns) => index.count(&mut scan, offset, t_ns),
                }
                chunk.pos += len;
            }
            None => match index.read_slowly(&mut scan, offset)? {
                Some(resume) => {
                    file.seek(SeekFrom::Start(resume))?;
                    chunk.buf.clear();
                    chunk = Chunk {
                        buf: std::mem::take(&mut chunk.buf),
                        start: resume,
                        pos: 0,
                        eof: false,
                    };
                }
                None => break,
            },
        }
        index.data_end = chunk.start + chunk.pos as u64;
    }
    scanned.fetch_add(index.data_end.saturating_sub(reported), Ordering::Relaxed);
    index.duration_ns = scan.max_t;
    Ok(index)
}

/// Where the index pass's `threads` threads start: the file header's end, and one record
/// start near each 1/n of the file.
fn part_starts(file: &File, file_len: u64, threads: usize) -> io::Result<Vec<u64>> {
    let mut starts = vec![FILE_HEADER_LEN as u64];
    let threads = threads as u64;
    let mut window = vec![0u8; SYNC_SEARCH_BYTES];
    for n in 1..threads {
        let boundary = file_len / threads * n;
        let read = file.read_at(&mut window, boundary)?;
        if let Some(at) = first_record_start(&window[..read]) {
            let start = boundary + at as u64;
            if start > *starts.last().unwrap_or(&0) {
                starts.push(start);
            }
        }
    }
    Ok(starts)
}

/// The first position in `bytes` where [`SYNC_FRAMES`] clean frames follow each other
/// (CRC-checked, so a false start is vanishingly unlikely).
fn first_record_start(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find(|&at| {
        let mut pos = at;
        (0..SYNC_FRAMES).all(|_| match clean_frame(&bytes[pos..]) {
            Some((_, len)) => {
                pos += len;
                true
            }
            None => false,
        })
    })
}

/// Joins the indexes of consecutive parts of a file into one.
fn merge(parts: Vec<RecordingIndex>) -> RecordingIndex {
    let mut parts = parts.into_iter();
    let mut index = parts.next().expect("at least one part");
    for part in parts {
        let max_before = index.duration_ns;
        index
            .checkpoints
            .extend(part.checkpoints.into_iter().map(|c| Checkpoint {
                max_t_before: c.max_t_before.max(max_before),
                ..c
            }));
        index.header = index.header.or(part.header);
        index.surfaces.extend(part.surfaces);
        for (surface, t_ns) in part.destroyed_elsewhere {
            index.surface_destroyed(surface, t_ns);
        }
        index.frames.extend(part.frames);
        index.inputs.extend(part.inputs);
        index.sizes.extend(part.sizes);
        index.stalls.extend(part.stalls);
        index.damage_captures.extend(part.damage_captures);
        index.pictures.extend(part.pictures);
        index.has_pixels |= part.has_pixels;
        index.end = part.end.or(index.end);
        index.issues.extend(part.issues);
        index.records += part.records;
        index.duration_ns = index.duration_ns.max(part.duration_ns);
        index.data_end = part.data_end;
    }
    index
}

/// Running state of the index pass.
#[derive(Debug)]
struct Scan {
    max_t: Nanos,
}

/// The stretch of the file in memory during the index pass.
#[derive(Debug)]
struct Chunk {
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    /// Next unread byte in `buf`.
    pos: usize,
    eof: bool,
}

impl Chunk {
    /// Makes at least `want` unread bytes available unless the file ends first.
    fn fill(&mut self, file: &mut File, want: usize) -> io::Result<()> {
        if self.eof || self.buf.len() - self.pos >= want {
            return Ok(());
        }
        self.buf.drain(..self.pos);
        self.start += self.pos as u64;
        self.pos = 0;
        let have = self.buf.len();
        self.buf.resize(have + CHUNK, 0);
        let mut filled = have;
        while filled < self.buf.len() {
            match file.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.truncate(filled);
        Ok(())
    }
}

/// Whether the index keeps something from records of kind `code` (unknown kinds go
/// through [`decode_frame`] too, which reports them).
fn needs_decoding(code: u8) -> bool {
    !matches!(
        RecordKind::from_code(code),
        Some(
            RecordKind::Damage
                | RecordKind::Painted
                | RecordKind::FrameTimings
                | RecordKind::Scale
                | RecordKind::State
                | RecordKind::LoopIteration
                | RecordKind::LoopSummary
                | RecordKind::Dispatch
                | RecordKind::StallSample
                | RecordKind::PopupPosition
                | RecordKind::PixelsSkipped
        )
    )
}

/// The payload start and total length of the well-formed frame (length, CRC, payload
/// of at most [`MAX_FAST_FRAME`] bytes with a matching CRC) at the start of `bytes`;
/// `None` for anything else, which the [`Reader`] then handles.
fn clean_frame(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut len = 0usize;
    let mut varint_len = 0;
    for (i, b) in bytes.iter().take(3).enumerate() {
        len |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            varint_len = i + 1;
            break;
        }
    }
    if varint_len == 0 || !(2..=MAX_FAST_FRAME).contains(&len) {
        return None;
    }
    let payload_at = varint_len + 4;
    let total = payload_at + len;
    let crc = u32::from_le_bytes(bytes.get(varint_len..payload_at)?.try_into().ok()?);
    let payload = bytes.get(payload_at..total)?;
    (crc32fast::hash(payload) == crc).then_some((payload_at, total))
}

/// What the fast scan found in a frame.
enum Found {
    /// A frame or input record, read in place.
    Mark(Mark),
    /// Any other record the index keeps, decoded by the format crate.
    Record(Record),
    /// A record the index does not keep, and its time.
    Skipped(Nanos),
}

/// The marks read in place from frame, event and pixels payloads.
enum Mark {
    Frame(FrameMark),
    Input(InputMark),
    /// A pixel patch (never decoded by the index pass), and whether it is `full`.
    Pixels(PictureMark, bool),
}

impl Mark {
    /// Reads a frame or event payload's leading fields (`None` for other kinds, or if
    /// they do not parse: then the format crate decodes the record and judges it).
    ///
    /// Layout (format crate docs): `u8 kind, varint t_ns`, then for a frame `varint
    /// surface, signed counter, varint end - t_ns`, for an event `varint surface,
    /// u8 event type`, for pixels `varint surface, signed frame, varint scale, u8 flags`
    /// (bit 0: full).
    fn read(payload: &[u8], offset: u64) -> Option<Mark> {
        let kind = RecordKind::from_code(*payload.first()?)?;
        let mut get = Get(&payload[1..]);
        let t_ns = get.varint()?;
        let surface = SurfaceId(u32::try_from(get.varint()?).ok()?);
        match kind {
            RecordKind::Frame => {
                get.varint()?; // the counter
                let duration_ns = get.varint()?;
                Some(Mark::Frame(FrameMark {
                    t_ns,
                    offset,
                    duration_ns: u32::try_from(duration_ns).unwrap_or(u32::MAX),
                    surface,
                }))
            }
            RecordKind::Event => {
                let event_type = EventType(*get.0.first()?);
                Some(Mark::Input(InputMark {
                    t_ns,
                    surface,
                    event_type,
                }))
            }
            RecordKind::Pixels => {
                get.varint()?; // the frame
                get.varint()?; // the scale
                let flags = *get.0.first()?;
                Some(Mark::Pixels(PictureMark { t_ns, surface }, flags & 1 != 0))
            }
            _ => None,
        }
    }
}

/// Reads varints from a CRC-checked payload without the format crate's error plumbing.
struct Get<'a>(&'a [u8]);

impl Get<'_> {
    /// The next varint, `None` when malformed.
    fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for (i, b) in self.0.iter().take(10).enumerate() {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                self.0 = &self.0[i + 1..];
                return Some(v);
            }
        }
        None
    }

    /// The `t_ns` varint after a payload's kind byte (0 if malformed: only used for
    /// checkpoints, and a CRC-checked payload is not malformed).
    fn t_ns(payload: &[u8]) -> Nanos {
        Get(payload.get(1..).unwrap_or_default())
            .varint()
            .unwrap_or(0)
    }
}

/// A decoded record and where it is in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// File offset of the record's frame.
    pub offset: u64,
    #[allow(missing_docs)]
    pub record: Record,
}

impl RecordingIndex {
    /// Reads the whole file once. `progress(bytes_read, file_len)` is called every few
    /// megabytes; return `false` from it to stop (the result is then an error of kind
    /// `Interrupted`).
    ///
    /// Clean stretches are scanned here directly: each frame's length and CRC are checked,
    /// and only the kinds the index keeps are decoded (damage, timings and main-loop
    /// records, most of a file, are skipped until shown). Anything unusual (corruption, a
    /// cut, padding, an unknown kind) is handed to the format crate's [`Reader`], which
    /// resynchronises and reports what it skipped exactly as the tool does.
    pub fn build(
        path: &Path,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<RecordingIndex, IndexError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_INDEX_THREADS);
        let big = std::fs::metadata(path).is_ok_and(|m| m.len() >= MIN_PARALLEL_BYTES);
        Self::build_with_threads(path, if big { threads } else { 1 }, progress)
    }

    /// [`RecordingIndex::build`] with `threads` threads whatever the file's size.
    fn build_with_threads(
        path: &Path,
        threads: usize,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<RecordingIndex, IndexError> {
        let fail = |error: OpenError| IndexError {
            path: path.to_path_buf(),
            error,
        };
        let mut file = File::open(path).map_err(|e| fail(e.into()))?;
        let meta = file.metadata().map_err(|e| fail(e.into()))?;
        if meta.is_dir() {
            return Err(fail(OpenError::Io(io::Error::other("is a directory"))));
        }
        let file_len = meta.len();
        let mut head = Vec::with_capacity(FILE_HEADER_LEN);
        (&mut file)
            .take(FILE_HEADER_LEN as u64)
            .read_to_end(&mut head)
            .map_err(|e| fail(e.into()))?;
        check_file_header(&head).map_err(fail)?;
        let starts = part_starts(&file, file_len, threads).map_err(|e| fail(e.into()))?;
        let scanned = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        let parts: Vec<io::Result<RecordingIndex>> = std::thread::scope(|scope| {
            let mut workers = Vec::new();
            for (n, &start) in starts.iter().enumerate() {
                let end = starts.get(n + 1).copied().unwrap_or(u64::MAX);
                let (scanned, stop) = (&scanned, &stop);
                workers.push(
                    std::thread::Builder::new()
                        .name(format!("gdkrecord-index-{n}"))
                        .spawn_scoped(scope, move || {
                            scan_part(path, file_len, start, end, scanned, stop)
                        }),
                );
            }
            while workers
                .iter()
                .any(|w| w.as_ref().is_ok_and(|w| !w.is_finished()))
            {
                let done = scanned.load(Ordering::Relaxed);
                if !stop.load(Ordering::Relaxed) && !progress(done, file_len) {
                    stop.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            workers
                .into_iter()
                .map(|worker| match worker {
                    Ok(handle) => handle
                        .join()
                        .unwrap_or_else(|_| Err(io::Error::other("index thread panicked"))),
                    Err(e) => Err(e),
                })
                .collect()
        });
        if stop.load(Ordering::Relaxed) {
            return Err(fail(OpenError::Io(io::ErrorKind::Interrupted.into())));
        }
        let parts = parts
            .into_iter()
            .collect::<io::Result<Vec<_>>>()
            .map_err(|e| fail(e.into()))?;
        // Parts meet where the next one starts, unless corruption next to a seam misled the
        // search for a record start: then the file is read again in one piece.
        let seams_agree = parts
            .windows(2)
            .all(|pair| Some(pair[0].data_end) == pair[1].first_offset);
        let mut index = if seams_agree {
            merge(parts)
        } else {
            let whole = FILE_HEADER_LEN as u64;
            scan_part(path, file_len, whole, u64::MAX, &scanned, &stop)
                .map_err(|e| fail(e.into()))?
        };
        // Suffix minimum: the smallest time from each checkpoint to the end of the file.
        let mut min_t = Nanos::MAX;
        for checkpoint in index.checkpoints.iter_mut().rev() {
            min_t = min_t.min(checkpoint.min_t_from);
            checkpoint.min_t_from = min_t;
        }
        progress(file_len, file_len);
        Ok(index)
    }

    /// An empty index of the file at `path`.
    fn empty(path: &Path, file_len: u64, start: u64) -> RecordingIndex {
        RecordingIndex {
            path: path.to_path_buf(),
            file_len,
            header: None,
            surfaces: Vec::new(),
            frames: Vec::new(),
            inputs: Vec::new(),
            sizes: Vec::new(),
            stalls: Vec::new(),
            damage_captures: Vec::new(),
            pictures: Vec::new(),
            has_pixels: false,
            end: None,
            issues: Vec::new(),
            records: 0,
            duration_ns: 0,
            data_end: start,
            first_offset: None,
            destroyed_elsewhere: Vec::new(),
            checkpoints: Vec::new(),
        }
    }

    /// Counts one record at `offset` and keeps a checkpoint every [`CHECKPOINT_EVERY`].
    fn count(&mut self, scan: &mut Scan, offset: u64, t_ns: Nanos) {
        self.first_offset.get_or_insert(offset);
        if self.records.is_multiple_of(CHECKPOINT_EVERY) {
            self.checkpoints.push(Checkpoint {
                offset,
                max_t_before: scan.max_t,
                min_t_from: Nanos::MAX,
            });
        }
        if let Some(stretch) = self.checkpoints.last_mut() {
            // The minimum of this stretch only, for now; made a suffix minimum at the end.
            stretch.min_t_from = stretch.min_t_from.min(t_ns);
        }
        self.records += 1;
        scan.max_t = scan.max_t.max(t_ns);
    }

    /// Reads from `offset` with the format crate's [`Reader`] through the unusual bytes
    /// there, noting the records and issues it reports. Returns where the fast scan can
    /// resume (the record after the first one read past a skipped stretch), or `None`
    /// when the reader got to the end of the file.
    fn read_slowly(&mut self, scan: &mut Scan, offset: u64) -> io::Result<Option<u64>> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(offset))?;
        // The reader wants a file header first; its offsets are then shifted by this much.
        let shift = offset - FILE_HEADER_LEN as u64;
        let source = io::Cursor::new(file_header()).chain(BufReader::with_capacity(1 << 20, file));
        let mut reader = Reader::new(source).map_err(|e| io::Error::other(e.to_string()))?;
        let seen_issues = 0;
        if let Some(record) = reader.next() {
            let record = record?;
            for issue in &reader.issues()[seen_issues..] {
                self.issues.push(ReadIssue {
                    offset: issue.offset + shift,
                    ..*issue
                });
            }
            let at = reader.last_record_offset() + shift;
            self.count(scan, at, record.t_ns());
            self.note(at, record);
            self.data_end = reader.offset() + shift;
            // Past the unusual bytes: the fast scan takes over again.
            return Ok(Some(self.data_end));
        }
        for issue in &reader.issues()[seen_issues..] {
            self.issues.push(ReadIssue {
                offset: issue.offset + shift,
                ..*issue
            });
        }
        Ok(None)
    }

    /// Keeps what the timeline needs from one record.
    fn note(&mut self, offset: u64, record: Record) {
        match record {
            Record::Header(header) => self.header = Some(header),
            Record::Surface(s) => {
                self.sizes.push(SizeMark {
                    t_ns: s.t_ns,
                    surface: s.surface,
                    width: s.width,
                    height: s.height,
                });
                self.surfaces.push(SurfaceInfo {
                    id: s.surface,
                    kind: s.surface_kind,
                    parent: s.parent,
                    name: s.widget_type.unwrap_or(s.type_name),
                    created_ns: s.t_ns,
                    destroyed_ns: None,
                });
            }
            Record::SurfaceDestroyed(d) => self.surface_destroyed(d.surface, d.t_ns),
            Record::Size(s) => self.sizes.push(SizeMark {
                t_ns: s.t_ns,
                surface: s.surface,
                width: s.width,
                height: s.height,
            }),
            Record::Event(e) => self.note_input(InputMark {
                t_ns: e.t_ns,
                surface: e.surface,
                event_type: e.event_type,
            }),
            Record::Frame(f) => self.frames.push(FrameMark {
                t_ns: f.t_ns,
                offset,
                duration_ns: u32::try_from(f.duration_ns()).unwrap_or(u32::MAX),
                surface: f.surface,
            }),
            Record::Stall(stall) => self.stalls.push(StallMark {
                t_ns: stall.t_ns,
                duration_ns: stall.duration_ns,
                source: stall.source,
            }),
            Record::End(end) => self.end = Some(end),
            Record::DamageCapture(capture) => self.damage_captures.push(capture),
            Record::Pixels(p) => self.note_pixels(
                PictureMark {
                    t_ns: p.t_ns,
                    surface: p.surface,
                },
                p.full,
            ),
            // Damage and timings are decoded with their frame when it is shown; scale,
            // state and main-loop records only appear in the records list.
            _ => {}
        }
    }

    /// Notes a pixel patch: the recording has pixels, and a whole picture starts here.
    fn note_pixels(&mut self, picture: PictureMark, full: bool) {
        self.has_pixels = true;
        // A whole picture of several bands is one mark.
        if full && self.pictures.last() != Some(&picture) {
            self.pictures.push(picture);
        }
    }

    /// The time of the last whole picture of `surface` at or before `t_ns`.
    pub fn picture_start(&self, surface: SurfaceId, t_ns: Nanos) -> Option<Nanos> {
        let after = self.pictures.partition_point(|p| p.t_ns <= t_ns);
        self.pictures[..after]
            .iter()
            .rev()
            .find(|p| p.surface == surface)
            .map(|p| p.t_ns)
    }

    /// Keeps an input marker, thinning out motion.
    fn note_input(&mut self, input: InputMark) {
        let thinned = input.event_type == EventType::MOTION_NOTIFY
            && self.inputs.last().is_some_and(|last| {
                last.event_type == EventType::MOTION_NOTIFY
                    && last.surface == input.surface
                    && input.t_ns.saturating_sub(last.t_ns) < MOTION_MARKER_GAP_NS
            });
        if !thinned {
            self.inputs.push(input);
        }
    }

    fn surface_destroyed(&mut self, surface: SurfaceId, t_ns: Nanos) {
        // Usually one of the last surfaces created: search from the end.
        match self.surfaces.iter_mut().rev().find(|s| s.id == surface) {
            Some(s) => s.destroyed_ns = Some(t_ns),
            // Created in an earlier part of the file (see `merge`).
            None => self.destroyed_elsewhere.push((surface, t_ns)),
        }
    }

    /// The surface with id `id`.
    pub fn surface(&self, id: SurfaceId) -> Option<&SurfaceInfo> {
        // The recorder numbers surfaces 1, 2, 3... as they appear, so the list is sorted
        // by id and a long session's thousands of popups are found by binary search; a
        // file written otherwise is still searched in full.
        match self.surfaces.binary_search_by_key(&id, |s| s.id) {
            Ok(i) => Some(&self.surfaces[i]),
            Err(_) => self.surfaces.iter().find(|s| s.id == id),
        }
    }

    /// The first toplevel, else the first surface: what the viewer shows first.
    pub fn default_surface(&self) -> Option<SurfaceId> {
        self.surfaces
            .iter()
            .find(|s| s.kind == SurfaceKind::TOPLEVEL)
            .or(self.surfaces.first())
            .map(|s| s.id)
    }

    /// The size `surface` had at `t_ns` (its first size if it did not exist yet).
    pub fn size_at(&self, surface: SurfaceId, t_ns: Nanos) -> Option<(i32, i32)> {
        // Size records are written in time order: the last one at or before `t_ns`, found
        // by binary search, then the nearest of this surface at or before it.
        let after = self.sizes.partition_point(|m| m.t_ns <= t_ns);
        let mut marks = self.sizes[..after]
            .iter()
            .rev()
            .filter(|m| m.surface == surface);
        marks
            .next()
            .or_else(|| self.sizes.iter().find(|m| m.surface == surface))
            .map(|m| (m.width, m.height))
    }

    /// The frames of `surface`'s frame clock, in time order.
    pub fn frames_of(&self, surface: SurfaceId) -> Vec<FrameMark> {
        let clock = self
            .surface(surface)
            .map_or(surface, SurfaceInfo::clock_surface);
        let mut frames: Vec<FrameMark> = self
            .frames
            .iter()
            .copied()
            .filter(|f| f.surface == clock)
            .collect();
        frames.sort_by_key(|f| f.t_ns);
        frames
    }

    /// Decodes every record whose time is in `from_ns..=to_ns`, in file order, reading
    /// only the stretch of the file between the checkpoints around that span.
    pub fn decode_window(&self, from_ns: Nanos, to_ns: Nanos) -> io::Result<Vec<Located>> {
        let Some(first) = self.checkpoints.first() else {
            return Ok(Vec::new());
        };
        // Records before the last checkpoint preceded only by earlier times cannot be in
        // the span; nor can those from the first checkpoint followed only by later times.
        let start = self
            .checkpoints
            .partition_point(|c| c.max_t_before < from_ns)
            .saturating_sub(1);
        let start_offset = self
            .checkpoints
            .get(start)
            .map_or(first.offset, |c| c.offset);
        let end = self
            .checkpoints
            .partition_point(|c| c.min_t_from <= to_ns)
            .max(start + 1);
        let end_offset = self
            .checkpoints
            .get(end)
            .map_or(self.data_end, |c| c.offset);
        let mut records = Vec::new();
        self.decode_bytes(start_offset, end_offset, &mut |located| {
            let t = located.record.t_ns();
            if (from_ns..=to_ns).contains(&t) {
                records.push(located);
            }
        })?;
        Ok(records)
    }

    /// Decodes the records stored between two record offsets, skipping the stretches
    /// the index pass found unreadable.
    fn decode_bytes(&self, start: u64, end: u64, emit: &mut dyn FnMut(Located)) -> io::Result<()> {
        let mut file = File::open(&self.path)?;
        let len = usize::try_from(end.saturating_sub(start)).map_err(io::Error::other)?;
        let mut bytes = vec![0u8; len];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut bytes)?;
        let mut pos = 0usize;
        while pos < bytes.len() {
            let offset = start + pos as u64;
            // Issues are in file order (each part's, part after part).
            if let Ok(i) = self.issues.binary_search_by_key(&offset, |i| i.offset) {
                let issue = &self.issues[i];
                pos += usize::try_from(issue.len).unwrap_or(usize::MAX).max(1);
                continue;
            }
            match decode_frame(&bytes[pos..]) {
                FrameAt::Record { record, len } => {
                    emit(Located { offset, record });
                    pos += len;
                }
                FrameAt::Unknown { len, .. } => pos += len,
                FrameAt::Padding | FrameAt::Incomplete => break,
                FrameAt::Corrupt => pos += 1,
            }
        }
        Ok(())
    }

    /// A one-line summary of what could not be read, for the banner.
    pub fn issues_summary(&self) -> Option<String> {
        let first = self.issues.first()?;
        let skipped: u64 = self.issues.iter().map(|i| i.len).sum();
        Some(if self.issues.len() == 1 {
            format!("{first}; showing the {} readable records", self.records)
        } else {
            format!(
                "{} unreadable stretches ({skipped} bytes skipped), the first: {first}; showing the {} readable records",
                self.issues.len(),
                self.records
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdkrecord_format::{Damage, Event, Frame, Renderer, Size, Surface, Writer};

    fn records(frames: i64) -> Vec<Record> {
        let mut records = vec![Record::Surface(Surface {
            t_ns: 10,
            surface: SurfaceId(1),
            surface_kind: SurfaceKind::TOPLEVEL,
            parent: None,
            type_name: "GdkX11Toplevel".into(),
            widget_type: Some("GtkWindow".into()),
            width: 300,
            height: 200,
            scale_factor: 1,
        })];
        for n in 1..=frames {
            let t = n as u64 * 1_000_000;
            let mut motion = Event::new(t, SurfaceId(1), EventType::MOTION_NOTIFY, 0);
            motion.x = Some(n as f64);
            motion.y = Some(2.0);
            records.push(Record::Event(motion));
            if n % 100 == 0 {
                records.push(Record::Size(Size {
                    t_ns: t,
                    surface: SurfaceId(1),
                    width: 300 + n as i32,
                    height: 200,
                }));
            }
            records.push(Record::Damage(Damage {
                t_ns: t + 300_000,
                surface: SurfaceId(1),
                frame: n,
                renderer: Renderer::CAIRO,
                rects: vec![[0, 0, 10, 10]],
            }));
            // Written at the end of the cycle, with the cycle's start time: not in time order.
            records.push(Record::Frame(Frame {
                t_ns: t + 100_000,
                surface: SurfaceId(1),
                counter: n,
                end_ns: t + 500_000,
                before_paint: None,
                update: None,
                layout: None,
                paint: None,
                after_paint: None,
            }));
        }
        records
    }

    fn write(records: &[Record]) -> Vec<u8> {
        let mut writer = Writer::new(Vec::new()).unwrap();
        for record in records {
            writer.write(record).unwrap();
        }
        writer.finish().unwrap()
    }

    /// A file in the temp folder, removed when dropped.
    struct TempFile(PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn temp_file(bytes: &[u8]) -> TempFile {
        use std::sync::atomic::AtomicU64;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("grv-index-{}-{n}.gdkrecord", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }

    fn index_of(file: &TempFile, threads: usize) -> RecordingIndex {
        RecordingIndex::build_with_threads(&file.0, threads, &mut |_, _| true).unwrap()
    }

    #[test]
    fn keeps_frames_inputs_sizes_and_surfaces() {
        let index = index_of(&temp_file(&write(&records(1000))), 1);
        assert_eq!(index.records, 1 + 1000 * 3 + 10);
        assert_eq!(index.frames.len(), 1000);
        assert_eq!(index.frames[9].t_ns, 10_100_000);
        assert_eq!(index.frames[9].duration_ns, 400_000);
        assert_eq!(
            index.inputs.len(),
            250,
            "motion 1 ms apart: one marker per 4 ms"
        );
        assert_eq!(index.surfaces.len(), 1);
        assert_eq!(index.size_at(SurfaceId(1), 0), Some((300, 200)));
        assert_eq!(index.size_at(SurfaceId(1), 250_000_000), Some((500, 200)));
        assert!(index.issues.is_empty());
        assert_eq!(index.duration_ns, 1000 * 1_000_000 + 500_000 - 200_000);
    }

    #[test]
    fn marks_read_in_place_match_the_decoded_records() {
        let records = records(50);
        let bytes = write(&records);
        let mut pos = FILE_HEADER_LEN;
        let mut checked = 0;
        while pos < bytes.len() {
            let (payload_at, len) = clean_frame(&bytes[pos..]).unwrap();
            let FrameAt::Record { record, .. } = decode_frame(&bytes[pos..]) else {
                panic!()
            };
            match (
                Mark::read(&bytes[pos + payload_at..pos + len], pos as u64),
                record,
            ) {
                (Some(Mark::Frame(mark)), Record::Frame(f)) => {
                    assert_eq!(
                        (mark.t_ns, mark.surface, u64::from(mark.duration_ns)),
                        (f.t_ns, f.surface, f.duration_ns())
                    );
                    checked += 1;
                }
                (Some(Mark::Input(mark)), Record::Event(e)) => {
                    assert_eq!(
                        (mark.t_ns, mark.surface, mark.event_type),
                        (e.t_ns, e.surface, e.event_type)
                    );
                    checked += 1;
                }
                (None, record) => assert!(!matches!(record, Record::Frame(_) | Record::Event(_))),
                (_, record) => panic!("mark of the wrong kind for {record:?}"),
            }
            pos += len;
        }
        assert_eq!(checked, 100);
    }

    #[test]
    fn threads_agree_with_one_thread() {
        let file = temp_file(&write(&records(20_000)));
        let one = index_of(&file, 1);
        for threads in [2, 3, 4] {
            let many = index_of(&file, threads);
            assert_eq!(many.records, one.records, "{threads} threads");
            assert_eq!(many.frames, one.frames);
            assert_eq!(many.sizes, one.sizes);
            assert_eq!(many.surfaces, one.surfaces);
            assert_eq!(many.data_end, one.data_end);
            assert_eq!(many.duration_ns, one.duration_ns);
            let span = (7_000_000_000, 7_050_000_000);
            assert_eq!(
                many.decode_window(span.0, span.1).unwrap(),
                one.decode_window(span.0, span.1).unwrap()
            );
        }
    }

    #[test]
    fn decode_window_returns_exactly_the_span() {
        let records = records(5_000);
        let file = temp_file(&write(&records));
        let index = index_of(&file, 2);
        for (from, to) in [
            (0, 3_000_000),
            (1_234_567, 1_334_567),
            (4_990_000_000, u64::MAX),
            (7_000_000_000, u64::MAX),
        ] {
            let window: Vec<Record> = index
                .decode_window(from, to)
                .unwrap()
                .into_iter()
                .map(|l| l.record)
                .collect();
            let expected: Vec<Record> = records
                .iter()
                .filter(|r| (from..=to).contains(&r.t_ns()))
                .cloned()
                .collect();
            assert_eq!(window, expected, "{from}..={to}");
        }
    }

    #[test]
    fn a_cut_file_keeps_its_complete_records() {
        let bytes = write(&records(100));
        let index = index_of(&temp_file(&bytes[..bytes.len() - 3]), 1);
        assert_eq!(index.frames.len(), 99);
        assert_eq!(index.issues.len(), 1);
        assert_eq!(
            index.issues[0].problem,
            gdkrecord_format::Problem::Truncated
        );
        assert!(index.issues_summary().unwrap().contains("cut"));
    }

    #[test]
    fn corruption_is_skipped_and_reading_goes_on() {
        let mut bytes = write(&records(2_000));
        let middle = bytes.len() / 2;
        bytes[middle..middle + 40].fill(0xa5);
        for threads in [1, 2] {
            let index = index_of(&temp_file(&bytes), threads);
            assert_eq!(index.issues.len(), 1, "{:?}", index.issues);
            assert_eq!(index.issues[0].problem, gdkrecord_format::Problem::Corrupt);
            assert!(
                index.frames.len() >= 1_995 && index.frames.len() < 2_000,
                "{}",
                index.frames.len()
            );
            assert_eq!(
                index.frames.last().unwrap().t_ns,
                2_000_100_000,
                "records after the damage are read"
            );
        }
    }

    #[test]
    fn a_zero_filled_tail_is_a_clean_end() {
        let mut bytes = write(&records(50));
        bytes.extend(std::iter::repeat_n(0u8, 10_000));
        let index = index_of(&temp_file(&bytes), 1);
        assert!(index.issues.is_empty());
        assert_eq!(index.frames.len(), 50);
    }

    #[test]
    fn not_a_recording_is_an_error_naming_the_file() {
        let path = std::env::temp_dir().join(format!("grv-not-{}.gdkrecord", std::process::id()));
        std::fs::write(&path, b"hello, world, this is not a recording").unwrap();
        let error = RecordingIndex::build(&path, &mut |_, _| true).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        let message = error.to_string();
        assert!(
            message.contains("not a gdkrecord recording") && message.contains("grv-not-"),
            "{message}"
        );
    }
}
