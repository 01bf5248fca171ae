//! Running one target on one input in a process of its own: a panic, an abort or a
//! crash is seen as such, a hang is killed at the time limit, memory is capped
//! (RLIMIT_AS) and its peak measured (`wait4`'s rusage), whatever the target does.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Limits every run gets.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time a run may take.
    pub time: Duration,
    /// Address space a run may map (bytes).
    pub address_space: u64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Exited 0 or 1 (a refusal with a message).
    Fine,
    /// Panicked, crashed or aborted: what was seen.
    Crash(String),
    /// Killed at the time limit.
    Timeout,
}

/// One run's result.
#[derive(Debug)]
pub struct Outcome {
    pub status: Status,
    /// Peak resident memory of the run (KiB).
    pub max_rss_kib: u64,
}

fn set_address_space(limit: u64) {
    let rlimit = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: setrlimit only reads `rlimit`.
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &rlimit) };
}

/// Waits for `pid`, killing it at `limits.time`.
fn wait(pid: libc::pid_t, limits: &Limits, stderr_path: &Path) -> Outcome {
    let start = Instant::now();
    let mut pause = Duration::from_micros(50);
    let mut timed_out = false;
    loop {
        let mut status = 0;
        // SAFETY: `rusage` is written by wait4.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let flags = if timed_out { 0 } else { libc::WNOHANG };
        let reaped = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if reaped == pid {
            let max_rss_kib = usage.ru_maxrss.max(0) as u64;
            let status = if timed_out {
                Status::Timeout
            } else {
                classify(status, stderr_path)
            };
            return Outcome {
                status,
                max_rss_kib,
            };
        }
        if reaped < 0 {
            return Outcome {
                status: Status::Crash(format!("wait4: {}", std::io::Error::last_os_error())),
                max_rss_kib: 0,
            };
        }
        if start.elapsed() > limits.time {
            // SAFETY: our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            timed_out = true;
            continue;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

fn classify(status: libc::c_int, stderr_path: &Path) -> Status {
    let stderr = std::fs::read_to_string(stderr_path).unwrap_or_default();
    let last_lines = || {
        let lines: Vec<&str> = stderr.lines().collect();
        lines[lines.len().saturating_sub(6)..].join("\n")
    };
    if libc::WIFSIGNALED(status) {
        return Status::Crash(format!(
            "killed by signal {} (6: an abort, such as an allocation over the memory limit)\n{}",
            libc::WTERMSIG(status),
            last_lines()
        ));
    }
    let code = libc::WEXITSTATUS(status);
    if code > 1 || stderr.contains("panicked") {
        return Status::Crash(format!("exit status {code}\n{}", last_lines()));
    }
    Status::Fine
}

/// Runs `target` in a forked child (its stderr into `stderr_path`).
pub fn in_child(limits: &Limits, stderr_path: &Path, target: impl FnOnce()) -> Outcome {
    let stderr = File::create(stderr_path).expect("create the fuzzer's scratch file");
    // SAFETY: the fuzzer is single-threaded when it forks; the child runs the target
    // and leaves with _exit, never returning into the parent's code.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        use std::os::fd::AsRawFd;
        // SAFETY: plain syscalls in the child.
        unsafe { libc::dup2(stderr.as_raw_fd(), libc::STDERR_FILENO) };
        set_address_space(limits.address_space);
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(target));
        // SAFETY: leaves the child without running the parent's atexit handlers.
        unsafe { libc::_exit(if ran.is_ok() { 0 } else { 101 }) };
    }
    if pid < 0 {
        return Outcome {
            status: Status::Crash(format!("fork: {}", std::io::Error::last_os_error())),
            max_rss_kib: 0,
        };
    }
    wait(pid, limits, stderr_path)
}

/// Runs `program args` (its output discarded, its stderr into `stderr_path`).
pub fn command(limits: &Limits, stderr_path: &Path, program: &Path, args: &[&str]) -> Outcome {
    let stderr = File::create(stderr_path).expect("create the fuzzer's scratch file");
    let address_space = limits.address_space;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            set_address_space(address_space);
            Ok(())
        })
    };
    match command.spawn() {
        Ok(child) => wait(child.id() as libc::pid_t, limits, stderr_path),
        Err(error) => Outcome {
            status: Status::Crash(format!("cannot start {}: {error}", program.display())),
            max_rss_kib: 0,
        },
    }
}
