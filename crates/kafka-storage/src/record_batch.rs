//! Kafka's v2 record-batch format (magic 2), the layout of every batch in a KRaft snapshot:
//! a 61-byte header whose CRC32C covers everything from `attributes` to the end, then records
//! with zig-zag varint lengths and deltas. Only what snapshots use is modelled: no compression,
//! no producer ids, no record headers.

use crate::CheckpointError;

/// `attributes` bit of a control batch (`RecordBatch.CONTROL_FLAG_MASK`).
const CONTROL_FLAG: i16 = 0x20;
/// `attributes` bits this module does not model: compression codec and transactional flag.
const UNSUPPORTED_ATTRIBUTES: i16 = 0x07 | 0x10;
/// Bytes before the CRC-covered part: baseOffset, batchLength, partitionLeaderEpoch, magic, crc.
const CRC_START: usize = 8 + 4 + 4 + 1 + 4;
/// Bytes of the whole batch header (`DefaultRecordBatch.RECORD_BATCH_OVERHEAD`).
const HEADER_SIZE: usize = 61;

/// One record of a batch (attributes 0, no headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Timestamp minus the batch's base timestamp.
    pub timestamp_delta: i64,
    /// Offset minus the batch's base offset.
    pub offset_delta: i32,
    /// The key, or `None` for a null key.
    pub key: Option<Vec<u8>>,
    /// The value, or `None` for a null value.
    pub value: Option<Vec<u8>>,
}

/// One v2 record batch with no producer state (`producerId`, epoch and sequence all -1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    /// Offset of the first record.
    pub base_offset: i64,
    /// `partitionLeaderEpoch` (the snapshot's epoch; 0 for bootstrap files).
    pub partition_leader_epoch: i32,
    /// Whether this is a control batch (snapshot header and footer, KRaft control records).
    pub is_control: bool,
    /// Timestamp of the first record.
    pub base_timestamp: i64,
    /// Largest record timestamp.
    pub max_timestamp: i64,
    /// The records.
    pub records: Vec<Record>,
}

/// CRC-32C (Castagnoli), the checksum of v2 record batches (`Crc32C` in Kafka).
pub fn crc32c(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = i as u32;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x82F6_3B78
                } else {
                    crc >> 1
                };
                bit += 1;
            }
            table[i] = crc;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &byte in bytes {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Encodes batches one after another, as they lie in a snapshot file.
pub fn encode_batches(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    for batch in batches {
        encode_batch(batch, &mut out);
    }
    out
}

fn encode_batch(batch: &RecordBatch, out: &mut Vec<u8>) {
    let start = out.len();
    let last_offset_delta = batch.records.last().map_or(0, |r| r.offset_delta);
    out.extend_from_slice(&batch.base_offset.to_be_bytes());
    out.extend_from_slice(&[0; 4]); // batchLength, patched below
    out.extend_from_slice(&batch.partition_leader_epoch.to_be_bytes());
    out.push(2); // magic
    out.extend_from_slice(&[0; 4]); // crc, patched below
    let attributes = if batch.is_control { CONTROL_FLAG } else { 0 };
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&last_offset_delta.to_be_bytes());
    out.extend_from_slice(&batch.base_timestamp.to_be_bytes());
    out.extend_from_slice(&batch.max_timestamp.to_be_bytes());
    out.extend_from_slice(&(-1i64).to_be_bytes()); // producerId
    out.extend_from_slice(&(-1i16).to_be_bytes()); // producerEpoch
    out.extend_from_slice(&(-1i32).to_be_bytes()); // baseSequence
    let count = i32::try_from(batch.records.len()).unwrap_or(i32::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for record in &batch.records {
        encode_record(record, out);
    }
    let batch_length = i32::try_from(out.len() - start - 12).unwrap_or(i32::MAX);
    out[start + 8..start + 12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc32c(&out[start + CRC_START..]);
    out[start + 17..start + CRC_START].copy_from_slice(&crc.to_be_bytes());
}

fn encode_record(record: &Record, out: &mut Vec<u8>) {
    let mut body = vec![0u8]; // attributes
    put_varlong(&mut body, record.timestamp_delta);
    put_varlong(&mut body, i64::from(record.offset_delta));
    for field in [&record.key, &record.value] {
        match field {
            None => put_varlong(&mut body, -1),
            Some(bytes) => {
                put_varlong(&mut body, bytes.len() as i64);
                body.extend_from_slice(bytes);
            }
        }
    }
    put_varlong(&mut body, 0); // headers
    put_varlong(out, body.len() as i64);
    out.extend_from_slice(&body);
}

/// Appends a zig-zag varint (`ByteUtils.writeVarlong`; `writeVarint` gives the same bytes).
fn put_varlong(out: &mut Vec<u8>, value: i64) {
    put_unsigned_varint(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// Appends an unsigned varint (`ByteUtils.writeUnsignedVarint`).
pub(crate) fn put_unsigned_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Decodes every batch of a snapshot file, checking magic and CRC32C of each.
pub fn decode_batches(bytes: &[u8]) -> Result<Vec<RecordBatch>, CheckpointError> {
    let mut batches = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let (batch, next) = decode_batch(bytes, offset)?;
        batches.push(batch);
        offset = next;
    }
    Ok(batches)
}

fn decode_batch(bytes: &[u8], start: usize) -> Result<(RecordBatch, usize), CheckpointError> {
    let mut header = Reader::new(bytes, start);
    header.need(HEADER_SIZE)?;
    let base_offset = header.i64()?;
    let batch_length = header.i32()?;
    let end = usize::try_from(batch_length)
        .ok()
        .filter(|&len| len >= HEADER_SIZE - 12)
        .map(|len| start + 12 + len)
        .ok_or(CheckpointError::Malformed {
            offset: start + 8,
            reason: "batchLength is smaller than a batch header",
        })?;
    if end > bytes.len() {
        return Err(CheckpointError::Truncated {
            offset: bytes.len(),
            needed: end - bytes.len(),
        });
    }
    let partition_leader_epoch = header.i32()?;
    let magic = header.u8()? as i8;
    if magic != 2 {
        return Err(CheckpointError::UnsupportedMagic {
            offset: start,
            magic,
        });
    }
    let stored = header.i32()? as u32;
    let computed = crc32c(&bytes[start + CRC_START..end]);
    if stored != computed {
        return Err(CheckpointError::CrcMismatch {
            offset: start,
            stored,
            computed,
        });
    }
    let mut reader = Reader::new(&bytes[..end], header.pos);
    let attributes = reader.i16()?;
    if attributes & UNSUPPORTED_ATTRIBUTES != 0 {
        return Err(CheckpointError::Malformed {
            offset: start + CRC_START,
            reason: "compressed or transactional batches are not supported",
        });
    }
    let _last_offset_delta = reader.i32()?;
    let base_timestamp = reader.i64()?;
    let max_timestamp = reader.i64()?;
    let _producer_id = reader.i64()?;
    let _producer_epoch = reader.i16()?;
    let _base_sequence = reader.i32()?;
    let count = reader.i32()?;
    let mut records = Vec::new();
    for _ in 0..count.max(0) {
        records.push(decode_record(&mut reader)?);
    }
    if reader.pos != end {
        return Err(CheckpointError::Malformed {
            offset: reader.pos,
            reason: "bytes left after the batch's last record",
        });
    }
    let batch = RecordBatch {
        base_offset,
        partition_leader_epoch,
        is_control: attributes & CONTROL_FLAG != 0,
        base_timestamp,
        max_timestamp,
        records,
    };
    Ok((batch, end))
}

fn decode_record(reader: &mut Reader<'_>) -> Result<Record, CheckpointError> {
    let length_at = reader.pos;
    let length = usize::try_from(reader.varlong()?).map_err(|_| CheckpointError::Malformed {
        offset: length_at,
        reason: "negative record length",
    })?;
    reader.need(length)?;
    let end = reader.pos + length;
    let _attributes = reader.u8()?;
    let timestamp_delta = reader.varlong()?;
    let offset_delta_at = reader.pos;
    let offset_delta =
        i32::try_from(reader.varlong()?).map_err(|_| CheckpointError::Malformed {
            offset: offset_delta_at,
            reason: "offset delta out of range",
        })?;
    let key = reader.nullable_bytes()?;
    let value = reader.nullable_bytes()?;
    let headers_at = reader.pos;
    if reader.varlong()? != 0 {
        return Err(CheckpointError::Malformed {
            offset: headers_at,
            reason: "record headers are not supported",
        });
    }
    if reader.pos != end {
        return Err(CheckpointError::Malformed {
            offset: reader.pos,
            reason: "record length does not match its fields",
        });
    }
    Ok(Record {
        timestamp_delta,
        offset_delta,
        key,
        value,
    })
}

/// A cursor over bytes that reports offsets relative to the whole file.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], pos: usize) -> Self {
        Self { bytes, pos }
    }

    pub(crate) fn need(&self, n: usize) -> Result<(), CheckpointError> {
        let available = self.bytes.len().saturating_sub(self.pos);
        if available < n {
            Err(CheckpointError::Truncated {
                offset: self.bytes.len(),
                needed: n - available,
            })
        } else {
            Ok(())
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], CheckpointError> {
        self.need(n)?;
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CheckpointError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, CheckpointError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn i16(&mut self) -> Result<i16, CheckpointError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, CheckpointError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, CheckpointError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    pub(crate) fn unsigned_varint(&mut self) -> Result<u64, CheckpointError> {
        let start = self.pos;
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CheckpointError::Malformed {
            offset: start,
            reason: "varint longer than 10 bytes",
        })
    }

    fn varlong(&mut self) -> Result<i64, CheckpointError> {
        let raw = self.unsigned_varint()?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    fn nullable_bytes(&mut self) -> Result<Option<Vec<u8>>, CheckpointError> {
        let at = self.pos;
        match self.varlong()? {
            -1 => Ok(None),
            len => {
                let len = usize::try_from(len).map_err(|_| CheckpointError::Malformed {
                    offset: at,
                    reason: "negative length",
                })?;
                Ok(Some(self.take(len)?.to_vec()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn varints_match_kafka_byte_utils() {
        let mut out = Vec::new();
        for value in [0i64, -1, 1, 63, -64, 64, 300] {
            put_varlong(&mut out, value);
        }
        assert_eq!(out, [0x00, 0x01, 0x02, 0x7e, 0x7f, 0x80, 0x01, 0xd8, 0x04]);
    }

    #[test]
    fn corrupted_byte_is_a_crc_mismatch_naming_the_batch() {
        let batch = RecordBatch {
            base_offset: 0,
            partition_leader_epoch: 0,
            is_control: false,
            base_timestamp: 5,
            max_timestamp: 5,
            records: vec![Record {
                timestamp_delta: 0,
                offset_delta: 0,
                key: None,
                value: Some(b"x".to_vec()),
            }],
        };
        let mut bytes = encode_batches(&[batch.clone(), batch]);
        let second = bytes.len() / 2;
        *bytes.last_mut().expect("non-empty") ^= 1;
        assert!(matches!(
            decode_batches(&bytes),
            Err(CheckpointError::CrcMismatch { offset, .. }) if offset == second
        ));
    }

    #[test]
    fn truncated_file_is_reported() {
        assert!(matches!(
            decode_batches(&[0u8; 20]),
            Err(CheckpointError::Truncated { .. })
        ));
    }

    fn arb_record() -> impl Strategy<Value = Record> {
        (
            any::<i64>(),
            any::<i32>(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
        )
            .prop_map(|(timestamp_delta, offset_delta, key, value)| Record {
                timestamp_delta,
                offset_delta,
                key,
                value,
            })
    }

    fn arb_batch() -> impl Strategy<Value = RecordBatch> {
        (
            any::<i64>(),
            any::<i32>(),
            any::<bool>(),
            any::<i64>(),
            any::<i64>(),
            proptest::collection::vec(arb_record(), 0..5),
        )
            .prop_map(
                |(base_offset, partition_leader_epoch, is_control, base, max, records)| {
                    RecordBatch {
                        base_offset,
                        partition_leader_epoch,
                        is_control,
                        base_timestamp: base,
                        max_timestamp: max,
                        records,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(batches in proptest::collection::vec(arb_batch(), 0..4)) {
            let bytes = encode_batches(&batches);
            prop_assert_eq!(decode_batches(&bytes), Ok(batches));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_batches(&bytes);
        }
    }
}
