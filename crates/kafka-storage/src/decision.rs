//! The "never reformat" rule: given what each log directory already holds, decide which to
//! format and which to leave alone, or refuse before anything is written.
//!
//! This mirrors `kafka-storage.sh format --ignore-formatted` (Kafka's
//! `MetaPropertiesEnsemble.verify` and `Formatter.doFormat`): directories without
//! `meta.properties` are formatted, formatted ones are skipped, and a stored cluster id or node
//! id that differs from the wanted one is an error. All problems are reported at once.

use crate::{ClusterId, MetaProperties, StorageError, StoredClusterId};

/// One log directory and the `meta.properties` found in it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirState {
    /// The directory, as configured in `log.dirs` or `metadata.log.dir`.
    pub path: String,
    /// Its parsed `meta.properties`, or `None` when the file does not exist.
    pub meta_properties: Option<MetaProperties>,
}

/// What to do with one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatDecision {
    /// No `meta.properties`: write `bootstrap.checkpoint` and `meta.properties`.
    Format,
    /// Already formatted for this cluster and node: leave every file as it is.
    SkipFormatted {
        /// The stored id is the `Some(<id>)` form of Kafka 3.7.0's image (KAFKA-16473). It is
        /// left as it is: the running cluster knows itself by that text, so rewriting it would
        /// split the cluster.
        kafka_16473_wrapped: bool,
    },
}

/// A directory and the decision for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDir {
    /// The directory.
    pub path: String,
    /// What to do with it.
    pub decision: FormatDecision,
}

/// Decides, for every directory, whether to format it; refuses (with every problem found) when
/// any directory belongs to another cluster or node or to a ZooKeeper-mode broker.
pub fn decide_format(
    dirs: &[LogDirState],
    cluster_id: &ClusterId,
    node_id: i32,
) -> Result<Vec<PlannedDir>, Vec<StorageError>> {
    let mut plan = Vec::with_capacity(dirs.len());
    let mut problems = Vec::new();
    for dir in dirs {
        let meta_path = format!("{}/meta.properties", dir.path.trim_end_matches('/'));
        let decision = match &dir.meta_properties {
            None => FormatDecision::Format,
            Some(meta) => match check_formatted(meta, &meta_path, cluster_id, node_id) {
                Ok(decision) => decision,
                Err(mut found) => {
                    problems.append(&mut found);
                    continue;
                }
            },
        };
        plan.push(PlannedDir {
            path: dir.path.clone(),
            decision,
        });
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

fn check_formatted(
    meta: &MetaProperties,
    meta_path: &str,
    cluster_id: &ClusterId,
    node_id: i32,
) -> Result<FormatDecision, Vec<StorageError>> {
    if meta.version == 0 {
        return Err(vec![StorageError::ZooKeeperMetaProperties {
            path: meta_path.to_owned(),
        }]);
    }
    let mut problems = Vec::new();
    let mut wrapped = false;
    match meta.stored_cluster_id() {
        Some(StoredClusterId::Plain(found)) if found == cluster_id.as_str() => {}
        Some(StoredClusterId::ScalaSome(inner)) if inner == cluster_id.as_str() => wrapped = true,
        _ => problems.push(StorageError::ClusterIdMismatch {
            path: meta_path.to_owned(),
            found: meta.cluster_id.clone().unwrap_or_default(),
            wanted: cluster_id.as_str().to_owned(),
        }),
    }
    match meta.node_id {
        Some(found) if found != node_id => problems.push(StorageError::NodeIdMismatch {
            path: meta_path.to_owned(),
            found,
            wanted: node_id,
        }),
        _ => {}
    }
    if problems.is_empty() {
        Ok(FormatDecision::SkipFormatted {
            kafka_16473_wrapped: wrapped,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Uuid;

    fn cluster(text: &str) -> ClusterId {
        ClusterId::parse(text).expect("valid cluster id")
    }

    fn formatted(cluster_id: &str, node_id: i32) -> Option<MetaProperties> {
        Some(MetaProperties {
            version: 1,
            cluster_id: Some(cluster_id.to_owned()),
            node_id: Some(node_id),
            directory_id: Some(Uuid::from_bytes([9; 16])),
        })
    }

    const ID: &str = "5L6g3nShT-eMCtK--X86sw";
    const OTHER: &str = "4L6g3nShT-eMCtK--X86sw";

    #[test]
    fn formats_empty_and_skips_formatted_dirs() {
        let dirs = [
            LogDirState {
                path: "/a".into(),
                meta_properties: None,
            },
            LogDirState {
                path: "/b".into(),
                meta_properties: formatted(ID, 1),
            },
        ];
        let plan = decide_format(&dirs, &cluster(ID), 1).expect("consistent");
        assert_eq!(plan[0].decision, FormatDecision::Format);
        assert_eq!(
            plan[1].decision,
            FormatDecision::SkipFormatted {
                kafka_16473_wrapped: false
            }
        );
    }

    #[test]
    fn refuses_to_reformat_other_cluster() {
        let dirs = [LogDirState {
            path: "/data/".into(),
            meta_properties: formatted(OTHER, 1),
        }];
        let problems = decide_format(&dirs, &cluster(ID), 1).expect_err("mismatch");
        assert_eq!(
            problems,
            [StorageError::ClusterIdMismatch {
                path: "/data/meta.properties".into(),
                found: OTHER.into(),
                wanted: ID.into(),
            }]
        );
        let message = problems[0].to_string();
        assert!(
            message.contains(OTHER)
                && message.contains(ID)
                && message.contains("/data/meta.properties")
        );
    }

    #[test]
    fn reports_every_problem_at_once() {
        let dirs = [
            LogDirState {
                path: "/a".into(),
                meta_properties: formatted(OTHER, 2),
            },
            LogDirState {
                path: "/b".into(),
                meta_properties: None,
            },
            LogDirState {
                path: "/c".into(),
                meta_properties: formatted(ID, 3),
            },
        ];
        let problems = decide_format(&dirs, &cluster(ID), 1).expect_err("mismatches");
        assert_eq!(problems.len(), 3);
        assert!(matches!(
            problems[2],
            StorageError::NodeIdMismatch {
                found: 3,
                wanted: 1,
                ..
            }
        ));
    }

    #[test]
    fn kafka_16473_wrapped_id_of_same_cluster_is_skipped_untouched() {
        // See: https://issues.apache.org/jira/browse/KAFKA-16473
        let dirs = [LogDirState {
            path: "/d".into(),
            meta_properties: formatted(&format!("Some({OTHER})"), 1),
        }];
        let plan = decide_format(&dirs, &cluster(OTHER), 1).expect("same cluster");
        assert_eq!(
            plan[0].decision,
            FormatDecision::SkipFormatted {
                kafka_16473_wrapped: true
            }
        );
        let problems = decide_format(&dirs, &cluster(ID), 1).expect_err("other cluster");
        assert!(
            matches!(&problems[0], StorageError::ClusterIdMismatch { found, .. } if found == &format!("Some({OTHER})"))
        );
    }

    #[test]
    fn refuses_zookeeper_mode_directories() {
        let dirs = [LogDirState {
            path: "/zk".into(),
            meta_properties: Some(MetaProperties {
                version: 0,
                cluster_id: Some(ID.into()),
                node_id: Some(1),
                directory_id: None,
            }),
        }];
        assert_eq!(
            decide_format(&dirs, &cluster(ID), 1),
            Err(vec![StorageError::ZooKeeperMetaProperties {
                path: "/zk/meta.properties".into()
            }])
        );
    }
}
