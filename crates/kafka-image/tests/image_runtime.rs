//! The Java runtime and the start-up archive of the images built from REAL Kafka (`ci/test` builds
//! them from the distributions assembled from Maven Central: `KAFKA_IMAGE_TEST_IMAGE`, 4.4.0, and
//! `KAFKA_IMAGE_TEST_IMAGE_3`, 3.9.2): the image's `java` is the runtime linked with exactly the
//! modules of `docker/jre-modules.txt`; the AOT cache trained at build time is mapped when the
//! broker starts; a broken cache does not stop the broker; training leaves nothing in the image;
//! and the primary image stays within issue 11's 250 MB.
//!
//! `#[ignore = "needs Docker"]`: `ci/test` runs them with `--include-ignored`. Each container is
//! removed by its `Container` guard.

mod image_support;
mod real_image;

use std::collections::BTreeSet;
use std::time::Duration;

use image_support::*;

/// How long a broker may take to turn healthy on a busy two-core machine.
const HEALTHY_TIMEOUT: Duration = Duration::from_secs(120);
/// Issue 11's goal for the broker image of the primary distribution, uncompressed.
const MAX_IMAGE_BYTES: u64 = 250_000_000;
/// Where the images keep the AOT cache trained at build time (JDK 25, the default).
const AOT_CACHE: &str = "/opt/kafka/kafka.aot";

/// `docker run --rm --entrypoint PROGRAM IMAGE ARGS…` and its stdout.
fn run_in(image: &str, program: &str, args: &[&str]) -> String {
    let mut argv = vec!["run", "--rm", "--entrypoint", program, image];
    argv.extend_from_slice(args);
    docker(&argv)
}

/// The modules `docker/jre-modules.txt` lists (comments and blank lines dropped).
fn listed_modules() -> BTreeSet<String> {
    std::fs::read_to_string(workspace().join("docker/jre-modules.txt"))
        .expect("read docker/jre-modules.txt")
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim().to_owned())
        .filter(|module| !module.is_empty())
        .collect()
}

fn image_java_modules(image: &str) -> BTreeSet<String> {
    run_in(image, "java", &["--list-modules"])
        .lines()
        .map(|line| line.split('@').next().unwrap_or_default().to_owned())
        .collect()
}

fn check_linked_runtime(image: &str) {
    let java = run_in(image, "bash", &["-c", "readlink -f \"$(command -v java)\""]);
    assert_eq!(java, "/opt/java/openjdk/bin/java", "{image}");
    let version = run_in(image, "java", &["-version"]);
    let modules = image_java_modules(image);
    // JDK 24+ folded jdk.crypto.ec into java.base; on such a JDK the list's entry is left out.
    let missing: Vec<_> = listed_modules()
        .into_iter()
        .filter(|m| !modules.contains(m) && m != "jdk.crypto.ec")
        .collect();
    assert!(
        missing.is_empty(),
        "{image}: listed but not linked: {missing:?}"
    );
    // Only the listed modules and what they require: no compiler, shell, linker or `java.se`.
    for absent in [
        "java.se",
        "jdk.compiler",
        "jdk.jshell",
        "jdk.jlink",
        "jdk.javadoc",
        "jdk.jfr",
        "jdk.localedata",
    ] {
        assert!(!modules.contains(absent), "{image}: {absent} is linked");
    }
    assert!(
        modules.len() < 40,
        "{image}: {} modules: {modules:?}",
        modules.len()
    );
    let tools = run_in(
        image,
        "bash",
        &["-c", "ls /opt/java/openjdk/bin; ls /opt/java/openjdk"],
    );
    for tool in ["javac", "jlink", "jshell", "jmods", "include", "man"] {
        assert!(
            !tools.lines().any(|l| l == tool),
            "{image}: {tool} in the runtime:\n{tools}"
        );
    }
    eprintln!("{image}: {} modules; {version}", modules.len());
}

#[test]
#[ignore = "needs Docker"]
fn the_images_java_is_the_linked_runtime_with_the_listed_modules() {
    check_linked_runtime(&real_image::real_test_image());
    check_linked_runtime(&real_image::real_test_image_3());
}

/// Starts the image's broker with the class-loading log on, waits until healthy, and returns how
/// many classes came from the AOT cache ("shared objects file") and the container's logs.
fn classes_from_the_cache(image: &str, docker_args: &[&str]) -> (usize, String) {
    let opts = "KAFKA_OPTS=-Xlog:class+load=info:file=/tmp/class-load.log";
    let mut args = vec!["-e", opts, "--health-interval", "1s"];
    args.extend_from_slice(docker_args);
    let container = Container::start(&args, image, &[]);
    container.wait_healthy(HEALTHY_TIMEOUT);
    let cmdline = container.exec(&["cat", "/proc/1/cmdline"]);
    assert!(
        cmdline
            .split('\0')
            .any(|a| a == format!("-XX:AOTCache={AOT_CACHE}")),
        "{image}: the broker is not started with the cache: {cmdline:?}"
    );
    // `grep -c` exits 1 when it counts 0, which a broken cache gives.
    let shared = container.exec(&[
        "bash",
        "-c",
        "grep -c 'source: shared objects file' /tmp/class-load.log || true",
    ]);
    (shared.parse().unwrap_or(0), container.logs())
}

#[test]
#[ignore = "needs Docker"]
fn the_aot_cache_trained_at_build_time_is_mapped_at_start() {
    for image in [
        real_image::real_test_image(),
        real_image::real_test_image_3(),
    ] {
        let size = run_in(&image, "stat", &["-c", "%s", AOT_CACHE]);
        assert!(
            size.parse::<u64>().is_ok_and(|s| s > 1_000_000),
            "{image}: {AOT_CACHE} is {size} bytes"
        );
        let (shared, logs) = classes_from_the_cache(&image, &[]);
        assert!(
            shared > 2_000,
            "{image}: thousands of classes come from the AOT cache, not {shared}\n{logs}"
        );
    }
}

#[test]
#[ignore = "needs Docker"]
fn a_broken_aot_cache_does_not_stop_the_broker() {
    let image = real_image::real_test_image();
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("kafka.aot");
    std::fs::write(&garbage, b"not an AOT cache").unwrap();
    let mount = format!("{}:{AOT_CACHE}:ro", garbage.display());
    let (shared, logs) = classes_from_the_cache(&image, &["-v", &mount]);
    assert_eq!(shared, 0, "no class can come from a broken cache\n{logs}");
    // JDK 25: `[error][aot] An error has occurred while processing the AOT cache. Run with
    // -Xlog:aot for details.`, once, then the broker starts without the cache.
    let said = logs
        .lines()
        .filter(|l| l.contains("An error has occurred while processing the AOT cache"))
        .count();
    assert_eq!(
        said, 1,
        "the JVM says once that it runs without the cache:\n{logs}"
    );
}

#[test]
#[ignore = "needs Docker"]
fn training_leaves_no_config_data_or_logs_in_the_image() {
    for image in [
        real_image::real_test_image(),
        real_image::real_test_image_3(),
    ] {
        // cds-train's scratch directory (`/tmp/kafka-cds-train-PID`: config, data, logs) and
        // anything a broker writes (meta.properties, segments, GC and server logs); as root, so
        // `find` reads every directory.
        let found = docker(&[
            "run",
            "--rm",
            "--user",
            "0",
            "--entrypoint",
            "bash",
            &image,
            "-c",
            "ls -A /tmp; ls -A /var/lib/kafka/data; find / -xdev \\( -name 'kafka-cds-train*' \
             -o -name meta.properties -o -name '*.log' -o -name '*gc.log*' \
             -o -name __cluster_metadata-0 -o -name 'cds-train*' \\) -print",
        ]);
        assert_eq!(found, "", "{image}: training left files behind");
    }
}

#[test]
#[ignore = "needs Docker"]
fn the_primary_image_is_at_most_250_mb() {
    let image = real_image::real_test_image();
    let size: u64 = docker(&["image", "inspect", "--format", "{{.Size}}", &image])
        .parse()
        .expect("a size in bytes");
    eprintln!("figure: {image} is {size} bytes");
    assert!(
        size <= MAX_IMAGE_BYTES,
        "{image} is {size} bytes, over {MAX_IMAGE_BYTES}"
    );
}
