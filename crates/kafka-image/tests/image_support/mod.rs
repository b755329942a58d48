//! Support for the tests that build and run the image on the real Docker engine.
//!
//! These tests need a Docker engine, a base image made from Debian packages (no image can be
//! pulled on the test machines) and a FIXTURE Kafka distribution (`fixtures/fake-kafka`, not Apache
//! Kafka). They are `#[ignore = "needs Docker"]`; `ci/test` runs them with `--include-ignored`.
//!
//! Every container a test starts is held by a [`Container`] guard that removes it (and its anonymous
//! volumes) on drop, even when the test panics.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The final stage's base made by `ci/make-test-base-image.sh` (as debian:trixie-slim is made).
pub const BASE_IMAGE: &str = "kafka-image-test-base:trixie-slim";
/// The JDK 25 image the runtime is linked and the archive trained in, made by the same script.
pub const JDK_IMAGE: &str = "kafka-image-test-base:trixie-jdk25";

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a command and returns its output; panics with the command line when it cannot start.
#[track_caller]
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program} {}`: {e}", args.join(" ")))
}

/// Runs a command that must succeed and returns its trimmed stdout.
#[track_caller]
pub fn run_ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "`{program} {}` failed ({}):\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `docker …` that must succeed.
#[track_caller]
pub fn docker(args: &[&str]) -> String {
    run_ok("docker", args)
}

/// Makes the test base images once per machine (cached by tag; takes minutes the first time).
pub fn ensure_base_image() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let script = workspace().join("ci/make-test-base-image.sh");
        let status = Command::new(&script)
            .args([JDK_IMAGE, BASE_IMAGE])
            .status()
            .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", script.display()));
        assert!(status.success(), "`{}` failed", script.display());
    });
}

/// A FIXTURE Kafka release (not Apache Kafka) packed like a real one, with its `.sha512`, a
/// detached signature `.asc` by a throwaway test key, and a `KEYS` file holding that key.
pub struct FixtureRelease {
    /// Keeps the files alive.
    pub dir: tempfile::TempDir,
    /// `kafka_2.13-VERSION.tgz`
    pub tarball: PathBuf,
    /// The KEYS file with the test key.
    pub keys: PathBuf,
    /// The GnuPG home holding the test key's secret half.
    pub gnupg_home: PathBuf,
}

impl FixtureRelease {
    /// Builds the fixture distribution for `version` and signs it.
    pub fn make(version: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("dist");
        let script = workspace().join("fixtures/fake-kafka/build.sh");
        let script = script.to_str().expect("utf-8 path");
        run_ok(
            script,
            &["--tarball", out.to_str().expect("utf-8"), version],
        );
        let tarball = out.join(format!("kafka_2.13-{version}.tgz"));
        assert!(
            tarball.is_file(),
            "fixture build made no `{}`",
            tarball.display()
        );

        let gnupg_home = dir.path().join("gnupg");
        let keys = dir.path().join("KEYS");
        make_test_key(&gnupg_home, &keys, "kafka-image test release key");
        sign(&gnupg_home, &tarball);
        Self {
            dir,
            tarball,
            keys,
            gnupg_home,
        }
    }

    /// The `.sha512` beside the tarball.
    pub fn sha512(&self) -> PathBuf {
        append(&self.tarball, ".sha512")
    }

    /// The `.asc` beside the tarball.
    pub fn asc(&self) -> PathBuf {
        append(&self.tarball, ".asc")
    }
}

/// `path` with `suffix` appended to its file name.
pub fn append(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Makes a throwaway ed25519 signing key in `gnupg_home` and writes its public half to `keys`.
pub fn make_test_key(gnupg_home: &Path, keys: &Path, name: &str) {
    std::fs::create_dir_all(gnupg_home).expect("gnupg home");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(gnupg_home, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let home = gnupg_home.to_str().expect("utf-8");
    let uid = format!("{name} (TEST KEY, not an Apache key) <test@kafka-image.invalid>");
    run_ok(
        "gpg",
        &[
            "--homedir",
            home,
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            &uid,
            "ed25519",
            "sign",
            "never",
        ],
    );
    let public = run("gpg", &["--homedir", home, "--armor", "--export"]);
    assert!(
        public.status.success() && !public.stdout.is_empty(),
        "gpg export failed"
    );
    std::fs::write(keys, &public.stdout).expect("write KEYS");
}

/// Writes `FILE.asc`, a detached armored signature by the key in `gnupg_home`.
pub fn sign(gnupg_home: &Path, file: &Path) {
    let asc = append(file, ".asc");
    let _ = std::fs::remove_file(&asc);
    run_ok(
        "gpg",
        &[
            "--homedir",
            gnupg_home.to_str().expect("utf-8"),
            "--batch",
            "--armor",
            "--detach-sign",
            "--output",
            asc.to_str().expect("utf-8"),
            file.to_str().expect("utf-8"),
        ],
    );
}

/// The musl `kafka-entrypoint`, built once per test binary (the image needs a static binary).
pub fn entrypoint_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut command = Command::new(cargo);
            // Without the variables `cargo test` sets for this test, so the build matches a plain
            // `cargo build` of the same target and `kafka-image build` (ring's build script watches
            // CARGO_MANIFEST_DIR; a difference rebuilds the musl binary).
            for (name, _) in std::env::vars() {
                if name.starts_with("CARGO_PKG_")
                    || [
                        "CARGO_MANIFEST_DIR",
                        "CARGO_MANIFEST_PATH",
                        "CARGO_CRATE_NAME",
                    ]
                    .contains(&name.as_str())
                    || name.starts_with("CARGO_BIN_EXE_")
                    || name == "CARGO_TARGET_TMPDIR"
                    || name == "CARGO_PRIMARY_PACKAGE"
                {
                    command.env_remove(name);
                }
            }
            let out = command
                .current_dir(workspace())
                .args([
                    "build",
                    "--release",
                    "--target",
                    "x86_64-unknown-linux-musl",
                    "-p",
                    "kafka-entrypoint",
                    "--message-format=json-render-diagnostics",
                ])
                .stderr(Stdio::inherit())
                .output()
                .expect("run cargo");
            assert!(
                out.status.success(),
                "building kafka-entrypoint (musl) failed"
            );
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|m| m["target"]["name"] == "kafka-entrypoint")
                .find_map(|m| m["executable"].as_str().map(PathBuf::from))
                .expect("cargo reported the kafka-entrypoint executable")
        })
        .clone()
}

/// Runs `kafka-image build` with `args` (plus the test base images) and returns its output.
pub fn kafka_image_build(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kafka-image"));
    cmd.arg("build")
        .args(["--base-image", BASE_IMAGE, "--jdk-image", JDK_IMAGE])
        .args(args)
        .stdin(Stdio::null());
    cmd.output().expect("run kafka-image")
}

/// Stdout and stderr of an output, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the engine has an image of that name.
pub fn image_exists(tag: &str) -> bool {
    run("docker", &["image", "inspect", tag]).status.success()
}

/// The FIXTURE image (Kafka fixture 4.1.0, test base, no CDS archive) that the container tests
/// share; built once per test binary.
pub fn fixture_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        ensure_base_image();
        let tag = "kafka-image-test:fixture-4.1.0".to_owned();
        let release = FixtureRelease::make("4.1.0");
        let binary = entrypoint_binary();
        let out = kafka_image_build(&[
            "--kafka-tarball",
            release.tarball.to_str().expect("utf-8"),
            "--kafka-keys",
            release.keys.to_str().expect("utf-8"),
            "--entrypoint-binary",
            binary.to_str().expect("utf-8"),
            "--skip-cds",
            "--tag",
            &tag,
        ]);
        assert!(
            out.status.success(),
            "building the fixture image failed\n{}",
            text(&out)
        );
        tag
    })
}

/// A container removed (with its anonymous volumes) when dropped.
pub struct Container {
    /// The container id.
    pub id: String,
}

impl Container {
    /// `docker run -d [args] IMAGE [cmd]`.
    #[track_caller]
    pub fn start(args: &[&str], image: &str, cmd: &[&str]) -> Self {
        let mut all = vec!["run", "-d"];
        all.extend_from_slice(args);
        all.push(image);
        all.extend_from_slice(cmd);
        Self { id: docker(&all) }
    }

    /// `docker inspect -f FORMAT`.
    pub fn inspect(&self, format: &str) -> String {
        docker(&["inspect", "-f", format, &self.id])
    }

    /// `docker exec` as the image's user; panics when the command fails.
    #[track_caller]
    pub fn exec(&self, cmd: &[&str]) -> String {
        let mut all = vec!["exec", self.id.as_str()];
        all.extend_from_slice(cmd);
        docker(&all)
    }

    /// The container's logs (stdout and stderr).
    pub fn logs(&self) -> String {
        let out = run("docker", &["logs", &self.id]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Waits until the health check reports `healthy`; returns how long that took. Panics with
    /// the logs when the container stops or `timeout` passes.
    #[track_caller]
    pub fn wait_healthy(&self, timeout: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let state = self
                .inspect("{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}");
            if state.ends_with(" healthy") {
                return start.elapsed();
            }
            assert!(
                state.starts_with("running") || state.starts_with("created"),
                "container stopped before turning healthy ({state}); logs:\n{}",
                self.logs()
            );
            assert!(
                start.elapsed() < timeout,
                "not healthy after {timeout:?} ({state}); health log: {}\nlogs:\n{}",
                self.inspect("{{json .State.Health}}"),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits until the container has exited; returns its exit code.
    #[track_caller]
    pub fn wait_exited(&self, timeout: Duration) -> i32 {
        let start = Instant::now();
        while self.inspect("{{.State.Running}}") == "true" {
            assert!(
                start.elapsed() < timeout,
                "still running after {timeout:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.inspect("{{.State.ExitCode}}")
            .parse()
            .expect("exit code")
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = run("docker", &["rm", "-f", "-v", &self.id]);
    }
}

/// A directory for bind mounts that the image's user (uid 1000) can read.
pub fn mount_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write mount file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    dir
}
