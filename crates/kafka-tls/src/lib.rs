//! PEM keys and certificates for Kafka's PEM keystores and truststores (KIP-651), bytes in,
//! checked values out.
//!
//! Kafka's `DefaultSslEngineFactory` (3.9 and 4.x alike) loads `ssl.keystore.key` only as PKCS#8
//! (`BEGIN PRIVATE KEY`), of an RSA, DSA or EC key, and an encrypted one (`BEGIN ENCRYPTED
//! PRIVATE KEY`) through `SecretKeyFactory.getInstance(EncryptedPrivateKeyInfo.getAlgName())`,
//! which Java 17 cannot do for PBES2, the scheme `openssl pkcs8 -topk8` writes (`getAlgName()` is
//! `PBES2` there). Kubernetes TLS secrets made by cert-manager hold PKCS#1 (`BEGIN RSA PRIVATE
//! KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) keys by default. So [`PrivateKey::parse`] reads all
//! of them, decrypts an encrypted PKCS#8 key with its password, and
//! [`PrivateKey::to_pkcs8_pem`] gives the one form every supported Kafka and Java version loads.
//!
//! [`Certificate`] reads certificate chains and CA bundles, checks validity at a given instant
//! (the caller passes `now`: this crate reads no clock) and whether a key belongs to a
//! certificate ([`PrivateKey::matches`]). Errors ([`PemProblem`]) never hold key material or a
//! password.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod pem;

use std::fmt;
use std::time::{Duration, SystemTime};

use pkcs8::der::asn1::{AnyRef, ObjectIdentifier};
use pkcs8::der::{Decode as _, Encode as _};
use pkcs8::{AlgorithmIdentifierRef, EncryptedPrivateKeyInfo, PrivateKeyInfo};
use zeroize::Zeroizing;

/// `rsaEncryption` (RFC 8017).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey` (RFC 5480).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// Label of a PKCS#8 private key.
const PKCS8_LABEL: &str = "PRIVATE KEY";
/// Label of an encrypted PKCS#8 private key.
const ENCRYPTED_PKCS8_LABEL: &str = "ENCRYPTED PRIVATE KEY";
/// Label of a PKCS#1 RSA private key.
const PKCS1_LABEL: &str = "RSA PRIVATE KEY";
/// Label of a SEC1 EC private key.
const SEC1_LABEL: &str = "EC PRIVATE KEY";
/// Label of an X.509 certificate.
const CERTIFICATE_LABEL: &str = "CERTIFICATE";

/// Why a PEM key or certificate file cannot be used. Names what is wrong, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PemProblem {
    /// No `-----BEGIN …-----` block at all (or not text).
    #[error("is not PEM (no `-----BEGIN ...-----` line)")]
    NotPem,
    /// A block that is cut short or whose base64 does not decode.
    #[error("has a malformed `{label}` PEM block: {reason}")]
    MalformedPem {
        /// The block's label.
        label: String,
        /// What is wrong.
        reason: String,
    },
    /// PEM, but no private key block.
    #[error("holds no private key (found: {found})")]
    NoPrivateKey {
        /// The labels found, rendered.
        found: String,
    },
    /// More than one private key block.
    #[error("holds {count} private keys; Kafka takes exactly one")]
    SeveralPrivateKeys {
        /// How many.
        count: usize,
    },
    /// An OpenSSL "traditional" encrypted key (`Proc-Type: 4,ENCRYPTED` headers).
    #[error("holds a key encrypted in OpenSSL's legacy format (`Proc-Type: 4,ENCRYPTED`)")]
    LegacyEncryptedKey,
    /// The key block's DER does not decode as its label says.
    #[error("holds a `{label}` block that is not a valid key: {reason}")]
    InvalidKey {
        /// The block's label.
        label: String,
        /// The decoder's message (positions and tags, no key bytes).
        reason: String,
    },
    /// A key of an algorithm Kafka's PEM keystore does not load (or this crate does not check).
    #[error("holds a {algorithm} key; Kafka's PEM keystore takes RSA or EC keys")]
    UnsupportedKeyAlgorithm {
        /// The algorithm's name or OID.
        algorithm: String,
    },
    /// An EC key that names no curve.
    #[error("holds an EC key that names no curve")]
    EcKeyWithoutCurve,
    /// An encrypted key and no password.
    #[error("holds an encrypted key but no password was given")]
    KeyPasswordMissing,
    /// An encrypted key that the given password does not decrypt.
    #[error("holds an encrypted key that the given password does not decrypt")]
    KeyPasswordWrong,
    /// An encrypted key whose encryption scheme is not supported.
    #[error("holds a key encrypted with an unsupported scheme: {reason}")]
    UnsupportedKeyEncryption {
        /// The scheme's problem as the decoder names it.
        reason: String,
    },
    /// A password was given but the key is not encrypted.
    #[error("holds a key that is not encrypted, but a key password was given")]
    KeyNotEncrypted,
    /// PEM, but no certificate block.
    #[error("holds no certificate (found: {found})")]
    NoCertificate {
        /// The labels found, rendered.
        found: String,
    },
    /// A certificate block that is not an X.509 certificate.
    #[error("holds certificate {number} that is not a valid X.509 certificate: {reason}")]
    InvalidCertificate {
        /// Its position in the file, from 1.
        number: usize,
        /// The decoder's message.
        reason: String,
    },
    /// A certificate past its `notAfter`.
    #[error("holds certificate {number} ({subject}), which expired at {not_after}")]
    CertificateExpired {
        /// Its position in the file, from 1.
        number: usize,
        /// Its subject (RFC 4514).
        subject: String,
        /// Its `notAfter`.
        not_after: String,
    },
    /// A certificate before its `notBefore`.
    #[error("holds certificate {number} ({subject}), which is not valid before {not_before}")]
    CertificateNotYetValid {
        /// Its position in the file, from 1.
        number: usize,
        /// Its subject (RFC 4514).
        subject: String,
        /// Its `notBefore`.
        not_before: String,
    },
}

impl PemProblem {
    /// What to do about it, for a `help:` line.
    #[must_use]
    pub fn help(&self) -> &'static str {
        match self {
            Self::NotPem | Self::MalformedPem { .. } => {
                "mount the PEM file itself (as in a Kubernetes TLS secret: `tls.key`, `tls.crt`, `ca.crt`)"
            }
            Self::NoPrivateKey { .. } | Self::SeveralPrivateKeys { .. } => {
                "name the file holding the one private key (`tls.key` in a Kubernetes TLS secret)"
            }
            Self::LegacyEncryptedKey => {
                "convert it to encrypted PKCS#8: `openssl pkcs8 -topk8 -v2 aes-256-cbc -in tls.key -out tls.key.p8`"
            }
            Self::InvalidKey { .. } => {
                "mount an unencrypted PKCS#8, PKCS#1 or SEC1 key, or an encrypted PKCS#8 key"
            }
            Self::UnsupportedKeyAlgorithm { .. } | Self::EcKeyWithoutCurve => {
                "issue the certificate with an RSA or ECDSA (P-256, P-384, P-521) key"
            }
            Self::KeyPasswordMissing => {
                "put the key's password in a file in the secrets directory and name it in `KAFKA_SSL_KEY_CREDENTIALS`"
            }
            Self::KeyPasswordWrong => {
                "put the key's password (only a final newline is dropped) in the file `KAFKA_SSL_KEY_CREDENTIALS` names"
            }
            Self::UnsupportedKeyEncryption { .. } => {
                "re-encrypt it with PBES2: `openssl pkcs8 -topk8 -v2 aes-256-cbc -in plain.key -out tls.key`"
            }
            Self::KeyNotEncrypted => {
                "unset `KAFKA_SSL_KEY_CREDENTIALS` (an unencrypted key needs no password), or mount the encrypted key"
            }
            Self::NoCertificate { .. } | Self::InvalidCertificate { .. } => {
                "name the file holding the PEM certificates (`tls.crt` or `ca.crt` in a Kubernetes TLS secret)"
            }
            Self::CertificateExpired { .. } | Self::CertificateNotYetValid { .. } => {
                "renew the certificate (or check the host's clock); Kafka's clients refuse it outside its validity"
            }
        }
    }
}

/// The format a key was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// `BEGIN PRIVATE KEY`.
    Pkcs8,
    /// `BEGIN ENCRYPTED PRIVATE KEY` (decrypted with the password given).
    EncryptedPkcs8,
    /// `BEGIN RSA PRIVATE KEY`.
    Pkcs1,
    /// `BEGIN EC PRIVATE KEY`.
    Sec1,
}

/// The public half a private key carries, to compare with a certificate's.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicHalf {
    /// An RSA key's modulus and public exponent (big-endian, no leading zeros).
    Rsa { modulus: Vec<u8>, exponent: Vec<u8> },
    /// An EC key's curve and, when the key carries it, its public point.
    Ec {
        curve: ObjectIdentifier,
        point: Option<Vec<u8>>,
    },
}

/// Whether a private key belongs to a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMatch {
    /// The certificate's public key is the key's.
    Matches,
    /// It is another key.
    DoesNotMatch,
    /// The key does not carry its public point (an EC key written without it), so it cannot
    /// be compared without curve arithmetic; Kafka's handshake will tell.
    Unknown,
}

/// An unencrypted private key, held as PKCS#8 DER (zeroed when dropped).
pub struct PrivateKey {
    pkcs8_der: Zeroizing<Vec<u8>>,
    format: KeyFormat,
    public: PublicHalf,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("format", &self.format)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads the one private key of a PEM file (other blocks, such as certificates, are
    /// ignored). `password` decrypts an encrypted PKCS#8 key; giving one for an unencrypted key
    /// is a problem, as it means the wrong file or a leftover setting.
    ///
    /// # Errors
    /// A [`PemProblem`] naming what is wrong with the file.
    pub fn parse(pem: &[u8], password: Option<&[u8]>) -> Result<Self, PemProblem> {
        let blocks = pem::blocks(pem)?;
        let mut keys = blocks.iter().filter(|b| b.label.ends_with("PRIVATE KEY"));
        let Some(block) = keys.next() else {
            return Err(PemProblem::NoPrivateKey {
                found: pem::labels(&blocks),
            });
        };
        let count = 1 + keys.count();
        if count > 1 {
            return Err(PemProblem::SeveralPrivateKeys { count });
        }
        if block.is_legacy_encrypted() {
            return Err(PemProblem::LegacyEncryptedKey);
        }
        let invalid = |reason: String| PemProblem::InvalidKey {
            label: block.label.clone(),
            reason,
        };
        let encrypted = block.label == ENCRYPTED_PKCS8_LABEL;
        match (encrypted, password) {
            (true, None) => return Err(PemProblem::KeyPasswordMissing),
            (false, Some(_)) => return Err(PemProblem::KeyNotEncrypted),
            _ => {}
        }
        match block.label.as_str() {
            PKCS8_LABEL => Self::from_pkcs8(block.der.to_vec(), KeyFormat::Pkcs8),
            ENCRYPTED_PKCS8_LABEL => {
                let info = EncryptedPrivateKeyInfo::from_der(&block.der)
                    .map_err(|error| invalid(error.to_string()))?;
                let plain =
                    info.encryption_algorithm
                        .decrypt(password.unwrap_or_default(), info.encrypted_data)
                        .map_err(|error| match error {
                            // pkcs5 0.7 reports bad padding (a wrong password) as `EncryptFailed`.
                            pkcs8::pkcs5::Error::DecryptFailed
                            | pkcs8::pkcs5::Error::EncryptFailed => PemProblem::KeyPasswordWrong,
                            other => PemProblem::UnsupportedKeyEncryption {
                                reason: other.to_string(),
                            },
                        })?;
                let plain = Zeroizing::new(plain);
                // A wrong password whose padding happens to check out still leaves garbage.
                PrivateKeyInfo::from_der(&plain).map_err(|_| PemProblem::KeyPasswordWrong)?;
                Self::from_pkcs8(plain.to_vec(), KeyFormat::EncryptedPkcs8)
            }
            PKCS1_LABEL => {
                let rsa = pkcs1::RsaPrivateKey::from_der(&block.der)
                    .map_err(|error| invalid(error.to_string()))?;
                let public = PublicHalf::Rsa {
                    modulus: rsa.modulus.as_bytes().to_vec(),
                    exponent: rsa.public_exponent.as_bytes().to_vec(),
                };
                let der = wrap_pkcs8(RSA_ENCRYPTION, AnyRef::NULL, &block.der)
                    .map_err(|error| invalid(error.to_string()))?;
                Ok(Self {
                    pkcs8_der: der,
                    format: KeyFormat::Pkcs1,
                    public,
                })
            }
            SEC1_LABEL => {
                let ec = sec1::EcPrivateKey::from_der(&block.der)
                    .map_err(|error| invalid(error.to_string()))?;
                let curve = ec
                    .parameters
                    .and_then(|p| p.named_curve())
                    .ok_or(PemProblem::EcKeyWithoutCurve)?;
                // PKCS#8 names the curve in its algorithm; the inner key leaves it out (RFC 5915).
                let inner = sec1::EcPrivateKey {
                    parameters: None,
                    ..ec
                };
                let inner =
                    Zeroizing::new(inner.to_der().map_err(|error| invalid(error.to_string()))?);
                let der = wrap_pkcs8(EC_PUBLIC_KEY, AnyRef::from(&curve), &inner)
                    .map_err(|error| invalid(error.to_string()))?;
                Ok(Self {
                    pkcs8_der: der,
                    format: KeyFormat::Sec1,
                    public: PublicHalf::Ec {
                        curve,
                        point: ec.public_key.map(<[u8]>::to_vec),
                    },
                })
            }
            other => Err(PemProblem::UnsupportedKeyAlgorithm {
                algorithm: format!("`{other}`"),
            }),
        }
    }

    /// A key from PKCS#8 DER, checking that it is an RSA or EC key Kafka loads.
    fn from_pkcs8(der: Vec<u8>, format: KeyFormat) -> Result<Self, PemProblem> {
        let der = Zeroizing::new(der);
        let label = if format == KeyFormat::EncryptedPkcs8 {
            ENCRYPTED_PKCS8_LABEL
        } else {
            PKCS8_LABEL
        };
        let invalid = |reason: String| PemProblem::InvalidKey {
            label: label.to_owned(),
            reason,
        };
        let info = PrivateKeyInfo::from_der(&der).map_err(|error| invalid(error.to_string()))?;
        let public = match info.algorithm.oid {
            RSA_ENCRYPTION => {
                let rsa = pkcs1::RsaPrivateKey::from_der(info.private_key)
                    .map_err(|error| invalid(error.to_string()))?;
                PublicHalf::Rsa {
                    modulus: rsa.modulus.as_bytes().to_vec(),
                    exponent: rsa.public_exponent.as_bytes().to_vec(),
                }
            }
            EC_PUBLIC_KEY => {
                let ec = sec1::EcPrivateKey::from_der(info.private_key)
                    .map_err(|error| invalid(error.to_string()))?;
                let curve = info
                    .algorithm
                    .parameters_oid()
                    .ok()
                    .or_else(|| ec.parameters.and_then(|p| p.named_curve()))
                    .ok_or(PemProblem::EcKeyWithoutCurve)?;
                let point = ec.public_key.or(info.public_key).map(<[u8]>::to_vec);
                PublicHalf::Ec { curve, point }
            }
            other => {
                return Err(PemProblem::UnsupportedKeyAlgorithm {
                    algorithm: algorithm_name(other),
                });
            }
        };
        Ok(Self {
            pkcs8_der: der,
            format,
            public,
        })
    }

    /// The format the key was found in.
    #[must_use]
    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// The key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`), `\n` line ends, ending in a
    /// newline (Kafka's PEM pattern needs whitespace after the `END` line).
    #[must_use]
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        pem::encode(PKCS8_LABEL, &self.pkcs8_der)
    }

    /// Whether `certificate` is this key's certificate.
    #[must_use]
    pub fn matches(&self, certificate: &Certificate) -> KeyMatch {
        let spki = &certificate
            .certificate
            .tbs_certificate
            .subject_public_key_info;
        let Some(cert_key) = spki.subject_public_key.as_bytes() else {
            return KeyMatch::DoesNotMatch;
        };
        let same = match (&self.public, spki.algorithm.oid) {
            (PublicHalf::Rsa { modulus, exponent }, RSA_ENCRYPTION) => {
                pkcs1::RsaPublicKey::from_der(cert_key).is_ok_and(|public| {
                    public.modulus.as_bytes() == modulus.as_slice()
                        && public.public_exponent.as_bytes() == exponent.as_slice()
                })
            }
            (PublicHalf::Ec { curve, point }, EC_PUBLIC_KEY) => {
                let cert_curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
                if cert_curve != Some(*curve) {
                    false
                } else if let Some(point) = point {
                    point.as_slice() == cert_key
                } else {
                    return KeyMatch::Unknown;
                }
            }
            _ => false,
        };
        if same {
            KeyMatch::Matches
        } else {
            KeyMatch::DoesNotMatch
        }
    }
}

/// PKCS#8 `PrivateKeyInfo` DER around an algorithm-specific private key.
fn wrap_pkcs8(
    oid: ObjectIdentifier,
    parameters: AnyRef<'_>,
    private_key: &[u8],
) -> Result<Zeroizing<Vec<u8>>, pkcs8::der::Error> {
    let info = PrivateKeyInfo {
        algorithm: AlgorithmIdentifierRef {
            oid,
            parameters: Some(parameters),
        },
        private_key,
        public_key: None,
    };
    info.to_der().map(Zeroizing::new)
}

/// A readable name for a key algorithm OID.
fn algorithm_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.101.112" => "Ed25519".to_owned(),
        "1.3.101.113" => "Ed448".to_owned(),
        "1.2.840.10040.4.1" => "DSA".to_owned(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".to_owned(),
        other => format!("OID {other}"),
    }
}

/// One X.509 certificate and its DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    certificate: x509_cert::Certificate,
}

impl Certificate {
    /// Every certificate of a PEM file (a chain, leaf first, or a CA bundle), in file order;
    /// other blocks are ignored.
    ///
    /// # Errors
    /// [`PemProblem::NotPem`], [`PemProblem::NoCertificate`] or the first invalid certificate.
    pub fn parse_all(pem: &[u8]) -> Result<Vec<Self>, PemProblem> {
        let blocks = pem::blocks(pem)?;
        let certificates: Vec<Self> = blocks
            .iter()
            .filter(|block| block.label == CERTIFICATE_LABEL)
            .enumerate()
            .map(|(index, block)| {
                x509_cert::Certificate::from_der(&block.der)
                    .map(|certificate| Self {
                        der: block.der.to_vec(),
                        certificate,
                    })
                    .map_err(|error| PemProblem::InvalidCertificate {
                        number: index + 1,
                        reason: error.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        if certificates.is_empty() {
            return Err(PemProblem::NoCertificate {
                found: pem::labels(&blocks),
            });
        }
        Ok(certificates)
    }

    /// The subject, as RFC 4514 text.
    #[must_use]
    pub fn subject(&self) -> String {
        self.certificate.tbs_certificate.subject.to_string()
    }

    /// Whether `now` is within the certificate's validity; `number` is its position in its
    /// file, for the message.
    ///
    /// # Errors
    /// [`PemProblem::CertificateExpired`] or [`PemProblem::CertificateNotYetValid`].
    pub fn check_validity(&self, now: SystemTime, number: usize) -> Result<(), PemProblem> {
        let validity = &self.certificate.tbs_certificate.validity;
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        if now < validity.not_before.to_unix_duration() {
            return Err(PemProblem::CertificateNotYetValid {
                number,
                subject: self.subject(),
                not_before: validity.not_before.to_string(),
            });
        }
        if now > validity.not_after.to_unix_duration() {
            return Err(PemProblem::CertificateExpired {
                number,
                subject: self.subject(),
                not_after: validity.not_after.to_string(),
            });
        }
        Ok(())
    }

    /// Certificates as PEM, one block each, in order, ending in a newline.
    #[must_use]
    pub fn to_pem(certificates: &[Self]) -> String {
        let mut out = String::new();
        for certificate in certificates {
            out.push_str(&pem::encode(CERTIFICATE_LABEL, &certificate.der));
        }
        out
    }
}

#[cfg(test)]
mod tests;
