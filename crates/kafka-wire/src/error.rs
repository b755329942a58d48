//! `WireError`: everything that can go wrong encoding or decoding a Kafka message.
//!
//! Every variant names the protocol field it was reading and, for decoding, the byte offset inside
//! the frame (the frame starts at the correlation id, right after the 4-byte size prefix), so a
//! "bad response" can be pinned to one field of Kafka's message schema.

/// A problem encoding or decoding an `ApiVersions` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The caller asked for an `ApiVersions` version this crate cannot encode or decode.
    #[error("ApiVersions version {version} is not supported here (supported: 0 to {max})")]
    UnsupportedVersion {
        /// The version asked for.
        version: i16,
        /// The highest version this crate knows.
        max: i16,
    },
    /// A KIP-511 client software name or version that brokers reject with `INVALID_REQUEST`.
    #[error(
        "`{field}` `{value}` is not valid: brokers accept only letters, digits, `-` and `.`, \
         starting and ending with a letter or digit (KIP-511)"
    )]
    InvalidClientSoftware {
        /// `client_software_name` or `client_software_version`.
        field: &'static str,
        /// The rejected value.
        value: String,
    },
    /// A string longer than its length prefix can express.
    #[error("`{field}` is {length} bytes long; the protocol allows at most {max}")]
    StringTooLong {
        /// The field being encoded.
        field: &'static str,
        /// Its length in bytes.
        length: usize,
        /// The longest the field can be.
        max: usize,
    },
    /// A size prefix that is negative, zero-length or larger than any `ApiVersions` response.
    #[error("frame size {size} is not valid: expected 4 to {max} bytes")]
    InvalidFrameSize {
        /// The size read from the 4-byte prefix.
        size: i32,
        /// The largest frame accepted.
        max: usize,
    },
    /// The message ended in the middle of a field.
    #[error("message ends at byte {offset} while reading `{field}` ({needed} more bytes needed)")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where the field starts.
        offset: usize,
        /// How many bytes are missing.
        needed: usize,
    },
    /// A length (array, string, tagged field) that is negative, null where null is not allowed,
    /// or larger than the rest of the message.
    #[error("`{field}` at byte {offset} has invalid length {length}")]
    InvalidLength {
        /// The field being read.
        field: &'static str,
        /// Where its length starts.
        offset: usize,
        /// The length as read (`-1` is null).
        length: i64,
    },
    /// An unsigned varint longer than 5 bytes.
    #[error("`{field}` at byte {offset} is not a valid unsigned varint")]
    InvalidVarint {
        /// The field being read.
        field: &'static str,
        /// Where the varint starts.
        offset: usize,
    },
    /// A string that is not UTF-8.
    #[error("`{field}` at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        field: &'static str,
        /// Where the string's bytes start.
        offset: usize,
    },
    /// Bytes left over after the last field of the message.
    #[error("{count} unexpected bytes after the end of the message at byte {offset}")]
    TrailingBytes {
        /// How many bytes are left.
        count: usize,
        /// Where the message ended.
        offset: usize,
    },
    /// The response answers another request than the one sent.
    #[error("response has correlation id {found}, but the request had {expected}")]
    CorrelationIdMismatch {
        /// The correlation id of the request.
        expected: i32,
        /// The correlation id in the response.
        found: i32,
    },
    /// A request frame for another API than `ApiVersions`.
    #[error("request has api key {found}, expected {expected} (ApiVersions)")]
    UnexpectedApiKey {
        /// `18`.
        expected: i16,
        /// The api key found.
        found: i16,
    },
}
