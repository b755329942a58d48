//! `kafka-image promote` (and the push step of `release`) against a real registry: Debian's
//! `docker-registry` started on a free loopback port by each test. Needs a Docker engine (to make
//! and push small images): `#[ignore = "needs Docker"]`, run by `ci/test --include-ignored`.

mod promote_support;
mod real_image;

use std::process::Command;

use promote_support::{LocalRegistry, docker, push_scratch_image};

fn promote(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-image"))
        .arg("promote")
        .args(args)
        .output()
        .expect("kafka-image runs")
}

#[test]
#[ignore = "needs Docker"]
fn promotes_single_platform_image_with_same_digest() {
    let registry = LocalRegistry::start();
    let source = format!("{}/kafka/staging:rc1", registry.host);
    let digest = push_scratch_image(&source, "single");
    let target = format!("{}/kafka/kafka:1.0", registry.host);
    let out = promote(&[&source, &target, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["digest"], digest);
    assert_eq!(registry.manifest_digest("kafka/kafka", "1.0"), digest);
    // Promoting again finds every blob already there.
    let again = promote(&[&source, &target, "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(summary["blobs_copied"], 0);
}

#[test]
#[ignore = "needs Docker"]
fn promotes_every_platform_of_a_manifest_list() {
    let registry = LocalRegistry::start();
    let amd64 = push_scratch_image(&format!("{}/kafka/staging:amd64", registry.host), "amd64");
    let arm64 = push_scratch_image(&format!("{}/kafka/staging:arm64", registry.host), "arm64");
    let list_digest = registry.put_manifest_list(
        "kafka/staging",
        "4.1.0-rc1",
        &[(&amd64, "amd64"), (&arm64, "arm64")],
    );
    let out = promote(&[
        &format!("{}/kafka/staging:4.1.0-rc1", registry.host),
        &format!("{}/kafka/kafka:4.1.0", registry.host),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["digest"], list_digest);
    assert_eq!(
        summary["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    assert_eq!(
        registry.manifest_digest("kafka/kafka", "4.1.0"),
        list_digest
    );
    for child in [&amd64, &arm64] {
        assert_eq!(&registry.manifest_digest("kafka/kafka", child), child);
    }
}

#[test]
#[ignore = "needs Docker"]
fn missing_source_is_an_error_naming_it() {
    let registry = LocalRegistry::start();
    let source = format!("{}/kafka/staging:nope", registry.host);
    let out = promote(&[&source, &format!("{}/kafka/kafka:x", registry.host)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kafka/staging:nope` does not exist in the registry"),
        "{stderr}"
    );
}

#[test]
fn bad_reference_is_a_usage_error() {
    let out = promote(&["127.0.0.1:1/Kafka:1", "127.0.0.1:1/kafka:2"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid image reference `127.0.0.1:1/Kafka:1`"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs Docker"]
fn unreachable_registry_says_to_start_one() {
    // Port 1 on loopback: nothing listens there.
    let out = promote(&["127.0.0.1:1/kafka/staging:rc1", "127.0.0.1:1/kafka/kafka:1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach the registry at `127.0.0.1:1`"),
        "{stderr}"
    );
    assert!(stderr.contains("help: start the registry"), "{stderr}");
}

#[test]
#[ignore = "needs Docker"]
fn fixture_image_is_refused_before_anything_is_copied() {
    let registry = LocalRegistry::start();
    let source = format!("{}/kafka/staging:fixture", registry.host);
    let _local = real_image::fixture_marker_image(&source);
    docker(&["push", &source]);
    let target = format!("{}/kafka/kafka:4.1.0", registry.host);
    let out = promote(&[&source, &target]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: `{source}` holds the FIXTURE distribution (fake-kafka 4.1.0"
        )),
        "{stderr}"
    );
    assert!(!registry.has_manifest("kafka/kafka", "4.1.0"));
}
