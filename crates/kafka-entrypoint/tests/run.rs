//! `kafka-entrypoint run` against the FIXTURE Kafka distribution (not Apache Kafka, see
//! `fixtures/fake-kafka/README.md`): the exact launch command and environment, one JVM with native
//! storage, no reformatting on restart, the cluster-id mismatch error, and the exec that leaves
//! Kafka as the process that receives SIGTERM.

mod run_fixture;

use std::fs;
use std::os::unix::fs::PermissionsExt;
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
fn run_replaces_itself_with_kafka_which_turns_healthy_and_gets_sigterm() {
    let sandbox = Sandbox::new();
    let child = sandbox
        .run_command(&[], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let listening = sandbox.wait_for_record(&format!("kafka.Kafka-{pid}.listening"));
    assert_eq!(
        listening,
        format!(
            "PLAINTEXT 127.0.0.1 {}\nCONTROLLER 127.0.0.1 {}\n",
            sandbox.broker_port, sandbox.controller_port
        )
    );
    // The image's health check passes against it.
    let health = std::process::Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .arg("health")
        .arg("--config")
        .arg(sandbox.path("final/server.properties"))
        .output()
        .unwrap();
    assert_eq!(
        health.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
    // The process we started *is* the JVM now: SIGTERM to it runs Kafka's shutdown hooks.
    kill(Pid::from_raw(pid as i32), Signal::SIGTERM).unwrap();
    let output = wait_output(child);
    assert_eq!(
        output.status.code(),
        Some(143),
        "a JVM stopped by SIGTERM exits 143"
    );
    assert_eq!(
        fs::read_to_string(sandbox.path(&format!("records/kafka.Kafka-{pid}.shutdown"))).unwrap(),
        "shutdown hook ran\n"
    );
}

/// A `JAVA_HOME` whose `bin/java` logs every JVM start (its arguments) and then runs the real one.
fn counting_java_home(sandbox: &Sandbox) -> PathBuf {
    let real_java = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("java"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .find(|candidate| candidate.is_file())
        .expect("java on PATH")
        .canonicalize()
        .unwrap();
    let home = sandbox.path("jdk");
    fs::create_dir_all(home.join("bin")).unwrap();
    let java = home.join("bin/java");
    fs::write(
        &java,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            sandbox.path("jvm-starts.log").display(),
            real_java.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&java, fs::Permissions::from_mode(0o755)).unwrap();
    home
}

fn jvm_starts(sandbox: &Sandbox) -> Vec<String> {
    fs::read_to_string(sandbox.path("jvm-starts.log"))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            // The main class follows `-cp CLASSPATH`; a JVM without one (`java -version`) is
            // shown with its whole command line.
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.iter().position(|word| *word == "-cp") {
                Some(index) => words[index + 2].to_owned(),
                None => line.to_owned(),
            }
        })
        .collect()
}

#[test]
fn native_storage_starts_exactly_one_jvm() {
    let sandbox = Sandbox::new();
    let java_home = counting_java_home(&sandbox);
    let (output, _) = sandbox.run_once(&[], &[("JAVA_HOME", java_home.to_str().unwrap())]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every JVM start, `java -version` included, goes through the counting `java`.
    assert_eq!(jvm_starts(&sandbox), ["kafka.Kafka"]);
    assert!(sandbox.path("data/meta.properties").is_file());
    assert!(sandbox.path("data/bootstrap.checkpoint").is_file());
}

#[test]
fn kafka_storage_fallback_runs_the_distribution_tool_first() {
    let sandbox = Sandbox::new();
    let java_home = counting_java_home(&sandbox);
    let (output, _) = sandbox.run_once(
        &["--storage-format", "kafka-storage"],
        &[("JAVA_HOME", java_home.to_str().unwrap())],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        jvm_starts(&sandbox),
        ["kafka.tools.StorageTool", "kafka.Kafka"]
    );
    let storage = &sandbox.records_of("kafka.tools.StorageTool")[0];
    assert_eq!(strings(&storage["args"])[0], "format");
    assert!(
        strings(&storage["args"]).contains(
            &sandbox
                .path("final/server.properties")
                .display()
                .to_string()
        ),
        "formats with the final config: {storage:#}"
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
fn second_run_does_not_reformat() {
    let sandbox = Sandbox::new();
    let (first, _) = sandbox.run_once(&[], &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let formatted = snapshot(&sandbox.path("data"));
    assert_eq!(
        formatted
            .iter()
            .map(|(path, _)| path.file_name().unwrap())
            .collect::<Vec<_>>(),
        ["bootstrap.checkpoint", "meta.properties"]
    );

    let (second, _) = sandbox.run_once(&[], &[]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        snapshot(&sandbox.path("data")),
        formatted,
        "the data directory is unchanged"
    );
    assert!(
        String::from_utf8_lossy(&second.stderr).contains(&format!(
            "kafka-entrypoint: `{}` is already formatted; left as it is\n",
            sandbox.path("data").display()
        )),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        sandbox.records_of("kafka.Kafka").len(),
        2,
        "Kafka started both times"
    );
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
fn existing_cds_archive_is_mapped_and_a_bad_one_does_not_stop_kafka() {
    let sandbox = Sandbox::new();
    // Not a CDS archive at all: with -Xshare:auto the JVM warns and starts without it.
    fs::write(sandbox.path("kafka.jsa"), "not an archive").unwrap();
    let (output, _) = sandbox.run_once(&[], &[("KAFKA_OPTS", "-Dkafka.image.test=1")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kafka = &sandbox.records_of("kafka.Kafka")[0];
    let mut expected = expected_jvm_args(&sandbox);
    expected.extend([
        "-Dkafka.image.test=1".to_owned(),
        format!(
            "-XX:SharedArchiveFile={}",
            sandbox.path("kafka.jsa").display()
        ),
        "-Xshare:auto".to_owned(),
    ]);
    assert_eq!(strings(&kafka["jvm_args"]), expected);
}

#[test]
fn jmx_port_reaches_the_jvm_as_upstream_sets_it() {
    let sandbox = Sandbox::new();
    let port = run_fixture::free_port().to_string();
    let (output, _) = sandbox.run_once(
        &[],
        &[
            ("KAFKA_JMX_PORT", &port),
            ("KAFKA_JMX_HOSTNAME", "127.0.0.1"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kafka = &sandbox.records_of("kafka.Kafka")[0];
    let jvm_args = strings(&kafka["jvm_args"]);
    let jmx: Vec<&str> = jvm_args
        .iter()
        .map(String::as_str)
        .filter(|arg| arg.contains("jmxremote") || arg.contains("rmi"))
        .collect();
    assert_eq!(
        jmx,
        [
            "-Dcom.sun.management.jmxremote=true",
            "-Dcom.sun.management.jmxremote.authenticate=false",
            "-Dcom.sun.management.jmxremote.ssl=false",
            "-Djava.rmi.server.hostname=127.0.0.1",
            "-Dcom.sun.management.jmxremote.local.only=false",
            &format!("-Dcom.sun.management.jmxremote.rmi.port={port}"),
            &format!("-Dcom.sun.management.jmxremote.port={port}"),
            // kafka-run-class.sh adds its own from JMX_PORT, with the same value.
            &format!("-Dcom.sun.management.jmxremote.port={port}"),
        ]
    );
    assert_eq!(kafka["env"]["JMX_PORT"], port);
}

#[test]
fn missing_start_script_exits_127_naming_it() {
    let mut sandbox = Sandbox::new();
    // A KAFKA_HOME with the release's libs (storage reads the version there) but no bin/.
    let home = sandbox.path("kafka-without-bin");
    fs::create_dir_all(home.join("libs")).unwrap();
    fs::copy(
        sandbox.kafka_home.join("libs/kafka_2.13-4.1.0.jar"),
        home.join("libs/kafka_2.13-4.1.0.jar"),
    )
    .unwrap();
    sandbox.kafka_home = home.clone();
    let (output, _) = sandbox.run_once(&[], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(127), "{stderr}");
    let last_lines: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.starts_with("error:"))
        .collect();
    assert_eq!(
        last_lines,
        [
            "error: failed to start Kafka",
            "",
            "Caused by:",
            &format!(
                "  failed to execute `{}/bin/kafka-server-start.sh`",
                home.display()
            ),
            "  No such file or directory (os error 2)",
            &format!(
                "help: check `--kafka-home`/`KAFKA_HOME` (now `{}`): it must hold Kafka's `bin/` \
                 scripts",
                home.display()
            ),
        ]
    );
}
