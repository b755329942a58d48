//! Kafka's primitive wire types: big-endian integers, unsigned varints, classic and compact
//! (flexible-version) strings and arrays, and tagged-field sections.
//!
//! The encodings follow "Protocol Primitive Types" in Kafka's protocol guide
//! (`docs/protocol.html`) and `ByteBufferAccessor`/`ByteUtils` in apache/kafka. The reader never
//! panics and never allocates more than the input could hold: a length is checked against the
//! bytes that are left before anything is reserved.

use crate::WireError;

/// Appends Kafka primitives to a byte buffer.
pub(crate) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self { bytes: Vec::new() }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub(crate) fn i16(&mut self, value: i16) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn i32(&mut self, value: i32) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub(crate) fn unsigned_varint(&mut self, mut value: u32) {
        while value >= 0x80 {
            // Truncation intended: the low 7 bits plus the continuation bit.
            self.bytes.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    /// `NULLABLE_STRING`: an `INT16` length, then the bytes.
    pub(crate) fn nullable_string(
        &mut self,
        field: &'static str,
        value: Option<&str>,
    ) -> Result<(), WireError> {
        match value {
            None => self.i16(-1),
            Some(text) => {
                let max = i16::MAX as usize;
                let length = i16::try_from(text.len()).map_err(|_| WireError::StringTooLong {
                    field,
                    length: text.len(),
                    max,
                })?;
                self.i16(length);
                self.bytes.extend_from_slice(text.as_bytes());
            }
        }
        Ok(())
    }

    /// `COMPACT_STRING`: an unsigned varint of length + 1, then the bytes.
    pub(crate) fn compact_string(
        &mut self,
        field: &'static str,
        text: &str,
    ) -> Result<(), WireError> {
        let max = i16::MAX as usize;
        if text.len() > max {
            return Err(WireError::StringTooLong {
                field,
                length: text.len(),
                max,
            });
        }
        // Fits: checked against i16::MAX above.
        self.unsigned_varint(text.len() as u32 + 1);
        self.bytes.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// An empty tagged-field section (`TAG_BUFFER` with no fields).
    pub(crate) fn empty_tagged_fields(&mut self) {
        self.unsigned_varint(0);
    }
}

/// Reads Kafka primitives from a frame, tracking the offset for error messages.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, whose first byte is at `offset` of the frame.
    pub(crate) fn at(bytes: &'a [u8], offset: usize) -> Self {
        Self { bytes, offset }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn take(&mut self, field: &'static str, count: usize) -> Result<&'a [u8], WireError> {
        if count > self.bytes.len() {
            return Err(WireError::Truncated {
                field,
                offset: self.offset,
                needed: count - self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(count);
        self.bytes = tail;
        self.offset += count;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    pub(crate) fn bool(&mut self, field: &'static str) -> Result<bool, WireError> {
        // Kafka reads any non-zero byte as true (`ByteBufferAccessor.readByte() != 0`).
        Ok(self.array::<1>(field)?[0] != 0)
    }

    pub(crate) fn i16(&mut self, field: &'static str) -> Result<i16, WireError> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn i32(&mut self, field: &'static str) -> Result<i32, WireError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn i64(&mut self, field: &'static str) -> Result<i64, WireError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn unsigned_varint(&mut self, field: &'static str) -> Result<u32, WireError> {
        let start = self.offset;
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = self.array::<1>(field)?[0];
            // The fifth byte may only carry the top 4 bits of a u32.
            if shift == 28 && byte > 0x0f {
                return Err(WireError::InvalidVarint {
                    field,
                    offset: start,
                });
            }
            value |= u32::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError::InvalidVarint {
            field,
            offset: start,
        })
    }

    fn utf8(&mut self, field: &'static str, length: usize) -> Result<String, WireError> {
        let offset = self.offset;
        let raw = self.take(field, length)?;
        String::from_utf8(raw.to_vec()).map_err(|_| WireError::InvalidUtf8 { field, offset })
    }

    /// `NULLABLE_STRING`.
    pub(crate) fn nullable_string(
        &mut self,
        field: &'static str,
    ) -> Result<Option<String>, WireError> {
        let offset = self.offset;
        match self.i16(field)? {
            -1 => Ok(None),
            length if length < 0 => Err(WireError::InvalidLength {
                field,
                offset,
                length: i64::from(length),
            }),
            // Non-negative: checked above.
            length => self.utf8(field, length as usize).map(Some),
        }
    }

    /// `COMPACT_STRING` (not nullable).
    pub(crate) fn compact_string(&mut self, field: &'static str) -> Result<String, WireError> {
        let offset = self.offset;
        match self.unsigned_varint(field)? {
            0 => Err(WireError::InvalidLength {
                field,
                offset,
                length: -1,
            }),
            length_plus_one => self.utf8(field, (length_plus_one - 1) as usize),
        }
    }

    /// The element count of a classic `ARRAY` (an `INT32`), which must not be null. Each element
    /// takes at least `min_element_size` bytes, so a count larger than the rest of the message
    /// allows is rejected before anything is allocated.
    pub(crate) fn array_length(
        &mut self,
        field: &'static str,
        min_element_size: usize,
    ) -> Result<usize, WireError> {
        let offset = self.offset;
        let length = self.i32(field)?;
        self.checked_length(field, offset, i64::from(length), min_element_size)
    }

    /// The element count of a `COMPACT_ARRAY` (unsigned varint of count + 1), not nullable.
    pub(crate) fn compact_array_length(
        &mut self,
        field: &'static str,
        min_element_size: usize,
    ) -> Result<usize, WireError> {
        let offset = self.offset;
        let length = i64::from(self.unsigned_varint(field)?) - 1;
        self.checked_length(field, offset, length, min_element_size)
    }

    fn checked_length(
        &self,
        field: &'static str,
        offset: usize,
        length: i64,
        min_element_size: usize,
    ) -> Result<usize, WireError> {
        let fits = usize::try_from(length)
            .ok()
            .filter(|count| count.saturating_mul(min_element_size) <= self.remaining());
        fits.ok_or(WireError::InvalidLength {
            field,
            offset,
            length,
        })
    }

    /// A tagged-field section: calls `on_field(tag, reader over the field's bytes)` for each
    /// field. The callback must consume its field exactly; unknown tags are skipped, as Kafka
    /// does (`_unknownTaggedFields`).
    pub(crate) fn tagged_fields(
        &mut self,
        mut on_field: impl FnMut(u32, &mut Reader<'a>) -> Result<bool, WireError>,
    ) -> Result<(), WireError> {
        let count = self.unsigned_varint("tagged_fields")?;
        for _ in 0..count {
            let tag = self.unsigned_varint("tag")?;
            let size_offset = self.offset;
            let size = self.unsigned_varint("tagged_field_size")? as usize;
            let start = self.offset;
            let data = self
                .take("tagged_field", size)
                .map_err(|_| WireError::InvalidLength {
                    field: "tagged_field_size",
                    offset: size_offset,
                    length: size as i64,
                })?;
            let mut field = Reader::at(data, start);
            if on_field(tag, &mut field)? {
                field.finish()?;
            }
        }
        Ok(())
    }

    /// Fails when bytes are left over.
    pub(crate) fn finish(&self) -> Result<(), WireError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes {
                count: self.bytes.len(),
                offset: self.offset,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_bytes(value: u32) -> Vec<u8> {
        let mut writer = Writer::new();
        writer.unsigned_varint(value);
        writer.into_bytes()
    }

    #[test]
    fn unsigned_varint_matches_kafka_byte_utils_examples() {
        assert_eq!(varint_bytes(0), [0x00]);
        assert_eq!(varint_bytes(127), [0x7f]);
        assert_eq!(varint_bytes(128), [0x80, 0x01]);
        assert_eq!(varint_bytes(300), [0xac, 0x02]);
        assert_eq!(varint_bytes(u32::MAX), [0xff, 0xff, 0xff, 0xff, 0x0f]);
    }

    #[test]
    fn unsigned_varint_round_trips() {
        for value in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            268_435_456,
            u32::MAX,
        ] {
            let bytes = varint_bytes(value);
            let mut reader = Reader::at(&bytes, 0);
            assert_eq!(reader.unsigned_varint("v"), Ok(value));
            assert_eq!(reader.finish(), Ok(()));
        }
    }

    #[test]
    fn overlong_varint_is_rejected() {
        let mut reader = Reader::at(&[0xff, 0xff, 0xff, 0xff, 0x1f], 7);
        assert_eq!(
            reader.unsigned_varint("v"),
            Err(WireError::InvalidVarint {
                field: "v",
                offset: 7
            })
        );
        let mut reader = Reader::at(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 0);
        assert!(matches!(
            reader.unsigned_varint("v"),
            Err(WireError::InvalidVarint { .. })
        ));
    }

    #[test]
    fn array_length_larger_than_input_is_rejected_before_allocating() {
        let mut reader = Reader::at(&[0x7f, 0xff, 0xff, 0xff, 0, 0], 4);
        assert_eq!(
            reader.array_length("api_keys", 6),
            Err(WireError::InvalidLength {
                field: "api_keys",
                offset: 4,
                length: i64::from(i32::MAX),
            })
        );
    }

    #[test]
    fn null_compact_string_is_rejected() {
        let mut reader = Reader::at(&[0x00], 0);
        assert_eq!(
            reader.compact_string("name"),
            Err(WireError::InvalidLength {
                field: "name",
                offset: 0,
                length: -1,
            })
        );
    }

    #[test]
    fn nullable_string_reads_null_and_text() {
        let mut reader = Reader::at(&[0xff, 0xff, 0x00, 0x02, b'h', b'i'], 0);
        assert_eq!(reader.nullable_string("client_id"), Ok(None));
        assert_eq!(
            reader.nullable_string("client_id"),
            Ok(Some("hi".to_owned()))
        );
    }

    #[test]
    fn truncated_integer_names_field_and_missing_bytes() {
        let mut reader = Reader::at(&[0x00], 10);
        assert_eq!(
            reader.i32("throttle_time_ms"),
            Err(WireError::Truncated {
                field: "throttle_time_ms",
                offset: 10,
                needed: 3,
            })
        );
    }
}
