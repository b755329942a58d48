//! How environment variable names map to Kafka property keys, and which variables are not
//! properties at all.
//!
//! The mapping is the official image's (`KafkaDockerWrapper.getServerConfigsFromEnv`): drop the
//! prefix, lower-case, turn every `_` into `.`, then `...` into `-` and `..` into `_` (string
//! replacement from left to right), so `KAFKA_FOO___BAR` is `foo-bar` and `KAFKA_FOO__BAR` is
//! `foo_bar`. `bitnami/kafka`'s `KAFKA_CFG_` prefix maps the same way. A name ending in `_FILE`
//! names a file holding the value of the variable without the suffix, except for the few Kafka
//! properties whose own name ends in `.file` (`KAFKA_SASL_OAUTHBEARER_ASSERTION_FILE`).

use crate::catalog;
use crate::env_vars;

/// Why a variable name does not give a usable property key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyShapeError {
    /// Nothing is left after the prefix.
    #[error("maps to an empty key")]
    Empty,
    /// The key would start with a dot (the name has a `_` right after the prefix).
    #[error("maps to a key starting with a dot")]
    LeadingDot,
    /// The key would end with a dot (the name ends with `_`).
    #[error("maps to a key ending with a dot")]
    TrailingDot,
}

/// What a variable means to `setup`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvVarRole {
    /// A `KAFKA_*` property variable with the key it maps to (or why it maps to no key).
    Property(Result<String, KeyShapeError>),
    /// A `KAFKA_CFG_*` (bitnami) property variable with the key it maps to.
    BitnamiProperty(Result<String, KeyShapeError>),
    /// One of [`env_vars::LOG4J_VARS`].
    Log4j,
    /// One of [`env_vars::SSL_HELPER_VARS`].
    SslHelper,
    /// A `KAFKA_ENTRYPOINT_*` control variable (known or not).
    Control,
    /// One of [`env_vars::LAUNCHER_VARS`], read by Kafka's scripts rather than by setup.
    Launcher,
    /// `NAME_FILE`: holds the path of a file with the value of `NAME` (the field).
    FileIndirection(String),
    /// Not a variable setup reads.
    Unrelated,
}

/// Maps the part of a variable name after its prefix to a property key, with the official
/// image's rules: lower-case, `_` → `.`, then `...` → `-` and `..` → `_`.
///
/// ```
/// use kafka_config::naming::key_from_env_suffix;
/// assert_eq!(key_from_env_suffix("NODE_ID"), Ok("node.id".to_owned()));
/// assert_eq!(key_from_env_suffix("FOO___BAR__BAZ"), Ok("foo-bar_baz".to_owned()));
/// ```
///
/// # Errors
/// [`KeyShapeError`] when the key would be empty or start or end with a dot. (A doubled dot
/// cannot remain: `..` is the mapping of `__` and becomes `_`.)
pub fn key_from_env_suffix(suffix: &str) -> Result<String, KeyShapeError> {
    // One pass with the meaning of upstream's chain `replace('_', ".")`, then `"..."` → `-`, then
    // `".."` → `_`: each run of n separators (`_`, or a `.` already in the name) becomes n / 3
    // dashes followed by `_` when n % 3 is 2, or `.` when it is 1.
    // Variable names are ASCII in practice: those are lower-cased at the end, byte by byte,
    // others first, in full Unicode. The words between separator runs are copied whole; every
    // separator is ASCII, so the offsets around a run are character boundaries.
    let source = if suffix.is_ascii() {
        std::borrow::Cow::Borrowed(suffix)
    } else {
        std::borrow::Cow::Owned(suffix.to_lowercase())
    };
    let is_separator = |byte: u8| byte == b'_' || byte == b'.';
    let mut key = String::with_capacity(source.len());
    let mut rest = source.as_ref();
    while !rest.is_empty() {
        let word = rest.bytes().position(is_separator).unwrap_or(rest.len());
        key.push_str(&rest[..word]);
        rest = &rest[word..];
        let run = rest.bytes().take_while(|&byte| is_separator(byte)).count();
        push_separator_run(&mut key, run);
        rest = &rest[run..];
    }
    key.make_ascii_lowercase();
    if key.is_empty() {
        Err(KeyShapeError::Empty)
    } else if key.starts_with('.') {
        Err(KeyShapeError::LeadingDot)
    } else if key.ends_with('.') {
        Err(KeyShapeError::TrailingDot)
    } else {
        Ok(key)
    }
}

/// Appends the key text of a run of `run` separators (see [`key_from_env_suffix`]).
fn push_separator_run(key: &mut String, run: usize) {
    if run == 0 {
        return;
    }
    key.extend(std::iter::repeat_n('-', run / 3));
    match run % 3 {
        2 => key.push('_'),
        1 => key.push('.'),
        _ => {}
    }
}

/// The variable that sets `key` in the official image's convention (the inverse of
/// [`key_from_env_suffix`] for keys made of lower-case letters, digits, `.`, `_` and `-`).
///
/// ```
/// use kafka_config::naming::env_var_for_key;
/// assert_eq!(env_var_for_key("advertised.listeners"), "KAFKA_ADVERTISED_LISTENERS");
/// assert_eq!(env_var_for_key("foo-bar_baz"), "KAFKA_FOO___BAR__BAZ");
/// ```
#[must_use]
pub fn env_var_for_key(key: &str) -> String {
    let mut name = String::from(env_vars::KAFKA_PREFIX);
    for c in key.chars() {
        match c {
            '.' => name.push('_'),
            '_' => name.push_str("__"),
            '-' => name.push_str("___"),
            other => name.extend(other.to_uppercase()),
        }
    }
    name
}

/// Classifies an environment variable by name.
///
/// ```
/// use kafka_config::naming::{classify, EnvVarRole};
/// assert_eq!(classify("KAFKA_NODE_ID"), EnvVarRole::Property(Ok("node.id".to_owned())));
/// assert_eq!(classify("KAFKA_HEAP_OPTS"), EnvVarRole::Launcher);
/// assert_eq!(classify("PATH"), EnvVarRole::Unrelated);
/// ```
#[must_use]
pub fn classify(name: &str) -> EnvVarRole {
    if !name.starts_with(env_vars::KAFKA_PREFIX) {
        return EnvVarRole::Unrelated;
    }
    if name.starts_with(env_vars::KAFKA_ENTRYPOINT_PREFIX) {
        return EnvVarRole::Control;
    }
    if let Some(target) = name.strip_suffix(env_vars::FILE_SUFFIX)
        && !is_file_property(name, target)
    {
        return EnvVarRole::FileIndirection(target.to_owned());
    }
    if env_vars::is_launcher_var(name) {
        return EnvVarRole::Launcher;
    }
    if env_vars::LOG4J_VARS.contains(&name) {
        return EnvVarRole::Log4j;
    }
    if env_vars::SSL_HELPER_VARS.contains(&name) {
        return EnvVarRole::SslHelper;
    }
    if let Some(suffix) = name.strip_prefix(env_vars::KAFKA_CFG_PREFIX) {
        return EnvVarRole::BitnamiProperty(key_from_env_suffix(suffix));
    }
    let suffix = &name[env_vars::KAFKA_PREFIX.len()..];
    EnvVarRole::Property(key_from_env_suffix(suffix))
}

/// Whether `name` (ending in `_FILE`) sets a Kafka property whose own name ends in `.file`
/// (such as `sasl.oauthbearer.assertion.file`) rather than naming a file for `target`: its key is
/// in the catalog and the key of `target` is not.
fn is_file_property(name: &str, target: &str) -> bool {
    let key_of = |var: &str| {
        var.strip_prefix(env_vars::KAFKA_CFG_PREFIX)
            .or_else(|| var.strip_prefix(env_vars::KAFKA_PREFIX))
            .and_then(|suffix| key_from_env_suffix(suffix).ok())
    };
    key_of(name).is_some_and(|key| catalog::is_known(&key))
        && !key_of(target).is_some_and(|key| catalog::is_known(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Result<String, KeyShapeError> {
        match classify(name) {
            EnvVarRole::Property(key) | EnvVarRole::BitnamiProperty(key) => key,
            other => panic!("{name} is {other:?}, not a property"),
        }
    }

    #[test]
    fn single_underscore_becomes_dot() {
        assert_eq!(key("KAFKA_NODE_ID"), Ok("node.id".into()));
        assert_eq!(
            key("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"),
            Ok("listener.security.protocol.map".into())
        );
    }

    #[test]
    fn double_underscore_becomes_underscore() {
        assert_eq!(key("KAFKA_FOO__BAR"), Ok("foo_bar".into()));
    }

    #[test]
    fn triple_underscore_becomes_dash() {
        assert_eq!(key("KAFKA_FOO___BAR"), Ok("foo-bar".into()));
    }

    #[test]
    fn mixed_underscores_match_upstream_wrapper_test() {
        // KafkaDockerWrapperTest.testGetServerConfigsFromEnv
        assert_eq!(
            key("KAFKA_VALID___PROPERTY__ALL_CASES"),
            Ok("valid-property_all.cases".into())
        );
    }

    #[test]
    fn four_underscores_replace_left_to_right_like_upstream() {
        assert_eq!(key("KAFKA_A____B"), Ok("a-.b".into()));
    }

    #[test]
    fn bitnami_prefix_maps_the_same_way() {
        assert_eq!(
            classify("KAFKA_CFG_NODE_ID"),
            EnvVarRole::BitnamiProperty(Ok("node.id".into()))
        );
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert_eq!(key("KAFKA__X"), Err(KeyShapeError::LeadingDot));
        assert_eq!(key("KAFKA_X_"), Err(KeyShapeError::TrailingDot));
        assert_eq!(key("KAFKA_CFG_"), Err(KeyShapeError::Empty));
        assert_eq!(key("KAFKA_A._B"), Ok("a_b".into()));
        assert_eq!(key_from_env_suffix("A.B."), Err(KeyShapeError::TrailingDot));
        assert_eq!(key("KAFKA_A__"), Ok("a_".into()));
        assert_eq!(key_from_env_suffix("A..._.B"), Ok("a-_b".into()));
    }

    #[test]
    fn launcher_log4j_ssl_control_and_file_vars_are_not_properties() {
        for name in env_vars::LAUNCHER_VARS {
            assert_eq!(classify(name), EnvVarRole::Launcher, "{name}");
        }
        for name in env_vars::LOG4J_VARS {
            assert_eq!(classify(name), EnvVarRole::Log4j, "{name}");
        }
        for name in env_vars::SSL_HELPER_VARS {
            assert_eq!(classify(name), EnvVarRole::SslHelper, "{name}");
        }
        assert_eq!(classify("KAFKA_ENTRYPOINT_STRICT"), EnvVarRole::Control);
        assert_eq!(classify("KAFKA_ENTRYPOINT_WHATEVER"), EnvVarRole::Control);
        assert_eq!(
            classify("KAFKA_SASL_JAAS_CONFIG_FILE"),
            EnvVarRole::FileIndirection("KAFKA_SASL_JAAS_CONFIG".into())
        );
        assert_eq!(
            classify("KAFKA_SASL_OAUTHBEARER_ASSERTION_FILE"),
            EnvVarRole::Property(Ok("sasl.oauthbearer.assertion.file".into())),
            "a real Kafka property ending in `.file` is not file indirection"
        );
        assert_eq!(
            classify("KAFKA_CFG_SASL_OAUTHBEARER_ASSERTION_PRIVATE_KEY_FILE"),
            EnvVarRole::BitnamiProperty(Ok("sasl.oauthbearer.assertion.private.key.file".into()))
        );
        assert_eq!(classify("KAFKAX"), EnvVarRole::Unrelated);
        assert_eq!(classify("SOME_VARIABLE"), EnvVarRole::Unrelated);
    }

    #[test]
    fn env_var_for_key_inverts_the_mapping() {
        for name in ["KAFKA_NODE_ID", "KAFKA_FOO___BAR__BAZ", "KAFKA_A_B1_C"] {
            let key = key(name).expect("valid");
            assert_eq!(env_var_for_key(&key), name);
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn mapping_never_panics(name in "\\PC{0,30}") {
                let _ = classify(&name);
                let _ = key_from_env_suffix(&name);
            }

            /// The one-pass mapping means exactly what upstream's replace chain means
            /// (`KafkaDockerWrapper`: `_` → `.`, then `...` → `-`, then `..` → `_`).
            #[test]
            fn mapping_equals_upstreams_replace_chain(name in "[A-Z0-9_.\\-]{0,24}") {
                let upstream = name
                    .to_lowercase()
                    .replace('_', ".")
                    .replace("...", "-")
                    .replace("..", "_");
                match key_from_env_suffix(&name) {
                    Ok(key) => prop_assert_eq!(key, upstream),
                    Err(_) => prop_assert!(
                        upstream.is_empty() || upstream.starts_with('.') || upstream.ends_with('.')
                    ),
                }
            }

            #[test]
            fn valid_keys_round_trip_through_env_names(key in "[a-z0-9]{1,5}([._-][a-z0-9]{1,5}){0,4}") {
                let name = env_var_for_key(&key);
                prop_assume!(matches!(classify(&name), EnvVarRole::Property(_)));
                prop_assert_eq!(classify(&name), EnvVarRole::Property(Ok(key)));
            }
        }
    }
}
