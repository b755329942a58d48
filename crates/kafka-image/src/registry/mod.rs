//! Copying images between repositories of an OCI / Docker registry, every platform of a manifest
//! list included, with the digests verified afterwards.
//!
//! [`ImageRef`] parses references; [`http::RegistryHttp`] speaks the registry HTTP API v2 over
//! plain HTTP, which is what a registry on loopback (tests, a local mirror) offers. Registries
//! behind TLS and tokens are reached with `docker buildx imagetools create` instead (see
//! `promote`).

pub(crate) mod http;

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// A parsed image reference: `HOST[:PORT]/REPO[:TAG][@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    /// Registry host and port (`127.0.0.1:5000`, `docker.io`).
    pub(crate) registry: String,
    /// Repository path (`kafka/staging`).
    pub(crate) repository: String,
    /// The tag or digest to resolve (`4.1.0-rc1`, `sha256:…`).
    pub(crate) reference: String,
}

/// A reference that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference `{given}`: {problem}")]
pub(crate) struct InvalidImageRef {
    /// What was given.
    pub(crate) given: String,
    /// What is wrong with it.
    pub(crate) problem: &'static str,
}

impl FromStr for ImageRef {
    type Err = InvalidImageRef;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let invalid = |problem| InvalidImageRef {
            given: given.to_owned(),
            problem,
        };
        let (name, digest) = match given.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (given, None),
        };
        let (first, rest) = name
            .split_once('/')
            .ok_or_else(|| invalid("expected REGISTRY/REPOSITORY[:TAG]"))?;
        let is_host = first.contains('.') || first.contains(':') || first == "localhost";
        let (registry, path) = if is_host {
            (first.to_owned(), rest.to_owned())
        } else {
            ("docker.io".to_owned(), name.to_owned())
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo.to_owned(), Some(tag.to_owned())),
            _ => (path, None),
        };
        if repository.is_empty()
            || repository
                .chars()
                .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c)))
        {
            return Err(invalid(
                "the repository must be lower-case letters, digits and `._-/`",
            ));
        }
        let reference = match (digest, tag) {
            (Some(digest), _) => {
                if !is_sha256_digest(digest) {
                    return Err(invalid("the digest must be `sha256:` and 64 hex digits"));
                }
                digest.to_owned()
            }
            (None, Some(tag)) if !tag.is_empty() => tag,
            _ => "latest".to_owned(),
        };
        Ok(ImageRef {
            registry,
            repository,
            reference,
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.reference.starts_with("sha256:") {
            '@'
        } else {
            ':'
        };
        write!(
            f,
            "{}/{}{sep}{}",
            self.registry, self.repository, self.reference
        )
    }
}

/// Whether `text` is `sha256:` and 64 hex digits.
pub(crate) fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `sha256:<hex>` of `bytes`: the content address registries use.
pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Media types of manifest lists / indexes (multi-platform images).
pub(crate) const INDEX_TYPES: &[&str] = &[
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
];

/// Media types of single-platform manifests.
pub(crate) const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_reference_with_tag() {
        let r: ImageRef = "127.0.0.1:5000/kafka/staging:4.1.0-rc1".parse().unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "kafka/staging");
        assert_eq!(r.reference, "4.1.0-rc1");
        assert_eq!(r.to_string(), "127.0.0.1:5000/kafka/staging:4.1.0-rc1");
    }

    #[test]
    fn docker_hub_reference_defaults_to_latest() {
        let r: ImageRef = "apache/kafka".parse().unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.reference.as_str()
            ),
            ("docker.io", "apache/kafka", "latest")
        );
    }

    #[test]
    fn digest_reference_is_kept() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let r: ImageRef = format!("localhost:5000/k@{digest}").parse().unwrap();
        assert_eq!(r.reference, digest);
        assert_eq!(r.to_string(), format!("localhost:5000/k@{digest}"));
    }

    #[test]
    fn bad_references_say_what_is_wrong() {
        let err = "127.0.0.1:5000/Kafka:1".parse::<ImageRef>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid image reference `127.0.0.1:5000/Kafka:1`: the repository must be lower-case letters, digits and `._-/`"
        );
        assert!("kafka".parse::<ImageRef>().is_err());
        assert!("localhost:5000/k@sha256:12".parse::<ImageRef>().is_err());
    }

    #[test]
    fn digest_of_known_bytes() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
