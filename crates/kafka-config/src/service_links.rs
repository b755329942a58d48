//! Variables that Kubernetes Services and Docker links inject, which look like `KAFKA_*`
//! property variables but are not Kafka settings.
//!
//! A Kubernetes Service named `kafka` (or `kafka-ui`, any name that starts with `kafka`) gives
//! every pod of its namespace `KAFKA_SERVICE_HOST=10.0.0.1`, `KAFKA_SERVICE_PORT=9092`,
//! `KAFKA_SERVICE_PORT_<PORT NAME>=9092`, `KAFKA_PORT=tcp://10.0.0.1:9092` and
//! `KAFKA_PORT_9092_TCP`, `_TCP_ADDR`, `_TCP_PORT`, `_TCP_PROTO` (Docker's link variables, which
//! Kubernetes copies). A Docker link with the alias `kafka` gives the `KAFKA_PORT*` ones,
//! `KAFKA_NAME=/web/kafka` and `KAFKA_ENV_<NAME>` for each variable of the linked container.
//! Mapped as properties they would give `port=tcp://…`, `service.host=…` and the like.
//!
//! A variable is recognised only by the shape its injector gives it, anchored on the variable
//! every injection has: `<SERVICE>_PORT=tcp://host:port` (or `udp://`, `sctp://`) for the
//! `_PORT_*` family, `<SERVICE>_SERVICE_HOST=<IP address>` for the `_SERVICE_PORT*` family and
//! `<SERVICE>_NAME=/container/alias` for `_ENV_*`; and never when it maps to a key in Kafka's
//! catalog, so a real setting keeps working (Kafka has had no `port` key since 3.0).

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::catalog;
use crate::env_vars;
use crate::naming::key_from_env_suffix;

/// The protocols of link URLs (`tcp://10.0.0.1:9092`) and of `_PROTO` values.
const PROTOCOLS: [&str; 3] = ["tcp", "udp", "sctp"];

/// The names among `vars` that a Kubernetes Service or a Docker link injected, sorted.
///
/// ```
/// use kafka_config::service_links::service_link_vars;
/// let vars = [
///     ("KAFKA_PORT", "tcp://10.0.0.1:9092"),
///     ("KAFKA_PORT_9092_TCP_PORT", "9092"),
///     ("KAFKA_NODE_ID", "1"),
/// ];
/// assert_eq!(service_link_vars(vars), ["KAFKA_PORT", "KAFKA_PORT_9092_TCP_PORT"]);
/// ```
#[must_use]
pub fn service_link_vars<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let vars: Vec<(&str, &str)> = vars
        .into_iter()
        .filter(|(name, _)| is_service_prefix(name))
        .collect();
    let anchors = |suffix: &str, shape: fn(&str) -> bool| -> BTreeSet<&str> {
        vars.iter()
            .filter_map(|(name, value)| {
                let service = name.strip_suffix(suffix)?;
                (is_service_prefix(service) && shape(value)).then_some(service)
            })
            .collect()
    };
    let link_ports = anchors("_PORT", is_link_url);
    let service_hosts = anchors("_SERVICE_HOST", |value| value.parse::<IpAddr>().is_ok());
    let link_names = anchors("_NAME", is_link_name);

    let mut injected: BTreeSet<String> = BTreeSet::new();
    for (name, value) in &vars {
        let recognised = link_ports.iter().any(|service| {
            name.strip_prefix(*service).is_some_and(|rest| {
                rest == "_PORT"
                    || rest
                        .strip_prefix("_PORT_")
                        .is_some_and(|port| is_link_port_var(port, value))
            })
        }) || service_hosts.iter().any(|service| {
            name.strip_prefix(*service).is_some_and(|rest| {
                rest == "_SERVICE_HOST"
                    || ((rest == "_SERVICE_PORT" || rest.starts_with("_SERVICE_PORT_"))
                        && is_port_number(value))
            })
        }) || link_names.iter().any(|service| {
            name.strip_prefix(*service)
                .is_some_and(|rest| rest == "_NAME" || rest.starts_with("_ENV_"))
        });
        if recognised && !maps_to_known_key(name) {
            injected.insert((*name).to_owned());
        }
    }
    injected.into_iter().collect()
}

/// `KAFKA` or `KAFKA_<more>`: the variable prefix of a Service or link alias starting with
/// `kafka` (Kubernetes upper-cases the name and turns `-` into `_`).
fn is_service_prefix(name: &str) -> bool {
    name == "KAFKA" || name.starts_with(env_vars::KAFKA_PREFIX)
}

/// `tcp://10.0.0.1:9092`: a protocol, a host and a port number.
fn is_link_url(value: &str) -> bool {
    PROTOCOLS.iter().any(|protocol| {
        value
            .strip_prefix(protocol)
            .and_then(|rest| rest.strip_prefix("://"))
            .and_then(|address| address.rsplit_once(':'))
            .is_some_and(|(host, port)| !host.is_empty() && is_port_number(port))
    })
}

/// `/web/kafka`: Docker's `<container>/<alias>` path of a link.
fn is_link_name(value: &str) -> bool {
    value
        .strip_prefix('/')
        .is_some_and(|path| path.split('/').count() >= 2 && !path.split('/').any(str::is_empty))
}

fn is_port_number(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) && value.parse::<u16>().is_ok()
}

/// After `<SERVICE>_PORT_`: `9092_TCP` with a link URL, or `9092_TCP_ADDR`, `_PORT`, `_PROTO`
/// (and Docker's `_START`, `_END`, `_PORT_START`, `_PORT_END` of a port range).
fn is_link_port_var(rest: &str, value: &str) -> bool {
    let Some((port, rest)) = rest.split_once('_') else {
        return false;
    };
    if !is_port_number(port) {
        return false;
    }
    let (protocol, field) = rest.split_once('_').unwrap_or((rest, ""));
    if !PROTOCOLS.contains(&protocol.to_ascii_lowercase().as_str())
        || protocol.bytes().any(|b| b.is_ascii_lowercase())
    {
        return false;
    }
    match field {
        "" | "START" | "END" => is_link_url(value),
        "PORT" | "PORT_START" | "PORT_END" => is_port_number(value),
        "PROTO" => PROTOCOLS.contains(&value),
        "ADDR" => !value.is_empty(),
        _ => false,
    }
}

/// Whether `name` maps to a key Kafka knows (then it is a setting, whatever its value).
fn maps_to_known_key(name: &str) -> bool {
    name.strip_prefix(env_vars::KAFKA_PREFIX)
        .and_then(|suffix| key_from_env_suffix(suffix).ok())
        .is_some_and(|key| catalog::is_known(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a Kubernetes Service `kafka` with a port named `broker` injects.
    const KUBERNETES: &[(&str, &str)] = &[
        ("KAFKA_PORT", "tcp://10.0.0.1:9092"),
        ("KAFKA_PORT_9092_TCP", "tcp://10.0.0.1:9092"),
        ("KAFKA_PORT_9092_TCP_ADDR", "10.0.0.1"),
        ("KAFKA_PORT_9092_TCP_PORT", "9092"),
        ("KAFKA_PORT_9092_TCP_PROTO", "tcp"),
        ("KAFKA_SERVICE_HOST", "10.0.0.1"),
        ("KAFKA_SERVICE_PORT", "9092"),
        ("KAFKA_SERVICE_PORT_BROKER", "9092"),
    ];

    fn names(vars: &[(&str, &str)]) -> Vec<String> {
        vars.iter().map(|(name, _)| (*name).to_owned()).collect()
    }

    fn with_settings(vars: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut all = vec![
            ("KAFKA_NODE_ID", "1"),
            ("KAFKA_LISTENERS", "PLAINTEXT://:9092"),
            ("KAFKA_LOG_DIRS", "/var/lib/kafka/data"),
            ("PATH", "/usr/bin"),
        ];
        all.extend_from_slice(vars);
        all
    }

    fn found(vars: &[(&str, &str)]) -> Vec<String> {
        service_link_vars(vars.iter().copied())
    }

    #[test]
    fn a_kubernetes_service_named_kafka_is_recognised_whole() {
        let mut expected = names(KUBERNETES);
        expected.sort();
        assert_eq!(found(&with_settings(KUBERNETES)), expected);
    }

    #[test]
    fn a_service_whose_name_starts_with_kafka_is_recognised() {
        let vars = [
            ("KAFKA_UI_PORT", "tcp://10.0.0.7:8080"),
            ("KAFKA_UI_PORT_8080_TCP_PORT", "8080"),
            ("KAFKA_UI_SERVICE_HOST", "fd00::7"),
            ("KAFKA_UI_SERVICE_PORT_HTTP", "8080"),
        ];
        assert_eq!(found(&with_settings(&vars)).len(), 4);
    }

    #[test]
    fn a_docker_link_is_recognised_with_its_env_copies() {
        let vars = [
            ("KAFKA_NAME", "/client/kafka"),
            ("KAFKA_ENV_KAFKA_NODE_ID", "1"),
            ("KAFKA_PORT", "tcp://172.17.0.2:9092"),
            ("KAFKA_PORT_9092_TCP", "tcp://172.17.0.2:9092"),
            ("KAFKA_PORT_9092_TCP_START", "tcp://172.17.0.2:9092"),
            ("KAFKA_PORT_9092_TCP_PORT_END", "9093"),
        ];
        assert_eq!(found(&with_settings(&vars)), {
            let mut expected = names(&vars);
            expected.sort();
            expected
        });
    }

    #[test]
    fn settings_are_never_taken_for_service_links() {
        assert!(found(&with_settings(&[])).is_empty());
        // Without the anchor's shape nothing is a link variable: the user meant these.
        let meant = [
            ("KAFKA_PORT", "9092"),
            ("KAFKA_PORT_9092_TCP_PORT", "9092"),
            ("KAFKA_SERVICE_PORT", "9092"),
            ("KAFKA_SERVICE_HOST", "kafka.example.com"),
            ("KAFKA_NAME", "broker-1"),
            ("KAFKA_ENV_X", "y"),
        ];
        assert!(found(&meant).is_empty());
    }

    #[test]
    fn a_catalog_key_of_link_shape_stays_a_setting() {
        // A Docker link aliased `kafka-sasl-kerberos-service` would inject
        // `KAFKA_SASL_KERBEROS_SERVICE_NAME`, but that is `sasl.kerberos.service.name`, a real
        // key: it stays a setting, whatever its value; the link's other variables go.
        let vars = [
            ("KAFKA_SASL_KERBEROS_SERVICE_NAME", "/web/kerberos"),
            ("KAFKA_SASL_KERBEROS_SERVICE_ENV_REALM", "EXAMPLE.COM"),
        ];
        assert_eq!(found(&vars), ["KAFKA_SASL_KERBEROS_SERVICE_ENV_REALM"]);
        assert!(!maps_to_known_key("KAFKA_PORT"));
        assert!(!maps_to_known_key("KAFKA_SERVICE_HOST"));
    }

    #[test]
    fn link_shapes() {
        assert!(is_link_url("tcp://10.0.0.1:9092"));
        assert!(is_link_url("udp://[fd00::1]:53"));
        assert!(!is_link_url("tcp://:9092"));
        assert!(!is_link_url("http://10.0.0.1:9092"));
        assert!(!is_link_url("tcp://10.0.0.1:port"));
        assert!(is_link_name("/web/kafka"));
        assert!(!is_link_name("/kafka"));
        assert!(!is_link_name("web/kafka"));
        assert!(is_link_port_var("9092_TCP_PROTO", "tcp"));
        assert!(!is_link_port_var("9092_tcp_PROTO", "tcp"));
        assert!(!is_link_port_var("9092_TCP_PROTO", "http"));
        assert!(!is_link_port_var("99999_TCP", "tcp://10.0.0.1:9092"));
        assert!(!is_link_port_var("9092_TCP_OTHER", "x"));
    }
}
