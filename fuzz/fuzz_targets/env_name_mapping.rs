//! Fuzzes the environment-variable-name → property-key mapping: classifying any name never
//! panics, a key that comes out is never empty and never starts, ends or repeats a dot, and for
//! ordinary keys (lower-case letters and digits, single separators) the official image's naming
//! convention is inverted exactly.
#![no_main]

use kafka_config::naming::{EnvVarRole, classify, env_var_for_key, key_from_env_suffix};
use libfuzzer_sys::fuzz_target;

fn check_key_shape(name: &str, key: &str) {
    assert!(!key.is_empty(), "`{name}` maps to an empty key");
    assert!(
        !key.starts_with('.'),
        "`{name}` maps to `{key}`, which starts with a dot"
    );
    assert!(
        !key.ends_with('.'),
        "`{name}` maps to `{key}`, which ends with a dot"
    );
    assert!(
        !key.contains(".."),
        "`{name}` maps to `{key}`, which has a doubled dot"
    );
}

/// A non-empty run of lower-case ASCII letters and digits separated by single `.`, `_` or `-`.
fn is_ordinary_key(key: &str) -> bool {
    let is_separator = |c: char| matches!(c, '.' | '_' | '-');
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || is_separator(c))
        && !key.starts_with(is_separator)
        && !key.ends_with(is_separator)
        && !key
            .as_bytes()
            .windows(2)
            .any(|pair| is_separator(char::from(pair[0])) && is_separator(char::from(pair[1])))
}

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    if let EnvVarRole::Property(Ok(key)) | EnvVarRole::BitnamiProperty(Ok(key)) = classify(name) {
        check_key_shape(name, &key);
    }
    if let Ok(key) = key_from_env_suffix(name) {
        check_key_shape(name, &key);
    }
    // The fuzz input read as a key: ordinary keys survive key → variable → key.
    if is_ordinary_key(name) {
        let variable = env_var_for_key(name);
        let suffix = variable
            .strip_prefix("KAFKA_")
            .unwrap_or_else(|| panic!("`{variable}` lacks the KAFKA_ prefix"));
        assert_eq!(
            key_from_env_suffix(suffix).as_deref(),
            Ok(name),
            "via `{variable}`"
        );
    }
});
