//! `setup` subcommand (skeleton; owned by its implementer).

use std::process::ExitCode;

use crate::EnvSnapshot;

/// Arguments of the `setup` subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct SetupArgs {}

/// Runs the subcommand.
pub(crate) fn main(_args: &SetupArgs, _env: &EnvSnapshot) -> ExitCode {
    ExitCode::FAILURE
}
