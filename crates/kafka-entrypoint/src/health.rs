//! `health`: is this node's own Kafka listener answering? (SPEC §4.4, the image's `HEALTHCHECK`.)
//!
//! It reads the final `server.properties`, picks the node's own listener, connects to it and
//! completes one Kafka `ApiVersions` round trip (encoded by `kafka-wire`), all within `--timeout`.
//! Exit 0 when the broker answers without error, 1 otherwise, with one line saying why.
//!
//! Which listener, as Kafka itself reads the config (`KafkaConfig.listeners`,
//! `effectiveListenerSecurityProtocolMap`):
//! - a node with the `broker` role (or no `process.roles`, a ZooKeeper-mode broker) is checked on
//!   a listener not named in `controller.listener.names`; a controller-only node on its controller
//!   listener;
//! - among those, by security protocol: `PLAINTEXT`, then `SASL_PLAINTEXT` (Kafka answers
//!   `ApiVersions` before SASL authentication, KIP-43), then `SSL` and `SASL_SSL` over TLS (the
//!   certificate is not verified: we are checking our own listener, not authenticating a peer);
//! - listener names map to protocols through `listener.security.protocol.map`, by default each of
//!   the four protocol names to itself, plus (KRaft, map not set) controller listeners to
//!   `PLAINTEXT`;
//! - an empty or wildcard host (`PLAINTEXT://:9092`, `0.0.0.0`, `::`) is reached on loopback.
//!
//! Like Kafka's Java client, it first asks with the highest `ApiVersions` version it knows and,
//! when the broker answers `UNSUPPORTED_VERSION`, asks again on the same connection with the
//! version the broker lists (KIP-511), or 0.

use kafka_config::node::{NodeConfig, SecurityProtocol};
use kafka_config::properties::Properties;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use kafka_wire::{
    ApiVersionsResponse, MAX_API_VERSIONS_VERSION, WireError, api_versions_request,
    decode_api_versions_response, decode_frame_size, error_code_name,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme,
    StreamOwned,
};

use crate::EnvSnapshot;

/// Shown by `kafka-entrypoint health --help`.
const HEALTH_LONG_HELP: &str = "\
Reads the final config, picks this node's own listener (PLAINTEXT first, then SASL_PLAINTEXT,
then SSL and SASL_SSL over TLS without verifying the certificate; a controller-only node's
controller listener), connects and completes one Kafka ApiVersions round trip within --timeout.

Exit codes: 0 when the broker answers without error; 1 otherwise, with one line saying why.

Examples:
  $ kafka-entrypoint health
  $ kafka-entrypoint health --timeout 500ms --bootstrap SSL://kafka-1:9093";

/// The `client_id` (and KIP-511 client software name) the broker sees in its request logs.
const CLIENT_ID: &str = "kafka-entrypoint";

/// Arguments of `health`; the long help below is what `kafka-entrypoint health --help` shows
/// after the options.
#[derive(Debug, clap::Args)]
#[command(after_long_help = HEALTH_LONG_HELP)]
pub(crate) struct HealthArgs {
    /// The final `server.properties` to read the listeners from.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/opt/kafka/config/server.properties"
    )]
    config: PathBuf,
    /// The whole check's deadline: connect, TLS handshake and answer (`2s`, `500ms`, `1m`).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_timeout)]
    timeout: Duration,
    /// Check this listener instead of the config's: `[PROTOCOL://]HOST:PORT`, where PROTOCOL is
    /// PLAINTEXT (the default), SASL_PLAINTEXT, SSL or SASL_SSL.
    #[arg(long, value_name = "[PROTOCOL://]HOST:PORT")]
    bootstrap: Option<String>,
}

/// Runs the subcommand.
pub(crate) fn main(args: &HealthArgs, _env: &EnvSnapshot) -> ExitCode {
    let started = Instant::now();
    let deadline = started + args.timeout;
    let outcome = target_of(args)
        .and_then(|target| check(&target, deadline, args.timeout).map(|version| (target, version)));
    match outcome {
        Ok((target, version)) => {
            let elapsed = started.elapsed().as_millis();
            // Nothing useful can be done when stdout is closed; the exit code still tells.
            let _ = writeln!(
                io::stdout().lock(),
                "ok: {target} answered ApiVersions v{version} in {elapsed} ms"
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(io::stderr().lock(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The longest `--timeout` accepted (Docker's own health-check timeouts are seconds).
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// Parses `--timeout`: a positive whole number with `ms`, `s` or `m`, as Docker writes durations,
/// up to [`MAX_TIMEOUT`].
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_at);
    let scale = match unit {
        "ms" => Some(1),
        "s" => Some(1_000),
        "m" => Some(60_000),
        _ => None,
    };
    let millis = scale.and_then(|scale| number.parse::<u64>().ok()?.checked_mul(scale));
    match millis {
        Some(millis) if millis > 0 && Duration::from_millis(millis) <= MAX_TIMEOUT => {
            Ok(Duration::from_millis(millis))
        }
        _ => Err(format!(
            "`{text}` is not a duration up to 60m: write a positive whole number with `ms`, `s` \
             or `m`, e.g. `2s` or `500ms`"
        )),
    }
}

/// The listener to check: where to connect and how.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// The listener name (`PLAINTEXT`, `CLIENT`, `CONTROLLER`, ...).
    name: String,
    protocol: SecurityProtocol,
    /// Host to connect to, wildcards already turned into loopback.
    host: String,
    port: u16,
}

impl fmt::Display for Target {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(
            formatter,
            "{host}:{} (listener `{}`, {})",
            self.port, self.name, self.protocol
        )
    }
}

fn target_of(args: &HealthArgs) -> anyhow::Result<Target> {
    match &args.bootstrap {
        Some(bootstrap) => parse_bootstrap(bootstrap),
        None => {
            let properties = read_config(&args.config)?;
            select_listener(&properties)
                .with_context(|| format!("cannot pick a listener from `{}`", args.config.display()))
        }
    }
}

fn read_config(path: &Path) -> anyhow::Result<Properties> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let text = kafka_config::properties::decode_text(&bytes)
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    Properties::parse(&text).with_context(|| format!("failed to parse `{}`", path.display()))
}

/// `--bootstrap [PROTOCOL://]HOST:PORT`.
fn parse_bootstrap(text: &str) -> anyhow::Result<Target> {
    let (protocol, address) = match text.split_once("://") {
        Some((protocol, address)) => {
            let parsed = SecurityProtocol::parse(protocol).ok_or_else(|| {
                anyhow!(
                    "`--bootstrap` `{text}`: unknown security protocol `{protocol}` \
                     (use PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL)"
                )
            })?;
            (parsed, address)
        }
        None => (SecurityProtocol::Plaintext, text),
    };
    let (host, port) = split_host_port(address)
        .ok_or_else(|| anyhow!("`--bootstrap` `{text}` is not `[PROTOCOL://]HOST:PORT`"))?;
    Ok(Target {
        name: protocol.to_string(),
        protocol,
        host: reachable_host(host),
        port,
    })
}

/// Splits `host:port`, `[v6]:port` or `:port` (Kafka's listener syntax); port 0 is refused since
/// it means "any free port" and cannot be connected to.
fn split_host_port(address: &str) -> Option<(&str, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    let port = port.parse::<u16>().ok().filter(|port| *port != 0)?;
    Some((host, port))
}

/// Where a client on this node reaches a listener bound to `host`.
fn reachable_host(host: &str) -> String {
    match host {
        "" | "0.0.0.0" => "127.0.0.1".to_owned(),
        "::" => "::1".to_owned(),
        other => other.to_owned(),
    }
}

/// Picks the listener to check from the final config (see the module documentation), as the
/// node model reads it.
fn select_listener(properties: &Properties) -> anyhow::Result<Target> {
    let node = NodeConfig::parse(properties).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow!("{}", lines.join("; "))
    })?;
    let controller_only = node.roles.is_some_and(|roles| roles.controller_only());
    let mut candidates = Vec::new();
    for endpoint in &node.listeners {
        if node.is_controller_listener(&endpoint.name) != controller_only {
            continue;
        }
        let protocol = node.protocol_of(&endpoint.name).ok_or_else(|| {
            anyhow!(
                "listener `{}` has no security protocol in `listener.security.protocol.map`",
                endpoint.name
            )
        })?;
        if endpoint.port == 0 {
            bail!(
                "listener `{}` is on port 0 (any free port), which cannot be connected to; pass \
                 `--bootstrap HOST:PORT`",
                endpoint.name
            );
        }
        candidates.push(Target {
            name: endpoint.name.clone(),
            protocol,
            host: reachable_host(&endpoint.host),
            port: endpoint.port,
        });
    }
    // Stable: among listeners of one protocol, the first in `listeners` wins.
    candidates.sort_by_key(|target| target.protocol);
    let listeners = properties
        .get("listeners")
        .unwrap_or(kafka_config::node::DEFAULT_LISTENERS);
    candidates.into_iter().next().ok_or_else(|| {
        if controller_only {
            anyhow!(
                "`listeners` (`{listeners}`) has no listener named in `controller.listener.names` \
                 for this controller-only node"
            )
        } else {
            anyhow!("`listeners` (`{listeners}`) has no broker listener")
        }
    })
}

/// A TCP stream whose every read and write waits at most until the check's deadline.
struct DeadlineStream {
    stream: TcpStream,
    deadline: Instant,
}

impl DeadlineStream {
    fn arm(&self, read: bool) -> io::Result<()> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        if read {
            self.stream.set_read_timeout(Some(remaining))
        } else {
            self.stream.set_write_timeout(Some(remaining))
        }
    }
}

impl Read for DeadlineStream {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.arm(true)?;
        self.stream.read(buffer)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        self.arm(false)?;
        self.stream.write(buffer)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// The connection to the listener, with or without TLS.
enum Connection {
    Plain(DeadlineStream),
    Tls(Box<StreamOwned<ClientConnection, DeadlineStream>>),
}

impl Connection {
    fn as_io(&mut self) -> &mut dyn ReadWrite {
        match self {
            Self::Plain(stream) => stream,
            Self::Tls(stream) => stream.as_mut(),
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// What the check was doing when an I/O error struck, for its one-line message.
#[derive(Debug, Clone, Copy)]
enum Stage {
    Connecting,
    Handshaking,
    Sending,
    Waiting,
}

impl Stage {
    /// "timeout after N ms {doing} {target}".
    fn doing(self) -> &'static str {
        match self {
            Self::Connecting => "connecting to",
            Self::Handshaking => "in the TLS handshake with",
            Self::Sending => "sending ApiVersions to",
            Self::Waiting => "waiting for the ApiVersions answer of",
        }
    }

    /// "{target} closed the connection {when}".
    fn when(self) -> &'static str {
        match self {
            Self::Connecting => "while connecting",
            Self::Handshaking => "during the TLS handshake",
            Self::Sending | Self::Waiting => "without answering ApiVersions",
        }
    }
}

/// One line for an I/O error at `stage` of the check.
fn describe_io(
    error: &io::Error,
    stage: Stage,
    target: &Target,
    timeout: Duration,
) -> anyhow::Error {
    let millis = timeout.as_millis();
    let doing = stage.doing();
    match error.kind() {
        _ if is_timeout(error) => anyhow!("timeout after {millis} ms {doing} {target}"),
        io::ErrorKind::ConnectionRefused => anyhow!("connection refused at {target}"),
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => {
            anyhow!("{target} closed the connection {}", stage.when())
        }
        // Only rustls reports InvalidData on our streams.
        io::ErrorKind::InvalidData => {
            let hint = if wants_a_client_certificate(error) {
                " (the listener requires a client certificate: `ssl.client.auth=required`)"
            } else {
                ""
            };
            anyhow!("TLS error {doing} {target}: {error}{hint}")
        }
        _ => anyhow!("{error} {doing} {target}"),
    }
}

/// Whether the listener ended the TLS session over the client certificate `health` does not
/// send: `certificate_required` (RFC 8446, rustls and OpenSSL servers) or `bad_certificate` (the
/// JDK's answer to an empty chain, which real Kafka sends with `ssl.client.auth=required`). The
/// server's own certificate is never refused here (see [`OwnListenerVerifier`]), so these alerts
/// can only be about ours.
fn wants_a_client_certificate(error: &io::Error) -> bool {
    matches!(
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired | AlertDescription::BadCertificate
        ))
    )
}

/// Connects, sends `ApiVersions` and reads the answer; returns the version that was answered.
fn check(target: &Target, deadline: Instant, timeout: Duration) -> anyhow::Result<i16> {
    let stream = connect(target, deadline, timeout)?;
    // Small request, one round trip: do not wait for Nagle.
    stream
        .set_nodelay(true)
        .map_err(|error| describe_io(&error, Stage::Connecting, target, timeout))?;
    let stream = DeadlineStream { stream, deadline };
    let mut connection = if target.protocol.uses_tls() {
        Connection::Tls(Box::new(handshake(stream, target, timeout)?))
    } else {
        Connection::Plain(stream)
    };

    let mut version = MAX_API_VERSIONS_VERSION;
    let mut correlation_id = 1;
    // Ends: each retry asks for a strictly lower version (`retry_version`), never below 0.
    loop {
        let response = round_trip(connection.as_io(), version, correlation_id, target, timeout)?;
        if response.error_code == 0 {
            return Ok(version);
        }
        match response.retry_version(version) {
            Some(lower) => {
                version = lower;
                correlation_id += 1;
            }
            None => bail!(
                "{target} answered ApiVersions v{version} with error {} ({})",
                response.error_code,
                error_code_name(response.error_code)
            ),
        }
    }
}

fn connect(target: &Target, deadline: Instant, timeout: Duration) -> anyhow::Result<TcpStream> {
    let addresses: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|error| anyhow!("cannot resolve the host of {target}: {error}"))?
        .collect();
    let mut last_error = None;
    for address in addresses {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&address, remaining) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    let error = last_error.unwrap_or_else(|| io::ErrorKind::TimedOut.into());
    Err(describe_io(&error, Stage::Connecting, target, timeout))
}

fn handshake(
    stream: DeadlineStream,
    target: &Target,
    timeout: Duration,
) -> anyhow::Result<StreamOwned<ClientConnection, DeadlineStream>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("the TLS library refused its own default protocol versions")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(OwnListenerVerifier { provider }))
        .with_no_client_auth();
    let server_name = ServerName::try_from(target.host.clone()).map_err(|_| {
        anyhow!(
            "`{}` is not a valid TLS server name for {target}",
            target.host
        )
    })?;
    let connection = ClientConnection::new(Arc::new(config), server_name)
        .map_err(|error| anyhow!("cannot start TLS to {target}: {error}"))?;
    let mut tls = StreamOwned::new(connection, stream);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .map_err(|error| describe_io(&error, Stage::Handshaking, target, timeout))?;
    }
    Ok(tls)
}

fn round_trip(
    io: &mut dyn ReadWrite,
    version: i16,
    correlation_id: i32,
    target: &Target,
    timeout: Duration,
) -> anyhow::Result<ApiVersionsResponse> {
    let request = api_versions_request(version, correlation_id, CLIENT_ID).context(
        "this is a bug in kafka-entrypoint: its own ApiVersions request does not encode",
    )?;
    io.write_all(&request)
        .and_then(|()| io.flush())
        .map_err(|error| describe_io(&error, Stage::Sending, target, timeout))?;
    let mut prefix = [0; 4];
    io.read_exact(&mut prefix)
        .map_err(|error| describe_io(&error, Stage::Waiting, target, timeout))?;
    let bad = |error: WireError| anyhow!("bad ApiVersions response from {target}: {error}");
    let size = decode_frame_size(prefix).map_err(|error| match other_protocol(prefix) {
        Some(protocol) => anyhow!(
            "bad ApiVersions response from {target}: the peer answered in {protocol}, not Kafka"
        ),
        None => bad(error),
    })?;
    let mut frame = vec![0; size];
    io.read_exact(&mut frame)
        .map_err(|error| describe_io(&error, Stage::Waiting, target, timeout))?;
    decode_api_versions_response(&frame, version, correlation_id).map_err(bad)
}

/// Names the protocol a peer answered in when its first bytes are not a Kafka frame size but the
/// start of an HTTP response or of a TLS record (a TLS listener answering a plaintext request).
fn other_protocol(prefix: [u8; 4]) -> Option<&'static str> {
    match prefix {
        [b'H', b'T', b'T', b'P'] => Some("HTTP"),
        [0x15 | 0x16, 0x03, 0x00..=0x04, _] => Some("TLS (is this an SSL listener?)"),
        _ => None,
    }
}

/// Accepts the listener's certificate without checking its chain or name, but still checks that
/// the server holds the certificate's key (handshake signatures): the check is about our own
/// listener answering, and its certificate may name the advertised host, not loopback.
#[derive(Debug)]
struct OwnListenerVerifier {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for OwnListenerVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(lines: &[(&str, &str)]) -> Properties {
        let mut properties = Properties::new();
        for (key, value) in lines {
            properties.set(key, value);
        }
        properties
    }

    fn target(name: &str, protocol: SecurityProtocol, host: &str, port: u16) -> Target {
        Target {
            name: name.to_owned(),
            protocol,
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn no_listeners_means_kafka_default_plaintext_9092() {
        assert_eq!(
            select_listener(&config(&[])).unwrap(),
            target("PLAINTEXT", SecurityProtocol::Plaintext, "127.0.0.1", 9092)
        );
    }

    #[test]
    fn plaintext_is_preferred_over_sasl_and_ssl() {
        let properties = config(&[(
            "listeners",
            "SSL://:9093,SASL_PLAINTEXT://:9094,PLAINTEXT://kafka-1:9092",
        )]);
        assert_eq!(
            select_listener(&properties).unwrap(),
            target("PLAINTEXT", SecurityProtocol::Plaintext, "kafka-1", 9092)
        );
    }

    #[test]
    fn sasl_plaintext_is_preferred_over_ssl() {
        let properties = config(&[(
            "listeners",
            "SASL_SSL://:9095,SSL://:9093,SASL_PLAINTEXT://:9094",
        )]);
        assert_eq!(
            select_listener(&properties).unwrap(),
            target(
                "SASL_PLAINTEXT",
                SecurityProtocol::SaslPlaintext,
                "127.0.0.1",
                9094
            )
        );
    }

    #[test]
    fn ssl_is_used_when_it_is_the_only_broker_listener() {
        let properties = config(&[
            ("process.roles", "broker,controller"),
            ("controller.listener.names", "CONTROLLER"),
            ("listeners", "SSL://0.0.0.0:9093,CONTROLLER://:9094"),
            (
                "listener.security.protocol.map",
                "SSL:SSL,CONTROLLER:PLAINTEXT",
            ),
        ]);
        assert_eq!(
            select_listener(&properties).unwrap(),
            target("SSL", SecurityProtocol::Ssl, "127.0.0.1", 9093)
        );
    }

    #[test]
    fn combined_node_is_checked_on_its_broker_listener() {
        let properties = config(&[
            ("process.roles", "controller,broker"),
            ("controller.listener.names", "CONTROLLER"),
            ("listeners", "CONTROLLER://:9093,PLAINTEXT://:9092"),
            (
                "listener.security.protocol.map",
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            ),
        ]);
        assert_eq!(select_listener(&properties).unwrap().name, "PLAINTEXT");
    }

    #[test]
    fn controller_only_node_is_checked_on_its_controller_listener() {
        let properties = config(&[
            ("process.roles", "controller"),
            ("controller.listener.names", "CONTROLLER"),
            ("listeners", "CONTROLLER://[::]:9093"),
        ]);
        // No map set in KRaft mode: the controller listener defaults to PLAINTEXT.
        assert_eq!(
            select_listener(&properties).unwrap(),
            target("CONTROLLER", SecurityProtocol::Plaintext, "::1", 9093)
        );
    }

    #[test]
    fn custom_listener_names_map_through_the_protocol_map() {
        let properties = config(&[
            ("process.roles", "broker"),
            ("controller.listener.names", "CONTROLLER"),
            ("listeners", "EXTERNAL://:19092,internal://:9092"),
            (
                "listener.security.protocol.map",
                "EXTERNAL:SASL_SSL, INTERNAL:sasl_plaintext,CONTROLLER:SSL",
            ),
        ]);
        assert_eq!(
            select_listener(&properties).unwrap(),
            target(
                "INTERNAL",
                SecurityProtocol::SaslPlaintext,
                "127.0.0.1",
                9092
            )
        );
    }

    #[test]
    fn custom_name_missing_from_the_map_is_an_error_naming_it() {
        let properties = config(&[
            ("listeners", "CLIENT://:9092"),
            ("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT"),
        ]);
        assert_eq!(
            select_listener(&properties).unwrap_err().to_string(),
            "listener `CLIENT` has no security protocol in `listener.security.protocol.map`"
        );
    }

    #[test]
    fn broker_with_only_a_controller_listener_is_an_error() {
        let properties = config(&[
            ("process.roles", "broker"),
            ("controller.listener.names", "CONTROLLER"),
            ("listeners", "CONTROLLER://:9093"),
        ]);
        assert_eq!(
            select_listener(&properties).unwrap_err().to_string(),
            "`listeners` (`CONTROLLER://:9093`) has no broker listener"
        );
    }

    #[test]
    fn ephemeral_port_is_an_error() {
        let properties = config(&[("listeners", "PLAINTEXT://:0")]);
        assert!(select_listener(&properties).is_err());
    }

    #[test]
    fn bad_protocol_in_map_is_an_error_naming_the_entry() {
        let properties = config(&[("listener.security.protocol.map", "CLIENT:TLS")]);
        let message = select_listener(&properties).unwrap_err().to_string();
        assert!(
            message.starts_with("`listener.security.protocol.map` entry `CLIENT:TLS`"),
            "{message}"
        );
    }

    #[test]
    fn bootstrap_defaults_to_plaintext_and_takes_a_protocol() {
        assert_eq!(
            parse_bootstrap("localhost:9092").unwrap(),
            target("PLAINTEXT", SecurityProtocol::Plaintext, "localhost", 9092)
        );
        assert_eq!(
            parse_bootstrap("sasl_ssl://[::]:9093").unwrap(),
            target("SASL_SSL", SecurityProtocol::SaslSsl, "::1", 9093)
        );
        assert!(parse_bootstrap("TLS://localhost:9092").is_err());
        assert!(parse_bootstrap("localhost").is_err());
    }

    #[test]
    fn timeout_takes_ms_s_and_m() {
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("60m"), Ok(MAX_TIMEOUT));
        for bad in [
            "61m",
            "",
            "2",
            "0s",
            "1.5s",
            "-1s",
            "2 s",
            "2h",
            "99999999999999999999ms",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn http_and_tls_answers_are_named() {
        assert_eq!(other_protocol(*b"HTTP"), Some("HTTP"));
        assert_eq!(
            other_protocol([0x15, 0x03, 0x03, 0x00]),
            Some("TLS (is this an SSL listener?)")
        );
        assert_eq!(other_protocol([0, 0, 1, 0x1b]), None);
    }

    #[test]
    fn alerts_about_the_missing_client_certificate_are_recognised() {
        let alert = |description| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::AlertReceived(description),
            )
        };
        assert!(wants_a_client_certificate(&alert(
            AlertDescription::CertificateRequired
        )));
        // What the JDK (so Kafka) sends for an empty client certificate chain.
        assert!(wants_a_client_certificate(&alert(
            AlertDescription::BadCertificate
        )));
        assert!(!wants_a_client_certificate(&alert(
            AlertDescription::HandshakeFailure
        )));
        assert!(!wants_a_client_certificate(&io::Error::other(
            "BadCertificate"
        )));
    }

    #[test]
    fn target_display_brackets_ipv6() {
        assert_eq!(
            target("CONTROLLER", SecurityProtocol::Plaintext, "::1", 9093).to_string(),
            "[::1]:9093 (listener `CONTROLLER`, PLAINTEXT)"
        );
    }
}
