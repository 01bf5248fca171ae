//! GUI tests of the viewer on a private Xvfb: open fixture recordings written with the
//! format crate's Writer, seek, render the canvas into pixels and check the damage
//! colours, drive the shortcuts with real keys (xdotool) and through the actions, click
//! the timeline, switch modes and surfaces, and open bad files.
//!
//! GTK must stay on one thread, so this is a `harness = false` test that runs each case
//! in turn and prints `N passed, N failed`.

#[path = "support/gui.rs"]
#[allow(dead_code)]
mod gui;
#[path = "support/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gdkrecord_format::*;
use gdkrecord_viewer::scene::ViewMode;
use gdkrecord_viewer::window::GdkrecordViewerWindow;
use gtk::prelude::*;

use gui::{pump_for, pump_until, render, xdotool};
use synth::{damage, frame, header, key, pointer, surface, FRAME_NS};

/// The fixture's frames: frame `n` (1-based) starts at `frame_t(n)`.
const FRAMES: i64 = 10;
const SPINNER: Rect = [370, 10, 20, 20];
const EARLY_RECT: Rect = [20, 30, 60, 40];
const CLICK_RECT: Rect = [200, 120, 100, 80];
const POPUP_RECT: Rect = [10, 10, 100, 30];

fn frame_t(n: i64) -> u64 {
    100_000_000 + (n as u64 - 1) * FRAME_NS
}

/// A 400×300 window repainting a spinner every frame, `EARLY_RECT` in frame 3, a click
/// and `CLICK_RECT` in frame 7, a key press in frame 5 and a popup with damage in frame 9.
fn fixture_records() -> Vec<Record> {
    let mut records = vec![
        header("fixture"),
        surface(1_000_000, 1, SurfaceKind::TOPLEVEL, None, 400, 300),
    ];
    for n in 1..=FRAMES {
        let t = frame_t(n);
        let mut rects = vec![SPINNER];
        match n {
            3 => rects.push(EARLY_RECT),
            5 => {
                records.push(key(t + 100_000, 1, EventType::KEY_PRESS, "q"));
            }
            7 => {
                records.push(pointer(
                    t + 100_000,
                    1,
                    EventType::BUTTON_PRESS,
                    250.0,
                    160.0,
                    Some(1),
                ));
                rects.push(CLICK_RECT);
            }
            9 => {
                records.push(surface(t, 2, SurfaceKind::POPUP, Some(1), 150, 100));
                records.push(damage(t + 2_000_000, 2, n, vec![POPUP_RECT]));
            }
            _ => {}
        }
        records.push(damage(t + 1_000_000, 1, n, rects));
        records.push(frame(
            t,
            1,
            n,
            500_000,
            if n == 6 { 40_000_000 } else { 2_000_000 },
        ));
    }
    records.push(Record::End(End {
        t_ns: frame_t(FRAMES) + 50_000_000,
        reason: EndReason::EXIT,
        records: 0,
        dropped: 0,
    }));
    records
}

fn write_fixture(path: &Path, records: &[Record]) -> Vec<u8> {
    let mut writer = Writer::new(Vec::new()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    let bytes = writer.finish().unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// One GUI test case.
type Test = fn(&Ctx);

struct Ctx {
    app: gtk::Application,
    display: String,
    dir: PathBuf,
    fixture: PathBuf,
}

impl Ctx {
    /// A new window, presented, with `path` opened and indexed.
    fn open(&self, path: &Path) -> GdkrecordViewerWindow {
        let window = GdkrecordViewerWindow::new(&self.app);
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
}

fn is_damage_red([r, g, b]: [u8; 3]) -> bool {
    r > 200 && i32::from(r) - i32::from(g) > 50 && i32::from(r) - i32::from(b) > 30
}

fn is_surface_white([r, g, b]: [u8; 3]) -> bool {
    r > 240 && g > 240 && b > 240
}

/// The canvas pixel showing surface point (`x`, `y`).
fn canvas_pixel(window: &GdkrecordViewerWindow, pixels: &gui::Pixels, x: f64, y: f64) -> [u8; 3] {
    let (wx, wy) = window.canvas().surface_to_widget(x, y);
    pixels.rgb(wx as usize, wy as usize)
}

fn damage_pixels_follow_the_frames(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    window.seek(frame_t(7));
    pump_for(Duration::from_millis(100));
    let pixels = render(&window.canvas());
    let inside = canvas_pixel(&window, &pixels, 285.0, 185.0);
    assert!(
        is_damage_red(inside),
        "frame 7's damage is drawn in the damage colour: {inside:?}"
    );
    let outside = canvas_pixel(&window, &pixels, 150.0, 250.0);
    assert!(
        is_surface_white(outside),
        "undamaged surface stays white: {outside:?}"
    );
    // Frame 3's rectangle, four frames old, is fading: lighter than fresh damage.
    let fading = canvas_pixel(&window, &pixels, 50.0, 50.0);
    assert!(
        fading[1] > inside[1] && fading[0] > 240,
        "older damage fades: {fading:?} vs {inside:?}"
    );
    // Before frame 3, its rectangle is not drawn at all.
    window.seek(frame_t(2));
    pump_for(Duration::from_millis(100));
    let pixels = render(&window.canvas());
    let before = canvas_pixel(&window, &pixels, 50.0, 50.0);
    assert!(
        is_surface_white(before),
        "no damage before it happens: {before:?}"
    );
    let spinner = canvas_pixel(&window, &pixels, 380.0, 20.0);
    assert!(
        is_damage_red(spinner),
        "the spinner repaints every frame: {spinner:?}"
    );
    window.close();
}

fn actions_move_the_playhead(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    assert_eq!(window.playhead_ns(), frame_t(1), "opens on the first frame");
    WidgetExt::activate_action(&window, "win.step-forward", None).unwrap();
    WidgetExt::activate_action(&window, "win.step-forward", None).unwrap();
    assert_eq!(window.playhead_ns(), frame_t(3));
    WidgetExt::activate_action(&window, "win.step-back", None).unwrap();
    assert_eq!(window.playhead_ns(), frame_t(2));
    WidgetExt::activate_action(&window, "win.end", None).unwrap();
    assert_eq!(window.playhead_ns(), window.index().unwrap().duration_ns);
    WidgetExt::activate_action(&window, "win.home", None).unwrap();
    assert_eq!(window.playhead_ns(), frame_t(1));
    window.close();
}

fn real_keys_move_the_playhead(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    let title = "keys test — gdkrecord viewer";
    window.set_title(Some(title));
    pump_for(Duration::from_millis(200));
    let id = gui::x11_window_id(&ctx.display, title);
    xdotool(&ctx.display, &["mousemove", "--window", &id, "300", "200"]);
    xdotool(&ctx.display, &["windowfocus", &id]);
    xdotool(&ctx.display, &["key", "Right"]);
    assert!(
        pump_until(Duration::from_secs(3), || window.playhead_ns()
            == frame_t(2)),
        "Right steps a frame: {}",
        window.playhead_ns()
    );
    xdotool(&ctx.display, &["key", "Right", "Right"]);
    assert!(
        pump_until(Duration::from_secs(3), || window.playhead_ns()
            == frame_t(4)),
        "Right Right: {}",
        window.playhead_ns()
    );
    xdotool(&ctx.display, &["key", "Left"]);
    assert!(
        pump_until(Duration::from_secs(3), || window.playhead_ns()
            == frame_t(3)),
        "Left steps back"
    );
    xdotool(&ctx.display, &["key", "End"]);
    let end = window.index().unwrap().duration_ns;
    assert!(
        pump_until(Duration::from_secs(3), || window.playhead_ns() == end),
        "End goes to the end"
    );
    xdotool(&ctx.display, &["key", "Home"]);
    assert!(
        pump_until(Duration::from_secs(3), || window.playhead_ns()
            == frame_t(1)),
        "Home goes to the first frame"
    );
    // Ctrl+O opens the file chooser; Escape closes it again.
    xdotool(&ctx.display, &["key", "ctrl+o"]);
    let chooser_open = || {
        gtk::Window::list_toplevels().into_iter().any(|w| {
            w.downcast_ref::<gtk::Window>().is_some_and(|w| {
                w.is_visible() && w.title().is_some_and(|t| t == "Open a recording")
            })
        })
    };
    assert!(
        pump_until(Duration::from_secs(5), chooser_open),
        "Ctrl+O shows the file chooser"
    );
    xdotool(&ctx.display, &["key", "Escape"]);
    assert!(
        pump_until(Duration::from_secs(5), || !chooser_open()),
        "Escape closes it"
    );
    xdotool(&ctx.display, &["windowfocus", &id]);
    // Space plays: at 0.25× the 150 ms recording takes 0.6 s, so it is still playing
    // (moving) when checked, and stops by itself at the end.
    window.set_speed_index(0);
    xdotool(&ctx.display, &["key", "space"]);
    assert!(
        pump_until(Duration::from_secs(5), || window.playhead_ns() > frame_t(1)),
        "Space starts playing"
    );
    assert!(
        pump_until(Duration::from_secs(10), || window.playhead_ns() == end),
        "playing reaches the end"
    );
    window.close();
}

fn clicking_the_timeline_seeks(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    let title = "timeline test — gdkrecord viewer";
    window.set_title(Some(title));
    pump_for(Duration::from_millis(200));
    let timeline = window.timeline();
    let x = 0.5 * f64::from(timeline.width()) + 20.0;
    let expected = timeline.x_to_time(x);
    let point = timeline
        .compute_point(&window, &gtk::graphene::Point::new(x as f32, 40.0))
        .expect("timeline is inside the window");
    let (dx, dy) = window.surface_transform();
    let (wx, wy) = (
        (f64::from(point.x()) + dx) as i64,
        (f64::from(point.y()) + dy) as i64,
    );
    let id = gui::x11_window_id(&ctx.display, title);
    xdotool(
        &ctx.display,
        &[
            "mousemove",
            "--window",
            &id,
            &wx.to_string(),
            &wy.to_string(),
        ],
    );
    xdotool(&ctx.display, &["click", "1"]);
    let close = |t: u64| t.abs_diff(expected) < timeline.x_to_time(x + 2.0) - timeline.x_to_time(x);
    assert!(
        pump_until(Duration::from_secs(3), || close(window.playhead_ns())),
        "click seeks to {expected}, at {}",
        window.playhead_ns()
    );
    window.close();
}

fn side_panel_lists_the_frame_and_highlights(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    window.seek(frame_t(7) + 1);
    pump_for(Duration::from_millis(50));
    assert_eq!(window.side_panel().rects(), vec![SPINNER, CLICK_RECT]);
    let scene = window.canvas().scene().clone();
    assert_eq!(scene.size, [400, 300]);
    assert_eq!(scene.clicks.len(), 1, "the click of frame 7 is drawn");
    assert_eq!(
        scene.keys,
        vec!["q".to_owned()],
        "the key of frame 5 is in the caption"
    );
    window
        .side_panel()
        .emit_by_name::<()>("rect-selected", &[&CLICK_RECT.to_vec().to_variant()]);
    pump_for(Duration::from_millis(50));
    let pixels = render(&window.canvas());
    let edge = canvas_pixel(&window, &pixels, 200.0, 150.0);
    assert!(
        edge[0] > 200 && edge[2] < 100,
        "the highlighted rectangle is outlined in amber: {edge:?}"
    );
    window.close();
}

fn heatmap_and_accumulate_modes(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    window.set_mode(ViewMode::Accumulate);
    window.seek(frame_t(8));
    pump_for(Duration::from_millis(50));
    let pixels = render(&window.canvas());
    let early = canvas_pixel(&window, &pixels, 50.0, 50.0);
    assert!(
        is_damage_red(early),
        "accumulate keeps frame 3's damage at full strength: {early:?}"
    );
    window.set_mode(ViewMode::Heatmap);
    pump_for(Duration::from_millis(50));
    let heatmap = window
        .canvas()
        .scene()
        .heatmap
        .clone()
        .expect("heatmap mode computes a heatmap");
    assert_eq!(
        heatmap.count_at_pixel(380, 20),
        8,
        "spinner repainted in each of 8 frames"
    );
    assert_eq!(heatmap.count_at_pixel(50, 50), 1);
    assert_eq!(heatmap.count_at_pixel(150, 250), 0);
    let pixels = render(&window.canvas());
    let hot = canvas_pixel(&window, &pixels, 380.0, 20.0);
    let warm = canvas_pixel(&window, &pixels, 50.0, 50.0);
    assert_ne!(hot, warm, "more repaints, another colour");
    window.close();
}

fn popups_are_selectable(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    let index = window.index().unwrap();
    assert_eq!(index.surfaces.len(), 2);
    assert_eq!(
        window.surface(),
        Some(SurfaceId(1)),
        "the toplevel is shown first"
    );
    let dropdown = find_surface_dropdown(&window);
    dropdown.set_selected(1);
    pump_for(Duration::from_millis(50));
    assert_eq!(window.surface(), Some(SurfaceId(2)));
    window.seek(frame_t(9) + 1);
    pump_for(Duration::from_millis(50));
    assert_eq!(
        window.canvas().scene().size,
        [150, 100],
        "the popup is drawn at its size"
    );
    let pixels = render(&window.canvas());
    let popup_damage = canvas_pixel(&window, &pixels, 50.0, 25.0);
    assert!(
        is_damage_red(popup_damage),
        "popup damage drawn: {popup_damage:?}"
    );
    window.close();
}

fn find_surface_dropdown(window: &GdkrecordViewerWindow) -> gtk::DropDown {
    let titlebar = window.titlebar().expect("header bar");
    let mut found = Vec::new();
    collect_dropdowns(titlebar.upcast_ref(), &mut found);
    found
        .into_iter()
        .find(|d| d.tooltip_text().is_some_and(|t| t.starts_with("Surface")))
        .expect("surface menu")
}

fn collect_dropdowns(widget: &gtk::Widget, found: &mut Vec<gtk::DropDown>) {
    if let Some(dropdown) = widget.downcast_ref::<gtk::DropDown>() {
        found.push(dropdown.clone());
    }
    let mut child = widget.first_child();
    while let Some(c) = child {
        collect_dropdowns(&c, found);
        child = c.next_sibling();
    }
}

fn bad_files_show_a_banner_and_the_app_lives(ctx: &Ctx) {
    let random = ctx.dir.join("random.gdkrecord");
    std::fs::write(
        &random,
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let window = ctx.open(&random);
    let banner = window.banner_text().expect("a banner for a non-recording");
    assert!(
        banner.contains("not a gdkrecord recording") && banner.contains("random.gdkrecord"),
        "{banner}"
    );
    let empty = ctx.dir.join("empty.gdkrecord");
    std::fs::write(&empty, b"").unwrap();
    window.open_path(&empty);
    assert!(pump_until(Duration::from_secs(5), || !window.is_loading()));
    assert!(window.banner_text().unwrap().contains("empty file"));
    window.open_path(&ctx.dir.join("missing.gdkrecord"));
    assert!(pump_until(Duration::from_secs(5), || !window.is_loading()));
    assert!(window.banner_text().unwrap().contains("missing.gdkrecord"));
    // Still alive and useful: a good file opens in the same window.
    window.open_path(&ctx.fixture);
    assert!(pump_until(Duration::from_secs(5), || !window.is_loading()));
    assert_eq!(window.banner_text(), None);
    assert_eq!(window.index().unwrap().frames.len(), FRAMES as usize);
    window.close();
}

fn cut_files_show_the_readable_part(ctx: &Ctx) {
    let records = fixture_records();
    let whole = write_fixture(&ctx.dir.join("scratch.gdkrecord"), &records);
    // Cut inside the last frame record of frame 6 (two bytes short of its end).
    let mut writer = Writer::new(Vec::new()).unwrap();
    let mut cut_at = 0;
    for record in &records {
        writer.write(record).unwrap();
        if matches!(record, Record::Frame(f) if f.counter == 6) {
            cut_at = writer.finish().unwrap().len() - 2;
            break;
        }
    }
    let cut = ctx.dir.join("cut.gdkrecord");
    std::fs::write(&cut, &whole[..cut_at]).unwrap();
    let window = ctx.open(&cut);
    let banner = window.banner_text().expect("a banner for a cut file");
    assert!(
        banner.contains("cut") && banner.contains("cut.gdkrecord"),
        "{banner}"
    );
    assert_eq!(
        window.index().unwrap().frames.len(),
        5,
        "frames 1-5 are complete"
    );
    WidgetExt::activate_action(&window, "win.end", None).unwrap();
    pump_for(Duration::from_millis(50));
    assert!(
        window.canvas().scene().caption.contains("frame"),
        "the readable part replays"
    );
    window.close();
}

fn the_title_names_the_file(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    assert_eq!(
        window.title().unwrap().as_str(),
        "fixture.gdkrecord — gdkrecord viewer"
    );
    window.close();
}

fn dropping_a_file_opens_it(ctx: &Ctx) {
    let window = ctx.open(&ctx.dir.join("missing-at-first.gdkrecord"));
    let drop_target = window
        .observe_controllers()
        .into_iter()
        .filter_map(|c| c.ok()?.downcast::<gtk::DropTarget>().ok())
        .next()
        .expect("the window accepts drops");
    let files = gtk::gdk::FileList::from_array(&[gtk::gio::File::for_path(&ctx.fixture)]);
    // The signal carries the dropped value boxed in a GValue, as GTK emits it.
    let value = gtk::glib::BoxedValue(files.to_value());
    let accepted = drop_target.emit_by_name::<bool>("drop", &[&value, &10.0f64, &10.0f64]);
    assert!(accepted);
    assert!(pump_until(Duration::from_secs(5), || window
        .index()
        .is_some()
        && !window.is_loading()));
    assert_eq!(
        window.title().unwrap().as_str(),
        "fixture.gdkrecord — gdkrecord viewer"
    );
    window.close();
}

/// Runs the real binary with `args` on the test display until a window titled `title`
/// appears; returns whether it did and whether the process was still running then.
fn run_viewer(ctx: &Ctx, args: &[&Path], title: &str) -> (bool, bool) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gdkrecord-viewer"))
        .args(args)
        .env("DISPLAY", &ctx.display)
        .env("GDK_BACKEND", "x11")
        .env("GSETTINGS_BACKEND", "memory")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the viewer starts");
    let search = std::process::Command::new("timeout")
        .args(["10", "xdotool", "search", "--sync", "--name", title])
        .env("DISPLAY", &ctx.display)
        .output()
        .expect("xdotool runs");
    let appeared = search.status.success();
    // Let it read the file and show what it found before looking at it.
    std::thread::sleep(Duration::from_millis(500));
    let alive = child.try_wait().ok().flatten().is_none();
    let _ = child.kill();
    let _ = child.wait();
    (appeared, alive)
}

fn the_binary_opens_its_argument(ctx: &Ctx) {
    let (appeared, alive) = run_viewer(
        ctx,
        &[&ctx.fixture],
        "^fixture.gdkrecord — gdkrecord viewer$",
    );
    assert!(appeared, "a window titled after the file");
    assert!(alive);
}

fn the_binary_survives_a_bad_argument(ctx: &Ctx) {
    let bad = ctx.dir.join("not-a-recording.txt");
    std::fs::write(&bad, "just some text\n").unwrap();
    let (appeared, alive) = run_viewer(ctx, &[&bad], "^gdkrecord viewer$");
    assert!(appeared, "the window opens anyway");
    assert!(alive, "and the app did not crash");
}

/// The main menu's About item (`app.about`) shows the version, over the window.
fn the_about_dialog_shows_the_version(ctx: &Ctx) {
    let window = ctx.open(&ctx.fixture);
    WidgetExt::activate_action(&window, "app.about", None).expect("app.about exists");
    let mut dialog = None;
    pump_until(Duration::from_secs(10), || {
        dialog = gtk::Window::list_toplevels()
            .into_iter()
            .find_map(|w| w.downcast::<gtk::AboutDialog>().ok())
            .filter(|d| d.is_visible());
        dialog.is_some()
    });
    let dialog = dialog.expect("an About dialog appears");
    assert_eq!(dialog.version().as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(dialog.program_name().as_deref(), Some("gdkrecord viewer"));
    assert_eq!(dialog.transient_for().as_ref(), Some(window.upcast_ref()));
    dialog.close();
    window.close();
}

fn main() {
    let (xvfb, app) = gui::start_gtk();
    let dir = std::env::temp_dir().join(format!("gdkrecord-viewer-gui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = dir.join("fixture.gdkrecord");
    write_fixture(&fixture, &fixture_records());
    let ctx = Ctx {
        app,
        display: xvfb.display.clone(),
        dir: dir.clone(),
        fixture,
    };
    let tests: [(&str, Test); 14] = [
        (
            "damage_pixels_follow_the_frames",
            damage_pixels_follow_the_frames,
        ),
        ("actions_move_the_playhead", actions_move_the_playhead),
        ("real_keys_move_the_playhead", real_keys_move_the_playhead),
        ("clicking_the_timeline_seeks", clicking_the_timeline_seeks),
        (
            "side_panel_lists_the_frame_and_highlights",
            side_panel_lists_the_frame_and_highlights,
        ),
        ("heatmap_and_accumulate_modes", heatmap_and_accumulate_modes),
        ("popups_are_selectable", popups_are_selectable),
        (
            "bad_files_show_a_banner_and_the_app_lives",
            bad_files_show_a_banner_and_the_app_lives,
        ),
        (
            "cut_files_show_the_readable_part",
            cut_files_show_the_readable_part,
        ),
        ("the_title_names_the_file", the_title_names_the_file),
        ("dropping_a_file_opens_it", dropping_a_file_opens_it),
        (
            "the_binary_opens_its_argument",
            the_binary_opens_its_argument,
        ),
        (
            "the_binary_survives_a_bad_argument",
            the_binary_survives_a_bad_argument,
        ),
        (
            "the_about_dialog_shows_the_version",
            the_about_dialog_shows_the_version,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match std::panic::catch_unwind(AssertUnwindSafe(|| test(&ctx))) {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
        pump_for(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("{passed} passed, {failed} failed");
    drop(xvfb);
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
