//! Unit tests on keys and certificates made once with `openssl` (`testdata/README.md`).

use std::time::{Duration, SystemTime};

use super::*;

const RSA_PKCS1: &[u8] = include_bytes!("../testdata/rsa-pkcs1.key");
const RSA_ENCRYPTED: &[u8] = include_bytes!("../testdata/rsa-encrypted.key");
const RSA_LEGACY_ENCRYPTED: &[u8] = include_bytes!("../testdata/rsa-legacy-encrypted.key");
const OTHER_RSA: &[u8] = include_bytes!("../testdata/other-rsa.key");
const RSA_CRT: &[u8] = include_bytes!("../testdata/rsa.crt");
const EC_SEC1: &[u8] = include_bytes!("../testdata/ec-sec1.key");
const EC_PKCS8: &[u8] = include_bytes!("../testdata/ec-pkcs8.key");
const EC_CRT: &[u8] = include_bytes!("../testdata/ec.crt");
const ED25519: &[u8] = include_bytes!("../testdata/ed25519.key");

/// Seconds since the epoch of 2030-01-01, inside the fixtures' validity.
const YEAR_2030: u64 = 1_893_456_000;

fn at(unix: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
}

fn cert(pem: &[u8]) -> Certificate {
    Certificate::parse_all(pem).unwrap().remove(0)
}

#[test]
fn every_key_format_matches_its_certificate_and_becomes_pkcs8() {
    /// Key file, password, the format it is in, its certificate file.
    type Case = (
        &'static [u8],
        Option<&'static [u8]>,
        KeyFormat,
        &'static [u8],
    );
    let cases: [Case; 4] = [
        (RSA_PKCS1, None, KeyFormat::Pkcs1, RSA_CRT),
        (
            RSA_ENCRYPTED,
            Some(b"secret"),
            KeyFormat::EncryptedPkcs8,
            RSA_CRT,
        ),
        (EC_SEC1, None, KeyFormat::Sec1, EC_CRT),
        (EC_PKCS8, None, KeyFormat::Pkcs8, EC_CRT),
    ];
    for (pem, password, format, crt) in cases {
        let key = PrivateKey::parse(pem, password).unwrap();
        assert_eq!(key.format(), format);
        assert_eq!(key.matches(&cert(crt)), KeyMatch::Matches, "{format:?}");
        let pkcs8 = key.to_pkcs8_pem();
        assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pkcs8.ends_with("-----END PRIVATE KEY-----\n"));
        // The PKCS#8 form reads back as the same key.
        let again = PrivateKey::parse(pkcs8.as_bytes(), None).unwrap();
        assert_eq!(again.format(), KeyFormat::Pkcs8);
        assert_eq!(again.matches(&cert(crt)), KeyMatch::Matches);
    }
}

#[test]
fn sec1_becomes_the_pkcs8_openssl_writes() {
    let converted = PrivateKey::parse(EC_SEC1, None).unwrap().to_pkcs8_pem();
    let normalise = |text: &str| text.replace("\r\n", "\n");
    assert_eq!(
        normalise(&converted),
        normalise(std::str::from_utf8(EC_PKCS8).unwrap())
    );
}

#[test]
fn a_key_of_another_certificate_does_not_match() {
    let key = PrivateKey::parse(OTHER_RSA, None).unwrap();
    assert_eq!(key.matches(&cert(RSA_CRT)), KeyMatch::DoesNotMatch);
    let ec = PrivateKey::parse(EC_SEC1, None).unwrap();
    assert_eq!(ec.matches(&cert(RSA_CRT)), KeyMatch::DoesNotMatch);
}

#[test]
fn encrypted_keys_need_the_right_password() {
    assert_eq!(
        PrivateKey::parse(RSA_ENCRYPTED, None).unwrap_err(),
        PemProblem::KeyPasswordMissing
    );
    assert_eq!(
        PrivateKey::parse(RSA_ENCRYPTED, Some(b"wrong")).unwrap_err(),
        PemProblem::KeyPasswordWrong
    );
    assert_eq!(
        PrivateKey::parse(RSA_PKCS1, Some(b"secret")).unwrap_err(),
        PemProblem::KeyNotEncrypted
    );
    assert_eq!(
        PrivateKey::parse(RSA_LEGACY_ENCRYPTED, Some(b"secret")).unwrap_err(),
        PemProblem::LegacyEncryptedKey
    );
}

#[test]
fn files_without_the_expected_blocks_are_named_problems() {
    assert_eq!(
        PrivateKey::parse(b"not pem at all", None).unwrap_err(),
        PemProblem::NotPem
    );
    assert_eq!(
        PrivateKey::parse(RSA_CRT, None).unwrap_err(),
        PemProblem::NoPrivateKey {
            found: "CERTIFICATE".into()
        }
    );
    assert_eq!(
        Certificate::parse_all(EC_SEC1).unwrap_err(),
        PemProblem::NoCertificate {
            found: "EC PRIVATE KEY".into()
        }
    );
    let two_keys = [RSA_PKCS1, OTHER_RSA].concat();
    assert_eq!(
        PrivateKey::parse(&two_keys, None).unwrap_err(),
        PemProblem::SeveralPrivateKeys { count: 2 }
    );
    assert_eq!(
        PrivateKey::parse(ED25519, None).unwrap_err(),
        PemProblem::UnsupportedKeyAlgorithm {
            algorithm: "Ed25519".into()
        }
    );
    let cut = &RSA_CRT[..RSA_CRT.len() / 2];
    assert!(matches!(
        Certificate::parse_all(cut).unwrap_err(),
        PemProblem::MalformedPem { .. }
    ));
}

#[test]
fn a_combined_file_gives_its_key_and_its_certificates() {
    let combined = [RSA_CRT, b"\r\n", RSA_PKCS1, EC_CRT].concat();
    let key = PrivateKey::parse(&combined, None).unwrap();
    let certificates = Certificate::parse_all(&combined).unwrap();
    assert_eq!(certificates.len(), 2);
    assert_eq!(key.matches(&certificates[0]), KeyMatch::Matches);
    assert_eq!(certificates[1].subject(), "CN=ec.test");
    let pem = Certificate::to_pem(&certificates);
    assert_eq!(
        Certificate::parse_all(pem.as_bytes()).unwrap(),
        certificates
    );
}

#[test]
fn validity_is_checked_at_the_given_instant() {
    let certificate = cert(RSA_CRT);
    assert_eq!(certificate.check_validity(at(YEAR_2030), 1), Ok(()));
    let expired = certificate
        .check_validity(at(YEAR_2030 + 20 * 365 * 86_400), 1)
        .unwrap_err();
    assert!(
        matches!(&expired, PemProblem::CertificateExpired { subject, not_after, .. }
            if subject == "CN=rsa.test" && not_after.starts_with("2036-11-28")),
        "{expired:?}"
    );
    assert!(matches!(
        certificate.check_validity(at(YEAR_2030 - 10 * 365 * 86_400), 2),
        Err(PemProblem::CertificateNotYetValid { number: 2, .. })
    ));
}

#[test]
fn problems_and_debug_output_never_hold_key_material() {
    let key = PrivateKey::parse(RSA_PKCS1, None).unwrap();
    let pem = key.to_pkcs8_pem();
    let body_line = pem.lines().nth(1).unwrap();
    assert!(!format!("{key:?}").contains(body_line));
    let problem = PrivateKey::parse(RSA_ENCRYPTED, Some(b"wrong")).unwrap_err();
    assert!(!problem.to_string().contains("wrong"));
}
