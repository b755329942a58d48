//! KRaft storage on first start (SPEC §4.2): the only code that writes Kafka's data directories.
//!
//! This is the I/O shell around the pure `kafka-storage` crate, which makes every decision
//! ([`decide_format`], [`choose_quorum`], [`plan_native_format`], [`storage_tool_args`]) from
//! the node's typed configuration ([`NodeConfig`], the one parser of roles, `node.id`,
//! listeners, directories and quorum). [`prepare_storage`] reads `meta.properties` of every
//! directory in `log.dirs` (or `log.dir`) and `metadata.log.dir`, and then either writes the planned files
//! itself (`native`, no JVM) or runs the distribution's `bin/kafka-storage.sh format`
//! (`kafka-storage`). A directory that is already formatted is never touched; a `CLUSTER_ID` or
//! `node.id` that differs from what a directory holds is an error, and then nothing at all is
//! written. Files are written as temp file + rename, `meta.properties` (the "formatted" mark)
//! last, as Kafka does.
//!
//! The I/O lives here: the clock (batch timestamps and the date line), `/dev/urandom` (directory
//! ids), the file system, and the child process of the fallback.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow};
use kafka_config::node::NodeConfig;
use kafka_config::properties::Properties;
use kafka_storage::{
    ClusterId, DEFAULT_SCRAM_ITERATIONS, FormatDecision, IMAGE_DEFAULT_CLUSTER_ID, KafkaRelease,
    LogDirState, META_PROPERTIES_FILE, NativeFormatRequest, SALT_RANDOM_BYTES, ScramUser,
    StorageError, choose_quorum, decide_format, detect_release, kafka_default_salt,
    parse_meta_properties, parse_scram_users, plan_native_format, storage_node_id,
    storage_tool_args,
};

use crate::EnvSnapshot;
use crate::launch::ChildFailed;
use crate::run::StorageFormatter;

use kafka_config::env_vars::{
    CLUSTER_ID, KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, KAFKA_ENTRYPOINT_SCRAM_USERS,
    KAFKA_ENTRYPOINT_SCRAM_USERS_FILE,
};

const RANDOM_SOURCE: &str = "/dev/urandom";
/// Random draws per directory handed to the planner: one is needed, the rest cover Kafka's
/// redraws (reserved or already used ids), which are vanishingly rare.
const RANDOM_DRAWS_PER_DIRECTORY: usize = 4;

/// What [`prepare_storage`] needs.
pub(crate) struct StorageInputs<'a> {
    /// The final broker config, as `setup` wrote it.
    pub(crate) config: &'a Properties,
    /// The file that config was written to (`--config` of `kafka-storage.sh`).
    pub(crate) config_file: &'a Path,
    /// The Kafka distribution (`KAFKA_HOME`): `libs/` tells the release, `bin/` has the tools.
    pub(crate) kafka_home: &'a Path,
    /// The process environment (`CLUSTER_ID`, `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`,
    /// `KAFKA_ENTRYPOINT_SCRAM_USERS` or `KAFKA_ENTRYPOINT_SCRAM_USERS_FILE`).
    pub(crate) env: &'a EnvSnapshot,
    /// True when the config is the image's own default (no mounted `server.properties`, no
    /// `KAFKA_*` property variables): then a missing `CLUSTER_ID` means the image default id.
    pub(crate) config_is_image_default: bool,
    /// Native writer or Kafka's storage tool.
    pub(crate) formatter: StorageFormatter,
    /// The distribution's log4j format (the storage tool logs with the tools' file).
    pub(crate) log4j: Option<kafka_config::Log4jFormat>,
}

/// What [`prepare_storage`] did, one line per directory, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StorageReport {
    /// Human-readable lines: which directory was formatted or skipped, and warnings.
    pub(crate) lines: Vec<String>,
}

/// Formats every KRaft directory of `inputs.config` that is not formatted yet.
///
/// Returns an error, having written nothing, when `CLUSTER_ID` is missing (and the config is not
/// the image default) or invalid, when `node.id` is missing, when any directory belongs to another
/// cluster or node, or when the native writer does not know this Kafka release or quorum shape
/// (the message then says to use `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage`). Each problem
/// is one line, followed by a `help:` line.
pub(crate) fn prepare_storage(inputs: &StorageInputs<'_>) -> anyhow::Result<StorageReport> {
    let node = NodeConfig::parse(inputs.config).map_err(|errors| node_problems(&errors))?;
    let node_id = storage_node_id(&node).map_err(|e| problem(&e))?;
    let states = node
        .storage_dirs()
        .into_iter()
        .map(read_log_dir)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let all_formatted = states.iter().all(|s| s.meta_properties.is_some());
    let cluster_id = match env_value(inputs.env, CLUSTER_ID) {
        Some(text) => ClusterId::parse(&text).map_err(|e| problem(&e))?,
        None if inputs.config_is_image_default => {
            ClusterId::parse(IMAGE_DEFAULT_CLUSTER_ID).map_err(|e| problem(&e))?
        }
        // Restarting a formatted node needs no id: check the directories against each other.
        None if all_formatted => stored_cluster_id(&states)?,
        None => return Err(missing_cluster_id()),
    };
    let plan = decide_format(&states, &cluster_id, node_id).map_err(|p| problems(&p))?;
    let mut report = StorageReport { lines: Vec::new() };
    for dir in &plan {
        if let FormatDecision::SkipFormatted {
            kafka_16473_wrapped,
        } = dir.decision
        {
            report.lines.push(format!(
                "`{}` is already formatted; left as it is",
                dir.path
            ));
            if kafka_16473_wrapped {
                report.lines.push(format!(
                    "warning: `{}/{META_PROPERTIES_FILE}` stores `cluster.id=Some({cluster_id})`, as Kafka 3.7.0's image wrote it by mistake (KAFKA-16473); the cluster keeps that id",
                    dir.path
                ));
            }
        }
    }
    if plan.iter().all(|d| d.decision != FormatDecision::Format) {
        return Ok(report);
    }
    let release = release_of(inputs.kafka_home);
    let wanted_quorum = env_value(inputs.env, KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS);
    let scram_users = scram_users(inputs.env)?;
    if !scram_users.is_empty() {
        let names: Vec<String> = scram_users
            .iter()
            .map(|u| format!("{} ({})", u.name, u.mechanism))
            .collect();
        report
            .lines
            .push(format!("SCRAM users bootstrapped: {}", names.join(", ")));
    }
    match inputs.formatter {
        StorageFormatter::Native => {
            let release = release?;
            let quorum = choose_quorum(&node, wanted_quorum.as_deref(), Some(release))
                .map_err(|e| problem(&e))?;
            let scram_credentials: Vec<_> = random_draws::<SALT_RANDOM_BYTES>(scram_users.len())?
                .zip(&scram_users)
                .map(|(draw, user)| {
                    user.credential(kafka_default_salt(draw), DEFAULT_SCRAM_ITERATIONS)
                })
                .collect();
            let mut random = random_draws(plan.len() * RANDOM_DRAWS_PER_DIRECTORY + 1)?;
            let formats = plan_native_format(
                &NativeFormatRequest {
                    node: &node,
                    quorum: &quorum,
                    release,
                    cluster_id: &cluster_id,
                    states: &states,
                    plan: &plan,
                    now_ms: now_ms()?,
                    scram_credentials: &scram_credentials,
                },
                &mut random,
            )
            .map_err(|e| problem(&e))?;
            for dir in &formats {
                let path = Path::new(&dir.path);
                for file in &dir.files {
                    let target = path.join(&file.relative_path);
                    if let Some(parent) = target.parent() {
                        fs::create_dir_all(parent)
                            .with_context(|| format!("failed to create `{}`", parent.display()))?;
                    }
                    // Kafka writes its snapshots read-only; everything else as Kafka's tool does.
                    let mode = if file.read_only { 0o400 } else { 0o644 };
                    crate::files::write_file(&target, &file.bytes, mode)?;
                }
                report.lines.push(format!(
                    "formatted `{}` for cluster `{cluster_id}`, node {}, Kafka {release}{}",
                    dir.path,
                    node_id,
                    if dir.has_voters {
                        " (KIP-853 initial voters snapshot written)"
                    } else {
                        ""
                    }
                ));
            }
        }
        StorageFormatter::KafkaStorage => {
            let quorum = choose_quorum(&node, wanted_quorum.as_deref(), release.ok())
                .map_err(|e| problem(&e))?;
            let args = storage_tool_args(&cluster_id, inputs.config_file, &quorum, &scram_users);
            let code = run_kafka_storage(inputs, args, !scram_users.is_empty())?;
            if code != 0 {
                return Err(ChildFailed {
                    what: format!(
                        "Kafka's storage tool (`{}`)",
                        kafka_storage::STORAGE_TOOL_CLASS
                    ),
                    code,
                }
                .into());
            }
            for dir in plan.iter().filter(|d| d.decision == FormatDecision::Format) {
                report
                    .lines
                    .push(format!("`{}` formatted by `kafka-storage.sh`", dir.path));
            }
        }
    }
    Ok(report)
}

fn read_log_dir(dir: &str) -> anyhow::Result<LogDirState> {
    let path = Path::new(dir).join(META_PROPERTIES_FILE);
    let meta_properties = match fs::read(&path) {
        Ok(bytes) => Some(parse_meta_properties(&bytes).map_err(|e| {
            anyhow!(
                "`{}`: {e}\nhelp: {}",
                path.display(),
                e.help().unwrap_or_default()
            )
        })?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("failed to read `{}`", path.display()));
        }
    };
    Ok(LogDirState {
        path: dir.to_owned(),
        meta_properties,
    })
}

/// The cluster id stored in the first formatted directory, for a restart without `CLUSTER_ID`.
fn stored_cluster_id(states: &[LogDirState]) -> anyhow::Result<ClusterId> {
    let stored = states
        .iter()
        .find_map(|s| s.meta_properties.as_ref()?.stored_cluster_id())
        .ok_or_else(missing_cluster_id)?;
    ClusterId::parse(stored.unwrapped()).map_err(|e| problem(&e))
}

fn missing_cluster_id() -> anyhow::Error {
    anyhow!(
        "`{CLUSTER_ID}` is not set, and the config is not the image's default\nhelp: generate an id once with `docker run --rm IMAGE random-uuid` and set `{CLUSTER_ID}` to it on every node of the cluster"
    )
}

/// The release of the distribution from the names in `KAFKA_HOME/libs`.
fn release_of(kafka_home: &Path) -> anyhow::Result<KafkaRelease> {
    let libs = kafka_home.join("libs");
    let entries = fs::read_dir(&libs).with_context(|| {
        format!(
            "failed to read `{}` to tell the Kafka release\nhelp: check `KAFKA_HOME`, or set `KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage`",
            libs.display()
        )
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read `{}`", libs.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    detect_release(names.iter().map(String::as_str)).map_err(|e| {
        anyhow!(
            "`{}`: {e}\nhelp: {}",
            libs.display(),
            e.help().unwrap_or_default()
        )
    })
}

/// Runs Kafka's storage tool as `kafka-storage.sh` would (`kafka-run-class.sh
/// kafka.tools.StorageTool`, natively: no `bin/` needed) under the entrypoint's supervision
/// (signals forwarded, child reaped); returns its exit code.
///
/// With `secret_args` (SCRAM passwords in `--add-scram`), the main class and its arguments go
/// into a Java launcher argument file (`java … -cp CP @FILE`, mode `0600`, next to the config
/// file, removed when the tool exits), so that no password shows in the process list.
fn run_kafka_storage(
    inputs: &StorageInputs<'_>,
    args: Vec<OsString>,
    secret_args: bool,
) -> anyhow::Result<i32> {
    let classpath = crate::distribution::classpath(inputs.kafka_home)?;
    let mut command = crate::launch::tool_command(
        inputs.kafka_home,
        inputs.log4j,
        inputs.env,
        &classpath,
        kafka_storage::STORAGE_TOOL_CLASS,
        args,
    )?;
    let mut argument_file = None;
    if secret_args {
        let main = command
            .args
            .iter()
            .rposition(|a| a == kafka_storage::STORAGE_TOOL_CLASS)
            .context("the storage tool's command has no main class")?;
        let dir = inputs.config_file.parent().unwrap_or(Path::new("."));
        let path = dir.join(format!(".storage-tool-args-{}", std::process::id()));
        let text = java_argument_file(&command.args[main..])?;
        // Owner-only: it holds the SCRAM passwords.
        crate::files::write_file(&path, text.as_bytes(), 0o600)?;
        argument_file = Some(path.clone());
        command.args.truncate(main);
        let mut at = OsString::from("@");
        at.push(&path);
        command.args.push(at);
    }
    let result = crate::process::run_supervised(&mut command.to_command())
        .with_context(|| format!("failed to run `{}`", command.program.display()));
    if let Some(path) = argument_file {
        fs::remove_file(&path).with_context(|| format!("failed to remove `{}`", path.display()))?;
    }
    result
}

/// A fresh random id, drawn as Kafka's `Uuid.randomUuid` draws it (`kafka-entrypoint
/// random-uuid`, what `kafka-storage.sh random-uuid` prints).
pub(crate) fn fresh_random_uuid() -> anyhow::Result<kafka_storage::Uuid> {
    loop {
        for bytes in random_draws(4)? {
            if let Some(id) = kafka_storage::random_uuid_from_random(bytes) {
                return Ok(id);
            }
        }
    }
}

/// A Java launcher argument file (`java @FILE`, JDK 9+) holding `args`, each one a
/// double-quoted token with `\` and `"` escaped, one per line.
fn java_argument_file(args: &[OsString]) -> anyhow::Result<String> {
    let mut text = String::new();
    for arg in args {
        let arg = arg
            .to_str()
            .with_context(|| format!("storage tool argument `{}` is not UTF-8", arg.display()))?;
        text.push('"');
        for c in arg.chars() {
            if c == '\\' || c == '"' {
                text.push('\\');
            }
            text.push(c);
        }
        text.push_str("\"\n");
    }
    Ok(text)
}

/// The SCRAM users to bootstrap, from `KAFKA_ENTRYPOINT_SCRAM_USERS` or the file
/// `KAFKA_ENTRYPOINT_SCRAM_USERS_FILE` names (not both); none when neither is set. Every bad
/// line is reported at once; no message quotes a password.
fn scram_users(env: &EnvSnapshot) -> anyhow::Result<Vec<ScramUser>> {
    let value = env_value(env, KAFKA_ENTRYPOINT_SCRAM_USERS);
    let file = env_value(env, KAFKA_ENTRYPOINT_SCRAM_USERS_FILE);
    let (text, origin) = match (value, file) {
        (None, None) => return Ok(Vec::new()),
        (Some(_), Some(_)) => {
            return Err(anyhow!(
                "both `{KAFKA_ENTRYPOINT_SCRAM_USERS}` and `{KAFKA_ENTRYPOINT_SCRAM_USERS_FILE}` are set\nhelp: set only one of them"
            ));
        }
        (Some(text), None) => (text, KAFKA_ENTRYPOINT_SCRAM_USERS.to_owned()),
        (None, Some(path)) => {
            // The one bounded read: a FIFO or `/dev/zero` here must not hang or fill memory.
            let bytes = crate::files::read_regular(Path::new(&path)).map_err(|problem| {
                anyhow!("`{KAFKA_ENTRYPOINT_SCRAM_USERS_FILE}`: failed to read `{path}`: {problem}")
            })?;
            let text = String::from_utf8(bytes).map_err(|_| {
                anyhow!("`{KAFKA_ENTRYPOINT_SCRAM_USERS_FILE}`: `{path}` is not UTF-8 text")
            })?;
            (
                text,
                format!("{KAFKA_ENTRYPOINT_SCRAM_USERS_FILE} ({path})"),
            )
        }
    };
    parse_scram_users(&text, &origin).map_err(|errors| problems(&errors))
}

/// `count` draws of `N` bytes from `/dev/urandom`: the planner's directory ids (16) and SCRAM
/// salts ([`SALT_RANDOM_BYTES`]).
fn random_draws<const N: usize>(count: usize) -> anyhow::Result<std::vec::IntoIter<[u8; N]>> {
    let mut source =
        File::open(RANDOM_SOURCE).with_context(|| format!("failed to open `{RANDOM_SOURCE}`"))?;
    let mut draws = vec![[0u8; N]; count];
    for draw in &mut draws {
        source
            .read_exact(draw)
            .with_context(|| format!("failed to read `{RANDOM_SOURCE}`"))?;
    }
    Ok(draws.into_iter())
}

fn now_ms() -> anyhow::Result<i64> {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    i64::try_from(since_epoch.as_millis()).context("the system clock is too far in the future")
}

/// The value of `name` in the environment; empty counts as unset, as in upstream's `configure`.
fn env_value(env: &EnvSnapshot, name: &str) -> Option<String> {
    crate::env_non_empty(env, name)
        .and_then(std::ffi::OsStr::to_str)
        .map(str::to_owned)
}

/// One library problem as an error with its `help:` line.
fn problem(error: &StorageError) -> anyhow::Error {
    match error.help() {
        Some(help) => anyhow!("{error}\nhelp: {help}"),
        None => anyhow!("{error}"),
    }
}

/// The values of the final config that the node model refuses (setup refuses them before
/// `run` gets here; this guards any other caller); nothing was written.
fn node_problems(errors: &[kafka_config::node::NodeError]) -> anyhow::Error {
    let mut text = String::from("the final config is not a valid KRaft node; nothing was written");
    for error in errors {
        text.push_str(&format!("\n  {error}"));
    }
    anyhow!(text)
}

/// Several library problems at once; nothing was written.
fn problems(errors: &[StorageError]) -> anyhow::Error {
    if let [only] = errors {
        return problem(only);
    }
    let mut text = format!(
        "{} problems with the KRaft storage directories; nothing was written\n",
        errors.len()
    );
    for error in errors {
        text.push_str(&format!("\n  {error}\n"));
        if let Some(help) = error.help() {
            text.push_str(&format!("  help: {help}\n"));
        }
    }
    anyhow!(text.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_storage::{
        BOOTSTRAP_CHECKPOINT_FILE, BOOTSTRAP_SNAPSHOT_FILE, BootstrapCheckpoint,
        CLUSTER_METADATA_DIR, MetadataSnapshot, Uuid, VoterEndpoint, bootstrap_features,
    };
    use std::collections::HashSet;
    use std::path::PathBuf;

    use crate::test_env as env;

    const META_PROPERTIES: &str = META_PROPERTIES_FILE;
    const BOOTSTRAP_CHECKPOINT: &str = BOOTSTRAP_CHECKPOINT_FILE;

    fn config(text: &str) -> Properties {
        Properties::parse(text).expect("valid properties")
    }

    #[test]
    fn empty_environment_values_count_as_unset() {
        let e = env(&[(CLUSTER_ID, "x"), (CLUSTER_ID, "")]);
        assert_eq!(env_value(&e, CLUSTER_ID), None);
        assert_eq!(
            env_value(&env(&[(CLUSTER_ID, "y")]), CLUSTER_ID).as_deref(),
            Some("y")
        );
    }

    #[test]
    fn several_problems_are_listed_with_their_help() {
        let text = problems(&[
            StorageError::NodeIdMismatch {
                path: "/a/meta.properties".into(),
                found: 2,
                wanted: 1,
            },
            StorageError::DynamicQuorumUnsupported { reason: "x".into() },
        ])
        .to_string();
        assert!(
            text.starts_with("2 problems with the KRaft storage directories; nothing was written")
        );
        assert_eq!(text.matches("help: ").count(), 2);
    }

    #[test]
    fn java_argument_files_quote_every_argument() {
        let args = [
            "kafka.tools.StorageTool",
            "SCRAM-SHA-256=[name=a,password=x\"y\\z w]",
        ]
        .map(OsString::from);
        assert_eq!(
            java_argument_file(&args).expect("UTF-8"),
            "\"kafka.tools.StorageTool\"\n\"SCRAM-SHA-256=[name=a,password=x\\\"y\\\\z w]\"\n"
        );
    }

    /// A temp dir with a fixture Kafka distribution (not Kafka: an empty jar whose name gives
    /// the release) and a data area.
    struct Sandbox {
        root: tempfile::TempDir,
    }

    impl Sandbox {
        fn new(release: &str) -> Self {
            let root = tempfile::tempdir().expect("temp dir");
            let libs = root.path().join("kafka/libs");
            fs::create_dir_all(&libs).expect("libs");
            fs::write(libs.join(format!("kafka_2.13-{release}.jar")), "").expect("jar");
            fs::write(libs.join(format!("kafka-clients-{release}.jar")), "").expect("jar");
            Self { root }
        }

        fn dir(&self, name: &str) -> String {
            self.root.path().join(name).to_string_lossy().into_owned()
        }

        fn prepare(
            &self,
            config_text: &str,
            env_pairs: &[(&str, &str)],
            image_default: bool,
        ) -> anyhow::Result<StorageReport> {
            let config = config(config_text);
            let env = env(env_pairs);
            let config_file = self.root.path().join("server.properties");
            let kafka_home = self.root.path().join("kafka");
            prepare_storage(&StorageInputs {
                config: &config,
                config_file: &config_file,
                kafka_home: &kafka_home,
                env: &env,
                config_is_image_default: image_default,
                formatter: StorageFormatter::Native,
                log4j: None,
            })
        }

        /// Every file under the sandbox's data dirs with its bytes.
        fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
            fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
                let Ok(entries) = fs::read_dir(dir) else {
                    return;
                };
                for entry in entries {
                    let path = entry.expect("entry").path();
                    if path.is_dir() {
                        walk(&path, out);
                    } else {
                        let bytes = fs::read(&path).expect("read");
                        out.push((path, bytes));
                    }
                }
            }
            let mut out = Vec::new();
            walk(&self.root.path().join("data"), &mut out);
            out.sort();
            out
        }
    }

    const OTHER_ID: &str = "4L6g3nShT-eMCtK--X86sw";

    fn combined(log_dirs: &str) -> String {
        format!(
            "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\nlog.dirs={log_dirs}\n"
        )
    }

    #[test]
    fn first_start_formats_every_log_dir_and_the_metadata_dir() {
        let sandbox = Sandbox::new("4.0.0");
        let (a, b, m) = (
            sandbox.dir("data/a"),
            sandbox.dir("data/b"),
            sandbox.dir("data/meta"),
        );
        let text = format!("{}metadata.log.dir={m}\n", combined(&format!("{a},{b}")));
        let report = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("formats");
        assert_eq!(report.lines.len(), 3);
        let mut directory_ids = HashSet::new();
        for dir in [&a, &b, &m] {
            let meta_bytes = fs::read(Path::new(dir).join(META_PROPERTIES)).expect("meta");
            let meta = parse_meta_properties(&meta_bytes).expect("parses");
            assert_eq!(meta.cluster_id.as_deref(), Some(OTHER_ID));
            assert_eq!(meta.node_id, Some(1));
            directory_ids.insert(meta.directory_id.expect("directory.id"));
            let checkpoint = BootstrapCheckpoint::decode(
                &fs::read(Path::new(dir).join(BOOTSTRAP_CHECKPOINT)).expect("checkpoint"),
            )
            .expect("decodes");
            assert_eq!(
                checkpoint.features,
                bootstrap_features(KafkaRelease::new(4, 0, 0)).expect("known")
            );
        }
        assert_eq!(directory_ids.len(), 3, "each directory gets its own id");
        let leftovers = sandbox
            .snapshot()
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "tmp"));
        assert_eq!(leftovers.count(), 0);
    }

    #[test]
    fn second_start_skips_formatted_dirs_and_changes_no_byte() {
        let sandbox = Sandbox::new("3.9.0");
        let text = combined(&sandbox.dir("data/a"));
        sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        assert_eq!(before.len(), 2);
        let report = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("restart");
        assert_eq!(sandbox.snapshot(), before);
        assert!(report.lines[0].contains("already formatted"));
    }

    #[test]
    fn added_log_dir_is_formatted_and_existing_one_left_alone() {
        let sandbox = Sandbox::new("4.2.0");
        let (a, b) = (sandbox.dir("data/a"), sandbox.dir("data/b"));
        sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        sandbox
            .prepare(
                &combined(&format!("{a},{b}")),
                &[(CLUSTER_ID, OTHER_ID)],
                false,
            )
            .expect("second start with a new dir");
        let after = sandbox.snapshot();
        assert!(
            before.iter().all(|file| after.contains(file)),
            "files of /a unchanged"
        );
        assert_eq!(after.len(), 4);
        let read_id = |dir: &str| {
            parse_meta_properties(&fs::read(Path::new(dir).join(META_PROPERTIES)).expect("meta"))
                .expect("parses")
                .directory_id
        };
        assert_ne!(read_id(&a), read_id(&b));
    }

    #[test]
    fn cluster_id_mismatch_names_both_ids_and_touches_nothing() {
        let sandbox = Sandbox::new("4.0.0");
        let (a, b) = (sandbox.dir("data/a"), sandbox.dir("data/b"));
        sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        let error = sandbox
            .prepare(
                &combined(&format!("{a},{b}")),
                &[(CLUSTER_ID, IMAGE_DEFAULT_CLUSTER_ID)],
                false,
            )
            .expect_err("mismatch");
        let text = error.to_string();
        assert!(
            text.contains(OTHER_ID) && text.contains(IMAGE_DEFAULT_CLUSTER_ID),
            "{text}"
        );
        assert!(text.contains(&format!("{a}/meta.properties")), "{text}");
        assert!(
            text.contains("help: set `CLUSTER_ID=4L6g3nShT-eMCtK--X86sw`"),
            "{text}"
        );
        assert_eq!(
            sandbox.snapshot(),
            before,
            "the new directory /b was not formatted either"
        );
        assert!(!Path::new(&b).exists());
    }

    #[test]
    fn node_id_mismatch_is_refused() {
        let sandbox = Sandbox::new("4.0.0");
        let a = sandbox.dir("data/a");
        sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let moved = combined(&a).replace("node.id=1", "node.id=2");
        let error = sandbox
            .prepare(&moved, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("node 2");
        assert!(
            error
                .to_string()
                .contains("belongs to node 1, but `node.id` is 2"),
            "{error}"
        );
    }

    #[test]
    fn image_default_config_without_cluster_id_uses_the_default_id() {
        let sandbox = Sandbox::new("4.1.0");
        let a = sandbox.dir("data/a");
        sandbox
            .prepare(&combined(&a), &[], true)
            .expect("default config");
        let meta =
            parse_meta_properties(&fs::read(Path::new(&a).join(META_PROPERTIES)).expect("meta"))
                .expect("parses");
        assert_eq!(meta.cluster_id.as_deref(), Some(IMAGE_DEFAULT_CLUSTER_ID));
    }

    #[test]
    fn user_config_without_cluster_id_says_how_to_make_one() {
        let sandbox = Sandbox::new("4.1.0");
        let error = sandbox
            .prepare(&combined(&sandbox.dir("data/a")), &[], false)
            .expect_err("no id");
        let text = error.to_string();
        assert!(text.contains("`CLUSTER_ID` is not set"), "{text}");
        assert!(text.contains("docker run --rm IMAGE random-uuid"), "{text}");
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn restart_without_cluster_id_keeps_the_stored_one() {
        let sandbox = Sandbox::new("4.1.0");
        let text = combined(&sandbox.dir("data/a"));
        sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("first start");
        let before = sandbox.snapshot();
        sandbox
            .prepare(&text, &[], false)
            .expect("restart without CLUSTER_ID");
        assert_eq!(sandbox.snapshot(), before);
    }

    #[test]
    fn invalid_cluster_id_is_refused_before_writing() {
        let sandbox = Sandbox::new("4.1.0");
        let error = sandbox
            .prepare(
                &combined(&sandbox.dir("data/a")),
                &[(CLUSTER_ID, "my-cluster")],
                false,
            )
            .expect_err("invalid");
        assert!(
            error
                .to_string()
                .contains("`my-cluster` is not a valid Kafka cluster id")
        );
        // The command the help suggests runs in the image (`docker run IMAGE <command>`).
        assert!(
            error
                .to_string()
                .contains("help: generate one with `docker run --rm IMAGE random-uuid`"),
            "{error}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn scram_users_file_must_be_a_regular_file() {
        // Issue 10: only regular files are read; `/dev/zero` would fill memory.
        let error = scram_users(&env(&[(KAFKA_ENTRYPOINT_SCRAM_USERS_FILE, "/dev/zero")]))
            .expect_err("a device");
        assert!(
            error
                .to_string()
                .contains("it is a device, not a regular file"),
            "{error}"
        );
    }

    #[test]
    fn node_id_is_read_by_the_node_model_as_setup_reads_it() {
        // Issue 10: storage had its own parser, which took `node.id=-1` (a Java int, but no
        // KRaft node id) and formatted the directory for node -1.
        let sandbox = Sandbox::new("4.1.0");
        let text = combined(&sandbox.dir("data/a")).replace("node.id=1", "node.id=-1");
        let error = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("node.id -1");
        assert!(
            error
                .to_string()
                .contains("`node.id` is `-1`, not an integer from 0 to 2147483647"),
            "{error}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn unknown_release_routes_to_the_kafka_storage_fallback() {
        let sandbox = Sandbox::new("4.5.0");
        let error = sandbox
            .prepare(
                &combined(&sandbox.dir("data/a")),
                &[(CLUSTER_ID, OTHER_ID)],
                false,
            )
            .expect_err("4.5 unknown");
        let text = error.to_string();
        assert!(text.contains("Kafka 4.5.0"), "{text}");
        assert!(
            text.contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    /// A KIP-853 controller: empty `controller.quorum.voters`, data dirs `a`, `b` and the
    /// metadata dir `meta`.
    fn dynamic_controller(sandbox: &Sandbox, listeners: &str) -> String {
        format!(
            "process.roles=controller\nnode.id=1\ncontroller.quorum.bootstrap.servers=localhost:9093\ncontroller.listener.names=CONTROLLER\n{listeners}log.dirs={},{}\nmetadata.log.dir={}\n",
            sandbox.dir("data/a"),
            sandbox.dir("data/b"),
            sandbox.dir("data/meta")
        )
    }

    fn voters_snapshot(dir: &str) -> Option<MetadataSnapshot> {
        let path = Path::new(dir)
            .join(CLUSTER_METADATA_DIR)
            .join(BOOTSTRAP_SNAPSHOT_FILE);
        let bytes = fs::read(path).ok()?;
        Some(MetadataSnapshot::decode(&bytes).expect("decodes"))
    }

    fn voters_of(snapshot: &MetadataSnapshot) -> &[kafka_storage::SnapshotVoter] {
        snapshot.voters.as_deref().unwrap_or_default()
    }

    fn directory_id(dir: &str) -> Uuid {
        parse_meta_properties(&fs::read(Path::new(dir).join(META_PROPERTIES)).expect("meta"))
            .expect("parses")
            .directory_id
            .expect("directory.id")
    }

    #[test]
    fn dynamic_controller_without_initial_controllers_is_refused_naming_the_variable() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        let error = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("KIP-853 controller needs a voter set");
        let text = error.to_string();
        assert!(text.contains("KIP-853"), "{text}");
        assert!(
            text.contains("help: set `KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn standalone_writes_the_voters_snapshot_only_in_the_metadata_dir() {
        let sandbox = Sandbox::new("3.9.0");
        let text = dynamic_controller(
            &sandbox,
            "listeners=CONTROLLER://:9093\nadvertised.listeners=CONTROLLER://kafka-1:19093\n",
        );
        let report = sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone"),
                ],
                false,
            )
            .expect("formats");
        let (a, b, m) = (
            sandbox.dir("data/a"),
            sandbox.dir("data/b"),
            sandbox.dir("data/meta"),
        );
        assert!(voters_snapshot(&a).is_none() && voters_snapshot(&b).is_none());
        let snapshot = voters_snapshot(&m).expect("snapshot in the metadata dir");
        assert_eq!(snapshot.kraft_version, 1);
        let [voter] = voters_of(&snapshot) else {
            panic!("one voter: {snapshot:?}");
        };
        assert_eq!(voter.node_id, 1);
        assert_eq!(voter.directory_id, directory_id(&m));
        assert_eq!(
            voter.endpoints,
            [VoterEndpoint {
                listener_name: "CONTROLLER".into(),
                host: "kafka-1".into(),
                port: 19093,
            }]
        );
        assert_eq!(voter.directory_id.as_bytes()[6] >> 4, 4, "Uuid.randomUuid");
        for dir in [&a, &b, &m] {
            let checkpoint = BootstrapCheckpoint::decode(
                &fs::read(Path::new(dir).join(BOOTSTRAP_CHECKPOINT)).expect("checkpoint"),
            )
            .expect("decodes");
            assert_eq!(
                checkpoint.features,
                bootstrap_features(KafkaRelease::new(3, 9, 0)).expect("known"),
                "kraft.version has no FeatureLevelRecord"
            );
        }
        assert!(report.lines.iter().any(|l| l.contains("KIP-853")));
    }

    #[test]
    fn standalone_without_advertised_listener_uses_listeners_and_localhost() {
        let sandbox = Sandbox::new("4.1.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone"),
                ],
                false,
            )
            .expect("formats");
        let snapshot = voters_snapshot(&sandbox.dir("data/meta")).expect("snapshot");
        assert_eq!(voters_of(&snapshot)[0].endpoints[0].host, "localhost");
        assert_eq!(voters_of(&snapshot)[0].endpoints[0].port, 9093);
    }

    #[test]
    fn standalone_on_a_wildcard_listener_of_3_9_0_routes_to_the_fallback() {
        let sandbox = Sandbox::new("3.9.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://0.0.0.0:9093\n");
        let error = sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "standalone"),
                ],
                false,
            )
            .expect_err("3.9.0 refuses 0.0.0.0");
        let text = error.to_string();
        assert!(text.contains("`0.0.0.0`"), "{text}");
        assert!(
            text.contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn initial_controllers_give_the_voter_its_listed_directory_id() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        let list = "3@c:9093:07R5amHmR32VDA6jHkGbTA,1@a:9093:JEXY6aqzQY-32P5TStzaFg,2@b:9093:MvDxzVmcRsaTz33bUuRU6A";
        sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, list),
                ],
                false,
            )
            .expect("formats");
        let m = sandbox.dir("data/meta");
        assert_eq!(directory_id(&m).to_string(), "JEXY6aqzQY-32P5TStzaFg");
        assert_ne!(directory_id(&sandbox.dir("data/a")), directory_id(&m));
        let snapshot = voters_snapshot(&m).expect("snapshot");
        let ids: Vec<i32> = voters_of(&snapshot).iter().map(|v| v.node_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(voters_of(&snapshot)[2].endpoints[0].host, "c");
    }

    #[test]
    fn a_controller_outside_the_initial_set_still_gets_the_snapshot() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (
                        KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS,
                        "2@b:9093:MvDxzVmcRsaTz33bUuRU6A",
                    ),
                ],
                false,
            )
            .expect("formats");
        let m = sandbox.dir("data/meta");
        let snapshot = voters_snapshot(&m).expect("DYNAMIC_METADATA_NON_VOTER_DIRECTORY");
        assert_eq!(voters_of(&snapshot)[0].node_id, 2);
        assert_ne!(directory_id(&m), voters_of(&snapshot)[0].directory_id);
    }

    #[test]
    fn bad_initial_controllers_name_the_variable_and_write_nothing() {
        let sandbox = Sandbox::new("4.0.0");
        let text = dynamic_controller(&sandbox, "listeners=CONTROLLER://:9093\n");
        let error = sandbox
            .prepare(
                &text,
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS, "1@kafka-1:9093"),
                ],
                false,
            )
            .expect_err("no directory id");
        let text = error.to_string();
        assert!(
            text.starts_with(
                "`KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS`: initial controller `1@kafka-1:9093`"
            ),
            "{text}"
        );
        assert!(
            text.contains("help: list every initial controller"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn broker_of_a_dynamic_quorum_is_formatted_without_a_snapshot() {
        let sandbox = Sandbox::new("4.0.0");
        let text = format!(
            "process.roles=broker\nnode.id=4\ncontroller.quorum.bootstrap.servers=c:9093\nlog.dirs={}\n",
            sandbox.dir("data/a")
        );
        sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("formats");
        assert_eq!(
            sandbox.snapshot().len(),
            2,
            "meta.properties and bootstrap.checkpoint only"
        );
    }

    #[test]
    fn inter_broker_protocol_version_routes_to_the_kafka_storage_fallback() {
        let sandbox = Sandbox::new("3.8.0");
        let text = format!(
            "{}inter.broker.protocol.version=3.6\n",
            combined(&sandbox.dir("data/a"))
        );
        let error = sandbox
            .prepare(&text, &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("IBP set");
        let text = error.to_string();
        assert!(
            text.contains("`inter.broker.protocol.version` is set (`3.6`)"),
            "{text}"
        );
        assert!(
            text.contains("KAFKA_ENTRYPOINT_STORAGE_FORMAT=kafka-storage"),
            "{text}"
        );
        assert!(sandbox.snapshot().is_empty());
    }

    #[test]
    fn unreadable_meta_properties_names_the_file() {
        let sandbox = Sandbox::new("4.0.0");
        let a = sandbox.dir("data/a");
        fs::create_dir_all(&a).expect("dir");
        fs::write(Path::new(&a).join(META_PROPERTIES), "node.id=1\n").expect("seed");
        let error = sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("damaged");
        let text = error.to_string();
        assert!(
            text.contains(&format!("{a}/meta.properties")) && text.contains("`version`"),
            "{text}"
        );
    }

    #[test]
    fn missing_node_id_names_the_variable() {
        let sandbox = Sandbox::new("4.0.0");
        let error = sandbox
            .prepare("log.dirs=/nonexistent\n", &[(CLUSTER_ID, OTHER_ID)], false)
            .expect_err("no node.id");
        assert!(error.to_string().contains("KAFKA_NODE_ID"));
    }

    #[test]
    fn kafka_3_7_0_image_directory_is_kept_with_a_warning() {
        // See: https://issues.apache.org/jira/browse/KAFKA-16473
        let sandbox = Sandbox::new("3.7.1");
        let a = sandbox.dir("data/a");
        fs::create_dir_all(&a).expect("dir");
        let wrapped = format!("#\n#x\ncluster.id=Some({OTHER_ID})\nnode.id=1\nversion=1\n");
        fs::write(Path::new(&a).join(META_PROPERTIES), &wrapped).expect("seed");
        let report = sandbox
            .prepare(&combined(&a), &[(CLUSTER_ID, OTHER_ID)], false)
            .expect("same cluster");
        assert!(report.lines.iter().any(|l| l.contains("KAFKA-16473")));
        assert_eq!(
            fs::read_to_string(Path::new(&a).join(META_PROPERTIES)).expect("read"),
            wrapped
        );
    }

    #[test]
    fn scram_users_from_a_file_reach_every_checkpoint_with_their_own_salts() {
        let sandbox = Sandbox::new("4.0.0");
        let (a, b) = (sandbox.dir("data/a"), sandbox.dir("data/b"));
        let users = sandbox.dir("users");
        fs::write(&users, "alice:SCRAM-SHA-256:pw-a\nbob:SCRAM-SHA-512:pw-b\n").expect("users");
        let report = sandbox
            .prepare(
                &combined(&format!("{a},{b}")),
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_SCRAM_USERS_FILE, &users),
                ],
                false,
            )
            .expect("formats");
        assert!(report.lines.contains(
            &"SCRAM users bootstrapped: alice (SCRAM-SHA-256), bob (SCRAM-SHA-512)".to_owned()
        ));
        let credentials = |dir: &str| {
            let bytes = fs::read(Path::new(dir).join("bootstrap.checkpoint")).expect("checkpoint");
            BootstrapCheckpoint::decode(&bytes)
                .expect("decodes")
                .scram_credentials
        };
        let in_a = credentials(&a);
        assert_eq!(
            in_a,
            credentials(&b),
            "one checkpoint, copied to every directory"
        );
        assert_eq!(in_a.len(), 2);
        assert_ne!(in_a[0].salt, in_a[1].salt);
        assert!(
            in_a.iter()
                .all(|c| c.iterations == 4096 && c.salt.iter().all(u8::is_ascii_alphanumeric))
        );
    }

    #[test]
    fn bad_scram_users_are_all_reported_and_nothing_is_written() {
        let sandbox = Sandbox::new("4.4.0");
        let a = sandbox.dir("data/a");
        let error = sandbox
            .prepare(
                &combined(&a),
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (
                        KAFKA_ENTRYPOINT_SCRAM_USERS,
                        "alice:SCRAM-SHA-1:first-secret\nbob:SCRAM-SHA-256:\n",
                    ),
                ],
                false,
            )
            .expect_err("refused");
        let text = format!("{error:#}");
        assert!(
            text.contains("`KAFKA_ENTRYPOINT_SCRAM_USERS` line 1:"),
            "{text}"
        );
        assert!(
            text.contains("`KAFKA_ENTRYPOINT_SCRAM_USERS` line 2:"),
            "{text}"
        );
        assert!(!text.contains("first-secret"), "{text}");
        assert!(sandbox.snapshot().is_empty());
        let both = sandbox
            .prepare(
                &combined(&a),
                &[
                    (CLUSTER_ID, OTHER_ID),
                    (KAFKA_ENTRYPOINT_SCRAM_USERS, "a:SCRAM-SHA-256:x"),
                    (KAFKA_ENTRYPOINT_SCRAM_USERS_FILE, "/nonexistent"),
                ],
                false,
            )
            .expect_err("both set");
        assert!(format!("{both:#}").contains("set only one of them"));
    }
}
