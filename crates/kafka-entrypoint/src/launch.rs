//! The commands that start Kafka's JVMs, as Kafka's own scripts would build them.
//!
//! Two layers, each following an upstream file:
//! - [`launcher_environment`]: what the official image's `docker/jvm/launch` exports before it
//!   calls `kafka-server-start.sh` (JMX remote options from `KAFKA_JMX_PORT`/`KAFKA_JMX_HOSTNAME`,
//!   the log4j file of the final config directory, the GC log, the CDS flags);
//! - [`run_class`]: what `bin/kafka-run-class.sh` turns those variables into: one `java` argv
//!   (heap, performance and GC options, JMX, `-Dkafka.logs.dir`, log4j, the classpath from
//!   `libs/`, `KAFKA_OPTS`, `KAFKA_DEBUG`, the main class and its arguments).
//!
//! [`server_command`] is `kafka-server-start.sh` → `kafka-run-class.sh kafka.Kafka` (the native
//! launch, `run`'s default: no shell in the start path); [`tool_command`] is
//! `kafka-run-class.sh <tool class>` (the storage fallback, `cds-train`'s topic/producer/consumer);
//! [`script_command`] keeps the exec of `bin/kafka-server-start.sh` (`KAFKA_ENTRYPOINT_LAUNCH=script`).
//! The variables and what each becomes are tabled in the user guide ("Launch").
//!
//! Pure: the caller passes the environment snapshot, the paths, the classpath it listed
//! ([`crate::distribution`]) and a resolver for the JMX host name. Differences from upstream,
//! each on purpose:
//! - the CDS flags go into `KAFKA_OPTS`, not `KAFKA_JVM_PERFORMANCE_OPTS`: upstream's choice makes
//!   that variable non-empty, so `kafka-run-class.sh` silently drops its G1 defaults;
//! - `-Xshare:auto` is added so a stale or mismatched archive never stops the broker;
//! - the GC log options are the Java 9+ form without running `java -version` first (every JDK
//!   that runs Kafka 3.9+ brokers is 11 or later);
//! - `KAFKA_JMX_HOSTNAME` is resolved only when `KAFKA_JMX_PORT` is set (the only case that uses
//!   it), so a start without JMX does no name lookup;
//! - unquoted variables are split into words on blanks as bash does, without bash's pathname
//!   expansion (a `*` in `KAFKA_OPTS` stays a `*`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;
use kafka_config::Log4jFormat;

use crate::memory::heap_opts_for_limit;
use crate::{EnvSnapshot, env_lookup, env_non_empty};

/// JMX options upstream's `launch` script uses when `KAFKA_JMX_OPTS` is empty.
const DEFAULT_JMX_OPTS: &str = "-Dcom.sun.management.jmxremote=true \
     -Dcom.sun.management.jmxremote.authenticate=false \
     -Dcom.sun.management.jmxremote.ssl=false";

/// JMX options `kafka-run-class.sh` uses when `KAFKA_JMX_OPTS` is empty (tools).
const RUN_CLASS_JMX_OPTS: &str = "-Dcom.sun.management.jmxremote \
     -Dcom.sun.management.jmxremote.authenticate=false \
     -Dcom.sun.management.jmxremote.ssl=false";

/// `kafka-server-start.sh`'s heap when `KAFKA_HEAP_OPTS` is empty and the container has no
/// memory limit.
const SERVER_HEAP_OPTS: &str = "-Xmx1G -Xms1G";

/// `kafka-run-class.sh`'s heap when `KAFKA_HEAP_OPTS` is empty (tools).
const RUN_CLASS_HEAP_OPTS: &str = "-Xmx256M";

/// `kafka-run-class.sh`'s `KAFKA_JVM_PERFORMANCE_OPTS` when it is empty (3.9 to 4.4).
const DEFAULT_JVM_PERFORMANCE_OPTS: &str = "-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
     -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
     -XX:MaxInlineLevel=15 -Djava.awt.headless=true";

/// The broker's main class.
pub(crate) const KAFKA_MAIN_CLASS: &str = "kafka.Kafka";

/// How `run` starts Kafka (`KAFKA_ENTRYPOINT_LAUNCH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LaunchMode {
    /// Exec `java` with the argv Kafka's scripts would build (no shell; the default).
    Native,
    /// Exec the distribution's `bin/kafka-server-start.sh` (needs Kafka's `bin/` scripts).
    Script,
}

/// Whether `archive` is a JDK 25 AOT cache (JEP 483/514: classes loaded and linked, method
/// profiles) rather than a class-data-sharing archive: by its name, `*.aot`.
pub(crate) fn is_aot_cache(archive: &Path) -> bool {
    archive.extension().is_some_and(|ext| ext == "aot")
}

/// Modules the JVM adds to its boot layer by itself for options an operator may turn on after
/// the training run: `jdk.management.agent` for `com.sun.management.jmxremote` (in upstream's
/// default `KAFKA_JMX_OPTS`) and `java.instrument` for a `-javaagent` (the Prometheus exporter).
/// JDK 25 refuses a whole AOT cache whose added modules differ from the running JVM's ("Mismatched
/// values for property jdk.module.addmods"), so training and every start with the cache name both
/// with `--add-modules`: the set is then the same whichever of those options are on.
const AOT_STABLE_MODULES: [&str; 2] = ["java.instrument", "jdk.management.agent"];

/// `--add-modules=…` with those of [`AOT_STABLE_MODULES`] that the Java runtime has, from the
/// `MODULES="…"` line of its `release` file (a runtime linked by jlink may lack one: naming a
/// missing module would stop the JVM); `None` when it has neither or the file lists no modules.
fn aot_add_modules_option(java_release: &str) -> Option<OsString> {
    let modules = java_release.lines().find_map(|line| {
        line.strip_prefix("MODULES=")
            .map(|value| value.trim().trim_matches('"'))
    })?;
    let present: Vec<&str> = AOT_STABLE_MODULES
        .into_iter()
        .filter(|wanted| {
            modules
                .split_ascii_whitespace()
                .any(|module| module == *wanted)
        })
        .collect();
    if present.is_empty() {
        return None;
    }
    Some(format!("--add-modules={}", present.join(",")).into())
}

/// The `release` file of the Java runtime `run` and `cds-train` start, when `cds` uses or records
/// an AOT cache, the only launch that needs it ([`aot_add_modules_option`]); `None` otherwise
/// (no file is read) or when there is no such file.
pub(crate) fn java_release_for(cds: Cds<'_>, env: &EnvSnapshot) -> Option<String> {
    match cds {
        Cds::Use(archive) | Cds::Record(archive) if is_aot_cache(archive) => read_java_release(env),
        _ => None,
    }
}

/// The `release` file of the Java runtime (`JAVA_HOME/release`; `java` from `PATH` is resolved
/// through its links to `…/bin/java`); `None` when there is no such file.
fn read_java_release(env: &EnvSnapshot) -> Option<String> {
    let home = match env_non_empty(env, "JAVA_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            let path = env_non_empty(env, "PATH")?;
            let java = std::env::split_paths(path)
                .map(|dir| dir.join("java"))
                .find(|candidate| candidate.is_file())?;
            let java = std::fs::canonicalize(java).ok()?;
            java.parent()?.parent()?.to_path_buf()
        }
    };
    std::fs::read_to_string(home.join("release")).ok()
}

/// What the JVM does with the class-data-sharing archive or AOT cache (`*.aot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cds<'a> {
    /// No archive (none exists).
    Off,
    /// Map the existing archive at start (`run`).
    Use(&'a Path),
    /// Record an archive of the loaded classes when the JVM exits (`cds-train`).
    Record(&'a Path),
}

/// Everything besides the environment that decides the broker's launch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LaunchInputs<'a> {
    /// The Kafka distribution (`KAFKA_HOME`, `/opt/kafka` in the image).
    pub(crate) kafka_home: &'a Path,
    /// The directory `setup` wrote `server.properties` and the log4j files into.
    pub(crate) final_configs_dir: &'a Path,
    /// The distribution's log4j format (from `setup`), if it ships log4j files.
    pub(crate) log4j: Option<Log4jFormat>,
    /// The CDS archive mode.
    pub(crate) cds: Cds<'a>,
    /// The container's memory limit in bytes, if it has one: without `KAFKA_HEAP_OPTS`, the
    /// broker's heap is sized from it ([`crate::memory`]) instead of Kafka's fixed 1 GiB.
    pub(crate) memory_limit: Option<u64>,
    /// The Prometheus JMX exporter agent, when metrics are turned on.
    pub(crate) metrics: Option<MetricsAgent<'a>>,
    /// The Java runtime's `release` file ([`java_release_for`]): with an AOT cache, the modules
    /// it lists decide [`aot_add_modules_option`].
    pub(crate) java_release: Option<&'a str>,
}

/// The Prometheus JMX exporter Java agent in the broker's JVM (no extra JVM): it serves the
/// broker's MBeans, renamed by its rules file, at `http://HOST:PORT/metrics`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MetricsAgent<'a> {
    /// The agent jar (`jmx_prometheus_javaagent`).
    pub(crate) jar: &'a Path,
    /// The HTTP port it listens on (`KAFKA_ENTRYPOINT_METRICS_PORT`).
    pub(crate) port: u16,
    /// Its rules file.
    pub(crate) rules: &'a Path,
}

/// A program, its arguments and its whole environment, plus what the scripts would have done
/// on the way (create the log directory, print a notice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaunchCommand {
    /// The program to exec (`java`, or a script with `--launch script`).
    pub(crate) program: PathBuf,
    /// Its arguments.
    pub(crate) args: Vec<OsString>,
    /// Its complete environment (the snapshot plus the launcher variables).
    pub(crate) env: Vec<(OsString, OsString)>,
    /// The directory `kafka-run-class.sh` creates before the start (`LOG_DIR`), if any.
    pub(crate) log_dir_to_create: Option<PathBuf>,
    /// Lines the scripts would print on the way (e.g. `KAFKA_DEBUG`'s "Enabling Java debug
    /// options").
    pub(crate) notices: Vec<String>,
}

impl LaunchCommand {
    /// A `std::process::Command` with exactly this program, arguments and environment.
    pub(crate) fn to_command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// The value of `name` in the command's environment.
    #[cfg(test)]
    pub(crate) fn env_var(&self, name: &str) -> Option<&OsStr> {
        env_lookup(&self.env, name)
    }
}

/// One of Kafka's JVMs (the broker or a tool) that the entrypoint supervised exited non-zero: its
/// code (128 + n after signal n) becomes the entrypoint's, as a shell would pass it on.
#[derive(Debug)]
pub(crate) struct ChildFailed {
    /// What ran, for the message (`Kafka`, `` `kafka.tools.StorageTool` ``).
    pub(crate) what: String,
    /// Its exit code.
    pub(crate) code: i32,
}

impl ChildFailed {
    /// The exit code to pass on (1 when the code does not fit one byte or is 0).
    pub(crate) fn exit_code(&self) -> u8 {
        u8::try_from(self.code)
            .ok()
            .filter(|code| *code != 0)
            .unwrap_or(1)
    }
}

impl std::fmt::Display for ChildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} exited with code {}; see its output above",
            self.what, self.code
        )
    }
}

impl std::error::Error for ChildFailed {}

/// The variables upstream's `docker/jvm/launch` exports for `kafka-server-start.sh`.
///
/// `resolve_jmx_host` is called only when `KAFKA_JMX_PORT` is set and `KAFKA_JMX_HOSTNAME` is not;
/// it stands for upstream's `hostname -i | cut -d" " -f1` (the first address of the host name).
fn launcher_environment(
    inputs: &LaunchInputs<'_>,
    env: &EnvSnapshot,
    resolve_jmx_host: impl FnOnce() -> Option<String>,
) -> anyhow::Result<Vec<(OsString, OsString)>> {
    let mut vars: Vec<(OsString, OsString)> = env.clone();

    // upstream `launch`: "Override this section from the script to include the
    // com.sun.management.jmxremote.rmi.port property."
    let mut jmx_opts = match env_non_empty(&vars, "KAFKA_JMX_OPTS") {
        Some(opts) => opts.to_owned(),
        None => OsString::from(DEFAULT_JMX_OPTS),
    };
    if let Some(port) = env_non_empty(&vars, "KAFKA_JMX_PORT").map(OsStr::to_owned) {
        let host = match env_non_empty(&vars, "KAFKA_JMX_HOSTNAME") {
            Some(host) => host.to_owned(),
            None => match resolve_jmx_host() {
                Some(host) => OsString::from(host),
                None => bail!(
                    "`KAFKA_JMX_PORT` is set but the address of this host could not be resolved \
                     for `KAFKA_JMX_HOSTNAME`\nhelp: set `KAFKA_JMX_HOSTNAME` to the address JMX \
                     clients connect to"
                ),
            },
        };
        // Sets JMX_PORT so kafka-run-class.sh adds its own `jmxremote.port` with the same value.
        for part in [
            " -Djava.rmi.server.hostname=".as_ref(),
            host.as_os_str(),
            " -Dcom.sun.management.jmxremote.local.only=false".as_ref(),
            " -Dcom.sun.management.jmxremote.rmi.port=".as_ref(),
            port.as_os_str(),
            " -Dcom.sun.management.jmxremote.port=".as_ref(),
            port.as_os_str(),
        ] {
            jmx_opts.push(part);
        }
        set(&mut vars, "KAFKA_JMX_HOSTNAME", host);
        set(&mut vars, "JMX_PORT", port);
    }
    set(&mut vars, "KAFKA_JMX_OPTS", jmx_opts);

    if let (None, Some(format)) = (env_non_empty(&vars, "KAFKA_LOG4J_OPTS"), inputs.log4j) {
        let file = inputs.final_configs_dir.join(format.broker_file());
        set(&mut vars, "KAFKA_LOG4J_OPTS", log4j_option(format, &file));
    }

    let log_dir = log_dir(&vars, inputs.kafka_home);
    // kafka-server-start.sh passes `-name kafkaServer -loggc` unless EXTRA_ARGS is set.
    if env_lookup(&vars, "EXTRA_ARGS").is_none()
        && env_non_empty(&vars, "KAFKA_GC_LOG_OPTS").is_none()
    {
        set(
            &mut vars,
            "KAFKA_GC_LOG_OPTS",
            gc_log_option(&log_dir, "kafkaServer"),
        );
    }
    set(&mut vars, "LOG_DIR", log_dir.into_os_string());

    let cds_flags: Option<OsString> = match inputs.cds {
        Cds::Off => None,
        Cds::Use(archive) if is_aot_cache(archive) => {
            // JDK 24+ (JEP 483): `-XX:AOTMode=auto` (the default) runs on without a cache that
            // does not match the JVM or the classpath.
            let mut flags = OsString::from("-XX:AOTCache=");
            flags.push(archive);
            Some(with_aot_stable_modules(flags, inputs.java_release))
        }
        Cds::Use(archive) => {
            let mut flags = OsString::from("-XX:SharedArchiveFile=");
            flags.push(archive);
            flags.push(" -Xshare:auto");
            Some(flags)
        }
        Cds::Record(archive) if is_aot_cache(archive) => {
            // JDK 25 (JEP 514): one training run writes the cache when the JVM exits.
            let mut flags = OsString::from("-XX:AOTCacheOutput=");
            flags.push(archive);
            Some(with_aot_stable_modules(flags, inputs.java_release))
        }
        Cds::Record(archive) => {
            let mut flags = OsString::from("-XX:ArchiveClassesAtExit=");
            flags.push(archive);
            Some(flags)
        }
    };
    let agent_flag = inputs.metrics.map(|agent| {
        let mut flag = OsString::from("-javaagent:");
        flag.push(agent.jar);
        flag.push(format!("={}:", agent.port));
        flag.push(agent.rules);
        flag
    });
    for flags in [agent_flag, cds_flags].into_iter().flatten() {
        let kafka_opts = match env_non_empty(&vars, "KAFKA_OPTS") {
            Some(opts) => {
                let mut joined = opts.to_owned();
                joined.push(" ");
                joined.push(&flags);
                joined
            }
            None => flags,
        };
        set(&mut vars, "KAFKA_OPTS", kafka_opts);
    }
    Ok(vars)
}

/// The AOT cache's `flags` followed by [`aot_add_modules_option`] for the runtime, if any.
fn with_aot_stable_modules(mut flags: OsString, java_release: Option<&str>) -> OsString {
    if let Some(option) = java_release.and_then(aot_add_modules_option) {
        flags.push(" ");
        flags.push(option);
    }
    flags
}

/// `bin/kafka-server-start.sh FINAL/server.properties` and its environment
/// (`KAFKA_ENTRYPOINT_LAUNCH=script`).
pub(crate) fn script_command(
    inputs: &LaunchInputs<'_>,
    env: &EnvSnapshot,
    resolve_jmx_host: impl FnOnce() -> Option<String>,
) -> anyhow::Result<LaunchCommand> {
    Ok(LaunchCommand {
        program: inputs.kafka_home.join("bin").join("kafka-server-start.sh"),
        args: vec![server_properties(inputs)],
        env: launcher_environment(inputs, env, resolve_jmx_host)?,
        log_dir_to_create: None,
        notices: Vec::new(),
    })
}

/// The `java` command `kafka-server-start.sh FINAL/server.properties` would exec (the native
/// launch), with `classpath` listed from the distribution's `libs/`.
pub(crate) fn server_command(
    inputs: &LaunchInputs<'_>,
    env: &EnvSnapshot,
    classpath: &[PathBuf],
    resolve_jmx_host: impl FnOnce() -> Option<String>,
) -> anyhow::Result<LaunchCommand> {
    let mut vars = launcher_environment(inputs, env, resolve_jmx_host)?;
    // kafka-server-start.sh's own defaults.
    if let (None, Some(format)) = (env_non_empty(&vars, "KAFKA_LOG4J_OPTS"), inputs.log4j) {
        let file = inputs.kafka_home.join("config").join(format.broker_file());
        set(&mut vars, "KAFKA_LOG4J_OPTS", log4j_option(format, &file));
    }
    let mut notices = Vec::new();
    if env_non_empty(&vars, "KAFKA_HEAP_OPTS").is_none() {
        let heap = match inputs.memory_limit {
            Some(limit) => {
                let heap = heap_opts_for_limit(limit);
                notices.push(format!(
                    "heap `{heap}` from the container's memory limit of {} MiB (set \
                     `KAFKA_HEAP_OPTS` to choose another)",
                    limit / (1024 * 1024)
                ));
                heap
            }
            None => SERVER_HEAP_OPTS.to_owned(),
        };
        set(&mut vars, "KAFKA_HEAP_OPTS", heap.into());
    }
    let extra_args = match env_lookup(&vars, "EXTRA_ARGS") {
        Some(words) => parse_extra_args(words)?,
        None => ExtraArgs {
            daemon_name: Some("kafkaServer".to_owned()),
            gc_log: true,
        },
    };
    let mut command = run_class(
        &RunClass {
            kafka_home: inputs.kafka_home,
            log4j: inputs.log4j,
            daemon_name: extra_args.daemon_name.as_deref(),
            gc_log: extra_args.gc_log,
            main_class: KAFKA_MAIN_CLASS,
            args: vec![server_properties(inputs)],
        },
        vars,
        classpath,
    )?;
    notices.append(&mut command.notices);
    command.notices = notices;
    Ok(command)
}

/// The `java` command `kafka-run-class.sh MAIN_CLASS ARGS…` would exec for one of Kafka's tools
/// (storage tool, topics, console producer and consumer): the tools' log4j file, the tools' heap.
pub(crate) fn tool_command(
    kafka_home: &Path,
    log4j: Option<Log4jFormat>,
    env: &EnvSnapshot,
    classpath: &[PathBuf],
    main_class: &str,
    args: Vec<OsString>,
) -> anyhow::Result<LaunchCommand> {
    run_class(
        &RunClass {
            kafka_home,
            log4j,
            daemon_name: None,
            gc_log: false,
            main_class,
            args,
        },
        env.clone(),
        classpath,
    )
}

/// One `kafka-run-class.sh` call.
struct RunClass<'a> {
    kafka_home: &'a Path,
    log4j: Option<Log4jFormat>,
    /// `-name NAME`: names the GC log.
    daemon_name: Option<&'a str>,
    /// `-loggc`.
    gc_log: bool,
    main_class: &'a str,
    args: Vec<OsString>,
}

/// `EXTRA_ARGS` of `kafka-server-start.sh`, as `kafka-run-class.sh` parses them.
struct ExtraArgs {
    daemon_name: Option<String>,
    gc_log: bool,
}

/// Parses `EXTRA_ARGS` (`-name NAME`, `-loggc`); anything else would change the main class in
/// upstream's scripts and is refused with the reason.
fn parse_extra_args(words: &OsStr) -> anyhow::Result<ExtraArgs> {
    let mut parsed = ExtraArgs {
        daemon_name: None,
        gc_log: false,
    };
    let words = split_words(words);
    let mut words = words.iter().map(|w| w.to_string_lossy());
    while let Some(word) = words.next() {
        match word.as_ref() {
            "-name" => match words.next() {
                Some(name) => parsed.daemon_name = Some(name.into_owned()),
                None => bail!(
                    "`EXTRA_ARGS` ends with `-name` but no name\nhelp: write `-name NAME`, or \
                     unset `EXTRA_ARGS` for Kafka's default `-name kafkaServer -loggc`"
                ),
            },
            "-loggc" => parsed.gc_log = true,
            "-daemon" => bail!(
                "`EXTRA_ARGS` asks for `-daemon`, which would leave the container without its \
                 broker process\nhelp: remove `-daemon` from `EXTRA_ARGS`"
            ),
            other => bail!(
                "`EXTRA_ARGS` holds `{other}`, which Kafka's scripts would take as the main class\n\
                 help: `EXTRA_ARGS` takes only `-name NAME` and `-loggc`; JVM options go into \
                 `KAFKA_OPTS`"
            ),
        }
    }
    Ok(parsed)
}

/// `kafka-run-class.sh`: the variables in `vars` become one `java` argv (`classpath` is not empty:
/// [`crate::distribution::classpath`] refuses an empty `libs/`).
fn run_class(
    call: &RunClass<'_>,
    mut vars: Vec<(OsString, OsString)>,
    classpath: &[PathBuf],
) -> anyhow::Result<LaunchCommand> {
    let mut notices = Vec::new();

    let mut jmx_opts = match env_non_empty(&vars, "KAFKA_JMX_OPTS") {
        Some(opts) => opts.to_owned(),
        None => OsString::from(RUN_CLASS_JMX_OPTS),
    };
    if let Some(port) = env_non_empty(&vars, "JMX_PORT").map(OsStr::to_owned) {
        jmx_opts.push(" -Dcom.sun.management.jmxremote.port=");
        jmx_opts.push(port);
    }
    if let Some(port) = env_non_empty(&vars, "JMX_RMI_PORT").map(OsStr::to_owned) {
        jmx_opts.push(" -Dcom.sun.management.jmxremote.rmi.port=");
        jmx_opts.push(port);
    }

    let log_dir = log_dir(&vars, call.kafka_home);
    let mut log_dir_to_create = None;
    let log4j_opts = match env_non_empty(&vars, "KAFKA_LOG4J_OPTS") {
        None => match call.log4j {
            // "Log to console. This is a tool."
            Some(format) => {
                let file = call.kafka_home.join("config").join(format.tools_file());
                log4j_option(format, &file)
            }
            None => OsString::new(),
        },
        Some(opts) => {
            let opts = opts.to_owned();
            if call.log4j == Some(Log4jFormat::Log4j2Yaml) && names_log4j1_file(&opts) {
                // Kafka 4.x: "Enable Log4j 1.x configuration compatibility mode for Log4j 2".
                set(&mut vars, "LOG4J_COMPATIBILITY", "true".into());
                notices.push(
                    "DEPRECATED: A Log4j 1.x configuration file has been detected, which is no \
                     longer recommended."
                        .to_owned(),
                );
            }
            log_dir_to_create = Some(log_dir.clone());
            opts
        }
    };
    let mut logs_dir_option = OsString::from("-Dkafka.logs.dir=");
    logs_dir_option.push(&log_dir);

    let mut kafka_opts = env_non_empty(&vars, "KAFKA_OPTS")
        .map(OsStr::to_owned)
        .unwrap_or_default();
    if env_non_empty(&vars, "KAFKA_DEBUG").is_some() {
        let port = env_non_empty(&vars, "JAVA_DEBUG_PORT")
            .map(OsStr::to_owned)
            .unwrap_or_else(|| "5005".into());
        let debug_opts = match env_non_empty(&vars, "JAVA_DEBUG_OPTS") {
            Some(opts) => opts.to_owned(),
            None => {
                let suspend = env_non_empty(&vars, "DEBUG_SUSPEND_FLAG")
                    .map(OsStr::to_owned)
                    .unwrap_or_else(|| "n".into());
                let mut opts =
                    OsString::from("-agentlib:jdwp=transport=dt_socket,server=y,suspend=");
                opts.push(suspend);
                opts.push(",address=");
                opts.push(port);
                opts
            }
        };
        notices.push(format!(
            "Enabling Java debug options: {}",
            debug_opts.to_string_lossy()
        ));
        let mut joined = debug_opts;
        joined.push(" ");
        joined.push(kafka_opts);
        kafka_opts = joined;
    }

    let program = match env_non_empty(&vars, "JAVA_HOME") {
        Some(home) => Path::new(home).join("bin").join("java"),
        None => PathBuf::from("java"),
    };
    let heap_opts = env_non_empty(&vars, "KAFKA_HEAP_OPTS")
        .map(OsStr::to_owned)
        .unwrap_or_else(|| RUN_CLASS_HEAP_OPTS.into());
    let performance_opts = env_non_empty(&vars, "KAFKA_JVM_PERFORMANCE_OPTS")
        .map(OsStr::to_owned)
        .unwrap_or_else(|| DEFAULT_JVM_PERFORMANCE_OPTS.into());
    let gc_log_opts = match env_non_empty(&vars, "KAFKA_GC_LOG_OPTS") {
        Some(opts) => opts.to_owned(),
        None if call.gc_log => gc_log_option(&log_dir, call.daemon_name.unwrap_or_default()),
        None => OsString::new(),
    };

    let mut args: Vec<OsString> = Vec::new();
    for words in [
        &heap_opts,
        &performance_opts,
        &gc_log_opts,
        &jmx_opts,
        &logs_dir_option,
        &log4j_opts,
    ] {
        args.extend(split_words(words));
    }
    args.push("-cp".into());
    args.push(join_classpath(env_lookup(&vars, "CLASSPATH"), classpath));
    args.extend(split_words(&kafka_opts));
    args.push(call.main_class.into());
    args.extend(call.args.iter().cloned());

    Ok(LaunchCommand {
        program,
        args,
        env: vars,
        log_dir_to_create,
        notices,
    })
}

/// `FINAL/server.properties`.
fn server_properties(inputs: &LaunchInputs<'_>) -> OsString {
    inputs
        .final_configs_dir
        .join("server.properties")
        .into_os_string()
}

/// `LOG_DIR`, or `KAFKA_HOME/logs` as the scripts default it.
fn log_dir(vars: &[(OsString, OsString)], kafka_home: &Path) -> PathBuf {
    match env_non_empty(vars, "LOG_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => kafka_home.join("logs"),
    }
}

/// The value of `KAFKA_LOG4J_OPTS` pointing at a log4j `file`, in the system property each
/// log4j generation reads (`log4j2.configurationFile` for Kafka 4.x, `log4j.configuration` for
/// 3.x), as a `file:` URL like the scripts use.
fn log4j_option(format: Log4jFormat, file: &Path) -> OsString {
    let mut option = OsString::from(match format {
        Log4jFormat::Log4j2Yaml => "-Dlog4j2.configurationFile=file:",
        Log4jFormat::Log4jProperties => "-Dlog4j.configuration=file:",
    });
    option.push(file);
    option
}

/// `kafka-run-class.sh -loggc` on Java 9+.
fn gc_log_option(log_dir: &Path, daemon_name: &str) -> OsString {
    let mut gc = OsString::from("-Xlog:gc*:file=");
    gc.push(log_dir.join(format!("{daemon_name}-gc.log")));
    gc.push(":time,tags:filecount=10,filesize=100M");
    gc
}

/// Kafka 4.x's test for a log4j 1 file in `KAFKA_LOG4J_OPTS`:
/// `grep -E "log4j\.[^[:space:]]+(\.properties|\.xml)$"`.
fn names_log4j1_file(opts: &OsStr) -> bool {
    let text = opts.to_string_lossy();
    let Some(start) = text.find("log4j.") else {
        return false;
    };
    let rest = &text[start + "log4j.".len()..];
    !rest.is_empty()
        && !rest.contains(char::is_whitespace)
        && (rest.ends_with(".properties") || rest.ends_with(".xml"))
}

/// The classpath `kafka-run-class.sh` builds: a user `CLASSPATH` first, then the jars.
fn join_classpath(user: Option<&OsStr>, jars: &[PathBuf]) -> OsString {
    let mut parts: Vec<&OsStr> = Vec::with_capacity(jars.len() + 1);
    if let Some(user) = user.filter(|value| !value.is_empty()) {
        parts.push(user);
    }
    parts.extend(jars.iter().map(|jar| jar.as_os_str()));
    let mut joined = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            joined.push(b':');
        }
        joined.extend_from_slice(part.as_bytes());
    }
    OsString::from_vec(joined)
}

/// Whether `kafka-run-class.sh` puts a file of `libs/` on the classpath: its regex
/// `(-(test|test-sources|src|scaladoc|javadoc)\.jar|jar.asc|connect-file.*\.jar)$`.
pub(crate) fn is_classpath_file(name: &OsStr) -> bool {
    let name = name.as_bytes();
    let excluded_suffix = [
        b"-test.jar".as_slice(),
        b"-test-sources.jar",
        b"-src.jar",
        b"-scaladoc.jar",
        b"-javadoc.jar",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix));
    let signature =
        name.len() >= 7 && name.ends_with(b"asc") && name[name.len() - 7..].starts_with(b"jar");
    let connect_file = name.ends_with(b".jar")
        && name
            .windows(b"connect-file".len())
            .any(|window| window == b"connect-file");
    !(excluded_suffix || signature || connect_file)
}

/// Splits an unquoted shell expansion into words on blanks (space, tab, newline).
fn split_words(value: &OsStr) -> Vec<OsString> {
    value
        .as_bytes()
        .split(|b| matches!(b, b' ' | b'\t' | b'\n'))
        .filter(|word| !word.is_empty())
        .map(|word| OsString::from_vec(word.to_vec()))
        .collect()
}

/// Sets `name` to `value`, replacing every earlier value.
fn set(env: &mut Vec<(OsString, OsString)>, name: &str, value: OsString) {
    env.retain(|(key, _)| key != name);
    env.push((OsString::from(name), value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_env as env;

    fn inputs(cds: Cds<'_>) -> LaunchInputs<'_> {
        LaunchInputs {
            kafka_home: Path::new("/opt/kafka"),
            final_configs_dir: Path::new("/opt/kafka/config"),
            log4j: Some(Log4jFormat::Log4j2Yaml),
            cds,
            memory_limit: None,
            metrics: None,
            java_release: None,
        }
    }

    fn no_lookup() -> Option<String> {
        panic!("the JMX host must not be resolved without KAFKA_JMX_PORT")
    }

    fn var<'c>(command: &'c LaunchCommand, name: &str) -> Option<&'c str> {
        command
            .env_var(name)
            .map(|v| v.to_str().expect("test values are UTF-8"))
    }

    fn classpath() -> Vec<PathBuf> {
        vec![
            PathBuf::from("/opt/kafka/libs/kafka-clients-4.4.0.jar"),
            PathBuf::from("/opt/kafka/libs/kafka_2.13-4.4.0.jar"),
        ]
    }

    fn argv(command: &LaunchCommand) -> Vec<&str> {
        command
            .args
            .iter()
            .map(|a| a.to_str().expect("test values are UTF-8"))
            .collect()
    }

    fn server(given: &[(&str, &str)], cds: Cds<'_>) -> LaunchCommand {
        server_command(&inputs(cds), &env(given), &classpath(), no_lookup).unwrap()
    }

    #[test]
    fn native_launch_is_the_argv_of_kafka_server_start_and_kafka_run_class() {
        let command = server(&[("PATH", "/usr/bin")], Cds::Off);
        assert_eq!(command.program, Path::new("java"));
        assert_eq!(
            argv(&command),
            [
                "-Xmx1G",
                "-Xms1G",
                "-server",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35",
                "-XX:+ExplicitGCInvokesConcurrent",
                "-XX:MaxInlineLevel=15",
                "-Djava.awt.headless=true",
                "-Xlog:gc*:file=/opt/kafka/logs/kafkaServer-gc.log:time,tags:filecount=10,filesize=100M",
                "-Dcom.sun.management.jmxremote=true",
                "-Dcom.sun.management.jmxremote.authenticate=false",
                "-Dcom.sun.management.jmxremote.ssl=false",
                "-Dkafka.logs.dir=/opt/kafka/logs",
                "-Dlog4j2.configurationFile=file:/opt/kafka/config/log4j2.yaml",
                "-cp",
                "/opt/kafka/libs/kafka-clients-4.4.0.jar:/opt/kafka/libs/kafka_2.13-4.4.0.jar",
                "kafka.Kafka",
                "/opt/kafka/config/server.properties",
            ]
        );
        assert_eq!(
            command.log_dir_to_create,
            Some(PathBuf::from("/opt/kafka/logs"))
        );
        assert!(command.notices.is_empty());
    }

    #[test]
    fn java_home_user_classpath_heap_performance_and_kafka_opts_are_used() {
        let command = server(
            &[
                ("JAVA_HOME", "/usr/lib/jvm/jdk-25"),
                ("CLASSPATH", "/plugins/*"),
                ("KAFKA_HEAP_OPTS", "-Xmx512M -Xms512M"),
                ("KAFKA_JVM_PERFORMANCE_OPTS", "-XX:+UseZGC"),
                ("KAFKA_OPTS", "-Da=1  -Db=2"),
                ("KAFKA_GC_LOG_OPTS", "-Xlog:gc"),
            ],
            Cds::Off,
        );
        assert_eq!(command.program, Path::new("/usr/lib/jvm/jdk-25/bin/java"));
        let args = argv(&command);
        assert_eq!(
            &args[..4],
            ["-Xmx512M", "-Xms512M", "-XX:+UseZGC", "-Xlog:gc"]
        );
        let cp = args.iter().position(|a| *a == "-cp").unwrap();
        assert!(args[cp + 1].starts_with("/plugins/*:/opt/kafka/libs/"));
        assert_eq!(
            &args[cp + 2..],
            [
                "-Da=1",
                "-Db=2",
                "kafka.Kafka",
                "/opt/kafka/config/server.properties"
            ]
        );
    }

    #[test]
    fn jmx_port_reaches_the_argv_like_the_official_image() {
        let command = server(
            &[
                ("KAFKA_JMX_PORT", "9101"),
                ("KAFKA_JMX_HOSTNAME", "broker-1"),
            ],
            Cds::Off,
        );
        let args = argv(&command);
        for expected in [
            "-Djava.rmi.server.hostname=broker-1",
            "-Dcom.sun.management.jmxremote.local.only=false",
            "-Dcom.sun.management.jmxremote.rmi.port=9101",
            "-Dcom.sun.management.jmxremote.port=9101",
        ] {
            assert!(args.contains(&expected), "{expected} missing from {args:?}");
        }
    }

    #[test]
    fn a_memory_limit_sizes_the_heap_unless_kafka_heap_opts_is_set() {
        let mut limited = inputs(Cds::Off);
        limited.memory_limit = Some(512 * 1024 * 1024);
        let command = server_command(&limited, &env(&[]), &classpath(), no_lookup).unwrap();
        assert_eq!(&argv(&command)[..2], ["-Xmx256m", "-Xms256m"]);
        assert_eq!(
            command.notices,
            [
                "heap `-Xmx256m -Xms256m` from the container's memory limit of 512 MiB (set \
              `KAFKA_HEAP_OPTS` to choose another)"
            ]
        );
        let given = server_command(
            &limited,
            &env(&[("KAFKA_HEAP_OPTS", "-Xmx300m")]),
            &classpath(),
            no_lookup,
        )
        .unwrap();
        assert_eq!(argv(&given)[0], "-Xmx300m");
        assert!(given.notices.is_empty());
    }

    #[test]
    fn kafka_debug_prepends_the_agent_and_says_so() {
        let command = server(&[("KAFKA_DEBUG", "y"), ("KAFKA_OPTS", "-Dx=1")], Cds::Off);
        let args = argv(&command);
        let cp = args.iter().position(|a| *a == "-cp").unwrap();
        assert_eq!(
            &args[cp + 2..cp + 4],
            [
                "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=5005",
                "-Dx=1"
            ]
        );
        assert_eq!(
            command.notices,
            [
                "Enabling Java debug options: -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=5005"
            ]
        );
    }

    #[test]
    fn cds_flags_follow_kafka_opts() {
        let archive = Path::new("/opt/kafka/kafka.jsa");
        let command = server(&[("KAFKA_OPTS", "-Dfoo=bar")], Cds::Use(archive));
        let args = argv(&command);
        let cp = args.iter().position(|a| *a == "-cp").unwrap();
        assert_eq!(
            &args[cp + 2..cp + 5],
            [
                "-Dfoo=bar",
                "-XX:SharedArchiveFile=/opt/kafka/kafka.jsa",
                "-Xshare:auto"
            ]
        );
    }

    #[test]
    fn an_aot_cache_is_used_and_recorded_with_the_jdk_25_flags() {
        let cache = Path::new("/opt/kafka/kafka.aot");
        let used = server(&[], Cds::Use(cache));
        assert!(argv(&used).contains(&"-XX:AOTCache=/opt/kafka/kafka.aot"));
        assert!(!argv(&used).iter().any(|a| a.starts_with("-Xshare")));
        let recorded = server(&[], Cds::Record(cache));
        assert!(argv(&recorded).contains(&"-XX:AOTCacheOutput=/opt/kafka/kafka.aot"));
    }

    /// A `release` file as jlink writes it (the image's runtime lists 28 modules).
    const RELEASE: &str = "JAVA_VERSION=\"25.0.5\"\nMODULES=\"java.base java.instrument \
                           java.logging jdk.management jdk.management.agent\"\n";

    #[test]
    fn an_aot_cache_names_the_modules_jmx_and_java_agents_add_at_training_and_at_every_start() {
        let cache = Path::new("/opt/kafka/kafka.aot");
        for cds in [Cds::Use(cache), Cds::Record(cache)] {
            let mut given = inputs(cds);
            given.java_release = Some(RELEASE);
            let command = server_command(&given, &env(&[]), &classpath(), no_lookup).unwrap();
            let args = argv(&command);
            let cache_flag = args
                .iter()
                .position(|a| a.starts_with("-XX:AOTCache"))
                .unwrap();
            assert_eq!(
                args[cache_flag + 1],
                "--add-modules=java.instrument,jdk.management.agent",
                "{cds:?}"
            );
        }
        // A CDS archive (JDK 21) keeps its flags alone.
        let mut archive = inputs(Cds::Use(Path::new("/opt/kafka/kafka.jsa")));
        archive.java_release = Some(RELEASE);
        let command = server_command(&archive, &env(&[]), &classpath(), no_lookup).unwrap();
        assert!(
            !argv(&command)
                .iter()
                .any(|a| a.starts_with("--add-modules"))
        );
    }

    #[test]
    fn the_release_file_is_found_from_java_home_or_from_java_on_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("jdk");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        std::fs::write(home.join("bin/java"), "").unwrap();
        std::fs::write(home.join("release"), RELEASE).unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(home.join("bin/java"), bin.join("java")).unwrap();
        let home_str = home.to_str().unwrap();
        let path = format!("/nonexistent:{}", bin.display());

        let from_home = read_java_release(&env(&[("JAVA_HOME", home_str)]));
        assert_eq!(from_home.as_deref(), Some(RELEASE));
        let from_path = read_java_release(&env(&[("PATH", path.as_str())]));
        assert_eq!(from_path.as_deref(), Some(RELEASE));
        let missing = read_java_release(&env(&[("JAVA_HOME", "/nonexistent")]));
        assert_eq!(missing, None);

        // Only a launch with an AOT cache reads it.
        let java_home = env(&[("JAVA_HOME", home_str)]);
        let cache = Path::new("/opt/kafka/kafka.aot");
        for cds in [Cds::Use(cache), Cds::Record(cache)] {
            assert_eq!(java_release_for(cds, &java_home).as_deref(), Some(RELEASE));
        }
        let archive = Path::new("/opt/kafka/kafka.jsa");
        for cds in [Cds::Off, Cds::Use(archive), Cds::Record(archive)] {
            assert_eq!(java_release_for(cds, &java_home), None, "{cds:?}");
        }
    }

    #[test]
    fn only_modules_the_runtime_has_are_added() {
        assert_eq!(
            aot_add_modules_option(RELEASE),
            Some("--add-modules=java.instrument,jdk.management.agent".into())
        );
        assert_eq!(
            aot_add_modules_option("MODULES=\"java.base jdk.management.agent\""),
            Some("--add-modules=jdk.management.agent".into())
        );
        // Whole names only: a module whose name only starts like one is not it.
        assert_eq!(
            aot_add_modules_option("MODULES=\"java.base java.instrumentation\""),
            None
        );
        assert_eq!(aot_add_modules_option("JAVA_VERSION=\"25\"\n"), None);
    }

    #[test]
    fn metrics_add_the_jmx_exporter_agent_before_the_archive() {
        let mut with_metrics = inputs(Cds::Use(Path::new("/opt/kafka/kafka.jsa")));
        with_metrics.metrics = Some(MetricsAgent {
            jar: Path::new("/opt/prometheus/jmx_prometheus_javaagent.jar"),
            port: 9404,
            rules: Path::new("/etc/kafka/docker/jmx-exporter.yml"),
        });
        let command = server_command(
            &with_metrics,
            &env(&[("KAFKA_OPTS", "-Dx=1")]),
            &classpath(),
            no_lookup,
        )
        .unwrap();
        let args = argv(&command);
        let cp = args.iter().position(|a| *a == "-cp").unwrap();
        assert_eq!(
            &args[cp + 2..cp + 6],
            [
                "-Dx=1",
                "-javaagent:/opt/prometheus/jmx_prometheus_javaagent.jar=9404:/etc/kafka/docker/jmx-exporter.yml",
                "-XX:SharedArchiveFile=/opt/kafka/kafka.jsa",
                "-Xshare:auto"
            ]
        );
    }

    #[test]
    fn extra_args_name_the_gc_log_and_refuse_what_would_break_the_launch() {
        let command = server(&[("EXTRA_ARGS", "-name broker -loggc")], Cds::Off);
        assert!(argv(&command).contains(
            &"-Xlog:gc*:file=/opt/kafka/logs/broker-gc.log:time,tags:filecount=10,filesize=100M"
        ));
        let without_gc = server(&[("EXTRA_ARGS", "")], Cds::Off);
        assert!(!argv(&without_gc).iter().any(|a| a.starts_with("-Xlog:gc")));
        for bad in ["-daemon", "-name", "com.example.Main"] {
            let error = server_command(
                &inputs(Cds::Off),
                &env(&[("EXTRA_ARGS", bad)]),
                &classpath(),
                no_lookup,
            )
            .unwrap_err();
            assert!(error.to_string().contains("`EXTRA_ARGS`"), "{error}");
        }
    }

    #[test]
    fn tools_get_the_tools_log4j_file_and_heap_and_no_gc_log() {
        let command = tool_command(
            Path::new("/opt/kafka"),
            Some(Log4jFormat::Log4jProperties),
            &env(&[]),
            &classpath(),
            "kafka.tools.StorageTool",
            vec!["format".into()],
        )
        .unwrap();
        let args = argv(&command);
        assert_eq!(args[0], "-Xmx256M");
        assert!(
            args.contains(&"-Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties")
        );
        assert!(args.contains(&"-Dcom.sun.management.jmxremote"));
        assert!(!args.iter().any(|a| a.starts_with("-Xlog:gc")));
        assert_eq!(
            &args[args.len() - 2..],
            ["kafka.tools.StorageTool", "format"]
        );
        assert_eq!(command.log_dir_to_create, None);
    }

    #[test]
    fn a_log4j_1_file_on_kafka_4_turns_on_log4j2_compatibility() {
        let command = server(
            &[(
                "KAFKA_LOG4J_OPTS",
                "-Dlog4j.configuration=file:/etc/log4j.properties",
            )],
            Cds::Off,
        );
        assert_eq!(var(&command, "LOG4J_COMPATIBILITY"), Some("true"));
        assert_eq!(command.notices.len(), 1);
    }

    #[test]
    fn classpath_filter_follows_kafka_run_class() {
        for kept in ["kafka_2.13-4.4.0.jar", "log4j-core-2.25.5.jar", "NOTICE"] {
            assert!(is_classpath_file(OsStr::new(kept)), "{kept}");
        }
        for dropped in [
            "kafka_2.13-4.4.0-test.jar",
            "kafka-clients-4.4.0-javadoc.jar",
            "kafka-clients-4.4.0-test-sources.jar",
            "x-src.jar",
            "x-scaladoc.jar",
            "kafka-clients-4.4.0.jar.asc",
            "connect-file-4.4.0.jar",
        ] {
            assert!(!is_classpath_file(OsStr::new(dropped)), "{dropped}");
        }
    }

    #[test]
    fn script_launch_keeps_the_official_images_environment() {
        let command =
            script_command(&inputs(Cds::Off), &env(&[("PATH", "/usr/bin")]), no_lookup).unwrap();
        assert_eq!(
            command.program,
            Path::new("/opt/kafka/bin/kafka-server-start.sh")
        );
        assert_eq!(
            command.args,
            vec![OsString::from("/opt/kafka/config/server.properties")]
        );
        assert_eq!(
            command.env,
            env(&[
                ("PATH", "/usr/bin"),
                (
                    "KAFKA_JMX_OPTS",
                    "-Dcom.sun.management.jmxremote=true \
                     -Dcom.sun.management.jmxremote.authenticate=false \
                     -Dcom.sun.management.jmxremote.ssl=false"
                ),
                (
                    "KAFKA_LOG4J_OPTS",
                    "-Dlog4j2.configurationFile=file:/opt/kafka/config/log4j2.yaml"
                ),
                (
                    "KAFKA_GC_LOG_OPTS",
                    "-Xlog:gc*:file=/opt/kafka/logs/kafkaServer-gc.log:time,tags:filecount=10,\
                     filesize=100M"
                ),
                ("LOG_DIR", "/opt/kafka/logs"),
            ])
        );
    }

    #[test]
    fn log4j_1_layout_points_at_log4j_properties() {
        let mut inputs = inputs(Cds::Off);
        inputs.log4j = Some(Log4jFormat::Log4jProperties);
        let command = script_command(&inputs, &env(&[]), no_lookup).unwrap();
        assert_eq!(
            var(&command, "KAFKA_LOG4J_OPTS"),
            Some("-Dlog4j.configuration=file:/opt/kafka/config/log4j.properties")
        );
    }

    #[test]
    fn unknown_log4j_layout_leaves_the_scripts_default() {
        let mut inputs = inputs(Cds::Off);
        inputs.log4j = None;
        let command = script_command(&inputs, &env(&[]), no_lookup).unwrap();
        assert_eq!(var(&command, "KAFKA_LOG4J_OPTS"), None);
    }

    #[test]
    fn user_log4j_opts_win() {
        let command = server(&[("KAFKA_LOG4J_OPTS", "-Dx=y")], Cds::Off);
        assert_eq!(var(&command, "KAFKA_LOG4J_OPTS"), Some("-Dx=y"));
        assert!(argv(&command).contains(&"-Dx=y"));
    }

    #[test]
    fn existing_archive_is_mapped_with_xshare_auto_after_user_kafka_opts() {
        let archive = Path::new("/opt/kafka/kafka.jsa");
        let given = env(&[("KAFKA_OPTS", "-Dfoo=bar")]);
        let command = script_command(&inputs(Cds::Use(archive)), &given, no_lookup).unwrap();
        assert_eq!(
            var(&command, "KAFKA_OPTS"),
            Some("-Dfoo=bar -XX:SharedArchiveFile=/opt/kafka/kafka.jsa -Xshare:auto")
        );
        let alone = script_command(&inputs(Cds::Use(archive)), &env(&[]), no_lookup).unwrap();
        assert_eq!(
            var(&alone, "KAFKA_OPTS"),
            Some("-XX:SharedArchiveFile=/opt/kafka/kafka.jsa -Xshare:auto")
        );
    }

    #[test]
    fn no_archive_leaves_kafka_opts_untouched() {
        let command = script_command(&inputs(Cds::Off), &env(&[]), no_lookup).unwrap();
        assert_eq!(var(&command, "KAFKA_OPTS"), None);
    }

    #[test]
    fn training_records_the_archive_at_exit() {
        let archive = Path::new("/tmp/kafka.jsa");
        let command = server(&[], Cds::Record(archive));
        assert!(argv(&command).contains(&"-XX:ArchiveClassesAtExit=/tmp/kafka.jsa"));
    }

    #[test]
    fn jmx_port_adds_upstream_remote_options_with_the_given_host() {
        let given = env(&[
            ("KAFKA_JMX_PORT", "9101"),
            ("KAFKA_JMX_HOSTNAME", "broker-1"),
        ]);
        let command = script_command(&inputs(Cds::Off), &given, no_lookup).unwrap();
        assert_eq!(var(&command, "JMX_PORT"), Some("9101"));
        assert_eq!(var(&command, "KAFKA_JMX_HOSTNAME"), Some("broker-1"));
        assert_eq!(
            var(&command, "KAFKA_JMX_OPTS"),
            Some(
                "-Dcom.sun.management.jmxremote=true \
                 -Dcom.sun.management.jmxremote.authenticate=false \
                 -Dcom.sun.management.jmxremote.ssl=false \
                 -Djava.rmi.server.hostname=broker-1 \
                 -Dcom.sun.management.jmxremote.local.only=false \
                 -Dcom.sun.management.jmxremote.rmi.port=9101 \
                 -Dcom.sun.management.jmxremote.port=9101"
            )
        );
    }

    #[test]
    fn jmx_port_without_host_uses_the_resolved_address_after_user_jmx_opts() {
        let given = env(&[("KAFKA_JMX_PORT", "9101"), ("KAFKA_JMX_OPTS", "-Dmine=1")]);
        let command =
            script_command(&inputs(Cds::Off), &given, || Some("172.17.0.2".into())).unwrap();
        assert_eq!(var(&command, "KAFKA_JMX_HOSTNAME"), Some("172.17.0.2"));
        assert_eq!(
            var(&command, "KAFKA_JMX_OPTS"),
            Some(
                "-Dmine=1 -Djava.rmi.server.hostname=172.17.0.2 \
                 -Dcom.sun.management.jmxremote.local.only=false \
                 -Dcom.sun.management.jmxremote.rmi.port=9101 \
                 -Dcom.sun.management.jmxremote.port=9101"
            )
        );
    }

    #[test]
    fn jmx_port_with_unresolvable_host_names_the_variable_to_set() {
        let given = env(&[("KAFKA_JMX_PORT", "9101")]);
        let error = script_command(&inputs(Cds::Off), &given, || None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`KAFKA_JMX_PORT` is set but the address of this host could not be resolved for \
             `KAFKA_JMX_HOSTNAME`\nhelp: set `KAFKA_JMX_HOSTNAME` to the address JMX clients \
             connect to"
        );
    }

    #[test]
    fn gc_log_follows_log_dir() {
        let command = server(&[("LOG_DIR", "/var/log/kafka")], Cds::Off);
        let args = argv(&command);
        assert!(args.contains(
            &"-Xlog:gc*:file=/var/log/kafka/kafkaServer-gc.log:time,tags:filecount=10,filesize=100M"
        ));
        assert!(args.contains(&"-Dkafka.logs.dir=/var/log/kafka"));
    }
}
