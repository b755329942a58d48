//! `EnvSnapshot`: the process environment, collected once by the binary and handed in.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// The environment variables of the process, sorted by name.
///
/// Variables whose name or value is not valid Unicode are kept apart: setup reports such a value
/// when the variable is one it reads, and ignores the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    vars: BTreeMap<String, String>,
    not_unicode: Vec<String>,
}

impl EnvSnapshot {
    /// A snapshot of the given variables; a later duplicate name replaces an earlier one.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            not_unicode: Vec::new(),
        }
    }

    /// A snapshot of OS strings, as `std::env::vars_os()` yields them.
    pub fn from_os_pairs(pairs: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let mut snapshot = Self::default();
        let mut vars = Vec::new();
        for (name, value) in pairs {
            match (name.into_string(), value.into_string()) {
                (Ok(name), Ok(value)) => vars.push((name, value)),
                (Ok(name), Err(_)) => snapshot.not_unicode.push(name),
                (Err(name), _) => snapshot
                    .not_unicode
                    .push(name.to_string_lossy().into_owned()),
            }
        }
        // Sorted by name first (stable: a later duplicate stays later and wins), so that the
        // map is built from a sorted run without comparing names again and again.
        vars.sort_by(|(a, _), (b, _)| crate::byte_order::compare(a, b));
        snapshot.vars = vars.into_iter().collect();
        snapshot.not_unicode.sort();
        snapshot
    }

    /// The value of `name`, if set and Unicode.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// All Unicode variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Names (lossily decoded) of variables whose name or value is not valid Unicode.
    #[must_use]
    pub fn not_unicode(&self) -> &[String] {
        &self.not_unicode
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    #[test]
    fn non_unicode_values_are_kept_apart() {
        let snapshot = EnvSnapshot::from_os_pairs([
            (OsString::from("KAFKA_NODE_ID"), OsString::from("1")),
            (OsString::from("KAFKA_BAD"), OsString::from_vec(vec![0xff])),
        ]);
        assert_eq!(snapshot.get("KAFKA_NODE_ID"), Some("1"));
        assert_eq!(snapshot.get("KAFKA_BAD"), None);
        assert_eq!(snapshot.not_unicode(), &["KAFKA_BAD".to_owned()]);
    }
}
