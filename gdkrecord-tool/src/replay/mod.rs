//! `gdkrecord-tool replay REC [-o OUT] [--speed X] [--repeat N] [--wait-idle] -- CMD [ARGS...]`: runs
//! CMD with the recorder (as `record` does), waits until its first toplevel has painted,
//! then plays REC's input into it ([`script`]) at REC's pace relative to that first frame,
//! each on the surface of the same role at the same surface position, through XTEST
//! ([`x11`]), while following the new recording ([`follow`]) to know the new run's
//! surfaces. When the input is over the app ends as REC's did (its last keys may quit it),
//! or is asked to close after a short linger. Errors exit 2, keeping the partial OUT.
//!
//! A Wayland app takes input only from its compositor: when that is a weston nested in the
//! X display (kiosk shell, the app's first toplevel fullscreen at the origin of weston's X
//! window), input on that toplevel goes to weston's window; anything else is refused.

use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::cli::ReplayArgs;
use crate::input::{parse_time, Filter, Recording};
use crate::module_dir::ensure_module_dir;
use crate::record::load_recorder;

mod follow;
mod idle;
mod script;
mod timing;
mod x11;

use follow::{Follower, LiveSurface};
use idle::IdleWatch;
use script::{Action, Role, Script, Step};
use x11::Display;

/// How often the new recording and the app are looked at while waiting.
const POLL: Duration = Duration::from_millis(5);
/// How long the app may linger after the input, at least and at most, before it is
/// asked to close (REC's own linger, within these bounds).
const LINGER_MIN: Duration = Duration::from_millis(500);
const LINGER_MAX: Duration = Duration::from_secs(5);
/// How long a polite request to end is given before the next, firmer one.
const GRACE: Duration = Duration::from_secs(5);

/// Runs `replay`.
pub fn run(args: &ReplayArgs) -> Result<ExitCode> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        bail!("--speed must be a number above 0 (got {})", args.speed);
    }
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let timeout = Duration::from_nanos(parse_time(&args.timeout).context("--timeout")?);
    let script = script::read(Recording::open(&args.recording, Filter::default(), false)?)?;
    let outputs = output_paths(&args.recording, args.output.as_deref(), args.repeat);
    for out in &outputs {
        crate::output::refuse_input(&args.recording, out)?;
    }
    let mut display = Display::open()?;
    let module_dir = ensure_module_dir()?;
    let resizes = script.resizes();
    eprintln!(
        "gdkrecord-tool: replaying {} input events and {resizes} resizes of {}",
        script.steps.len() - resizes,
        args.recording.display()
    );
    for out in &outputs {
        let run = Run {
            script: &script,
            args,
            timeout,
            out,
        };
        run.play(&mut display, &module_dir)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// OUT, or `<REC's name>-replay.gdkrecord` in the working directory; with `--repeat N`,
/// `OUT-1` … `OUT-N` (the number before the extension).
fn output_paths(recording: &Path, output: Option<&Path>, repeat: u32) -> Vec<PathBuf> {
    let base = output.map(Path::to_path_buf).unwrap_or_else(|| {
        let stem = recording
            .file_stem()
            .map_or_else(|| "replay".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from(format!("{stem}-replay.gdkrecord"))
    });
    if repeat == 1 {
        return vec![base];
    }
    let stem = base
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let extension = base
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (1..=repeat)
        .map(|i| base.with_file_name(format!("{stem}-{i}{extension}")))
        .collect()
}

/// One replay into one new recording.
struct Run<'a> {
    script: &'a Script,
    args: &'a ReplayArgs,
    timeout: Duration,
    out: &'a Path,
}

/// The app being replayed into, ended (politely, then firmly) when dropped early.
struct App {
    child: Child,
    name: String,
    /// With `--wait-idle`: how to ask the app whether it is idle.
    idle: Option<IdleWatch>,
    /// For a Wayland app in a weston nested in the X display: weston's X window, which
    /// shows the app's first toplevel fullscreen.
    nested: Option<x11rb::protocol::xproto::Window>,
}

impl App {
    fn start(run: &Run<'_>, module_dir: &Path) -> Result<App> {
        let (program, program_args) = run
            .args
            .command
            .split_first()
            .context("no command to replay into")?;
        match std::fs::remove_file(run.out) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("{}: cannot replace", run.out.display()))
            }
        }
        let mut command = std::process::Command::new(program);
        command
            .args(program_args)
            .env("GDKRECORD_FILENAME", run.out);
        load_recorder(&mut command, module_dir);
        let (idle, app_ends) = if run.args.wait_idle {
            let (watch, app_ends) = IdleWatch::attach(&mut command)?;
            (Some(watch), Some(app_ends))
        } else {
            (None, None)
        };
        let child = command
            .spawn()
            .with_context(|| format!("cannot run {}", program.to_string_lossy()))?;
        // The app has its ends of the idle pipes now; ours would keep them open forever.
        drop(app_ends);
        Ok(App {
            child,
            name: program.to_string_lossy().into_owned(),
            idle,
            nested: None,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error when the app has exited.
    fn ensure_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited before the replay was over ({status})", self.name);
        }
        Ok(())
    }

    /// Waits up to `limit` for the app to exit; whether it did.
    fn wait_exit(&mut self, limit: Duration) -> Result<bool> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(true);
            }
            std::thread::sleep(POLL);
        }
        Ok(self.child.try_wait()?.is_some())
    }

    /// SIGTERM (the recorder writes the end of the recording), then SIGKILL.
    fn terminate(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on our own child, not reaped yet.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
            if !self.wait_exit(GRACE).unwrap_or(false) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.terminate();
    }
}

impl Run<'_> {
    fn play(&self, display: &mut Display, module_dir: &Path) -> Result<()> {
        let out = self.out.display();
        let mut app = App::start(self, module_dir)?;
        let mut follower = Follower::new(self.out);
        let origin_ns = self
            .wait_first_frame(display, &mut app, &mut follower)
            .with_context(|| format!("{out} (kept)"))?;
        let result = self.play_steps(display, &mut app, &mut follower, origin_ns);
        // Whatever happened, nothing stays pressed for the apps that come next.
        display.release_all()?;
        if let Err(error) = result {
            app.terminate();
            return Err(error.context(format!("{out} (kept, partial)")));
        }
        self.end_app(display, &mut app)?;
        follower.poll_ended()?;
        eprintln!(
            "gdkrecord-tool: recording: {out}; {}",
            timing::summary(self.script, &follower, self.args.speed)
        );
        Ok(())
    }

    /// Waits for the first toplevel's first frame; its end in CLOCK_MONOTONIC.
    fn wait_first_frame(
        &self,
        display: &Display,
        app: &mut App,
        follower: &mut Follower,
    ) -> Result<u64> {
        let deadline = Instant::now() + self.timeout;
        loop {
            follower.poll()?;
            if let Some(header) = &follower.header {
                if header.display_backend == "wayland" && app.nested.is_none() {
                    app.nested = Some(display.nested_weston()?.with_context(|| format!("{} runs on Wayland, where no client may inject input: replay it on X11 (GDK_BACKEND=x11, under Xvfb or Xwayland), or in a weston nested in this X display (docs/ci.md)", app.name))?);
                    if self.script.resizes() > 0 {
                        eprintln!("gdkrecord-tool: warning: the {} resizes are not replayed: in weston's kiosk shell the window stays fullscreen", self.script.resizes());
                    }
                }
                if let Some(end_ns) = follower.first_frame_end_ns {
                    return Ok(header.start_monotonic_ns + end_ns);
                }
            }
            app.ensure_running()?;
            if Instant::now() > deadline {
                bail!(
                    "{}'s window never appeared (no painted frame within {:?})",
                    app.name,
                    self.timeout
                );
            }
            std::thread::sleep(POLL);
        }
    }

    fn play_steps(
        &self,
        display: &mut Display,
        app: &mut App,
        follower: &mut Follower,
        origin_ns: u64,
    ) -> Result<()> {
        // A window manager focuses a new window; there may be none (Xvfb).
        let (role, _) = follower.first_toplevel().context("no toplevel")?;
        let window = self.window_for(display, app, follower, &role)?;
        display.focus(window.0)?;
        // With --wait-idle, the time spent waiting for the app delays the rest of the
        // input alike, so the gaps between inputs stay REC's.
        let mut delay_ns = 0;
        for step in &self.script.steps {
            let due = origin_ns + (step.at_ns as f64 / self.args.speed) as u64 + delay_ns;
            while monotonic_ns() < due {
                app.ensure_running()?;
                let left = Duration::from_nanos(due.saturating_sub(monotonic_ns()));
                std::thread::sleep(left.min(POLL));
            }
            if let Some(idle) = app.idle.take() {
                let waited = idle.wait(self.timeout, || app.ensure_running());
                app.idle = Some(idle);
                waited?;
                delay_ns += monotonic_ns().saturating_sub(due);
            }
            self.play_step(display, app, follower, step)?;
        }
        Ok(())
    }

    fn play_step(
        &self,
        display: &mut Display,
        app: &mut App,
        follower: &mut Follower,
        step: &Step,
    ) -> Result<()> {
        let (window, surface) = self.window_for(display, app, follower, &step.role)?;
        let scale = f64::from(surface.scale_factor.max(1));
        let at = |x: f64, y: f64| -> Result<(i32, i32)> {
            let (ox, oy) = display.origin(window)?;
            Ok((
                ox + (x * scale).round() as i32,
                oy + (y * scale).round() as i32,
            ))
        };
        match step.action {
            Action::Motion { x, y } => {
                let (x, y) = at(x, y)?;
                display.motion(x, y)
            }
            Action::Button {
                button,
                press,
                x,
                y,
            } => {
                let (x, y) = at(x, y)?;
                display.motion(x, y)?;
                display.button(u8::try_from(button).unwrap_or(1), press)
            }
            Action::Key {
                keycode,
                keyval,
                press,
            } => {
                let keycode = match keycode.and_then(|k| u8::try_from(k).ok()) {
                    Some(keycode) => Some(keycode),
                    None => match keyval {
                        Some(keyval) => display.keycode_of(keyval)?,
                        None => None,
                    },
                };
                match keycode {
                    Some(keycode) => display.key(keycode, press),
                    // No key of this display makes it: nothing to send.
                    None => Ok(()),
                }
            }
            Action::Scroll { button, clicks } => {
                for _ in 0..clicks {
                    display.button(button, true)?;
                    display.button(button, false)?;
                }
                Ok(())
            }
            Action::Resize { .. } if app.nested.is_some() => Ok(()),
            Action::Resize { width, height } => {
                let size = |v: i32| (f64::from(v.max(1)) * scale).round() as u32;
                display.resize(window, size(width), size(height))
            }
        }
    }

    /// The X window of the surface of `role` in the new run, waiting for it to appear.
    fn window_for(
        &self,
        display: &Display,
        app: &mut App,
        follower: &mut Follower,
        role: &Role,
    ) -> Result<(x11rb::protocol::xproto::Window, LiveSurface)> {
        if app.nested.is_some() && role.toplevel_number() != Some(1) {
            bail!("cannot place input on `{role}` under Wayland: only the first toplevel's position is known (fullscreen in weston's kiosk shell)");
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            follower.poll()?;
            if let Some(surface) = follower.surface(role).filter(|s| !s.destroyed) {
                if let Some(compositor) = app.nested {
                    return Ok((compositor, surface));
                }
                let windows = display.windows_of(app.pid())?;
                let found = match role.toplevel_number() {
                    Some(n) => windows
                        .iter()
                        .filter(|w| !w.override_redirect)
                        .nth(n.saturating_sub(1)),
                    // A popup: the newest override-redirect window of its size.
                    None => {
                        let scale = surface.scale_factor.max(1);
                        windows.iter().rev().find(|w| {
                            w.override_redirect
                                && i32::from(w.width) == surface.width * scale
                                && i32::from(w.height) == surface.height * scale
                        })
                    }
                };
                if let Some(window) = found {
                    return Ok((window.id, surface));
                }
            }
            app.ensure_running()?;
            if Instant::now() > deadline {
                bail!(
                    "the recording's surface `{role}` never appeared in the new run (waited {:?})",
                    self.timeout
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Lets the app end as REC's did, else asks it to close, then ends it.
    fn end_app(&self, display: &Display, app: &mut App) -> Result<()> {
        // REC's program exited by itself this long after its last input (its last keys
        // may have quit it): the new run gets as long to do the same.
        let linger = if self.script.ended {
            let after_input = self
                .script
                .end_ns
                .saturating_sub(self.script.last_step_ns());
            Duration::from_nanos((after_input as f64 / self.args.speed) as u64)
                .clamp(LINGER_MIN, LINGER_MAX)
        } else {
            LINGER_MIN
        };
        if app.wait_exit(linger)? {
            return Ok(());
        }
        let mut asked = false;
        for window in display.windows_of(app.pid())? {
            if !window.override_redirect {
                display.close(window.id)?;
                asked = true;
            }
        }
        // No X window to close (a Wayland app): SIGTERM is the polite request left.
        if !asked || !app.wait_exit(GRACE)? {
            app.terminate();
        }
        Ok(())
    }
}

impl Role {
    /// N for the N-th toplevel (`toplevel N`), `None` for any other surface.
    fn toplevel_number(&self) -> Option<usize> {
        self.0.strip_prefix("toplevel ")?.parse().ok()
    }
}

/// CLOCK_MONOTONIC in ns: the recorder's clock, so steps are due in the app's time.
fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_outputs_are_numbered_before_the_extension() {
        let rec = Path::new("ci/session.gdkrecord");
        assert_eq!(
            output_paths(rec, None, 1),
            [PathBuf::from("session-replay.gdkrecord")]
        );
        assert_eq!(
            output_paths(rec, Some(Path::new("out/run.gdkrecord")), 2),
            [
                PathBuf::from("out/run-1.gdkrecord"),
                PathBuf::from("out/run-2.gdkrecord")
            ]
        );
        assert_eq!(
            output_paths(rec, Some(Path::new("run")), 2)[1],
            PathBuf::from("run-2")
        );
    }

    #[test]
    fn only_toplevels_have_a_number() {
        assert_eq!(Role("toplevel 2".into()).toplevel_number(), Some(2));
        assert_eq!(Role("toplevel 1 / popup 1".into()).toplevel_number(), None);
    }
}
