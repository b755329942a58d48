//! `kafka-image build --kafka-maven` on the real Docker engine, from the real Kafka distribution
//! that `kafka-image dist` assembles from Maven Central (the primary version of
//! `dist/kafka-versions.txt`): the image says in its labels that it came from Maven Central and has
//! no CLI scripts, holds the broker jar and no `bin/`; and the same tarball offered as an Apache
//! release is refused, because Apache never signed it.
//!
//! Ignored unless asked for (`ci/test` runs them with `--include-ignored`): they need Docker, the
//! test base image (`ci/make-test-base-image.sh`) and Maven. The distribution is taken from
//! `KAFKA_DISTS_DIR` when `ci/test` assembled it there, else assembled into a temp dir.

mod image_support;

use std::path::{Path, PathBuf};

use image_support::*;

/// Removes an image when dropped, even when the test panics.
struct ImageGuard(&'static str);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = run("docker", &["rmi", "--force", self.0]);
    }
}

fn primary_version() -> String {
    std::fs::read_to_string(workspace().join("dist/kafka-versions.txt"))
        .expect("read dist/kafka-versions.txt")
        .lines()
        .next()
        .expect("a version")
        .trim()
        .to_owned()
}

/// Where the distributions are kept: `KAFKA_DISTS_DIR`, or a temp dir held by the caller.
fn dists_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("KAFKA_DISTS_DIR") {
        Some(dir) => (PathBuf::from(dir), None),
        None => {
            let temp = tempfile::tempdir().expect("tempdir");
            (temp.path().to_path_buf(), Some(temp))
        }
    }
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
#[ignore = "needs Docker"]
fn maven_source_builds_an_image_labelled_without_cli_scripts() {
    ensure_base_image();
    let version = primary_version();
    let (dists, _keep) = dists_dir();
    let tag = "dist-helper-kafka:maven";
    let _guard = ImageGuard(tag);
    let out = kafka_image_build(&[
        "--kafka-maven",
        &version,
        "--dist-dir",
        arg(&dists),
        "--entrypoint-binary",
        arg(&entrypoint_binary()),
        "--skip-cds",
        "--tag",
        tag,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains('\u{1b}'), "raw colour codes: {stderr:?}");
    let result: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(result["kafka_version"], version.as_str());

    let labels = docker(&["image", "inspect", "-f", "{{json .Config.Labels}}", tag]);
    let labels: serde_json::Value = serde_json::from_str(&labels).expect("labels json");
    assert_eq!(
        labels["io.kafka-image.kafka.source"], "maven-central",
        "{labels}"
    );
    assert_eq!(
        labels["io.kafka-image.kafka.cli-scripts"], "absent",
        "{labels}"
    );
    assert_eq!(labels["org.opencontainers.image.version"], version.as_str());

    let libs = docker(&["run", "--rm", "--entrypoint", "ls", tag, "/opt/kafka/libs"]);
    let broker_jar = format!("kafka_2.13-{version}.jar");
    assert!(
        libs.lines().any(|l| l == broker_jar),
        "no {broker_jar} in:\n{libs}"
    );
    let top = docker(&["run", "--rm", "--entrypoint", "ls", tag, "/opt/kafka"]);
    assert!(
        !top.lines().any(|l| l == "bin"),
        "/opt/kafka has bin/:\n{top}"
    );
    assert!(
        top.lines().any(|l| l == "ASSEMBLED-FROM-MAVEN.txt"),
        "no marker in /opt/kafka:\n{top}"
    );
    let defaults = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "ls",
        tag,
        "/etc/kafka/docker",
    ]);
    assert_eq!(
        defaults,
        "jmx-exporter.yml\nlog4j2.yaml\nserver.properties\ntools-log4j2.yaml"
    );
}

#[test]
#[ignore = "needs Docker"]
fn a_maven_tarball_offered_as_an_apache_release_is_refused() {
    ensure_base_image();
    let version = primary_version();
    let (dists, _keep) = dists_dir();
    let assembled = kafka_image_dist(&version, &dists);
    // The same bytes with a signature by a key that is in the KEYS given: still not Apache's
    // release, because the build checks for bin/; without `kafka_source=maven-central` it is never
    // taken as a Maven distribution.
    let dir = tempfile::tempdir().expect("tempdir");
    let tarball = dir.path().join(format!("kafka_2.13-{version}.tgz"));
    std::fs::copy(&assembled, &tarball).expect("copy tarball");
    std::fs::copy(append(&assembled, ".sha512"), append(&tarball, ".sha512")).expect("copy sha");
    let gnupg = dir.path().join("gnupg");
    let keys = dir.path().join("KEYS");
    make_test_key(&gnupg, &keys, "dist-helper test key");
    sign(&gnupg, &tarball);
    let tag = "dist-helper-kafka:as-apache";
    let _guard = ImageGuard(tag);
    let out = kafka_image_build(&[
        "--kafka-tarball",
        arg(&tarball),
        "--kafka-keys",
        arg(&keys),
        "--entrypoint-binary",
        arg(&entrypoint_binary()),
        "--skip-cds",
        "--tag",
        tag,
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not a Kafka distribution (no bin/kafka-server-start.sh)"),
        "{stderr}"
    );
    let exists = run("docker", &["image", "inspect", tag]);
    assert!(!exists.status.success(), "`{tag}` was tagged");
}

/// `kafka-image dist` of `version` into `dir`; the tarball's path.
fn kafka_image_dist(version: &str, dir: &Path) -> PathBuf {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kafka-image"))
        .args(["dist", "--kafka-version", version, "--out", arg(dir)])
        .output()
        .expect("run kafka-image dist");
    assert!(out.status.success(), "{}", text(&out));
    dir.join(format!("kafka_2.13-{version}.tgz"))
}
