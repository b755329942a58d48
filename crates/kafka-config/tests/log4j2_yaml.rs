//! The log4j2 YAML editor on Kafka's own `log4j2.yaml` files and the project's defaults: every
//! line it does not edit is kept in order, and real log4j2 (the `YamlConfiguration` of each
//! Kafka 4.x distribution under `KAFKA_DISTS_DIR`, run by `java`) reads the levels it set.
#![allow(
    clippy::disallowed_methods,
    reason = "the test reads fixtures and runs Java; the library under test stays pure"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use kafka_config::log4j::{LoggerLevel, edit_yaml};

const KAFKA_4_VERSIONS: [&str; 3] = ["4.0.2", "4.1.2", "4.4.0"];

fn fixtures() -> Vec<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let defaults = here.join("../../docker/config/log4j2");
    vec![
        here.join("tests/log4j2/kafka-config-log4j2.yaml"),
        here.join("tests/log4j2/kafka-config-tools-log4j2.yaml"),
        defaults.join("log4j2.yaml"),
        defaults.join("tools-log4j2.yaml"),
    ]
}

fn loggers() -> Vec<LoggerLevel> {
    [
        ("kafka", "DEBUG"),
        ("kafka.controller", "TRACE"),
        ("state.change.logger", "ERROR"),
    ]
    .iter()
    .map(|(name, level)| LoggerLevel {
        name: (*name).to_owned(),
        level: (*level).to_owned(),
    })
    .collect()
}

/// The lines that are not `level:` lines.
fn without_levels(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| {
            !line
                .trim_start()
                .trim_start_matches("- ")
                .starts_with("level:")
        })
        .collect()
}

/// Whether `inner` appears in `outer` in order (other lines may be added between).
fn is_subsequence(inner: &[&str], outer: &[&str]) -> bool {
    let mut rest = outer.iter();
    inner.iter().all(|line| rest.any(|other| other == line))
}

fn edited(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("fixture");
    edit_yaml(&text, Some("WARN"), &loggers()).expect("edits")
}

#[test]
fn every_line_but_the_levels_is_kept_in_order() {
    for path in fixtures() {
        let text = fs::read_to_string(&path).expect("fixture");
        let edited = edited(&path);
        assert!(
            is_subsequence(&without_levels(&text), &without_levels(&edited)),
            "{}:\n{edited}",
            path.display()
        );
        assert!(edited.contains("      level: WARN\n"), "{edited}");
    }
}

#[test]
fn real_log4j2_of_every_kafka_4_release_reads_the_levels() {
    let dists = std::env::var_os("KAFKA_DISTS_DIR")
        .expect("KAFKA_DISTS_DIR must name the directory holding kafka_2.13-<version>/");
    let temp = std::env::temp_dir().join(format!("kafka-config-log4j2-{}", std::process::id()));
    fs::create_dir_all(&temp).expect("temp dir");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/log4j2/Levels.java");
    for version in KAFKA_4_VERSIONS {
        let libs = Path::new(&dists).join(format!("kafka_2.13-{version}/libs"));
        assert!(libs.is_dir(), "{} is missing", libs.display());
        let mut files = Vec::new();
        for (index, path) in fixtures().iter().enumerate() {
            let file = temp.join(format!("{index}.yaml"));
            fs::write(&file, edited(path)).expect("write");
            files.push(file);
        }
        let output = Command::new("java")
            .current_dir(&temp)
            .arg(format!("-Dkafka.logs.dir={}", temp.display()))
            .arg("-cp")
            .arg(format!("{}/*", libs.display()))
            .arg(&program)
            .arg("kafka,kafka.controller,state.change.logger")
            .args(&files)
            .output()
            .expect("java must be on PATH");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "root=WARN kafka=DEBUG kafka.controller=TRACE state.change.logger=ERROR\n"
                .repeat(files.len()),
            "Kafka {version}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _ = fs::remove_dir_all(&temp);
}
