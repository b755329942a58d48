//! `kafka-image test` as a whole program. The run against real containers needs
//! `KAFKA_IMAGE_DOCKER_TESTS=1`; it tests `KAFKA_IMAGE_TEST_IMAGE` when set, else the image built
//! from the FIXTURE distribution. With the fixture, the cases that need a real broker must be
//! reported as not run, and all the others must pass.

mod image_support;
use std::process::Command;

fn kafka_image(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-image"))
        .args(args)
        .output()
        .expect("kafka-image runs")
}

#[test]
fn list_names_every_case() {
    let out = kafka_image(&["test", "--list", "--json"]);
    assert!(out.status.success());
    let names: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(names.len() >= 16, "{names:?}");
    assert!(names.contains(&"sasl_scram".to_owned()));
}

#[test]
fn unknown_case_is_a_usage_error() {
    let out = kafka_image(&["test", "kafka:x", "--only", "no_such_case"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: `--only no_such_case`: no such case"),
        "{stderr}"
    );
}

#[test]
fn missing_docker_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_kafka-image"))
        .args(["test", "kafka:x"])
        .env("KAFKA_IMAGE_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot run the sanity suite\n"),
        "{stderr}"
    );
    assert!(stderr.contains("help: install Docker"), "{stderr}");
}

#[test]
fn suite_runs_against_built_image() {
    if std::env::var("KAFKA_IMAGE_DOCKER_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set KAFKA_IMAGE_DOCKER_TESTS=1 to run tests that need a Docker engine");
        return;
    }
    let image = test_image();
    let reports = tempfile::tempdir().unwrap();
    let out = kafka_image(&[
        "test",
        &image,
        "--report",
        &reports.path().display().to_string(),
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fixture = summary["distribution"]
        .as_str()
        .unwrap()
        .starts_with("FIXTURE");
    for case in summary["cases"].as_array().unwrap() {
        let needs_real = [
            "default_config_produce_consume",
            "ssl_produce_consume",
            "sasl_plain",
            "sasl_scram",
            "combined_cluster_survives_restart",
            "isolated_cluster_survives_restart",
            "restart_keeps_messages",
        ]
        .contains(&case["name"].as_str().unwrap());
        let expected = if fixture && needs_real {
            "not_run"
        } else {
            "passed"
        };
        assert_eq!(case["outcome"], expected, "{case}");
    }
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert_eq!(
        junit.matches("<testcase ").count(),
        summary["cases"].as_array().unwrap().len()
    );
    let html = std::fs::read_to_string(reports.path().join("report.html")).unwrap();
    if fixture {
        assert!(html.contains("not run: needs a real Kafka distribution"));
    }
}

/// The image under test: `KAFKA_IMAGE_TEST_IMAGE` when set (e.g. a real Kafka build), else the
/// image built from the FIXTURE distribution by the image tests' support module.
fn test_image() -> String {
    std::env::var("KAFKA_IMAGE_TEST_IMAGE")
        .unwrap_or_else(|_| image_support::fixture_image().to_owned())
}
