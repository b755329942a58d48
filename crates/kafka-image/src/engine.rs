//! The Docker engine, driven through the `docker` CLI.
//!
//! Every call to Docker in `kafka-image` goes through [`ContainerEngine`], so the verbs can be tested
//! against a recording fake and the real engine lives in one place ([`DockerCli`]). We drive the CLI
//! rather than the engine API because multi-arch builds and pushes need `docker buildx`, which only
//! exists as a CLI plugin.
//!
//! A failed command keeps its program, arguments and stderr ([`EngineError::CommandFailed`]), and the
//! two set-up problems users hit first, Docker not installed and the daemon not running, have their
//! own variants with a `help` line ([`EngineError::help`]).

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader};
use std::process::{Command, Stdio};

/// The environment variable naming the docker CLI to run instead of `docker` from `PATH` (e.g. a
/// wrapper script, or `podman`).
pub(crate) const DOCKER_PROGRAM_ENV: &str = "KAFKA_IMAGE_DOCKER";

/// How many trailing lines of a streamed command's output an error keeps.
const STREAM_TAIL_LINES: usize = 40;

/// A failure to talk to the container engine. Each variant names the command that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum EngineError {
    /// The `docker` program is not on `PATH`.
    #[error("Docker is not installed: `{program}` was not found on PATH")]
    DockerNotInstalled {
        /// The program looked for.
        program: String,
    },
    /// The `docker` program exists but cannot reach the daemon.
    #[error("the Docker engine is not running: `{program} version` could not reach the daemon")]
    DockerSkippedning {
        /// The program that was run.
        program: String,
        /// What the CLI said.
        stderr: String,
    },
    /// A multi-platform build was asked for, but the `buildx` plugin is not installed.
    #[error("building for `{platforms}` needs `docker buildx`, which is not installed")]
    BuildxMissing {
        /// The platforms asked for, as given.
        platforms: String,
    },
    /// The program could not be started at all.
    #[error("failed to run `{program}`")]
    Spawn {
        /// The program that was run.
        program: String,
        /// Why it did not start.
        #[source]
        source: io::Error,
    },
    /// The command ran and exited unsuccessfully.
    #[error("`{program} {}` failed ({status})", args.join(" "))]
    CommandFailed {
        /// The program that was run.
        program: String,
        /// Its arguments.
        args: Vec<String>,
        /// How it ended, e.g. `exit status: 1`.
        status: String,
        /// Its stderr (for streamed commands: the last lines of its combined output).
        stderr: String,
    },
}

impl EngineError {
    /// What the user can do about it, when we know.
    pub(crate) fn help(&self) -> Option<String> {
        match self {
            Self::DockerNotInstalled { .. } => Some(
                "install Docker (https://docs.docker.com/engine/install/) or point \
                 `KAFKA_IMAGE_DOCKER` at the docker CLI"
                    .to_owned(),
            ),
            Self::DockerSkippedning { .. } => Some(
                "start the daemon (`sudo systemctl start docker` or `dockerd`), or set \
                 `DOCKER_HOST` to a running engine"
                    .to_owned(),
            ),
            Self::BuildxMissing { .. } => Some(
                "install the buildx plugin (https://github.com/docker/buildx#installing), or \
                 build one platform at a time without `--platform a,b`"
                    .to_owned(),
            ),
            Self::Spawn { .. } | Self::CommandFailed { .. } => None,
        }
    }

    /// The command's own error output, to show between rules under the error line.
    pub(crate) fn stderr(&self) -> Option<&str> {
        match self {
            Self::DockerSkippedning { stderr, .. } | Self::CommandFailed { stderr, .. } => {
                Some(stderr.as_str()).filter(|s| !s.trim().is_empty())
            }
            _ => None,
        }
    }
}

/// One layer of an image, as `docker history` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ImageLayer {
    /// The Dockerfile instruction that made it.
    pub(crate) created_by: String,
    /// Its size in bytes.
    pub(crate) size: u64,
}

/// The few facts about a local image that the verbs report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ImageSummary {
    /// The image id (`sha256:…`).
    pub(crate) id: String,
    /// Its uncompressed size in bytes.
    pub(crate) size: u64,
}

/// The container engine. Arguments are the docker CLI's (`["image", "inspect", …]`).
pub(crate) trait ContainerEngine {
    /// Runs a command to completion and returns its stdout. Fails with
    /// [`EngineError::CommandFailed`] (with stderr) on a non-zero exit.
    fn output(&self, args: &[String]) -> Result<String, EngineError>;

    /// Runs a long command (a build, a push), calling `on_line` with each line of its stdout and
    /// stderr as it comes. `env` is added to the command's environment.
    fn stream(
        &self,
        args: &[String],
        env: &[(&str, &str)],
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError>;

    /// The id and size of a local image, or `None` when no image has that name.
    fn inspect_image(&self, image: &str) -> Result<Option<ImageSummary>, EngineError> {
        let args = strings(&["image", "inspect", "--format", "{{.Id}} {{.Size}}", image]);
        match self.output(&args) {
            Ok(out) => Ok(parse_image_summary(&out)),
            Err(EngineError::CommandFailed { stderr, .. }) if is_no_such_object(&stderr) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The layers of a local image, newest first.
    fn image_history(&self, image: &str) -> Result<Vec<ImageLayer>, EngineError> {
        let args = strings(&[
            "history",
            "--no-trunc",
            "--human=false",
            "--format",
            "{{.Size}}\t{{.CreatedBy}}",
            image,
        ]);
        Ok(self
            .output(&args)?
            .lines()
            .filter_map(parse_history_line)
            .collect())
    }

    /// Whether the `buildx` plugin is installed.
    fn has_buildx(&self) -> bool {
        self.output(&strings(&["buildx", "version"])).is_ok()
    }
}

/// The real engine: the `docker` CLI (or the program in [`DOCKER_PROGRAM_ENV`]).
#[derive(Debug, Clone)]
pub(crate) struct DockerCli {
    program: OsString,
}

impl DockerCli {
    /// Finds the CLI and checks that the daemon answers, so later failures are about the command,
    /// not the set-up.
    pub(crate) fn connect() -> Result<Self, EngineError> {
        let program = std::env::var_os(DOCKER_PROGRAM_ENV).unwrap_or_else(|| "docker".into());
        let cli = Self { program };
        let args = strings(&["version", "--format", "{{.Server.Version}}"]);
        match cli.output(&args) {
            Ok(_) => Ok(cli),
            Err(EngineError::CommandFailed {
                program, stderr, ..
            }) => Err(EngineError::DockerSkippedning { program, stderr }),
            Err(e) => Err(e),
        }
    }

    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(args).stdin(Stdio::null());
        cmd
    }

    fn program_name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    fn spawn_error(&self, source: io::Error) -> EngineError {
        if source.kind() == io::ErrorKind::NotFound {
            EngineError::DockerNotInstalled {
                program: self.program_name(),
            }
        } else {
            EngineError::Spawn {
                program: self.program_name(),
                source,
            }
        }
    }
}

impl ContainerEngine for DockerCli {
    fn output(&self, args: &[String]) -> Result<String, EngineError> {
        let out = self
            .command(args)
            .output()
            .map_err(|e| self.spawn_error(e))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(EngineError::CommandFailed {
                program: self.program_name(),
                args: args.to_vec(),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
    }

    fn stream(
        &self,
        args: &[String],
        env: &[(&str, &str)],
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError> {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| self.spawn_error(e))?;
        let (line_tx, line_rx) = std::sync::mpsc::channel::<String>();
        // Both pipes are read on their own threads so neither can fill up and block the child.
        let readers: Vec<_> = [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        .map(|pipe| {
            let tx = line_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
        drop(line_tx);
        let mut tail = std::collections::VecDeque::with_capacity(STREAM_TAIL_LINES);
        for line in line_rx {
            on_line(&line);
            if tail.len() == STREAM_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        for reader in readers {
            // A reader thread only ends by running out of input; it cannot panic on our data.
            let _ = reader.join();
        }
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        if status.success() {
            Ok(())
        } else {
            Err(EngineError::CommandFailed {
                program: self.program_name(),
                args: args.to_vec(),
                status: status.to_string(),
                stderr: Vec::from(tail).join("\n"),
            })
        }
    }
}

/// Turns string literals into the owned arguments [`ContainerEngine`] takes.
pub(crate) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

fn is_no_such_object(stderr: &str) -> bool {
    let lower = stderr.to_ascii_lowercase();
    lower.contains("no such image") || lower.contains("no such object")
}

fn parse_image_summary(out: &str) -> Option<ImageSummary> {
    let (id, size) = out.trim().split_once(' ')?;
    Some(ImageSummary {
        id: id.to_owned(),
        size: size.trim().parse().ok()?,
    })
}

fn parse_history_line(line: &str) -> Option<ImageLayer> {
    let (size, created_by) = line.split_once('\t')?;
    Some(ImageLayer {
        created_by: created_by.trim().to_owned(),
        size: size.trim().parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_summary_parses_id_and_size() {
        let summary = parse_image_summary("sha256:abc 301606350\n").expect("parses");
        assert_eq!(
            summary,
            ImageSummary {
                id: "sha256:abc".into(),
                size: 301_606_350
            }
        );
    }

    #[test]
    fn image_summary_rejects_garbage() {
        assert_eq!(parse_image_summary("sha256:abc"), None);
        assert_eq!(parse_image_summary("sha256:abc big"), None);
    }

    #[test]
    fn history_line_keeps_instruction_with_tabs() {
        let layer = parse_history_line("1024\t/bin/sh -c #(nop)\tCMD").expect("parses");
        assert_eq!(layer.size, 1024);
        assert_eq!(layer.created_by, "/bin/sh -c #(nop)\tCMD");
    }

    #[test]
    fn missing_program_is_docker_not_installed() {
        let cli = DockerCli {
            program: "/nonexistent/docker-for-test".into(),
        };
        let err = cli.output(&strings(&["version"])).expect_err("cannot run");
        assert!(
            matches!(err, EngineError::DockerNotInstalled { .. }),
            "{err:?}"
        );
        assert!(err.help().expect("has help").contains("install Docker"));
    }

    #[test]
    fn failed_command_keeps_program_args_and_stderr() {
        let cli = DockerCli {
            program: "sh".into(),
        };
        let args = strings(&["-c", "echo boom >&2; exit 3"]);
        let err = cli.output(&args).expect_err("fails");
        let EngineError::CommandFailed {
            program,
            args: kept,
            status,
            stderr,
        } = &err
        else {
            panic!("unexpected {err:?}");
        };
        assert_eq!(program, "sh");
        assert_eq!(kept, &args);
        assert!(status.contains('3'), "{status}");
        assert_eq!(stderr.trim(), "boom");
        assert_eq!(err.stderr(), Some("boom\n"));
    }

    #[test]
    fn stream_sees_both_pipes_and_keeps_tail_on_failure() {
        let cli = DockerCli {
            program: "sh".into(),
        };
        let args = strings(&["-c", "echo out; echo \"err $X\" >&2; exit 1"]);
        let mut seen = Vec::new();
        let err = cli
            .stream(&args, &[("X", "42")], &mut |l| seen.push(l.to_owned()))
            .expect_err("fails");
        seen.sort();
        assert_eq!(seen, ["err 42", "out"]);
        let EngineError::CommandFailed { stderr, .. } = err else {
            panic!("unexpected")
        };
        assert!(
            stderr.contains("err 42") && stderr.contains("out"),
            "{stderr}"
        );
    }
}
