//! Whole-program tests of `kafka-entrypoint health` (SPEC §4.4): the real binary against
//! Kafka-protocol test peers on loopback.
//!
//! The peers are fixtures, not Kafka: each decodes the request the binary really sent with
//! `kafka-wire` and answers with bytes recorded from real peers (`kafka-wire/tests/data/`, see its
//! `SOURCES.md`), or misbehaves on purpose (silence, garbage, a closed connection). The last test
//! runs against a real Kafka-compatible broker (Tansu) when one is installed; real Apache Kafka
//! is in `health_real_kafka.rs`.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use kafka_wire::{ApiVersionsRequest, decode_frame_size};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

fn recorded(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../kafka-wire/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("failed to read `{path}`: {error}"))
}

/// A recorded Tansu 0.6.0 response frame for a request of `version`, with its correlation id.
fn tansu_answer(version: i16, correlation_id: i32) -> Vec<u8> {
    let mut frame = recorded(match version {
        0 => "tansu-0.6.0-response-v0.bin",
        1 | 2 => "tansu-0.6.0-response-v1.bin",
        _ => "tansu-0.6.0-response-v3.bin",
    });
    frame[4..8].copy_from_slice(&correlation_id.to_be_bytes());
    frame
}

/// Frames a response body (everything after the correlation id).
fn answer_with_body(correlation_id: i32, body: &[u8]) -> Vec<u8> {
    let size = i32::try_from(body.len() + 4).unwrap();
    let mut frame = size.to_be_bytes().to_vec();
    frame.extend_from_slice(&correlation_id.to_be_bytes());
    frame.extend_from_slice(body);
    frame
}

/// What the peer does with each request.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Answers every version with Tansu's recorded response.
    Recorded,
    /// Answers versions above `max` with a version-0 `UNSUPPORTED_VERSION` body, then like
    /// `Recorded`.
    Unsupported { max: i16, body: &'static str },
    /// Reads the request and never answers.
    Silent,
    /// Reads the request and closes the connection.
    Hangs,
    /// Answers these bytes.
    Raw(&'static [u8]),
    /// Answers a v3-layout body with this error code and no api keys.
    ErrorCode(i16),
    /// Answers Tansu's response with another correlation id.
    WrongCorrelationId(i32),
}

/// The body Apache Kafka (2.4 or later, ApiVersions up to v3) sends to a v4 request, recorded in
/// kafka-protocol-rs.
const KAFKA_UNSUPPORTED: &str = "kafka-protocol-rs";
/// The body Apache Kafka 2.1.1 sends to a v3 request, derived from a librdkafka log (SOURCES.md).
const PRE_KIP_511_UNSUPPORTED: &str = "pre-kip-511";

fn unsupported_body(which: &str) -> Vec<u8> {
    match which {
        KAFKA_UNSUPPORTED => recorded("kafka-protocol-rs-unsupported-version-response-body.bin"),
        _ => vec![0x00, 0x23, 0x00, 0x00, 0x00, 0x00],
    }
}

/// Reads one request frame; `None` when the client closed the connection.
fn read_request(stream: &mut impl Read) -> Option<ApiVersionsRequest> {
    let mut prefix = [0; 4];
    stream.read_exact(&mut prefix).ok()?;
    let size = decode_frame_size(prefix).expect("the client sent a valid frame size");
    let mut frame = vec![0; size];
    stream.read_exact(&mut frame).ok()?;
    Some(ApiVersionsRequest::decode(&frame).expect("the client sent a valid ApiVersions request"))
}

fn serve(
    stream: &mut (impl Read + Write),
    behaviour: Behaviour,
    log: &Mutex<Vec<ApiVersionsRequest>>,
) {
    while let Some(request) = read_request(stream) {
        let (version, correlation_id) = (request.version, request.correlation_id);
        log.lock().unwrap().push(request);
        let answer = match behaviour {
            Behaviour::Recorded => tansu_answer(version, correlation_id),
            Behaviour::Unsupported { max, body } if version > max => {
                answer_with_body(correlation_id, &unsupported_body(body))
            }
            Behaviour::Unsupported { .. } => tansu_answer(version, correlation_id),
            Behaviour::Silent => {
                // Hold the connection open until the client gives up and closes it.
                let _ = stream.read(&mut [0; 1]);
                return;
            }
            Behaviour::Hangs => return,
            Behaviour::Raw(bytes) => bytes.to_vec(),
            Behaviour::ErrorCode(code) => {
                let mut body = code.to_be_bytes().to_vec();
                body.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
                answer_with_body(correlation_id, &body)
            }
            Behaviour::WrongCorrelationId(other) => tansu_answer(version, other),
        };
        if stream
            .write_all(&answer)
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
    }
}

/// A test peer on 127.0.0.1 that serves one connection.
struct Peer {
    port: u16,
    requests: Arc<Mutex<Vec<ApiVersionsRequest>>>,
    thread: Option<JoinHandle<()>>,
}

impl Peer {
    fn start(behaviour: Behaviour) -> Self {
        Self::spawn(behaviour, None)
    }

    fn start_tls(behaviour: Behaviour) -> Self {
        Self::spawn(behaviour, Some(tls_server_config(false)))
    }

    fn start_mutual_tls(behaviour: Behaviour) -> Self {
        Self::spawn(behaviour, Some(tls_server_config(true)))
    }

    fn spawn(behaviour: Behaviour, tls: Option<Arc<ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let thread = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            match tls {
                None => serve(&mut { stream }, behaviour, &log),
                Some(config) => {
                    let connection = ServerConnection::new(config).unwrap();
                    serve(&mut StreamOwned::new(connection, stream), behaviour, &log);
                }
            }
        });
        Self {
            port,
            requests,
            thread: Some(thread),
        }
    }

    /// (version, correlation id) of each request received, once the client is done.
    fn requests(mut self) -> Vec<(i16, i32)> {
        self.thread.take().unwrap().join().unwrap();
        let requests = self.requests.lock().unwrap();
        for request in requests.iter() {
            assert_eq!(request.client_id.as_deref(), Some("kafka-entrypoint"));
            if request.version >= 3 {
                assert_eq!(request.client_software_name, "kafka-entrypoint");
                assert_eq!(request.client_software_version, env!("CARGO_PKG_VERSION"));
            }
        }
        requests
            .iter()
            .map(|request| (request.version, request.correlation_id))
            .collect()
    }
}

/// A TLS server with a certificate generated now; with `client_auth`, it demands a client
/// certificate signed by a CA the health check does not have (Kafka's `ssl.client.auth=required`).
fn tls_server_config(client_auth: bool) -> Arc<ServerConfig> {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if client_auth {
        let client_ca = rcgen::generate_simple_self_signed(vec!["client-ca".to_owned()]).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(client_ca.cert.der().clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    Arc::new(
        builder
            .with_single_cert(vec![generated.cert.der().clone()], key)
            .unwrap(),
    )
}

/// A free port on 127.0.0.1 that nothing listens on.
fn refused_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn health(args: &[&str]) -> Run {
    let started = Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_kafka-entrypoint"))
        .arg("health")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
        elapsed: started.elapsed(),
    }
}

/// Writes `server.properties` into a fresh temp dir.
fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.properties");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn health_with_config(path: &Path, timeout: &str) -> Run {
    health(&["--config", path.to_str().unwrap(), "--timeout", timeout])
}

/// The success line with the measured time replaced by `[TIME]`.
#[track_caller]
fn assert_ok(run: &Run, expected: &str) {
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let line = run.stdout.trim_end_matches('\n');
    let (head, time) = line
        .rsplit_once(" in ")
        .expect("the line ends with the time taken");
    assert!(
        time.ends_with(" ms") && time[..time.len() - 3].parse::<u64>().is_ok(),
        "{line}"
    );
    assert_eq!(format!("{head} in [TIME]"), expected);
    assert_eq!(run.stderr, "");
}

#[track_caller]
fn assert_fails(run: &Run, expected: &str) {
    assert_eq!(run.code, Some(1), "stdout: {}", run.stdout);
    assert_eq!(run.stderr, format!("{expected}\n"));
    assert_eq!(run.stdout, "");
}

#[test]
fn healthy_plaintext_listener_exits_0() {
    let peer = Peer::start(Behaviour::Recorded);
    let (_dir, path) = config(&format!(
        "# combined node\nprocess.roles=broker,controller\ncontroller.listener.names=CONTROLLER\n\
         listeners=PLAINTEXT://:{},CONTROLLER://:1\n",
        peer.port
    ));
    let run = health_with_config(&path, "2s");
    assert_ok(
        &run,
        &format!(
            "ok: 127.0.0.1:{} (listener `PLAINTEXT`, PLAINTEXT) answered ApiVersions v4 in [TIME]",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1)]);
}

#[test]
fn unsupported_version_is_retried_with_the_version_the_broker_lists() {
    let peer = Peer::start(Behaviour::Unsupported {
        max: 3,
        body: KAFKA_UNSUPPORTED,
    });
    let run = health(&["--bootstrap", &format!("127.0.0.1:{}", peer.port)]);
    assert_ok(
        &run,
        &format!(
            "ok: 127.0.0.1:{} (listener `PLAINTEXT`, PLAINTEXT) answered ApiVersions v3 in [TIME]",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1), (3, 2)]);
}

#[test]
fn unsupported_version_without_a_listed_version_is_retried_with_v0() {
    let peer = Peer::start(Behaviour::Unsupported {
        max: 2,
        body: PRE_KIP_511_UNSUPPORTED,
    });
    let run = health(&["--bootstrap", &format!("127.0.0.1:{}", peer.port)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("answered ApiVersions v0 in "),
        "{}",
        run.stdout
    );
    assert_eq!(peer.requests(), [(4, 1), (0, 2)]);
}

#[test]
fn refused_port_exits_1_before_the_timeout() {
    let port = refused_port();
    let run = health(&[
        "--bootstrap",
        &format!("127.0.0.1:{port}"),
        "--timeout",
        "2s",
    ]);
    assert_fails(
        &run,
        &format!("error: connection refused at 127.0.0.1:{port} (listener `PLAINTEXT`, PLAINTEXT)"),
    );
    assert!(
        run.elapsed < Duration::from_secs(2),
        "took {:?}",
        run.elapsed
    );
}

#[test]
fn silent_peer_exits_1_at_the_timeout() {
    let peer = Peer::start(Behaviour::Silent);
    let (_dir, path) = config(&format!("listeners=PLAINTEXT://127.0.0.1:{}\n", peer.port));
    let run = health_with_config(&path, "500ms");
    assert_fails(
        &run,
        &format!(
            "error: timeout after 500 ms waiting for the ApiVersions answer of 127.0.0.1:{} \
             (listener `PLAINTEXT`, PLAINTEXT)",
            peer.port
        ),
    );
    // A deadline, not a benchmark: the check gives up at its timeout, plus process start-up.
    assert!(
        run.elapsed >= Duration::from_millis(500),
        "took {:?}",
        run.elapsed
    );
    assert!(
        run.elapsed < Duration::from_millis(500 + 1500),
        "took {:?}",
        run.elapsed
    );
    assert_eq!(peer.requests(), [(4, 1)]);
}

#[test]
fn silent_tls_peer_exits_1_at_the_timeout() {
    // Accepts TCP but never speaks TLS: the deadline covers the handshake too.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let run = health(&[
        "--bootstrap",
        &format!("SSL://127.0.0.1:{port}"),
        "--timeout",
        "300ms",
    ]);
    assert_fails(
        &run,
        &format!(
            "error: timeout after 300 ms in the TLS handshake with 127.0.0.1:{port} (listener `SSL`, SSL)"
        ),
    );
    assert!(
        run.elapsed < Duration::from_millis(300 + 1500),
        "took {:?}",
        run.elapsed
    );
    drop(listener);
}

#[test]
fn http_answer_exits_1_naming_http() {
    let peer = Peer::start(Behaviour::Raw(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    let run = health(&["--bootstrap", &format!("127.0.0.1:{}", peer.port)]);
    assert_fails(
        &run,
        &format!(
            "error: bad ApiVersions response from 127.0.0.1:{} (listener `PLAINTEXT`, PLAINTEXT): \
             the peer answered in HTTP, not Kafka",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1)]);
}

#[test]
fn truncated_body_exits_1_naming_the_field() {
    let peer = Peer::start(Behaviour::Raw(&[0, 0, 0, 6, 0, 0, 0, 1, 0, 0]));
    let run = health(&["--bootstrap", &format!("127.0.0.1:{}", peer.port)]);
    assert_fails(
        &run,
        &format!(
            "error: bad ApiVersions response from 127.0.0.1:{} (listener `PLAINTEXT`, PLAINTEXT): \
             message ends at byte 6 while reading `api_keys` (1 more bytes needed)",
            peer.port
        ),
    );
}

#[test]
fn answer_to_another_request_exits_1() {
    let peer = Peer::start(Behaviour::WrongCorrelationId(99));
    let run = health(&["--bootstrap", &format!("127.0.0.1:{}", peer.port)]);
    assert_fails(
        &run,
        &format!(
            "error: bad ApiVersions response from 127.0.0.1:{} (listener `PLAINTEXT`, PLAINTEXT): \
             response has correlation id 99, but the request had 1",
            peer.port
        ),
    );
}

#[test]
fn error_code_answer_exits_1_naming_the_error() {
    let peer = Peer::start(Behaviour::ErrorCode(42));
    let run = health(&["--bootstrap", &format!("127.0.0.1:{}", peer.port)]);
    assert_fails(
        &run,
        &format!(
            "error: 127.0.0.1:{} (listener `PLAINTEXT`, PLAINTEXT) answered ApiVersions v4 with \
             error 42 (INVALID_REQUEST)",
            peer.port
        ),
    );
}

#[test]
fn peer_closing_without_answer_exits_1() {
    let peer = Peer::start(Behaviour::Hangs);
    let run = health(&["--bootstrap", &format!("127.0.0.1:{}", peer.port)]);
    assert_fails(
        &run,
        &format!(
            "error: 127.0.0.1:{} (listener `PLAINTEXT`, PLAINTEXT) closed the connection without \
             answering ApiVersions",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1)]);
}

#[test]
fn sasl_plaintext_listener_with_a_custom_name_is_checked_before_authentication() {
    let peer = Peer::start(Behaviour::Recorded);
    let (_dir, path) = config(&format!(
        "process.roles=broker\ncontroller.listener.names=CONTROLLER\n\
         listeners=CLIENT://0.0.0.0:{},CONTROLLER://:1\n\
         listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT\n",
        peer.port
    ));
    let run = health_with_config(&path, "2s");
    assert_ok(
        &run,
        &format!(
            "ok: 127.0.0.1:{} (listener `CLIENT`, SASL_PLAINTEXT) answered ApiVersions v4 in [TIME]",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1)]);
}

#[test]
fn controller_only_node_is_healthy_when_its_controller_listener_answers() {
    let peer = Peer::start(Behaviour::Recorded);
    let (_dir, path) = config(&format!(
        "process.roles=controller\nnode.id=1\ncontroller.listener.names=CONTROLLER\n\
         listeners=CONTROLLER://:{}\n",
        peer.port
    ));
    let run = health_with_config(&path, "2s");
    assert_ok(
        &run,
        &format!(
            "ok: 127.0.0.1:{} (listener `CONTROLLER`, PLAINTEXT) answered ApiVersions v4 in [TIME]",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1)]);
}

#[test]
fn ssl_listener_is_checked_over_tls() {
    let peer = Peer::start_tls(Behaviour::Unsupported {
        max: 3,
        body: KAFKA_UNSUPPORTED,
    });
    let (_dir, path) = config(&format!(
        "listeners=SSL://:{}\nssl.keystore.location=/etc/kafka/secrets/kafka.keystore.jks\n",
        peer.port
    ));
    let run = health_with_config(&path, "2s");
    assert_ok(
        &run,
        &format!(
            "ok: 127.0.0.1:{} (listener `SSL`, SSL) answered ApiVersions v3 in [TIME]",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1), (3, 2)]);
}

#[test]
fn sasl_ssl_bootstrap_is_checked_over_tls() {
    let peer = Peer::start_tls(Behaviour::Recorded);
    let run = health(&[
        "--bootstrap",
        &format!("SASL_SSL://127.0.0.1:{}", peer.port),
    ]);
    assert_ok(
        &run,
        &format!(
            "ok: 127.0.0.1:{} (listener `SASL_SSL`, SASL_SSL) answered ApiVersions v4 in [TIME]",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), [(4, 1)]);
}

#[test]
fn ssl_listener_requiring_client_certificates_exits_1_saying_so() {
    let peer = Peer::start_mutual_tls(Behaviour::Recorded);
    let run = health(&["--bootstrap", &format!("SSL://localhost:{}", peer.port)]);
    assert_fails(
        &run,
        &format!(
            "error: TLS error waiting for the ApiVersions answer of localhost:{} (listener `SSL`, \
             SSL): received fatal alert: CertificateRequired (the listener requires a client \
             certificate: `ssl.client.auth=required`)",
            peer.port
        ),
    );
    assert_eq!(peer.requests(), []);
}

#[test]
fn missing_config_exits_1_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.properties");
    let run = health_with_config(&path, "2s");
    assert_fails(
        &run,
        &format!(
            "error: failed to read `{}`: No such file or directory (os error 2)",
            path.display()
        ),
    );
}

#[test]
fn config_without_a_usable_listener_exits_1_naming_the_key() {
    let (_dir, path) = config("listeners=CLIENT://:9092\n");
    let run = health_with_config(&path, "2s");
    assert_fails(
        &run,
        &format!(
            "error: cannot pick a listener from `{}`: listener `CLIENT` has no security protocol \
             in `listener.security.protocol.map`",
            path.display()
        ),
    );
}

#[test]
fn bad_timeout_is_refused_by_the_argument_parser() {
    let run = health(&["--timeout", "2"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("`2` is not a duration up to 60m: write a positive whole number with `ms`"),
        "{}",
        run.stderr
    );
}

/// Waits until `port` accepts connections, or fails after `limit`.
fn wait_for_port(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on {port} after {limit:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs the Tansu broker; `ci/test` installs it and runs this test (TANSU_BIN names its binary)"]
fn healthy_against_a_real_kafka_compatible_broker() -> io::Result<()> {
    let tansu = std::env::var_os("TANSU_BIN").expect("TANSU_BIN names the tansu binary");
    let port = refused_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let _broker = KillOnDrop(
        Command::new(tansu)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?,
    );
    wait_for_port(port, Duration::from_secs(10));
    let (_dir, path) = config(&format!("listeners=PLAINTEXT://:{port}\n"));
    let run = health_with_config(&path, "2s");
    assert_ok(
        &run,
        &format!(
            "ok: 127.0.0.1:{port} (listener `PLAINTEXT`, PLAINTEXT) answered ApiVersions v4 in [TIME]"
        ),
    );
    Ok(())
}
