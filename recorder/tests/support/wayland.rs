//! A headless Wayland compositor for GUI tests: weston with its X11 backend, inside the
//! suite's Xvfb (shared/notes/gtk-versions.md, "Wayland"). Its kiosk shell shows the
//! client fullscreen at the output's origin, so a position in weston's X window is the
//! same position on the client's surface, and xdotool's real (XTEST) input reaches the
//! client through weston as Wayland input.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Ctx;

/// A running weston, killed (by pid) and its runtime directory removed when dropped.
pub struct Weston {
    child: Child,
    /// `XDG_RUNTIME_DIR` for weston and its clients (mode 0700, as Wayland wants).
    pub runtime_dir: PathBuf,
    /// `WAYLAND_DISPLAY` of its socket.
    pub socket: String,
}

impl Drop for Weston {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.runtime_dir);
    }
}

impl Weston {
    /// Starts weston with a `width`x`height` output; returns once its socket exists. Its
    /// X window is the only one on the display, at the root's origin: root coordinates
    /// are output coordinates.
    pub fn start(ctx: &Ctx, width: u32, height: u32) -> Result<Weston, String> {
        use std::os::unix::fs::PermissionsExt;
        let runtime_dir = ctx.work.join("wayland-runtime");
        std::fs::create_dir_all(&runtime_dir).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| e.to_string())?;
        // `wayland-<suite>-<pid>`, after the work directory `gdkrecord-<suite>-<pid>`.
        let suite_and_pid = ctx
            .work
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .trim_start_matches("gdkrecord-")
                    .to_owned()
            })
            .unwrap_or_else(|| std::process::id().to_string());
        let socket = format!("wayland-{suite_and_pid}");
        let child = Command::new("weston")
            .args([
                "--backend=x11-backend.so",
                "--shell=kiosk-shell.so",
                &format!("--socket={socket}"),
                &format!("--width={width}"),
                &format!("--height={height}"),
                "--idle-time=0",
            ])
            .env("DISPLAY", &ctx.display)
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Its log beside the suite's, kept when a test fails.
            .stderr(
                std::fs::File::create(ctx.work.join(format!("{socket}.log")))
                    .map_or_else(|_| Stdio::null(), Stdio::from),
            )
            .spawn()
            .map_err(|e| format!("cannot start weston (apt-get install weston): {e}"))?;
        let mut weston = Weston {
            child,
            runtime_dir,
            socket,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !weston.runtime_dir.join(&weston.socket).exists() {
            if let Ok(Some(status)) = weston.child.try_wait() {
                return Err(format!("weston exited with {status} before listening"));
            }
            if Instant::now() > deadline {
                return Err("weston did not open its socket".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(weston)
    }

    /// Moves the pointer to `at` on the output (the client's surface, fullscreen) and
    /// clicks `button`.
    pub fn click(&self, ctx: &Ctx, at: (f64, f64), button: u32) -> Result<(), String> {
        ctx.xdotool(&[
            "mousemove",
            &at.0.to_string(),
            &at.1.to_string(),
            "click",
            &button.to_string(),
        ])
        .map(drop)
    }

    /// `command` (from [`Ctx::gtk_command`]) as a client of this compositor.
    pub fn client(&self, mut command: Command) -> Command {
        command
            .env("GDK_BACKEND", "wayland")
            .env("WAYLAND_DISPLAY", &self.socket)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir);
        command
    }
}
