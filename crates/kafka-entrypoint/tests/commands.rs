//! `docker run IMAGE <command> [args]`: a command that is not a subcommand replaces the
//! entrypoint (a path, or a program on `PATH`), as in the official image, so every command the
//! entrypoint's help lines suggest works as written; `random-uuid` prints a cluster id.

use std::process::{Command, Output};

fn entrypoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .args(args)
        .output()
        .expect("run kafka-entrypoint")
}

#[test]
fn other_commands_run_with_their_arguments_and_their_exit_code() {
    let output = entrypoint(&["sh", "-c", "echo \"$0 $1\"; exit 7", "first", "second"]);
    assert_eq!(output.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "first second\n");

    let output = entrypoint(&["/bin/echo", "--version"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn the_command_replaces_the_entrypoint_process() {
    let output = entrypoint(&["sh", "-c", "cat /proc/$$/comm"]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "sh\n");
}

#[test]
fn missing_command_exits_127_naming_it() {
    let output = entrypoint(&["/opt/nowhere/kafka-storage.sh", "random-uuid"]);
    assert_eq!(output.status.code(), Some(127));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .starts_with("error: failed to execute `/opt/nowhere/kafka-storage.sh`"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn random_uuid_prints_a_new_cluster_id() {
    let first = entrypoint(&["random-uuid"]);
    let second = entrypoint(&["random-uuid"]);
    assert_eq!(first.status.code(), Some(0));
    let id = String::from_utf8(first.stdout).expect("utf-8");
    assert_eq!(id.len(), 23, "{id:?}");
    assert!(kafka_storage::ClusterId::parse(id.trim()).is_ok(), "{id}");
    assert_ne!(id.as_bytes(), second.stdout.as_slice());
}

#[test]
fn help_lists_the_subcommands_and_says_other_commands_run() {
    let output = entrypoint(&["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in ["setup", "run", "health", "random-uuid", "executed"] {
        assert!(help.contains(expected), "`{expected}` missing:\n{help}");
    }
}
