//! KRaft storage on first start (SPEC §4.2): the only code that writes Kafka's data directories.
//!
//! [`prepare_storage`] reads `meta.properties` of every directory in `log.dirs` (or `log.dir`)
//! and `metadata.log.dir`, lets [`kafka_storage::decide_format`] decide, and then either writes
//! `bootstrap.checkpoint` and `meta.properties` itself (`native`, no JVM; for a KIP-853 dynamic
//! quorum also the voters snapshot in the metadata log dir) or runs the
//! distribution's `bin/kafka-storage.sh format` (`kafka-storage`). A directory that is already
//! formatted is never touched; a `CLUSTER_ID` or `node.id` that differs from what a directory
//! holds is an error, and then nothing at all is written. Files are written as temp file +
//! rename, `bootstrap.checkpoint` before `meta.properties` (the "formatted" mark), as Kafka does.
//!
//! The I/O lives here: the clock (batch timestamps and the date line), `/dev/urandom` (directory
//! ids), the file system, and the child process of the fallback. The bytes come from the pure
//! `kafka-storage` crate.

use std::collections::{BTreeSet, HashSet};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use kafka_config::node::{Endpoint, NodeConfig, parse_node_id};
use kafka_config::properties::Properties;
use kafka_storage::{
    BOOTSTRAP_SNAPSHOT_FILE, BootstrapCheckpoint, CLUSTER_METADATA_DIR, ClusterId, FormatDecision,
    IMAGE_DEFAULT_CLUSTER_ID, InitialController, InitialControllers, KafkaRelease, LogDirState,
    MetaProperties, PlannedDir, SnapshotTimestamps, StorageError, Uuid, VotersSnapshot,
    VotersSnapshotTimestamps, bootstrap_features, decide_format, detect_release,
    directory_id_from_random, parse_meta_properties, random_uuid_from_random,
    render_meta_properties,
};

use crate::EnvSnapshot;
use crate::files::write_file;
use crate::run::StorageFormatter;

use kafka_config::env_vars::{CLUSTER_ID, KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS};

const META_PROPERTIES: &str = "meta.properties";
const BOOTSTRAP_CHECKPOINT: &str = "bootstrap.checkpoint";
const RANDOM_SOURCE: &str = "/dev/urandom";
const INTER_BROKER_PROTOCOL_VERSION: &str = "inter.broker.protocol.version";

/// What [`prepare_storage`] needs.
pub(crate) struct StorageInputs<'a> {
    /// The final broker config, as `setup` wrote it.
    pub(crate) config: &'a Properties,
    /// The file that config was written to (`--config` of `kafka-storage.sh`).
    pub(crate) config_file: &'a Path,
    /// The Kafka distribution (`KAFKA_HOME`): `libs/` tells the release, `bin/` has the tools.
    pub(crate) kafka_home: &'a Path,
    /// The process environment (`CLUSTER_ID`, `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`).
    pub(crate) env: &'a EnvSnapshot,
    /// True when the config is the image's own default (no mounted `server.properties`, no
    /// `KAFKA_*` property variables): then a missing `CLUSTER_ID` means the image default id.
    pub(crate) config_is_image_default: bool,
    /// Native writer or the distribution's `kafka-storage.sh`.
    pub(crate) formatter: StorageFormatter,
}

/// What [`prepare_storage`] did, one line per directory, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StorageReport {
    /// Human-readable lines: which directory was formatted or skipped, and warnings.
    pub(crate) lines: Vec<String>,
}

/// Formats every KRaft directory of `inputs.config` that is not formatted yet.
///
/// Returns an error, having written nothing, when `CLUSTER_ID` is missing (and the config is not
/// the image default) or invalid, when `node.id` is missing, when any directory belongs to another
/// cluster or node, or when the native writer does not know this Kafka release or quorum shape
/// (the message then says to use `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage`). Each problem
/// is one line, followed by a `help:` line.
pub(crate) fn prepare_storage(inputs: &StorageInputs<'_>) -> anyhow::Result<StorageReport> {
    let node_id = node_id(inputs.config)?;
    let dirs = kraft_directories(inputs.config);
    let states = dirs
        .iter()
        .map(|dir| read_log_dir(dir))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let all_formatted = states.iter().all(|s| s.meta_properties.is_some());
    let cluster_id = match env_value(inputs.env, CLUSTER_ID) {
        Some(text) => ClusterId::parse(&text).map_err(|e| problem(&e))?,
        None if inputs.config_is_image_default => {
            ClusterId::parse(IMAGE_DEFAULT_CLUSTER_ID).map_err(|e| problem(&e))?
        }
        // Restarting a formatted node needs no id: check the directories against each other.
        None if all_formatted => stored_cluster_id(&states)?,
        None => return Err(missing_cluster_id()),
    };
    let plan = decide_format(&states, &cluster_id, node_id).map_err(|p| problems(&p))?;
    let mut report = StorageReport { lines: Vec::new() };
    for dir in &plan {
        if let FormatDecision::SkipFormatted {
            kafka_16473_wrapped,
        } = dir.decision
        {
            report.lines.push(format!(
                "`{}` is already formatted; left as it is",
                dir.path
            ));
            if kafka_16473_wrapped {
                report.lines.push(format!(
                    "warning: `{}/{META_PROPERTIES}` stores `cluster.id=Some({cluster_id})`, as Kafka 3.7.0's image wrote it by mistake (KAFKA-16473); the cluster keeps that id",
                    dir.path
                ));
            }
        }
    }
    if plan.iter().all(|d| d.decision != FormatDecision::Format) {
        return Ok(report);
    }
    let release = release_of(inputs.kafka_home);
    match inputs.formatter {
        StorageFormatter::Native => {
            format_natively(
                inputs,
                &plan,
                &states,
                &cluster_id,
                node_id,
                release?,
                &mut report,
            )?;
        }
        StorageFormatter::KafkaStorage => {
            let quorum = quorum_flag(inputs.config, inputs.env, release.ok())?;
            let argv =
                kafka_storage_argv(inputs.kafka_home, &cluster_id, inputs.config_file, &quorum);
            let code = run_kafka_storage(&argv)?;
            if code != 0 {
                bail!(
                    "`{}` exited with code {code}\nhelp: its output above says why; nothing else was changed",
                    argv[0].to_string_lossy()
                );
            }
            for dir in plan.iter().filter(|d| d.decision == FormatDecision::Format) {
                report
                    .lines
                    .push(format!("`{}` formatted by `kafka-storage.sh`", dir.path));
            }
        }
    }
    Ok(report)
}

fn format_natively(
    inputs: &StorageInputs<'_>,
    plan: &[PlannedDir],
    states: &[LogDirState],
    cluster_id: &ClusterId,
    node_id: i32,
    release: KafkaRelease,
    report: &mut StorageReport,
) -> anyhow::Result<()> {
    let quorum = quorum_flag(inputs.config, inputs.env, Some(release))?;
    // `kafka-storage.sh format` of 3.x derives `metadata.version` from this key when it is set;
    // the native writer only knows each release's default.
    if let Some(ibp) = inputs.config.get(INTER_BROKER_PROTOCOL_VERSION) {
        bail!(
            "`{INTER_BROKER_PROTOCOL_VERSION}` is set (`{ibp}`), which changes the `metadata.version` Kafka formats with; the native storage writer only writes each release's default\nhelp: remove `{INTER_BROKER_PROTOCOL_VERSION}` (KRaft uses `metadata.version`), or set `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage`"
        );
    }
    let features = bootstrap_features(release).map_err(|e| problem(&e))?;
    // Kafka's `Formatter` gives `kraft.version` level 1 to a dynamic quorum, but
    // `BootstrapMetadata.fromVersions` writes no record for `kraft.version`: the checkpoint is
    // the same; the level goes into the voters snapshot.
    let initial = match &quorum {
        QuorumFlag::None | QuorumFlag::NoInitialControllers => None,
        QuorumFlag::Standalone => Some(standalone_controllers(inputs.config, node_id)?),
        QuorumFlag::InitialControllers(text) => {
            Some(InitialControllers::parse(text).map_err(|e| initial_controllers_problem(&e))?)
        }
    };
    let now = now_ms()?;
    let checkpoint = BootstrapCheckpoint {
        timestamps: SnapshotTimestamps::all_at(now),
        features,
    }
    .encode();
    let voters_snapshot = match &initial {
        Some(initial) => Some(
            VotersSnapshot::for_initial_controllers(
                initial,
                &controller_listener_name(inputs.config)?,
                VotersSnapshotTimestamps::all_at(now),
            )
            .map_err(|e| problem(&e))?
            .encode(),
        ),
        None => None,
    };
    // `Formatter.DirectoryType`: only the metadata log dir is a dynamic metadata directory; it
    // gets the voters snapshot, and this node's directory id from the voter set when it is a
    // voter.
    let metadata_dir = metadata_log_dir(inputs.config);
    let own_voter = initial.as_ref().and_then(|i| i.get(node_id));
    let mut used_ids: HashSet<Uuid> = states
        .iter()
        .filter_map(|s| s.meta_properties.as_ref()?.directory_id)
        .chain(own_voter.map(|v| v.directory_id))
        .collect();
    for dir in plan.iter().filter(|d| d.decision == FormatDecision::Format) {
        let is_metadata_dir = dir.path == metadata_dir;
        let directory_id = match own_voter.filter(|_| is_metadata_dir) {
            Some(voter) => voter.directory_id,
            None => {
                let id = fresh_directory_id(&used_ids)?;
                used_ids.insert(id);
                id
            }
        };
        let meta = MetaProperties::kraft(cluster_id, node_id, directory_id);
        let path = Path::new(&dir.path);
        fs::create_dir_all(path)
            .with_context(|| format!("failed to create `{}`", path.display()))?;
        write_file(
            &path.join(BOOTSTRAP_CHECKPOINT),
            &checkpoint,
            STORAGE_FILE_MODE,
        )?;
        let snapshot = voters_snapshot.as_ref().filter(|_| is_metadata_dir);
        if let Some(snapshot) = snapshot {
            let partition = path.join(CLUSTER_METADATA_DIR);
            fs::create_dir_all(&partition)
                .with_context(|| format!("failed to create `{}`", partition.display()))?;
            write_file(
                &partition.join(BOOTSTRAP_SNAPSHOT_FILE),
                snapshot,
                STORAGE_FILE_MODE,
            )?;
        }
        write_file(
            &path.join(META_PROPERTIES),
            render_meta_properties(&meta, now).as_bytes(),
            STORAGE_FILE_MODE,
        )?;
        report.lines.push(format!(
            "formatted `{}` for cluster `{cluster_id}`, node {node_id}, Kafka {release}{}",
            dir.path,
            if snapshot.is_some() {
                " (KIP-853 initial voters snapshot written)"
            } else {
                ""
            }
        ));
    }
    Ok(())
}

/// `metadata.log.dir`, or else the first of `log.dirs` (or `log.dir`) as written: Kafka's
/// `KafkaConfig.metadataLogDir`, which `Formatter` compares with each directory.
fn metadata_log_dir(config: &Properties) -> String {
    NodeConfig::read(config).0.metadata_dir().to_owned()
}

/// The first of `controller.listener.names` (`StorageTool` passes its head to `Formatter`).
fn controller_listener_name(config: &Properties) -> anyhow::Result<String> {
    config
        .get("controller.listener.names")
        .and_then(|names| names.trim().split(',').next())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            anyhow!("`controller.listener.names` is not set, so the KIP-853 voters have no listener name\nhelp: set `KAFKA_CONTROLLER_LISTENER_NAMES`, e.g. `CONTROLLER`")
        })
}

/// What `kafka-storage.sh format --standalone` derives (`StorageTool
/// .createStandaloneDynamicVoters`): this node as the only voter, at the first controller
/// listener (from `advertised.listeners` when it lists one, else from `listeners`; no host
/// means `localhost`), with a fresh random directory id.
fn standalone_controllers(config: &Properties, node_id: i32) -> anyhow::Result<InitialControllers> {
    if !is_controller(config) {
        bail!(
            "`{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}=standalone` needs a controller, but `process.roles` is `{}`\nhelp: use `standalone` only on a controller; a broker joining a dynamic quorum needs `{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}` unset or `none`",
            config.get("process.roles").unwrap_or_default()
        );
    }
    let names: Vec<String> = config
        .get("controller.listener.names")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.split(',').map(str::to_uppercase).collect())
        .unwrap_or_default();
    let node = NodeConfig::parse(config).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow!(
            "{}\nhelp: fix the listeners, e.g. `CONTROLLER://kafka-1:9093`",
            lines.join("\n")
        )
    })?;
    let (advertised, listeners) = (node.advertised_listeners, node.listeners);
    let find = |list: &[Endpoint], name: &str| list.iter().find(|l| l.name == name).cloned();
    let endpoint = names
        .iter()
        .find_map(|name| {
            find(&advertised, name)
                .map(|l| (l, "advertised.listeners"))
                .or_else(|| find(&listeners, name).map(|l| (l, "listeners")))
        })
        .ok_or_else(|| {
            anyhow!("`{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}=standalone`: no listener of `controller.listener.names` (`{}`) is in `listeners` or `advertised.listeners`\nhelp: add the controller listener, e.g. `KAFKA_LISTENERS=CONTROLLER://:9093` with `KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER`", names.join(","))
        })?;
    let (listener, key) = endpoint;
    if listener.host == "0.0.0.0" {
        return Err(problem(&StorageError::DynamicQuorumUnsupported {
            reason: format!(
                "the controller listener in `{key}` has host `0.0.0.0`, which Kafka 3.9 refuses and later releases replace by `localhost`"
            ),
        }));
    }
    if listener.host.contains(':') {
        bail!(
            "`{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}=standalone`: the controller listener in `{key}` has the IPv6 host `{}`, which Kafka's `--standalone` cannot write\nhelp: advertise the controller listener with a host name, or set `{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}` to `{node_id}@[{}]:{}:<directory id>`",
            listener.host,
            listener.host,
            listener.port
        );
    }
    let host = if listener.host.is_empty() {
        "localhost".to_owned()
    } else {
        listener.host
    };
    let directory_id = fresh_standalone_directory_id()?;
    InitialControllers::new(vec![InitialController {
        node_id,
        host,
        port: listener.port,
        directory_id,
    }])
    .map_err(|e| problem(&e))
}

/// A bad `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`, named, with the library's help.
fn initial_controllers_problem(error: &StorageError) -> anyhow::Error {
    anyhow!(
        "`{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}`: {error}\nhelp: {}",
        error.help().unwrap_or_default()
    )
}

/// `node.id` of the config, which KRaft requires.
fn node_id(config: &Properties) -> anyhow::Result<i32> {
    let text = config.get("node.id").ok_or_else(|| {
        anyhow!("`node.id` is not set in the final config\nhelp: set `KAFKA_NODE_ID` (or `node.id` in a mounted `server.properties`); every KRaft node needs one")
    })?;
    parse_node_id(text).ok_or_else(|| {
        anyhow!("`node.id` is `{text}`, not an integer from 0 to 2147483647\nhelp: set `KAFKA_NODE_ID` to the node's number, e.g. `1`")
    })
}

/// The directories Kafka's `kafka-storage.sh format` formats: `log.dirs` (or `log.dir`, default
/// `/tmp/kafka-logs`) and `metadata.log.dir` (default: the first log dir), without duplicates,
/// in sorted order as Kafka's `TreeSet`.
fn kraft_directories(config: &Properties) -> Vec<String> {
    let node = NodeConfig::read(config).0;
    let dirs: BTreeSet<&str> = node.storage_dirs().into_iter().collect();
    dirs.into_iter().map(str::to_owned).collect()
}

/// `controller.quorum.voters` when it lists voters (a static quorum), `None` when it is unset or
/// empty (a KIP-853 dynamic quorum).
fn quorum_voters(config: &Properties) -> Option<&str> {
    config
        .get("controller.quorum.voters")
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn read_log_dir(dir: &str) -> anyhow::Result<LogDirState> {
    let path = Path::new(dir).join(META_PROPERTIES);
    let meta_properties = match fs::read(&path) {
        Ok(bytes) => Some(parse_meta_properties(&bytes).map_err(|e| {
            anyhow!(
                "`{}`: {e}\nhelp: {}",
                path.display(),
                e.help().unwrap_or_default()
            )
        })?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("failed to read `{}`", path.display()));
        }
    };
    Ok(LogDirState {
        path: dir.to_owned(),
        meta_properties,
    })
}

/// The cluster id stored in the first formatted directory, for a restart without `CLUSTER_ID`.
fn stored_cluster_id(states: &[LogDirState]) -> anyhow::Result<ClusterId> {
    let stored = states
        .iter()
        .find_map(|s| s.meta_properties.as_ref()?.stored_cluster_id())
        .ok_or_else(missing_cluster_id)?;
    ClusterId::parse(stored.unwrapped()).map_err(|e| problem(&e))
}

fn missing_cluster_id() -> anyhow::Error {
    anyhow!(
        "`{CLUSTER_ID}` is not set, and the config is not the image's default\nhelp: generate an id once with `docker run --rm IMAGE /opt/kafka/bin/kafka-storage.sh random-uuid` and set `{CLUSTER_ID}` to it on every node of the cluster"
    )
}

/// The release of the distribution from the names in `KAFKA_HOME/libs`.
fn release_of(kafka_home: &Path) -> anyhow::Result<KafkaRelease> {
    let libs = kafka_home.join("libs");
    let entries = fs::read_dir(&libs).with_context(|| {
        format!(
            "failed to read `{}` to tell the Kafka release\nhelp: check `KAFKA_HOME`, or set `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage`",
            libs.display()
        )
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read `{}`", libs.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    detect_release(names.iter().map(String::as_str)).map_err(|e| {
        anyhow!(
            "`{}`: {e}\nhelp: {}",
            libs.display(),
            e.help().unwrap_or_default()
        )
    })
}

/// The KIP-853 flag `kafka-storage.sh format` needs (`--standalone`, `--initial-controllers`,
/// `--no-initial-controllers`), or none for a static quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QuorumFlag {
    /// Static quorum (`controller.quorum.voters` set), or a broker joining a dynamic one.
    None,
    /// `--standalone`: this controller is the whole initial quorum.
    Standalone,
    /// `--no-initial-controllers`: join a dynamic quorum formatted elsewhere.
    NoInitialControllers,
    /// `--initial-controllers LIST`.
    InitialControllers(String),
}

/// Chooses the quorum flag from the config and `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`; refuses
/// combinations `kafka-storage.sh` of `release` would refuse.
pub(crate) fn quorum_flag(
    config: &Properties,
    env: &EnvSnapshot,
    release: Option<KafkaRelease>,
) -> anyhow::Result<QuorumFlag> {
    let wanted = env_value(env, KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS);
    if quorum_voters(config).is_some() {
        return match wanted {
            None => Ok(QuorumFlag::None),
            Some(_) => bail!(
                "`{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}` is set, but `controller.quorum.voters` lists a static quorum\nhelp: unset one of them: a KIP-853 dynamic quorum uses `controller.quorum.bootstrap.servers` instead of `controller.quorum.voters`"
            ),
        };
    }
    let flag = match wanted.as_deref() {
        Some("standalone") => QuorumFlag::Standalone,
        Some("none") => QuorumFlag::NoInitialControllers,
        Some(list) => QuorumFlag::InitialControllers(list.to_owned()),
        None if is_controller(config) => bail!(
            "`controller.quorum.voters` is empty, so this controller needs a KIP-853 initial quorum\nhelp: set `{KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS}` to `standalone`, `none` or `id@host:port:directory,...`, or set `KAFKA_CONTROLLER_QUORUM_VOTERS` for a static quorum"
        ),
        None => QuorumFlag::None,
    };
    if let Some(release) = release
        && flag != QuorumFlag::None
        && !release.supports_dynamic_quorum()
    {
        bail!(
            "Kafka {release} has no KIP-853 dynamic quorum (it came in 3.9), but `controller.quorum.voters` is empty\nhelp: set `KAFKA_CONTROLLER_QUORUM_VOTERS`, e.g. `1@localhost:9093`"
        );
    }
    Ok(flag)
}

fn is_controller(config: &Properties) -> bool {
    config
        .get("process.roles")
        .is_some_and(|roles| roles.split(',').any(|r| r.trim() == "controller"))
}

/// The command line of the fallback: `KAFKA_HOME/bin/kafka-storage.sh format --cluster-id ID
/// --config FILE --ignore-formatted` and the quorum flag. The first element is the program.
pub(crate) fn kafka_storage_argv(
    kafka_home: &Path,
    cluster_id: &ClusterId,
    config_file: &Path,
    quorum: &QuorumFlag,
) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![
        kafka_home.join("bin").join("kafka-storage.sh").into(),
        "format".into(),
        "--cluster-id".into(),
        cluster_id.as_str().into(),
        "--config".into(),
        config_file.into(),
        "--ignore-formatted".into(),
    ];
    match quorum {
        QuorumFlag::None => {}
        QuorumFlag::Standalone => argv.push("--standalone".into()),
        QuorumFlag::NoInitialControllers => argv.push("--no-initial-controllers".into()),
        QuorumFlag::InitialControllers(list) => {
            argv.push("--initial-controllers".into());
            argv.push(list.into());
        }
    }
    argv
}

/// Runs the fallback under the entrypoint's supervision (signals forwarded, child reaped).
fn run_kafka_storage(argv: &[OsString]) -> anyhow::Result<i32> {
    let (program, args) = argv
        .split_first()
        .context("internal error: empty `kafka-storage.sh` command line")?;
    crate::process::run_supervised(Command::new(program).args(args))
        .with_context(|| format!("failed to run `{}`", program.to_string_lossy()))
}

/// A fresh directory id: 16 bytes of `/dev/urandom` per candidate, redrawn as Kafka redraws
/// (reserved, leading `-`, or already used by another directory).
fn fresh_directory_id(used: &HashSet<Uuid>) -> anyhow::Result<Uuid> {
    let mut source =
        File::open(RANDOM_SOURCE).with_context(|| format!("failed to open `{RANDOM_SOURCE}`"))?;
    loop {
        let mut bytes = [0u8; 16];
        source
            .read_exact(&mut bytes)
            .with_context(|| format!("failed to read `{RANDOM_SOURCE}`"))?;
        if let Some(id) = directory_id_from_random(bytes).filter(|id| !used.contains(id)) {
            return Ok(id);
        }
    }
}

/// A random id as Kafka's `Uuid.randomUuid` draws it: the directory id of `--standalone`, and
/// the cluster id `kafka-entrypoint random-uuid` prints.
pub(crate) fn fresh_standalone_directory_id() -> anyhow::Result<Uuid> {
    let mut source =
        File::open(RANDOM_SOURCE).with_context(|| format!("failed to open `{RANDOM_SOURCE}`"))?;
    loop {
        let mut bytes = [0u8; 16];
        source
            .read_exact(&mut bytes)
            .with_context(|| format!("failed to read `{RANDOM_SOURCE}`"))?;
        if let Some(id) = random_uuid_from_random(bytes) {
            return Ok(id);
        }
    }
}

fn now_ms() -> anyhow::Result<i64> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    i64::try_from(since_epoch.as_millis()).context("the system clock is too far in the future")
}

/// The mode of the storage files written natively (Kafka's, under the usual umask).
const STORAGE_FILE_MODE: u32 = 0o644;

/// The value of `name` in the environment; empty counts as unset, as in upstream's `configure`.
fn env_value(env: &EnvSnapshot, name: &str) -> Option<String> {
    env.iter()
        .rev()
        .find(|(key, _)| key == name)
        .and_then(|(_, value)| value.to_str())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// One library problem as an error with its `help:` line.
fn problem(error: &StorageError) -> anyhow::Error {
    match error.help() {
        Some(help) => anyhow!("{error}\nhelp: {help}"),
        None => anyhow!("{error}"),
    }
}

/// Several library problems at once; nothing was written.
fn problems(errors: &[StorageError]) -> anyhow::Error {
    if let [only] = errors {
        return problem(only);
    }
    let mut text = format!(
        "{} problems with the KRaft storage directories; nothing was written\n",
        errors.len()
    );
    for error in errors {
        text.push_str(&format!("\n  {error}\n"));
        if let Some(help) = error.help() {
            text.push_str(&format!("  help: {help}\n"));
        }
    }
    anyhow!(text.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_storage::VoterEndpoint;
    use std::path::PathBuf;

    fn config(text: &str) -> Properties {
        Properties::parse(text).expect("valid properties")
    }

    fn env(pairs: &[(&str, &str)]) -> EnvSnapshot {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn log_dirs_win_over_log_dir_and_metadata_dir_is_added() {
        let c = config("log.dir=/x\nlog.dirs=/b, /a,,/b\nmetadata.log.dir=/m\n");
        assert_eq!(kraft_directories(&c), ["/a", "/b", "/m"]);
        assert_eq!(kraft_directories(&config("log.dir=/x\n")), ["/x"]);
        assert_eq!(kraft_directories(&config("")), ["/tmp/kafka-logs"]);
    }

    #[test]
    fn kafka_storage_argv_for_a_static_quorum() {
        let argv = kafka_storage_argv(
            Path::new("/opt/kafka"),
            &ClusterId::parse(IMAGE_DEFAULT_CLUSTER_ID).expect("valid"),
            Path::new("/opt/kafka/config/server.properties"),
            &QuorumFlag::None,
        );
        assert_eq!(
            argv,
            [
                "/opt/kafka/bin/kafka-storage.sh",
                "format",
                "--cluster-id",
                IMAGE_DEFAULT_CLUSTER_ID,
                "--config",
                "/opt/kafka/config/server.properties",
                "--ignore-formatted"
            ]
            .map(OsString::from)
        );
    }

    #[test]
    fn kafka_storage_argv_appends_the_quorum_flag() {
        let id = ClusterId::parse(IMAGE_DEFAULT_CLUSTER_ID).expect("valid");
        let tail = |flag: &QuorumFlag| {
            kafka_storage_argv(Path::new("/k"), &id, Path::new("/c"), flag).split_off(7)
        };
        assert_eq!(
            tail(&QuorumFlag::Standalone),
            [OsString::from("--standalone")]
        );
        assert_eq!(
            tail(&QuorumFlag::NoInitialControllers),
            [OsString::from("--no-initial-controllers")]
        );
        assert_eq!(
            tail(&QuorumFlag::InitialControllers(
                "1@h:9093:AAAAAAAAAAAAAAAAAAAAAA".into()
            )),
            ["--initial-controllers", "1@h:9093:AAAAAAAAAAAAAAAAAAAAAA"].map(OsString::from)
        );
    }

    #[test]
    fn quorum_flag_follows_voters_and_the_control_variable() {
        let static_quorum =
            config("process.roles=broker,controller\ncontroller.quorum.voters=1@h:9093\n");
        let dynamic =
            config("process.roles=broker,controller\ncontroller.quorum.bootstrap.servers=h:9093\n");
        let broker = config("process.roles=broker\ncontroller.quorum.bootstrap.servers=h:9093\n");
        let v39 = Some(KafkaRelease::new(3, 9, 0));
        assert_eq!(
            quorum_flag(&static_quorum, &env(&[]), v39).expect("ok"),
            QuorumFlag::None
        );
        let standalone = env(&[(KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone")]);
        assert_eq!(
            quorum_flag(&dynamic, &standalone, v39).expect("ok"),
            QuorumFlag::Standalone
        );
        let none = env(&[(KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "none")]);
        assert_eq!(
            quorum_flag(&broker, &none, v39).expect("ok"),
            QuorumFlag::NoInitialControllers
        );
        assert_eq!(
            quorum_flag(&broker, &env(&[]), v39).expect("ok"),
            QuorumFlag::None
        );
    }

    #[test]
    fn quorum_flag_refuses_what_kafka_storage_refuses() {
        let static_quorum = config("process.roles=controller\ncontroller.quorum.voters=1@h:9093\n");
        let dynamic = config("process.roles=controller\n");
        let standalone = env(&[(KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone")]);
        let both = quorum_flag(&static_quorum, &standalone, None).expect_err("both set");
        assert!(both.to_string().contains("controller.quorum.voters"));
        let unset = quorum_flag(&dynamic, &env(&[]), None).expect_err("controller needs a flag");
        assert!(
            unset
                .to_string()
                .contains(KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS)
        );
        let old = quorum_flag(&dynamic, &standalone, Some(KafkaRelease::new(3, 8, 0)))
            .expect_err("3.8 has no KIP-853");
        assert!(old.to_string().contains("Kafka 3.8.0"));
    }

    #[test]
    fn empty_environment_values_count_as_unset() {
        let e = env(&[(CLUSTER_ID, "x"), (CLUSTER_ID, "")]);
        assert_eq!(env_value(&e, CLUSTER_ID), None);
        assert_eq!(
            env_value(&env(&[(CLUSTER_ID, "y")]), CLUSTER_ID).as_deref(),
            Some("y")
        );
    }

    #[test]
    fn several_problems_are_listed_with_their_help() {
        let text = problems(&[
            StorageError::NodeIdMismatch {
                path: "/a/meta.properties".into(),
                found: 2,
                wanted: 1,
            },
            StorageError::DynamicQuorumUnsupported { reason: "x".into() },
        ])
        .to_string();
        assert!(
            text.starts_with("2 problems with the KRaft storage directories; nothing was written")
        );
        assert_eq!(text.matches("help: ").count(), 2);
    }

    /// A temp dir with a fixture Kafka distribution (not Kafka: an empty jar whose name gives
    /// the release) and a data area.
    struct Sandbox {
        root: tempfile::TempDir,
    }

    impl Sandbox {
        fn new(release: &str) -> Self {
            let root = tempfile::tempdir().expect("temp dir");
            let libs = root.path().join("kafka/libs");
            fs::create_dir_all(&libs).expect("libs");
            fs::write(libs.join(format!("kafka_2.13-{release}.jar")), "").expect("jar");
            fs::write(libs.join(format!("kafka-clients-{release}.jar")), "").expect("jar");
            Self { root }
        }

        fn dir(&self, name: &str) -> String {
            self.root.path().join(name).to_string_lossy().into_owned()
        }

        fn prepare(
            &self,
            config_text: &str,
            env_pairs: &[(&str, &str)],
            image_default: bool,
        ) -> anyhow::Result<StorageReport> {
            let config = config(config_text);
            let env = env(env_pairs);
            let config_file = self.root.path().join("server.properties");
            let kafka_home = self.root.path().join("kafka");
            prepare_storage(&StorageInputs {
                config: &config,
                config_file: &config_file,
                kafka_home: &kafka_home,
                env: &env,
                config_is_image_default: image_default,
                formatter: StorageFormatter::Native,
            })
        }

        /// Every file under the sandbox's data dirs with its bytes.
        fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
            fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
                let Ok(entries) = fs::read_dir(dir) else {
                    return;
                };
                for entry in entries {
                    let path = entry.expect("entry").path();
                    if path.is_dir() {
                        walk(&path, out);
                    } else {
                        let bytes = fs::read(&path).expect("read");
                        out.push((path, bytes));
                    }
                }
            }
            let mut out = Vec::new();
            walk(&self.root.path().join("data"), &mut out);
            out.sort();
            out
        }
    }

    const OTHER_ID: &str = "4L6g3nShT-eMCtK--X86sw";

    fn combined(log_dirs: &str) -> String {
        format!(
            "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\nlog.dirs={log_dirs}\n"
        )
    }

    #[test]
    fn first_start_formats_every_log_dir_and_the_metadata_dir() {
        let sandbox = Sandbox::new("4.0.0");
        let (a, b, m) = (
            sandbox.dir("data/a"),
            sandbox.dir("data/b"),
            sandbox.dir("data/meta"),
        );
        let text = format!("{}metadata.log.dir={m}\n", combined(&format!("{a},{b}")));
        let report = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("formats");
        assert_eq!(report.lines.len(), 3);
        let mut directory_ids = HashSet::new();
        for dir in [&a, &b, &m] {
            let meta_bytes = fs::read(Path::new(dir).join(META_PROPERTIES)).expect("meta");
            let meta = parse_meta_properties(&meta_bytes).expect("parses");
            assert_eq!(meta.cluster_id.as_deref(), Some(OTHER_ID));
            assert_eq!(meta.node_id, Some(1));
            directory_ids.insert(meta.directory_id.expect("directory.id"));
            let checkpoint = BootstrapCheckpoint::decode(
                &fs::read(Path::new(dir).join(BOOTSTRAP_CHECKPOINT)).expect("checkpoint"),
            )
            .expect("decodes");
            assert_eq!(
                checkpoint.features,
                bootstrap_features(KafkaRelease::new(4, 0, 0)).expect("known")
            );
        }
        assert_eq!(directory_ids.len(), 3, "each directory gets its own id");
        let leftovers = sandbox
            .snapshot()
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "tmp"));
        assert_eq!(leftovers.count(), 0);
    }

    #[test]
    fn second_start_skips_formatted_dirs_and_changes_no_byte() {
        let sandbox = Sandbox::new("3.9.0");
        let text = combined(&sandbox.dir("data/a"));
        sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        assert_eq!(before.len(), 2);
        let report = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("restart");
        assert_eq!(sandbox.snapshot(), before);
        assert!(report.lines[0].contains("already formatted"));
    }

    #[test]
    fn added_log_dir_is_formatted_and_existing_one_left_alone() {
        let sandbox = Sandbox::new("4.2.0");
        let (a, b) = (sandbox.dir("data/a"), sandbox.dir("data/b"));
        sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        sandbox
            .prepare(
                &combined(&format!("{a},{b}")),
                &[(CLUSTER_ID, OTHER_ID)],
                false,
            )
            .expect("second start with a new dir");
        let after = sandbox.snapshot();
        assert!(
            before.iter().all(|file| after.contains(file)),
            "files of /a unchanged"
        );
        assert_eq!(after.len(), 4);
        let read_id = |dir: &str| {
            parse_meta_properties(&fs::read(Path::new(dir).join(META_PROPERTIES)).expect("meta"))
                .expect("parses")
                .directory_id
        };
        assert_ne!(read_id(&a), read_id(&b));
    }

    #[test]
    fn cluster_id_mismatch_names_both_ids_and_touches_nothing() {
        let sandbox = Sandbox::new("4.0.0");
        let (a, b) = (sandbox.dir("data/a"), sandbox.dir("data/b"));
        sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        let error = sandbox
            .prepare(
                &combined(&format!("{a},{b}")),
                &[(CLUSTER_ID, IMAGE_DEFAULT_CLUSTER_ID)],
                false,
            )
            .expect_err("mismatch");
        let text = error.to_string();
        assert!(
            text.contains(OTHER_ID) && text.contains(IMAGE_DEFAULT_CLUSTER_ID),
            "{text}"
        );
        assert!(text.contains(&format!("{a}/meta.properties")), "{text}");
        assert!(
            text.contains("help: set `CLUSTER_ID=4L6g3nShT-eMCtK--X86sw`"),
            "{text}"
        );
        assert_eq!(
            sandbox.snapshot(),
            before,
            "the new directory /b was not formatted either"
        );
        assert!(!Path::new(&b).exists());
    }

    #[test]
    fn node_id_mismatch_is_refused() {
        let sandbox = Sandbox::new("4.0.0");
        let a = sandbox.dir("data/a");
        sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let moved = combined(&a).replace("node.id=1", "node.id=2");
        let error = sandbox
            .prepare(&moved, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("node 2");
        assert!(
            error
                .to_string()
                .contains("belongs to node 1, but `node.id` is 2"),
            "{error}"
        );
    }

    #[test]
    fn image_default_config_without_cluster_id_uses_the_default_id() {
        let sandbox = Sandbox::new("4.1.0");
        let a = sandbox.dir("data/a");
        sandbox
            .prepare(&combined(&a), &[], true)
            .expect("default config");
        let meta =
            parse_meta_properties(&fs::read(Path::new(&a).join(META_PROPERTIES)).expect("meta"))
                .expect("parses");
        assert_eq!(meta.cluster_id.as_deref(), Some(IMAGE_DEFAULT_CLUSTER_ID));
    }

    #[test]
    fn user_config_without_cluster_id_says_how_to_make_one() {
        let sandbox = Sandbox::new("4.1.0");
        let error = sandbox
            .prepare(&combined(&sandbox.dir("data/a")), &[], false)
            .expect_err("no id");
        let text = error.to_string();
        assert!(text.contains("`CLUSTER_ID` is not set"), "{text}");
        assert!(text.contains("kafka-storage.sh random-uuid"), "{text}");
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn restart_without_cluster_id_keeps_the_stored_one() {
        let sandbox = Sandbox::new("4.1.0");
        let text = combined(&sandbox.dir("data/a"));
        sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        sandbox
            .prepare(&text, &[], false)
            .expect("restart without CLUSTER_ID");
        assert_eq!(sandbox.snapshot(), before);
    }

    #[test]
    fn invalid_cluster_id_is_refused_before_writing() {
        let sandbox = Sandbox::new("4.1.0");
        let error = sandbox
            .prepare(
                &combined(&sandbox.dir("data/a")),
                &[(CLUSTER_ID, "my-cluster")],
                false,
            )
            .expect_err("invalid");
        assert!(
            error
                .to_string()
                .contains("`my-cluster` is not a valid Kafka cluster id")
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn unknown_release_routes_to_the_kafka_storage_fallback() {
        let sandbox = Sandbox::new("4.3.0");
        let error = sandbox
            .prepare(
                &combined(&sandbox.dir("data/a")),
                &[(CLUSTER_ID, OTHER_ID)],
                false,
            )
            .expect_err("4.3 unknown");
        let text = error.to_string();
        assert!(text.contains("Kafka 4.3.0"), "{text}");
        assert!(
            text.contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    /// A KIP-853 controller: empty `controller.quorum.voters`, data dirs `a`, `b` and the
    /// metadata dir `meta`.
    fn dynamic_controller(sandbox: &Sandbox, listeners: &str) -> String {
        format!(
            "process.roles=controller\nnode.id=1\ncontroller.quorum.bootstrap.servers=localhost:9093\ncontroller.listener.names=CONTROLLER\n{listeners}log.dirs={},{}\nmetadata.log.dir={}\n",
            sandbox.dir("data/a"),
            sandbox.dir("data/b"),
            sandbox.dir("data/meta")
        )
    }

    fn voters_snapshot(dir: &str) -> Option<VotersSnapshot> {
        let path = Path::new(dir)
            .join(CLUSTER_METADATA_DIR)
            .join(BOOTSTRAP_SNAPSHOT_FILE);
        let bytes = fs::read(path).ok()?;
        Some(VotersSnapshot::decode(&bytes).expect("decodes"))
    }

    fn directory_id(dir: &str) -> Uuid {
        parse_meta_properties(&fs::read(Path::new(dir).join(META_PROPERTIES)).expect("meta"))
            .expect("parses")
            .directory_id
            .expect("directory.id")
    }

    #[test]
    fn dynamic_controller_without_initial_controllers_is_refused_naming_the_variable() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        let error = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("KIP-853 controller needs a voter set");
        let text = error.to_string();
        assert!(text.contains("KIP-853"), "{text}");
        assert!(
            text.contains("help: set `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn standalone_writes_the_voters_snapshot_only_in_the_metadata_dir() {
        let sandbox = Sandbox::new("3.9.0");
        let text = dynamic_controller(
            &sandbox,
            "listeners=CONTROLLER://:9093\nadvertised.listeners=CONTROLLER://kafka-1:19093\n",
        );
        let report = sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone"),
                ],
                false,
            )
            .expect("formats");
        let (a, b, m) = (
            sandbox.dir("data/a"),
            sandbox.dir("data/b"),
            sandbox.dir("data/meta"),
        );
        assert!(voters_snapshot(&a).is_none() && voters_snapshot(&b).is_none());
        let snapshot = voters_snapshot(&m).expect("snapshot in the metadata dir");
        assert_eq!(snapshot.kraft_version, 1);
        let [voter] = snapshot.voters.as_slice() else {
            panic!("one voter: {snapshot:?}");
        };
        assert_eq!(voter.node_id, 1);
        assert_eq!(voter.directory_id, directory_id(&m));
        assert_eq!(
            voter.endpoints,
            [VoterEndpoint {
                listener_name: "CONTROLLER".into(),
                host: "kafka-1".into(),
                port: 19093,
            }]
        );
        assert_eq!(voter.directory_id.as_bytes()[6] >> 4, 4, "Uuid.randomUuid");
        for dir in [&a, &b, &m] {
            let checkpoint = BootstrapCheckpoint::decode(
                &fs::read(Path::new(dir).join(BOOTSTRAP_CHECKPOINT)).expect("checkpoint"),
            )
            .expect("decodes");
            assert_eq!(
                checkpoint.features,
                bootstrap_features(KafkaRelease::new(3, 9, 0)).expect("known"),
                "kraft.version has no FeatureLevelRecord"
            );
        }
        assert!(report.lines.iter().any(|l| l.contains("KIP-853")));
    }

    #[test]
    fn standalone_without_advertised_listener_uses_listeners_and_localhost() {
        let sandbox = Sandbox::new("4.1.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone"),
                ],
                false,
            )
            .expect("formats");
        let snapshot = voters_snapshot(&sandbox.dir("data/meta")).expect("snapshot");
        assert_eq!(snapshot.voters[0].endpoints[0].host, "localhost");
        assert_eq!(snapshot.voters[0].endpoints[0].port, 9093);
    }

    #[test]
    fn standalone_on_a_wildcard_listener_routes_to_the_fallback() {
        let sandbox = Sandbox::new("4.1.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://0.0.0.0:9093\n");
        let error = sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone"),
                ],
                false,
            )
            .expect_err("0.0.0.0 differs between releases");
        let text = error.to_string();
        assert!(text.contains("`0.0.0.0`"), "{text}");
        assert!(
            text.contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn initial_controllers_give_the_voter_its_listed_directory_id() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        let list = "3@c:9093:07R5amHmR32VDA6jHkGbTA,1@a:9093:JEXY6aqzQY-32P5TStzaFg,2@b:9093:MvDxzVmcRsaTz33bUuRU6A";
        sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, list),
                ],
                false,
            )
            .expect("formats");
        let m = sandbox.dir("data/meta");
        assert_eq!(directory_id(&m).to_string(), "JEXY6aqzQY-32P5TStzaFg");
        assert_ne!(directory_id(&sandbox.dir("data/a")), directory_id(&m));
        let snapshot = voters_snapshot(&m).expect("snapshot");
        let ids: Vec<i32> = snapshot.voters.iter().map(|v| v.node_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(snapshot.voters[2].endpoints[0].host, "c");
    }

    #[test]
    fn a_controller_outside_the_initial_set_still_gets_the_snapshot() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (
                        KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS,
                        "2@b:9093:MvDxzVmcRsaTz33bUuRU6A",
                    ),
                ],
                false,
            )
            .expect("formats");
        let m = sandbox.dir("data/meta");
        let snapshot = voters_snapshot(&m).expect("DYNAMIC_METADATA_NON_VOTER_DIRECTORY");
        assert_eq!(snapshot.voters[0].node_id, 2);
        assert_ne!(directory_id(&m), snapshot.voters[0].directory_id);
    }

    #[test]
    fn bad_initial_controllers_name_the_variable_and_write_nothing() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        let error = sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "1@kafka-1:9093"),
                ],
                false,
            )
            .expect_err("no directory id");
        let text = error.to_string();
        assert!(
            text.starts_with(
                "`KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`: initial controller `1@kafka-1:9093`"
            ),
            "{text}"
        );
        assert!(
            text.contains("help: list every initial controller"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn broker_of_a_dynamic_quorum_is_formatted_without_a_snapshot() {
        let sandbox = Sandbox::new("4.0.0");
        let text = format!(
            "process.roles=broker\nnode.id=4\ncontroller.quorum.bootstrap.servers=c:9093\nlog.dirs={}\n",
            sandbox.dir("data/a")
        );
        sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("formats");
        assert_eq!(
            sandbox.snapshot().len(),
            2,
            "meta.properties and bootstrap.checkpoint only"
        );
    }

    #[test]
    fn metadata_log_dir_is_kafkas() {
        assert_eq!(metadata_log_dir(&config("log.dirs= /b ,/a\n")), "/b");
        assert_eq!(
            metadata_log_dir(&config("log.dirs=/b\nmetadata.log.dir=/m\n")),
            "/m"
        );
    }

    #[test]
    fn inter_broker_protocol_version_routes_to_the_kafka_storage_fallback() {
        let sandbox = Sandbox::new("3.8.0");
        let text = format!(
            "{}inter.broker.protocol.version=3.6\n",
            combined(&sandbox.dir("data/a"))
        );
        let error = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("IBP set");
        let text = error.to_string();
        assert!(
            text.contains("`inter.broker.protocol.version` is set (`3.6`)"),
            "{text}"
        );
        assert!(
            text.contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn unreadable_meta_properties_names_the_file() {
        let sandbox = Sandbox::new("4.0.0");
        let a = sandbox.dir("data/a");
        fs::create_dir_all(&a).expect("dir");
        fs::write(Path::new(&a).join(META_PROPERTIES), "node.id=1\n").expect("seed");
        let error = sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("damaged");
        let text = error.to_string();
        assert!(
            text.contains(&format!("{a}/meta.properties")) && text.contains("`version`"),
            "{text}"
        );
    }

    #[test]
    fn missing_node_id_names_the_variable() {
        let sandbox = Sandbox::new("4.0.0");
        let error = sandbox
            .prepare("log.dirs=/nonexistent\n", &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("no node.id");
        assert!(error.to_string().contains("KAFKA_NODE_ID"));
    }

    #[test]
    fn kafka_3_7_0_image_directory_is_kept_with_a_warning() {
        // See: https://issues.apache.org/jira/browse/KAFKA-16473
        let sandbox = Sandbox::new("3.7.1");
        let a = sandbox.dir("data/a");
        fs::create_dir_all(&a).expect("dir");
        let wrapped = format!("#\n#x\ncluster.id=Some({OTHER_ID})\nnode.id=1\nversion=1\n");
        fs::write(Path::new(&a).join(META_PROPERTIES), &wrapped).expect("seed");
        let report = sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("same cluster");
        assert!(report.lines.iter().any(|l| l.contains("KAFKA-16473")));
        assert_eq!(
            fs::read_to_string(Path::new(&a).join(META_PROPERTIES)).expect("read"),
            wrapped
        );
    }

    #[test]
    fn fresh_directory_ids_avoid_used_ones() {
        let first = fresh_directory_id(&HashSet::new()).expect("urandom");
        let second = fresh_directory_id(&HashSet::from([first])).expect("urandom");
        assert_ne!(first, second);
        assert!(directory_id_from_random(*second.as_bytes()).is_some());
    }
}
