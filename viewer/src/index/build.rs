//! [`RecordingIndex::build`]: the file cut into parts at record starts, each part scanned
//! on its own named thread (`scan.rs`) and the parts' indexes merged; read again in one
//! piece when corruption at a seam misled the search for a record start.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gdkrecord_format::{check_file_header, Nanos, OpenError, FILE_HEADER_LEN};

use super::scan::{clean_frame, scan_part};
use super::{Checkpoint, IndexError, RecordingIndex};

/// Files smaller than this are indexed by one thread.
const MIN_PARALLEL_BYTES: u64 = 64 << 20;

/// At most this many threads index one file.
const MAX_INDEX_THREADS: usize = 4;

/// How far past a part's nominal start its first record start is looked for.
const SYNC_SEARCH_BYTES: usize = 1 << 20;

/// How many clean frames in a row mark a record start.
const SYNC_FRAMES: usize = 4;

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

impl RecordingIndex {
    /// Reads the whole file once. `progress(bytes_read, file_len)` is called every few
    /// megabytes; return `false` from it to stop (the result is then an error of kind
    /// `Interrupted`).
    ///
    /// Clean stretches are scanned here directly: each frame's length and CRC are checked,
    /// and only the kinds the index keeps are decoded (damage, timings and main-loop
    /// records, most of a file, are skipped until shown). Anything unusual (corruption, a
    /// cut, padding, an unknown kind) is handed to the format crate's
    /// [`Reader`](gdkrecord_format::Reader), which resynchronises and reports what it
    /// skipped exactly as the tool does.
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
    pub(super) fn build_with_threads(
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
}
