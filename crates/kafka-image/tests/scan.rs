//! `kafka-image scan` as a whole program: exit codes by severity on a recorded trivy report, and
//! the message when trivy is not installed.

use std::path::Path;
use std::process::{Command, Output};

const RECORDED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/trivy-alpine-39-high-critical.json"
);

/// The image the recorded report names (`ArtifactName`): `--trivy-json` takes only a report about
/// the image being scanned.
const ARTIFACT: &str = "testdata/fixtures/images/alpine-39.tar.gz";

fn scan(report: &Path, extra: &[&str]) -> Output {
    scan_image(ARTIFACT, report, extra)
}

fn scan_image(image: &str, report: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-image"))
        .arg("scan")
        .arg(image)
        .arg("--report")
        .arg(report)
        .args(extra)
        .env_remove("KAFKA_IMAGE_TRIVY")
        .output()
        .expect("kafka-image runs")
}

#[test]
fn recorded_critical_findings_exit_1_at_fail_on_high() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(dir.path(), &["--trivy-json", RECORDED, "--fail-on", "HIGH"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("testdata/fixtures/images/alpine-39.tar.gz: 2 finding(s) (CRITICAL 2, HIGH 0, MEDIUM 0, LOW 0, UNKNOWN 0); FAILED at --fail-on HIGH\n"),
        "{stdout}"
    );
    for file in ["trivy.json", "scan.json", "scan.html"] {
        assert!(dir.path().join(file).is_file(), "{file} written");
    }
}

#[test]
fn json_output_is_one_document_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(
        dir.path(),
        &["--trivy-json", RECORDED, "--fail-on", "critical", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["fail_on"], "CRITICAL");
}

#[test]
fn bad_severity_is_a_usage_error_naming_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(
        dir.path(),
        &["--trivy-json", RECORDED, "--fail-on", "SEVERE"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unknown severity `SEVERE`"), "{stderr}");
}

#[test]
fn report_about_another_image_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan_image("kafka:4.4.0", dir.path(), &["--trivy-json", RECORDED]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("is about `{ARTIFACT}` (image id sha256:055936d3")),
        "{stderr}"
    );
    assert!(stderr.contains("not `kafka:4.4.0`"), "{stderr}");
    assert!(
        !dir.path().join("scan.html").exists(),
        "no report for the wrong image"
    );
}

#[test]
fn missing_trivy_exits_2_with_how_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan_image("alpine:3.9", dir.path(), &["--trivy", "/nonexistent/trivy"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("error: cannot scan `alpine:3.9`: trivy is not installed (`/nonexistent/trivy` was not found)"),
        "{stderr}"
    );
    assert!(stderr.contains("help: install trivy"), "{stderr}");
}

#[test]
fn unreadable_recorded_report_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan(dir.path(), &["--trivy-json", "/nonexistent/t.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("failed to read trivy report `/nonexistent/t.json`"),
        "{stderr}"
    );
}
