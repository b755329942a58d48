//! The native storage writer proven against Kafka's own storage tool (issue 8, item 3), on the
//! real distributions under `KAFKA_DISTS_DIR` (`kafka_2.13-<V>/libs/`, jars from Maven Central).
//!
//! Each matrix row formats the same directories twice: first with the real `kafka-entrypoint
//! run` (its native writer; the launcher it execs afterwards is a FIXTURE script that exits 0),
//! then, after moving that result aside, with `java -cp "libs/*" kafka.tools.StorageTool` and
//! the arguments of `kafka_storage::storage_tool_args` (the fallback's own argument list) on the
//! final `server.properties` that `run` wrote. `meta.properties`, `bootstrap.checkpoint` and
//! the `__cluster_metadata-0` snapshot must then be equal byte for byte, and the same set of
//! files must exist with the same permission bits, after normalising only these fields:
//!
//! - `meta.properties`: the date comment line (`Properties.store` writes the clock), and
//!   `directory.id` where it is random (every directory that is not an initial voter's
//!   metadata directory);
//! - every record batch: `baseTimestamp` and `maxTimestamp` (the clock when the batch was
//!   built), then the batch CRC is recomputed over the normalised bytes;
//! - the `SnapshotHeaderRecord`: `lastContainedLogTimestamp` (the clock, in Kafka 3.9+'s
//!   snapshot writer);
//! - the `VotersRecord` of `--standalone`: the voter's directory id (random; first checked to
//!   equal the metadata directory's `directory.id` on each side).
//!
//! SCRAM users (`KAFKA_ENTRYPOINT_SCRAM_USERS`, [`check_scram_row`]) normalise nothing more: the
//! salt is the one random input of a credential, so Kafka's tool is given each salt the native
//! writer drew (`--add-scram MECHANISM=[name=…,salt=<base64>,iterations=4096,password=…]`) and
//! every field of `UserScramCredentialRecord` (name, mechanism, salt, stored key, server key,
//! iterations) is compared as written.
//!
//! Kafka's tool runs on a JDK 18 or later, as in the image (see [`tool_java`]); the broker
//! runs on the default JDK 17.
//!
//! A row the native writer refuses must be refused with a message naming
//! `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage`. Every row prints its verdict to stderr (not
//! captured by the test harness), so a CI log shows what ran. The last two tests start the real
//! broker on natively formatted directories and see it serve.

mod real_kafka;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kafka_storage::{
    BOOTSTRAP_CHECKPOINT_FILE, BOOTSTRAP_SNAPSHOT_FILE, CLUSTER_METADATA_DIR, ClusterId,
    KafkaRelease, META_PROPERTIES_FILE, MetadataSnapshot, QuorumChoice, RecordBatch,
    STORAGE_TOOL_CLASS, bootstrap_features, decode_batches, encode_batches, parse_meta_properties,
    storage_tool_args,
};

const CLUSTER: &str = "4L6g3nShT-eMCtK--X86sw";
/// Three initial controllers; node 1's directory id is fixed by the list, so it is compared
/// as is.
const INITIAL_CONTROLLERS: &str = "1@kafka-1:9093:JEXY6aqzQY-32P5TStzaFg,2@kafka-2:9093:MvDxzVmcRsaTz33bUuRU6A,3@kafka-3:9093:07R5amHmR32VDA6jHkGbTA";
/// An initial voter set that does not list node 1.
const OTHER_CONTROLLERS: &str = "2@kafka-2:9093:MvDxzVmcRsaTz33bUuRU6A";

/// The distribution of `version` under `KAFKA_DISTS_DIR`; a missing one fails the test.
fn distribution(version: &str) -> PathBuf {
    real_kafka::Distribution::get(version).home
}

/// The `java` that runs Kafka's storage tool: a JDK 18 or later, as in the image (Temurin 21).
/// `Properties.store` sorts the keys of `meta.properties` since JDK 18 (JDK-8231640); JDK 17
/// writes them in hash order. Both read the same, but only one can match byte for byte, and the
/// native writer matches what the image's Kafka writes. `KAFKA_TOOL_JAVA_HOME` overrides the
/// default, Temurin 25 at `/usr/lib/jvm/temurin-25-jdk-amd64`.
fn tool_java() -> PathBuf {
    let home = std::env::var_os("KAFKA_TOOL_JAVA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/jvm/temurin-25-jdk-amd64"));
    let java = home.join("bin/java");
    assert!(
        java.is_file(),
        "`{}` is missing: set KAFKA_TOOL_JAVA_HOME to a JDK 18 or later (the image runs Kafka on Temurin 21)",
        java.display()
    );
    java
}

/// Which roles the node has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Roles {
    Combined,
    Broker,
    Controller,
}

/// How the quorum is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quorum {
    /// `controller.quorum.voters=1@localhost:9093`.
    Static,
    /// KIP-853 with `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS` set to this value (`None`: unset,
    /// a broker of a dynamic quorum).
    Dynamic(Option<&'static str>),
}

/// What the row expects of the native writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Byte-identical (after normalising) to the tool.
    SameAsKafka,
    /// Refused; the message contains this text and names the fallback.
    NativeRefuses(&'static str),
}

/// One matrix row.
#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    roles: Roles,
    log_dirs: usize,
    metadata_dir: bool,
    quorum: Quorum,
    /// Extra config lines.
    extra: &'static str,
    /// The controller listener binds `0.0.0.0` (controller-only rows).
    wildcard_controller: bool,
    expect: Expect,
}

const fn row(
    name: &'static str,
    roles: Roles,
    log_dirs: usize,
    metadata_dir: bool,
    quorum: Quorum,
) -> Row {
    Row {
        name,
        roles,
        log_dirs,
        metadata_dir,
        quorum,
        extra: "",
        wildcard_controller: false,
        expect: Expect::SameAsKafka,
    }
}

const COMBINED_1: Row = row(
    "combined, 1 log dir",
    Roles::Combined,
    1,
    false,
    Quorum::Static,
);
const COMBINED_3: Row = row(
    "combined, 3 log dirs",
    Roles::Combined,
    3,
    false,
    Quorum::Static,
);
const COMBINED_3_META: Row = row(
    "combined, 3 log dirs + metadata.log.dir",
    Roles::Combined,
    3,
    true,
    Quorum::Static,
);
const BROKER_1: Row = row(
    "broker-only, 1 log dir",
    Roles::Broker,
    1,
    false,
    Quorum::Static,
);
const BROKER_3_META: Row = row(
    "broker-only, 3 log dirs + metadata.log.dir",
    Roles::Broker,
    3,
    true,
    Quorum::Static,
);
const CONTROLLER_1: Row = row(
    "controller-only, 1 log dir",
    Roles::Controller,
    1,
    false,
    Quorum::Static,
);
const CONTROLLER_3_META: Row = row(
    "controller-only, 3 log dirs + metadata.log.dir",
    Roles::Controller,
    3,
    true,
    Quorum::Static,
);
const STANDALONE: Row = row(
    "KIP-853 --standalone, controller-only, 3 log dirs + metadata.log.dir",
    Roles::Controller,
    3,
    true,
    Quorum::Dynamic(Some("standalone")),
);
const STANDALONE_COMBINED: Row = Row {
    extra: "advertised.listeners=PLAINTEXT://kafka-1:19092,CONTROLLER://kafka-1:19093\n",
    ..row(
        "KIP-853 --standalone, combined, 1 log dir, advertised controller listener",
        Roles::Combined,
        1,
        false,
        Quorum::Dynamic(Some("standalone")),
    )
};
const INITIAL_VOTER: Row = row(
    "KIP-853 --initial-controllers (3, this node a voter), controller-only, 1 log dir + metadata.log.dir",
    Roles::Controller,
    1,
    true,
    Quorum::Dynamic(Some(INITIAL_CONTROLLERS)),
);
const INITIAL_NON_VOTER: Row = row(
    "KIP-853 --initial-controllers (this node not listed), controller-only, 1 log dir",
    Roles::Controller,
    1,
    false,
    Quorum::Dynamic(Some(OTHER_CONTROLLERS)),
);
const NO_INITIAL: Row = row(
    "KIP-853 --no-initial-controllers, controller-only, 1 log dir + metadata.log.dir",
    Roles::Controller,
    1,
    true,
    Quorum::Dynamic(Some("none")),
);
const DYNAMIC_BROKER: Row = row(
    "KIP-853 broker-only (no flag), 3 log dirs + metadata.log.dir",
    Roles::Broker,
    3,
    true,
    Quorum::Dynamic(None),
);
const DYNAMIC_BROKER_NONE: Row = row(
    "KIP-853 broker-only --no-initial-controllers, 1 log dir",
    Roles::Broker,
    1,
    false,
    Quorum::Dynamic(Some("none")),
);
const STANDALONE_WILDCARD: Row = Row {
    wildcard_controller: true,
    ..row(
        "KIP-853 --standalone on a 0.0.0.0 controller listener",
        Roles::Controller,
        1,
        false,
        Quorum::Dynamic(Some("standalone")),
    )
};
const IBP_3_8: Row = Row {
    extra: "inter.broker.protocol.version=3.8\n",
    expect: Expect::NativeRefuses("inter.broker.protocol.version"),
    ..row(
        "combined, inter.broker.protocol.version=3.8",
        Roles::Combined,
        1,
        false,
        Quorum::Static,
    )
};

impl Row {
    /// The row's `server.properties`, data under `data`.
    fn config(&self, data: &Path) -> String {
        let node_id = if self.roles == Roles::Broker { 2 } else { 1 };
        let roles = match self.roles {
            Roles::Combined => "broker,controller",
            Roles::Broker => "broker",
            Roles::Controller => "controller",
        };
        let controller_host = if self.wildcard_controller {
            "0.0.0.0"
        } else {
            ""
        };
        let listeners = match self.roles {
            Roles::Combined => "PLAINTEXT://:9092,CONTROLLER://:9093".to_owned(),
            Roles::Broker => "PLAINTEXT://:9092".to_owned(),
            Roles::Controller => format!("CONTROLLER://{controller_host}:9093"),
        };
        let quorum = match self.quorum {
            Quorum::Static => "controller.quorum.voters=1@localhost:9093",
            Quorum::Dynamic(_) => "controller.quorum.bootstrap.servers=localhost:9093",
        };
        let log_dirs: Vec<String> = (0..self.log_dirs)
            .map(|i| data.join(format!("log-{i}")).display().to_string())
            .collect();
        let mut text = format!(
            "process.roles={roles}\nnode.id={node_id}\n{quorum}\ncontroller.listener.names=CONTROLLER\nlisteners={listeners}\nlistener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\nlog.dirs={}\n{}",
            log_dirs.join(","),
            self.extra
        );
        if self.roles != Roles::Controller {
            text.push_str("inter.broker.listener.name=PLAINTEXT\n");
        }
        if self.metadata_dir {
            text.push_str(&format!(
                "metadata.log.dir={}\n",
                data.join("metadata").display()
            ));
        }
        text
    }

    fn initial_controllers(&self) -> Option<&'static str> {
        match self.quorum {
            Quorum::Static | Quorum::Dynamic(None) => None,
            Quorum::Dynamic(Some(value)) => Some(value),
        }
    }

    fn quorum_choice(&self) -> QuorumChoice {
        match self.initial_controllers() {
            None => QuorumChoice::Static,
            Some("standalone") => QuorumChoice::Standalone,
            Some("none") => QuorumChoice::NoInitialControllers,
            Some(list) => QuorumChoice::InitialControllers(list.to_owned()),
        }
    }
}

/// A temp area for one row: a `KAFKA_HOME` whose `libs/` is the real distribution's and whose
/// launcher is a FIXTURE, the config dirs of `run`, and `data/`.
struct Area {
    root: tempfile::TempDir,
    dist: PathBuf,
}

impl Area {
    fn new(dist: &Path) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let home = root.path().join("kafka");
        fs::create_dir_all(home.join("bin")).expect("bin");
        symlink(dist.join("libs"), home.join("libs")).expect("libs link");
        // FIXTURE: the launcher `run` execs after formatting; storage is the real code.
        let launcher = home.join("bin/kafka-server-start.sh");
        fs::write(&launcher, "#!/bin/sh\nexit 0\n").expect("launcher");
        fs::set_permissions(&launcher, fs::Permissions::from_mode(0o755)).expect("chmod");
        for dir in ["mounted", "final", "secrets"] {
            fs::create_dir_all(root.path().join(dir)).expect("dir");
        }
        // The image's defaults for this version, as `run` sees them in the image.
        let defaults = root.path().join("defaults");
        fs::create_dir_all(&defaults).expect("defaults");
        for entry in fs::read_dir(dist.join("config")).expect("config dir") {
            let entry = entry.expect("entry");
            fs::copy(entry.path(), defaults.join(entry.file_name())).expect("copy default");
        }
        Self {
            root,
            dist: dist.to_owned(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// `kafka-entrypoint run` with `config` mounted as `server.properties`.
    fn run_entrypoint(&self, config: &str, initial_controllers: Option<&str>) -> Output {
        self.run_entrypoint_with(config, initial_controllers, &[])
    }

    /// [`Area::run_entrypoint`] with more environment variables.
    fn run_entrypoint_with(
        &self,
        config: &str,
        initial_controllers: Option<&str>,
        env: &[(&str, &str)],
    ) -> Output {
        fs::write(self.path("mounted/server.properties"), config).expect("config");
        let mut command = real_kafka::entrypoint_run(&self.path("kafka"), self.root.path());
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CLUSTER_ID", CLUSTER)
            // Exec the FIXTURE launcher, also once the native launch is the default.
            .env("KAFKA_ENTRYPOINT_LAUNCH", "script");
        if let Some(value) = initial_controllers {
            command.env("KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS", value);
        }
        command.envs(env.iter().copied());
        command.output().expect("kafka-entrypoint runs")
    }

    /// Kafka's storage tool with the fallback's arguments on `config_file`.
    fn run_storage_tool(
        &self,
        config_file: &Path,
        quorum: &QuorumChoice,
        extra: &[&str],
    ) -> Output {
        let cluster = ClusterId::parse(CLUSTER).expect("valid id");
        Command::new(tool_java())
            .arg("-Xmx128m")
            .arg("-XX:TieredStopAtLevel=1")
            .arg("-XX:+UseSerialGC")
            .arg("-cp")
            .arg(format!("{}/libs/*", self.dist.display()))
            .arg(STORAGE_TOOL_CLASS)
            .args(storage_tool_args(&cluster, config_file, quorum, &[]))
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .expect("java runs (JDK 17 on PATH)")
    }
}

/// Every file under `dir`, by path relative to it: bytes and permission bits.
fn tree(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, u32)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path
                    .strip_prefix(base)
                    .expect("below base")
                    .display()
                    .to_string();
                let mode = fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
                out.insert(relative, (fs::read(&path).expect("read"), mode));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The directory ids that are fixed by the row (an initial voter's), so not normalised.
fn fixed_ids(row: &Row) -> Vec<String> {
    row.initial_controllers()
        .into_iter()
        .flat_map(|list| list.split(','))
        .filter_map(|entry| entry.rsplit(':').next())
        .filter(|id| id.len() == 22)
        .map(str::to_owned)
        .collect()
}

/// The files of one side with only the random and time-based fields normalised (see the
/// module comment).
fn normalised(
    files: &BTreeMap<String, (Vec<u8>, u32)>,
    row: &Row,
) -> BTreeMap<String, (Vec<u8>, u32)> {
    let fixed = fixed_ids(row);
    let mut random_ids: Vec<[u8; 16]> = Vec::new();
    let mut out = BTreeMap::new();
    for (path, (bytes, mode)) in files {
        if path.ends_with(META_PROPERTIES_FILE) {
            let meta = parse_meta_properties(bytes).expect("meta.properties parses");
            let text = String::from_utf8(bytes.clone()).expect("ASCII");
            let mut lines: Vec<String> = Vec::new();
            for (index, line) in text.lines().enumerate() {
                if index == 1 && line.starts_with('#') {
                    lines.push("#<date of formatting>".to_owned());
                } else if let Some(id) = line.strip_prefix("directory.id=")
                    && !fixed.iter().any(|f| f == id)
                {
                    lines.push("directory.id=<random>".to_owned());
                    random_ids.push(*meta.directory_id.expect("directory.id").as_bytes());
                } else {
                    lines.push(line.to_owned());
                }
            }
            let mut normal = lines.join("\n");
            normal.push('\n');
            out.insert(path.clone(), (normal.into_bytes(), *mode));
        }
    }
    for (path, (bytes, mode)) in files {
        if path.ends_with(META_PROPERTIES_FILE) {
            continue;
        }
        let batches = decode_batches(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            &encode_batches(&batches),
            bytes,
            "{path}: decoding and re-encoding must give the same bytes before normalising"
        );
        let normal: Vec<RecordBatch> = batches
            .into_iter()
            .map(|mut batch| {
                batch.base_timestamp = 0;
                batch.max_timestamp = 0;
                for record in &mut batch.records {
                    let key = record.key.clone().unwrap_or_default();
                    let Some(value) = record.value.as_mut() else {
                        continue;
                    };
                    // Control record key: version 0, type 3 = SnapshotHeaderRecord, whose value
                    // is version (2 bytes) then lastContainedLogTimestamp (8 bytes).
                    if batch.is_control && key == [0, 0, 0, 3] {
                        value[2..10].fill(0);
                    }
                    // Type 6 = VotersRecord: a random voter directory id (`--standalone`).
                    if batch.is_control && key == [0, 0, 0, 6] {
                        for id in &random_ids {
                            if let Some(at) = value.windows(16).position(|w| w == id) {
                                value[at..at + 16].fill(0);
                            }
                        }
                    }
                }
                batch
            })
            .collect();
        out.insert(path.clone(), (encode_batches(&normal), *mode));
    }
    out
}

/// For `--standalone`: the voter's (random) directory id is the metadata directory's.
fn check_standalone_voter(files: &BTreeMap<String, (Vec<u8>, u32)>, side: &str) {
    let snapshot_key = files
        .keys()
        .find(|k| k.ends_with(BOOTSTRAP_SNAPSHOT_FILE))
        .unwrap_or_else(|| panic!("{side}: no voters snapshot"));
    let dir = snapshot_key
        .strip_suffix(&format!("{CLUSTER_METADATA_DIR}/{BOOTSTRAP_SNAPSHOT_FILE}"))
        .expect("below the metadata dir");
    let snapshot = MetadataSnapshot::decode(&files[snapshot_key].0).expect("snapshot decodes");
    let meta = parse_meta_properties(&files[&format!("{dir}{META_PROPERTIES_FILE}")].0)
        .expect("meta.properties parses");
    let voters = snapshot.voters.expect("a voter set");
    assert_eq!(
        Some(voters[0].directory_id),
        meta.directory_id,
        "{side}: the standalone voter's directory id is the metadata directory's"
    );
}

fn say(line: &str) {
    // Straight to stderr: the harness does not capture it, so a CI log lists every row.
    let _ = writeln!(std::io::stderr().lock(), "storage-vs-kafka: {line}");
}

/// Runs one row on `version`; returns its verdict line.
fn check_row(version: &str, dist: &Path, row: &Row) -> String {
    let area = Area::new(dist);
    let data = area.path("data");
    let config = row.config(&data);
    let native = area.run_entrypoint(&config, row.initial_controllers());
    let native_stderr = String::from_utf8_lossy(&native.stderr).into_owned();
    if let Expect::NativeRefuses(text) = row.expect {
        assert_eq!(
            native.status.code(),
            Some(2),
            "{version} {}: the native writer must refuse\n{native_stderr}",
            row.name
        );
        assert!(
            native_stderr.contains(text)
                && native_stderr.contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage"),
            "{version} {}: the refusal names the cause and the fallback\n{native_stderr}",
            row.name
        );
        assert!(tree(&data).is_empty(), "a refusal writes nothing");
        let tool = area.run_storage_tool(
            &area.path("final/server.properties"),
            &row.quorum_choice(),
            &[],
        );
        let tool_says = if tool.status.success() {
            format!("Kafka's tool formats it ({} files)", tree(&data).len())
        } else {
            format!(
                "Kafka's tool refuses it too (exit {:?})",
                tool.status.code()
            )
        };
        return format!(
            "{version} | {} | native writer REFUSES (`{text}`, points to KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage); {tool_says}",
            row.name
        );
    }
    assert!(
        native.status.success(),
        "{version} {}: kafka-entrypoint run failed\n{native_stderr}",
        row.name
    );
    let native_files = tree(&data);
    fs::rename(&data, area.path("native-data")).expect("move the native result aside");
    let tool = area.run_storage_tool(
        &area.path("final/server.properties"),
        &row.quorum_choice(),
        &[],
    );
    assert!(
        tool.status.success(),
        "{version} {}: Kafka's storage tool failed\nstdout:\n{}\nstderr:\n{}",
        row.name,
        String::from_utf8_lossy(&tool.stdout),
        String::from_utf8_lossy(&tool.stderr)
    );
    let tool_files = tree(&data);
    if row.initial_controllers() == Some("standalone") {
        check_standalone_voter(&native_files, "native");
        check_standalone_voter(&tool_files, "Kafka");
    }
    let names =
        |files: &BTreeMap<String, (Vec<u8>, u32)>| files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&native_files),
        names(&tool_files),
        "{version} {}: the same files",
        row.name
    );
    let (native_normal, tool_normal) =
        (normalised(&native_files, row), normalised(&tool_files, row));
    for (path, (tool_bytes, tool_mode)) in &tool_normal {
        let (native_bytes, native_mode) = &native_normal[path];
        assert_eq!(
            native_bytes, tool_bytes,
            "{version} {}: `{path}` differs from Kafka's after normalising",
            row.name
        );
        assert_eq!(
            native_mode, tool_mode,
            "{version} {}: `{path}` has mode {native_mode:o}, Kafka's {tool_mode:o}",
            row.name
        );
    }
    format!(
        "{version} | {} | SAME as Kafka's tool: {}",
        row.name,
        names(&tool_files).join(", ")
    )
}

/// Runs every row on `version` in two threads (each row costs a JVM), printing each verdict.
fn check_matrix(version: &str, rows: &[Row]) {
    let dist = distribution(version);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while let Some(row) = rows.get(next.fetch_add(1, Ordering::Relaxed)) {
                    say(&check_row(version, &dist, row));
                }
            });
        }
    });
}

#[test]
fn kafka_4_4_0_whole_matrix() {
    check_matrix(
        "4.4.0",
        &[
            COMBINED_1,
            COMBINED_3,
            COMBINED_3_META,
            BROKER_1,
            BROKER_3_META,
            CONTROLLER_1,
            CONTROLLER_3_META,
            STANDALONE,
            STANDALONE_COMBINED,
            INITIAL_VOTER,
            INITIAL_NON_VOTER,
            NO_INITIAL,
            DYNAMIC_BROKER,
            DYNAMIC_BROKER_NONE,
            STANDALONE_WILDCARD,
        ],
    );
}

#[test]
fn kafka_4_1_2_representative_rows() {
    check_matrix(
        "4.1.2",
        &[
            COMBINED_1,
            COMBINED_3_META,
            BROKER_1,
            STANDALONE,
            INITIAL_VOTER,
            NO_INITIAL,
        ],
    );
}

#[test]
fn kafka_4_0_2_representative_rows() {
    check_matrix(
        "4.0.2",
        &[
            COMBINED_1,
            COMBINED_3_META,
            CONTROLLER_1,
            STANDALONE,
            INITIAL_VOTER,
            NO_INITIAL,
        ],
    );
}

#[test]
fn kafka_3_9_2_representative_rows() {
    check_matrix(
        "3.9.2",
        &[
            COMBINED_1,
            COMBINED_3_META,
            BROKER_1,
            STANDALONE,
            INITIAL_VOTER,
            STANDALONE_WILDCARD,
            IBP_3_8,
        ],
    );
}

/// The release table against the newest tool: `--release-version X.Y` on 4.4.0 gives the
/// feature levels the native writer writes for release X.Y (each line's own tool agrees for
/// 3.9, 4.0, 4.1 and 4.4 above).
#[test]
fn release_table_matches_kafka_4_4_0_release_version_flag() {
    let dist = distribution("4.4.0");
    let lines = ["3.8", "3.9", "4.0", "4.1", "4.2", "4.3", "4.4"];
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while let Some(line) = lines.get(next.fetch_add(1, Ordering::Relaxed)) {
                    check_release_line(&dist, line);
                }
            });
        }
    });
}

/// `--release-version line` on 4.4.0 against the native table.
fn check_release_line(dist: &Path, line: &str) {
    {
        let area = Area::new(dist);
        let data = area.path("data");
        let config = area.path("server.properties");
        fs::write(&config, COMBINED_1.config(&data)).expect("config");
        let tool =
            area.run_storage_tool(&config, &QuorumChoice::Static, &["--release-version", line]);
        assert!(
            tool.status.success(),
            "--release-version {line}: {}",
            String::from_utf8_lossy(&tool.stdout)
        );
        let bytes = fs::read(data.join(format!(
            "log-0/{CLUSTER_METADATA_DIR}/{BOOTSTRAP_SNAPSHOT_FILE}"
        )))
        .expect("4.4 writes the snapshot");
        let snapshot = MetadataSnapshot::decode(&bytes).expect("decodes");
        let release = KafkaRelease::parse(&format!("{line}.0")).expect("release");
        assert_eq!(
            snapshot.features,
            bootstrap_features(release).expect("in the table"),
            "--release-version {line}"
        );
        say(&format!(
            "4.4.0 | --release-version {line} | feature levels SAME as the native table for {line}"
        ));
    }
}

/// The broker process, killed if the test fails before it stops it.
struct Broker(Child);

impl Drop for Broker {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Formats natively with `run` (a static quorum, or a KIP-853 `--standalone` one), starts
/// `kafka.Kafka` on the result, creates a topic, stops the broker with SIGTERM, and checks that
/// the storage files were not rewritten.
fn broker_serves_on_native_storage(version: &str, standalone: bool) {
    let dist = distribution(version);
    let area = Area::new(&dist);
    let data = area.path("data");
    let ports = real_kafka::free_ports(2);
    let (broker_port, controller_port) = (ports[0], ports[1]);
    let quorum = if standalone {
        format!("controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}")
    } else {
        format!("controller.quorum.voters=1@127.0.0.1:{controller_port}")
    };
    let config = format!(
        "process.roles=broker,controller\nnode.id=1\n{quorum}\n\
         controller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}\n\
         advertised.listeners=PLAINTEXT://127.0.0.1:{broker_port}\ninter.broker.listener.name=PLAINTEXT\n\
         listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n\
         log.dirs={0}/log-0,{0}/log-1\nmetadata.log.dir={0}/metadata\nnum.partitions=1\n\
         offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\n\
         transaction.state.log.min.isr=1\ngroup.initial.rebalance.delay.ms=0\n",
        data.display()
    );
    let formatted = area.run_entrypoint(&config, standalone.then_some("standalone"));
    assert!(
        formatted.status.success(),
        "{}",
        String::from_utf8_lossy(&formatted.stderr)
    );
    let storage_files = |dir: &Path| -> BTreeMap<String, (Vec<u8>, u32)> {
        tree(dir)
            .into_iter()
            .filter(|(path, _)| {
                path.ends_with(META_PROPERTIES_FILE) || path.ends_with(BOOTSTRAP_CHECKPOINT_FILE)
            })
            .collect()
    };
    let before = storage_files(&data);
    assert_eq!(
        before
            .keys()
            .filter(|p| p.ends_with(META_PROPERTIES_FILE))
            .count(),
        3
    );
    let final_dir = area.path("final");
    let log4j = if final_dir.join("log4j2.yaml").exists() {
        format!(
            "-Dlog4j2.configurationFile={}",
            final_dir.join("log4j2.yaml").display()
        )
    } else {
        format!(
            "-Dlog4j.configuration=file:{}",
            final_dir.join("log4j.properties").display()
        )
    };
    let log_path = area.path("broker.log");
    let log = fs::File::create(&log_path).expect("broker log");
    let started_at = Instant::now();
    let mut broker = Broker(
        Command::new("java")
            .arg("-Xmx256m")
            .arg(&log4j)
            .arg(format!("-Dkafka.logs.dir={}", area.path("logs").display()))
            .arg("-cp")
            .arg(format!("{}/libs/*", dist.display()))
            .arg("kafka.Kafka")
            .arg(final_dir.join("server.properties"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("java starts"),
    );
    let log_text = || fs::read_to_string(&log_path).unwrap_or_default();
    loop {
        if log_text().contains("Kafka Server started") {
            break;
        }
        if let Ok(Some(status)) = broker.0.try_wait() {
            panic!(
                "{version}: the broker exited ({status}) before serving:\n{}",
                log_text()
            );
        }
        assert!(
            started_at.elapsed() < Duration::from_secs(120),
            "{version}: no `Kafka Server started` within 120 s:\n{}",
            log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let ready_after = started_at.elapsed();
    let topic = Command::new("java")
        .arg("-Xmx128m")
        .arg("-cp")
        .arg(format!("{}/libs/*", dist.display()))
        .arg("org.apache.kafka.tools.TopicCommand")
        .args(["--bootstrap-server", &format!("127.0.0.1:{broker_port}")])
        .args([
            "--create",
            "--topic",
            "storage-proof",
            "--partitions",
            "1",
            "--replication-factor",
            "1",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("TopicCommand runs");
    let topic_out = String::from_utf8_lossy(&topic.stdout).into_owned();
    assert!(
        topic.status.success() && topic_out.contains("Created topic storage-proof"),
        "{version}: TopicCommand\nstdout:\n{topic_out}\nstderr:\n{}",
        String::from_utf8_lossy(&topic.stderr)
    );
    let stopped = Command::new("kill")
        .arg("-TERM")
        .arg(broker.0.id().to_string())
        .status()
        .expect("kill runs");
    assert!(stopped.success());
    let stop_at = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = broker.0.try_wait() {
            break status;
        }
        assert!(
            stop_at.elapsed() < Duration::from_secs(60),
            "{version}: the broker did not stop within 60 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let shut_down_cleanly = BufReader::new(fs::File::open(&log_path).expect("log"))
        .lines()
        .map_while(Result::ok)
        .any(|line| {
            line.contains("shut down completed") || line.contains("Kafka Server shut down")
        });
    assert!(
        shut_down_cleanly,
        "{version}: no clean shutdown in the log ({status}):\n{}",
        log_text()
    );
    assert_eq!(
        storage_files(&data),
        before,
        "{version}: meta.properties and bootstrap.checkpoint are unchanged (not reformatted)"
    );
    let topic_dir_exists = (0..2).any(|i| data.join(format!("log-{i}/storage-proof-0")).is_dir());
    assert!(
        topic_dir_exists,
        "{version}: the topic's partition is in a natively formatted log dir"
    );
    say(&format!(
        "{version} | real broker on natively formatted dirs (combined, {}, 2 log dirs + metadata.log.dir) | served: `Kafka Server started` after {:.1} s, topic created, SIGTERM stop clean, storage files unchanged",
        if standalone {
            "KIP-853 --standalone"
        } else {
            "static quorum"
        },
        ready_after.as_secs_f64()
    ));
}

#[test]
fn kafka_4_4_0_broker_serves_on_native_kip_853_storage() {
    broker_serves_on_native_storage("4.4.0", true);
}

#[test]
fn kafka_3_9_2_broker_serves_on_native_storage() {
    broker_serves_on_native_storage("3.9.2", false);
}

/// The SCRAM users of the comparison: both mechanisms, a password with `=` and `:`.
const SCRAM_USERS: &str = "alice:SCRAM-SHA-256:alice-secret\nbob:SCRAM-SHA-512:b=ob:secret\n";

/// Standard base64 with padding (Kafka's `salt=` takes `Base64.getDecoder()`'s alphabet).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The SCRAM credentials of the first file under `files` that holds bootstrap records.
fn scram_credentials(
    files: &BTreeMap<String, (Vec<u8>, u32)>,
) -> Vec<kafka_storage::ScramCredential> {
    for (path, (bytes, _)) in files {
        if path.ends_with(BOOTSTRAP_CHECKPOINT_FILE) {
            return kafka_storage::BootstrapCheckpoint::decode(bytes)
                .expect("checkpoint decodes")
                .scram_credentials;
        }
        if path.ends_with(BOOTSTRAP_SNAPSHOT_FILE) {
            return MetadataSnapshot::decode(bytes)
                .expect("snapshot decodes")
                .scram_credentials;
        }
    }
    Vec::new()
}

/// SCRAM users (`KAFKA_ENTRYPOINT_SCRAM_USERS`) written natively and by Kafka's tool with
/// `--add-scram`: the salt is the one random input, so the tool gets each salt the native
/// writer drew (`salt=`, base64) and `iterations=4096`; the files must then be equal after
/// normalising only what [`normalised`] names (no SCRAM field: name, mechanism, salt, stored
/// key, server key and iterations are compared as written).
fn check_scram_row(version: &str, row: &Row) -> String {
    let dist = distribution(version);
    let area = Area::new(&dist);
    let data = area.path("data");
    let native = area.run_entrypoint_with(
        &row.config(&data),
        row.initial_controllers(),
        &[("KAFKA_ENTRYPOINT_SCRAM_USERS", SCRAM_USERS)],
    );
    let stderr = String::from_utf8_lossy(&native.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&native.stdout).into_owned();
    assert!(
        native.status.success(),
        "{version} {}: kafka-entrypoint run failed\n{stderr}",
        row.name
    );
    for secret in ["alice-secret", "b=ob:secret"] {
        assert!(
            !stderr.contains(secret) && !stdout.contains(secret),
            "a password in the output:\n{stdout}\n{stderr}"
        );
    }
    let native_files = tree(&data);
    let credentials = scram_credentials(&native_files);
    let users = kafka_storage::parse_scram_users(SCRAM_USERS, "test").expect("valid");
    let add_scram: Vec<String> = credentials
        .iter()
        .zip(&users)
        .flat_map(|(credential, user)| {
            [
                "--add-scram".to_owned(),
                format!(
                    "{}=[name={},salt={},iterations={},password={}]",
                    user.mechanism,
                    user.name,
                    base64(&credential.salt),
                    credential.iterations,
                    user.password.expose()
                ),
            ]
        })
        .collect();
    fs::rename(&data, area.path("native-data")).expect("move the native result aside");
    let extra: Vec<&str> = add_scram.iter().map(String::as_str).collect();
    let tool = area.run_storage_tool(
        &area.path("final/server.properties"),
        &row.quorum_choice(),
        &extra,
    );
    assert!(
        tool.status.success(),
        "{version} {}: Kafka's storage tool failed\n{}\n{}",
        row.name,
        String::from_utf8_lossy(&tool.stdout),
        String::from_utf8_lossy(&tool.stderr)
    );
    let tool_files = tree(&data);
    let (native_normal, tool_normal) =
        (normalised(&native_files, row), normalised(&tool_files, row));
    assert_eq!(
        native_normal.keys().collect::<Vec<_>>(),
        tool_normal.keys().collect::<Vec<_>>(),
        "{version} {}: the same files",
        row.name
    );
    for (path, tool_file) in &tool_normal {
        assert_eq!(
            &native_normal[path], tool_file,
            "{version} {}: `{path}` differs from Kafka's after normalising",
            row.name
        );
    }
    let described: Vec<String> = credentials
        .iter()
        .map(|c| format!("{} {} ({}-byte salt)", c.name, c.mechanism, c.salt.len()))
        .collect();
    format!(
        "{version} | {} + SCRAM users | SAME as Kafka's tool --add-scram: {}; credentials: {}",
        row.name,
        tool_files.keys().cloned().collect::<Vec<_>>().join(", "),
        if described.is_empty() {
            "none (no bootstrap records on this node, as in Kafka)".to_owned()
        } else {
            described.join(", ")
        }
    )
}

#[test]
fn scram_users_match_kafka_4_4_0() {
    for row in [COMBINED_1, CONTROLLER_3_META, BROKER_1, STANDALONE] {
        say(&check_scram_row("4.4.0", &row));
    }
}

#[test]
fn scram_users_match_kafka_3_9_2() {
    for row in [COMBINED_1, COMBINED_3_META] {
        say(&check_scram_row("3.9.2", &row));
    }
}

#[test]
fn scram_users_match_kafka_4_1_2_and_4_0_2() {
    for version in ["4.1.2", "4.0.2"] {
        say(&check_scram_row(version, &COMBINED_1));
    }
}
