//! Running the viewer's widgets for real in tests and examples: a private Xvfb, GTK on
//! it, main-loop pumping until a condition holds, rendering a widget into pixels, and
//! real input through xdotool.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gtk::prelude::*;
use gtk::{gdk, glib, graphene};

/// An X server of our own, stopped (by its pid) when dropped.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    /// Starts `Xvfb -displayfd`, which picks a free display number and tells us which.
    pub fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1440x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (apt-get install xvfb)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("Xvfb prints its display number");
        let display = format!(":{}", line.trim());
        Xvfb { child, display }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Xvfb, points GTK at it and initialises GTK; returns a registered application
/// with the viewer's shortcuts (not running: tests pump the main loop themselves).
pub fn start_gtk() -> (Xvfb, gtk::Application) {
    let xvfb = Xvfb::start();
    std::env::set_var("DISPLAY", &xvfb.display);
    std::env::remove_var("WAYLAND_DISPLAY");
    std::env::set_var("GDK_BACKEND", "x11");
    // No session bus in CI: keep GIO from trying to start one.
    std::env::set_var("GSETTINGS_BACKEND", "memory");
    gtk::init().expect("GTK initialises on Xvfb");
    let app = gtk::Application::builder()
        .application_id("org.gdkrecord.ViewerTest")
        .flags(gtk::gio::ApplicationFlags::NON_UNIQUE)
        .build();
    app.register(gtk::gio::Cancellable::NONE)
        .expect("application registers");
    gdkrecord_viewer::app::set_accels(&app);
    gdkrecord_viewer::app::add_app_actions(&app);
    (xvfb, app)
}

/// Runs the main loop until `done()` or `timeout`; returns whether `done()` held.
pub fn pump_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        while context.pending() {
            context.iteration(false);
        }
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

/// Runs the main loop for `duration`.
pub fn pump_for(duration: Duration) {
    pump_until(duration, || false);
}

/// A widget rendered into straight RGBA pixels.
pub struct Pixels {
    pub width: usize,
    pub height: usize,
    /// Premultiplied BGRA, as GDK downloads textures (cairo's ARGB32 on little endian).
    bgra: Vec<u8>,
    texture: gdk::Texture,
}

impl Pixels {
    /// The colour at (`x`, `y`) as RGB.
    pub fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let at = (y * self.width + x) * 4;
        let [b, g, r, a] = [
            self.bgra[at],
            self.bgra[at + 1],
            self.bgra[at + 2],
            self.bgra[at + 3],
        ];
        let unpremultiply = |c: u8| {
            if a == 0 {
                0
            } else {
                (u32::from(c) * 255 / u32::from(a)) as u8
            }
        };
        [unpremultiply(r), unpremultiply(g), unpremultiply(b)]
    }

    /// Saves the picture as a PNG.
    pub fn save_png(&self, path: &std::path::Path) {
        self.texture
            .save_to_png(path)
            .expect("texture saves as PNG");
    }
}

/// Renders `widget` as it looks now (through the window's own GSK renderer).
pub fn render(widget: &impl IsA<gtk::Widget>) -> Pixels {
    let widget = widget.as_ref();
    let (width, height) = (widget.width(), widget.height());
    assert!(width > 0 && height > 0, "widget is allocated");
    let paintable = gtk::WidgetPaintable::new(Some(widget));
    let snapshot = gtk::Snapshot::new();
    paintable.snapshot(&snapshot, f64::from(width), f64::from(height));
    let node = snapshot.to_node().expect("widget draws something");
    let renderer = widget
        .native()
        .and_then(|n| n.renderer())
        .expect("realized widget has a renderer");
    let texture = renderer.render_texture(
        &node,
        Some(&graphene::Rect::new(0.0, 0.0, width as f32, height as f32)),
    );
    let (width, height) = (texture.width() as usize, texture.height() as usize);
    let mut bgra = vec![0u8; width * height * 4];
    texture.download(&mut bgra, width * 4);
    Pixels {
        width,
        height,
        bgra,
        texture,
    }
}

/// Runs `xdotool ARGS` while pumping the main loop (so the app handles what it sends).
pub fn xdotool(display: &str, args: &[&str]) {
    let mut child = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .spawn()
        .expect("xdotool is installed (apt-get install xdotool)");
    let finished = pump_until(Duration::from_secs(10), || {
        child.try_wait().ok().flatten().is_some()
    });
    assert!(finished, "xdotool {args:?} finished");
    pump_for(Duration::from_millis(100));
}

/// The X window id of the (mapped) window titled exactly `title`, for xdotool.
pub fn x11_window_id(display: &str, title: &str) -> String {
    let output = Command::new("xdotool")
        .args(["search", "--name", &format!("^{}$", regex_escape(title))])
        .env("DISPLAY", display)
        .output()
        .expect("xdotool runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_else(|| panic!("a window titled {title:?} on {display}"))
        .to_owned()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_alphanumeric() || c == ' ' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}
