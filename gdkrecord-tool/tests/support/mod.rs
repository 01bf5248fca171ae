//! What the tool's integration tests share.

use std::path::{Path, PathBuf};

/// A directory of its own for each test, removed when the test passes (kept for a look
/// when it fails).
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A new, empty scratch directory for `test` of this test binary.
pub fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!(
        "gdkrecord-tool-{}-{}-{test}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}
