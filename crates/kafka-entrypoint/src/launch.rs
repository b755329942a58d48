//! The command that starts Kafka: `KAFKA_HOME/bin/kafka-server-start.sh F/server.properties` with
//! the launcher environment, built as upstream's image builds it (`docker/jvm/launch` in
//! apache/kafka) and then handed to Kafka's own scripts, which turn the variables into JVM flags.
//!
//! Pure: the caller passes the environment snapshot, the paths, what it found on disk (log4j
//! layout, CDS archive) and a resolver for the JMX host name; nothing here touches the file system
//! or the process. Differences from upstream, each on purpose:
//! - the CDS flags go into `KAFKA_OPTS`, not `KAFKA_JVM_PERFORMANCE_OPTS`: upstream's choice makes
//!   that variable non-empty, so `kafka-run-class.sh` silently drops its G1 defaults;
//! - `-Xshare:auto` is added so a stale or mismatched archive never stops the broker;
//! - `KAFKA_GC_LOG_OPTS` is set to exactly what `kafka-run-class.sh -loggc` computes on Java 9+,
//!   because otherwise that script runs `java -version` first: a second JVM at every start;
//! - `KAFKA_JMX_HOSTNAME` is resolved only when `KAFKA_JMX_PORT` is set (the only case that uses
//!   it), so a start without JMX does no name lookup.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;
use kafka_config::Log4jFormat;

use crate::EnvSnapshot;

/// JMX options upstream's `launch` script uses when `KAFKA_JMX_OPTS` is empty.
const DEFAULT_JMX_OPTS: &str = "-Dcom.sun.management.jmxremote=true \
     -Dcom.sun.management.jmxremote.authenticate=false \
     -Dcom.sun.management.jmxremote.ssl=false";

/// The value of `KAFKA_LOG4J_OPTS` pointing the broker at its log4j `file`, in the system property
/// each log4j generation reads (`log4j2.configurationFile` for Kafka 4.x, `log4j.configuration` for
/// 3.x), as a `file:` URL like the scripts use.
fn log4j_option(format: Log4jFormat, file: &Path) -> OsString {
    let mut option = OsString::from(match format {
        Log4jFormat::Log4j2Yaml => "-Dlog4j2.configurationFile=file:",
        Log4jFormat::Log4jProperties => "-Dlog4j.configuration=file:",
    });
    option.push(file);
    option
}

/// What the JVM does with the class-data-sharing archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cds<'a> {
    /// No archive (none exists).
    Off,
    /// Map the existing archive at start (`run`).
    Use(&'a Path),
    /// Record an archive of the loaded classes when the JVM exits (`cds-train`).
    Record(&'a Path),
}

/// Everything besides the environment that decides the launch command.
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
}

/// A program, its arguments and its whole environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaunchCommand {
    /// The script to run.
    pub(crate) program: PathBuf,
    /// Its arguments.
    pub(crate) args: Vec<OsString>,
    /// Its complete environment (the snapshot plus the launcher variables).
    pub(crate) env: Vec<(OsString, OsString)>,
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
        lookup(&self.env, name)
    }
}

/// Builds `bin/kafka-server-start.sh F/server.properties` and its environment.
///
/// `resolve_jmx_host` is called only when `KAFKA_JMX_PORT` is set and `KAFKA_JMX_HOSTNAME` is not;
/// it stands for upstream's `hostname -i | cut -d" " -f1` (the first address of the host name).
pub(crate) fn launch_command(
    inputs: &LaunchInputs<'_>,
    env: &EnvSnapshot,
    resolve_jmx_host: impl FnOnce() -> Option<String>,
) -> anyhow::Result<LaunchCommand> {
    let mut vars: Vec<(OsString, OsString)> = env.clone();

    // upstream `launch`: "Override this section from the script to include the
    // com.sun.management.jmxremote.rmi.port property."
    let mut jmx_opts = match non_empty(&vars, "KAFKA_JMX_OPTS") {
        Some(opts) => opts.to_owned(),
        None => OsString::from(DEFAULT_JMX_OPTS),
    };
    if let Some(port) = non_empty(&vars, "KAFKA_JMX_PORT").map(OsStr::to_owned) {
        let host = match non_empty(&vars, "KAFKA_JMX_HOSTNAME") {
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

    if let (None, Some(format)) = (non_empty(&vars, "KAFKA_LOG4J_OPTS"), inputs.log4j) {
        let file = inputs.final_configs_dir.join(format.broker_file());
        set(&mut vars, "KAFKA_LOG4J_OPTS", log4j_option(format, &file));
    }

    let log_dir = match non_empty(&vars, "LOG_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => inputs.kafka_home.join("logs"),
    };
    // kafka-server-start.sh passes `-name kafkaServer -loggc` unless EXTRA_ARGS is set.
    if lookup(&vars, "EXTRA_ARGS").is_none() && non_empty(&vars, "KAFKA_GC_LOG_OPTS").is_none() {
        let mut gc = OsString::from("-Xlog:gc*:file=");
        gc.push(log_dir.join("kafkaServer-gc.log"));
        gc.push(":time,tags:filecount=10,filesize=100M");
        set(&mut vars, "KAFKA_GC_LOG_OPTS", gc);
    }
    set(&mut vars, "LOG_DIR", log_dir.into_os_string());

    let cds_flags: Option<OsString> = match inputs.cds {
        Cds::Off => None,
        Cds::Use(archive) => {
            let mut flags = OsString::from("-XX:SharedArchiveFile=");
            flags.push(archive);
            flags.push(" -Xshare:auto");
            Some(flags)
        }
        Cds::Record(archive) => {
            let mut flags = OsString::from("-XX:ArchiveClassesAtExit=");
            flags.push(archive);
            Some(flags)
        }
    };
    if let Some(flags) = cds_flags {
        let kafka_opts = match non_empty(&vars, "KAFKA_OPTS") {
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

    Ok(LaunchCommand {
        program: inputs.kafka_home.join("bin").join("kafka-server-start.sh"),
        args: vec![
            inputs
                .final_configs_dir
                .join("server.properties")
                .into_os_string(),
        ],
        env: vars,
    })
}

/// The value of `name`, if present.
fn lookup<'e>(env: &'e [(OsString, OsString)], name: &str) -> Option<&'e OsStr> {
    env.iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_os_str())
}

/// The value of `name` if it is set and not empty (the scripts' `[ -z "$X" ]` test).
fn non_empty<'e>(env: &'e [(OsString, OsString)], name: &str) -> Option<&'e OsStr> {
    lookup(env, name).filter(|value| !value.is_empty())
}

/// Sets `name` to `value`, replacing every earlier value.
fn set(env: &mut Vec<(OsString, OsString)>, name: &str, value: OsString) {
    env.retain(|(key, _)| key != name);
    env.push((OsString::from(name), value));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSnapshot {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    fn inputs(cds: Cds<'_>) -> LaunchInputs<'_> {
        LaunchInputs {
            kafka_home: Path::new("/opt/kafka"),
            final_configs_dir: Path::new("/opt/kafka/config"),
            log4j: Some(Log4jFormat::Log4j2Yaml),
            cds,
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

    #[test]
    fn starts_kafka_server_start_with_the_final_server_properties() {
        let command = launch_command(&inputs(Cds::Off), &env(&[]), no_lookup).unwrap();
        assert_eq!(
            command.program,
            Path::new("/opt/kafka/bin/kafka-server-start.sh")
        );
        assert_eq!(
            command.args,
            vec![OsString::from("/opt/kafka/config/server.properties")]
        );
    }

    #[test]
    fn default_environment_matches_upstream_launch() {
        let command =
            launch_command(&inputs(Cds::Off), &env(&[("PATH", "/usr/bin")]), no_lookup).unwrap();
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
        let command = launch_command(&inputs, &env(&[]), no_lookup).unwrap();
        assert_eq!(
            var(&command, "KAFKA_LOG4J_OPTS"),
            Some("-Dlog4j.configuration=file:/opt/kafka/config/log4j.properties")
        );
    }

    #[test]
    fn unknown_log4j_layout_leaves_the_scripts_default() {
        let mut inputs = inputs(Cds::Off);
        inputs.log4j = None;
        let command = launch_command(&inputs, &env(&[]), no_lookup).unwrap();
        assert_eq!(var(&command, "KAFKA_LOG4J_OPTS"), None);
    }

    #[test]
    fn user_log4j_opts_win() {
        let command = launch_command(
            &inputs(Cds::Off),
            &env(&[("KAFKA_LOG4J_OPTS", "-Dx=y")]),
            no_lookup,
        )
        .unwrap();
        assert_eq!(var(&command, "KAFKA_LOG4J_OPTS"), Some("-Dx=y"));
    }

    #[test]
    fn heap_and_performance_options_pass_through_unchanged() {
        let given = env(&[
            ("KAFKA_HEAP_OPTS", "-Xmx512M -Xms512M"),
            ("KAFKA_JVM_PERFORMANCE_OPTS", "-XX:+UseZGC"),
        ]);
        let command = launch_command(&inputs(Cds::Off), &given, no_lookup).unwrap();
        assert_eq!(var(&command, "KAFKA_HEAP_OPTS"), Some("-Xmx512M -Xms512M"));
        assert_eq!(
            var(&command, "KAFKA_JVM_PERFORMANCE_OPTS"),
            Some("-XX:+UseZGC")
        );
    }

    #[test]
    fn existing_archive_is_mapped_with_xshare_auto_after_user_kafka_opts() {
        let archive = Path::new("/opt/kafka/kafka.jsa");
        let given = env(&[("KAFKA_OPTS", "-Dfoo=bar")]);
        let command = launch_command(&inputs(Cds::Use(archive)), &given, no_lookup).unwrap();
        assert_eq!(
            var(&command, "KAFKA_OPTS"),
            Some("-Dfoo=bar -XX:SharedArchiveFile=/opt/kafka/kafka.jsa -Xshare:auto")
        );
        let alone = launch_command(&inputs(Cds::Use(archive)), &env(&[]), no_lookup).unwrap();
        assert_eq!(
            var(&alone, "KAFKA_OPTS"),
            Some("-XX:SharedArchiveFile=/opt/kafka/kafka.jsa -Xshare:auto")
        );
    }

    #[test]
    fn no_archive_leaves_kafka_opts_untouched() {
        let command = launch_command(&inputs(Cds::Off), &env(&[]), no_lookup).unwrap();
        assert_eq!(var(&command, "KAFKA_OPTS"), None);
    }

    #[test]
    fn training_records_the_archive_at_exit() {
        let archive = Path::new("/tmp/kafka.jsa");
        let command = launch_command(&inputs(Cds::Record(archive)), &env(&[]), no_lookup).unwrap();
        assert_eq!(
            var(&command, "KAFKA_OPTS"),
            Some("-XX:ArchiveClassesAtExit=/tmp/kafka.jsa")
        );
    }

    #[test]
    fn jmx_port_adds_upstream_remote_options_with_the_given_host() {
        let given = env(&[
            ("KAFKA_JMX_PORT", "9101"),
            ("KAFKA_JMX_HOSTNAME", "broker-1"),
        ]);
        let command = launch_command(&inputs(Cds::Off), &given, no_lookup).unwrap();
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
            launch_command(&inputs(Cds::Off), &given, || Some("172.17.0.2".into())).unwrap();
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
        let error = launch_command(&inputs(Cds::Off), &given, || None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`KAFKA_JMX_PORT` is set but the address of this host could not be resolved for \
             `KAFKA_JMX_HOSTNAME`\nhelp: set `KAFKA_JMX_HOSTNAME` to the address JMX clients \
             connect to"
        );
    }

    #[test]
    fn user_log_dir_and_gc_options_are_kept() {
        let given = env(&[
            ("LOG_DIR", "/var/log/kafka"),
            ("KAFKA_GC_LOG_OPTS", "-Xlog:gc"),
        ]);
        let command = launch_command(&inputs(Cds::Off), &given, no_lookup).unwrap();
        assert_eq!(var(&command, "LOG_DIR"), Some("/var/log/kafka"));
        assert_eq!(var(&command, "KAFKA_GC_LOG_OPTS"), Some("-Xlog:gc"));
    }

    #[test]
    fn gc_log_follows_log_dir() {
        let given = env(&[("LOG_DIR", "/var/log/kafka")]);
        let command = launch_command(&inputs(Cds::Off), &given, no_lookup).unwrap();
        assert_eq!(
            var(&command, "KAFKA_GC_LOG_OPTS"),
            Some(
                "-Xlog:gc*:file=/var/log/kafka/kafkaServer-gc.log:time,tags:filecount=10,filesize=100M"
            )
        );
    }

    #[test]
    fn extra_args_set_by_the_user_leave_gc_logging_to_the_scripts() {
        let given = env(&[("EXTRA_ARGS", "")]);
        let command = launch_command(&inputs(Cds::Off), &given, no_lookup).unwrap();
        assert_eq!(var(&command, "KAFKA_GC_LOG_OPTS"), None);
    }
}
