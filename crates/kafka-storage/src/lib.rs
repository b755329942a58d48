//! Pure KRaft storage formatting: the bytes of `meta.properties` and `bootstrap.checkpoint`,
//! byte-compatible with what Kafka's `kafka-storage.sh format` writes, and the decision whether a
//! set of log directories may be formatted at all.
//!
//! This crate does no I/O, reads no clock and draws no random numbers: timestamps and random
//! bytes are inputs, so every output is a pure function of its arguments and can be compared
//! byte for byte with files written by real Kafka (see `tests/data/`). The binary
//! (`kafka-entrypoint`, module `storage`) reads the directories, the clock and `/dev/urandom`,
//! and writes the files atomically.
//!
//! Main items:
//! - [`Uuid`], [`ClusterId`] and [`directory_id_from_random`]: Kafka's base64 UUIDs.
//! - [`MetaProperties`], [`parse_meta_properties`], [`render_meta_properties`]: the
//!   `meta.properties` file as `java.util.Properties.store` writes it.
//! - [`RecordBatch`], [`encode_batches`], [`decode_batches`]: the v2 record-batch format.
//! - [`BootstrapCheckpoint`]: the `bootstrap.checkpoint` snapshot (header, feature levels, footer).
//! - [`KafkaRelease`], [`detect_release`], [`bootstrap_features`]: which feature levels a given
//!   Kafka release writes when formatting.
//! - [`decide_format`] and [`FormatDecision`]: format, skip, or refuse (never reformat).
//!
//! - [`InitialControllers`], [`MetadataSnapshot`]: the KIP-853 dynamic quorum (`--standalone`,
//!   `--initial-controllers`) and the bootstrap snapshot in `__cluster_metadata-0/` (which also
//!   holds the feature levels from Kafka 4.4 on, see [`StorageLayout`]).
//! - [`choose_quorum`], [`storage_tool_args`], [`plan_native_format`]: the decisions of a
//!   format (which quorum flag, the fallback's arguments, every file's bytes), read from the
//!   node's typed configuration, `kafka_config::node::NodeConfig` (its one parser of roles,
//!   `node.id`, listeners, directories and quorum; `NodeConfig::storage_dirs` lists the
//!   directories to format). What the native writer cannot reproduce exactly is refused (e.g.
//!   [`StorageError::DynamicQuorumUnsupported`], [`StorageError::UnsupportedRelease`]), so the
//!   caller falls back to Kafka's own storage tool.
//! - [`parse_scram_users`], [`ScramUser`], [`ScramCredential`]: SCRAM users written into the
//!   bootstrap records on first start (KIP-900, `--add-scram`).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bootstrap_checkpoint;
mod decision;
mod dynamic_quorum;
mod error;
mod format_plan;
mod meta_properties;
mod record_batch;
mod release;
mod scram;
mod uuid;

pub use bootstrap_checkpoint::{BootstrapCheckpoint, FeatureLevel, SnapshotTimestamps};
pub use decision::{FormatDecision, LogDirState, PlannedDir, decide_format};
pub use dynamic_quorum::{
    BOOTSTRAP_SNAPSHOT_FILE, CLUSTER_METADATA_DIR, DYNAMIC_QUORUM_KRAFT_VERSION, InitialController,
    InitialControllers, MAX_INITIAL_CONTROLLERS, MetadataSnapshot, MetadataSnapshotTimestamps,
    SnapshotVoter, VoterEndpoint, snapshot_voters,
};
pub use error::{CheckpointError, StorageError};
pub use format_plan::{
    BOOTSTRAP_CHECKPOINT_FILE, DirectoryFormat, META_PROPERTIES_FILE, NativeFormatRequest,
    QuorumChoice, STORAGE_TOOL_CLASS, StorageFile, choose_quorum, plan_native_format,
    storage_node_id, storage_tool_args,
};
pub use meta_properties::{
    MetaProperties, StoredClusterId, civil_from_days, java_date_comment, parse_meta_properties,
    render_meta_properties,
};
pub use record_batch::{Record, RecordBatch, crc32c, decode_batches, encode_batches};
pub use release::{
    KafkaRelease, SUPPORTED_RELEASES, StorageLayout, bootstrap_features, detect_release,
    release_from_jar_name, storage_layout,
};
pub use scram::{
    DEFAULT_SCRAM_ITERATIONS, SALT_RANDOM_BYTES, ScramCredential, ScramMechanism, ScramPassword,
    ScramUser, kafka_default_salt, parse_scram_users,
};
pub use uuid::{
    ClusterId, IMAGE_DEFAULT_CLUSTER_ID, Uuid, directory_id_from_random, random_uuid_from_random,
};
