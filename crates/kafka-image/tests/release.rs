//! `kafka-image release` as a whole program: refuses to run without a source, and (with
//! `KAFKA_IMAGE_DOCKER_TESTS=1`) tests and pushes a release candidate of the test image (see
//! `tests/sanity.rs`) to a local registry on loopback.

mod image_support;
mod promote_support;

use std::process::Command;

use promote_support::{LocalRegistry, docker_tests_enabled};

fn release(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-image"))
        .arg("release")
        .args(args)
        .output()
        .expect("kafka-image runs")
}

#[test]
fn release_needs_a_kafka_source() {
    let out = release(&["--repo", "127.0.0.1:5000/kafka/staging", "--tag", "rc1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--kafka-url <URL>"), "{stderr}");
}

#[test]
fn release_candidate_is_tested_then_pushed_to_loopback_registry() {
    if !docker_tests_enabled() {
        return;
    }
    let image = test_image();
    let registry = LocalRegistry::start();
    let repo = format!("{}/kafka/staging", registry.host);
    let _tag = LocalTag(format!("{repo}:rc1"));
    let reports = tempfile::tempdir().unwrap();
    let out = release(&[
        "--from-image",
        &image,
        "--repo",
        &repo,
        "--tag",
        "rc1",
        "--report",
        &reports.path().display().to_string(),
        "--test-case",
        "default_config_starts",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(registry.has_manifest("kafka/staging", "rc1"));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["image"], format!("{repo}:rc1"));
    assert_eq!(
        summary["digest"],
        registry.manifest_digest("kafka/staging", "rc1")
    );
    assert!(reports.path().join("junit.xml").is_file());
}

#[test]
fn failed_sanity_suite_pushes_nothing() {
    if !docker_tests_enabled() {
        return;
    }
    // The base image has no kafka-entrypoint: a container of it cannot start, so the suite fails.
    image_support::ensure_base_image();
    let registry = LocalRegistry::start();
    let repo = format!("{}/kafka/staging", registry.host);
    let _tag = LocalTag(format!("{repo}:broken"));
    let reports = tempfile::tempdir().unwrap();
    let out = release(&[
        "--from-image",
        image_support::BASE_IMAGE,
        "--repo",
        &repo,
        "--tag",
        "broken",
        "--report",
        &reports.path().display().to_string(),
        "--test-case",
        "default_config_starts",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: the sanity suite failed for `{repo}:broken`; nothing was pushed"
        )),
        "{stderr}"
    );
    assert!(!registry.has_manifest("kafka/staging", "broken"));
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
}

/// The local tag `release --from-image` makes, removed (only the tag) when the test ends.
struct LocalTag(String);

impl Drop for LocalTag {
    fn drop(&mut self) {
        // Best effort: the tag may not exist when the release failed early.
        let _ = Command::new("docker").args(["rmi", &self.0]).output();
    }
}

/// The image under test: `KAFKA_IMAGE_TEST_IMAGE` when set (e.g. a real Kafka build), else the
/// image built from the FIXTURE distribution by the image tests' support module.
fn test_image() -> String {
    std::env::var("KAFKA_IMAGE_TEST_IMAGE")
        .unwrap_or_else(|_| image_support::fixture_image().to_owned())
}
