//! `kafka-image build` on the real Docker engine, from a FIXTURE Kafka release (not Apache Kafka):
//! a local tarball, a URL on a loopback HTTP server, and the ways verification must fail (wrong
//! checksum, signature by a key not in KEYS, unreachable URL), after which nothing is tagged.
//!
//! `#[ignore = "needs Docker"]`: `ci/test` runs them with `--include-ignored`. The build mechanics
//! (checksum and signature verification of an Apache-style tarball with `bin/`) need a tarball
//! signed by a test key, which no real release is: the fixture stands in for it here only.

mod image_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use image_support::*;

/// Serves the files of a directory over HTTP/1.0 on 127.0.0.1 (GET only; 404 for anything else)
/// until the test process ends.
fn serve_dir(dir: &Path) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut request_line = String::new();
            if BufReader::new(&stream)
                .read_line(&mut request_line)
                .is_err()
            {
                continue;
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let name = path.trim_start_matches('/');
            let file = (!name.contains('/') && !name.is_empty()).then(|| dir.join(name));
            let response = match file.and_then(|f| std::fs::read(f).ok()) {
                Some(body) => {
                    let mut r =
                        format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                            .into_bytes();
                    r.extend(body);
                    r
                }
                None => b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    port
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn entrypoint() -> PathBuf {
    entrypoint_binary()
}

#[test]
#[ignore = "needs Docker"]
fn local_tarball_builds_an_image_with_the_spec_layout() {
    let _one_build_at_a_time = one_build_at_a_time();
    let image = fixture_image();

    let config = docker(&["image", "inspect", "-f", "{{json .Config}}", image]);
    let config: serde_json::Value = serde_json::from_str(&config).expect("json");
    assert_eq!(config["User"], "1000:1000");
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["kafka-entrypoint"])
    );
    assert_eq!(config["Cmd"], serde_json::json!(["run"]));
    assert_eq!(
        config["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "kafka-entrypoint", "health"])
    );
    assert!(config["ExposedPorts"].get("9092/tcp").is_some(), "{config}");
    for volume in [
        "/var/lib/kafka/data",
        "/etc/kafka/secrets",
        "/mnt/shared/config",
    ] {
        assert!(
            config["Volumes"].get(volume).is_some(),
            "no VOLUME {volume}: {config}"
        );
    }
    let labels = &config["Labels"];
    assert_eq!(labels["org.opencontainers.image.version"], "4.1.0");
    assert_eq!(labels["org.opencontainers.image.base.name"], BASE_IMAGE);
    assert_eq!(labels["org.opencontainers.image.licenses"], "Apache-2.0");
    assert!(
        labels["org.opencontainers.image.created"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );

    // Paths of SPEC §2, ownership, and the log4j2 defaults of a 4.x distribution.
    let listing = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "bash",
        image,
        "-c",
        "id -u; readlink /opt/kafka/config /opt/kafka/logs; stat -c '%U:%G %a %n' /var/lib/kafka/data; \
         stat -c '%U %n' /mnt/shared/config /etc/kafka/secrets /usr/local/bin/kafka-entrypoint; \
         ls /etc/kafka/docker; echo $KAFKA_HOME; \
         test -x /opt/kafka/bin/kafka-server-start.sh && echo start-script; touch /opt/kafka/bin/x 2>&1 || echo read-only-dist",
    ]);
    // The final configs and logs live in /tmp; the data directory is group 0's too (any uid).
    let expected = "1000\n/tmp/kafka/config\n/tmp/kafka/logs\nappuser:root 770 /var/lib/kafka/data\nappuser /mnt/shared/config\n\
                    appuser /etc/kafka/secrets\nroot /usr/local/bin/kafka-entrypoint\n\
                    jmx-exporter.yml\nlog4j2.yaml\nserver.properties\ntools-log4j2.yaml\n/opt/kafka\nstart-script";
    assert!(listing.starts_with(expected), "got:\n{listing}");
    assert!(
        listing.ends_with("read-only-dist"),
        "appuser can write into /opt/kafka/bin:\n{listing}"
    );
    let defaults = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "cat",
        image,
        "/etc/kafka/docker/server.properties",
    ]);
    assert!(
        defaults.contains("\nprocess.roles=broker,controller\n"),
        "{defaults}"
    );
    assert!(
        defaults.contains("\nlog.dirs=/var/lib/kafka/data\n"),
        "{defaults}"
    );

    // Figures: size by layer.
    eprintln!("image size by layer (docker history of `{image}`):");
    eprintln!(
        "{}",
        docker(&["history", "--format", "{{.Size}}\t{{.CreatedBy}}", image])
    );
    eprintln!(
        "total: {}",
        docker(&["image", "inspect", "-f", "{{.Size}}", image])
    );
}

#[test]
#[ignore = "needs Docker"]
fn kafka_3_tarball_gets_log4j1_defaults_and_json_output() {
    let _one_build_at_a_time = one_build_at_a_time();
    ensure_base_image();
    let release = FixtureRelease::make("3.9.0");
    let tag = "kafka-image-test:fixture-3.9.0";
    let out = kafka_image_build(&[
        "--kafka-tarball",
        arg(&release.tarball),
        "--kafka-keys",
        arg(&release.keys),
        "--entrypoint-binary",
        arg(&entrypoint()),
        "--skip-cds",
        "--tag",
        tag,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let result: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(result["tag"], tag);
    assert_eq!(result["kafka_version"], "3.9.0");
    let id = docker(&["image", "inspect", "-f", "{{.Id}}", tag]);
    assert_eq!(result["image_id"], id.as_str());
    assert_eq!(
        result["size"].to_string(),
        docker(&["image", "inspect", "-f", "{{.Size}}", tag])
    );
    assert!(
        result["layers"].as_array().is_some_and(|l| !l.is_empty()),
        "{result}"
    );

    let files = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "ls",
        tag,
        "/etc/kafka/docker",
    ]);
    assert_eq!(
        files,
        "jmx-exporter.yml\nlog4j.properties\nserver.properties\ntools-log4j.properties"
    );
    // A Kafka 3.x image starts with its defaults too.
    let container = Container::start(&["--health-interval", "1s"], tag, &[]);
    container.wait_healthy(std::time::Duration::from_secs(120));
    let final_files = container.exec(&["ls", "/opt/kafka/config"]);
    assert!(final_files.contains("log4j.properties"), "{final_files}");
    drop(container);
    let _ = run("docker", &["rmi", tag]);
}

#[test]
#[ignore = "needs Docker"]
fn url_on_loopback_is_fetched_and_verified_inside_the_build() {
    let _one_build_at_a_time = one_build_at_a_time();
    ensure_base_image();
    let release = FixtureRelease::make("4.0.0");
    // Serve the checksum in `sha512sum` format (the local-tarball tests use Apache's
    // `gpg --print-md` format), so both formats are read.
    let dir = release.tarball.parent().expect("dir");
    let sum = run_ok("sha512sum", &[arg(&release.tarball)]);
    let hex = sum.split_whitespace().next().expect("hex");
    std::fs::write(release.sha512(), format!("{hex}  kafka_2.13-4.0.0.tgz\n")).expect("write");
    let port = serve_dir(dir);
    let url = format!("http://127.0.0.1:{port}/kafka_2.13-4.0.0.tgz");
    let tag = "kafka-image-test:from-url";
    let _ = run("docker", &["rmi", tag]);
    let out = kafka_image_build(&[
        "--kafka-url",
        &url,
        "--network",
        "host",
        "--kafka-keys",
        arg(&release.keys),
        "--entrypoint-binary",
        arg(&entrypoint()),
        "--skip-cds",
        "--tag",
        tag,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("kafka   4.0.0"), "{stdout}");
    let version = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "cat",
        tag,
        "/opt/kafka/FIXTURE-VERSION",
    ]);
    assert_eq!(version, "4.0.0");
    let _ = run("docker", &["rmi", tag]);
}

/// Ids of stopped containers that ran the Dockerfile's fetch step (what a failed classic-builder
/// RUN step leaves behind without `--force-rm`).
fn leftover_fetch_containers() -> Vec<String> {
    let all = docker(&[
        "ps",
        "-a",
        "--no-trunc",
        "--filter",
        "status=exited",
        "--format",
        "{{.ID}} {{.Command}}",
    ]);
    all.lines()
        .filter(|l| l.contains("fetch-kafka.sh"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Serialises the tests of this file: a build's leftover-container check would see the
/// intermediate containers of a build running in another test thread.
fn one_build_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Builds with a broken input and checks the build fails with `message`, tags nothing and leaves
/// no container behind.
fn assert_build_fails(tag: &str, args: &[&str], message: &str) {
    let _ = run("docker", &["rmi", tag]);
    let before = leftover_fetch_containers();
    let out = kafka_image_build(&[&["--tag", tag, "--skip-cds"], args].concat());
    assert!(!out.status.success(), "build succeeded:\n{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert!(
        first.contains(message),
        "first error line {first:?} lacks {message:?}\n{stderr}"
    );
    assert!(
        stderr.contains("help: ") && stderr.contains("nothing was tagged"),
        "{stderr}"
    );
    assert!(
        !image_exists(tag),
        "`{tag}` was tagged after a failed build"
    );
    let left: Vec<String> = leftover_fetch_containers()
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert!(
        left.is_empty(),
        "the failed build left containers behind: {left:?}"
    );
}

#[test]
#[ignore = "needs Docker"]
fn wrong_checksum_fails_the_build_and_tags_nothing() {
    let _one_build_at_a_time = one_build_at_a_time();
    ensure_base_image();
    let release = FixtureRelease::make("4.1.0");
    // Flip one hex digit of the published checksum.
    let sha = std::fs::read_to_string(release.sha512()).expect("sha512");
    let colon = sha.find(": ").expect("gpg --print-md format") + 2;
    let flipped = if &sha[colon..=colon] == "0" { "1" } else { "0" };
    std::fs::write(
        release.sha512(),
        format!("{}{flipped}{}", &sha[..colon], &sha[colon + 1..]),
    )
    .expect("write");
    assert_build_fails(
        "kafka-image-test:bad-checksum",
        &[
            "--kafka-tarball",
            arg(&release.tarball),
            "--kafka-keys",
            arg(&release.keys),
            "--entrypoint-binary",
            arg(&entrypoint()),
        ],
        "SHA-512 of `kafka_2.13-4.1.0.tgz` does not match `kafka_2.13-4.1.0.tgz.sha512`",
    );
}

#[test]
#[ignore = "needs Docker"]
fn signature_by_a_key_outside_keys_fails_the_build() {
    let _one_build_at_a_time = one_build_at_a_time();
    ensure_base_image();
    let release = FixtureRelease::make("4.1.0");
    // Re-sign with a second key whose public half is not in KEYS.
    let other_home = release.dir.path().join("other-gnupg");
    make_test_key(
        &other_home,
        &release.dir.path().join("OTHER-KEYS"),
        "kafka-image intruder key",
    );
    sign(&other_home, &release.tarball);
    assert_build_fails(
        "kafka-image-test:bad-signature",
        &[
            "--kafka-tarball",
            arg(&release.tarball),
            "--kafka-keys",
            arg(&release.keys),
            "--entrypoint-binary",
            arg(&entrypoint()),
        ],
        "the signature `kafka_2.13-4.1.0.tgz.asc` does not verify `kafka_2.13-4.1.0.tgz` against KEYS",
    );
}

#[test]
#[ignore = "needs Docker"]
fn unreachable_url_fails_the_build_naming_the_url() {
    let _one_build_at_a_time = one_build_at_a_time();
    ensure_base_image();
    let release = FixtureRelease::make("4.1.0");
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}/kafka_2.13-4.1.0.tgz");
    assert_build_fails(
        "kafka-image-test:unreachable",
        &[
            "--kafka-url",
            &url,
            "--network",
            "host",
            "--kafka-keys",
            arg(&release.keys),
            "--entrypoint-binary",
            arg(&entrypoint()),
        ],
        &format!("could not download `{url}`"),
    );
}

#[test]
#[ignore = "needs Docker"]
fn aot_cache_is_trained_into_the_image() {
    let _one_build_at_a_time = one_build_at_a_time();
    ensure_base_image();
    let release = FixtureRelease::make("4.1.0");
    let tag = "kafka-image-test:fixture-cds";
    let out = kafka_image_build(&[
        "--kafka-tarball",
        arg(&release.tarball),
        "--kafka-keys",
        arg(&release.keys),
        "--entrypoint-binary",
        arg(&entrypoint()),
        "--tag",
        tag,
    ]);
    assert!(
        out.status.success(),
        "build with `cds-train` (AOT cache, JDK 25) failed\n{}",
        text(&out)
    );
    let size = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "stat",
        tag,
        "-c",
        "%s",
        "/opt/kafka/kafka.aot",
    ]);
    assert!(
        size.parse::<u64>().is_ok_and(|s| s > 0),
        "empty AOT cache: {size}"
    );
    // `run` maps the archive when it exists.
    let container = Container::start(&["--health-interval", "1s"], tag, &[]);
    container.wait_healthy(std::time::Duration::from_secs(120));
    let cmdline = container.exec(&["cat", "/proc/1/cmdline"]);
    let jvm_args: Vec<&str> = cmdline.split('\0').collect();
    assert!(
        jvm_args.contains(&"-XX:AOTCache=/opt/kafka/kafka.aot"),
        "the broker does not use the archive: {jvm_args:?}"
    );
    drop(container);
    let _ = run("docker", &["rmi", tag]);
}
