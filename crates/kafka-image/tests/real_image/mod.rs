//! The images the Docker tests of the suite, the examples and `release` run against.
//!
//! The real image is the one `ci/test` builds once from Kafka assembled from Maven Central and
//! names in `KAFKA_IMAGE_TEST_IMAGE` (for example `kafka-image build --kafka-maven 4.4.0 --tag
//! kafka-image-ci:4.4.0`). A test that needs it and does not get it fails saying so: it never
//! passes without having run.

#![allow(dead_code)] // Each test binary uses a different subset of this module.

use std::process::Command;

/// The variable naming the real-Kafka image under test.
pub(crate) const TEST_IMAGE_VAR: &str = "KAFKA_IMAGE_TEST_IMAGE";

/// The variable naming the Kafka 3.x (log4j 1) image under test.
pub(crate) const TEST_IMAGE_3_VAR: &str = "KAFKA_IMAGE_TEST_IMAGE_3";

/// The real-Kafka image under test (the primary version); panics with what to do when the
/// variable is unset.
pub(crate) fn real_test_image() -> String {
    image_from(TEST_IMAGE_VAR, "4.4.0")
}

/// The real Kafka 3.x image under test (log4j 1, the 3.x tool classes).
pub(crate) fn real_test_image_3() -> String {
    image_from(TEST_IMAGE_3_VAR, "3.9.2")
}

fn image_from(var: &str, version: &str) -> String {
    match std::env::var(var) {
        Ok(image) if !image.is_empty() => image,
        _ => panic!(
            "{var} is not set: this test needs an image built from a real Kafka {version} \
             distribution, e.g. `kafka-image build --kafka-maven {version} --tag \
             kafka-image-ci:{version}` then `{var}=kafka-image-ci:{version}` (ci/test does both)"
        ),
    }
}

/// A local image tag removed (only the tag) when dropped.
pub(crate) struct LocalImage(pub(crate) String);

impl Drop for LocalImage {
    fn drop(&mut self) {
        // Best effort: the tag may already be gone.
        let _ = Command::new("docker").args(["rmi", &self.0]).output();
    }
}

/// Builds a tiny image `FROM scratch` holding only the fixture distribution's marker file
/// `/opt/kafka/FIXTURE-VERSION` (what `release` and `promote` must refuse), tagged `image`.
pub(crate) fn fixture_marker_image(image: &str) -> LocalImage {
    scratch_image(
        image,
        None,
        ("FIXTURE-VERSION", "4.1.0\n"),
        "/opt/kafka/FIXTURE-VERSION",
    )
}

/// Builds an image `FROM scratch` holding one file (`name` with `contents`, at `destination`),
/// tagged `image`, for `platform` when given. The classic builder records `--platform` (Docker
/// 20.10's `import --platform` is experimental).
pub(crate) fn scratch_image(
    image: &str,
    platform: Option<&str>,
    (name, contents): (&str, &str),
    destination: &str,
) -> LocalImage {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nCOPY {name} {destination}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join(name), contents).unwrap();
    let mut build = Command::new("docker");
    build.args(["build", "-q", "-t", image]);
    if let Some(platform) = platform {
        build.args(["--platform", platform]);
    }
    let out = build
        .arg(dir.path())
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    LocalImage(image.to_owned())
}
