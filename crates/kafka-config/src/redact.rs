//! The effective configuration as `setup --print` shows it: each key with its value and source,
//! every password-like value masked. This is the only way setup prints configuration values.

use std::fmt::Write as _;

use crate::catalog;
use crate::error::{Source, Sources};
use crate::properties::{Properties, escape_key, escape_value};

/// What a masked value is shown as.
pub const MASK: &str = "******";

/// Words that make a key outside Kafka's catalog (a plugin's, a typo's) look like it holds a
/// secret.
const SECRET_WORDS: [&str; 5] = ["pass", "secret", "key", "token", "credential"];

/// Whether the value of `key` must never be shown: every config Kafka declares as a password
/// (also per listener and per SASL mechanism), every JAAS configuration, and every key outside
/// the catalog whose name has `pass`, `secret`, `key`, `token` or `credential` in it.
#[must_use]
pub fn is_secret_key(key: &str) -> bool {
    let key = if key.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(key.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(key)
    };
    if key.ends_with("sasl.jaas.config") {
        return true;
    }
    catalog::declares_password(&key)
        .unwrap_or_else(|| SECRET_WORDS.iter().any(|word| key.contains(word)))
}

/// Whether a value from `source` must never be shown: the content of a `NAME_FILE` file or of
/// a credentials file in the secrets directory (`KAFKA_SSL_*_CREDENTIALS`; the store
/// locations the other helpers give are paths, not secrets).
#[must_use]
pub fn is_secret_source(source: &Source) -> bool {
    match source {
        Source::Secret { env_var } => env_var.ends_with("_CREDENTIALS"),
        Source::Env { env_var } => env_var.ends_with(crate::env_vars::FILE_SUFFIX),
        Source::Default { .. } | Source::File { .. } => false,
    }
}

/// The value to show for `key`.
#[must_use]
pub fn shown_value<'a>(key: &str, source: Option<&Source>, value: &'a str) -> &'a str {
    if is_secret_key(key) || source.is_some_and(is_secret_source) {
        MASK
    } else {
        value
    }
}

/// Renders the effective `server.properties`, one `key=value` per line followed by its source,
/// secret values masked.
#[must_use]
pub fn render_effective(properties: &Properties, sources: &Sources) -> String {
    let mut out = String::new();
    for (key, value) in properties.iter() {
        let line = format!(
            "{}={}",
            escape_key(key),
            escape_value(shown_value(key, sources.get(key), value))
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
            "delegation.token.master.key",
            "sasl.oauthbearer.assertion.private.key.passphrase",
            "listener.name.internal.ssl.keystore.password",
            "rsm.config.s3.secret.access.key",
            "my.plugin.api.token",
            "SSL.KEYSTORE.PASSWORD",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "listeners",
            "node.id",
            "ssl.keystore.location",
            "log.dirs",
            "delegation.token.expiry.time.ms",
            "password.encoder.key.length",
            "listener.name.internal.ssl.keystore.type",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn values_from_files_and_secrets_are_masked_whatever_the_key() {
        let from_file = Source::Env {
            env_var: "KAFKA_NUM_PARTITIONS_FILE".into(),
        };
        assert_eq!(shown_value("num.partitions", Some(&from_file), "3"), MASK);
        let from_env = Source::Env {
            env_var: "KAFKA_NUM_PARTITIONS".into(),
        };
        assert_eq!(shown_value("num.partitions", Some(&from_env), "3"), "3");
    }

    #[test]
    fn effective_config_shows_sources_and_masks() {
        let mut properties = Properties::new();
        properties.set("node.id", "1");
        properties.set("ssl.keystore.password", "hunter2");
        let sources = Sources::from_iter([
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
