//! `blocker`: a GTK 4 app that blocks its own main loop in known places, for testing
//! stall detection and dispatch timing.
//!
//! An undecorated 300x100 window holds a 160x40 button "Block" at (20, 30) (window
//! coordinates). Clicking it runs [`block_main_loop_for_300ms`]: 150 ms of busy work,
//! then a 150 ms `g_usleep` (which must sleep its full time even when a stack-sampling
//! signal interrupts it). Every 500 ms a timeout runs [`burn_cpu_for_30ms`], and adds
//! an idle that it removes again with `g_idle_remove_by_data()` (which must find it:
//! it compares the idle's source functions by identity).
//!
//! A worker thread runs its own `GMainContext` with a timeout source named
//! `blocker-worker` that burns 15 ms every 200 ms: a recorder must leave it alone.
//!
//! Keys: `q` quits when released (so a tool that sends the press and then the release
//! never sends into a window already gone: xdotool would die between the two and leave
//! the key held down, auto-repeating into the next program); `h` runs
//! [`hang_main_loop_forever`] (for recordings of a program killed while hung).
//!
//! Prints `ready` once the window is shown, `blocked N ms` after each block, and
//! `worker ticks N` at exit. Exits with status 3 when a sleep came back early, 4 when
//! `g_idle_remove_by_data()` did not find its idle, 5 when that idle ran, 6 when the
//! worker's timeout never ran. Options: `--exit-after SECS`.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use gtk::prelude::*;
use gtk::{gio, glib};

const WINDOW_SIZE: (i32, i32) = (300, 100);
const BUTTON_AT: (f64, f64) = (20.0, 30.0);
const BUTTON_SIZE: (i32, i32) = (160, 40);
const BURN_PERIOD: Duration = Duration::from_millis(500);
const BLOCK_BUSY: Duration = Duration::from_millis(150);
const BLOCK_SLEEP: Duration = Duration::from_millis(150);
const BURN: Duration = Duration::from_millis(30);

/// Spins (no system call) until `duration` has passed.
#[inline(never)]
fn busy_wait(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

/// What the button does: blocks the main loop for about 300 ms, half spinning, half in
/// `g_usleep`. Exits with status 3 if the sleep was cut short.
#[inline(never)]
fn block_main_loop_for_300ms() {
    let start = Instant::now();
    busy_wait(BLOCK_BUSY);
    let sleep_start = Instant::now();
    glib::usleep(BLOCK_SLEEP.as_micros() as u64);
    let slept = sleep_start.elapsed();
    if slept < BLOCK_SLEEP {
        eprintln!("blocker: g_usleep({BLOCK_SLEEP:?}) returned after {slept:?}");
        std::process::exit(3);
    }
    println!("blocked {} ms", start.elapsed().as_millis());
}

/// What the timeout does every 500 ms: 30 ms of CPU work.
#[inline(never)]
fn burn_cpu_for_30ms() {
    busy_wait(BURN);
}

/// What the `h` key does: blocks the main loop until the program is killed.
#[inline(never)]
fn hang_main_loop_forever() -> ! {
    loop {
        busy_wait(Duration::from_millis(50));
    }
}

/// Ticks of the worker thread's own main context.
static WORKER_TICKS: AtomicU32 = AtomicU32::new(0);

/// Starts a thread iterating its own main context, with a CPU-burning timeout on it.
fn start_worker() {
    let spawned = std::thread::Builder::new()
        .name("blocker-worker".into())
        .spawn(|| {
            let context = glib::MainContext::new();
            let main_loop = glib::MainLoop::new(Some(&context), false);
            let source = glib::timeout_source_new(
                Duration::from_millis(200),
                Some("blocker-worker"),
                glib::Priority::DEFAULT,
                || {
                    busy_wait(Duration::from_millis(15));
                    WORKER_TICKS.fetch_add(1, Ordering::Relaxed);
                    glib::ControlFlow::Continue
                },
            );
            source.attach(Some(&context));
            main_loop.run();
        });
    if let Err(error) = spawned {
        eprintln!("blocker: cannot start the worker thread: {error}");
        std::process::exit(6);
    }
}

/// The idle that must never run: it is removed right after being added.
unsafe extern "C" fn idle_that_must_not_run(_data: *mut c_void) -> glib::ffi::gboolean {
    eprintln!("blocker: an idle removed with g_idle_remove_by_data ran");
    std::process::exit(5);
}

/// A marker only this app's idles use as data.
static IDLE_MARKER: u8 = 0;

/// Adds an idle and removes it by its data, as apps do; exits with status 4 when GLib
/// cannot find it (what cloning the idle's source functions would cause).
fn check_idle_remove_by_data() {
    let data = (&raw const IDLE_MARKER).cast_mut().cast::<c_void>();
    // SAFETY: a C callback and a static marker, both valid for the program's life.
    let removed = unsafe {
        glib::ffi::g_idle_add(Some(idle_that_must_not_run), data);
        glib::ffi::g_idle_remove_by_data(data)
    };
    if removed == glib::ffi::GFALSE {
        eprintln!("blocker: g_idle_remove_by_data did not find the idle just added");
        std::process::exit(4);
    }
}

fn parse_exit_after() -> Result<Option<f64>, String> {
    let mut exit_after = None;
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
                exit_after = Some(secs);
            }
            "-h" | "--help" => {
                println!("usage: blocker [--exit-after SECS]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(exit_after)
}

fn build_window(app: &gtk::Application, exit_after: Option<f64>) {
    let window = gtk::ApplicationWindow::builder()
        .application(app)
        .title("blocker")
        .default_width(WINDOW_SIZE.0)
        .default_height(WINDOW_SIZE.1)
        .decorated(false)
        .build();
    let fixed = gtk::Fixed::new();
    let button = gtk::Button::with_label("Block");
    button.set_size_request(BUTTON_SIZE.0, BUTTON_SIZE.1);
    fixed.put(&button, BUTTON_AT.0, BUTTON_AT.1);
    button.connect_clicked(|_| block_main_loop_for_300ms());
    window.set_child(Some(&fixed));

    glib::timeout_add_local(BURN_PERIOD, || {
        burn_cpu_for_30ms();
        check_idle_remove_by_data();
        glib::ControlFlow::Continue
    });
    if let Some(secs) = exit_after {
        glib::timeout_add_local_once(Duration::from_secs_f64(secs), {
            let app = app.clone();
            move || app.quit()
        });
    }
    let keys = gtk::EventControllerKey::new();
    keys.connect_key_pressed(|_, key, _, _| match key.to_unicode() {
        Some('h') => hang_main_loop_forever(),
        _ => glib::Propagation::Proceed,
    });
    keys.connect_key_released({
        let app = app.clone();
        move |_, key, _, _| {
            if key.to_unicode() == Some('q') {
                app.quit();
            }
        }
    });
    window.add_controller(keys);
    window.connect_map(|_| {
        // Once mapped and idle again, input reaches the button.
        glib::idle_add_local_once(|| println!("ready"));
    });
    window.present();
}

fn main() -> glib::ExitCode {
    let exit_after = match parse_exit_after() {
        Ok(value) => value,
        Err(message) => {
            eprintln!("blocker: {message}");
            return glib::ExitCode::FAILURE;
        }
    };
    check_idle_remove_by_data();
    let app = gtk::Application::builder()
        .application_id("org.gdkrecord.Blocker")
        .flags(gio::ApplicationFlags::NON_UNIQUE)
        .build();
    app.connect_activate(move |app| build_window(app, exit_after));
    start_worker();
    // Our own options were parsed above; GTK gets none.
    let status = app.run_with_args::<&str>(&[]);
    let ticks = WORKER_TICKS.load(Ordering::Relaxed);
    println!("worker ticks {ticks}");
    if ticks == 0 {
        eprintln!("blocker: the worker thread's timeout never ran");
        return glib::ExitCode::from(6);
    }
    status
}
