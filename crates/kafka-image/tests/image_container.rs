//! Real containers of the image built from REAL Kafka (assembled from Maven Central; `ci/test`
//! builds it and names it in `KAFKA_IMAGE_TEST_IMAGE`): zero-config start turns healthy with the
//! JVM as PID 1 and uid 1000, a restart keeps the data volume, and bad configuration fails at
//! once. Environment, mounted files and SSL secrets (with real keystores) are the sanity suite's
//! `env_config`, `file_input`, `env_over_file` and `ssl_produce_consume`; `docker stop` is its
//! `docker_stop_is_clean`.
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
