//! Replays of synthetic sessions: `--wait-idle`, a Wayland app in a nested weston, and
//! the errors (no input, no window, a surface never created, no display).

use crate::sessions::session;
use crate::*;

/// The start of a synthetic recording: a header, a 400×200 toplevel (surface 1) and its
/// first frame.
pub(crate) fn painted_toplevel() -> Vec<Record> {
    vec![
        Record::Header(Header {
            start_unix_ns: 0,
            start_monotonic_ns: 0,
            damage_layout: String::new(),
            ..Header::synthetic("app", 1)
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

pub(crate) fn surface(id: u32, kind: SurfaceKind, parent: Option<u32>) -> Record {
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
pub(crate) fn click(ms: u64, surface: u32, at: (f64, f64)) -> [Record; 2] {
    [EventType::BUTTON_PRESS, EventType::BUTTON_RELEASE].map(|event_type| {
        let mut event = Event::new(ms * 1_000_000, SurfaceId(surface), event_type, ms as u32);
        event.x = Some(at.0);
        event.y = Some(at.1);
        event.button = Some(1);
        Record::Event(event)
    })
}

/// Writes `records` and an end record at `end_ms`.
pub(crate) fn write_recording(path: &Path, mut records: Vec<Record>, end_ms: u64) -> TestResult {
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
pub(crate) fn wait_idle_holds_input_until_the_app_is_idle(ctx: &Ctx) -> TestResult {
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
pub(crate) fn wayland_app_in_nested_weston_is_replayed(ctx: &Ctx) -> TestResult {
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
pub(crate) fn synthetic(path: &Path, press_on_popup: bool, with_input: bool) -> TestResult {
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
pub(crate) fn replay_fails(
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

pub(crate) fn replay_errors_exit_2_and_keep_the_partial_recording(ctx: &Ctx) -> TestResult {
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
