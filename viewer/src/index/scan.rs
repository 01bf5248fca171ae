//! One part of the index pass: a stretch of the file read a chunk at a time, each clean
//! frame's length and CRC checked and only what the index keeps read (frames, input and
//! pixel patches in place, the other kinds it keeps decoded); anything unusual handed to
//! the format crate's [`Reader`]. And what the index keeps of each record.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gdkrecord_format::{
    decode_frame, file_header, EventType, FrameAt, Nanos, ReadIssue, Reader, Record, RecordKind,
    SurfaceId, FILE_HEADER_LEN,
};

use super::{
    Checkpoint, FrameMark, InputMark, PictureMark, RecordingIndex, SizeMark, StallMark, SurfaceInfo,
};

/// A checkpoint is kept every this many records: a lazy decode starts at one, so this
/// bounds how many records are decoded needlessly before the wanted time.
const CHECKPOINT_EVERY: u64 = 256;

/// Bytes read from the file at a time by the index pass.
const CHUNK: usize = 8 << 20;

/// Frames up to this size are scanned in place; a bigger one (a long stack, say) goes
/// through the [`Reader`].
const MAX_FAST_FRAME: usize = 256 << 10;

/// How often the index pass reports progress, in bytes.
const PROGRESS_EVERY: u64 = 16 << 20;

/// Motion events of one surface closer together than this share one timeline marker:
/// a pointer moving at 1000 Hz would otherwise cost more memory than all the frames.
const MOTION_MARKER_GAP_NS: Nanos = 4_000_000;

/// Indexes the records starting in `start..end` (a record start; `end` may be
/// `u64::MAX`: to the end of the file).
pub(super) fn scan_part(
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
pub(super) fn clean_frame(bytes: &[u8]) -> Option<(usize, usize)> {
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
pub(super) enum Mark {
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
    pub(super) fn read(payload: &[u8], offset: u64) -> Option<Mark> {
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

impl RecordingIndex {
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

    pub(super) fn surface_destroyed(&mut self, surface: SurfaceId, t_ns: Nanos) {
        // Usually one of the last surfaces created: search from the end.
        match self.surfaces.iter_mut().rev().find(|s| s.id == surface) {
            Some(s) => s.destroyed_ns = Some(t_ns),
            // Created in an earlier part of the file (see `merge`).
            None => self.destroyed_elsewhere.push((surface, t_ns)),
        }
    }
}
