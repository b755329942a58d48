//! `setup`: the I/O edge of the configuration core. Reads the defaults, mounted and secrets
//! directories and the files named by `NAME_FILE` variables, hands them to
//! [`kafka_config::plan_setup`], and writes every planned file atomically, only once all of them
//! have rendered, so bad input leaves the final directory untouched.
//!
//! Exit codes: 0 success, 2 bad input (nothing written), 1 I/O failure.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use kafka_config::log4j::{
    LOG4J_PROPERTIES, LOG4J2_YAML, TOOLS_LOG4J_PROPERTIES, TOOLS_LOG4J2_YAML,
};
use kafka_config::node::NodeConfig;
use kafka_config::plan::SERVER_PROPERTIES;
use kafka_config::{FileRead, Problems, SetupInput, SetupPaths, SetupPlan, Warning};
use nix::errno::Errno;
use nix::sys::statfs::{FsType, OVERLAYFS_SUPER_MAGIC, statfs};

use crate::EnvSnapshot;
use crate::files::{self, ReadProblem, Staging};

/// The files setup takes from the defaults directory.
const DEFAULT_FILES: [&str; 5] = [
    SERVER_PROPERTIES,
    LOG4J2_YAML,
    TOOLS_LOG4J2_YAML,
    LOG4J_PROPERTIES,
    TOOLS_LOG4J_PROPERTIES,
];

/// The rules, exit codes and examples shown after the options by `setup --help`. (The one-line
/// summary comes from the subcommand's doc comment in `main.rs`.)
const AFTER_LONG_HELP: &str = "\
Every `KAFKA_*` variable becomes a property (`KAFKA_NODE_ID=1` gives `node.id=1`; `__` gives `_`, \
`___` gives `-`; `KAFKA_CFG_*` works too) and replaces the same key of a mounted \
`server.properties`; the image's default `server.properties` is used only when neither gives \
anything. `NAME_FILE=/path` reads the value of `NAME` from a file. Log4j files get \
`KAFKA_LOG4J_ROOT_LOGLEVEL`, `KAFKA_LOG4J_LOGGERS` and `KAFKA_TOOLS_LOG4J_LOGLEVEL`; other mounted \
files are copied unchanged. All problems are reported at once, and then nothing is written.

Exit codes: 0 written, 2 bad input (nothing in the final directory changed), 1 I/O failure.

Examples:
  $ KAFKA_NODE_ID=1 kafka-entrypoint setup --print
  $ kafka-entrypoint setup --default-configs-dir ./defaults --mounted-configs-dir ./mnt \\
      --final-configs-dir ./final --secrets-dir ./secrets";

/// Arguments of the `setup` subcommand.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_LONG_HELP)]
pub(crate) struct SetupArgs {
    /// Directory with the image's default `server.properties` and log4j files.
    #[arg(long, value_name = "D", default_value = "/etc/kafka/docker")]
    default_configs_dir: PathBuf,
    /// Directory with config files the user mounts (any of the final files' names).
    #[arg(long, value_name = "M", default_value = "/mnt/shared/config")]
    mounted_configs_dir: PathBuf,
    /// Directory the final config files are written to.
    #[arg(long, value_name = "F", default_value = "/opt/kafka/config")]
    final_configs_dir: PathBuf,
    /// Directory with keystores, truststores and credential files.
    #[arg(long, value_name = "S", default_value = "/etc/kafka/secrets")]
    secrets_dir: PathBuf,
    /// Also print the effective `server.properties` with each key's source (default, file, env,
    /// secret); passwords and other secrets are shown as `******`.
    #[arg(long)]
    print: bool,
}

/// The four directories setup works with.
#[derive(Debug, Clone)]
pub(crate) struct SetupDirs {
    /// The image's defaults (`/etc/kafka/docker`).
    pub(crate) default: PathBuf,
    /// The user's mounted configs (`/mnt/shared/config`).
    pub(crate) mounted: PathBuf,
    /// Where the final files go (`/opt/kafka/config`).
    pub(crate) final_: PathBuf,
    /// The user's mounted secrets (`/etc/kafka/secrets`).
    pub(crate) secrets: PathBuf,
}

/// What a successful setup wrote.
#[derive(Debug)]
pub(crate) struct SetupOutcome {
    /// The plan written: the final `server.properties`, where each of its keys came from (for
    /// `--print`), the log4j format of the distribution.
    pub(crate) plan: kafka_config::SetupPlan,
    /// Every key comes from the image's defaults: nothing mounted, no property variables, no
    /// secrets (then `run` may use the image's default cluster id).
    pub(crate) only_defaults: bool,
}

/// Why setup failed; [`setup`] has already printed the reason to stderr.
#[derive(Debug)]
pub(crate) enum SetupFailure {
    /// The inputs are bad; every problem was printed and nothing was written.
    BadInput,
    /// Reading or writing a file failed.
    Io,
}

impl SetupFailure {
    /// The documented exit code by type, for callers that pass it on (`run`): 2 for bad input,
    /// 1 for I/O failures.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Self::BadInput => 2,
            Self::Io => 1,
        }
    }

    /// [`SetupFailure::code`] as the process's exit code.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }
}

/// Runs the subcommand.
pub(crate) fn main(args: &SetupArgs, env: &EnvSnapshot) -> ExitCode {
    let dirs = SetupDirs {
        default: args.default_configs_dir.clone(),
        mounted: args.mounted_configs_dir.clone(),
        final_: args.final_configs_dir.clone(),
        secrets: args.secrets_dir.clone(),
    };
    match setup(&dirs, env) {
        Ok(outcome) => {
            let mut code = ExitCode::SUCCESS;
            if args.print {
                let effective = kafka_config::redact::render_effective(
                    &outcome.plan.server_properties,
                    &outcome.plan.sources,
                );
                if io::stdout().lock().write_all(effective.as_bytes()).is_err() {
                    code = ExitCode::from(1);
                }
            }
            // The process exits now: the OS takes the plan's memory back at once, where freeing
            // its thousands of small strings one by one was a tenth of setup's instructions.
            std::mem::forget(outcome);
            code
        }
        Err(failure) => failure.exit_code(),
    }
}

/// Reads the inputs, plans and writes the final files. Warnings, problems and I/O errors go to
/// stderr here, so callers only choose the exit code.
pub(crate) fn setup(dirs: &SetupDirs, env: &EnvSnapshot) -> Result<SetupOutcome, SetupFailure> {
    let io_failure = |error: anyhow::Error| {
        crate::report(&error, 1);
        SetupFailure::Io
    };
    let input = read_input(dirs, env).map_err(io_failure)?;
    let plan = match kafka_config::plan_setup(&input) {
        Ok(plan) => plan,
        Err(problems) => {
            render_warnings(problems.warnings());
            render_problems(&problems, &dirs.final_);
            return Err(SetupFailure::BadInput);
        }
    };
    // Not freed: the process exits or execs Kafka right after setup (see [`main`]).
    std::mem::forget(input);
    render_warnings(&plan.warnings);
    render_warnings(&data_dirs_in_container_layer(&plan.node));
    write_plan(&plan, &dirs.final_).map_err(io_failure)?;
    Ok(SetupOutcome {
        only_defaults: plan
            .sources
            .values()
            .all(|source| matches!(source, kafka_config::Source::Default { .. })),
        plan,
    })
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Collects everything the core needs.
fn read_input(dirs: &SetupDirs, env: &EnvSnapshot) -> anyhow::Result<SetupInput> {
    let env = kafka_config::EnvSnapshot::from_os_pairs(env.iter().cloned());

    let mut defaults = BTreeMap::new();
    for name in DEFAULT_FILES {
        let path = dirs.default.join(name);
        match files::read_regular(&path) {
            Ok(bytes) => {
                defaults.insert(name.to_owned(), bytes);
            }
            Err(ReadProblem::Missing) => {}
            Err(ReadProblem::Directory) => {
                anyhow::bail!("failed to read `{}`: it is a directory", path.display());
            }
            Err(ReadProblem::Unreadable(reason)) => {
                anyhow::bail!("failed to read `{}`: {reason}", path.display());
            }
        }
    }

    let mut mounted = BTreeMap::new();
    match fs::read_dir(&dirs.mounted) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry
                    .with_context(|| format!("failed to list `{}`", dirs.mounted.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                // Kubernetes ConfigMap and Secret volumes hold `..data` and `..<timestamp>`
                // entries next to the user's files.
                if name.starts_with("..") {
                    continue;
                }
                mounted.insert(name, read_file(&entry.path(), true));
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error)
                .with_context(|| format!("failed to list `{}`", dirs.mounted.display()));
        }
    }

    let value_files = kafka_config::value_files_to_read(&env)
        .into_iter()
        .map(|(var, path)| {
            let read = read_file(Path::new(&path), true);
            (var, read)
        })
        .collect();

    let secrets = kafka_config::secret_files_to_read(&env)
        .into_iter()
        .map(|request| {
            let read = read_file(
                &dirs.secrets.join(&request.file_name),
                request.needs_contents,
            );
            (request.file_name, read)
        })
        .collect();

    Ok(SetupInput {
        env,
        paths: SetupPaths {
            defaults: display(&dirs.default),
            mounted: display(&dirs.mounted),
            secrets: display(&dirs.secrets),
        },
        defaults,
        mounted,
        value_files,
        secrets,
        now: std::time::SystemTime::now(),
    })
}

/// What is at `path`, following symlinks; the contents only when asked for. Only regular
/// files count (see [`crate::files`]).
fn read_file(path: &Path, contents: bool) -> FileRead {
    let read = if contents {
        files::read_regular(path).map(FileRead::Contents)
    } else {
        files::check_regular(path).map(|()| FileRead::Present)
    };
    read.unwrap_or_else(|problem| match problem {
        ReadProblem::Missing => FileRead::Missing,
        ReadProblem::Directory => FileRead::Directory,
        ReadProblem::Unreadable(reason) => FileRead::Unreadable { reason },
    })
}

/// The mode of every final file: each may hold a secret (a password property, a copied JAAS
/// or client file), and only Kafka, running as the same user, reads them.
const FINAL_FILE_MODE: u32 = 0o600;

/// Stages every file in the final directory, then renames them all into place; when any
/// write fails, nothing in the directory changes.
fn write_plan(plan: &SetupPlan, final_dir: &Path) -> anyhow::Result<()> {
    files::create_dir_all(final_dir)?;
    let mut staging = Staging::new();
    for file in &plan.files {
        staging.stage(&final_dir.join(&file.name), &file.contents, FINAL_FILE_MODE)?;
    }
    staging.commit()
}

/// A warning for every log or metadata directory that would be written into the container's
/// own layer (an overlay root) rather than a volume: its data is lost with the container.
fn data_dirs_in_container_layer(node: &NodeConfig) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for dir in node.storage_dirs() {
        if on_container_layer(Path::new(dir), |path| {
            statfs(path).map(|stats| stats.filesystem_type())
        }) {
            let key = if node.metadata_log_dir.as_deref() == Some(dir) {
                "metadata.log.dir"
            } else if node.log_dirs_set {
                "log.dirs"
            } else {
                "log.dirs, unset: Kafka's default"
            };
            warnings.push(Warning::DataDirNotOnVolume {
                dir: dir.to_owned(),
                key: key.to_owned(),
            });
        }
    }
    warnings
}

/// Whether `dir` lies on an overlay file system (a container's layer; Docker and Kubernetes
/// volumes never are one), by the type `file_system_of` (`statfs`) reports for `dir` or, while
/// it does not exist yet, for its nearest ancestor: a volume can only be mounted on a directory
/// that exists. One `statfs` per directory, where reading `/proc/self/mountinfo` made the kernel
/// format every mount of the process.
fn on_container_layer(dir: &Path, file_system_of: impl Fn(&Path) -> nix::Result<FsType>) -> bool {
    for path in dir.ancestors() {
        // A relative directory is Kafka's working directory's.
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        match file_system_of(path) {
            Ok(kind) => return kind == OVERLAYFS_SUPER_MAGIC,
            Err(Errno::ENOENT) => continue,
            // Unreadable or not a directory: no way to tell, and this is only a warning.
            Err(_) => return false,
        }
    }
    false
}

fn render_problems(problems: &Problems, final_dir: &Path) {
    let mut text = String::new();
    for problem in problems.as_slice() {
        text.push_str(&format!("error: {problem}\n  help: {}\n", problem.help()));
    }
    let count = problems.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    text.push_str(&format!(
        "error: {count} {noun} in the configuration; nothing in `{}` was changed\n",
        final_dir.display()
    ));
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

fn render_warnings(warnings: &[Warning]) {
    // Buffered, so that the lines go out in a few writes without being built in memory first
    // (one warning can list hundreds of keys); nothing useful can be done when stderr is closed.
    let mut out = io::BufWriter::with_capacity(8192, io::stderr().lock());
    for warning in warnings {
        let _ = writeln!(out, "warning: {warning}");
        if let Some(help) = warning.help() {
            let _ = writeln!(out, "  help: {help}");
        }
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    use nix::sys::statfs::{EXT4_SUPER_MAGIC, PROC_SUPER_MAGIC};

    /// A container's mounts as `statfs` sees them: an overlay root, `/proc`, and an ext4
    /// volume at `/var/lib/kafka/data`, of which only `/var/lib/kafka/data/existing` exists.
    fn container(path: &Path) -> nix::Result<FsType> {
        match path.to_str().unwrap_or_default() {
            "/" | "/tmp" | "/var" | "/var/lib" | "/var/lib/kafka" => Ok(OVERLAYFS_SUPER_MAGIC),
            "/proc" => Ok(PROC_SUPER_MAGIC),
            "/var/lib/kafka/data" | "/var/lib/kafka/data/existing" => Ok(EXT4_SUPER_MAGIC),
            "/var/lib/kafka/locked" => Err(Errno::EACCES),
            "." => Ok(OVERLAYFS_SUPER_MAGIC),
            _ => Err(Errno::ENOENT),
        }
    }

    #[test]
    fn data_dirs_on_the_overlay_root_are_in_the_container_layer() {
        let on_layer = |dir: &str| on_container_layer(Path::new(dir), container);
        assert!(on_layer("/tmp/kafka-logs"));
        assert!(on_layer("/var/lib/kafka"));
        assert!(on_layer("/var/lib/kafka/database/meta"));
        assert!(!on_layer("/var/lib/kafka/data"));
        assert!(!on_layer("/var/lib/kafka/data/meta"));
        assert!(!on_layer("/var/lib/kafka/data/existing/meta"));
        // Unreadable: no way to tell, so no warning.
        assert!(!on_layer("/var/lib/kafka/locked/logs"));
        // Relative: in the working directory.
        assert!(on_layer("kafka-logs/meta"));
        let host = |path: &Path| container(path).map(|_| EXT4_SUPER_MAGIC);
        assert!(!on_container_layer(Path::new("/tmp/kafka-logs"), host));
    }
}
