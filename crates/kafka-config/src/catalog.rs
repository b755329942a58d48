//! The catalog of Kafka's broker and controller config names, for "unknown key" warnings.
//!
//! The names live as data in `data/kafka-broker-configs.txt` (one per line, sorted, `#` header
//! lines naming the Kafka versions and source files), generated from Kafka's own sources by
//! `scripts/generate-config-catalog`. The file is the union of Kafka 4.1 and the names 3.7–3.9
//! still accepted, so users of those versions get no false warnings.
//!
//! Besides the plain names, Kafka accepts whole families of keys that no list can enumerate:
//! per-listener overrides (`listener.name.<listener>.<name>`), per-listener per-SASL-mechanism
//! overrides (`listener.name.<listener>.<mechanism>.sasl.jaas.config`), config providers and the
//! pass-through prefixes of the tiered-storage plugins. [`is_known`] maps those to their base
//! name; [`closest`] suggests a catalog name for a typo.

use std::sync::OnceLock;

/// The generated catalog file, embedded at build time.
const CATALOG_FILE: &str = include_str!("../data/kafka-broker-configs.txt");

/// The catalog names Kafka declares `ConfigDef.Type.PASSWORD` (same generator, same format).
const PASSWORD_FILE: &str = include_str!("../data/kafka-password-configs.txt");

/// `name<TAB>type` of every config real Kafka's `KafkaConfig.configDef()` declares, over the
/// supported versions (`scripts/dump-kafka-configdef` on the distributions from Maven Central).
const CONFIGDEF_FILE: &str = include_str!("../data/kafka-configdef.txt");

/// Per-listener overrides: `listener.name.<listener>.<config>` (Kafka's `ListenerName` prefix,
/// see `listener.security.protocol.map`'s documentation in `SocketServerConfigs`).
const LISTENER_PREFIX: &str = "listener.name.";

/// Configs that Kafka also reads per SASL mechanism under a listener prefix, e.g.
/// `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config` (`SaslConfigs.SASL_JAAS_CONFIG_DOC`)
/// and `listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms`
/// (`BrokerSecurityConfigs.CONNECTIONS_MAX_REAUTH_MS_DOC`).
fn is_per_mechanism_config(base: &str) -> bool {
    base.starts_with("sasl.") || base == "connections.max.reauth.ms"
}

/// Key families passed through to plugins, whose members no catalog can list.
const PLUGIN_PREFIXES: &[&str] = &[
    // `AbstractConfig` config providers: `config.providers.<name>.class`, `.param.<key>`.
    "config.providers.",
    // Default `remote.log.storage.manager.impl.prefix` and
    // `remote.log.metadata.manager.impl.prefix` (`RemoteLogManagerConfig`, Kafka 3.9+).
    "rsm.config.",
    "rlmm.config.",
    // `RemoteLogManagerConfig.REMOTE_LOG_METADATA_PREFIX`: options of the topic-based metadata manager.
    "remote.log.metadata.",
];

/// Keys that name a family on their own (`config.providers=file,vault`).
const FAMILY_ROOTS: &[&str] = &["config.providers"];

fn data_lines(file: &'static str) -> Vec<&'static str> {
    file.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// The rows of [`CONFIGDEF_FILE`]: (name, `ConfigDef.Type`).
fn configdef_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    data_lines(CONFIGDEF_FILE)
        .into_iter()
        .filter_map(|line| line.split_once('\t'))
}

/// The union of two lists sorted in byte order, sorted, each name once. A linear merge, not a
/// sort: every setup reads the catalog, and sorting it cost a sixth of setup's instructions.
/// The generator writes each data file sorted (`catalog_file_is_sorted_without_duplicates`
/// checks the result).
fn merge_sorted(
    first: impl IntoIterator<Item = &'static str>,
    second: impl IntoIterator<Item = &'static str>,
) -> Vec<&'static str> {
    let mut first = first.into_iter().peekable();
    let mut second = second.into_iter().peekable();
    let mut merged: Vec<&'static str> = Vec::with_capacity(1024);
    loop {
        let next = match (first.peek(), second.peek()) {
            (Some(a), Some(b)) if b < a => second.next(),
            (Some(_), _) => first.next(),
            (None, _) => second.next(),
        };
        let Some(name) = next else {
            return merged;
        };
        if merged.last() != Some(&name) {
            merged.push(name);
        }
    }
}

/// Every known name: the catalog from Kafka's sources and what the real brokers declare,
/// sorted (byte order), each once.
pub fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        merge_sorted(
            data_lines(CATALOG_FILE),
            configdef_rows().map(|(name, _)| name),
        )
    })
}

/// Every known name Kafka declares as a password, sorted, each once.
pub fn password_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        merge_sorted(
            data_lines(PASSWORD_FILE),
            configdef_rows()
                .filter(|(_, kind)| *kind == "PASSWORD")
                .map(|(name, _)| name),
        )
    })
}

/// Buckets of the characters of config names, for the letter-count bound of [`closest`].
const BUCKETS: usize = 40;

/// The bucket counts of a name, eight one-byte counts per word, so that the bound compares
/// eight buckets in a few word operations (see [`lanes_abs_diff_sum`]).
const WORDS: usize = BUCKETS / 8;

/// A bucket's count is capped here, below 128, which [`lanes_abs_diff_sum`] needs. The cap
/// keeps the bound a lower bound: `|min(a, c) - min(b, c)| <= |a - b|`.
const COUNT_CAP: u8 = 127;

/// The bucket of each byte: `a`-`z`, `0`-`9`, `.`, `_`, `-`, and one for everything else.
const BUCKET_OF: [u8; 256] = {
    let mut table = [39u8; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = match byte as u8 {
            b @ b'a'..=b'z' => b - b'a',
            b @ b'0'..=b'9' => 26 + (b - b'0'),
            b'.' => 36,
            b'_' => 37,
            b'-' => 38,
            _ => 39,
        };
        byte += 1;
    }
    table
};

/// The sum over the eight byte lanes of `|a - b|`, each lane below 128 (SWAR: no lane borrows
/// from its neighbour, since `128 + a - b` is from 1 to 255).
fn lanes_abs_diff_sum(a: u64, b: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW_BYTES: u64 = 0x00FF_00FF_00FF_00FF;
    let a_minus_b = (a | HIGH) - b;
    let b_minus_a = (b | HIGH) - a;
    // 0xFF in the lanes where a >= b (their `128 + a - b` has the high bit set).
    let a_ge_b = ((a_minus_b & HIGH) >> 7) * 0xFF;
    let diff = ((a_minus_b & a_ge_b) | (b_minus_a & !a_ge_b)) & !HIGH;
    let pairs = (diff & LOW_BYTES) + ((diff >> 8) & LOW_BYTES);
    pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48
}

/// A lower-cased name, how often each character bucket occurs in it, and its position in the
/// catalog (ties go to the first).
struct Indexed {
    lowercase: String,
    counts: [u64; WORDS],
    position: usize,
}

impl Indexed {
    fn new(name: &str) -> Self {
        let lowercase = name.to_ascii_lowercase();
        let mut counts = [0u8; BUCKETS];
        for byte in lowercase.bytes() {
            let slot = &mut counts[usize::from(BUCKET_OF[usize::from(byte)])];
            *slot = (*slot + 1).min(COUNT_CAP);
        }
        let mut words = [0u64; WORDS];
        for (word, bytes) in words.iter_mut().zip(counts.chunks_exact(8)) {
            let mut lanes = [0u8; 8];
            lanes.copy_from_slice(bytes);
            *word = u64::from_le_bytes(lanes);
        }
        Self {
            lowercase,
            counts: words,
            position: 0,
        }
    }

    /// Whether the edit distance to `other` may be at most `limit`: one edit changes the
    /// letter counts by at most 2 in total (a transposition by 0), so counts that differ by
    /// more than `2 * limit` rule it out. Stops at the first word that rules it out, as most
    /// names are ruled out by their first buckets.
    fn may_be_within(&self, other: &Self, limit: usize) -> bool {
        let most = u64::try_from(2 * limit).unwrap_or(u64::MAX);
        let mut total = 0;
        for (a, b) in self.counts.iter().zip(&other.counts) {
            total += lanes_abs_diff_sum(*a, *b);
            if total > most {
                return false;
            }
        }
        true
    }
}

/// The catalog names indexed for [`closest`], sorted by length, so that only the names of a
/// length within the edit limit are looked at.
fn indexed_names() -> &'static [Indexed] {
    static INDEXED: OnceLock<Vec<Indexed>> = OnceLock::new();
    INDEXED.get_or_init(|| {
        let mut indexed: Vec<Indexed> = names()
            .iter()
            .enumerate()
            .map(|(position, name)| Indexed {
                position,
                ..Indexed::new(name)
            })
            .collect();
        indexed.sort_by_key(|name| (name.lowercase.len(), name.position));
        indexed
    })
}

/// Whether `key` is exactly a catalog name.
fn in_catalog(key: &str) -> bool {
    names().binary_search(&key).is_ok()
}

/// Whether Kafka knows the property `key`: a catalog name, a per-listener or per-mechanism
/// override of one, or a member of a plugin pass-through family.
///
/// Names are case-sensitive, as in Kafka.
#[must_use]
pub fn is_known(key: &str) -> bool {
    if in_catalog(key) || FAMILY_ROOTS.contains(&key) {
        return true;
    }
    if PLUGIN_PREFIXES
        .iter()
        .any(|prefix| key.len() > prefix.len() && key.starts_with(prefix))
    {
        return true;
    }
    catalog_name(key).is_some()
}

/// The catalog name `key` stands for: itself, or the base of a per-listener
/// (`listener.name.<l>.<name>`) or per-listener per-mechanism
/// (`listener.name.<l>.<mechanism>.<sasl name>`) override. `None` for keys outside the
/// catalog, plugin families included.
#[must_use]
pub fn catalog_name(key: &str) -> Option<&str> {
    if in_catalog(key) {
        return Some(key);
    }
    let rest = key.strip_prefix(LISTENER_PREFIX)?;
    let (listener, override_key) = rest.split_once('.')?;
    if listener.is_empty() {
        return None;
    }
    if in_catalog(override_key) {
        return Some(override_key);
    }
    let (mechanism, base) = override_key.split_once('.')?;
    (!mechanism.is_empty() && is_per_mechanism_config(base) && in_catalog(base)).then_some(base)
}

/// Whether Kafka declares `key` (or the catalog name it overrides, see [`catalog_name`]) with
/// `ConfigDef.Type.PASSWORD`.
#[must_use]
pub fn is_password(key: &str) -> bool {
    catalog_name(key).is_some_and(|name| password_names().binary_search(&name).is_ok())
}

/// The catalog name closest to `key`, when it is close enough to be the likely intent
/// (`advertised.listners` → `advertised.listeners`); `None` for keys far from every name, such
/// as a plugin's own keys.
///
/// Distance is the optimal-string-alignment edit distance (Levenshtein plus transpositions),
/// ignoring ASCII case, so a swapped pair of letters or a `_` typed for a `.` counts as one edit.
/// A name is close enough when the distance is at most a fifth of the key's length (at least 1,
/// at most 4); ties go to the name first in catalog order, so the answer is stable.
#[must_use]
pub fn closest(key: &str) -> Option<&'static str> {
    let key = Indexed::new(key);
    let length = key.lowercase.len();
    let limit = (length / 5).clamp(1, 4);
    let indexed = indexed_names();
    let start = indexed.partition_point(|name| name.lowercase.len() < length.saturating_sub(limit));
    let mut best: Option<(usize, usize)> = None;
    for name in indexed[start..]
        .iter()
        .take_while(|name| name.lowercase.len() <= length + limit)
    {
        // The letter counts bound the distance cheaply; most names fail it.
        if !name.may_be_within(&key, limit) {
            continue;
        }
        let distance = strsim::osa_distance(&key.lowercase, &name.lowercase);
        if distance <= limit && best.is_none_or(|best| (distance, name.position) < best) {
            best = Some((distance, name.position));
        }
    }
    best.map(|(_, position)| names()[position])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_file_parses_and_holds_more_than_300_names() {
        assert!(names().len() > 300, "only {} names", names().len());
        for name in names() {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
                "`{name}` is not a config name"
            );
        }
    }

    #[test]
    fn catalog_file_is_sorted_without_duplicates() {
        for pair in names().windows(2) {
            assert!(
                pair[0] < pair[1],
                "`{}` is not before `{}`",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn catalog_file_header_names_the_kafka_version_and_sources() {
        let header: Vec<&str> = CATALOG_FILE
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect();
        assert!(
            header
                .iter()
                .any(|l| l.starts_with("# Kafka version(s): 4.1"))
        );
        assert!(
            header
                .iter()
                .any(|l| l.contains("SocketServerConfigs.java"))
        );
        assert!(
            header
                .iter()
                .any(|l| l.contains("scripts/generate-config-catalog"))
        );
    }

    #[test]
    fn every_catalog_name_is_known_and_its_own_closest() {
        for name in names() {
            assert!(is_known(name), "{name}");
            assert_eq!(closest(name), Some(*name), "{name}");
        }
    }

    #[test]
    fn kraft_broker_and_controller_keys_are_known() {
        for key in [
            "node.id",
            "process.roles",
            "listeners",
            "advertised.listeners",
            "controller.listener.names",
            "controller.quorum.voters",
            "controller.quorum.bootstrap.servers",
            "listener.security.protocol.map",
            "inter.broker.listener.name",
            "log.dirs",
            "metadata.log.dir",
            "num.partitions",
            "offsets.topic.replication.factor",
            "transaction.state.log.min.isr",
            "ssl.keystore.location",
            "sasl.enabled.mechanisms",
            "super.users",
            "authorizer.class.name",
            "group.share.enable",
            "remote.log.storage.system.enable",
        ] {
            assert!(is_known(key), "{key}");
        }
    }

    #[test]
    fn names_only_kafka_3_accepted_are_known() {
        for key in [
            "zookeeper.connect",
            "zookeeper.metadata.migration.enable",
            "control.plane.listener.name",
            "log.message.format.version",
            "offsets.commit.required.acks",
            "password.encoder.secret",
        ] {
            assert!(is_known(key), "{key}");
        }
    }

    #[test]
    fn per_listener_overrides_map_to_their_base_name() {
        assert!(is_known("listener.name.internal.ssl.keystore.location"));
        assert!(is_known("listener.name.controller.max.connections"));
        assert!(is_known(
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"
        ));
        assert!(is_known(
            "listener.name.client.plain.sasl.server.callback.handler.class"
        ));
        assert!(is_known(
            "listener.name.client.oauthbearer.connections.max.reauth.ms"
        ));
    }

    #[test]
    fn malformed_listener_overrides_are_unknown() {
        assert!(!is_known("listener.name.internal"));
        assert!(!is_known("listener.name..ssl.keystore.location"));
        assert!(!is_known("listener.name.internal.ssl.keystore.locatoin"));
        assert!(!is_known("listener.name.internal..sasl.jaas.config"));
        // Only SASL configs (and the re-authentication limit) exist per mechanism.
        assert!(!is_known(
            "listener.name.internal.plain.ssl.keystore.location"
        ));
    }

    #[test]
    fn plugin_families_are_known_but_not_their_bare_prefixes() {
        assert!(is_known("config.providers"));
        assert!(is_known("config.providers.file.class"));
        assert!(is_known("rsm.config.s3.bucket.name"));
        assert!(is_known(
            "rlmm.config.remote.log.metadata.topic.replication.factor"
        ));
        assert!(!is_known("rsm.config."));
    }

    #[test]
    fn unknown_and_wrongly_cased_keys_are_not_known() {
        assert!(!is_known("advertised.listners"));
        assert!(!is_known("NODE.ID"));
        assert!(!is_known(""));
        assert!(!is_known("my.plugin.endpoint"));
    }

    #[test]
    fn typos_get_the_intended_name() {
        assert_eq!(closest("advertised.listners"), Some("advertised.listeners"));
        assert_eq!(closest("listenres"), Some("listeners"));
        assert_eq!(closest("log_dirs"), Some("log.dirs"));
        assert_eq!(closest("num.partition"), Some("num.partitions"));
        assert_eq!(closest("NODE.ID"), Some("node.id"));
        assert_eq!(
            closest("controller.quorum.voter"),
            Some("controller.quorum.voters")
        );
    }

    #[test]
    fn password_names_are_catalog_names_and_cover_their_overrides() {
        for name in password_names() {
            assert!(in_catalog(name), "{name} is not in the catalog");
            assert!(is_password(name));
        }
        assert!(is_password("delegation.token.master.key"));
        assert!(is_password(
            "sasl.oauthbearer.assertion.private.key.passphrase"
        ));
        assert!(is_password("listener.name.internal.ssl.keystore.password"));
        assert!(is_password(
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"
        ));
        assert!(!is_password("ssl.keystore.location"));
        assert!(!is_password("listener.name.internal.ssl.keystore.location"));
        assert!(!is_password("my.plugin.password"));
    }

    #[test]
    fn closest_agrees_with_a_full_scan() {
        for key in [
            "advertised.listners",
            "log_dirs",
            "num.partition",
            "NODE.ID",
            "contoller.quorum.votres",
            "my.plugin.endpoint",
            "sasl.jaas.confg",
            "x",
        ] {
            let lower = key.to_ascii_lowercase();
            let limit = (lower.len() / 5).clamp(1, 4);
            let full = names()
                .iter()
                .map(|name| {
                    (
                        strsim::osa_distance(&lower, &name.to_ascii_lowercase()),
                        *name,
                    )
                })
                .filter(|(distance, _)| *distance <= limit)
                .min_by_key(|(distance, _)| *distance)
                .map(|(_, name)| name);
            assert_eq!(closest(key), full, "{key}");
        }
    }

    #[test]
    fn far_off_keys_get_no_suggestion() {
        assert_eq!(closest(""), None);
        assert_eq!(closest("x"), None);
        assert_eq!(closest("my.plugin.frobnicator.endpoint"), None);
        assert_eq!(
            closest("confluent.metrics.reporter.bootstrap.servers"),
            None
        );
        assert_eq!(closest("foo_bar"), None);
    }
}

#[cfg(test)]
mod word_arithmetic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lanes_abs_diff_sum_is_the_sum_of_the_byte_differences(
            a in proptest::array::uniform8(0u8..=COUNT_CAP),
            b in proptest::array::uniform8(0u8..=COUNT_CAP),
        ) {
            let expected: u64 = a.iter().zip(&b).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
            prop_assert_eq!(
                lanes_abs_diff_sum(u64::from_le_bytes(a), u64::from_le_bytes(b)),
                expected
            );
        }
    }

    #[test]
    fn merge_sorted_keeps_order_and_drops_repeats() {
        assert_eq!(
            merge_sorted(["a", "c", "c", "e"], ["b", "c", "f"]),
            ["a", "b", "c", "e", "f"]
        );
        assert_eq!(merge_sorted([], ["b"]), ["b"]);
    }
}
