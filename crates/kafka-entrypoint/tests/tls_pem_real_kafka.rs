//! TLS from PEM files on REAL Apache Kafka (issue 12, item 2): the test makes a CA, a broker
//! certificate and client certificates with the `openssl` CLI, mounts the broker's as a
//! Kubernetes TLS secret does (`tls.key`, `tls.crt`, `ca.crt`) and starts `kafka-entrypoint run`
//! with the PEM helper variables. The broker serves one listener with server TLS and one with
//! mutual TLS; Kafka's own console clients produce and consume over each, and a client whose
//! certificate no trusted CA signed is refused on the mutual-TLS listener. The broker's key is
//! PKCS#1 (`BEGIN RSA PRIVATE KEY`, cert-manager's default), SEC1 (`BEGIN EC PRIVATE KEY`) or
//! encrypted PKCS#8 with its password in a credentials file: none of them loads in Kafka as is.

mod real_kafka;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use real_kafka::{Sandbox, free_ports, is_kafka_3, primary_version, records};

/// How the broker's key is mounted.
#[derive(Debug, Clone, Copy)]
enum BrokerKey {
    /// `openssl genrsa -traditional`: PKCS#1.
    Pkcs1Rsa,
    /// `openssl ecparam -genkey`: SEC1, P-256.
    Sec1Ec,
    /// PKCS#1 converted to PBES2/AES-256 encrypted PKCS#8, the password in `key.password`.
    EncryptedPkcs8,
}

/// The password of the encrypted broker key.
const KEY_PASSWORD: &str = "pem-key-secret";

/// Runs a shell script of `openssl` commands in `dir`; fails the test when it fails.
fn openssl(dir: &Path, script: &str) {
    let output = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("this test makes its certificates with the `openssl` CLI: install openssl");
    assert!(
        output.status.success(),
        "openssl failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes, in `secrets/`, the broker's `tls.key`, `tls.crt` and `ca.crt` (plus `key.password`),
/// and, in `clients/`, the CA for clients and the PEM keystores of a trusted and an untrusted
/// client (PKCS#8 key and certificate in one file, as Kafka's clients read them).
fn make_certificates(sandbox: &Sandbox, key: BrokerKey) {
    let secrets = sandbox.path("secrets");
    let clients = sandbox.path("clients");
    fs::create_dir_all(&clients).unwrap();
    let genkey = match key {
        BrokerKey::Pkcs1Rsa => "openssl genrsa -traditional -out tls.key 2048",
        BrokerKey::Sec1Ec => "openssl ecparam -name prime256v1 -genkey -noout -out tls.key",
        BrokerKey::EncryptedPkcs8 => {
            "openssl genrsa -traditional -out plain.key 2048
             printf '%s\\n' \"$KEY_PASSWORD\" > key.password
             openssl pkcs8 -topk8 -v2 aes-256-cbc -in plain.key -passout file:key.password -out tls.key
             rm plain.key"
        }
    };
    let script = format!(
        "KEY_PASSWORD='{KEY_PASSWORD}'
         openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca
         {genkey}
         key_for_csr=tls.key
         if [ -f key.password ]; then
           openssl pkcs8 -in tls.key -passin file:key.password -out csr.key
           key_for_csr=csr.key
         fi
         openssl req -new -key \"$key_for_csr\" -subj /CN=kafka-0 -out tls.csr
         printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext
         openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
           -extfile san.ext -out tls.crt
         rm -f tls.csr csr.key san.ext
         cd '{clients}'
         cp ../secrets/ca.crt ca.crt
         openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.key
         openssl req -new -key client.key -subj /CN=client -out client.csr
         openssl x509 -req -in client.csr -CA ../secrets/ca.crt -CAkey ../secrets/ca.key \
           -CAcreateserial -days 2 -out client.crt
         cat client.key client.crt > client.pem
         openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.crt -days 2 \
           -subj /CN=rogue
         cat rogue.key rogue.crt > rogue.pem
         rm ../secrets/ca.key",
        clients = clients.display(),
    );
    openssl(&secrets, &script);
}

/// A client config: TLS trusting the test CA, with `keystore` (a PEM file) when given.
fn client_config(sandbox: &Sandbox, name: &str, keystore: Option<&str>) -> String {
    let clients = sandbox.path("clients");
    let mut text = format!(
        "security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location={}\n\
         default.api.timeout.ms=30000\nrequest.timeout.ms=15000\n",
        clients.join("ca.crt").display()
    );
    if let Some(keystore) = keystore {
        text.push_str(&format!(
            "ssl.keystore.type=PEM\nssl.keystore.location={}\n",
            clients.join(keystore).display()
        ));
    }
    let path = clients.join(name);
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Creates `topic`, produces three records and consumes them over `bootstrap` with `config`.
fn produce_consume(sandbox: &Sandbox, bootstrap: &str, config: &str, topic: &str) {
    sandbox.tool(
        "org.apache.kafka.tools.TopicCommand",
        &[
            "--bootstrap-server",
            bootstrap,
            "--command-config",
            config,
            "--create",
            "--topic",
            topic,
            "--partitions",
            "1",
            "--replication-factor",
            "1",
        ],
        b"",
    );
    let producer = if is_kafka_3(&sandbox.version) {
        "kafka.tools.ConsoleProducer"
    } else {
        "org.apache.kafka.tools.ConsoleProducer"
    };
    let sent = records(topic, 3);
    let input: String = sent.iter().map(|r| format!("{r}\n")).collect();
    sandbox.tool(
        producer,
        &[
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--producer.config",
            config,
            "--producer-property",
            "acks=all",
        ],
        input.as_bytes(),
    );
    let output = sandbox.tool(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        &[
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            "3",
            "--timeout-ms",
            "60000",
            "--consumer.config",
            config,
        ],
        b"",
    );
    let received: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with(&format!("{topic}-")))
        .map(str::to_owned)
        .collect();
    assert_eq!(received, sent, "{}: records over {topic}", sandbox.version);
}

/// Whether a client's output says the broker refused its TLS authentication: Kafka's
/// `SslAuthenticationException` messages for TLS 1.2 (during the handshake) and TLS 1.3 (the
/// server's `certificate_required` alert arrives after the client's handshake completes).
fn refused_by_tls(output: &str) -> bool {
    [
        "SSL handshake failed",
        "Failed to process post-handshake messages",
    ]
    .iter()
    .any(|message| output.contains(message))
}

fn pem_tls_serves(version: &str, key: BrokerKey) {
    let sandbox = Sandbox::new(version);
    make_certificates(&sandbox, key);
    // The image's defaults as a mounted file, so that the variables below add to them.
    fs::write(
        sandbox.path("mounted/server.properties"),
        sandbox.server_properties(),
    )
    .unwrap();
    let ports = free_ports(2);
    let tls = format!("127.0.0.1:{}", ports[0]);
    let mtls = format!("127.0.0.1:{}", ports[1]);
    let listeners = format!(
        "PLAINTEXT://{},CONTROLLER://127.0.0.1:{},SSL://{tls},MTLS://{mtls}",
        sandbox.bootstrap(),
        sandbox.controller_port
    );
    let advertised = format!(
        "PLAINTEXT://{},SSL://{tls},MTLS://{mtls}",
        sandbox.bootstrap()
    );
    let mut env = vec![
        ("CLUSTER_ID", "4L6g3nShT-eMCtK--X86sw"),
        ("KAFKA_LISTENERS", listeners.as_str()),
        ("KAFKA_ADVERTISED_LISTENERS", advertised.as_str()),
        (
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL",
        ),
        ("KAFKA_LISTENER_NAME_MTLS_SSL_CLIENT_AUTH", "required"),
        ("KAFKA_SSL_KEY_PEM_FILENAME", "tls.key"),
        ("KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME", "tls.crt"),
        ("KAFKA_SSL_CA_PEM_FILENAME", "ca.crt"),
    ];
    if matches!(key, BrokerKey::EncryptedPkcs8) {
        env.push(("KAFKA_SSL_KEY_CREDENTIALS", "key.password"));
    }
    let mut broker = sandbox.start("pem", &env);
    broker.wait_started();

    let server_tls = client_config(&sandbox, "server-tls.properties", None);
    produce_consume(&sandbox, &tls, &server_tls, "server-tls");
    let mutual = client_config(&sandbox, "mutual-tls.properties", Some("client.pem"));
    produce_consume(&sandbox, &mtls, &mutual, "mutual-tls");

    for (config, who) in [
        (
            client_config(&sandbox, "rogue.properties", Some("rogue.pem")),
            "untrusted certificate",
        ),
        (server_tls.clone(), "no certificate"),
    ] {
        let (status, said) = sandbox.list_topics_as(&mtls, &config);
        assert!(
            !status.success() && refused_by_tls(&said),
            "{version}: a client with {who} must be refused under mutual TLS ({status}):\n{said}"
        );
    }
    broker.stop();

    let final_properties = fs::read_to_string(sandbox.path("final/server.properties")).unwrap();
    assert!(final_properties.contains("ssl.keystore.type=PEM"));
    assert!(final_properties.contains("ssl.keystore.key=-----BEGIN PRIVATE KEY-----\\n"));
    let log = broker.output();
    assert!(!log.contains("PRIVATE KEY"), "key material in the output");
    assert!(
        !log.contains(KEY_PASSWORD),
        "the key password in the output"
    );
    eprintln!(
        "tls-pem-real-kafka: {version} | broker key {key:?} | server TLS and mutual TLS produce/consume: OK; untrusted and missing client certificates refused"
    );
}

#[test]
fn kafka_primary_serves_tls_from_a_pkcs1_key() {
    pem_tls_serves(primary_version(), BrokerKey::Pkcs1Rsa);
}

#[test]
fn kafka_primary_serves_tls_from_an_encrypted_pkcs8_key() {
    pem_tls_serves(primary_version(), BrokerKey::EncryptedPkcs8);
}

#[test]
fn kafka_3_9_2_serves_tls_from_a_sec1_key() {
    pem_tls_serves("3.9.2", BrokerKey::Sec1Ec);
}
