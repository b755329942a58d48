//! Shared by the `run` and `cds-train` tests: the FIXTURE Kafka distribution (built once per test
//! binary from `fixtures/fake-kafka/`, not Apache Kafka) and a sandbox of temp directories with
//! readers for what the fixture records.

#![allow(dead_code)] // shared by several test binaries, each using a part

#[path = "../common/ports.rs"]
mod ports;
#[path = "../common/run_command.rs"]
mod run_command;

pub(crate) use ports::free_ports;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Deadline for anything a test waits for.
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);

/// The fixture distribution `kafka_2.13-VERSION/`, built once per test binary and version.
pub(crate) fn fake_kafka(version: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<BTreeMap<String, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap();
    if let Some(home) = built.get(version) {
        return home.clone();
    }
    let binary = std::env::current_exe().unwrap();
    let name = binary.file_name().unwrap().to_string_lossy().into_owned();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fake-kafka-{name}"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fake-kafka/build.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(&out)
        .arg(version)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "building the fixture failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let home = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    built.insert(version.to_owned(), home.clone());
    home
}

/// One test's directories: defaults, mounted, final, secrets, data, logs, records.
pub(crate) struct Sandbox {
    pub(crate) root: tempfile::TempDir,
    pub(crate) kafka_home: PathBuf,
    pub(crate) broker_port: u16,
    pub(crate) controller_port: u16,
}

impl Sandbox {
    /// Defaults like the image's: a single combined node with static voters, data in `data/`.
    pub(crate) fn new() -> Self {
        Self::with_version("4.1.0")
    }

    /// The same for the fixture of Kafka `version` (log4j 1 files for 3.x, log4j2 for 4.x).
    pub(crate) fn with_version(version: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let kafka_home = fake_kafka(version);
        let ports = free_ports(2);
        let (broker_port, controller_port) = (ports[0], ports[1]);
        let sandbox = Self {
            root,
            kafka_home,
            broker_port,
            controller_port,
        };
        for dir in ["defaults", "mounted", "final", "secrets", "records", "logs"] {
            fs::create_dir_all(sandbox.path(dir)).unwrap();
        }
        let data = sandbox.path("data");
        fs::write(
            sandbox.path("defaults/server.properties"),
            format!(
                "process.roles=broker,controller\n\
                 node.id=1\n\
                 controller.quorum.voters=1@127.0.0.1:{controller_port}\n\
                 listeners=PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}\n\
                 advertised.listeners=PLAINTEXT://127.0.0.1:{broker_port}\n\
                 controller.listener.names=CONTROLLER\n\
                 listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n\
                 log.dirs={}\n",
                data.display()
            ),
        )
        .unwrap();
        let log4j_files = if version.starts_with('3') {
            ["log4j.properties", "tools-log4j.properties"]
        } else {
            ["log4j2.yaml", "tools-log4j2.yaml"]
        };
        for file in log4j_files {
            fs::copy(
                sandbox.kafka_home.join("config").join(file),
                sandbox.path("defaults").join(file),
            )
            .unwrap();
        }
        sandbox
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    /// `kafka-entrypoint run` with every path in the sandbox, a clean environment (PATH, the
    /// fixture's record dir, LOG_DIR, a small heap and the script launch through the fixture's
    /// `bin/`) plus `env`.
    pub(crate) fn run_command(&self, extra_args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = run_command::entrypoint_run(&self.kafka_home, self.root.path());
        command
            .arg("--cds-archive")
            .arg(self.path("kafka.jsa"))
            .args(extra_args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("FAKE_KAFKA_RECORD_DIR", self.path("records"))
            .env("LOG_DIR", self.path("logs"))
            .env("KAFKA_HEAP_OPTS", "-Xmx64m")
            .env("KAFKA_ENTRYPOINT_LAUNCH", "script")
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        command
    }

    /// Runs `kafka-entrypoint run` with the fixture told to exit 0 once its listeners are bound.
    pub(crate) fn run_once(&self, extra_args: &[&str], env: &[(&str, &str)]) -> (Output, u32) {
        let child = self
            .run_command(extra_args, env)
            .env("FAKE_KAFKA_EXIT_CODE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        (wait_output(child), pid)
    }

    /// The JSON records of every fixture main class that ran, oldest first.
    pub(crate) fn records(&self) -> Vec<Value> {
        let mut records: Vec<(std::time::SystemTime, Value)> = fs::read_dir(self.path("records"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .map(|path| {
                let modified = fs::metadata(&path).unwrap().modified().unwrap();
                (
                    modified,
                    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap(),
                )
            })
            .collect();
        records.sort_by_key(|(modified, _)| *modified);
        records.into_iter().map(|(_, record)| record).collect()
    }

    /// The records of main class `main`.
    pub(crate) fn records_of(&self, main: &str) -> Vec<Value> {
        self.records()
            .into_iter()
            .filter(|record| record["main"] == main)
            .collect()
    }

    /// Waits until the file `records/NAME` exists and returns its text.
    pub(crate) fn wait_for_record(&self, name: &str) -> String {
        let path = self.path("records").join(name);
        let start = Instant::now();
        loop {
            if let Ok(text) = fs::read_to_string(&path) {
                return text;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "`{}` did not appear in time",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(20));
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
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("process {pid} did not exit within {DEADLINE:?} and was killed");
        }
    }
}

/// A JSON array of strings as a `Vec<String>`.
pub(crate) fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}
