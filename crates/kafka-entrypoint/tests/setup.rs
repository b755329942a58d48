//! `kafka-entrypoint setup` run as a real process against temporary directories: exit codes,
//! every problem at once, nothing changed on bad input, no secret in any output, idempotence,
//! and the bad-input examples of issue 2.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// Fixture defaults shaped like the image's `/etc/kafka/docker/server.properties`.
const DEFAULTS: &str = "\
# Fixture defaults (one combined node)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
log.dirs=/var/lib/kafka/data
";

/// The rest of a KRaft broker as properties, for mounted files.
const KRAFT_BROKER: &str = "process.roles=broker\ncontroller.quorum.voters=1@controller:9093\ncontroller.listener.names=CONTROLLER\n";

/// One temp dir holding `defaults/`, `mounted/`, `final/` and `secrets/`, plus the environment.
struct Setup {
    dir: TempDir,
    env: Vec<(String, String)>,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["defaults", "mounted", "final", "secrets"] {
            fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        fs::write(dir.path().join("defaults/server.properties"), DEFAULTS).expect("write defaults");
        Self {
            dir,
            env: Vec::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The rest of a KRaft broker (roles, quorum, controller listener), which setup checks.
    fn kraft(self) -> Self {
        self.env("KAFKA_PROCESS_ROLES", "broker")
            .env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@controller:9093")
            .env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, contents).expect("write file");
        self
    }

    fn run(&self, extra: &[&str]) -> Output {
        let dir = |sub: &str| self.path(sub).display().to_string();
        Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
            .arg("setup")
            .args(["--default-configs-dir", &dir("defaults")])
            .args(["--mounted-configs-dir", &dir("mounted")])
            .args(["--final-configs-dir", &dir("final")])
            .args(["--secrets-dir", &dir("secrets")])
            .args(extra)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run kafka-entrypoint")
    }

    fn final_file(&self, name: &str) -> String {
        fs::read_to_string(self.path("final").join(name))
            .unwrap_or_else(|e| panic!("final/{name}: {e}"))
    }

    /// Every file in `final/` with its bytes, sorted by name.
    fn final_snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(self.path("final"))
            .expect("final dir")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        files.sort();
        files
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .replace(&*std::env::temp_dir().display().to_string(), "[TMP]")
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The `error:` lines of stderr with the temp dir replaced, for exact comparison.
fn error_lines(output: &Output, root: &Path) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(|l| l.replace(&*root.display().to_string(), "[ROOT]"))
        .collect()
}

#[test]
fn defaults_are_written_when_nothing_is_given() {
    let setup = Setup::new();
    let output = setup.run(&[]);
    assert_exit(&output, 0);
    assert_eq!(setup.final_file("server.properties"), DEFAULTS);
    assert_eq!(stderr(&output), "");
}

#[test]
fn env_overrides_mounted_file_and_keeps_its_comments() {
    let setup = Setup::new()
        .file(
            "mounted/server.properties",
            format!("# mine\nnode.id=5\nnum.partitions=3\n{KRAFT_BROKER}"),
        )
        .env("KAFKA_NUM_PARTITIONS", "9")
        .env("KAFKA_LOG_RETENTION_HOURS", "1");
    assert_exit(&setup.run(&[]), 0);
    assert_eq!(
        setup.final_file("server.properties"),
        format!("# mine\nnode.id=5\nnum.partitions=9\n{KRAFT_BROKER}log.retention.hours=1\n")
    );
}

#[test]
fn other_mounted_files_are_copied_and_kubernetes_internals_skipped() {
    let setup = Setup::new()
        .file("mounted/kafka_server_jaas.conf", "KafkaServer {};\n")
        .file("mounted/..2024_01_01/server.properties", "node.id=9\n");
    assert_exit(&setup.run(&[]), 0);
    assert_eq!(
        setup.final_file("kafka_server_jaas.conf"),
        "KafkaServer {};\n"
    );
    assert!(!setup.path("final/..2024_01_01").exists());
    assert_eq!(setup.final_file("server.properties"), DEFAULTS);
}

#[test]
fn bad_input_exits_2_lists_every_problem_and_changes_nothing() {
    let setup = Setup::new()
        .file(
            "final/server.properties",
            "existing.config=existing value\n",
        )
        .file("mounted/kafka_server_jaas.conf", "new file\n")
        .env("KAFKA__X", "1")
        .env("KAFKA_LOG4J_LOGGERS", "kafka.controller")
        .env("KAFKA_NODE_ID", "one");
    let before = setup.final_snapshot();
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert_eq!(
        setup.final_snapshot(),
        before,
        "final dir changed on bad input"
    );
    assert_eq!(
        error_lines(&output, setup.dir.path()),
        [
            "error: `KAFKA__X` maps to a key starting with a dot",
            "error: `node.id` is `one`, not an integer from 0 to 2147483647 (from `KAFKA_NODE_ID`)",
            "error: this KRaft node needs `process.roles`, `controller.quorum.voters`, `listeners`, `controller.listener.names`, `CLUSTER_ID`, which are not set (the image's default configuration is not used because `KAFKA_NODE_ID` is given)",
            "error: `KAFKA_LOG4J_LOGGERS` entry `kafka.controller` is not `logger.name=LEVEL`",
            "error: 4 problems in the configuration; nothing in `[ROOT]/final` was changed",
        ]
    );
    assert_eq!(
        stderr(&output).matches("\n  help: ").count(),
        4,
        "one help line per problem"
    );
}

#[test]
fn missing_credentials_file_names_variable_and_path() {
    let setup = Setup::new()
        .file("secrets/ks.jks", "fixture keystore")
        .kraft()
        .env("KAFKA_NODE_ID", "1")
        .env("KAFKA_LISTENERS", "SSL://:9093")
        .env("KAFKA_SSL_KEYSTORE_FILENAME", "ks.jks")
        .env("KAFKA_SSL_KEYSTORE_CREDENTIALS", "ks_creds")
        .env("KAFKA_SSL_KEY_CREDENTIALS", "ks_creds");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path()),
        [
            "error: `KAFKA_SSL_KEYSTORE_CREDENTIALS` names `[ROOT]/secrets/ks_creds`, which does not exist",
            "error: `KAFKA_SSL_KEY_CREDENTIALS` names `[ROOT]/secrets/ks_creds`, which does not exist",
            "error: 2 problems in the configuration; nothing in `[ROOT]/final` was changed",
        ]
    );
    assert!(!setup.path("final/server.properties").exists());
}

#[test]
fn value_and_value_file_both_set_is_an_error() {
    let setup = Setup::new()
        .file("jaas", "secret-jaas\n")
        .env("KAFKA_SASL_JAAS_CONFIG", "inline")
        .env("KAFKA_SASL_JAAS_CONFIG_FILE", "/nonexistent");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path())[0],
        "error: both `KAFKA_SASL_JAAS_CONFIG` and `KAFKA_SASL_JAAS_CONFIG_FILE` are set"
    );
}

#[test]
fn value_file_is_read_and_its_final_newline_trimmed() {
    let setup = Setup::new().file("jaas", "line one\nline two\n");
    let jaas = setup.path("jaas").display().to_string();
    let setup = setup
        .kraft()
        .env("KAFKA_NODE_ID", "1")
        .env("KAFKA_SASL_JAAS_CONFIG_FILE", &jaas);
    assert_exit(&setup.run(&[]), 0);
    assert_eq!(
        setup.final_file("server.properties"),
        "controller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@controller:9093\nnode.id=1\nprocess.roles=broker\nsasl.jaas.config=line one\\nline two\n"
    );
}

#[test]
fn unreadable_value_file_names_variable_and_path() {
    let setup = Setup::new().env("KAFKA_SASL_JAAS_CONFIG_FILE", "/nonexistent/jaas");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert!(
        error_lines(&output, setup.dir.path())[0].starts_with(
            "error: `KAFKA_SASL_JAAS_CONFIG_FILE` names `/nonexistent/jaas`, which cannot be read"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn mounted_server_properties_directory_is_an_error() {
    let setup = Setup::new().file("mounted/server.properties/inner", "x");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path())[0],
        "error: `[ROOT]/mounted/server.properties` is a directory, not a file"
    );
}

#[test]
fn mounted_server_properties_that_is_not_text_is_an_error() {
    let setup = Setup::new().file("mounted/server.properties", b"node.id=1\n\x00\x00\xff");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert!(
        error_lines(&output, setup.dir.path())[0]
            .starts_with("error: `[ROOT]/mounted/server.properties` is not UTF-8 or Latin-1 text"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn latin1_mounted_file_is_accepted_and_rewritten_with_escapes() {
    let setup = Setup::new().file(
        "mounted/server.properties",
        [
            b"node.id=1\ngreeting=gr\xfc\xdfe\n",
            KRAFT_BROKER.as_bytes(),
        ]
        .concat(),
    );
    assert_exit(&setup.run(&[]), 0);
    assert_eq!(
        setup.final_file("server.properties"),
        format!("node.id=1\ngreeting=gr\\u00FC\\u00DFe\n{KRAFT_BROKER}")
    );
}

fn ssl_setup() -> Setup {
    Setup::new()
        .file("secrets/kafka01.keystore.jks", "fixture keystore")
        .file("secrets/keystore_creds", "ks-Secret-1\n")
        .file("secrets/key_creds", "key-Secret-2\n")
        .env("KAFKA_NODE_ID", "1")
        .env("KAFKA_PROCESS_ROLES", "broker,controller")
        .env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:29093")
        .env("KAFKA_LISTENERS", "SSL://:9093,CONTROLLER://:29093")
        .env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "SSL:SSL,CONTROLLER:PLAINTEXT",
        )
        .env("KAFKA_INTER_BROKER_LISTENER_NAME", "SSL")
        .env("KAFKA_SSL_KEYSTORE_FILENAME", "kafka01.keystore.jks")
        .env("KAFKA_SSL_KEYSTORE_CREDENTIALS", "keystore_creds")
        .env("KAFKA_SSL_KEY_CREDENTIALS", "key_creds")
        .env("KAFKA_SASL_JAAS_CONFIG", "jaas-Secret-3")
}

#[test]
fn ssl_secrets_are_written_with_owner_only_permissions() {
    let setup = ssl_setup();
    assert_exit(&setup.run(&[]), 0);
    let text = setup.final_file("server.properties");
    let keystore = format!(
        "ssl.keystore.location={}/kafka01.keystore.jks",
        setup.path("secrets").display()
    );
    assert!(text.contains(&keystore), "{text}");
    assert!(
        text.contains("ssl.keystore.password=ks-Secret-1\n"),
        "{text}"
    );
    assert!(text.contains("ssl.key.password=key-Secret-2\n"), "{text}");
    let mode = fs::metadata(setup.path("final/server.properties"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn print_shows_sources_and_never_a_secret_value() {
    let setup = ssl_setup();
    let output = setup.run(&["--print"]);
    assert_exit(&output, 0);
    let stdout = String::from_utf8_lossy(&output.stdout)
        .replace(&*setup.dir.path().display().to_string(), "[ROOT]");
    assert_eq!(
        stdout,
        "\
controller.listener.names=CONTROLLER  # env `KAFKA_CONTROLLER_LISTENER_NAMES`
controller.quorum.voters=1@localhost:29093  # env `KAFKA_CONTROLLER_QUORUM_VOTERS`
inter.broker.listener.name=SSL  # env `KAFKA_INTER_BROKER_LISTENER_NAME`
listeners=SSL://:9093,CONTROLLER://:29093  # env `KAFKA_LISTENERS`
listener.security.protocol.map=SSL:SSL,CONTROLLER:PLAINTEXT  # env `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`
node.id=1  # env `KAFKA_NODE_ID`
process.roles=broker,controller  # env `KAFKA_PROCESS_ROLES`
sasl.jaas.config=******  # env `KAFKA_SASL_JAAS_CONFIG`
ssl.keystore.location=[ROOT]/secrets/kafka01.keystore.jks  # secret `KAFKA_SSL_KEYSTORE_FILENAME`
ssl.keystore.password=******  # secret `KAFKA_SSL_KEYSTORE_CREDENTIALS`
ssl.key.password=******  # secret `KAFKA_SSL_KEY_CREDENTIALS`
"
    );
}

#[test]
fn no_secret_value_appears_in_errors_or_warnings() {
    let setup = ssl_setup()
        .env("KAFKA_SSL_TRUSTSTORE_PASSWORD", "trust-Secret-4")
        .env("KAFKA_CFG_SSL_TRUSTSTORE_PASSWORD", "other-Secret-5")
        .env("KAFKA_LISTENRES", "listen-Secret-6")
        .env("KAFKA_ENTRYPOINT_STRICT", "true");
    let output = setup.run(&["--print"]);
    assert_exit(&output, 2);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in [
        "Secret-1", "Secret-2", "Secret-3", "Secret-4", "Secret-5", "Secret-6",
    ] {
        assert!(!all.contains(secret), "`{secret}` leaked:\n{all}");
    }
    assert!(
        all.contains(
            "`KAFKA_SSL_TRUSTSTORE_PASSWORD` and `KAFKA_CFG_SSL_TRUSTSTORE_PASSWORD` both set"
        ),
        "{all}"
    );
    assert!(
        all.contains("did you mean `listeners` (`KAFKA_LISTENERS`)?"),
        "{all}"
    );
}

#[test]
fn rerun_gives_byte_identical_files() {
    let setup = ssl_setup()
        .file("mounted/server.properties", "# mounted\nnum.partitions=2\n")
        .file("mounted/extra.conf", "extra\n")
        .file(
            "defaults/log4j2.yaml",
            "Configuration:\n  Loggers:\n    Root:\n      level: INFO\n",
        )
        .env("KAFKA_LOG4J_LOGGERS", "kafka=WARN");
    assert_exit(&setup.run(&[]), 0);
    let first = setup.final_snapshot();
    assert_exit(&setup.run(&[]), 0);
    assert_eq!(setup.final_snapshot(), first);
    assert_eq!(
        first
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>(),
        ["extra.conf", "log4j2.yaml", "server.properties"],
        "no temporary file is left behind"
    );
}

#[test]
fn unknown_key_is_a_warning_on_stderr_and_still_writes() {
    let setup = Setup::new()
        .kraft()
        .env("KAFKA_NODE_ID", "1")
        .env("KAFKA_ADVERTISED_LISTNERS", "PLAINTEXT://x:9092");
    let output = setup.run(&[]);
    assert_exit(&output, 0);
    assert_eq!(
        stderr(&output),
        "warning: `KAFKA_ADVERTISED_LISTNERS` sets unknown property `advertised.listners`\n  help: did you mean `advertised.listeners` (`KAFKA_ADVERTISED_LISTENERS`)?\n"
    );
    assert!(
        setup
            .final_file("server.properties")
            .contains("advertised.listners=PLAINTEXT://x:9092")
    );
}

#[test]
fn io_failure_exits_1() {
    let setup = Setup::new().kraft().env("KAFKA_NODE_ID", "1");
    fs::remove_dir(setup.path("final")).expect("rmdir");
    fs::write(setup.path("final"), "not a directory").expect("write");
    let output = setup.run(&[]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).starts_with("error: failed to create `"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_documents_flags_and_image_defaults() {
    let output = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .args(["setup", "--help"])
        .output()
        .expect("run");
    assert_exit(&output, 0);
    let help = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "--default-configs-dir <D>",
        "[default: /etc/kafka/docker]",
        "--mounted-configs-dir <M>",
        "[default: /mnt/shared/config]",
        "--final-configs-dir <F>",
        "[default: /opt/kafka/config]",
        "--secrets-dir <S>",
        "[default: /etc/kafka/secrets]",
        "--print",
        "Exit codes: 0 written, 2 bad input",
    ] {
        assert!(
            help.contains(expected),
            "`{expected}` missing from:\n{help}"
        );
    }
}

#[test]
fn final_path_that_is_a_directory_fails_before_any_file_changes() {
    let setup = Setup::new()
        .kraft()
        .env("KAFKA_NODE_ID", "1")
        .file("mounted/a.conf", "new\n")
        .file("final/a.conf", "old\n")
        .file("final/server.properties/keep", "x");
    let output = setup.run(&[]);
    assert_exit(&output, 1);
    assert_eq!(
        fs::read_to_string(setup.path("final/a.conf")).expect("read"),
        "old\n"
    );
    let mut names: Vec<String> = fs::read_dir(setup.path("final"))
        .expect("final dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["a.conf", "server.properties"],
        "no temporary file is left behind"
    );
    assert!(
        stderr(&output).starts_with("error: failed to write `"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn non_utf8_kafka_variable_is_bad_input_naming_it() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;

    let setup = Setup::new();
    let dir = |sub: &str| setup.path(sub).display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .arg("setup")
        .args(["--default-configs-dir", &dir("defaults")])
        .args(["--mounted-configs-dir", &dir("mounted")])
        .args(["--final-configs-dir", &dir("final")])
        .env_clear()
        .env("KAFKA_CLIENT_ID", OsStr::from_bytes(b"caf\xe9"))
        .env("OTHER", OsStr::from_bytes(b"\xff"))
        .output()
        .expect("run kafka-entrypoint");
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path()),
        [
            "error: `KAFKA_CLIENT_ID` is not valid UTF-8",
            "error: 1 problem in the configuration; nothing in `[ROOT]/final` was changed",
        ]
    );
}

#[test]
fn dangling_mounted_symlink_is_bad_input_not_a_missing_file() {
    let setup = Setup::new();
    std::os::unix::fs::symlink(
        setup.path("nowhere"),
        setup.path("mounted/server.properties"),
    )
    .expect("symlink");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path())[0],
        "error: `[ROOT]/mounted/server.properties` cannot be read: it is a symbolic link to nothing"
    );
}

/// Runs `setup`, killing it when it has not ended within a few seconds (a hang is a failure).
fn run_with_deadline(setup: &Setup) -> Output {
    let dir = |sub: &str| setup.path(sub).display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .arg("setup")
        .args(["--default-configs-dir", &dir("defaults")])
        .args(["--mounted-configs-dir", &dir("mounted")])
        .args(["--final-configs-dir", &dir("final")])
        .args(["--secrets-dir", &dir("secrets")])
        .env_clear()
        .envs(setup.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run kafka-entrypoint");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("setup did not end within 5 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

fn mode_of(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .expect("meta")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn every_password_config_of_the_catalog_is_masked_and_written_owner_only() {
    let mut setup = Setup::new().kraft().env("KAFKA_NODE_ID", "1");
    let mut planted = Vec::new();
    let mut plant = |setup: Setup, key: &str| {
        let value = format!("planted-{}-value", planted.len());
        planted.push(value.clone());
        setup.env(&kafka_config::naming::env_var_for_key(key), &value)
    };
    for key in kafka_config::catalog::password_names() {
        setup = plant(setup, key);
        setup = plant(setup, &format!("listener.name.internal.{key}"));
    }
    setup = plant(
        setup,
        "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config",
    );
    setup = plant(setup, "my.plugin.api.token");
    setup = plant(setup, "rsm.config.s3.secret.access.key");
    let file_value = "planted-from-a-file";
    let setup = setup.file("value", file_value);
    let value_path = setup.path("value").display().to_string();
    let setup = setup.env("KAFKA_NUM_PARTITIONS_FILE", &value_path);
    planted.push(file_value.to_owned());
    assert!(kafka_config::catalog::password_names().len() >= 10);

    let output = setup.run(&["--print"]);
    assert_exit(&output, 0);
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for value in &planted {
        assert!(!shown.contains(value.as_str()), "`{value}` shown:\n{shown}");
    }
    let server = setup.final_file("server.properties");
    assert!(
        server.contains("delegation.token.master.key=planted-"),
        "{server}"
    );
    for (name, _) in setup.final_snapshot() {
        assert_eq!(mode_of(&setup.path("final").join(&name)), 0o600, "{name}");
    }

    // The same values with a problem: errors and warnings show none of them.
    let failing = setup
        .env("KAFKA_ENTRYPOINT_STRICT", "true")
        .env("KAFKA_SSL_KEYSTORE_PASSWORD", "x")
        .env("KAFKA_CFG_SSL_KEYSTORE_PASSWORD", "planted-conflict");
    let output = failing.run(&["--print"]);
    assert_exit(&output, 2);
    let shown = String::from_utf8_lossy(&output.stderr).into_owned();
    for value in planted
        .iter()
        .map(String::as_str)
        .chain(["planted-conflict"])
    {
        assert!(!shown.contains(value), "`{value}` shown:\n{shown}");
    }
}

#[test]
fn planted_link_at_the_old_temporary_name_is_never_followed() {
    let setup = Setup::new().file("foreign", "not kafka's\n");
    let foreign = setup.path("foreign");
    fs::set_permissions(&foreign, fs::Permissions::from_mode(0o644)).expect("chmod");
    std::os::unix::fs::symlink(
        &foreign,
        setup.path("final/.server.properties.kafka-entrypoint-tmp"),
    )
    .expect("symlink");
    assert_exit(&setup.run(&[]), 0);
    assert_eq!(
        fs::read_to_string(&foreign).expect("foreign"),
        "not kafka's\n"
    );
    assert_eq!(mode_of(&foreign), 0o644);
    assert_eq!(setup.final_file("server.properties"), DEFAULTS);
}

#[test]
fn unchanged_final_files_are_made_owner_only_too() {
    let setup = Setup::new().file("final/server.properties", DEFAULTS);
    let target = setup.path("final/server.properties");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_exit(&setup.run(&[]), 0);
    assert_eq!(mode_of(&target), 0o600);
}

#[test]
fn keystore_names_outside_the_secrets_dir_are_errors() {
    for name in ["/etc/passwd", "../kafka01.keystore.jks"] {
        let setup = ssl_setup().env("KAFKA_SSL_KEYSTORE_FILENAME", name);
        let output = setup.run(&[]);
        assert_exit(&output, 2);
        assert_eq!(
            error_lines(&output, setup.dir.path())[0],
            format!(
                "error: `KAFKA_SSL_KEYSTORE_FILENAME` is `{name}`, not the name of a file in the secrets directory"
            )
        );
    }
}

#[test]
fn fifo_in_the_mounted_dir_is_an_error_not_a_hang() {
    let setup = Setup::new();
    nix::unistd::mkfifo(
        &setup.path("mounted/client.properties"),
        nix::sys::stat::Mode::S_IRWXU,
    )
    .expect("mkfifo");
    let output = run_with_deadline(&setup);
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path())[0],
        "error: `[ROOT]/mounted/client.properties` cannot be read: it is a FIFO, not a regular file"
    );
}

#[test]
fn device_as_a_value_file_is_an_error_not_endless_reading() {
    let setup = Setup::new()
        .kraft()
        .env("KAFKA_NODE_ID", "1")
        .env("KAFKA_SASL_JAAS_CONFIG_FILE", "/dev/zero");
    let output = run_with_deadline(&setup);
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path())[0],
        "error: `KAFKA_SASL_JAAS_CONFIG_FILE` names `/dev/zero`, which cannot be read: it is a device, not a regular file"
    );
}

#[test]
fn non_utf8_cluster_id_is_bad_input_not_unset() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;

    let setup = Setup::new();
    let dir = |sub: &str| setup.path(sub).display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .arg("setup")
        .args(["--default-configs-dir", &dir("defaults")])
        .args(["--mounted-configs-dir", &dir("mounted")])
        .args(["--final-configs-dir", &dir("final")])
        .env_clear()
        .env(
            "CLUSTER_ID",
            OsStr::from_bytes(b"MkU3OEVBNTcwNTJENDM2Q\xff"),
        )
        .output()
        .expect("run kafka-entrypoint");
    assert_exit(&output, 2);
    assert_eq!(
        error_lines(&output, setup.dir.path())[0],
        "error: `CLUSTER_ID` is not valid UTF-8"
    );
}

#[test]
fn warnings_are_printed_when_there_are_errors_too() {
    let setup = Setup::new()
        .kraft()
        .env("KAFKA_NODE_ID", "x")
        .env("KAFKA_ADVERTISED_LISTNERS", "PLAINTEXT://x:9092");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with(
            "warning: `KAFKA_ADVERTISED_LISTNERS` sets unknown property `advertised.listners`"
        ),
        "{}",
        stderr(&output)
    );
}

/// The variables of the `help:` line of a missing-KRaft-keys error, with `CLUSTER_ID` taken
/// from the command the help names.
fn minimal_set_from_help(help: &str) -> Vec<(String, String)> {
    let set = help
        .split_once("set is `")
        .and_then(|(_, rest)| rest.split_once("`; or"))
        .map(|(set, _)| set)
        .expect("a minimal set in the help");
    set.split(' ')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.starts_with("KAFKA_"))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn dropped_defaults_list_every_missing_key_and_the_help_gives_a_working_set() {
    let setup = Setup::new().env("KAFKA_NUM_PARTITIONS", "3");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    let text = stderr(&output);
    assert_eq!(
        error_lines(&output, setup.dir.path())[0],
        "error: this KRaft node needs `process.roles`, `node.id`, `controller.quorum.voters`, `listeners`, `controller.listener.names`, `CLUSTER_ID`, which are not set (the image's default configuration is not used because `KAFKA_NUM_PARTITIONS` is given)"
    );
    assert!(text.contains("CLUSTER_ID=<the output of `docker run --rm IMAGE random-uuid`>"));

    // Follow the help: its variables, and a cluster id from the command it names.
    let uuid = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .arg("random-uuid")
        .output()
        .expect("random-uuid");
    assert_exit(&uuid, 0);
    let cluster_id = String::from_utf8(uuid.stdout).expect("utf-8");
    assert!(
        kafka_storage::ClusterId::parse(cluster_id.trim()).is_ok(),
        "{cluster_id}"
    );
    let mut fixed = Setup::new()
        .env("KAFKA_NUM_PARTITIONS", "3")
        .env("CLUSTER_ID", cluster_id.trim());
    for (name, value) in minimal_set_from_help(&text) {
        fixed = fixed.env(&name, &value);
    }
    let output = fixed.run(&[]);
    assert_exit(&output, 0);

    // Or keep the image's defaults under the variable.
    let merged = Setup::new()
        .env("KAFKA_NUM_PARTITIONS", "3")
        .env("KAFKA_ENTRYPOINT_DEFAULTS", "merge");
    assert_exit(&merged.run(&[]), 0);
    assert!(
        merged
            .final_file("server.properties")
            .contains("num.partitions=3")
    );
    assert!(merged.final_file("server.properties").contains("node.id=1"));
}

#[test]
fn scram_users_stay_out_of_the_config_and_its_print() {
    let setup = Setup::new()
        .env(
            "KAFKA_ENTRYPOINT_SCRAM_USERS",
            "alice:SCRAM-SHA-256:planted-scram-secret",
        )
        .env("KAFKA_ENTRYPOINT_SCRAM_USERS_FILE", "/run/secrets/none");
    let output = setup.run(&["--print"]);
    assert_exit(&output, 0);
    let everything = format!(
        "{}{}{:?}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output),
        setup.final_snapshot()
    );
    assert!(!everything.contains("planted-scram-secret"), "{everything}");
    assert!(
        !stderr(&output).contains("KAFKA_ENTRYPOINT_SCRAM_USERS"),
        "known control variables: {}",
        stderr(&output)
    );
}

#[test]
fn bitnami_client_users_are_refused_naming_what_to_use() {
    let output = Setup::new()
        .env("KAFKA_CLIENT_USERS", "alice")
        .env("KAFKA_CLIENT_PASSWORDS", "planted-bitnami-secret")
        .run(&["--print"]);
    assert_exit(&output, 2);
    let text = stderr(&output);
    assert!(
        text.contains("`KAFKA_CLIENT_USERS` is a bitnami/kafka variable")
            && text.contains("`KAFKA_CLIENT_PASSWORDS` is a bitnami/kafka variable")
            && text.contains("KAFKA_ENTRYPOINT_SCRAM_USERS"),
        "{text}"
    );
    assert!(!text.contains("planted-bitnami-secret"), "{text}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("planted-bitnami-secret"));
}

/// A certificate for `localhost` valid from `from` to `to` (years) and its PKCS#8 key, by rcgen.
fn pem_pair(from: i32, to: i32) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(from, 1, 1);
    params.not_after = rcgen::date_time_ymd(to, 1, 1);
    (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

/// `ssl_setup` with the keystore helpers replaced by a Kubernetes TLS secret's PEM files.
fn pem_setup(key: &str, chain: &str, ca: &str) -> Setup {
    Setup::new()
        .file("secrets/tls.key", key)
        .file("secrets/tls.crt", chain)
        .file("secrets/ca.crt", ca)
        .env("KAFKA_NODE_ID", "1")
        .env("KAFKA_PROCESS_ROLES", "broker,controller")
        .env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:29093")
        .env("KAFKA_LISTENERS", "SSL://:9093,CONTROLLER://:29093")
        .env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "SSL:SSL,CONTROLLER:PLAINTEXT",
        )
        .env("KAFKA_INTER_BROKER_LISTENER_NAME", "SSL")
        .env("KAFKA_SSL_CLIENT_AUTH", "required")
        .env("KAFKA_SSL_KEY_PEM_FILENAME", "tls.key")
        .env("KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME", "tls.crt")
        .env("KAFKA_SSL_CA_PEM_FILENAME", "ca.crt")
}

#[test]
fn pem_key_is_written_owner_only_and_never_printed() {
    let (cert, key) = pem_pair(2020, 2100);
    let setup = pem_setup(&key, &cert, &cert);
    let output = setup.run(&["--print"]);
    assert_exit(&output, 0);
    let text = setup.final_file("server.properties");
    assert!(
        text.contains("ssl.keystore.key=-----BEGIN PRIVATE KEY-----\\n"),
        "{text}"
    );
    assert!(text.contains("ssl.truststore.type=PEM\n"), "{text}");
    assert!(
        !text.contains("pem.filename"),
        "a helper variable became a key:\n{text}"
    );
    let mode = fs::metadata(setup.path("final/server.properties"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let body = key.lines().nth(1).unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("ssl.keystore.key=******  # secret `KAFKA_SSL_KEY_PEM_FILENAME`"));
    assert!(!printed.contains(body), "key material printed:\n{printed}");
}

#[test]
fn pem_problems_name_their_files_all_at_once() {
    let (expired, _) = pem_pair(2000, 2010);
    let (_, other_key) = pem_pair(2020, 2100);
    let (cert, key) = pem_pair(2020, 2100);
    let setup = pem_setup(&other_key, &cert, "not a certificate\n")
        .file("secrets/old.crt", &expired)
        .file("secrets/key.password", "pem-Secret-7\n")
        .env("KAFKA_SSL_CA_PEM_FILENAME", "old.crt");
    let output = setup.run(&[]);
    assert_exit(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr)
        .replace(&*setup.dir.path().display().to_string(), "[ROOT]");
    for expected in [
        "the private key in `[ROOT]/secrets/tls.key` (`KAFKA_SSL_KEY_PEM_FILENAME`) is not the key of the first certificate in `[ROOT]/secrets/tls.crt`",
        "`KAFKA_SSL_CA_PEM_FILENAME` names `[ROOT]/secrets/old.crt`, which holds certificate 1 (CN=rcgen self signed cert), which expired at 2010-01-01",
        "error: 2 problems in the configuration",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    assert!(!setup.path("final/server.properties").exists());
    let again = pem_setup(&key, &cert, &cert)
        .file("secrets/key.password", "pem-Secret-7\n")
        .env("KAFKA_SSL_KEY_CREDENTIALS", "key.password")
        .env("KAFKA_SSL_KEY_PEM_FILENAME", "tls.crt");
    let output = again.run(&[]);
    assert_exit(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("holds no private key (found: CERTIFICATE)"),
        "{stderr}"
    );
    assert!(stderr.contains("help: "), "{stderr}");
    for secret in ["pem-Secret-7", key.lines().nth(1).unwrap()] {
        assert!(!stderr.contains(secret), "leaked:\n{stderr}");
    }
}
