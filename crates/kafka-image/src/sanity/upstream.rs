//! Upstream's own sanity flows (apache/kafka `docker/test/docker_sanity_test.py`), reproduced on
//! the clusters of its fixtures: `fixtures/mode/combined` (3 broker+controller nodes) and
//! `fixtures/mode/isolated` (3 controllers + 3 brokers), with the same `KAFKA_*` variables, the
//! same mounted `file-input/server.properties` for `broker3`, and the same flows in the same
//! order: broker metrics over JMX (`KAFKA_JMX_PORT` + `KAFKA_JMX_HOSTNAME=localhost`,
//! `MessagesInPerSec` before and after a produce), SSL configured by variables (`broker2`), SSL
//! configured by the mounted file (`broker3`), SASL_PLAINTEXT with PLAIN (`broker1`, a JAAS file
//! through `KAFKA_OPTS`), and a broker restart keeping a message.
//!
//! Two differences, both forced by running without host ports: upstream's compose files publish
//! each broker's ports on the host and advertise `localhost:<host port>`; here every broker
//! advertises `<its host name>:<container port>` on the case's network and the clients run in a
//! client container on that network. The JMX client runs inside `broker1` (its loopback is the
//! `localhost` upstream's `KAFKA_JMX_HOSTNAME` names, as the host's published port is upstream).
//! The isolated fixture has no SASL listener upstream; `broker1` gets the combined fixture's, so
//! the SASL flow runs on both layouts. Topics of the metrics and restart flows are placed on
//! `broker1` (upstream leaves it to chance, and accepts an unchanged count), and so is the SASL
//! flow's, read back without a consumer group: only `broker1` has the SASL listener, and a
//! group's coordinator may be another broker.

use std::path::Path;

use anyhow::{Context as _, ensure};

use super::cases::{CLUSTER_ID, CLUSTER_START, STOP_TIMEOUT, messages_in};
use super::client::{Client, expect_messages};
use super::sandbox::{ContainerSpec, Sandbox, write_host_file};
use super::tls;

/// The cluster layouts of upstream's fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `fixtures/mode/combined`: broker1..3 are broker+controller nodes 1..3.
    Combined,
    /// `fixtures/mode/isolated`: controller1..3 are nodes 1..3, broker1..3 are nodes 4..6.
    Isolated,
}

/// Upstream's voters and the variables every node of its fixtures shares.
fn voters(layout: Layout) -> &'static str {
    match layout {
        Layout::Combined => "1@broker1:19092,2@broker2:19092,3@broker3:19092",
        Layout::Isolated => "1@controller1:19092,2@controller2:19092,3@controller3:19092",
    }
}

/// The replication variables upstream's fixtures give every node from the environment.
const REPLICATION_ENV: &[(&str, &str)] = &[
    ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
    ("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0"),
    ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1"),
    ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
    (
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "1",
    ),
    ("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1"),
];

/// The JAAS file of upstream's `fixtures/sasl` mount: the PLAIN users `admin` and `alice`.
const BROKER_JAAS: &str = "KafkaServer {\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n  \
    username=\"admin\"\n  password=\"admin-secret\"\n  user_admin=\"admin-secret\"\n  \
    user_alice=\"alice-secret\";\n};\n";

/// Upstream's `fixtures/sasl/client-sasl.properties`.
const CLIENT_SASL: &str = "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n\
    sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
    username=\"alice\" password=\"alice-secret\";";

/// The keystore names upstream's fixtures use (`kafka01` by variables, `kafka02` in the file).
const KEYSTORE_ENV: &str = "kafka01.keystore.jks";
const KEYSTORE_FILE: &str = "kafka02.keystore.jks";

/// Upstream's `fixtures/file-input/server.properties`, with this suite's store password and the
/// advertised addresses of the case's network.
fn file_input_properties() -> String {
    let pw = tls::STORE_PASSWORD;
    format!(
        "advertised.listeners=PLAINTEXT_HOST://broker3:9092,SSL://broker3:9093,PLAINTEXT://broker3:29092\n\
         controller.listener.names=CONTROLLER\ngroup.initial.rebalance.delay.ms=0\n\
         inter.broker.listener.name=PLAINTEXT\n\
         listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT\n\
         log.dirs=/tmp/kraft-combined-logs\noffsets.topic.replication.factor=1\n\
         process.roles=to be overridden\nssl.client.auth=required\nssl.key.password={pw}\n\
         ssl.keystore.location=/etc/kafka/secrets/{KEYSTORE_FILE}\nssl.keystore.password={pw}\n\
         ssl.truststore.location=/etc/kafka/secrets/{ts}\nssl.truststore.password={pw}\n\
         transaction.state.log.min.isr=1\ntransaction.state.log.replication.factor=1\n",
        ts = tls::TRUSTSTORE
    )
}

/// The SSL helper variables of upstream's `broker1` and `broker2`.
fn ssl_env() -> Vec<(&'static str, &'static str)> {
    tls::SSL_ENV
        .iter()
        .map(|(key, value)| match *key {
            "KAFKA_SSL_KEYSTORE_FILENAME" => (*key, KEYSTORE_ENV),
            _ => (*key, *value),
        })
        .collect()
}

/// Host directories mounted as upstream's `secrets`, `sasl` and `file-input`.
struct Fixtures {
    secrets: String,
    sasl: String,
    file_input: String,
}

fn write_fixtures(sandbox: &mut Sandbox<'_>) -> anyhow::Result<Fixtures> {
    let secrets = sandbox.host_dir()?;
    tls::write_secrets(&secrets, &["broker1", "broker2", "broker3"])?;
    let keystore = std::fs::read(secrets.join(tls::KEYSTORE))?;
    for name in [KEYSTORE_ENV, KEYSTORE_FILE] {
        write_host_file(&secrets, name, &keystore, 0o644)?;
    }
    let sasl = sandbox.host_dir()?;
    write_host_file(&sasl, "broker_jaas.conf", BROKER_JAAS.as_bytes(), 0o644)?;
    let file_input = sandbox.host_dir()?;
    write_host_file(
        &file_input,
        "server.properties",
        file_input_properties().as_bytes(),
        0o644,
    )?;
    let mount = |dir: &Path, target: &str| format!("{}:{target}", dir.display());
    Ok(Fixtures {
        secrets: mount(&secrets, "/etc/kafka/secrets"),
        sasl: mount(&sasl, "/etc/kafka/sasl"),
        file_input: mount(&file_input, "/mnt/shared/config"),
    })
}

/// Starts upstream's cluster for `layout`; returns `broker1`, `broker2` and `broker3` (node ids
/// `first_broker`, `+1`, `+2`) once all serve.
fn start_cluster(
    sandbox: &mut Sandbox<'_>,
    layout: Layout,
    fixtures: &Fixtures,
) -> anyhow::Result<[String; 3]> {
    let voters = voters(layout);
    let (roles, first_broker) = match layout {
        Layout::Combined => ("broker,controller", 1),
        Layout::Isolated => ("broker", 4),
    };
    let controller = |listeners: &str| match layout {
        Layout::Combined => format!("CONTROLLER://:19092,{listeners}"),
        Layout::Isolated => listeners.to_owned(),
    };
    if layout == Layout::Isolated {
        for id in 1..=3u32 {
            let id_text = id.to_string();
            let mut env = vec![
                ("KAFKA_NODE_ID", id_text.as_str()),
                (
                    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                    "CONTROLLER:PLAINTEXT",
                ),
                ("KAFKA_PROCESS_ROLES", "controller"),
                ("KAFKA_CONTROLLER_QUORUM_VOTERS", voters),
                ("KAFKA_LISTENERS", "CONTROLLER://:19092"),
                ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
                ("KAFKA_LOG_DIRS", "/tmp/kraft-combined-logs"),
                ("CLUSTER_ID", CLUSTER_ID),
            ];
            env.extend_from_slice(REPLICATION_ENV);
            sandbox.start(
                &ContainerSpec::named(&format!("controller{id}"))
                    .networked()
                    .env(&env),
            )?;
        }
    }
    let mut brokers = Vec::new();
    for index in 0..3u32 {
        let host = format!("broker{}", index + 1);
        let id = (first_broker + index).to_string();
        let spec = ContainerSpec::named(&host)
            .networked()
            .mount(fixtures.secrets.clone());
        let spec = if index == 2 {
            // broker3: the mounted file, and only the variables upstream sets over it.
            let listeners = controller("PLAINTEXT_HOST://:9092,SSL://:9093,PLAINTEXT://:29092");
            spec.mount(fixtures.file_input.clone()).env(&[
                ("CLUSTER_ID", CLUSTER_ID),
                ("KAFKA_NODE_ID", &id),
                ("KAFKA_CONTROLLER_QUORUM_VOTERS", voters),
                ("KAFKA_LISTENERS", &listeners),
                ("KAFKA_PROCESS_ROLES", roles),
            ])
        } else {
            let sasl = index == 0;
            let (listeners, map, advertised) = if sasl {
                (
                    controller(
                        "PLAINTEXT_HOST://:9092,SSL://:9093,PLAINTEXT://:29092,SASL_PLAINTEXT://:9095",
                    ),
                    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,PLAINTEXT_HOST:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
                    format!(
                        "PLAINTEXT_HOST://{host}:9092,SSL://{host}:9093,PLAINTEXT://{host}:29092,SASL_PLAINTEXT://{host}:9095"
                    ),
                )
            } else {
                (
                    controller("PLAINTEXT_HOST://:9092,SSL://:9093,PLAINTEXT://:29092"),
                    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,PLAINTEXT_HOST:PLAINTEXT",
                    format!(
                        "PLAINTEXT_HOST://{host}:9092,SSL://{host}:9093,PLAINTEXT://{host}:29092"
                    ),
                )
            };
            let mut env = vec![
                ("KAFKA_NODE_ID", id.as_str()),
                ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", map),
                ("KAFKA_ADVERTISED_LISTENERS", advertised.as_str()),
                ("KAFKA_PROCESS_ROLES", roles),
                ("KAFKA_CONTROLLER_QUORUM_VOTERS", voters),
                ("KAFKA_LISTENERS", listeners.as_str()),
                ("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT"),
                ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
                ("KAFKA_LOG_DIRS", "/tmp/kraft-combined-logs"),
                ("CLUSTER_ID", CLUSTER_ID),
            ];
            env.extend_from_slice(REPLICATION_ENV);
            env.extend(ssl_env());
            let mut spec = spec;
            if sasl {
                env.extend([
                    ("KAFKA_JMX_PORT", "9101"),
                    ("KAFKA_JMX_HOSTNAME", "localhost"),
                    ("KAFKA_SASL_ENABLED_MECHANISMS", "PLAIN"),
                    (
                        "KAFKA_OPTS",
                        "-Djava.security.auth.login.config=/etc/kafka/sasl/broker_jaas.conf",
                    ),
                ]);
                spec = spec.mount(fixtures.sasl.clone());
            }
            spec.env(&env)
        };
        brokers.push(sandbox.start(&spec)?);
    }
    for broker in &brokers {
        sandbox.wait_serving(broker, CLUSTER_START)?;
    }
    let [one, two, three]: [String; 3] = brokers
        .try_into()
        .map_err(|_| anyhow::anyhow!("three brokers expected"))?;
    Ok([one, two, three])
}

/// One upstream flow: `key:message` produced and exactly it consumed back.
fn one_message(sandbox: &Sandbox<'_>, client: &Client<'_>, topic: &str) -> anyhow::Result<()> {
    client.round_trip(sandbox, topic, &["key:message".to_owned()])
}

fn upstream_flows(sandbox: &mut Sandbox<'_>, layout: Layout) -> anyhow::Result<()> {
    let fixtures = write_fixtures(sandbox)?;
    let [broker1, _, _] = start_cluster(sandbox, layout, &fixtures)?;
    let first_broker = match layout {
        Layout::Combined => 1,
        Layout::Isolated => 4,
    };
    let client = sandbox.start(
        &ContainerSpec::named("client")
            .networked()
            .mount(fixtures.secrets.clone())
            .run("sleep", &["infinity"]),
    )?;
    let plaintext = Client {
        container: &client,
        bootstrap: "broker1:9092",
        properties: "",
    };
    broker_metrics_flow(sandbox, &plaintext, &broker1, first_broker)
        .context("broker metrics flow (broker1, JMX)")?;
    // SSL by variables (broker2), then SSL by the mounted file (broker3).
    let ssl = tls::client_properties();
    for (bootstrap, topic) in [
        ("broker2:9093", "test-topic-ssl"),
        ("broker3:9093", "test-topic-file-input"),
    ] {
        let client = Client {
            container: &client,
            bootstrap,
            properties: &ssl,
        };
        client
            .create_topic(sandbox, topic, 1, 1, "")
            .and_then(|()| one_message(sandbox, &client, topic))
            .with_context(|| format!("SSL flow ({bootstrap})"))?;
    }
    // SASL_PLAINTEXT with PLAIN (broker1, the JAAS file through KAFKA_OPTS).
    let sasl = Client {
        container: &client,
        bootstrap: "broker1:9095",
        properties: CLIENT_SASL,
    };
    sasl.create_topic_on(sandbox, "test-topic-sasl", first_broker)
        .and_then(|()| {
            sasl.round_trip_without_group(sandbox, "test-topic-sasl", &["key:message".to_owned()])
        })
        .context("SASL_PLAINTEXT flow (broker1:9095, PLAIN)")?;
    broker_restart_flow(sandbox, &plaintext, &broker1, first_broker)
        .context("broker restart flow (broker1)")
}

/// MessagesInPerSec of broker1 over JMX, before and after a produce to a topic on it.
fn broker_metrics_flow(
    sandbox: &Sandbox<'_>,
    plaintext: &Client<'_>,
    broker1: &str,
    node: u32,
) -> anyhow::Result<()> {
    let topic = "test-topic-broker-metrics";
    plaintext.create_topic_on(sandbox, topic, node)?;
    let before = messages_in(sandbox, broker1, "localhost")?;
    one_message(sandbox, plaintext, topic)?;
    let after = messages_in(sandbox, broker1, "localhost")?;
    ensure!(
        after > before,
        "MessagesInPerSec of broker1 counted {before} before and {after} after a produce"
    );
    Ok(())
}

/// A message produced before `docker stop` + `docker start` of broker1 is consumed after it.
fn broker_restart_flow(
    sandbox: &Sandbox<'_>,
    plaintext: &Client<'_>,
    broker1: &str,
    node: u32,
) -> anyhow::Result<()> {
    let topic = "test-topic-broker-restart";
    plaintext.create_topic_on(sandbox, topic, node)?;
    let sent = ["key:message".to_owned()];
    plaintext.produce(sandbox, topic, &sent)?;
    sandbox.stop(broker1, STOP_TIMEOUT)?;
    sandbox.restart(broker1)?;
    sandbox.wait_serving(broker1, CLUSTER_START)?;
    expect_messages(&plaintext.consume(sandbox, topic, 1)?, &sent)
}

/// Upstream's flows on its combined fixture (3 broker+controller nodes).
pub(crate) fn upstream_combined_flows(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    upstream_flows(sandbox, Layout::Combined)
}

/// Upstream's flows on its isolated fixture (3 controllers + 3 brokers).
pub(crate) fn upstream_isolated_flows(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    upstream_flows(sandbox, Layout::Isolated)
}
