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

impl SetupPlan {
    /// The effective configuration with sources, secrets masked (`setup --print`).
    #[must_use]
    pub fn render_effective(&self) -> String {
        crate::redact::render_effective(&self.server_properties, &self.sources)
    }
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
    let defaults = input.defaults.get(SERVER_PROPERTIES).and_then(|bytes| {
        merge::read_properties_file(&defaults_path, &FileRead::Contents(bytes.clone()), &mut problems)
    });
    let mut merged = merge::merge_server_properties(
        mounted.map(|p| (mounted_path.as_str(), p)),
        defaults.map(|p| (defaults_path.as_str(), p)),
        &env_props,
        &defaults_path,
        &mut problems,
        &mut warnings,
    );
    merge::derive_listeners(&mut merged);
    secrets::apply_ssl_secrets(&env, &input.secrets, &paths.secrets, &mut merged, &mut problems, &mut warnings);
    let catalog = validate::KeyCatalog {
        is_known: |_| true, // CATALOG_PENDING
        closest: |_| None,
    };
    validate::check_known_keys(&merged.sources, controls.strict, &catalog, &mut problems, &mut warnings);
    validate::check_kraft(&merged.properties, &merged.sources, &mut problems);

    let mut files = vec![RenderedFile {
        name: SERVER_PROPERTIES.to_owned(),
        contents: merged.properties.render().into_bytes(),
        holds_secrets: merged.properties.iter().any(|(key, _)| crate::redact::is_secret_key(key)),
    }];

    let log4j_format = Log4jFormat::detect(input.defaults.keys().map(String::as_str));
    files.extend(plan_log4j(input, &env, log4j_format, &mut problems, &mut warnings));
    files.extend(copy_other_mounted(input, log4j_format, &mut problems, &mut warnings));

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
        Some(value) => log4j::parse_loggers(env.blame(env_vars::KAFKA_LOG4J_LOGGERS), value).unwrap_or_else(|found| {
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
        (format.broker_file(), root, loggers.as_slice(), "stdout", env_vars::KAFKA_LOG4J_ROOT_LOGLEVEL),
        (format.tools_file(), tools_root, &[][..], "stderr", env_vars::KAFKA_TOOLS_LOG4J_LOGLEVEL),
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
                    let unused = [(root_var, root_level.is_some()), (env_vars::KAFKA_LOG4J_LOGGERS, !loggers.is_empty())];
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
                log4j::edit_properties(&text, root_level.as_deref(), default_appender, loggers).map_err(|cause| {
                    Problem::PropertiesSyntax {
                        path: path.clone(),
                        cause,
                    }
                })
            }
            Log4jFormat::Log4j2Yaml => log4j::edit_yaml(&text, root_level.as_deref(), loggers)
                .map_err(|reason| Problem::InvalidLog4jYaml { path: path.clone(), reason }),
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
                let expected = if *name == other.broker_file() { format.broker_file() } else { format.tools_file() };
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
