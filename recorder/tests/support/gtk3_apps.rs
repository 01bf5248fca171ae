//! GTK 3 programs as the GTK 3 test binaries start them, with the recorder loaded as users
//! load it for GTK 3: samples/gtk3/counter.py, the counter's GTK 3 twin (PyGObject, run by
//! /usr/bin/python3) and its geometry; Debian's, when installed.
// Each test binary uses a part of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{App, Ctx};

/// Geometry of samples/gtk3/counter.py (window coordinates).
pub const BUTTON_CENTER: (f64, f64) = (100.0, 80.0);
/// Inside the entry's text area, a child GdkWindow: its events come in its own
/// coordinates, the recording must show them in the window's.
pub const ENTRY_POINT: (f64, f64) = (120.0, 137.0);
/// The blinking square, a child GdkWindow too.
pub const SQUARE: [i32; 4] = [300, 20, 24, 24];
pub const LABEL_AT: (i32, i32) = (20, 20);

impl Ctx {
    /// A command for a GTK 3 program with the recorder loaded as users load it.
    pub fn gtk3_command(&self, program: impl AsRef<std::ffi::OsStr>, log: &Path) -> Command {
        let mut command = self.gtk_command(program, log);
        command.env("GTK_MODULES", "gdkrecord");
        command
    }
}

/// samples/gtk3/counter.py.
pub fn counter_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/gtk3/counter.py")
}

/// The sample under `command` (from [`Ctx::gtk3_command`]), started with `args` and
/// `--print-layout`; returns once it printed its layout, checked against ours.
pub fn start_counter(ctx: &Ctx, mut command: Command, args: &[&str]) -> Result<App, String> {
    command
        .arg(counter_script())
        .arg("--print-layout")
        .args(args);
    let app = ctx.spawn(command)?;
    let (layout, _) = app.lines_until("ready")?;
    let square = format!(
        "layout square {} {} {} {}",
        SQUARE[0], SQUARE[1], SQUARE[2], SQUARE[3]
    );
    ensure!(
        layout.contains(&square) && layout.contains(&"layout button 20 60 160 40".to_owned()),
        "counter.py's layout changed: {layout:?}"
    );
    Ok(app)
}

/// Whether `program` is on PATH.
pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
