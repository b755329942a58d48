//! Keystores for the SSL cases, made at test time with the JDK's `keytool` on the host: a
//! throw-away CA, a broker key signed by it (SAN `localhost` and the cluster host names), and a
//! truststore holding the CA. The files land in a secrets directory laid out as the official
//! image expects (`/etc/kafka/secrets`), with the credential files it names in `KAFKA_SSL_*`.
//!
//! [`write_pem_secrets`] makes the PEM form instead, with the `openssl` CLI: the files of a
//! Kubernetes TLS secret (`tls.key` as PKCS#1, cert-manager's default, `tls.crt`, `ca.crt`) and a
//! client's PEM keystore signed by the same CA.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

use super::sandbox::write_host_file;

/// The store and key password of the generated stores (test-only, random per run would add
/// nothing: the stores live for one case).
pub(crate) const STORE_PASSWORD: &str = "sanity-store-secret";

/// File names in the secrets directory.
pub(crate) const KEYSTORE: &str = "kafka.keystore.jks";
/// The truststore's file name.
pub(crate) const TRUSTSTORE: &str = "kafka.truststore.jks";
/// Credential file names, as in the official image's examples.
pub(crate) const KEYSTORE_CREDENTIALS: &str = "kafka_keystore_creds";
/// Key password file.
pub(crate) const KEY_CREDENTIALS: &str = "kafka_ssl_key_creds";
/// Truststore password file.
pub(crate) const TRUSTSTORE_CREDENTIALS: &str = "kafka_truststore_creds";

/// A client's SSL properties (upstream's `client-ssl.properties`) for a tool run in the broker's
/// container: the stores [`write_secrets`] made, read from the mounted secrets directory.
pub(crate) fn client_properties() -> String {
    format!(
        "security.protocol=SSL\nssl.truststore.location=/etc/kafka/secrets/{TRUSTSTORE}\n\
         ssl.truststore.password={STORE_PASSWORD}\nssl.keystore.location=/etc/kafka/secrets/{KEYSTORE}\n\
         ssl.keystore.password={STORE_PASSWORD}\nssl.key.password={STORE_PASSWORD}"
    )
}

/// The `KAFKA_SSL_*` helper variables that point `setup` at the files [`write_secrets`] made.
pub(crate) const SSL_ENV: &[(&str, &str)] = &[
    ("KAFKA_SSL_KEYSTORE_FILENAME", KEYSTORE),
    ("KAFKA_SSL_KEYSTORE_CREDENTIALS", KEYSTORE_CREDENTIALS),
    ("KAFKA_SSL_KEY_CREDENTIALS", KEY_CREDENTIALS),
    ("KAFKA_SSL_TRUSTSTORE_FILENAME", TRUSTSTORE),
    ("KAFKA_SSL_TRUSTSTORE_CREDENTIALS", TRUSTSTORE_CREDENTIALS),
    ("KAFKA_SSL_CLIENT_AUTH", "required"),
];

fn keytool(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("keytool")
        .args(args)
        .current_dir(dir)
        .output()
        .context(
            "failed to run `keytool` (install a JDK, e.g. Debian's openjdk-17-jdk-headless)",
        )?;
    if !output.status.success() {
        bail!(
            "`keytool {}` failed ({}):\n{}",
            args.first().copied().unwrap_or_default(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(())
}

/// Writes a CA, a broker keystore for `hosts` (plus `localhost`), a truststore and the three
/// credential files into `dir`, all readable by the container's user.
pub(crate) fn write_secrets(dir: &Path, hosts: &[&str]) -> anyhow::Result<()> {
    let pass = STORE_PASSWORD;
    let san = std::iter::once("localhost")
        .chain(hosts.iter().copied())
        .map(|h| format!("dns:{h}"))
        .collect::<Vec<_>>()
        .join(",");
    let san = format!("SAN={san}");
    let common = ["-storepass", pass, "-noprompt"];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(common.iter())
            .map(|s| (*s).to_owned())
            .collect()
    };
    let steps: Vec<Vec<String>> = vec![
        with(&[
            "-genkeypair",
            "-alias",
            "ca",
            "-dname",
            "CN=kafka-image-test-ca",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-validity",
            "2",
            "-ext",
            "bc:c",
            "-keystore",
            "ca.p12",
            "-storetype",
            "PKCS12",
        ]),
        with(&[
            "-exportcert",
            "-rfc",
            "-alias",
            "ca",
            "-keystore",
            "ca.p12",
            "-file",
            "ca.pem",
        ]),
        with(&[
            "-genkeypair",
            "-alias",
            "kafka",
            "-dname",
            "CN=kafka",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-validity",
            "2",
            "-ext",
            &san,
            "-keystore",
            KEYSTORE,
            "-storetype",
            "JKS",
            "-keypass",
            pass,
        ]),
        with(&[
            "-certreq",
            "-alias",
            "kafka",
            "-keystore",
            KEYSTORE,
            "-file",
            "kafka.csr",
        ]),
        with(&[
            "-gencert",
            "-rfc",
            "-alias",
            "ca",
            "-keystore",
            "ca.p12",
            "-infile",
            "kafka.csr",
            "-outfile",
            "kafka.crt",
            "-ext",
            &san,
            "-validity",
            "2",
        ]),
        with(&[
            "-importcert",
            "-alias",
            "ca",
            "-file",
            "ca.pem",
            "-keystore",
            KEYSTORE,
        ]),
        with(&[
            "-importcert",
            "-alias",
            "kafka",
            "-file",
            "kafka.crt",
            "-keystore",
            KEYSTORE,
        ]),
        with(&[
            "-importcert",
            "-alias",
            "ca",
            "-file",
            "ca.pem",
            "-keystore",
            TRUSTSTORE,
            "-storetype",
            "JKS",
        ]),
    ];
    for step in &steps {
        let args: Vec<&str> = step.iter().map(String::as_str).collect();
        keytool(dir, &args)?;
    }
    for store in [KEYSTORE, TRUSTSTORE] {
        let path = dir.join(store);
        let bytes =
            std::fs::read(&path).with_context(|| format!("failed to read `{}`", path.display()))?;
        write_host_file(dir, store, &bytes, 0o644)?;
    }
    for creds in [
        KEYSTORE_CREDENTIALS,
        KEY_CREDENTIALS,
        TRUSTSTORE_CREDENTIALS,
    ] {
        write_host_file(dir, creds, format!("{pass}\n").as_bytes(), 0o644)?;
    }
    Ok(())
}

/// The PEM files of a Kubernetes TLS secret, as [`write_pem_secrets`] names them.
pub(crate) const PEM_KEY: &str = "tls.key";
/// The broker's certificate chain.
pub(crate) const PEM_CHAIN: &str = "tls.crt";
/// The CA certificate.
pub(crate) const PEM_CA: &str = "ca.crt";
/// A client's PEM keystore (PKCS#8 key, then its certificate), signed by the same CA.
pub(crate) const PEM_CLIENT: &str = "client.pem";
/// A client's PEM keystore signed by no CA the broker trusts.
pub(crate) const PEM_ROGUE: &str = "rogue.pem";

/// The PEM helper variables that point `setup` at the files [`write_pem_secrets`] made, with
/// client authentication required.
pub(crate) const PEM_SSL_ENV: &[(&str, &str)] = &[
    ("KAFKA_SSL_KEY_PEM_FILENAME", PEM_KEY),
    ("KAFKA_SSL_CERTIFICATE_CHAIN_PEM_FILENAME", PEM_CHAIN),
    ("KAFKA_SSL_CA_PEM_FILENAME", PEM_CA),
    ("KAFKA_SSL_CLIENT_AUTH", "required"),
];

/// Writes a CA, the broker's `tls.key` (PKCS#1 RSA) and `tls.crt` (SAN `localhost`), `ca.crt`
/// and two client PEM keystores (one signed by the CA, one self-signed) into `dir`, all readable
/// by the container's user.
pub(crate) fn write_pem_secrets(dir: &Path) -> anyhow::Result<()> {
    let script = "set -euo pipefail
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=kafka-image-test-ca
        openssl genrsa -traditional -out tls.key 2048
        openssl req -new -key tls.key -subj /CN=kafka -out tls.csr
        printf 'subjectAltName=DNS:localhost\n' > san.ext
        openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out tls.crt
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.key
        openssl req -new -key client.key -subj /CN=client -out client.csr
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt
        cat client.key client.crt > client.pem
        openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.crt -days 2 -subj /CN=rogue
        cat rogue.key rogue.crt > rogue.pem
        rm -f ca.key ca.srl tls.csr san.ext client.key client.csr client.crt rogue.key rogue.crt";
    let output = Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .context("failed to run `openssl` (install Debian's openssl)")?;
    if !output.status.success() {
        bail!(
            "making the PEM certificates with `openssl` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    for file in [PEM_KEY, PEM_CHAIN, PEM_CA, PEM_CLIENT, PEM_ROGUE] {
        super::sandbox::set_mode(&dir.join(file), 0o644)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keytool_makes_stores_and_credential_files() {
        if Command::new("keytool").arg("-help").output().is_err() {
            // A JDK is part of the documented build requirements; without one this test
            // cannot say anything.
            panic!("keytool is not installed; install a JDK to run the SSL cases");
        }
        let dir = tempfile::tempdir().unwrap();
        write_secrets(dir.path(), &["kafka-1"]).unwrap();
        for file in [
            KEYSTORE,
            TRUSTSTORE,
            KEYSTORE_CREDENTIALS,
            KEY_CREDENTIALS,
            TRUSTSTORE_CREDENTIALS,
        ] {
            assert!(dir.path().join(file).is_file(), "{file}");
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join(KEYSTORE_CREDENTIALS)).unwrap(),
            "sanity-store-secret\n"
        );
        let listing = Command::new("keytool")
            .args([
                "-list",
                "-v",
                "-keystore",
                KEYSTORE,
                "-storepass",
                STORE_PASSWORD,
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&listing.stdout);
        assert!(
            listing.contains("Issuer: CN=kafka-image-test-ca"),
            "{listing}"
        );
        assert!(listing.contains("DNSName: kafka-1"), "{listing}");
        assert!(listing.contains("DNSName: localhost"), "{listing}");
    }
}
