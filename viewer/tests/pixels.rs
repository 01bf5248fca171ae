//! GUI tests of the viewer on recordings with pixels: the app's picture under the
//! damage, each layer toggled, a popup placed over its parent, opening on the first
//! frame. A private Xvfb; `harness = false` (GTK stays on one thread), prints
//! `N passed, N failed`.

#[path = "support/gui.rs"]
#[allow(dead_code)]
mod gui;
#[path = "support/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Duration;

use gdkrecord_format::*;
use gdkrecord_viewer::window::GdkrecordViewerWindow;
use gtk::prelude::*;

use gui::{pump_for, pump_until, render};
use synth::{damage, frame, header, surface, FRAME_NS};

const GREY: [u8; 3] = [120, 120, 120];
const GREEN: [u8; 3] = [0, 200, 0];
const BLUE: [u8; 3] = [0, 0, 220];
const PATCH: Rect = [100, 100, 50, 50];
const POPUP_AT: (i32, i32) = (200, 150);
const POPUP_PAST_EDGE: (i32, i32) = (370, 280);

fn frame_t(n: i64) -> u64 {
    100_000_000 + (n as u64 - 1) * FRAME_NS
}

fn pixels(t_ns: u64, surface: u32, frame: i64, full: bool, rect: Rect, rgb: [u8; 3]) -> Record {
    let data = [rgb[2], rgb[1], rgb[0], 255].repeat((rect[2] * rect[3]) as usize);
    Record::Pixels(Pixels::raw(t_ns, SurfaceId(surface), frame, 1, full, rect, data).packed())
}

/// A 400×300 window realized at 1×1 and sized in its first frame, pictured grey; frame 2
/// paints a green patch; frame 3 opens a blue 60×40 popup at (200, 150); frame 4 moves
/// it to [`POPUP_PAST_EDGE`], past the window's bottom-right corner.
fn records() -> Vec<Record> {
    let mut records = vec![
        header("pixels"),
        surface(1_000_000, 1, SurfaceKind::TOPLEVEL, None, 1, 1),
    ];
    for n in 1..=4 {
        let t = frame_t(n);
        match n {
            1 => {
                records.push(Record::Size(Size {
                    t_ns: t + 500_000,
                    surface: SurfaceId(1),
                    width: 400,
                    height: 300,
                }));
                records.push(damage(t + 1_000_000, 1, n, vec![[0, 0, 400, 300]]));
                records.push(pixels(t + 1_000_000, 1, n, true, [0, 0, 400, 300], GREY));
            }
            2 => {
                records.push(damage(t + 1_000_000, 1, n, vec![PATCH]));
                records.push(pixels(t + 1_000_000, 1, n, false, PATCH, GREEN));
            }
            3 => {
                records.push(surface(t, 2, SurfaceKind::POPUP, Some(1), 60, 40));
                records.push(Record::PopupPosition(PopupPosition {
                    t_ns: t + 900_000,
                    surface: SurfaceId(2),
                    x: POPUP_AT.0,
                    y: POPUP_AT.1,
                }));
                records.push(damage(t + 1_000_000, 2, n, vec![[0, 0, 60, 40]]));
                records.push(pixels(t + 1_000_000, 2, n, true, [0, 0, 60, 40], BLUE));
            }
            4 => {
                records.push(Record::PopupPosition(PopupPosition {
                    t_ns: t + 900_000,
                    surface: SurfaceId(2),
                    x: POPUP_PAST_EDGE.0,
                    y: POPUP_PAST_EDGE.1,
                }));
            }
            _ => {}
        }
        records.push(frame(t, 1, n, 500_000, 2_000_000));
    }
    records
}

fn open(app: &gtk::Application, path: &Path) -> GdkrecordViewerWindow {
    let window = GdkrecordViewerWindow::new(app);
    window.set_default_size(1100, 700);
    window.present();
    window.open_path(path);
    assert!(
        pump_until(Duration::from_secs(20), || !window.is_loading()),
        "indexing finishes"
    );
    pump_until(Duration::from_secs(5), || window.canvas().width() > 0);
    pump_for(Duration::from_millis(100));
    window
}

/// The canvas pixel showing surface point (`x`, `y`).
fn at(window: &GdkrecordViewerWindow, x: f64, y: f64) -> [u8; 3] {
    pump_for(Duration::from_millis(100));
    let pixels = render(&window.canvas());
    let (wx, wy) = window.canvas().surface_to_widget(x, y);
    pixels.rgb(wx as usize, wy as usize)
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(a, b)| a.abs_diff(b) <= 6)
}

fn the_apps_pixels_show_under_the_damage(app: &gtk::Application, path: &Path) {
    let window = open(app, path);
    assert_eq!(window.playhead_ns(), frame_t(1), "opens on the first frame");
    assert_eq!(
        window.canvas().scene().size,
        [400, 300],
        "at the size it was drawn at"
    );
    window.seek(frame_t(2));
    window.set_layers(true, false);
    let patch = at(&window, 125.0, 125.0);
    assert!(
        near(patch, GREEN),
        "the patch, no damage over it: {patch:?}"
    );
    let around = at(&window, 50.0, 50.0);
    assert!(
        near(around, GREY),
        "the whole picture around it: {around:?}"
    );
    window.set_layers(true, true);
    let damaged = at(&window, 125.0, 125.0);
    assert!(
        damaged[0] > patch[0] + 20 && damaged[1] > 100,
        "the damage is drawn over the patch, which shows through: {damaged:?}"
    );
    window.set_layers(false, false);
    let plain = at(&window, 125.0, 125.0);
    assert!(
        plain.iter().all(|&c| c > 240),
        "no pixels: the plain surface {plain:?}"
    );
    window.set_layers(true, true);
    window.seek(frame_t(3) + 1_500_000);
    window.set_layers(true, false);
    let popup = at(
        &window,
        f64::from(POPUP_AT.0) + 10.0,
        f64::from(POPUP_AT.1) + 10.0,
    );
    assert!(near(popup, BLUE), "the popup over its parent: {popup:?}");
    let beside = at(
        &window,
        f64::from(POPUP_AT.0) - 5.0,
        f64::from(POPUP_AT.1) + 10.0,
    );
    assert!(near(beside, GREY), "beside the popup: {beside:?}");
    // Moved past the window's corner: shown whole, beyond the surface's edges.
    window.seek(frame_t(4) + 1_500_000);
    let (x, y) = (f64::from(POPUP_PAST_EDGE.0), f64::from(POPUP_PAST_EDGE.1));
    let inside = at(&window, x + 10.0, y + 10.0);
    let outside = at(&window, x + 50.0, y + 30.0);
    assert!(
        near(inside, BLUE) && near(outside, BLUE),
        "the popup past the edge, inside and outside the window: {inside:?} {outside:?}"
    );
    let corner = at(&window, 5.0, 5.0);
    assert!(near(corner, GREY), "the window still shown: {corner:?}");
    window.seek(frame_t(2));
    let gone = at(
        &window,
        f64::from(POPUP_AT.0) + 10.0,
        f64::from(POPUP_AT.1) + 10.0,
    );
    assert!(near(gone, GREY), "back before the popup: {gone:?}");
    window.close();
}

fn main() {
    let (xvfb, app) = gui::start_gtk();
    let dir = std::env::temp_dir().join(format!("gdkrecord-viewer-pixels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pixels.gdkrecord");
    let mut writer = Writer::new(Vec::new()).unwrap();
    for record in records() {
        writer.write(&record).unwrap();
    }
    std::fs::write(&path, writer.finish().unwrap()).unwrap();
    type Test = fn(&gtk::Application, &Path);
    let tests: [(&str, Test); 1] = [(
        "the_apps_pixels_show_under_the_damage",
        the_apps_pixels_show_under_the_damage,
    )];
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        match std::panic::catch_unwind(AssertUnwindSafe(|| test(&app, &path))) {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("{passed} passed, {failed} failed");
    drop(xvfb);
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
