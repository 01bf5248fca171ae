//! `gdkrecord-tool record [-o FILE] -- CMD ARGS`: runs CMD with the recorder on GTK_PATH
//! (and `gdkrecord` added to GTK_MODULES, which only GTK 3 reads: each GTK finds its own
//! library there, see `module_dir.rs`), forwards the signals sent to us, exits with CMD's
//! status and says where the recording is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result};

use crate::cli::RecordArgs;
use crate::module_dir::{ensure_module_dir, GTK3_MODULE};

/// The child's pid for the signal handler (0: none yet).
static CHILD_PID: AtomicI32 = AtomicI32::new(0);

/// Signals we pass on to the child.
const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Forwards a signal that was sent to us alone (`kill PID`). A signal from the terminal
/// (Ctrl-C: `si_code` SI_KERNEL) already reached the child, which is in our process group;
/// sending it twice could turn a graceful quit into a forced one.
extern "C" fn forward_signal(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    let child = CHILD_PID.load(Ordering::Relaxed);
    // SAFETY: the kernel passes a valid siginfo with SA_SIGINFO.
    let from_terminal = !info.is_null() && unsafe { (*info).si_code } == libc::SI_KERNEL;
    if child > 0 && !from_terminal {
        // kill() is async-signal-safe.
        unsafe { libc::kill(child, signal) };
    }
}

fn install_forwarding() {
    for signal in FORWARDED {
        // SAFETY: a plain sigaction with a handler that only calls kill().
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Makes `command` load the recorder from `module_dir`, GTK 4 or GTK 3 alike: `GTK_PATH`
/// (GTK 4 scans it) and `GTK_MODULES` (GTK 3 loads the modules it names), each keeping the
/// user's entries. `record` and `replay` start their programs so.
pub fn load_recorder(command: &mut std::process::Command, module_dir: &Path) {
    command
        .env(
            "GTK_PATH",
            gtk_path(module_dir, std::env::var_os("GTK_PATH")),
        )
        .env("GTK_MODULES", gtk_modules(std::env::var_os("GTK_MODULES")));
}

/// GTK_PATH with the module directory first and the user's entries after it.
fn gtk_path(module_dir: &Path, existing: Option<OsString>) -> OsString {
    let mut path = module_dir.as_os_str().to_owned();
    if let Some(existing) = existing.filter(|p| !p.is_empty()) {
        path.push(":");
        path.push(existing);
    }
    path
}

/// GTK_MODULES with `gdkrecord` added after the user's modules (once).
fn gtk_modules(existing: Option<OsString>) -> OsString {
    let existing = existing.unwrap_or_default();
    let already = existing
        .to_string_lossy()
        .split([':', ','])
        .any(|name| name.trim() == GTK3_MODULE);
    if already {
        return existing;
    }
    let mut modules = existing;
    if !modules.is_empty() {
        modules.push(":");
    }
    modules.push(GTK3_MODULE);
    modules
}

/// The recording the child wrote: `-o`, else `<pid>-*.gdkrecord` in the working directory.
fn find_recording(output: Option<&Path>, pid: u32) -> Option<PathBuf> {
    if let Some(output) = output {
        // The recorder records beside a name it must not use (a symbolic link, a file
        // another process records into): `<stem>-<pid>.<extension>`.
        let stem = output.file_stem().unwrap_or_default().to_string_lossy();
        let beside = output.with_file_name(match output.extension() {
            Some(ext) => format!("{stem}-{pid}.{}", ext.to_string_lossy()),
            None => format!("{stem}-{pid}"),
        });
        if beside.is_file() {
            return Some(beside);
        }
        let is_link = output
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink());
        return (output.is_file() && !is_link).then(|| output.to_path_buf());
    }
    let prefix = format!("{pid}-");
    let cwd = std::env::current_dir().ok()?;
    std::fs::read_dir(&cwd)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".gdkrecord"))
        })
}

pub fn run(args: &RecordArgs) -> Result<ExitCode> {
    let module_dir = ensure_module_dir()?;
    let (program, program_args) = args.command.split_first().context("no command to record")?;
    let mut command = std::process::Command::new(program);
    command.args(program_args);
    load_recorder(&mut command, &module_dir);
    if let Some(output) = &args.output {
        command.env("GDKRECORD_FILENAME", output);
    }
    if args.pixels {
        command.env("GDKRECORD_PIXELS", "1");
    }
    install_forwarding();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {}", program.to_string_lossy()))?;
    CHILD_PID.store(child.id() as i32, Ordering::Relaxed);
    let status = child
        .wait()
        .with_context(|| format!("waiting for {}", program.to_string_lossy()))?;
    match find_recording(args.output.as_deref(), child.id()) {
        Some(path) => eprintln!("gdkrecord-tool: recording: {}", path.display()),
        None => eprintln!(
            "gdkrecord-tool: no recording was written ({} is not a GTK 3 or GTK 4 program, or it never opened a display)",
            program.to_string_lossy()
        ),
    }
    use std::os::unix::process::ExitStatusExt;
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    };
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtk_path_keeps_the_users_entries_after_ours() {
        let dir = Path::new("/m");
        assert_eq!(gtk_path(dir, None), "/m");
        assert_eq!(gtk_path(dir, Some("".into())), "/m");
        assert_eq!(gtk_path(dir, Some("/a:/b".into())), "/m:/a:/b");
    }

    #[test]
    fn gtk_modules_keeps_the_users_modules_and_adds_ours_once() {
        assert_eq!(gtk_modules(None), "gdkrecord");
        assert_eq!(gtk_modules(Some("".into())), "gdkrecord");
        assert_eq!(
            gtk_modules(Some("canberra-gtk-module".into())),
            "canberra-gtk-module:gdkrecord"
        );
        assert_eq!(gtk_modules(Some("a,gdkrecord".into())), "a,gdkrecord");
    }
}
