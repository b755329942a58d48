//! What formatting a node's storage means, decided without touching a disk: which quorum flag
//! `kafka-storage.sh format` gets, its exact arguments (for the `kafka-storage` fallback), and,
//! for the native writer, every file with its bytes. Every setting comes from the node's typed
//! configuration (`kafka_config::node::NodeConfig`, the one parser of those keys, whose
//! `storage_dirs` are the directories the tool formats); nothing here reads a property itself.
//!
//! The binary (`kafka-entrypoint`, module `storage`) reads the directories' `meta.properties`,
//! the clock and random bytes, calls [`decide_format`](crate::decide_format) and
//! [`plan_native_format`], and writes what the plan says. Each choice below names the Kafka code
//! it mirrors; each was compared with the real tool by `kafka-entrypoint`'s
//! `tests/storage_vs_kafka.rs`.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;

use kafka_config::env_vars::KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS;
use kafka_config::node::{Endpoint, NodeConfig};

use crate::{
    BOOTSTRAP_SNAPSHOT_FILE, BootstrapCheckpoint, CLUSTER_METADATA_DIR, ClusterId,
    DYNAMIC_QUORUM_KRAFT_VERSION, FormatDecision, InitialController, InitialControllers,
    KafkaRelease, LogDirState, MetaProperties, MetadataSnapshot, MetadataSnapshotTimestamps,
    PlannedDir, ScramCredential, ScramUser, SnapshotTimestamps, StorageError, StorageLayout, Uuid,
    bootstrap_features, directory_id_from_random, random_uuid_from_random, render_meta_properties,
    snapshot_voters, storage_layout,
};

/// Kafka's storage tool, the main class of `bin/kafka-storage.sh` in every supported release
/// (3.7 to 4.4): run it as `java -cp "KAFKA_HOME/libs/*" kafka.tools.StorageTool` followed by
/// [`storage_tool_args`].
pub const STORAGE_TOOL_CLASS: &str = "kafka.tools.StorageTool";

/// `meta.properties`, the "formatted" mark of a directory.
pub const META_PROPERTIES_FILE: &str = "meta.properties";

/// `bootstrap.checkpoint` (3.7 to 4.3).
pub const BOOTSTRAP_CHECKPOINT_FILE: &str = "bootstrap.checkpoint";

/// `node.id` of the node, which every directory records in `meta.properties`; refuses a node
/// without one.
pub fn storage_node_id(node: &NodeConfig) -> Result<i32, StorageError> {
    node.node_id.ok_or(StorageError::NodeIdMissing)
}

/// The KIP-853 flag `kafka-storage.sh format` gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumChoice {
    /// No flag: a static quorum (`controller.quorum.voters` set), or a broker joining a
    /// dynamic one.
    Static,
    /// `--standalone`: this controller is the whole initial quorum.
    Standalone,
    /// `--no-initial-controllers`: join a dynamic quorum formatted elsewhere.
    NoInitialControllers,
    /// `--initial-controllers LIST`, the list as the user wrote it.
    InitialControllers(String),
}

/// Chooses the quorum flag from the node and `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`
/// (`standalone`, `none` or a list; `None` when unset or empty); refuses combinations the
/// storage tool of `release` refuses.
pub fn choose_quorum(
    node: &NodeConfig,
    initial_controllers: Option<&str>,
    release: Option<KafkaRelease>,
) -> Result<QuorumChoice, StorageError> {
    if node.has_static_voters() {
        return match initial_controllers {
            None => Ok(QuorumChoice::Static),
            Some(_) => Err(StorageError::InitialControllersWithStaticVoters),
        };
    }
    let choice = match initial_controllers {
        Some("standalone") => QuorumChoice::Standalone,
        Some("none") => QuorumChoice::NoInitialControllers,
        Some(list) => QuorumChoice::InitialControllers(list.to_owned()),
        None if is_controller(node) => {
            return Err(StorageError::InitialControllersNeeded);
        }
        None => QuorumChoice::Static,
    };
    if let Some(release) = release
        && choice != QuorumChoice::Static
        && !release.supports_dynamic_quorum()
    {
        return Err(StorageError::DynamicQuorumTooOld {
            release: release.to_string(),
        });
    }
    Ok(choice)
}

/// The arguments of `kafka-storage.sh` (and of [`STORAGE_TOOL_CLASS`]) for the fallback:
/// `format --cluster-id ID --config FILE --ignore-formatted` and the quorum flag. The same in
/// every supported release: 3.9.2, 4.0.2, 4.1.2 and 4.4.0 all take `--cluster-id`, `--config`,
/// `--ignore-formatted`, `--standalone`, `--initial-controllers`, `--no-initial-controllers`,
/// `--release-version`, `--feature` and `--add-scram`. Each SCRAM user becomes one
/// `--add-scram MECHANISM=[name=…,password=…]` (Kafka's default salt and 4096 iterations). The
/// tool reads passwords from no file of its own, so the caller hands these arguments to the JVM
/// in a launcher argument file (`java @FILE`) rather than on the command line.
pub fn storage_tool_args(
    cluster_id: &ClusterId,
    config_file: &Path,
    quorum: &QuorumChoice,
    scram_users: &[ScramUser],
) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "format".into(),
        "--cluster-id".into(),
        cluster_id.as_str().into(),
        "--config".into(),
        config_file.into(),
        "--ignore-formatted".into(),
    ];
    match quorum {
        QuorumChoice::Static => {}
        QuorumChoice::Standalone => args.push("--standalone".into()),
        QuorumChoice::NoInitialControllers => args.push("--no-initial-controllers".into()),
        QuorumChoice::InitialControllers(list) => {
            args.push("--initial-controllers".into());
            args.push(list.into());
        }
    }
    for user in scram_users {
        args.push("--add-scram".into());
        args.push(user.add_scram_argument().into());
    }
    args
}

/// One file the native writer writes, relative to its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageFile {
    /// Path below the directory (`meta.properties`, `bootstrap.checkpoint` or
    /// `__cluster_metadata-0/00000000000000000000-0000000000.checkpoint`).
    pub relative_path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Kafka leaves the file read-only for its owner (`0400`), as it does every frozen
    /// snapshot; the other files get the process's default mode.
    pub read_only: bool,
}

/// The files of one directory, in the order to write them: `meta.properties` last, since it
/// marks the directory formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryFormat {
    /// The directory.
    pub path: String,
    /// Its files.
    pub files: Vec<StorageFile>,
    /// It holds a KIP-853 voter set.
    pub has_voters: bool,
}

/// What [`plan_native_format`] needs.
#[derive(Debug, Clone, Copy)]
pub struct NativeFormatRequest<'a> {
    /// The node, from its final config.
    pub node: &'a NodeConfig,
    /// The quorum flag, from [`choose_quorum`].
    pub quorum: &'a QuorumChoice,
    /// The distribution's release.
    pub release: KafkaRelease,
    /// The cluster id.
    pub cluster_id: &'a ClusterId,
    /// What each directory holds now.
    pub states: &'a [LogDirState],
    /// The decision per directory, from [`decide_format`](crate::decide_format).
    pub plan: &'a [PlannedDir],
    /// The clock, in milliseconds since the Unix epoch: batch timestamps and the date line.
    pub now_ms: i64,
    /// SCRAM credentials to bootstrap (`--add-scram`): written after the feature levels,
    /// wherever the release writes those (every `bootstrap.checkpoint` up to 4.3, the
    /// controller's snapshot from 4.4; a 4.4 broker-only node gets none, as in Kafka).
    pub scram_credentials: &'a [ScramCredential],
}

/// Every file the native writer writes for `request`, as Kafka's `Formatter` of that release
/// would write it; refuses what it cannot reproduce. `random` gives 16 random bytes per draw
/// (directory ids, the `--standalone` voter's id); a few draws per directory are plenty.
pub fn plan_native_format(
    request: &NativeFormatRequest<'_>,
    random: &mut dyn Iterator<Item = [u8; 16]>,
) -> Result<Vec<DirectoryFormat>, StorageError> {
    let node = request.node;
    let node_id = storage_node_id(node)?;
    // `kafka-storage.sh format` of 3.x derives `metadata.version` from this key when it is set;
    // the native writer only knows each release's default.
    if let Some(value) = &node.inter_broker_protocol_version {
        return Err(StorageError::InterBrokerProtocolVersionSet {
            value: value.clone(),
        });
    }
    let layout = storage_layout(request.release)?;
    let features = bootstrap_features(request.release)?;
    let initial = match request.quorum {
        QuorumChoice::Static | QuorumChoice::NoInitialControllers => None,
        QuorumChoice::Standalone => Some(standalone_controllers(
            node,
            node_id,
            request.release,
            random,
        )?),
        QuorumChoice::InitialControllers(text) => {
            Some(InitialControllers::parse(text).map_err(|cause| {
                StorageError::InvalidInitialControllersVariable {
                    variable: KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS,
                    cause: Box::new(cause),
                }
            })?)
        }
    };
    // `Formatter` gives `kraft.version` level 1 to a dynamic quorum; `BootstrapMetadata
    // .fromVersions` writes no `FeatureLevelRecord` for it, so it appears only in the snapshot.
    let dynamic = *request.quorum != QuorumChoice::Static;
    let voters = match &initial {
        Some(initial) => Some(snapshot_voters(initial, &controller_listener_name(node)?)?),
        None => None,
    };
    let now = request.now_ms;
    // Which directory gets `__cluster_metadata-0`: 3.7-4.3 write it only for an initial voter
    // set (`Formatter.DirectoryType.isDynamicMetadataDirectory`); 4.4 on every controller
    // (`writeBootstrapSnapshot`), with the features.
    let snapshot = match layout {
        StorageLayout::CheckpointInEveryDirectory => voters.map(|voters| MetadataSnapshot {
            timestamps: MetadataSnapshotTimestamps::all_at(now),
            kraft_version: DYNAMIC_QUORUM_KRAFT_VERSION,
            voters: Some(voters),
            features: Vec::new(),
            scram_credentials: Vec::new(),
        }),
        StorageLayout::SnapshotOnControllers => is_controller(node).then(|| MetadataSnapshot {
            timestamps: MetadataSnapshotTimestamps::all_at(now),
            kraft_version: if dynamic {
                DYNAMIC_QUORUM_KRAFT_VERSION
            } else {
                0
            },
            voters,
            features: features.clone(),
            scram_credentials: request.scram_credentials.to_vec(),
        }),
    };
    let checkpoint = (layout == StorageLayout::CheckpointInEveryDirectory).then(|| {
        BootstrapCheckpoint {
            timestamps: SnapshotTimestamps::all_at(now),
            features,
            scram_credentials: request.scram_credentials.to_vec(),
        }
        .encode()
    });
    let snapshot_bytes = snapshot.as_ref().map(MetadataSnapshot::encode);
    // `Formatter.DirectoryType`: only the metadata log dir is a metadata directory; with an
    // initial voter set that lists this node, it takes the voter's directory id.
    let metadata_dir = node.metadata_dir();
    let own_voter = initial.as_ref().and_then(|i| i.get(node_id));
    let mut used_ids: HashSet<Uuid> = request
        .states
        .iter()
        .filter_map(|s| s.meta_properties.as_ref()?.directory_id)
        .chain(own_voter.map(|v| v.directory_id))
        .collect();
    let mut formats = Vec::new();
    for dir in request
        .plan
        .iter()
        .filter(|d| d.decision == FormatDecision::Format)
    {
        let is_metadata_dir = dir.path == metadata_dir;
        let directory_id = match own_voter.filter(|_| is_metadata_dir) {
            Some(voter) => voter.directory_id,
            None => {
                let id = fresh_directory_id(&used_ids, random)?;
                used_ids.insert(id);
                id
            }
        };
        let mut files = Vec::new();
        if let Some(bytes) = &checkpoint {
            files.push(StorageFile {
                relative_path: BOOTSTRAP_CHECKPOINT_FILE.to_owned(),
                bytes: bytes.clone(),
                read_only: false,
            });
        }
        let snapshot_here = snapshot_bytes.as_ref().filter(|_| is_metadata_dir);
        if let Some(bytes) = snapshot_here {
            files.push(StorageFile {
                relative_path: format!("{CLUSTER_METADATA_DIR}/{BOOTSTRAP_SNAPSHOT_FILE}"),
                bytes: bytes.clone(),
                read_only: true,
            });
        }
        let meta = MetaProperties::kraft(request.cluster_id, node_id, directory_id);
        files.push(StorageFile {
            relative_path: META_PROPERTIES_FILE.to_owned(),
            bytes: render_meta_properties(&meta, now).into_bytes(),
            read_only: false,
        });
        formats.push(DirectoryFormat {
            path: dir.path.clone(),
            files,
            has_voters: snapshot_here.is_some() && initial.is_some(),
        });
    }
    Ok(formats)
}

/// A fresh directory id, redrawn as `MetaPropertiesEnsemble.Copier.generateValidDirectoryId`
/// redraws (reserved, leading `-`, or already used by another directory).
fn fresh_directory_id(
    used: &HashSet<Uuid>,
    random: &mut dyn Iterator<Item = [u8; 16]>,
) -> Result<Uuid, StorageError> {
    loop {
        let bytes = random.next().ok_or(StorageError::RandomBytesExhausted)?;
        if let Some(id) = directory_id_from_random(bytes).filter(|id| !used.contains(id)) {
            return Ok(id);
        }
    }
}

/// Whether `process.roles` lists `controller`.
fn is_controller(node: &NodeConfig) -> bool {
    node.roles.is_some_and(|roles| roles.controller)
}

/// The first of `controller.listener.names` (`StorageTool` passes its head to `Formatter`).
fn controller_listener_name(node: &NodeConfig) -> Result<String, StorageError> {
    node.controller_listener_names
        .first()
        .cloned()
        .ok_or(StorageError::NoControllerListenerName)
}

/// What `kafka-storage.sh format --standalone` derives (`StorageTool
/// .createStandaloneDynamicVoters`): this node as the only voter, at the first controller
/// listener (from `advertised.listeners` when it lists one, else from `listeners`; no host
/// means `localhost`, and so does `0.0.0.0` from 3.9.1 on, where 3.9.0 refuses it), with a
/// fresh `Uuid.randomUuid` directory id.
fn standalone_controllers(
    node: &NodeConfig,
    node_id: i32,
    release: KafkaRelease,
    random: &mut dyn Iterator<Item = [u8; 16]>,
) -> Result<InitialControllers, StorageError> {
    if !is_controller(node) {
        return Err(StorageError::StandaloneNotAController {
            process_roles: node
                .roles
                .map(|roles| roles.to_string())
                .unwrap_or_default(),
        });
    }
    let find = |list: &[Endpoint], name: &str| list.iter().find(|l| l.name == name).cloned();
    let (listener, key) = node
        .controller_listener_names
        .iter()
        .find_map(|name| {
            find(&node.advertised_listeners, name)
                .map(|l| (l, "advertised.listeners"))
                .or_else(|| find(&node.listeners, name).map(|l| (l, "listeners")))
        })
        .ok_or_else(|| StorageError::StandaloneNoControllerListener {
            names: node.controller_listener_names.join(","),
        })?;
    if listener.host == "0.0.0.0" && release == KafkaRelease::new(3, 9, 0) {
        return Err(StorageError::DynamicQuorumUnsupported {
            reason: format!(
                "the controller listener in `{key}` has host `0.0.0.0`, which Kafka 3.9.0 refuses (3.9.1 and later write `localhost`)"
            ),
        });
    }
    if listener.host.contains(':') {
        return Err(StorageError::StandaloneIpv6Host {
            key,
            host: listener.host,
            node_id,
            port: listener.port,
        });
    }
    let host = if listener.host.is_empty() || listener.host == "0.0.0.0" {
        "localhost".to_owned()
    } else {
        listener.host
    };
    let directory_id = loop {
        let bytes = random.next().ok_or(StorageError::RandomBytesExhausted)?;
        if let Some(id) = random_uuid_from_random(bytes) {
            break id;
        }
    };
    InitialControllers::new(vec![InitialController {
        node_id,
        host,
        port: listener.port,
        directory_id,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IMAGE_DEFAULT_CLUSTER_ID, decide_format};
    use kafka_config::properties::Properties;

    fn node(text: &str) -> NodeConfig {
        NodeConfig::parse(&Properties::parse(text).expect("valid")).expect("a valid node")
    }

    #[test]
    fn node_id_must_be_set() {
        assert_eq!(
            storage_node_id(&node("log.dirs=/a\n")),
            Err(StorageError::NodeIdMissing)
        );
        assert_eq!(storage_node_id(&node("node.id=7\n")), Ok(7));
        assert!(
            StorageError::NodeIdMissing
                .help()
                .expect("help")
                .contains("KAFKA_NODE_ID")
        );
    }

    #[test]
    fn storage_tool_args_for_a_static_quorum_and_each_flag() {
        let id = ClusterId::parse(IMAGE_DEFAULT_CLUSTER_ID).expect("valid");
        let args = |quorum: &QuorumChoice| {
            storage_tool_args(
                &id,
                Path::new("/opt/kafka/config/server.properties"),
                quorum,
                &[],
            )
        };
        assert_eq!(
            args(&QuorumChoice::Static),
            [
                "format",
                "--cluster-id",
                IMAGE_DEFAULT_CLUSTER_ID,
                "--config",
                "/opt/kafka/config/server.properties",
                "--ignore-formatted"
            ]
            .map(OsString::from)
        );
        assert_eq!(
            args(&QuorumChoice::Standalone).split_off(6),
            [OsString::from("--standalone")]
        );
        assert_eq!(
            args(&QuorumChoice::NoInitialControllers).split_off(6),
            [OsString::from("--no-initial-controllers")]
        );
        assert_eq!(
            args(&QuorumChoice::InitialControllers(
                "1@h:9093:AAAAAAAAAAAAAAAAAAAAAA".into()
            ))
            .split_off(6),
            ["--initial-controllers", "1@h:9093:AAAAAAAAAAAAAAAAAAAAAA"].map(OsString::from)
        );
        let users = crate::parse_scram_users("alice:SCRAM-SHA-512:pw=1\n", "V").expect("valid");
        assert_eq!(
            storage_tool_args(&id, Path::new("/c"), &QuorumChoice::Static, &users).split_off(6),
            ["--add-scram", "SCRAM-SHA-512=[name=alice,password=pw=1]"].map(OsString::from)
        );
    }

    #[test]
    fn quorum_choice_follows_voters_and_the_control_variable() {
        let static_quorum =
            node("node.id=1\nprocess.roles=broker,controller\ncontroller.quorum.voters=1@h:9093\n");
        let dynamic = node("node.id=1\nprocess.roles=broker,controller\n");
        let broker = node("node.id=1\nprocess.roles=broker\n");
        let v39 = Some(KafkaRelease::new(3, 9, 0));
        assert_eq!(
            choose_quorum(&static_quorum, None, v39),
            Ok(QuorumChoice::Static)
        );
        assert_eq!(
            choose_quorum(&dynamic, Some("standalone"), v39),
            Ok(QuorumChoice::Standalone)
        );
        assert_eq!(
            choose_quorum(&broker, Some("none"), v39),
            Ok(QuorumChoice::NoInitialControllers)
        );
        assert_eq!(choose_quorum(&broker, None, v39), Ok(QuorumChoice::Static));
        assert_eq!(
            choose_quorum(&static_quorum, Some("standalone"), None),
            Err(StorageError::InitialControllersWithStaticVoters)
        );
        assert_eq!(
            choose_quorum(&dynamic, None, None),
            Err(StorageError::InitialControllersNeeded)
        );
        assert_eq!(
            choose_quorum(
                &dynamic,
                Some("standalone"),
                Some(KafkaRelease::new(3, 8, 0))
            ),
            Err(StorageError::DynamicQuorumTooOld {
                release: "3.8.0".into()
            })
        );
    }

    /// Plans a format of every directory of `config_text` on a fresh node.
    fn plan(
        config_text: &str,
        quorum: &QuorumChoice,
        release: KafkaRelease,
    ) -> Result<Vec<DirectoryFormat>, StorageError> {
        let node = node(config_text);
        let states: Vec<LogDirState> = node
            .storage_dirs()
            .into_iter()
            .map(|path| LogDirState {
                path: path.to_owned(),
                meta_properties: None,
            })
            .collect();
        let id = ClusterId::parse(IMAGE_DEFAULT_CLUSTER_ID).expect("valid");
        let node_id = storage_node_id(&node).expect("set");
        let decisions = decide_format(&states, &id, node_id).expect("fresh");
        let mut random = (1u8..).map(|n| [n; 16]);
        plan_native_format(
            &NativeFormatRequest {
                node: &node,
                quorum,
                release,
                cluster_id: &id,
                states: &states,
                plan: &decisions,
                now_ms: 1,
                scram_credentials: &[],
            },
            &mut random,
        )
    }

    fn file_names(dirs: &[DirectoryFormat]) -> Vec<(String, Vec<String>)> {
        dirs.iter()
            .map(|d| {
                (
                    d.path.clone(),
                    d.files.iter().map(|f| f.relative_path.clone()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn kafka_4_3_writes_a_checkpoint_into_every_directory() {
        let dirs = plan(
            "node.id=1\nprocess.roles=broker\nlog.dirs=/a\nmetadata.log.dir=/m\n",
            &QuorumChoice::Static,
            KafkaRelease::new(4, 3, 0),
        )
        .expect("planned");
        let expected = vec![
            BOOTSTRAP_CHECKPOINT_FILE.to_owned(),
            META_PROPERTIES_FILE.to_owned(),
        ];
        assert_eq!(
            file_names(&dirs),
            [
                ("/a".to_owned(), expected.clone()),
                ("/m".to_owned(), expected)
            ]
        );
    }

    #[test]
    fn kafka_4_4_writes_the_snapshot_only_on_a_controllers_metadata_directory() {
        let snapshot = format!("{CLUSTER_METADATA_DIR}/{BOOTSTRAP_SNAPSHOT_FILE}");
        let controller = plan(
            "node.id=1\nprocess.roles=controller\ncontroller.quorum.voters=1@h:9093\nlog.dirs=/a\nmetadata.log.dir=/m\n",
            &QuorumChoice::Static,
            KafkaRelease::new(4, 4, 0),
        )
        .expect("planned");
        assert_eq!(
            file_names(&controller),
            [
                ("/a".to_owned(), vec![META_PROPERTIES_FILE.to_owned()]),
                (
                    "/m".to_owned(),
                    vec![snapshot.clone(), META_PROPERTIES_FILE.to_owned()]
                )
            ]
        );
        assert!(controller[1].files[0].read_only);
        let decoded = MetadataSnapshot::decode(&controller[1].files[0].bytes).expect("decodes");
        assert_eq!((decoded.kraft_version, decoded.voters), (0, None));
        assert_eq!(
            decoded.features,
            bootstrap_features(KafkaRelease::new(4, 4, 0)).expect("known")
        );
        let broker = plan(
            "node.id=2\nprocess.roles=broker\nlog.dirs=/a\n",
            &QuorumChoice::Static,
            KafkaRelease::new(4, 4, 0),
        )
        .expect("planned");
        assert_eq!(
            file_names(&broker),
            [("/a".to_owned(), vec![META_PROPERTIES_FILE.to_owned()])]
        );
    }

    #[test]
    fn kafka_4_4_no_initial_controllers_writes_kraft_version_without_voters() {
        let dirs = plan(
            "node.id=1\nprocess.roles=controller\ncontroller.listener.names=CONTROLLER\nlog.dirs=/m\n",
            &QuorumChoice::NoInitialControllers,
            KafkaRelease::new(4, 4, 0),
        )
        .expect("planned");
        let decoded = MetadataSnapshot::decode(&dirs[0].files[0].bytes).expect("decodes");
        assert_eq!((decoded.kraft_version, decoded.voters), (1, None));
        assert!(!dirs[0].has_voters);
    }

    #[test]
    fn standalone_refusals_name_what_to_change() {
        let release = KafkaRelease::new(4, 1, 0);
        let on_broker = plan(
            "node.id=1\nprocess.roles=broker\nlog.dirs=/a\n",
            &QuorumChoice::Standalone,
            release,
        );
        assert_eq!(
            on_broker,
            Err(StorageError::StandaloneNotAController {
                process_roles: "broker".into()
            })
        );
        let wildcard = "node.id=1\nprocess.roles=controller\ncontroller.listener.names=CONTROLLER\nlisteners=CONTROLLER://0.0.0.0:9093\nlog.dirs=/a\n";
        assert!(matches!(
            plan(
                wildcard,
                &QuorumChoice::Standalone,
                KafkaRelease::new(3, 9, 0)
            ),
            Err(StorageError::DynamicQuorumUnsupported { .. })
        ));
        let dirs =
            plan(wildcard, &QuorumChoice::Standalone, release).expect("3.9.1+ writes localhost");
        let snapshot = MetadataSnapshot::decode(&dirs[0].files[1].bytes).expect("decodes");
        assert_eq!(
            snapshot.voters.expect("voters")[0].endpoints[0].host,
            "localhost"
        );
        let ipv6 = plan(
            "node.id=1\nprocess.roles=controller\ncontroller.listener.names=CONTROLLER\nlisteners=CONTROLLER://[::1]:9093\nlog.dirs=/a\n",
            &QuorumChoice::Standalone,
            release,
        )
        .expect_err("IPv6");
        assert!(
            ipv6.help()
                .expect("help")
                .contains("1@[::1]:9093:<directory id>")
        );
        let ibp = plan(
            "node.id=1\nprocess.roles=broker\nlog.dirs=/a\ninter.broker.protocol.version=3.6\n",
            &QuorumChoice::Static,
            KafkaRelease::new(3, 9, 0),
        );
        assert_eq!(
            ibp,
            Err(StorageError::InterBrokerProtocolVersionSet {
                value: "3.6".into()
            })
        );
    }

    #[test]
    fn directory_ids_are_redrawn_until_unused() {
        let used = HashSet::from([Uuid::from_bytes([1; 16])]);
        let mut random = [[1; 16], [2; 16]].into_iter();
        assert_eq!(
            fresh_directory_id(&used, &mut random),
            Ok(Uuid::from_bytes([2; 16]))
        );
        assert_eq!(
            fresh_directory_id(&used, &mut random),
            Err(StorageError::RandomBytesExhausted)
        );
    }
}
