//! Kafka's `org.apache.kafka.common.Uuid`: 16 bytes written as URL-safe base64 without padding
//! (22 characters), and the two ids built on it, the cluster id and the directory id.

use std::fmt;
use std::str::FromStr;

use crate::StorageError;

/// The cluster id the image uses when the user gives no config and no `CLUSTER_ID`; the same
/// default as the official image's `docker/resources/common-scripts/configure`.
pub const IMAGE_DEFAULT_CLUSTER_ID: &str = "5L6g3nShT-eMCtK--X86sw";

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A Kafka UUID: 16 bytes, most significant first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid([u8; 16]);

impl Uuid {
    /// The UUID made of these bytes (most significant first).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes, most significant first.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The most significant 64 bits, as Java's `getMostSignificantBits` (signed).
    pub fn most_significant_bits(&self) -> i64 {
        i64::from_be_bytes(half(&self.0, 0))
    }

    /// The least significant 64 bits, as Java's `getLeastSignificantBits` (signed).
    pub fn least_significant_bits(&self) -> i64 {
        i64::from_be_bytes(half(&self.0, 8))
    }

    /// Parses a UUID as Kafka's `Uuid.fromString` does: at most 24 characters of URL-safe base64
    /// (padding optional) that decode to exactly 16 bytes.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > 24 {
            return Err(format!(
                "{} characters is too long for a base64 UUID (22 expected)",
                text.chars().count()
            ));
        }
        let bytes = decode_base64_url(text)?;
        let array: [u8; 16] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "it decodes to {} bytes, not the 16 bytes of a UUID",
                bytes.len()
            )
        })?;
        Ok(Self(array))
    }
}

fn half(bytes: &[u8; 16], start: usize) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&bytes[start..start + 8]);
    out
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_base64_url(&self.0))
    }
}

impl FromStr for Uuid {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A validated cluster id: the text as given, known to parse as a Kafka [`Uuid`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterId(String);

impl ClusterId {
    /// Accepts what `kafka-storage.sh format --cluster-id` accepts: a string that Kafka's
    /// `Uuid.fromString` parses.
    pub fn parse(text: &str) -> Result<Self, StorageError> {
        Uuid::parse(text)
            .map(|_| Self(text.to_owned()))
            .map_err(|reason| StorageError::InvalidClusterId {
                cluster_id: text.to_owned(),
                reason,
            })
    }

    /// The id as written to `meta.properties`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for ClusterId {
    type Error = StorageError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

/// Turns 16 random bytes into a directory id as Kafka's
/// `MetaPropertiesEnsemble.Copier.generateValidDirectoryId` does (two `Random.nextLong()` values,
/// no UUID version bits), or `None` when Kafka would reject the candidate and draw again: its
/// text starts with `-`, or it is one of the 100 reserved ids (`DirectoryId.reserved`: most
/// significant bits zero and least significant bits, signed, below 100).
pub fn directory_id_from_random(bytes: [u8; 16]) -> Option<Uuid> {
    let uuid = Uuid(bytes);
    let reserved = uuid.most_significant_bits() == 0 && uuid.least_significant_bits() < 100;
    if reserved || uuid.to_string().starts_with('-') {
        None
    } else {
        Some(uuid)
    }
}

/// Turns 16 random bytes into a UUID as Kafka's `Uuid.randomUuid` does (the one
/// `kafka-storage.sh format --standalone` gives the controller's metadata directory): Java's
/// `UUID.randomUUID`, a version-4 UUID (version and variant bits set), redrawn (`None`) when
/// its text starts with `-`. A version-4 UUID is never one of Kafka's reserved ids (all have
/// zero most significant bits).
pub fn random_uuid_from_random(mut bytes: [u8; 16]) -> Option<Uuid> {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let uuid = Uuid(bytes);
    (!uuid.to_string().starts_with('-')).then_some(uuid)
}

fn encode_base64_url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Decodes like Java's `Base64.getUrlDecoder()`: padding optional, unused trailing bits ignored.
fn decode_base64_url(text: &str) -> Result<Vec<u8>, String> {
    let unpadded = text.trim_end_matches('=');
    let padding = text.len() - unpadded.len();
    if padding > 0 && (padding > 2 || !text.len().is_multiple_of(4)) {
        return Err("it has misplaced `=` padding".to_owned());
    }
    if unpadded.len() % 4 == 1 {
        return Err("its length is not a valid base64 length".to_owned());
    }
    let mut out = Vec::with_capacity(unpadded.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in unpadded.chars() {
        let value = ALPHABET
            .iter()
            .position(|&a| char::from(a) == c)
            .ok_or_else(|| format!("`{c}` is not a URL-safe base64 character"))?;
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn image_default_cluster_id_is_a_valid_cluster_id() {
        let id = ClusterId::parse(IMAGE_DEFAULT_CLUSTER_ID).expect("valid");
        assert_eq!(id.as_str(), IMAGE_DEFAULT_CLUSTER_ID);
        assert_eq!(
            Uuid::parse(IMAGE_DEFAULT_CLUSTER_ID)
                .expect("valid")
                .to_string(),
            IMAGE_DEFAULT_CLUSTER_ID
        );
    }

    #[test]
    fn renders_the_bytes_of_a_real_directory_id() {
        // directory.id of the Kafka 3.9.0 sample in tests/data, decoded with `base64 -d`.
        let bytes = [
            0x36, 0xe1, 0x99, 0x23, 0xe9, 0xbc, 0x6c, 0x9e, 0xec, 0xc2, 0x71, 0x0a, 0x6a, 0x99,
            0x46, 0x6b,
        ];
        assert_eq!(
            Uuid::from_bytes(bytes).to_string(),
            "NuGZI-m8bJ7swnEKaplGaw"
        );
    }

    #[test]
    fn rejects_what_kafka_rejects() {
        assert!(ClusterId::parse("").is_err());
        assert!(ClusterId::parse("not-a-uuid").is_err());
        assert!(ClusterId::parse("Some(4L6g3nShT-eMCtK--X86sw)").is_err());
        assert!(ClusterId::parse("5L6g3nShT-eMCtK--X86sw5L6g").is_err());
        assert!(ClusterId::parse("5L6g3nShT+eMCtK--X86sw").is_err());
    }

    #[test]
    fn accepts_padded_form_as_java_does() {
        assert_eq!(
            Uuid::parse("5L6g3nShT-eMCtK--X86sw==").expect("padded"),
            Uuid::parse(IMAGE_DEFAULT_CLUSTER_ID).expect("unpadded")
        );
    }

    #[test]
    fn invalid_cluster_id_error_names_the_id_and_helps() {
        let err = ClusterId::parse("abc").expect_err("too short");
        assert!(
            matches!(&err, StorageError::InvalidClusterId { cluster_id, .. } if cluster_id == "abc")
        );
        assert!(err.help().expect("help").contains("random-uuid"));
    }

    #[test]
    fn reserved_directory_ids_are_redrawn() {
        let mut bytes = [0u8; 16];
        assert_eq!(directory_id_from_random(bytes), None);
        bytes[15] = 99;
        assert_eq!(directory_id_from_random(bytes), None);
        bytes[15] = 100;
        assert!(directory_id_from_random(bytes).is_some());
        // Java compares signed longs: a negative least significant half is "< 100" too.
        bytes[8] = 0x80;
        assert_eq!(directory_id_from_random(bytes), None);
    }

    #[test]
    fn directory_ids_starting_with_dash_are_redrawn() {
        // 0xf8 >> 2 == 62, the index of '-'.
        let mut bytes = [7u8; 16];
        bytes[0] = 0xf8;
        assert_eq!(directory_id_from_random(bytes), None);
        bytes[0] = 0x00;
        assert!(directory_id_from_random(bytes).is_some());
    }

    proptest! {
        #[test]
        fn uuid_text_round_trips(bytes in any::<[u8; 16]>()) {
            let uuid = Uuid::from_bytes(bytes);
            let text = uuid.to_string();
            prop_assert_eq!(text.len(), 22);
            prop_assert_eq!(Uuid::parse(&text), Ok(uuid));
        }

        #[test]
        fn accepted_directory_ids_never_start_with_dash(bytes in any::<[u8; 16]>()) {
            if let Some(id) = directory_id_from_random(bytes) {
                prop_assert!(!id.to_string().starts_with('-'));
            }
        }
    }

    #[test]
    fn random_uuid_is_version_4_and_never_starts_with_a_dash() {
        let uuid = random_uuid_from_random([0xff; 16]).expect("`_` start");
        assert_eq!(uuid.as_bytes()[6] >> 4, 4, "version 4");
        assert_eq!(uuid.as_bytes()[8] >> 6, 0b10, "IETF variant");
        // 0xf8 in the first byte gives `-` (index 62) as the first base64 character.
        let mut dash = [0u8; 16];
        dash[0] = 0xf8;
        assert_eq!(random_uuid_from_random(dash), None);
    }
}
