//! Test harness: a real Apache Kafka node run from a distribution, for the whole-program tests
//! that prove behaviour against Kafka itself (issue 8).
//!
//! A test includes it with `mod real_kafka;`, takes a [`Distribution`] by version (from
//! `KAFKA_DISTS_DIR`, a directory holding `kafka_2.13-<V>/`; a missing one fails the test with
//! what to set), writes a `server.properties` into a [`Node`]'s temp dir, formats its storage with
//! Kafka's own `StorageTool` and starts `kafka.Kafka` on the distribution's `libs/`, the way
//! `kafka-run-class.sh` does but without `bin/` (the assembled distributions have none). The JVM's
//! stdout and stderr (where the distributions' log4j configs send every log line) go to
//! `kafka.log` in the node's dir, quoted in every failure. Dropping the [`Node`] kills the JVM,
//! also when the test panics, before the temp dir goes.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

/// The line every Kafka version logs when `KafkaRaftServer.startup` returns (`KafkaBroker
/// .STARTED_MESSAGE`), for combined, broker-only and controller-only nodes alike.
pub(crate) const STARTED_MESSAGE: &str = "Kafka Server started";

/// How long a node may take from `java` to [`STARTED_MESSAGE`] or from SIGTERM to exit on a
/// busy 2-core machine (a start takes 3-8 s on an idle one, over 90 s when other builds load it).
pub(crate) const NODE_DEADLINE: Duration = Duration::from_secs(240);

/// The heap of every test node: small nodes, several at once on a shared machine.
const HEAP: &str = "-Xmx256m";

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

/// `count` distinct free TCP ports on 127.0.0.1, all held until every one is picked so none
/// repeats; free again when this returns (another process could take one, as with any test).
pub(crate) fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1"))
        .collect();
    listeners
        .iter()
        .map(|listener| listener.local_addr().expect("a bound address").port())
        .collect()
}

/// One Kafka node: a temp dir with its `server.properties`, data and log, and the JVM once
/// started. Dropping it kills the JVM first.
pub(crate) struct Node {
    /// The distribution it runs.
    pub(crate) distribution: Distribution,
    jvm: Option<Child>,
    dir: tempfile::TempDir,
}

impl Node {
    /// A node of `distribution` with an empty temp dir.
    pub(crate) fn new(distribution: &Distribution) -> Self {
        Self {
            distribution: distribution.clone(),
            jvm: None,
            dir: tempfile::tempdir().expect("a temp dir for the Kafka node"),
        }
    }

    /// A path inside the node's dir (`data` for `log.dirs`, files for keystores, ...).
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Where the node's `server.properties` is.
    pub(crate) fn config_path(&self) -> PathBuf {
        self.path("server.properties")
    }

    /// Writes the node's `server.properties`.
    pub(crate) fn write_config(&self, properties: &str) {
        fs::write(self.config_path(), properties).expect("write server.properties");
    }

    /// Formats the storage of `server.properties` with Kafka's own tool:
    /// `StorageTool format -t <cluster_id> -c server.properties <extra>` (e.g. `--standalone`).
    pub(crate) fn format(&self, cluster_id: &str, extra: &[&str]) {
        let output = self
            .distribution
            .java([HEAP], "kafka.tools.StorageTool")
            .args(["format", "-t", cluster_id, "-c"])
            .arg(self.config_path())
            .args(extra)
            .output()
            .expect("run java (is a JDK on PATH or JAVA_HOME set?)");
        assert!(
            output.status.success(),
            "Kafka {}'s StorageTool format failed ({}):\n{}{}",
            self.distribution.version,
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts `kafka.Kafka server.properties`; returns at once (see [`Node::wait_started`]).
    pub(crate) fn start(&mut self) {
        assert!(self.jvm.is_none(), "the node is already running");
        let logs_dir = self.path("logs");
        fs::create_dir_all(&logs_dir).expect("create the logs dir");
        let log = File::create(self.path("kafka.log")).expect("create kafka.log");
        let mut jvm_options = vec![HEAP.to_owned()];
        jvm_options.extend(self.distribution.logging_options(&logs_dir));
        let child = self
            .distribution
            .java(jvm_options, "kafka.Kafka")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("duplicate the log file"))
            .stderr(log)
            .spawn()
            .expect("run java (is a JDK on PATH or JAVA_HOME set?)");
        self.jvm = Some(child);
    }

    /// What the JVM has logged so far.
    pub(crate) fn log(&self) -> String {
        String::from_utf8_lossy(&fs::read(self.path("kafka.log")).unwrap_or_default()).into_owned()
    }

    /// The last lines of the log, for failure messages.
    pub(crate) fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The JVM's exit status if it has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.jvm
            .as_mut()
            .expect("the node was started")
            .try_wait()
            .expect("poll the JVM")
    }

    /// Waits until the log says [`STARTED_MESSAGE`]; panics with the log's tail when the JVM
    /// exits first or [`NODE_DEADLINE`] passes.
    pub(crate) fn wait_started(&mut self) {
        let started = Instant::now();
        while !self.log().contains(STARTED_MESSAGE) {
            if let Some(status) = self.exited() {
                panic!(
                    "Kafka {} exited ({status}) before `{STARTED_MESSAGE}`:\n{}",
                    self.distribution.version,
                    self.log_tail()
                );
            }
            assert!(
                started.elapsed() < NODE_DEADLINE,
                "Kafka {} did not log `{STARTED_MESSAGE}` within {NODE_DEADLINE:?}:\n{}",
                self.distribution.version,
                self.log_tail()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, signal: Signal) {
        signal::kill(self.pid(), signal).expect("signal the JVM");
    }

    fn pid(&self) -> Pid {
        let child = self.jvm.as_ref().expect("the node was started");
        Pid::from_raw(i32::try_from(child.id()).expect("a pid fits in i32"))
    }

    /// Freezes the JVM (SIGSTOP) and waits until every one of its threads is stopped: the
    /// kernel stops the other threads only once the one that took the signal runs, which on a
    /// loaded machine can be long after `kill` returned. Its listening sockets stay open, so
    /// the kernel still accepts connections that nobody answers.
    pub(crate) fn freeze(&self) {
        self.signal(Signal::SIGSTOP);
        let tasks = PathBuf::from(format!("/proc/{}/task", self.pid()));
        let freezing = Instant::now();
        loop {
            let stopped = fs::read_dir(&tasks)
                .expect("list the JVM's threads")
                .filter_map(Result::ok)
                .all(|task| {
                    // `pid (comm) S ...`: the state follows the last `)`.
                    fs::read_to_string(task.path().join("stat")).is_ok_and(|stat| {
                        stat.rsplit_once(") ")
                            .is_some_and(|(_, rest)| rest.starts_with('T'))
                    })
                });
            if stopped {
                return;
            }
            assert!(
                freezing.elapsed() < NODE_DEADLINE,
                "the JVM's threads did not all stop within {NODE_DEADLINE:?} of SIGSTOP"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Lets a frozen JVM run again (SIGCONT).
    pub(crate) fn thaw(&self) {
        self.signal(Signal::SIGCONT);
    }

    /// Stops the node as `docker stop` does (SIGTERM) and waits for the JVM to exit, which
    /// Kafka does after its clean shutdown; panics with the log's tail after [`NODE_DEADLINE`].
    pub(crate) fn stop(&mut self) -> ExitStatus {
        self.signal(Signal::SIGTERM);
        let stopping = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                stopping.elapsed() < NODE_DEADLINE,
                "Kafka {} did not exit within {NODE_DEADLINE:?} of SIGTERM:\n{}",
                self.distribution.version,
                self.log_tail()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut jvm) = self.jvm.take() {
            // SIGKILL: also ends a JVM that a test froze with SIGSTOP.
            let _ = jvm.kill();
            let _ = jvm.wait();
        }
    }
}
