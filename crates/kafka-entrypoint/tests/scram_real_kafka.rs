//! SASL/SCRAM users on the FIRST start of REAL Apache Kafka (issue 12, item 1): a node with a
//! `SASL_PLAINTEXT` listener (SCRAM-SHA-256 and -512; the controller and inter-broker listeners
//! stay PLAINTEXT) is formatted natively with the users of `KAFKA_ENTRYPOINT_SCRAM_USERS_FILE`,
//! (and, once, by Kafka's own storage tool with `--add-scram`, the `kafka-storage` fallback),
//! starts, and Kafka's own clients authenticate at once, with no second step: a topic is
//! created, records produced and consumed over SASL with each mechanism; a wrong password is
//! refused. No password reaches the entrypoint's output.

mod real_kafka;

use std::fs;

use real_kafka::{Sandbox, free_port, is_kafka_3, primary_version, records};

const USERS: &str =
    "# SCRAM users\nalice:SCRAM-SHA-256:alice-secret\nbob:SCRAM-SHA-512:bob:secret=2\n";

/// A client config file for `user`/`password` with `mechanism`.
fn client_config(
    sandbox: &Sandbox,
    name: &str,
    mechanism: &str,
    user: &str,
    password: &str,
) -> String {
    let path = sandbox.path(name);
    fs::write(
        &path,
        format!(
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism={mechanism}\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{user}\" password=\"{password}\";\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// `formatter`: the value of `KAFKA_ENTRYPOINT_STORAGE_FORMAT`.
fn first_start_authenticates(version: &str, formatter: &str) {
    let sandbox = Sandbox::new(version);
    let sasl_port = free_port();
    let sasl = format!("127.0.0.1:{sasl_port}");
    fs::write(sandbox.path("secrets/scram-users"), USERS).unwrap();
    // The image's defaults as a mounted file, so that the variables below add to them.
    fs::write(
        sandbox.path("mounted/server.properties"),
        sandbox.server_properties(),
    )
    .unwrap();
    let users_file = sandbox.path("secrets/scram-users").display().to_string();
    let listeners = format!(
        "PLAINTEXT://{},CONTROLLER://127.0.0.1:{},SASL_PLAINTEXT://{sasl}",
        sandbox.bootstrap(),
        sandbox.controller_port
    );
    let advertised = format!(
        "PLAINTEXT://{},SASL_PLAINTEXT://{sasl}",
        sandbox.bootstrap()
    );
    let jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    let env = [
        ("CLUSTER_ID", "4L6g3nShT-eMCtK--X86sw"),
        ("KAFKA_ENTRYPOINT_STORAGE_FORMAT", formatter),
        ("KAFKA_ENTRYPOINT_SCRAM_USERS_FILE", users_file.as_str()),
        ("KAFKA_LISTENERS", listeners.as_str()),
        ("KAFKA_ADVERTISED_LISTENERS", advertised.as_str()),
        (
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        ),
        (
            "KAFKA_SASL_ENABLED_MECHANISMS",
            "SCRAM-SHA-256,SCRAM-SHA-512",
        ),
        // listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config (`__` is `_`, `___` is `-`).
        (
            "KAFKA_LISTENER_NAME_SASL__PLAINTEXT_SCRAM___SHA___256_SASL_JAAS_CONFIG",
            jaas,
        ),
        (
            "KAFKA_LISTENER_NAME_SASL__PLAINTEXT_SCRAM___SHA___512_SASL_JAAS_CONFIG",
            jaas,
        ),
    ];
    let mut broker = sandbox.start("scram", &env);
    broker.wait_started();

    let alice = client_config(
        &sandbox,
        "alice.properties",
        "SCRAM-SHA-256",
        "alice",
        "alice-secret",
    );
    let bob = client_config(
        &sandbox,
        "bob.properties",
        "SCRAM-SHA-512",
        "bob",
        "bob:secret=2",
    );
    sandbox.tool(
        "org.apache.kafka.tools.TopicCommand",
        &[
            "--bootstrap-server",
            &sasl,
            "--command-config",
            &alice,
            "--create",
            "--topic",
            "scram",
            "--partitions",
            "1",
            "--replication-factor",
            "1",
        ],
        b"",
    );
    let producer = if is_kafka_3(version) {
        "kafka.tools.ConsoleProducer"
    } else {
        "org.apache.kafka.tools.ConsoleProducer"
    };
    let sent = records("scram", 3);
    let input: String = sent.iter().map(|r| format!("{r}\n")).collect();
    sandbox.tool(
        producer,
        &[
            "--bootstrap-server",
            &sasl,
            "--topic",
            "scram",
            "--producer.config",
            &alice,
            "--producer-property",
            "acks=all",
        ],
        input.as_bytes(),
    );
    let output = sandbox.tool(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        &[
            "--bootstrap-server",
            &sasl,
            "--topic",
            "scram",
            "--from-beginning",
            "--max-messages",
            "3",
            "--timeout-ms",
            "60000",
            "--consumer.config",
            &bob,
        ],
        b"",
    );
    let received: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        // 4.4's consumer prints that `--consumer.config` is deprecated (3.9 has no successor).
        .filter(|line| line.starts_with("scram-"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        received, sent,
        "{version}: records over SASL/SCRAM-SHA-256 and -512"
    );

    let wrong = client_config(
        &sandbox,
        "wrong.properties",
        "SCRAM-SHA-256",
        "alice",
        "not-her-password",
    );
    let (status, said) = sandbox.list_topics_as(&sasl, &wrong);
    assert!(
        !status.success() && said.contains("Authentication failed"),
        "{version}: a wrong password must be refused ({status}):\n{said}"
    );
    broker.stop();
    let leftovers: Vec<_> = fs::read_dir(sandbox.path("final"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name.to_string_lossy().starts_with(".storage-tool-args"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "the tool's argument file is removed: {leftovers:?}"
    );
    let log = broker.output();
    assert!(
        log.contains("SCRAM users bootstrapped: alice (SCRAM-SHA-256), bob (SCRAM-SHA-512)"),
        "{log}"
    );
    for secret in ["alice-secret", "bob:secret=2"] {
        assert!(
            !log.contains(secret),
            "a password in the entrypoint's output"
        );
    }
    eprintln!(
        "scram-real-kafka: {version} | storage {formatter} | SASL_PLAINTEXT SCRAM-SHA-256 produce + SCRAM-SHA-512 consume on the first start: OK; wrong password refused"
    );
}

#[test]
fn kafka_primary_first_start_authenticates_with_scram() {
    first_start_authenticates(primary_version(), "native");
}

#[test]
fn kafka_primary_fallback_first_start_authenticates_with_scram() {
    first_start_authenticates(primary_version(), "kafka-storage");
}

#[test]
fn kafka_3_9_2_first_start_authenticates_with_scram() {
    first_start_authenticates("3.9.2", "native");
}
