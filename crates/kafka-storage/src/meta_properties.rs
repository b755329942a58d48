//! `meta.properties`: the file that marks a log directory as formatted, as Kafka's
//! `MetaProperties` and `PropertiesUtils.writePropertiesFile` write it.
//!
//! Kafka writes it with `java.util.Properties.store(writer, "")` on JDK 18 or later: an empty
//! `#` comment line, a `#` line with `java.util.Date.toString()` of the write time, then every
//! entry `key=value` sorted by key, each line ending in `\n`. It reads it back with
//! `Properties.load(InputStream)`, that is as ISO-8859-1 text.

use std::collections::BTreeMap;

use crate::{StorageError, Uuid};

const VERSION: &str = "version";
const CLUSTER_ID: &str = "cluster.id";
const NODE_ID: &str = "node.id";
const BROKER_ID: &str = "broker.id";
const DIRECTORY_ID: &str = "directory.id";

/// The content of one `meta.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperties {
    /// `version`: 1 for KRaft, 0 for ZooKeeper-mode brokers.
    pub version: u8,
    /// `cluster.id` exactly as stored (see [`MetaProperties::stored_cluster_id`]).
    pub cluster_id: Option<String>,
    /// `node.id` (version 1) or `broker.id` (version 0).
    pub node_id: Option<i32>,
    /// `directory.id` (written since Kafka 3.7).
    pub directory_id: Option<Uuid>,
}

/// A stored `cluster.id`, telling apart the form Kafka 3.7.0's Docker image wrote by mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredClusterId {
    /// The id as Kafka writes it.
    Plain(String),
    /// `Some(<id>)`: the official 3.7.0 image's wrapper wrote the Scala `Option` instead of the
    /// id (KAFKA-16473, fixed in 3.7.1). Kafka itself treats the whole text as the cluster id,
    /// so the cluster that owns this directory really has the id `Some(<id>)`.
    ScalaSome(String),
}

impl StoredClusterId {
    /// The id inside, with the 3.7.0 `Some(...)` wrapper removed.
    pub fn unwrapped(&self) -> &str {
        match self {
            Self::Plain(id) | Self::ScalaSome(id) => id,
        }
    }
}

impl MetaProperties {
    /// The properties `kafka-storage.sh format` writes for a KRaft node (`version=1`).
    pub fn kraft(cluster_id: &crate::ClusterId, node_id: i32, directory_id: Uuid) -> Self {
        Self {
            version: 1,
            cluster_id: Some(cluster_id.as_str().to_owned()),
            node_id: Some(node_id),
            directory_id: Some(directory_id),
        }
    }

    /// The stored cluster id, recognising the KAFKA-16473 `Some(...)` form.
    pub fn stored_cluster_id(&self) -> Option<StoredClusterId> {
        let raw = self.cluster_id.as_deref()?;
        Some(
            match raw.strip_prefix("Some(").and_then(|s| s.strip_suffix(')')) {
                Some(inner) => StoredClusterId::ScalaSome(inner.to_owned()),
                None => StoredClusterId::Plain(raw.to_owned()),
            },
        )
    }
}

/// Parses `meta.properties` bytes as Kafka's `MetaProperties.Builder(Properties)` does after
/// `Properties.load`: `version` must be 0 or 1; version 1 needs `node.id` and `cluster.id`.
pub fn parse_meta_properties(bytes: &[u8]) -> Result<MetaProperties, StorageError> {
    let properties = load_java_properties(bytes)?;
    let version = match properties.get(VERSION).map(String::as_str) {
        None => return Err(StorageError::MetaPropertiesMissingKey { key: VERSION }),
        Some("0") => 0,
        Some("1") => 1,
        Some(other) => {
            return Err(StorageError::MetaPropertiesInvalidValue {
                key: VERSION,
                value: other.to_owned(),
                expected: "0 or 1",
            });
        }
    };
    let node_key = if version == 1 { NODE_ID } else { BROKER_ID };
    let node_id = match properties.get(node_key) {
        None if version == 1 => {
            return Err(StorageError::MetaPropertiesMissingKey { key: NODE_ID });
        }
        None => None,
        Some(text) => Some(text.trim().parse::<i32>().map_err(|_| {
            StorageError::MetaPropertiesInvalidValue {
                key: node_key,
                value: text.clone(),
                expected: "an integer",
            }
        })?),
    };
    let cluster_id = properties.get(CLUSTER_ID).cloned();
    if version == 1 && cluster_id.is_none() {
        return Err(StorageError::MetaPropertiesMissingKey { key: CLUSTER_ID });
    }
    let directory_id = properties
        .get(DIRECTORY_ID)
        .map(|text| {
            Uuid::parse(text).map_err(|_| StorageError::MetaPropertiesInvalidValue {
                key: DIRECTORY_ID,
                value: text.clone(),
                expected: "a base64 UUID",
            })
        })
        .transpose()?;
    Ok(MetaProperties {
        version,
        cluster_id,
        node_id,
        directory_id,
    })
}

/// Renders `meta.properties` exactly as Kafka writes it at `written_at_ms` (milliseconds since
/// the Unix epoch), in the GMT time zone of the official image. Kafka writes the file as UTF-8
/// through a `Writer`, so only the `Properties` escapes apply, never `\u00e9`-style escapes.
pub fn render_meta_properties(meta: &MetaProperties, written_at_ms: i64) -> String {
    let mut entries: BTreeMap<&str, String> = BTreeMap::new();
    entries.insert(VERSION, meta.version.to_string());
    if let Some(cluster_id) = &meta.cluster_id {
        entries.insert(CLUSTER_ID, cluster_id.clone());
    }
    if let Some(node_id) = meta.node_id {
        entries.insert(
            if meta.version == 1 {
                NODE_ID
            } else {
                BROKER_ID
            },
            node_id.to_string(),
        );
    }
    if let Some(directory_id) = meta.directory_id {
        entries.insert(DIRECTORY_ID, directory_id.to_string());
    }
    let mut out = String::from("#\n#");
    out.push_str(&java_date_comment(written_at_ms));
    out.push('\n');
    for (key, value) in entries {
        out.push_str(&escape(key, true));
        out.push('=');
        out.push_str(&escape(&value, false));
        out.push('\n');
    }
    out
}

/// `java.util.Date.toString()` in GMT: `EEE MMM dd HH:mm:ss zzz yyyy`, e.g.
/// `Wed Jun 18 14:08:53 GMT 2025`.
pub fn java_date_comment(millis: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} GMT {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        year
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`). Public for the other dates the project
/// writes (`kafka-image`'s report timestamps), so that the calendar is done once.
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `Properties.saveConvert` with `escUnicode == false` (the `store(Writer)` path).
fn escape(text: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, c) in text.chars().enumerate() {
        match c {
            ' ' if index == 0 || is_key => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// `Properties.load(InputStream)`: the bytes as ISO-8859-1 text, read with the project's one
/// Java-properties reader (`kafka_config::properties`, checked against the JDK); the last
/// duplicate key wins.
fn load_java_properties(bytes: &[u8]) -> Result<BTreeMap<String, String>, StorageError> {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let properties = kafka_config::properties::parse(&text)
        .map_err(|cause| StorageError::MetaPropertiesSyntax { cause })?;
    Ok(properties
        .iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn java_date_matches_known_instants() {
        // Dates of the real samples in tests/data (meta.properties line 2 vs. batch timestamps).
        assert_eq!(
            java_date_comment(1_750_255_733_165),
            "Wed Jun 18 14:08:53 GMT 2025"
        );
        assert_eq!(
            java_date_comment(1_785_707_878_016),
            "Sun Aug 02 21:57:58 GMT 2026"
        );
        assert_eq!(java_date_comment(0), "Thu Jan 01 00:00:00 GMT 1970");
        assert_eq!(
            java_date_comment(951_782_400_000),
            "Tue Feb 29 00:00:00 GMT 2000"
        );
        assert_eq!(java_date_comment(-1), "Wed Dec 31 23:59:59 GMT 1969");
    }

    #[test]
    fn renders_sorted_keys_after_two_comment_lines() {
        let meta = MetaProperties {
            version: 1,
            cluster_id: Some("5L6g3nShT-eMCtK--X86sw".to_owned()),
            node_id: Some(3),
            directory_id: Some(Uuid::from_bytes([1; 16])),
        };
        assert_eq!(
            render_meta_properties(&meta, 0),
            "#\n#Thu Jan 01 00:00:00 GMT 1970\ncluster.id=5L6g3nShT-eMCtK--X86sw\n\
             directory.id=AQEBAQEBAQEBAQEBAQEBAQ\nnode.id=3\nversion=1\n"
        );
    }

    #[test]
    fn parses_separators_escapes_and_continuations() {
        let text = b"# comment\n! other\n  version : 1\nnode.id\t7\ncluster.id=ab\\\n   cd\n\
                     directory.id = AQEBAQEBAQEBAQEBAQEBAQ\nextra=\\u0041\\=x\n";
        let meta = parse_meta_properties(text).expect("valid");
        assert_eq!(meta.version, 1);
        assert_eq!(meta.node_id, Some(7));
        assert_eq!(meta.cluster_id.as_deref(), Some("abcd"));
        assert_eq!(meta.directory_id, Some(Uuid::from_bytes([1; 16])));
        assert_eq!(load_java_properties(text).expect("valid")["extra"], "A=x");
    }

    #[test]
    fn malformed_unicode_escape_is_an_error_as_in_java() {
        let text = b"version=1\nnode.id=1\ncluster.id=\\u12\n";
        assert!(matches!(
            parse_meta_properties(text),
            Err(StorageError::MetaPropertiesSyntax { .. })
        ));
    }

    #[test]
    fn last_duplicate_key_wins() {
        let meta = parse_meta_properties(b"version=1\nnode.id=1\nnode.id=2\ncluster.id=x\n")
            .expect("valid");
        assert_eq!(meta.node_id, Some(2));
    }

    #[test]
    fn zookeeper_meta_properties_use_broker_id() {
        let meta = parse_meta_properties(b"version=0\nbroker.id=4\ncluster.id=x\n").expect("v0");
        assert_eq!((meta.version, meta.node_id), (0, Some(4)));
    }

    #[test]
    fn missing_and_invalid_values_name_the_key() {
        assert_eq!(
            parse_meta_properties(b"node.id=1\n"),
            Err(StorageError::MetaPropertiesMissingKey { key: "version" })
        );
        assert_eq!(
            parse_meta_properties(b"version=1\ncluster.id=x\n"),
            Err(StorageError::MetaPropertiesMissingKey { key: "node.id" })
        );
        assert_eq!(
            parse_meta_properties(b"version=1\nnode.id=1\n"),
            Err(StorageError::MetaPropertiesMissingKey { key: "cluster.id" })
        );
        assert!(matches!(
            parse_meta_properties(b"version=2\n"),
            Err(StorageError::MetaPropertiesInvalidValue { key: "version", .. })
        ));
        assert!(matches!(
            parse_meta_properties(b"version=1\nnode.id=one\ncluster.id=x\n"),
            Err(StorageError::MetaPropertiesInvalidValue { key: "node.id", .. })
        ));
        assert!(matches!(
            parse_meta_properties(b"version=1\nnode.id=1\ncluster.id=x\ndirectory.id=??\n"),
            Err(StorageError::MetaPropertiesInvalidValue {
                key: "directory.id",
                ..
            })
        ));
    }

    #[test]
    fn recognises_the_kafka_16473_some_wrapper() {
        // See: https://issues.apache.org/jira/browse/KAFKA-16473
        let meta = parse_meta_properties(
            b"cluster.id=Some(4L6g3nShT-eMCtK--X86sw)\nnode.id=1\nversion=1\n",
        )
        .expect("3.7.0 image output parses");
        assert_eq!(
            meta.stored_cluster_id(),
            Some(StoredClusterId::ScalaSome(
                "4L6g3nShT-eMCtK--X86sw".to_owned()
            ))
        );
    }

    proptest! {
        #[test]
        fn render_then_parse_round_trips(
            cluster in "[A-Za-z0-9 _=:#!\\\\-]{0,30}",
            node_id in any::<i32>(),
            dir in any::<[u8; 16]>(),
            at in -10_000_000_000_000i64..10_000_000_000_000i64,
        ) {
            let meta = MetaProperties {
                version: 1,
                cluster_id: Some(cluster),
                node_id: Some(node_id),
                directory_id: Some(Uuid::from_bytes(dir)),
            };
            let text = render_meta_properties(&meta, at);
            prop_assert_eq!(parse_meta_properties(text.as_bytes()), Ok(meta));
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_meta_properties(&bytes);
        }
    }
}
