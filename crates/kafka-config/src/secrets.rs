//! Keystores, truststores and their passwords mounted as files in the secrets directory, named by
//! the official image's SSL helper variables (`configure` in apache/kafka's `docker/`):
//! `KAFKA_SSL_KEYSTORE_FILENAME` → `ssl.keystore.location`, `KAFKA_SSL_KEYSTORE_CREDENTIALS` →
//! `ssl.keystore.password`, `KAFKA_SSL_KEY_CREDENTIALS` → `ssl.key.password`, and, when
//! `ssl.client.auth` is `required` or `requested`, the truststore pair. Passwords are the file's
//! content without its final newline.
//!
//! PEM files as a Kubernetes TLS secret mounts them replace either store ([`apply_pem`]):
//! `KAFKA_SSL_KEY_PEM_FILENAME` (`tls.key`) and `KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME`
//! (`tls.crt`) give `ssl.keystore.type=PEM`, `ssl.keystore.key` and
//! `ssl.keystore.certificate.chain`; `KAFKA_SSL_CA_PEM_FILENAME` (`ca.crt`) gives
//! `ssl.truststore.type=PEM` and `ssl.truststore.certificates`. The key is written as
//! unencrypted PKCS#8, the one form Kafka loads on every supported Java (an encrypted key is
//! decrypted with the password in `KAFKA_SSL_KEY_CREDENTIALS`; see `kafka-tls`), into the final
//! `server.properties`, which only its owner reads. Setup refuses a key that is not the chain's,
//! a certificate outside its validity at `now`, and files that are not what they should be.

use std::collections::BTreeMap;
use std::time::SystemTime;

use kafka_tls::{Certificate, KeyMatch, PrivateKey};

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

/// The PEM helpers: files whose content setup reads, checks and writes into properties.
const PEM_HELPERS: [&str; 3] = [
    env_vars::KAFKA_SSL_KEY_PEM_FILENAME,
    env_vars::KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME,
    env_vars::KAFKA_SSL_CA_PEM_FILENAME,
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
        .map(|helper| (helper.env_var, helper.is_password))
        .chain(PEM_HELPERS.iter().map(|env_var| (*env_var, true)))
        .filter_map(|(env_var, needs_contents)| {
            env.get(env_var)
                .filter(|v| is_plain_file_name(v))
                .map(|file_name| SecretFileRequest {
                    env_var: env_var.to_owned(),
                    file_name: file_name.to_owned(),
                    needs_contents,
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

/// A file in the secrets directory as setup found it: its path and, when read, its content.
struct SecretFile<'a> {
    path: String,
    contents: Option<&'a [u8]>,
}

/// Looks up the file a helper variable names, or the problem with it.
fn secret_file<'a>(
    env_var: &str,
    file_name: &str,
    secrets: &'a BTreeMap<String, FileRead>,
    secrets_dir: &str,
) -> Result<SecretFile<'a>, Problem> {
    if !is_plain_file_name(file_name) {
        return Err(Problem::SecretFileNameNotPlain {
            env_var: env_var.to_owned(),
            file_name: file_name.to_owned(),
        });
    }
    let path = secret_path(secrets_dir, file_name);
    let unreadable = |reason: &str| Problem::SecretFileUnreadable {
        env_var: env_var.to_owned(),
        path: path.clone(),
        reason: reason.to_owned(),
    };
    match secrets.get(file_name) {
        Some(FileRead::Contents(bytes)) => Ok(SecretFile {
            contents: Some(bytes),
            path,
        }),
        Some(FileRead::Present) => Ok(SecretFile {
            contents: None,
            path,
        }),
        Some(FileRead::Directory) => Err(unreadable("it is a directory")),
        Some(FileRead::Unreadable { reason }) => Err(unreadable(reason)),
        Some(FileRead::Missing) | None => Err(Problem::SecretFileMissing {
            env_var: env_var.to_owned(),
            path,
        }),
    }
}

/// The content of a password file without its final newline.
fn password(env_var: &str, file: &SecretFile<'_>) -> Result<String, Problem> {
    let unreadable = |reason: &str| Problem::SecretFileUnreadable {
        env_var: env_var.to_owned(),
        path: file.path.clone(),
        reason: reason.to_owned(),
    };
    let bytes = file
        .contents
        .ok_or_else(|| unreadable("its content was not read"))?;
    let text = decode_text(bytes).map_err(|_| unreadable("not a text file"))?;
    Ok(trim_final_newline(&text).to_owned())
}

/// Applies the SSL helper variables when a listener uses SSL; `now` is the instant
/// certificates must be valid at.
pub(crate) fn apply_ssl_secrets(
    env: &ResolvedEnv,
    secrets: &BTreeMap<String, FileRead>,
    secrets_dir: &str,
    now: SystemTime,
    merged: &mut MergedServerProperties,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) {
    let set = |helper: &SslHelper| env.get(helper.env_var).filter(|v| !v.is_empty());
    let set_var = |env_var: &str| env.get(env_var).filter(|v| !v.is_empty());
    if !uses_tls(merged) {
        let all = HELPERS
            .iter()
            .map(|helper| helper.env_var)
            .chain(PEM_HELPERS);
        for env_var in all {
            if set_var(env_var).is_some() {
                warnings.push(Warning::SslHelperUnused {
                    env_var: env_var.to_owned(),
                });
            }
        }
        return;
    }
    let pem_key = set_var(env_vars::KAFKA_SSL_KEY_PEM_FILENAME).is_some()
        || set_var(env_vars::KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME).is_some();
    let pem_ca = set_var(env_vars::KAFKA_SSL_CA_PEM_FILENAME).is_some();
    let client_auth = merged
        .properties
        .get("ssl.client.auth")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let needs_truststore = client_auth.contains("required") || client_auth.contains("requested");
    let keystore_by_helper = set(&KEYSTORE).is_some();
    for helper in HELPERS {
        let replaced_by_pem = match helper.key {
            "ssl.keystore.location" | "ssl.keystore.password" => {
                pem_key.then_some(env_vars::KAFKA_SSL_KEY_PEM_FILENAME)
            }
            "ssl.truststore.location" | "ssl.truststore.password" => {
                pem_ca.then_some(env_vars::KAFKA_SSL_CA_PEM_FILENAME)
            }
            _ => None,
        };
        if let Some(pem_var) = replaced_by_pem {
            if set(helper).is_some() {
                problems.push(Problem::SslHelpersConflict {
                    env_var: pem_var.to_owned(),
                    other_env_var: helper.env_var.to_owned(),
                });
            }
            continue;
        }
        if pem_key && helper.key == "ssl.key.password" {
            // The PEM key's password: `apply_pem` decrypts the key with it.
            continue;
        }
        let Some(file_name) = set(helper) else {
            let required = match helper.key {
                // Kafka's own PEM keystore set as properties needs no location either.
                "ssl.keystore.location" => !configured(merged, "ssl.keystore.key"),
                "ssl.keystore.password" | "ssl.key.password" => keystore_by_helper,
                "ssl.truststore.location" => {
                    needs_truststore && !configured(merged, "ssl.truststore.certificates")
                }
                _ => needs_truststore && set(&TRUSTSTORE).is_some(),
            };
            if required && !configured(merged, helper.key) {
                problems.push(Problem::SslSettingMissing {
                    env_var: helper.env_var.to_owned(),
                });
            }
            continue;
        };
        let file = match secret_file(helper.env_var, file_name, secrets, secrets_dir) {
            Ok(file) => file,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let value = if helper.is_password {
            match password(helper.env_var, &file) {
                Ok(value) => value,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            }
        } else {
            file.path
        };
        merged.properties.set(helper.key, &value);
        merged.sources.insert(
            helper.key.to_owned(),
            Source::Secret {
                env_var: helper.env_var.to_owned(),
            },
        );
    }
    if pem_key || pem_ca {
        apply_pem(env, secrets, secrets_dir, now, merged, problems);
    }
}

/// Sets `key` from a PEM helper variable.
fn set_from_pem(merged: &mut MergedServerProperties, key: &str, value: &str, env_var: &str) {
    merged.properties.set(key, value);
    merged.sources.insert(
        key.to_owned(),
        Source::Secret {
            env_var: env_var.to_owned(),
        },
    );
}

/// Reads, checks and applies the PEM helpers: the key and its certificate chain as Kafka's PEM
/// keystore, the CA certificates as its PEM truststore. Every problem is reported, none holds
/// the files' content.
fn apply_pem(
    env: &ResolvedEnv,
    secrets: &BTreeMap<String, FileRead>,
    secrets_dir: &str,
    now: SystemTime,
    merged: &mut MergedServerProperties,
    problems: &mut Vec<Problem>,
) {
    const KEY: &str = env_vars::KAFKA_SSL_KEY_PEM_FILENAME;
    const CHAIN: &str = env_vars::KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME;
    const CA: &str = env_vars::KAFKA_SSL_CA_PEM_FILENAME;
    let set_var = |env_var: &str| env.get(env_var).filter(|v| !v.is_empty());
    // The file a PEM helper names and its content, or `None` with the problem reported.
    let mut read = |env_var: &str| -> Option<(String, &[u8])> {
        let file_name = set_var(env_var)?;
        match secret_file(env_var, file_name, secrets, secrets_dir) {
            Ok(SecretFile {
                path,
                contents: Some(bytes),
            }) => Some((path, bytes)),
            Ok(SecretFile {
                path,
                contents: None,
            }) => {
                problems.push(Problem::SecretFileUnreadable {
                    env_var: env_var.to_owned(),
                    path,
                    reason: "its content was not read".to_owned(),
                });
                None
            }
            Err(problem) => {
                problems.push(problem);
                None
            }
        }
    };
    let key_file = read(KEY);
    let chain_file = read(CHAIN);
    let ca_file = read(CA);
    let pem_key = set_var(KEY).is_some() || set_var(CHAIN).is_some();
    if pem_key {
        for (env_var, other) in [(KEY, CHAIN), (CHAIN, KEY)] {
            if set_var(env_var).is_some() && set_var(other).is_none() {
                problems.push(Problem::SslSettingMissing {
                    env_var: other.to_owned(),
                });
            }
        }
        conflicting_keys(merged, KEY, "keystore", problems);
    }
    if set_var(CA).is_some() {
        conflicting_keys(merged, CA, "truststore", problems);
    }
    let tls_file = |env_var: &str, path: &str, problem| Problem::TlsFile {
        env_var: env_var.to_owned(),
        path: path.to_owned(),
        problem,
    };

    // `None`: no password variable; `Some(None)`: set, but the file gave no password.
    let key_password = pem_key
        .then(|| env.get(env_vars::KAFKA_SSL_KEY_CREDENTIALS))
        .flatten()
        .filter(|v| !v.is_empty())
        .map(|file_name| {
            secret_file(
                env_vars::KAFKA_SSL_KEY_CREDENTIALS,
                file_name,
                secrets,
                secrets_dir,
            )
            .and_then(|file| password(env_vars::KAFKA_SSL_KEY_CREDENTIALS, &file))
            .map_err(|problem| problems.push(problem))
            .ok()
        });
    let key = match (&key_file, key_password) {
        (Some((path, bytes)), None) => PrivateKey::parse(bytes, None)
            .map_err(|problem| problems.push(tls_file(KEY, path, problem)))
            .ok(),
        (Some((path, bytes)), Some(Some(password))) => {
            PrivateKey::parse(bytes, Some(password.as_bytes()))
                .map_err(|problem| problems.push(tls_file(KEY, path, problem)))
                .ok()
        }
        (None, _) | (_, Some(None)) => None,
    };
    let chain = chain_file.as_ref().and_then(|(path, bytes)| {
        checked_certificates(bytes, now)
            .map_err(|found| {
                problems.extend(
                    found
                        .into_iter()
                        .map(|problem| tls_file(CHAIN, path, problem)),
                );
            })
            .ok()
    });
    if let (Some(key), Some(chain), Some((key_path, _)), Some((chain_path, _))) =
        (&key, &chain, &key_file, &chain_file)
    {
        if let Some(leaf) = chain.first()
            && key.matches(leaf) == KeyMatch::DoesNotMatch
        {
            problems.push(Problem::TlsKeyDoesNotMatchCertificate {
                key_env_var: KEY.to_owned(),
                key_path: key_path.clone(),
                chain_env_var: CHAIN.to_owned(),
                chain_path: chain_path.clone(),
                subject: leaf.subject(),
            });
        }
        set_from_pem(merged, "ssl.keystore.type", "PEM", KEY);
        set_from_pem(merged, "ssl.keystore.key", &key.to_pkcs8_pem(), KEY);
        set_from_pem(
            merged,
            "ssl.keystore.certificate.chain",
            &Certificate::to_pem(chain),
            CHAIN,
        );
    }
    if let Some((path, bytes)) = &ca_file {
        match checked_certificates(bytes, now) {
            Ok(cas) => {
                set_from_pem(merged, "ssl.truststore.type", "PEM", CA);
                set_from_pem(
                    merged,
                    "ssl.truststore.certificates",
                    &Certificate::to_pem(&cas),
                    CA,
                );
            }
            Err(found) => {
                problems.extend(found.into_iter().map(|problem| tls_file(CA, path, problem)));
            }
        }
    }
}

/// The certificates of a PEM file, each valid at `now`, or every problem with them.
fn checked_certificates(
    bytes: &[u8],
    now: SystemTime,
) -> Result<Vec<Certificate>, Vec<kafka_tls::PemProblem>> {
    let certificates = Certificate::parse_all(bytes).map_err(|problem| vec![problem])?;
    let invalid: Vec<_> = certificates
        .iter()
        .enumerate()
        .filter_map(|(index, certificate)| certificate.check_validity(now, index + 1).err())
        .collect();
    if invalid.is_empty() {
        Ok(certificates)
    } else {
        Err(invalid)
    }
}

/// Problems for keys already set that a PEM `store` (`keystore`, `truststore`) set by
/// `env_var` cannot be combined with: its location or password, or another type.
fn conflicting_keys(
    merged: &MergedServerProperties,
    env_var: &str,
    store: &str,
    problems: &mut Vec<Problem>,
) {
    let type_key = format!("ssl.{store}.type");
    let other_type = merged
        .properties
        .get(&type_key)
        .is_some_and(|value| !value.eq_ignore_ascii_case("PEM"));
    let keys = [
        format!("ssl.{store}.location"),
        format!("ssl.{store}.password"),
    ];
    for key in keys
        .iter()
        .filter(|key| merged.properties.get(key).is_some())
        .chain(other_type.then_some(&type_key))
    {
        problems.push(Problem::SslPemPropertyConflict {
            env_var: env_var.to_owned(),
            key: key.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Sources;
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
            sources: Sources::default(),
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
            SystemTime::UNIX_EPOCH,
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
        let env = crate::env::EnvSnapshot::default();
        let resolved = resolve_env(&env, &BTreeMap::new(), &mut problems, &mut warnings);
        apply_ssl_secrets(
            &resolved,
            &BTreeMap::new(),
            "/s",
            SystemTime::UNIX_EPOCH,
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

    /// A PEM certificate (valid through 2020–2030) and its PKCS#8 key, made by rcgen.
    fn pem_pair(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// 2025-01-01, inside [`pem_pair`]'s validity.
    fn in_2025() -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_735_689_600)
    }

    const PEM_ENV: [(&str, &str); 4] = [
        ("KAFKA_SSL_KEY_PEM_FILENAME", "tls.key"),
        ("KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME", "tls.crt"),
        ("KAFKA_SSL_CA_PEM_FILENAME", "ca.crt"),
        ("KAFKA_SSL_CLIENT_AUTH", "required"),
    ];

    fn apply_pem_at(
        env: &[(&str, &str)],
        files: &[(&str, &str)],
        now: SystemTime,
    ) -> (MergedServerProperties, Vec<Problem>) {
        apply_pem_over(env, files, now, &[])
    }

    /// [`apply_pem_at`] over a config that already holds `properties`.
    fn apply_pem_over(
        env: &[(&str, &str)],
        files: &[(&str, &str)],
        now: SystemTime,
        properties_set: &[(&str, &str)],
    ) -> (MergedServerProperties, Vec<Problem>) {
        let snapshot = crate::env::EnvSnapshot::from_pairs(env.iter().copied());
        let (mut problems, mut warnings) = (Vec::new(), Vec::new());
        let resolved = resolve_env(&snapshot, &BTreeMap::new(), &mut problems, &mut warnings);
        let mut properties = Properties::new();
        properties.set("listeners", "SSL://:9093");
        properties.set("ssl.client.auth", "required");
        for (key, value) in properties_set {
            properties.set(key, value);
        }
        let mut merged = MergedServerProperties {
            properties,
            sources: Sources::default(),
            defaults_dropped_by: None,
        };
        let secrets = files
            .iter()
            .map(|(name, text)| {
                (
                    (*name).to_owned(),
                    FileRead::Contents(text.as_bytes().to_vec()),
                )
            })
            .collect();
        apply_ssl_secrets(
            &resolved,
            &secrets,
            "/etc/kafka/secrets",
            now,
            &mut merged,
            &mut problems,
            &mut warnings,
        );
        (merged, problems)
    }

    #[test]
    fn pem_files_become_kafkas_pem_stores() {
        let (cert, key) = pem_pair("kafka-0");
        let (ca, _) = pem_pair("ca");
        let files = [
            ("tls.key", key.as_str()),
            ("tls.crt", &cert),
            ("ca.crt", &ca),
        ];
        let (merged, problems) = apply_pem_at(&PEM_ENV, &files, in_2025());
        assert_eq!(problems, vec![]);
        let get = |key: &str| merged.properties.get(key).unwrap_or_default();
        assert_eq!(get("ssl.keystore.type"), "PEM");
        assert_eq!(get("ssl.truststore.type"), "PEM");
        assert_eq!(
            get("ssl.keystore.key").replace("\r", ""),
            key.replace('\r', "")
        );
        assert_eq!(
            get("ssl.keystore.certificate.chain").replace('\r', ""),
            cert.replace('\r', "")
        );
        assert_eq!(
            get("ssl.truststore.certificates").replace('\r', ""),
            ca.replace('\r', "")
        );
        for key in [
            "ssl.keystore.location",
            "ssl.keystore.password",
            "ssl.key.password",
            "ssl.truststore.location",
        ] {
            assert_eq!(merged.properties.get(key), None, "{key}");
        }
        assert_eq!(
            merged.sources.get("ssl.keystore.key"),
            Some(&Source::Secret {
                env_var: "KAFKA_SSL_KEY_PEM_FILENAME".into()
            })
        );
        assert!(
            secret_files_to_read(&crate::env::EnvSnapshot::from_pairs(PEM_ENV))
                .iter()
                .all(|request| request.needs_contents)
        );
    }

    #[test]
    fn pem_problems_name_the_file_and_are_all_reported() {
        let (cert, _) = pem_pair("kafka-0");
        let (_, other_key) = pem_pair("other");
        let files = [
            ("tls.key", other_key.as_str()),
            ("tls.crt", &cert),
            ("ca.crt", "no pem here"),
        ];
        let (merged, problems) = apply_pem_at(&PEM_ENV, &files, in_2025());
        assert_eq!(
            problems,
            vec![
                Problem::TlsKeyDoesNotMatchCertificate {
                    key_env_var: "KAFKA_SSL_KEY_PEM_FILENAME".into(),
                    key_path: "/etc/kafka/secrets/tls.key".into(),
                    chain_env_var: "KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME".into(),
                    chain_path: "/etc/kafka/secrets/tls.crt".into(),
                    subject: "CN=rcgen self signed cert".into(),
                },
                Problem::TlsFile {
                    env_var: "KAFKA_SSL_CA_PEM_FILENAME".into(),
                    path: "/etc/kafka/secrets/ca.crt".into(),
                    problem: kafka_tls::PemProblem::NotPem,
                },
            ]
        );
        for problem in &problems {
            assert!(!problem.to_string().contains("PRIVATE"), "{problem}");
        }
        assert_eq!(merged.properties.get("ssl.truststore.certificates"), None);
    }

    #[test]
    fn expired_and_not_yet_valid_certificates_are_problems() {
        let (cert, key) = pem_pair("kafka-0");
        let files = [
            ("tls.key", key.as_str()),
            ("tls.crt", &cert),
            ("ca.crt", &cert),
        ];
        for (years, expired) in [(20, true), (-20, false)] {
            let now = if years > 0 {
                in_2025() + std::time::Duration::from_secs(20 * 365 * 86_400)
            } else {
                in_2025() - std::time::Duration::from_secs(20 * 365 * 86_400)
            };
            let (_, problems) = apply_pem_at(&PEM_ENV, &files, now);
            assert_eq!(problems.len(), 2, "{problems:?}");
            for (problem, var) in problems.iter().zip([
                "KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME",
                "KAFKA_SSL_CA_PEM_FILENAME",
            ]) {
                let Problem::TlsFile {
                    env_var, problem, ..
                } = problem
                else {
                    panic!("{problem:?}");
                };
                assert_eq!(env_var, var);
                assert_eq!(
                    matches!(problem, kafka_tls::PemProblem::CertificateExpired { .. }),
                    expired,
                    "{problem:?}"
                );
            }
        }
    }

    #[test]
    fn pem_helpers_conflict_with_stores_and_need_each_other() {
        let (cert, key) = pem_pair("kafka-0");
        let env = [
            ("KAFKA_SSL_KEY_PEM_FILENAME", "tls.key"),
            ("KAFKA_SSL_KEYSTORE_FILENAME", "ks.jks"),
            ("KAFKA_SSL_KEY_CREDENTIALS", "key_creds"),
            ("KAFKA_SSL_CA_PEM_FILENAME", "ca.crt"),
            ("KAFKA_SSL_TRUSTSTORE_TYPE", "JKS"),
        ];
        let files = [
            ("tls.key", key.as_str()),
            ("ca.crt", &cert),
            ("key_creds", "pw\n"),
        ];
        let (_, problems) = apply_pem_at(&env, &files, in_2025());
        assert_eq!(
            problems,
            vec![
                Problem::SslHelpersConflict {
                    env_var: "KAFKA_SSL_KEY_PEM_FILENAME".into(),
                    other_env_var: "KAFKA_SSL_KEYSTORE_FILENAME".into(),
                },
                Problem::SslSettingMissing {
                    env_var: "KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME".into(),
                },
                Problem::TlsFile {
                    env_var: "KAFKA_SSL_KEY_PEM_FILENAME".into(),
                    path: "/etc/kafka/secrets/tls.key".into(),
                    problem: kafka_tls::PemProblem::KeyNotEncrypted,
                },
            ]
        );
    }

    #[test]
    fn pem_stores_refuse_location_password_and_other_types() {
        let (cert, key) = pem_pair("kafka-0");
        let files = [
            ("tls.key", key.as_str()),
            ("tls.crt", &cert),
            ("ca.crt", &cert),
        ];
        let set = [
            ("ssl.keystore.location", "/elsewhere/ks.p12"),
            ("ssl.truststore.type", "JKS"),
            (
                "listener.name.internal.ssl.keystore.location",
                "/per/listener.jks",
            ),
            ("ssl.keystore.type", "pem"),
        ];
        let (_, problems) = apply_pem_over(&PEM_ENV, &files, in_2025(), &set);
        assert_eq!(
            problems,
            vec![
                Problem::SslPemPropertyConflict {
                    env_var: "KAFKA_SSL_KEY_PEM_FILENAME".into(),
                    key: "ssl.keystore.location".into(),
                },
                Problem::SslPemPropertyConflict {
                    env_var: "KAFKA_SSL_CA_PEM_FILENAME".into(),
                    key: "ssl.truststore.type".into(),
                },
            ]
        );
    }

    #[test]
    fn pem_stores_set_as_properties_need_no_helper() {
        let (_, problems) = apply_pem_over(
            &[],
            &[],
            SystemTime::UNIX_EPOCH,
            &[
                ("ssl.keystore.type", "PEM"),
                ("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----"),
                (
                    "ssl.keystore.certificate.chain",
                    "-----BEGIN CERTIFICATE-----",
                ),
                ("ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----"),
            ],
        );
        assert_eq!(problems, vec![]);
    }
}
