//! The FIXTURE distribution packed like an Apache Kafka release (`fixtures/fake-kafka/build.sh
//! --tarball`), as the image tests consume it: one top directory, a `.sha512` in the layout of
//! `gpg --print-md SHA512` that Apache publishes, and the same bytes on every build.

use std::path::Path;
use std::process::Command;

fn build_tarball(out: &Path, version: &str) -> (Vec<u8>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fake-kafka/build.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg("--tarball")
        .arg(out)
        .arg(version)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let name = format!("kafka_2.13-{version}.tgz");
    (
        std::fs::read(out.join(&name)).unwrap(),
        std::fs::read_to_string(out.join(format!("{name}.sha512"))).unwrap(),
    )
}

#[test]
fn tarball_checksum_has_the_apache_release_layout_and_matches() {
    let out = tempfile::tempdir().unwrap();
    let (_, checksum) = build_tarball(out.path(), "4.1.0");
    let sha512sum = Command::new("sha512sum")
        .arg("kafka_2.13-4.1.0.tgz")
        .current_dir(out.path())
        .output()
        .unwrap();
    let digest = String::from_utf8(sha512sum.stdout).unwrap()[..128].to_uppercase();
    let groups: Vec<&str> = (0..16).map(|i| &digest[i * 8..i * 8 + 8]).collect();
    let indent = " ".repeat("kafka_2.13-4.1.0.tgz: ".len());
    assert_eq!(
        checksum,
        format!(
            "kafka_2.13-4.1.0.tgz: {}\n{indent}{}\n{indent}{}\n",
            groups[0..6].join(" "),
            groups[6..12].join(" "),
            groups[12..16].join(" ")
        )
    );
}

#[test]
fn tarball_is_reproducible_and_holds_one_release_directory() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let (bytes, checksum) = build_tarball(first.path(), "3.9.0");
    assert_eq!(build_tarball(second.path(), "3.9.0"), (bytes, checksum));
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(first.path().join("kafka_2.13-3.9.0.tgz"))
        .output()
        .unwrap();
    let mut entries: Vec<String> = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            "kafka_2.13-3.9.0/",
            "kafka_2.13-3.9.0/FIXTURE-README.md",
            "kafka_2.13-3.9.0/FIXTURE-VERSION",
            "kafka_2.13-3.9.0/bin/",
            "kafka_2.13-3.9.0/bin/kafka-console-consumer.sh",
            "kafka_2.13-3.9.0/bin/kafka-console-producer.sh",
            "kafka_2.13-3.9.0/bin/kafka-run-class.sh",
            "kafka_2.13-3.9.0/bin/kafka-server-start.sh",
            "kafka_2.13-3.9.0/bin/kafka-storage.sh",
            "kafka_2.13-3.9.0/bin/kafka-topics.sh",
            "kafka_2.13-3.9.0/config/",
            "kafka_2.13-3.9.0/config/log4j.properties",
            "kafka_2.13-3.9.0/config/server.properties",
            "kafka_2.13-3.9.0/config/tools-log4j.properties",
            "kafka_2.13-3.9.0/libs/",
            "kafka_2.13-3.9.0/libs/kafka_2.13-3.9.0.jar",
        ]
    );
}

#[test]
fn unsupported_version_is_refused_with_help() {
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fake-kafka/build.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(out.path())
        .arg("2.8.1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: unsupported fixture version `2.8.1`\n\
         help: use a Kafka version from 3.7.0 to 4.x (log4j 1 layout for 3.x, log4j2 for 4.x)\n"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing was written"
    );
}
