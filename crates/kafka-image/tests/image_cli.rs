//! `kafka-image build` errors that need no image build: bad flags are refused before Docker is
//! asked anything, and a missing or stopped Docker engine gives a clear error with a `help:` line.
//! These run on every `cargo test` (no Docker engine needed).

use std::process::{Command, Output};

fn kafka_image(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-image"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run kafka-image")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn missing_docker_program_is_reported_with_install_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = kafka_image(
        &[
            "build",
            "--kafka-url",
            "https://example.invalid/kafka_2.13-4.1.0.tgz",
            "--tag",
            "k:1",
        ],
        &[(
            "KAFKA_IMAGE_DOCKER",
            dir.path().join("no-docker").to_str().expect("utf-8"),
        )],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: cannot build the image\n"), "{err}");
    assert!(
        err.contains("Docker is not installed: `")
            && err.contains("no-docker` was not found on PATH"),
        "{err}"
    );
    assert!(err.contains("help: install Docker"), "{err}");
}

#[test]
fn stopped_docker_engine_is_reported_with_start_help() {
    let out = kafka_image(
        &[
            "build",
            "--kafka-url",
            "https://example.invalid/kafka_2.13-4.1.0.tgz",
            "--tag",
            "k:1",
            "--json",
        ],
        &[("DOCKER_HOST", "unix:///nonexistent/kafka-image-test.sock")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        !err.contains("Docker is not installed"),
        "this test needs the docker CLI (`.ci/run` installs docker.io): {err}"
    );
    assert!(err.contains("the Docker engine is not running"), "{err}");
    assert!(err.contains("help: start the daemon"), "{err}");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json error document");
    assert_eq!(doc["error"]["message"], "cannot build the image");
    assert!(
        doc["error"]["help"]
            .as_str()
            .is_some_and(|h| h.contains("DOCKER_HOST")),
        "{doc}"
    );
}

#[test]
fn tarball_without_checksum_is_refused_before_docker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tarball = dir.path().join("kafka_2.13-4.1.0.tgz");
    std::fs::write(&tarball, b"not used").expect("write");
    let out = kafka_image(
        &[
            "build",
            "--kafka-tarball",
            tarball.to_str().expect("utf-8"),
            "--tag",
            "k:1",
        ],
        &[("KAFKA_IMAGE_DOCKER", "/nonexistent/docker")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("kafka_2.13-4.1.0.tgz.sha512` is missing"),
        "{err}"
    );
    assert!(
        err.contains("help: download `kafka_2.13-4.1.0.tgz.sha512`"),
        "{err}"
    );
    assert!(
        !err.contains("Docker"),
        "Docker was consulted before the flags were checked: {err}"
    );
}

#[test]
fn keys_that_are_neither_url_nor_file_are_refused() {
    let out = kafka_image(
        &[
            "build",
            "--kafka-url",
            "https://example.invalid/kafka_2.13-4.1.0.tgz",
            "--tag",
            "k:1",
            "--kafka-keys",
            "/nonexistent/KEYS",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "error: `--kafka-keys` `/nonexistent/KEYS` is neither an http(s) URL nor a file"
        ),
        "{err}"
    );
}

#[test]
fn source_is_required_and_exclusive() {
    let out = kafka_image(&["build", "--tag", "k:1"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--kafka-url <URL>"),
        "{}",
        stderr(&out)
    );
    let out = kafka_image(
        &[
            "build",
            "--tag",
            "k:1",
            "--kafka-url",
            "https://x.invalid/k.tgz",
            "--kafka-tarball",
            "k.tgz",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unsupported_platform_names_the_supported_ones() {
    let out = kafka_image(
        &[
            "build",
            "--kafka-url",
            "https://x.invalid/kafka_2.13-4.1.0.tgz",
            "--tag",
            "k:1",
            "--platform",
            "linux/amd64,linux/s390x",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unsupported platform `linux/s390x`; supported: `linux/amd64`, `linux/arm64`"),
        "{err}"
    );
}
