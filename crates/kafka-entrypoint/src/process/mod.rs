//! Starting Kafka and supervising the children we must wait for: the PID 1 duties of SPEC §4.
//!
//! - [`exec`] replaces this process with Kafka (`run`), so the JVM becomes PID 1 and receives
//!   `docker stop`'s SIGTERM itself, as in the official image.
//! - [`Supervisor`] and [`run_supervised`] are for children we wait on (`cds-train`, the
//!   `kafka-storage.sh` fallback): the forwarded signals are blocked before the first spawn and
//!   passed on to every live child; every exited child is reaped with a `WNOHANG` loop, orphans
//!   too (we make ourselves their subreaper); the result is the child's exit code, or 128 + n
//!   when signal n killed it (the shell's convention, which `docker` reports as well).
//!
//! Until then, [`exit_on_stop_signals`] makes SIGTERM and SIGINT end the entrypoint at once
//! with 128 + n, so `docker stop` never waits for setup or storage.
//!
//! There is no grace period here: a forwarded SIGTERM is the child's to handle, and we keep
//! waiting for it. The signal mask and `signalfd` live in [`signals`].

mod allocator;
mod signals;

pub(crate) use allocator::SpinLockedDlmalloc;
pub(crate) use signals::exit_on_stop_signals;

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// Replaces the current process image with `command`; returns only the error when that fails.
pub(crate) fn exec(command: &mut Command) -> anyhow::Error {
    let error = command.exec();
    anyhow::Error::new(error).context(format!(
        "failed to execute `{}`",
        command.get_program().to_string_lossy()
    ))
}

/// Runs `command` to its end under supervision and returns its exit code (128 + n when signal
/// n killed it). Signals we receive meanwhile are forwarded to it.
pub(crate) fn run_supervised(command: &mut Command) -> anyhow::Result<i32> {
    let mut supervisor = Supervisor::new()?;
    let child = supervisor.spawn(command)?;
    supervisor.wait(&child, None)?.with_context(|| {
        format!(
            "internal error: `{}` was waited for without a deadline but did not exit",
            command.get_program().to_string_lossy()
        )
    })
}

/// The exit code a shell would report for a child's wait status: its own code, or 128 + n when
/// signal n killed it. `None` for stops and continues, which are not ends.
pub(crate) fn exit_code(status: WaitStatus) -> Option<(Pid, i32)> {
    match status {
        WaitStatus::Exited(pid, code) => Some((pid, code)),
        WaitStatus::Signaled(pid, signal, _) => Some((pid, 128 + signal as i32)),
        _ => None,
    }
}

/// Spawns children, forwards signals to them, reaps them and every orphan, and reports exits.
///
/// Create it before anything else that spawns children or threads; while it lives, no other
/// code may wait for children (it reaps all of them). Dropping it restores the signal mask and
/// stops being a subreaper, so that an `exec` that follows starts clean.
#[derive(Debug)]
pub(crate) struct Supervisor {
    inbox: signals::SignalInbox,
    live: Vec<Pid>,
    exited: HashMap<Pid, i32>,
}

impl Supervisor {
    /// Blocks the forwarded signals and SIGCHLD and becomes the subreaper of our descendants.
    pub(crate) fn new() -> anyhow::Result<Self> {
        let inbox = signals::SignalInbox::open()?;
        signals::set_child_subreaper(true)?;
        Ok(Self {
            inbox,
            live: Vec::new(),
            exited: HashMap::new(),
        })
    }

    /// Spawns `command` as a supervised child. Its stdio is as configured on `command`; its
    /// `Child` must not be waited for with std's `wait` (use [`Supervisor::wait`]).
    pub(crate) fn spawn(&mut self, command: &mut Command) -> anyhow::Result<Child> {
        self.inbox.unblock_in_child(command);
        let child = command.spawn().with_context(|| {
            format!(
                "failed to execute `{}`",
                command.get_program().to_string_lossy()
            )
        })?;
        self.live.push(pid_of(&child));
        Ok(child)
    }

    /// Waits until `child` exits and returns its exit code, or `None` when `timeout` passed
    /// first. Forwards every forwarded signal that arrives meanwhile to all live children.
    pub(crate) fn wait(
        &mut self,
        child: &Child,
        timeout: Option<Duration>,
    ) -> anyhow::Result<Option<i32>> {
        let pid = pid_of(child);
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        loop {
            self.reap()?;
            if let Some(code) = self.exited.remove(&pid) {
                return Ok(Some(code));
            }
            let remaining = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(remaining) if !remaining.is_zero() => Some(remaining),
                    _ => return Ok(None),
                },
            };
            match self.inbox.next(remaining)? {
                Some(Signal::SIGCHLD) | None => {}
                Some(signal) => self.forward(signal)?,
            }
        }
    }

    /// Sends `signal` to `child` if it is still running.
    pub(crate) fn signal(&mut self, child: &Child, signal: Signal) -> anyhow::Result<()> {
        let pid = pid_of(child);
        if !self.live.contains(&pid) {
            return Ok(());
        }
        match kill(pid, signal) {
            Ok(()) | Err(Errno::ESRCH) => Ok(()),
            Err(error) => Err(error).with_context(|| format!("failed to send {signal} to {pid}")),
        }
    }

    /// Whether `child` is still running (not yet reaped).
    pub(crate) fn is_running(&mut self, child: &Child) -> anyhow::Result<bool> {
        self.reap()?;
        Ok(self.live.contains(&pid_of(child)))
    }

    fn forward(&mut self, signal: Signal) -> anyhow::Result<()> {
        for pid in &self.live {
            match kill(*pid, signal) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("failed to forward {signal} to {pid}"));
                }
            }
        }
        Ok(())
    }

    /// Collects every child that has exited (ours and adopted orphans) without blocking.
    fn reap(&mut self) -> anyhow::Result<()> {
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return Ok(()),
                Ok(status) => {
                    if let Some((pid, code)) = exit_code(status)
                        && let Some(index) = self.live.iter().position(|live| *live == pid)
                    {
                        self.live.swap_remove(index);
                        self.exited.insert(pid, code);
                    }
                }
                Err(Errno::EINTR) => {}
                Err(error) => return Err(error).context("failed to reap child processes"),
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // Best effort: failing to clear the attribute only means an exec'd program would still
        // adopt orphans, which it reaps or not exactly as it would as PID 1.
        let _ = signals::set_child_subreaper(false);
    }
}

/// The pid of a spawned child. Pids fit in `i32` on every Unix (`pid_t`).
fn pid_of(child: &Child) -> Pid {
    Pid::from_raw(child.id().cast_signed())
}
