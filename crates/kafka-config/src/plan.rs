//! `plan_setup`: from the inputs (environment, default, mounted and secret files) to the files to
//! write, or every problem at once. Nothing is written here; the binary writes the plan's files
//! atomically, and only when there is a plan.

use std::collections::BTreeMap;

use crate::env::EnvSnapshot;
use crate::env_vars;
use crate::error::{Problem, Problems, Source, Warning};
use crate::log4j::{self, Log4jFormat};
use crate::merge;
use crate::properties::{Properties, decode_text};
use crate::secrets;
use crate::validate;

/// The name of the broker's config file in every config directory.
pub const SERVER_PROPERTIES: &str = "server.properties";

/// What the binary found at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRead {
    /// A regular file with these bytes.
    Contents(Vec<u8>),
    /// A regular file that exists (its content was not needed).
    Present,
    /// Nothing there.
    Missing,
    /// A directory.
    Directory,
    /// Something there that could not be read.
    Unreadable {
        /// The I/O error, as text.
        reason: String,
    },
}

/// The directories setup works with, as the paths to show in messages and to write into
/// properties (`ssl.keystore.location` is in the secrets directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupPaths {
    /// The image's defaults (`/etc/kafka/docker`).
    pub defaults: String,
    /// The user's mounted configs (`/mnt/shared/config`).
    pub mounted: String,
    /// The user's mounted secrets (`/etc/kafka/secrets`).
    pub secrets: String,
}

/// Everything setup reads, collected by the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupInput {
    /// The environment.
    pub env: EnvSnapshot,
    /// The directories.
    pub paths: SetupPaths,
    /// The defaults directory's `server.properties` and log4j files, by file name.
    pub defaults: BTreeMap<String, Vec<u8>>,
    /// Every entry of the mounted configs directory, by file name.
    pub mounted: BTreeMap<String, FileRead>,
    /// The files named by `NAME_FILE` variables ([`crate::value_files_to_read`]), by `NAME_FILE`.
    pub value_files: BTreeMap<String, FileRead>,
    /// The secrets-directory files named by SSL helper variables
    /// ([`crate::secret_files_to_read`]), by file name.
    pub secrets: BTreeMap<String, FileRead>,
}

/// A file to write into the final configs directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// File name inside the final directory.
    pub name: String,
    /// Its bytes.
    pub contents: Vec<u8>,
    /// Whether it may hold passwords (the binary makes it readable by its owner only).
    pub holds_secrets: bool,
}

/// What setup will write, and what it wants to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupPlan {
    /// The files, `server.properties` first.
    pub files: Vec<RenderedFile>,
    /// Warnings, in the order found.
    pub warnings: Vec<Warning>,
    /// The final `server.properties`.
    pub server_properties: Properties,
    /// Where each key of the final `server.properties` came from.
    pub sources: BTreeMap<String, Source>,
    /// The log4j format of the distribution, when the defaults directory ships log4j files.
    pub log4j_format: Option<Log4jFormat>,
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{}", dir.trim_end_matches('/'), name)
}

/// Plans setup: the final `server.properties`, the log4j files and the copies of other mounted
/// files, or every problem with the inputs.
///
/// # Errors
/// [`Problems`] listing every problem found; nothing should be written then.
pub fn plan_setup(input: &SetupInput) -> Result<SetupPlan, Problems> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let paths = &input.paths;

    let env = merge::resolve_env(&input.env, &input.value_files, &mut problems, &mut warnings);
    let controls = merge::read_controls(&env, &mut problems, &mut warnings);
    let env_props = merge::env_properties(&env, controls, &mut problems);

    let mounted_path = join(&paths.mounted, SERVER_PROPERTIES);
    let mounted = input
        .mounted
        .get(SERVER_PROPERTIES)
        .and_then(|file| merge::read_properties_file(&mounted_path, file, &mut problems));
    let defaults_path = join(&paths.defaults, SERVER_PROPERTIES);
    let defaults = input
        .defaults
        .get(SERVER_PROPERTIES)
        .and_then(|bytes| merge::read_properties_bytes(&defaults_path, bytes, &mut problems));
    let mut merged = merge::merge_server_properties(
        mounted.map(|p| (mounted_path.as_str(), p)),
        defaults.map(|p| (defaults_path.as_str(), p)),
        &env_props,
        &defaults_path,
        &mut problems,
        &mut warnings,
    );
    merge::derive_listeners(&mut merged);
    secrets::apply_ssl_secrets(
        &env,
        &input.secrets,
        &paths.secrets,
        &mut merged,
        &mut problems,
        &mut warnings,
    );
    let catalog = validate::KeyCatalog {
        is_known: crate::catalog::is_known,
        closest: crate::catalog::closest,
    };
    validate::check_known_keys(
        &merged.sources,
        controls.strict,
        &catalog,
        &mut problems,
        &mut warnings,
    );
    validate::check_kraft(&merged.properties, &merged.sources, &mut problems);

    let mut files = vec![RenderedFile {
        name: SERVER_PROPERTIES.to_owned(),
        contents: merged.properties.render().into_bytes(),
        holds_secrets: merged
            .properties
            .iter()
            .any(|(key, _)| crate::redact::is_secret_key(key)),
    }];

    let log4j_format = Log4jFormat::detect(input.defaults.keys().map(String::as_str));
    files.extend(plan_log4j(
        input,
        &env,
        log4j_format,
        &mut problems,
        &mut warnings,
    ));
    files.extend(copy_other_mounted(
        input,
        log4j_format,
        &mut problems,
        &mut warnings,
    ));

    if let Some(problems) = Problems::from_vec(problems) {
        return Err(problems);
    }
    Ok(SetupPlan {
        files,
        warnings,
        server_properties: merged.properties,
        sources: merged.sources,
        log4j_format,
    })
}

/// The log4j files of the distribution's format, from the mounted file or else the default one,
/// with the levels from the environment applied.
fn plan_log4j(
    input: &SetupInput,
    env: &merge::ResolvedEnv,
    format: Option<Log4jFormat>,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> Vec<RenderedFile> {
    let root = level_var(env, env_vars::KAFKA_LOG4J_ROOT_LOGLEVEL, problems);
    let tools_root = level_var(env, env_vars::KAFKA_TOOLS_LOG4J_LOGLEVEL, problems);
    let loggers = match env.get(env_vars::KAFKA_LOG4J_LOGGERS) {
        Some(value) => log4j::parse_loggers(env.blame(env_vars::KAFKA_LOG4J_LOGGERS), value)
            .unwrap_or_else(|found| {
                problems.extend(found);
                Vec::new()
            }),
        None => Vec::new(),
    };
    let Some(format) = format else {
        for (var, set) in [
            (env_vars::KAFKA_LOG4J_ROOT_LOGLEVEL, root.is_some()),
            (env_vars::KAFKA_LOG4J_LOGGERS, !loggers.is_empty()),
            (env_vars::KAFKA_TOOLS_LOG4J_LOGLEVEL, tools_root.is_some()),
        ] {
            if set {
                warnings.push(Warning::Log4jVarUnused {
                    env_var: var.to_owned(),
                    file: log4j::LOG4J2_YAML.to_owned(),
                });
            }
        }
        return Vec::new();
    };
    let mut files = Vec::new();
    let jobs = [
        (
            format.broker_file(),
            root,
            loggers.as_slice(),
            "stdout",
            env_vars::KAFKA_LOG4J_ROOT_LOGLEVEL,
        ),
        (
            format.tools_file(),
            tools_root,
            &[][..],
            "stderr",
            env_vars::KAFKA_TOOLS_LOG4J_LOGLEVEL,
        ),
    ];
    for (name, root_level, loggers, default_appender, root_var) in jobs {
        let mounted_path = join(&input.paths.mounted, name);
        let (path, bytes) = match input.mounted.get(name) {
            Some(FileRead::Contents(bytes)) => (mounted_path, bytes.clone()),
            Some(FileRead::Directory) => {
                problems.push(Problem::PathIsDirectory { path: mounted_path });
                continue;
            }
            Some(FileRead::Unreadable { reason }) => {
                problems.push(Problem::FileUnreadable {
                    path: mounted_path,
                    reason: reason.clone(),
                });
                continue;
            }
            Some(FileRead::Missing | FileRead::Present) | None => match input.defaults.get(name) {
                Some(bytes) => (join(&input.paths.defaults, name), bytes.clone()),
                None => {
                    let unused = [
                        (root_var, root_level.is_some()),
                        (env_vars::KAFKA_LOG4J_LOGGERS, !loggers.is_empty()),
                    ];
                    for (var, set) in unused {
                        if set {
                            warnings.push(Warning::Log4jVarUnused {
                                env_var: var.to_owned(),
                                file: name.to_owned(),
                            });
                        }
                    }
                    continue;
                }
            },
        };
        if root_level.is_none() && loggers.is_empty() {
            files.push(RenderedFile {
                name: name.to_owned(),
                contents: bytes,
                holds_secrets: false,
            });
            continue;
        }
        let text = match decode_text(&bytes) {
            Ok(text) => text,
            Err(cause) => {
                problems.push(Problem::FileNotText { path, cause });
                continue;
            }
        };
        let edited = match format {
            Log4jFormat::Log4jProperties => {
                log4j::edit_properties(&text, root_level.as_deref(), default_appender, loggers)
                    .map_err(|cause| Problem::PropertiesSyntax {
                        path: path.clone(),
                        cause,
                    })
            }
            Log4jFormat::Log4j2Yaml => log4j::edit_yaml(&text, root_level.as_deref(), loggers)
                .map_err(|reason| Problem::InvalidLog4jYaml {
                    path: path.clone(),
                    reason,
                }),
        };
        match edited {
            Ok(contents) => files.push(RenderedFile {
                name: name.to_owned(),
                contents: contents.into_bytes(),
                holds_secrets: false,
            }),
            Err(problem) => problems.push(problem),
        }
    }
    files
}

fn level_var(env: &merge::ResolvedEnv, name: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let value = env.get(name)?;
    log4j::parse_level(env.blame(name), value).unwrap_or_else(|problem| {
        problems.push(problem);
        None
    })
}

/// Every other mounted file, copied unchanged (the official image copies the whole directory).
fn copy_other_mounted(
    input: &SetupInput,
    format: Option<Log4jFormat>,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Warning>,
) -> Vec<RenderedFile> {
    let handled: Vec<&str> = match format {
        Some(format) => vec![SERVER_PROPERTIES, format.broker_file(), format.tools_file()],
        None => vec![SERVER_PROPERTIES],
    };
    let mut files = Vec::new();
    for (name, file) in &input.mounted {
        if handled.contains(&name.as_str()) {
            continue;
        }
        if let Some(format) = format {
            let other = format.other();
            if *name == other.broker_file() || *name == other.tools_file() {
                let expected = if *name == other.broker_file() {
                    format.broker_file()
                } else {
                    format.tools_file()
                };
                warnings.push(Warning::Log4jFormatMismatch {
                    file: name.clone(),
                    expected: expected.to_owned(),
                });
            }
        }
        match file {
            // A copied file may be a JAAS or client config with passwords in it.
            FileRead::Contents(bytes) => files.push(RenderedFile {
                name: name.clone(),
                contents: bytes.clone(),
                holds_secrets: true,
            }),
            FileRead::Directory => warnings.push(Warning::MountedDirectorySkipped {
                path: join(&input.paths.mounted, name),
            }),
            FileRead::Unreadable { reason } => problems.push(Problem::FileUnreadable {
                path: join(&input.paths.mounted, name),
                reason: reason.clone(),
            }),
            FileRead::Present | FileRead::Missing => {}
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(env: &[(&str, &str)], mounted: &[(&str, FileRead)]) -> SetupInput {
        SetupInput {
            env: EnvSnapshot::from_pairs(env.iter().copied()),
            paths: SetupPaths {
                defaults: "/d".into(),
                mounted: "/m".into(),
                secrets: "/s".into(),
            },
            defaults: BTreeMap::from([(
                SERVER_PROPERTIES.to_owned(),
                b"default.config=1\n".to_vec(),
            )]),
            mounted: mounted
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            value_files: BTreeMap::new(),
            secrets: BTreeMap::new(),
        }
    }

    #[test]
    fn server_properties_comes_first_and_sources_are_recorded() {
        let plan = plan_setup(&input(
            &[("KAFKA_NODE_ID", "1")],
            &[
                ("a.conf", FileRead::Contents(b"a".to_vec())),
                (
                    SERVER_PROPERTIES,
                    FileRead::Contents(b"num.partitions=2\n".to_vec()),
                ),
            ],
        ))
        .expect("valid");
        assert_eq!(plan.files[0].name, SERVER_PROPERTIES);
        assert_eq!(plan.files[1].name, "a.conf");
        assert_eq!(
            plan.sources["num.partitions"],
            Source::File {
                path: "/m/server.properties".into()
            }
        );
        assert_eq!(
            plan.sources["node.id"],
            Source::Env {
                env_var: "KAFKA_NODE_ID".into()
            }
        );
        assert_eq!(plan.log4j_format, None);
    }

    #[test]
    fn unreadable_mounted_file_is_a_problem_naming_it() {
        let problems = plan_setup(&input(
            &[],
            &[(
                "client.properties",
                FileRead::Unreadable {
                    reason: "Permission denied".into(),
                },
            )],
        ))
        .expect_err("unreadable");
        assert_eq!(
            problems.as_slice(),
            &[Problem::FileUnreadable {
                path: "/m/client.properties".into(),
                reason: "Permission denied".into()
            }]
        );
    }

    #[test]
    fn missing_defaults_and_no_input_is_a_problem() {
        let mut input = input(&[], &[]);
        input.defaults.clear();
        let problems = plan_setup(&input).expect_err("nothing to write");
        assert_eq!(
            problems.as_slice(),
            &[Problem::NoServerProperties {
                path: "/d/server.properties".into()
            }]
        );
    }

    #[test]
    fn secret_values_make_the_file_owner_only() {
        let plan = plan_setup(&input(&[("KAFKA_SASL_JAAS_CONFIG", "x")], &[])).expect("valid");
        assert!(plan.files[0].holds_secrets);
        let plan = plan_setup(&input(&[("KAFKA_NODE_ID", "1")], &[])).expect("valid");
        assert!(!plan.files[0].holds_secrets);
    }

    fn env_name() -> impl Strategy<Value = String> {
        prop_oneof![
            "KAFKA_[A-Z_]{0,12}",
            "KAFKA_CFG_[A-Z_]{0,8}",
            "KAFKA_ENTRYPOINT_[A-Z_]{0,8}",
            "KAFKA_[A-Z]{1,5}_FILE",
            Just("KAFKA_LOG4J_LOGGERS".to_owned()),
            Just("KAFKA_LOG4J_ROOT_LOGLEVEL".to_owned()),
            Just("KAFKA_PROCESS_ROLES".to_owned()),
            Just("KAFKA_LISTENERS".to_owned()),
            Just("KAFKA_ADVERTISED_LISTENERS".to_owned()),
            Just("KAFKA_SSL_KEYSTORE_FILENAME".to_owned()),
            Just("KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME".to_owned()),
            Just("HOSTNAME".to_owned()),
        ]
    }

    fn file_read() -> impl Strategy<Value = FileRead> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(FileRead::Contents),
            "\\PC{0,64}".prop_map(|s| FileRead::Contents(s.into_bytes())),
            Just(FileRead::Present),
            Just(FileRead::Missing),
            Just(FileRead::Directory),
        ]
    }

    proptest! {
        #[test]
        fn no_input_makes_setup_panic(
            env in proptest::collection::vec((env_name(), "\\PC{0,24}"), 0..12),
            server in file_read(),
            log4j in file_read(),
            default_log4j in "\\PC{0,64}",
            value_file in file_read(),
            secret in file_read(),
        ) {
            let mut input = input(&[], &[(SERVER_PROPERTIES, server), (log4j::LOG4J2_YAML, log4j)]);
            input.env = EnvSnapshot::from_pairs(env);
            input.defaults.insert(log4j::LOG4J2_YAML.to_owned(), default_log4j.into_bytes());
            for (var, _) in crate::value_files_to_read(&input.env) {
                input.value_files.insert(var, value_file.clone());
            }
            for request in crate::secret_files_to_read(&input.env) {
                input.secrets.insert(request.file_name, secret.clone());
            }
            let first = plan_setup(&input);
            prop_assert_eq!(&first, &plan_setup(&input));
            if let Ok(plan) = first {
                let rendered = String::from_utf8(plan.files[0].contents.clone()).expect("rendered properties are text");
                let reread = Properties::parse(&rendered).expect("rendered properties parse");
                prop_assert_eq!(reread.iter().collect::<Vec<_>>(), plan.server_properties.iter().collect::<Vec<_>>());
            }
        }
    }
}
