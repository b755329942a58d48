//! Keystores, truststores and their passwords mounted as files in the secrets directory, named by
//! the official image's SSL helper variables (`configure` in apache/kafka's `docker/`):
//! `KAFKA_SSL_KEYSTORE_FILENAME` → `ssl.keystore.location`, `KAFKA_SSL_KEYSTORE_CREDENTIALS` →
//! `ssl.keystore.password`, `KAFKA_SSL_KEY_CREDENTIALS` → `ssl.key.password`, and, when
//! `ssl.client.auth` is `required` or `requested`, the truststore pair. Passwords are the file's
//! content without its final newline.

use std::collections::BTreeMap;

use crate::env_vars;
use crate::error::{Problem, Source, Warning};
use crate::merge::{MergedServerProperties, ResolvedEnv, trim_final_newline};
use crate::node::{NodeConfig, SecurityProtocol};
use crate::plan::FileRead;
use crate::properties::decode_text;

/// One SSL helper: the variable, the property it sets, and whether the file's content (a
/// password) or its location (a store) goes into the property.
struct SslHelper {
    env_var: &'static str,
    key: &'static str,
    is_password: bool,
}

const KEYSTORE: SslHelper = SslHelper {
    env_var: env_vars::KAFKA_SSL_KEYSTORE_FILENAME,
    key: "ssl.keystore.location",
    is_password: false,
};
const KEYSTORE_PASSWORD: SslHelper = SslHelper {
    env_var: env_vars::KAFKA_SSL_KEYSTORE_CREDENTIALS,
    key: "ssl.keystore.password",
    is_password: true,
};
const KEY_PASSWORD: SslHelper = SslHelper {
    env_var: env_vars::KAFKA_SSL_KEY_CREDENTIALS,
    key: "ssl.key.password",
    is_password: true,
};
const TRUSTSTORE: SslHelper = SslHelper {
    env_var: env_vars::KAFKA_SSL_TRUSTSTORE_FILENAME,
    key: "ssl.truststore.location",
    is_password: false,
};
const TRUSTSTORE_PASSWORD: SslHelper = SslHelper {
    env_var: env_vars::KAFKA_SSL_TRUSTSTORE_CREDENTIALS,
    key: "ssl.truststore.password",
    is_password: true,
};
const HELPERS: [&SslHelper; 5] = [
    &KEYSTORE,
    &KEYSTORE_PASSWORD,
    &KEY_PASSWORD,
    &TRUSTSTORE,
    &TRUSTSTORE_PASSWORD,
];

/// A file in the secrets directory that the binary must read (or only check) for setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFileRequest {
    /// The helper variable naming it.
    pub env_var: String,
    /// The file name relative to the secrets directory.
    pub file_name: String,
    /// Whether setup needs the content (passwords) or only to know the file exists (stores).
    pub needs_contents: bool,
}

/// Whether `name` is a plain file name, so that it names a file inside the secrets directory
/// (no `/`, not `.` or `..`).
fn is_plain_file_name(name: &str) -> bool {
    !matches!(name, "" | "." | "..") && !name.contains(['/', '\0'])
}

/// The secrets-directory files named by the SSL helper variables in `env` (plain file names
/// only: anything else is a problem [`crate::plan_setup`] reports, not a path to open).
#[must_use]
pub fn secret_files_to_read(env: &crate::env::EnvSnapshot) -> Vec<SecretFileRequest> {
    HELPERS
        .iter()
        .filter_map(|helper| {
            env.get(helper.env_var)
                .filter(|v| is_plain_file_name(v))
                .map(|file_name| SecretFileRequest {
                    env_var: helper.env_var.to_owned(),
                    file_name: file_name.to_owned(),
                    needs_contents: helper.is_password,
                })
        })
        .collect()
}

/// The path of a file in the secrets directory.
pub(crate) fn secret_path(secrets_dir: &str, file_name: &str) -> String {
    format!("{}/{}", secrets_dir.trim_end_matches('/'), file_name)
}

/// Whether a listener of `listeners` or `advertised.listeners` uses TLS (`SSL`, `SASL_SSL`),
/// as the node model maps names to protocols.
fn uses_tls(merged: &MergedServerProperties) -> bool {
    let (node, _) = NodeConfig::read(&merged.properties);
    node.listeners
        .iter()
        .chain(&node.advertised_listeners)
        .any(|endpoint| {
            node.protocol_of(&endpoint.name)
                .is_some_and(SecurityProtocol::uses_tls)
        })
}

/// Whether any key ending in `suffix` is already set (also `listener.name.x.<suffix>`).
fn configured(merged: &MergedServerProperties, suffix: &str) -> bool {
    merged
        .properties
        .iter()
        .any(|(key, _)| key == suffix || key.ends_with(&format!(".{suffix}")))
}

/// Applies the SSL helper variables when a listener uses SSL.
pub(crate) fn apply_ssl_secrets(
    env: &ResolvedEnv,
    secrets: &BTreeMap<String, FileRead>,
    secrets_dir: &str,
    merged: &mut MergedServerProperties,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) {
    let set = |helper: &SslHelper| env.get(helper.env_var).filter(|v| !v.is_empty());
    if !uses_tls(merged) {
        for helper in HELPERS {
            if set(helper).is_some() {
                warnings.push(Warning::SslHelperUnused {
                    env_var: helper.env_var.to_owned(),
                });
            }
        }
        return;
    }
    let client_auth = merged
        .properties
        .get("ssl.client.auth")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let needs_truststore = client_auth.contains("required") || client_auth.contains("requested");
    let keystore_by_helper = set(&KEYSTORE).is_some();
    for helper in HELPERS {
        let Some(file_name) = set(helper) else {
            let required = match helper.key {
                "ssl.keystore.location" => true,
                "ssl.keystore.password" | "ssl.key.password" => keystore_by_helper,
                "ssl.truststore.location" => needs_truststore,
                _ => needs_truststore && set(&TRUSTSTORE).is_some(),
            };
            if required && !configured(merged, helper.key) {
                problems.push(Problem::SslSettingMissing {
                    env_var: helper.env_var.to_owned(),
                });
            }
            continue;
        };
        if !is_plain_file_name(file_name) {
            problems.push(Problem::SecretFileNameNotPlain {
                env_var: helper.env_var.to_owned(),
                file_name: file_name.to_owned(),
            });
            continue;
        }
        let path = secret_path(secrets_dir, file_name);
        let unreadable = |reason: &str| Problem::SecretFileUnreadable {
            env_var: helper.env_var.to_owned(),
            path: path.clone(),
            reason: reason.to_owned(),
        };
        let value = match (secrets.get(file_name), helper.is_password) {
            (Some(FileRead::Contents(bytes)), true) => match decode_text(bytes) {
                Ok(text) => trim_final_newline(&text).to_owned(),
                Err(_) => {
                    problems.push(unreadable("not a text file"));
                    continue;
                }
            },
            (Some(FileRead::Contents(_) | FileRead::Present), false) => path.clone(),
            (Some(FileRead::Present), true) => {
                problems.push(unreadable("its content was not read"));
                continue;
            }
            (Some(FileRead::Directory), _) => {
                problems.push(unreadable("it is a directory"));
                continue;
            }
            (Some(FileRead::Unreadable { reason }), _) => {
                problems.push(unreadable(reason));
                continue;
            }
            (Some(FileRead::Missing) | None, _) => {
                problems.push(Problem::SecretFileMissing {
                    env_var: helper.env_var.to_owned(),
                    path,
                });
                continue;
            }
        };
        merged.properties.set(helper.key, &value);
        merged.sources.insert(
            helper.key.to_owned(),
            Source::Secret {
                env_var: helper.env_var.to_owned(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::resolve_env;
    use crate::properties::Properties;

    fn apply(
        env: &[(&str, &str)],
        secrets: &[(&str, FileRead)],
        listeners: &str,
    ) -> (MergedServerProperties, Vec<Problem>, Vec<Warning>) {
        let snapshot = crate::env::EnvSnapshot::from_pairs(env.iter().copied());
        let (mut problems, mut warnings) = (Vec::new(), Vec::new());
        let resolved = resolve_env(&snapshot, &BTreeMap::new(), &mut problems, &mut warnings);
        let mut properties = Properties::new();
        properties.set("listeners", listeners);
        let mut merged = MergedServerProperties {
            properties,
            sources: BTreeMap::new(),
            defaults_dropped_by: None,
        };
        let secrets = secrets
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        apply_ssl_secrets(
            &resolved,
            &secrets,
            "/etc/kafka/secrets/",
            &mut merged,
            &mut problems,
            &mut warnings,
        );
        (merged, problems, warnings)
    }

    const HELPERS_SET: [(&str, &str); 3] = [
        ("KAFKA_SSL_KEYSTORE_FILENAME", "ks.jks"),
        ("KAFKA_SSL_KEYSTORE_CREDENTIALS", "ks_creds"),
        ("KAFKA_SSL_KEY_CREDENTIALS", "key_creds"),
    ];

    #[test]
    fn passwords_lose_only_their_final_newline() {
        let (merged, problems, _) = apply(
            &HELPERS_SET,
            &[
                ("ks.jks", FileRead::Present),
                ("ks_creds", FileRead::Contents(b"pa ss\n\n".to_vec())),
                ("key_creds", FileRead::Contents(b"k\r\n".to_vec())),
            ],
            "SSL://:9093",
        );
        assert_eq!(problems, vec![]);
        assert_eq!(
            merged.properties.get("ssl.keystore.location"),
            Some("/etc/kafka/secrets/ks.jks")
        );
        assert_eq!(
            merged.properties.get("ssl.keystore.password"),
            Some("pa ss\n")
        );
        assert_eq!(merged.properties.get("ssl.key.password"), Some("k"));
    }

    #[test]
    fn custom_listener_name_mapped_to_sasl_ssl_uses_ssl() {
        let (mut merged, _, _) = apply(&[], &[], "EXTERNAL://:9094");
        merged
            .properties
            .set("listener.security.protocol.map", "EXTERNAL:SASL_SSL");
        assert!(uses_tls(&merged));
    }

    #[test]
    fn keystore_set_as_property_needs_no_helper() {
        let (mut merged, _, _) = apply(&[], &[], "SSL://:9093");
        merged
            .properties
            .set("ssl.keystore.location", "/elsewhere/ks.p12");
        let (mut problems, mut warnings) = (Vec::new(), Vec::new());
        let resolved = resolve_env(
            &crate::env::EnvSnapshot::default(),
            &BTreeMap::new(),
            &mut problems,
            &mut warnings,
        );
        apply_ssl_secrets(
            &resolved,
            &BTreeMap::new(),
            "/s",
            &mut merged,
            &mut problems,
            &mut warnings,
        );
        assert_eq!(problems, vec![]);
    }

    #[test]
    fn missing_keystore_helper_with_ssl_listener_is_an_error() {
        let (_, problems, _) = apply(&[], &[], "SSL://:9093");
        assert_eq!(
            problems,
            vec![Problem::SslSettingMissing {
                env_var: "KAFKA_SSL_KEYSTORE_FILENAME".into()
            }]
        );
    }

    #[test]
    fn binary_credentials_file_is_an_error_without_its_content() {
        let (_, problems, _) = apply(
            &HELPERS_SET,
            &[
                ("ks.jks", FileRead::Present),
                ("ks_creds", FileRead::Contents(vec![0, 1, 2])),
                ("key_creds", FileRead::Directory),
            ],
            "SSL://:9093",
        );
        assert_eq!(
            problems,
            vec![
                Problem::SecretFileUnreadable {
                    env_var: "KAFKA_SSL_KEYSTORE_CREDENTIALS".into(),
                    path: "/etc/kafka/secrets/ks_creds".into(),
                    reason: "not a text file".into()
                },
                Problem::SecretFileUnreadable {
                    env_var: "KAFKA_SSL_KEY_CREDENTIALS".into(),
                    path: "/etc/kafka/secrets/key_creds".into(),
                    reason: "it is a directory".into()
                },
            ]
        );
    }

    #[test]
    fn secret_file_names_must_be_plain_names_in_the_secrets_dir() {
        for name in ["/etc/passwd", "../ks.jks", "sub/ks.jks", ".."] {
            let env = [
                ("KAFKA_SSL_KEYSTORE_FILENAME", name),
                ("KAFKA_SSL_KEYSTORE_CREDENTIALS", "ks_creds"),
                ("KAFKA_SSL_KEY_CREDENTIALS", "key_creds"),
            ];
            let snapshot = crate::env::EnvSnapshot::from_pairs(env);
            assert!(
                secret_files_to_read(&snapshot)
                    .iter()
                    .all(|request| request.file_name != name)
            );
            let (merged, problems, _) = apply(
                &env,
                &[
                    ("ks_creds", FileRead::Contents(b"p".to_vec())),
                    ("key_creds", FileRead::Contents(b"k".to_vec())),
                ],
                "SSL://:9093",
            );
            assert_eq!(
                problems,
                vec![Problem::SecretFileNameNotPlain {
                    env_var: "KAFKA_SSL_KEYSTORE_FILENAME".into(),
                    file_name: name.into()
                }]
            );
            assert_eq!(merged.properties.get("ssl.keystore.location"), None);
        }
    }

    #[test]
    fn secret_file_requests_ask_contents_only_for_passwords() {
        let env = crate::env::EnvSnapshot::from_pairs(HELPERS_SET);
        let requests = secret_files_to_read(&env);
        assert_eq!(
            requests
                .iter()
                .map(|r| (r.file_name.as_str(), r.needs_contents))
                .collect::<Vec<_>>(),
            [("ks.jks", false), ("ks_creds", true), ("key_creds", true)]
        );
    }
}
