//! The trivy command line as a [`Scanner`].
//!
//! Runs `trivy image --format json --quiet --scanners vuln IMAGE` and returns stdout. trivy keeps
//! its vulnerability database in its cache and downloads it from `ghcr.io` on first use; set
//! `TRIVY_SKIP_DB_UPDATE=true` / `TRIVY_CACHE_DIR` (read by trivy itself) to use a database
//! fetched beforehand, e.g. in an air-gapped CI.

use std::io;
use std::path::PathBuf;
use std::process::Command;

use super::Scanner;

/// How to install trivy, shown whenever it is missing.
pub(crate) const INSTALL_HELP: &str = "install trivy (https://trivy.dev/latest/getting-started/installation/): \
     `apt-get install trivy` from Aqua's apt repository, `brew install trivy`, or the \
     `aquasecurity/trivy-action` step in GitHub Actions; or pass `--trivy PATH`";

/// Why trivy could not produce a report.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TrivyError {
    /// The program is not on `PATH` (or not at the given path).
    #[error("trivy is not installed (`{program}` was not found)")]
    NotInstalled {
        /// The program that was looked for.
        program: PathBuf,
    },
    /// The program could not be started for another reason.
    #[error("failed to run `{program}`: {source}")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// trivy ran and failed (no database, unknown image, ...).
    #[error("`{program} {args}` failed with {status}\n--- stderr ---\n{stderr}\n---")]
    Failed {
        /// The program.
        program: PathBuf,
        /// Its arguments, space separated.
        args: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it wrote on stderr.
        stderr: String,
    },
}

/// trivy, found on `PATH` or at an explicit path.
#[derive(Debug, Clone)]
pub(crate) struct Trivy {
    program: PathBuf,
}

impl Trivy {
    /// Uses `program` (a name looked up on `PATH`, or a path).
    pub(crate) fn at(program: impl Into<PathBuf>) -> Self {
        Trivy {
            program: program.into(),
        }
    }
}

impl Scanner for Trivy {
    fn scan(&self, image: &str) -> Result<String, TrivyError> {
        let args = [
            "image",
            "--format",
            "json",
            "--quiet",
            "--scanners",
            "vuln",
            image,
        ];
        let output = Command::new(&self.program)
            .args(args)
            .output()
            .map_err(|source| {
                if source.kind() == io::ErrorKind::NotFound {
                    TrivyError::NotInstalled {
                        program: self.program.clone(),
                    }
                } else {
                    TrivyError::Spawn {
                        program: self.program.clone(),
                        source,
                    }
                }
            })?;
        if !output.status.success() {
            return Err(TrivyError::Failed {
                program: self.program.clone(),
                args: args.join(" "),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr)
                    .trim_end()
                    .to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_is_not_installed() {
        let trivy = Trivy::at("/nonexistent/kafka-image-test/trivy");
        let err = trivy.scan("img").unwrap_err();
        assert!(matches!(err, TrivyError::NotInstalled { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "trivy is not installed (`/nonexistent/kafka-image-test/trivy` was not found)"
        );
    }

    #[test]
    fn failing_program_keeps_args_status_and_stderr() {
        // `false` ignores its arguments and exits 1: a scanner that fails.
        let err = Trivy::at("false").scan("kafka:rc").unwrap_err();
        let TrivyError::Failed { args, status, .. } = &err else {
            panic!("expected Failed, got {err}");
        };
        assert_eq!(args, "image --format json --quiet --scanners vuln kafka:rc");
        assert_eq!(status.code(), Some(1));
    }

    #[test]
    fn program_output_is_returned_as_is() {
        // `echo` prints its arguments: proves which arguments trivy is given.
        let out = Trivy::at("echo").scan("kafka:rc").unwrap();
        assert_eq!(
            out,
            "image --format json --quiet --scanners vuln kafka:rc\n"
        );
    }
}
