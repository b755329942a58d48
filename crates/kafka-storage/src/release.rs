//! Which Kafka release a distribution is, which feature levels its `kafka-storage.sh format`
//! writes by default, and where it writes them ([`StorageLayout`]).
//!
//! The default is `MetadataVersion.LATEST_PRODUCTION` of that release plus, for each feature of
//! `Feature.PRODUCTION_FEATURES`, `Feature.defaultLevel(LATEST_PRODUCTION)`: the highest level
//! whose `bootstrapMetadataVersion` is at most that metadata version. `BootstrapMetadata
//! .fromVersions` writes `metadata.version` first, then the other features sorted by name, skips
//! `kraft.version` and every level 0.

use std::fmt;

use crate::{FeatureLevel, StorageError};

/// A Kafka release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KafkaRelease {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Patch version.
    pub patch: u16,
}

impl KafkaRelease {
    /// A release from its three numbers.
    pub fn new(major: u16, minor: u16, patch: u16) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `X.Y.Z` (digits only, as in release jar names).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let mut number = || -> Option<u16> {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let release = Self::new(number()?, number()?, number()?);
        parts.next().is_none().then_some(release)
    }

    /// Whether `kafka-storage.sh format` of this release knows the KIP-853 flags
    /// `--standalone`, `--initial-controllers` and `--no-initial-controllers` (3.9 and later).
    pub fn supports_dynamic_quorum(&self) -> bool {
        (self.major, self.minor) >= (3, 9)
    }
}

impl fmt::Display for KafkaRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The release named by one file of the distribution's `libs/`: `kafka_<scala>-X.Y.Z.jar` (the
/// core jar) or `kafka-server-common-X.Y.Z.jar`. Test, sources and javadoc jars give `None`.
pub fn release_from_jar_name(file_name: &str) -> Option<KafkaRelease> {
    let stem = file_name.strip_suffix(".jar")?;
    let version = if let Some(rest) = stem.strip_prefix("kafka-server-common-") {
        rest
    } else {
        let rest = stem.strip_prefix("kafka_")?;
        let (scala, version) = rest.split_once('-')?;
        if scala.is_empty() || !scala.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        version
    };
    KafkaRelease::parse(version)
}

/// The release of a distribution from the file names in its `libs/` directory.
pub fn detect_release<'a>(
    file_names: impl IntoIterator<Item = &'a str>,
) -> Result<KafkaRelease, StorageError> {
    let mut found: Option<KafkaRelease> = None;
    let mut jar_count = 0;
    for name in file_names {
        if name.ends_with(".jar") {
            jar_count += 1;
        }
        let Some(release) = release_from_jar_name(name) else {
            continue;
        };
        match found {
            Some(previous) if previous != release => {
                return Err(StorageError::AmbiguousRelease {
                    first: previous.min(release).to_string(),
                    second: previous.max(release).to_string(),
                });
            }
            _ => found = Some(release),
        }
    }
    found.ok_or(StorageError::ReleaseNotDetected { jar_count })
}

/// What one release line formats with by default.
struct ReleaseFormat {
    major: u16,
    minor: u16,
    /// `MetadataVersion.LATEST_PRODUCTION.featureLevel()`.
    metadata_version: i16,
    /// Default levels of the other production features at that metadata version (level-0
    /// features left out, as Kafka leaves them out of the file).
    features: &'static [(&'static str, i16)],
}

/// Default bootstrap features per release line. Provenance (see `tests/data/SOURCES.md`):
/// - 3.7: 3.7-IV4 = 19. Byte-verified against a file written by `apache/kafka:3.7.0`.
/// - 3.8: 3.8-IV0 = 20; `group.version` 1 needs 4.0-IV0, so no other feature. From sources.
/// - 3.9: 3.9-IV0 = 21; `group.version`/`transaction.version` need 4.0, so none. Byte-verified
///   against `apache/kafka:3.9.0`.
/// - 4.0: 4.0-IV3 = 25; `group.version` 1 (4.0-IV0), `transaction.version` 2 (4.0-IV2);
///   `eligible.leader.replicas.version` 1 bootstraps at 4.1-IV0. Byte-verified against
///   `apache/kafka:4.0.0`.
/// - 4.1: 4.1-IV1 = 27; adds `eligible.leader.replicas.version` 1 (4.1-IV0); `share.version`
///   (preview in 4.1) and `streams.version` bootstrap at 4.2. From sources.
/// - 4.2: 4.2-IV1 = 29; adds `share.version` 1 (4.2-IV0) and `streams.version` 1 (4.2-IV1).
///   Byte-verified against `apache/kafka:latest` of April 2026 (metadata.version 29), and the
///   levels against 4.2.0's `StorageTool` run from Maven Central's jars.
/// - 4.3: 4.3-IV0 = 30; the same feature levels as 4.2. Read from 4.3.0's `StorageTool` (jars
///   from Maven Central), which prints its bootstrap metadata.
/// - 4.4: 4.4-IV2 = 33; `share.version` 2. Read from 4.4.0's `StorageTool` and compared byte
///   for byte by `kafka-entrypoint`'s `tests/storage_vs_kafka.rs`.
const RELEASE_FORMATS: &[ReleaseFormat] = &[
    ReleaseFormat {
        major: 3,
        minor: 7,
        metadata_version: 19,
        features: &[],
    },
    ReleaseFormat {
        major: 3,
        minor: 8,
        metadata_version: 20,
        features: &[],
    },
    ReleaseFormat {
        major: 3,
        minor: 9,
        metadata_version: 21,
        features: &[],
    },
    ReleaseFormat {
        major: 4,
        minor: 0,
        metadata_version: 25,
        features: &[("group.version", 1), ("transaction.version", 2)],
    },
    ReleaseFormat {
        major: 4,
        minor: 1,
        metadata_version: 27,
        features: &[
            ("eligible.leader.replicas.version", 1),
            ("group.version", 1),
            ("transaction.version", 2),
        ],
    },
    ReleaseFormat {
        major: 4,
        minor: 2,
        metadata_version: 29,
        features: &[
            ("eligible.leader.replicas.version", 1),
            ("group.version", 1),
            ("share.version", 1),
            ("streams.version", 1),
            ("transaction.version", 2),
        ],
    },
    ReleaseFormat {
        major: 4,
        minor: 3,
        metadata_version: 30,
        features: &[
            ("eligible.leader.replicas.version", 1),
            ("group.version", 1),
            ("share.version", 1),
            ("streams.version", 1),
            ("transaction.version", 2),
        ],
    },
    ReleaseFormat {
        major: 4,
        minor: 4,
        metadata_version: 33,
        features: &[
            ("eligible.leader.replicas.version", 1),
            ("group.version", 1),
            ("share.version", 2),
            ("streams.version", 1),
            ("transaction.version", 2),
        ],
    },
];

/// The release lines the native writer formats, as `X.Y`.
pub const SUPPORTED_RELEASES: &[&str] = &["3.7", "3.8", "3.9", "4.0", "4.1", "4.2", "4.3", "4.4"];

/// Where a release's `kafka-storage.sh format` puts the bootstrap feature levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageLayout {
    /// 3.7 to 4.3: `bootstrap.checkpoint` in every formatted directory; a KIP-853 voter set
    /// (header, `kraft.version`, voters) in `__cluster_metadata-0` of the metadata directory.
    CheckpointInEveryDirectory,
    /// 4.4 and later: no `bootstrap.checkpoint`. A controller writes one snapshot into
    /// `__cluster_metadata-0` of its metadata directory holding the header, `kraft.version`
    /// and voters of a dynamic quorum, and the feature levels (`Formatter
    /// .writeBootstrapSnapshot`, set by `StorageTool` to `process.roles` containing
    /// `controller`); a broker-only node writes `meta.properties` only.
    SnapshotOnControllers,
}

/// The layout `kafka-storage.sh format` of `release` writes; unknown releases are refused.
pub fn storage_layout(release: KafkaRelease) -> Result<StorageLayout, StorageError> {
    release_format(release)?;
    Ok(if (release.major, release.minor) >= (4, 4) {
        StorageLayout::SnapshotOnControllers
    } else {
        StorageLayout::CheckpointInEveryDirectory
    })
}

fn release_format(release: KafkaRelease) -> Result<&'static ReleaseFormat, StorageError> {
    RELEASE_FORMATS
        .iter()
        .find(|f| (f.major, f.minor) == (release.major, release.minor))
        .ok_or_else(|| StorageError::UnsupportedRelease {
            release: release.to_string(),
        })
}

/// The feature levels `kafka-storage.sh format` of `release` writes by default, in file order.
/// Releases before 3.7 (no `directory.id`) and after 4.4 (not read yet: a new release may
/// change levels or layout, as 4.4 did) are refused.
pub fn bootstrap_features(release: KafkaRelease) -> Result<Vec<FeatureLevel>, StorageError> {
    let format = release_format(release)?;
    let mut others: Vec<FeatureLevel> = format
        .features
        .iter()
        .filter(|(_, level)| *level > 0)
        .map(|(name, level)| FeatureLevel::new(name, *level))
        .collect();
    others.sort_by(|a, b| a.name.cmp(&b.name));
    let mut features = vec![FeatureLevel::new(
        "metadata.version",
        format.metadata_version,
    )];
    features.extend(others);
    Ok(features)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_release_from_core_and_server_common_jars() {
        assert_eq!(
            release_from_jar_name("kafka_2.13-3.9.0.jar"),
            Some(KafkaRelease::new(3, 9, 0))
        );
        assert_eq!(
            release_from_jar_name("kafka-server-common-4.1.1.jar"),
            Some(KafkaRelease::new(4, 1, 1))
        );
        assert_eq!(
            release_from_jar_name("kafka_2.12-3.7.2.jar"),
            Some(KafkaRelease::new(3, 7, 2))
        );
    }

    #[test]
    fn ignores_other_jars() {
        for name in [
            "kafka_2.13-3.9.0-test.jar",
            "kafka_2.13-3.9.0-sources.jar",
            "kafka-clients-3.9.0.jar",
            "kafka-server-common-3.9.0-test.jar",
            "kafka_2.13-3.9.jar",
            "kafka_2.13-3.9.0.jar.asc",
            "kafka-streams-3.9.0.jar",
        ] {
            assert_eq!(release_from_jar_name(name), None, "{name}");
        }
    }

    #[test]
    fn detects_one_release_among_many_jars() {
        let names = [
            "kafka-clients-4.0.0.jar",
            "kafka_2.13-4.0.0.jar",
            "kafka-server-common-4.0.0.jar",
            "zstd-jni-1.5.6-4.jar",
        ];
        assert_eq!(detect_release(names), Ok(KafkaRelease::new(4, 0, 0)));
    }

    #[test]
    fn refuses_missing_or_mixed_releases() {
        assert_eq!(
            detect_release(["a.jar", "b.jar", "README"]),
            Err(StorageError::ReleaseNotDetected { jar_count: 2 })
        );
        assert_eq!(
            detect_release(["kafka_2.13-4.0.0.jar", "kafka-server-common-3.9.0.jar"]),
            Err(StorageError::AmbiguousRelease {
                first: "3.9.0".to_owned(),
                second: "4.0.0".to_owned()
            })
        );
    }

    #[test]
    fn metadata_version_comes_first_then_features_by_name() {
        let names: Vec<String> = bootstrap_features(KafkaRelease::new(4, 2, 0))
            .expect("known")
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(
            names,
            [
                "metadata.version",
                "eligible.leader.replicas.version",
                "group.version",
                "share.version",
                "streams.version",
                "transaction.version"
            ]
        );
    }

    #[test]
    fn every_supported_release_has_a_format() {
        for line in SUPPORTED_RELEASES {
            let release = KafkaRelease::parse(&format!("{line}.0")).expect("valid");
            assert!(bootstrap_features(release).is_ok(), "{line}");
        }
    }

    #[test]
    fn unknown_release_is_refused_with_the_fallback_in_help() {
        for release in [KafkaRelease::new(3, 6, 2), KafkaRelease::new(4, 5, 0)] {
            let err = bootstrap_features(release).expect_err("unknown");
            assert_eq!(
                err,
                StorageError::UnsupportedRelease {
                    release: release.to_string()
                }
            );
            assert!(
                err.help()
                    .expect("help")
                    .contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage")
            );
        }
    }

    #[test]
    fn kafka_4_4_moved_the_features_into_the_controller_snapshot() {
        let layout = |minor| storage_layout(KafkaRelease::new(4, minor, 0));
        assert_eq!(layout(3), Ok(StorageLayout::CheckpointInEveryDirectory));
        assert_eq!(layout(4), Ok(StorageLayout::SnapshotOnControllers));
        assert!(layout(5).is_err());
    }

    #[test]
    fn dynamic_quorum_flags_exist_from_3_9() {
        assert!(!KafkaRelease::new(3, 8, 1).supports_dynamic_quorum());
        assert!(KafkaRelease::new(3, 9, 0).supports_dynamic_quorum());
        assert!(KafkaRelease::new(4, 1, 0).supports_dynamic_quorum());
    }
}
