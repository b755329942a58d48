//! All user-facing output of `kafka-image` (cargo's `Shell`).
//!
//! Streams: status lines, progress and errors go to stderr; the result of a verb goes to stdout, as
//! text or, with `--json`, as exactly one JSON document, so CI can parse stdout while people read
//! stderr. Progress is an animated spinner or bar only when stderr is a terminal and `--json` is off;
//! otherwise each update is a plain line, which reads well in CI logs.
//!
//! Errors are rendered in cargo's shape by [`Shell::print_error`]:
//!
//! ```text
//! error: failed to build `kafka:test`
//!
//! Caused by:
//!   `docker build …` failed (exit status: 1)
//! help: …
//! --- output of `docker` ---
//! …last lines of the command's output…
//! ---
//! ```

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::EngineError;

/// An error the user can fix, with the fix on its own `help:` line.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct UserError {
    /// What is wrong, naming the flag, file or image.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) help: String,
}

/// Where output goes and in which form. Made once in each verb from its `--json` flag.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shell {
    json: bool,
    animate: bool,
}

impl Shell {
    /// A shell for human output (animated when stderr is a terminal) or for `--json`.
    pub(crate) fn new(json: bool) -> Self {
        Self {
            json,
            animate: !json && std::io::stderr().is_terminal(),
        }
    }

    /// A status line on stderr, cargo style: the verb right-aligned, then the message.
    pub(crate) fn status(&self, verb: &str, message: impl std::fmt::Display) {
        eprintln!("{verb:>12} {message}");
    }

    /// A warning on stderr.
    pub(crate) fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("warning: {message}");
    }

    /// Starts a progress indicator for a long step. `len` is the number of units when known (a bar),
    /// `None` for a spinner.
    pub(crate) fn progress(&self, verb: &str, message: &str, len: Option<u64>) -> Progress {
        self.status(verb, message);
        let bar = self.animate.then(|| {
            let bar = match len {
                Some(n) => ProgressBar::new(n)
                    .with_style(bar_style("{elapsed:>12} [{bar:30}] {pos}/{len} {wide_msg}")),
                None => ProgressBar::new_spinner()
                    .with_style(bar_style("{spinner:>12} {elapsed} {wide_msg}")),
            };
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar }
    }

    /// Prints the result of a verb on stdout: `human` as text, or `value` as one JSON document.
    pub(crate) fn print_result<T: serde::Serialize>(&self, human: &str, value: &T) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (`kafka-image … | head`) is not worth a second error.
        let _ = if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(doc) => writeln!(out, "{doc}"),
                Err(e) => writeln!(out, "{{\"error\": {{\"message\": \"{e}\"}}}}"),
            }
        } else {
            writeln!(out, "{human}")
        };
    }

    /// Prints an error on stderr (and, with `--json`, as `{"error": …}` on stdout).
    pub(crate) fn print_error(&self, err: &anyhow::Error) {
        eprint!("{}", render_error(err));
        if self.json {
            let doc = serde_json::json!({ "error": {
                "message": err.to_string(),
                "causes": err.chain().skip(1).map(ToString::to_string).collect::<Vec<_>>(),
                "help": help_of(err),
            }});
            println!("{doc}");
        }
    }
}

/// A running progress indicator; see [`Shell::progress`].
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Shows what is happening now (the current build step, the layer being pushed).
    pub(crate) fn message(&self, message: &str) {
        let message = strip_ansi(message);
        match &self.bar {
            Some(bar) => bar.set_message(message),
            None => eprintln!("{:>12} {message}", ""),
        }
    }

    /// Moves a bar to `pos` units done (and grows its length if `len` is larger).
    pub(crate) fn position(&self, pos: u64, len: u64) {
        if let Some(bar) = &self.bar {
            if bar.length().is_some_and(|l| l < len) {
                bar.set_length(len);
            }
            bar.set_position(pos);
        }
    }

    /// Removes the indicator; the caller prints the outcome as a status line.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Removes terminal colour sequences (`ESC [ … m`) from what other programs print: the classic
/// builder puts them around the stderr of RUN steps, and Maven prints some even in batch mode.
/// Everything relayed from `docker`, `cargo` or `mvn` to the user goes through it.
pub(crate) fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn bar_style(template: &str) -> ProgressStyle {
    // The templates are constants of this module; a bad one is a bug caught by the tests below.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .progress_chars("=> ")
}

fn help_of(err: &anyhow::Error) -> Option<String> {
    // `downcast_ref` on the error itself also finds a `UserError` attached with `.context(…)`.
    if let Some(user) = err.downcast_ref::<UserError>() {
        return Some(user.help.clone());
    }
    err.chain().find_map(|cause| {
        cause
            .downcast_ref::<UserError>()
            .map(|u| u.help.clone())
            .or_else(|| {
                cause
                    .downcast_ref::<EngineError>()
                    .and_then(EngineError::help)
            })
    })
}

/// Renders an error and its causes, its help and the failed command's output, in cargo's shape.
pub(crate) fn render_error(err: &anyhow::Error) -> String {
    let mut out = format!("error: {err}\n");
    let causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
    if !causes.is_empty() {
        out.push_str("\nCaused by:\n");
        for cause in causes {
            let _ = writeln!(out, "  {cause}");
        }
    }
    if let Some(help) = help_of(err) {
        let _ = writeln!(out, "help: {help}");
    }
    let failed = err.chain().find_map(|c| c.downcast_ref::<EngineError>());
    if let Some(engine_err) = failed
        && let Some(stderr) = engine_err.stderr()
    {
        let program = match engine_err {
            EngineError::CommandFailed { program, .. }
            | EngineError::DockerSkippedning { program, .. } => program.as_str(),
            _ => "docker",
        };
        let _ = writeln!(
            out,
            "--- output of `{program}` ---\n{}\n---",
            strip_ansi(stderr).trim_end()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_causes_help_and_command_output() {
        let engine = EngineError::CommandFailed {
            program: "docker".into(),
            args: vec!["build".into(), ".".into()],
            status: "exit status: 1".into(),
            stderr: "#7 ERROR: sha512 mismatch\n".into(),
        };
        let err = anyhow::Error::new(engine).context("failed to build `kafka:test`");
        assert_eq!(
            render_error(&err),
            "error: failed to build `kafka:test`\n\nCaused by:\n  `docker build .` failed \
             (exit status: 1)\n--- output of `docker` ---\n#7 ERROR: sha512 mismatch\n---\n"
        );
    }

    #[test]
    fn help_comes_from_user_error_anywhere_in_chain() {
        let err = anyhow::Error::new(UserError {
            message: "`--kafka-tarball` `x.tgz` does not exist".into(),
            help: "download it from https://kafka.apache.org/downloads".into(),
        })
        .context("cannot build");
        let text = render_error(&err);
        assert!(text.starts_with("error: cannot build\n"), "{text}");
        assert!(text.ends_with("help: download it from https://kafka.apache.org/downloads\n"));
    }

    #[test]
    fn engine_help_is_shown_for_docker_skippedning() {
        let err = anyhow::Error::new(EngineError::DockerSkippedning {
            program: "docker".into(),
            stderr: "Cannot connect to the Docker daemon".into(),
        });
        let text = render_error(&err);
        assert!(text.contains("help: start the daemon"), "{text}");
        assert!(
            text.contains("Cannot connect to the Docker daemon"),
            "{text}"
        );
    }

    #[test]
    fn command_output_is_shown_without_colour_codes() {
        let engine = EngineError::CommandFailed {
            program: "docker".into(),
            args: vec!["build".into()],
            status: "exit status: 1".into(),
            stderr: "\u{1b}[91merror: boom\n\u{1b}[0m".into(),
        };
        let text = render_error(&anyhow::Error::new(engine));
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(
            text.contains("--- output of `docker` ---\nerror: boom\n---"),
            "{text:?}"
        );
    }

    #[test]
    fn bar_templates_are_valid() {
        for template in [
            "{elapsed:>12} [{bar:30}] {pos}/{len} {wide_msg}",
            "{spinner:>12} {elapsed} {wide_msg}",
        ] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
