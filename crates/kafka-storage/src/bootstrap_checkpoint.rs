//! `bootstrap.checkpoint`: the KRaft snapshot file that `kafka-storage.sh format` of 3.7 to 4.3
//! writes into every formatted directory (Kafka's `BootstrapDirectory.writeBinaryFile` through
//! `BatchFileWriter`). Three batches, all with partition leader epoch 0:
//!
//! 1. a control batch at offset 0 holding one `SnapshotHeaderRecord` (control type 3, version 0,
//!    `lastContainedLogTimestamp` 0);
//! 2. a data batch from offset 1 holding one `FeatureLevelRecord` (API key 12, version 0) per
//!    feature: `metadata.version` first, then the others by name, only levels above 0; then one
//!    `UserScramCredentialRecord` (API key 11) per `--add-scram`, in argument order;
//! 3. a control batch holding one `SnapshotFooterRecord` (control type 4, version 0).
//!
//! Every batch's base and max timestamp is the wall-clock time when Kafka built it; the records'
//! timestamp deltas are 0. Those three times are the only inputs besides the features.

use crate::record_batch::{Reader, put_unsigned_varint};
use crate::scram::USER_SCRAM_CREDENTIAL_RECORD_API_KEY;
use crate::{
    CheckpointError, Record, RecordBatch, ScramCredential, decode_batches, encode_batches,
};

/// `ControlRecordType.SNAPSHOT_HEADER`.
const SNAPSHOT_HEADER_TYPE: i16 = 3;
/// `ControlRecordType.SNAPSHOT_FOOTER`.
const SNAPSHOT_FOOTER_TYPE: i16 = 4;
/// API key of `FeatureLevelRecord` in `metadata/src/main/resources/common/metadata/`.
const FEATURE_LEVEL_RECORD_API_KEY: u64 = 12;
/// Frame version of `MetadataRecordSerde` (`AbstractApiMessageSerde.DEFAULT_FRAME_VERSION`).
pub(crate) const FRAME_VERSION: u64 = 1;

/// One feature and the level it starts the cluster at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureLevel {
    /// Feature name, e.g. `metadata.version` or `group.version`.
    pub name: String,
    /// Its level.
    pub level: i16,
}

impl FeatureLevel {
    /// A feature at a level.
    pub fn new(name: &str, level: i16) -> Self {
        Self {
            name: name.to_owned(),
            level,
        }
    }
}

/// The times (milliseconds since the Unix epoch) at which Kafka built each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotTimestamps {
    /// Header batch.
    pub header_ms: i64,
    /// Feature-level batch.
    pub records_ms: i64,
    /// Footer batch.
    pub footer_ms: i64,
}

impl SnapshotTimestamps {
    /// All three batches built at the same instant, as a fast writer does.
    pub fn all_at(ms: i64) -> Self {
        Self {
            header_ms: ms,
            records_ms: ms,
            footer_ms: ms,
        }
    }
}

/// The content of a `bootstrap.checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapCheckpoint {
    /// When each batch was built.
    pub timestamps: SnapshotTimestamps,
    /// The feature levels, in file order.
    pub features: Vec<FeatureLevel>,
    /// The SCRAM credentials (`--add-scram`), in file order, after the features.
    pub scram_credentials: Vec<ScramCredential>,
}

impl BootstrapCheckpoint {
    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let t = &self.timestamps;
        let header = control_batch(
            0,
            t.header_ms,
            SNAPSHOT_HEADER_TYPE,
            snapshot_header_value(),
        );
        let records = data_records(&self.features, &self.scram_credentials);
        let footer_offset = 1 + records.len() as i64;
        let data = RecordBatch {
            base_offset: 1,
            partition_leader_epoch: 0,
            is_control: false,
            base_timestamp: t.records_ms,
            max_timestamp: t.records_ms,
            records,
        };
        // SnapshotFooterRecord: version 0, no tagged fields.
        let footer = control_batch(
            footer_offset,
            t.footer_ms,
            SNAPSHOT_FOOTER_TYPE,
            vec![0, 0, 0],
        );
        encode_batches(&[header, data, footer])
    }

    /// Reads a `bootstrap.checkpoint` of the layout [`BootstrapCheckpoint::encode`] writes.
    pub fn decode(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let batches = decode_batches(bytes)?;
        let [header, data, footer] = batches.as_slice() else {
            return Err(CheckpointError::NotABootstrapSnapshot {
                reason: "expected exactly three batches (header, feature levels, footer)",
            });
        };
        check_control(
            header,
            SNAPSHOT_HEADER_TYPE,
            &snapshot_header_value(),
            "header",
        )?;
        check_control(footer, SNAPSHOT_FOOTER_TYPE, &[0, 0, 0], "footer")?;
        if data.is_control || data.base_offset != 1 {
            return Err(CheckpointError::NotABootstrapSnapshot {
                reason: "the second batch is not a data batch at offset 1",
            });
        }
        let (features, scram_credentials) = parse_data_records(&data.records)?;
        Ok(Self {
            timestamps: SnapshotTimestamps {
                header_ms: header.base_timestamp,
                records_ms: data.base_timestamp,
                footer_ms: footer.base_timestamp,
            },
            features,
            scram_credentials,
        })
    }
}

/// `SnapshotHeaderRecord` version 0 with `lastContainedLogTimestamp` 0, as `BatchFileWriter`
/// writes it: version (int16), lastContainedLogTimestamp (int64), no tagged fields.
fn snapshot_header_value() -> Vec<u8> {
    let mut value = Vec::with_capacity(11);
    value.extend_from_slice(&0i16.to_be_bytes());
    value.extend_from_slice(&0i64.to_be_bytes());
    value.push(0);
    value
}

/// Control record key: version (int16, 0) and type (int16).
fn control_key(control_type: i16) -> Vec<u8> {
    let mut key = 0i16.to_be_bytes().to_vec();
    key.extend_from_slice(&control_type.to_be_bytes());
    key
}

fn control_batch(
    base_offset: i64,
    timestamp: i64,
    control_type: i16,
    value: Vec<u8>,
) -> RecordBatch {
    RecordBatch {
        base_offset,
        partition_leader_epoch: 0,
        is_control: true,
        base_timestamp: timestamp,
        max_timestamp: timestamp,
        records: vec![Record {
            timestamp_delta: 0,
            offset_delta: 0,
            key: Some(control_key(control_type)),
            value: Some(value),
        }],
    }
}

fn check_control(
    batch: &RecordBatch,
    control_type: i16,
    value: &[u8],
    what: &'static str,
) -> Result<(), CheckpointError> {
    let record = match batch.records.as_slice() {
        [record] if batch.is_control => record,
        _ => {
            return Err(CheckpointError::NotABootstrapSnapshot {
                reason: if what == "header" {
                    "the first batch is not a single-record control batch"
                } else {
                    "the last batch is not a single-record control batch"
                },
            });
        }
    };
    if record.key.as_deref() != Some(control_key(control_type).as_slice())
        || record.value.as_deref() != Some(value)
    {
        return Err(CheckpointError::NotABootstrapSnapshot {
            reason: if what == "header" {
                "the first record is not a version-0 SnapshotHeaderRecord with timestamp 0"
            } else {
                "the last record is not a version-0 SnapshotFooterRecord"
            },
        });
    }
    Ok(())
}

/// One `FeatureLevelRecord` per feature, then one `UserScramCredentialRecord` per credential,
/// offsets counted from the batch's base offset.
pub(crate) fn data_records(features: &[FeatureLevel], scram: &[ScramCredential]) -> Vec<Record> {
    features
        .iter()
        .map(feature_level_record)
        .chain(scram.iter().map(ScramCredential::record_value))
        .enumerate()
        .map(|(index, value)| Record {
            timestamp_delta: 0,
            offset_delta: i32::try_from(index).unwrap_or(i32::MAX),
            key: None,
            value: Some(value),
        })
        .collect()
}

/// The features and SCRAM credentials of a batch of bootstrap records.
pub(crate) fn parse_data_records(
    records: &[Record],
) -> Result<(Vec<FeatureLevel>, Vec<ScramCredential>), CheckpointError> {
    let mut features = Vec::new();
    let mut scram = Vec::new();
    for record in records {
        let (None, Some(value)) = (&record.key, &record.value) else {
            return Err(CheckpointError::NotABootstrapSnapshot {
                reason: "a data record has a key or no value",
            });
        };
        let mut reader = Reader::new(value, 0);
        let frame = (
            reader.unsigned_varint()?,
            reader.unsigned_varint()?,
            reader.unsigned_varint()?,
        );
        if frame == (FRAME_VERSION, USER_SCRAM_CREDENTIAL_RECORD_API_KEY, 0) {
            scram.push(ScramCredential::parse_record_body(&mut reader)?);
        } else {
            features.push(parse_feature_level_record(value)?);
        }
    }
    Ok((features, scram))
}

/// A `FeatureLevelRecord` version 0 framed by `MetadataRecordSerde`: frame version, API key and
/// record version as unsigned varints, then name (compact string), level (int16), no tagged
/// fields.
fn feature_level_record(feature: &FeatureLevel) -> Vec<u8> {
    let mut value = Vec::with_capacity(feature.name.len() + 8);
    put_unsigned_varint(&mut value, FRAME_VERSION);
    put_unsigned_varint(&mut value, FEATURE_LEVEL_RECORD_API_KEY);
    put_unsigned_varint(&mut value, 0);
    put_unsigned_varint(&mut value, feature.name.len() as u64 + 1);
    value.extend_from_slice(feature.name.as_bytes());
    value.extend_from_slice(&feature.level.to_be_bytes());
    value.push(0);
    value
}

fn parse_feature_level_record(value: &[u8]) -> Result<FeatureLevel, CheckpointError> {
    const NOT_FEATURE: CheckpointError = CheckpointError::NotABootstrapSnapshot {
        reason: "a data record is not a version-0 FeatureLevelRecord",
    };
    let mut reader = Reader::new(value, 0);
    let frame = reader.unsigned_varint()?;
    let api_key = reader.unsigned_varint()?;
    let version = reader.unsigned_varint()?;
    if (frame, api_key, version) != (FRAME_VERSION, FEATURE_LEVEL_RECORD_API_KEY, 0) {
        return Err(NOT_FEATURE);
    }
    let name_length = reader.unsigned_varint()?;
    let name_length = usize::try_from(name_length)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .ok_or(NOT_FEATURE)?;
    let name = std::str::from_utf8(reader.take(name_length)?)
        .map_err(|_| NOT_FEATURE)?
        .to_owned();
    let level = reader.i16()?;
    let tagged_fields = reader.unsigned_varint()?;
    if tagged_fields != 0 || reader.pos != value.len() {
        return Err(NOT_FEATURE);
    }
    Ok(FeatureLevel { name, level })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn footer_offset_follows_the_feature_records() {
        let checkpoint = BootstrapCheckpoint {
            scram_credentials: Vec::new(),
            timestamps: SnapshotTimestamps::all_at(1),
            features: vec![
                FeatureLevel::new("metadata.version", 25),
                FeatureLevel::new("group.version", 1),
            ],
        };
        let batches = decode_batches(&checkpoint.encode()).expect("decodes");
        let offsets: Vec<i64> = batches.iter().map(|b| b.base_offset).collect();
        assert_eq!(offsets, [0, 1, 3]);
    }

    #[test]
    fn rejects_a_file_that_is_not_a_bootstrap_snapshot() {
        let lone_batch = encode_batches(&[control_batch(0, 0, 3, snapshot_header_value())]);
        assert!(matches!(
            BootstrapCheckpoint::decode(&lone_batch),
            Err(CheckpointError::NotABootstrapSnapshot { .. })
        ));
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(
            header_ms in any::<i64>(),
            records_ms in any::<i64>(),
            footer_ms in any::<i64>(),
            features in proptest::collection::vec(("[a-z.]{1,40}", any::<i16>()), 1..8),
        ) {
            let checkpoint = BootstrapCheckpoint {
                scram_credentials: Vec::new(),
                timestamps: SnapshotTimestamps { header_ms, records_ms, footer_ms },
                features: features
                    .iter()
                    .map(|(name, level)| FeatureLevel::new(name, *level))
                    .collect(),
            };
            prop_assert_eq!(BootstrapCheckpoint::decode(&checkpoint.encode()), Ok(checkpoint));
        }
    }
}
