//! Test support for the registry tests: a `docker-registry` (Debian's package, the CNCF
//! distribution registry) on a free loopback port, removed on drop, and tiny images made `FROM
//! scratch` (no pull needed) pushed into it.

#![allow(dead_code)] // Each test binary uses a different subset of this module.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `docker ARGS`, panicking with its stderr on failure; returns stdout.
pub(crate) fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A registry on `127.0.0.1:PORT`, storage in a temp dir.
pub(crate) struct LocalRegistry {
    /// `127.0.0.1:PORT`.
    pub(crate) host: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl LocalRegistry {
    /// Starts a registry and waits until it answers `/v2/`.
    pub(crate) fn start() -> LocalRegistry {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = format!("127.0.0.1:{port}");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: {host}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts (Debian package `docker-registry`)");
        let registry = LocalRegistry {
            host,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while registry.curl(&["-o", "/dev/null", "-w", "%{http_code}", "/v2/"]) != "200" {
            assert!(
                Instant::now() < deadline,
                "registry did not answer on {}",
                registry.host
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }

    fn curl(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("curl");
        cmd.arg("-s");
        for arg in args {
            if arg.starts_with('/') && !arg.starts_with("/dev") {
                cmd.arg(format!("http://{}{arg}", self.host));
            } else {
                cmd.arg(arg);
            }
        }
        let out = cmd.output().expect("curl runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The `Docker-Content-Digest` of `repo:reference`, as the registry reports it.
    pub(crate) fn manifest_digest(&self, repo: &str, reference: &str) -> String {
        let headers = self.curl(&[
            "-I",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
            &format!("/v2/{repo}/manifests/{reference}"),
        ]);
        headers
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("docker-content-digest:")
                    .map(|d| d.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("no digest for {repo}:{reference}: {headers}"))
    }

    /// The manifest (or manifest list) `repo:reference` as JSON.
    pub(crate) fn manifest(&self, repo: &str, reference: &str) -> serde_json::Value {
        let body = self.curl(&[
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
            &format!("/v2/{repo}/manifests/{reference}"),
        ]);
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("manifest {repo}:{reference} is not JSON ({e}): {body}"))
    }

    /// Whether `repo:reference` exists in the registry.
    pub(crate) fn has_manifest(&self, repo: &str, reference: &str) -> bool {
        self.curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-I",
            &format!("/v2/{repo}/manifests/{reference}"),
        ]) == "200"
    }

    /// Puts a Docker manifest list naming `children` (`(digest, arch)`, all in `repo`) under
    /// `tag` and returns its digest.
    pub(crate) fn put_manifest_list(
        &self,
        repo: &str,
        tag: &str,
        children: &[(&str, &str)],
    ) -> String {
        let manifests: Vec<serde_json::Value> = children
            .iter()
            .map(|(digest, arch)| {
                let raw = self.curl(&[
                    "-H",
                    "Accept: application/vnd.docker.distribution.manifest.v2+json",
                    &format!("/v2/{repo}/manifests/{digest}"),
                ]);
                serde_json::json!({
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "digest": digest,
                    "size": raw.len(),
                    "platform": {"architecture": arch, "os": "linux"},
                })
            })
            .collect();
        let list = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
            "manifests": manifests,
        });
        let body = serde_json::to_string(&list).unwrap();
        let out = self.curl(&[
            "-X",
            "PUT",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Content-Type: application/vnd.docker.distribution.manifest.list.v2+json",
            "--data-binary",
            &body,
            &format!("/v2/{repo}/manifests/{tag}"),
        ]);
        assert_eq!(out, "201", "manifest list was not accepted");
        self.manifest_digest(repo, tag)
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        // The registry is this test's own child process.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds a two-file image `FROM scratch` whose content depends on `content`, pushes it as
/// `image`, removes the local tag, and returns the pushed manifest digest.
pub(crate) fn push_scratch_image(image: &str, content: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY payload /payload\nCOPY more /more\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("payload"),
        format!("kafka-image registry test {content}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("more"), content.repeat(100)).unwrap();
    docker(&[
        "build",
        "-q",
        "-t",
        image,
        &dir.path().display().to_string(),
    ]);
    let pushed = docker(&["push", image]);
    docker(&["rmi", image]);
    pushed
        .lines()
        .find_map(|l| l.split("digest: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no digest in `docker push` output: {pushed}"))
}
