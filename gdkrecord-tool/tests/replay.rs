//! GUI tests of `replay`: a session recorded with xdotool (clicks, typing, a resize, the
//! quit key) replayed into a new run of the same app must give the same presses at the
//! same surface positions, the same keys in order, the same size, frames and damage; on
//! our `counter` sample, its GTK 3 twin (samples/gtk3/counter.py) and Debian's
//! gtk4-widget-factory (an app we did not write).
//! Then the errors: a recording without input, a window that never appears, a surface
//! the new run never creates, no display: exit 2, one line, the partial recording kept.
//!
//! `harness = false`, with the recorder's GUI-test harness (a private Xvfb, programs by
//! pid, no fixed sleeps): needs Xvfb, xdotool, gtk-4-examples, GTK 3's PyGObject, and the
//! workspace built (`cargo build --workspace --all-targets`).

#[macro_use]
#[path = "../../recorder/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;
#[path = "../../recorder/tests/support/gtk3_apps.rs"]
mod gtk3_apps;
#[path = "../../recorder/tests/support/wayland.rs"]
#[allow(dead_code)]
mod wayland;

use std::path::Path;
use std::process::{Command, ExitCode, Output, Stdio};
use std::time::{Duration, Instant};

use gdkrecord_format::{
    End, EndReason, Event, EventType, Frame, Header, Reader, Record, Size, Surface, SurfaceId,
    SurfaceKind, Writer, FORMAT_VERSION,
};

use support::{Ctx, Suite, Test, TestResult};

/// How long to wait for what a program should do quickly (a failure, not a measure);
/// a first GL frame on a cold llvmpipe can take several seconds.
const PATIENCE: Duration = Duration::from_secs(60);

fn read_log(path: &Path) -> Result<Vec<Record>, String> {
    let mut reader = Reader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .by_ref()
        .collect::<Result<Vec<Record>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads the growing log until `done` holds for its records.
fn wait_for_log(path: &Path, what: &str, done: impl Fn(&[Record]) -> bool) -> TestResult {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if read_log(path).is_ok_and(|records| done(&records)) {
            return Ok(());
        }
        ensure!(Instant::now() < deadline, "the log never showed {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(records: &[Record], event_type: EventType) -> Vec<&Event> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Event(e) if e.event_type == event_type => Some(e),
            _ => None,
        })
        .collect()
}

fn has_frame(records: &[Record]) -> bool {
    records.iter().any(|r| matches!(r, Record::Frame(_)))
}

/// `gdkrecord-tool ARGS` on the private display, with a limit on how long it may take.
fn tool(ctx: &Ctx, args: &[&str], env: &[(&str, Option<&str>)]) -> Result<Output, String> {
    let mut command = Command::new("timeout");
    command
        .arg("300")
        .arg(ctx.bin("gdkrecord-tool"))
        .args(args)
        .current_dir(&ctx.work)
        .env("DISPLAY", &ctx.display)
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        .env("GSETTINGS_BACKEND", "memory")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GTK_PATH")
        .env_remove("GTK_MODULES")
        .env_remove("GDKRECORD_MODULE")
        .stdin(Stdio::null());
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command
        .output()
        .map_err(|e| format!("cannot run gdkrecord-tool: {e}"))
}

/// `gdkrecord-tool replay REC -o OUT FLAGS... -- COMMAND...`, which must succeed; the new
/// recording's records and the tool's stderr.
fn replay(
    ctx: &Ctx,
    rec: &Path,
    out: &str,
    flags: &[&str],
    command: &[&str],
) -> Result<(Vec<Record>, String), String> {
    let rec = rec.display().to_string();
    let mut args = vec!["replay", &rec, "-o", out];
    args.extend(flags);
    args.push("--");
    args.extend(command);
    let output = tool(ctx, &args, &[])?;
    ensure!(
        output.status.success(),
        "replay failed: {}",
        stderr(&output)
    );
    Ok((read_log(&ctx.work.join(out))?, stderr(&output)))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The presses (button, position) and key names of a recording, and the sizes its first
/// toplevel was given after its first frame.
struct Session {
    presses: Vec<(u32, f64, f64)>,
    keys: Vec<String>,
    sizes: Vec<(i32, i32)>,
    frames: usize,
    damage: usize,
}

fn session(records: &[Record]) -> Session {
    let first_frame = records.iter().position(|r| matches!(r, Record::Frame(_)));
    Session {
        presses: events(records, EventType::BUTTON_PRESS)
            .iter()
            .map(|e| {
                (
                    e.button.unwrap_or(0),
                    e.x.unwrap_or(-1.0),
                    e.y.unwrap_or(-1.0),
                )
            })
            .collect(),
        keys: events(records, EventType::KEY_PRESS)
            .iter()
            .filter_map(|e| e.key.clone())
            .collect(),
        sizes: records[first_frame.unwrap_or(0)..]
            .iter()
            .filter_map(|r| match r {
                Record::Size(s) if s.surface == SurfaceId(1) => Some((s.width, s.height)),
                _ => None,
            })
            .collect(),
        frames: records
            .iter()
            .filter(|r| matches!(r, Record::Frame(_)))
            .count(),
        damage: records
            .iter()
            .filter(|r| matches!(r, Record::Damage(_)))
            .count(),
    }
}

/// The replayed session has the recorded one's presses (±1 px), keys and size.
fn same_session(recorded: &Session, replayed: &Session) -> TestResult {
    ensure!(
        recorded.presses.len() == replayed.presses.len(),
        "{} presses recorded, {} replayed: {:?} / {:?}",
        recorded.presses.len(),
        replayed.presses.len(),
        recorded.presses,
        replayed.presses
    );
    for (a, b) in recorded.presses.iter().zip(&replayed.presses) {
        ensure!(
            a.0 == b.0 && (a.1 - b.1).abs() <= 1.0 && (a.2 - b.2).abs() <= 1.0,
            "press {a:?} replayed as {b:?}"
        );
    }
    ensure!(
        recorded.keys == replayed.keys,
        "keys {:?} replayed as {:?}",
        recorded.keys,
        replayed.keys
    );
    // Each size given, at its exact size and in order (the app may change it after).
    let mut given = replayed.sizes.iter();
    for size in &recorded.sizes {
        ensure!(
            given.any(|s| s == size),
            "size {size:?} not replayed (sizes {:?} / {:?})",
            recorded.sizes,
            replayed.sizes
        );
    }
    ensure!(
        replayed.frames > 0 && replayed.damage > 0,
        "replayed: {} frames, {} damage",
        replayed.frames,
        replayed.damage
    );
    Ok(())
}

/// The `counter` sample: two clicks on its button, a click in its entry, `hi gtk`, Return,
/// a resize to 520×300, then Ctrl+Q, which quits it (so the replay's Ctrl+Q must too).
fn counter_session_replays_the_same(ctx: &Ctx) -> TestResult {
    let rec = ctx.log_path("counter-rec");
    let mut command = ctx.gtk_command(ctx.bin("counter"), &rec);
    command.args(["--exit-after", "120"]);
    let mut app = ctx.spawn(command)?;
    let window = ctx.window_of(app.pid())?;
    wait_for_log(&rec, "a first frame", has_frame)?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, (100, 80), 1)?;
    ctx.click(&window, (100, 80), 1)?;
    ctx.click(&window, (120, 137), 1)?;
    ctx.xdotool(&["type", "--delay", "30", "hi gtk"])?;
    ctx.xdotool(&["key", "Return"])?;
    ctx.resize(&window, 520, 300)?;
    wait_for_log(&rec, "the resize", |r| {
        r.iter()
            .any(|r| matches!(r, Record::Size(s) if (s.width, s.height) == (520, 300)))
    })?;
    ctx.xdotool(&["key", "ctrl+q"])?;
    let (status, err) = app.wait()?;
    ensure!(status.success(), "counter exited with {status}: {err}");

    let counter = ctx.bin("counter").display().to_string();
    let (replayed, messages) = replay(
        ctx,
        &rec,
        "counter-new.gdkrecord",
        &[],
        &[&counter, "--exit-after", "120"],
    )?;
    ensure!(
        messages.contains("arrived in REC's order"),
        "no timing line: {messages}"
    );
    let recorded = read_log(&rec)?;
    same_session(&session(&recorded), &session(&replayed))?;
    ensure!(
        session(&recorded).presses.len() == 3
            && session(&recorded).keys.len() >= 8
            && session(&recorded).sizes.contains(&(520, 300)),
        "the recorded session lacks input: {:?}",
        session(&recorded).keys
    );
    // The replayed Ctrl+Q quit the app: its recording ends normally, like REC's.
    ensure!(
        matches!(replayed.last(), Some(Record::End(_))),
        "the replayed run did not end by itself"
    );
    // The two runs compare, and a run compared with itself holds a 0 % regression.
    let rec_text = rec.display().to_string();
    let new = ctx.work.join("counter-new.gdkrecord").display().to_string();
    let diff = tool(ctx, &["diff", &rec_text, &new], &[])?;
    ensure!(diff.status.success(), "diff: {}", stderr(&diff));
    let check = tool(
        ctx,
        &["check", &new, "--baseline", &new, "--max-regression", "0%"],
        &[],
    )?;
    ensure!(check.status.success(), "check: {}", stderr(&check));
    Ok(())
}

/// The counter's GTK 3 twin (counter.py): two clicks on its button, a click in its entry,
/// `hi`, then Ctrl+Q. `replay` loads the GTK 3 recorder into it as `record` does
/// (`GTK_MODULES`), so the new run is recorded and gets the same input.
fn gtk3_counter_session_replays_the_same(ctx: &Ctx) -> TestResult {
    let rec = ctx.log_path("counter-gtk3-rec");
    let mut app = gtk3_apps::start_counter(
        ctx,
        ctx.gtk3_command("/usr/bin/python3", &rec),
        &["--exit-after", "120"],
    )?;
    let window = ctx.window_of(app.pid())?;
    wait_for_log(&rec, "a first frame", has_frame)?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    ctx.click(&window, gtk3_apps::BUTTON_CENTER, 1)?;
    ctx.click(&window, gtk3_apps::BUTTON_CENTER, 1)?;
    ctx.click(&window, gtk3_apps::ENTRY_POINT, 1)?;
    ctx.xdotool(&["type", "--delay", "30", "hi"])?;
    ctx.xdotool(&["key", "ctrl+q"])?;
    let (status, err) = app.wait()?;
    ensure!(status.success(), "counter.py exited with {status}: {err}");

    let script = gtk3_apps::counter_script().display().to_string();
    let (replayed, _) = replay(
        ctx,
        &rec,
        "counter-gtk3-new.gdkrecord",
        &[],
        &["/usr/bin/python3", &script, "--exit-after", "120"],
    )?;
    ensure!(
        matches!(replayed.first(), Some(Record::Header(h)) if h.gtk_version[0] == 3),
        "the replayed run was not recorded by the GTK 3 recorder"
    );
    let recorded = session(&read_log(&rec)?);
    ensure!(
        recorded.presses.len() == 3 && recorded.keys.len() >= 3,
        "the recorded session lacks input: {:?} {:?}",
        recorded.presses,
        recorded.keys
    );
    same_session(&recorded, &session(&replayed))?;
    ensure!(
        matches!(replayed.last(), Some(Record::End(_))),
        "the replayed Ctrl+Q did not quit the app"
    );
    Ok(())
}

/// gtk4-widget-factory: a click near the bottom of its window, Shift, a resize larger
/// (it has a minimum size), then killed; the replay ends it politely after a linger.
fn widget_factory_session_replays_the_same(ctx: &Ctx) -> TestResult {
    let program = "gtk4-widget-factory";
    let rec = ctx.log_path("factory-rec");
    let mut app = ctx.spawn(ctx.gtk_command(program, &rec))?;
    let window = ctx.window_of(app.pid())?;
    wait_for_log(&rec, "a first frame", has_frame)?;
    ctx.xdotool(&["windowfocus", "--sync", &window])?;
    let (width, height) = ctx.window_size(&window)?;
    ctx.click(&window, (width / 2, height - 12), 1)?;
    ctx.xdotool(&["key", "shift"])?;
    // Taller only: GTK 4.24's widget-factory takes a wider size for one frame, then
    // goes back to its own width (seen in the sid root), which a replay need not repeat.
    let (w, h) = (width, height + 40);
    ctx.resize(&window, w, h)?;
    wait_for_log(&rec, "the click, key and resize", |r| {
        !events(r, EventType::KEY_RELEASE).is_empty()
            && r.iter()
                .any(|r| matches!(r, Record::Size(s) if (s.width, s.height) == (w, h)))
    })?;
    app.kill9();

    let (replayed, _) = replay(ctx, &rec, "factory-new.gdkrecord", &[], &[program])?;
    same_session(&session(&read_log(&rec)?), &session(&replayed))?;
    // Asked to close (WM_DELETE_WINDOW), it exited normally: the end record is there. Or
    // it was stuck in its own close handler when its grace ran out: on GTK 4.24 (sid)
    // widget-factory's close can hang for seconds in GStreamer's teardown (g_thread_join
    // under gtk_video_set_media_stream), which the recorder's stall samples after the
    // last frame show.
    let ended = matches!(replayed.last(), Some(Record::End(_)));
    let stuck_closing = replayed
        .iter()
        .rev()
        .take_while(|r| !matches!(r, Record::Frame(_)))
        .any(|r| matches!(r, Record::StallSample(_)));
    ensure!(
        ended || stuck_closing,
        "the replayed run was not closed politely, nor stuck closing"
    );
    Ok(())
}

/// The start of a synthetic recording: a header, a 400×200 toplevel (surface 1) and its
/// first frame.
fn painted_toplevel() -> Vec<Record> {
    vec![
        Record::Header(Header {
            t_ns: 0,
            format_version: FORMAT_VERSION,
            recorder_version: "0.1.0".into(),
            pid: 1,
            program: "app".into(),
            argv: vec!["app".into()],
            gtk_version: [4, 8, 3],
            start_unix_ns: 0,
            start_monotonic_ns: 0,
            display_backend: "x11".into(),
            display_name: ":99".into(),
            damage_capture: true,
            damage_note: String::new(),
            damage_layout: String::new(),
        }),
        surface(1, SurfaceKind::TOPLEVEL, None),
        Record::Frame(Frame {
            t_ns: 10_000,
            surface: SurfaceId(1),
            counter: 0,
            end_ns: 20_000,
            before_paint: None,
            update: None,
            layout: None,
            paint: None,
            after_paint: None,
        }),
    ]
}

fn surface(id: u32, kind: SurfaceKind, parent: Option<u32>) -> Record {
    Record::Surface(Surface {
        t_ns: u64::from(id) * 1_000,
        surface: SurfaceId(id),
        surface_kind: kind,
        parent: parent.map(SurfaceId),
        type_name: "GdkX11Toplevel".into(),
        widget_type: None,
        width: 400,
        height: 200,
        scale_factor: 1,
    })
}

/// A click (press and release) of button 1 at `at` on `surface`, `ms` after the start.
fn click(ms: u64, surface: u32, at: (f64, f64)) -> [Record; 2] {
    [EventType::BUTTON_PRESS, EventType::BUTTON_RELEASE].map(|event_type| {
        let mut event = Event::new(ms * 1_000_000, SurfaceId(surface), event_type, ms as u32);
        event.x = Some(at.0);
        event.y = Some(at.1);
        event.button = Some(1);
        Record::Event(event)
    })
}

/// Writes `records` and an end record at `end_ms`.
fn write_recording(path: &Path, mut records: Vec<Record>, end_ms: u64) -> TestResult {
    records.push(Record::End(End {
        t_ns: end_ms * 1_000_000,
        reason: EndReason::EXIT,
        records: records.len() as u64,
        dropped: 0,
    }));
    let mut writer = Writer::new(Vec::new()).map_err(|e| e.to_string())?;
    for record in &records {
        writer.write(record).map_err(|e| e.to_string())?;
    }
    let bytes = writer.finish().map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| e.to_string())
}

/// `blocker` blocks its main loop for 300 ms when its button is clicked. REC clicks it,
/// then clicks beside it 50 ms later: replayed, the second click is sent 50 ms after the
/// first, during the block; with `--wait-idle`, only once the block is over.
fn wait_idle_holds_input_until_the_app_is_idle(ctx: &Ctx) -> TestResult {
    let rec = ctx.work.join("blocker-clicks.gdkrecord");
    let mut records = painted_toplevel();
    records.extend(click(300, 1, (100.0, 50.0)));
    records.extend(click(350, 1, (250.0, 80.0)));
    // `q` quits the blocker when released.
    for (ms, event_type) in [(900, EventType::KEY_PRESS), (920, EventType::KEY_RELEASE)] {
        let mut quit = Event::new(ms * 1_000_000, SurfaceId(1), event_type, ms as u32);
        quit.keyval = Some(0x71);
        quit.key = Some("q".into());
        records.push(Record::Event(quit));
    }
    write_recording(&rec, records, 1_000)?;
    let blocker = ctx.bin("blocker").display().to_string();
    // The X server's times of the two presses, as the new recording has them.
    let gap_ms = |out: &str, flags: &[&str]| -> Result<u32, String> {
        let (records, _) = replay(ctx, &rec, out, flags, &[&blocker, "--exit-after", "60"])?;
        let presses = events(&records, EventType::BUTTON_PRESS);
        ensure!(presses.len() == 2, "{} presses replayed", presses.len());
        Ok(presses[1].time_ms.wrapping_sub(presses[0].time_ms))
    };
    let paced = gap_ms("blocker-paced.gdkrecord", &[])?;
    ensure!(
        paced < 250,
        "without --wait-idle the second click came {paced} ms after the first"
    );
    let waited = gap_ms("blocker-idle.gdkrecord", &["--wait-idle"])?;
    ensure!(waited >= 300, "with --wait-idle the second click came {waited} ms after the first, during the 300 ms block");
    Ok(())
}

/// A Wayland app in weston nested in the X display (kiosk shell: fullscreen at the
/// output's origin): a click on `counter`'s button and a key land at their recorded
/// surface positions; the recorded resize is left out, with a warning.
fn wayland_app_in_nested_weston_is_replayed(ctx: &Ctx) -> TestResult {
    let weston = wayland::Weston::start(ctx, 640, 400)?;
    let rec = ctx.work.join("wayland-session.gdkrecord");
    let mut records = painted_toplevel();
    records.extend(click(300, 1, (100.0, 80.0)));
    for (ms, event_type) in [(400, EventType::KEY_PRESS), (420, EventType::KEY_RELEASE)] {
        let mut key = Event::new(ms * 1_000_000, SurfaceId(1), event_type, ms as u32);
        key.keyval = Some(0x78);
        key.key = Some("x".into());
        key.keycode = Some(53);
        records.push(Record::Event(key));
    }
    records.push(Record::Size(Size {
        t_ns: 500_000_000,
        surface: SurfaceId(1),
        width: 500,
        height: 300,
    }));
    write_recording(&rec, records, 600)?;
    let rec = rec.display().to_string();
    let counter = ctx.bin("counter").display().to_string();
    let runtime_dir = weston.runtime_dir.display().to_string();
    let output = tool(
        ctx,
        &[
            "replay",
            &rec,
            "-o",
            "wayland-new.gdkrecord",
            "--",
            &counter,
        ],
        &[
            ("GDK_BACKEND", Some("wayland")),
            ("WAYLAND_DISPLAY", Some(&weston.socket)),
            ("XDG_RUNTIME_DIR", Some(&runtime_dir)),
        ],
    )?;
    let messages = stderr(&output);
    ensure!(output.status.success(), "replay failed: {messages}");
    ensure!(
        messages.contains("the 1 resizes are not replayed"),
        "no warning about the resize: {messages}"
    );
    let replayed = read_log(&ctx.work.join("wayland-new.gdkrecord"))?;
    ensure!(
        matches!(replayed.first(), Some(Record::Header(h)) if h.display_backend == "wayland"),
        "not a Wayland run"
    );
    let session = session(&replayed);
    ensure!(
        session.presses.len() == 1
            && (session.presses[0].1 - 100.0).abs() <= 1.0
            && (session.presses[0].2 - 80.0).abs() <= 1.0,
        "presses {:?}",
        session.presses
    );
    ensure!(session.keys == ["x"], "keys {:?}", session.keys);
    Ok(())
}

/// A recording with a toplevel that painted, and a press on it or on a popup.
fn synthetic(path: &Path, press_on_popup: bool, with_input: bool) -> TestResult {
    let mut records = painted_toplevel();
    if press_on_popup {
        records.push(surface(2, SurfaceKind::POPUP, Some(1)));
    }
    if with_input {
        let target = if press_on_popup { 2 } else { 1 };
        records.push(click(300, target, (10.0, 10.0))[0].clone());
    }
    write_recording(path, records, 400)
}

/// Runs a replay that must fail: exit 2, one line on stderr holding `problem`.
fn replay_fails(
    ctx: &Ctx,
    args: &[&str],
    env: &[(&str, Option<&str>)],
    problem: &str,
) -> TestResult {
    let output = tool(ctx, args, env)?;
    let err = stderr(&output);
    ensure!(
        output.status.code() == Some(2),
        "{args:?}: exit {:?}: {err}",
        output.status.code()
    );
    let ours: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("gdkrecord-tool: ") && !l.contains("replaying"))
        .collect();
    ensure!(ours.len() == 1, "{args:?}: {err}");
    ensure!(ours[0].contains(problem), "{args:?}: {err}");
    Ok(())
}

fn replay_errors_exit_2_and_keep_the_partial_recording(ctx: &Ctx) -> TestResult {
    let dir = &ctx.work;
    let no_input = dir.join("no-input.gdkrecord");
    let on_toplevel = dir.join("on-toplevel.gdkrecord");
    let on_popup = dir.join("on-popup.gdkrecord");
    synthetic(&no_input, false, false)?;
    synthetic(&on_toplevel, false, true)?;
    synthetic(&on_popup, true, true)?;
    let counter = ctx.bin("counter").display().to_string();
    let path = |p: &Path| p.display().to_string();
    replay_fails(
        ctx,
        &["replay", &path(&no_input), "--", &counter],
        &[],
        "no-input.gdkrecord: no input to replay",
    )?;
    replay_fails(
        ctx,
        &["replay", "missing.gdkrecord", "--", &counter],
        &[],
        "missing.gdkrecord: cannot read",
    )?;
    replay_fails(
        ctx,
        &[
            "replay",
            &path(&on_toplevel),
            "-o",
            "never.gdkrecord",
            "--timeout",
            "1s",
            "--",
            "sleep",
            "30",
        ],
        &[],
        "window never appeared",
    )?;
    replay_fails(
        ctx,
        &["replay", &path(&on_toplevel), "--", &counter],
        &[("DISPLAY", None)],
        "no display",
    )?;
    replay_fails(
        ctx,
        &["replay", &path(&on_toplevel), "--", &counter],
        &[("DISPLAY", None), ("WAYLAND_DISPLAY", Some("wayland-0"))],
        "under Wayland no client may inject input",
    )?;
    replay_fails(
        ctx,
        &[
            "replay",
            &path(&on_popup),
            "-o",
            "partial.gdkrecord",
            "--timeout",
            "2s",
            "--",
            &counter,
        ],
        &[],
        "surface `toplevel 1 / popup 1` never appeared",
    )?;
    // The partial recording is kept and readable: the app's frames up to its end.
    let partial = read_log(&dir.join("partial.gdkrecord"))?;
    ensure!(has_frame(&partial), "the partial recording has no frame");
    ensure!(
        matches!(partial.first(), Some(Record::Header(_))),
        "the partial recording has no header"
    );
    Ok(())
}

fn main() -> ExitCode {
    let tests: &[Test] = &[
        (
            "counter_session_replays_the_same",
            counter_session_replays_the_same,
        ),
        (
            "gtk3_counter_session_replays_the_same",
            gtk3_counter_session_replays_the_same,
        ),
        (
            "widget_factory_session_replays_the_same",
            widget_factory_session_replays_the_same,
        ),
        (
            "wait_idle_holds_input_until_the_app_is_idle",
            wait_idle_holds_input_until_the_app_is_idle,
        ),
        (
            "wayland_app_in_nested_weston_is_replayed",
            wayland_app_in_nested_weston_is_replayed,
        ),
        (
            "replay_errors_exit_2_and_keep_the_partial_recording",
            replay_errors_exit_2_and_keep_the_partial_recording,
        ),
    ];
    support::run(
        Suite {
            name: "replay",
            binaries: &["counter", "blocker", "libgdkrecord_gtk3.so"],
            patience: PATIENCE,
        },
        tests,
    )
}
