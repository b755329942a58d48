//! The environment resolved into property assignments (with `NAME_FILE` indirection, the
//! `KAFKA_CFG_*` convention and the node id from the host name), and the merge of those with the
//! mounted and default `server.properties`.
//!
//! Precedence follows the official image (`KafkaDockerWrapper.prepareServerConfigs`): start from
//! the mounted file, then every environment property replaces its key; the image's defaults are
//! used only when neither gives anything.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::env::EnvSnapshot;
use crate::env_vars;
use crate::error::{Problem, Source, Sources, Warning};
use crate::naming::{EnvVarRole, classify};
use crate::node::Roles;
use crate::plan::FileRead;
use crate::properties::{Properties, decode_text};
use crate::service_links::service_link_vars;

/// A property set by the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvProperty {
    pub(crate) key: String,
    pub(crate) value: String,
    /// The variable that set it (`NAME_FILE` when read through a file).
    pub(crate) env_var: String,
}

/// The environment after `NAME_FILE` indirection: variable name → (value, variable to blame).
/// Borrows the snapshot's strings; only a `NAME_FILE` target's name and value are owned.
#[derive(Debug, Default)]
pub(crate) struct ResolvedEnv<'a> {
    values: BTreeMap<Cow<'a, str>, (Cow<'a, str>, &'a str)>,
}

impl ResolvedEnv<'_> {
    /// The value of `name`, whether given directly or through `NAME_FILE`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(value, _)| value.as_ref())
    }

    /// The variable to name in messages about `name` (`NAME_FILE` when read through a file).
    pub(crate) fn blame<'a>(&'a self, name: &'a str) -> &'a str {
        self.values.get(name).map_or(name, |(_, blame)| blame)
    }
}

/// Whether setup reads `NAME` from `NAME_FILE` for this `NAME`.
fn supports_file_indirection(name: &str) -> bool {
    matches!(
        classify(name),
        EnvVarRole::Property(Ok(_)) | EnvVarRole::BitnamiProperty(Ok(_)) | EnvVarRole::Log4j
    )
}

/// The `NAME_FILE` variables whose file the binary must read: (`NAME_FILE`, path).
#[must_use]
pub fn value_files_to_read(env: &EnvSnapshot) -> Vec<(String, String)> {
    env.iter()
        .filter(|(name, _)| name.ends_with(env_vars::FILE_SUFFIX))
        .filter_map(|(name, path)| match classify(name) {
            EnvVarRole::FileIndirection(target)
                if supports_file_indirection(&target) && env.get(&target).is_none() =>
            {
                Some((name.to_owned(), path.to_owned()))
            }
            _ => None,
        })
        .collect()
}

/// Drops one final line ending (`\n` or `\r\n`), as Docker and Kubernetes secrets often have one.
pub(crate) fn trim_final_newline(text: &str) -> &str {
    text.strip_suffix('\n')
        .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t))
}

/// Applies `NAME_FILE` indirection.
pub(crate) fn resolve_env<'a>(
    env: &'a EnvSnapshot,
    value_files: &BTreeMap<String, FileRead>,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> ResolvedEnv<'a> {
    // (name, (value, blame)) in variable-name order but for the `NAME_FILE` targets; the map is
    // built from it at once (a later entry wins, as an insert would).
    let mut values = Vec::new();
    for name in env.not_unicode() {
        if name.starts_with(env_vars::KAFKA_PREFIX)
            || env_vars::OTHER_VARS_READ.contains(&name.as_str())
        {
            problems.push(Problem::EnvNotUnicode {
                env_var: name.clone(),
            });
        }
    }
    for (name, value) in env.iter() {
        // Only a `*_FILE` name can be an indirection; skip classifying every other variable.
        let role = if name.ends_with(env_vars::FILE_SUFFIX) {
            classify(name)
        } else {
            EnvVarRole::Unrelated
        };
        let EnvVarRole::FileIndirection(target) = role else {
            values.push((Cow::Borrowed(name), (Cow::Borrowed(value), name)));
            continue;
        };
        if !supports_file_indirection(&target) {
            warnings.push(Warning::FileIndirectionUnsupported {
                file_env_var: name.to_owned(),
                env_var: target,
            });
            continue;
        }
        if env.get(&target).is_some() {
            problems.push(Problem::ValueAndFileBothSet {
                env_var: target,
                file_env_var: name.to_owned(),
            });
            continue;
        }
        let unreadable = |reason: &str| Problem::ValueFileUnreadable {
            file_env_var: name.to_owned(),
            path: value.to_owned(),
            reason: reason.to_owned(),
        };
        match value_files.get(name) {
            Some(FileRead::Contents(bytes)) => match decode_text(bytes) {
                Ok(text) => {
                    let text = trim_final_newline(&text).to_owned();
                    values.push((Cow::Owned(target), (Cow::Owned(text), name)));
                }
                Err(_) => problems.push(unreadable("not UTF-8 or Latin-1 text")),
            },
            Some(FileRead::Directory) => problems.push(unreadable("it is a directory")),
            Some(FileRead::Unreadable { reason }) => problems.push(unreadable(reason)),
            Some(FileRead::Missing | FileRead::Present) | None => {
                problems.push(unreadable("no such file"));
            }
        }
    }
    ResolvedEnv {
        values: values.into_iter().collect(),
    }
}

/// How the image's defaults combine with the user's configuration
/// ([`env_vars::KAFKA_ENTRYPOINT_DEFAULTS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum DefaultsMode {
    /// Used only when nothing else is given (the official image).
    #[default]
    Replace,
    /// Always the base layer, under the mounted file and the variables.
    Merge,
}

/// The entrypoint's control settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Controls {
    pub(crate) strict: bool,
    pub(crate) node_id_from_hostname: bool,
    pub(crate) defaults: DefaultsMode,
}

fn parse_defaults_mode(env: &ResolvedEnv, problems: &mut Vec<Problem>) -> DefaultsMode {
    let name = env_vars::KAFKA_ENTRYPOINT_DEFAULTS;
    match env.get(name).map(str::trim) {
        None | Some("" | "replace") => DefaultsMode::Replace,
        Some("merge") => DefaultsMode::Merge,
        Some(value) => {
            problems.push(Problem::InvalidControlValue {
                env_var: name.to_owned(),
                value: value.to_owned(),
                allowed: "`replace`, `merge`".to_owned(),
            });
            DefaultsMode::Replace
        }
    }
}

fn parse_bool(env: &ResolvedEnv, name: &str, problems: &mut Vec<Problem>) -> bool {
    match env.get(name).map(str::trim) {
        None | Some("") => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            problems.push(Problem::InvalidBoolean {
                env_var: name.to_owned(),
                value: v.to_owned(),
            });
            false
        }
    }
}

/// Reads the `KAFKA_ENTRYPOINT_*` variables, warning about unknown ones.
pub(crate) fn read_controls(
    env: &ResolvedEnv,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> Controls {
    for name in env.values.keys() {
        if env_vars::BITNAMI_SCRAM_USER_VARS.contains(&name.as_ref()) {
            problems.push(Problem::BitnamiScramUsers {
                env_var: name.to_string(),
            });
        }
        if name.starts_with(env_vars::KAFKA_ENTRYPOINT_PREFIX)
            && !env_vars::CONTROL_VARS.contains(&name.as_ref())
        {
            let suggestion = env_vars::CONTROL_VARS
                .iter()
                .map(|known| (strsim::levenshtein(known, name), *known))
                .filter(|(distance, _)| *distance <= 4)
                .min()
                .map(|(_, known)| known.to_owned());
            warnings.push(Warning::UnknownControlVar {
                env_var: name.to_string(),
                suggestion,
            });
        }
    }
    Controls {
        strict: parse_bool(env, env_vars::KAFKA_ENTRYPOINT_STRICT, problems),
        node_id_from_hostname: parse_bool(
            env,
            env_vars::KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME,
            problems,
        ),
        defaults: parse_defaults_mode(env, problems),
    }
}

/// The properties the environment sets, in variable-name order, each key once. Variables a
/// Kubernetes Service or Docker link injected are left out, with one warning naming them.
pub(crate) fn env_properties(
    env: &ResolvedEnv,
    controls: Controls,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> Vec<EnvProperty> {
    let mut official: Vec<EnvProperty> = Vec::new();
    let mut bitnami: Vec<EnvProperty> = Vec::new();
    let injected = service_link_vars(
        env.values
            .iter()
            .map(|(name, (value, _))| (name.as_ref(), value.as_ref())),
    );
    if !injected.is_empty() {
        warnings.push(Warning::ServiceLinkVarsIgnored {
            env_vars: injected.clone(),
        });
    }
    for (name, (value, blame)) in &env.values {
        if injected
            .binary_search_by(|injected| injected.as_str().cmp(name))
            .is_ok()
        {
            continue;
        }
        let (list, key) = match classify(name) {
            EnvVarRole::Property(key) => (&mut official, key),
            EnvVarRole::BitnamiProperty(key) => (&mut bitnami, key),
            _ => continue,
        };
        match key {
            Ok(key) => list.push(EnvProperty {
                key,
                value: value.to_string(),
                env_var: (*blame).to_owned(),
            }),
            Err(reason) => problems.push(Problem::InvalidEnvName {
                env_var: (*blame).to_owned(),
                reason,
            }),
        }
    }
    for cfg in bitnami {
        match official.iter().find(|p| p.key == cfg.key) {
            Some(existing) if existing.value != cfg.value => {
                problems.push(Problem::ConflictingEnvVars {
                    env_var: existing.env_var.clone(),
                    other_env_var: cfg.env_var,
                    key: cfg.key,
                })
            }
            Some(_) => {}
            None => official.push(cfg),
        }
    }
    if controls.node_id_from_hostname {
        let hostname = env.get(env_vars::HOSTNAME).unwrap_or_default();
        if let Some(existing) = official.iter().find(|p| p.key == "node.id") {
            problems.push(Problem::NodeIdTwice {
                env_var: existing.env_var.clone(),
            });
        } else if let Some(ordinal) = hostname_ordinal(hostname) {
            official.push(EnvProperty {
                key: "node.id".to_owned(),
                value: ordinal.to_string(),
                env_var: env_vars::KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME.to_owned(),
            });
        } else {
            problems.push(Problem::NoHostnameOrdinal {
                hostname: hostname.to_owned(),
            });
        }
    }
    official
}

/// The ordinal of a StatefulSet pod's host name: `kafka-2` → 2 (the part after the last `-`,
/// ignoring any domain).
pub(crate) fn hostname_ordinal(hostname: &str) -> Option<u32> {
    let short = hostname.split('.').next().unwrap_or_default();
    let (_, ordinal) = short.rsplit_once('-')?;
    if ordinal.is_empty() || !ordinal.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ordinal.parse().ok()
}

/// A `.properties` file's bytes decoded and parsed, or the problem with them.
pub(crate) fn read_properties_bytes(
    path: &str,
    bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Option<Properties> {
    let text = match decode_text(bytes) {
        Ok(text) => text,
        Err(cause) => {
            problems.push(Problem::FileNotText {
                path: path.to_owned(),
                cause,
            });
            return None;
        }
    };
    match Properties::parse(&text) {
        Ok(properties) => Some(properties),
        Err(cause) => {
            problems.push(Problem::PropertiesSyntax {
                path: path.to_owned(),
                cause,
            });
            None
        }
    }
}

/// A `server.properties` file read from a directory.
pub(crate) fn read_properties_file(
    path: &str,
    file: &FileRead,
    problems: &mut Vec<Problem>,
) -> Option<Properties> {
    match file {
        FileRead::Contents(bytes) => read_properties_bytes(path, bytes, problems),
        FileRead::Directory => {
            problems.push(Problem::PathIsDirectory {
                path: path.to_owned(),
            });
            None
        }
        FileRead::Unreadable { reason } => {
            problems.push(Problem::FileUnreadable {
                path: path.to_owned(),
                reason: reason.clone(),
            });
            None
        }
        FileRead::Missing | FileRead::Present => None,
    }
}

/// The merged `server.properties` with the source of every key.
pub(crate) struct MergedServerProperties {
    pub(crate) properties: Properties,
    pub(crate) sources: Sources,
    /// What made the merge leave the image's defaults out (`` `KAFKA_NODE_ID` `` or the mounted
    /// file's path), when it did.
    pub(crate) defaults_dropped_by: Option<String>,
}

/// Merges mounted file, environment and defaults (see the module docs); with
/// [`DefaultsMode::Merge`] the defaults are the base layer under both.
pub(crate) fn merge_server_properties(
    mounted: Option<(&str, Properties)>,
    defaults: Option<(&str, Properties)>,
    env_props: Vec<EnvProperty>,
    defaults_path: &str,
    mode: DefaultsMode,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> MergedServerProperties {
    let mut sources = Sources::default();
    let mounted = mounted.filter(|(_, properties)| !properties.is_empty());
    let user_given = mounted.is_some() || !env_props.is_empty();
    let use_defaults = !user_given || mode == DefaultsMode::Merge;
    // One source per key: reserved at once, the map is not rehashed again and again as it grows.
    sources.reserve(
        env_props.len()
            + mounted.as_ref().map_or(0, |(_, file)| file.len())
            + defaults
                .as_ref()
                .filter(|_| use_defaults)
                .map_or(0, |(_, file)| file.len()),
    );
    let defaults_dropped_by = match (&mounted, env_props.first()) {
        _ if use_defaults || defaults.is_none() => None,
        (Some((path, _)), _) => Some(format!("`{path}`")),
        (None, Some(property)) => Some(format!("`{}`", property.env_var)),
        (None, None) => None,
    };
    let mut properties = Properties::new();
    if use_defaults {
        match defaults {
            Some((path, defaults)) => {
                let path: Arc<str> = Arc::from(path);
                for (key, _) in defaults.iter() {
                    sources.insert(key.to_owned(), Source::Default { path: path.clone() });
                }
                // Keep the defaults file's comments and layout.
                properties = defaults;
            }
            None if !user_given => problems.push(Problem::NoServerProperties {
                path: defaults_path.to_owned(),
            }),
            None => {}
        }
    }
    if let Some((path, file)) = mounted {
        for duplicate in file.duplicates() {
            warnings.push(Warning::DuplicateKey {
                path: path.to_owned(),
                key: duplicate.key.clone(),
                line: duplicate.line,
            });
        }
        let shared_path: Arc<str> = Arc::from(path);
        for (key, _) in file.iter() {
            sources.insert(
                key.to_owned(),
                Source::File {
                    path: shared_path.clone(),
                },
            );
        }
        if properties.is_empty() {
            // Keep the mounted file's comments and layout.
            properties = file;
        } else {
            properties.reserve(file.len());
            for (key, value) in file.into_entries() {
                properties.set_owned(key, value);
            }
        }
    }
    properties.reserve(env_props.len());
    for property in env_props {
        sources.insert(
            property.key.clone(),
            Source::Env {
                env_var: property.env_var,
            },
        );
        properties.set_owned(property.key, property.value);
    }
    MergedServerProperties {
        properties,
        sources,
        defaults_dropped_by,
    }
}

/// The official image's `configure` unsets an empty `KAFKA_ADVERTISED_LISTENERS` on a
/// controller-only node (Kafka refuses `advertised.listeners` there): an empty value from the
/// environment is dropped the same way.
pub(crate) fn drop_empty_advertised_listeners(merged: &mut MergedServerProperties) {
    let controller_only = Roles::of(&merged.properties).is_some_and(Roles::controller_only);
    let empty = merged
        .properties
        .get("advertised.listeners")
        .is_some_and(|value| value.trim().is_empty());
    let from_env = matches!(
        merged.sources.get("advertised.listeners"),
        Some(Source::Env { .. })
    );
    if controller_only && empty && from_env {
        merged.properties.remove("advertised.listeners");
        merged.sources.remove("advertised.listeners");
    }
}

/// The official image's `configure` derives `listeners` from `KAFKA_ADVERTISED_LISTENERS` by
/// replacing every host with `0.0.0.0`, when `listeners` is not given and the node is not
/// controller-only.
pub(crate) fn derive_listeners(merged: &mut MergedServerProperties) {
    if merged.properties.get("listeners").is_some() {
        return;
    }
    let Some(advertised) = merged.properties.get("advertised.listeners") else {
        return;
    };
    let Some(Source::Env { env_var }) = merged.sources.get("advertised.listeners") else {
        return;
    };
    if Roles::of(&merged.properties).is_some_and(Roles::controller_only) {
        return;
    }
    let listeners: Vec<String> = advertised
        .split(',')
        .map(|entry| {
            let entry = entry.trim();
            match (entry.split_once("://"), entry.rsplit_once(':')) {
                (Some((name, _)), Some((_, port))) if !port.contains('/') => {
                    format!("{name}://0.0.0.0:{port}")
                }
                _ => entry.to_owned(),
            }
        })
        .collect();
    let env_var = env_var.clone();
    merged.properties.set("listeners", &listeners.join(","));
    merged
        .sources
        .insert("listeners".to_owned(), Source::Env { env_var });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(
        pairs: &[(&str, &str)],
        files: &[(&str, FileRead)],
    ) -> (ResolvedEnv<'static>, Vec<Problem>, Vec<Warning>) {
        // The resolved environment borrows the snapshot; a test's snapshot lives to its end.
        let env = Box::leak(Box::new(EnvSnapshot::from_pairs(pairs.iter().copied())));
        let files: BTreeMap<String, FileRead> = files
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let (mut problems, mut warnings) = (Vec::new(), Vec::new());
        let resolved = resolve_env(env, &files, &mut problems, &mut warnings);
        (resolved, problems, warnings)
    }

    fn props(pairs: &[(&str, &str)]) -> (Vec<EnvProperty>, Vec<Problem>) {
        let (resolved, mut problems, _) = resolve(pairs, &[]);
        let controls = read_controls(&resolved, &mut problems, &mut Vec::new());
        let props = env_properties(&resolved, controls, &mut problems, &mut Vec::new());
        (props, problems)
    }

    #[test]
    fn service_link_variables_are_left_out_with_one_warning() {
        let (resolved, mut problems, _) = resolve(
            &[
                ("KAFKA_NODE_ID", "1"),
                ("KAFKA_PORT", "tcp://10.0.0.1:9092"),
                ("KAFKA_PORT_9092_TCP_PORT", "9092"),
                ("KAFKA_SERVICE_HOST", "10.0.0.1"),
                ("KAFKA_SERVICE_PORT", "9092"),
            ],
            &[],
        );
        let controls = read_controls(&resolved, &mut problems, &mut Vec::new());
        let mut warnings = Vec::new();
        let props = env_properties(&resolved, controls, &mut problems, &mut warnings);
        assert!(problems.is_empty());
        let keys: Vec<&str> = props.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["node.id"]);
        assert_eq!(
            warnings,
            [Warning::ServiceLinkVarsIgnored {
                env_vars: vec![
                    "KAFKA_PORT".to_owned(),
                    "KAFKA_PORT_9092_TCP_PORT".to_owned(),
                    "KAFKA_SERVICE_HOST".to_owned(),
                    "KAFKA_SERVICE_PORT".to_owned(),
                ]
            }]
        );
    }

    #[test]
    fn file_indirection_reads_value_and_trims_one_newline() {
        let (resolved, problems, _) = resolve(
            &[("KAFKA_SASL_JAAS_CONFIG_FILE", "/run/secrets/jaas")],
            &[(
                "KAFKA_SASL_JAAS_CONFIG_FILE",
                FileRead::Contents(b"line1\nline2\n\n".to_vec()),
            )],
        );
        assert_eq!(problems, vec![]);
        assert_eq!(
            resolved.get("KAFKA_SASL_JAAS_CONFIG"),
            Some("line1\nline2\n")
        );
        assert_eq!(
            resolved.blame("KAFKA_SASL_JAAS_CONFIG"),
            "KAFKA_SASL_JAAS_CONFIG_FILE"
        );
    }

    #[test]
    fn value_and_file_both_set_is_an_error() {
        let (_, problems, _) = resolve(&[("KAFKA_X_FILE", "/p"), ("KAFKA_X", "1")], &[]);
        assert_eq!(
            problems,
            vec![Problem::ValueAndFileBothSet {
                env_var: "KAFKA_X".into(),
                file_env_var: "KAFKA_X_FILE".into()
            }]
        );
    }

    #[test]
    fn missing_value_file_names_variable_and_path() {
        let (_, problems, _) = resolve(
            &[("KAFKA_X_FILE", "/nope")],
            &[("KAFKA_X_FILE", FileRead::Missing)],
        );
        assert_eq!(
            problems,
            vec![Problem::ValueFileUnreadable {
                file_env_var: "KAFKA_X_FILE".into(),
                path: "/nope".into(),
                reason: "no such file".into()
            }]
        );
    }

    #[test]
    fn file_indirection_for_launcher_vars_is_ignored_with_warning() {
        let (resolved, problems, warnings) = resolve(&[("KAFKA_HEAP_OPTS_FILE", "/p")], &[]);
        assert_eq!(problems, vec![]);
        assert_eq!(resolved.get("KAFKA_HEAP_OPTS"), None);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn value_files_to_read_lists_supported_unset_targets() {
        let env = EnvSnapshot::from_pairs([
            ("KAFKA_A_FILE", "/a"),
            ("KAFKA_B_FILE", "/b"),
            ("KAFKA_B", "set"),
            ("KAFKA_OPTS_FILE", "/o"),
            ("OTHER_FILE", "/x"),
        ]);
        assert_eq!(
            value_files_to_read(&env),
            vec![("KAFKA_A_FILE".to_owned(), "/a".to_owned())]
        );
    }

    #[test]
    fn bitnami_and_official_same_value_is_fine() {
        let (props, problems) = props(&[
            ("KAFKA_NODE_ID", "1"),
            ("KAFKA_CFG_NODE_ID", "1"),
            ("KAFKA_CFG_X", "2"),
        ]);
        assert_eq!(problems, vec![]);
        assert_eq!(
            props.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
            ["node.id", "x"]
        );
    }

    #[test]
    fn bitnami_and_official_different_values_conflict() {
        let (_, problems) = props(&[("KAFKA_NODE_ID", "1"), ("KAFKA_CFG_NODE_ID", "2")]);
        assert_eq!(
            problems,
            vec![Problem::ConflictingEnvVars {
                env_var: "KAFKA_NODE_ID".into(),
                other_env_var: "KAFKA_CFG_NODE_ID".into(),
                key: "node.id".into()
            }]
        );
    }

    #[test]
    fn empty_value_sets_empty_property() {
        let (props, _) = props(&[("KAFKA_EMPTY", "")]);
        assert_eq!(props[0].value, "");
    }

    #[test]
    fn node_id_from_hostname_ordinal() {
        let (props, problems) = props(&[
            ("KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME", "true"),
            ("HOSTNAME", "kafka-2"),
        ]);
        assert_eq!(problems, vec![]);
        assert_eq!(
            (props[0].key.as_str(), props[0].value.as_str()),
            ("node.id", "2")
        );
        assert_eq!(hostname_ordinal("kafka-12.kafka-headless.ns.svc"), Some(12));
        assert_eq!(hostname_ordinal("kafka"), None);
        assert_eq!(hostname_ordinal("kafka-x"), None);
    }

    #[test]
    fn node_id_from_hostname_without_ordinal_is_an_error() {
        let (_, problems) = props(&[
            ("KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME", "true"),
            ("HOSTNAME", "broker"),
        ]);
        assert_eq!(
            problems,
            vec![Problem::NoHostnameOrdinal {
                hostname: "broker".into()
            }]
        );
    }

    #[test]
    fn control_vars_never_become_properties_and_bad_booleans_are_errors() {
        let (props, problems) = props(&[("KAFKA_ENTRYPOINT_STRICT", "yes")]);
        assert_eq!(props, vec![]);
        assert_eq!(
            problems,
            vec![Problem::InvalidBoolean {
                env_var: "KAFKA_ENTRYPOINT_STRICT".into(),
                value: "yes".into()
            }]
        );
    }

    #[test]
    fn unknown_control_var_gets_a_suggestion() {
        let (resolved, _, _) = resolve(&[("KAFKA_ENTRYPOINT_STRCT", "true")], &[]);
        let mut warnings = Vec::new();
        read_controls(&resolved, &mut Vec::new(), &mut warnings);
        assert_eq!(
            warnings,
            vec![Warning::UnknownControlVar {
                env_var: "KAFKA_ENTRYPOINT_STRCT".into(),
                suggestion: Some("KAFKA_ENTRYPOINT_STRICT".into())
            }]
        );
    }

    #[test]
    fn listeners_are_derived_from_env_advertised_listeners() {
        let env_props = vec![EnvProperty {
            key: "advertised.listeners".into(),
            value: "PLAINTEXT://kafka:9092,SSL://kafka.example.com:9093".into(),
            env_var: "KAFKA_ADVERTISED_LISTENERS".into(),
        }];
        let mut merged = merge_server_properties(
            None,
            None,
            env_props,
            "/d",
            DefaultsMode::Replace,
            &mut Vec::new(),
            &mut Vec::new(),
        );
        derive_listeners(&mut merged);
        assert_eq!(
            merged.properties.get("listeners"),
            Some("PLAINTEXT://0.0.0.0:9092,SSL://0.0.0.0:9093")
        );
    }
}
