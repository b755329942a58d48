//! The known-config data against REAL Kafka: for every supported version (assembled from Maven
//! Central, found under `KAFKA_DISTS_DIR`), what `kafka.server.KafkaConfig.configDef()` declares
//! (`scripts/dump-kafka-configdef`, jshell on the distribution's jars) is in
//! `data/kafka-configdef.txt`, so every config the broker knows is a known name and every
//! `PASSWORD` config is masked.
#![allow(
    clippy::disallowed_methods,
    reason = "a whole-program test: it reads the environment and runs jshell, which the pure crate itself never does"
)]

use std::path::Path;
use std::process::Command;

fn supported_versions() -> Vec<&'static str> {
    include_str!("../../../dist/kafka-versions.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

#[test]
fn every_config_real_kafka_declares_is_known_and_its_passwords_are_masked() {
    let dists = std::env::var_os("KAFKA_DISTS_DIR").expect(
        "KAFKA_DISTS_DIR must name the directory holding kafka_2.13-<version>/ (ci/test sets it)",
    );
    let committed = include_str!("../data/kafka-configdef.txt");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dump-kafka-configdef");
    for version in supported_versions() {
        let home = Path::new(&dists).join(format!("kafka_2.13-{version}"));
        let output = Command::new(&script)
            .arg(&home)
            .output()
            .expect("run the dump");
        assert!(
            output.status.success(),
            "{}: {}",
            home.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let dump = String::from_utf8(output.stdout).expect("UTF-8");
        let rows: Vec<&str> = dump.lines().collect();
        assert!(
            rows.len() > 300,
            "Kafka {version} declared only {} configs",
            rows.len()
        );
        for row in &rows {
            assert!(
                committed.lines().any(|line| line == *row),
                "Kafka {version} declares `{row}`, which data/kafka-configdef.txt lacks: \
                 regenerate it (see its header)"
            );
            let (name, kind) = row.split_once('\t').expect("name<TAB>type");
            assert!(kafka_config::catalog::is_known(name), "{name}");
            if kind == "PASSWORD" {
                assert_eq!(
                    kafka_config::catalog::declares_password(name),
                    Some(true),
                    "{name}"
                );
            }
        }
        eprintln!("Kafka {version}: {} configs, all known", rows.len());
    }
}
