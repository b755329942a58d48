//! `kafka-entrypoint`: the container image's entrypoint and PID 1.
//!
//! It turns `KAFKA_*` environment variables, mounted property files and mounted secrets into Kafka's
//! final config files (`setup`), formats KRaft storage and execs Kafka (`run`), answers the image's
//! health check (`health`) and makes the class-data-sharing archive at image build time (`cds-train`).
//! Any other command (`docker run IMAGE /opt/kafka/bin/kafka-topics.sh ...`, `docker run IMAGE bash`)
//! is executed as given, as the official image does. This file only parses arguments, snapshots the
//! environment once and dispatches; the work lives in one module per subcommand.

mod cds;
mod data_dirs;
mod distribution;
mod files;
mod health;
mod launch;
mod memory;
mod process;
mod run;
mod setup;
mod storage;

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// musl's allocator is slow for setup's many small strings: dlmalloc behind a spin lock, over
/// populated mappings ([`process::SpinLockedDlmalloc`]; `bench/README.md`).
#[global_allocator]
static ALLOCATOR: process::SpinLockedDlmalloc = process::SpinLockedDlmalloc::new();

/// The environment of the process, read once here and handed to every subcommand.
pub(crate) type EnvSnapshot = Vec<(OsString, OsString)>;

/// The value of `name` in `env` (the last one when set twice, as the process sees it), if set.
pub(crate) fn env_lookup<'e>(env: &'e [(OsString, OsString)], name: &str) -> Option<&'e OsStr> {
    env.iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_os_str())
}

/// The value of `name` in `env` if it is set and not empty (the scripts' `[ -z "$X" ]` test).
pub(crate) fn env_non_empty<'e>(env: &'e [(OsString, OsString)], name: &str) -> Option<&'e OsStr> {
    env_lookup(env, name).filter(|value| !value.is_empty())
}

/// The `--kafka-home` flag of the subcommands that start Kafka (`run`, `cds-train`).
#[derive(Debug, clap::Args)]
pub(crate) struct KafkaHome {
    /// The Kafka distribution [default: `KAFKA_HOME`, else `/opt/kafka` (the image's)].
    #[arg(long = "kafka-home", value_name = "DIR")]
    given: Option<PathBuf>,
}

impl KafkaHome {
    /// `--kafka-home`, else `KAFKA_HOME` when set and not empty, else `/opt/kafka`.
    pub(crate) fn dir(&self, env: &EnvSnapshot) -> PathBuf {
        self.given.clone().unwrap_or_else(|| {
            env_non_empty(env, "KAFKA_HOME")
                .map_or_else(|| PathBuf::from("/opt/kafka"), PathBuf::from)
        })
    }
}

/// A flag's value, else that of the variable `name` standing for it (when set and not empty),
/// else `default`. Variables are read from the snapshot `main` takes, not by clap: clap's `env`
/// reads the process's environment again for every such flag at every start, whatever the
/// subcommand (`bench/README.md`).
///
/// # Errors
/// A value the flag does not take, naming the variable and the values it takes.
pub(crate) fn flag_or_env<T: clap::ValueEnum>(
    flag: Option<T>,
    env: &EnvSnapshot,
    name: &str,
    default: T,
) -> anyhow::Result<T> {
    if let Some(flag) = flag {
        return Ok(flag);
    }
    let Some(value) = env_non_empty(env, name) else {
        return Ok(default);
    };
    let value = value.to_string_lossy();
    T::from_str(&value, false).map_err(|_| {
        let choices: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|variant| variant.to_possible_value())
            .map(|choice| format!("`{}`", choice.get_name()))
            .collect();
        anyhow::anyhow!(
            "`{name}` is `{value}`, which is not one of {}\nhelp: set `{name}` to one of those, \
             or unset it for the default",
            choices.join(", ")
        )
    })
}

/// What `--help` shows after the subcommands.
const AFTER_HELP: &str = "\
Any other COMMAND is executed with its arguments, in place of the entrypoint, as in the official \
image: `docker run --rm IMAGE /opt/kafka/bin/kafka-topics.sh --version`, `docker run -it IMAGE bash`.

Exit codes: setup 0, 2 bad input (nothing written), 1 I/O failure; run: Kafka's own; health 0 \
answered, 1 not; 143 or 130 when SIGTERM or SIGINT arrive before Kafka starts; 127 when a \
command is not found, 126 when it cannot be executed.";

/// The entrypoint of the kafka-image container image.
///
/// Exit codes: `setup` exits 0 on success, 2 on bad input (nothing written) and 1 on I/O failure;
/// `run` exits with Kafka's own code; `health` exits 0 when the broker answers and 1 otherwise;
/// SIGTERM or SIGINT before Kafka starts end any subcommand at once with 128 + n (143, 130); a
/// command that is not a subcommand is executed (127 when it is not found, 126 when it cannot be
/// executed).
#[derive(Debug, Parser)]
#[command(name = "kafka-entrypoint", version, about, long_about = None, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write Kafka's final config files from defaults, mounted files, secrets and `KAFKA_*` variables.
    Setup(setup::SetupArgs),
    /// Set up, format KRaft storage on first start, then exec Kafka (the container's command).
    Run(run::RunArgs),
    /// Check that the broker answers a Kafka `ApiVersions` request on its own listener.
    Health(health::HealthArgs),
    /// Image build only: run Kafka once to record its class-data-sharing (CDS) archive.
    CdsTrain(cds::CdsTrainArgs),
    /// Print a new random cluster id for `CLUSTER_ID` (as `kafka-storage.sh random-uuid`).
    RandomUuid,
    /// Any other command is executed in place of the entrypoint, with its arguments: a path or
    /// a program on `PATH` (`docker run IMAGE /opt/kafka/bin/kafka-topics.sh --version`).
    #[command(external_subcommand)]
    Exec(Vec<OsString>),
}

fn main() -> ExitCode {
    if let Err(error) = process::exit_on_stop_signals() {
        return report(&error, 1);
    }
    let cli = Cli::parse();
    let env: EnvSnapshot = std::env::vars_os().collect();
    match cli.command {
        Command::Setup(args) => setup::main(&args, &env),
        Command::Run(args) => run::main(&args, &env),
        Command::Health(args) => health::main(&args, &env),
        Command::CdsTrain(args) => cds::main(&args, &env),
        Command::RandomUuid => random_uuid(),
        Command::Exec(argv) => exec_command(&argv),
    }
}

/// Prints a new cluster id.
fn random_uuid() -> ExitCode {
    match storage::fresh_random_uuid() {
        Ok(id) => {
            let line = format!("{id}\n");
            if std::io::stdout().lock().write_all(line.as_bytes()).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(error) => report(&error, 1),
    }
}

/// Replaces the entrypoint with `argv` (clap gives at least the program's name).
fn exec_command(argv: &[OsString]) -> ExitCode {
    let Some((program, args)) = argv.split_first() else {
        return report(&anyhow::anyhow!("no command given"), 2);
    };
    let mut command = std::process::Command::new(program);
    command.args(args);
    let error = process::exec(&mut command);
    // The shell's codes: 127 "command not found", 126 "found but not executable".
    let not_found = error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound);
    report(&error, if not_found { 127 } else { 126 })
}

/// Prints `error: …` and its `Caused by:` chain to stderr, the one error renderer of the binary,
/// and returns `code` as the exit code.
pub(crate) fn report(error: &anyhow::Error, code: u8) -> ExitCode {
    let mut text = format!("error: {error}\n");
    let mut causes = error.chain().skip(1).peekable();
    if causes.peek().is_some() {
        text.push_str("\nCaused by:\n");
        for cause in causes {
            text.push_str(&format!("  {cause}\n"));
        }
    }
    // Nothing useful can be done when stderr is closed; the exit code still tells.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    ExitCode::from(code)
}

/// An environment snapshot holding `pairs`, for the unit tests.
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> EnvSnapshot {
    pairs
        .iter()
        .map(|(name, value)| (OsString::from(name), OsString::from(value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::LaunchMode;
    use crate::test_env as env;

    #[test]
    fn kafka_home_is_the_flag_else_the_variable_else_the_images() {
        let given = KafkaHome {
            given: Some(PathBuf::from("/flag")),
        };
        let unset = KafkaHome { given: None };
        let set = env(&[("KAFKA_HOME", "/from-env")]);
        assert_eq!(given.dir(&set), PathBuf::from("/flag"));
        assert_eq!(unset.dir(&set), PathBuf::from("/from-env"));
        assert_eq!(unset.dir(&env(&[])), PathBuf::from("/opt/kafka"));
        assert_eq!(
            unset.dir(&env(&[("KAFKA_HOME", "")])),
            PathBuf::from("/opt/kafka")
        );
    }

    #[test]
    fn a_flag_wins_over_its_variable_and_a_bad_variable_is_named() {
        let name = kafka_config::env_vars::KAFKA_ENTRYPOINT_LAUNCH;
        let script = env(&[(name, "script")]);
        let pick = |flag, env: &EnvSnapshot| flag_or_env(flag, env, name, LaunchMode::Native);
        assert_eq!(pick(None, &script).unwrap(), LaunchMode::Script);
        assert_eq!(
            pick(Some(LaunchMode::Native), &script).unwrap(),
            LaunchMode::Native
        );
        assert_eq!(pick(None, &env(&[])).unwrap(), LaunchMode::Native);
        assert_eq!(pick(None, &env(&[(name, "")])).unwrap(), LaunchMode::Native);
        let error = pick(None, &env(&[(name, "Script")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`KAFKA_ENTRYPOINT_LAUNCH` is `Script`, which is not one of `native`, `script`\n\
             help: set `KAFKA_ENTRYPOINT_LAUNCH` to one of those, or unset it for the default"
        );
    }
}
