//! Pure Kafka wire protocol: the few messages kafka-image needs, bytes in, bytes out.
//!
//! Today that is `ApiVersions` (api key 18), versions 0 to 4: the request with its header and
//! size prefix ([`ApiVersionsRequest`], [`api_versions_request`]), the response
//! ([`decode_api_versions_response`] → [`ApiVersionsResponse`]) and the size prefix of a frame
//! ([`decode_frame_size`]). `kafka-entrypoint health` uses it to ask the broker's own listener
//! whether it answers, and the sanity suite of `kafka-image` to check a container.
//!
//! It deliberately does no I/O (the caller owns the socket, TLS and deadlines) and knows no
//! other API. The encoder is hand-written from Kafka's message schemas
//! (`clients/src/main/resources/common/message/ApiVersions{Request,Response}.json`), so the crate
//! has no dependency but `thiserror` and builds anywhere, the static musl entrypoint included.
//! Errors are [`WireError`], naming the field and byte offset that did not decode.
//!
//! A round trip:
//!
//! ```
//! use kafka_wire::{api_versions_request, decode_api_versions_response, decode_frame_size};
//!
//! let request = api_versions_request(3, 1, "kafka-entrypoint").unwrap();
//! assert_eq!(decode_frame_size(request[..4].try_into().unwrap()), Ok(request.len() - 4));
//!
//! // A broker's answer: correlation id 1, no error, one api key (18, versions 0..=4),
//! // throttle 0, no tagged fields.
//! let frame = [0, 0, 0, 1, 0, 0, 2, 0, 18, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0];
//! let response = decode_api_versions_response(&frame, 3, 1).unwrap();
//! assert_eq!(response.error_code, 0);
//! assert_eq!(response.api_version_range(18).map(|range| range.max_version), Some(4));
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api_versions;
mod error;
mod frame;
mod primitives;

pub use api_versions::{
    API_VERSIONS_KEY, ApiVersionRange, ApiVersionsRequest, ApiVersionsResponse, FinalizedFeature,
    INVALID_REQUEST, MAX_API_VERSIONS_VERSION, SupportedFeature, UNSUPPORTED_VERSION,
    api_versions_request, decode_api_versions_response, error_code_name,
};
pub use error::WireError;
pub use frame::{MAX_FRAME_SIZE, decode_frame_size};
