//! A crash-safe append-only file: bytes are copied into a `MAP_SHARED` mapping of the
//! file, one chunk at a time, so they are in the page cache (and reach the disk) even
//! when the process is killed a moment later.
//!
//! The file is grown with `posix_fallocate` before a chunk is mapped: writing into a
//! sparse mapping on a full disk would raise SIGBUS in the host program, while a failed
//! allocation is an ordinary error. Records may span two chunks. [`MmapWriter::finish`]
//! truncates the zero-filled tail away; a killed program leaves it, and readers stop at
//! the first zero byte where a record should start.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Bytes mapped at a time (a multiple of the page size).
pub(crate) const DEFAULT_CHUNK: usize = 1 << 20;

/// Room kept free at the end of a chunk until the next chunk's disk space is allocated:
/// when the disk is full the End record saying so still fits.
pub(crate) const END_RESERVE: usize = 64;

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// `NAME.old`.
pub(crate) fn old_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".old");
    PathBuf::from(name)
}

/// Moves the file at `path` to `NAME.old` unless it is a symbolic link, not a regular
/// file, or being recorded into (its lock is held); returns the new name.
fn keep_existing(path: &Path, c_path: &CString) -> io::Result<PathBuf> {
    // SAFETY: a valid C string; the fd is closed below.
    let fd = unsafe {
        libc::open(
            c_path.as_ptr(),
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        let error = io::Error::last_os_error();
        return Err(if error.raw_os_error() == Some(libc::ELOOP) {
            io::Error::new(io::ErrorKind::AlreadyExists, SymlinkRefused)
        } else {
            error
        });
    }
    let kept = (|| {
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat fills `stat`.
        if unsafe { libc::fstat(fd, &mut stat) } != 0 {
            return Err(last_error("fstat"));
        }
        if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "not a regular file; not replacing it",
            ));
        }
        // SAFETY: flock on our fd.
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let error = io::Error::last_os_error();
            return Err(if error.kind() == io::ErrorKind::WouldBlock {
                io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another process is recording into it",
                )
            } else {
                error
            });
        }
        let old = old_name(path);
        std::fs::rename(path, &old).map_err(|e| {
            io::Error::new(e.kind(), format!("keeping it as {}: {e}", old.display()))
        })?;
        Ok(old)
    })();
    // SAFETY: our fd.
    unsafe { libc::close(fd) };
    kept
}

/// The error of [`MmapWriter::create`] for a symbolic link at the path.
#[derive(Debug)]
pub(crate) struct SymlinkRefused;

impl std::fmt::Display for SymlinkRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("is a symbolic link; not following it")
    }
}

impl std::error::Error for SymlinkRefused {}

/// Whether `error` is [`MmapWriter::create`]'s refusal of a symbolic link.
pub(crate) fn is_symlink_refused(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<SymlinkRefused>())
}

/// Whether `error` says the disk (or the file system's quota) is full.
pub(crate) fn is_disk_full(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// An open recording file being appended to through a memory mapping.
#[derive(Debug)]
pub(crate) struct MmapWriter {
    fd: libc::c_int,
    chunk_size: usize,
    /// The mapped chunk, `chunk_size` bytes at file offset `chunk_offset`.
    map: *mut u8,
    chunk_offset: u64,
    /// Bytes written so far (the file's real length).
    len: u64,
    /// Whether the disk space of the chunk after the mapped one is allocated.
    next_allocated: bool,
    /// File length past which allocation fails as on a full disk (tests).
    space_limit: u64,
}

// The mapping is owned by the writer alone; the recorder keeps it behind a Mutex.
unsafe impl Send for MmapWriter {}

fn last_error(what: &str) -> io::Error {
    let error = io::Error::last_os_error();
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

impl MmapWriter {
    /// Creates a new file at `path`, readable and writable by its owner only (0600,
    /// whatever the umask: a recording holds what was typed). An existing file is kept
    /// as `NAME.old` (returned), the way perf keeps `perf.data.old`; a symbolic link at
    /// `path` is never followed (an error of kind [`io::ErrorKind::AlreadyExists`] whose
    /// raw OS error is `ELOOP`); a file another process is recording into is left alone
    /// (an error of kind [`io::ErrorKind::WouldBlock`]).
    pub(crate) fn create(
        path: &Path,
        chunk_size: usize,
    ) -> io::Result<(MmapWriter, Option<PathBuf>)> {
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
        let chunk_size = chunk_size.max(page).div_ceil(page) * page;
        let c_path = c_path(path)?;
        let mut kept = None;
        // A second round only if another file appeared at the name after the first was
        // moved away.
        for _ in 0..3 {
            // SAFETY: a valid C string; the fd is owned by the writer from here.
            let fd = unsafe {
                libc::open(
                    c_path.as_ptr(),
                    libc::O_RDWR
                        | libc::O_CREAT
                        | libc::O_EXCL
                        | libc::O_NOFOLLOW
                        | libc::O_CLOEXEC,
                    0o600 as libc::c_uint,
                )
            };
            if fd >= 0 {
                return Self::take(fd, chunk_size).map(|writer| (writer, kept));
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::AlreadyExists {
                return Err(error);
            }
            kept = Some(keep_existing(path, &c_path)?);
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a new file keeps appearing at this name",
        ))
    }

    /// Locks, sets 0600 and maps the first chunk of a file just created.
    fn take(fd: libc::c_int, chunk_size: usize) -> io::Result<MmapWriter> {
        let mut writer = MmapWriter {
            fd,
            chunk_size,
            map: std::ptr::null_mut(),
            chunk_offset: 0,
            len: 0,
            next_allocated: false,
            space_limit: u64::MAX,
        };
        // The umask may have taken bits away (0600 & ~umask): set them all. The lock
        // tells a GTK 4 child that inherited GDKRECORD_FILENAME that the name is taken.
        // SAFETY: plain syscalls on the fd the writer owns (closed by its Drop on error).
        if unsafe { libc::fchmod(fd, 0o600) } != 0 {
            return Err(last_error("fchmod"));
        }
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(last_error("flock"));
        }
        writer.map_chunk(0)?;
        Ok(writer)
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Makes the file `offset + chunk_size` long, its disk space allocated.
    fn allocate(&mut self, offset: u64) -> io::Result<()> {
        let end = offset + self.chunk_size as u64;
        if end > self.space_limit {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        // SAFETY: plain syscalls on the writer's fd.
        let rc = unsafe {
            libc::posix_fallocate(
                self.fd,
                offset as libc::off_t,
                self.chunk_size as libc::off_t,
            )
        };
        if rc == libc::EOPNOTSUPP || rc == libc::EINVAL {
            // File systems without fallocate: grow sparsely.
            if unsafe { libc::ftruncate(self.fd, end as libc::off_t) } != 0 {
                return Err(last_error("ftruncate"));
            }
        } else if rc != 0 {
            let error = io::Error::from_raw_os_error(rc);
            return Err(io::Error::new(
                error.kind(),
                format!("posix_fallocate: {error}"),
            ));
        }
        Ok(())
    }

    /// Maps the chunk at `offset`, allocating its disk space first unless done already.
    fn map_chunk(&mut self, offset: u64) -> io::Result<()> {
        if !self.next_allocated || offset == 0 {
            self.allocate(offset)?;
        }
        self.next_allocated = false;
        if !self.map.is_null() {
            // MAP_SHARED pages stay in the page cache: unmapping loses nothing.
            unsafe { libc::munmap(self.map.cast(), self.chunk_size) };
            self.map = std::ptr::null_mut();
        }
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                self.chunk_size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                self.fd,
                offset as libc::off_t,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(last_error("mmap"));
        }
        self.map = map.cast();
        self.chunk_offset = offset;
        Ok(())
    }

    /// Appends `bytes`, mapping further chunks as needed. On error nothing of `bytes` was
    /// written and nothing more can be, but [`MmapWriter::append_last`] (the bytes
    /// already written stay readable).
    pub(crate) fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.map.is_null() {
            return Err(io::Error::other("recording file is closed"));
        }
        let room = self.chunk_size - (self.len - self.chunk_offset) as usize;
        if !self.next_allocated && bytes.len() + END_RESERVE > room {
            // Before a byte is written: a full disk then leaves no half record, and the
            // reserve for the End record saying so.
            self.allocate(self.chunk_offset + self.chunk_size as u64)?;
            self.next_allocated = true;
        }
        self.copy(bytes)
    }

    /// Appends `bytes` (a small last record) into what is left of the mapped chunk, the
    /// reserve kept by [`MmapWriter::append`] included, after an error of `append`.
    pub(crate) fn append_last(&mut self, bytes: &[u8]) -> io::Result<()> {
        let room = self.chunk_size - (self.len - self.chunk_offset) as usize;
        if self.map.is_null() || bytes.len() > room {
            return Err(io::Error::other("no room left for the last record"));
        }
        self.copy(bytes)
    }

    fn copy(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let in_chunk = (self.len - self.chunk_offset) as usize;
            let room = self.chunk_size - in_chunk;
            if room == 0 {
                self.map_chunk(self.chunk_offset + self.chunk_size as u64)?;
                continue;
            }
            let n = room.min(bytes.len());
            // SAFETY: `in_chunk + n <= chunk_size` bytes are mapped at `map`.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.add(in_chunk), n) };
            self.len += n as u64;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// Makes allocation fail, as on a full disk, past `len` bytes of file.
    #[cfg(test)]
    pub(crate) fn limit_space(&mut self, len: u64) {
        self.space_limit = len;
    }

    /// Unmaps the file and cuts it to the bytes written.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.close(true)
    }

    fn close(&mut self, truncate: bool) -> io::Result<()> {
        if self.fd < 0 {
            return Ok(());
        }
        if !self.map.is_null() {
            unsafe { libc::munmap(self.map.cast(), self.chunk_size) };
            self.map = std::ptr::null_mut();
        }
        let result =
            if truncate && unsafe { libc::ftruncate(self.fd, self.len as libc::off_t) } != 0 {
                Err(last_error("ftruncate"))
            } else {
                Ok(())
            };
        unsafe { libc::close(self.fd) };
        self.fd = -1;
        result
    }

    /// Closes the file without cutting it (in a forked child: the file belongs to the
    /// parent, which is still appending to it).
    pub(crate) fn abandon(mut self) {
        let _ = self.close(false);
    }
}

impl Drop for MmapWriter {
    fn drop(&mut self) {
        let _ = self.close(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gdkrecord-writer-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn writes_and_truncates_on_finish() {
        let path = temp_path("small");
        let mut writer = MmapWriter::create(&path, DEFAULT_CHUNK).unwrap().0;
        writer.append(b"hello ").unwrap();
        writer.append(b"world").unwrap();
        assert_eq!(writer.len(), 11);
        // Before finishing, the file is a whole chunk with a zero tail.
        let mapped = std::fs::read(&path).unwrap();
        assert_eq!(mapped.len(), DEFAULT_CHUNK);
        assert_eq!(&mapped[..11], b"hello world");
        assert!(mapped[11..].iter().all(|b| *b == 0));
        writer.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
    }

    #[test]
    fn grows_across_chunks_with_records_spanning_them() {
        let path = temp_path("grow");
        let mut writer = MmapWriter::create(&path, 4096).unwrap().0;
        let mut expected = Vec::new();
        for i in 0..3000u32 {
            // 7-byte pieces never line up with the 4096-byte chunks.
            let piece = [i as u8, (i >> 8) as u8, 1, 2, 3, 4, 5];
            writer.append(&piece).unwrap();
            expected.extend_from_slice(&piece);
        }
        writer.append(&vec![9u8; 10_000]).unwrap();
        expected.extend_from_slice(&[9u8; 10_000]);
        writer.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[test]
    fn data_is_readable_while_still_mapped_as_after_a_kill() {
        let path = temp_path("kill");
        let mut writer = MmapWriter::create(&path, 4096).unwrap().0;
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8 + 1).collect();
        writer.append(&bytes).unwrap();
        // A SIGKILLed process never reaches finish(): another process reading the file
        // sees every byte written, then the zero padding of the last chunk.
        let seen = std::fs::read(&path).unwrap();
        assert_eq!(seen.len(), 12_288);
        assert_eq!(&seen[..10_000], &bytes[..]);
        assert!(seen[10_000..].iter().all(|b| *b == 0));
        writer.abandon();
    }

    #[test]
    fn format_reader_reads_an_unfinished_recording() {
        use gdkrecord_format::{encode_record, file_header, End, EndReason, Reader, Record};
        let path = temp_path("reader");
        let mut writer = MmapWriter::create(&path, 4096).unwrap().0;
        writer.append(&file_header()).unwrap();
        let mut frame = Vec::new();
        for t_ns in 0..500 {
            frame.clear();
            encode_record(
                &Record::End(End {
                    t_ns,
                    reason: EndReason::EXIT,
                    records: 1,
                    dropped: 0,
                }),
                &mut frame,
            );
            writer.append(&frame).unwrap();
        }
        let mut reader = Reader::open(&path).unwrap();
        assert_eq!(reader.by_ref().count(), 500);
        assert!(reader.issues().is_empty(), "{:?}", reader.issues());
        writer.abandon();
    }

    #[test]
    fn a_file_being_recorded_is_not_clobbered() {
        let path = temp_path("taken");
        let _ = std::fs::remove_file(&path);
        let mut first = MmapWriter::create(&path, 4096).unwrap().0;
        first.append(b"parent's records").unwrap();
        // A second writer (flock is per open file, so this stands for another process).
        let error = MmapWriter::create(&path, 4096).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        first.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"parent's records");
    }

    /// Regression: an existing file at the output path was truncated.
    #[test]
    fn existing_output_file_is_kept_as_old() {
        let path = temp_path("existing");
        std::fs::write(&path, b"last week's recording").unwrap();
        let (writer, kept) = MmapWriter::create(&path, 4096).unwrap();
        writer.finish().unwrap();
        let old = old_name(&path);
        assert_eq!(kept.as_deref(), Some(old.as_path()));
        assert_eq!(std::fs::read(&old).unwrap(), b"last week's recording");
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }

    /// Regression: a symbolic link planted at the output path was followed and its
    /// target's content replaced.
    #[test]
    fn symlink_at_output_path_is_not_followed() {
        let target = temp_path("victim");
        std::fs::write(&target, b"precious").unwrap();
        let link = temp_path("planted-link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = MmapWriter::create(&link, 4096).unwrap_err();
        assert!(is_symlink_refused(&error), "{error:?}");
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        // A dangling link too (it would have created the target).
        let dangling = temp_path("dangling-link");
        let _ = std::fs::remove_file(&dangling);
        std::os::unix::fs::symlink(temp_path("nowhere"), &dangling).unwrap();
        assert!(is_symlink_refused(
            &MmapWriter::create(&dangling, 4096).unwrap_err()
        ));
        assert!(!temp_path("nowhere").exists());
    }

    /// Regression: the recording was created readable by everyone (0644 & ~umask).
    /// (With a umask taking the owner's bits away: the GUI test
    /// `recording_is_private_whatever_the_umask`.)
    #[test]
    fn recording_is_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_path("private");
        let _ = std::fs::remove_file(&path);
        MmapWriter::create(&path, 4096).unwrap().0.finish().unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    /// Regression: a full disk cut the recording without saying so; the reserve at the
    /// chunk's end keeps room for the End record that does.
    #[test]
    fn full_disk_leaves_room_for_a_last_record() {
        let path = temp_path("full");
        let _ = std::fs::remove_file(&path);
        let mut writer = MmapWriter::create(&path, 4096).unwrap().0;
        writer.limit_space(4096);
        let mut written = 0;
        let error = loop {
            match writer.append(&[7u8; 100]) {
                Ok(()) => written += 100,
                Err(error) => break error,
            }
        };
        assert!(is_disk_full(&error), "{error:?}");
        assert_eq!(writer.len(), written);
        writer.append_last(&[9u8; END_RESERVE]).unwrap();
        writer.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, written + END_RESERVE as u64);
        assert!(bytes[..written as usize].iter().all(|b| *b == 7));
    }

    #[test]
    fn unwritable_path_is_an_error() {
        let error =
            MmapWriter::create(Path::new("/proc/gdkrecord-no/such.gdkrecord"), 4096).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}
