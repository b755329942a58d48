//! `kafka-entrypoint run` against REAL Apache Kafka, every supported version, assembled from
//! Maven Central (no `bin/` scripts): the native launch execs the JVM the scripts would (the
//! process we started becomes Kafka), which formats its storage natively, serves records
//! produced with `acks=all`, stops cleanly on SIGTERM and keeps its data across a restart; one
//! JVM only with native storage, Kafka's own storage tool started natively for the fallback; a
//! broken CDS archive never stops the broker; `KAFKA_ENTRYPOINT_LAUNCH=script` without scripts is
//! a clear error.

mod real_kafka;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use real_kafka::{
    Sandbox, cmdline, free_port, jmx_exporter_agent, primary_version, records, supported_versions,
};

/// The classpath `kafka-run-class.sh` builds from `libs/`: every jar, in byte order.
fn expected_classpath(kafka_home: &Path) -> String {
    let mut jars: Vec<PathBuf> = fs::read_dir(kafka_home.join("libs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    jars.sort();
    jars.iter()
        .map(|jar| jar.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// Start, serve, stop, restart: the whole life of a single node of Kafka `version`.
fn serves_stops_and_restarts(version: &str) {
    let sandbox = Sandbox::new(version);
    let jmx_port = free_port().to_string();
    let env = [
        ("KAFKA_JMX_PORT", jmx_port.as_str()),
        ("KAFKA_JMX_HOSTNAME", "127.0.0.1"),
        ("KAFKA_OPTS", "-Dkafka.image.test=native"),
    ];
    let mut broker = sandbox.start("first", &env);
    broker.wait_started();

    // The process we started is the JVM now (exec, no shell, no wrapper JVM), with the argv
    // Kafka's scripts would build.
    let argv = cmdline(broker.pid);
    assert!(argv[0].ends_with("java"), "{argv:?}");
    let final_properties = sandbox.path("final/server.properties");
    assert_eq!(
        &argv[argv.len() - 2..],
        ["kafka.Kafka", final_properties.to_str().unwrap()]
    );
    let cp = argv.iter().position(|a| a == "-cp").expect("-cp");
    assert_eq!(argv[cp + 1], expected_classpath(&sandbox.kafka_home));
    assert_eq!(argv[cp + 2], "-Dkafka.image.test=native");
    let log4j = if real_kafka::is_kafka_3(version) {
        format!(
            "-Dlog4j.configuration=file:{}",
            sandbox.path("final/log4j.properties").display()
        )
    } else {
        format!(
            "-Dlog4j2.configurationFile=file:{}",
            sandbox.path("final/log4j2.yaml").display()
        )
    };
    for expected in [
        "-Xmx256m".to_owned(),
        "-XX:+UseG1GC".to_owned(),
        format!("-Dkafka.logs.dir={}", sandbox.path("logs").display()),
        log4j,
        "-Djava.rmi.server.hostname=127.0.0.1".to_owned(),
        format!("-Dcom.sun.management.jmxremote.port={jmx_port}"),
        format!("-Dcom.sun.management.jmxremote.rmi.port={jmx_port}"),
    ] {
        assert!(
            argv[..cp].contains(&expected),
            "{expected} missing: {argv:?}"
        );
    }
    assert!(
        sandbox.path("logs/kafkaServer-gc.log").exists(),
        "the GC log is where kafka-run-class.sh puts it"
    );

    let sent = records(&format!("native-{version}"), 50);
    sandbox.produce("native-launch", &sent);
    assert_eq!(sandbox.consume("native-launch", sent.len()), sent);

    let meta = fs::read(sandbox.path("data/meta.properties")).unwrap();
    let (code, _) = broker.stop();
    assert!(
        matches!(code, Some(0 | 143)),
        "a JVM stopped by SIGTERM exits 143 (or 0): {code:?}\n{}",
        broker.output()
    );

    // Restart on the same data: not reformatted, the records are still there.
    let mut again = sandbox.start("second", &[]);
    again.wait_started();
    assert!(
        again.output().contains("is already formatted"),
        "{}",
        again.output()
    );
    assert_eq!(
        fs::read(sandbox.path("data/meta.properties")).unwrap(),
        meta
    );
    assert_eq!(sandbox.consume("native-launch", sent.len()), sent);
    let (code, _) = again.stop();
    assert!(matches!(code, Some(0 | 143)), "{code:?}");
}

#[test]
fn kafka_primary_serves_stops_and_restarts() {
    serves_stops_and_restarts(primary_version());
}

#[test]
fn kafka_other_supported_versions_serve_stop_and_restart() {
    for version in supported_versions().into_iter().skip(1) {
        eprintln!("Kafka {version}");
        serves_stops_and_restarts(version);
    }
}

/// A `JAVA_HOME` whose `bin/java` logs every JVM start (its arguments) and then execs the real
/// one, so the process stays the same.
fn counting_java_home(sandbox: &Sandbox) -> PathBuf {
    let home = sandbox.path("counting-jdk");
    fs::create_dir_all(home.join("bin")).unwrap();
    let real_java = String::from_utf8(
        std::process::Command::new("bash")
            .args(["-c", "readlink -f \"$(command -v java)\""])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let java = home.join("bin/java");
    fs::write(
        &java,
        format!(
            "#!/bin/bash\necho \"$*\" >> {}\nexec {} \"$@\"\n",
            sandbox.path("jvm-starts").display(),
            real_java.trim()
        ),
    )
    .unwrap();
    fs::set_permissions(&java, fs::Permissions::from_mode(0o755)).unwrap();
    home
}

fn jvm_starts(sandbox: &Sandbox) -> Vec<String> {
    fs::read_to_string(sandbox.path("jvm-starts"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn native_storage_starts_one_jvm_and_the_fallback_runs_kafkas_storage_tool_first() {
    for (formatter, expected_mains) in [
        ("native", vec!["kafka.Kafka"]),
        (
            "kafka-storage",
            vec!["kafka.tools.StorageTool", "kafka.Kafka"],
        ),
    ] {
        let sandbox = Sandbox::new(primary_version());
        let java_home = counting_java_home(&sandbox);
        let mut broker = sandbox.start(
            formatter,
            &[
                ("JAVA_HOME", java_home.to_str().unwrap()),
                ("KAFKA_ENTRYPOINT_STORAGE_FORMAT", formatter),
            ],
        );
        broker.wait_started();
        let mains: Vec<String> = jvm_starts(&sandbox)
            .iter()
            .map(|args| {
                let words: Vec<&str> = args.split(' ').collect();
                let cp = words.iter().position(|w| *w == "-cp").unwrap();
                words[cp + 2..]
                    .iter()
                    .find(|w| !w.starts_with('-'))
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(mains, expected_mains, "{formatter}: {}", broker.output());
        assert!(sandbox.path("data/meta.properties").is_file());
        // Up to 4.3 the features go to `bootstrap.checkpoint`; from 4.4 into the controller's
        // first metadata snapshot.
        assert!(
            sandbox.path("data/bootstrap.checkpoint").is_file()
                || sandbox
                    .path("data/__cluster_metadata-0/00000000000000000000-0000000000.checkpoint")
                    .is_file(),
            "{formatter}: no bootstrap metadata was written"
        );
        broker.stop();
    }
}

#[test]
fn without_kafka_heap_opts_the_heap_follows_the_container_memory_limit() {
    let sandbox = Sandbox::new(primary_version());
    // cgroup v2's file, as a container limited with `--memory 512m` sees it.
    fs::write(sandbox.path("cgroup/memory.max"), "536870912\n").unwrap();
    let mut broker = sandbox.start("limited", &[("KAFKA_HEAP_OPTS", "")]);
    broker.wait_started();
    assert_eq!(&cmdline(broker.pid)[1..3], ["-Xmx256m", "-Xms256m"]);
    assert!(
        broker
            .output()
            .contains("heap `-Xmx256m -Xms256m` from the container's memory limit of 512 MiB"),
        "{}",
        broker.output()
    );
    broker.stop();

    // No limit: Kafka's own default.
    fs::remove_file(sandbox.path("cgroup/memory.max")).unwrap();
    let mut broker = sandbox.start("unlimited", &[("KAFKA_HEAP_OPTS", "")]);
    broker.wait_started();
    assert_eq!(&cmdline(broker.pid)[1..3], ["-Xmx1G", "-Xms1G"]);
    broker.stop();
}

/// One HTTP GET on loopback; the response body.
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn metrics_port_serves_broker_series_from_the_jmx_exporter_in_the_broker_jvm() {
    let sandbox = Sandbox::new(primary_version());
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docker/config/jmx-exporter.yml"),
        sandbox.path("defaults/jmx-exporter.yml"),
    )
    .unwrap();
    let port = free_port();
    let mut command = sandbox.run_command(&[("KAFKA_ENTRYPOINT_METRICS_PORT", &port.to_string())]);
    command.arg("--metrics-agent").arg(jmx_exporter_agent());
    let mut broker = real_kafka::Broker::spawn(command, sandbox.path("metrics.log"));
    broker.wait_started();
    sandbox.produce("metrics", &records("metrics", 10));

    let response = http_get(port, "/metrics");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let series: Vec<&str> = response
        .lines()
        .filter(|line| line.starts_with("kafka_server_"))
        .collect();
    assert!(
        series
            .iter()
            .any(|line| line.starts_with("kafka_server_brokertopicmetrics_messagesin_total")),
        "{series:#?}"
    );
    assert!(
        series
            .iter()
            .any(|line| line.starts_with("kafka_server_replicamanager_underreplicatedpartitions")),
        "{series:#?}"
    );
    // One JVM: the exporter runs inside the broker's process.
    assert!(
        cmdline(broker.pid)
            .iter()
            .any(|arg| arg.starts_with("-javaagent:") && arg.contains(&format!("={port}:")))
    );
    broker.stop();
}

#[test]
fn a_bad_metrics_port_is_a_configuration_error_naming_the_variable() {
    let sandbox = Sandbox::new(primary_version());
    let mut broker = sandbox.start("bad-metrics", &[("KAFKA_ENTRYPOINT_METRICS_PORT", "http")]);
    assert_eq!(broker.wait_exit(), Some(2));
    assert!(
        broker
            .output()
            .contains("`KAFKA_ENTRYPOINT_METRICS_PORT` is `http`, not a TCP port"),
        "{}",
        broker.output()
    );
    assert!(
        !sandbox.path("data/meta.properties").exists(),
        "nothing was formatted"
    );
}

#[test]
fn a_broken_cds_archive_does_not_stop_kafka() {
    let sandbox = Sandbox::new(primary_version());
    fs::write(sandbox.path("kafka.jsa"), b"not a CDS archive").unwrap();
    let mut broker = sandbox.start("broken-archive", &[]);
    broker.wait_started();
    let argv = cmdline(broker.pid);
    let archive = format!(
        "-XX:SharedArchiveFile={}",
        sandbox.path("kafka.jsa").display()
    );
    assert!(argv.contains(&archive), "the archive was offered: {argv:?}");
    assert!(argv.contains(&"-Xshare:auto".to_owned()));
    broker.stop();
}

#[test]
fn script_launch_without_kafkas_scripts_is_a_clear_error() {
    let sandbox = Sandbox::new(primary_version());
    let mut broker = sandbox.start("script", &[("KAFKA_ENTRYPOINT_LAUNCH", "script")]);
    assert_eq!(broker.wait_exit(), Some(2));
    let output = broker.output();
    assert!(
        output.contains("`KAFKA_ENTRYPOINT_LAUNCH=script` needs")
            && output.contains("has no `bin/` scripts")
            && output.contains("help: unset `KAFKA_ENTRYPOINT_LAUNCH`"),
        "{output}"
    );
}
