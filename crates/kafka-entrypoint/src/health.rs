//! `health` subcommand (skeleton; owned by its implementer).

use std::process::ExitCode;

use crate::EnvSnapshot;

/// Arguments of the `health` subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct HealthArgs {}

/// Runs the subcommand.
pub(crate) fn main(_args: &HealthArgs, _env: &EnvSnapshot) -> ExitCode {
    ExitCode::FAILURE
}
