//! `counter`: a GTK 4 app with known geometry and behaviour, for testing the recorder.
//!
//! An undecorated 400x200 window (so surface and widget coordinates coincide) holds a
//! `GtkFixed` with, at fixed positions:
//! - the label "Clicked N times" at (20, 20);
//! - a 160x40 button "Click me" at (20, 60), which increments N;
//! - a 200 px wide text entry at (20, 120);
//! - a 24x24 drawing area at (300, 20) that toggles between red and blue every 500 ms,
//!   so exactly that square is repainted on the timer.
//!
//! Ctrl+Q quits. Options: `--exit-after SECS` quits by itself; `--print-layout` prints
//! `layout NAME X Y WIDTH HEIGHT` (window coordinates) for each widget once laid out,
//! then `ready`; `--crash-on-click abort|segv|kill` makes a click on the button end the
//! program right after the click's events were delivered: abort(), a write through a
//! null pointer, or SIGKILL sent to itself; `--still`: the square does not blink, so the
//! idle app's main loop sleeps (run it with `gtk-cursor-blink=false` too). Nothing else
//! is printed.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use gtk::prelude::*;
use gtk::{gio, glib};

/// Where the widgets go, in window coordinates.
const LABEL_AT: (f64, f64) = (20.0, 20.0);
const BUTTON_AT: (f64, f64) = (20.0, 60.0);
const BUTTON_SIZE: (i32, i32) = (160, 40);
const ENTRY_AT: (f64, f64) = (20.0, 120.0);
const ENTRY_WIDTH: i32 = 200;
const SQUARE_AT: (f64, f64) = (300.0, 20.0);
const SQUARE_SIZE: i32 = 24;
const WINDOW_SIZE: (i32, i32) = (400, 200);
const BLINK_PERIOD: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
struct Options {
    exit_after: Option<f64>,
    print_layout: bool,
    crash_on_click: Option<Crash>,
    /// No blinking square.
    still: bool,
}

/// How `--crash-on-click` crashes.
#[derive(Debug, Clone, Copy)]
enum Crash {
    Abort,
    Segv,
    Kill,
}

impl Crash {
    fn now(self) -> ! {
        match self {
            Crash::Abort => std::process::abort(),
            Crash::Segv => {
                // SAFETY: none; this is the crash the option asks for (SIGSEGV).
                unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
                std::process::abort()
            }
            Crash::Kill => {
                // SAFETY: plain syscalls; SIGKILL cannot be caught.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
                std::process::abort()
            }
        }
    }
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--exit-after" => {
                let value = args
                    .next()
                    .ok_or("--exit-after needs a number of seconds")?;
                let secs: f64 = value
                    .parse()
                    .map_err(|_| format!("--exit-after: not a number: {value}"))?;
                if !(secs.is_finite() && secs >= 0.0) {
                    return Err(format!("--exit-after: not a duration: {value}"));
                }
                options.exit_after = Some(secs);
            }
            "--print-layout" => options.print_layout = true,
            "--still" => options.still = true,
            "--crash-on-click" => {
                options.crash_on_click = match args.next().as_deref() {
                    Some("abort") => Some(Crash::Abort),
                    Some("segv") => Some(Crash::Segv),
                    Some("kill") => Some(Crash::Kill),
                    other => {
                        return Err(format!(
                            "--crash-on-click: abort, segv or kill, not {other:?}"
                        ))
                    }
                };
            }
            "-h" | "--help" => {
                println!(
                    "usage: counter [--exit-after SECS] [--print-layout] [--still] [--crash-on-click abort|segv|kill]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(options)
}

fn build_window(app: &gtk::Application, options: &Options) {
    let window = gtk::ApplicationWindow::builder()
        .application(app)
        .title("counter")
        .default_width(WINDOW_SIZE.0)
        .default_height(WINDOW_SIZE.1)
        .decorated(false)
        .build();
    let fixed = gtk::Fixed::new();

    let label = gtk::Label::new(Some("Clicked 0 times"));
    fixed.put(&label, LABEL_AT.0, LABEL_AT.1);

    let button = gtk::Button::with_label("Click me");
    button.set_size_request(BUTTON_SIZE.0, BUTTON_SIZE.1);
    fixed.put(&button, BUTTON_AT.0, BUTTON_AT.1);
    let clicks = Rc::new(Cell::new(0u32));
    let crash = options.crash_on_click;
    button.connect_clicked({
        let label = label.clone();
        move |_| {
            if let Some(crash) = crash {
                crash.now();
            }
            clicks.set(clicks.get() + 1);
            label.set_text(&format!("Clicked {} times", clicks.get()));
        }
    });

    let entry = gtk::Entry::new();
    entry.set_size_request(ENTRY_WIDTH, -1);
    fixed.put(&entry, ENTRY_AT.0, ENTRY_AT.1);

    let square = gtk::DrawingArea::new();
    square.set_content_width(SQUARE_SIZE);
    square.set_content_height(SQUARE_SIZE);
    let red = Rc::new(Cell::new(true));
    square.set_draw_func({
        let red = red.clone();
        move |_, cr, width, height| {
            if red.get() {
                cr.set_source_rgb(0.85, 0.1, 0.1);
            } else {
                cr.set_source_rgb(0.1, 0.2, 0.85);
            }
            cr.rectangle(0.0, 0.0, f64::from(width), f64::from(height));
            // A failed fill leaves the square unpainted for one frame: nothing to report.
            let _ = cr.fill();
        }
    });
    fixed.put(&square, SQUARE_AT.0, SQUARE_AT.1);
    if !options.still {
        glib::timeout_add_local(BLINK_PERIOD, {
            let square = square.downgrade();
            move || match square.upgrade() {
                Some(square) => {
                    red.set(!red.get());
                    square.queue_draw();
                    glib::ControlFlow::Continue
                }
                None => glib::ControlFlow::Break,
            }
        });
    }

    window.set_child(Some(&fixed));

    if options.print_layout {
        // The second tick comes after the first layout: bounds are final by then.
        let ticks = Cell::new(0);
        let widgets: Vec<(&str, gtk::Widget)> = vec![
            ("label", label.upcast()),
            ("button", button.upcast()),
            ("entry", entry.upcast()),
            ("square", square.upcast()),
        ];
        window.add_tick_callback(move |window, _| {
            ticks.set(ticks.get() + 1);
            if ticks.get() < 2 {
                return glib::ControlFlow::Continue;
            }
            for (name, widget) in &widgets {
                if let Some(b) = widget.compute_bounds(window) {
                    println!(
                        "layout {name} {} {} {} {}",
                        b.x(),
                        b.y(),
                        b.width(),
                        b.height()
                    );
                }
            }
            println!("ready");
            glib::ControlFlow::Break
        });
    }
    window.present();
}

fn main() -> glib::ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("counter: {message}");
            return glib::ExitCode::FAILURE;
        }
    };
    let app = gtk::Application::builder()
        .application_id("org.gdkrecord.Counter")
        .flags(gio::ApplicationFlags::NON_UNIQUE)
        .build();
    app.set_accels_for_action("app.quit", &["<Control>q"]);
    let quit = gio::SimpleAction::new("quit", None);
    quit.connect_activate({
        let app = app.downgrade();
        move |_, _| {
            if let Some(app) = app.upgrade() {
                app.quit();
            }
        }
    });
    app.add_action(&quit);
    if let Some(secs) = options.exit_after {
        glib::timeout_add_local_once(Duration::from_secs_f64(secs), {
            let app = app.downgrade();
            move || {
                if let Some(app) = app.upgrade() {
                    app.quit();
                }
            }
        });
    }
    app.connect_activate(move |app| build_window(app, &options));
    // Our options are ours: GApplication sees only the program name.
    let argv0 = std::env::args()
        .next()
        .unwrap_or_else(|| "counter".to_owned());
    app.run_with_args(&[argv0])
}
