//! The effective configuration as `setup --print` shows it: each key with its value and source,
//! every password-like value masked. This is the only way setup prints configuration values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::Source;
use crate::properties::{Properties, escape_key, escape_value};

/// What a masked value is shown as.
pub const MASK: &str = "******";

/// Whether the value of `key` must never be shown: passwords, secrets, credentials, JAAS
/// configurations and private keys.
#[must_use]
pub fn is_secret_key(key: &str) -> bool {
    // Kafka's keys are lower case: only allocate for the rare key that is not.
    let key = if key.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(key.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(key)
    };
    [
        "password",
        "secret",
        "credential",
        "sasl.jaas.config",
        "keystore.key",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// The value to show for `key`.
#[must_use]
pub fn shown_value<'a>(key: &str, value: &'a str) -> &'a str {
    if is_secret_key(key) { MASK } else { value }
}

/// Renders the effective `server.properties`, one `key=value` per line followed by its source,
/// secret values masked.
#[must_use]
pub fn render_effective(properties: &Properties, sources: &BTreeMap<String, Source>) -> String {
    let mut out = String::new();
    for (key, value) in properties.iter() {
        let line = format!(
            "{}={}",
            escape_key(key),
            escape_value(shown_value(key, value))
        );
        let source = sources
            .get(key)
            .map_or_else(|| "unknown".to_owned(), |s| format!("{} {s}", s.kind()));
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{line}  # {source}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_like_keys_are_masked() {
        for key in [
            "ssl.keystore.password",
            "ssl.key.password",
            "sasl.jaas.config",
            "listener.name.sasl_ssl.plain.sasl.jaas.config",
            "sasl.oauthbearer.client.credentials.client.secret",
            "ssl.keystore.key",
            "delegation.token.secret.key",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["listeners", "node.id", "ssl.keystore.location", "log.dirs"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn effective_config_shows_sources_and_masks() {
        let mut properties = Properties::new();
        properties.set("node.id", "1");
        properties.set("ssl.keystore.password", "hunter2");
        let sources = BTreeMap::from([
            (
                "node.id".to_owned(),
                Source::Env {
                    env_var: "KAFKA_NODE_ID".into(),
                },
            ),
            (
                "ssl.keystore.password".to_owned(),
                Source::Secret {
                    env_var: "KAFKA_SSL_KEYSTORE_CREDENTIALS".into(),
                },
            ),
        ]);
        assert_eq!(
            render_effective(&properties, &sources),
            "node.id=1  # env `KAFKA_NODE_ID`\nssl.keystore.password=******  # secret `KAFKA_SSL_KEYSTORE_CREDENTIALS`\n"
        );
    }
}
