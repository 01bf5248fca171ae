//! The recording index: one streaming pass over a file that keeps where every stretch of
//! records lives and what the timeline needs (frames, input markers, resizes, surfaces),
//! never the records themselves. Records are decoded later, a few hundred at a time
//! around the playhead, by [`RecordingIndex::decode_window`]; so a 1 GB recording is
//! indexed in about 2.3 CPU-seconds (split over the cores) and takes memory proportional
//! to its frames, not to its records (see `docs/benchmarks.md`, `## Viewer`).
//!
//! No GTK here: the window runs [`RecordingIndex::build`] on a named thread and receives
//! progress and the finished index as messages.
//!
//! Here: the index's types and its queries. The pass that builds it is in `build.rs` (the
//! file cut into parts scanned on their own threads, then merged) and `scan.rs` (one part:
//! frames checked and read in place, what the index keeps of each record).

mod build;
mod scan;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use gdkrecord_format::{
    decode_frame, DamageCapture, End, EventType, FrameAt, Header, Nanos, OpenError, ReadIssue,
    Record, SurfaceId, SurfaceKind,
};

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

/// A decoded record and where it is in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// File offset of the record's frame.
    pub offset: u64,
    #[allow(missing_docs)]
    pub record: Record,
}

impl RecordingIndex {
    /// The time of the last whole picture of `surface` at or before `t_ns`.
    pub fn picture_start(&self, surface: SurfaceId, t_ns: Nanos) -> Option<Nanos> {
        let after = self.pictures.partition_point(|p| p.t_ns <= t_ns);
        self.pictures[..after]
            .iter()
            .rev()
            .find(|p| p.surface == surface)
            .map(|p| p.t_ns)
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
