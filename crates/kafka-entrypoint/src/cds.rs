//! `cds-train` (image build only, SPEC §4.5): run Kafka once with `-XX:ArchiveClassesAtExit` so the
//! JVM writes a class-data-sharing archive of every class a broker loads, which `run` then maps
//! with `-XX:SharedArchiveFile` for a faster start; or, for an archive named `*.aot` on JDK 25,
//! with `-XX:AOTCacheOutput` (JEP 514), so the JVM writes an AOT cache (classes loaded and linked,
//! method profiles) that `run` maps with `-XX:AOTCache`.
//!
//! It follows upstream's `docker/jvm/jsa_launch`: format storage, start the broker with the
//! archive flag, create a topic, produce and consume through Kafka's own tool classes (so the
//! client and broker code paths are loaded too), stop the broker with SIGTERM and check that the
//! archive was written. Every JVM is started natively, as `run` starts the broker (the same
//! classpath, so the archive matches it), with the argv Kafka's `kafka-run-class.sh` would build:
//! no `bin/` scripts are needed. Unlike upstream it waits for the broker with `kafka-entrypoint health`
//! instead of sleeping, keeps the training data in a scratch directory (never in the image's data
//! volume), and supervises every child: our signals are forwarded, and on failure the broker is
//! stopped before we exit.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use nix::sys::signal::Signal;

use kafka_config::Log4jFormat;
use kafka_config::node::NodeConfig;
use kafka_config::properties::Properties;

use crate::launch::{self, Cds, ChildFailed, LaunchInputs};
use crate::process::Supervisor;
use crate::{EnvSnapshot, report};
use crate::{distribution, files};

/// How long the broker may take to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(60);
/// Pause between two health checks while the broker starts.
const HEALTH_INTERVAL: Duration = Duration::from_millis(250);

/// The long `--help` of the subcommand: what it does, exit codes, examples.
const CDS_TRAIN_HELP: &str = "\
Formats storage in a scratch directory, starts the broker with
`-XX:ArchiveClassesAtExit=ARCHIVE`, waits until `kafka-entrypoint health` passes, creates a
topic, produces and consumes `--records` records with Kafka's own tool classes (`TopicCommand`,
`ConsoleProducer`, `ConsoleConsumer`, started like `kafka-run-class.sh` starts them), stops the
broker with SIGTERM and checks that the archive exists and is not empty. Progress goes to stderr.

Exit codes: 0 when the archive was written; a tool's or the broker's own exit code when it
failed (128 + n when it died of signal n); 1 for any other failure.

Examples:

  $ kafka-entrypoint cds-train --archive /opt/kafka/kafka.jsa

  $ kafka-entrypoint cds-train --archive /tmp/kafka.jsa --kafka-home /tmp/kafka_2.13-4.1.0";

/// Arguments of `cds-train`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = CDS_TRAIN_HELP)]
pub(crate) struct CdsTrainArgs {
    /// Where the JVM writes the archive [image: `/opt/kafka/kafka.jsa`]; a name ending in `.aot`
    /// records a JDK 25 AOT cache (`-XX:AOTCacheOutput`) instead of a CDS archive.
    #[arg(long, value_name = "PATH")]
    archive: PathBuf,
    #[command(flatten)]
    home: crate::KafkaHome,
    /// A single-node KRaft config to train with [default: KAFKA_HOME/config/kraft/server.properties
    /// when it exists (Kafka 3.x), else KAFKA_HOME/config/server.properties]. Its `log.dirs` and
    /// `metadata.log.dir` are replaced by a scratch directory.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The broker address the CLI tools connect to.
    #[arg(long, value_name = "HOST:PORT", default_value = "localhost:9092")]
    bootstrap_server: String,
    /// How many records to produce and consume.
    #[arg(long, value_name = "N", default_value_t = 300)]
    records: u32,
    /// How long the broker may take to answer its health check, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    start_timeout: u64,
}

/// Runs the subcommand.
pub(crate) fn main(args: &CdsTrainArgs, env: &EnvSnapshot) -> ExitCode {
    let scratch = std::env::temp_dir().join(format!("kafka-cds-train-{}", std::process::id()));
    let outcome = train(args, env, &scratch);
    // The scratch directory holds only training data; failing to remove it is not worth failing.
    let _ = std::fs::remove_dir_all(&scratch);
    match outcome {
        Ok(bytes) => {
            progress(&format!(
                "wrote `{}` ({bytes} bytes)",
                args.archive.display()
            ));
            ExitCode::SUCCESS
        }
        Err(error) => {
            // A JVM that exits for any reason writes the archive; a failed run's must not ship.
            let _ = std::fs::remove_file(&args.archive);
            let code = error
                .downcast_ref::<ChildFailed>()
                .map_or(1, ChildFailed::exit_code);
            report(
                &error.context("CDS training failed; no archive was made"),
                code,
            )
        }
    }
}

fn progress(line: &str) {
    // Progress is best effort; a closed stderr must not fail the training.
    let _ = writeln!(io::stderr().lock(), "cds-train: {line}");
}

/// Trains and returns the archive's size.
fn train(args: &CdsTrainArgs, env: &EnvSnapshot, scratch: &Path) -> anyhow::Result<u64> {
    let kafka_home = args.home.dir(env);
    let config = match &args.config {
        Some(config) => config.clone(),
        None => default_config(&kafka_home),
    };
    let original = files::read_regular(&config)
        .map_err(|problem| anyhow!("failed to read `{}`: {problem}", config.display()))
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| anyhow!("`{}` is not UTF-8 text", config.display()))
        })?;
    let (node, _) = NodeConfig::read(
        &Properties::parse(&original)
            .with_context(|| format!("`{}` is not a valid properties file", config.display()))?,
    );
    let data_dir = scratch.join("data");
    let logs_dir = scratch.join("logs");
    for dir in [scratch, &data_dir, &logs_dir] {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
    }
    let training_config = scratch.join("server.properties");
    files::write_file(
        &training_config,
        training_properties(&original, &data_dir).as_bytes(),
        0o600,
    )?;
    match std::fs::remove_file(&args.archive) {
        Ok(()) => progress(&format!("removed the old `{}`", args.archive.display())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error)
                .with_context(|| format!("failed to remove `{}`", args.archive.display()));
        }
    }

    // Everything Kafka writes besides the archive stays in the scratch directory.
    let mut env = env.clone();
    env.retain(|(key, _)| key != "LOG_DIR");
    env.push((OsString::from("LOG_DIR"), logs_dir.into_os_string()));

    let kafka = Distribution::read(&kafka_home, &env)?;
    copy_log4j_config(&kafka, &config, scratch)?;
    let mut supervisor = Supervisor::new()?;
    format_storage(&mut supervisor, &kafka, &node, &training_config)?;

    let cds = Cds::Record(&args.archive);
    let java_release = launch::java_release_for(cds, &env);
    let inputs = LaunchInputs {
        kafka_home: &kafka_home,
        final_configs_dir: scratch,
        log4j: kafka.log4j,
        cds,
        // Training keeps Kafka's own default heap: the build has no container limit to follow.
        memory_limit: None,
        // Training loads what a broker loads; the exporter is opt-in at run time.
        metrics: None,
        java_release: java_release.as_deref(),
    };
    let command = launch::server_command(&inputs, &env, &kafka.classpath, || None)?;
    if let Some(dir) = &command.log_dir_to_create {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
    }
    let record_flag = if launch::is_aot_cache(&args.archive) {
        "-XX:AOTCacheOutput"
    } else {
        "-XX:ArchiveClassesAtExit"
    };
    progress(&format!(
        "starting Kafka with `{record_flag}={}`",
        args.archive.display()
    ));
    let broker = supervisor.spawn(&mut command.to_command())?;
    let exercised = exercise(&mut supervisor, &broker, args, &kafka, &training_config);
    progress("stopping Kafka (SIGTERM)");
    let stopped = stop(&mut supervisor, &broker);
    exercised?;
    let code = stopped?;
    progress(&format!("Kafka exited with code {code}"));
    // SIGTERM: Kafka's shutdown hook runs and the JVM exits 143 (or 0); anything else failed.
    if code != 0 && code != 143 {
        return Err(ChildFailed {
            what: "Kafka".to_owned(),
            code,
        }
        .into());
    }

    let size = match std::fs::metadata(&args.archive) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => bail!(
            "Kafka stopped but wrote no archive at `{}`\nhelp: the JVM must support \
             `{record_flag}` (`-XX:ArchiveClassesAtExit`: JDK 13+; `-XX:AOTCacheOutput`: JDK 25+) \
             and be able to write there",
            args.archive.display()
        ),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("failed to read `{}`", args.archive.display()));
        }
    };
    if size == 0 {
        bail!("the archive `{}` is empty", args.archive.display());
    }
    Ok(size)
}

/// Puts the broker's log4j file in the scratch directory, where the training broker reads it as
/// `run`'s broker reads it from the final configs: the one beside the training config when there
/// is one (the image's defaults), else the distribution's. Without it log4j runs unconfigured and
/// the cache misses the classes that read and apply the file (log4j's YAML or properties
/// configuration, its appenders), which every real start then loads from the jars.
fn copy_log4j_config(kafka: &Distribution, config: &Path, scratch: &Path) -> anyhow::Result<()> {
    let Some(format) = kafka.log4j else {
        return Ok(());
    };
    let name = format.broker_file();
    let beside = config.with_file_name(name);
    let source = if beside.is_file() {
        beside
    } else {
        kafka.kafka_home.join("config").join(name)
    };
    let bytes = files::read_regular(&source)
        .map_err(|problem| anyhow!("failed to read `{}`: {problem}", source.display()))?;
    files::write_file(&scratch.join(name), &bytes, 0o600)
}

/// Kafka 3.x keeps its KRaft example under `config/kraft/`; 4.x has only KRaft in `config/`.
fn default_config(kafka_home: &Path) -> PathBuf {
    let kraft = kafka_home
        .join("config")
        .join("kraft")
        .join("server.properties");
    if kraft.is_file() {
        kraft
    } else {
        kafka_home.join("config").join("server.properties")
    }
}

/// The training config: the given file with its data directories moved to `data_dir`.
/// `java.util.Properties` keeps the last value of a key, so appending is enough.
fn training_properties(original: &str, data_dir: &Path) -> String {
    let dir = data_dir.display().to_string().replace('\\', "\\\\");
    let mut text = original.to_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "\n# kafka-entrypoint cds-train: training data stays out of the image\n\
         log.dirs={dir}\nmetadata.log.dir={dir}\n"
    ));
    text
}

/// Formats the scratch storage with Kafka's storage tool, as `jsa_launch` does with
/// `kafka-storage.sh format`. A dynamic quorum (`controller.quorum.bootstrap.servers`, no static
/// voters) needs `--standalone` on a single combined node.
fn format_storage(
    supervisor: &mut Supervisor,
    kafka: &Distribution,
    node: &NodeConfig,
    training_config: &Path,
) -> anyhow::Result<()> {
    // 22 base64url characters (16 bytes): a valid, fixed cluster id for throw-away data.
    let cluster_id = "cds-train-cluster-000w";
    let mut args: Vec<OsString> = ["format", "--cluster-id", cluster_id, "--config"]
        .map(OsString::from)
        .to_vec();
    args.push(training_config.into());
    if !node.has_static_voters() {
        args.push("--standalone".into());
    }
    progress("formatting scratch storage with Kafka's storage tool");
    let mut command = kafka.tool(kafka_storage::STORAGE_TOOL_CLASS, args)?;
    run_tool(
        supervisor,
        kafka_storage::STORAGE_TOOL_CLASS,
        &mut command,
        None,
        Duration::from_secs(120),
    )
}

/// Waits for health, then creates a topic, produces and consumes.
fn exercise(
    supervisor: &mut Supervisor,
    broker: &Child,
    args: &CdsTrainArgs,
    kafka: &Distribution,
    training_config: &Path,
) -> anyhow::Result<()> {
    wait_healthy(
        supervisor,
        broker,
        training_config,
        Duration::from_secs(args.start_timeout),
    )?;
    let topic = "cds-train";
    let server = args.bootstrap_server.as_str();
    let words = |words: &[&str]| words.iter().map(OsString::from).collect::<Vec<_>>();
    let mut create = kafka.tool(
        TOPIC_COMMAND,
        words(&["--create", "--topic", topic, "--bootstrap-server", server]),
    )?;
    run_tool(
        supervisor,
        TOPIC_COMMAND,
        &mut create,
        None,
        Duration::from_secs(120),
    )?;
    progress(&format!("created topic `{topic}`"));

    let records: String = (0..args.records)
        .map(|i| format!("cds-train record {i}\n"))
        .collect();
    let mut produce = kafka.tool(
        kafka.console_producer,
        words(&["--topic", topic, "--bootstrap-server", server]),
    )?;
    run_tool(
        supervisor,
        kafka.console_producer,
        &mut produce,
        Some(records.as_bytes()),
        Duration::from_secs(120),
    )?;
    progress(&format!("produced {} records", args.records));

    let max_messages = args.records.to_string();
    let mut consume = kafka.tool(
        CONSOLE_CONSUMER,
        words(&[
            "--topic",
            topic,
            "--from-beginning",
            "--bootstrap-server",
            server,
            "--max-messages",
            &max_messages,
            "--timeout-ms",
            "60000",
        ]),
    )?;
    run_tool(
        supervisor,
        CONSOLE_CONSUMER,
        &mut consume,
        None,
        Duration::from_secs(120),
    )?;
    progress(&format!("consumed from `{topic}`"));
    Ok(())
}

/// Runs `kafka-entrypoint health` against the training config until it passes.
fn wait_healthy(
    supervisor: &mut Supervisor,
    broker: &Child,
    config: &Path,
    timeout: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let myself = std::env::current_exe().context("failed to find the kafka-entrypoint binary")?;
    loop {
        let mut health = Command::new(&myself);
        health
            .arg("health")
            .arg("--config")
            .arg(config)
            .args(["--timeout", "2s"]);
        health.stdout(Stdio::null()).stderr(Stdio::null());
        let check = supervisor.spawn(&mut health)?;
        if supervisor.wait(&check, None)? == Some(0) {
            progress(&format!(
                "Kafka answered ApiVersions after {:.1} s",
                started.elapsed().as_secs_f64()
            ));
            return Ok(());
        }
        if let Some(code) = supervisor.wait(broker, Some(HEALTH_INTERVAL))? {
            return Err(anyhow::Error::new(ChildFailed {
                what: "Kafka".to_owned(),
                code,
            })
            .context("Kafka exited before answering its health check"));
        }
        if started.elapsed() > timeout {
            bail!(
                "Kafka did not answer its health check within {} s\nhelp: raise `--start-timeout` \
                 or check the broker's output above",
                timeout.as_secs()
            );
        }
    }
}

/// `kafka-topics.sh`'s class, 3.9 and 4.x.
const TOPIC_COMMAND: &str = "org.apache.kafka.tools.TopicCommand";
/// `kafka-console-consumer.sh`'s class, 3.9 and 4.x.
const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";

/// What training needs from the distribution: its classpath, log4j format and tool classes.
struct Distribution {
    kafka_home: PathBuf,
    classpath: Vec<PathBuf>,
    log4j: Option<Log4jFormat>,
    /// `kafka-console-producer.sh`'s class: in core (Scala) up to 3.x, in tools from 4.0.
    console_producer: &'static str,
    env: EnvSnapshot,
}

impl Distribution {
    fn read(kafka_home: &Path, env: &EnvSnapshot) -> anyhow::Result<Self> {
        let classpath = distribution::classpath(kafka_home)?;
        let config = kafka_home.join("config");
        let names: Vec<String> = std::fs::read_dir(&config)
            .with_context(|| format!("failed to list `{}`", config.display()))?
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .collect();
        let console_producer = match distribution::kafka_major_version(&classpath) {
            Some(major) if major < 4 => "kafka.tools.ConsoleProducer",
            _ => "org.apache.kafka.tools.ConsoleProducer",
        };
        Ok(Self {
            kafka_home: kafka_home.to_owned(),
            classpath,
            log4j: Log4jFormat::detect(names.iter().map(String::as_str)),
            console_producer,
            env: env.clone(),
        })
    }

    /// One of Kafka's tools, started as `kafka-run-class.sh` starts it; its stdout is not ours to
    /// print.
    fn tool(&self, main_class: &str, args: Vec<OsString>) -> anyhow::Result<Command> {
        let launch = launch::tool_command(
            &self.kafka_home,
            self.log4j,
            &self.env,
            &self.classpath,
            main_class,
            args,
        )?;
        let mut command = launch.to_command();
        command.stdout(Stdio::null());
        Ok(command)
    }
}

/// Runs the tool `program` (its main class) to completion (feeding `stdin` when given) and fails
/// unless it exits 0.
fn run_tool(
    supervisor: &mut Supervisor,
    program: &str,
    command: &mut Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> anyhow::Result<()> {
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = supervisor.spawn(command)?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(bytes)
            .with_context(|| format!("failed to write to `{program}`"))?;
    }
    match supervisor.wait(&child, Some(timeout))? {
        Some(0) => Ok(()),
        Some(code) => Err(ChildFailed {
            what: format!("`{program}`"),
            code,
        }
        .into()),
        None => {
            supervisor.signal(&child, Signal::SIGKILL)?;
            supervisor.wait(&child, None)?;
            bail!("`{program}` did not finish within {} s", timeout.as_secs())
        }
    }
}

/// Sends SIGTERM and waits for the broker to exit (SIGKILL after [`STOP_GRACE`]).
fn stop(supervisor: &mut Supervisor, broker: &Child) -> anyhow::Result<i32> {
    if !supervisor.is_running(broker)? {
        // It already exited; its code was reaped and is reported by the wait below.
        return supervisor
            .wait(broker, Some(Duration::ZERO))?
            .context("internal error: the broker was reaped but its exit code was lost");
    }
    supervisor.signal(broker, Signal::SIGTERM)?;
    if let Some(code) = supervisor.wait(broker, Some(STOP_GRACE))? {
        return Ok(code);
    }
    supervisor.signal(broker, Signal::SIGKILL)?;
    supervisor.wait(broker, None)?;
    bail!(
        "Kafka did not stop within {} s of SIGTERM and was killed",
        STOP_GRACE.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_config_moves_the_data_directories_last() {
        let text =
            training_properties("node.id=1\nlog.dirs=/var/lib/kafka/data", Path::new("/t/d"));
        assert_eq!(
            text,
            "node.id=1\nlog.dirs=/var/lib/kafka/data\n\n# kafka-entrypoint cds-train: training \
             data stays out of the image\nlog.dirs=/t/d\nmetadata.log.dir=/t/d\n"
        );
    }

    #[test]
    fn default_config_prefers_the_3x_kraft_example() {
        let home = tempfile::tempdir().unwrap();
        let kraft = home.path().join("config/kraft");
        assert_eq!(
            default_config(home.path()),
            home.path().join("config/server.properties")
        );
        std::fs::create_dir_all(&kraft).unwrap();
        std::fs::write(kraft.join("server.properties"), "").unwrap();
        assert_eq!(default_config(home.path()), kraft.join("server.properties"));
    }
}
