//! `replay --wait-idle`: before each input, ask the recorder in the app whether the app is
//! idle (its main loop asleep with no frame pending) and wait for the answer. Two pipes,
//! passed to the app in `GDKRECORD_IDLE_FDS=TOOL_PID,REQUEST,ANSWER`: the tool writes a
//! byte to REQUEST, the recorder writes one to ANSWER the next time the app goes to sleep
//! idle (see the recorder's `idle_signal` module).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

/// Our ends of the two pipes.
#[derive(Debug)]
pub struct IdleWatch {
    request: OwnedFd,
    answer: OwnedFd,
}

/// How often the answer pipe is looked at.
const POLL: Duration = Duration::from_millis(1);

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1, -1];
    // SAFETY: pipe2 fills the array it is given; close-on-exec until we choose otherwise.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are ours alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl IdleWatch {
    /// Makes the pipes and hands the app's ends to `command` (which keeps them open
    /// across exec); the app's ends are closed here once `command` has been spawned,
    /// which is why they are returned to the caller to drop after the spawn.
    pub fn attach(command: &mut Command) -> Result<(IdleWatch, [OwnedFd; 2])> {
        let (app_request, request) = pipe()?;
        let (answer, app_answer) = pipe()?;
        // SAFETY: F_SETFL on our own fresh descriptor.
        unsafe { libc::fcntl(answer.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let keep = [app_request.as_raw_fd(), app_answer.as_raw_fd()];
        command.env(
            "GDKRECORD_IDLE_FDS",
            format!("{},{},{}", std::process::id(), keep[0], keep[1]),
        );
        // SAFETY: only fcntl, which is async-signal-safe, between fork and exec.
        unsafe {
            command.pre_exec(move || {
                for fd in keep {
                    if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        Ok((IdleWatch { request, answer }, [app_request, app_answer]))
    }

    /// Asks whether the app is idle and waits for it to be, up to `timeout`;
    /// `running` says whether the app is still there (an error when it is not).
    pub fn wait(&self, timeout: Duration, mut running: impl FnMut() -> Result<()>) -> Result<()> {
        // Answers to earlier requests are stale: the input sent since may have woken it.
        while self.read_answer() {}
        // SAFETY: one byte from a static into our own pipe end.
        let written = unsafe { libc::write(self.request.as_raw_fd(), b"?".as_ptr().cast(), 1) };
        if written != 1 {
            bail!("the app no longer takes idle requests (it closed its end)");
        }
        let deadline = Instant::now() + timeout;
        loop {
            if self.read_answer() {
                return Ok(());
            }
            running()?;
            if Instant::now() > deadline {
                bail!("the app was never idle (main loop asleep, no frame pending) within {timeout:?}: it animates continuously, or runs without main-loop timing (GDKRECORD_MAINLOOP=0)");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Reads one answer byte, if one is there.
    fn read_answer(&self) -> bool {
        let mut byte = [0u8; 1];
        // SAFETY: reading one byte into our buffer from our non-blocking pipe end.
        unsafe { libc::read(self.answer.as_raw_fd(), byte.as_mut_ptr().cast(), 1) == 1 }
    }
}
