//! `kafka-entrypoint run` against the FIXTURE Kafka distribution (not Apache Kafka, see
//! `fixtures/fake-kafka/README.md`), only for what real Kafka cannot show: the script launch mode
//! (`KAFKA_ENTRYPOINT_LAUNCH=script`: real distributions assembled from Maven Central have no
//! `bin/`), a storage tool that fails on demand, and the checks that stop `run` before any JVM.
//! Everything a real broker can show is in `run_real_kafka.rs`.

mod run_fixture;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use run_fixture::{Sandbox, strings, wait_output};

/// `KAFKA_OPTS`-less JVM arguments: what `kafka-run-class.sh` makes of the launcher variables.
fn expected_jvm_args(sandbox: &Sandbox) -> Vec<String> {
    let logs = sandbox.path("logs");
    let final_dir = sandbox.path("final");
    vec![
        "-Xmx64m".to_owned(),
        "-XX:+UseG1GC".to_owned(),
        "-XX:MaxGCPauseMillis=20".to_owned(),
        "-XX:InitiatingHeapOccupancyPercent=35".to_owned(),
        "-XX:+ExplicitGCInvokesConcurrent".to_owned(),
        "-XX:MaxInlineLevel=15".to_owned(),
        "-Djava.awt.headless=true".to_owned(),
        format!(
            "-Xlog:gc*:file={}/kafkaServer-gc.log:time,tags:filecount=10,filesize=100M",
            logs.display()
        ),
        "-Dcom.sun.management.jmxremote=true".to_owned(),
        "-Dcom.sun.management.jmxremote.authenticate=false".to_owned(),
        "-Dcom.sun.management.jmxremote.ssl=false".to_owned(),
        format!("-Dkafka.logs.dir={}", logs.display()),
        format!(
            "-Dlog4j2.configurationFile=file:{}/log4j2.yaml",
            final_dir.display()
        ),
    ]
}

#[test]
fn run_execs_kafka_server_start_with_the_launcher_environment() {
    let sandbox = Sandbox::new();
    let (output, pid) = sandbox.run_once(&[], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let records = sandbox.records();
    assert_eq!(
        records.len(),
        1,
        "exactly one fixture program ran: {records:#?}"
    );
    let kafka = &records[0];
    assert_eq!(kafka["main"], "kafka.Kafka");
    assert_eq!(
        strings(&kafka["args"]),
        [sandbox
            .path("final/server.properties")
            .display()
            .to_string()]
    );
    assert_eq!(strings(&kafka["jvm_args"]), expected_jvm_args(&sandbox));
    assert_eq!(
        kafka["class_path"],
        format!(
            "{}/bin/../libs/kafka_2.13-4.1.0.jar",
            sandbox.kafka_home.display()
        )
    );
    let env = &kafka["env"];
    assert_eq!(
        env["KAFKA_JMX_OPTS"],
        "-Dcom.sun.management.jmxremote=true -Dcom.sun.management.jmxremote.authenticate=false \
         -Dcom.sun.management.jmxremote.ssl=false"
    );
    assert_eq!(env["LOG_DIR"], sandbox.path("logs").display().to_string());
    assert!(
        env.get("KAFKA_OPTS").is_none(),
        "no archive, no KAFKA_OPTS: {env:#}"
    );
    assert!(
        env.get("JMX_PORT").is_none(),
        "no KAFKA_JMX_PORT, no JMX_PORT: {env:#}"
    );

    // The scripts ran in the entrypoint's own process: kafka-server-start.sh, then
    // kafka-run-class.sh with the defaults of kafka-server-start.sh.
    assert_eq!(
        fs::read_to_string(sandbox.path("records/scripts.log")).unwrap(),
        format!(
            "kafka-server-start.sh pid={pid} [{config}]\n\
             kafka-run-class.sh pid={pid} [-name] [kafkaServer] [-loggc] [kafka.Kafka] [{config}]\n",
            config = sandbox.path("final/server.properties").display()
        )
    );
}

#[test]
fn kafka_3x_distribution_gets_its_log4j_properties() {
    let sandbox = Sandbox::with_version("3.9.0");
    let (output, _) = sandbox.run_once(&[], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kafka = &sandbox.records_of("kafka.Kafka")[0];
    let mut expected = expected_jvm_args(&sandbox);
    *expected.last_mut().unwrap() = format!(
        "-Dlog4j.configuration=file:{}/log4j.properties",
        sandbox.path("final").display()
    );
    assert_eq!(strings(&kafka["jvm_args"]), expected);
    assert_eq!(
        kafka["class_path"],
        format!(
            "{}/bin/../libs/kafka_2.13-3.9.0.jar",
            sandbox.kafka_home.display()
        )
    );
}

#[test]
fn a_failing_storage_tool_passes_its_exit_code_on_and_kafka_never_starts() {
    // The fixture's storage tool exits with FAKE_KAFKA_EXIT_CODE after recording its arguments: a
    // controllable child, which real Kafka's tool is not.
    let sandbox = Sandbox::new();
    let child = sandbox
        .run_command(&["--storage-format", "kafka-storage"], &[])
        .env("FAKE_KAFKA_STORAGE_EXIT_CODE", "37")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(37), "{stderr}");
    assert!(
        stderr.contains("Kafka's storage tool (`kafka.tools.StorageTool`) exited with code 37"),
        "{stderr}"
    );
    let storage = &sandbox.records_of("kafka.tools.StorageTool")[0];
    assert_eq!(strings(&storage["args"])[0], "format");
    assert!(
        sandbox.records_of("kafka.Kafka").is_empty(),
        "Kafka never started"
    );
}

#[test]
fn cds_train_passes_a_failing_tools_exit_code_on() {
    // Issue 10: `cds-train` exited 1 whatever its child did. The fixture's storage tool (the
    // first tool `cds-train` runs) exits 37 on demand, which real Kafka's tool does not.
    let sandbox = Sandbox::new();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .arg("cds-train")
        .arg("--archive")
        .arg(sandbox.path("kafka.jsa"))
        .arg("--kafka-home")
        .arg(&sandbox.kafka_home)
        .arg("--config")
        .arg(sandbox.path("defaults/server.properties"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("FAKE_KAFKA_RECORD_DIR", sandbox.path("records"))
        .env("LOG_DIR", sandbox.path("logs"))
        .env("KAFKA_HEAP_OPTS", "-Xmx64m")
        .env("FAKE_KAFKA_STORAGE_EXIT_CODE", "37")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(37), "{stderr}");
    assert!(stderr.contains("exited with code 37"), "{stderr}");
    assert!(!sandbox.path("kafka.jsa").exists(), "no archive is left");
}

#[test]
fn sigterm_during_the_storage_fallback_ends_run_with_143() {
    let sandbox = Sandbox::new();
    let child = sandbox
        .run_command(&["--storage-format", "kafka-storage"], &[])
        .env("FAKE_KAFKA_STORAGE_HANG", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sandbox.wait_for_record("kafka.tools.StorageTool.hanging");
    // `docker stop` sends SIGTERM to the entrypoint (PID 1), which forwards it to the tool.
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let output = wait_output(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(
        sandbox.records_of("kafka.Kafka").is_empty(),
        "Kafka never started"
    );
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn cluster_id_mismatch_is_an_error_that_touches_nothing() {
    let sandbox = Sandbox::new();
    let first_id = "MkU3OEVBNTcwNTJENDM2Qg";
    let other_id = "4L6g3nShT-eMCtK--X86sw";
    let (first, _) = sandbox.run_once(&[], &[("CLUSTER_ID", first_id)]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let formatted = snapshot(&sandbox.path("data"));

    let (second, _) = sandbox.run_once(&[], &[("CLUSTER_ID", other_id)]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: KRaft storage was not prepared\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(first_id) && stderr.contains(other_id),
        "names both ids: {stderr}"
    );
    assert_eq!(
        snapshot(&sandbox.path("data")),
        formatted,
        "the data directory is unchanged"
    );
    assert_eq!(
        sandbox.records_of("kafka.Kafka").len(),
        1,
        "Kafka did not start again"
    );
}

#[test]
fn bad_config_exits_2_before_any_jvm() {
    let sandbox = Sandbox::new();
    let (output, _) = sandbox.run_once(&[], &[("KAFKA_NODE_ID", "one")]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(sandbox.records().is_empty(), "no JVM ran");
    assert!(
        !sandbox.path("data/meta.properties").exists(),
        "nothing was formatted"
    );
}

#[test]
fn a_bad_launch_or_storage_variable_exits_2_naming_it_before_anything_is_written() {
    for (name, value, choices) in [
        ("KAFKA_ENTRYPOINT_LAUNCH", "shell", "`native`, `script`"),
        (
            "KAFKA_ENTRYPOINT_STORAGE_FORMAT",
            "kafka_storage",
            "`native`, `kafka-storage`",
        ),
    ] {
        let sandbox = Sandbox::new();
        let (output, _) = sandbox.run_once(&[], &[(name, value)]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "error: `{name}` is `{value}`, which is not one of {choices}\nhelp: set `{name}`"
            )),
            "{stderr}"
        );
        assert!(sandbox.records().is_empty(), "no JVM ran");
        assert_eq!(
            std::fs::read_dir(sandbox.path("final")).unwrap().count(),
            0,
            "no config was written"
        );
    }
}

#[test]
fn missing_java_exits_127_naming_it() {
    let sandbox = Sandbox::new();
    let (output, _) = sandbox.run_once(
        &[],
        &[
            ("KAFKA_ENTRYPOINT_LAUNCH", "native"),
            ("JAVA_HOME", "/nonexistent-jdk"),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(127), "{stderr}");
    let last_lines: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.starts_with("error:"))
        .collect();
    assert_eq!(
        last_lines,
        [
            "error: failed to start Kafka (`/nonexistent-jdk/bin/java`)",
            "",
            "Caused by:",
            "  failed to execute `/nonexistent-jdk/bin/java`",
            "  No such file or directory (os error 2)",
            "help: `java` must be on `PATH`, or `JAVA_HOME` must name a JDK or JRE",
        ]
    );
}
