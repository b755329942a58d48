//! The broker's and the tools' log4j files, in both formats Kafka has shipped, with the root
//! level and named loggers set from `KAFKA_LOG4J_ROOT_LOGLEVEL`, `KAFKA_LOG4J_LOGGERS` and
//! `KAFKA_TOOLS_LOG4J_LOGLEVEL`.
//!
//! Kafka 4.x reads `log4j2.yaml` / `tools-log4j2.yaml`, edited line by line
//! (`log4j2_yaml.rs`: `Configuration: Loggers: Root: level` and the `Logger` list) so the
//! user's comments and order stay; an empty file becomes a minimal valid configuration, as the
//! official image's wrapper makes one. Kafka 3.x reads `log4j.properties` /
//! `tools-log4j.properties`, edited as properties as the official image's wrapper does
//! (`KafkaDockerWrapper.getLog4jConfigsFromEnv`): `log4j.rootLogger=LEVEL, appenders` and
//! `log4j.logger.NAME=LEVEL`, but replacing the keys in place and keeping their appenders instead
//! of appending duplicates. Which format applies is decided by the files the distribution ships.

use crate::error::Problem;
use crate::properties::{Properties, PropertiesError};

/// The log4j configuration format a Kafka distribution reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log4jFormat {
    /// Kafka 4.x: `log4j2.yaml` and `tools-log4j2.yaml`.
    Log4j2Yaml,
    /// Kafka 3.x: `log4j.properties` and `tools-log4j.properties`.
    Log4jProperties,
}

impl Log4jFormat {
    /// The format whose files the image's defaults directory holds (YAML wins when both are).
    pub fn detect<'a>(
        default_file_names: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Option<Self> {
        let has = |wanted: &str| {
            default_file_names
                .clone()
                .into_iter()
                .any(|name| name == wanted)
        };
        if has(LOG4J2_YAML) || has(TOOLS_LOG4J2_YAML) {
            Some(Self::Log4j2Yaml)
        } else if has(LOG4J_PROPERTIES) || has(TOOLS_LOG4J_PROPERTIES) {
            Some(Self::Log4jProperties)
        } else {
            None
        }
    }

    /// The broker's file name.
    #[must_use]
    pub fn broker_file(self) -> &'static str {
        match self {
            Self::Log4j2Yaml => LOG4J2_YAML,
            Self::Log4jProperties => LOG4J_PROPERTIES,
        }
    }

    /// The tools' file name.
    #[must_use]
    pub fn tools_file(self) -> &'static str {
        match self {
            Self::Log4j2Yaml => TOOLS_LOG4J2_YAML,
            Self::Log4jProperties => TOOLS_LOG4J_PROPERTIES,
        }
    }

    /// The other format.
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Self::Log4j2Yaml => Self::Log4jProperties,
            Self::Log4jProperties => Self::Log4j2Yaml,
        }
    }
}

/// Kafka 4.x broker log4j file.
pub const LOG4J2_YAML: &str = "log4j2.yaml";
/// Kafka 4.x tools log4j file.
pub const TOOLS_LOG4J2_YAML: &str = "tools-log4j2.yaml";
/// Kafka 3.x broker log4j file.
pub const LOG4J_PROPERTIES: &str = "log4j.properties";
/// Kafka 3.x tools log4j file.
pub const TOOLS_LOG4J_PROPERTIES: &str = "tools-log4j.properties";

/// The levels log4j knows (case-insensitive).
const LEVELS: &[&str] = &[
    "OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL",
];

/// A logger name and the level to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerLevel {
    /// Logger name, e.g. `kafka.controller`.
    pub name: String,
    /// Level, e.g. `WARN`.
    pub level: String,
}

/// Reads a root level variable: `None` when empty (the official image ignores empty values).
///
/// # Errors
/// [`Problem::InvalidLogLevel`] for a level log4j does not know.
pub fn parse_level(env_var: &str, value: &str) -> Result<Option<String>, Problem> {
    let level = value.trim();
    if level.is_empty() {
        return Ok(None);
    }
    if LEVELS.iter().any(|known| known.eq_ignore_ascii_case(level)) {
        Ok(Some(level.to_owned()))
    } else {
        Err(Problem::InvalidLogLevel {
            env_var: env_var.to_owned(),
            level: level.to_owned(),
        })
    }
}

/// Reads `KAFKA_LOG4J_LOGGERS` (`name=LEVEL,name=LEVEL`; empty entries, such as after a trailing
/// comma, are skipped as upstream does).
///
/// # Errors
/// Every malformed entry and unknown level, all at once.
pub fn parse_loggers(env_var: &str, value: &str) -> Result<Vec<LoggerLevel>, Vec<Problem>> {
    let mut loggers = Vec::new();
    let mut problems = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.split_once('=') {
            Some((name, level)) if !name.trim().is_empty() && !level.trim().is_empty() => {
                match parse_level(env_var, level) {
                    Ok(Some(level)) => loggers.push(LoggerLevel {
                        name: name.trim().to_owned(),
                        level,
                    }),
                    Ok(None) => {}
                    Err(problem) => problems.push(problem),
                }
            }
            _ => problems.push(Problem::InvalidLoggerEntry {
                env_var: env_var.to_owned(),
                entry: entry.to_owned(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(loggers)
    } else {
        Err(problems)
    }
}

/// Sets the root level and loggers in a log4j 1.x properties file.
///
/// The root logger keeps its appenders; when the file has no `log4j.rootLogger`, the level is
/// given `default_appender` (`stdout` for the broker, `stderr` for tools, as upstream).
///
/// # Errors
/// [`PropertiesError`] when the file is not valid properties syntax.
pub fn edit_properties(
    text: &str,
    root_level: Option<&str>,
    default_appender: &str,
    loggers: &[LoggerLevel],
) -> Result<String, PropertiesError> {
    let mut properties = Properties::parse(text)?;
    if let Some(level) = root_level {
        let value = match properties.get("log4j.rootLogger") {
            Some(old) => replace_level(old, level),
            None => format!("{level}, {default_appender}"),
        };
        properties.set("log4j.rootLogger", &value);
    }
    for logger in loggers {
        let key = format!("log4j.logger.{}", logger.name);
        let value = match properties.get(&key) {
            Some(old) => replace_level(old, &logger.level),
            None => logger.level.clone(),
        };
        properties.set(&key, &value);
    }
    Ok(properties.render())
}

/// `"INFO, stdout"` with level `WARN` gives `"WARN, stdout"`.
fn replace_level(old: &str, level: &str) -> String {
    match old.split_once(',') {
        Some((_, appenders)) => format!("{level},{appenders}"),
        None => level.to_owned(),
    }
}

/// Sets the root level and loggers in a log4j2 YAML file, keeping every other line as it is.
/// Component names are matched without regard to case, as log4j2 does; missing `Loggers`,
/// `Root` and `Logger` entries are created.
///
/// # Errors
/// A description of what is wrong when the text is not a block-style log4j2 configuration.
pub fn edit_yaml(
    text: &str,
    root_level: Option<&str>,
    loggers: &[LoggerLevel],
) -> Result<String, String> {
    let settings: Vec<crate::log4j2_yaml::LoggerSetting<'_>> = loggers
        .iter()
        .map(|logger| crate::log4j2_yaml::LoggerSetting {
            name: &logger.name,
            level: &logger.level,
        })
        .collect();
    crate::log4j2_yaml::edit(text, root_level, &settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logger(name: &str, level: &str) -> LoggerLevel {
        LoggerLevel {
            name: name.into(),
            level: level.into(),
        }
    }

    #[test]
    fn format_follows_the_default_files() {
        assert_eq!(
            Log4jFormat::detect(["server.properties", "log4j2.yaml"]),
            Some(Log4jFormat::Log4j2Yaml)
        );
        assert_eq!(
            Log4jFormat::detect(["tools-log4j.properties"]),
            Some(Log4jFormat::Log4jProperties)
        );
        assert_eq!(Log4jFormat::detect(["server.properties"]), None);
    }

    #[test]
    fn loggers_skip_empty_entries_like_upstream() {
        // KafkaDockerWrapperTest.testGetLog4jConfigsFromEnv: note the trailing comma.
        let parsed = parse_loggers(
            "KAFKA_LOG4J_LOGGERS",
            "kafka=INFO,kafka.network.RequestChannel$=WARN,kafka.producer.async.DefaultEventHandler=DEBUG,",
        );
        assert_eq!(
            parsed,
            Ok(vec![
                logger("kafka", "INFO"),
                logger("kafka.network.RequestChannel$", "WARN"),
                logger("kafka.producer.async.DefaultEventHandler", "DEBUG"),
            ])
        );
    }

    #[test]
    fn logger_without_level_is_an_error_naming_the_entry() {
        assert_eq!(
            parse_loggers("KAFKA_LOG4J_LOGGERS", "kafka.controller,kafka=BOGUS"),
            Err(vec![
                Problem::InvalidLoggerEntry {
                    env_var: "KAFKA_LOG4J_LOGGERS".into(),
                    entry: "kafka.controller".into()
                },
                Problem::InvalidLogLevel {
                    env_var: "KAFKA_LOG4J_LOGGERS".into(),
                    level: "BOGUS".into()
                },
            ])
        );
    }

    #[test]
    fn empty_root_level_is_ignored() {
        assert_eq!(parse_level("KAFKA_LOG4J_ROOT_LOGLEVEL", ""), Ok(None));
        assert_eq!(
            parse_level("KAFKA_LOG4J_ROOT_LOGLEVEL", "warn"),
            Ok(Some("warn".into()))
        );
    }

    #[test]
    fn properties_root_keeps_appenders_and_loggers_replace_in_place() {
        let text = "log4j.rootLogger=INFO, stdout, kafkaAppender\nlog4j.logger.kafka=INFO\nlog4j.logger.kafka.request.logger=WARN, requestAppender\n";
        let edited = edit_properties(
            text,
            Some("ERROR"),
            "stdout",
            &[
                logger("kafka.request.logger", "DEBUG"),
                logger("new.one", "TRACE"),
            ],
        )
        .expect("valid");
        assert_eq!(
            edited,
            "log4j.rootLogger=ERROR, stdout, kafkaAppender\nlog4j.logger.kafka=INFO\nlog4j.logger.kafka.request.logger=DEBUG, requestAppender\nlog4j.logger.new.one=TRACE\n"
        );
    }

    #[test]
    fn properties_without_root_get_upstream_default_appender() {
        // KafkaDockerWrapperTest.testGetToolsLog4jConfigsFromEnv: `log4j.rootLogger=TRACE, stderr`.
        let edited = edit_properties("default.config=default value", Some("TRACE"), "stderr", &[])
            .expect("valid");
        assert_eq!(
            edited,
            "default.config=default value\nlog4j.rootLogger=TRACE, stderr\n"
        );
    }

    use crate::log4j2_yaml::levels;

    #[test]
    fn yaml_root_level_and_loggers_are_set() {
        let text = "Configuration:\n  Loggers:\n    Root:\n      level: INFO\n      AppenderRef:\n        - ref: STDOUT\n    Logger:\n      - name: kafka\n        level: INFO\n";
        let edited = edit_yaml(
            text,
            Some("WARN"),
            &[
                logger("kafka", "DEBUG"),
                logger("state.change.logger", "TRACE"),
            ],
        )
        .expect("valid");
        assert_eq!(
            edited,
            "Configuration:\n  Loggers:\n    Root:\n      level: WARN\n      AppenderRef:\n        - ref: STDOUT\n    Logger:\n      - name: kafka\n        level: DEBUG\n      - name: state.change.logger\n        level: TRACE\n"
        );
    }

    #[test]
    fn yaml_single_logger_mapping_and_lower_case_sections_are_handled() {
        let text =
            "configuration:\n  loggers:\n    logger:\n      name: kafka\n      level: INFO\n";
        let edited = edit_yaml(text, None, &[logger("other", "WARN")]).expect("valid");
        assert_eq!(
            edited,
            "configuration:\n  loggers:\n    logger:\n      - name: kafka\n        level: INFO\n      - name: other\n        level: WARN\n"
        );
        assert_eq!(levels(&edited, "kafka").1.as_deref(), Some("INFO"));
    }

    #[test]
    fn empty_yaml_becomes_a_minimal_configuration() {
        let edited = edit_yaml("", Some("WARN"), &[logger("kafka", "DEBUG")]).expect("valid");
        assert_eq!(
            edited,
            "Configuration:\n  Loggers:\n    Root:\n      level: WARN\n    Logger:\n      - name: kafka\n        level: DEBUG\n"
        );
    }

    #[test]
    fn yaml_comments_order_and_quotes_are_kept() {
        let text = "# top\nConfiguration:\n  # appenders first\n  Appenders:\n    Console: {name: STDOUT}\n  Loggers:\n    Root:\n      level: \"INFO\" # default\n    Logger:\n    - name: \"kafka\"\n      level: INFO\n#    - name: commented.out\n    - name: z\n      additivity: false\n";
        let edited = edit_yaml(
            text,
            Some("ERROR"),
            &[logger("kafka", "TRACE"), logger("z", "WARN")],
        )
        .expect("valid");
        assert_eq!(
            edited,
            "# top\nConfiguration:\n  # appenders first\n  Appenders:\n    Console: {name: STDOUT}\n  Loggers:\n    Root:\n      level: ERROR # default\n    Logger:\n    - name: \"kafka\"\n      level: TRACE\n#    - name: commented.out\n    - name: z\n      level: WARN\n      additivity: false\n"
        );
    }

    #[test]
    fn yaml_that_is_not_a_configuration_is_an_error() {
        assert!(edit_yaml("- just\n- a list\n", Some("INFO"), &[]).is_err());
        assert!(edit_yaml("Configuration: [1, 2]", Some("INFO"), &[]).is_err());
        assert!(edit_yaml("Configuration: {\n", Some("INFO"), &[]).is_err());
        assert!(edit_yaml("  Configuration:\n", Some("INFO"), &[]).is_err());
    }
}
