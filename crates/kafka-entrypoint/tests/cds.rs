//! `kafka-entrypoint cds-train` on the real JVM against the FIXTURE Kafka distribution (not Apache
//! Kafka: its CLI tools talk to no broker, see `fixtures/fake-kafka/README.md`): the archive is
//! written, and a later `run` maps it, so the JVM loads Kafka's classes from it.

mod run_fixture;

use std::fs;
use std::process::{Command, Stdio};

use run_fixture::{Sandbox, strings, wait_output};

/// A single combined node on free loopback ports whose `log.dirs` must never be touched.
fn training_config(sandbox: &Sandbox) -> std::path::PathBuf {
    let path = sandbox.path("train.properties");
    fs::write(
        &path,
        format!(
            "process.roles=broker,controller\nnode.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{c}\n\
             listeners=PLAINTEXT://127.0.0.1:{b},CONTROLLER://127.0.0.1:{c}\n\
             controller.listener.names=CONTROLLER\n\
             listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n\
             log.dirs={}\n",
            sandbox.path("image-data").display(),
            b = sandbox.broker_port,
            c = sandbox.controller_port,
        ),
    )
    .unwrap();
    path
}

fn cds_train(sandbox: &Sandbox, config: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"));
    command
        .arg("cds-train")
        .arg("--archive")
        .arg(sandbox.path("kafka.jsa"))
        .arg("--kafka-home")
        .arg(&sandbox.kafka_home)
        .arg("--config")
        .arg(config)
        .arg("--bootstrap-server")
        .arg(format!("127.0.0.1:{}", sandbox.broker_port))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("FAKE_KAFKA_RECORD_DIR", sandbox.path("records"))
        .env("KAFKA_HEAP_OPTS", "-Xmx64m")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn cds_train_writes_an_archive_that_run_then_maps() {
    let sandbox = Sandbox::new();
    let config = training_config(&sandbox);
    let output = wait_output(cds_train(&sandbox, &config).spawn().unwrap());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let archive = sandbox.path("kafka.jsa");
    let size = fs::metadata(&archive).unwrap().len();
    assert!(size > 0, "the archive is not empty");
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
            "cds-train: formatting scratch storage with `kafka-storage.sh format`".to_owned(),
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

    let records = sandbox.records();
    let mains: Vec<&str> = records
        .iter()
        .map(|r| r["main"].as_str().unwrap())
        .collect();
    assert_eq!(
        mains,
        [
            "kafka.tools.StorageTool",
            "kafka.Kafka",
            "org.apache.kafka.tools.TopicCommand",
            "org.apache.kafka.tools.ConsoleProducer",
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
        ]
    );
    let kafka = &records[1];
    assert!(
        strings(&kafka["jvm_args"])
            .contains(&format!("-XX:ArchiveClassesAtExit={}", archive.display())),
        "{kafka:#}"
    );
    let bootstrap = format!("127.0.0.1:{}", sandbox.broker_port);
    assert_eq!(
        strings(&records[2]["args"]),
        [
            "--create",
            "--topic",
            "cds-train",
            "--bootstrap-server",
            bootstrap.as_str()
        ]
    );
    let producer_pid = records[3]["pid"].as_u64().unwrap();
    assert_eq!(
        sandbox.wait_for_record(&format!(
            "org.apache.kafka.tools.ConsoleProducer-{producer_pid}.produced"
        )),
        "300\n"
    );
    assert_eq!(
        strings(&records[4]["args"]),
        [
            "--topic",
            "cds-train",
            "--from-beginning",
            "--bootstrap-server",
            bootstrap.as_str(),
            "--max-messages",
            "300",
            "--timeout-ms",
            "60000",
        ]
    );
    let kafka_pid = kafka["pid"].as_u64().unwrap();
    assert_eq!(
        sandbox.wait_for_record(&format!("kafka.Kafka-{kafka_pid}.shutdown")),
        "shutdown hook ran\n",
        "the broker was stopped with SIGTERM and ran its shutdown hooks"
    );
    assert!(
        !sandbox.path("image-data").exists(),
        "training data stayed out of `log.dirs`"
    );

    // A later start maps the archive: Kafka's own classes come from it.
    let (run, _) = sandbox.run_once(&[], &[("KAFKA_OPTS", "-Xlog:class+load=info")]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let kafka_class: Vec<&str> = stdout
        .lines()
        .filter(|line| line.ends_with(" kafka.Kafka source: shared objects file (top)"))
        .collect();
    assert_eq!(
        kafka_class.len(),
        1,
        "kafka.Kafka is loaded from the archive:\n{stdout}"
    );
}

#[test]
fn cds_train_with_a_broker_that_dies_fails_and_leaves_no_archive() {
    let sandbox = Sandbox::new();
    let config = sandbox.path("bad.properties");
    // 256.0.0.1 is no address: the broker cannot bind and exits 1 (after the JVM, writing an
    // archive at exit, which must not be kept).
    fs::write(
        &config,
        format!(
            "process.roles=broker,controller\nnode.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{c}\n\
             listeners=PLAINTEXT://256.0.0.1:{b},CONTROLLER://127.0.0.1:{c}\n\
             controller.listener.names=CONTROLLER\n\
             log.dirs={}\n",
            sandbox.path("image-data").display(),
            b = sandbox.broker_port,
            c = sandbox.controller_port,
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
            "  Kafka exited with code 1 before answering its health check; see its output above",
        ]
    );
    assert!(
        !sandbox.path("kafka.jsa").exists(),
        "no archive is left behind"
    );
}

#[test]
fn cds_train_without_its_config_names_the_file() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path("missing.properties");
    let output = wait_output(cds_train(&sandbox, &missing).spawn().unwrap());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: CDS training failed; no archive was made\n\nCaused by:\n  failed to read `{}`\n  \
             No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    assert!(sandbox.records().is_empty(), "no JVM ran");
}
