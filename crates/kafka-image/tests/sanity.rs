//! `kafka-image test` as a whole program. The runs against real containers are
//! `#[ignore = "needs Docker"]` (`ci/test --include-ignored` runs them) and test the real-Kafka
//! images named by `KAFKA_IMAGE_TEST_IMAGE` (primary version, every case) and
//! `KAFKA_IMAGE_TEST_IMAGE_3` (Kafka 3.x, the cases whose tools or logging differ); every case
//! must pass, none may be skipped.

mod real_image;

use std::process::Command;

use real_image::{real_test_image, real_test_image_3};

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
    assert!(names.len() >= 14, "{names:?}");
    assert!(names.contains(&"sasl_scram".to_owned()));
    assert!(names.contains(&"combined_cluster_faults".to_owned()));
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
    let out = kafka_image(&["test", "kafka:x", "--skip", "no_such_case"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`--skip no_such_case`: no such case"));
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

/// Runs the suite on `image` with `extra` options; asserts exit 0, every selected case passed,
/// none skipped, and returns the HTML report.
fn suite_passes(image: &str, extra: &[&str]) -> String {
    let reports = tempfile::tempdir().unwrap();
    let report_dir = reports.path().display().to_string();
    let mut args = vec!["test", image, "--report", &report_dir, "--json"];
    args.extend_from_slice(extra);
    let out = kafka_image(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The per-case and per-fault lines, for the CI log.
    eprintln!("{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        summary["distribution"]
            .as_str()
            .unwrap()
            .starts_with("Apache Kafka "),
        "{summary}"
    );
    assert_eq!(summary["skipped"], 0, "{summary}");
    for case in summary["cases"].as_array().unwrap() {
        assert_eq!(case["outcome"], "passed", "{case}");
    }
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert_eq!(
        junit.matches("<testcase ").count(),
        summary["cases"].as_array().unwrap().len()
    );
    assert!(!junit.contains("<skipped"), "{junit}");
    std::fs::read_to_string(reports.path().join("report.html")).unwrap()
}

#[test]
#[ignore = "needs Docker"]
fn every_case_passes_on_the_real_image() {
    let html = suite_passes(&real_test_image(), &[]);
    assert!(html.contains("<h2>Faults of <code>combined_cluster_faults</code></h2>"));
    assert_eq!(html.matches("<svg ").count(), 5, "one timeline per fault");
    assert!(!html.contains("<script"));
}

#[test]
#[ignore = "needs Docker"]
fn kafka_3_image_serves_records_with_its_own_tools() {
    suite_passes(
        &real_test_image_3(),
        &[
            "--only",
            "default_config_starts",
            "--only",
            "sasl_scram",
            "--only",
            "docker_stop_is_clean",
        ],
    );
}
