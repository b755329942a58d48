//! The signal plumbing of supervision, and the only file that changes signal dispositions.
//!
//! Shaped like youki's `handle_foreground`: the signals we forward and `SIGCHLD` are *blocked*
//! before any child is spawned and then read one at a time from a `signalfd`, so there are no
//! asynchronous handlers and no `unsafe`. Blocking also matters when we are PID 1: the kernel
//! drops a signal sent to PID 1 that has the default disposition, but never a blocked one.
//! Children must not inherit that mask (a blocked SIGTERM would never reach the JVM), and Rust's
//! `Command` does not reset it, so [`SignalInbox::unblock_in_child`] restores it between `fork`
//! and `exec`.
//!
//! Before any of that, [`exit_on_stop_signals`] gives SIGTERM and SIGINT a handler that ends the
//! process at once with 128 + n: as PID 1 the entrypoint would otherwise ignore them (the kernel
//! drops default-disposition signals to PID 1), and `docker stop` would wait its whole timeout
//! while setup or storage runs. `exec` resets caught signals to their default, so Kafka starts
//! with its own handling. These are the crate's only `unsafe` blocks.

use std::io;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{
    SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigaction, sigprocmask,
};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Signals passed on to the supervised children: the stop signals (TERM, INT, HUP) plus QUIT
/// (the JVM prints a thread dump) and USR1/USR2, as tini and pid1-rs forward them.
pub(crate) const FORWARDED: [Signal; 6] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// Blocked signals, read synchronously; dropping it restores the previous signal mask.
#[derive(Debug)]
pub(crate) struct SignalInbox {
    fd: SignalFd,
    previous_mask: SigSet,
}

impl SignalInbox {
    /// Blocks [`FORWARDED`] and `SIGCHLD` in the calling thread and opens a `signalfd` for them.
    ///
    /// Call it before spawning children and before starting threads, so that every thread of
    /// the process has them blocked and none is delivered with its default action.
    pub(crate) fn open() -> anyhow::Result<Self> {
        // A signal ignored when we were started (`nohup` ignores SIGHUP; a shell starts
        // background jobs with SIGQUIT ignored) is discarded even while blocked, so it would
        // never reach the signalfd, and the child would inherit "ignored" and could not even
        // trap it. SIGTERM and SIGINT already have their handler (`exit_on_stop_signals`).
        let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
        for signal in FORWARDED.into_iter().filter(|s| !STOP.contains(s)) {
            // SAFETY: installing the default disposition runs no code of ours in a handler.
            unsafe { sigaction(signal, &default) }
                .with_context(|| format!("failed to reset the disposition of {signal}"))?;
        }
        let mut mask = SigSet::empty();
        for signal in FORWARDED {
            mask.add(signal);
        }
        mask.add(Signal::SIGCHLD);
        let previous_mask = mask
            .thread_swap_mask(SigmaskHow::SIG_BLOCK)
            .context("failed to block signals for supervision")?;
        let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .context("failed to open a signalfd for supervision")?;
        Ok(Self { fd, previous_mask })
    }

    /// The next signal that arrived, waiting up to `timeout` (forever for `None`).
    ///
    /// Returns `None` when the time ran out or the wait was interrupted.
    pub(crate) fn next(&mut self, timeout: Option<Duration>) -> anyhow::Result<Option<Signal>> {
        if let Some(signal) = self.read()? {
            return Ok(Some(signal));
        }
        let timeout = match timeout {
            None => PollTimeout::NONE,
            Some(duration) => PollTimeout::try_from(duration).unwrap_or(PollTimeout::MAX),
        };
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => self.read(),
            Err(error) => Err(error).context("failed to wait for signals"),
        }
    }

    /// Makes `command`'s process start with the signal mask we had before [`SignalInbox::open`].
    pub(crate) fn unblock_in_child(&self, command: &mut Command) {
        let mask = self.previous_mask;
        let restore = move || {
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None).map_err(io::Error::from)
        };
        // SAFETY: the closure runs in the forked child before `exec`, where only
        // async-signal-safe work is allowed: it copies a `sigset_t` captured by value and calls
        // `sigprocmask` (async-signal-safe per POSIX); it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(restore);
        }
    }

    fn read(&mut self) -> anyhow::Result<Option<Signal>> {
        let Some(info) = self
            .fd
            .read_signal()
            .context("failed to read the signalfd")?
        else {
            return Ok(None);
        };
        // The fd only reports signals of its mask, all of which `Signal` knows.
        let signal = i32::try_from(info.ssi_signo)
            .ok()
            .and_then(|number| Signal::try_from(number).ok())
            .with_context(|| format!("signalfd reported unknown signal {}", info.ssi_signo))?;
        Ok(Some(signal))
    }
}

impl Drop for SignalInbox {
    fn drop(&mut self) {
        // Restoring can only fail on an invalid `how`, which SIG_SETMASK is not.
        let _ = self.previous_mask.thread_set_mask();
    }
}

/// The signals that end the entrypoint before it execs Kafka.
pub(crate) const STOP: [Signal; 2] = [Signal::SIGTERM, Signal::SIGINT];

/// Ends the process with 128 + `signal`, as a shell reports a death by that signal.
extern "C" fn exit_with_signal(signal: nix::libc::c_int) {
    // SAFETY: `_exit` is async-signal-safe (POSIX) and takes no pointer; it ends the process
    // without running Rust code (no destructors, no locks), which is what a handler may do.
    unsafe { nix::libc::_exit(128 + signal) }
}

/// Makes SIGTERM and SIGINT end the process at once with 128 + n (see the module docs).
pub(crate) fn exit_on_stop_signals() -> anyhow::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(exit_with_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in STOP {
        // SAFETY: the handler only calls `_exit`, which is async-signal-safe (POSIX); it reads
        // and writes no shared state, so it is sound whatever the interrupted code was doing.
        unsafe { sigaction(signal, &action) }
            .with_context(|| format!("failed to install a handler for {signal}"))?;
    }
    Ok(())
}

/// Makes this process the reaper of its orphaned descendants, as PID 1 is by nature, so that a
/// grandchild left behind by a script is reaped here even outside a container.
pub(crate) fn set_child_subreaper(on: bool) -> anyhow::Result<()> {
    nix::sys::prctl::set_child_subreaper(on)
        .with_context(|| format!("failed to set PR_SET_CHILD_SUBREAPER to {on}"))
}
