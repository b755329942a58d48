//! `kafka-entrypoint cds-train` on REAL Apache Kafka (the primary version, assembled from Maven
//! Central, no `bin/`): Kafka's own tool classes create a topic, produce and consume through the
//! broker, the archive is written, and a later `run` maps it, so the JVM loads Kafka's classes
//! from it; a broker that cannot start fails the training with its exit code and leaves no
//! archive.

mod real_kafka;

use std::fs;
use std::process::{Command, Stdio};

use real_kafka::{Broker, Sandbox, free_port, jmx_exporter_agent, primary_version, wait_output};

/// A single combined node on the sandbox's free loopback ports whose `log.dirs` must never be
/// touched (training data goes to a scratch directory).
fn training_config(sandbox: &Sandbox) -> std::path::PathBuf {
    let path = sandbox.path("train.properties");
    fs::write(
        &path,
        sandbox.server_properties().replace(
            &sandbox.path("data").display().to_string(),
            &sandbox.path("image-data").display().to_string(),
        ),
    )
    .unwrap();
    path
}

fn cds_train(sandbox: &Sandbox, config: &std::path::Path) -> Command {
    cds_train_into(sandbox, config, "kafka.jsa")
}

/// `cds-train` writing the archive (or, named `*.aot`, the AOT cache) `name` in the sandbox.
fn cds_train_into(sandbox: &Sandbox, config: &std::path::Path, name: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"));
    command
        .arg("cds-train")
        .arg("--archive")
        .arg(sandbox.path(name))
        .arg("--kafka-home")
        .arg(&sandbox.kafka_home)
        .arg("--config")
        .arg(config)
        .arg("--bootstrap-server")
        .arg(sandbox.bootstrap())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("KAFKA_HEAP_OPTS", "-Xmx256m")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn cds_train_writes_an_archive_that_run_then_maps() {
    let sandbox = Sandbox::new(primary_version());
    let config = training_config(&sandbox);
    let output = wait_output(cds_train(&sandbox, &config).spawn().unwrap());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let archive = sandbox.path("kafka.jsa");
    let size = fs::metadata(&archive).unwrap().len();
    assert!(
        size > 1_000_000,
        "a real broker's archive holds thousands of classes: {size}"
    );
    let progress: Vec<String> = stderr
        .lines()
        .filter(|line| line.starts_with("cds-train: "))
        .map(|line| {
            if line.starts_with("cds-train: Kafka answered ApiVersions after ") {
                "cds-train: Kafka answered ApiVersions after [TIME]".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert_eq!(
        progress,
        [
            "cds-train: formatting scratch storage with Kafka's storage tool".to_owned(),
            format!(
                "cds-train: starting Kafka with `-XX:ArchiveClassesAtExit={}`",
                archive.display()
            ),
            "cds-train: Kafka answered ApiVersions after [TIME]".to_owned(),
            "cds-train: created topic `cds-train`".to_owned(),
            "cds-train: produced 300 records".to_owned(),
            "cds-train: consumed from `cds-train`".to_owned(),
            "cds-train: stopping Kafka (SIGTERM)".to_owned(),
            "cds-train: Kafka exited with code 143".to_owned(),
            format!("cds-train: wrote `{}` ({size} bytes)", archive.display()),
        ]
    );
    assert!(
        !sandbox.path("image-data").exists(),
        "training data stayed out of `log.dirs`"
    );

    // A later start maps the archive: Kafka's own classes come from it.
    let class_log = sandbox.path("class-load.log");
    let kafka_opts = format!("-Xlog:class+load=info:file={}", class_log.display());
    let mut broker = sandbox.start("with-archive", &[("KAFKA_OPTS", kafka_opts.as_str())]);
    broker.wait_started();
    broker.stop();
    let loaded = fs::read_to_string(&class_log).unwrap();
    let shared = loaded
        .lines()
        .filter(|line| line.contains("source: shared objects file (top)"))
        .count();
    assert!(
        loaded
            .lines()
            .any(|line| line.ends_with(" kafka.Kafka source: shared objects file (top)")),
        "kafka.Kafka is loaded from the archive"
    );
    assert!(
        shared > 2_000,
        "thousands of Kafka's classes come from the archive, not {shared}"
    );
    assert_trained_with_log4j_config(&stderr, &loaded);
}

/// A JDK 25 (AOT cache, JEP 483/514): `KAFKA_IMAGE_TEST_JDK25` (ci/test sets it), else the
/// machine's Temurin 25.
fn jdk25() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("KAFKA_IMAGE_TEST_JDK25") {
        return home.into();
    }
    let default = std::path::PathBuf::from("/usr/lib/jvm/temurin-25-jdk-amd64");
    assert!(
        default.join("bin/java").is_file(),
        "the AOT cache test needs a JDK 25: set KAFKA_IMAGE_TEST_JDK25 to its home"
    );
    default
}

#[test]
fn cds_train_on_jdk_25_writes_an_aot_cache_that_run_then_maps() {
    let mut sandbox = Sandbox::new(primary_version());
    let config = training_config(&sandbox);
    let jdk = jdk25();
    let output = wait_output(
        cds_train_into(&sandbox, &config, "kafka.aot")
            .env("JAVA_HOME", &jdk)
            .spawn()
            .unwrap(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let cache = sandbox.path("kafka.aot");
    assert!(
        stderr.contains(&format!(
            "cds-train: starting Kafka with `-XX:AOTCacheOutput={}`",
            cache.display()
        )),
        "{stderr}"
    );
    assert!(fs::metadata(&cache).unwrap().len() > 1_000_000);

    // `run` finds `KAFKA_HOME/kafka.aot` by default; here it is given, as the distribution is
    // shared by the tests. Kafka's classes come from the cache.
    sandbox.cds_archive = cache.clone();
    let class_log = sandbox.path("class-load.log");
    let kafka_opts = format!("-Xlog:class+load=info:file={}", class_log.display());
    let mut broker = sandbox.start(
        "aot",
        &[
            ("JAVA_HOME", jdk.to_str().unwrap()),
            ("KAFKA_OPTS", kafka_opts.as_str()),
        ],
    );
    broker.wait_started();
    assert!(
        real_kafka::cmdline(broker.pid).contains(&format!("-XX:AOTCache={}", cache.display())),
        "the cache is mapped with -XX:AOTCache"
    );
    broker.stop();
    let loaded = fs::read_to_string(&class_log).unwrap();
    let shared = classes_from_the_cache(&loaded);
    assert!(
        shared > 2_000,
        "thousands of classes come from the AOT cache, not {shared}"
    );
    assert_trained_with_log4j_config(&stderr, &loaded);

    // JDK 25 refuses a whole AOT cache when the modules the JVM adds by itself differ from
    // training's: `jdk.management.agent` comes with upstream's default `KAFKA_JMX_OPTS`,
    // `java.instrument` with a Java agent. Without the JMX agent, and with the Prometheus
    // exporter on, the cache is still mapped.
    fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docker/config/jmx-exporter.yml"),
        sandbox.path("defaults/jmx-exporter.yml"),
    )
    .unwrap();
    let metrics_port = free_port().to_string();
    for (name, var) in [
        (
            "aot-no-jmx-agent",
            ("KAFKA_JMX_OPTS", "-Dkafka.image.test=no-jmx-agent"),
        ),
        (
            "aot-metrics",
            ("KAFKA_ENTRYPOINT_METRICS_PORT", metrics_port.as_str()),
        ),
    ] {
        let class_log = sandbox.path(&format!("{name}-class-load.log"));
        let kafka_opts = format!("-Xlog:class+load=info:file={}", class_log.display());
        let mut command = sandbox.run_command(&[
            ("JAVA_HOME", jdk.to_str().unwrap()),
            ("KAFKA_OPTS", kafka_opts.as_str()),
            var,
        ]);
        command.arg("--metrics-agent").arg(jmx_exporter_agent());
        let mut broker = Broker::spawn(command, sandbox.path(&format!("{name}.log")));
        broker.wait_started();
        let argv = real_kafka::cmdline(broker.pid);
        broker.stop();
        let output = broker.output();
        assert!(
            !output.contains("[error][aot]"),
            "{name}: the JVM refused the AOT cache: {output}"
        );
        let shared = classes_from_the_cache(&fs::read_to_string(&class_log).unwrap());
        assert!(
            shared > 2_000,
            "{name}: classes come from the AOT cache, not {shared}; argv {argv:?}"
        );
    }
}

/// How many classes a `-Xlog:class+load` log says came from the AOT cache.
fn classes_from_the_cache(class_load_log: &str) -> usize {
    class_load_log
        .lines()
        .filter(|line| line.contains("source: shared objects file"))
        .count()
}

/// Training ran the broker with its log4j file, as `run` does: log4j never reported a missing
/// configuration, and the class that reads Kafka 4's `log4j2.yaml` comes from the archive.
fn assert_trained_with_log4j_config(training_stderr: &str, class_load_log: &str) {
    assert!(
        !training_stderr.contains("No configuration found"),
        "the training broker found its log4j file: {training_stderr}"
    );
    assert!(
        class_load_log.lines().any(|line| line.contains(
            " org.apache.logging.log4j.core.config.yaml.YamlConfiguration source: shared objects file"
        )),
        "log4j's YAML configuration is loaded from the archive"
    );
}

#[test]
fn cds_train_with_a_broker_that_dies_fails_and_leaves_no_archive() {
    let sandbox = Sandbox::new(primary_version());
    let config = sandbox.path("bad.properties");
    // 256.0.0.1 is no address: the broker cannot start and exits 1 (after the JVM, writing an
    // archive at exit, which must not be kept).
    let good = fs::read_to_string(training_config(&sandbox)).unwrap();
    fs::write(
        &config,
        good.replace(
            &format!("PLAINTEXT://127.0.0.1:{}", sandbox.broker_port),
            &format!("PLAINTEXT://256.0.0.1:{}", sandbox.broker_port),
        ),
    )
    .unwrap();
    let output = wait_output(cds_train(&sandbox, &config).spawn().unwrap());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let error: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.starts_with("error:"))
        .collect();
    assert_eq!(
        error,
        [
            "error: CDS training failed; no archive was made",
            "",
            "Caused by:",
            "  Kafka exited before answering its health check",
            "  Kafka exited with code 1; see its output above",
        ]
    );
    assert!(
        !sandbox.path("kafka.jsa").exists(),
        "no archive is left behind"
    );
}

#[test]
fn cds_train_without_its_config_names_the_file() {
    let sandbox = Sandbox::new(primary_version());
    let missing = sandbox.path("missing.properties");
    let output = wait_output(cds_train(&sandbox, &missing).spawn().unwrap());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: CDS training failed; no archive was made\n\nCaused by:\n  failed to read `{}`: it \
             does not exist\n",
            missing.display()
        )
    );
}
