//! Our `counter` sample (samples/src/bin/counter.rs) in the GTK 4 GUI tests: where its
//! widgets are, and starting it with its layout checked.
// Each test binary uses a part of these.
#![allow(dead_code)]

use std::path::Path;

use crate::support::{App, Ctx};

/// Geometry of the counter sample (see samples/src/bin/counter.rs).
pub const BUTTON_CENTER: (f64, f64) = (100.0, 80.0);
pub const ENTRY_POINT: (f64, f64) = (120.0, 137.0);
pub const SQUARE: [i32; 4] = [300, 20, 24, 24];
pub const LABEL_AT: (i32, i32) = (20, 20);

pub fn start_counter(ctx: &Ctx, log: &Path, args: &[&str]) -> Result<(App, String), String> {
    let mut command = ctx.gtk_command(ctx.bin("counter"), log);
    command.arg("--print-layout").args(args);
    let app = ctx.spawn(command)?;
    let (layout, _) = app.lines_until("ready")?;
    let square = format!(
        "layout square {} {} {} {}",
        SQUARE[0], SQUARE[1], SQUARE[2], SQUARE[3]
    );
    ensure!(
        layout.contains(&square),
        "counter's layout changed: {layout:?}"
    );
    let window = ctx.window_of(app.pid())?;
    Ok((app, window))
}
