//! `kafka-image release` as a whole program: refuses to run without a source, refuses a fixture
//! image, and (`#[ignore = "needs Docker"]`) tests and pushes a release candidate of the real test
//! image (`KAFKA_IMAGE_TEST_IMAGE`, see `tests/real_image`) to a local registry on loopback,
//! checking that what is pushed is exactly what was tested: each pushed manifest's config is the
//! tested image id, and the manifest list names exactly those manifests.

mod image_support;
mod promote_support;
mod real_image;

use std::process::Command;

use promote_support::LocalRegistry;
use real_image::{LocalImage, fixture_marker_image, real_test_image, scratch_image};

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
    let _platform_tag = LocalImage(format!("{repo}:rc1-linux-amd64"));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["image"], format!("{repo}:rc1"));
    assert_eq!(
        summary["digest"],
        registry.manifest_digest("kafka/staging", "rc1")
    );
    let tested_id = image_id(&image);
    let platform = &summary["platforms"][0];
    assert_eq!(platform["platform"], "linux/amd64");
    assert_eq!(platform["tested"], "suite");
    assert_eq!(platform["image_id"], tested_id.as_str());
    expect_index_of_tested(&registry, "rc1", &[(platform, &tested_id)]);
    assert!(reports.path().join("junit.xml").is_file());
}

/// The local image id of `image`.
fn image_id(image: &str) -> String {
    promote_support::docker(&["image", "inspect", "--format", "{{.Id}}", image])
        .trim()
        .to_owned()
}

/// Checks that `kafka/staging:tag` is a manifest list naming exactly the manifests of
/// `platforms` (the release's JSON entries with the image ids that were tested) and that each
/// of those manifests' config is the tested image id.
fn expect_index_of_tested(
    registry: &LocalRegistry,
    tag: &str,
    platforms: &[(&serde_json::Value, &str)],
) {
    let index = registry.manifest("kafka/staging", tag);
    let listed: Vec<(String, String)> = index["manifests"]
        .as_array()
        .expect("a manifest list")
        .iter()
        .map(|m| {
            (
                m["digest"].as_str().unwrap().to_owned(),
                format!(
                    "{}/{}",
                    m["platform"]["os"].as_str().unwrap(),
                    m["platform"]["architecture"].as_str().unwrap()
                ),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = platforms
        .iter()
        .map(|(p, _)| {
            (
                p["manifest_digest"].as_str().unwrap().to_owned(),
                p["platform"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(listed, expected, "{index}");
    for ((digest, platform), (_, tested_id)) in listed.iter().zip(platforms) {
        let manifest = registry.manifest("kafka/staging", digest);
        assert_eq!(
            manifest["config"]["digest"].as_str(),
            Some(*tested_id),
            "{platform}: the pushed image is not the tested one"
        );
    }
}

/// A tiny `linux/arm64` image (one file `FROM scratch`, nothing to run), tagged `name`.
fn arm64_image(name: &str) -> LocalImage {
    scratch_image(
        name,
        Some("linux/arm64"),
        ("payload", "arm64 release test\n"),
        "/payload",
    )
}

#[test]
#[ignore = "needs Docker"]
fn untested_platform_is_pushed_only_when_named_and_marked_untested() {
    let image = real_test_image();
    let registry = LocalRegistry::start();
    let repo = format!("{}/kafka/staging", registry.host);
    let arm64 = arm64_image(&format!(
        "kafka-image-release-test-arm64:{}",
        std::process::id()
    ));
    let _tags = [
        LocalImage(format!("{repo}:multi-linux-amd64")),
        LocalImage(format!("{repo}:multi-linux-arm64")),
    ];
    let reports = tempfile::tempdir().unwrap();
    let report = reports.path().display().to_string();
    let args = [
        "--from-image",
        &image,
        "--from-image",
        &arm64.0,
        "--platform",
        "linux/amd64,linux/arm64",
        "--repo",
        &repo,
        "--tag",
        "multi",
        "--report",
        &report,
        // The cheapest case: the suite runs on amd64; what it checks is not this test's point.
        "--test-case",
        "bad_config_fails_fast",
        "--json",
    ];
    // Without the flag arm64 is run (the smoke case), and this image cannot run: nothing is
    // pushed.
    let refused = release(&args);
    assert!(!refused.status.success());
    assert!(!registry.has_manifest("kafka/staging", "multi"));
    assert!(!registry.has_manifest("kafka/staging", "multi-linux-amd64"));
    let mut with_flag = args.to_vec();
    with_flag.extend(["--push-untested-platform", "linux/arm64"]);
    let out = release(&with_flag);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["untested_platforms"],
        serde_json::json!(["linux/arm64"])
    );
    let platforms = summary["platforms"].as_array().unwrap();
    assert_eq!(platforms[0]["tested"], "suite");
    assert_eq!(platforms[1]["tested"], "untested");
    assert!(platforms[1]["report"].is_null());
    let (amd64_id, arm64_id) = (image_id(&image), image_id(&arm64.0));
    assert_eq!(platforms[1]["image_id"], arm64_id.as_str());
    expect_index_of_tested(
        &registry,
        "multi",
        &[(&platforms[0], &amd64_id), (&platforms[1], &arm64_id)],
    );
    assert_eq!(
        summary["digest"],
        registry.manifest_digest("kafka/staging", "multi")
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("linux/arm64: not tested"),
        "the output says what was not run"
    );
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.path().join("release.json")).unwrap())
            .unwrap();
    assert_eq!(written, summary, "the reports keep the result");
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
    let _tag = LocalImage(format!("{repo}:fixture-linux-amd64"));
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
            "error: `{repo}:fixture-linux-amd64` holds the FIXTURE distribution (fake-kafka 4.1.0"
        )),
        "{stderr}"
    );
    assert!(!registry.has_manifest("kafka/staging", "fixture"));
    assert!(!registry.has_manifest("kafka/staging", "fixture-linux-amd64"));
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
    let _tag = LocalImage(format!("{repo}:broken-linux-amd64"));
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
            "error: the sanity suite failed for `{repo}:broken-linux-amd64` (linux/amd64); nothing was pushed"
        )),
        "{stderr}"
    );
    assert!(!registry.has_manifest("kafka/staging", "broken"));
    assert!(!registry.has_manifest("kafka/staging", "broken-linux-amd64"));
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
}
