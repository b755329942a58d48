//! `EnvSnapshot`: the process environment, collected once by the binary and handed in.

use std::ffi::OsString;

/// The environment variables of the process, sorted by name.
///
/// Variables whose name or value is not valid Unicode are kept apart: setup reports such a value
/// when the variable is one it reads, and ignores the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    /// Sorted by name (byte order), each name once: looked up by binary search.
    vars: Vec<(String, String)>,
    not_unicode: Vec<String>,
}

impl EnvSnapshot {
    /// A snapshot of the given variables; a later duplicate name replaces an earlier one.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: sorted_by_name(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
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
        snapshot.vars = sorted_by_name(vars);
        snapshot.not_unicode.sort();
        snapshot
    }

    /// The value of `name`, if set and Unicode.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        let position = self
            .vars
            .binary_search_by(|(var, _)| crate::byte_order::compare(var, name))
            .ok()?;
        Some(&self.vars[position].1)
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

/// `vars` sorted by name, each name once: a later duplicate replaces an earlier one.
fn sorted_by_name(mut vars: Vec<(String, String)>) -> Vec<(String, String)> {
    // Stable: of equal names, the later stays later.
    vars.sort_by(|(a, _), (b, _)| crate::byte_order::compare(a, b));
    vars.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
    vars
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

    #[test]
    fn a_later_duplicate_wins_and_names_iterate_sorted() {
        let snapshot = EnvSnapshot::from_pairs([
            ("KAFKA_B", "1"),
            ("KAFKA_A", "x"),
            ("KAFKA_B", "2"),
            ("A", "y"),
            ("KAFKA_B", "3"),
        ]);
        assert_eq!(snapshot.get("KAFKA_B"), Some("3"));
        assert_eq!(snapshot.get("KAFKA_C"), None);
        assert_eq!(
            snapshot.iter().collect::<Vec<_>>(),
            [("A", "y"), ("KAFKA_A", "x"), ("KAFKA_B", "3")]
        );
        let os = EnvSnapshot::from_os_pairs(
            [("KAFKA_B", "1"), ("KAFKA_B", "2")]
                .map(|(name, value)| (OsString::from(name), OsString::from(value))),
        );
        assert_eq!(os.get("KAFKA_B"), Some("2"));
    }
}
