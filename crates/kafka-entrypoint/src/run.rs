//! `run` subcommand (skeleton; owned by its implementer).

use std::process::ExitCode;

use crate::EnvSnapshot;

/// Arguments of the `run` subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {}

/// Runs the subcommand.
pub(crate) fn main(_args: &RunArgs, _env: &EnvSnapshot) -> ExitCode {
    ExitCode::FAILURE
}
