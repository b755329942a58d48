//! [`Node`]: a real Kafka node started directly (`java -cp libs/* kafka.Kafka`, as
//! `kafka-run-class.sh` would, without `bin/`), its storage formatted with Kafka's own
//! `StorageTool`, for the tests that prove the entrypoint's client side (health) against Kafka
//! itself. The JVM's output goes to `kafka.log` in the node's temp dir, quoted in failures;
//! dropping the node kills the JVM, also when the test panics.

use std::fs::{self, File};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

use super::{DEADLINE, Distribution, HEAP, STARTED_MESSAGE};

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
    /// exits first or [`DEADLINE`] passes.
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
                started.elapsed() < DEADLINE,
                "Kafka {} did not log `{STARTED_MESSAGE}` within {DEADLINE:?}:\n{}",
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
                freezing.elapsed() < DEADLINE,
                "the JVM's threads did not all stop within {DEADLINE:?} of SIGSTOP"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Lets a frozen JVM run again (SIGCONT).
    pub(crate) fn thaw(&self) {
        self.signal(Signal::SIGCONT);
    }

    /// Stops the node as `docker stop` does (SIGTERM) and waits for the JVM to exit, which
    /// Kafka does after its clean shutdown; panics with the log's tail after [`DEADLINE`].
    pub(crate) fn stop(&mut self) -> ExitStatus {
        self.signal(Signal::SIGTERM);
        let stopping = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                stopping.elapsed() < DEADLINE,
                "Kafka {} did not exit within {DEADLINE:?} of SIGTERM:\n{}",
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
