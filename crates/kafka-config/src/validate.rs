//! Checks of the merged `server.properties`: property names against the catalog of Kafka's
//! configs (a warning, or an error with `KAFKA_ENTRYPOINT_STRICT=true`, since plugins add their
//! own keys) and the KRaft sanity rules of SPEC §3.4. Every check runs; nothing stops at the
//! first problem.

use crate::error::{Problem, Source, Sources, Warning};
use crate::node::{Endpoint, NodeConfig, NodeError, Quorum};
use crate::properties::Properties;

/// The known config names to check keys against.
pub(crate) struct KeyCatalog {
    /// Whether Kafka knows `key`.
    pub(crate) is_known: fn(&str) -> bool,
    /// The known key closest to an unknown one.
    pub(crate) closest: fn(&str) -> Option<&'static str>,
}

/// Warns (or, when strict, fails) on keys from the environment or the mounted file that Kafka
/// does not know.
pub(crate) fn check_known_keys(
    sources: &Sources,
    strict: bool,
    catalog: &KeyCatalog,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) {
    let mut unknown: Vec<(&String, &Source)> = sources
        .iter()
        .filter(|(key, origin)| {
            !matches!(origin, Source::Default { .. } | Source::Secret { .. })
                && !(catalog.is_known)(key)
        })
        .collect();
    // Reported in key order, whatever the map's order.
    unknown.sort_unstable_by(|a, b| crate::byte_order::compare(a.0, b.0));
    let mut far_off = Vec::new();
    for (key, origin) in unknown {
        let suggestion = (catalog.closest)(key).map(str::to_owned);
        let (key, origin) = (key.clone(), origin.clone());
        if strict {
            problems.push(Problem::UnknownProperty {
                key,
                origin,
                suggestion,
            });
        } else if suggestion.is_some() {
            warnings.push(Warning::UnknownProperty {
                key,
                origin,
                suggestion,
            });
        } else {
            far_off.push((key, origin));
        }
    }
    if !far_off.is_empty() {
        warnings.push(Warning::UnknownProperties { keys: far_off });
    }
}

/// What [`check_kraft`] needs to know besides the final properties.
pub(crate) struct KraftContext<'a> {
    /// Where each key came from.
    pub(crate) sources: &'a Sources,
    /// What made setup leave the image's defaults out (a variable or the mounted file), when it
    /// did.
    pub(crate) defaults_dropped_by: Option<&'a str>,
    /// Whether `CLUSTER_ID` is set.
    pub(crate) cluster_id_set: bool,
}

/// The KRaft sanity rules: valid roles, `node.id` and listeners; every key a KRaft node needs
/// (reported together, with `CLUSTER_ID`, so one fix makes a working config); a controller
/// listening on its controller listener; no broker listener advertised by a controller-only
/// node; every listener name mapped to a security protocol. A node without `process.roles` is
/// checked as KRaft too, unless it sets `zookeeper.connect` (Kafka 3.x ZooKeeper mode).
/// `node` and `errors` are what [`NodeConfig::read`] gave for `properties`.
pub(crate) fn check_kraft(
    properties: &Properties,
    node: &NodeConfig,
    errors: Vec<NodeError>,
    context: &KraftContext<'_>,
    problems: &mut Vec<Problem>,
) {
    let origin = |key: &str| {
        context
            .sources
            .get(key)
            .cloned()
            .unwrap_or(Source::Default { path: "".into() })
    };
    for error in errors {
        let key = match &error {
            NodeError::InvalidRoles { .. } => "process.roles",
            NodeError::InvalidNodeId { .. } => {
                if properties.get("node.id").is_some() {
                    "node.id"
                } else {
                    "broker.id"
                }
            }
            NodeError::MalformedListener { key, .. } => key,
            NodeError::MalformedProtocolMap { .. } => "listener.security.protocol.map",
            NodeError::MalformedVoter { .. } => "controller.quorum.voters",
        };
        problems.push(Problem::InvalidNodeValue {
            error,
            origin: origin(key),
        });
    }
    if node.roles.is_none() && properties.get("zookeeper.connect").is_some() {
        return;
    }
    let controller = node.roles.is_none_or(|roles| roles.controller);
    let mut missing: Vec<&'static str> = Vec::new();
    if node.roles.is_none() {
        missing.push("process.roles");
    }
    if properties.get("node.id").is_none() && properties.get("broker.id").is_none() {
        missing.push("node.id");
    }
    if node.quorum == Quorum::Unset {
        missing.push("controller.quorum.voters");
    }
    if controller && !node.listeners_set {
        missing.push("listeners");
    }
    if node.controller_listener_names.is_empty() {
        missing.push("controller.listener.names");
    }
    if !missing.is_empty() {
        problems.push(Problem::KraftKeysMissing {
            keys: missing.iter().map(|key| (*key).to_owned()).collect(),
            cluster_id_missing: !context.cluster_id_set,
            defaults_dropped_by: context.defaults_dropped_by.map(str::to_owned),
        });
    }
    let has = |list: &[Endpoint], name: &str| list.iter().any(|e| e.name == name);
    if let Some(roles) = node.roles {
        if roles.controller && node.listeners_set {
            for name in &node.controller_listener_names {
                if !has(&node.listeners, name) {
                    problems.push(Problem::ControllerListenerNotListening { name: name.clone() });
                }
            }
        }
        if roles.controller_only() {
            for endpoint in &node.advertised_listeners {
                if !node.is_controller_listener(&endpoint.name) {
                    problems.push(Problem::ControllerAdvertisesListener {
                        name: endpoint.name.clone(),
                        origin: origin("advertised.listeners"),
                    });
                }
            }
        }
    }
    let named = node
        .listeners
        .iter()
        .filter(|_| node.listeners_set)
        .map(|e| ("listeners", &e.name))
        .chain(
            node.advertised_listeners
                .iter()
                .map(|e| ("advertised.listeners", &e.name)),
        )
        .chain(
            node.controller_listener_names
                .iter()
                .map(|n| ("controller.listener.names", n)),
        )
        .chain(
            node.inter_broker_listener_name
                .iter()
                .map(|n| ("inter.broker.listener.name", n)),
        );
    let mut reported: Vec<&str> = Vec::new();
    for (key, name) in named {
        if node.protocol_of(name).is_none() && !reported.contains(&name.as_str()) {
            reported.push(name);
            problems.push(Problem::ListenerNotMapped {
                name: name.clone(),
                key: key.to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft(text: &str) -> Vec<Problem> {
        let properties = Properties::parse(text).expect("valid");
        let sources = properties
            .iter()
            .map(|(k, _)| {
                (
                    k.to_owned(),
                    Source::Env {
                        env_var: crate::naming::env_var_for_key(k),
                    },
                )
            })
            .collect();
        let mut problems = Vec::new();
        let context = KraftContext {
            sources: &sources,
            defaults_dropped_by: None,
            cluster_id_set: true,
        };
        let (node, errors) = NodeConfig::read(&properties);
        check_kraft(&properties, &node, errors, &context, &mut problems);
        problems
    }

    const COMBINED: &str = "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\ncontroller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\nadvertised.listeners=PLAINTEXT://localhost:9092\nlistener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n";

    fn known(key: &str) -> bool {
        ["listeners", "node.id"].contains(&key)
    }

    fn closest(key: &str) -> Option<&'static str> {
        (key == "listenres").then_some("listeners")
    }

    fn check_keys(pairs: &[(&str, Source)], strict: bool) -> (Vec<Problem>, Vec<Warning>) {
        let sources = pairs
            .iter()
            .map(|(k, s)| ((*k).to_owned(), s.clone()))
            .collect();
        let (mut problems, mut warnings) = (Vec::new(), Vec::new());
        let catalog = KeyCatalog {
            is_known: known,
            closest,
        };
        check_known_keys(&sources, strict, &catalog, &mut problems, &mut warnings);
        (problems, warnings)
    }

    fn env(var: &str) -> Source {
        Source::Env {
            env_var: var.into(),
        }
    }

    #[test]
    fn unknown_env_key_warns_with_suggestion() {
        let (problems, warnings) = check_keys(
            &[
                ("listenres", env("KAFKA_LISTENRES")),
                ("node.id", env("KAFKA_NODE_ID")),
            ],
            false,
        );
        assert_eq!(problems, vec![]);
        assert_eq!(
            warnings,
            vec![Warning::UnknownProperty {
                key: "listenres".into(),
                origin: env("KAFKA_LISTENRES"),
                suggestion: Some("listeners".into())
            }]
        );
    }

    #[test]
    fn strict_turns_unknown_keys_into_errors() {
        let (problems, warnings) = check_keys(&[("plugin.thing", env("KAFKA_PLUGIN_THING"))], true);
        assert_eq!(warnings, vec![]);
        assert_eq!(
            problems,
            vec![Problem::UnknownProperty {
                key: "plugin.thing".into(),
                origin: env("KAFKA_PLUGIN_THING"),
                suggestion: None
            }]
        );
    }

    #[test]
    fn defaults_and_secrets_are_not_checked() {
        let (problems, warnings) = check_keys(
            &[
                ("odd.default", Source::Default { path: "/d".into() }),
                (
                    "odd.secret",
                    Source::Secret {
                        env_var: "KAFKA_SSL_KEY_CREDENTIALS".into(),
                    },
                ),
            ],
            true,
        );
        assert_eq!((problems, warnings), (vec![], vec![]));
    }

    #[test]
    fn combined_node_is_sane() {
        assert_eq!(kraft(COMBINED), vec![]);
    }

    #[test]
    fn process_roles_must_be_broker_or_controller() {
        let problems = kraft(&COMBINED.replace("broker,controller", "broker,zookeeper"));
        assert!(
            matches!(&problems[..], [Problem::InvalidNodeValue { error: NodeError::InvalidRoles { value }, .. }] if value == "broker,zookeeper")
        );
    }

    #[test]
    fn node_id_must_be_an_integer() {
        let problems = kraft(&COMBINED.replace("node.id=1", "node.id=one"));
        assert!(
            matches!(&problems[..], [Problem::InvalidNodeValue { error: NodeError::InvalidNodeId { value }, .. }] if value == "one")
        );
    }

    #[test]
    fn kraft_node_needs_node_id_quorum_and_controller_listener_at_once() {
        assert_eq!(
            kraft("process.roles=broker\n"),
            vec![Problem::KraftKeysMissing {
                keys: vec![
                    "node.id".into(),
                    "controller.quorum.voters".into(),
                    "controller.listener.names".into()
                ],
                cluster_id_missing: false,
                defaults_dropped_by: None,
            }]
        );
    }

    #[test]
    fn kraft_checks_run_without_process_roles_unless_zookeeper_mode() {
        let problems = kraft("num.partitions=3\n");
        assert!(
            matches!(&problems[..], [Problem::KraftKeysMissing { keys, .. }] if keys.len() == 5),
            "{problems:?}"
        );
        assert_eq!(kraft("zookeeper.connect=zk:2181\nbroker.id=1\n"), vec![]);
    }

    #[test]
    fn unknown_keys_without_a_close_match_share_one_warning() {
        let (_, warnings) = check_keys(
            &[
                ("my.plugin.a", env("KAFKA_MY_PLUGIN_A")),
                ("my.plugin.b", env("KAFKA_MY_PLUGIN_B")),
                ("listenres", env("KAFKA_LISTENRES")),
            ],
            false,
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(matches!(&warnings[1], Warning::UnknownProperties { keys } if keys.len() == 2));
    }

    #[test]
    fn controller_must_listen_on_its_controller_listener() {
        let problems = kraft(&COMBINED.replace(",CONTROLLER://:9093", ""));
        assert_eq!(
            problems,
            vec![Problem::ControllerListenerNotListening {
                name: "CONTROLLER".into()
            }]
        );
    }

    #[test]
    fn controller_only_node_must_not_advertise_broker_listeners() {
        let text = "process.roles=controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\ncontroller.listener.names=CONTROLLER\nlisteners=CONTROLLER://:9093\nadvertised.listeners=PLAINTEXT://localhost:9092\n";
        let problems = kraft(text);
        assert!(
            matches!(&problems[..], [Problem::ControllerAdvertisesListener { name, .. }] if name == "PLAINTEXT")
        );
    }

    #[test]
    fn listener_names_must_be_in_the_protocol_map() {
        let problems = kraft(&COMBINED.replace("PLAINTEXT://:9092", "INTERNAL://:9092"));
        assert_eq!(
            problems,
            vec![Problem::ListenerNotMapped {
                name: "INTERNAL".into(),
                key: "listeners".into()
            }]
        );
    }

    #[test]
    fn without_a_map_standard_names_and_controller_listeners_are_fine() {
        let text = COMBINED.replace(
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n",
            "",
        );
        assert_eq!(kraft(&text), vec![]);
    }

    #[test]
    fn malformed_listener_entries_are_reported() {
        let problems = kraft(&COMBINED.replace("PLAINTEXT://:9092,", "localhost:9092,"));
        assert!(
            matches!(&problems[..], [Problem::InvalidNodeValue { error: NodeError::MalformedListener { key: "listeners", entry }, .. }] if entry == "localhost:9092"),
            "{problems:?}"
        );
    }
}
