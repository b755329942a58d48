//! Test harness for the whole-program tests that prove behaviour against REAL Apache Kafka
//! (issue 8): the distributions assembled from Maven Central by `kafka-image dist` (found under
//! `KAFKA_DISTS_DIR`, a directory holding `kafka_2.13-<V>/`; `ci/test` makes and sets it; a
//! missing one fails the test with what to set), and two ways to run a broker:
//! - [`Node`] (`node.rs`): `kafka.Kafka` started directly on a config the test writes, storage
//!   formatted by Kafka's own `StorageTool`; for testing clients of Kafka (health);
//! - [`Sandbox`] (`sandbox.rs`): `kafka-entrypoint run` itself on the image's defaults, with
//!   Kafka's tool classes to produce and consume; for testing the entrypoint (launch, storage,
//!   CDS, metrics).

// Shared by several test binaries, each using a part.
#![allow(dead_code)]

mod node;
#[path = "../common/ports.rs"]
mod ports;
#[path = "../common/run_command.rs"]
mod run_command;
mod sandbox;

// Each test binary uses some of these.
#[allow(unused_imports)]
pub(crate) use node::Node;
#[allow(unused_imports)]
pub(crate) use ports::{free_port, free_ports};
#[allow(unused_imports)]
pub(crate) use run_command::entrypoint_run;
#[allow(unused_imports)]
pub(crate) use sandbox::{Broker, Sandbox, cmdline, records, wait_output};

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The line every Kafka version logs when `KafkaRaftServer.startup` returns (`KafkaBroker
/// .STARTED_MESSAGE`), for combined, broker-only and controller-only nodes alike.
pub(crate) const STARTED_MESSAGE: &str = "Kafka Server started";

/// How long a broker may take to start, a tool to finish, a broker to stop, on a busy 2-core
/// machine (a start takes 3-8 s on an idle one, over 90 s when other builds load it).
pub(crate) const DEADLINE: Duration = Duration::from_secs(300);

/// The heap of every test node: small nodes, several at once on a shared machine.
const HEAP: &str = "-Xmx256m";

/// The Prometheus JMX exporter agent from Maven Central (`KAFKA_IMAGE_TEST_JMX_AGENT`; ci/test
/// fetches it).
pub(crate) fn jmx_exporter_agent() -> PathBuf {
    let Some(agent) = std::env::var_os("KAFKA_IMAGE_TEST_JMX_AGENT") else {
        panic!(
            "KAFKA_IMAGE_TEST_JMX_AGENT is not set: run `ci/test`, which fetches \
             io.prometheus.jmx:jmx_prometheus_javaagent from Maven Central and sets it"
        );
    };
    PathBuf::from(agent)
}

/// The image's default Kafka version, the first line of `dist/kafka-versions.txt`.
pub(crate) fn primary_version() -> &'static str {
    supported_versions()[0]
}

/// Every supported Kafka version (`dist/kafka-versions.txt`), primary first.
pub(crate) fn supported_versions() -> Vec<&'static str> {
    include_str!("../../../../dist/kafka-versions.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// Whether `version` is Kafka 3.x (log4j 1 files, reload4j).
pub(crate) fn is_kafka_3(version: &str) -> bool {
    version.starts_with("3.")
}

/// An unpacked Kafka distribution: `libs/` and `config/`.
#[derive(Debug, Clone)]
pub(crate) struct Distribution {
    /// The Kafka release, e.g. `4.4.0`.
    pub(crate) version: String,
    /// `KAFKA_DISTS_DIR/kafka_2.13-<version>`.
    pub(crate) home: PathBuf,
}

impl Distribution {
    /// The distribution of `version` under `KAFKA_DISTS_DIR`; panics saying what to set when the
    /// variable or the directory is missing (a test that needs Kafka never passes without it).
    pub(crate) fn get(version: &str) -> Self {
        let Some(root) = std::env::var_os("KAFKA_DISTS_DIR") else {
            panic!(
                "this test runs real Kafka {version}: set KAFKA_DISTS_DIR to a directory holding \
                 kafka_2.13-{version}/ (libs/ and config/), e.g. KAFKA_DISTS_DIR=/work/kafka-dists"
            );
        };
        let home = PathBuf::from(root).join(format!("kafka_2.13-{version}"));
        assert!(
            home.join("libs").is_dir(),
            "this test runs real Kafka {version}, but `{}` has no libs/: assemble that \
             distribution or point KAFKA_DISTS_DIR at a directory holding it",
            home.display()
        );
        Self {
            version: version.to_owned(),
            home,
        }
    }

    /// `java <jvm_options> -cp <home>/libs/* <main_class>`, with `JAVA_HOME/bin/java` when
    /// `JAVA_HOME` is set (as `kafka-run-class.sh` picks it); the caller adds the arguments.
    pub(crate) fn java(
        &self,
        jvm_options: impl IntoIterator<Item = impl AsRef<OsStr>>,
        main_class: &str,
    ) -> Command {
        let java = std::env::var_os("JAVA_HOME").map_or_else(
            || PathBuf::from("java"),
            |home| Path::new(&home).join("bin/java"),
        );
        let mut command = Command::new(java);
        command
            .args(jvm_options)
            .arg("-cp")
            .arg(self.home.join("libs/*"))
            .arg(main_class);
        command
    }

    /// The JVM options that point the broker's logging at the distribution's own config: log4j2
    /// (`log4j2.yaml`, Kafka 4.x) or log4j 1 through reload4j (`log4j.properties`, Kafka 3.x), as
    /// `kafka-server-start.sh` sets `KAFKA_LOG4J_OPTS`.
    fn logging_options(&self, logs_dir: &Path) -> Vec<String> {
        let config = self.home.join("config");
        let log4j2 = config.join("log4j2.yaml");
        let log4j = if log4j2.is_file() {
            format!("-Dlog4j2.configurationFile=file:{}", log4j2.display())
        } else {
            format!(
                "-Dlog4j.configuration=file:{}",
                config.join("log4j.properties").display()
            )
        };
        vec![log4j, format!("-Dkafka.logs.dir={}", logs_dir.display())]
    }
}
