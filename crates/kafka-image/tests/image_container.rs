//! Real containers of the image built from REAL Kafka (assembled from Maven Central; `ci/test`
//! builds it and names it in `KAFKA_IMAGE_TEST_IMAGE`): zero-config start turns healthy with the
//! JVM as PID 1 and uid 1000, configuration from the environment, mounted files and secrets
//! reaches the final config, a restart keeps the data volume, and bad configuration fails at
//! once. `docker stop` is the sanity suite's `docker_stop_is_clean`.
//!
//! `#[ignore = "needs Docker"]`: `ci/test` runs them with `--include-ignored`. Each container is
//! removed by its `Container` guard.

mod image_support;
mod real_image;

use std::time::{Duration, Instant};

use image_support::*;

/// A valid cluster id (a base64url UUID, as `kafka-storage.sh random-uuid` prints).
const CLUSTER_ID: &str = "5L6g3nShT-eMCtK--X86sw";
/// How long a fixture broker may take to turn healthy on a busy two-core machine.
const HEALTHY_TIMEOUT: Duration = Duration::from_secs(120);

#[test]
#[ignore = "needs Docker"]
fn zero_config_start_turns_healthy_and_runs_kafka_as_uid_1000() {
    let image = real_image::real_test_image();
    let image = image.as_str();
    let started = Instant::now();
    let container = Container::start(&[], image, &[]);
    container.wait_healthy(HEALTHY_TIMEOUT);
    eprintln!(
        "figure: `docker run` to healthy with the image's HEALTHCHECK (interval 5s): {:.1}s",
        started.elapsed().as_secs_f64()
    );
    // After `run` execs, PID 1 is Kafka's JVM, running as appuser.
    assert_eq!(container.exec(&["cat", "/proc/1/comm"]), "java");
    let uids = container.exec(&["grep", "^Uid:", "/proc/1/status"]);
    assert_eq!(
        uids.split_whitespace().collect::<Vec<_>>(),
        ["Uid:", "1000", "1000", "1000", "1000"]
    );
    assert_eq!(container.exec(&["id", "-u"]), "1000");
    // The defaults made the final config, and storage went to the data volume.
    let config = container.exec(&["cat", "/opt/kafka/config/server.properties"]);
    assert!(config.contains("log.dirs=/var/lib/kafka/data"), "{config}");
    let meta = container.exec(&["cat", "/var/lib/kafka/data/meta.properties"]);
    assert!(meta.contains("cluster.id="), "{meta}");
}

#[test]
#[ignore = "needs Docker"]
fn time_to_healthy_with_a_one_second_probe() {
    let image = real_image::real_test_image();
    let image = image.as_str();
    let started = Instant::now();
    let container = Container::start(&["--health-interval", "1s"], image, &[]);
    container.wait_healthy(HEALTHY_TIMEOUT);
    let elapsed = started.elapsed();
    eprintln!(
        "figure: `docker run` to healthy with a 1s probe: {:.1}s",
        elapsed.as_secs_f64()
    );
    assert!(elapsed < HEALTHY_TIMEOUT);
}

#[test]
#[ignore = "needs Docker"]
fn env_mounted_files_and_secrets_reach_the_final_config() {
    let image = real_image::real_test_image();
    let image = image.as_str();
    let mounted = mount_dir(&[
        (
            "server.properties",
            "# mounted by the image test\n\
             process.roles=broker,controller\n\
             node.id=1\n\
             controller.quorum.voters=1@localhost:9093\n\
             controller.listener.names=CONTROLLER\n\
             listeners=PLAINTEXT://:9092,CONTROLLER://:9093,SSL://:9094\n\
             advertised.listeners=PLAINTEXT://localhost:9092,SSL://localhost:9094\n\
             listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL\n\
             inter.broker.listener.name=PLAINTEXT\n\
             log.dirs=/var/lib/kafka/data\n\
             log.retention.hours=5\n\
             num.partitions=1\n\
             offsets.topic.replication.factor=1\n",
        ),
        ("client.properties", "acks=all\n"),
    ]);
    let secrets = mount_dir(&[
        ("kafka.keystore.jks", "FIXTURE keystore bytes"),
        ("keystore_creds", "storepass-test-7\n"),
        ("key_creds", "keypass-test-7\n"),
    ]);
    let config_mount = format!("{}:/mnt/shared/config:ro", mounted.path().display());
    let secrets_mount = format!("{}:/etc/kafka/secrets:ro", secrets.path().display());
    let container = Container::start(
        &[
            "-v",
            &config_mount,
            "-v",
            &secrets_mount,
            "-e",
            &format!("CLUSTER_ID={CLUSTER_ID}"),
            "-e",
            "KAFKA_NUM_PARTITIONS=3",
            "-e",
            "KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://localhost:9092,SSL://localhost:9094",
            "-e",
            "KAFKA_SSL_KEYSTORE_FILENAME=kafka.keystore.jks",
            "-e",
            "KAFKA_SSL_KEYSTORE_CREDENTIALS=keystore_creds",
            "-e",
            "KAFKA_SSL_KEY_CREDENTIALS=key_creds",
        ],
        image,
        &[],
    );
    container.wait_healthy(HEALTHY_TIMEOUT);
    let config = container.exec(&["cat", "/opt/kafka/config/server.properties"]);
    let lines: Vec<&str> = config.lines().collect();
    for expected in [
        "num.partitions=3",
        "log.retention.hours=5",
        "ssl.keystore.location=/etc/kafka/secrets/kafka.keystore.jks",
        "ssl.keystore.password=storepass-test-7",
        "ssl.key.password=keypass-test-7",
    ] {
        assert!(
            lines.contains(&expected),
            "final config lacks `{expected}`:\n{config}"
        );
    }
    assert!(
        !lines.contains(&"num.partitions=1"),
        "the mounted value was not replaced:\n{config}"
    );
    assert_eq!(
        container.exec(&["cat", "/opt/kafka/config/client.properties"]),
        "acks=all"
    );
    let logs = container.logs();
    assert!(
        !logs.contains("storepass-test-7") && !logs.contains("keypass-test-7"),
        "a secret reached the logs:\n{logs}"
    );
}

#[test]
#[ignore = "needs Docker"]
fn restart_keeps_the_data_volume_and_does_not_reformat() {
    let image = real_image::real_test_image();
    let image = image.as_str();
    let container = Container::start(&[], image, &[]);
    container.wait_healthy(HEALTHY_TIMEOUT);
    let meta_before = container.exec(&["cat", "/var/lib/kafka/data/meta.properties"]);
    container.exec(&["touch", "/var/lib/kafka/data/written-before-restart"]);

    docker(&["restart", "-t", "30", &container.id]);
    container.wait_healthy(HEALTHY_TIMEOUT);
    let meta_after = container.exec(&["cat", "/var/lib/kafka/data/meta.properties"]);
    // A reformat would write a new `directory.id`, so equal files mean the directory was kept.
    assert_eq!(meta_before, meta_after);
    container.exec(&["test", "-f", "/var/lib/kafka/data/written-before-restart"]);
    assert_eq!(
        container.inspect("{{.RestartCount}}"),
        "0",
        "restarted by policy, not by the test"
    );
}

#[test]
#[ignore = "needs Docker"]
fn bad_config_exits_at_once_with_the_error_in_the_logs() {
    let image = real_image::real_test_image();
    let image = image.as_str();
    let started = Instant::now();
    let container = Container::start(
        &[
            "-e",
            &format!("CLUSTER_ID={CLUSTER_ID}"),
            "-e",
            "KAFKA_NODE_ID=abc",
        ],
        image,
        &[],
    );
    let code = container.wait_exited(Duration::from_secs(30));
    let took = started.elapsed();
    let logs = container.logs();
    assert_eq!(code, 2, "exit code for bad configuration; logs:\n{logs}");
    assert!(took < Duration::from_secs(10), "took {took:?} to fail");
    let first = logs.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: ") && first.contains("`KAFKA_NODE_ID`"),
        "logs:\n{logs}"
    );
    assert!(logs.contains("help: "), "logs:\n{logs}");
    assert!(
        !logs.contains("FIXTURE fake-kafka"),
        "Kafka was started despite the bad config:\n{logs}"
    );
}
