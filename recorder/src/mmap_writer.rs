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
use std::path::Path;

/// Bytes mapped at a time (a multiple of the page size).
pub(crate) const DEFAULT_CHUNK: usize = 1 << 20;

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
}

// The mapping is owned by the writer alone; the recorder keeps it behind a Mutex.
unsafe impl Send for MmapWriter {}

fn last_error(what: &str) -> io::Error {
    let error = io::Error::last_os_error();
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

impl MmapWriter {
    /// Creates (or truncates) the file at `path`.
    pub(crate) fn create(path: &Path, chunk_size: usize) -> io::Result<MmapWriter> {
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
        let chunk_size = chunk_size.max(page).div_ceil(page) * page;
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
        // Not O_TRUNC: a file another process is recording into (a GTK 4 child that
        // inherited GDKRECORD_FILENAME) must not be destroyed. The exclusive lock, held
        // until this process ends, tells; only then is the file emptied.
        let fd = unsafe {
            libc::open(
                c_path.as_ptr(),
                libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC,
                0o644 as libc::c_uint,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let error = io::Error::last_os_error();
            unsafe { libc::close(fd) };
            return Err(if error.kind() == io::ErrorKind::WouldBlock {
                io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another process is recording into it",
                )
            } else {
                error
            });
        }
        if unsafe { libc::ftruncate(fd, 0) } != 0 {
            let error = io::Error::last_os_error();
            unsafe { libc::close(fd) };
            return Err(error);
        }
        let mut writer = MmapWriter {
            fd,
            chunk_size,
            map: std::ptr::null_mut(),
            chunk_offset: 0,
            len: 0,
        };
        writer.map_chunk(0)?;
        Ok(writer)
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Makes the file `offset + chunk_size` long and maps that chunk.
    fn map_chunk(&mut self, offset: u64) -> io::Result<()> {
        if !self.map.is_null() {
            // MAP_SHARED pages stay in the page cache: unmapping loses nothing.
            unsafe { libc::munmap(self.map.cast(), self.chunk_size) };
            self.map = std::ptr::null_mut();
        }
        let end = offset + self.chunk_size as u64;
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

    /// Appends `bytes`, mapping further chunks as needed. On error nothing more can be
    /// written (the bytes already written stay readable).
    pub(crate) fn append(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        if self.map.is_null() {
            return Err(io::Error::other("recording file is closed"));
        }
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
        let mut writer = MmapWriter::create(&path, DEFAULT_CHUNK).unwrap();
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
        let mut writer = MmapWriter::create(&path, 4096).unwrap();
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
        let mut writer = MmapWriter::create(&path, 4096).unwrap();
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
        let mut writer = MmapWriter::create(&path, 4096).unwrap();
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
        let mut first = MmapWriter::create(&path, 4096).unwrap();
        first.append(b"parent's records").unwrap();
        // A second writer (flock is per open file, so this stands for another process).
        let error = MmapWriter::create(&path, 4096).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        first.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"parent's records");
        // Once the first is done the name is free again, and a new recording empties it.
        let second = MmapWriter::create(&path, 4096).unwrap();
        second.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn unwritable_path_is_an_error() {
        let error =
            MmapWriter::create(Path::new("/proc/gdkrecord-no/such.gdkrecord"), 4096).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}
