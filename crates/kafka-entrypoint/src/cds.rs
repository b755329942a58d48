//! `cds` subcommand (skeleton; owned by its implementer).

use std::process::ExitCode;

use crate::EnvSnapshot;

/// Arguments of the `cds` subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct CdsTrainArgs {}

/// Runs the subcommand.
pub(crate) fn main(_args: &CdsTrainArgs, _env: &EnvSnapshot) -> ExitCode {
    ExitCode::FAILURE
}
