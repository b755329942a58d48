//! `kafka-image release` as a whole program: refuses to run without a source, refuses a fixture
//! image, and (`#[ignore = "needs Docker"]`) tests and pushes a release candidate of the real test
//! image (`KAFKA_IMAGE_TEST_IMAGE`, see `tests/real_image`) to a local registry on loopback.

mod image_support;
mod promote_support;
mod real_image;

use std::process::Command;

use promote_support::LocalRegistry;
use real_image::{LocalImage, fixture_marker_image, real_test_image};

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
#[ignore = "needs Docker"]
fn release_candidate_is_tested_then_pushed_to_loopback_registry() {
    let image = real_test_image();
    let registry = LocalRegistry::start();
    let repo = format!("{}/kafka/staging", registry.host);
    let _tag = LocalImage(format!("{repo}:rc1"));
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
#[ignore = "needs Docker"]
fn fixture_image_is_refused_before_the_suite_runs() {
    let registry = LocalRegistry::start();
    let repo = format!("{}/kafka/staging", registry.host);
    let local = fixture_marker_image(&format!(
        "kafka-image-release-test-fixture:{}",
        std::process::id()
    ));
    let _tag = LocalImage(format!("{repo}:fixture"));
    let reports = tempfile::tempdir().unwrap();
    let out = release(&[
        "--from-image",
        &local.0,
        "--repo",
        &repo,
        "--tag",
        "fixture",
        "--report",
        &reports.path().display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: `{repo}:fixture` holds the FIXTURE distribution (fake-kafka 4.1.0"
        )),
        "{stderr}"
    );
    assert!(!registry.has_manifest("kafka/staging", "fixture"));
    assert!(
        !reports.path().join("junit.xml").exists(),
        "the suite did not run"
    );
}

#[test]
#[ignore = "needs Docker"]
fn failed_sanity_suite_pushes_nothing() {
    // The base image has no kafka-entrypoint: a container of it cannot start, so the suite fails.
    image_support::ensure_base_image();
    let registry = LocalRegistry::start();
    let repo = format!("{}/kafka/staging", registry.host);
    let _tag = LocalImage(format!("{repo}:broken"));
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
