//! `Problem` (bad input that stops setup), `Problems` (the non-empty list of them, reported at
//! once) and `Warning` (worth telling, not worth stopping for). None of them ever holds a value
//! that could be a secret: they name the variable, file or key instead.

use std::fmt;
use std::sync::Arc;

/// Where a property of the final `server.properties` came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The image's default `server.properties` (used when nothing else is given).
    Default {
        /// Path of the defaults file (shared by every key of the file).
        path: Arc<str>,
    },
    /// The mounted `server.properties`.
    File {
        /// Path of the mounted file (shared by every key of the file).
        path: Arc<str>,
    },
    /// An environment variable (possibly through `NAME_FILE`).
    Env {
        /// The variable's name.
        env_var: String,
    },
    /// A file in the secrets directory named by an SSL helper variable.
    Secret {
        /// The helper variable.
        env_var: String,
    },
}

impl Source {
    /// The short kind shown by `setup --print`: `default`, `file`, `env` or `secret`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Default { .. } => "default",
            Self::File { .. } => "file",
            Self::Env { .. } => "env",
            Self::Secret { .. } => "secret",
        }
    }
}

/// Where each key of the merged `server.properties` came from. A hash map, not a sorted one:
/// it is only looked up, and a mounted file of hundreds of plugin keys made the sorted inserts
/// a tenth of setup's instructions.
pub type Sources = rustc_hash::FxHashMap<String, Source>;

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default { path } | Self::File { path } => write!(f, "`{path}`"),
            Self::Env { env_var } | Self::Secret { env_var } => write!(f, "`{env_var}`"),
        }
    }
}

/// A problem with the inputs to setup; each names its offender and has a [`Problem::help`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A property variable whose name gives no usable key.
    #[error("`{env_var}` {reason}")]
    InvalidEnvName {
        /// The variable.
        env_var: String,
        /// Why its name gives no key.
        reason: crate::naming::KeyShapeError,
    },
    /// A variable setup reads whose value (or name) is not valid Unicode.
    #[error("`{env_var}` is not valid UTF-8")]
    EnvNotUnicode {
        /// The variable (lossily decoded).
        env_var: String,
    },
    /// `KAFKA_*` and `KAFKA_CFG_*` give one key two different values.
    #[error("`{env_var}` and `{other_env_var}` both set `{key}`, to different values")]
    ConflictingEnvVars {
        /// The `KAFKA_*` variable.
        env_var: String,
        /// The `KAFKA_CFG_*` variable.
        other_env_var: String,
        /// The key both set.
        key: String,
    },
    /// Both `NAME` and `NAME_FILE` are set.
    #[error("both `{env_var}` and `{file_env_var}` are set")]
    ValueAndFileBothSet {
        /// `NAME`.
        env_var: String,
        /// `NAME_FILE`.
        file_env_var: String,
    },
    /// The file named by `NAME_FILE` cannot be read.
    #[error("`{file_env_var}` names `{path}`, which cannot be read: {reason}")]
    ValueFileUnreadable {
        /// `NAME_FILE`.
        file_env_var: String,
        /// The path it holds.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A control variable with a value that is not `true` or `false`.
    #[error("`{env_var}` must be `true` or `false`, not `{value}`")]
    InvalidBoolean {
        /// The variable.
        env_var: String,
        /// Its value (control variables hold no secrets).
        value: String,
    },
    /// A `bitnami/kafka` SASL users variable (`KAFKA_CLIENT_USERS`, `KAFKA_CLIENT_PASSWORDS`):
    /// this image creates no users from it and it must not become a property.
    #[error("`{env_var}` is a bitnami/kafka variable; this image does not read it")]
    BitnamiScramUsers {
        /// The variable (its value, a password list, is never shown).
        env_var: String,
    },
    /// `KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME=true` but `HOSTNAME` has no `-N` suffix.
    #[error("`HOSTNAME` `{hostname}` has no ordinal suffix to take `node.id` from")]
    NoHostnameOrdinal {
        /// The host name (empty when unset).
        hostname: String,
    },
    /// Two variables set `node.id`.
    #[error("`{env_var}` and `KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME` both set `node.id`")]
    NodeIdTwice {
        /// The property variable that also sets it.
        env_var: String,
    },
    /// A mounted path that setup must read as a file is a directory.
    #[error("`{path}` is a directory, not a file")]
    PathIsDirectory {
        /// The path.
        path: String,
    },
    /// A file setup must read could not be read.
    #[error("`{path}` cannot be read: {reason}")]
    FileUnreadable {
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A file that must be text holds binary data.
    #[error("`{path}` is not UTF-8 or Latin-1 text: {cause}")]
    FileNotText {
        /// The path.
        path: String,
        /// The first offending byte.
        cause: crate::properties::NotText,
    },
    /// A `.properties` file Java would reject.
    #[error("`{path}` {cause}")]
    PropertiesSyntax {
        /// The path.
        path: String,
        /// The syntax error, with its line.
        cause: crate::properties::PropertiesError,
    },
    /// An entry of `KAFKA_LOG4J_LOGGERS` that is not `name=LEVEL`.
    #[error("`{env_var}` entry `{entry}` is not `logger.name=LEVEL`")]
    InvalidLoggerEntry {
        /// The variable.
        env_var: String,
        /// The entry.
        entry: String,
    },
    /// A log level log4j does not know.
    #[error("`{env_var}` sets unknown log level `{level}`")]
    InvalidLogLevel {
        /// The variable.
        env_var: String,
        /// The level given.
        level: String,
    },
    /// A log4j2 YAML file that must be edited but is not YAML of the expected shape.
    #[error("`{path}` cannot be edited as log4j2 YAML: {reason}")]
    InvalidLog4jYaml {
        /// The path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A listener uses SSL but nothing says where the keystore or a password is.
    #[error("a listener uses SSL but `{env_var}` is not set")]
    SslSettingMissing {
        /// The helper variable to set.
        env_var: String,
    },
    /// A file named by an SSL helper variable is not in the secrets directory.
    #[error("`{env_var}` names `{path}`, which does not exist")]
    SecretFileMissing {
        /// The helper variable.
        env_var: String,
        /// The expected path.
        path: String,
    },
    /// A file named by an SSL helper variable cannot be read.
    #[error("`{env_var}` names `{path}`, which cannot be read: {reason}")]
    SecretFileUnreadable {
        /// The helper variable.
        env_var: String,
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A PEM key or certificate file named by an SSL helper variable that cannot be used.
    #[error("`{env_var}` names `{path}`, which {problem}")]
    TlsFile {
        /// The helper variable.
        env_var: String,
        /// The path.
        path: String,
        /// What is wrong with it (never its content).
        problem: kafka_tls::PemProblem,
    },
    /// The PEM private key does not belong to the first certificate of the chain.
    #[error(
        "the private key in `{key_path}` (`{key_env_var}`) is not the key of the first certificate in `{chain_path}` (`{chain_env_var}`, {subject})"
    )]
    TlsKeyDoesNotMatchCertificate {
        /// The key's helper variable.
        key_env_var: String,
        /// The key's path.
        key_path: String,
        /// The chain's helper variable.
        chain_env_var: String,
        /// The chain's path.
        chain_path: String,
        /// The first certificate's subject.
        subject: String,
    },
    /// Two SSL helper variables that give Kafka the same store two ways (a PEM file and a
    /// JKS/PKCS#12 store or its password).
    #[error("both `{env_var}` and `{other_env_var}` are set")]
    SslHelpersConflict {
        /// The PEM helper.
        env_var: String,
        /// The store helper.
        other_env_var: String,
    },
    /// A property that a PEM store set by a helper cannot be combined with.
    #[error("`{env_var}` gives Kafka a PEM store, but `{key}` is also set")]
    SslPemPropertyConflict {
        /// The PEM helper.
        env_var: String,
        /// The conflicting key.
        key: String,
    },
    /// A property name not in the catalog, with `KAFKA_ENTRYPOINT_STRICT=true`.
    #[error("{origin} sets unknown property `{key}`")]
    UnknownProperty {
        /// The key.
        key: String,
        /// Who set it.
        origin: Source,
        /// The closest known key.
        suggestion: Option<String>,
    },
    /// A value of the node model (`process.roles`, `node.id`, listeners, the protocol map,
    /// the voters) that Kafka would refuse.
    #[error("{error} (from {origin})")]
    InvalidNodeValue {
        /// What is wrong.
        error: crate::node::NodeError,
        /// Who set the key.
        origin: Source,
    },
    /// Keys every KRaft node needs are not set; all of them are listed at once.
    #[error("{}", kraft_keys_missing(keys, *cluster_id_missing, defaults_dropped_by.as_deref()))]
    KraftKeysMissing {
        /// The missing keys.
        keys: Vec<String>,
        /// `CLUSTER_ID` is not set either (needed to format storage on first start).
        cluster_id_missing: bool,
        /// The variable or file that made setup leave the image's defaults out.
        defaults_dropped_by: Option<String>,
    },
    /// A file name in an SSL helper variable that is not a plain name inside the secrets
    /// directory (absolute, or with `/` or `..`).
    #[error("`{env_var}` is `{file_name}`, not the name of a file in the secrets directory")]
    SecretFileNameNotPlain {
        /// The helper variable.
        env_var: String,
        /// Its value.
        file_name: String,
    },
    /// A control variable with a value outside its documented set.
    #[error("`{env_var}` must be one of {allowed}, not `{value}`")]
    InvalidControlValue {
        /// The variable.
        env_var: String,
        /// Its value (control variables hold no secrets).
        value: String,
        /// The values it takes, rendered.
        allowed: String,
    },
    /// A controller whose controller listener is not among its `listeners`.
    #[error("controller listener `{name}` is not in `listeners`")]
    ControllerListenerNotListening {
        /// The listener name.
        name: String,
    },
    /// A controller-only node that advertises a non-controller listener.
    #[error("`advertised.listeners` (from {origin}) advertises `{name}` on a controller-only node")]
    ControllerAdvertisesListener {
        /// The listener name.
        name: String,
        /// Who set it.
        origin: Source,
    },
    /// A listener name missing from `listener.security.protocol.map`.
    #[error("listener `{name}` in `{key}` is not in `listener.security.protocol.map`")]
    ListenerNotMapped {
        /// The listener name.
        name: String,
        /// The key naming it.
        key: String,
    },
    /// Nothing configures the broker and the defaults directory has no `server.properties`.
    #[error(
        "no configuration: `{path}` does not exist and no `KAFKA_*` variable or mounted file was given"
    )]
    NoServerProperties {
        /// The expected defaults path.
        path: String,
    },
}

impl Problem {
    /// How to fix it.
    #[must_use]
    pub fn help(&self) -> String {
        match self {
            Self::InvalidEnvName { env_var, .. } => format!(
                "property variables are `KAFKA_` + the key with `.` as `_`, `_` as `__` and `-` as `___`; remove `{env_var}` or fix its name"
            ),
            Self::EnvNotUnicode { env_var } => format!("set `{env_var}` to UTF-8 text"),
            Self::ConflictingEnvVars { other_env_var, .. } => {
                format!("set the key once; remove `{other_env_var}` or give both the same value")
            }
            Self::ValueAndFileBothSet { env_var, file_env_var } => {
                format!("unset `{env_var}` to read the value from the file, or unset `{file_env_var}`")
            }
            Self::ValueFileUnreadable { file_env_var, .. } => {
                format!("mount the file, or fix the path in `{file_env_var}`")
            }
            Self::InvalidBoolean { env_var, .. } => format!("set `{env_var}=true` or `{env_var}=false`"),
            Self::BitnamiScramUsers { .. } => "list the users in `KAFKA_ENTRYPOINT_SCRAM_USERS` (or the file `KAFKA_ENTRYPOINT_SCRAM_USERS_FILE` names), one `user:SCRAM-SHA-256:password` per line, and unset `KAFKA_CLIENT_USERS` and `KAFKA_CLIENT_PASSWORDS`".to_owned(),
            Self::NoHostnameOrdinal { .. } => {
                "use a StatefulSet-style host name such as `kafka-2`, or set `KAFKA_NODE_ID` instead".to_owned()
            }
            Self::NodeIdTwice { env_var } => {
                format!("unset `{env_var}` or `KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME`")
            }
            Self::PathIsDirectory { .. } => {
                "mount the file itself (e.g. `-v ./server.properties:/mnt/shared/config/server.properties`), not a directory".to_owned()
            }
            Self::FileUnreadable { .. } => "check that the file exists and is readable by the container's user (uid 1000)".to_owned(),
            Self::FileNotText { .. } => "mount the text file, saved as UTF-8 or ISO-8859-1".to_owned(),
            Self::PropertiesSyntax { cause, .. } => cause.help().to_owned(),
            Self::InvalidLoggerEntry { env_var, .. } => {
                format!("write `{env_var}` as `logger.name=LEVEL,other.logger=LEVEL`, e.g. `kafka.controller=WARN`")
            }
            Self::InvalidLogLevel { .. } => "use one of OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE, ALL".to_owned(),
            Self::InvalidLog4jYaml { .. } => {
                "mount a log4j2 YAML file with `Configuration: Loggers:`, or unset the `KAFKA_*LOG4J*` variables".to_owned()
            }
            Self::SslSettingMissing { env_var } => format!(
                "set `{env_var}` to the name of a file in the secrets directory, or set the matching `ssl.*` property yourself"
            ),
            Self::SecretFileMissing { .. } => "mount the file into the secrets directory (default `/etc/kafka/secrets`)".to_owned(),
            Self::SecretFileUnreadable { .. } => "make the file readable by the container's user (uid 1000)".to_owned(),
            Self::TlsFile { problem, .. } => problem.help().to_owned(),
            Self::TlsKeyDoesNotMatchCertificate { .. } => {
                "mount the key and the certificate chain of the same certificate (`tls.key` and `tls.crt` of one Kubernetes TLS secret); the chain starts with the broker's own certificate".to_owned()
            }
            Self::SslHelpersConflict { env_var, other_env_var } => format!(
                "give each store one way: unset `{other_env_var}` to use the PEM file of `{env_var}`, or unset `{env_var}`"
            ),
            Self::SslPemPropertyConflict { key, .. } => format!(
                "unset `{key}`: a PEM store set from files takes no location, password or other type"
            ),
            Self::UnknownProperty { key, suggestion, .. } => match suggestion {
                Some(known) => format!(
                    "{} Or unset `KAFKA_ENTRYPOINT_STRICT` if `{key}` belongs to a plugin",
                    suggestion_help(key, known)
                ),
                None => format!("unset `KAFKA_ENTRYPOINT_STRICT` if `{key}` belongs to a plugin"),
            },
            Self::InvalidNodeValue { error, .. } => node_value_help(error),
            Self::KraftKeysMissing { .. } => MINIMAL_KRAFT_HELP.to_owned(),
            Self::SecretFileNameNotPlain { env_var, .. } => format!(
                "mount the file into the secrets directory (default `/etc/kafka/secrets`) and set `{env_var}` to its name only, e.g. `kafka.keystore.jks`"
            ),
            Self::InvalidControlValue { env_var, allowed, .. } => format!("set `{env_var}` to one of {allowed}, or unset it"),
            Self::ControllerListenerNotListening { name } => {
                format!("add `{name}://:9093` to `KAFKA_LISTENERS`")
            }
            Self::ControllerAdvertisesListener { .. } => {
                "unset `KAFKA_ADVERTISED_LISTENERS` on controller-only nodes (or advertise only controller listeners)".to_owned()
            }
            Self::ListenerNotMapped { name, .. } => {
                format!("add `{name}:PLAINTEXT` (or its protocol) to `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`")
            }
            Self::NoServerProperties { .. } => {
                "set `KAFKA_*` variables or mount a `server.properties` (the image's defaults are missing)".to_owned()
            }
        }
    }
}

/// The one `help:` of [`Problem::KraftKeysMissing`]: a complete minimal single-node set.
const MINIMAL_KRAFT_HELP: &str = "a complete minimal single-node set is `KAFKA_PROCESS_ROLES=broker,controller KAFKA_NODE_ID=1 KAFKA_CONTROLLER_QUORUM_VOTERS=1@localhost:9093 KAFKA_LISTENERS=PLAINTEXT://:9092,CONTROLLER://:9093 KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://localhost:9092 KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER CLUSTER_ID=<the output of `docker run --rm IMAGE random-uuid`>`; or set `KAFKA_ENTRYPOINT_DEFAULTS=merge` to keep the image's defaults under your variables";

fn kraft_keys_missing(
    keys: &[String],
    cluster_id_missing: bool,
    dropped_by: Option<&str>,
) -> String {
    let mut names: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
    if cluster_id_missing {
        names.push("`CLUSTER_ID`".to_owned());
    }
    let mut text = format!(
        "this KRaft node needs {}, which {} not set",
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" }
    );
    if let Some(cause) = dropped_by {
        text.push_str(&format!(
            " (the image's default configuration is not used because {cause} is given)"
        ));
    }
    text
}

fn node_value_help(error: &crate::node::NodeError) -> String {
    use crate::node::NodeError;
    match error {
        NodeError::InvalidRoles { .. } => {
            "set `KAFKA_PROCESS_ROLES` to `broker`, `controller` or `broker,controller`".to_owned()
        }
        NodeError::InvalidNodeId { .. } => "set `KAFKA_NODE_ID` to an integer such as `1`".to_owned(),
        NodeError::MalformedListener { .. } => {
            "write listeners as `NAME://host:port,NAME2://host:port` with ports from 0 to 65535".to_owned()
        }
        NodeError::MalformedProtocolMap { .. } => {
            "write `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP` as `NAME:PROTOCOL,...`, e.g. `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT`".to_owned()
        }
        NodeError::MalformedVoter { .. } => {
            "write `KAFKA_CONTROLLER_QUORUM_VOTERS` as `id@host:port,...`, e.g. `1@kafka-1:9093`".to_owned()
        }
    }
}

/// "did you mean" for an unknown key. A known key that differs only in case (the few camel-case
/// names such as `zookeeper.clientCnxnSocket`) cannot come from a variable, which is lower-cased.
fn suggestion_help(key: &str, known: &str) -> String {
    if key.eq_ignore_ascii_case(known) {
        format!(
            "Kafka's name is `{known}`, with upper-case letters a variable cannot give; set it in a mounted `server.properties`."
        )
    } else {
        format!(
            "did you mean `{known}` (`{}`)?",
            crate::naming::env_var_for_key(known)
        )
    }
}

/// One or more problems, all found in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(Vec<Problem>, Vec<Warning>);

impl Problems {
    /// The problems, or `None` when there are none.
    #[must_use]
    pub fn from_vec(problems: Vec<Problem>) -> Option<Self> {
        if problems.is_empty() {
            None
        } else {
            Some(Self(problems, Vec::new()))
        }
    }

    /// The problems in the order found.
    #[must_use]
    pub fn as_slice(&self) -> &[Problem] {
        &self.0
    }

    /// The warnings found in the same pass; they are worth printing with the problems.
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.1
    }

    /// The same problems, with the warnings found alongside them.
    #[must_use]
    pub fn with_warnings(mut self, warnings: Vec<Warning>) -> Self {
        self.1 = warnings;
        self
    }

    /// How many there are (at least one).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: kept for the `len`/`is_empty` pair.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}\nhelp: {}", problem.help())?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Something worth telling that does not stop setup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// A property name not in the catalog (plugins add their own).
    #[error("{origin} sets unknown property `{key}`")]
    UnknownProperty {
        /// The key.
        key: String,
        /// Who set it.
        origin: Source,
        /// The closest known key.
        suggestion: Option<String>,
    },
    /// Keys Kafka does not know and that are close to no known key (plugins' own keys, or
    /// typos too far off to guess), listed in one line.
    #[error("{} not in Kafka's catalog (plugin keys?) and passed on as given: {}", count_keys(keys.len()), KeyList(keys))]
    UnknownProperties {
        /// The keys and who set them.
        keys: Vec<(String, Source)>,
    },
    /// A log or metadata directory that is not on a mounted volume: its data is lost with
    /// the container.
    #[error(
        "`{dir}` (`{key}`) is not on a volume; the data written there is lost with the container"
    )]
    DataDirNotOnVolume {
        /// The directory.
        dir: String,
        /// The key naming it (`log.dirs`, `metadata.log.dir`, or Kafka's default).
        key: String,
    },
    /// A key set twice in a mounted file (the last one wins, as in Java).
    #[error("`{path}` sets `{key}` more than once; line {line} wins")]
    DuplicateKey {
        /// The file.
        path: String,
        /// The key.
        key: String,
        /// The winning line.
        line: usize,
    },
    /// A `KAFKA_ENTRYPOINT_*` variable the entrypoint does not know.
    #[error("unknown control variable `{env_var}` is ignored")]
    UnknownControlVar {
        /// The variable.
        env_var: String,
        /// The closest known control variable.
        suggestion: Option<String>,
    },
    /// SSL helper variables set while no listener uses SSL.
    #[error("`{env_var}` is ignored because no listener uses SSL")]
    SslHelperUnused {
        /// The variable.
        env_var: String,
    },
    /// `NAME_FILE` for a variable setup does not read from files.
    #[error("`{file_env_var}` is ignored: setup reads no value of `{env_var}` from a file")]
    FileIndirectionUnsupported {
        /// `NAME_FILE`.
        file_env_var: String,
        /// `NAME`.
        env_var: String,
    },
    /// A log4j variable with no log4j file to apply it to.
    #[error("`{env_var}` is ignored: the defaults directory has no `{file}` and none is mounted")]
    Log4jVarUnused {
        /// The variable.
        env_var: String,
        /// The file it would edit.
        file: String,
    },
    /// A mounted log4j file of the format this Kafka does not read.
    #[error("mounted `{file}` is copied but this Kafka reads `{expected}`")]
    Log4jFormatMismatch {
        /// The mounted file.
        file: String,
        /// The file this distribution reads.
        expected: String,
    },
    /// Variables a Kubernetes Service or Docker link injected (`KAFKA_PORT=tcp://…`,
    /// `KAFKA_SERVICE_HOST`, …), left out of the properties; one warning names them all.
    #[error("{} injected by a Kubernetes Service or Docker link named `kafka…`, not Kafka settings, ignored: {}", count_vars(env_vars.len()), list_vars(env_vars))]
    ServiceLinkVarsIgnored {
        /// The variables, sorted.
        env_vars: Vec<String>,
    },
    /// A directory inside the mounted configs directory.
    #[error("mounted `{path}` is a directory and is not copied")]
    MountedDirectorySkipped {
        /// The path.
        path: String,
    },
}

fn count_keys(count: usize) -> String {
    if count == 1 {
        "1 key is".to_owned()
    } else {
        format!("{count} keys are")
    }
}

fn count_vars(count: usize) -> String {
    if count == 1 {
        "1 variable is".to_owned()
    } else {
        format!("{count} variables are")
    }
}

fn list_vars(env_vars: &[String]) -> String {
    let mut list = String::new();
    for name in env_vars {
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push('`');
        list.push_str(name);
        list.push('`');
    }
    list
}

/// Keys and who set them, shown as `` `key` (kind), … ``: written straight into the output, as
/// hundreds of plugin keys make a long line.
struct KeyList<'a>(&'a [(String, Source)]);

impl std::fmt::Display for KeyList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, (key, origin)) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{key}` ({})", origin.kind())?;
        }
        Ok(())
    }
}

impl Warning {
    /// How to act on it, when there is something to do.
    #[must_use]
    pub fn help(&self) -> Option<String> {
        match self {
            Self::UnknownProperty {
                key,
                suggestion: Some(known),
                ..
            } => Some(suggestion_help(key, known)),
            Self::UnknownControlVar {
                suggestion: Some(known),
                ..
            } => Some(format!("did you mean `{known}`?")),
            Self::DuplicateKey { .. } => Some("remove the earlier lines".to_owned()),
            Self::UnknownProperties { .. } => Some(
                "set `KAFKA_ENTRYPOINT_STRICT=true` to make unknown keys errors".to_owned(),
            ),
            Self::DataDirNotOnVolume { .. } => Some(
                "mount a volume there (`-v kafka-data:/var/lib/kafka/data`) or set `KAFKA_LOG_DIRS` to a mounted directory".to_owned(),
            ),
            Self::ServiceLinkVarsIgnored { .. } => Some(
                "turn service links off with `enableServiceLinks: false` in the pod spec (Kubernetes) or drop `--link` (Docker); a Kafka setting of this shape goes in a mounted `server.properties`".to_owned(),
            ),
            Self::Log4jFormatMismatch { expected, .. } => {
                Some(format!("mount `{expected}` instead"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_never_empty() {
        assert_eq!(Problems::from_vec(Vec::new()), None);
        let problems = Problems::from_vec(vec![Problem::KraftKeysMissing {
            keys: vec!["node.id".into(), "controller.listener.names".into()],
            cluster_id_missing: true,
            defaults_dropped_by: Some("`KAFKA_NUM_PARTITIONS`".into()),
        }])
        .expect("one problem");
        assert_eq!(problems.len(), 1);
        assert!(problems.to_string().starts_with(
            "this KRaft node needs `node.id`, `controller.listener.names`, `CLUSTER_ID`, which are not set (the image's default configuration is not used because `KAFKA_NUM_PARTITIONS` is given)\nhelp: a complete minimal single-node set is `KAFKA_PROCESS_ROLES=broker,controller"
        ));
    }

    #[test]
    fn unknown_property_help_names_the_variable_to_use() {
        let problem = Problem::UnknownProperty {
            key: "listenres".into(),
            origin: Source::Env {
                env_var: "KAFKA_LISTENRES".into(),
            },
            suggestion: Some("listeners".into()),
        };
        assert_eq!(
            problem.to_string(),
            "`KAFKA_LISTENRES` sets unknown property `listenres`"
        );
        assert!(
            problem
                .help()
                .starts_with("did you mean `listeners` (`KAFKA_LISTENERS`)?")
        );
    }

    #[test]
    fn camel_case_suggestion_points_to_the_mounted_file() {
        let warning = Warning::UnknownProperty {
            key: "zookeeper.clientcnxnsocket".into(),
            origin: Source::Env {
                env_var: "KAFKA_ZOOKEEPER_CLIENTCNXNSOCKET".into(),
            },
            suggestion: Some("zookeeper.clientCnxnSocket".into()),
        };
        assert_eq!(
            warning.help().as_deref(),
            Some(
                "Kafka's name is `zookeeper.clientCnxnSocket`, with upper-case letters a variable cannot give; set it in a mounted `server.properties`."
            )
        );
    }
}
