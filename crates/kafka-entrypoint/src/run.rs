//! `run`: the container's command (SPEC §4): `setup`, then KRaft storage, then `exec` Kafka.
//!
//! The native launch (the default) execs `java` itself with the argv Kafka's
//! `kafka-server-start.sh` → `kafka-run-class.sh` would build ([`crate::launch`]): no shell is in
//! the start path. After the exec the JVM is the process (PID 1 in the container) and gets
//! `docker stop`'s SIGTERM directly, as in the official image; nothing of ours stays behind. With
//! `--storage-format native` (the default) no JVM runs before Kafka's own.

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use kafka_config::Log4jFormat;
use kafka_config::env_vars::KAFKA_ENTRYPOINT_METRICS_PORT;

use crate::launch::{self, Cds, ChildFailed, LaunchInputs, LaunchMode, MetricsAgent};
use crate::setup::{self, SetupDirs};
use crate::storage::{self, StorageInputs};
use crate::{EnvSnapshot, report};
use crate::{data_dirs, distribution, files, memory, process};

/// How KRaft storage is formatted on first start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StorageFormatter {
    /// Write `meta.properties` and `bootstrap.checkpoint` in Rust (no JVM).
    Native,
    /// Run Kafka's own storage tool (`kafka.tools.StorageTool`, one extra JVM).
    KafkaStorage,
}

/// The long `--help` of the subcommand: what it does, exit codes, examples.
const RUN_HELP: &str = "\
Runs `setup` with the paths above, formats every `log.dirs` entry and `metadata.log.dir` that
is not formatted yet (never reformatting: a `CLUSTER_ID` that differs from an existing
`meta.properties` is an error), then replaces itself with Kafka's JVM: `java … -cp
KAFKA_HOME/libs/… kafka.Kafka FINAL/server.properties`, the argv Kafka's
`kafka-server-start.sh` would build from the launcher variables (`KAFKA_HEAP_OPTS`,
`KAFKA_JVM_PERFORMANCE_OPTS`, `KAFKA_OPTS`, `KAFKA_JMX_PORT`, `KAFKA_DEBUG`, ...), with the CDS
archive mapped when it exists. `--launch script` execs `KAFKA_HOME/bin/kafka-server-start.sh`
instead (a distribution with Kafka's `bin/` scripts only).

Exit codes: 2 for bad configuration or refused storage (a cluster id mismatch, no `CLUSTER_ID`,
bad quorum settings, `--launch script` without scripts; nothing written), 1 for I/O failures
before Kafka starts, 127/126 when `java` (or the start script) is missing/not executable; after
the exec, Kafka's own (143 after SIGTERM).

Examples:

  $ kafka-entrypoint run

  $ kafka-entrypoint run --kafka-home /tmp/kafka --final-configs-dir /tmp/final \\
      --default-configs-dir /tmp/defaults --mounted-configs-dir /tmp/mounted";

/// Arguments of `run`; every path has a flag so tests can run it outside a container.
#[derive(Debug, clap::Args)]
#[command(after_long_help = RUN_HELP)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    home: crate::KafkaHome,
    /// The image's default config files [image: `/etc/kafka/docker`].
    #[arg(long, value_name = "DIR", default_value = "/etc/kafka/docker")]
    default_configs_dir: PathBuf,
    /// Config files mounted by the user [image: `/mnt/shared/config`].
    #[arg(long, value_name = "DIR", default_value = "/mnt/shared/config")]
    mounted_configs_dir: PathBuf,
    /// Where the final config files are written [default: the Kafka distribution's `config/`].
    #[arg(long, value_name = "DIR")]
    final_configs_dir: Option<PathBuf>,
    /// Keystores, truststores and credential files [image: `/etc/kafka/secrets`].
    #[arg(long, value_name = "DIR", default_value = "/etc/kafka/secrets")]
    secrets_dir: PathBuf,
    /// The class-data-sharing archive (`*.jsa`) or JDK 25 AOT cache (`*.aot`), used when it
    /// exists [default: the distribution's `kafka.aot` if it exists, else its `kafka.jsa`].
    #[arg(long, value_name = "PATH")]
    cds_archive: Option<PathBuf>,
    /// How to format KRaft storage on first start [default: `KAFKA_ENTRYPOINT_STORAGE_FORMAT`,
    /// else native].
    #[arg(long, value_enum)]
    storage_format: Option<StorageFormatter>,
    /// The cgroup filesystem the container's memory limit is read from (it sizes the heap when
    /// `KAFKA_HEAP_OPTS` is not set).
    #[arg(long, value_name = "DIR", default_value = "/sys/fs/cgroup")]
    cgroup_dir: PathBuf,
    /// The Prometheus JMX exporter agent jar, loaded when `KAFKA_ENTRYPOINT_METRICS_PORT` is set.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/opt/prometheus/jmx_prometheus_javaagent.jar"
    )]
    metrics_agent: PathBuf,
    /// How to start Kafka [default: `KAFKA_ENTRYPOINT_LAUNCH`, else native].
    #[arg(long, value_enum)]
    launch: Option<LaunchMode>,
}

/// The settings of [`RunArgs`] that a flag or, without it, a variable gives.
struct RunSettings {
    kafka_home: PathBuf,
    storage_format: StorageFormatter,
    launch: LaunchMode,
}

impl RunArgs {
    /// The flags, else the variables standing for them, else the defaults.
    fn settings(&self, env: &EnvSnapshot) -> anyhow::Result<RunSettings> {
        Ok(RunSettings {
            kafka_home: self.home.dir(env),
            storage_format: crate::flag_or_env(
                self.storage_format,
                env,
                kafka_config::env_vars::KAFKA_ENTRYPOINT_STORAGE_FORMAT,
                StorageFormatter::Native,
            )?,
            launch: crate::flag_or_env(
                self.launch,
                env,
                kafka_config::env_vars::KAFKA_ENTRYPOINT_LAUNCH,
                LaunchMode::Native,
            )?,
        })
    }

    fn final_configs_dir(&self, kafka_home: &Path) -> PathBuf {
        self.final_configs_dir
            .clone()
            .unwrap_or_else(|| kafka_home.join("config"))
    }

    fn cds_archive(&self, kafka_home: &Path) -> PathBuf {
        if let Some(archive) = &self.cds_archive {
            return archive.clone();
        }
        let aot = kafka_home.join("kafka.aot");
        if aot.is_file() {
            aot
        } else {
            kafka_home.join("kafka.jsa")
        }
    }
}

/// Runs the subcommand; returns only when Kafka could not be started.
pub(crate) fn main(args: &RunArgs, env: &EnvSnapshot) -> ExitCode {
    let settings = match args.settings(env) {
        Ok(settings) => settings,
        Err(error) => return report(&error, 2),
    };
    let final_dir = args.final_configs_dir(&settings.kafka_home);
    let dirs = SetupDirs {
        default: args.default_configs_dir.clone(),
        mounted: args.mounted_configs_dir.clone(),
        final_: final_dir.clone(),
        secrets: args.secrets_dir.clone(),
    };
    let outcome = match setup::setup(&dirs, env) {
        Ok(outcome) => outcome,
        // Setup has already reported why, on stderr.
        Err(failure) => return failure.exit_code(),
    };

    // The launch is decided before storage is touched: a launch that cannot work changes
    // nothing.
    let archive = args.cds_archive(&settings.kafka_home);
    let command = match launch_command(
        args,
        &settings,
        &final_dir,
        &archive,
        outcome.plan.log4j_format,
        env,
    ) {
        Ok(command) => command,
        Err((error, code)) => return report(&error, code),
    };
    if let Err(error) = data_dirs::check_writable(&outcome.plan.node.storage_dirs()) {
        return report(&error, 1);
    }
    let config_file = final_dir.join("server.properties");
    let storage = storage::prepare_storage(&StorageInputs {
        config: &outcome.plan.server_properties,
        config_file: &config_file,
        kafka_home: &settings.kafka_home,
        env,
        config_is_image_default: outcome.only_defaults,
        formatter: settings.storage_format,
        log4j: outcome.plan.log4j_format,
    });
    match storage {
        Ok(storage) => {
            for line in &storage.lines {
                progress(line);
            }
        }
        Err(error) => {
            // The storage tool's own exit code (128 + n after signal n) is passed on; a refusal
            // (cluster id mismatch, no `CLUSTER_ID`, bad quorum settings) is bad input and exits
            // 2 like setup's problems; failing to read or write a data directory is an I/O error
            // (an `io::Error` in the chain) and exits 1.
            let code = if let Some(failed) = error.downcast_ref::<ChildFailed>() {
                failed.exit_code()
            } else if error.chain().any(|cause| cause.is::<std::io::Error>()) {
                1
            } else {
                2
            };
            return report(&error.context("KRaft storage was not prepared"), code);
        }
    }

    for notice in &command.notices {
        progress(notice);
    }
    if let Some(dir) = &command.log_dir_to_create {
        // kafka-run-class.sh: "create logs directory".
        if let Err(error) = files::create_dir_all(dir) {
            return report(&error.context("failed to create the log directory"), 1);
        }
    }
    let error = process::exec(&mut command.to_command());
    let code = match error.downcast_ref::<io::Error>().map(io::Error::kind) {
        Some(io::ErrorKind::NotFound) => 127,
        Some(io::ErrorKind::PermissionDenied) => 126,
        _ => 1,
    };
    report(
        &error.context(format!(
            "failed to start Kafka (`{}`)",
            command.program.display()
        )),
        code,
    );
    let help = match settings.launch {
        LaunchMode::Native => {
            "help: `java` must be on `PATH`, or `JAVA_HOME` must name a JDK or JRE".to_owned()
        }
        LaunchMode::Script => format!(
            "help: check `--kafka-home`/`KAFKA_HOME` (now `{}`): it must hold Kafka's `bin/` \
             scripts",
            settings.kafka_home.display()
        ),
    };
    let _ = writeln!(io::stderr().lock(), "{help}");
    ExitCode::from(code)
}

fn progress(line: &str) {
    // Progress is best effort; a closed stderr must not stop Kafka from starting.
    let _ = writeln!(io::stderr().lock(), "kafka-entrypoint: {line}");
}

/// The start command for the final config in `final_dir`, with the archive when it exists; on
/// failure, the error and its exit code (1: the distribution could not be read; 2: the settings
/// cannot be launched).
fn launch_command(
    args: &RunArgs,
    settings: &RunSettings,
    final_dir: &Path,
    archive: &Path,
    log4j: Option<Log4jFormat>,
    env: &EnvSnapshot,
) -> Result<launch::LaunchCommand, (anyhow::Error, u8)> {
    let kafka_home = &settings.kafka_home;
    let cds = if archive_is_usable(archive).map_err(|error| (error, 1))? {
        Cds::Use(archive)
    } else {
        Cds::Off
    };
    let java_release = launch::java_release_for(cds, env);
    let inputs = LaunchInputs {
        kafka_home,
        final_configs_dir: final_dir,
        log4j,
        cds,
        memory_limit: memory::container_memory_limit(&args.cgroup_dir),
        metrics: None,
        java_release: java_release.as_deref(),
    };
    let rules;
    let mut inputs = inputs;
    if let Some(port) = metrics_port(env).map_err(|error| (error, 2))? {
        rules = metrics_rules(args, final_dir);
        for (file, what) in [(&args.metrics_agent, "agent"), (&rules, "rules file")] {
            if !file.is_file() {
                return Err((
                    anyhow::anyhow!(
                        "`{KAFKA_ENTRYPOINT_METRICS_PORT}` turns on the Prometheus JMX exporter, \
                         but its {what} `{}` does not exist\nhelp: use an image built with the \
                         exporter, or unset `{KAFKA_ENTRYPOINT_METRICS_PORT}`",
                        file.display()
                    ),
                    1,
                ));
            }
        }
        inputs.metrics = Some(MetricsAgent {
            jar: &args.metrics_agent,
            port,
            rules: &rules,
        });
    }
    match settings.launch {
        LaunchMode::Native => {
            let classpath = distribution::classpath(kafka_home).map_err(|error| (error, 1))?;
            launch::server_command(&inputs, env, &classpath, jmx_host_address)
        }
        LaunchMode::Script if !distribution::has_scripts(kafka_home) => {
            return Err((
                anyhow::anyhow!(
                    "`KAFKA_ENTRYPOINT_LAUNCH=script` needs `{}`, but this distribution has no \
                     `bin/` scripts (it was assembled from Maven Central)\nhelp: unset \
                     `KAFKA_ENTRYPOINT_LAUNCH` to start Kafka natively",
                    kafka_home.join("bin/kafka-server-start.sh").display()
                ),
                2,
            ));
        }
        LaunchMode::Script => launch::script_command(&inputs, env, jmx_host_address),
    }
    .map_err(|error| (error, 2))
}

/// The exporter's port from `KAFKA_ENTRYPOINT_METRICS_PORT` (unset or empty: no metrics).
fn metrics_port(env: &EnvSnapshot) -> anyhow::Result<Option<u16>> {
    let Some(value) = crate::env_non_empty(env, KAFKA_ENTRYPOINT_METRICS_PORT) else {
        return Ok(None);
    };
    match value.to_str().and_then(|v| v.trim().parse::<u16>().ok()) {
        Some(port) if port > 0 => Ok(Some(port)),
        _ => anyhow::bail!(
            "`{KAFKA_ENTRYPOINT_METRICS_PORT}` is `{}`, not a TCP port\nhelp: set it to the port \
             Prometheus scrapes, e.g. `{KAFKA_ENTRYPOINT_METRICS_PORT}=9404`",
            value.to_string_lossy()
        ),
    }
}

/// The exporter's rules: `jmx-exporter.yml` mounted by the user (copied to the final configs
/// directory by setup), else the image's default beside the other defaults.
fn metrics_rules(args: &RunArgs, final_dir: &Path) -> PathBuf {
    let mounted = final_dir.join(METRICS_RULES);
    if mounted.is_file() {
        mounted
    } else {
        args.default_configs_dir.join(METRICS_RULES)
    }
}

/// The exporter's rules file name, in the defaults and mounted configs directories.
const METRICS_RULES: &str = "jmx-exporter.yml";

/// Whether the CDS archive exists and is not empty (an empty file is a failed training).
fn archive_is_usable(archive: &Path) -> anyhow::Result<bool> {
    match std::fs::metadata(archive) {
        Ok(metadata) => Ok(metadata.is_file() && metadata.len() > 0),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error).with_context(|| format!("failed to read `{}`", archive.display())),
    }
}

/// The first address of this host's name, as upstream's `hostname -i | cut -d" " -f1`.
fn jmx_host_address() -> Option<String> {
    let name: OsString = nix::unistd::gethostname().ok()?;
    let name = name.into_string().ok()?;
    let address = (name.as_str(), 0).to_socket_addrs().ok()?.next()?;
    Some(address.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_non_empty_archive_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("kafka.jsa");
        assert!(!archive_is_usable(&archive).unwrap());
        std::fs::write(&archive, "").unwrap();
        assert!(!archive_is_usable(&archive).unwrap());
        std::fs::write(&archive, "archive").unwrap();
        assert!(archive_is_usable(&archive).unwrap());
    }
}
