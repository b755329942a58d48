//! `promote` (skeleton; owned by its implementer).

use std::process::ExitCode;

/// Arguments of this subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct PromoteArgs {}

/// Runs the subcommand.
pub(crate) fn main(_args: &PromoteArgs) -> ExitCode {
    ExitCode::FAILURE
}
