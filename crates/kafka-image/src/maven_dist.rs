//! `kafka-image dist`: a Kafka broker distribution assembled from Maven Central (or a mirror).
//!
//! Apache's binary tarball is not on Maven Central, but every jar in it is. For sites whose network
//! reaches only a Maven mirror, and for the tests, this module makes `kafka_2.13-V.tgz` from
//! `dist/pom.xml` (embedded in this binary, so an installed `kafka-image` needs no checkout):
//!
//! 1. `mvn dependency:list` of the broker and the tool classes, as Kafka's own POMs declare them.
//!    Its result decides the logging libraries: a tree with reload4j (Kafka 3.x) is complete; a
//!    tree without it (Kafka 4.x) gets what upstream's build.gradle adds to the tarball only
//!    (`releaseOnly log4jReleaseLibs`), at the log4j2 and jackson versions of that tree.
//! 2. `mvn dependency:list` again with those libraries: the final `libs/`.
//! 3. The tree `kafka_2.13-V/`: `libs/` exactly as resolved, `config/` from the project's defaults
//!    (log4j 2 or log4j 1 files, chosen by the jars in `libs/`), `licenses/<jar>/` with each jar's
//!    `META-INF` LICENSE and NOTICE files, the marker [`MARKER_FILE`], and no `bin/`.
//! 4. `kafka_2.13-V.tgz` and `kafka_2.13-V.tgz.sha512` (`sha512sum` format) beside the tree.
//!
//! Everything is made in a hidden staging directory inside `--out` and renamed into place, so a
//! failed run leaves no partial tarball. A second run finds the tarball, checks it against its
//! `.sha512` and the marker, and stops there.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256, Sha512};

use crate::build::{DEFAULT_CONFIGS, KafkaVersion};
use crate::engine::EngineError;
use crate::shell::{Shell, UserError, strip_ansi};

/// The Kafka versions this project supports, one per line, the primary (the image's default) first.
pub(crate) const SUPPORTED_VERSIONS: &str = include_str!("../../../dist/kafka-versions.txt");
/// The Maven project that resolves the distribution.
const POM: &str = include_str!("../../../dist/pom.xml");
/// The plain-text file at the top of every assembled tree, saying what it is.
pub(crate) const MARKER_FILE: &str = "ASSEMBLED-FROM-MAVEN.txt";
/// The Scala version of the broker artifact (`kafka_2.13`), the only one Kafka 4 publishes.
const SCALA: &str = "2.13";
/// Changes whenever the layout this module writes changes, so old caches are not reused.
const LAYOUT_REVISION: &str = "1";
/// The log4j2 version for a Kafka 4.x whose POMs do not name one. Kafka 4.0.x declares log4j2 in
/// no published POM (4.1 and later do, through `kafka-server`); 2.24.3 is the `log4j2` entry of
/// upstream's gradle/dependencies.gradle for the 4.0 line.
const LOG4J2_WHEN_UNDECLARED: &str = "2.24.3";
/// The id of the mirror in the generated Maven settings.
const MIRROR_ID: &str = "kafka-image-mirror";

/// The primary Kafka version: the first line of `dist/kafka-versions.txt`.
pub(crate) fn primary_version() -> &'static str {
    supported_versions().next().unwrap_or("4.4.0")
}

/// Every supported Kafka version, primary first.
pub(crate) fn supported_versions() -> impl Iterator<Item = &'static str> {
    SUPPORTED_VERSIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
}

/// Reads `--kafka-version` / `--kafka-maven` (`major.minor.patch`).
pub(crate) fn parse_kafka_version(s: &str) -> Result<KafkaVersion, String> {
    KafkaVersion::parse(s).ok_or_else(|| {
        format!(
            "`{s}` is not a Kafka release version (MAJOR.MINOR.PATCH); supported: {}",
            supported_versions().collect::<Vec<_>>().join(", ")
        )
    })
}

/// Arguments of `kafka-image dist`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = DIST_EXAMPLES)]
pub(crate) struct DistArgs {
    /// The Kafka release to assemble, e.g. `4.4.0`. Supported: the versions in
    /// `dist/kafka-versions.txt` (4.4.0, 4.1.2, 4.0.2, 3.9.2).
    #[arg(long, value_name = "VERSION", default_value = primary_version(), value_parser = parse_kafka_version)]
    pub(crate) kafka_version: KafkaVersion,
    #[command(flatten)]
    pub(crate) maven: MavenOptions,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Where the jars come from and where the distribution goes (`dist`, and `build --kafka-maven`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct MavenOptions {
    /// A Maven repository to resolve from instead of Maven Central, e.g. a site's mirror
    /// (`https://repo.example.com/maven2`) or a directory (`file:///srv/m2`). Used for every
    /// artifact, through a generated settings file (`mvn -s`); the local cache `~/.m2` still
    /// serves what it holds.
    #[arg(long, value_name = "URL")]
    pub(crate) maven_repo: Option<String>,
    /// Directory for `kafka_2.13-VERSION.tgz`, its `.sha512` and the unpacked tree.
    #[arg(
        long = "out",
        value_name = "DIR",
        env = "KAFKA_DISTS_DIR",
        default_value = "target/kafka-dist"
    )]
    pub(crate) out: PathBuf,
}

const DIST_EXAMPLES: &str = "\
Examples:
  kafka-image dist --kafka-version 4.4.0
  kafka-image dist --kafka-version 3.9.2 --maven-repo https://repo.example.com/maven2 --out dists/

The tarball has libs/ (the jars as Maven resolves them), config/ (kafka-image's defaults),
licenses/ and no bin/: Kafka's scripts are not on Maven Central. `kafka-image build --kafka-maven
VERSION` builds an image from it. A second run with the same inputs reuses the tarball after
checking its SHA-512. Needs `mvn` and a JDK; `~/.m2` is Maven's cache.";

/// What `dist` made (or found), printed at the end.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct AssembledDist {
    /// The Kafka version.
    pub(crate) kafka_version: String,
    /// `DIR/kafka_2.13-V.tgz`
    pub(crate) tarball: PathBuf,
    /// Its SHA-512, hex.
    pub(crate) sha512: String,
    /// The unpacked tree, `DIR/kafka_2.13-V`.
    pub(crate) tree: PathBuf,
    /// Whether the tarball was already there and verified.
    pub(crate) cached: bool,
    /// The number of jars in `libs/`.
    pub(crate) jars: usize,
    /// Which log4j the distribution runs.
    pub(crate) log4j: LogFlavour,
    /// Seconds the command took.
    pub(crate) seconds: f64,
}

/// Runs `kafka-image dist`.
pub(crate) fn main(args: &DistArgs) -> ExitCode {
    let shell = Shell::new(args.json);
    match assemble(args.kafka_version, &args.maven, &shell) {
        Ok(dist) => {
            shell.print_result(&render_assembled(&dist), &dist);
            ExitCode::SUCCESS
        }
        Err(e) => {
            shell.print_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Assembles the distribution of `version` into `maven.out`, or finds it there already.
pub(crate) fn assemble(
    version: KafkaVersion,
    maven: &MavenOptions,
    shell: &Shell,
) -> anyhow::Result<AssembledDist> {
    let started = Instant::now();
    let repo = maven
        .maven_repo
        .as_deref()
        .map(check_repo_url)
        .transpose()?;
    let name = format!("kafka_{SCALA}-{version}");
    let out = &maven.out;
    create_dir(out)?;
    let tarball = out.join(format!("{name}.tgz"));
    let sha512_file = out.join(format!("{name}.tgz.sha512"));
    let tree = out.join(&name);

    if let Some(cached) = find_cached(&tarball, &sha512_file, &tree, version)? {
        shell.status(
            "Fresh",
            format!(
                "{} (cached; SHA-512 matches `{}`)",
                tarball.display(),
                sha512_file.display()
            ),
        );
        return Ok(AssembledDist {
            seconds: started.elapsed().as_secs_f64(),
            ..cached
        });
    }

    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempdir_in(out)
        .with_context(|| {
            format!(
                "failed to create a staging directory in `{}`",
                out.display()
            )
        })?;
    let maven_run = MavenRun::prepare(staging.path(), repo.as_deref(), version)?;

    let kafka_tree = maven_run.resolve(shell, &[], "Kafka's own dependency tree")?;
    let extra = ReleaseLibs::for_tree(&kafka_tree).map_err(|message| UserError {
        message: format!(
            "the dependency tree of Kafka {version} is not one kafka-image knows: {message}"
        ),
        help: "assemble a version listed in dist/kafka-versions.txt".to_owned(),
    })?;
    let jars = match &extra {
        ReleaseLibs::None => kafka_tree,
        ReleaseLibs::Log4j2 { log4j2, jackson } => maven_run.resolve(
            shell,
            &[("log4j2.version", log4j2), ("jackson.version", jackson)],
            &format!("with the tarball's logging libraries (log4j2 {log4j2}, jackson {jackson})"),
        )?,
    };
    let log4j = LogFlavour::of(&jars).map_err(|message| UserError {
        message: format!("the jars resolved for Kafka {version} {message}"),
        help: "assemble a version listed in dist/kafka-versions.txt".to_owned(),
    })?;

    let staged_tree = staging.path().join(&name);
    shell.status(
        "Assembling",
        format!("{name}/ ({} jars, {log4j} config)", jars.len()),
    );
    let licence_files = lay_out_tree(&staged_tree, &jars, log4j, version)?;
    shell.status(
        "Licences",
        format!("{licence_files} files from the jars' META-INF"),
    );

    let staged_tarball = staging.path().join(format!("{name}.tgz"));
    let progress = shell.progress("Packing", &format!("{name}.tgz"), None);
    let packed = pack(staging.path(), &name, &staged_tarball);
    progress.finish();
    packed?;
    let sha512 = sha512_hex(&staged_tarball)?;
    let staged_sha512 = staging.path().join(format!("{name}.tgz.sha512"));
    write_file(
        &staged_sha512,
        sha512_line(&sha512, &format!("{name}.tgz")).as_bytes(),
    )?;

    // Into place: the tree first, then the tarball, its checksum last; a run stopped in between
    // leaves a checksum that does not match, which the next run rebuilds.
    if tree.exists() {
        rename(&tree, &staging.path().join("previous-tree"))?;
    }
    rename(&staged_tree, &tree)?;
    rename(&staged_tarball, &tarball)?;
    rename(&staged_sha512, &sha512_file)?;
    shell.status("Finished", format!("{} ({sha512:.16}…)", tarball.display()));
    Ok(AssembledDist {
        kafka_version: version.to_string(),
        tarball,
        sha512,
        tree,
        cached: false,
        jars: jars.len(),
        log4j,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The version of the Prometheus JMX exporter agent the image ships (`dist/jmx-exporter-version.txt`,
/// also read by `ci/test`).
const JMX_EXPORTER_VERSION: &str = include_str!("../../../dist/jmx-exporter-version.txt");

/// Fetches the Prometheus JMX exporter Java agent (`io.prometheus.jmx:jmx_prometheus_javaagent`)
/// from Maven Central (or `--maven-repo`) into `maven.out/jmx-exporter/`, or finds it there.
pub(crate) fn fetch_jmx_exporter(maven: &MavenOptions, shell: &Shell) -> anyhow::Result<PathBuf> {
    let version = JMX_EXPORTER_VERSION.trim();
    let dir = maven.out.join("jmx-exporter");
    let jar = dir.join(format!("jmx_prometheus_javaagent-{version}.jar"));
    if std::fs::metadata(&jar).is_ok_and(|m| m.len() > 0) {
        shell.status("Fresh", format!("{} (cached)", jar.display()));
        return Ok(jar);
    }
    let repo = maven
        .maven_repo
        .as_deref()
        .map(check_repo_url)
        .transpose()?;
    create_dir(&dir)?;
    let staging = tempfile::Builder::new()
        .prefix(".jmx-exporter.")
        .tempdir_in(&dir)
        .with_context(|| {
            format!(
                "failed to create a staging directory in `{}`",
                dir.display()
            )
        })?;
    let mut args: Vec<String> = vec![
        "--batch-mode".into(),
        "--no-transfer-progress".into(),
        "-Dstyle.color=never".into(),
    ];
    if let Some(url) = &repo {
        let settings = staging.path().join("settings.xml");
        write_file(&settings, mirror_settings(url).as_bytes())?;
        args.extend(["--settings".into(), settings.display().to_string()]);
    }
    args.extend([
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy".into(),
        format!("-Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:{version}"),
        format!("-DoutputDirectory={}", staging.path().display()),
    ]);
    let progress = shell.progress(
        "Fetching",
        &format!("the Prometheus JMX exporter agent {version}"),
        None,
    );
    let output = Command::new("mvn")
        .args(&args)
        .current_dir(staging.path())
        .stdin(Stdio::null())
        .output();
    progress.finish();
    let output = output.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::Error::new(UserError {
            message: "Maven is not installed: `mvn` was not found on PATH".to_owned(),
            help: "install Maven 3.6 or later (Debian/Ubuntu: `apt-get install maven`)".to_owned(),
        }),
        _ => anyhow::Error::new(e).context("failed to run `mvn`"),
    })?;
    let fetched = staging
        .path()
        .join(format!("jmx_prometheus_javaagent-{version}.jar"));
    if !output.status.success() || !fetched.is_file() {
        let text = strip_ansi(&String::from_utf8_lossy(&output.stdout))
            + &strip_ansi(&String::from_utf8_lossy(&output.stderr));
        return Err(UserError {
            message: format!(
                "could not fetch io.prometheus.jmx:jmx_prometheus_javaagent:{version}: {}",
                maven_errors(&text)
            ),
            help: "check the network or `--maven-repo`: the image ships this agent for \
                   `KAFKA_ENTRYPOINT_METRICS_PORT`"
                .to_owned(),
        }
        .into());
    }
    rename(&fetched, &jar)?;
    shell.status("Fetched", jar.display().to_string());
    Ok(jar)
}

/// Where [`assemble`] puts the tarball of `version`; checks `--maven-repo` on the way, so bad
/// flags are reported before anything runs.
pub(crate) fn tarball_path(maven: &MavenOptions, version: KafkaVersion) -> anyhow::Result<PathBuf> {
    if let Some(url) = &maven.maven_repo {
        check_repo_url(url)?;
    }
    Ok(maven.out.join(format!("kafka_{SCALA}-{version}.tgz")))
}

/// `--maven-repo` must be a URL Maven can read.
fn check_repo_url(url: &str) -> anyhow::Result<String> {
    let ok = ["http://", "https://", "file://"]
        .iter()
        .any(|scheme| url.starts_with(scheme) && url.len() > scheme.len());
    if !ok {
        bail!(UserError {
            message: format!("`--maven-repo` `{url}` is not an http(s) or file URL"),
            help:
                "give the mirror's base URL, e.g. https://repo.example.com/maven2 (the directory \
                   that holds org/apache/kafka/)"
                    .to_owned(),
        });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The tarball, when it is there, matches its `.sha512`, and its tree was made by this version of
/// the recipe.
fn find_cached(
    tarball: &Path,
    sha512_file: &Path,
    tree: &Path,
    version: KafkaVersion,
) -> anyhow::Result<Option<AssembledDist>> {
    let (Ok(recorded), true) = (std::fs::read_to_string(sha512_file), tarball.is_file()) else {
        return Ok(None);
    };
    let name = tarball
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(expected) = parse_sha512_line(&recorded, &name) else {
        return Ok(None);
    };
    let marker_ok = std::fs::read_to_string(tree.join(MARKER_FILE))
        .is_ok_and(|m| m.ends_with(&recipe_line(version)));
    if !marker_ok || sha512_hex(tarball)? != expected {
        return Ok(None);
    }
    let jars = std::fs::read_dir(tree.join("libs"))
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0);
    let log4j = if tree.join("config/log4j2.yaml").is_file() {
        LogFlavour::Log4j2
    } else {
        LogFlavour::Log4j1
    };
    Ok(Some(AssembledDist {
        kafka_version: version.to_string(),
        tarball: tarball.to_path_buf(),
        sha512: expected,
        tree: tree.to_path_buf(),
        cached: true,
        jars,
        log4j,
        seconds: 0.0,
    }))
}

/// One jar of the resolved tree, from a `mvn dependency:list` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedJar {
    group: String,
    artifact: String,
    classifier: Option<String>,
    version: String,
    path: PathBuf,
}

impl ResolvedJar {
    /// The name the jar gets in `libs/`, as `mvn dependency:copy-dependencies` and Apache's
    /// tarball name it: `artifact-version[-classifier].jar`.
    fn file_name(&self) -> String {
        match &self.classifier {
            Some(c) => format!("{}-{}-{c}.jar", self.artifact, self.version),
            None => format!("{}-{}.jar", self.artifact, self.version),
        }
    }

    fn is(&self, group: &str, artifact: &str) -> bool {
        self.group == group && self.artifact == artifact
    }
}

/// Reads the jars of `mvn dependency:list -DoutputAbsoluteArtifactFilename=true` output:
/// `   group:artifact:jar[:classifier]:version:scope:/path/x.jar[ -- module …]`.
fn parse_dependency_list(text: &str) -> Vec<ResolvedJar> {
    const SCOPES: [&str; 5] = ["compile", "runtime", "provided", "system", "test"];
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.split_once(" -- ").map_or(line, |(l, _)| l);
            let parts: Vec<&str> = line.splitn(7, ':').collect();
            if parts.len() < 6 || parts[2] != "jar" {
                return None;
            }
            let (classifier, version, rest) = if SCOPES.contains(&parts[4]) {
                (None, parts[3], parts[5..].join(":"))
            } else {
                let rest = parts.get(6)?;
                SCOPES.contains(&parts[5]).then_some((
                    Some(parts[3].to_owned()),
                    parts[4],
                    (*rest).to_owned(),
                ))?
            };
            Some(ResolvedJar {
                group: parts[0].to_owned(),
                artifact: parts[1].to_owned(),
                classifier,
                version: version.to_owned(),
                path: PathBuf::from(rest),
            })
        })
        .collect()
}

/// The libraries upstream's build adds to the tarball only, decided by Kafka's own tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ReleaseLibs {
    /// Kafka 3.x: kafka-tools brings reload4j and slf4j-reload4j; nothing to add.
    None,
    /// Kafka 4.x: log4j-slf4j-impl and log4j-1.2-api at `log4j2`, jackson-dataformat-yaml at
    /// `jackson`.
    Log4j2 { log4j2: String, jackson: String },
}

impl ReleaseLibs {
    fn for_tree(tree: &[ResolvedJar]) -> Result<Self, String> {
        if tree.iter().any(|j| j.is("ch.qos.reload4j", "reload4j")) {
            return Ok(Self::None);
        }
        let log4j2 = tree
            .iter()
            .find(|j| j.is("org.apache.logging.log4j", "log4j-core"))
            .map_or(LOG4J2_WHEN_UNDECLARED, |j| j.version.as_str());
        let jackson = tree
            .iter()
            .find(|j| j.is("com.fasterxml.jackson.core", "jackson-databind"))
            .ok_or("it has neither reload4j (Kafka 3.x) nor jackson-databind (Kafka 4.x)")?;
        Ok(Self::Log4j2 {
            log4j2: log4j2.to_owned(),
            jackson: jackson.version.clone(),
        })
    }
}

/// Which log4j a distribution runs, and so which default config files it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LogFlavour {
    /// log4j 2 (Kafka 4.x): `log4j2.yaml`, `tools-log4j2.yaml`.
    Log4j2,
    /// log4j 1 through reload4j (Kafka 3.x): `log4j.properties`, `tools-log4j.properties`.
    Log4j1,
}

impl LogFlavour {
    /// Decided by the jars: log4j-core means log4j 2, reload4j means log4j 1.
    fn of(jars: &[ResolvedJar]) -> Result<Self, String> {
        let log4j2 = jars
            .iter()
            .any(|j| j.is("org.apache.logging.log4j", "log4j-core"));
        let log4j1 = jars.iter().any(|j| j.is("ch.qos.reload4j", "reload4j"));
        match (log4j2, log4j1) {
            (true, false) => Ok(Self::Log4j2),
            (false, true) => Ok(Self::Log4j1),
            (true, true) => Err("hold both log4j-core and reload4j".to_owned()),
            (false, false) => Err("hold neither log4j-core nor reload4j".to_owned()),
        }
    }

    /// The directory of `docker/config/` with this flavour's files.
    fn config_dir(self) -> &'static str {
        match self {
            Self::Log4j2 => "log4j2/",
            Self::Log4j1 => "log4j1/",
        }
    }
}

impl std::fmt::Display for LogFlavour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Log4j2 => "log4j 2",
            Self::Log4j1 => "log4j 1 (reload4j)",
        })
    }
}

/// `mvn` on the embedded POM, in a staging directory.
struct MavenRun {
    dir: PathBuf,
    version: KafkaVersion,
    repo: Option<String>,
}

impl MavenRun {
    fn prepare(staging: &Path, repo: Option<&str>, version: KafkaVersion) -> anyhow::Result<Self> {
        let dir = staging.join("maven");
        write_file(&dir.join("pom.xml"), POM.as_bytes())?;
        if let Some(url) = repo {
            write_file(&dir.join("settings.xml"), mirror_settings(url).as_bytes())?;
        }
        Ok(Self {
            dir,
            version,
            repo: repo.map(str::to_owned),
        })
    }

    /// `mvn dependency:list` with `properties`; the runtime jars it resolved.
    fn resolve(
        &self,
        shell: &Shell,
        properties: &[(&str, &str)],
        what: &str,
    ) -> anyhow::Result<Vec<ResolvedJar>> {
        let list = self.dir.join("dependencies.txt");
        let mut args: Vec<String> = vec![
            "--batch-mode".into(),
            "--no-transfer-progress".into(),
            "-Dstyle.color=never".into(),
            "--file".into(),
            self.dir.join("pom.xml").display().to_string(),
        ];
        if self.repo.is_some() {
            args.extend([
                "--settings".into(),
                self.dir.join("settings.xml").display().to_string(),
            ]);
        }
        args.extend([
            "org.apache.maven.plugins:maven-dependency-plugin:list".into(),
            "-DincludeScope=runtime".into(),
            "-DoutputAbsoluteArtifactFilename=true".into(),
            "-DappendOutput=false".into(),
            format!("-DoutputFile={}", list.display()),
            format!("-Dkafka.version={}", self.version),
        ]);
        args.extend(properties.iter().map(|(k, v)| format!("-D{k}={v}")));
        let source = self.repo.as_deref().unwrap_or("Maven Central");
        let progress = shell.progress(
            "Resolving",
            &format!("Kafka {} from {source}: {what}", self.version),
            None,
        );
        let output = Command::new("mvn")
            .args(&args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output();
        progress.finish();
        let output = output.map_err(|e| self.spawn_error(e))?;
        if !output.status.success() {
            let text = strip_ansi(&String::from_utf8_lossy(&output.stdout))
                + &strip_ansi(&String::from_utf8_lossy(&output.stderr));
            let failure = EngineError::CommandFailed {
                program: "mvn".into(),
                args,
                status: output.status.to_string(),
                stderr: maven_errors(&text),
            };
            return Err(anyhow::Error::new(failure).context(self.diagnose(&text)));
        }
        let text = std::fs::read_to_string(&list)
            .with_context(|| format!("`mvn dependency:list` wrote no `{}`", list.display()))?;
        let jars = parse_dependency_list(&text);
        if !jars.iter().any(|j| j.is("org.apache.kafka", "kafka_2.13")) {
            bail!(
                "`mvn dependency:list` listed no org.apache.kafka:kafka_2.13 jar in `{}`",
                list.display()
            );
        }
        Ok(jars)
    }

    fn spawn_error(&self, e: std::io::Error) -> anyhow::Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            UserError {
                message: "Maven is not installed: `mvn` was not found on PATH".to_owned(),
                help: "install Maven 3.6 or later and a JDK (Debian/Ubuntu: `apt-get install \
                       maven`; https://maven.apache.org/install.html)"
                    .to_owned(),
            }
            .into()
        } else {
            anyhow::Error::new(e).context("failed to run `mvn`")
        }
    }

    /// The error to show for a failed `mvn`, by what its output says.
    fn diagnose(&self, output: &str) -> UserError {
        let version = self.version;
        let source = self.repo.as_deref().unwrap_or("Maven Central");
        let supported = supported_versions().collect::<Vec<_>>().join(", ");
        match MavenFailure::of(output) {
            MavenFailure::Unreachable => UserError {
                message: format!("cannot reach {source} to resolve Kafka {version}"),
                help: match &self.repo {
                    Some(url) => format!(
                        "check that `{url}` answers from this machine and holds Maven Central's \
                         layout (org/apache/kafka/…), or drop --maven-repo to use Maven Central"
                    ),
                    None => "check the network, or point --maven-repo at a Maven mirror this \
                             machine can reach"
                        .to_owned(),
                },
            },
            MavenFailure::NotFound => UserError {
                message: format!("Kafka {version} is not on {source}"),
                help: format!(
                    "check the version (supported: {supported}); a mirror must hold \
                     org.apache.kafka:kafka_2.13:{version} and its dependencies. Maven remembers \
                     a failed lookup for a day: delete \
                     ~/.m2/repository/org/apache/kafka/kafka_2.13/{version} to ask again"
                ),
            },
            MavenFailure::Other => UserError {
                message: format!("`mvn` failed to resolve Kafka {version}"),
                help: "read Maven's errors below".to_owned(),
            },
        }
    }
}

/// Why `mvn` failed, read from its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MavenFailure {
    /// The repository did not answer (refused, unknown host, timeout).
    Unreachable,
    /// The repository answered but has no such Kafka.
    NotFound,
    /// Anything else.
    Other,
}

impl MavenFailure {
    fn of(output: &str) -> Self {
        const UNREACHABLE: [&str; 7] = [
            "Could not transfer",
            "Connection refused",
            "UnknownHostException",
            "Unknown host",
            "Connect timed out",
            "No route to host",
            "Network is unreachable",
        ];
        if UNREACHABLE.iter().any(|s| output.contains(s)) {
            Self::Unreachable
        } else if output.contains("Could not find artifact org.apache.kafka:")
            || output.contains("not be resolved: org.apache.kafka:")
            || (output.contains("org.apache.kafka:") && output.contains("was not found in"))
        {
            Self::NotFound
        } else {
            Self::Other
        }
    }
}

/// Maven's `[ERROR]` and `[FATAL]` lines (without the generic advice it prints after them), or its
/// last lines.
fn maven_errors(output: &str) -> String {
    let errors: Vec<&str> = output
        .lines()
        .filter(|l| l.starts_with("[ERROR]") || l.starts_with("[FATAL]"))
        .take_while(|l| !l.contains("To see the full stack trace"))
        .collect();
    if errors.is_empty() {
        let lines: Vec<&str> = output.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    } else {
        errors.join("\n")
    }
}

/// Maven settings that send every request to `url`.
fn mirror_settings(url: &str) -> String {
    let url = url
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!-- Written by kafka-image dist for the maven-repo option. -->\n\
         <settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n\
         \x20 <mirrors>\n\
         \x20   <mirror>\n\
         \x20     <id>{MIRROR_ID}</id>\n\
         \x20     <mirrorOf>*</mirrorOf>\n\
         \x20     <url>{url}</url>\n\
         \x20   </mirror>\n\
         \x20 </mirrors>\n\
         </settings>\n"
    )
}

/// Writes `libs/`, `config/`, `licenses/` and the marker; returns the number of licence files.
fn lay_out_tree(
    tree: &Path,
    jars: &[ResolvedJar],
    log4j: LogFlavour,
    version: KafkaVersion,
) -> anyhow::Result<usize> {
    let libs = tree.join("libs");
    create_dir(&libs)?;
    let mut licence_files = 0;
    for jar in jars {
        let name = jar.file_name();
        std::fs::copy(&jar.path, libs.join(&name)).with_context(|| {
            format!(
                "failed to copy `{}` into `{}`",
                jar.path.display(),
                libs.display()
            )
        })?;
        for (path, bytes) in licence_entries(&jar.path, &name)? {
            write_file(&tree.join(path), &bytes)?;
            licence_files += 1;
        }
    }
    for (path, text) in config_files(log4j) {
        write_file(&tree.join("config").join(path), text.as_bytes())?;
    }
    write_file(&tree.join(MARKER_FILE), marker(version, log4j).as_bytes())?;
    Ok(licence_files)
}

/// The default configs for `config/`, by file name: `server.properties` and the flavour's log4j
/// files from `docker/config/`.
fn config_files(log4j: LogFlavour) -> Vec<(&'static str, &'static str)> {
    DEFAULT_CONFIGS
        .iter()
        .filter_map(|(path, text)| match path.split_once('/') {
            // The exporter's rules are the image's, not a Kafka config file.
            None if *path == "jmx-exporter.yml" => None,
            None => Some((*path, *text)),
            Some((_, name)) => path
                .starts_with(log4j.config_dir())
                .then_some((name, *text)),
        })
        .collect()
}

/// The LICENSE and NOTICE files in a jar's `META-INF`, with their paths in the tree.
fn licence_entries(jar: &Path, jar_name: &str) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let file =
        std::fs::File::open(jar).with_context(|| format!("failed to open `{}`", jar.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("`{}` is not a readable jar", jar.display()))?;
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .with_context(|| format!("failed to read entry {i} of `{}`", jar.display()))?;
        if entry.is_dir() {
            continue;
        }
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            continue;
        };
        let Some(path) = licence_path(jar_name, &name) else {
            continue;
        };
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("failed to read `{name}` in `{}`", jar.display()))?;
        entries.push((path, bytes));
    }
    Ok(entries)
}

/// Where a jar entry goes under `licenses/`, when it is a licence or notice in `META-INF`:
/// `META-INF/LICENSE.txt` of `foo-1.0.jar` → `licenses/foo-1.0/LICENSE.txt`. Entries outside
/// `META-INF`, other files, and paths that would leave the directory give `None`.
fn licence_path(jar_name: &str, entry: &str) -> Option<PathBuf> {
    let inside = entry.strip_prefix("META-INF/")?;
    let file = Path::new(inside)
        .file_name()?
        .to_str()?
        .to_ascii_uppercase();
    let is_licence = ["LICENSE", "LICENCE", "NOTICE"]
        .iter()
        .any(|p| file.starts_with(p));
    let safe = Path::new(inside)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let stem = jar_name.strip_suffix(".jar").unwrap_or(jar_name);
    (is_licence && safe).then(|| Path::new("licenses").join(stem).join(inside))
}

/// The last line of the marker: what made the tree, so a changed recipe is not served from cache.
fn recipe_line(version: KafkaVersion) -> String {
    let mut hash = Sha256::new();
    for part in [
        LAYOUT_REVISION,
        POM,
        &version.to_string(),
        LOG4J2_WHEN_UNDECLARED,
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    for (path, text) in DEFAULT_CONFIGS {
        hash.update(path.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
        hash.update([0]);
    }
    format!("recipe: sha256:{}\n", hex::encode(hash.finalize()))
}

/// The plain-text file at the top of the tree.
fn marker(version: KafkaVersion, log4j: LogFlavour) -> String {
    let configs = config_files(log4j)
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "Apache Kafka {version} (Scala {SCALA}), assembled by kafka-image from Maven Central.\n\
         \n\
         This is not Apache's binary release: it was put together from the jars Apache publishes\n\
         to Maven Central (org.apache.kafka:kafka_{SCALA} and org.apache.kafka:kafka-tools with\n\
         their runtime dependencies, plus the logging libraries Apache's tarball adds).\n\
         \n\
         libs/      the jars, exactly as Maven resolved them ({log4j})\n\
         config/    kafka-image's default configs: {configs}\n\
         licenses/  the LICENSE and NOTICE files of each jar, by jar\n\
         \n\
         There is no bin/: Kafka's command-line scripts are not published to Maven Central.\n\
         Run the classes directly, e.g. java -cp 'libs/*' kafka.Kafka config/server.properties\n\
         \n\
         {}",
        recipe_line(version)
    )
}

/// `tar` + `gzip -n` of `dir/name` into `tarball`, with sorted names, owner 0 and a fixed time,
/// so the same tree always gives the same bytes. Level 1: the jars are compressed already, and
/// higher levels cost seconds for a fraction of a percent.
fn pack(dir: &Path, name: &str, tarball: &Path) -> anyhow::Result<()> {
    let args: Vec<String> = vec![
        "--create".into(),
        "--file".into(),
        tarball.display().to_string(),
        "--use-compress-program=gzip -n -1".into(),
        "--sort=name".into(),
        "--owner=0".into(),
        "--group=0".into(),
        "--numeric-owner".into(),
        "--mode=u+rw,go+r,go-w".into(),
        "--mtime=@0".into(),
        "--directory".into(),
        dir.display().to_string(),
        name.into(),
    ];
    let output = Command::new("tar")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .context("failed to run `tar`")?;
    if !output.status.success() {
        return Err(anyhow::Error::new(EngineError::CommandFailed {
            program: "tar".into(),
            args,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
        .context(UserError {
            message: format!("failed to pack `{}`", tarball.display()),
            help: "GNU tar and gzip are needed (Debian/Ubuntu: `apt-get install tar gzip`)"
                .to_owned(),
        }));
    }
    Ok(())
}

/// The SHA-512 of a file, hex.
fn sha512_hex(path: &Path) -> anyhow::Result<String> {
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("failed to open `{}`", path.display()))?;
    let mut hash = Sha512::new();
    std::io::copy(&mut file, &mut hash)
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    Ok(hex::encode(hash.finalize()))
}

/// A `sha512sum` line: `HEX  NAME\n`.
fn sha512_line(hex: &str, name: &str) -> String {
    format!("{hex}  {name}\n")
}

/// The checksum of `name` in a `sha512sum` line, when the line is for `name`.
fn parse_sha512_line(text: &str, name: &str) -> Option<String> {
    let (hex, file) = text.trim_end().split_once("  ")?;
    let valid = hex.len() == 128 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (valid && file.trim_start_matches('*') == name).then(|| hex.to_ascii_lowercase())
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create `{}`", dir.display()))
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("failed to write `{}`", path.display()))
}

fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("failed to move `{}` to `{}`", from.display(), to.display()))
}

fn render_assembled(dist: &AssembledDist) -> String {
    let mut fields = BTreeMap::new();
    fields.insert("1 tarball", dist.tarball.display().to_string());
    fields.insert("2 sha512", dist.sha512.clone());
    fields.insert("3 tree", dist.tree.display().to_string());
    fields.insert("4 jars", format!("{} ({})", dist.jars, dist.log4j));
    fields.insert(
        "5 cached",
        format!(
            "{} ({:.1} s)",
            if dist.cached { "yes" } else { "no" },
            dist.seconds
        ),
    );
    fields
        .iter()
        .map(|(k, v)| format!("{:<8}{v}", &k[2..]))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar(group: &str, artifact: &str, version: &str) -> ResolvedJar {
        ResolvedJar {
            group: group.into(),
            artifact: artifact.into(),
            classifier: None,
            version: version.into(),
            path: PathBuf::from(format!("/m2/{artifact}-{version}.jar")),
        }
    }

    #[test]
    fn supported_versions_put_the_primary_first() {
        let versions: Vec<_> = supported_versions().collect();
        assert_eq!(versions, ["4.4.0", "4.1.2", "4.0.2", "3.9.2"]);
        assert_eq!(primary_version(), "4.4.0");
        for v in versions {
            assert!(KafkaVersion::parse(v).is_some(), "{v}");
        }
    }

    #[test]
    fn dependency_list_lines_with_modules_and_classifiers() {
        let text = "\nThe following files have been resolved:\n   \
            org.apache.kafka:kafka_2.13:jar:4.4.0:runtime:/m2/kafka_2.13-4.4.0.jar\n   \
            com.github.luben:zstd-jni:jar:1.5.7-17:runtime:/m2/zstd-jni-1.5.7-17.jar -- module com.github.luben.zstd_jni\n   \
            io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.118.Final:runtime:/m2/n.jar\n   \
            org.example:a-pom:pom:1:runtime:/m2/a.pom\n";
        let jars = parse_dependency_list(text);
        assert_eq!(jars.len(), 3, "{jars:?}");
        assert_eq!(jars[0].file_name(), "kafka_2.13-4.4.0.jar");
        assert_eq!(jars[1].version, "1.5.7-17");
        assert_eq!(jars[1].path, PathBuf::from("/m2/zstd-jni-1.5.7-17.jar"));
        assert_eq!(
            jars[2].file_name(),
            "netty-transport-native-epoll-4.1.118.Final-linux-x86_64.jar"
        );
    }

    #[test]
    fn kafka_3_tree_needs_nothing_added_and_runs_log4j1() {
        let tree = [
            jar("org.apache.kafka", "kafka_2.13", "3.9.2"),
            jar("com.fasterxml.jackson.core", "jackson-databind", "2.16.2"),
            jar("ch.qos.reload4j", "reload4j", "1.2.25"),
        ];
        assert_eq!(ReleaseLibs::for_tree(&tree), Ok(ReleaseLibs::None));
        assert_eq!(LogFlavour::of(&tree), Ok(LogFlavour::Log4j1));
    }

    #[test]
    fn kafka_4_tree_gets_log4j2_at_its_own_versions() {
        let tree = [
            jar("org.apache.kafka", "kafka_2.13", "4.1.2"),
            jar("com.fasterxml.jackson.core", "jackson-databind", "2.19.4"),
            jar("org.apache.logging.log4j", "log4j-core", "2.25.3"),
        ];
        assert_eq!(
            ReleaseLibs::for_tree(&tree),
            Ok(ReleaseLibs::Log4j2 {
                log4j2: "2.25.3".into(),
                jackson: "2.19.4".into()
            })
        );
        assert_eq!(LogFlavour::of(&tree), Ok(LogFlavour::Log4j2));
        // 4.0.x: no log4j2 in any POM of Kafka.
        let undeclared = &tree[..2];
        assert_eq!(
            ReleaseLibs::for_tree(undeclared),
            Ok(ReleaseLibs::Log4j2 {
                log4j2: LOG4J2_WHEN_UNDECLARED.into(),
                jackson: "2.19.4".into()
            })
        );
        assert!(LogFlavour::of(undeclared).is_err());
    }

    #[test]
    fn both_log4j_implementations_is_an_error() {
        let tree = [
            jar("org.apache.logging.log4j", "log4j-core", "2.25.3"),
            jar("ch.qos.reload4j", "reload4j", "1.2.25"),
        ];
        assert_eq!(
            LogFlavour::of(&tree),
            Err("hold both log4j-core and reload4j".into())
        );
    }

    #[test]
    fn config_files_follow_the_flavour() {
        let names = |f| {
            config_files(f)
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(LogFlavour::Log4j2),
            ["server.properties", "log4j2.yaml", "tools-log4j2.yaml"]
        );
        assert_eq!(
            names(LogFlavour::Log4j1),
            [
                "server.properties",
                "log4j.properties",
                "tools-log4j.properties"
            ]
        );
    }

    #[test]
    fn licence_paths_by_jar() {
        let p = |entry| licence_path("kafka-clients-4.4.0.jar", entry);
        assert_eq!(
            p("META-INF/LICENSE"),
            Some(PathBuf::from("licenses/kafka-clients-4.4.0/LICENSE"))
        );
        assert_eq!(
            p("META-INF/NOTICE.txt"),
            Some(PathBuf::from("licenses/kafka-clients-4.4.0/NOTICE.txt"))
        );
        assert_eq!(
            p("META-INF/licenses/zstd/license.md"),
            Some(PathBuf::from(
                "licenses/kafka-clients-4.4.0/licenses/zstd/license.md"
            ))
        );
        assert_eq!(p("LICENSE"), None);
        assert_eq!(p("META-INF/MANIFEST.MF"), None);
        assert_eq!(p("META-INF/../../LICENSE"), None);
    }

    #[test]
    fn sha512_lines_in_sha512sum_format() {
        let hex = "ab".repeat(64);
        let line = sha512_line(&hex, "kafka_2.13-4.4.0.tgz");
        assert_eq!(line, format!("{hex}  kafka_2.13-4.4.0.tgz\n"));
        assert_eq!(
            parse_sha512_line(&line, "kafka_2.13-4.4.0.tgz"),
            Some(hex.clone())
        );
        assert_eq!(parse_sha512_line(&line, "kafka_2.13-4.1.2.tgz"), None);
        assert_eq!(
            parse_sha512_line("abc  kafka_2.13-4.4.0.tgz", "kafka_2.13-4.4.0.tgz"),
            None
        );
    }

    #[test]
    fn maven_failures_are_told_apart() {
        assert_eq!(
            MavenFailure::of(
                "[ERROR] Failed to execute goal on project kafka-dist: Could not resolve \
                 dependencies for project io.kafka-image:kafka-dist:pom:1: The following artifacts \
                 could not be resolved: org.apache.kafka:kafka_2.13:jar:9.9.9: Could not find \
                 artifact org.apache.kafka:kafka_2.13:jar:9.9.9 in central"
            ),
            MavenFailure::NotFound
        );
        assert_eq!(
            MavenFailure::of(
                "[ERROR] Plugin org.apache.maven.plugins:maven-dependency-plugin:3.8.1 could not \
                 be resolved: Could not transfer artifact … from/to kafka-image-mirror \
                 (http://127.0.0.1:9/): Connect to 127.0.0.1:9 failed: Connection refused"
            ),
            MavenFailure::Unreachable
        );
        assert_eq!(
            MavenFailure::of("[ERROR] something else"),
            MavenFailure::Other
        );
    }

    #[test]
    fn mirror_settings_escape_the_url() {
        let xml = mirror_settings("https://m.example/maven2?a=1&b=2");
        assert!(
            xml.contains("<url>https://m.example/maven2?a=1&amp;b=2</url>"),
            "{xml}"
        );
        assert!(xml.contains("<mirrorOf>*</mirrorOf>"), "{xml}");
        // `--` is not allowed inside an XML comment; Maven refuses such settings.
        let comments = xml
            .split("<!--")
            .skip(1)
            .map(|c| c.split("-->").next().unwrap_or(""));
        assert!(comments.into_iter().all(|c| !c.contains("--")), "{xml}");
    }

    #[test]
    fn repo_urls_are_checked() {
        assert_eq!(
            check_repo_url("https://m.example/maven2/").ok(),
            Some("https://m.example/maven2".to_owned())
        );
        assert!(check_repo_url("file:///srv/m2").is_ok());
        let err = check_repo_url("m.example/maven2").expect_err("no scheme");
        assert!(err.to_string().contains("`--maven-repo`"), "{err}");
    }

    #[test]
    fn marker_says_where_it_came_from_and_ends_with_the_recipe() {
        let v: KafkaVersion = KafkaVersion::parse("4.4.0").expect("version");
        let text = marker(v, LogFlavour::Log4j2);
        assert!(text.starts_with(
            "Apache Kafka 4.4.0 (Scala 2.13), assembled by kafka-image from Maven Central."
        ));
        assert!(text.contains("There is no bin/"), "{text}");
        assert!(text.ends_with(&recipe_line(v)), "{text}");
        assert_ne!(
            recipe_line(v),
            recipe_line(KafkaVersion::parse("3.9.2").expect("version"))
        );
    }

    #[test]
    fn maven_errors_drop_the_generic_advice() {
        let out = "[INFO] x\n[ERROR] Failed: boom\n[ERROR] \n[ERROR] To see the full stack trace of the errors\n[ERROR] Re-run Maven\n";
        assert_eq!(maven_errors(out), "[ERROR] Failed: boom\n[ERROR] ");
    }
}
