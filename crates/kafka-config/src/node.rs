//! The typed model of a node's configuration: the one parser of the keys that validation,
//! secrets, the health check and storage all need (roles, `node.id`, listeners with their
//! security protocols, controller listeners, log and metadata directories, the quorum).
//!
//! It reads them as Kafka does (`KafkaConfig`, `SocketServerConfigs.listenerListToEndPoints`,
//! `QuorumConfig.parseVoterConnections`), so every consumer sees the same answer:
//! - `node.id` is a Java `int`; a KRaft node needs it in `0..=2147483647`;
//! - listener and protocol-map names are case-insensitive (Kafka upper-cases them);
//! - a listener port is `0..=65535`; port 0 is valid for Kafka (it binds any free port), so the
//!   model accepts it and the health check, which must connect, refuses it;
//! - `listeners` defaults to `PLAINTEXT://:9092`, `log.dirs` to `log.dir`, then `/tmp/kafka-logs`;
//! - without `listener.security.protocol.map`, each protocol name maps to itself and (KRaft)
//!   every controller listener to `PLAINTEXT` (`effectiveListenerSecurityProtocolMap`).

use std::collections::BTreeMap;
use std::fmt;

use crate::properties::Properties;

/// Kafka's default `listeners` (`SocketServerConfigs.LISTENERS_DEFAULT`).
pub const DEFAULT_LISTENERS: &str = "PLAINTEXT://:9092";

/// Kafka's default log directory when neither `log.dirs` nor `log.dir` is set.
pub const DEFAULT_LOG_DIR: &str = "/tmp/kafka-logs";

/// Kafka's security protocols (`org.apache.kafka.common.security.auth.SecurityProtocol`),
/// ordered by the health check's preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityProtocol {
    /// `PLAINTEXT`.
    Plaintext,
    /// `SASL_PLAINTEXT`.
    SaslPlaintext,
    /// `SSL`.
    Ssl,
    /// `SASL_SSL`.
    SaslSsl,
}

impl SecurityProtocol {
    /// Every protocol, in preference order.
    pub const ALL: [Self; 4] = [
        Self::Plaintext,
        Self::SaslPlaintext,
        Self::Ssl,
        Self::SaslSsl,
    ];

    /// The protocol named `name` (case-insensitive, surrounding blanks ignored).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|protocol| protocol.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Kafka's name of the protocol.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Plaintext => "PLAINTEXT",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether the protocol runs over TLS.
    #[must_use]
    pub fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `NAME://host:port` entry of `listeners` or `advertised.listeners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The listener name, upper-cased as Kafka normalises it.
    pub name: String,
    /// The host as written, without IPv6 brackets; empty for "all interfaces".
    pub host: String,
    /// The port (0: any free port).
    pub port: u16,
}

/// The roles of `process.roles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles {
    /// `broker` is listed.
    pub broker: bool,
    /// `controller` is listed.
    pub controller: bool,
}

impl fmt::Display for Roles {
    /// The roles as `process.roles` lists them (`broker,controller`, `broker`, `controller`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [(self.broker, "broker"), (self.controller, "controller")]
            .into_iter()
            .filter_map(|(listed, name)| listed.then_some(name))
            .collect();
        f.write_str(&names.join(","))
    }
}

impl Roles {
    /// `process.roles` of `properties` as [`NodeConfig::read`] reads it, for a check that
    /// needs nothing else of the model; `None` when unset or invalid.
    #[must_use]
    pub fn of(properties: &Properties) -> Option<Self> {
        let mut errors = Vec::new();
        let roles = roles(properties.get("process.roles")?, &mut errors);
        errors.is_empty().then_some(roles)
    }

    /// A controller and not a broker.
    #[must_use]
    pub fn controller_only(self) -> bool {
        self.controller && !self.broker
    }
}

/// One `id@host:port` entry of `controller.quorum.voters`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    /// The voter's node id.
    pub id: i32,
    /// Its host.
    pub host: String,
    /// Its port.
    pub port: u16,
}

/// How the node finds the KRaft quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quorum {
    /// A static quorum: `controller.quorum.voters`.
    Voters(Vec<Voter>),
    /// A dynamic quorum (KIP-853): `controller.quorum.bootstrap.servers`.
    BootstrapServers(Vec<String>),
    /// Neither is set.
    Unset,
}

/// A key of the model whose value Kafka would refuse. Never holds a secret: these keys hold
/// none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// `process.roles` lists something other than `broker` and `controller`, or a role twice.
    #[error("`process.roles` is `{value}`; it must list `broker` and/or `controller`")]
    InvalidRoles {
        /// The value.
        value: String,
    },
    /// `node.id` is not an integer in `0..=2147483647`.
    #[error("`node.id` is `{value}`, not an integer from 0 to 2147483647")]
    InvalidNodeId {
        /// The value.
        value: String,
    },
    /// A listener entry that is not `NAME://host:port` with a port from 0 to 65535.
    #[error("`{key}` entry `{entry}` is not `NAME://host:port`")]
    MalformedListener {
        /// The key.
        key: &'static str,
        /// The entry.
        entry: String,
    },
    /// A `listener.security.protocol.map` entry that is not `NAME:PROTOCOL`.
    #[error(
        "`listener.security.protocol.map` entry `{entry}` is not `NAME:PROTOCOL` with PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL"
    )]
    MalformedProtocolMap {
        /// The entry.
        entry: String,
    },
    /// A `controller.quorum.voters` entry that is not `id@host:port`.
    #[error("`controller.quorum.voters` entry `{entry}` is not `id@host:port`")]
    MalformedVoter {
        /// The entry.
        entry: String,
    },
}

/// The typed configuration of one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// `process.roles`; `None` when unset (ZooKeeper mode in Kafka 3.x, refused by 4.x).
    pub roles: Option<Roles>,
    /// `node.id` (falls back to `broker.id`, as Kafka's synonym).
    pub node_id: Option<i32>,
    /// `listeners`, or Kafka's default.
    pub listeners: Vec<Endpoint>,
    /// Whether `listeners` is set.
    pub listeners_set: bool,
    /// `advertised.listeners`.
    pub advertised_listeners: Vec<Endpoint>,
    /// `controller.listener.names`, upper-cased.
    pub controller_listener_names: Vec<String>,
    /// `inter.broker.listener.name`, upper-cased.
    pub inter_broker_listener_name: Option<String>,
    /// The effective listener name → protocol map.
    pub protocol_map: BTreeMap<String, SecurityProtocol>,
    /// Whether `listener.security.protocol.map` is set.
    pub protocol_map_set: bool,
    /// `log.dirs`, else `log.dir`, else Kafka's default; without duplicates, in order.
    pub log_dirs: Vec<String>,
    /// Whether `log.dirs` or `log.dir` is set.
    pub log_dirs_set: bool,
    /// `metadata.log.dir`.
    pub metadata_log_dir: Option<String>,
    /// The quorum.
    pub quorum: Quorum,
    /// `inter.broker.protocol.version`, when set: Kafka 3.x formats storage with the
    /// `metadata.version` it implies.
    pub inter_broker_protocol_version: Option<String>,
}

fn comma_list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// Splits `host:port`, `[v6]:port` or `:port` as Kafka's listener syntax allows.
fn host_port(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    if host.contains(['/', '@', ' ']) || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((host.to_owned(), port.parse().ok()?))
}

fn endpoints(key: &'static str, value: &str, errors: &mut Vec<NodeError>) -> Vec<Endpoint> {
    comma_list(value)
        .filter_map(|entry| {
            let parsed = entry.split_once("://").and_then(|(name, address)| {
                let name = name.trim();
                let (host, port) = host_port(address.trim())?;
                (!name.is_empty()).then(|| Endpoint {
                    name: name.to_ascii_uppercase(),
                    host,
                    port,
                })
            });
            if parsed.is_none() {
                errors.push(NodeError::MalformedListener {
                    key,
                    entry: entry.to_owned(),
                });
            }
            parsed
        })
        .collect()
}

/// Parses a `node.id`-like value as a Java `int` that a KRaft node may use.
#[must_use]
pub fn parse_node_id(value: &str) -> Option<i32> {
    value.trim().parse::<i32>().ok().filter(|id| *id >= 0)
}

fn roles(value: &str, errors: &mut Vec<NodeError>) -> Roles {
    let mut roles = Roles::default();
    let mut valid = true;
    for role in comma_list(value) {
        let seen = match role {
            "broker" => std::mem::replace(&mut roles.broker, true),
            "controller" => std::mem::replace(&mut roles.controller, true),
            _ => true,
        };
        valid &= !seen;
    }
    if !valid || !(roles.broker || roles.controller) {
        errors.push(NodeError::InvalidRoles {
            value: value.to_owned(),
        });
    }
    roles
}

fn quorum(properties: &Properties, errors: &mut Vec<NodeError>) -> Quorum {
    let voters = properties
        .get("controller.quorum.voters")
        .filter(|v| !v.trim().is_empty());
    if let Some(voters) = voters {
        return Quorum::Voters(
            comma_list(voters)
                .filter_map(|entry| {
                    let parsed = entry.split_once('@').and_then(|(id, address)| {
                        let (host, port) = host_port(address)?;
                        Some(Voter {
                            id: parse_node_id(id)?,
                            host,
                            port,
                        })
                    });
                    if parsed.is_none() {
                        errors.push(NodeError::MalformedVoter {
                            entry: entry.to_owned(),
                        });
                    }
                    parsed
                })
                .collect(),
        );
    }
    match properties
        .get("controller.quorum.bootstrap.servers")
        .filter(|v| !v.trim().is_empty())
    {
        Some(servers) => Quorum::BootstrapServers(comma_list(servers).map(str::to_owned).collect()),
        None => Quorum::Unset,
    }
}

impl NodeConfig {
    /// Reads the model from a final `server.properties`, with every value Kafka would refuse.
    /// The model is complete either way (a refused value is left out), so callers that report
    /// all problems at once can go on checking.
    #[must_use]
    pub fn read(properties: &Properties) -> (Self, Vec<NodeError>) {
        let mut errors = Vec::new();
        let roles = properties
            .get("process.roles")
            .map(|value| roles(value, &mut errors));
        let node_id = match properties
            .get("node.id")
            .or_else(|| properties.get("broker.id"))
        {
            Some(value) => {
                let id = parse_node_id(value);
                if id.is_none() {
                    errors.push(NodeError::InvalidNodeId {
                        value: value.to_owned(),
                    });
                }
                id
            }
            None => None,
        };
        let listeners_value = properties.get("listeners");
        let listeners = endpoints(
            "listeners",
            listeners_value.unwrap_or(DEFAULT_LISTENERS),
            &mut errors,
        );
        let advertised_listeners = endpoints(
            "advertised.listeners",
            properties.get("advertised.listeners").unwrap_or_default(),
            &mut errors,
        );
        let controller_listener_names: Vec<String> = comma_list(
            properties
                .get("controller.listener.names")
                .unwrap_or_default(),
        )
        .map(str::to_ascii_uppercase)
        .collect();
        let inter_broker_listener_name = properties
            .get("inter.broker.listener.name")
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_ascii_uppercase);
        let map_value = properties.get("listener.security.protocol.map");
        let mut protocol_map = BTreeMap::new();
        match map_value {
            Some(value) => {
                for entry in comma_list(value) {
                    let parsed = entry.split_once(':').and_then(|(name, protocol)| {
                        let name = name.trim();
                        (!name.is_empty())
                            .then(|| SecurityProtocol::parse(protocol))
                            .flatten()
                            .map(|protocol| (name.to_ascii_uppercase(), protocol))
                    });
                    match parsed {
                        Some((name, protocol)) => {
                            protocol_map.insert(name, protocol);
                        }
                        None => errors.push(NodeError::MalformedProtocolMap {
                            entry: entry.to_owned(),
                        }),
                    }
                }
            }
            None => {
                for protocol in SecurityProtocol::ALL {
                    protocol_map.insert(protocol.name().to_owned(), protocol);
                }
                if roles.is_some() {
                    for name in &controller_listener_names {
                        protocol_map
                            .entry(name.clone())
                            .or_insert(SecurityProtocol::Plaintext);
                    }
                }
            }
        }
        let dirs_value = properties
            .get("log.dirs")
            .or_else(|| properties.get("log.dir"));
        let mut log_dirs: Vec<String> = Vec::new();
        for dir in comma_list(dirs_value.unwrap_or(DEFAULT_LOG_DIR)) {
            if !log_dirs.iter().any(|known| known == dir) {
                log_dirs.push(dir.to_owned());
            }
        }
        let metadata_log_dir = properties
            .get("metadata.log.dir")
            .map(str::trim)
            .filter(|dir| !dir.is_empty())
            .map(str::to_owned);
        let quorum = quorum(properties, &mut errors);
        let inter_broker_protocol_version = properties
            .get("inter.broker.protocol.version")
            .map(str::to_owned);
        let model = Self {
            roles,
            node_id,
            listeners,
            listeners_set: listeners_value.is_some(),
            advertised_listeners,
            controller_listener_names,
            inter_broker_listener_name,
            protocol_map,
            protocol_map_set: map_value.is_some(),
            log_dirs,
            log_dirs_set: dirs_value.is_some(),
            metadata_log_dir,
            quorum,
            inter_broker_protocol_version,
        };
        (model, errors)
    }

    /// The model, or every value Kafka would refuse.
    ///
    /// # Errors
    /// The refused values, in key order of [`NodeConfig::read`].
    pub fn parse(properties: &Properties) -> Result<Self, Vec<NodeError>> {
        let (model, errors) = Self::read(properties);
        if errors.is_empty() {
            Ok(model)
        } else {
            Err(errors)
        }
    }

    /// The security protocol of listener `name` (upper-case), if the map has it.
    #[must_use]
    pub fn protocol_of(&self, name: &str) -> Option<SecurityProtocol> {
        self.protocol_map.get(name).copied()
    }

    /// Whether `name` is a controller listener.
    #[must_use]
    pub fn is_controller_listener(&self, name: &str) -> bool {
        self.controller_listener_names.iter().any(|n| n == name)
    }

    /// The directory of the cluster metadata log: `metadata.log.dir`, else the first log dir.
    #[must_use]
    pub fn metadata_dir(&self) -> &str {
        self.metadata_log_dir
            .as_deref()
            .or(self.log_dirs.first().map(String::as_str))
            .unwrap_or(DEFAULT_LOG_DIR)
    }

    /// Every directory `kafka-storage format` formats: the log dirs and the metadata dir, once
    /// each, sorted as `StorageTool.configToLogDirectories` sorts them (a `TreeSet`).
    #[must_use]
    pub fn storage_dirs(&self) -> Vec<&str> {
        let mut dirs: Vec<&str> = self.log_dirs.iter().map(String::as_str).collect();
        dirs.push(self.metadata_dir());
        dirs.sort_unstable();
        dirs.dedup();
        dirs
    }

    /// Whether `controller.quorum.voters` lists a static quorum.
    #[must_use]
    pub fn has_static_voters(&self) -> bool {
        matches!(self.quorum, Quorum::Voters(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (NodeConfig, Vec<NodeError>) {
        NodeConfig::read(&Properties::parse(text).expect("valid properties"))
    }

    #[test]
    fn combined_node_reads_every_key() {
        let (node, errors) = read(
            "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\ncontroller.listener.names=controller\nlisteners=PLAINTEXT://:9092,CONTROLLER://[::1]:9093\nadvertised.listeners=PLAINTEXT://kafka:9092\nlog.dirs=/a, /b,/a\nmetadata.log.dir=/m\n",
        );
        assert_eq!(errors, vec![]);
        assert_eq!(
            node.roles,
            Some(Roles {
                broker: true,
                controller: true
            })
        );
        assert_eq!(node.node_id, Some(1));
        assert_eq!(node.listeners[1].host, "::1");
        assert_eq!(node.listeners[1].port, 9093);
        assert_eq!(node.controller_listener_names, ["CONTROLLER"]);
        assert_eq!(
            node.protocol_of("CONTROLLER"),
            Some(SecurityProtocol::Plaintext)
        );
        assert_eq!(node.log_dirs, ["/a", "/b"]);
        assert_eq!(node.storage_dirs(), ["/a", "/b", "/m"]);
        assert_eq!(node.roles.expect("set").to_string(), "broker,controller");
        let roles = |text: &str| Roles::of(&Properties::parse(text).expect("valid"));
        assert_eq!(
            roles("process.roles= controller\n").map(Roles::controller_only),
            Some(true)
        );
        assert_eq!(roles("process.roles=controller,zookeeper\n"), None);
        assert_eq!(roles(""), None);
        assert_eq!(
            node.quorum,
            Quorum::Voters(vec![Voter {
                id: 1,
                host: "localhost".into(),
                port: 9093
            }])
        );
    }

    #[test]
    fn node_id_is_a_non_negative_java_int() {
        for (value, id) in [
            ("0", Some(0)),
            (" 7 ", Some(7)),
            ("2147483647", Some(i32::MAX)),
            ("2147483648", None),
            ("-1", None),
            ("one", None),
        ] {
            assert_eq!(parse_node_id(value), id, "{value}");
        }
        let (_, errors) = read("node.id=4294967295\n");
        assert_eq!(
            errors,
            vec![NodeError::InvalidNodeId {
                value: "4294967295".into()
            }]
        );
    }

    #[test]
    fn port_zero_is_a_valid_listener_port() {
        let (node, errors) = read("listeners=PLAINTEXT://:0\n");
        assert_eq!(errors, vec![]);
        assert_eq!(node.listeners[0].port, 0);
    }

    #[test]
    fn storage_dirs_are_log_dirs_then_metadata_dir_sorted_as_kafka_sorts_them() {
        let dirs = |text: &str| {
            let (node, _) = read(text);
            let dirs: Vec<String> = node.storage_dirs().into_iter().map(str::to_owned).collect();
            (dirs, node.metadata_dir().to_owned())
        };
        assert_eq!(
            dirs("log.dir=/x\nlog.dirs=/b, /a,,/b\nmetadata.log.dir=/m\n"),
            (vec!["/a".into(), "/b".into(), "/m".into()], "/m".into())
        );
        assert_eq!(dirs("log.dir=/x\n"), (vec!["/x".into()], "/x".into()));
        assert_eq!(
            dirs("log.dirs= /b ,/a\n"),
            (vec!["/a".into(), "/b".into()], "/b".into())
        );
        assert_eq!(
            dirs(""),
            (vec![DEFAULT_LOG_DIR.into()], DEFAULT_LOG_DIR.into())
        );
    }

    #[test]
    fn defaults_are_kafkas() {
        let (node, errors) = read("");
        assert_eq!(errors, vec![]);
        assert_eq!(node.listeners[0].name, "PLAINTEXT");
        assert_eq!(node.listeners[0].port, 9092);
        assert!(!node.listeners_set);
        assert_eq!(node.log_dirs, [DEFAULT_LOG_DIR]);
        assert!(!node.log_dirs_set);
        assert_eq!(node.quorum, Quorum::Unset);
        assert_eq!(node.roles, None);
    }

    #[test]
    fn bad_values_are_all_reported() {
        let (_, errors) = read(
            "process.roles=broker,broker\nlisteners=localhost:9092,A://h:99999\nlistener.security.protocol.map=A:TLS\ncontroller.quorum.voters=x@h:1\n",
        );
        assert_eq!(errors.len(), 5, "{errors:?}");
    }

    #[test]
    fn controller_listeners_map_to_plaintext_only_without_an_explicit_map() {
        let (node, _) = read("process.roles=controller\ncontroller.listener.names=C\n");
        assert_eq!(node.protocol_of("C"), Some(SecurityProtocol::Plaintext));
        let (node, _) = read(
            "process.roles=controller\ncontroller.listener.names=C\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT\n",
        );
        assert_eq!(node.protocol_of("C"), None);
    }
}

#[cfg(test)]
mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_values_of_the_model_keys_read_without_panic(
            values in proptest::collection::vec("[ -~]{0,40}", 9),
        ) {
            let keys = [
                "process.roles", "node.id", "listeners", "advertised.listeners",
                "controller.listener.names", "listener.security.protocol.map", "log.dirs",
                "controller.quorum.voters", "controller.quorum.bootstrap.servers",
            ];
            let mut properties = Properties::new();
            for (key, value) in keys.iter().zip(&values) {
                properties.set(key, value);
            }
            let (node, _) = NodeConfig::read(&properties);
            prop_assert!(!node.storage_dirs().is_empty());
        }
    }
}
