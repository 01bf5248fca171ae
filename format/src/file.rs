//! The file as a whole: its 16-byte header, a [`Writer`], and the streaming [`Reader`].

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use crate::codec::{decode_payload, encode_record, Decoded, MAX_PAYLOAD};
use crate::records::Record;
use crate::wire::Get;

/// The first 8 bytes of every recording.
pub const MAGIC: [u8; 8] = *b"\x89GDKREC\n";

/// The format version this crate writes. Readers accept every version up to this one.
pub const FORMAT_VERSION: u16 = 2;

/// Length of the file header: magic, version (u16 LE), flags (u16 LE), reserved (u32).
pub const FILE_HEADER_LEN: usize = 16;

/// Skipped stretches a [`Reader`] lists one by one; later ones are only counted (see
/// [`Reader::skipped`]), so a file of garbage takes no more memory than a good one.
pub const ISSUES_LISTED: usize = 64;

/// Frames longer than this are not believed while searching for the next good frame
/// after corruption (real records are far smaller; this bounds the work on garbage).
const RESYNC_MAX_PAYLOAD: usize = 64 << 10;

/// The 16 bytes every recording starts with.
pub fn file_header() -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

/// Writes a recording to any `io::Write` (used by tests, fixtures and converters; the
/// recorder writes the same bytes into its memory-mapped file).
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    frame: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes the file header and returns a writer for the records.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&file_header())?;
        Ok(Writer {
            out,
            frame: Vec::with_capacity(256),
        })
    }

    /// Appends one record.
    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        self.frame.clear();
        encode_record(record, &mut self.frame);
        self.out.write_all(&self.frame)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Why a file could not be opened as a recording.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file has no bytes.
    #[error("empty file, not a gdkrecord recording")]
    Empty,
    /// The file does not start with the gdkrecord magic.
    #[error("not a gdkrecord recording (bad magic bytes)")]
    NotARecording,
    /// The file is shorter than the file header.
    #[error("cut short inside its {FILE_HEADER_LEN}-byte file header")]
    ShortHeader,
    /// The file header says format version 0, which no gdkrecord ever wrote.
    #[error(
        "format version 0 in its file header, which no gdkrecord writes (damaged file header?)"
    )]
    VersionZero,
    /// The file was written by a newer format version.
    #[error("written in format version {found}, newer than this build reads (up to {FORMAT_VERSION}); upgrade gdkrecord")]
    NewerVersion {
        /// The version in the file.
        found: u16,
    },
}

/// What a reader had to skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The file ends inside a record (the recorder was stopped while writing, or the
    /// file was cut): the bytes from `offset` to the end were not a complete record.
    Truncated,
    /// Bytes that are not a valid record (bad length or checksum); reading resumed at
    /// the next valid record.
    Corrupt,
    /// A valid record of a kind this version does not know (from a newer recorder).
    UnknownKind(u8),
}

/// One stretch of the file a reader skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadIssue {
    /// File offset where the skipped bytes start.
    pub offset: u64,
    /// How many bytes were skipped.
    pub len: u64,
    /// Why.
    pub problem: Problem,
}

impl std::fmt::Display for ReadIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.problem {
            Problem::Truncated => write!(
                f,
                "file cut inside a record: skipped the last {} bytes from offset {}",
                self.len, self.offset
            ),
            Problem::Corrupt => write!(
                f,
                "corrupt data: skipped {} bytes at offset {}",
                self.len, self.offset
            ),
            Problem::UnknownKind(code) => write!(
                f,
                "skipped a record of unknown kind {code} ({} bytes at offset {}), written by a newer recorder",
                self.len, self.offset
            ),
        }
    }
}

/// Everything a reader skipped: how many stretches and bytes, listed or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Stretches skipped.
    pub stretches: u64,
    /// Bytes skipped.
    pub bytes: u64,
}

/// One frame found at the start of a byte slice, for random access (see [`decode_frame`]).
// As large as a record, like `Decoded`: boxing would allocate for every record read.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FrameAt {
    /// A record, taking `len` bytes.
    Record {
        /// The decoded record.
        record: Record,
        /// Bytes the frame takes.
        len: usize,
    },
    /// A valid frame of a kind this version does not know, taking `len` bytes.
    Unknown {
        /// The unknown kind code.
        code: u8,
        /// Bytes the frame takes.
        len: usize,
    },
    /// The slice ends before the frame does.
    Incomplete,
    /// Zero bytes: the unused tail of a recording that did not exit normally.
    Padding,
    /// Not a valid frame.
    Corrupt,
}

/// Decodes the frame at the start of `bytes`. Streaming users want [`Reader`]; this is
/// for indexes over a memory-mapped file (the viewer).
pub fn decode_frame(bytes: &[u8]) -> FrameAt {
    decode_frame_limited(bytes, MAX_PAYLOAD)
}

fn decode_frame_limited(bytes: &[u8], max_payload: usize) -> FrameAt {
    match bytes.first() {
        None => return FrameAt::Incomplete,
        Some(0) => return FrameAt::Padding,
        Some(_) => {}
    }
    // The length is a varint of at most 4 bytes (MAX_PAYLOAD < 2^28).
    let prefix = &bytes[..bytes.len().min(4)];
    let Some(varint_len) = prefix.iter().position(|b| b & 0x80 == 0).map(|i| i + 1) else {
        return if prefix.len() < 4 {
            FrameAt::Incomplete
        } else {
            FrameAt::Corrupt
        };
    };
    let Ok(payload_len) = Get::new(&bytes[..varint_len]).varint() else {
        return FrameAt::Corrupt;
    };
    let payload_len = payload_len as usize;
    if payload_len == 0 || payload_len > max_payload {
        return FrameAt::Corrupt;
    }
    let total = varint_len + 4 + payload_len;
    if bytes.len() < total {
        return FrameAt::Incomplete;
    }
    let crc = u32::from_le_bytes(
        bytes[varint_len..varint_len + 4]
            .try_into()
            .expect("4 bytes"),
    );
    let payload = &bytes[varint_len + 4..total];
    if crc32fast::hash(payload) != crc {
        return FrameAt::Corrupt;
    }
    match decode_payload(payload) {
        Ok(Decoded::Record(record)) => FrameAt::Record { record, len: total },
        Ok(Decoded::UnknownKind(code)) => FrameAt::Unknown { code, len: total },
        Err(_) => FrameAt::Corrupt,
    }
}

/// Checks the 16-byte file header and returns the format version.
pub fn check_file_header(bytes: &[u8]) -> Result<u16, OpenError> {
    if bytes.is_empty() {
        return Err(OpenError::Empty);
    }
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(OpenError::NotARecording);
    }
    if bytes.len() < FILE_HEADER_LEN {
        return Err(OpenError::ShortHeader);
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version == 0 {
        return Err(OpenError::VersionZero);
    }
    if version > FORMAT_VERSION {
        return Err(OpenError::NewerVersion { found: version });
    }
    Ok(version)
}

/// Reads the records of a recording one at a time, in constant memory, from any
/// `io::Read`. A cut or damaged file yields every complete record; what was skipped is
/// listed by [`Reader::issues`].
///
/// ```
/// use gdkrecord_format::{Reader, Writer, Record, End, EndReason};
/// let mut w = Writer::new(Vec::new()).unwrap();
/// w.write(&Record::End(End { t_ns: 5, reason: EndReason::EXIT, records: 1, dropped: 0 })).unwrap();
/// let bytes = w.finish().unwrap();
/// let mut reader = Reader::new(&bytes[..]).unwrap();
/// assert_eq!(reader.next().unwrap().unwrap().t_ns(), 5);
/// assert!(reader.next().is_none());
/// assert!(reader.issues().is_empty());
/// ```
#[derive(Debug)]
pub struct Reader<R: Read> {
    src: R,
    buf: Vec<u8>,
    /// Index in `buf` of the next unread byte.
    pos: usize,
    /// File offset of `buf[0]`.
    buf_offset: u64,
    eof: bool,
    done: bool,
    version: u16,
    issues: Vec<ReadIssue>,
    skipped: Skipped,
    records: u64,
    last_record_offset: u64,
}

impl Reader<BufReader<File>> {
    /// Opens the recording at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let file = File::open(path.as_ref())?;
        if file.metadata()?.is_dir() {
            return Err(OpenError::Io(io::Error::other("is a directory")));
        }
        Reader::new(BufReader::with_capacity(64 << 10, file))
    }
}

impl<R: Read> Reader<R> {
    /// Reads and checks the file header.
    pub fn new(mut src: R) -> Result<Self, OpenError> {
        let mut header = Vec::with_capacity(FILE_HEADER_LEN);
        (&mut src)
            .take(FILE_HEADER_LEN as u64)
            .read_to_end(&mut header)?;
        let version = check_file_header(&header)?;
        Ok(Reader {
            src,
            buf: Vec::with_capacity(256 << 10),
            pos: 0,
            buf_offset: FILE_HEADER_LEN as u64,
            eof: false,
            done: false,
            version,
            issues: Vec::new(),
            skipped: Skipped::default(),
            records: 0,
            last_record_offset: 0,
        })
    }

    /// The file's format version.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The first [`ISSUES_LISTED`] stretches skipped so far.
    pub fn issues(&self) -> &[ReadIssue] {
        &self.issues
    }

    /// Everything skipped so far, the stretches [`Reader::issues`] lists and the others.
    pub fn skipped(&self) -> Skipped {
        self.skipped
    }

    fn note_issue(&mut self, issue: ReadIssue) {
        self.skipped.stretches += 1;
        self.skipped.bytes += issue.len;
        if self.issues.len() < ISSUES_LISTED {
            self.issues.push(issue);
        }
    }

    /// How many records were returned so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// File offset of the record returned last.
    pub fn last_record_offset(&self) -> u64 {
        self.last_record_offset
    }

    /// File offset of the next byte to read (after the last complete record, once done).
    pub fn offset(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    /// Makes at least `n` unread bytes available in `buf` unless the source ends first.
    /// Returns how many unread bytes there are.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        while self.buf.len() - self.pos < n && !self.eof {
            if self.pos > 0
                && (self.pos >= self.buf.len() / 2 || self.buf.len() + n > self.buf.capacity())
            {
                self.buf.drain(..self.pos);
                self.buf_offset += self.pos as u64;
                self.pos = 0;
            }
            let want = (n - (self.buf.len() - self.pos)).max(64 << 10);
            let start = self.buf.len();
            self.buf.resize(start + want, 0);
            let read = loop {
                match self.src.read(&mut self.buf[start..]) {
                    Ok(read) => break read,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(start);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(start + read);
            if read == 0 {
                self.eof = true;
            }
        }
        Ok(self.buf.len() - self.pos)
    }

    fn frame_here(&mut self, max_payload: usize) -> io::Result<FrameAt> {
        // Ask for a small frame first; ask again for the whole of a bigger one.
        let mut want = 512;
        loop {
            self.fill(want)?;
            match decode_frame_limited(&self.buf[self.pos..], max_payload) {
                FrameAt::Incomplete if !(self.eof && self.buf.len() - self.pos < want) => {
                    want = want.saturating_mul(4).min(MAX_PAYLOAD + 8);
                    if self.buf.len() - self.pos >= MAX_PAYLOAD + 8 {
                        return Ok(FrameAt::Corrupt);
                    }
                }
                other => return Ok(other),
            }
        }
    }

    /// Whether every byte from here to the end is zero (consumes them).
    fn rest_is_zero(&mut self) -> io::Result<bool> {
        loop {
            if self.fill(1)? == 0 {
                return Ok(true);
            }
            let unread = &self.buf[self.pos..];
            match unread.iter().position(|b| *b != 0) {
                Some(i) => {
                    self.pos += i;
                    return Ok(false);
                }
                None => self.pos = self.buf.len(),
            }
        }
    }

    /// Skips forward from a bad frame at the current position to the next valid one.
    fn resync(&mut self, bad_offset: u64, mut problem: Problem) -> io::Result<()> {
        self.pos += 1;
        loop {
            if self.fill(1)? == 0 {
                break;
            }
            match self.frame_here(RESYNC_MAX_PAYLOAD)? {
                FrameAt::Record { .. } | FrameAt::Unknown { .. } => {
                    problem = Problem::Corrupt;
                    break;
                }
                FrameAt::Padding => {
                    if self.rest_is_zero()? {
                        break;
                    }
                }
                FrameAt::Incomplete | FrameAt::Corrupt => self.pos += 1,
            }
        }
        let len = self.offset() - bad_offset;
        self.note_issue(ReadIssue {
            offset: bad_offset,
            len,
            problem,
        });
        Ok(())
    }

    fn next_record(&mut self) -> io::Result<Option<Record>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let offset = self.offset();
            if self.fill(1)? == 0 {
                self.done = true;
                return Ok(None);
            }
            match self.frame_here(MAX_PAYLOAD)? {
                FrameAt::Record { record, len } => {
                    self.pos += len;
                    self.records += 1;
                    self.last_record_offset = offset;
                    return Ok(Some(record));
                }
                FrameAt::Unknown { code, len } => {
                    self.pos += len;
                    self.note_issue(ReadIssue {
                        offset,
                        len: len as u64,
                        problem: Problem::UnknownKind(code),
                    });
                }
                FrameAt::Padding => {
                    if self.rest_is_zero()? {
                        // The zero-filled tail of a memory-mapped recording whose program
                        // did not exit normally: a clean end, not damage.
                        self.done = true;
                        return Ok(None);
                    }
                    let len = self.offset() - offset;
                    self.note_issue(ReadIssue {
                        offset,
                        len,
                        problem: Problem::Corrupt,
                    });
                }
                FrameAt::Incomplete => {
                    // Only returned at the end of the source.
                    let len = self.offset() + (self.buf.len() - self.pos) as u64 - offset;
                    self.note_issue(ReadIssue {
                        offset,
                        len,
                        problem: Problem::Truncated,
                    });
                    self.done = true;
                    return Ok(None);
                }
                FrameAt::Corrupt => self.resync(offset, Problem::Truncated)?,
            }
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_record() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
