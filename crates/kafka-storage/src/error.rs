//! Errors of the storage library. Each variant names the offender (path, key, id or byte offset)
//! as a field, and [`StorageError::help`] says how to fix it.

/// A problem that stops formatting. Nothing is written when any of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A cluster id that Kafka's `Uuid.fromString` would reject.
    #[error("cluster id `{cluster_id}` is not a valid Kafka cluster id: {reason}")]
    InvalidClusterId {
        /// The rejected id as given.
        cluster_id: String,
        /// Why it was rejected.
        reason: String,
    },
    /// `meta.properties` lacks a key Kafka needs.
    #[error("`meta.properties` has no `{key}`")]
    MetaPropertiesMissingKey {
        /// The missing key.
        key: &'static str,
    },
    /// `meta.properties` has a value Kafka would reject.
    #[error("`meta.properties` key `{key}` has invalid value `{value}`: expected {expected}")]
    MetaPropertiesInvalidValue {
        /// The key.
        key: &'static str,
        /// The value found.
        value: String,
        /// What Kafka expects there.
        expected: &'static str,
    },
    /// `meta.properties` is not valid Java properties text (Kafka would fail to load it too).
    #[error("`meta.properties` cannot be read: {cause}")]
    MetaPropertiesSyntax {
        /// What the Java-properties reader rejected.
        cause: kafka_config::properties::PropertiesError,
    },
    /// A directory holds `meta.properties` of a ZooKeeper-mode broker (`version=0`).
    #[error("`{path}` was written by a ZooKeeper-mode broker (`version=0`), not by KRaft")]
    ZooKeeperMetaProperties {
        /// The `meta.properties` path.
        path: String,
    },
    /// A line of the SCRAM users list (`KAFKA_ENTRYPOINT_SCRAM_USERS`) that cannot be used;
    /// `reason` never quotes the password.
    #[error("`{origin}` line {line}: {reason}")]
    ScramUserLine {
        /// Where the list came from: the variable, or the variable and its file.
        origin: String,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An existing directory belongs to another cluster.
    #[error(
        "`{path}` belongs to cluster `{found}`, but `CLUSTER_ID` is `{wanted}`; refusing to reformat"
    )]
    ClusterIdMismatch {
        /// The `meta.properties` path.
        path: String,
        /// The cluster id stored there.
        found: String,
        /// The cluster id asked for.
        wanted: String,
    },
    /// An existing directory belongs to another node.
    #[error("`{path}` belongs to node {found}, but `node.id` is {wanted}; refusing to reformat")]
    NodeIdMismatch {
        /// The `meta.properties` path.
        path: String,
        /// The node id stored there.
        found: i32,
        /// The node id configured.
        wanted: i32,
    },
    /// The Kafka release is not one whose format this crate knows.
    #[error("the native storage writer does not know the format of Kafka {release}")]
    UnsupportedRelease {
        /// The release, as `X.Y.Z`.
        release: String,
    },
    /// No jar in the distribution's `libs/` names a Kafka release.
    #[error(
        "no `kafka_2.13-X.Y.Z.jar` or `kafka-server-common-X.Y.Z.jar` among {jar_count} jars in `libs/`"
    )]
    ReleaseNotDetected {
        /// How many `.jar` files were looked at.
        jar_count: usize,
    },
    /// Jars of two different Kafka releases were found.
    #[error("`libs/` holds jars of two Kafka releases, {first} and {second}")]
    AmbiguousRelease {
        /// One release.
        first: String,
        /// Another release.
        second: String,
    },
    /// A KIP-853 dynamic quorum the native writer cannot format exactly as Kafka would.
    #[error("the native storage writer cannot format this KIP-853 dynamic quorum: {reason}")]
    DynamicQuorumUnsupported {
        /// What it cannot reproduce.
        reason: String,
    },
    /// One `--initial-controllers` entry that Kafka's `DynamicVoter.parse` would reject.
    #[error("initial controller `{entry}` is not `id@host:port:directory-id`: {reason}")]
    InvalidInitialController {
        /// The entry, trimmed.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An `--initial-controllers` list without any entry.
    #[error("the initial controller list is empty")]
    NoInitialControllers,
    /// A node id listed twice among the initial controllers.
    #[error("node id {node_id} is listed more than once among the initial controllers")]
    DuplicateInitialController {
        /// The repeated node id.
        node_id: i32,
    },
    /// The initial controller list of a variable is invalid.
    #[error("`{variable}`: {cause}")]
    InvalidInitialControllersVariable {
        /// The variable that holds the list.
        variable: &'static str,
        /// What is wrong with the list.
        cause: Box<StorageError>,
    },
    /// The final config has no `node.id`.
    #[error("`node.id` is not set in the final config")]
    NodeIdMissing,
    /// `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS` is set next to a static quorum.
    #[error(
        "`KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS` is set, but `controller.quorum.voters` lists a static quorum"
    )]
    InitialControllersWithStaticVoters,
    /// A controller of a dynamic quorum without an initial voter choice.
    #[error(
        "`controller.quorum.voters` is empty, so this controller needs a KIP-853 initial quorum"
    )]
    InitialControllersNeeded,
    /// A dynamic quorum asked of a release before KIP-853.
    #[error(
        "Kafka {release} has no KIP-853 dynamic quorum (it came in 3.9), but `controller.quorum.voters` is empty"
    )]
    DynamicQuorumTooOld {
        /// The release, as `X.Y.Z`.
        release: String,
    },
    /// `inter.broker.protocol.version` changes the `metadata.version` 3.x formats with.
    #[error(
        "`inter.broker.protocol.version` is set (`{value}`), which changes the `metadata.version` Kafka formats with; the native storage writer only writes each release's default"
    )]
    InterBrokerProtocolVersionSet {
        /// The value found.
        value: String,
    },
    /// A KIP-853 voter set needs a controller listener name.
    #[error("`controller.listener.names` is not set, so the KIP-853 voters have no listener name")]
    NoControllerListenerName,
    /// `standalone` on a node that is not a controller.
    #[error(
        "`KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS=standalone` needs a controller, but `process.roles` is `{process_roles}`"
    )]
    StandaloneNotAController {
        /// `process.roles` as written.
        process_roles: String,
    },
    /// `standalone` without a controller listener to advertise.
    #[error(
        "`KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS=standalone`: no listener of `controller.listener.names` (`{names}`) is in `listeners` or `advertised.listeners`"
    )]
    StandaloneNoControllerListener {
        /// `controller.listener.names`.
        names: String,
    },
    /// `standalone` on an IPv6 controller listener.
    #[error(
        "`KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS=standalone`: the controller listener in `{key}` has the IPv6 host `{host}`, which Kafka's `--standalone` cannot write"
    )]
    StandaloneIpv6Host {
        /// `listeners` or `advertised.listeners`.
        key: &'static str,
        /// The host.
        host: String,
        /// This node's id.
        node_id: i32,
        /// The port.
        port: u16,
    },
    /// The caller gave fewer random draws than the directories needed.
    #[error("ran out of random bytes while drawing directory ids")]
    RandomBytesExhausted,
}

impl StorageError {
    /// How to fix the problem, for a `help:` line.
    pub fn help(&self) -> Option<String> {
        const FALLBACK: &str = "set `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage` to format with Kafka's own storage tool (`kafka.tools.StorageTool`)";
        match self {
            Self::ScramUserLine { .. } => Some(
                "write one user per line as `user:mechanism:password`, mechanism `SCRAM-SHA-256` or `SCRAM-SHA-512` (see the user guide, \"SCRAM users\")".to_owned(),
            ),
            Self::InvalidClusterId { .. } => Some(
                "generate one with `docker run --rm IMAGE random-uuid` and pass it as `CLUSTER_ID`".to_owned(),
            ),
            Self::ClusterIdMismatch { found, .. } => Some(format!(
                "set `CLUSTER_ID={found}` to start with the existing data, or mount an empty data volume for a new cluster"
            )),
            Self::NodeIdMismatch { found, .. } => Some(format!(
                "set `KAFKA_NODE_ID={found}` if you moved this data, or mount an empty data volume for a new node"
            )),
            Self::ZooKeeperMetaProperties { .. } => Some(
                "migrate the cluster to KRaft first (Kafka 3.9 is the last bridge release), or mount an empty data volume".to_owned(),
            ),
            Self::UnsupportedRelease { .. }
            | Self::ReleaseNotDetected { .. }
            | Self::AmbiguousRelease { .. } => Some(FALLBACK.to_owned()),
            Self::DynamicQuorumUnsupported { .. } => Some(format!(
                "{FALLBACK} (keep `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`), or set `KAFKA_CONTROLLER_QUORUM_VOTERS` for a static quorum"
            )),
            Self::InvalidInitialController { .. }
            | Self::NoInitialControllers
            | Self::DuplicateInitialController { .. } => Some(
                "list every initial controller once as `id@host:port:directory-id`, comma-separated, e.g. `1@kafka-1:9093:JEXY6aqzQY-32P5TStzaFg`; the same list on every node (directory ids from `kafka-storage.sh random-uuid`)".to_owned(),
            ),
            Self::InvalidInitialControllersVariable { cause, .. } => cause.help(),
            Self::NodeIdMissing => Some(
                "set `KAFKA_NODE_ID` (or `node.id` in a mounted `server.properties`); every KRaft node needs one".to_owned(),
            ),
            Self::InitialControllersWithStaticVoters => Some(
                "unset one of them: a KIP-853 dynamic quorum uses `controller.quorum.bootstrap.servers` instead of `controller.quorum.voters`".to_owned(),
            ),
            Self::InitialControllersNeeded => Some(
                "set `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS` to `standalone`, `none` or `id@host:port:directory,...`, or set `KAFKA_CONTROLLER_QUORUM_VOTERS` for a static quorum".to_owned(),
            ),
            Self::DynamicQuorumTooOld { .. } => Some(
                "set `KAFKA_CONTROLLER_QUORUM_VOTERS`, e.g. `1@localhost:9093`".to_owned(),
            ),
            Self::InterBrokerProtocolVersionSet { .. } => Some(
                "remove `inter.broker.protocol.version` (KRaft uses `metadata.version`), or set `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage`".to_owned(),
            ),
            Self::NoControllerListenerName => Some(
                "set `KAFKA_CONTROLLER_LISTENER_NAMES`, e.g. `CONTROLLER`".to_owned(),
            ),
            Self::StandaloneNotAController { .. } => Some(
                "use `standalone` only on a controller; a broker joining a dynamic quorum needs `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS` unset or `none`".to_owned(),
            ),
            Self::StandaloneNoControllerListener { .. } => Some(
                "add the controller listener, e.g. `KAFKA_LISTENERS=CONTROLLER://:9093` with `KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER`".to_owned(),
            ),
            Self::StandaloneIpv6Host {
                host,
                node_id,
                port,
                ..
            } => Some(format!(
                "advertise the controller listener with a host name, or set `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS` to `{node_id}@[{host}]:{port}:<directory id>`"
            )),
            Self::RandomBytesExhausted => None,
            Self::MetaPropertiesMissingKey { .. }
            | Self::MetaPropertiesInvalidValue { .. }
            | Self::MetaPropertiesSyntax { .. } => Some(
                "the directory is damaged or was not written by Kafka; restore it from a backup or mount an empty data volume".to_owned(),
            ),
        }
    }
}

/// A `bootstrap.checkpoint` (or any record-batch file) that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file ends inside a batch or record.
    #[error("truncated at byte {offset}: {needed} more bytes needed")]
    Truncated {
        /// Where the missing bytes start.
        offset: usize,
        /// How many bytes are missing.
        needed: usize,
    },
    /// A batch with a magic other than 2 (the only format this crate reads).
    #[error("batch at byte {offset} has magic {magic}, expected 2")]
    UnsupportedMagic {
        /// The batch's first byte in the file.
        offset: usize,
        /// The magic found.
        magic: i8,
    },
    /// A batch whose stored CRC32C differs from its content's.
    #[error(
        "batch at byte {offset} has CRC {stored:#010x}, but its content gives {computed:#010x}"
    )]
    CrcMismatch {
        /// The batch's first byte in the file.
        offset: usize,
        /// The CRC in the file.
        stored: u32,
        /// The CRC of the bytes.
        computed: u32,
    },
    /// Bytes that do not follow the format.
    #[error("malformed data at byte {offset}: {reason}")]
    Malformed {
        /// Where it was found.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Valid batches that are not a bootstrap snapshot (header, feature levels, footer).
    #[error("not a bootstrap snapshot: {reason}")]
    NotABootstrapSnapshot {
        /// What is missing or out of place.
        reason: &'static str,
    },
}
