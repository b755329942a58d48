//! A port of upstream's `KafkaDockerWrapperTest` (apache/kafka
//! `core/src/test/scala/unit/kafka/docker/KafkaDockerWrapperTest.scala`), one test per upstream
//! case, named after it, run through [`kafka_config::plan_setup`].
//!
//! Upstream appends `key=value` lines to a copy of the file; we render a clean file with each key
//! once and a final newline. Where upstream's expected text is compared, the difference is only
//! that final newline (and, with no mounted file, upstream's leading blank line), which
//! `java.util.Properties` ignores.
//!
//! Upstream's inputs (`default.config=…`) are not KRaft configs, and its wrapper validates
//! nothing; ours refuses a config without the KRaft keys. The harness therefore marks every
//! input as Kafka 3.x ZooKeeper mode, the one case our KRaft checks leave alone: a
//! `zookeeper.connect` line in the default and mounted `server.properties`, and
//! `KAFKA_ZOOKEEPER_CONNECT` beside property variables (so it survives the defaults being
//! dropped). [`file`] removes that line again before the comparison with upstream's text.

use std::collections::BTreeMap;

use kafka_config::{EnvSnapshot, FileRead, SetupInput, SetupPaths, SetupPlan, plan_setup};

/// Plans setup; the defaults directory always holds a `server.properties`, as the image's does
/// (upstream's log4j cases call `prepareLog4jConfigs` alone).
fn plan(env: &[(&str, &str)], defaults: &[(&str, &str)], mounted: &[(&str, &str)]) -> SetupPlan {
    let mut defaults: BTreeMap<String, Vec<u8>> = defaults
        .iter()
        .map(|(name, text)| ((*name).to_owned(), text.as_bytes().to_vec()))
        .collect();
    defaults
        .entry("server.properties".to_owned())
        .or_insert_with(|| DEFAULT.as_bytes().to_vec());
    if let Some(text) = defaults.get_mut("server.properties") {
        text.extend_from_slice(format!("\n{ZOOKEEPER_MODE}\n").as_bytes());
    }
    let mut env: Vec<(&str, &str)> = env.to_vec();
    if env.iter().any(|(name, _)| {
        name.starts_with("KAFKA_") && !kafka_config::env_vars::LOG4J_VARS.contains(name)
    }) {
        env.push(("KAFKA_ZOOKEEPER_CONNECT", ZOOKEEPER_CONNECT));
    }
    let env = env.as_slice();
    let input = SetupInput {
        env: EnvSnapshot::from_pairs(env.iter().copied()),
        paths: SetupPaths {
            defaults: "/etc/kafka/docker".into(),
            mounted: "/mnt/shared/config".into(),
            secrets: "/etc/kafka/secrets".into(),
        },
        defaults,
        mounted: mounted
            .iter()
            .map(|(name, text)| {
                // An empty mounted file stays empty: upstream then uses the defaults.
                let text = if *name == "server.properties" && !text.trim().is_empty() {
                    format!("{text}\n{ZOOKEEPER_MODE}\n")
                } else {
                    (*text).to_owned()
                };
                ((*name).to_owned(), FileRead::Contents(text.into_bytes()))
            })
            .collect(),
        value_files: BTreeMap::new(),
        secrets: BTreeMap::new(),
        now: std::time::SystemTime::UNIX_EPOCH,
    };
    plan_setup(&input).unwrap_or_else(|problems| panic!("unexpected problems:\n{problems}"))
}

#[track_caller]
fn file(plan: &SetupPlan, name: &str) -> String {
    let file = plan
        .files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("`{name}` not planned"));
    let text = String::from_utf8(file.contents.clone()).expect("utf-8");
    if name == "server.properties" {
        text.replace(&format!("{ZOOKEEPER_MODE}\n"), "")
    } else {
        text
    }
}

/// The ZooKeeper-mode marker the harness adds to every input (see the module docs).
const ZOOKEEPER_CONNECT: &str = "upstream-wrapper-test:2181";
const ZOOKEEPER_MODE: &str = "zookeeper.connect=upstream-wrapper-test:2181";

const DEFAULT: &str = "default.config=default value";
const MOUNTED: &str = "mounted.config=mounted value";
const LOGGERS: &str =
    "kafka=INFO,kafka.network.RequestChannel$=WARN,kafka.producer.async.DefaultEventHandler=DEBUG,";
const LOG4J_FROM_ENV: &str = "log4j.rootLogger=ERROR, stdout\nlog4j.logger.kafka=INFO\nlog4j.logger.kafka.network.RequestChannel$=WARN\nlog4j.logger.kafka.producer.async.DefaultEventHandler=DEBUG\n";

#[test]
fn test_get_server_configs_from_env() {
    let plan = plan(
        &[
            ("KAFKA_TOOLS_LOG4J_LOGLEVEL", "TRACE"),
            ("KAFKA_VALID_PROPERTY", "Value"),
            ("SOME_VARIABLE", "Some Value"),
            ("KAFKA_VALID___PROPERTY__ALL_CASES", "All Cases Value"),
        ],
        &[],
        &[],
    );
    assert_eq!(
        file(&plan, "server.properties"),
        "valid.property=Value\nvalid-property_all.cases=All Cases Value\n"
    );
}

#[test]
fn test_prepare_server_configs() {
    let plan = plan(
        &[("KAFKA_ENV_CONFIG", "env value")],
        &[("server.properties", DEFAULT)],
        &[("server.properties", MOUNTED)],
    );
    assert_eq!(
        file(&plan, "server.properties"),
        "mounted.config=mounted value\nenv.config=env value\n"
    );
}

#[test]
fn test_prepare_server_configs_without_mounted_file() {
    let plan = plan(
        &[("KAFKA_ENV_CONFIG", "env value")],
        &[("server.properties", DEFAULT)],
        &[],
    );
    assert_eq!(file(&plan, "server.properties"), "env.config=env value\n");
}

#[test]
fn test_prepare_server_configs_without_env_variables() {
    let plan = plan(
        &[],
        &[("server.properties", DEFAULT)],
        &[("server.properties", MOUNTED)],
    );
    assert_eq!(
        file(&plan, "server.properties"),
        "mounted.config=mounted value\n"
    );
}

#[test]
fn test_prepare_server_configs_without_user_input() {
    let plan = plan(&[], &[("server.properties", DEFAULT)], &[]);
    assert_eq!(
        file(&plan, "server.properties"),
        "default.config=default value\n"
    );
}

#[test]
fn test_prepare_server_configs_with_empty_mounted_file() {
    let plan = plan(
        &[],
        &[("server.properties", DEFAULT)],
        &[("server.properties", " \n \n ")],
    );
    assert_eq!(
        file(&plan, "server.properties"),
        "default.config=default value\n"
    );
}

#[test]
fn test_get_log4j_configs_from_env() {
    let plan = plan(
        &[
            ("KAFKA_LOG4J_LOGGERS", LOGGERS),
            ("KAFKA_LOG4J_ROOT_LOGLEVEL", "ERROR"),
            ("SOME_VARIABLE", "Some Value"),
            ("KAFKA_NODE_ID", "1"),
        ],
        &[("log4j.properties", "")],
        &[],
    );
    assert_eq!(file(&plan, "log4j.properties"), LOG4J_FROM_ENV);
}

#[test]
fn test_get_log4j_configs_from_env_invalid_env_variable() {
    let plan = plan(
        &[("SOME_VARIABLE", "Some Value")],
        &[("log4j.properties", DEFAULT)],
        &[],
    );
    assert_eq!(file(&plan, "log4j.properties"), DEFAULT);
}

#[test]
fn test_get_log4j_configs_from_env_with_empty_env_variable() {
    let plan = plan(
        &[
            ("SOME_VARIABLE", "Some Value"),
            ("KAFKA_LOG4J_LOGGERS", ""),
            ("KAFKA_LOG4J_ROOT_LOGLEVEL", ""),
        ],
        &[("log4j.properties", DEFAULT)],
        &[],
    );
    assert_eq!(file(&plan, "log4j.properties"), DEFAULT);
}

#[test]
fn test_prepare_log4j_configs() {
    let plan = plan(
        &[
            ("KAFKA_LOG4J_LOGGERS", LOGGERS),
            ("KAFKA_LOG4J_ROOT_LOGLEVEL", "ERROR"),
            ("SOME_VARIABLE", "Some Value"),
        ],
        &[("log4j.properties", DEFAULT)],
        &[("log4j.properties", MOUNTED)],
    );
    assert_eq!(
        file(&plan, "log4j.properties"),
        format!("{MOUNTED}\n{LOG4J_FROM_ENV}")
    );
}

#[test]
fn test_prepare_log4j_configs_without_mounted_file() {
    let plan = plan(
        &[
            ("KAFKA_LOG4J_LOGGERS", LOGGERS),
            ("KAFKA_LOG4J_ROOT_LOGLEVEL", "ERROR"),
            ("SOME_VARIABLE", "Some Value"),
        ],
        &[("log4j.properties", DEFAULT)],
        &[],
    );
    assert_eq!(
        file(&plan, "log4j.properties"),
        format!("{DEFAULT}\n{LOG4J_FROM_ENV}")
    );
}

#[test]
fn test_prepare_log4j_configs_without_env_variables() {
    let plan = plan(
        &[],
        &[("log4j.properties", DEFAULT)],
        &[("log4j.properties", MOUNTED)],
    );
    // Copied unchanged: upstream's expected text exactly, without a final newline.
    assert_eq!(file(&plan, "log4j.properties"), MOUNTED);
}

#[test]
fn test_get_tools_log4j_configs_from_env() {
    let plan = plan(
        &[
            ("KAFKA_TOOLS_LOG4J_LOGLEVEL", "TRACE"),
            ("SOME_VARIABLE", "Some Value"),
        ],
        &[("tools-log4j.properties", "")],
        &[],
    );
    assert_eq!(
        file(&plan, "tools-log4j.properties"),
        "log4j.rootLogger=TRACE, stderr\n"
    );
}

#[test]
fn test_get_tools_log4j_configs_from_env_invalid_env_variable() {
    let plan = plan(
        &[("SOME_VARIABLE", "Some Value")],
        &[("tools-log4j.properties", DEFAULT)],
        &[],
    );
    assert_eq!(file(&plan, "tools-log4j.properties"), DEFAULT);
}

#[test]
fn test_get_tools_log4j_configs_from_env_with_empty_env_variable() {
    let plan = plan(
        &[
            ("SOME_VARIABLE", "Some Value"),
            ("KAFKA_TOOLS_LOG4J_LOGLEVEL", ""),
        ],
        &[("tools-log4j.properties", DEFAULT)],
        &[],
    );
    assert_eq!(file(&plan, "tools-log4j.properties"), DEFAULT);
}

#[test]
fn test_prepare_tools_log4j_configs() {
    let plan = plan(
        &[("KAFKA_TOOLS_LOG4J_LOGLEVEL", "TRACE")],
        &[("tools-log4j.properties", DEFAULT)],
        &[("tools-log4j.properties", MOUNTED)],
    );
    assert_eq!(
        file(&plan, "tools-log4j.properties"),
        format!("{MOUNTED}\nlog4j.rootLogger=TRACE, stderr\n")
    );
}

#[test]
fn test_prepare_tools_log4j_configs_without_mounted_file() {
    let plan = plan(
        &[("KAFKA_TOOLS_LOG4J_LOGLEVEL", "TRACE")],
        &[("tools-log4j.properties", DEFAULT)],
        &[],
    );
    assert_eq!(
        file(&plan, "tools-log4j.properties"),
        format!("{DEFAULT}\nlog4j.rootLogger=TRACE, stderr\n")
    );
}

#[test]
fn test_prepare_tools_log4j_configs_without_env_variable() {
    let plan = plan(
        &[],
        &[("tools-log4j.properties", DEFAULT)],
        &[("tools-log4j.properties", MOUNTED)],
    );
    assert_eq!(file(&plan, "tools-log4j.properties"), MOUNTED);
}
