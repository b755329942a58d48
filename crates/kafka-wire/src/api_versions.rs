//! The `ApiVersions` request (api key 18) and its response, versions 0 to 4.
//!
//! Schemas: `ApiVersionsRequest.json` and `ApiVersionsResponse.json` in apache/kafka
//! `clients/src/main/resources/common/message/`. Versions 0 to 2 of the request are empty bodies
//! behind request header v1; version 3 is the first flexible version (request header v2, compact
//! strings, tagged fields) and adds `ClientSoftwareName`/`ClientSoftwareVersion` (KIP-511);
//! version 4 has the same layout as 3. The response header is always v0 (a bare correlation id),
//! even for flexible versions, so that a client can read the answer of a broker that does not know
//! the version it asked for.

use crate::WireError;
use crate::frame::frame;
use crate::primitives::{Reader, Writer};

/// The api key of `ApiVersions`.
pub const API_VERSIONS_KEY: i16 = 18;

/// The highest `ApiVersions` version this crate encodes and decodes. Version 4 came with the fix
/// of KAFKA-17011; brokers from Kafka 2.4 up to that fix know 3 and answer 4 with
/// `UNSUPPORTED_VERSION`.
pub const MAX_API_VERSIONS_VERSION: i16 = 4;

/// Kafka's `UNSUPPORTED_VERSION` error code: the broker does not know the request version.
pub const UNSUPPORTED_VERSION: i16 = 35;

/// Kafka's `INVALID_REQUEST` error code (for `ApiVersions`: a client software name or version
/// outside the KIP-511 pattern).
pub const INVALID_REQUEST: i16 = 42;

/// The first version with flexible encoding (compact strings, tagged fields).
const FIRST_FLEXIBLE_VERSION: i16 = 3;

fn check_version(version: i16) -> Result<(), WireError> {
    if (0..=MAX_API_VERSIONS_VERSION).contains(&version) {
        Ok(())
    } else {
        Err(WireError::UnsupportedVersion {
            version,
            max: MAX_API_VERSIONS_VERSION,
        })
    }
}

/// The name Kafka gives an error code, for messages.
pub fn error_code_name(code: i16) -> &'static str {
    match code {
        0 => "NONE",
        -1 => "UNKNOWN_SERVER_ERROR",
        UNSUPPORTED_VERSION => "UNSUPPORTED_VERSION",
        INVALID_REQUEST => "INVALID_REQUEST",
        _ => "an error code not expected from ApiVersions",
    }
}

/// An `ApiVersions` request with its request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersionsRequest {
    /// The request version, 0 to [`MAX_API_VERSIONS_VERSION`].
    pub version: i16,
    /// Echoed by the broker in the response header.
    pub correlation_id: i32,
    /// The header's `client_id` (nullable).
    pub client_id: Option<String>,
    /// KIP-511 client software name; sent from version 3 on, empty when decoding older versions.
    pub client_software_name: String,
    /// KIP-511 client software version; sent from version 3 on, empty when decoding older
    /// versions.
    pub client_software_version: String,
}

/// The KIP-511 pattern brokers check (`ApiVersionsRequest.isValid`):
/// `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn is_valid_client_software(value: &str) -> bool {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-' || *byte == b'.')
        }
        _ => false,
    }
}

impl ApiVersionsRequest {
    /// The request as it goes on the wire: size prefix, request header (v1 for versions 0–2, v2
    /// for 3–4), body.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        check_version(self.version)?;
        let flexible = self.version >= FIRST_FLEXIBLE_VERSION;
        if flexible {
            for (field, value) in [
                ("client_software_name", &self.client_software_name),
                ("client_software_version", &self.client_software_version),
            ] {
                if !is_valid_client_software(value) {
                    return Err(WireError::InvalidClientSoftware {
                        field,
                        value: value.clone(),
                    });
                }
            }
        }
        let mut out = Writer::new();
        out.i16(API_VERSIONS_KEY);
        out.i16(self.version);
        out.i32(self.correlation_id);
        // Request header v2 keeps the classic (non-compact) client id, then adds tagged fields.
        out.nullable_string("client_id", self.client_id.as_deref())?;
        if flexible {
            out.empty_tagged_fields();
            out.compact_string("client_software_name", &self.client_software_name)?;
            out.compact_string("client_software_version", &self.client_software_version)?;
            out.empty_tagged_fields();
        }
        Ok(frame(out.into_bytes()))
    }

    /// Decodes a request frame (the bytes after the size prefix), as a broker would. For test
    /// peers that must check what a client really sent.
    pub fn decode(frame: &[u8]) -> Result<Self, WireError> {
        let mut reader = Reader::at(frame, 0);
        let api_key = reader.i16("request_api_key")?;
        if api_key != API_VERSIONS_KEY {
            return Err(WireError::UnexpectedApiKey {
                expected: API_VERSIONS_KEY,
                found: api_key,
            });
        }
        let version = reader.i16("request_api_version")?;
        check_version(version)?;
        let correlation_id = reader.i32("correlation_id")?;
        let client_id = reader.nullable_string("client_id")?;
        let mut request = Self {
            version,
            correlation_id,
            client_id,
            client_software_name: String::new(),
            client_software_version: String::new(),
        };
        if version >= FIRST_FLEXIBLE_VERSION {
            reader.tagged_fields(|_, _| Ok(false))?;
            request.client_software_name = reader.compact_string("client_software_name")?;
            request.client_software_version = reader.compact_string("client_software_version")?;
            reader.tagged_fields(|_, _| Ok(false))?;
        }
        reader.finish()?;
        Ok(request)
    }
}

/// Encodes an `ApiVersions` request frame, naming the client software after `client_id` and this
/// crate's version (both sent from version 3 on).
///
/// ```
/// let bytes = kafka_wire::api_versions_request(0, 7, "kafka-entrypoint").unwrap();
/// assert_eq!(&bytes[..12], &[0, 0, 0, 26, 0, 18, 0, 0, 0, 0, 0, 7]);
/// ```
pub fn api_versions_request(
    version: i16,
    correlation_id: i32,
    client_id: &str,
) -> Result<Vec<u8>, WireError> {
    ApiVersionsRequest {
        version,
        correlation_id,
        client_id: Some(client_id.to_owned()),
        client_software_name: client_id.to_owned(),
        client_software_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
    .encode()
}

/// One entry of `ApiKeys`: the versions the broker supports for one API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersionRange {
    /// The API index (`18` is `ApiVersions`).
    pub api_key: i16,
    /// The minimum supported version, inclusive.
    pub min_version: i16,
    /// The maximum supported version, inclusive.
    pub max_version: i16,
}

/// One entry of `SupportedFeatures` (tagged field 0, versions 3+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportedFeature {
    /// The feature name, e.g. `metadata.version`.
    pub name: String,
    /// The minimum supported version.
    pub min_version: i16,
    /// The maximum supported version.
    pub max_version: i16,
}

/// One entry of `FinalizedFeatures` (tagged field 2, versions 3+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalizedFeature {
    /// The feature name.
    pub name: String,
    /// The cluster-wide finalized max version level.
    pub max_version_level: i16,
    /// The cluster-wide finalized min version level.
    pub min_version_level: i16,
}

/// A decoded `ApiVersions` response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersionsResponse {
    /// The correlation id of the response header (checked against the request's).
    pub correlation_id: i32,
    /// The version the body was decoded as: the request's, or 0 when the broker answered an
    /// unknown version with its version-0 `UNSUPPORTED_VERSION` body.
    pub body_version: i16,
    /// The top-level error code (0 = none).
    pub error_code: i16,
    /// The APIs the broker supports.
    pub api_keys: Vec<ApiVersionRange>,
    /// Throttle time (versions 1+; 0 otherwise).
    pub throttle_time_ms: i32,
    /// Features the broker supports (versions 3+).
    pub supported_features: Vec<SupportedFeature>,
    /// Epoch of the finalized features; -1 when unknown (versions 3+).
    pub finalized_features_epoch: i64,
    /// Cluster-wide finalized features (versions 3+).
    pub finalized_features: Vec<FinalizedFeature>,
    /// Set by a KRaft controller ready for ZooKeeper migration (versions 3+).
    pub zk_migration_ready: bool,
}

impl ApiVersionsResponse {
    /// The version range the broker supports for `api_key`, if it lists it.
    pub fn api_version_range(&self, api_key: i16) -> Option<ApiVersionRange> {
        self.api_keys
            .iter()
            .copied()
            .find(|range| range.api_key == api_key)
    }

    /// The version to retry with after an `UNSUPPORTED_VERSION` answer to a request of version
    /// `attempted`, as Kafka's `NetworkClient` does: the broker's highest `ApiVersions` version
    /// (listed since Kafka 2.4, KIP-511), or 0 when it lists none. `None` when there is nothing
    /// lower to try (no error, another error, or no version below `attempted`).
    pub fn retry_version(&self, attempted: i16) -> Option<i16> {
        if self.error_code != UNSUPPORTED_VERSION {
            return None;
        }
        let broker_max = self
            .api_version_range(API_VERSIONS_KEY)
            .map_or(0, |range| range.max_version);
        let retry = broker_max.clamp(0, MAX_API_VERSIONS_VERSION);
        (retry < attempted).then_some(retry)
    }
}

/// Decodes a response frame (the bytes after the size prefix) to an `ApiVersions` request of
/// `request_version` whose correlation id was `correlation_id`.
///
/// When the broker does not know `request_version`, it answers `UNSUPPORTED_VERSION` with a
/// version-0 body (Kafka's protocol guide, "Retrieving Supported API versions"); like Kafka's
/// `ApiVersionsResponse.parse`, this falls back to version 0 when the body does not decode as
/// `request_version`, and tries version 0 first when the error code says `UNSUPPORTED_VERSION`.
/// The error returned is the one for `request_version`.
pub fn decode_api_versions_response(
    frame: &[u8],
    request_version: i16,
    correlation_id: i32,
) -> Result<ApiVersionsResponse, WireError> {
    check_version(request_version)?;
    let mut header = Reader::at(frame, 0);
    let found = header.i32("correlation_id")?;
    if found != correlation_id {
        return Err(WireError::CorrelationIdMismatch {
            expected: correlation_id,
            found,
        });
    }
    let body = &frame[4..];
    let unsupported = body.get(..2) == Some(&UNSUPPORTED_VERSION.to_be_bytes()[..]);
    let attempts = if unsupported {
        [0, request_version]
    } else {
        [request_version, 0]
    };
    let mut requested_error = None;
    for version in attempts {
        match decode_body(body, version, found) {
            Ok(response) => return Ok(response),
            Err(error) if version == request_version => requested_error = Some(error),
            Err(_) => {}
        }
    }
    // Both attempts failed, and one of them was `request_version`.
    Err(requested_error.unwrap_or(WireError::UnsupportedVersion {
        version: request_version,
        max: MAX_API_VERSIONS_VERSION,
    }))
}

fn decode_body(
    body: &[u8],
    version: i16,
    correlation_id: i32,
) -> Result<ApiVersionsResponse, WireError> {
    let flexible = version >= FIRST_FLEXIBLE_VERSION;
    let mut reader = Reader::at(body, 4);
    let error_code = reader.i16("error_code")?;
    let count = if flexible {
        reader.compact_array_length("api_keys", 7)?
    } else {
        reader.array_length("api_keys", 6)?
    };
    let mut api_keys = Vec::with_capacity(count);
    for _ in 0..count {
        api_keys.push(ApiVersionRange {
            api_key: reader.i16("api_key")?,
            min_version: reader.i16("min_version")?,
            max_version: reader.i16("max_version")?,
        });
        if flexible {
            reader.tagged_fields(|_, _| Ok(false))?;
        }
    }
    let mut response = ApiVersionsResponse {
        correlation_id,
        body_version: version,
        error_code,
        api_keys,
        throttle_time_ms: 0,
        supported_features: Vec::new(),
        finalized_features_epoch: -1,
        finalized_features: Vec::new(),
        zk_migration_ready: false,
    };
    if version >= 1 {
        response.throttle_time_ms = reader.i32("throttle_time_ms")?;
    }
    if flexible {
        reader.tagged_fields(|tag, field| {
            match tag {
                0 => response.supported_features = decode_supported_features(field)?,
                1 => response.finalized_features_epoch = field.i64("finalized_features_epoch")?,
                2 => response.finalized_features = decode_finalized_features(field)?,
                3 => response.zk_migration_ready = field.bool("zk_migration_ready")?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
    }
    reader.finish()?;
    Ok(response)
}

fn decode_supported_features(reader: &mut Reader<'_>) -> Result<Vec<SupportedFeature>, WireError> {
    let count = reader.compact_array_length("supported_features", 6)?;
    let mut features = Vec::with_capacity(count);
    for _ in 0..count {
        features.push(SupportedFeature {
            name: reader.compact_string("supported_feature_name")?,
            min_version: reader.i16("supported_feature_min_version")?,
            max_version: reader.i16("supported_feature_max_version")?,
        });
        reader.tagged_fields(|_, _| Ok(false))?;
    }
    Ok(features)
}

fn decode_finalized_features(reader: &mut Reader<'_>) -> Result<Vec<FinalizedFeature>, WireError> {
    let count = reader.compact_array_length("finalized_features", 6)?;
    let mut features = Vec::with_capacity(count);
    for _ in 0..count {
        features.push(FinalizedFeature {
            name: reader.compact_string("finalized_feature_name")?,
            max_version_level: reader.i16("finalized_feature_max_version_level")?,
            min_version_level: reader.i16("finalized_feature_min_version_level")?,
        });
        reader.tagged_fields(|_, _| Ok(false))?;
    }
    Ok(features)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: i16) -> ApiVersionsRequest {
        ApiVersionsRequest {
            version,
            correlation_id: 7,
            client_id: Some("ke".to_owned()),
            client_software_name: "kafka-entrypoint".to_owned(),
            client_software_version: "0.1.0".to_owned(),
        }
    }

    #[test]
    fn version_0_to_2_request_is_header_v1_and_empty_body() {
        for version in 0..=2 {
            let bytes = request(version).encode().unwrap();
            let mut expected = vec![0, 0, 0, 12, 0, 18, 0, version as u8, 0, 0, 0, 7, 0, 2];
            expected.extend_from_slice(b"ke");
            assert_eq!(bytes, expected, "version {version}");
        }
    }

    #[test]
    fn version_3_and_4_request_is_header_v2_and_compact_strings() {
        for version in 3..=4 {
            let bytes = request(version).encode().unwrap();
            let mut expected = vec![0, 0, 0, 37, 0, 18, 0, version as u8, 0, 0, 0, 7, 0, 2];
            expected.extend_from_slice(b"ke");
            expected.push(0); // header tagged fields
            expected.push(17);
            expected.extend_from_slice(b"kafka-entrypoint");
            expected.push(6);
            expected.extend_from_slice(b"0.1.0");
            expected.push(0); // body tagged fields
            assert_eq!(bytes, expected, "version {version}");
        }
    }

    #[test]
    fn null_client_id_is_length_minus_one() {
        let mut without_id = request(0);
        without_id.client_id = None;
        assert_eq!(
            without_id.encode().unwrap(),
            [0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 7, 0xff, 0xff]
        );
    }

    #[test]
    fn request_round_trips_through_decode() {
        for version in 0..=MAX_API_VERSIONS_VERSION {
            let mut sent = request(version);
            if version < FIRST_FLEXIBLE_VERSION {
                sent.client_software_name.clear();
                sent.client_software_version.clear();
            }
            let bytes = sent.encode().unwrap();
            assert_eq!(ApiVersionsRequest::decode(&bytes[4..]), Ok(sent));
        }
    }

    #[test]
    fn version_5_is_refused() {
        assert_eq!(
            request(5).encode(),
            Err(WireError::UnsupportedVersion { version: 5, max: 4 })
        );
        assert_eq!(
            decode_api_versions_response(&[0, 0, 0, 7, 0, 0, 0, 0, 0, 0], -1, 7),
            Err(WireError::UnsupportedVersion {
                version: -1,
                max: 4
            })
        );
    }

    #[test]
    fn client_software_outside_kip_511_pattern_is_refused() {
        for bad in ["", "-x", "x-", "two words", "naïve"] {
            let mut sent = request(3);
            sent.client_software_name = bad.to_owned();
            assert_eq!(
                sent.encode(),
                Err(WireError::InvalidClientSoftware {
                    field: "client_software_name",
                    value: bad.to_owned(),
                }),
                "{bad:?}"
            );
        }
        let mut sent = request(3);
        sent.client_software_version = "1.0.0-SNAPSHOT+x".to_owned();
        assert!(sent.encode().is_err());
        // Versions before 3 do not send these fields, so they are not checked.
        let mut old = request(2);
        old.client_software_name = String::new();
        assert!(old.encode().is_ok());
    }

    #[test]
    fn request_for_another_api_is_refused() {
        assert_eq!(
            ApiVersionsRequest::decode(&[0, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff]),
            Err(WireError::UnexpectedApiKey {
                expected: 18,
                found: 3
            })
        );
    }

    #[test]
    fn correlation_id_mismatch_is_reported() {
        let frame = [0, 0, 0, 8, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            decode_api_versions_response(&frame, 0, 7),
            Err(WireError::CorrelationIdMismatch {
                expected: 7,
                found: 8
            })
        );
    }

    #[test]
    fn version_1_body_carries_throttle_time() {
        let frame = [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3, 0, 0, 0, 9];
        let response = decode_api_versions_response(&frame, 1, 1).unwrap();
        assert_eq!(response.throttle_time_ms, 9);
        assert_eq!(response.body_version, 1);
        assert_eq!(
            response.api_version_range(18),
            Some(ApiVersionRange {
                api_key: 18,
                min_version: 0,
                max_version: 3
            })
        );
    }

    #[test]
    fn unknown_tagged_fields_are_skipped_and_known_ones_read() {
        let frame = [
            0, 0, 0, 2, // correlation id
            0, 0, // error code
            1, // no api keys
            0, 0, 0, 0, // throttle
            3, // three tagged fields
            1, 8, 0, 0, 0, 0, 0, 0, 0, 5, // epoch 5
            3, 1, 1, // zk_migration_ready
            9, 2, 0xaa, 0xbb, // unknown tag 9
        ];
        let response = decode_api_versions_response(&frame, 3, 2).unwrap();
        assert_eq!(response.finalized_features_epoch, 5);
        assert!(response.zk_migration_ready);
    }

    #[test]
    fn tagged_field_with_extra_bytes_is_rejected() {
        let frame = [0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 1, 3, 2, 1, 1];
        assert_eq!(
            decode_api_versions_response(&frame, 3, 2),
            Err(WireError::TrailingBytes {
                count: 1,
                offset: 15
            })
        );
    }

    #[test]
    fn retry_version_follows_network_client() {
        let mut response = ApiVersionsResponse {
            correlation_id: 1,
            body_version: 0,
            error_code: UNSUPPORTED_VERSION,
            api_keys: vec![ApiVersionRange {
                api_key: 18,
                min_version: 0,
                max_version: 3,
            }],
            throttle_time_ms: 0,
            supported_features: Vec::new(),
            finalized_features_epoch: -1,
            finalized_features: Vec::new(),
            zk_migration_ready: false,
        };
        assert_eq!(response.retry_version(4), Some(3));
        assert_eq!(response.retry_version(3), None);
        response.api_keys.clear();
        assert_eq!(response.retry_version(4), Some(0));
        assert_eq!(response.retry_version(0), None);
        response.error_code = 0;
        assert_eq!(response.retry_version(4), None);
    }
}
