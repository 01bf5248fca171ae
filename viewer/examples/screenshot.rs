//! Renders the viewer into a PNG (docs/img/viewer.png), on a private Xvfb, with GTK's own
//! renderer: `cargo run -p gdkrecord-viewer --example screenshot -- OUT.png [MODE]
//! [RECORDING]` where MODE is `flash` (default), `accumulate` or `heatmap`, showing
//! RECORDING (default: a synthetic session) just after one of its clicks.

#[path = "../tests/support/gui.rs"]
#[allow(dead_code)]
mod gui;
#[path = "../tests/support/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::time::Duration;

use gdkrecord_format::EventType;
use gdkrecord_viewer::scene::ViewMode;
use gdkrecord_viewer::window::GdkrecordViewerWindow;
use gtk::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "viewer.png".into());
    let mode = match args.next().as_deref() {
        Some("accumulate") => ViewMode::Accumulate,
        Some("heatmap") => ViewMode::Heatmap,
        _ => ViewMode::Flash,
    };
    let given = args.next().map(std::path::PathBuf::from);
    let (_xvfb, app) = gui::start_gtk();
    let recording = given.clone().unwrap_or_else(|| {
        let path =
            std::env::temp_dir().join(format!("widget-demo-{}.gdkrecord", std::process::id()));
        let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("temp file"));
        synth::write_session(file, 300 << 10).expect("recording written");
        path
    });
    let window = GdkrecordViewerWindow::new(&app);
    window.set_default_size(1200, 760);
    window.present();
    window.open_path(&recording);
    gui::pump_until(Duration::from_secs(20), || !window.is_loading());
    window.set_mode(mode);
    // A moment worth showing: a click on a button, its repaint still fading.
    let index = window.index().expect("recording opened");
    let click = index
        .inputs
        .iter()
        .filter(|m| m.event_type == EventType::BUTTON_PRESS && m.surface.0 == 1)
        .nth(if given.is_some() { 1 } else { 3 })
        .map_or(0, |m| m.t_ns);
    let after_click = if given.is_some() {
        150_000_000
    } else {
        30_000_000
    };
    window.seek(click + after_click);
    let timeline = window.timeline();
    timeline.set_view(click.saturating_sub(20_000_000_000), click + 20_000_000_000);
    gui::pump_for(Duration::from_millis(500));
    gui::render(&window).save_png(std::path::Path::new(&out));
    if given.is_none() {
        let _ = std::fs::remove_file(&recording);
    }
    println!("wrote {out}");
}
