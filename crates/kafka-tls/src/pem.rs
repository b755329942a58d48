//! PEM text (RFC 7468) as the tools that make TLS secrets write it: several blocks per file,
//! text between them (OpenSSL's `Bag Attributes`, comments), `\r\n` line ends, any base64 line
//! width, and OpenSSL's legacy `Proc-Type`/`DEK-Info` headers (recognised, to be refused).

use base64ct::{Base64, Encoding as _};
use zeroize::Zeroizing;

use crate::PemProblem;

/// One `-----BEGIN <label>-----` … `-----END <label>-----` block.
pub(crate) struct PemBlock {
    /// The label (`CERTIFICATE`, `PRIVATE KEY`, …).
    pub(crate) label: String,
    /// `Name: value` header lines before the base64 (only legacy encrypted keys have them).
    pub(crate) headers: Vec<String>,
    /// The decoded bytes (zeroed when dropped: a key's block is the key).
    pub(crate) der: Zeroizing<Vec<u8>>,
}

impl PemBlock {
    /// Whether this is an OpenSSL legacy encrypted key (`Proc-Type: 4,ENCRYPTED`).
    pub(crate) fn is_legacy_encrypted(&self) -> bool {
        self.headers
            .iter()
            .any(|header| header.starts_with("Proc-Type:") && header.contains("ENCRYPTED"))
    }
}

/// The text between the dashes of a `-----BEGIN X-----` or `-----END X-----` line.
fn boundary<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?
        .strip_suffix("-----")?
        .strip_prefix(kind)?
        .strip_prefix(' ')
}

/// Every block of a PEM file, in order.
pub(crate) fn blocks(input: &[u8]) -> Result<Vec<PemBlock>, PemProblem> {
    let text = std::str::from_utf8(input).map_err(|_| PemProblem::NotPem)?;
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = boundary(line, "BEGIN") else {
            continue;
        };
        let malformed = |reason: &str| PemProblem::MalformedPem {
            label: label.to_owned(),
            reason: reason.to_owned(),
        };
        let mut headers = Vec::new();
        let mut body = Zeroizing::new(String::new());
        let mut ended = false;
        for line in lines.by_ref() {
            if let Some(end) = boundary(line, "END") {
                if end != label {
                    return Err(malformed("its END line names another label"));
                }
                ended = true;
                break;
            }
            if body.is_empty() && line.contains(':') {
                headers.push(line.to_owned());
            } else {
                body.push_str(line);
            }
        }
        if !ended {
            return Err(malformed("it has no END line"));
        }
        let der = Base64::decode_vec(&body).map_err(|_| malformed("its base64 is invalid"))?;
        blocks.push(PemBlock {
            label: label.to_owned(),
            headers,
            der: Zeroizing::new(der),
        });
    }
    if blocks.is_empty() {
        return Err(PemProblem::NotPem);
    }
    Ok(blocks)
}

/// The labels of `blocks`, for messages (`CERTIFICATE, CERTIFICATE`).
pub(crate) fn labels(blocks: &[PemBlock]) -> String {
    blocks
        .iter()
        .map(|block| block.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One PEM block: 64-character base64 lines, `\n` line ends, a final newline.
pub(crate) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let base64 = Zeroizing::new(Base64::encode_string(der));
    let mut out = Zeroizing::new(format!("-----BEGIN {label}-----\n"));
    for chunk in base64.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
