//! Sessions recorded with real input and replayed into a new run of the same app: our
//! `counter`, its GTK 3 twin and gtk4-widget-factory.

use crate::*;

/// toplevel was given after its first frame.
pub(crate) struct Session {
    pub(crate) presses: Vec<(u32, f64, f64)>,
    pub(crate) keys: Vec<String>,
    sizes: Vec<(i32, i32)>,
    frames: usize,
    damage: usize,
}

pub(crate) fn session(records: &[Record]) -> Session {
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
pub(crate) fn same_session(recorded: &Session, replayed: &Session) -> TestResult {
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
pub(crate) fn counter_session_replays_the_same(ctx: &Ctx) -> TestResult {
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
pub(crate) fn gtk3_counter_session_replays_the_same(ctx: &Ctx) -> TestResult {
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
pub(crate) fn widget_factory_session_replays_the_same(ctx: &Ctx) -> TestResult {
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
