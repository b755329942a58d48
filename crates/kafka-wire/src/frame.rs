//! Length-prefixed framing: every Kafka request and response on the wire is an `INT32` size
//! followed by that many bytes (the header, then the body).

use crate::WireError;

/// The largest response frame accepted. A real `ApiVersions` response is well under 1 KiB (about
/// 70 api keys of 7 bytes plus a few features); anything larger is not a Kafka answer to our
/// request (an HTTP or TLS peer, say, whose first bytes read as a huge size).
pub const MAX_FRAME_SIZE: usize = 1 << 20;

/// The size of the frame that follows a 4-byte size prefix, checked to hold at least a
/// correlation id and at most [`MAX_FRAME_SIZE`] bytes.
///
/// ```
/// assert_eq!(kafka_wire::decode_frame_size([0, 0, 0, 16]), Ok(16));
/// assert!(kafka_wire::decode_frame_size(*b"HTTP").is_err());
/// ```
pub fn decode_frame_size(prefix: [u8; 4]) -> Result<usize, WireError> {
    let size = i32::from_be_bytes(prefix);
    usize::try_from(size)
        .ok()
        .filter(|bytes| (4..=MAX_FRAME_SIZE).contains(bytes))
        .ok_or(WireError::InvalidFrameSize {
            size,
            max: MAX_FRAME_SIZE,
        })
}

/// Prefixes `payload` (header and body) with its `INT32` size.
pub(crate) fn frame(payload: Vec<u8>) -> Vec<u8> {
    // Our requests are a few dozen bytes; `encode` bounds each string to i16::MAX.
    let size = i32::try_from(payload.len()).unwrap_or(i32::MAX);
    let mut framed = Vec::with_capacity(payload.len() + 4);
    framed.extend_from_slice(&size.to_be_bytes());
    framed.extend(payload);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_prefix_is_big_endian() {
        assert_eq!(decode_frame_size([0, 0, 1, 0x1b]), Ok(283));
    }

    #[test]
    fn size_smaller_than_a_correlation_id_is_rejected() {
        assert_eq!(
            decode_frame_size([0, 0, 0, 3]),
            Err(WireError::InvalidFrameSize {
                size: 3,
                max: MAX_FRAME_SIZE
            })
        );
    }

    #[test]
    fn negative_size_is_rejected() {
        assert!(decode_frame_size([0xff, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn http_or_tls_answer_is_rejected_as_frame_size() {
        // "HTTP/1.1 400" and a TLS alert record both read as absurd sizes.
        assert!(decode_frame_size(*b"HTTP").is_err());
        assert!(decode_frame_size([0x15, 0x03, 0x03, 0x00]).is_err());
    }

    #[test]
    fn frame_prefixes_the_size() {
        assert_eq!(frame(vec![1, 2, 3]), [0, 0, 0, 3, 1, 2, 3]);
    }
}
