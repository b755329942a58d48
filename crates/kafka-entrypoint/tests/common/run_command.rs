//! The command line every `kafka-entrypoint run` test starts from, shared by the real-Kafka
//! and the fixture harnesses.

use std::path::Path;
use std::process::Command;

/// `kafka-entrypoint run` (the binary under test) for the distribution in `kafka_home`, with the
/// configuration directories of a test sandbox laid out under `root`: `defaults`, `mounted`,
/// `final` and `secrets`.
pub(crate) fn entrypoint_run(kafka_home: &Path, root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"));
    command.arg("run").arg("--kafka-home").arg(kafka_home);
    for (flag, dir) in [
        ("--default-configs-dir", "defaults"),
        ("--mounted-configs-dir", "mounted"),
        ("--final-configs-dir", "final"),
        ("--secrets-dir", "secrets"),
    ] {
        command.arg(flag).arg(root.join(dir));
    }
    command
}
