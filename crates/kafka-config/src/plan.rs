//! `plan_setup`: from the inputs (environment, default, mounted and secret files) to the files to
//! write, or every problem at once. Nothing is written here; the binary writes the plan's files
//! atomically, and only when there is a plan.

use std::collections::BTreeMap;

use crate::env::EnvSnapshot;
use crate::env_vars;
use crate::error::{Problem, Problems, Sources, Warning};
use crate::log4j::{self, Log4jFormat};
use crate::merge;
use crate::node::NodeConfig;
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
    /// The instant setup runs at: PEM certificates must be valid then (the core reads no clock).
    pub now: std::time::SystemTime,
}

/// A file to write into the final configs directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// File name inside the final directory.
    pub name: String,
    /// Its bytes. Every final file may hold a secret (a password property, a copied JAAS
    /// file), so the binary makes each readable by its owner only.
    pub contents: Vec<u8>,
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
    /// The node `server_properties` describes, read once here for every later use (the
    /// entrypoint's data-dir checks and storage).
    pub node: NodeConfig,
    /// Where each key of the final `server.properties` came from.
    pub sources: Sources,
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
    let env_props = merge::env_properties(&env, controls, &mut problems, &mut warnings);

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
        env_props,
        &defaults_path,
        controls.defaults,
        &mut problems,
        &mut warnings,
    );
    merge::drop_empty_advertised_listeners(&mut merged);
    merge::derive_listeners(&mut merged);
    secrets::apply_ssl_secrets(
        &env,
        &input.secrets,
        &paths.secrets,
        input.now,
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
    let kraft = validate::KraftContext {
        sources: &merged.sources,
        defaults_dropped_by: merged.defaults_dropped_by.as_deref(),
        cluster_id_set: env
            .get(env_vars::CLUSTER_ID)
            .is_some_and(|id| !id.is_empty()),
    };
    // The one reading of the final node; `SetupPlan::node` hands it on.
    let (node, node_errors) = NodeConfig::read(&merged.properties);
    if !merged.properties.is_empty() {
        validate::check_kraft(
            &merged.properties,
            &node,
            node_errors,
            &kraft,
            &mut problems,
        );
    }

    let mut files = vec![RenderedFile {
        name: SERVER_PROPERTIES.to_owned(),
        contents: merged.properties.render().into_bytes(),
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
        return Err(problems.with_warnings(warnings));
    }
    Ok(SetupPlan {
        files,
        warnings,
        server_properties: merged.properties,
        node,
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
            FileRead::Contents(bytes) => files.push(RenderedFile {
                name: name.clone(),
                contents: bytes.clone(),
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
    use crate::error::Source;
    use proptest::prelude::*;

    /// A complete KRaft node, as properties.
    const KRAFT_PROPERTIES: &str = "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n";

    /// A complete KRaft node, as variables.
    const KRAFT_ENV: [(&str, &str); 5] = [
        ("KAFKA_PROCESS_ROLES", "broker,controller"),
        ("KAFKA_NODE_ID", "1"),
        ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093"),
        ("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
    ];

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
                format!("default.config=1\n{KRAFT_PROPERTIES}").into_bytes(),
            )]),
            mounted: mounted
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            value_files: BTreeMap::new(),
            secrets: BTreeMap::new(),
            now: std::time::SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn server_properties_comes_first_and_sources_are_recorded() {
        let plan = plan_setup(&input(
            &KRAFT_ENV,
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
    fn dropped_defaults_name_their_cause_and_every_missing_key() {
        let problems = plan_setup(&input(&[("KAFKA_NUM_PARTITIONS", "3")], &[]))
            .expect_err("not a KRaft node");
        assert_eq!(
            problems.as_slice(),
            &[Problem::KraftKeysMissing {
                keys: [
                    "process.roles",
                    "node.id",
                    "controller.quorum.voters",
                    "listeners",
                    "controller.listener.names"
                ]
                .map(str::to_owned)
                .to_vec(),
                cluster_id_missing: true,
                defaults_dropped_by: Some("`KAFKA_NUM_PARTITIONS`".into()),
            }]
        );
    }

    #[test]
    fn merge_mode_layers_variables_over_the_defaults() {
        let plan = plan_setup(&input(
            &[
                ("KAFKA_NUM_PARTITIONS", "3"),
                ("KAFKA_ENTRYPOINT_DEFAULTS", "merge"),
            ],
            &[],
        ))
        .expect("defaults complete the node");
        assert_eq!(plan.server_properties.get("num.partitions"), Some("3"));
        assert_eq!(plan.server_properties.get("default.config"), Some("1"));
        assert_eq!(
            plan.sources["node.id"],
            Source::Default {
                path: "/d/server.properties".into()
            }
        );
        // A mounted file goes between the defaults and the variables.
        let plan = plan_setup(&input(
            &[
                ("KAFKA_NUM_PARTITIONS", "3"),
                ("KAFKA_ENTRYPOINT_DEFAULTS", "merge"),
            ],
            &[(
                SERVER_PROPERTIES,
                FileRead::Contents(b"num.partitions=2\nlog.retention.hours=12\n".to_vec()),
            )],
        ))
        .expect("defaults complete the node");
        let final_file = &plan.server_properties;
        assert_eq!(final_file.get("num.partitions"), Some("3"));
        assert_eq!(final_file.get("log.retention.hours"), Some("12"));
        assert_eq!(final_file.get("default.config"), Some("1"));
        assert_eq!(
            plan.sources["log.retention.hours"],
            Source::File {
                path: "/m/server.properties".into()
            }
        );
        let problems = plan_setup(&input(&[("KAFKA_ENTRYPOINT_DEFAULTS", "mix")], &[]))
            .expect_err("unknown mode");
        assert!(matches!(
            problems.as_slice(),
            [Problem::InvalidControlValue { value, .. }] if value == "mix"
        ));
    }

    #[test]
    fn warnings_are_kept_with_the_problems() {
        let mut env = KRAFT_ENV.to_vec();
        env.push(("KAFKA_NODE_ID", "x"));
        env.push(("KAFKA_ADVERTISED_LISTNERS", "PLAINTEXT://h:9092"));
        let problems = plan_setup(&input(&env, &[])).expect_err("bad node id");
        assert!(matches!(
            problems.warnings(),
            [Warning::UnknownProperty { .. }]
        ));
    }

    #[test]
    fn empty_advertised_listeners_on_a_controller_only_node_are_dropped() {
        let env = [
            ("KAFKA_PROCESS_ROLES", "controller"),
            ("KAFKA_NODE_ID", "1"),
            ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093"),
            ("KAFKA_LISTENERS", "CONTROLLER://:9093"),
            ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
            ("KAFKA_ADVERTISED_LISTENERS", ""),
        ];
        let plan = plan_setup(&input(&env, &[])).expect("valid controller");
        assert_eq!(plan.server_properties.get("advertised.listeners"), None);
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
