//! The cases of the sanity suite (SPEC §7), each a function over a [`Sandbox`].
//!
//! Every case that starts a broker proves it with data: records produced with `acks=all` by
//! Kafka's own tool classes inside the container and exactly those records consumed back. The
//! fixture distribution cannot pass them: it answers `ApiVersions` only.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};

use super::client::{Client, messages};
use super::sandbox::{ContainerSpec, Sandbox, parse_properties, write_host_file};
use super::tls;

/// How long a broker may take to start answering (a cold JVM on a busy CI machine).
const START: Duration = Duration::from_secs(180);
/// How long the `smoke` case's broker may take to answer: it also runs on other platforms under
/// qemu-user emulation, where a JVM starts several times slower.
const EMULATED_START: Duration = Duration::from_secs(900);
/// How long the health status may take to turn `healthy` once the broker answers (a few checks).
const HEALTH_AFTER_SERVING: Duration = Duration::from_secs(60);
/// How long the nodes of a cluster, starting at once, may take to answer.
pub(crate) const CLUSTER_START: Duration = Duration::from_secs(300);
/// The `docker stop` timeout the clean-shutdown case allows.
pub(crate) const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `docker stop` may take in the clean-shutdown case (SPEC: within 10 s).
const CLEAN_STOP: Duration = Duration::from_secs(10);
/// How long bad configuration may take to stop the container.
const FAIL_FAST: Duration = Duration::from_secs(30);

/// The final config file inside the image (SPEC §2).
const FINAL_SERVER_PROPERTIES: &str = "/opt/kafka/config/server.properties";
/// A cluster id for the cases that set their own (22 characters of base64url, as Kafka's).
pub(crate) const CLUSTER_ID: &str = "4L6g3nShT-eMCtK--X86sw";

/// The passwords the cases give brokers and clients. They protect nothing (each lives for one
/// case), but reports mask them anyway, like every password (`******`).
pub(crate) const TEST_SECRETS: &[&str] = &[tls::STORE_PASSWORD, "admin-secret", "alice-secret"];

/// One named case.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Case {
    /// The name `--only` selects and the reports show.
    pub(crate) name: &'static str,
    /// What it checks, one sentence.
    pub(crate) description: &'static str,
    /// The check.
    pub(crate) run: fn(&mut Sandbox<'_>) -> anyhow::Result<()>,
}

/// Every case, in run order.
pub(crate) const CASES: &[Case] = &[
    Case {
        name: "smoke",
        description: "one container with no configuration: starts, turns healthy, one record produced (acks=all) and consumed, `docker stop` ends it cleanly (the subset `release` runs on the platforms other than the host's, under emulation)",
        run: smoke,
    },
    Case {
        name: "default_config_starts",
        description: "`docker run IMAGE` with no configuration starts a single KRaft node that serves produce and consume",
        run: default_config_starts,
    },
    Case {
        name: "health_turns_healthy",
        description: "the image's HEALTHCHECK turns the container `healthy`",
        run: health_turns_healthy,
    },
    Case {
        name: "env_config",
        description: "KAFKA_* variables become the keys of the final server.properties and the node starts; a metadata log dir in the container's layer is warned about, the data dir on the image's volume is not",
        run: env_config,
    },
    Case {
        name: "file_input",
        description: "a server.properties mounted in /mnt/shared/config becomes the final config and the node starts",
        run: file_input,
    },
    Case {
        name: "env_over_file",
        description: "a KAFKA_* variable replaces the same key of the mounted file, once",
        run: env_over_file,
    },
    Case {
        name: "node_id_from_hostname",
        description: "KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME=true gives host `kafka-2` node.id 2 (Kubernetes StatefulSets)",
        run: node_id_from_hostname,
    },
    Case {
        name: "jmx_metrics_from_another_host",
        description: "KAFKA_JMX_PORT + KAFKA_JMX_HOSTNAME expose the broker's metrics over JMX to another container: MessagesInPerSec counts the records produced (upstream's sanity flow)",
        run: jmx_metrics_from_another_host,
    },
    Case {
        name: "ssl_produce_consume",
        description: "keystores and credential files in /etc/kafka/secrets become the ssl.* keys; a client with a certificate produces and consumes over the SSL listener (client auth required)",
        run: ssl_produce_consume,
    },
    Case {
        name: "sasl_plain",
        description: "a SASL/PLAIN user produces and consumes; a wrong password is refused",
        run: sasl_plain,
    },
    Case {
        name: "sasl_scram",
        description: "a SCRAM-SHA-512 user from KAFKA_ENTRYPOINT_SCRAM_USERS exists at the first start: it produces and consumes with no second step, a wrong password is refused, the password is in no log",
        run: sasl_scram,
    },
    Case {
        name: "combined_cluster_survives_restart",
        description: "3 broker+controller nodes keep serving with one node stopped, and it rejoins the ISR",
        run: combined_cluster_survives_restart,
    },
    Case {
        name: "isolated_cluster_survives_restart",
        description: "3 controllers + 3 brokers keep serving with a controller and then a broker restarted",
        run: isolated_cluster_survives_restart,
    },
    Case {
        name: "combined_cluster_faults",
        description: "3 combined nodes, RF 3, min.insync.replicas 2, an acks=all producer throughout: no acknowledged record lost when the active controller and the partition leader are killed, a node is cut off the network, and the cluster is restarted node by node and whole",
        run: super::faults::combined_cluster_faults,
    },
    Case {
        name: "upstream_combined_flows",
        description: "apache/kafka's docker sanity flows on its combined fixture (3 broker+controller nodes, its KAFKA_* variables, its mounted server.properties): MessagesInPerSec over JMX before and after a produce, SSL by variables, SSL by the mounted file, SASL_PLAINTEXT with PLAIN, a broker restart keeping a message",
        run: super::upstream::upstream_combined_flows,
    },
    Case {
        name: "upstream_isolated_flows",
        description: "apache/kafka's docker sanity flows on its isolated fixture (3 controllers + 3 brokers): the same flows as upstream_combined_flows",
        run: super::upstream::upstream_isolated_flows,
    },
    Case {
        name: "restart_keeps_storage",
        description: "a restarted container keeps its data volume: same meta.properties, the records produced before the restart consumed after it",
        run: restart_keeps_storage,
    },
    Case {
        name: "bad_config_fails_fast",
        description: "a non-integer KAFKA_NODE_ID stops the container at once (exit 2) with an error naming it",
        run: bad_config_fails_fast,
    },
    Case {
        name: "unwritable_data_volume_fails_clearly",
        description: "a data volume the container's user cannot write (another uid's, mode 0555) stops the container at once with an error naming the directory, not a crash loop",
        run: unwritable_data_volume_fails_clearly,
    },
    Case {
        name: "docker_stop_is_clean",
        description: "`docker stop -t 10` ends Kafka by SIGTERM within 10 s (exit 0 or 143, not killed)",
        run: docker_stop_is_clean,
    },
    Case {
        name: "small_container_survives_produce_burst",
        description: "`--memory 512m --memory-swap 512m` and no KAFKA_HEAP_OPTS: the broker gets the user guide's heap for 512 MiB (-Xmx256m), turns healthy, takes 100 MB (100 000 records of 1 KiB, acks=all) from a client container with every record acknowledged and in the log, and is neither OOM-killed nor restarted",
        run: small_container_survives_produce_burst,
    },
    Case {
        name: "heap_follows_memory_limit",
        description: "no KAFKA_HEAP_OPTS: `--memory 4g` gives the broker the user guide's heap for 4 GiB (-Xmx1536m, more than 512 MiB's -Xmx256m), and no limit keeps Kafka's own -Xmx1G",
        run: heap_follows_memory_limit,
    },
    Case {
        name: "ssl_pem_mutual_tls",
        description: "the PEM files of a Kubernetes TLS secret (PKCS#1 tls.key, tls.crt, ca.crt) become Kafka's PEM stores; a client with a certificate from the CA produces and consumes under mutual TLS, one with an untrusted certificate is refused",
        run: ssl_pem_mutual_tls,
    },
    Case {
        name: "random_uid_read_only_root",
        description: "`--user 100234:0 --read-only --tmpfs /tmp` with only a data volume (OpenShift, readOnlyRootFilesystem): turns healthy, serves records, and keeps them across a restart",
        run: random_uid_read_only_root,
    },
    Case {
        name: "service_link_variables_ignored",
        description: "the variables a Kubernetes Service `kafka` injects (KAFKA_PORT=tcp://…, KAFKA_SERVICE_HOST, …) become no keys, with one warning naming them",
        run: service_link_variables_ignored,
    },
    Case {
        name: "prometheus_metrics",
        description: "KAFKA_ENTRYPOINT_METRICS_PORT: another container scrapes kafka_server_* series over HTTP, MessagesIn counting the records produced; the exporter (a Java agent) does not make the JVM refuse the image's AOT cache",
        run: prometheus_metrics,
    },
];

/// A complete single-node KRaft configuration as `KAFKA_*` variables (as in the official
/// image's examples), with the data dir on the image's volume.
fn single_node_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("KAFKA_NODE_ID", "1"),
        ("KAFKA_PROCESS_ROLES", "broker,controller"),
        ("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:9092"),
        ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
        (
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        ),
        ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093"),
        ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
        ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
        ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1"),
        ("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0"),
        ("KAFKA_LOG_DIRS", "/var/lib/kafka/data"),
        ("CLUSTER_ID", CLUSTER_ID),
    ]
}

/// `single_node_env` with some keys replaced or added.
fn single_node_env_with(
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut env = single_node_env();
    for (key, value) in changes {
        match env.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => env.push((key, value)),
        }
    }
    env
}

fn final_config(sandbox: &Sandbox<'_>, container: &str) -> anyhow::Result<Vec<(String, String)>> {
    Ok(parse_properties(
        &sandbox.read_file(container, FINAL_SERVER_PROPERTIES)?,
    ))
}

/// Fails unless `config` holds `key` exactly once, with `value`.
fn expect_key(config: &[(String, String)], key: &str, value: &str) -> anyhow::Result<()> {
    let found: Vec<&str> = config
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect();
    ensure!(
        found == [value],
        "final server.properties has `{key}` = {found:?}, expected exactly [{value:?}]"
    );
    Ok(())
}

fn plaintext_client(container: &str) -> Client<'_> {
    Client {
        container,
        bootstrap: "localhost:9092",
        properties: "",
    }
}

/// Creates a one-partition topic `topic` on the node's PLAINTEXT listener, produces five records
/// with `acks=all` and consumes exactly those back.
fn serves_records(sandbox: &Sandbox<'_>, kafka: &str, topic: &str) -> anyhow::Result<()> {
    let client = plaintext_client(kafka);
    client.create_topic(sandbox, topic, 1, 1, "")?;
    client.round_trip(sandbox, topic, &messages(topic, 5))
}

fn default_config_starts(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let kafka = sandbox.start(&ContainerSpec::named("kafka"))?;
    sandbox.wait_serving(&kafka, START)?;
    let config = final_config(sandbox, &kafka)?;
    ensure!(
        config.iter().any(|(k, _)| k == "process.roles"),
        "the default final server.properties has no `process.roles`"
    );
    serves_records(sandbox, &kafka, "default-config")
}

fn smoke(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let kafka = sandbox.start(&ContainerSpec::named("kafka"))?;
    // Under emulation the broker may take longer than the HEALTHCHECK's start period, so the
    // status may read `unhealthy` for a while: wait for the broker, then for `healthy`.
    sandbox.wait_serving(&kafka, EMULATED_START)?;
    sandbox.wait_for(
        "Docker health status `healthy`",
        HEALTH_AFTER_SERVING,
        || {
            let state = sandbox.state(&kafka)?;
            ensure!(
                state.running,
                "container exited with code {} before turning healthy",
                state.exit_code
            );
            Ok((state.health == "healthy").then_some(()))
        },
    )?;
    let client = plaintext_client(&kafka);
    client.create_topic(sandbox, "smoke", 1, 1, "")?;
    client.round_trip(sandbox, "smoke", &messages("smoke", 1))?;
    let took = sandbox.stop(&kafka, STOP_TIMEOUT)?;
    let code = sandbox.state(&kafka)?.exit_code;
    ensure!(
        matches!(code, 0 | 143),
        "container exited with {code} after `docker stop` (137 means it was killed)"
    );
    ensure!(
        took < STOP_TIMEOUT,
        "`docker stop` took {}s, the whole {}s timeout",
        took.as_secs(),
        STOP_TIMEOUT.as_secs()
    );
    Ok(())
}

fn health_turns_healthy(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let kafka = sandbox.start(&ContainerSpec::named("kafka"))?;
    let health = sandbox.state(&kafka)?.health;
    ensure!(health != "none", "the image has no HEALTHCHECK");
    wait_healthy(sandbox, &kafka)
}

/// Waits for the image's HEALTHCHECK to report `healthy`, failing if the container exits or
/// turns `unhealthy` first.
fn wait_healthy(sandbox: &Sandbox<'_>, kafka: &str) -> anyhow::Result<()> {
    sandbox.wait_for("Docker health status `healthy`", START, || {
        let state = sandbox.state(kafka)?;
        if !state.running {
            bail!(
                "container exited with code {} before turning healthy",
                state.exit_code
            );
        }
        if state.health == "unhealthy" {
            bail!("health status turned `unhealthy`");
        }
        Ok((state.health == "healthy").then_some(()))
    })
}

fn env_config(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let env = single_node_env_with(&[
        ("KAFKA_NUM_PARTITIONS", "7"),
        ("KAFKA_LOG_RETENTION_HOURS", "12"),
        ("KAFKA_HEAP_OPTS", "-Xmx256m -Xms128m"),
        ("KAFKA_METADATA_LOG_DIR", "/tmp/kafka-metadata"),
    ]);
    let kafka = sandbox.start(&ContainerSpec::named("kafka").env(&env))?;
    sandbox.wait_serving(&kafka, START)?;
    // The metadata log is in the container's own layer, the data on the image's volume.
    let logs = sandbox.full_log(&kafka);
    ensure!(
        logs.contains("warning: `/tmp/kafka-metadata` (`metadata.log.dir`) is not on a volume"),
        "no warning that the metadata log dir `/tmp/kafka-metadata` is not on a volume:\n{}",
        sandbox.logs(&kafka)
    );
    ensure!(
        !logs.contains("`/var/lib/kafka/data` (`log.dirs`) is not on a volume"),
        "`/var/lib/kafka/data`, the image's volume, was reported as not on a volume:\n{}",
        sandbox.logs(&kafka)
    );
    let config = final_config(sandbox, &kafka)?;
    expect_key(&config, "num.partitions", "7")?;
    expect_key(&config, "log.retention.hours", "12")?;
    expect_key(&config, "node.id", "1")?;
    expect_key(
        &config,
        "listener.security.protocol.map",
        "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    )?;
    ensure!(
        !config.iter().any(|(k, _)| k == "heap.opts"),
        "launcher variable KAFKA_HEAP_OPTS leaked into server.properties as `heap.opts`"
    );
    Ok(())
}

fn mounted_server_properties(
    sandbox: &mut Sandbox<'_>,
    num_partitions: &str,
) -> anyhow::Result<String> {
    let dir = sandbox.host_dir()?;
    let properties = format!(
        "# mounted by kafka-image test\nprocess.roles=broker,controller\nnode.id=1\n\
         listeners=PLAINTEXT://:9092,CONTROLLER://:9093\nadvertised.listeners=PLAINTEXT://localhost:9092\n\
         controller.listener.names=CONTROLLER\nlistener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n\
         controller.quorum.voters=1@localhost:9093\noffsets.topic.replication.factor=1\n\
         transaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1\n\
         log.dirs=/var/lib/kafka/data\nnum.partitions={num_partitions}\nlog.segment.bytes=16777216\n"
    );
    write_host_file(&dir, "server.properties", properties.as_bytes(), 0o644)?;
    Ok(format!("{}:/mnt/shared/config:ro", dir.display()))
}

fn file_input(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let mount = mounted_server_properties(sandbox, "3")?;
    let spec = ContainerSpec::named("kafka")
        .mount(mount)
        .env(&[("CLUSTER_ID", CLUSTER_ID)]);
    let kafka = sandbox.start(&spec)?;
    sandbox.wait_serving(&kafka, START)?;
    let config = final_config(sandbox, &kafka)?;
    expect_key(&config, "num.partitions", "3")?;
    expect_key(&config, "log.segment.bytes", "16777216")?;
    expect_key(&config, "controller.quorum.voters", "1@localhost:9093")?;
    serves_records(sandbox, &kafka, "file-input")
}

fn env_over_file(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let mount = mounted_server_properties(sandbox, "3")?;
    let spec = ContainerSpec::named("kafka").mount(mount).env(&[
        ("CLUSTER_ID", CLUSTER_ID),
        ("KAFKA_NUM_PARTITIONS", "9"),
        ("KAFKA_LOG_RETENTION_MS", "60000"),
    ]);
    let kafka = sandbox.start(&spec)?;
    sandbox.wait_serving(&kafka, START)?;
    let config = final_config(sandbox, &kafka)?;
    expect_key(&config, "num.partitions", "9")?;
    expect_key(&config, "log.retention.ms", "60000")?;
    expect_key(&config, "log.segment.bytes", "16777216")?;
    serves_records(sandbox, &kafka, "env-over-file")
}

fn node_id_from_hostname(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let mut env = single_node_env_with(&[
        ("KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME", "true"),
        ("KAFKA_CONTROLLER_QUORUM_VOTERS", "2@localhost:9093"),
    ]);
    env.retain(|(key, _)| *key != "KAFKA_NODE_ID");
    let spec = ContainerSpec::named("kafka").hostname("kafka-2").env(&env);
    let kafka = sandbox.start(&spec)?;
    sandbox.wait_serving(&kafka, START)?;
    let config = final_config(sandbox, &kafka)?;
    expect_key(&config, "node.id", "2")?;
    ensure!(
        !config.iter().any(|(k, _)| k.starts_with("entrypoint.")),
        "the control variable leaked into server.properties"
    );
    serves_records(sandbox, &kafka, "node-id-from-hostname")
}

/// `kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec` `Count` of the broker `host`,
/// read over remote JMX by Kafka's `JmxTool` running in `client`.
pub(crate) fn messages_in(sandbox: &Sandbox<'_>, client: &str, host: &str) -> anyhow::Result<u64> {
    let out = sandbox.bash(
        client,
        &format!(
            "java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*' \
             org.apache.kafka.tools.JmxTool \
             --jmx-url service:jmx:rmi:///jndi/rmi://{host}:9101/jmxrmi \
             --object-name kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec \
             --attributes Count --one-time true"
        ),
    )?;
    out.lines()
        .rev()
        .find_map(|line| line.rsplit(',').next()?.trim().parse().ok())
        .with_context(|| format!("no MessagesInPerSec count in JmxTool's output:\n{out}"))
}

fn jmx_metrics_from_another_host(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let env = single_node_env_with(&[("KAFKA_JMX_PORT", "9101"), ("KAFKA_JMX_HOSTNAME", "kafka")]);
    let kafka = sandbox.start(&ContainerSpec::named("kafka").networked().env(&env))?;
    let client = sandbox.start(
        &ContainerSpec::named("client")
            .networked()
            .run("sleep", &["infinity"]),
    )?;
    sandbox.wait_serving(&kafka, START)?;
    let before = messages_in(sandbox, &client, "kafka")?;
    serves_records(sandbox, &kafka, "jmx")?;
    let after = messages_in(sandbox, &client, "kafka")?;
    ensure!(
        after >= before + 5,
        "MessagesInPerSec counted {before} before and {after} after producing 5 records"
    );
    Ok(())
}

/// Single node with PLAINTEXT (9092, for the health check and tools), SSL (9093) and
/// CONTROLLER (9094) listeners, the stores from the secrets dir.
fn start_ssl_node(sandbox: &mut Sandbox<'_>) -> anyhow::Result<String> {
    let secrets = sandbox.host_dir()?;
    tls::write_secrets(&secrets, &[])?;
    start_tls_node(sandbox, &secrets, &[], tls::SSL_ENV)
}

/// A single node with the listeners of [`start_ssl_node`] plus `extra`, its SSL set by the
/// helper variables `tls_env` from `secrets` (mounted read-only as the secrets dir); returns it
/// once it serves.
fn start_tls_node(
    sandbox: &mut Sandbox<'_>,
    secrets: &Path,
    extra: &[(&'static str, &'static str)],
    tls_env: &[(&'static str, &'static str)],
) -> anyhow::Result<String> {
    let mut changes = vec![
        (
            "KAFKA_LISTENERS",
            "PLAINTEXT://:9092,SSL://:9093,CONTROLLER://:9094",
        ),
        (
            "KAFKA_ADVERTISED_LISTENERS",
            "PLAINTEXT://localhost:9092,SSL://localhost:9093",
        ),
        (
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL",
        ),
        ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9094"),
    ];
    changes.extend_from_slice(extra);
    let mut env = single_node_env_with(&changes);
    env.extend_from_slice(tls_env);
    let spec = ContainerSpec::named("kafka")
        .env(&env)
        .mount(format!("{}:/etc/kafka/secrets:ro", secrets.display()));
    let kafka = sandbox.start(&spec)?;
    sandbox.wait_serving(&kafka, START)?;
    Ok(kafka)
}

/// Checks the ssl.* keys `setup` made from the secrets directory.
fn expect_ssl_config(sandbox: &Sandbox<'_>, kafka: &str) -> anyhow::Result<()> {
    let config = final_config(sandbox, kafka)?;
    expect_key(
        &config,
        "ssl.keystore.location",
        "/etc/kafka/secrets/kafka.keystore.jks",
    )?;
    expect_key(
        &config,
        "ssl.truststore.location",
        "/etc/kafka/secrets/kafka.truststore.jks",
    )?;
    expect_key(&config, "ssl.client.auth", "required")?;
    for key in [
        "ssl.keystore.password",
        "ssl.key.password",
        "ssl.truststore.password",
    ] {
        // The credential files end in a newline, which must not reach the password.
        expect_key(&config, key, tls::STORE_PASSWORD)?;
    }
    for helper in [
        "ssl.keystore.filename",
        "ssl.keystore.credentials",
        "ssl.key.credentials",
    ] {
        ensure!(
            !config.iter().any(|(k, _)| k == helper),
            "helper variable leaked into server.properties as `{helper}`"
        );
    }
    Ok(())
}

fn ssl_produce_consume(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let kafka = start_ssl_node(sandbox)?;
    expect_ssl_config(sandbox, &kafka)?;
    let properties = tls::client_properties();
    let client = Client {
        container: &kafka,
        bootstrap: "localhost:9093",
        properties: &properties,
    };
    client.create_topic(sandbox, "sanity-ssl", 1, 1, "")?;
    client.round_trip(sandbox, "sanity-ssl", &messages("ssl", 5))
}

/// One node whose SSL listener (9093, client auth required) takes its key, certificate chain and
/// CA from PEM files in the secrets directory; a client with a certificate from that CA produces
/// and consumes, one with a self-signed certificate is refused; the key never reaches the logs.
fn ssl_pem_mutual_tls(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let secrets = sandbox.host_dir()?;
    tls::write_pem_secrets(&secrets)?;
    // One offsets partition: the consumer's group coordinator is ready in seconds, not the
    // half minute 50 partitions can take on a loaded machine.
    let kafka = start_tls_node(
        sandbox,
        &secrets,
        &[("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "1")],
        tls::PEM_SSL_ENV,
    )?;
    let config = final_config(sandbox, &kafka)?;
    expect_key(&config, "ssl.keystore.type", "PEM")?;
    expect_key(&config, "ssl.truststore.type", "PEM")?;
    let key = config
        .iter()
        .find(|(k, _)| k == "ssl.keystore.key")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    ensure!(
        key.starts_with("-----BEGIN PRIVATE KEY-----"),
        "the PKCS#1 tls.key must reach Kafka as PKCS#8 (`ssl.keystore.key`)"
    );
    let client_properties = |keystore: &str| {
        format!(
            "security.protocol=SSL\nssl.truststore.type=PEM\n\
             ssl.truststore.location=/etc/kafka/secrets/{ca}\nssl.keystore.type=PEM\n\
             ssl.keystore.location=/etc/kafka/secrets/{keystore}\n\
             default.api.timeout.ms=30000\nrequest.timeout.ms=15000",
            ca = tls::PEM_CA
        )
    };
    let trusted = client_properties(tls::PEM_CLIENT);
    let client = Client {
        container: &kafka,
        bootstrap: "localhost:9093",
        properties: &trusted,
    };
    client.create_topic(sandbox, "sanity-pem", 1, 1, "")?;
    client.round_trip(sandbox, "sanity-pem", &messages("pem", 5))?;
    // The untrusted client, run by hand to keep its output (stdout and stderr) and exit code.
    let rogue = sandbox.bash(
        &kafka,
        &format!(
            "cat > /tmp/rogue.properties <<'EOF'\n{}\nEOF\n\
             {} {} --bootstrap-server localhost:9093 --command-config /tmp/rogue.properties \
             --list 2>&1; echo \"exit=$?\"",
            client_properties(tls::PEM_ROGUE),
            super::client::JAVA,
            super::client::TOPIC_COMMAND
        ),
    )?;
    // Kafka's `SslAuthenticationException` message for TLS 1.2 (during the handshake) or TLS 1.3
    // (the broker's `certificate_required` alert after it).
    ensure!(
        !rogue.contains("exit=0")
            && [
                "SSL handshake failed",
                "Failed to process post-handshake messages"
            ]
            .iter()
            .any(|message| rogue.contains(message)),
        "a client with a self-signed certificate must be refused by TLS under mutual TLS:\n{rogue}"
    );
    let logs = sandbox.logs(&kafka);
    ensure!(
        !logs.contains("PRIVATE KEY"),
        "key material in the container's output"
    );
    Ok(())
}

/// Single node with a SASL_PLAINTEXT listener on 9094 for `mechanism`.
fn start_sasl_node(
    sandbox: &mut Sandbox<'_>,
    mechanism: &'static str,
    extra: &[(&'static str, &'static str)],
) -> anyhow::Result<String> {
    let mut env = single_node_env_with(&[
        (
            "KAFKA_LISTENERS",
            "PLAINTEXT://:9092,CONTROLLER://:9093,SASL_PLAINTEXT://:9094",
        ),
        (
            "KAFKA_ADVERTISED_LISTENERS",
            "PLAINTEXT://localhost:9092,SASL_PLAINTEXT://localhost:9094",
        ),
        (
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        ),
        ("KAFKA_SASL_ENABLED_MECHANISMS", mechanism),
    ]);
    env.extend_from_slice(extra);
    let kafka = sandbox.start(&ContainerSpec::named("kafka").env(&env))?;
    sandbox.wait_serving(&kafka, START)?;
    Ok(kafka)
}

fn sasl_client_properties(mechanism: &str, module: &str, user: &str, password: &str) -> String {
    format!(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism={mechanism}\n\
         sasl.jaas.config={module} required username=\"{user}\" password=\"{password}\";"
    )
}

fn sasl_plain(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let kafka = start_sasl_node(
        sandbox,
        "PLAIN",
        &[(
            // listener.name.sasl_plaintext.plain.sasl.jaas.config (`__` is `_`).
            "KAFKA_LISTENER_NAME_SASL__PLAINTEXT_PLAIN_SASL_JAAS_CONFIG",
            "org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" \
             user_alice=\"alice-secret\";",
        )],
    )?;
    let module = "org.apache.kafka.common.security.plain.PlainLoginModule";
    let good = sasl_client_properties("PLAIN", module, "alice", "alice-secret");
    let client = Client {
        container: &kafka,
        bootstrap: "localhost:9094",
        properties: &good,
    };
    client.create_topic(sandbox, "sanity-plain", 1, 1, "")?;
    client.round_trip(sandbox, "sanity-plain", &messages("plain", 3))?;
    let bad = sasl_client_properties("PLAIN", module, "alice", "wrong");
    refuses_wrong_password(sandbox, &client, &bad, "sanity-plain", "plain", 3)
}

/// Fails unless a client with the `bad` properties (a wrong password) can neither read `topic`,
/// which holds `stored` records tagged `tag`, nor write to it.
fn refuses_wrong_password(
    sandbox: &Sandbox<'_>,
    client: &Client<'_>,
    bad: &str,
    topic: &str,
    tag: &str,
    stored: usize,
) -> anyhow::Result<()> {
    let intruder = Client {
        properties: bad,
        ..client.clone()
    };
    // A wrong password neither writes nor reads. The tools' exit codes and stdout (where they
    // may log the authentication error) prove nothing; the records do.
    let _refused = intruder.produce(sandbox, topic, &messages("intruder", 1));
    let read = intruder.consume(sandbox, topic, 1).unwrap_or_default();
    ensure!(
        !read.iter().any(|line| *line == format!("{tag}-1")),
        "a wrong password read `{topic}`"
    );
    // The topic still holds exactly the `stored` records (its end offset counts them; a
    // consumer waiting for one more would only time out).
    let held = client.end_offset(sandbox, topic)?;
    ensure!(
        held == stored as u64,
        "a wrong password wrote a record: `{topic}` holds {held} records, expected {stored}"
    );
    Ok(())
}

fn sasl_scram(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let kafka = start_sasl_node(
        sandbox,
        "SCRAM-SHA-512",
        &[
            (
                // listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config (`___` is `-`).
                "KAFKA_LISTENER_NAME_SASL__PLAINTEXT_SCRAM___SHA___512_SASL_JAAS_CONFIG",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            ),
            // Written into the bootstrap metadata when the storage is formatted (KIP-900).
            (
                "KAFKA_ENTRYPOINT_SCRAM_USERS",
                "alice:SCRAM-SHA-512:alice-secret",
            ),
        ],
    )?;
    let module = "org.apache.kafka.common.security.scram.ScramLoginModule";
    let properties = sasl_client_properties("SCRAM-SHA-512", module, "alice", "alice-secret");
    let client = Client {
        container: &kafka,
        bootstrap: "localhost:9094",
        properties: &properties,
    };
    client.create_topic(sandbox, "sanity-scram", 1, 1, "")?;
    client.round_trip(sandbox, "sanity-scram", &messages("scram", 3))?;
    let bad = sasl_client_properties("SCRAM-SHA-512", module, "alice", "wrong");
    refuses_wrong_password(sandbox, &client, &bad, "sanity-scram", "scram", 3)?;
    let logs = sandbox.full_log(&kafka);
    ensure!(
        logs.contains("SCRAM users bootstrapped: alice (SCRAM-SHA-512)"),
        "the log does not say that `alice` was bootstrapped:\n{}",
        logs.lines().take(20).collect::<Vec<_>>().join("\n")
    );
    ensure!(
        !logs.contains("alice-secret"),
        "the container's log shows the SCRAM password"
    );
    Ok(())
}

/// The environment of node `id` of a cluster on the case network.
pub(crate) fn cluster_node_env(
    id: u32,
    roles: &str,
    voters: &str,
    broker: bool,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("KAFKA_NODE_ID".to_owned(), id.to_string()),
        ("KAFKA_PROCESS_ROLES".to_owned(), roles.to_owned()),
        (
            "KAFKA_CONTROLLER_LISTENER_NAMES".to_owned(),
            "CONTROLLER".to_owned(),
        ),
        (
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP".to_owned(),
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT".to_owned(),
        ),
        (
            "KAFKA_CONTROLLER_QUORUM_VOTERS".to_owned(),
            voters.to_owned(),
        ),
        (
            "KAFKA_LOG_DIRS".to_owned(),
            "/var/lib/kafka/data".to_owned(),
        ),
        ("CLUSTER_ID".to_owned(), CLUSTER_ID.to_owned()),
    ];
    let listeners = match (broker, roles.contains("controller")) {
        (true, true) => "PLAINTEXT://:9092,CONTROLLER://:9093",
        (true, false) => "PLAINTEXT://:9092",
        _ => "CONTROLLER://:9093",
    };
    env.push(("KAFKA_LISTENERS".to_owned(), listeners.to_owned()));
    if broker {
        env.extend([
            (
                "KAFKA_ADVERTISED_LISTENERS".to_owned(),
                format!("PLAINTEXT://kafka-{id}:9092"),
            ),
            (
                "KAFKA_INTER_BROKER_LISTENER_NAME".to_owned(),
                "PLAINTEXT".to_owned(),
            ),
            (
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR".to_owned(),
                "2".to_owned(),
            ),
            (
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR".to_owned(),
                "2".to_owned(),
            ),
            (
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR".to_owned(),
                "1".to_owned(),
            ),
        ]);
    }
    env
}

/// Starts node `id` of a cluster on the case network, with its own data volume.
pub(crate) fn start_cluster_node(
    sandbox: &mut Sandbox<'_>,
    id: u32,
    env: Vec<(String, String)>,
) -> anyhow::Result<String> {
    let volume = sandbox.volume(&format!("data-{id}"));
    let mut spec = ContainerSpec::named(&format!("kafka-{id}"))
        .networked()
        .mount(format!("{volume}:/var/lib/kafka/data"));
    spec.env = env;
    sandbox.start(&spec)
}

fn wait_isr(
    sandbox: &Sandbox<'_>,
    client: &Client<'_>,
    topic: &str,
    expected: usize,
) -> anyhow::Result<()> {
    sandbox.wait_for(
        &format!("{expected} in-sync replicas of `{topic}`"),
        CLUSTER_START,
        || {
            Ok((client
                .in_sync_replicas(sandbox, topic)
                .unwrap_or_default()
                .len()
                == expected)
                .then_some(()))
        },
    )
}

fn combined_cluster_survives_restart(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let voters = "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093";
    let mut nodes = Vec::new();
    for id in 1..=3 {
        let env = cluster_node_env(id, "broker,controller", voters, true);
        nodes.push(start_cluster_node(sandbox, id, env)?);
    }
    for node in &nodes {
        sandbox.wait_serving(node, CLUSTER_START)?;
    }
    let first = Client {
        container: &nodes[0],
        bootstrap: "kafka-1:9092",
        properties: "",
    };
    let second = Client {
        container: &nodes[1],
        bootstrap: "kafka-2:9092",
        properties: "",
    };
    first.create_topic(
        sandbox,
        "replicated",
        1,
        3,
        "--config min.insync.replicas=2",
    )?;
    wait_isr(sandbox, &first, "replicated", 3)?;
    let before = messages("before", 3);
    first.produce(sandbox, "replicated", &before)?;
    sandbox.stop(&nodes[2], STOP_TIMEOUT)?;
    let during = messages("during", 3);
    first.produce(sandbox, "replicated", &during)?;
    let all: Vec<String> = before.iter().chain(&during).cloned().collect();
    super::client::expect_messages(&second.consume(sandbox, "replicated", all.len())?, &all)?;
    sandbox.restart(&nodes[2])?;
    sandbox.wait_serving(&nodes[2], CLUSTER_START)?;
    wait_isr(sandbox, &first, "replicated", 3)?;
    let third = Client {
        container: &nodes[2],
        bootstrap: "kafka-3:9092",
        properties: "",
    };
    super::client::expect_messages(&third.consume(sandbox, "replicated", all.len())?, &all)
}

fn isolated_cluster_survives_restart(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let voters = "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093";
    let mut controllers = Vec::new();
    for id in 1..=3 {
        let env = cluster_node_env(id, "controller", voters, false);
        controllers.push(start_cluster_node(sandbox, id, env)?);
    }
    let mut brokers = Vec::new();
    for id in 4..=6 {
        let env = cluster_node_env(id, "broker", voters, true);
        brokers.push(start_cluster_node(sandbox, id, env)?);
    }
    for broker in &brokers {
        sandbox.wait_serving(broker, CLUSTER_START)?;
    }
    let four = Client {
        container: &brokers[0],
        bootstrap: "kafka-4:9092",
        properties: "",
    };
    let five = Client {
        container: &brokers[1],
        bootstrap: "kafka-5:9092",
        properties: "",
    };
    four.create_topic(sandbox, "isolated", 1, 3, "--config min.insync.replicas=2")?;
    wait_isr(sandbox, &four, "isolated", 3)?;
    let first = messages("first", 3);
    four.produce(sandbox, "isolated", &first)?;
    // Losing one controller of three keeps the quorum.
    sandbox.stop(&controllers[0], STOP_TIMEOUT)?;
    let second = messages("second", 3);
    five.produce(sandbox, "isolated", &second)?;
    sandbox.restart(&controllers[0])?;
    // A broker restart: the other broker leads meanwhile, then the ISR is whole again.
    sandbox.stop(&brokers[1], STOP_TIMEOUT)?;
    let third = messages("third", 3);
    four.produce(sandbox, "isolated", &third)?;
    sandbox.restart(&brokers[1])?;
    sandbox.wait_serving(&brokers[1], CLUSTER_START)?;
    wait_isr(sandbox, &four, "isolated", 3)?;
    let all: Vec<String> = first.iter().chain(&second).chain(&third).cloned().collect();
    super::client::expect_messages(&five.consume(sandbox, "isolated", all.len())?, &all)
}

fn restart_keeps_storage(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let volume = sandbox.volume("data");
    let spec = ContainerSpec::named("kafka").mount(format!("{volume}:/var/lib/kafka/data"));
    let kafka = sandbox.start(&spec)?;
    sandbox.wait_serving(&kafka, START)?;
    let meta = "/var/lib/kafka/data/meta.properties";
    let before = sandbox.read_file(&kafka, meta)?;
    ensure!(
        parse_properties(&before)
            .iter()
            .any(|(k, _)| k == "cluster.id"),
        "`{meta}` has no cluster.id after the first start:\n{before}"
    );
    let client = plaintext_client(&kafka);
    client.create_topic(sandbox, "durable", 1, 1, "")?;
    let sent = messages("durable", 5);
    client.produce(sandbox, "durable", &sent)?;
    sandbox.stop(&kafka, STOP_TIMEOUT)?;
    sandbox.restart(&kafka)?;
    sandbox.wait_serving(&kafka, START)?;
    let after = sandbox.read_file(&kafka, meta)?;
    ensure!(
        before == after,
        "`{meta}` changed across a restart (the volume was reformatted):\nbefore:\n{before}\nafter:\n{after}"
    );
    super::client::expect_messages(&client.consume(sandbox, "durable", sent.len())?, &sent)
}

fn bad_config_fails_fast(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let env = single_node_env_with(&[("KAFKA_NODE_ID", "one")]);
    let kafka = sandbox.start(&ContainerSpec::named("kafka").env(&env))?;
    let code = sandbox.wait_exit(&kafka, FAIL_FAST)?;
    let logs = sandbox.logs(&kafka);
    // Exit code 2 is the entrypoint's documented code for bad input (nothing written).
    ensure!(
        code == 2,
        "container exited with {code} on a non-integer node id, expected 2 (bad configuration)"
    );
    ensure!(
        logs.contains("KAFKA_NODE_ID"),
        "the error does not name `KAFKA_NODE_ID`:\n{logs}"
    );
    ensure!(
        !logs.contains("kafka.Kafka") && !logs.contains("Kafka version"),
        "Kafka was launched despite the bad configuration"
    );
    Ok(())
}

fn unwritable_data_volume_fails_clearly(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let dir = sandbox.host_dir()?;
    super::sandbox::set_mode(&dir, 0o555)?;
    let spec =
        ContainerSpec::named("kafka").mount(format!("{}:/var/lib/kafka/data", dir.display()));
    let kafka = sandbox.start(&spec)?;
    let code = sandbox.wait_exit(&kafka, FAIL_FAST)?;
    let logs = sandbox.logs(&kafka);
    ensure!(
        code != 0,
        "container exited with 0 although it could not write its data volume"
    );
    ensure!(
        logs.contains("error: ")
            && logs.contains("/var/lib/kafka/data")
            && logs.contains("not writable"),
        "the error does not say that `/var/lib/kafka/data` is not writable:\n{logs}"
    );
    // The host directory belongs to the user running the suite; the container runs as 1000.
    let owner = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata(&dir).context("failed to read the data directory's owner")?,
    );
    for needed in [
        format!("belongs to uid {owner}"),
        "runs as uid 1000".to_owned(),
        "--user".to_owned(),
        "chown".to_owned(),
        "fsGroup".to_owned(),
    ] {
        ensure!(
            logs.contains(&needed),
            "the error does not say `{needed}` (who owns the volume, who the container runs as, how to fix it):\n{logs}"
        );
    }
    ensure!(
        !logs.contains("Kafka Server started"),
        "Kafka started on an unwritable data volume"
    );
    Ok(())
}

fn docker_stop_is_clean(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let kafka = sandbox.start(&ContainerSpec::named("kafka"))?;
    sandbox.wait_serving(&kafka, START)?;
    let took = sandbox.stop(&kafka, CLEAN_STOP)?;
    let state = sandbox.state(&kafka)?;
    // 143 = 128 + SIGTERM: a JVM that ran its shutdown hooks after SIGTERM; 137 would be SIGKILL
    // after the timeout.
    ensure!(
        matches!(state.exit_code, 0 | 143),
        "container exited with {} after `docker stop` (137 means it was killed)",
        state.exit_code
    );
    ensure!(
        took < CLEAN_STOP,
        "`docker stop` took {}s, the whole {}s timeout",
        took.as_secs(),
        CLEAN_STOP.as_secs()
    );
    Ok(())
}

/// The produce burst of [`small_container_survives_produce_burst`]: 100 000 records of 1 KiB.
const BURST_RECORDS: u64 = 100_000;
/// The size of each record of the burst, in bytes.
const BURST_RECORD_SIZE: u32 = 1024;

/// The `-Xmx`/`-Xms` words of the broker's command line: PID 1, the JVM the entrypoint exec'd.
fn broker_heap(sandbox: &Sandbox<'_>, kafka: &str) -> anyhow::Result<Vec<String>> {
    let cmdline = sandbox.read_file(kafka, "/proc/1/cmdline")?;
    let words: Vec<&str> = cmdline.split('\0').filter(|w| !w.is_empty()).collect();
    ensure!(
        words
            .first()
            .is_some_and(|program| program.ends_with("java"))
            && words.contains(&"kafka.Kafka"),
        "PID 1 of `{kafka}` is not the broker's JVM: {}",
        words.join(" ")
    );
    Ok(words
        .into_iter()
        .filter(|w| w.starts_with("-Xmx") || w.starts_with("-Xms"))
        .map(str::to_owned)
        .collect())
}

/// Fails unless the broker in `kafka` runs with `-Xmx{heap} -Xms{heap}` and no other heap flag.
fn expect_heap(sandbox: &Sandbox<'_>, kafka: &str, heap: &str) -> anyhow::Result<()> {
    let flags = broker_heap(sandbox, kafka)?;
    let expected = [format!("-Xmx{heap}"), format!("-Xms{heap}")];
    ensure!(
        flags == expected,
        "the broker in `{kafka}` runs with the heap flags {flags:?}, expected {expected:?}"
    );
    Ok(())
}

/// Fails unless the entrypoint said it sized the heap from the limit (its line before the exec).
fn expect_heap_notice(sandbox: &Sandbox<'_>, kafka: &str, notice: &str) -> anyhow::Result<()> {
    let logs = sandbox.full_log(kafka);
    ensure!(
        logs.contains(notice),
        "the log of `{kafka}` does not say `{notice}`:\n{}",
        logs.lines().take(40).collect::<Vec<_>>().join("\n")
    );
    Ok(())
}

/// The smallest container the user guide's heap table names. A tool JVM in the broker's container
/// would share its limit, so the producer runs in a second container.
fn small_container_survives_produce_burst(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let env = single_node_env_with(&[("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://kafka:9092")]);
    let kafka = sandbox.start(
        &ContainerSpec::named("kafka")
            .networked()
            .memory("512m")
            .entrypoint_heap()
            .env(&env),
    )?;
    let client = sandbox.start(
        &ContainerSpec::named("client")
            .networked()
            .run("sleep", &["infinity"]),
    )?;
    wait_healthy(sandbox, &kafka)?;
    expect_heap(sandbox, &kafka, "256m")?;
    expect_heap_notice(
        sandbox,
        &kafka,
        "heap `-Xmx256m -Xms256m` from the container's memory limit of 512 MiB",
    )?;
    let producer = Client {
        container: &client,
        bootstrap: "kafka:9092",
        properties: "",
    };
    producer.create_topic(sandbox, "burst", 1, 1, "")?;
    producer.produce_burst(sandbox, "burst", BURST_RECORDS, BURST_RECORD_SIZE)?;
    let end = producer.end_offset(sandbox, "burst")?;
    ensure!(
        end == BURST_RECORDS,
        "the end offset of `burst` is {end} after {BURST_RECORDS} acknowledged records"
    );
    let state = sandbox.state(&kafka)?;
    ensure!(
        state.running && !state.oom_killed && state.restarts == 0,
        "after the burst `{kafka}` is running: {}, OOM-killed: {}, restarted {} time(s) (exit code {})",
        state.running,
        state.oom_killed,
        state.restarts,
        state.exit_code
    );
    sandbox
        .exec(&kafka, &["kafka-entrypoint", "health"])
        .context("the broker does not answer its health check after the burst")?;
    Ok(())
}

/// A larger container gets a larger heap; no limit keeps Kafka's default. Both containers start
/// at once.
fn heap_follows_memory_limit(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let limited = sandbox.start(
        &ContainerSpec::named("limited")
            .memory("4g")
            .entrypoint_heap(),
    )?;
    let unlimited = sandbox.start(&ContainerSpec::named("unlimited").entrypoint_heap())?;
    sandbox.wait_serving(&limited, START)?;
    sandbox.wait_serving(&unlimited, START)?;
    expect_heap(sandbox, &limited, "1536m")?;
    expect_heap_notice(
        sandbox,
        &limited,
        "heap `-Xmx1536m -Xms1536m` from the container's memory limit of 4096 MiB",
    )?;
    expect_heap(sandbox, &unlimited, "1G")?;
    let logs = sandbox.full_log(&unlimited);
    ensure!(
        !logs.contains("from the container's memory limit"),
        "the entrypoint of `{unlimited}` (no limit) sized the heap from a limit:\n{}",
        logs.lines().take(40).collect::<Vec<_>>().join("\n")
    );
    Ok(())
}

/// OpenShift's arbitrary uid in group 0 on a read-only root: only the data volume and `/tmp`
/// are writable. The restart starts on an empty `/tmp` and must keep the volume as it was.
fn random_uid_read_only_root(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let volume = sandbox.volume("data");
    let spec = ContainerSpec::named("kafka")
        .user("100234:0")
        .read_only_root()
        .mount(format!("{volume}:/var/lib/kafka/data"));
    let kafka = sandbox.start(&spec)?;
    wait_healthy(sandbox, &kafka)?;
    let uid = sandbox.exec(&kafka, &["id", "-u"])?;
    ensure!(
        uid.trim() == "100234",
        "the container runs as uid {}, not 100234",
        uid.trim()
    );
    let client = plaintext_client(&kafka);
    client.create_topic(sandbox, "any-uid", 1, 1, "")?;
    let sent = messages("any-uid", 5);
    client.round_trip(sandbox, "any-uid", &sent)?;
    let meta = "/var/lib/kafka/data/meta.properties";
    let before = sandbox.read_file(&kafka, meta)?;
    sandbox.stop(&kafka, STOP_TIMEOUT)?;
    // A fresh /tmp: the final configs are written again, the data stays.
    sandbox.restart(&kafka)?;
    wait_healthy(sandbox, &kafka)?;
    let after = sandbox.read_file(&kafka, meta)?;
    ensure!(
        before == after,
        "`{meta}` changed across a restart:\nbefore:\n{before}\nafter:\n{after}"
    );
    super::client::expect_messages(&client.consume(sandbox, "any-uid", sent.len())?, &sent)
}

/// What a Kubernetes Service named `kafka` with a port named `broker` injects into every pod of
/// its namespace.
const SERVICE_LINK_VARS: &[(&str, &str)] = &[
    ("KAFKA_PORT", "tcp://10.0.0.1:9092"),
    ("KAFKA_PORT_9092_TCP", "tcp://10.0.0.1:9092"),
    ("KAFKA_PORT_9092_TCP_ADDR", "10.0.0.1"),
    ("KAFKA_PORT_9092_TCP_PORT", "9092"),
    ("KAFKA_PORT_9092_TCP_PROTO", "tcp"),
    ("KAFKA_SERVICE_HOST", "10.0.0.1"),
    ("KAFKA_SERVICE_PORT", "9092"),
    ("KAFKA_SERVICE_PORT_BROKER", "9092"),
];

fn service_link_variables_ignored(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let mut env = single_node_env();
    env.extend_from_slice(SERVICE_LINK_VARS);
    let kafka = sandbox.start(&ContainerSpec::named("kafka").env(&env))?;
    sandbox.wait_serving(&kafka, START)?;
    let config = final_config(sandbox, &kafka)?;
    let injected: Vec<&str> = config
        .iter()
        .map(|(key, _)| key.as_str())
        .filter(|key| *key == "port" || key.starts_with("port.") || key.starts_with("service."))
        .collect();
    ensure!(
        injected.is_empty(),
        "the final server.properties has keys from service-link variables: {injected:?}"
    );
    expect_key(&config, "node.id", "1")?;
    let logs = sandbox.full_log(&kafka);
    // The entrypoint's own lines (Kafka's start with a `[timestamp]` or a tab).
    let entrypoint: Vec<&str> = logs
        .lines()
        .filter(|line| !line.starts_with('[') && !line.starts_with('\t'))
        .collect();
    let warnings: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("injected by a Kubernetes Service"))
        .collect();
    ensure!(
        warnings.len() == 1,
        "expected one warning about the injected variables, found {}:\n{}",
        warnings.len(),
        entrypoint.join("\n")
    );
    for (name, _) in SERVICE_LINK_VARS {
        ensure!(
            warnings[0].contains(&format!("`{name}`")),
            "the warning does not name `{name}`: {}",
            warnings[0]
        );
    }
    ensure!(
        logs.contains("enableServiceLinks: false"),
        "the warning does not say how to turn service links off:\n{}",
        entrypoint.join("\n")
    );
    serves_records(sandbox, &kafka, "service-links")
}

/// The port the cases' Prometheus exporter listens on.
const METRICS_PORT: &str = "9404";

fn prometheus_metrics(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let env = single_node_env_with(&[("KAFKA_ENTRYPOINT_METRICS_PORT", METRICS_PORT)]);
    let kafka = sandbox.start(&ContainerSpec::named("kafka").networked().env(&env))?;
    // Prometheus scrapes from elsewhere: a second container on the network, no JVM in it.
    let scraper = sandbox.start(
        &ContainerSpec::named("scraper")
            .networked()
            .run("sleep", &["infinity"]),
    )?;
    sandbox.wait_serving(&kafka, START)?;
    // The exporter is a Java agent, and the JVM refuses a whole AOT cache, saying so in
    // `[error][aot]` lines, when the modules it adds differ from the training run's; `run`
    // names them at both, so the image's cache is still mapped.
    let refused: Vec<String> = sandbox
        .full_log(&kafka)
        .lines()
        .filter(|line| line.contains("[error][aot]"))
        .map(str::to_owned)
        .collect();
    ensure!(
        refused.is_empty(),
        "the JVM refused the image's AOT cache with the exporter on:\n{}",
        refused.join("\n")
    );
    serves_records(sandbox, &kafka, "prometheus")?;
    // HTTP/1.0 over bash's /dev/tcp: the image has no curl, and needs none.
    let scrape = sandbox
        .bash(
            &scraper,
            &format!(
                "exec 3<>/dev/tcp/kafka/{METRICS_PORT} && \
                 printf 'GET /metrics HTTP/1.0\r\nHost: kafka\r\n\r\n' >&3 && cat <&3"
            ),
        )
        .with_context(|| format!("failed to scrape http://kafka:{METRICS_PORT}/metrics"))?;
    let series = scrape
        .lines()
        .filter(|line| line.starts_with("kafka_server_"))
        .count();
    ensure!(
        series > 0,
        "the scrape has no kafka_server_* series:\n{}",
        scrape.lines().take(40).collect::<Vec<_>>().join("\n")
    );
    let messages_in = scrape
        .lines()
        .filter(|line| {
            line.starts_with("kafka_server_brokertopicmetrics_messagesin_total{")
                && line.contains("topic=\"prometheus\"")
        })
        .find_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok());
    ensure!(
        messages_in.is_some_and(|count| count >= 5.0),
        "kafka_server_brokertopicmetrics_messagesin_total{{topic=\"prometheus\"}} is {messages_in:?} after producing 5 records"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_unique_snake_case() {
        let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CASES.len());
    }

    #[test]
    fn spec_section_7_is_covered() {
        for needed in [
            "default_config_starts",
            "env_config",
            "file_input",
            "env_over_file",
            "ssl_produce_consume",
            "sasl_plain",
            "sasl_scram",
            "combined_cluster_survives_restart",
            "isolated_cluster_survives_restart",
            "restart_keeps_storage",
            "bad_config_fails_fast",
            "health_turns_healthy",
            "docker_stop_is_clean",
        ] {
            assert!(CASES.iter().any(|c| c.name == needed), "{needed}");
        }
    }

    #[test]
    fn env_changes_replace_or_add() {
        let env = single_node_env_with(&[("KAFKA_NODE_ID", "one"), ("KAFKA_X", "y")]);
        assert_eq!(env.iter().filter(|(k, _)| *k == "KAFKA_NODE_ID").count(), 1);
        assert!(env.contains(&("KAFKA_NODE_ID", "one")));
        assert!(env.contains(&("KAFKA_X", "y")));
    }

    #[test]
    fn expect_key_wants_exactly_one_value() {
        let config = parse_properties("a=1\nb=2\nb=3\n");
        assert!(expect_key(&config, "a", "1").is_ok());
        assert!(expect_key(&config, "a", "2").is_err());
        let err = expect_key(&config, "b", "3").unwrap_err().to_string();
        assert_eq!(
            err,
            r#"final server.properties has `b` = ["2", "3"], expected exactly ["3"]"#
        );
    }

    #[test]
    fn isolated_nodes_get_role_specific_listeners() {
        let controller = cluster_node_env(1, "controller", "v", false);
        assert!(controller.contains(&(
            "KAFKA_LISTENERS".to_owned(),
            "CONTROLLER://:9093".to_owned()
        )));
        assert!(
            !controller
                .iter()
                .any(|(k, _)| k == "KAFKA_ADVERTISED_LISTENERS")
        );
        let broker = cluster_node_env(4, "broker", "v", true);
        assert!(broker.contains(&(
            "KAFKA_ADVERTISED_LISTENERS".to_owned(),
            "PLAINTEXT://kafka-4:9092".to_owned()
        )));
    }
}
