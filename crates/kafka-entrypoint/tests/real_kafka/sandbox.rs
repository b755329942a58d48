//! [`Sandbox`]: temp directories holding the image's default config for a single combined node
//! of real Kafka on free ports, the broker started through `kafka-entrypoint run` ([`Broker`],
//! output in a file, killed when dropped), and Kafka's own tool classes to produce and consume.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{DEADLINE, Distribution, free_ports, is_kafka_3};

/// One test's directories (defaults, mounted, final, secrets, data, logs) for a single combined
/// broker+controller of real Kafka `version` on free ports.
pub(crate) struct Sandbox {
    pub(crate) root: tempfile::TempDir,
    pub(crate) version: String,
    pub(crate) kafka_home: PathBuf,
    pub(crate) broker_port: u16,
    pub(crate) controller_port: u16,
    /// What `run` gets as `--cds-archive` (`kafka.jsa` in the sandbox unless a test changes it).
    pub(crate) cds_archive: PathBuf,
}

impl Sandbox {
    /// The image's defaults, with free ports on loopback and the data in `data/`.
    pub(crate) fn new(version: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let ports = free_ports(2);
        let sandbox = Self {
            cds_archive: root.path().join("kafka.jsa"),
            root,
            version: version.to_owned(),
            kafka_home: Distribution::get(version).home,
            broker_port: ports[0],
            controller_port: ports[1],
        };
        for dir in ["defaults", "mounted", "final", "secrets", "logs", "cgroup"] {
            fs::create_dir_all(sandbox.path(dir)).unwrap();
        }
        fs::write(
            sandbox.path("defaults/server.properties"),
            sandbox.server_properties(),
        )
        .unwrap();
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker/config");
        let (flavour, files) = if is_kafka_3(version) {
            ("log4j1", ["log4j.properties", "tools-log4j.properties"])
        } else {
            ("log4j2", ["log4j2.yaml", "tools-log4j2.yaml"])
        };
        for file in files {
            fs::copy(
                config.join(flavour).join(file),
                sandbox.path("defaults").join(file),
            )
            .unwrap();
        }
        sandbox
    }

    /// The image's default `server.properties` (`docker/config/`) with this sandbox's ports and
    /// data directory.
    pub(crate) fn server_properties(&self) -> String {
        let image_defaults = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker/config/server.properties"),
        )
        .unwrap();
        // Placeholders first, so a chosen port can never be matched by a later replacement.
        image_defaults
            .replace("localhost:9092", "@BROKER@")
            .replace("localhost:9093", "@CONTROLLER@")
            .replace("://:9092", "://@BROKER@")
            .replace("://:9093", "://@CONTROLLER@")
            .replace("@BROKER@", &format!("127.0.0.1:{}", self.broker_port))
            .replace(
                "@CONTROLLER@",
                &format!("127.0.0.1:{}", self.controller_port),
            )
            .replace(
                "/var/lib/kafka/data",
                &self.path("data").display().to_string(),
            )
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    /// `host:port` of the broker's PLAINTEXT listener.
    pub(crate) fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.broker_port)
    }

    /// `kafka-entrypoint run` with every path in the sandbox (the cgroup directory too: empty,
    /// so no memory limit unless a test writes `cgroup/memory.max`) and a clean environment
    /// (PATH, LOG_DIR, a small heap) plus `env`.
    pub(crate) fn run_command(&self, env: &[(&str, &str)]) -> Command {
        let mut command = super::run_command::entrypoint_run(&self.kafka_home, self.root.path());
        command
            .arg("--cds-archive")
            .arg(&self.cds_archive)
            .arg("--cgroup-dir")
            .arg(self.path("cgroup"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("LOG_DIR", self.path("logs"))
            .env("KAFKA_HEAP_OPTS", "-Xmx256m -Xms256m")
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        command
    }

    /// Starts `kafka-entrypoint run` (output in `NAME.log` of the sandbox).
    pub(crate) fn start(&self, name: &str, env: &[(&str, &str)]) -> Broker {
        Broker::spawn(self.run_command(env), self.path(&format!("{name}.log")))
    }

    /// Runs one of Kafka's tool classes from the distribution (`java -cp libs/*`), feeding
    /// `stdin`, and returns its output; fails the test when it does not exit 0.
    pub(crate) fn tool(&self, main_class: &str, args: &[&str], stdin: &[u8]) -> Output {
        let output = self.tool_output(main_class, args, stdin);
        assert!(
            output.status.success(),
            "`{main_class} {}` failed ({}):\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// What a client with the properties file `config` is told when it lists the topics of
    /// `bootstrap` (Kafka's `TopicCommand`): whether it succeeded, and its stdout and stderr
    /// together (where a refusal's reason is printed).
    pub(crate) fn list_topics_as(&self, bootstrap: &str, config: &str) -> (ExitStatus, String) {
        let output = self.tool_output(
            "org.apache.kafka.tools.TopicCommand",
            &[
                "--bootstrap-server",
                bootstrap,
                "--command-config",
                config,
                "--list",
            ],
            b"",
        );
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status, said)
    }

    /// Runs one of Kafka's tool classes as [`Sandbox::tool`] does, whatever its exit status.
    fn tool_output(&self, main_class: &str, args: &[&str], stdin: &[u8]) -> Output {
        let tools_log4j = if is_kafka_3(&self.version) {
            format!(
                "-Dlog4j.configuration=file:{}",
                self.path("defaults/tools-log4j.properties").display()
            )
        } else {
            format!(
                "-Dlog4j2.configurationFile=file:{}",
                self.path("defaults/tools-log4j2.yaml").display()
            )
        };
        let mut child = Command::new("java")
            .arg("-Xmx256m")
            .arg(tools_log4j)
            .arg("-cp")
            .arg(format!("{}/libs/*", self.kafka_home.display()))
            .arg(main_class)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        wait_output(child)
    }

    /// Produces `records` with `acks=all` through Kafka's console producer.
    pub(crate) fn produce(&self, topic: &str, records: &[String]) {
        let producer = if is_kafka_3(&self.version) {
            "kafka.tools.ConsoleProducer"
        } else {
            "org.apache.kafka.tools.ConsoleProducer"
        };
        let input: String = records.iter().map(|r| format!("{r}\n")).collect();
        self.tool(
            producer,
            &[
                "--bootstrap-server",
                &self.bootstrap(),
                "--topic",
                topic,
                "--producer-property",
                "acks=all",
            ],
            input.as_bytes(),
        );
    }

    /// Consumes `count` records of `topic` from the beginning through Kafka's console consumer.
    pub(crate) fn consume(&self, topic: &str, count: usize) -> Vec<String> {
        let output = self.tool(
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            &[
                "--bootstrap-server",
                &self.bootstrap(),
                "--topic",
                topic,
                "--from-beginning",
                "--max-messages",
                &count.to_string(),
                "--timeout-ms",
                "60000",
            ],
            b"",
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// `n` distinct records named after `tag`.
pub(crate) fn records(tag: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{tag}-{i}")).collect()
}

/// A running `kafka-entrypoint run` (the broker JVM after its exec), killed when dropped.
pub(crate) struct Broker {
    child: Option<Child>,
    pub(crate) pid: u32,
    pub(crate) log: PathBuf,
}

impl Broker {
    /// Spawns `command` (a `kafka-entrypoint run`) with its output in `log`.
    pub(crate) fn spawn(mut command: Command, log: PathBuf) -> Self {
        let out = File::create(&log).unwrap();
        let child = command
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Self {
            pid: child.id(),
            child: Some(child),
            log,
        }
    }

    /// Everything the process wrote so far.
    pub(crate) fn output(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.log).unwrap()).into_owned()
    }

    /// Waits for Kafka's own "Kafka Server started" line; fails (with the output) if the process
    /// exits first or the deadline passes.
    pub(crate) fn wait_started(&mut self) {
        let start = Instant::now();
        loop {
            if self.output().contains("Kafka Server started") {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "kafka-entrypoint run exited ({status}) before Kafka started:\n{}",
                    self.output()
                );
            }
            assert!(
                start.elapsed() < DEADLINE,
                "Kafka did not start within {DEADLINE:?}:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the process to exit by itself (no signal) and returns its exit code.
    pub(crate) fn wait_exit(&mut self) -> Option<i32> {
        let mut child = self.child.take().unwrap();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            if start.elapsed() > DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "process did not exit within {DEADLINE:?}:\n{}",
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM (what `docker stop` sends) and returns the exit code and how long the stop
    /// took.
    pub(crate) fn stop(&mut self) -> (Option<i32>, Duration) {
        let start = Instant::now();
        kill(Pid::from_raw(self.pid as i32), Signal::SIGTERM).unwrap();
        let code = self.wait_exit();
        (code, start.elapsed())
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Collects a child's output (drained on a thread, so a chatty child never blocks on a full
/// pipe) with a deadline, killing it when the deadline passes.
pub(crate) fn wait_output(child: Child) -> Output {
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match receiver.recv_timeout(DEADLINE) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            panic!("process {pid} did not exit within {DEADLINE:?} and was killed");
        }
    }
}

/// The command line of a running process (`/proc/PID/cmdline`), one string per argument.
pub(crate) fn cmdline(pid: u32) -> Vec<String> {
    fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap()
        .split(|b| *b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}
