//! Whole-program tests of KRaft storage formatting in `kafka-entrypoint run`: the real binary
//! against temp dirs and a FIXTURE distribution (not Kafka: a start script that records its
//! arguments, and an empty jar whose name gives the release), for the entrypoint's own decisions
//! (format, skip, refuse, never reformat). The bytes are proven against Kafka's own tool in
//! `storage_vs_kafka.rs`, the storage-tool fallback on real Kafka in `run_real_kafka.rs`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kafka_storage::{
    BOOTSTRAP_SNAPSHOT_FILE, BootstrapCheckpoint, CLUSTER_METADATA_DIR, IMAGE_DEFAULT_CLUSTER_ID,
    KafkaRelease, MetadataSnapshot, bootstrap_features, parse_meta_properties,
};

const OTHER_ID: &str = "4L6g3nShT-eMCtK--X86sw";

/// A sandbox: fixture `KAFKA_HOME`, the config dirs of `run`, and data dirs.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new(release: &str) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let home = root.path().join("kafka");
        fs::create_dir_all(home.join("libs")).expect("libs");
        fs::create_dir_all(home.join("bin")).expect("bin");
        // FIXTURE: an empty jar named like a release's core jar.
        fs::write(home.join(format!("libs/kafka_2.13-{release}.jar")), "").expect("jar");
        for script in ["kafka-server-start.sh", "kafka-storage.sh"] {
            // FIXTURE: records its arguments, one per line, and exits 0.
            let body = format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"{}/{script}.args\"\n",
                root.path().display()
            );
            let path = home.join("bin").join(script);
            fs::write(&path, body).expect("script");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        for dir in ["defaults", "mounted", "final", "secrets"] {
            fs::create_dir_all(root.path().join(dir)).expect("dir");
        }
        let sandbox = Self { root };
        let config = format!(
            "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n\
             listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n\
             log.dirs={},{}\nmetadata.log.dir={}\n",
            sandbox.data("a").display(),
            sandbox.data("b").display(),
            sandbox.data("meta").display()
        );
        fs::write(
            sandbox.root.path().join("defaults/server.properties"),
            config,
        )
        .expect("config");
        sandbox
    }

    fn data(&self, name: &str) -> PathBuf {
        self.root.path().join("data").join(name)
    }

    fn run(&self, env: &[(&str, &str)]) -> Output {
        let p = |name: &str| self.root.path().join(name);
        let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"));
        command
            .arg("run")
            .arg("--kafka-home")
            .arg(p("kafka"))
            .arg("--default-configs-dir")
            .arg(p("defaults"))
            .arg("--mounted-configs-dir")
            .arg(p("mounted"))
            .arg("--final-configs-dir")
            .arg(p("final"))
            .arg("--secrets-dir")
            .arg(p("secrets"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // The fixture's recording `bin/kafka-server-start.sh` stands in for Kafka after the
            // storage step these tests are about (real Kafka: `storage_vs_kafka.rs`).
            .env("KAFKA_ENTRYPOINT_LAUNCH", "script");
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("kafka-entrypoint runs")
    }

    fn recorded_args(&self, script: &str) -> Option<Vec<String>> {
        let text = fs::read_to_string(self.root.path().join(format!("{script}.args"))).ok()?;
        Some(text.lines().map(str::to_owned).collect())
    }

    /// Every file under `data/` with its bytes, sorted by path.
    fn data_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let Ok(entries) = fs::read_dir(dir) else {
                return;
            };
            for entry in entries {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push((path.clone(), fs::read(&path).expect("read")));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root.path().join("data"), &mut out);
        out.sort();
        out
    }
}

#[track_caller]
fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn default_config_formats_every_dir_with_the_default_cluster_id() {
    let sandbox = Sandbox::new("4.0.0");
    assert_success(&sandbox.run(&[]));
    for dir in ["a", "b", "meta"] {
        let meta = parse_meta_properties(
            &fs::read(sandbox.data(dir).join("meta.properties")).expect("meta.properties"),
        )
        .expect("parses");
        assert_eq!(
            meta.cluster_id.as_deref(),
            Some(IMAGE_DEFAULT_CLUSTER_ID),
            "{dir}"
        );
        assert_eq!(meta.node_id, Some(1), "{dir}");
        let checkpoint = BootstrapCheckpoint::decode(
            &fs::read(sandbox.data(dir).join("bootstrap.checkpoint")).expect("checkpoint"),
        )
        .expect("decodes");
        assert_eq!(
            checkpoint.features,
            bootstrap_features(KafkaRelease::new(4, 0, 0)).expect("known"),
            "{dir}"
        );
    }
    assert!(
        sandbox.recorded_args("kafka-storage.sh").is_none(),
        "no extra JVM tool ran"
    );
    assert!(
        sandbox.recorded_args("kafka-server-start.sh").is_some(),
        "Kafka was started"
    );
}

#[test]
fn second_run_does_not_reformat() {
    let sandbox = Sandbox::new("3.9.0");
    assert_success(&sandbox.run(&[]));
    let before = sandbox.data_files();
    assert_eq!(before.len(), 6);
    assert_success(&sandbox.run(&[]));
    assert_eq!(sandbox.data_files(), before);
}

#[test]
fn cluster_id_mismatch_fails_names_both_ids_and_touches_nothing() {
    let sandbox = Sandbox::new("4.1.0");
    assert_success(&sandbox.run(&[]));
    fs::remove_file(sandbox.root.path().join("kafka-server-start.sh.args")).expect("reset");
    let before = sandbox.data_files();
    let output = sandbox.run(&[("CLUSTER_ID", OTHER_ID)]);
    assert_eq!(output.status.code(), Some(2), "a refusal is bad input");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(OTHER_ID) && stderr.contains(IMAGE_DEFAULT_CLUSTER_ID),
        "{stderr}"
    );
    assert!(stderr.contains("meta.properties"), "{stderr}");
    assert_eq!(sandbox.data_files(), before);
    assert!(
        sandbox.recorded_args("kafka-server-start.sh").is_none(),
        "Kafka was not started"
    );
}

#[test]
fn user_config_without_cluster_id_fails_with_how_to_make_one() {
    let sandbox = Sandbox::new("4.1.0");
    // Any property variable replaces the image defaults, so the whole config comes from env.
    let log_dirs = sandbox.data("a").to_string_lossy().into_owned();
    let output = sandbox.run(&[
        ("KAFKA_PROCESS_ROLES", "broker,controller"),
        ("KAFKA_NODE_ID", "1"),
        ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093"),
        ("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
        ("KAFKA_LOG_DIRS", &log_dirs),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CLUSTER_ID"), "{stderr}");
    assert!(
        stderr.contains("docker run --rm IMAGE random-uuid"),
        "{stderr}"
    );
    assert!(sandbox.data_files().is_empty());
    assert!(
        sandbox.recorded_args("kafka-server-start.sh").is_none(),
        "Kafka was not started"
    );
}

/// The env of a KIP-853 controller: no `KAFKA_CONTROLLER_QUORUM_VOTERS`, so
/// `controller.quorum.voters` is empty; data dir `a`, metadata dir `meta`.
fn dynamic_controller_env(sandbox: &Sandbox, initial_controllers: &str) -> Vec<(String, String)> {
    [
        ("KAFKA_PROCESS_ROLES", "controller"),
        ("KAFKA_NODE_ID", "1"),
        (
            "KAFKA_CONTROLLER_QUORUM_BOOTSTRAP_SERVERS",
            "localhost:9093",
        ),
        ("KAFKA_LISTENERS", "CONTROLLER://:9093"),
        ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
        ("KAFKA_LOG_DIRS", &sandbox.data("a").to_string_lossy()),
        (
            "KAFKA_METADATA_LOG_DIR",
            &sandbox.data("meta").to_string_lossy(),
        ),
        ("CLUSTER_ID", OTHER_ID),
        ("KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS", initial_controllers),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec()
}

fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

// Derived from Kafka sources, no real sample: the snapshot's expected content follows
// `Formatter.writeDynamicQuorumSnapshot` and `StorageTool.createStandaloneDynamicVoters`.
#[test]
fn standalone_controller_gets_the_voters_snapshot_and_a_restart_changes_nothing() {
    let sandbox = Sandbox::new("4.0.0");
    let env = dynamic_controller_env(&sandbox, "standalone");
    assert_success(&sandbox.run(&pairs(&env)));
    let snapshot_path = sandbox
        .data("meta")
        .join(CLUSTER_METADATA_DIR)
        .join(BOOTSTRAP_SNAPSHOT_FILE);
    let snapshot = MetadataSnapshot::decode(&fs::read(&snapshot_path).expect("voters snapshot"))
        .expect("decodes");
    let meta = parse_meta_properties(
        &fs::read(sandbox.data("meta").join("meta.properties")).expect("meta.properties"),
    )
    .expect("parses");
    assert_eq!(snapshot.kraft_version, 1);
    let voters = snapshot.voters.as_deref().expect("a voter set");
    assert_eq!(voters.len(), 1);
    assert_eq!(voters[0].node_id, 1);
    assert_eq!(Some(voters[0].directory_id), meta.directory_id);
    let endpoint = &voters[0].endpoints[0];
    assert_eq!(
        (
            endpoint.listener_name.as_str(),
            endpoint.host.as_str(),
            endpoint.port
        ),
        ("CONTROLLER", "localhost", 9093)
    );
    assert!(
        !sandbox.data("a").join(CLUSTER_METADATA_DIR).exists(),
        "only the metadata dir gets the snapshot"
    );
    assert!(
        sandbox.recorded_args("kafka-storage.sh").is_none(),
        "formatted natively, no JVM"
    );
    let before = sandbox.data_files();
    assert_eq!(before.len(), 5);
    assert_success(&sandbox.run(&pairs(&env)));
    assert_eq!(sandbox.data_files(), before, "a restart rewrites nothing");
}

#[test]
fn bad_initial_controllers_fail_naming_the_variable_and_write_nothing() {
    let sandbox = Sandbox::new("4.0.0");
    let env = dynamic_controller_env(&sandbox, "1@kafka-1:9093:not-a-directory-id");
    let output = sandbox.run(&pairs(&env));
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`: initial controller `1@kafka-1:9093:not-a-directory-id`"),
        "{stderr}"
    );
    assert!(stderr.contains("help: "), "{stderr}");
    assert!(sandbox.data_files().is_empty());
    assert!(
        sandbox.recorded_args("kafka-server-start.sh").is_none(),
        "Kafka was not started"
    );
}
