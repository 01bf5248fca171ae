//! The app's own pixels under the damage, for recordings made with pixels on: a second
//! pass over the file, in step with the frames being drawn, composing the surface's
//! picture (`gdkrecord-replay`'s [`Pictures`]) up to the end of each frame. Only the
//! pictures are kept, never the patches, so memory stays bounded on big files.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, Result};
use gdkrecord_format::{Nanos, Reader, Record, SurfaceId};
use gdkrecord_replay::{Picture, Pictures};

/// Walks a recording's records forward in time, painting pixel patches as it goes.
#[derive(Debug)]
pub struct PictureCursor {
    reader: Reader<BufReader<File>>,
    pending: Option<Record>,
    pictures: Pictures,
    surface: SurfaceId,
    /// The picture composed last, and how many times it changed (a drawing of it can be
    /// reused while this stays the same).
    composed: Option<Picture>,
    version: u64,
    dirty: bool,
}

impl PictureCursor {
    /// A cursor at the start of `path`, for `surface` (popups placed over it). The first
    /// pass already reported what the reader skips, so this one is silent.
    pub fn open(path: &Path, surface: SurfaceId) -> Result<PictureCursor> {
        let reader =
            Reader::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        Ok(PictureCursor {
            reader,
            pending: None,
            pictures: Pictures::default(),
            surface,
            composed: None,
            version: 0,
            dirty: true,
        })
    }

    /// The surface's picture with every record up to `t_ns` applied (`None` before its
    /// first pixels), and its version (it changed when the version did). Times only move
    /// forward: an earlier `t_ns` gives the same picture.
    pub fn at(&mut self, t_ns: Nanos) -> Option<(&Picture, u64)> {
        loop {
            let record = match self.pending.take() {
                Some(record) => record,
                None => match self.reader.next() {
                    Some(Ok(record)) => record,
                    _ => break,
                },
            };
            // Frame records carry their start but come at their end: they hold no pixels
            // and must not stop the walk.
            if record.t_ns() > t_ns && !matches!(record, Record::Frame(_)) {
                self.pending = Some(record);
                break;
            }
            self.dirty |= self.pictures.push(&record).is_some();
        }
        if self.dirty {
            self.dirty = false;
            self.composed = self.pictures.compose(self.surface);
            self.version += 1;
        }
        self.composed.as_ref().map(|p| (p, self.version))
    }
}
