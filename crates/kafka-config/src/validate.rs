//! Checks of the merged `server.properties`: property names against the catalog of Kafka's
//! configs (a warning, or an error with `KAFKA_ENTRYPOINT_STRICT=true`, since plugins add their
//! own keys) and the KRaft sanity rules of SPEC §3.4. Every check runs; nothing stops at the
//! first problem.

use std::collections::BTreeMap;

use crate::error::{Problem, Source, Warning};
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
    sources: &BTreeMap<String, Source>,
    strict: bool,
    catalog: &KeyCatalog,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) {
    for (key, origin) in sources {
        if matches!(origin, Source::Default { .. } | Source::Secret { .. })
            || (catalog.is_known)(key)
        {
            continue;
        }
        let suggestion = (catalog.closest)(key).map(str::to_owned);
        let (key, origin) = (key.clone(), origin.clone());
        if strict {
            problems.push(Problem::UnknownProperty {
                key,
                origin,
                suggestion,
            });
        } else {
            warnings.push(Warning::UnknownProperty {
                key,
                origin,
                suggestion,
            });
        }
    }
}

/// The listener names of a `listeners`-style value, upper-cased as Kafka normalises them.
fn listener_names(key: &str, value: &str, problems: &mut Vec<Problem>) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| match entry.split_once("://") {
            Some((name, _)) if !name.trim().is_empty() => Some(name.trim().to_uppercase()),
            _ => {
                problems.push(Problem::MalformedListener {
                    key: key.to_owned(),
                    entry: entry.to_owned(),
                });
                None
            }
        })
        .collect()
}

fn name_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|name| name.trim().to_uppercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The KRaft sanity rules: `process.roles` values, `node.id` an integer, a controller listener,
/// no broker listener advertised by a controller-only node, every listener name mapped to a
/// security protocol.
pub(crate) fn check_kraft(
    properties: &Properties,
    sources: &BTreeMap<String, Source>,
    problems: &mut Vec<Problem>,
) {
    let origin = |key: &str| {
        sources.get(key).cloned().unwrap_or(Source::Default {
            path: String::new(),
        })
    };
    let listeners = listener_names(
        "listeners",
        properties.get("listeners").unwrap_or_default(),
        problems,
    );
    let advertised = listener_names(
        "advertised.listeners",
        properties.get("advertised.listeners").unwrap_or_default(),
        problems,
    );
    let controllers = name_list(properties.get("controller.listener.names"));

    if let Some(node_id) = properties.get("node.id")
        && node_id.trim().parse::<u32>().is_err()
    {
        problems.push(Problem::InvalidNodeId {
            value: node_id.to_owned(),
            origin: origin("node.id"),
        });
    }

    if let Some(roles_value) = properties.get("process.roles") {
        let roles: Vec<&str> = roles_value
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        let valid = !roles.is_empty()
            && roles.iter().all(|r| matches!(*r, "broker" | "controller"))
            && !(roles.len() == 2 && roles[0] == roles[1])
            && roles.len() <= 2;
        if !valid {
            problems.push(Problem::InvalidProcessRoles {
                value: roles_value.to_owned(),
                origin: origin("process.roles"),
            });
        }
        if properties.get("node.id").is_none() && properties.get("broker.id").is_none() {
            problems.push(Problem::NodeIdMissing);
        }
        if controllers.is_empty() {
            problems.push(Problem::ControllerListenerMissing);
        }
        if roles.contains(&"controller") {
            for name in &controllers {
                if !listeners.contains(name) {
                    problems.push(Problem::ControllerListenerNotListening { name: name.clone() });
                }
            }
            if valid && roles == ["controller"] {
                for name in &advertised {
                    if !controllers.contains(name) {
                        problems.push(Problem::ControllerAdvertisesListener {
                            name: name.clone(),
                            origin: origin("advertised.listeners"),
                        });
                    }
                }
            }
        }
    }

    let named: Vec<(&str, String)> = listeners
        .into_iter()
        .map(|n| ("listeners", n))
        .chain(advertised.into_iter().map(|n| ("advertised.listeners", n)))
        .chain(
            controllers
                .iter()
                .cloned()
                .map(|n| ("controller.listener.names", n)),
        )
        .chain(
            name_list(properties.get("inter.broker.listener.name"))
                .into_iter()
                .map(|n| ("inter.broker.listener.name", n)),
        )
        .collect();
    let mapped: Vec<String> = match properties.get("listener.security.protocol.map") {
        Some(map) => map
            .split(',')
            .filter_map(|pair| pair.split_once(':'))
            .map(|(name, _)| name.trim().to_uppercase())
            .collect(),
        // Kafka's default map, plus controller listeners, which Kafka maps to PLAINTEXT when the
        // map is not set explicitly.
        None => ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain(controllers.iter().cloned())
            .collect(),
    };
    let mut reported: Vec<&str> = Vec::new();
    for (key, name) in &named {
        if !mapped.contains(name) && !reported.contains(&name.as_str()) {
            reported.push(name);
            problems.push(Problem::ListenerNotMapped {
                name: name.clone(),
                key: (*key).to_owned(),
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
        check_kraft(&properties, &sources, &mut problems);
        problems
    }

    const COMBINED: &str = "process.roles=broker,controller\nnode.id=1\ncontroller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\nadvertised.listeners=PLAINTEXT://localhost:9092\nlistener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n";

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
            matches!(&problems[..], [Problem::InvalidProcessRoles { value, .. }] if value == "broker,zookeeper")
        );
    }

    #[test]
    fn node_id_must_be_an_integer() {
        let problems = kraft(&COMBINED.replace("node.id=1", "node.id=one"));
        assert!(matches!(&problems[..], [Problem::InvalidNodeId { value, .. }] if value == "one"));
    }

    #[test]
    fn kraft_node_needs_node_id_and_controller_listener() {
        assert_eq!(
            kraft("process.roles=broker\n"),
            vec![Problem::NodeIdMissing, Problem::ControllerListenerMissing]
        );
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
        let text = "process.roles=controller\nnode.id=1\ncontroller.listener.names=CONTROLLER\nlisteners=CONTROLLER://:9093\nadvertised.listeners=PLAINTEXT://localhost:9092\n";
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
        let problems = kraft("listeners=localhost:9092\n");
        assert_eq!(
            problems,
            vec![Problem::MalformedListener {
                key: "listeners".into(),
                entry: "localhost:9092".into()
            }]
        );
    }
}
