//! Every environment variable that `kafka-entrypoint setup` reads, as a documented constant.
//!
//! This is the one registry of names (uv's `EnvVars`): code refers to these constants, never to
//! string literals, and the user-facing list of variables is generated from [`ALL`].

/// Prefix of the variables that become broker properties (`KAFKA_NODE_ID` → `node.id`), as in
/// the official `apache/kafka` image.
pub const KAFKA_PREFIX: &str = "KAFKA_";

/// Prefix of the `bitnami/kafka` convention (`KAFKA_CFG_NODE_ID` → `node.id`), accepted so users
/// of that image can switch.
pub const KAFKA_CFG_PREFIX: &str = "KAFKA_CFG_";

/// Prefix of the entrypoint's own control variables; they never become properties.
pub const KAFKA_ENTRYPOINT_PREFIX: &str = "KAFKA_ENTRYPOINT_";

/// Suffix of a variable that names a file holding the value of the variable without the suffix
/// (`KAFKA_SASL_JAAS_CONFIG_FILE=/run/secrets/jaas` sets `KAFKA_SASL_JAAS_CONFIG`).
pub const FILE_SUFFIX: &str = "_FILE";

/// `true` turns warnings about unknown property names into errors.
pub const KAFKA_ENTRYPOINT_STRICT: &str = "KAFKA_ENTRYPOINT_STRICT";

/// `true` derives `node.id` from the ordinal suffix of `HOSTNAME` (`kafka-2` → `2`), for
/// Kubernetes StatefulSets.
pub const KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME: &str = "KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME";

/// How the image's default `server.properties` combines with the user's configuration:
/// `replace` (default, as the official image: any `KAFKA_*` property variable or mounted
/// `server.properties` replaces the defaults whole) or `merge` (the defaults, then the mounted
/// file, then the variables, each key by key, as bitnami users expect).
pub const KAFKA_ENTRYPOINT_DEFAULTS: &str = "KAFKA_ENTRYPOINT_DEFAULTS";

/// How `run` formats KRaft storage: `native` (default; written by the entrypoint, no extra JVM)
/// or `kafka-storage` (the distribution's `bin/kafka-storage.sh format`).
pub const KAFKA_ENTRYPOINT_STORAGE_FORMAT: &str = "KAFKA_ENTRYPOINT_STORAGE_FORMAT";

/// How `run` starts Kafka: `native` (default; `java` exec'd with the argv Kafka's scripts would
/// build) or `script` (the distribution's `bin/kafka-server-start.sh`).
pub const KAFKA_ENTRYPOINT_LAUNCH: &str = "KAFKA_ENTRYPOINT_LAUNCH";

/// The port of the Prometheus JMX exporter agent; set, the broker's JVM loads the agent and
/// serves its metrics there (`/metrics`).
pub const KAFKA_ENTRYPOINT_METRICS_PORT: &str = "KAFKA_ENTRYPOINT_METRICS_PORT";

/// The KIP-853 initial controller quorum when `controller.quorum.voters` is empty, for both
/// storage formatters: `standalone` (`--standalone`), `none` (`--no-initial-controllers`) or a
/// voter list `id@host:port:directory,...` (`--initial-controllers`).
pub const KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS: &str = "KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS";

/// SASL/SCRAM users written into the bootstrap metadata when `run` formats storage, one
/// `user:mechanism:password` per line (see the user guide, "SCRAM users").
pub const KAFKA_ENTRYPOINT_SCRAM_USERS: &str = "KAFKA_ENTRYPOINT_SCRAM_USERS";
/// A file holding [`KAFKA_ENTRYPOINT_SCRAM_USERS`]'s list (e.g. a Docker or Kubernetes secret).
pub const KAFKA_ENTRYPOINT_SCRAM_USERS_FILE: &str = "KAFKA_ENTRYPOINT_SCRAM_USERS_FILE";
/// `bitnami/kafka`'s SASL user lists: refused, naming [`KAFKA_ENTRYPOINT_SCRAM_USERS`] instead.
pub const BITNAMI_SCRAM_USER_VARS: &[&str] = &["KAFKA_CLIENT_USERS", "KAFKA_CLIENT_PASSWORDS"];
/// The cluster id `run` formats storage with; every node of a cluster must get the same one.
pub const CLUSTER_ID: &str = "CLUSTER_ID";

/// Variables without the `KAFKA_` prefix that the entrypoint reads (setup, storage, launcher):
/// a value that is not UTF-8 is an error, never "unset".
pub const OTHER_VARS_READ: &[&str] = &[
    CLUSTER_ID,
    HOSTNAME,
    "JAVA_HOME",
    "JMX_PORT",
    "LOG_DIR",
    "EXTRA_ARGS",
];

/// The host name, read only when [`KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME`] is `true`.
pub const HOSTNAME: &str = "HOSTNAME";

/// Level of the root logger in `log4j2.yaml` / `log4j.properties`.
pub const KAFKA_LOG4J_ROOT_LOGLEVEL: &str = "KAFKA_LOG4J_ROOT_LOGLEVEL";

/// Loggers to set or add, as `name=LEVEL,name=LEVEL`.
pub const KAFKA_LOG4J_LOGGERS: &str = "KAFKA_LOG4J_LOGGERS";

/// Level of the root logger in `tools-log4j2.yaml` / `tools-log4j.properties`.
pub const KAFKA_TOOLS_LOG4J_LOGLEVEL: &str = "KAFKA_TOOLS_LOG4J_LOGLEVEL";

/// Name of the keystore file in the secrets directory; sets `ssl.keystore.location`.
pub const KAFKA_SSL_KEYSTORE_FILENAME: &str = "KAFKA_SSL_KEYSTORE_FILENAME";

/// Name of the file in the secrets directory holding the keystore password; sets
/// `ssl.keystore.password`.
pub const KAFKA_SSL_KEYSTORE_CREDENTIALS: &str = "KAFKA_SSL_KEYSTORE_CREDENTIALS";

/// Name of the file in the secrets directory holding the key password; sets `ssl.key.password`.
pub const KAFKA_SSL_KEY_CREDENTIALS: &str = "KAFKA_SSL_KEY_CREDENTIALS";

/// Name of the truststore file in the secrets directory; sets `ssl.truststore.location`.
pub const KAFKA_SSL_TRUSTSTORE_FILENAME: &str = "KAFKA_SSL_TRUSTSTORE_FILENAME";

/// Name of the file in the secrets directory holding the truststore password; sets
/// `ssl.truststore.password`.
pub const KAFKA_SSL_TRUSTSTORE_CREDENTIALS: &str = "KAFKA_SSL_TRUSTSTORE_CREDENTIALS";

/// Name of the PEM private key file in the secrets directory (`tls.key` of a Kubernetes TLS
/// secret: PKCS#8, PKCS#1 or SEC1, or encrypted PKCS#8 with `KAFKA_SSL_KEY_CREDENTIALS`); sets
/// `ssl.keystore.key` (as PKCS#8) and `ssl.keystore.type=PEM`.
pub const KAFKA_SSL_KEY_PEM_FILENAME: &str = "KAFKA_SSL_KEY_PEM_FILENAME";

/// Name of the PEM certificate chain file in the secrets directory (`tls.crt`, leaf first); sets
/// `ssl.keystore.certificate.chain`.
pub const KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME: &str =
    "KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME";

/// Name of the PEM CA certificates file in the secrets directory (`ca.crt`); sets
/// `ssl.truststore.certificates` and `ssl.truststore.type=PEM`.
pub const KAFKA_SSL_CA_PEM_FILENAME: &str = "KAFKA_SSL_CA_PEM_FILENAME";

/// `ssl.client.auth`; when `required` or `requested` the truststore variables are required.
pub const KAFKA_SSL_CLIENT_AUTH: &str = "KAFKA_SSL_CLIENT_AUTH";

/// Variables starting with [`KAFKA_PREFIX`] that configure the launcher, not the broker (the
/// official image's `ExcludeServerPropsEnv`, plus the JMX, debug and home variables Kafka's
/// scripts read).
pub const LAUNCHER_VARS: &[&str] = &[
    "KAFKA_VERSION",
    "KAFKA_HEAP_OPTS",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_JMX_HOSTNAME",
    "KAFKA_JMX_PORT",
    "KAFKA_DEBUG",
    "KAFKA_HOME",
];

/// The log4j variables, read by setup for the log4j files and never properties.
pub const LOG4J_VARS: &[&str] = &[
    KAFKA_LOG4J_ROOT_LOGLEVEL,
    KAFKA_LOG4J_LOGGERS,
    KAFKA_TOOLS_LOG4J_LOGLEVEL,
];

/// The SSL helper variables of the official image: they name files in the secrets directory and
/// never become properties themselves.
pub const SSL_HELPER_VARS: &[&str] = &[
    KAFKA_SSL_KEYSTORE_FILENAME,
    KAFKA_SSL_KEYSTORE_CREDENTIALS,
    KAFKA_SSL_KEY_CREDENTIALS,
    KAFKA_SSL_TRUSTSTORE_FILENAME,
    KAFKA_SSL_TRUSTSTORE_CREDENTIALS,
    KAFKA_SSL_KEY_PEM_FILENAME,
    KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME,
    KAFKA_SSL_CA_PEM_FILENAME,
];

/// The entrypoint's control variables (all start with [`KAFKA_ENTRYPOINT_PREFIX`]).
pub const CONTROL_VARS: &[&str] = &[
    KAFKA_ENTRYPOINT_STRICT,
    KAFKA_ENTRYPOINT_DEFAULTS,
    KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME,
    KAFKA_ENTRYPOINT_STORAGE_FORMAT,
    KAFKA_ENTRYPOINT_LAUNCH,
    KAFKA_ENTRYPOINT_METRICS_PORT,
    KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS,
    KAFKA_ENTRYPOINT_SCRAM_USERS,
    KAFKA_ENTRYPOINT_SCRAM_USERS_FILE,
];

/// Every fixed variable name setup reads, with a one-line description, for generated docs.
pub const ALL: &[(&str, &str)] = &[
    (
        KAFKA_ENTRYPOINT_STRICT,
        "`true`: unknown property names are errors, not warnings",
    ),
    (
        KAFKA_ENTRYPOINT_DEFAULTS,
        "`replace` (default) or `merge`: whether your variables replace the image's default config or are layered over it",
    ),
    (
        KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME,
        "`true`: `node.id` is the ordinal suffix of `HOSTNAME` (`kafka-2` gives 2)",
    ),
    (
        KAFKA_ENTRYPOINT_STORAGE_FORMAT,
        "`native` (default) or `kafka-storage`: how `run` formats KRaft storage",
    ),
    (
        KAFKA_ENTRYPOINT_LAUNCH,
        "`native` (default) or `script`: how `run` starts Kafka",
    ),
    (
        KAFKA_ENTRYPOINT_METRICS_PORT,
        "port of the Prometheus JMX exporter (`/metrics`); unset: no metrics",
    ),
    (
        KAFKA_ENTRYPOINT_INITIAL_CONTROLLERS,
        "KIP-853 initial quorum: `standalone`, `none` or a voter list `id@host:port:dir,...`",
    ),
    (
        KAFKA_ENTRYPOINT_SCRAM_USERS,
        "SCRAM users created on first start, one `user:SCRAM-SHA-256|512:password` per line",
    ),
    (
        KAFKA_ENTRYPOINT_SCRAM_USERS_FILE,
        "file holding the `KAFKA_ENTRYPOINT_SCRAM_USERS` list (a secret)",
    ),
    (
        CLUSTER_ID,
        "cluster id to format storage with (the same on every node)",
    ),
    (
        HOSTNAME,
        "read for `KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME`",
    ),
    (
        KAFKA_LOG4J_ROOT_LOGLEVEL,
        "root logger level of the broker's log4j file",
    ),
    (
        KAFKA_LOG4J_LOGGERS,
        "loggers to set, `name=LEVEL,name=LEVEL`",
    ),
    (
        KAFKA_TOOLS_LOG4J_LOGLEVEL,
        "root logger level of the tools' log4j file",
    ),
    (
        KAFKA_SSL_KEYSTORE_FILENAME,
        "keystore file in the secrets dir (`ssl.keystore.location`)",
    ),
    (
        KAFKA_SSL_KEYSTORE_CREDENTIALS,
        "file in the secrets dir holding `ssl.keystore.password`",
    ),
    (
        KAFKA_SSL_KEY_CREDENTIALS,
        "file in the secrets dir holding `ssl.key.password` (or the password of the encrypted PEM key)",
    ),
    (
        KAFKA_SSL_TRUSTSTORE_FILENAME,
        "truststore file in the secrets dir (`ssl.truststore.location`)",
    ),
    (
        KAFKA_SSL_TRUSTSTORE_CREDENTIALS,
        "file in the secrets dir holding `ssl.truststore.password`",
    ),
    (
        KAFKA_SSL_KEY_PEM_FILENAME,
        "PEM private key file in the secrets dir (`tls.key`; PKCS#8, PKCS#1 or SEC1): `ssl.keystore.key`",
    ),
    (
        KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME,
        "PEM certificate chain file in the secrets dir (`tls.crt`): `ssl.keystore.certificate.chain`",
    ),
    (
        KAFKA_SSL_CA_PEM_FILENAME,
        "PEM CA certificates file in the secrets dir (`ca.crt`): `ssl.truststore.certificates`",
    ),
    (
        KAFKA_SSL_CLIENT_AUTH,
        "`ssl.client.auth`; `required`/`requested` need a truststore",
    ),
];

/// Whether `name` is one of the [`LAUNCHER_VARS`].
#[must_use]
pub fn is_launcher_var(name: &str) -> bool {
    LAUNCHER_VARS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_name_is_documented_in_all() {
        for name in LOG4J_VARS.iter().chain(SSL_HELPER_VARS).chain(CONTROL_VARS) {
            assert!(
                ALL.iter().any(|(n, _)| n == name),
                "{name} missing from ALL"
            );
        }
    }

    #[test]
    fn control_vars_share_the_prefix() {
        assert!(
            CONTROL_VARS
                .iter()
                .all(|v| v.starts_with(KAFKA_ENTRYPOINT_PREFIX))
        );
    }
}
