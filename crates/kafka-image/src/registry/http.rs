//! The registry HTTP API v2 over plain HTTP/1.1 (loopback registries only), with just the calls a
//! copy needs: get/put manifests, check/mount/get/upload blobs.
//!
//! A copy ([`RegistryHttp::copy`]) puts every blob and platform manifest before the manifest list
//! that names them, so the destination is never left with a list pointing at missing content, and
//! puts the manifests byte for byte, so their digests are unchanged; [`RegistryHttp::verify`]
//! re-reads the destination and compares digests.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};

use super::{INDEX_TYPES, ImageRef, MANIFEST_TYPES, sha256_digest};
use crate::shell::UserError;

/// Network timeout of one request.
const TIMEOUT: Duration = Duration::from_secs(60);

/// One HTTP response.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A manifest as stored: its bytes, media type and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredManifest {
    /// The exact bytes (the digest is over them).
    pub(crate) bytes: Vec<u8>,
    /// `Content-Type` of the manifest.
    pub(crate) media_type: String,
    /// `sha256:` of the bytes.
    pub(crate) digest: String,
}

/// What a copy did, for the report and `--json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct CopySummary {
    /// The digest of the top manifest (the same in source and destination).
    pub(crate) digest: String,
    /// The platforms copied (`linux/amd64`), empty for a single-platform image.
    pub(crate) platforms: Vec<String>,
    /// The digests of the platform manifests (or the single manifest).
    pub(crate) manifests: Vec<String>,
    /// Blobs uploaded or mounted.
    pub(crate) blobs_copied: usize,
    /// Blobs the destination already had.
    pub(crate) blobs_present: usize,
}

/// A registry reached over plain HTTP.
#[derive(Debug, Clone)]
pub(crate) struct RegistryHttp {
    host: String,
}

impl RegistryHttp {
    /// The registry of `image`; only loopback hosts are accepted (plain HTTP elsewhere would send
    /// images unprotected, and real registries need TLS and tokens).
    pub(crate) fn for_image(image: &ImageRef) -> anyhow::Result<Self> {
        let host = image
            .registry
            .rsplit_once(':')
            .map_or(image.registry.as_str(), |(h, _)| h);
        ensure!(
            host == "localhost" || host.starts_with("127.") || host == "[::1]",
            "registry `{}` is not on loopback; the built-in HTTP client only talks to loopback \
             registries (use `--with imagetools` for others)",
            image.registry
        );
        Ok(RegistryHttp {
            host: image.registry.clone(),
        })
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Response> {
        let mut stream = TcpStream::connect(&self.host).map_err(|source| {
            anyhow::Error::new(source).context(UserError {
                message: format!("cannot reach the registry at `{}`", self.host),
                help: "start the registry (locally: `docker-registry serve CONFIG`, Debian \
                       package `docker-registry`) or fix the host and port in the image name"
                    .to_owned(),
            })
        })?;
        // Setting a non-zero timeout cannot fail (only `Some(0)` is rejected).
        stream.set_read_timeout(Some(TIMEOUT)).ok();
        stream.set_write_timeout(Some(TIMEOUT)).ok();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body))
            .with_context(|| format!("failed to send `{method} {path}` to `{}`", self.host))?;
        read_response(BufReader::new(stream), method == "HEAD").with_context(|| {
            format!(
                "failed to read the answer to `{method} {path}` from `{}`",
                self.host
            )
        })
    }

    /// Fetches a manifest (list) by tag or digest.
    pub(crate) fn get_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> anyhow::Result<StoredManifest> {
        let accept = INDEX_TYPES
            .iter()
            .chain(MANIFEST_TYPES)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let path = format!("/v2/{repository}/manifests/{reference}");
        let response = self.request("GET", &path, &[("Accept", &accept)], &[])?;
        if response.status == 404 {
            bail!(
                "`{}/{repository}:{reference}` does not exist in the registry",
                self.host
            );
        }
        expect_status(&response, &[200], "GET", &path)?;
        let media_type = response
            .header("Content-Type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let digest = sha256_digest(&response.body);
        if reference.starts_with("sha256:") {
            ensure!(
                digest == reference,
                "manifest `{reference}` of `{repository}` has digest `{digest}`: the registry returned other content"
            );
        }
        Ok(StoredManifest {
            bytes: response.body,
            media_type,
            digest,
        })
    }

    /// Stores a manifest under `reference` (tag or digest) and returns the registry's digest.
    pub(crate) fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        manifest: &StoredManifest,
    ) -> anyhow::Result<String> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let response = self.request(
            "PUT",
            &path,
            &[("Content-Type", &manifest.media_type)],
            &manifest.bytes,
        )?;
        expect_status(&response, &[201], "PUT", &path)?;
        Ok(response
            .header("Docker-Content-Digest")
            .map_or_else(|| manifest.digest.clone(), str::to_owned))
    }

    fn has_blob(&self, repository: &str, digest: &str) -> anyhow::Result<bool> {
        let path = format!("/v2/{repository}/blobs/{digest}");
        let response = self.request("HEAD", &path, &[], &[])?;
        Ok(response.status == 200)
    }

    /// Makes `digest` available in `to`: already there, mounted from `from`, or uploaded.
    /// Returns whether anything was copied.
    fn copy_blob(&self, from: &str, to: &str, digest: &str) -> anyhow::Result<bool> {
        if self.has_blob(to, digest)? {
            return Ok(false);
        }
        let mount = format!("/v2/{to}/blobs/uploads/?mount={digest}&from={from}");
        let response = self.request("POST", &mount, &[], &[])?;
        if response.status == 201 {
            return Ok(true);
        }
        expect_status(&response, &[202], "POST", &mount)?;
        let get = format!("/v2/{from}/blobs/{digest}");
        let blob = self.request("GET", &get, &[], &[])?;
        expect_status(&blob, &[200], "GET", &get)?;
        ensure!(
            sha256_digest(&blob.body) == digest,
            "blob `{digest}` of `{from}` does not match its digest"
        );
        let location = response
            .header("Location")
            .context("the registry gave no upload `Location`")?;
        let location = location
            .strip_prefix("http://")
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or(location);
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={digest}");
        let response = self.request(
            "PUT",
            &put,
            &[("Content-Type", "application/octet-stream")],
            &blob.body,
        )?;
        expect_status(&response, &[201], "PUT", &put)?;
        Ok(true)
    }

    /// Copies the config and layers of one platform manifest, then the manifest by digest.
    fn copy_platform(
        &self,
        from: &str,
        to: &str,
        manifest: &StoredManifest,
        summary: &mut CopySummary,
    ) -> anyhow::Result<()> {
        let json: serde_json::Value = serde_json::from_slice(&manifest.bytes)
            .with_context(|| format!("manifest `{}` is not JSON", manifest.digest))?;
        let blobs = json["config"]["digest"].as_str().into_iter().chain(
            json["layers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l["digest"].as_str()),
        );
        for digest in blobs {
            if self.copy_blob(from, to, digest)? {
                summary.blobs_copied += 1;
            } else {
                summary.blobs_present += 1;
            }
        }
        self.put_manifest(to, &manifest.digest, manifest)?;
        summary.manifests.push(manifest.digest.clone());
        Ok(())
    }

    /// Copies `source` (every platform of a list) to `target` on the same registry.
    pub(crate) fn copy(&self, source: &ImageRef, target: &ImageRef) -> anyhow::Result<CopySummary> {
        ensure!(
            source.registry == target.registry,
            "`{source}` and `{target}` are on different registries; the built-in client copies \
             within one registry"
        );
        let top = self.get_manifest(&source.repository, &source.reference)?;
        let mut summary = CopySummary {
            digest: top.digest.clone(),
            platforms: Vec::new(),
            manifests: Vec::new(),
            blobs_copied: 0,
            blobs_present: 0,
        };
        if INDEX_TYPES.contains(&top.media_type.as_str()) {
            for (digest, platform) in index_entries(&top)? {
                let child = self.get_manifest(&source.repository, &digest)?;
                self.copy_platform(&source.repository, &target.repository, &child, &mut summary)?;
                summary.platforms.push(platform);
            }
        } else if MANIFEST_TYPES.contains(&top.media_type.as_str()) {
            self.copy_platform(&source.repository, &target.repository, &top, &mut summary)?;
        } else {
            bail!(
                "`{source}` has unsupported manifest type `{}`",
                top.media_type
            );
        }
        let stored = self.put_manifest(&target.repository, &target.reference, &top)?;
        ensure!(
            stored == top.digest,
            "the registry stored `{target}` as `{stored}`, expected `{}`",
            top.digest
        );
        Ok(summary)
    }

    /// Re-reads `target` and checks that it and every manifest it names have the digests of
    /// `expected`.
    pub(crate) fn verify(&self, target: &ImageRef, expected: &CopySummary) -> anyhow::Result<()> {
        let top = self.get_manifest(&target.repository, &target.reference)?;
        ensure!(
            top.digest == expected.digest,
            "`{target}` has digest `{}`, expected `{}`",
            top.digest,
            expected.digest
        );
        for digest in &expected.manifests {
            let child = self.get_manifest(&target.repository, digest)?;
            ensure!(
                &child.digest == digest,
                "`{target}` platform manifest `{digest}` differs"
            );
        }
        Ok(())
    }
}

/// `(digest, "os/arch[/variant]")` of each entry of a manifest list.
pub(crate) fn index_entries(index: &StoredManifest) -> anyhow::Result<Vec<(String, String)>> {
    let json: serde_json::Value = serde_json::from_slice(&index.bytes)
        .with_context(|| format!("manifest list `{}` is not JSON", index.digest))?;
    let entries = json["manifests"]
        .as_array()
        .with_context(|| format!("manifest list `{}` has no `manifests`", index.digest))?;
    entries
        .iter()
        .map(|entry| {
            let digest = entry["digest"]
                .as_str()
                .with_context(|| format!("an entry of `{}` has no digest", index.digest))?;
            let platform = &entry["platform"];
            let mut name = format!(
                "{}/{}",
                platform["os"].as_str().unwrap_or("unknown"),
                platform["architecture"].as_str().unwrap_or("unknown")
            );
            if let Some(variant) = platform["variant"].as_str() {
                name.push('/');
                name.push_str(variant);
            }
            Ok((digest.to_owned(), name))
        })
        .collect()
}

fn expect_status(response: &Response, ok: &[u16], method: &str, path: &str) -> anyhow::Result<()> {
    if ok.contains(&response.status) {
        return Ok(());
    }
    let body = String::from_utf8_lossy(&response.body);
    bail!(
        "`{method} {path}` answered HTTP {} (expected {ok:?}): {}",
        response.status,
        body.trim()
    )
}

fn read_response(mut reader: impl BufRead, head: bool) -> anyhow::Result<Response> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP status line: `{}`", line.trim_end()))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = response
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if head {
        // A HEAD answer has the headers of a GET (Content-Length included) and no body.
    } else if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .context("bad chunk size")?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            chunk.truncate(size);
            response.body.extend(chunk);
        }
    } else if let Some(length) = response
        .header("Content-Length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        response.body = body;
    } else {
        reader.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_with_content_length() {
        let raw = b"HTTP/1.1 201 Created\r\nDocker-Content-Digest: sha256:ab\r\nContent-Length: 2\r\n\r\n{}";
        let response = read_response(&raw[..], false).unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.header("docker-content-digest"), Some("sha256:ab"));
        assert_eq!(response.body, b"{}");
    }

    #[test]
    fn chunked_response_is_reassembled() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(read_response(&raw[..], false).unwrap().body, b"abcde");
    }

    #[test]
    fn index_entries_name_platforms() {
        let bytes = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:1","platform":{"os":"linux","architecture":"arm64","variant":"v8"}},{"digest":"sha256:2","platform":{"os":"linux","architecture":"amd64"}}]}"#;
        let index = StoredManifest {
            bytes: bytes.to_vec(),
            media_type: INDEX_TYPES[1].to_owned(),
            digest: "sha256:x".to_owned(),
        };
        assert_eq!(
            index_entries(&index).unwrap(),
            [
                ("sha256:1".to_owned(), "linux/arm64/v8".to_owned()),
                ("sha256:2".to_owned(), "linux/amd64".to_owned())
            ]
        );
    }

    #[test]
    fn non_loopback_registry_is_refused() {
        let image: ImageRef = "registry.example.com/kafka:1".parse().unwrap();
        let err = RegistryHttp::for_image(&image).unwrap_err();
        assert!(err.to_string().contains("is not on loopback"), "{err}");
    }
}
