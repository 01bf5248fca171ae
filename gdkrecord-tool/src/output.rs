//! Where commands write: an output file that is never the recording being read, or
//! standard output, checked to be open.

use std::fs::File;
use std::io;
use std::path::Path;

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

/// Standard output, locked. Fails when file descriptor 1 is closed: Rust's standard
/// output would drop everything written to it silently. Callers name `standard output`
/// in the context of their write errors.
pub fn stdout() -> Result<io::StdoutLock<'static>> {
    // SAFETY: F_GETFD on any descriptor number only reads its flags.
    if unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } < 0 {
        bail!("standard output is closed: {}", io::Error::last_os_error());
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
