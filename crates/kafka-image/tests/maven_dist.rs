//! `kafka-image dist` against real Maven (Maven Central, through the local cache `~/.m2`): the
//! primary Kafka version of `dist/kafka-versions.txt` is assembled into a temp dir and the tarball
//! is checked against what `mvn` itself resolves for `dist/pom.xml`; then the cache, and the
//! errors for a Kafka that does not exist, an unreachable mirror and a missing `mvn`.
//!
//! Needs `mvn` and a JDK, and Maven Central or a warm `~/.m2`; without them the tests fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn primary_version() -> String {
    let versions = std::fs::read_to_string(workspace().join("dist/kafka-versions.txt"))
        .expect("read dist/kafka-versions.txt");
    versions
        .lines()
        .next()
        .expect("dist/kafka-versions.txt names a version")
        .trim()
        .to_owned()
}

fn kafka_image(args: &[&str], path_env: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kafka-image"));
    cmd.args(args)
        .env_remove("KAFKA_DISTS_DIR")
        .stdin(Stdio::null());
    if let Some(path) = path_env {
        cmd.env("PATH", path);
    }
    cmd.output().expect("run kafka-image")
}

fn text(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `libs/` file names of the runtime jars `mvn dependency:list` resolves for `dist/pom.xml`.
fn maven_resolution(version: &str, properties: &[(&str, &str)]) -> BTreeSet<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("list.txt");
    let mut cmd = Command::new("mvn");
    cmd.args(["--batch-mode", "--quiet", "--file"])
        .arg(workspace().join("dist/pom.xml"))
        .args([
            "dependency:list",
            "-DincludeScope=runtime",
            "-DappendOutput=false",
        ])
        .arg(format!("-DoutputFile={}", list.display()))
        .arg(format!("-Dkafka.version={version}"))
        .args(properties.iter().map(|(k, v)| format!("-D{k}={v}")))
        .current_dir(dir.path())
        .stdin(Stdio::null());
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("this test needs Maven (`mvn`) to check the resolution independently: {e}")
    });
    assert!(
        out.status.success(),
        "mvn dependency:list failed: {}",
        text(&out)
    );
    std::fs::read_to_string(&list)
        .expect("mvn wrote the list")
        .lines()
        .filter_map(|line| {
            let line = line.trim().split(" -- ").next()?;
            let parts: Vec<&str> = line.split(':').collect();
            match parts.as_slice() {
                [_, artifact, "jar", version, _scope] => Some(format!("{artifact}-{version}.jar")),
                [_, artifact, "jar", classifier, version, _scope] => {
                    Some(format!("{artifact}-{version}-{classifier}.jar"))
                }
                _ => None,
            }
        })
        .collect()
}

/// The version of `artifact` among `libs/` file names.
fn version_of(jars: &BTreeSet<String>, artifact: &str) -> Option<String> {
    jars.iter().find_map(|j| {
        let rest = j
            .strip_prefix(&format!("{artifact}-"))?
            .strip_suffix(".jar")?;
        rest.starts_with(|c: char| c.is_ascii_digit())
            .then(|| rest.to_owned())
    })
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read `{}`: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn primary_version_is_assembled_as_maven_resolves_it_and_then_cached() {
    let version = primary_version();
    let name = format!("kafka_2.13-{version}");
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = kafka_image(
        &[
            "dist",
            "--kafka-version",
            &version,
            "--out",
            arg(out_dir.path()),
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let result: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(result["cached"], false, "{result}");
    assert_eq!(result["kafka_version"], version.as_str());
    let tarball = out_dir.path().join(format!("{name}.tgz"));
    let tree = out_dir.path().join(&name);
    assert_eq!(result["tarball"], arg(&tarball));

    // The checksum file is in sha512sum format and verifies.
    let check = Command::new("sha512sum")
        .args(["--check", &format!("{name}.tgz.sha512")])
        .current_dir(out_dir.path())
        .output()
        .expect("run sha512sum");
    assert!(
        check.status.success(),
        "sha512sum --check: {}",
        text(&check)
    );

    // The tarball holds exactly the tree beside it, under one top directory, without bin/.
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&tarball)
        .output()
        .expect("tar");
    assert!(listing.status.success(), "{}", text(&listing));
    let entries: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_owned())
        .collect();
    assert!(
        entries
            .iter()
            .all(|e| e == &name || e.starts_with(&format!("{name}/"))),
        "entries outside {name}/: {entries:?}"
    );
    assert!(
        !entries
            .iter()
            .any(|e| e == &format!("{name}/bin") || e.starts_with(&format!("{name}/bin/"))),
        "the tarball has bin/"
    );
    assert!(!tree.join("bin").exists());
    let tree_top = file_names(&tree);
    assert_eq!(
        tree_top,
        ["ASSEMBLED-FROM-MAVEN.txt", "config", "libs", "licenses"]
            .map(String::from)
            .into()
    );
    let marker = std::fs::read_to_string(tree.join("ASSEMBLED-FROM-MAVEN.txt")).expect("marker");
    assert!(marker.contains("from Maven Central"), "{marker}");
    assert!(marker.contains("There is no bin/"), "{marker}");

    // libs/ is what mvn resolves: Kafka's own tree, plus the tarball-only logging libraries at
    // that tree's log4j2 and jackson versions.
    let libs = file_names(&tree.join("libs"));
    let in_tarball: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| e.strip_prefix(&format!("{name}/libs/")))
        .filter(|e| !e.is_empty())
        .map(String::from)
        .collect();
    assert_eq!(
        in_tarball, libs,
        "tarball libs/ and the tree's libs/ differ"
    );
    let kafka_tree = maven_resolution(&version, &[]);
    let log4j2 = version_of(&kafka_tree, "log4j-core")
        .expect("Kafka's own tree of the primary version names log4j-core");
    let jackson = version_of(&kafka_tree, "jackson-databind").expect("jackson-databind");
    let full = maven_resolution(
        &version,
        &[("log4j2.version", &log4j2), ("jackson.version", &jackson)],
    );
    assert_eq!(libs, full, "libs/ is not mvn's resolution");
    assert!(kafka_tree.is_subset(&libs));
    let added: BTreeSet<String> = libs.difference(&kafka_tree).cloned().collect();
    assert_eq!(
        added,
        [
            format!("log4j-1.2-api-{log4j2}.jar"),
            format!("log4j-slf4j-impl-{log4j2}.jar")
        ]
        .into(),
        "the tarball-only libraries"
    );
    for jar in [
        format!("kafka_2.13-{version}.jar"),
        format!("kafka-tools-{version}.jar"),
        format!("jackson-dataformat-yaml-{jackson}.jar"),
        format!("log4j-core-{log4j2}.jar"),
    ] {
        assert!(libs.contains(&jar), "libs/ lacks {jar}");
    }
    assert!(!libs.iter().any(|j| j.starts_with("reload4j")), "{libs:?}");

    // config/ is the project's log4j 2 defaults.
    let config = tree.join("config");
    assert_eq!(
        file_names(&config),
        ["log4j2.yaml", "server.properties", "tools-log4j2.yaml"]
            .map(String::from)
            .into()
    );
    for (file, source) in [
        ("server.properties", "docker/config/server.properties"),
        ("log4j2.yaml", "docker/config/log4j2/log4j2.yaml"),
        (
            "tools-log4j2.yaml",
            "docker/config/log4j2/tools-log4j2.yaml",
        ),
    ] {
        assert_eq!(
            std::fs::read(config.join(file)).expect("config file"),
            std::fs::read(workspace().join(source)).expect("project default"),
            "config/{file}"
        );
    }

    // licenses/<jar>/ for jars that carry LICENSE or NOTICE files, and only for jars in libs/.
    let licences = file_names(&tree.join("licenses"));
    assert!(licences.len() > 10, "{licences:?}");
    for dir in &licences {
        assert!(
            libs.contains(&format!("{dir}.jar")),
            "licenses/{dir} has no jar"
        );
    }
    let clients = tree.join(format!("licenses/kafka-clients-{version}"));
    assert!(
        file_names(&clients)
            .iter()
            .any(|f| f.starts_with("LICENSE")),
        "no LICENSE from kafka-clients in {}",
        clients.display()
    );

    // A second run finds the tarball, says so, and leaves it untouched.
    let before = std::fs::read(&tarball).expect("tarball");
    let modified = std::fs::metadata(&tarball)
        .and_then(|m| m.modified())
        .expect("mtime");
    let again = kafka_image(
        &[
            "dist",
            "--kafka-version",
            &version,
            "--out",
            arg(out_dir.path()),
            "--json",
        ],
        None,
    );
    assert!(again.status.success(), "{}", text(&again));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("Fresh") && stderr.contains("cached"),
        "{stderr}"
    );
    let result: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(result["cached"], true, "{result}");
    assert!(
        result["seconds"].as_f64().is_some_and(|s| s < 10.0),
        "the cached run took {}",
        result["seconds"]
    );
    assert_eq!(std::fs::read(&tarball).expect("tarball"), before);
    assert_eq!(
        std::fs::metadata(&tarball)
            .and_then(|m| m.modified())
            .expect("mtime"),
        modified
    );
    // Nothing is left over from staging.
    assert_eq!(
        file_names(out_dir.path()),
        [
            name.clone(),
            format!("{name}.tgz"),
            format!("{name}.tgz.sha512")
        ]
        .into()
    );
}

#[test]
fn a_kafka_that_is_not_on_maven_central_is_named_and_leaves_nothing() {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = kafka_image(
        &[
            "dist",
            "--kafka-version",
            "3.9.99",
            "--out",
            arg(out_dir.path()),
        ],
        None,
    );
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: Kafka 3.9.99 is not on Maven Central"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: check the version (supported: 4.4.0"),
        "{stderr}"
    );
    assert!(stderr.contains("--- output of `mvn` ---"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "raw colour codes: {stderr:?}");
    assert!(file_names(out_dir.path()).is_empty(), "left behind");
}

#[test]
fn an_unreachable_mirror_is_named_with_a_fix() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mirror = format!("http://127.0.0.1:{port}/maven2");
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = kafka_image(
        &[
            "dist",
            "--kafka-version",
            &primary_version(),
            "--maven-repo",
            &mirror,
            "--out",
            arg(out_dir.path()),
        ],
        None,
    );
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("error: cannot reach {mirror} to resolve Kafka")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("help: check that `{mirror}` answers")),
        "{stderr}"
    );
    assert!(file_names(out_dir.path()).is_empty(), "left behind");
}

#[test]
fn missing_maven_is_a_clear_error() {
    let empty = tempfile::tempdir().expect("tempdir");
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = kafka_image(
        &["dist", "--out", arg(out_dir.path())],
        Some(arg(empty.path())),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: Maven is not installed: `mvn` was not found on PATH"),
        "{stderr}"
    );
    assert!(stderr.contains("help: install Maven"), "{stderr}");
    assert!(file_names(out_dir.path()).is_empty(), "left behind");
}
