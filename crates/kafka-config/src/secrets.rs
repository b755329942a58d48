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
const HELPERS: [&SslHelper; 5] = [&KEYSTORE, &KEYSTORE_PASSWORD, &KEY_PASSWORD, &TRUSTSTORE, &TRUSTSTORE_PASSWORD];

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

/// The secrets-directory files named by the SSL helper variables in `env`.
#[must_use]
pub fn secret_files_to_read(env: &crate::env::EnvSnapshot) -> Vec<SecretFileRequest> {
    HELPERS
        .iter()
        .filter_map(|helper| {
            env.get(helper.env_var).filter(|v| !v.is_empty()).map(|file_name| SecretFileRequest {
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

/// The security protocol of every listener named in `listeners` and `advertised.listeners`.
fn listener_protocols(merged: &MergedServerProperties) -> Vec<String> {
    let map: Vec<(String, String)> = merged
        .properties
        .get("listener.security.protocol.map")
        .map(|map| {
            map.split(',')
                .filter_map(|pair| pair.split_once(':'))
                .map(|(name, protocol)| (name.trim().to_uppercase(), protocol.trim().to_uppercase()))
                .collect()
        })
        .unwrap_or_default();
    ["listeners", "advertised.listeners"]
        .iter()
        .filter_map(|key| merged.properties.get(key))
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().split_once("://"))
        .map(|(name, _)| {
            let name = name.trim().to_uppercase();
            map.iter()
                .find(|(mapped, _)| *mapped == name)
                .map_or(name, |(_, protocol)| protocol.clone())
        })
        .collect()
}

/// Whether any key ending in `suffix` is already set (also `listener.name.x.<suffix>`).
fn configured(merged: &MergedServerProperties, suffix: &str) -> bool {
    merged.properties.iter().any(|(key, _)| key == suffix || key.ends_with(&format!(".{suffix}")))
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
    let uses_ssl = listener_protocols(merged).iter().any(|p| p == "SSL" || p == "SASL_SSL");
    if !uses_ssl {
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
