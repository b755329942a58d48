//! Decoding real `ApiVersions` bytes recorded from real peers (see `tests/data/SOURCES.md`), and
//! "never panics" properties over arbitrary and truncated input.

use kafka_wire::{
    ApiVersionRange, ApiVersionsRequest, UNSUPPORTED_VERSION, WireError,
    decode_api_versions_response, decode_frame_size,
};
use proptest::prelude::*;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("failed to read `{path}`: {error}"))
}

/// Splits a recorded frame into its checked size prefix and the frame after it.
fn unframe(recorded: &[u8]) -> &[u8] {
    let size = decode_frame_size(recorded[..4].try_into().unwrap()).unwrap();
    assert_eq!(
        size,
        recorded.len() - 4,
        "size prefix matches the recorded length"
    );
    &recorded[4..]
}

/// The api keys and version ranges of Tansu 0.6.0, read by hand from the v0 file with Python's
/// `struct.unpack('>hhh')` (36 entries).
const TANSU_API_KEYS: [(i16, i16); 36] = [
    (0, 11),
    (1, 17),
    (2, 9),
    (3, 12),
    (8, 9),
    (9, 9),
    (10, 6),
    (11, 9),
    (12, 4),
    (13, 5),
    (14, 5),
    (15, 5),
    (16, 5),
    (17, 1),
    (18, 4),
    (19, 7),
    (20, 6),
    (21, 2),
    (22, 5),
    (24, 5),
    (25, 4),
    (26, 4),
    (28, 4),
    (29, 3),
    (30, 3),
    (32, 4),
    (36, 2),
    (42, 2),
    (44, 1),
    (46, 0),
    (50, 0),
    (51, 0),
    (60, 1),
    (69, 0),
    (71, 0),
    (75, 0),
];

fn sorted_ranges(ranges: &[ApiVersionRange]) -> Vec<(i16, i16)> {
    assert!(ranges.iter().all(|range| range.min_version == 0));
    let mut keys: Vec<_> = ranges
        .iter()
        .map(|range| (range.api_key, range.max_version))
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn tansu_v0_response_decodes() {
    let recorded = data("tansu-0.6.0-response-v0.bin");
    let response = decode_api_versions_response(unframe(&recorded), 0, 7).unwrap();
    assert_eq!(response.error_code, 0);
    assert_eq!(response.body_version, 0);
    assert_eq!(sorted_ranges(&response.api_keys), TANSU_API_KEYS);
}

#[test]
fn tansu_v1_response_decodes_with_throttle_time() {
    let recorded = data("tansu-0.6.0-response-v1.bin");
    for version in [1, 2] {
        let response = decode_api_versions_response(unframe(&recorded), version, 7).unwrap();
        assert_eq!(response.body_version, version);
        assert_eq!(response.throttle_time_ms, 0);
        assert_eq!(sorted_ranges(&response.api_keys), TANSU_API_KEYS);
    }
}

#[test]
fn tansu_v3_flexible_response_decodes_with_tagged_fields() {
    let recorded = data("tansu-0.6.0-response-v3.bin");
    for version in [3, 4] {
        let response = decode_api_versions_response(unframe(&recorded), version, 7).unwrap();
        assert_eq!(response.body_version, version);
        assert_eq!(sorted_ranges(&response.api_keys), TANSU_API_KEYS);
        // Tansu sends all four tagged fields: empty features, epoch -1, not migration-ready.
        assert!(response.supported_features.is_empty());
        assert_eq!(response.finalized_features_epoch, -1);
        assert!(response.finalized_features.is_empty());
        assert!(!response.zk_migration_ready);
    }
}

#[test]
fn tansu_response_with_other_correlation_id_is_refused() {
    let recorded = data("tansu-0.6.0-response-v3.bin");
    assert_eq!(
        decode_api_versions_response(unframe(&recorded), 3, 8),
        Err(WireError::CorrelationIdMismatch {
            expected: 8,
            found: 7
        })
    );
}

#[test]
fn v3_response_read_as_v1_is_refused() {
    // A flexible body is not a valid classic body: the compact array count is read as part of
    // an INT32 count that points past the end.
    let recorded = data("tansu-0.6.0-response-v3.bin");
    assert!(decode_api_versions_response(unframe(&recorded), 1, 7).is_err());
}

fn with_correlation_id(correlation_id: i32, body: &[u8]) -> Vec<u8> {
    let mut frame = correlation_id.to_be_bytes().to_vec();
    frame.extend_from_slice(body);
    frame
}

#[test]
fn apache_kafka_unsupported_version_answer_falls_back_to_v0() {
    let body = data("kafka-protocol-rs-unsupported-version-response-body.bin");
    let response = decode_api_versions_response(&with_correlation_id(1, &body), 4, 1).unwrap();
    assert_eq!(response.error_code, UNSUPPORTED_VERSION);
    assert_eq!(response.body_version, 0);
    assert_eq!(
        response.api_keys,
        [ApiVersionRange {
            api_key: 18,
            min_version: 0,
            max_version: 3
        }]
    );
    assert_eq!(response.retry_version(4), Some(3));
}

#[test]
fn pre_kip_511_unsupported_version_answer_retries_with_v0() {
    // Derived from librdkafka's log of Apache Kafka 2.1.1 (see SOURCES.md), not recorded.
    let body = [0x00, 0x23, 0x00, 0x00, 0x00, 0x00];
    let response = decode_api_versions_response(&with_correlation_id(1, &body), 3, 1).unwrap();
    assert_eq!(response.error_code, UNSUPPORTED_VERSION);
    assert!(response.api_keys.is_empty());
    assert_eq!(response.retry_version(3), Some(0));
}

#[test]
fn java_client_v3_request_body_matches_our_encoding() {
    let recorded = data("apache-kafka-java-2.8.0-request-v3-body.bin");
    let request = ApiVersionsRequest {
        version: 3,
        correlation_id: 1,
        client_id: Some("producer-1".to_owned()),
        client_software_name: "apache-kafka-java".to_owned(),
        client_software_version: "2.8.0".to_owned(),
    };
    let encoded = request.encode().unwrap();
    // size (4) + api key, version, correlation id (8) + client id (2 + 10) + header tags (1).
    let body_start = 4 + 8 + 2 + "producer-1".len() + 1;
    assert_eq!(&encoded[body_start..], &recorded[..]);
    assert_eq!(ApiVersionsRequest::decode(&encoded[4..]), Ok(request));
}

#[test]
fn every_truncation_of_a_recorded_response_is_an_error() {
    let recorded = data("tansu-0.6.0-response-v3.bin");
    let frame = unframe(&recorded);
    for length in 0..frame.len() {
        assert!(
            decode_api_versions_response(&frame[..length], 3, 7).is_err(),
            "a frame cut to {length} bytes decoded"
        );
    }
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512),
                                            version in 0i16..=4) {
        let _ = decode_api_versions_response(&bytes, version, 7);
        let _ = ApiVersionsRequest::decode(&bytes);
    }

    #[test]
    fn flipping_a_byte_of_a_recorded_response_never_panics(index in 0usize..283, value in any::<u8>()) {
        let mut recorded = data("tansu-0.6.0-response-v3.bin");
        recorded[4 + index] = value;
        let _ = decode_api_versions_response(&recorded[4..], 3, 7);
    }

    #[test]
    fn valid_requests_round_trip(version in 0i16..=4, correlation_id in any::<i32>(),
                                 client_id in proptest::option::of("[ -~]{0,40}"),
                                 name in "[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?",
                                 software_version in "[0-9]([0-9.]{0,8}[0-9])?") {
        let flexible = version >= 3;
        let request = ApiVersionsRequest {
            version,
            correlation_id,
            client_id,
            client_software_name: if flexible { name } else { String::new() },
            client_software_version: if flexible { software_version } else { String::new() },
        };
        let encoded = request.encode().unwrap();
        prop_assert_eq!(decode_frame_size(encoded[..4].try_into().unwrap()), Ok(encoded.len() - 4));
        prop_assert_eq!(ApiVersionsRequest::decode(&encoded[4..]), Ok(request));
    }
}
