//! The KIP-853 dynamic controller quorum (Kafka 3.9+): the initial voter set of
//! `kafka-storage.sh format --initial-controllers` / `--standalone`, and the bootstrap snapshot
//! `__cluster_metadata-0/00000000000000000000-0000000000.checkpoint` that `Formatter` writes into
//! the metadata log directory (3.9 to 4.3: with an initial voter set only; 4.4 and later: on
//! every controller, with the feature levels too).
//!
//! Layout (Kafka's `RecordsSnapshotWriter.Builder.build` then `freeze`, snapshot id offset 0,
//! epoch 0, so every batch has partition leader epoch 0):
//!
//! 1. one control batch at offset 0: `SnapshotHeaderRecord` (control type 3,
//!    `lastContainedLogTimestamp` = the clock when formatting), then for a dynamic quorum
//!    `KRaftVersionRecord` (type 5, `kraft.version` 1) and, with initial voters, `VotersRecord`
//!    (type 6);
//! 2. from Kafka 4.4, a data batch of `FeatureLevelRecord`s, as in `bootstrap.checkpoint`;
//! 3. one control batch holding the `SnapshotFooterRecord` (type 4).
//!
//! Each control record's value is the message without a version prefix (`MessageUtil
//! .toByteBuffer`), all versions 0 and flexible: compact strings and arrays, one empty
//! tagged-field section per struct. Compared byte for byte with the files of Kafka's own tool by
//! `kafka-entrypoint`'s `tests/storage_vs_kafka.rs` (see `tests/data/SOURCES.md`).

use crate::bootstrap_checkpoint::{data_records, parse_data_records};
use crate::record_batch::{Reader, put_unsigned_varint};
use crate::{
    CheckpointError, FeatureLevel, Record, RecordBatch, ScramCredential, StorageError, Uuid,
    decode_batches,
};

/// The directory under the metadata log dir that holds the snapshot
/// (`__cluster_metadata` partition 0).
pub const CLUSTER_METADATA_DIR: &str = "__cluster_metadata-0";

/// File name of the bootstrap snapshot (`Snapshots.BOOTSTRAP_SNAPSHOT_ID`: offset 0, epoch 0).
pub const BOOTSTRAP_SNAPSHOT_FILE: &str = "00000000000000000000-0000000000.checkpoint";

/// `ControlRecordType.SNAPSHOT_HEADER`.
const SNAPSHOT_HEADER_TYPE: i16 = 3;
/// `ControlRecordType.SNAPSHOT_FOOTER`.
const SNAPSHOT_FOOTER_TYPE: i16 = 4;
/// `ControlRecordType.KRAFT_VERSION`.
const KRAFT_VERSION_TYPE: i16 = 5;
/// `ControlRecordType.KRAFT_VOTERS`.
const KRAFT_VOTERS_TYPE: i16 = 6;
/// `KRaftVersion.KRAFT_VERSION_1`, the level `Formatter` gives `kraft.version` for a dynamic
/// quorum. `BootstrapMetadata.fromVersions` writes no `FeatureLevelRecord` for it, so it
/// appears only here, never in `bootstrap.checkpoint`.
pub const DYNAMIC_QUORUM_KRAFT_VERSION: i16 = 1;
/// The supported `kraft.version` range `DynamicVoter.toVoterNode` gives every initial voter.
const VOTER_KRAFT_VERSIONS: (i16, i16) = (0, 1);
/// Most initial voters whose order in `VotersRecord` this module reproduces exactly: up to 7,
/// Java's `HashMap` neither resizes nor treeifies a bin, so its order is a function of the ids.
pub const MAX_INITIAL_CONTROLLERS: usize = 7;

/// One initial controller: `id@host:port:directory-id` (Kafka's `DynamicVoter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialController {
    /// The controller's `node.id`.
    pub node_id: i32,
    /// Host name or address of its controller listener.
    pub host: String,
    /// Port of its controller listener.
    pub port: u16,
    /// The `directory.id` of its metadata log directory.
    pub directory_id: Uuid,
}

impl InitialController {
    /// Parses one entry as `DynamicVoter.parse` does (the entry is trimmed first; an IPv6 host
    /// is written in brackets).
    pub fn parse(entry: &str) -> Result<Self, StorageError> {
        let input = entry.trim();
        let invalid = |reason: String| StorageError::InvalidInitialController {
            entry: input.to_owned(),
            reason,
        };
        let (id_text, rest) = input
            .split_once('@')
            .ok_or_else(|| invalid("no `@` after the node id".to_owned()))?;
        if id_text.is_empty() {
            return Err(invalid("the node id before `@` is empty".to_owned()));
        }
        let node_id = parse_java_int(id_text)
            .ok_or_else(|| invalid(format!("node id `{id_text}` is not an integer")))?;
        if node_id < 0 {
            return Err(invalid(format!("node id {node_id} is negative")));
        }
        if rest.is_empty() {
            return Err(invalid("no host after `@`".to_owned()));
        }
        let (host, rest) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, rest) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("the host starts with `[` but has no `]`".to_owned()))?;
            (host, rest)
        } else {
            let colon = rest
                .find(':')
                .ok_or_else(|| invalid("no `:` after the host".to_owned()))?;
            rest.split_at(colon)
        };
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| invalid("the port must follow the host after a `:`".to_owned()))?;
        let (port_text, directory_text) = rest
            .split_once(':')
            .ok_or_else(|| invalid("no `:` between the port and the directory id".to_owned()))?;
        let port = parse_java_int(port_text)
            .ok_or_else(|| invalid(format!("port `{port_text}` is not an integer")))?;
        let port = u16::try_from(port)
            .map_err(|_| invalid(format!("port {port} is not between 0 and 65535")))?;
        let directory_id = Uuid::parse(directory_text).map_err(|reason| {
            invalid(format!(
                "directory id `{directory_text}` is not a Kafka UUID: {reason}"
            ))
        })?;
        Ok(Self {
            node_id,
            host: host.to_owned(),
            port,
            directory_id,
        })
    }
}

/// `Integer.parseInt`: an optional sign, then ASCII digits, in `i32` range.
fn parse_java_int(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The initial voter set (Kafka's `DynamicVoters`): at least one controller, node ids unique,
/// kept sorted by node id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialControllers {
    voters: Vec<InitialController>,
}

impl InitialControllers {
    /// Parses the `--initial-controllers` text as `DynamicVoters.parse` does: trimmed, split on
    /// `,`, empty entries skipped.
    pub fn parse(text: &str) -> Result<Self, StorageError> {
        let voters = text
            .trim()
            .split(',')
            .filter(|entry| !entry.is_empty())
            .map(InitialController::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(voters)
    }

    /// The set of these voters; refuses an empty set and a node id given twice.
    pub fn new(mut voters: Vec<InitialController>) -> Result<Self, StorageError> {
        if voters.is_empty() {
            return Err(StorageError::NoInitialControllers);
        }
        voters.sort_by_key(|v| v.node_id);
        if let Some(pair) = voters.windows(2).find(|w| w[0].node_id == w[1].node_id) {
            return Err(StorageError::DuplicateInitialController {
                node_id: pair[0].node_id,
            });
        }
        Ok(Self { voters })
    }

    /// The voters, by node id.
    pub fn voters(&self) -> &[InitialController] {
        &self.voters
    }

    /// The voter with this node id, if it is one.
    pub fn get(&self, node_id: i32) -> Option<&InitialController> {
        self.voters.iter().find(|v| v.node_id == node_id)
    }
}

/// One listener endpoint of a voter in a `VotersRecord`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterEndpoint {
    /// Listener name, upper-cased as `ListenerName.normalised` does.
    pub listener_name: String,
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
}

/// One voter of a `VotersRecord` version 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotVoter {
    /// `VoterId`.
    pub node_id: i32,
    /// `VoterDirectoryId`.
    pub directory_id: Uuid,
    /// `Endpoints`.
    pub endpoints: Vec<VoterEndpoint>,
    /// `KRaftVersionFeature.MinSupportedVersion`.
    pub min_kraft_version: i16,
    /// `KRaftVersionFeature.MaxSupportedVersion`.
    pub max_kraft_version: i16,
}

/// The clock readings (milliseconds since the Unix epoch) that end up in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataSnapshotTimestamps {
    /// `SnapshotHeaderRecord.lastContainedLogTimestamp` (`Formatter` passes the clock).
    pub last_contained_log_ms: i64,
    /// The control batch with the header (and `kraft.version` and voters).
    pub control_ms: i64,
    /// The batch of feature levels (Kafka 4.4 and later).
    pub records_ms: i64,
    /// The footer batch.
    pub footer_ms: i64,
}

impl MetadataSnapshotTimestamps {
    /// All readings at the same instant.
    pub fn all_at(ms: i64) -> Self {
        Self {
            last_contained_log_ms: ms,
            control_ms: ms,
            records_ms: ms,
            footer_ms: ms,
        }
    }
}

/// The content of the bootstrap snapshot in `__cluster_metadata-0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSnapshot {
    /// The clock readings.
    pub timestamps: MetadataSnapshotTimestamps,
    /// `KRaftVersionRecord.KRaftVersion`; level 0 (a static quorum) writes no such record.
    pub kraft_version: i16,
    /// The initial voters (`VotersRecord`), in file order; `None` writes no such record
    /// (a static quorum, or `--no-initial-controllers`).
    pub voters: Option<Vec<SnapshotVoter>>,
    /// The bootstrap feature levels, in file order: empty before Kafka 4.4, which writes them
    /// here instead of into `bootstrap.checkpoint`.
    pub features: Vec<FeatureLevel>,
    /// The SCRAM credentials (`--add-scram`), after the features: from Kafka 4.4 on they are
    /// here too, and only here.
    pub scram_credentials: Vec<ScramCredential>,
}

/// The voters `Formatter` writes for `initial` with the first of `controller.listener.names`:
/// each voter with that one listener, supported `kraft.version` 0 to 1, in the iteration order
/// of the Java 19+ `HashMap` that `VoterSet` keeps (refused for more than
/// [`MAX_INITIAL_CONTROLLERS`] voters).
pub fn snapshot_voters(
    initial: &InitialControllers,
    controller_listener_name: &str,
) -> Result<Vec<SnapshotVoter>, StorageError> {
    let count = initial.voters.len();
    if count > MAX_INITIAL_CONTROLLERS {
        return Err(StorageError::DynamicQuorumUnsupported {
            reason: format!(
                "{count} initial controllers; the native writer reproduces the voter order of at most {MAX_INITIAL_CONTROLLERS}"
            ),
        });
    }
    let listener_name = controller_listener_name.to_uppercase();
    let ids: Vec<i32> = initial.voters.iter().map(|v| v.node_id).collect();
    Ok(java_hash_map_order(&ids)
        .into_iter()
        .filter_map(|id| initial.get(id))
        .map(|voter| SnapshotVoter {
            node_id: voter.node_id,
            directory_id: voter.directory_id,
            endpoints: vec![VoterEndpoint {
                listener_name: listener_name.clone(),
                host: voter.host.clone(),
                port: voter.port,
            }],
            min_kraft_version: VOTER_KRAFT_VERSIONS.0,
            max_kraft_version: VOTER_KRAFT_VERSIONS.1,
        })
        .collect())
}

impl MetadataSnapshot {
    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let t = &self.timestamps;
        let mut control_values = vec![(
            SNAPSHOT_HEADER_TYPE,
            snapshot_header_value(t.last_contained_log_ms),
        )];
        if self.kraft_version > 0 {
            control_values.push((KRAFT_VERSION_TYPE, kraft_version_value(self.kraft_version)));
        }
        if let Some(voters) = &self.voters {
            control_values.push((KRAFT_VOTERS_TYPE, voters_value(voters)));
        }
        let control_records: Vec<Record> = control_values
            .into_iter()
            .enumerate()
            .map(|(index, (control_type, value))| Record {
                timestamp_delta: 0,
                offset_delta: index as i32,
                key: Some(control_key(control_type)),
                value: Some(value),
            })
            .collect();
        let mut next_offset = control_records.len() as i64;
        let mut batches = vec![RecordBatch {
            base_offset: 0,
            partition_leader_epoch: 0,
            is_control: true,
            base_timestamp: t.control_ms,
            max_timestamp: t.control_ms,
            records: control_records,
        }];
        let records = data_records(&self.features, &self.scram_credentials);
        if !records.is_empty() {
            let base_offset = next_offset;
            next_offset += records.len() as i64;
            batches.push(RecordBatch {
                base_offset,
                partition_leader_epoch: 0,
                is_control: false,
                base_timestamp: t.records_ms,
                max_timestamp: t.records_ms,
                records,
            });
        }
        // SnapshotFooterRecord: version 0, no tagged fields.
        batches.push(RecordBatch {
            base_offset: next_offset,
            partition_leader_epoch: 0,
            is_control: true,
            base_timestamp: t.footer_ms,
            max_timestamp: t.footer_ms,
            records: vec![Record {
                timestamp_delta: 0,
                offset_delta: 0,
                key: Some(control_key(SNAPSHOT_FOOTER_TYPE)),
                value: Some(vec![0, 0, 0]),
            }],
        });
        crate::encode_batches(&batches)
    }

    /// Reads a snapshot of the layout [`MetadataSnapshot::encode`] writes.
    pub fn decode(bytes: &[u8]) -> Result<Self, CheckpointError> {
        const NOT_SNAPSHOT: CheckpointError = CheckpointError::NotABootstrapSnapshot {
            reason: "expected a control batch (header, optional kraft.version and voters) at offset 0, optional feature levels, and a footer batch",
        };
        let batches = decode_batches(bytes)?;
        let (control, data, footer) = match batches.as_slice() {
            [control, footer] => (control, None, footer),
            [control, data, footer] => (control, Some(data), footer),
            _ => return Err(NOT_SNAPSHOT),
        };
        let records_in_order =
            control.records.len() as i64 + data.map_or(0, |d| d.records.len() as i64);
        if !control.is_control
            || control.base_offset != 0
            || !footer.is_control
            || footer.base_offset != records_in_order
            || data.is_some_and(|d| d.is_control || d.base_offset != control.records.len() as i64)
        {
            return Err(NOT_SNAPSHOT);
        }
        let value = |record: &Record, control_type: i16| -> Option<Vec<u8>> {
            match (&record.key, &record.value) {
                (Some(key), Some(value)) if *key == control_key(control_type) => {
                    Some(value.clone())
                }
                _ => None,
            }
        };
        let [footer_record] = footer.records.as_slice() else {
            return Err(NOT_SNAPSHOT);
        };
        if value(footer_record, SNAPSHOT_FOOTER_TYPE).as_deref() != Some(&[0, 0, 0][..]) {
            return Err(CheckpointError::NotABootstrapSnapshot {
                reason: "the last record is not a version-0 SnapshotFooterRecord",
            });
        }
        let mut control_records = control.records.iter();
        let header = control_records
            .next()
            .and_then(|r| value(r, SNAPSHOT_HEADER_TYPE))
            .ok_or(NOT_SNAPSHOT)?;
        let mut kraft_version = 0;
        let mut voters = None;
        for record in control_records {
            if let Some(kraft) = value(record, KRAFT_VERSION_TYPE).filter(|_| voters.is_none()) {
                kraft_version = parse_kraft_version(&kraft)?;
            } else if let Some(list) = value(record, KRAFT_VOTERS_TYPE).filter(|_| voters.is_none())
            {
                voters = Some(parse_voters(&list)?);
            } else {
                return Err(NOT_SNAPSHOT);
            }
        }
        let (features, scram_credentials) = match data {
            Some(batch) => parse_data_records(&batch.records)?,
            None => (Vec::new(), Vec::new()),
        };
        Ok(Self {
            timestamps: MetadataSnapshotTimestamps {
                last_contained_log_ms: parse_snapshot_header(&header)?,
                control_ms: control.base_timestamp,
                records_ms: data.map_or(control.base_timestamp, |d| d.base_timestamp),
                footer_ms: footer.base_timestamp,
            },
            kraft_version,
            voters,
            features,
            scram_credentials,
        })
    }
}

/// The order in which Java's `HashMap` iterates these ids when `DynamicVoters.toVoterSet` puts
/// them (ascending, from its `TreeMap`) into a default `HashMap` (16 buckets) and `VoterSet
/// .fromMap` copies that into a `new HashMap<>(map)`, pre-sized by Java 19+ to
/// `tableSizeFor(ceil(n / 0.75))` buckets. Iteration goes bucket by bucket (`hash & (n - 1)`,
/// `hash = h ^ (h >>> 16)`), keeping insertion order within a bucket. Exact for up to
/// [`MAX_INITIAL_CONTROLLERS`] ids (no resize, no tree bins).
fn java_hash_map_order(ascending_ids: &[i32]) -> Vec<i32> {
    fn bucket(id: i32, capacity: u32) -> u32 {
        let h = id as u32;
        (h ^ (h >> 16)) & (capacity - 1)
    }
    let mut order = ascending_ids.to_vec();
    order.sort_by_key(|&id| bucket(id, 16));
    let wanted = (order.len() as u32 * 4).div_ceil(3).max(1);
    let capacity = wanted.next_power_of_two();
    order.sort_by_key(|&id| bucket(id, capacity));
    order
}

/// Control record key: version (int16, 0) and type (int16).
fn control_key(control_type: i16) -> Vec<u8> {
    let mut key = 0i16.to_be_bytes().to_vec();
    key.extend_from_slice(&control_type.to_be_bytes());
    key
}

/// `SnapshotHeaderRecord` v0: Version, LastContainedLogTimestamp, tagged fields.
fn snapshot_header_value(last_contained_log_ms: i64) -> Vec<u8> {
    let mut value = 0i16.to_be_bytes().to_vec();
    value.extend_from_slice(&last_contained_log_ms.to_be_bytes());
    value.push(0);
    value
}

/// `KRaftVersionRecord` v0: Version, KRaftVersion, tagged fields.
fn kraft_version_value(kraft_version: i16) -> Vec<u8> {
    let mut value = 0i16.to_be_bytes().to_vec();
    value.extend_from_slice(&kraft_version.to_be_bytes());
    value.push(0);
    value
}

fn put_compact_string(out: &mut Vec<u8>, text: &str) {
    put_unsigned_varint(out, text.len() as u64 + 1);
    out.extend_from_slice(text.as_bytes());
}

/// `VotersRecord` v0: Version, Voters (compact array of VoterId, VoterDirectoryId, Endpoints
/// (compact array of Name, Host, Port uint16, tagged fields), KRaftVersionFeature (Min, Max,
/// tagged fields), tagged fields), tagged fields.
fn voters_value(voters: &[SnapshotVoter]) -> Vec<u8> {
    let mut value = 0i16.to_be_bytes().to_vec();
    put_unsigned_varint(&mut value, voters.len() as u64 + 1);
    for voter in voters {
        value.extend_from_slice(&voter.node_id.to_be_bytes());
        value.extend_from_slice(voter.directory_id.as_bytes());
        put_unsigned_varint(&mut value, voter.endpoints.len() as u64 + 1);
        for endpoint in &voter.endpoints {
            put_compact_string(&mut value, &endpoint.listener_name);
            put_compact_string(&mut value, &endpoint.host);
            value.extend_from_slice(&endpoint.port.to_be_bytes());
            value.push(0);
        }
        value.extend_from_slice(&voter.min_kraft_version.to_be_bytes());
        value.extend_from_slice(&voter.max_kraft_version.to_be_bytes());
        value.push(0);
        value.push(0);
    }
    value.push(0);
    value
}

/// Reads a version-0 message prefix (the `Version` field, int16) and checks it is 0.
fn expect_version_zero(reader: &mut Reader<'_>, what: &'static str) -> Result<(), CheckpointError> {
    if reader.i16()? != 0 {
        return Err(CheckpointError::NotABootstrapSnapshot { reason: what });
    }
    Ok(())
}

/// Reads an empty tagged-field section.
fn expect_no_tags(reader: &mut Reader<'_>) -> Result<(), CheckpointError> {
    if reader.unsigned_varint()? != 0 {
        return Err(CheckpointError::NotABootstrapSnapshot {
            reason: "unexpected tagged fields in a control record",
        });
    }
    Ok(())
}

fn expect_end(reader: &Reader<'_>, len: usize) -> Result<(), CheckpointError> {
    if reader.pos != len {
        return Err(CheckpointError::NotABootstrapSnapshot {
            reason: "bytes left after a control record's fields",
        });
    }
    Ok(())
}

fn parse_snapshot_header(value: &[u8]) -> Result<i64, CheckpointError> {
    let mut reader = Reader::new(value, 0);
    expect_version_zero(
        &mut reader,
        "the first record is not a version-0 SnapshotHeaderRecord",
    )?;
    let timestamp = reader.i64()?;
    expect_no_tags(&mut reader)?;
    expect_end(&reader, value.len())?;
    Ok(timestamp)
}

fn parse_kraft_version(value: &[u8]) -> Result<i16, CheckpointError> {
    let mut reader = Reader::new(value, 0);
    expect_version_zero(
        &mut reader,
        "the second record is not a version-0 KRaftVersionRecord",
    )?;
    let level = reader.i16()?;
    expect_no_tags(&mut reader)?;
    expect_end(&reader, value.len())?;
    Ok(level)
}

fn compact_length(reader: &mut Reader<'_>) -> Result<usize, CheckpointError> {
    let raw = reader.unsigned_varint()?;
    raw.checked_sub(1)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(CheckpointError::NotABootstrapSnapshot {
            reason: "a null array or string in the VotersRecord",
        })
}

fn compact_string(reader: &mut Reader<'_>) -> Result<String, CheckpointError> {
    let len = compact_length(reader)?;
    let bytes = reader.take(len)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| CheckpointError::NotABootstrapSnapshot {
        reason: "a string in the VotersRecord is not UTF-8",
    })
}

fn parse_voters(value: &[u8]) -> Result<Vec<SnapshotVoter>, CheckpointError> {
    let mut reader = Reader::new(value, 0);
    expect_version_zero(
        &mut reader,
        "the third record is not a version-0 VotersRecord",
    )?;
    let count = compact_length(&mut reader)?;
    let mut voters = Vec::new();
    for _ in 0..count {
        let node_id = reader.i32()?;
        let mut id = [0u8; 16];
        id.copy_from_slice(reader.take(16)?);
        let endpoint_count = compact_length(&mut reader)?;
        let mut endpoints = Vec::new();
        for _ in 0..endpoint_count {
            let listener_name = compact_string(&mut reader)?;
            let host = compact_string(&mut reader)?;
            let port = u16::from_be_bytes([reader.u8()?, reader.u8()?]);
            expect_no_tags(&mut reader)?;
            endpoints.push(VoterEndpoint {
                listener_name,
                host,
                port,
            });
        }
        let min_kraft_version = reader.i16()?;
        let max_kraft_version = reader.i16()?;
        expect_no_tags(&mut reader)?;
        expect_no_tags(&mut reader)?;
        voters.push(SnapshotVoter {
            node_id,
            directory_id: Uuid::from_bytes(id),
            endpoints,
            min_kraft_version,
            max_kraft_version,
        });
    }
    expect_no_tags(&mut reader)?;
    expect_end(&reader, value.len())?;
    Ok(voters)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Derived from Kafka sources, no real sample: every expectation below is built from the
    // message schemas (`KRaftVersionRecord.json`, `VotersRecord.json`, `SnapshotHeaderRecord
    // .json`), `ControlRecordType` and `RecordsSnapshotWriter`, not from a file Kafka wrote.

    const DIR_A: &str = "JEXY6aqzQY-32P5TStzaFg";
    const DIR_B: &str = "MvDxzVmcRsaTz33bUuRU6A";

    fn uuid(text: &str) -> Uuid {
        Uuid::parse(text).expect("valid uuid")
    }

    #[test]
    fn parses_kafkas_documented_example() {
        let text = format!("0@example.com:8082:{DIR_A},1@[::1]:8083:{DIR_B},");
        let parsed = InitialControllers::parse(&text).expect("valid");
        assert_eq!(
            parsed.voters(),
            [
                InitialController {
                    node_id: 0,
                    host: "example.com".into(),
                    port: 8082,
                    directory_id: uuid(DIR_A),
                },
                InitialController {
                    node_id: 1,
                    host: "::1".into(),
                    port: 8083,
                    directory_id: uuid(DIR_B),
                },
            ]
        );
    }

    #[test]
    fn voters_are_kept_sorted_by_node_id() {
        let text = format!(" 3@c:1:{DIR_A},1@a:1:{DIR_B} ");
        let ids: Vec<i32> = InitialControllers::parse(&text)
            .expect("valid")
            .voters()
            .iter()
            .map(|v| v.node_id)
            .collect();
        assert_eq!(ids, [1, 3]);
    }

    #[test]
    fn bad_entries_name_the_entry_and_the_reason() {
        let cases = [
            ("1-host:9093:x", "no `@`"),
            ("@h:9093:x", "node id before `@` is empty"),
            ("x@h:9093:x", "node id `x` is not an integer"),
            ("-1@h:9093:x", "negative"),
            ("1@", "no host"),
            ("1@[::1:9093:x", "no `]`"),
            ("1@h", "no `:` after the host"),
            ("1@[::1]9093:x", "must follow the host"),
            ("1@h:9093", "no `:` between the port"),
            ("1@h:99999:x", "not between 0 and 65535"),
            ("1@h:p:x", "port `p`"),
            ("1@h:9093:not-a-uuid", "directory id `not-a-uuid`"),
        ];
        for (entry, reason) in cases {
            let error = InitialControllers::parse(entry).expect_err(entry);
            let text = error.to_string();
            assert!(text.contains(&format!("`{entry}`")), "{entry}: {text}");
            assert!(text.contains(reason), "{entry}: {text}");
        }
    }

    #[test]
    fn empty_and_duplicate_sets_are_refused() {
        assert_eq!(
            InitialControllers::parse(" , "),
            Err(StorageError::NoInitialControllers)
        );
        let twice = format!("2@a:1:{DIR_A},2@b:1:{DIR_B}");
        assert_eq!(
            InitialControllers::parse(&twice),
            Err(StorageError::DuplicateInitialController { node_id: 2 })
        );
    }

    #[test]
    fn java_hash_map_order_follows_buckets() {
        assert_eq!(java_hash_map_order(&[1, 2, 3]), [1, 2, 3]);
        // Three entries: 4 buckets, so 4 shares bucket 0 with 0 and comes before 1.
        assert_eq!(java_hash_map_order(&[0, 1, 4]), [0, 4, 1]);
        // Seven entries: 16 buckets; 17 lands in bucket 1 after 1 (insertion order).
        assert_eq!(
            java_hash_map_order(&[1, 2, 3, 16, 17, 18, 100]),
            [16, 1, 17, 2, 18, 3, 100]
        );
        // Ids above 65535 mix their high half into the bucket: 65536 -> hash 65537 -> bucket 1.
        assert_eq!(java_hash_map_order(&[0, 65536]), [0, 65536]);
        assert_eq!(java_hash_map_order(&[1, 65536]), [1, 65536]);
        assert_eq!(java_hash_map_order(&[65536, 65537]), [65537, 65536]);
    }

    #[test]
    fn standalone_snapshot_has_kafkas_exact_layout() {
        let initial = InitialControllers::parse(&format!("1@kafka:9093:{DIR_A}")).expect("ok");
        let snapshot = MetadataSnapshot {
            scram_credentials: Vec::new(),
            timestamps: MetadataSnapshotTimestamps {
                last_contained_log_ms: 0x0102,
                control_ms: 0x0304,
                records_ms: 0x0304,
                footer_ms: 0x0506,
            },
            kraft_version: DYNAMIC_QUORUM_KRAFT_VERSION,
            voters: Some(snapshot_voters(&initial, "controller").expect("one voter")),
            features: Vec::new(),
        };
        let bytes = snapshot.encode();
        let batches = decode_batches(&bytes).expect("valid batches");
        assert_eq!(batches.len(), 2);
        let control = &batches[0];
        assert!(control.is_control);
        assert_eq!(
            (control.base_offset, control.partition_leader_epoch),
            (0, 0)
        );
        assert_eq!(
            (control.base_timestamp, control.max_timestamp),
            (0x0304, 0x0304)
        );
        let keys: Vec<_> = control.records.iter().map(|r| r.key.clone()).collect();
        assert_eq!(
            keys,
            [
                Some(vec![0, 0, 0, 3]),
                Some(vec![0, 0, 0, 5]),
                Some(vec![0, 0, 0, 6])
            ]
        );
        let offsets: Vec<i32> = control.records.iter().map(|r| r.offset_delta).collect();
        assert_eq!(offsets, [0, 1, 2]);
        assert_eq!(
            control.records[0].value.as_deref(),
            Some(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0][..])
        );
        assert_eq!(
            control.records[1].value.as_deref(),
            Some(&[0, 0, 0, 1, 0][..])
        );
        let mut voters = vec![0, 0, 2, 0, 0, 0, 1];
        voters.extend_from_slice(uuid(DIR_A).as_bytes());
        voters.extend_from_slice(&[2, 11]);
        voters.extend_from_slice(b"CONTROLLER");
        voters.push(6);
        voters.extend_from_slice(b"kafka");
        voters.extend_from_slice(&[0x23, 0x85, 0, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(control.records[2].value.as_deref(), Some(voters.as_slice()));
        let footer = &batches[1];
        assert!(footer.is_control);
        assert_eq!((footer.base_offset, footer.base_timestamp), (3, 0x0506));
        assert_eq!(footer.records[0].key.as_deref(), Some(&[0, 0, 0, 4][..]));
        assert_eq!(footer.records[0].value.as_deref(), Some(&[0, 0, 0][..]));
        assert_eq!(MetadataSnapshot::decode(&bytes), Ok(snapshot));
    }

    #[test]
    fn kafka_4_4_static_snapshot_holds_the_features_between_header_and_footer() {
        let snapshot = MetadataSnapshot {
            scram_credentials: Vec::new(),
            timestamps: MetadataSnapshotTimestamps::all_at(7),
            kraft_version: 0,
            voters: None,
            features: vec![
                FeatureLevel::new("metadata.version", 33),
                FeatureLevel::new("group.version", 1),
            ],
        };
        let batches = decode_batches(&snapshot.encode()).expect("valid batches");
        let layout: Vec<(i64, bool, usize)> = batches
            .iter()
            .map(|b| (b.base_offset, b.is_control, b.records.len()))
            .collect();
        assert_eq!(layout, [(0, true, 1), (1, false, 2), (3, true, 1)]);
    }

    #[test]
    fn more_voters_than_the_exact_order_covers_are_refused() {
        let text: Vec<String> = (0..8).map(|id| format!("{id}@h:1:{DIR_A}")).collect();
        let initial = InitialControllers::parse(&text.join(",")).expect("valid");
        let error = snapshot_voters(&initial, "CONTROLLER").expect_err("8 voters");
        assert!(matches!(
            error,
            StorageError::DynamicQuorumUnsupported { .. }
        ));
        assert!(error.help().expect("help").contains("kafka-storage"));
    }

    #[test]
    fn a_bootstrap_checkpoint_has_the_layout_of_a_static_kafka_4_4_snapshot() {
        let features = vec![crate::FeatureLevel::new("metadata.version", 21)];
        let checkpoint = crate::BootstrapCheckpoint {
            scram_credentials: Vec::new(),
            timestamps: crate::SnapshotTimestamps::all_at(1),
            features: features.clone(),
        };
        let snapshot = MetadataSnapshot {
            scram_credentials: Vec::new(),
            timestamps: MetadataSnapshotTimestamps {
                last_contained_log_ms: 0,
                ..MetadataSnapshotTimestamps::all_at(1)
            },
            kraft_version: 0,
            voters: None,
            features,
        };
        assert_eq!(snapshot.encode(), checkpoint.encode());
        let lone_header = crate::encode_batches(&[RecordBatch {
            base_offset: 0,
            partition_leader_epoch: 0,
            is_control: true,
            base_timestamp: 0,
            max_timestamp: 0,
            records: Vec::new(),
        }]);
        assert!(matches!(
            MetadataSnapshot::decode(&lone_header),
            Err(CheckpointError::NotABootstrapSnapshot { .. })
        ));
    }

    fn arb_voter() -> impl Strategy<Value = SnapshotVoter> {
        (
            any::<i32>(),
            any::<[u8; 16]>(),
            proptest::collection::vec(("[A-Z_]{1,12}", "[a-z0-9.:-]{0,30}", any::<u16>()), 0..3),
            any::<i16>(),
            any::<i16>(),
        )
            .prop_map(|(node_id, id, endpoints, min, max)| SnapshotVoter {
                node_id,
                directory_id: Uuid::from_bytes(id),
                endpoints: endpoints
                    .into_iter()
                    .map(|(listener_name, host, port)| VoterEndpoint {
                        listener_name,
                        host,
                        port,
                    })
                    .collect(),
                min_kraft_version: min,
                max_kraft_version: max,
            })
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(
            times in any::<(i64, i64, i64)>(),
            records_ms in any::<i64>(),
            kraft_version in 0..i16::MAX,
            voters in proptest::option::of(proptest::collection::vec(arb_voter(), 0..5)),
            features in proptest::collection::vec(("[a-z.]{1,40}", any::<i16>()), 0..8),
        ) {
            let snapshot = MetadataSnapshot {
                scram_credentials: Vec::new(),
                timestamps: MetadataSnapshotTimestamps {
                    last_contained_log_ms: times.0,
                    control_ms: times.1,
                    records_ms: if features.is_empty() { times.1 } else { records_ms },
                    footer_ms: times.2,
                },
                kraft_version,
                voters,
                features: features
                    .iter()
                    .map(|(name, level)| FeatureLevel::new(name, *level))
                    .collect(),
            };
            prop_assert_eq!(MetadataSnapshot::decode(&snapshot.encode()), Ok(snapshot));
        }

        #[test]
        fn entry_round_trips_through_its_text(
            node_id in 0..i32::MAX,
            host in "[a-z][a-z0-9.-]{0,20}",
            port in any::<u16>(),
            id in any::<[u8; 16]>(),
        ) {
            let directory_id = Uuid::from_bytes(id);
            let parsed = InitialController::parse(&format!("{node_id}@{host}:{port}:{directory_id}"));
            prop_assert_eq!(parsed, Ok(InitialController { node_id, host, port, directory_id }));
        }

        #[test]
        fn parse_never_panics(text in ".{0,80}") {
            let _ = InitialControllers::parse(&text);
        }
    }
}
