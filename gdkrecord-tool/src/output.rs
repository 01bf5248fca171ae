//! Where commands write: an output file that is never the recording being read, or
//! standard output, checked to be open.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};

/// Fails when `output` is the recording `input` (the same file by another name: a
/// symlink, a hard link, `./x`): creating it would truncate what is being read.
pub fn refuse_input(input: &Path, output: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(input_meta), Ok(output_meta)) = (std::fs::metadata(input), std::fs::metadata(output))
    {
        if (input_meta.dev(), input_meta.ino()) == (output_meta.dev(), output_meta.ino()) {
            bail!(
                "{}: is the recording being read ({}); choose another output file",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Creates (or truncates) `output`, refusing when it is the recording `input`.
pub fn create(input: &Path, output: &Path) -> Result<File> {
    refuse_input(input, output)?;
    File::create(output).with_context(|| format!("{}: cannot create", output.display()))
}

/// Whether `path` means standard output (`-`).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Set when the program started with file descriptor 1 closed.
static STDOUT_WAS_CLOSED: AtomicBool = AtomicBool::new(false);

/// Notes whether the program started with standard output closed (`cmd >&-`). Rust's
/// runtime opens `/dev/null` read-write on a closed standard descriptor before `main`
/// (so no file lands on it), which would make every write succeed into nothing; a
/// shell's `>/dev/null` opens it write-only. So the null device open read-write on
/// descriptor 1 is taken for a closed standard output. Call first thing in `main`.
pub fn note_closed_stdout() {
    // SAFETY: fstat and fcntl only read the descriptor's state.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(libc::STDOUT_FILENO, &mut stat) } != 0 {
        STDOUT_WAS_CLOSED.store(true, Ordering::Relaxed);
        return;
    }
    let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL) };
    let null_device =
        stat.st_mode & libc::S_IFMT == libc::S_IFCHR && stat.st_rdev == libc::makedev(1, 3);
    if null_device && flags >= 0 && flags & libc::O_ACCMODE == libc::O_RDWR {
        STDOUT_WAS_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Standard output, locked. Fails when the program started with standard output closed
/// (see [`note_closed_stdout`]). Callers name `standard output` in the context of
/// their write errors.
pub fn stdout() -> Result<io::StdoutLock<'static>> {
    if STDOUT_WAS_CLOSED.load(Ordering::Relaxed) {
        bail!("standard output is closed; redirect it to a file, or use -o where there is one");
    }
    Ok(io::stdout().lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_to_the_input_is_refused() {
        let dir = std::env::temp_dir().join(format!("gdkrecord-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.gdkrecord");
        std::fs::write(&input, b"x").unwrap();
        let link = dir.join("link.png");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&input, &link).unwrap();
        assert!(refuse_input(&input, &link).is_err());
        assert!(refuse_input(&input, &dir.join("./in.gdkrecord")).is_err());
        assert!(refuse_input(&input, &dir.join("other.png")).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
