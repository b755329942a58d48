//! Whole-program tests of `kafka-entrypoint health` (SPEC §4.4) against real Apache Kafka
//! (issue 8): the built binary against a real node started from a distribution under
//! `KAFKA_DISTS_DIR` (see `real_kafka/`).
//!
//! One combined broker+controller per version serves a listener of each security protocol
//! (PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL with PLAIN, plus an SSL listener that requires
//! client certificates). `health` reads a copy of the node's real `server.properties` in which
//! `listeners` keeps one of them (and the controller), so each protocol goes through the same
//! listener choice as the image's `HEALTHCHECK`; `--bootstrap` is checked on each too. Each case
//! sees exit 1 from the JVM's start until the listener serves, exit 0 then, exit 1 within
//! `--timeout` while the JVM is frozen (SIGSTOP: the kernel still accepts connections, nobody
//! answers), and exit 1 after SIGTERM stopped the node. A controller-only node is checked on its
//! controller listener. The TLS certificate names another host and is self-signed: `health`
//! does not verify it (documented in `health --help`).

mod real_kafka;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use real_kafka::{DEADLINE as NODE_DEADLINE, Distribution, Node, STARTED_MESSAGE, free_ports};

/// Any valid cluster id: each node is its own cluster.
const CLUSTER_ID: &str = "MkU3OEVBNTcwNTJENDM2Qg";

/// `--timeout` of the calls that may succeed: `health`'s default, the image's `HEALTHCHECK`.
const TIMEOUT: Duration = Duration::from_secs(2);

/// `--timeout` of the calls to a frozen JVM, which must time out.
const FROZEN_TIMEOUT: Duration = Duration::from_millis(500);

/// What one call may take beyond `--timeout`: starting the process and printing, on a 2-core
/// machine busy with JVMs.
const SLACK: Duration = Duration::from_millis(500);

/// A listener of the test node.
#[derive(Debug, Clone, Copy)]
struct Listener {
    name: &'static str,
    protocol: &'static str,
    port: u16,
}

impl Listener {
    fn entry(&self) -> String {
        format!("{}://127.0.0.1:{}", self.name, self.port)
    }

    /// How `health` names this listener in its one line.
    fn described(&self) -> String {
        format!(
            "127.0.0.1:{} (listener `{}`, {})",
            self.port, self.name, self.protocol
        )
    }

    fn bootstrap(&self) -> String {
        format!("{}://127.0.0.1:{}", self.protocol, self.port)
    }
}

/// The PEM texts of the node's TLS material, generated per test.
struct Tls {
    /// The broker's self-signed certificate, for a host name that is not the one `health`
    /// connects to.
    certificate: String,
    key: String,
    /// A CA no client of these tests has a certificate from (`ssl.client.auth=required`).
    client_ca: String,
}

impl Tls {
    fn generate() -> Self {
        let broker = rcgen::generate_simple_self_signed(vec!["kafka-1.example".to_owned()])
            .expect("a broker certificate");
        let client_ca = rcgen::generate_simple_self_signed(vec!["client-ca.example".to_owned()])
            .expect("a client CA certificate");
        Self {
            certificate: broker.cert.pem(),
            key: broker.signing_key.serialize_pem(),
            client_ca: client_ca.cert.pem(),
        }
    }
}

/// A PEM text as one `.properties` value (`\n` escapes), as in Kafka's docs for inline PEM.
fn inline(pem: &str) -> String {
    pem.trim_end().replace('\n', "\\n")
}

/// The JAAS config of a SASL/PLAIN listener with one user, `admin`.
const PLAIN_JAAS: &str = "org.apache.kafka.common.security.plain.PlainLoginModule required \
     username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\";";

/// The `server.properties` of a combined node with `listeners` (besides the controller's), the
/// inter-broker listener PLAINTEXT, inline PEM key material and SASL/PLAIN on the SASL
/// listeners.
fn combined_config(node: &Node, listeners: &[Listener], controller_port: u16, tls: &Tls) -> String {
    let entries: Vec<String> = listeners.iter().map(Listener::entry).collect();
    let map: Vec<String> = listeners
        .iter()
        .map(|listener| format!("{}:{}", listener.name, listener.protocol))
        .collect();
    format!(
        "process.roles=broker,controller\n\
         node.id=1\n\
         controller.quorum.voters=1@127.0.0.1:{controller_port}\n\
         controller.listener.names=CONTROLLER\n\
         listeners={},CONTROLLER://127.0.0.1:{controller_port}\n\
         advertised.listeners={}\n\
         inter.broker.listener.name=PLAINTEXT\n\
         listener.security.protocol.map={},CONTROLLER:PLAINTEXT\n\
         log.dirs={}\n\
         offsets.topic.replication.factor=1\n\
         transaction.state.log.replication.factor=1\n\
         transaction.state.log.min.isr=1\n\
         ssl.keystore.type=PEM\n\
         ssl.keystore.certificate.chain={}\n\
         ssl.keystore.key={}\n\
         listener.name.mtls.ssl.client.auth=required\n\
         listener.name.mtls.ssl.truststore.type=PEM\n\
         listener.name.mtls.ssl.truststore.certificates={}\n\
         sasl.enabled.mechanisms=PLAIN\n\
         listener.name.sasl_plaintext.plain.sasl.jaas.config={PLAIN_JAAS}\n\
         listener.name.sasl_ssl.plain.sasl.jaas.config={PLAIN_JAAS}\n",
        entries.join(","),
        entries.join(","),
        map.join(","),
        node.path("data").display(),
        inline(&tls.certificate),
        inline(&tls.key),
        inline(&tls.client_ca),
    )
}

/// One call of the binary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `kafka-entrypoint health --timeout <timeout> <args>` and asserts it returned within
/// `timeout` + [`SLACK`].
#[track_caller]
fn health(args: &[&str], timeout: Duration) -> Run {
    let timeout_arg = format!("{}ms", timeout.as_millis());
    let started = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .args(["health", "--timeout", &timeout_arg])
        .args(args)
        .output()
        .expect("run kafka-entrypoint health");
    let elapsed = started.elapsed();
    let run = Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    };
    assert!(
        elapsed <= timeout + SLACK,
        "health {args:?} took {elapsed:?}, more than --timeout {timeout_arg} + {SLACK:?}: {}{}",
        run.stdout,
        run.stderr
    );
    run
}

fn health_of_config(config: &Path) -> Run {
    health(&["--config", config.to_str().expect("UTF-8 path")], TIMEOUT)
}

/// Asserts exit 0 and the success line for `listener`, the time taken replaced.
#[track_caller]
fn assert_answered(run: &Run, listener: &Listener, api_version: i16) {
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let line = run.stdout.trim_end_matches('\n');
    let (head, time) = line
        .rsplit_once(" in ")
        .expect("the line ends with the time");
    assert!(time.ends_with(" ms"), "{line}");
    assert_eq!(
        head,
        format!(
            "ok: {} answered ApiVersions v{api_version}",
            listener.described()
        )
    );
    assert_eq!(run.stderr, "");
}

/// Asserts exit 1 with exactly this one error line.
#[track_caller]
fn assert_fails(run: &Run, expected: &str) {
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, format!("error: {expected}\n"));
    assert_eq!(run.stdout, "");
}

/// A `health` case: a config whose `listeners` keeps one listener to check.
struct Case {
    listener: Listener,
    config: PathBuf,
}

/// Calls `health` on each case in turn from the JVM's start until each has answered once;
/// asserts each failed (exit 1, one line naming its listener) before its first success.
/// Returns when the first case answered.
fn poll_until_each_answers(node: &mut Node, cases: &[Case], api_version: i16) -> Instant {
    let started = Instant::now();
    let mut failures = vec![0_usize; cases.len()];
    let mut answered = vec![false; cases.len()];
    let mut first_answer = None;
    while answered.contains(&false) {
        if let Some(status) = node.exited() {
            panic!(
                "Kafka exited ({status}) while starting:\n{}",
                node.log_tail()
            );
        }
        assert!(
            started.elapsed() < NODE_DEADLINE,
            "health never answered within {NODE_DEADLINE:?}:\n{}",
            node.log_tail()
        );
        for (index, case) in cases.iter().enumerate() {
            if answered[index] {
                continue;
            }
            let run = health_of_config(&case.config);
            if run.code == Some(0) {
                assert!(
                    failures[index] > 0,
                    "health answered on {} at its first call, before the JVM could have started: \
                     does another process listen on that port?",
                    case.listener.described()
                );
                assert_answered(&run, &case.listener, api_version);
                answered[index] = true;
                eprintln!(
                    "{:?} after the JVM's start, after {} failures: {}",
                    started.elapsed(),
                    failures[index],
                    run.stdout.trim_end()
                );
                first_answer.get_or_insert_with(Instant::now);
            } else {
                assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
                assert!(
                    run.stderr.starts_with("error: ")
                        && run.stderr.contains(&case.listener.described())
                        && run.stderr.lines().count() == 1,
                    "{}",
                    run.stderr
                );
                if failures[index] == 0 {
                    eprintln!(
                        "{:?} after the JVM's start: {}",
                        started.elapsed(),
                        run.stderr.trim_end()
                    );
                }
                failures[index] += 1;
            }
        }
        thread::sleep(Duration::from_millis(50));
    }
    first_answer.expect("every case answered")
}

/// Asserts the node logs [`STARTED_MESSAGE`] soon after `health` first answered: a healthy
/// answer means the node finished starting, not that some port opened early.
fn assert_started_soon_after(node: &mut Node, first_answer: Instant) {
    node.wait_started();
    let lag = first_answer.elapsed();
    assert!(
        lag < Duration::from_secs(15),
        "`{STARTED_MESSAGE}` came {lag:?} after health first answered"
    );
}

/// The combined node of `version` with a listener of each protocol, through its whole life.
fn every_listener_protocol(version: &str, api_version: i16) {
    let distribution = Distribution::get(version);
    let mut node = Node::new(&distribution);
    let ports = free_ports(6);
    let listener = |name, protocol, port| Listener {
        name,
        protocol,
        port,
    };
    let plaintext = listener("PLAINTEXT", "PLAINTEXT", ports[0]);
    let ssl = listener("SSL", "SSL", ports[1]);
    let sasl_plaintext = listener("SASL_PLAINTEXT", "SASL_PLAINTEXT", ports[2]);
    let sasl_ssl = listener("SASL_SSL", "SASL_SSL", ports[3]);
    let mtls = listener("MTLS", "SSL", ports[4]);
    let controller_port = ports[5];
    let tls = Tls::generate();
    let all = [plaintext, ssl, sasl_plaintext, sasl_ssl, mtls];
    node.write_config(&combined_config(&node, &all, controller_port, &tls));
    let cases: Vec<Case> = [plaintext, ssl, sasl_plaintext, sasl_ssl, mtls]
        .iter()
        .map(|listener| {
            let config = node.path(&format!("health-{}.properties", listener.name));
            std::fs::write(
                &config,
                combined_config(&node, &[*listener], controller_port, &tls),
            )
            .expect("write a health config");
            Case {
                listener: *listener,
                config,
            }
        })
        .collect();
    let (checkable, mutual_tls) = cases.split_at(4);
    let mutual_tls = &mutual_tls[0];

    node.format(CLUSTER_ID, &[]);
    node.start();
    let first_answer = poll_until_each_answers(&mut node, checkable, api_version);
    assert_started_soon_after(&mut node, first_answer);

    // The node's own config, every listener in it: PLAINTEXT is preferred.
    assert_answered(
        &health_of_config(&node.config_path()),
        &plaintext,
        api_version,
    );
    // `--bootstrap` on each protocol names the listener by its protocol.
    for case in checkable {
        let run = health(&["--bootstrap", &case.listener.bootstrap()], TIMEOUT);
        assert_answered(
            &run,
            &Listener {
                name: case.listener.protocol,
                ..case.listener
            },
            api_version,
        );
    }
    // Answering `ApiVersions` before SASL authentication (KIP-43), and TLS from a client that
    // closes without authenticating, leave nothing in the broker's log.
    let log = node.log();
    for noise in ["Failed authentication", "Unexpected error from"] {
        assert!(!log.contains(noise), "the broker logged `{noise}`:\n{log}");
    }

    // `ssl.client.auth=required`: health has no client certificate; it says so.
    let run = health_of_config(&mutual_tls.config);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stderr.starts_with(&format!(
            "error: TLS error waiting for the ApiVersions answer of {}: received fatal alert: ",
            mutual_tls.listener.described()
        )) && run.stderr.ends_with(
            " (the listener requires a client certificate: `ssl.client.auth=required`)\n"
        ),
        "{}",
        run.stderr
    );
    // The wrong protocol for a listener.
    let wrong = Listener {
        protocol: "PLAINTEXT",
        name: "PLAINTEXT",
        ..ssl
    };
    assert_fails(
        &health(&["--bootstrap", &wrong.bootstrap()], TIMEOUT),
        &format!(
            "bad ApiVersions response from {}: the peer answered in TLS (is this an SSL \
             listener?), not Kafka",
            wrong.described()
        ),
    );

    // A frozen JVM: connections are accepted by the kernel, never answered.
    node.freeze();
    for case in checkable {
        let started = Instant::now();
        let run = health(
            &["--config", case.config.to_str().expect("UTF-8 path")],
            FROZEN_TIMEOUT,
        );
        let elapsed = started.elapsed();
        let doing = if case.listener.protocol.contains("SSL") {
            "in the TLS handshake with"
        } else {
            "waiting for the ApiVersions answer of"
        };
        assert_fails(
            &run,
            &format!("timeout after 500 ms {doing} {}", case.listener.described()),
        );
        assert!(elapsed >= FROZEN_TIMEOUT, "{elapsed:?}");
    }
    node.thaw();
    let thawed = Instant::now();
    for case in checkable {
        loop {
            let run = health_of_config(&case.config);
            if run.code == Some(0) || thawed.elapsed() > Duration::from_secs(30) {
                assert_answered(&run, &case.listener, api_version);
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    // Stopped as `docker stop` does: Kafka exits 143, then nothing answers.
    let status = node.stop();
    assert_eq!(status.code(), Some(143), "{}", node.log_tail());
    for case in checkable {
        assert_fails(
            &health_of_config(&case.config),
            &format!("connection refused at {}", case.listener.described()),
        );
    }
}

#[test]
fn every_listener_protocol_on_kafka_4_4() {
    every_listener_protocol("4.4.0", 4);
}

#[test]
fn every_listener_protocol_on_kafka_3_9() {
    every_listener_protocol("3.9.2", 4);
}

#[test]
fn controller_only_node_on_kafka_4_4() {
    let distribution = Distribution::get("4.4.0");
    let mut node = Node::new(&distribution);
    let controller = Listener {
        name: "CONTROLLER",
        protocol: "PLAINTEXT",
        port: free_ports(1)[0],
    };
    // No `listener.security.protocol.map`: Kafka (and health) take the controller listener as
    // PLAINTEXT. A dynamic quorum (KIP-853), formatted `--standalone`.
    node.write_config(&format!(
        "process.roles=controller\n\
         node.id=1\n\
         controller.quorum.bootstrap.servers=127.0.0.1:{port}\n\
         controller.listener.names=CONTROLLER\n\
         listeners={}\n\
         log.dirs={}\n",
        controller.entry(),
        node.path("data").display(),
        port = controller.port,
    ));
    node.format(CLUSTER_ID, &["--standalone"]);
    node.start();
    let case = Case {
        listener: controller,
        config: node.config_path(),
    };
    let first_answer = poll_until_each_answers(&mut node, std::slice::from_ref(&case), 4);
    assert_started_soon_after(&mut node, first_answer);

    let status = node.stop();
    assert_eq!(status.code(), Some(143), "{}", node.log_tail());
    assert_fails(
        &health_of_config(&case.config),
        &format!("connection refused at {}", controller.described()),
    );
}
