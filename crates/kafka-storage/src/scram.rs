//! SASL/SCRAM users that exist from a cluster's first start (KIP-900): the users list the image
//! reads (`KAFKA_ENTRYPOINT_SCRAM_USERS`, one `user:mechanism:password` per line), the SCRAM
//! credential Kafka stores for each (RFC 5802 as `ScramFormatter` computes it), and the
//! `UserScramCredentialRecord` that `kafka-storage.sh format --add-scram` appends to the
//! bootstrap records, after the feature levels, in the order given.
//!
//! Passwords live only in [`ScramPassword`], whose `Debug` prints no secret, and no error of
//! this module quotes one: errors name the variable and the line.

use std::fmt;

use hmac::digest::KeyInit;
use hmac::{Mac, SimpleHmac};
use sha2::{Digest, Sha256, Sha512};

use crate::record_batch::{Reader, put_unsigned_varint};
use crate::{CheckpointError, StorageError};

/// API key of `UserScramCredentialRecord` (`common/metadata/UserScramCredentialRecord.json`).
pub(crate) const USER_SCRAM_CREDENTIAL_RECORD_API_KEY: u64 = 11;

/// The iteration count `kafka-storage.sh format --add-scram` uses when none is given
/// (`ScramParser.PerMechanismData.iterations`); also the minimum of both mechanisms
/// (`ScramMechanism.minIterations`).
pub const DEFAULT_SCRAM_ITERATIONS: i32 = 4096;

/// Random bytes one [`kafka_default_salt`] consumes.
pub const SALT_RANDOM_BYTES: usize = 17;

/// A SCRAM mechanism Kafka supports (`org.apache.kafka.common.security.scram.internals
/// .ScramMechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScramMechanism {
    /// `SCRAM-SHA-256` (type 1).
    Sha256,
    /// `SCRAM-SHA-512` (type 2).
    Sha512,
}

impl ScramMechanism {
    /// The mechanism of a name as Kafka spells it (`ScramMechanism.forMechanismName`: exact).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "SCRAM-SHA-256" => Some(Self::Sha256),
            "SCRAM-SHA-512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The name, as in `sasl.enabled.mechanisms` and `--add-scram`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SCRAM-SHA-256",
            Self::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The `Mechanism` byte of `UserScramCredentialRecord` (`ScramMechanism.type`).
    pub fn record_type(self) -> i8 {
        match self {
            Self::Sha256 => 1,
            Self::Sha512 => 2,
        }
    }
}

impl fmt::Display for ScramMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A password; its `Debug` prints `***` so that no derived output can leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramPassword(String);

impl ScramPassword {
    /// The password's text, for the SCRAM computation and the fallback's `--add-scram`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ScramPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// One line of the users list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramUser {
    /// The user name (the SASL authorization id clients log in with).
    pub name: String,
    /// The mechanism.
    pub mechanism: ScramMechanism,
    /// The password.
    pub password: ScramPassword,
}

impl ScramUser {
    /// The credential Kafka stores for this user with `salt` and `iterations`
    /// (`ScramParser.PerMechanismData.toRecord`).
    pub fn credential(&self, salt: Vec<u8>, iterations: i32) -> ScramCredential {
        let password = self.password.expose().as_bytes();
        let rounds = u32::try_from(iterations).unwrap_or(0);
        let (stored_key, server_key) = match self.mechanism {
            ScramMechanism::Sha256 => {
                let mut salted = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, &salt, rounds, &mut salted);
                keys::<Sha256>(&salted)
            }
            ScramMechanism::Sha512 => {
                let mut salted = [0u8; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, &salt, rounds, &mut salted);
                keys::<Sha512>(&salted)
            }
        };
        ScramCredential {
            name: self.name.clone(),
            mechanism: self.mechanism,
            salt,
            stored_key,
            server_key,
            iterations,
        }
    }

    /// The `--add-scram` argument of Kafka's storage tool for this user, with Kafka's default
    /// salt and iterations (`SCRAM-SHA-256=[name=alice,password=…]`). It holds the password.
    pub fn add_scram_argument(&self) -> String {
        format!(
            "{}=[name={},password={}]",
            self.mechanism,
            self.name,
            self.password.expose()
        )
    }
}

/// StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword,
/// "Server Key") (RFC 5802 §3, `ScramFormatter.storedKey`/`clientKey`/`serverKey`).
fn keys<D>(salted_password: &[u8]) -> (Vec<u8>, Vec<u8>)
where
    D: Digest + hmac::digest::core_api::BlockSizeUser,
{
    let hmac = |message: &[u8]| {
        // Invariant: HMAC takes a key of any length (`new_from_slice` cannot fail for it).
        let mut mac = <SimpleHmac<D> as KeyInit>::new_from_slice(salted_password)
            .expect("HMAC takes a key of any length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    };
    let client_key = hmac(b"Client Key");
    let stored_key = D::digest(&client_key).to_vec();
    (stored_key, hmac(b"Server Key"))
}

/// Kafka's default salt (`ScramFormatter.secureRandomBytes`): a 130-bit random number written
/// in base 36 (`new BigInteger(130, random).toString(36)`), as its ASCII bytes, usually 25 or
/// 26 of them. `random` gives the bits; the top 6 bits of its first byte are unused.
pub fn kafka_default_salt(random: [u8; SALT_RANDOM_BYTES]) -> Vec<u8> {
    let mut number = random;
    number[0] &= 0x03;
    let mut digits = Vec::new();
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u32;
        for byte in &mut number {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 36) as u8;
            remainder = value % 36;
        }
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[remainder as usize]);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    digits
}

/// A SCRAM credential as Kafka stores it (`UserScramCredentialRecord` version 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramCredential {
    /// `Name`.
    pub name: String,
    /// `Mechanism`.
    pub mechanism: ScramMechanism,
    /// `Salt`.
    pub salt: Vec<u8>,
    /// `StoredKey`.
    pub stored_key: Vec<u8>,
    /// `ServerKey`.
    pub server_key: Vec<u8>,
    /// `Iterations`.
    pub iterations: i32,
}

impl ScramCredential {
    /// The record framed by `MetadataRecordSerde`: frame version 1, API key 11, version 0, then
    /// name (compact string), mechanism (int8), salt, stored key and server key (compact
    /// bytes), iterations (int32), no tagged fields.
    pub(crate) fn record_value(&self) -> Vec<u8> {
        let mut value = Vec::with_capacity(self.name.len() + 160);
        put_unsigned_varint(&mut value, crate::bootstrap_checkpoint::FRAME_VERSION);
        put_unsigned_varint(&mut value, USER_SCRAM_CREDENTIAL_RECORD_API_KEY);
        put_unsigned_varint(&mut value, 0);
        put_compact(&mut value, self.name.as_bytes());
        value.push(self.mechanism.record_type() as u8);
        put_compact(&mut value, &self.salt);
        put_compact(&mut value, &self.stored_key);
        put_compact(&mut value, &self.server_key);
        value.extend_from_slice(&self.iterations.to_be_bytes());
        value.push(0);
        value
    }

    /// Reads what [`ScramCredential::record_value`] writes, after its frame, API key and
    /// version.
    pub(crate) fn parse_record_body(reader: &mut Reader<'_>) -> Result<Self, CheckpointError> {
        const NOT_SCRAM: CheckpointError = CheckpointError::NotABootstrapSnapshot {
            reason: "a data record is not a version-0 UserScramCredentialRecord",
        };
        let compact = |reader: &mut Reader<'_>| -> Result<Vec<u8>, CheckpointError> {
            let length = usize::try_from(reader.unsigned_varint()?)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .ok_or(NOT_SCRAM)?;
            Ok(reader.take(length)?.to_vec())
        };
        let name = String::from_utf8(compact(reader)?).map_err(|_| NOT_SCRAM)?;
        let mechanism = match reader.u8()? {
            1 => ScramMechanism::Sha256,
            2 => ScramMechanism::Sha512,
            _ => return Err(NOT_SCRAM),
        };
        let salt = compact(reader)?;
        let stored_key = compact(reader)?;
        let server_key = compact(reader)?;
        let iterations = reader.i32()?;
        if reader.unsigned_varint()? != 0 {
            return Err(NOT_SCRAM);
        }
        Ok(Self {
            name,
            mechanism,
            salt,
            stored_key,
            server_key,
            iterations,
        })
    }
}

fn put_compact(out: &mut Vec<u8>, bytes: &[u8]) {
    put_unsigned_varint(out, bytes.len() as u64 + 1);
    out.extend_from_slice(bytes);
}

/// Parses the users list: one `user:mechanism:password` per line (the password is everything
/// after the second `:`); blank lines and lines starting with `#` are skipped; a final `\r` is
/// dropped. `origin` names where the text came from (the variable, or the variable and its
/// file) for the errors, which report every bad line at once by number and quote no field of a
/// refused line (a password written in the wrong field must not reach a log).
///
/// Refused, because Kafka's storage tool (the `kafka-storage` fallback) could not take them or
/// a client could not log in with them: an empty name or password, a name with whitespace, `,`,
/// `=`, `[`, `]` or `"`; a password with `,` (the tool splits `--add-scram` at commas), a
/// leading or trailing whitespace, or wrapped in `"`; an unknown mechanism; the same user and
/// mechanism twice.
pub fn parse_scram_users(text: &str, origin: &str) -> Result<Vec<ScramUser>, Vec<StorageError>> {
    let mut users: Vec<(usize, ScramUser)> = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let content = raw.strip_suffix('\r').unwrap_or(raw);
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        let problem = |reason: String| StorageError::ScramUserLine {
            origin: origin.to_owned(),
            line,
            reason,
        };
        let mut parts = content.splitn(3, ':');
        let (Some(name), Some(mechanism), Some(password)) =
            (parts.next(), parts.next(), parts.next())
        else {
            errors.push(problem(
                "expected `user:mechanism:password` (two `:` at least)".to_owned(),
            ));
            continue;
        };
        let mut reasons = Vec::new();
        if name.is_empty() {
            reasons.push("the user name is empty".to_owned());
        } else if name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || ",=[]\"".contains(c))
        {
            reasons.push("the user name holds whitespace or one of `, = [ ] \"`".to_owned());
        }
        let mechanism = match ScramMechanism::from_name(mechanism) {
            Some(m) => Some(m),
            None => {
                reasons.push(
                    "the mechanism (second field) is not `SCRAM-SHA-256` or `SCRAM-SHA-512`"
                        .to_owned(),
                );
                None
            }
        };
        if password.is_empty() {
            reasons.push("the password is empty".to_owned());
        } else if password.contains(',') {
            reasons
                .push("the password holds `,`, which Kafka's storage tool cannot take".to_owned());
        } else if password.trim() != password
            || (password.len() >= 2 && password.starts_with('"') && password.ends_with('"'))
        {
            reasons.push(
                "the password starts or ends with whitespace, or is wrapped in `\"`".to_owned(),
            );
        }
        if !reasons.is_empty() {
            errors.push(problem(reasons.join("; ")));
            continue;
        }
        let Some(mechanism) = mechanism else {
            continue;
        };
        if let Some((first, _)) = users
            .iter()
            .find(|(_, u)| u.name == name && u.mechanism == mechanism)
        {
            errors.push(problem(format!(
                "user `{name}` with `{mechanism}` is already on line {first}"
            )));
            continue;
        }
        users.push((
            line,
            ScramUser {
                name: name.to_owned(),
                mechanism,
                password: ScramPassword(password.to_owned()),
            },
        ));
    }
    if errors.is_empty() {
        Ok(users.into_iter().map(|(_, user)| user).collect())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, mechanism: ScramMechanism, password: &str) -> ScramUser {
        ScramUser {
            name: name.into(),
            mechanism,
            password: ScramPassword(password.into()),
        }
    }

    #[test]
    fn lines_parse_and_comments_and_blank_lines_are_skipped() {
        let users = parse_scram_users(
            "# users\nalice:SCRAM-SHA-256:a:b=c\r\n\n  \nbob:SCRAM-SHA-512:pw\n",
            "V",
        )
        .expect("valid");
        assert_eq!(
            users,
            [
                user("alice", ScramMechanism::Sha256, "a:b=c"),
                user("bob", ScramMechanism::Sha512, "pw")
            ]
        );
        assert_eq!(format!("{users:?}").matches("***").count(), 2);
        assert!(!format!("{users:?}").contains("a:b=c"));
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_no_password() {
        let errors = parse_scram_users(
            "alice:SCRAM-SHA-1:secret-one\nno-colon\n:SCRAM-SHA-256:secret-two\nbob:SCRAM-SHA-256:has,comma\nok:SCRAM-SHA-256:x\nok:SCRAM-SHA-256:y\nsp ace:SCRAM-SHA-512: padded \n",
            "KAFKA_ENTRYPOINT_SCRAM_USERS",
        )
        .expect_err("invalid");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 6, "{text:#?}");
        for (message, line) in text.iter().zip([1, 2, 3, 4, 6, 7]) {
            assert!(
                message.starts_with(&format!("`KAFKA_ENTRYPOINT_SCRAM_USERS` line {line}:")),
                "{message}"
            );
        }
        assert!(text[0].contains("mechanism (second field)"));
        assert!(text[4].contains("already on line 5"));
        assert!(text[5].contains("whitespace") && !text[5].contains("sp ace"));
        let all = text.join("\n");
        for secret in ["secret-one", "secret-two", "has,comma", " padded "] {
            assert!(!all.contains(secret), "{all}");
        }
        assert!(errors[0].help().expect("help").contains("user:mechanism"));
    }

    /// RFC 7677 §3's SCRAM-SHA-256 example (password `pencil`, salt `W22ZaJ0SNY7soEsUEjb6gQ==`,
    /// 4096 iterations); the keys as Python's `hashlib.pbkdf2_hmac` and `hmac` compute them.
    #[test]
    fn scram_sha_256_keys_match_an_independent_implementation() {
        let salt = [
            0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e, 0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36,
            0xfa, 0x81,
        ];
        let credential =
            user("user", ScramMechanism::Sha256, "pencil").credential(salt.to_vec(), 4096);
        assert_eq!(
            hex(&credential.stored_key),
            "586e5df283e6dceb5c3e791d8b8528ec191e664045ce971792e2e6b5bb13e2a6"
        );
        assert_eq!(
            hex(&credential.server_key),
            "c1f3cbc1c13a9d35a14c0990eed97629ea225863e566a4314ab99f3f00e5d9d5"
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn default_salt_is_a_base_36_number_of_130_bits() {
        assert_eq!(kafka_default_salt([0; SALT_RANDOM_BYTES]), b"0");
        let mut one = [0; SALT_RANDOM_BYTES];
        one[16] = 35;
        assert_eq!(kafka_default_salt(one), b"z");
        // 2^130 - 1 in base 36.
        assert_eq!(
            kafka_default_salt([0xff; SALT_RANDOM_BYTES]),
            b"1omfro7zwmumr3umxudzyj6scf"
        );
    }

    #[test]
    fn records_round_trip() {
        let credential =
            user("alice", ScramMechanism::Sha512, "pw").credential(b"salt".to_vec(), 4096);
        let value = credential.record_value();
        assert_eq!(&value[..3], &[1, 11, 0]);
        let mut reader = Reader::new(&value, 3);
        assert_eq!(
            ScramCredential::parse_record_body(&mut reader),
            Ok(credential)
        );
    }

    #[test]
    fn credentials_follow_the_features_in_both_bootstrap_files() {
        let credentials = vec![
            user("alice", ScramMechanism::Sha256, "a").credential(b"s1".to_vec(), 4096),
            user("bob", ScramMechanism::Sha512, "b").credential(b"s2".to_vec(), 8192),
        ];
        let features = vec![crate::FeatureLevel::new("metadata.version", 21)];
        let checkpoint = crate::BootstrapCheckpoint {
            timestamps: crate::SnapshotTimestamps::all_at(7),
            features: features.clone(),
            scram_credentials: credentials.clone(),
        };
        let bytes = checkpoint.encode();
        assert_eq!(crate::BootstrapCheckpoint::decode(&bytes), Ok(checkpoint));
        let data = &crate::decode_batches(&bytes).expect("batches")[1];
        let api_keys: Vec<u8> = data
            .records
            .iter()
            .map(|r| r.value.as_ref().expect("value")[1])
            .collect();
        assert_eq!(api_keys, [12, 11, 11]);
        let snapshot = crate::MetadataSnapshot {
            timestamps: crate::MetadataSnapshotTimestamps::all_at(7),
            kraft_version: 0,
            voters: None,
            features,
            scram_credentials: credentials,
        };
        assert_eq!(
            crate::MetadataSnapshot::decode(&snapshot.encode()),
            Ok(snapshot)
        );
    }

    proptest::proptest! {
        /// Any text parses or is refused without a panic, and no error quotes a password, even
        /// one written into the name or mechanism field.
        #[test]
        fn parsing_never_panics_and_never_echoes_a_password(
            name in "[ -~]{0,12}",
            mechanism in "(SCRAM-SHA-256|SCRAM-SHA-512|[ -~]{0,14})",
            password in "[ -~]{8,24}",
            noise in "[ -~\n]{0,40}",
        ) {
            let text = format!("{noise}\n{name}:{mechanism}:{password}\n{password}:{password}:x\n");
            if let Err(errors) = parse_scram_users(&text, "V") {
                for error in errors {
                    let message = format!("{error} {error:?}");
                    proptest::prop_assert!(!message.contains(&password), "{message}");
                }
            }
        }
    }
}
