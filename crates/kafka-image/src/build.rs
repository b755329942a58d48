//! `kafka-image build`: make the image from an official Kafka release (SPEC §5 and §6).
//!
//! 1. Work out the Kafka release from the tarball's name (`kafka_2.13-4.1.0.tgz`), or from the
//!    `libs/kafka_<scala>-<version>.jar` inside a local tarball, and refuse versions before 3.7.
//!    With `--kafka-maven VERSION` the tarball is first assembled from Maven Central
//!    ([`maven_dist::assemble`], cached) and goes in with `kafka_source=maven-central`: checked by
//!    its SHA-512 only, and labelled as having no CLI scripts.
//! 2. Build `kafka-entrypoint` on the host, statically (musl), once per platform, because no Rust
//!    image can be assumed on the build machine; or take `--entrypoint-binary`.
//! 3. Lay out a build context in a temporary directory: the `docker/` files embedded in this binary
//!    (so an installed `kafka-image` needs no checkout), the binaries, the tarball with its `.sha512`
//!    and `.asc`, and a local KEYS file when one is given.
//! 4. Run `docker build` (one platform, on the local engine) or `docker buildx build` (several
//!    platforms, pushed). The Dockerfile verifies checksum and signature; when that fails the build
//!    fails and `docker build` tags nothing. The error shown is the verification script's own
//!    `error:`/`help:` lines, with the end of the build output below.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};

use crate::engine::{ContainerEngine, DockerCli, EngineError, ImageLayer};
use crate::maven_dist::{self, MavenOptions};
use crate::shell::{Shell, UserError, strip_ansi};

/// The default base of the final stage: Debian's smallest maintained image (glibc, bash,
/// useradd); the Java runtime is linked in the `jre` stage and copied in.
pub(crate) const DEFAULT_BASE_IMAGE: &str = "debian:trixie-slim";
/// The default image the Java runtime is linked (and the archive trained) in: without a JDK of the
/// chosen version it installs `openjdk-<N>-jdk-headless` from Debian, which has 21 and 25 with
/// their jmods.
pub(crate) const DEFAULT_JDK_IMAGE: &str = "debian:trixie-slim";
/// Where Apache publishes the keys of Kafka's release managers.
pub(crate) const APACHE_KEYS_URL: &str = "https://downloads.apache.org/kafka/KEYS";

const DOCKERFILE: &str = include_str!("../../../docker/Dockerfile");
const FETCH_KAFKA_SCRIPT: &str = include_str!("../../../docker/fetch-kafka.sh");
const MAKE_JRE_SCRIPT: &str = include_str!("../../../docker/make-jre.sh");
/// The modules of the image's Java runtime, each with why (`jlink --add-modules`).
const JRE_MODULES: &str = include_str!("../../../docker/jre-modules.txt");
/// The image's default configs (`docker/config/`), by path under the context's `config/`.
pub(crate) const DEFAULT_CONFIGS: [(&str, &str); 6] = [
    (
        "server.properties",
        include_str!("../../../docker/config/server.properties"),
    ),
    (
        "jmx-exporter.yml",
        include_str!("../../../docker/config/jmx-exporter.yml"),
    ),
    (
        "log4j1/log4j.properties",
        include_str!("../../../docker/config/log4j1/log4j.properties"),
    ),
    (
        "log4j1/tools-log4j.properties",
        include_str!("../../../docker/config/log4j1/tools-log4j.properties"),
    ),
    (
        "log4j2/log4j2.yaml",
        include_str!("../../../docker/config/log4j2/log4j2.yaml"),
    ),
    (
        "log4j2/tools-log4j2.yaml",
        include_str!("../../../docker/config/log4j2/tools-log4j2.yaml"),
    ),
];

/// A Kafka release number, read by kafka-storage's one reader (the entrypoint's storage writer
/// uses the same one).
pub(crate) type KafkaVersion = kafka_storage::KafkaRelease;

/// The oldest and newest Kafka minor releases the image supports: the releases whose storage
/// files the entrypoint writes natively (`kafka_storage::SUPPORTED_RELEASES`), so `build` and
/// the entrypoint agree by construction.
fn supported_range() -> (KafkaVersion, (u16, u16)) {
    let minor = |text: &&str| KafkaVersion::parse(&format!("{text}.0"));
    let releases = kafka_storage::SUPPORTED_RELEASES;
    // Invariant (tested below): SUPPORTED_RELEASES is a non-empty list of `X.Y`.
    let oldest = releases
        .first()
        .and_then(minor)
        .expect("SUPPORTED_RELEASES holds `X.Y`");
    let newest = releases
        .last()
        .and_then(minor)
        .expect("SUPPORTED_RELEASES holds `X.Y`");
    (oldest, (newest.major, newest.minor))
}

/// Arguments of `kafka-image build`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["kafka_url", "kafka_tarball", "kafka_maven"])))]
pub(crate) struct BuildArgs {
    /// What the image is made from and how (shared with `release`).
    #[command(flatten)]
    pub(crate) recipe: RecipeArgs,
    /// Name of the image to make, e.g. `kafka:4.1.0`.
    #[arg(long, value_name = "TAG")]
    pub(crate) tag: String,
    /// Platforms to build for (`linux/amd64`, `linux/arm64`), comma-separated. More than one needs
    /// `docker buildx` and `--push`. Default: the host's platform.
    #[arg(long, value_name = "PLATFORMS", value_delimiter = ',')]
    pub(crate) platform: Vec<Platform>,
    /// The image of the final stage (glibc, with bash and useradd; it needs no Java: the linked
    /// runtime is copied in).
    #[arg(long, value_name = "IMAGE", default_value = DEFAULT_BASE_IMAGE)]
    pub(crate) base_image: String,
    /// The glibc image the Java runtime is linked (`jlink`) and the archive trained in: its own
    /// JDK when it is of the `--jdk` version and has jlink and jmods, else
    /// `openjdk-<N>-jdk-headless` installed with apt-get.
    #[arg(long, value_name = "IMAGE", default_value = DEFAULT_JDK_IMAGE)]
    pub(crate) jdk_image: String,
    /// Push the image to its registry after building.
    #[arg(long)]
    pub(crate) push: bool,
    /// Use this static `kafka-entrypoint` binary instead of building it with cargo (one platform).
    #[arg(long, value_name = "PATH")]
    pub(crate) entrypoint_binary: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What an image is made from and how: Kafka's source, its check, the JDK, the network of the
/// build's steps and the archive. `build` and `release` take the same options; `release` hands
/// them on to each platform's `build` with [`RecipeArgs::to_build_flags`].
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub(crate) struct RecipeArgs {
    /// URL of an official Kafka binary release (`…/kafka_2.13-4.1.0.tgz`); `URL.sha512` and
    /// `URL.asc` are fetched beside it.
    #[arg(long, value_name = "URL")]
    pub(crate) kafka_url: Option<String>,
    /// A local Kafka binary release; `FILE.sha512` and `FILE.asc` must lie beside it.
    #[arg(long, value_name = "FILE")]
    pub(crate) kafka_tarball: Option<PathBuf>,
    /// Assemble Kafka VERSION from Maven Central (as `kafka-image dist` does, cached) and build
    /// from that, for sites that reach only a Maven mirror. Checked by its SHA-512; Apache signs
    /// no such tarball, and it has no `bin/` scripts: the image says so in its labels
    /// (`io.kafka-image.kafka.source=maven-central`, `io.kafka-image.kafka.cli-scripts=absent`).
    #[arg(long, value_name = "VERSION", value_parser = maven_dist::parse_kafka_version)]
    pub(crate) kafka_maven: Option<KafkaVersion>,
    /// With `--kafka-maven`: the Maven repository to resolve from instead of Maven Central.
    #[arg(long, value_name = "URL", requires = "kafka_maven")]
    pub(crate) maven_repo: Option<String>,
    /// With `--kafka-maven`: where the assembled distribution is kept between builds.
    #[arg(
        long,
        value_name = "DIR",
        env = "KAFKA_DISTS_DIR",
        default_value = "target/kafka-dist"
    )]
    pub(crate) dist_dir: PathBuf,
    /// The KEYS file the signature is checked against: a URL or a local file.
    #[arg(long, value_name = "URL|FILE", default_value = APACHE_KEYS_URL)]
    pub(crate) kafka_keys: String,
    /// The Java version of the image: 25 (start-up from a JDK 25 AOT cache) or 21 (from a CDS
    /// archive).
    #[arg(long, value_enum, default_value = "25")]
    pub(crate) jdk: Jdk,
    /// Network of the build's RUN steps; `host` lets the build reach a server on 127.0.0.1.
    #[arg(long, value_name = "MODE")]
    pub(crate) network: Option<String>,
    /// Do not train the AOT cache or CDS archive (faster builds; slower container starts).
    #[arg(long)]
    pub(crate) skip_cds: bool,
}

impl RecipeArgs {
    /// The `build` options that give these arguments again, every one spelled out (defaults
    /// too), so that a `build` run by `release` makes the image the release was asked for.
    pub(crate) fn to_build_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        let mut add = |flag: &str, value: String| flags.extend([flag.to_owned(), value]);
        if let Some(url) = &self.kafka_url {
            add("--kafka-url", url.clone());
        }
        if let Some(tarball) = &self.kafka_tarball {
            add("--kafka-tarball", tarball.display().to_string());
        }
        if let Some(version) = &self.kafka_maven {
            add("--kafka-maven", version.to_string());
        }
        if let Some(repo) = &self.maven_repo {
            add("--maven-repo", repo.clone());
        }
        add("--dist-dir", self.dist_dir.display().to_string());
        add("--kafka-keys", self.kafka_keys.clone());
        add("--jdk", self.jdk.major().to_string());
        if let Some(network) = &self.network {
            add("--network", network.clone());
        }
        if self.skip_cds {
            flags.push("--skip-cds".to_owned());
        }
        flags
    }
}

/// The Java version the image runs Kafka on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Jdk {
    /// JDK 25 (the default): the archive is an AOT cache (`/opt/kafka/kafka.aot`).
    #[value(name = "25")]
    Jdk25,
    /// JDK 21: the archive is a CDS archive (`/opt/kafka/kafka.jsa`).
    #[value(name = "21")]
    Jdk21,
}

impl Jdk {
    /// The major version, the Dockerfile's `jdk` build argument (and `--jdk`'s value).
    pub(crate) fn major(self) -> u8 {
        match self {
            Self::Jdk25 => 25,
            Self::Jdk21 => 21,
        }
    }
}

/// A Kafka binary release as Apache names it: `kafka_<scala>-<version>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KafkaRelease {
    scala: String,
    version: KafkaVersion,
}

impl KafkaRelease {
    /// Reads `kafka_2.13-4.1.0` (a tarball or jar name without its extension).
    fn parse(stem: &str) -> Option<Self> {
        let (scala, version) = stem.strip_prefix("kafka_")?.split_once('-')?;
        let scala_ok = scala
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        scala_ok.then(|| {
            Some(Self {
                scala: scala.to_owned(),
                version: KafkaVersion::parse(version)?,
            })
        })?
    }

    /// Reads the release from a tarball's file name (`kafka_2.13-4.1.0.tgz`).
    fn from_tarball_name(name: &str) -> Option<Self> {
        let stem = name
            .strip_suffix(".tgz")
            .or_else(|| name.strip_suffix(".tar.gz"))?;
        Self::parse(stem)
    }

    /// Finds the release in a tarball listing: the `libs/kafka_<scala>-<version>.jar` every binary
    /// release ships.
    fn from_listing(listing: &str) -> Option<Self> {
        listing.lines().find_map(|path| {
            let (dir, file) = path.trim_end_matches('/').rsplit_once('/')?;
            if !dir.ends_with("libs") {
                return None;
            }
            Self::parse(file.strip_suffix(".jar")?)
        })
    }

    /// Refuses versions the entrypoint does not know; warns about newer ones.
    fn check_supported(&self, shell: &Shell) -> anyhow::Result<()> {
        let (oldest, newest) = supported_range();
        if self.version < oldest {
            return Err(UserError {
                message: format!(
                    "Kafka {} is not supported: kafka-image supports {oldest} and later",
                    self.version
                ),
                help: format!(
                    "build from a Kafka {}.{} to {}.{} release (https://kafka.apache.org/downloads)",
                    oldest.major, oldest.minor, newest.0, newest.1
                ),
            }
            .into());
        }
        if (self.version.major, self.version.minor) > newest {
            shell.warn(format!(
                "Kafka {} is newer than the newest version kafka-image knows ({}.{}); \
                 the image may need changes",
                self.version, newest.0, newest.1
            ));
        }
        Ok(())
    }
}

/// A platform the image can be built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
    /// `linux/amd64`
    LinuxAmd64,
    /// `linux/arm64`
    LinuxArm64,
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "linux/amd64" | "amd64" => Ok(Self::LinuxAmd64),
            "linux/arm64" | "linux/arm64/v8" | "arm64" => Ok(Self::LinuxArm64),
            other => Err(format!(
                "unsupported platform `{other}`; supported: `linux/amd64`, `linux/arm64`"
            )),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "linux/{}", self.arch())
    }
}

impl Platform {
    /// Docker's name of the architecture (`TARGETARCH`).
    fn arch(self) -> &'static str {
        match self {
            Self::LinuxAmd64 => "amd64",
            Self::LinuxArm64 => "arm64",
        }
    }

    /// The Rust target that builds a static `kafka-entrypoint` for it.
    fn rust_target(self) -> &'static str {
        match self {
            Self::LinuxAmd64 => "x86_64-unknown-linux-musl",
            Self::LinuxArm64 => "aarch64-unknown-linux-musl",
        }
    }

    /// The platform of the machine running `kafka-image`.
    pub(crate) fn host() -> Option<Self> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Self::LinuxAmd64),
            "aarch64" => Some(Self::LinuxArm64),
            _ => None,
        }
    }
}

/// Where the tarball comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KafkaSource {
    /// Fetched inside the build, with `URL.sha512` and `URL.asc`.
    Url(String),
    /// A local file, with `FILE.sha512` and `FILE.asc` beside it.
    Tarball(PathBuf),
    /// Assembled from Maven Central by `kafka-image dist`: this tarball with its `.sha512`, no
    /// signature and no `bin/`.
    Maven(PathBuf),
}

impl KafkaSource {
    /// The value of the `kafka_source` build argument and the `io.kafka-image.kafka.source` label.
    fn label(&self) -> &'static str {
        match self {
            Self::Url(_) | Self::Tarball(_) => "apache-release",
            Self::Maven(_) => "maven-central",
        }
    }
}

/// How the image is built on this engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builder {
    /// `docker build` (classic builder) for one platform, the host's or, without buildx, another
    /// one (`--platform`): the image lands in the local engine.
    Local,
    /// `docker buildx build --platform …`: pushed (several platforms) or loaded (one).
    Buildx,
}

/// What `build` made, printed at the end (and as JSON with `--json`).
#[derive(Debug, serde::Serialize)]
pub(crate) struct BuiltImage {
    /// The image name.
    pub(crate) tag: String,
    /// The image id (local builds) or manifest digest (pushed buildx builds).
    pub(crate) image_id: Option<String>,
    /// Uncompressed size in bytes, when the image is in the local engine.
    pub(crate) size: Option<u64>,
    /// The Kafka version, when it could be read from the tarball.
    pub(crate) kafka_version: Option<String>,
    /// The platforms built.
    pub(crate) platforms: Vec<String>,
    /// Whether the image was pushed.
    pub(crate) pushed: bool,
    /// The layers, newest first, when the image is in the local engine.
    pub(crate) layers: Vec<ImageLayer>,
}

/// Runs `kafka-image build`.
pub(crate) fn main(args: &BuildArgs) -> ExitCode {
    let shell = Shell::new(args.json);
    // Bad flags are reported before Docker is asked anything.
    let result = kafka_source(args)
        .and_then(|_| check_keys(&args.recipe.kafka_keys))
        .and_then(|()| {
            let engine = DockerCli::connect().context("cannot build the image")?;
            build_image(args, &engine, &shell)
        });
    match result {
        Ok(built) => {
            shell.print_result(&render_built(&built), &built);
            ExitCode::SUCCESS
        }
        Err(e) => {
            shell.print_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Builds (and with `--push` pushes) the image; used by `build` and by `release`.
pub(crate) fn build_image(
    args: &BuildArgs,
    engine: &dyn ContainerEngine,
    shell: &Shell,
) -> anyhow::Result<BuiltImage> {
    let source = kafka_source(args)?;
    if let Some(version) = args.recipe.kafka_maven {
        maven_dist::assemble(version, &maven_options(args), shell)?;
    }
    let release = detect_release(&source)?;
    match &release {
        Some(release) => {
            release.check_supported(shell)?;
            shell.status(
                "Found",
                format!("Kafka {} (Scala {})", release.version, release.scala),
            );
        }
        None => shell.warn(
            "cannot tell the Kafka version from the tarball's name; the image is labelled \
             `unknown`",
        ),
    }
    let platforms = target_platforms(&args.platform)?;
    let builder = choose_builder(engine, &platforms, args)?;
    let binaries = entrypoint_binaries(args, &platforms, shell)?;
    let metrics_agent = maven_dist::fetch_jmx_exporter(&maven_options(args), shell)?;

    let workdir = tempfile::Builder::new()
        .prefix("kafka-image-build.")
        .tempdir()
        .context("failed to create a temporary directory for the build context")?;
    let context = workdir.path().join("context");
    assemble_context(
        &context,
        &source,
        &args.recipe.kafka_keys,
        &binaries,
        &metrics_agent,
    )?;

    let iid_file = workdir.path().join("image-id");
    let argv = docker_build_args(&BuildPlan {
        args,
        builder,
        platforms: &platforms,
        source: &source,
        kafka_version: release.as_ref().map(|r| r.version),
        build_date: &crate::report::format_utc(build_time()),
        context: &context,
        iid_file: &iid_file,
    });
    run_docker_build(engine, shell, &argv, &args.tag)?;

    if args.push && builder == Builder::Local {
        push(engine, shell, &args.tag)?;
    }
    let pushed_remote_only = builder == Builder::Buildx && args.push;
    let image_id = std::fs::read_to_string(&iid_file)
        .ok()
        .map(|s| s.trim().to_owned());
    let (size, layers) = if pushed_remote_only {
        (None, Vec::new())
    } else {
        let summary = engine.inspect_image(&args.tag)?.with_context(|| {
            format!(
                "the build succeeded but `{}` is not in the engine",
                args.tag
            )
        })?;
        (Some(summary.size), engine.image_history(&args.tag)?)
    };
    Ok(BuiltImage {
        tag: args.tag.clone(),
        image_id,
        size,
        kafka_version: release.map(|r| r.version.to_string()),
        platforms: platforms.iter().map(ToString::to_string).collect(),
        pushed: args.push,
        layers,
    })
}

fn maven_options(args: &BuildArgs) -> MavenOptions {
    MavenOptions {
        maven_repo: args.recipe.maven_repo.clone(),
        out: args.recipe.dist_dir.clone(),
    }
}

fn kafka_source(args: &BuildArgs) -> anyhow::Result<KafkaSource> {
    if let Some(version) = args.recipe.kafka_maven {
        let tarball = maven_dist::tarball_path(&maven_options(args), version)?;
        return Ok(KafkaSource::Maven(tarball));
    }
    if let Some(url) = &args.recipe.kafka_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!(UserError {
                message: format!("`--kafka-url` `{url}` is not an http(s) URL"),
                help: "give a release URL such as \
                       https://downloads.apache.org/kafka/4.1.0/kafka_2.13-4.1.0.tgz, or a local \
                       file with --kafka-tarball"
                    .to_owned(),
            });
        }
        return Ok(KafkaSource::Url(url.clone()));
    }
    // clap's `source` group guarantees one of the two flags.
    let Some(tarball) = &args.recipe.kafka_tarball else {
        bail!("one of `--kafka-url` or `--kafka-tarball` is required")
    };
    if !tarball.is_file() {
        bail!(UserError {
            message: format!("`--kafka-tarball` `{}` is not a file", tarball.display()),
            help: "download a binary release (kafka_2.13-VERSION.tgz) from \
                   https://kafka.apache.org/downloads"
                .to_owned(),
        });
    }
    for ext in ["sha512", "asc"] {
        let companion = with_extension_suffix(tarball, ext);
        if !companion.is_file() {
            bail!(UserError {
                message: format!(
                    "`{}` is missing: the tarball cannot be verified without it",
                    companion.display()
                ),
                help: format!(
                    "download `{}` from the same place as the tarball and put it beside it",
                    companion
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ),
            });
        }
    }
    Ok(KafkaSource::Tarball(tarball.clone()))
}

fn with_extension_suffix(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn detect_release(source: &KafkaSource) -> anyhow::Result<Option<KafkaRelease>> {
    let name = match source {
        KafkaSource::Url(url) => url.rsplit('/').next().unwrap_or_default().to_owned(),
        KafkaSource::Tarball(path) | KafkaSource::Maven(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if let Some(release) = KafkaRelease::from_tarball_name(&name) {
        return Ok(Some(release));
    }
    let (KafkaSource::Tarball(path) | KafkaSource::Maven(path)) = source else {
        return Ok(None);
    };
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .with_context(|| format!("failed to list `{}` with `tar -tzf`", path.display()))?;
    if !listing.status.success() {
        bail!(UserError {
            message: format!("`{}` is not a gzip-compressed tar archive", path.display()),
            help: "use a Kafka binary release (kafka_2.13-VERSION.tgz)".to_owned(),
        });
    }
    Ok(KafkaRelease::from_listing(&String::from_utf8_lossy(
        &listing.stdout,
    )))
}

fn target_platforms(asked: &[Platform]) -> anyhow::Result<Vec<Platform>> {
    if !asked.is_empty() {
        let mut platforms = asked.to_vec();
        platforms.dedup();
        return Ok(platforms);
    }
    match Platform::host() {
        Some(host) => Ok(vec![host]),
        None => bail!(UserError {
            message: format!(
                "no image platform for this machine (`{}`)",
                std::env::consts::ARCH
            ),
            help: "choose one with `--platform linux/amd64` or `--platform linux/arm64`".to_owned(),
        }),
    }
}

fn choose_builder(
    engine: &dyn ContainerEngine,
    platforms: &[Platform],
    args: &BuildArgs,
) -> anyhow::Result<Builder> {
    if let [only] = platforms
        && Some(*only) == Platform::host()
    {
        return Ok(Builder::Local);
    }
    let wanted = platforms
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    if !engine.has_buildx() {
        // The classic builder builds one other platform (`docker build --platform`) when that
        // platform's base image is in the engine and the machine runs its programs (qemu-user).
        if platforms.len() == 1 {
            return Ok(Builder::Local);
        }
        bail!(EngineError::BuildxMissing { platforms: wanted });
    }
    if platforms.len() > 1 && !args.push {
        bail!(UserError {
            message: format!(
                "an image for several platforms (`{wanted}`) cannot be loaded into the local engine"
            ),
            help: "add `--push` with a registry tag (`registry.example.com/kafka:TAG`), or build \
                   one platform at a time"
                .to_owned(),
        });
    }
    Ok(Builder::Buildx)
}

/// The `kafka-entrypoint` binary per platform.
fn entrypoint_binaries(
    args: &BuildArgs,
    platforms: &[Platform],
    shell: &Shell,
) -> anyhow::Result<Vec<(Platform, PathBuf)>> {
    if let Some(binary) = &args.entrypoint_binary {
        let [platform] = platforms else {
            bail!(UserError {
                message: "`--entrypoint-binary` gives one binary, but several platforms are built"
                    .to_owned(),
                help: "drop `--entrypoint-binary` so each platform's binary is built with cargo"
                    .to_owned(),
            });
        };
        if !binary.is_file() {
            bail!(UserError {
                message: format!("`--entrypoint-binary` `{}` is not a file", binary.display()),
                help: "build it with `cargo build --release --target x86_64-unknown-linux-musl \
                       -p kafka-entrypoint`"
                    .to_owned(),
            });
        }
        return Ok(vec![(*platform, binary.clone())]);
    }
    platforms
        .iter()
        .map(|p| Ok((*p, compile_entrypoint(*p, shell)?)))
        .collect()
}

fn compile_entrypoint(platform: Platform, shell: &Shell) -> anyhow::Result<PathBuf> {
    let target = platform.rust_target();
    let progress = shell.progress("Compiling", &format!("kafka-entrypoint for {target}"), None);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = [
        "build",
        "--release",
        // The shipped binary is built from exactly the dependencies in Cargo.lock.
        "--locked",
        "--target",
        target,
        "-p",
        "kafka-entrypoint",
        "--message-format=json-render-diagnostics",
        "--color",
        "never",
    ];
    let mut command = Command::new(&cargo);
    command.args(args).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_cargo_run_variable) {
            command.env_remove(name);
        }
    }
    let output = command.output();
    progress.finish();
    let output = output.with_context(|| format!("failed to run `{}`", cargo.to_string_lossy()))?;
    let failure = || EngineError::CommandFailed {
        program: cargo.to_string_lossy().into_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        status: output.status.to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let help = format!(
        "run from the kafka-image checkout with the target installed (`rustup target add \
         {target}`, and musl-tools), or pass `--entrypoint-binary PATH`"
    );
    let executable = output
        .status
        .success()
        .then(|| entrypoint_artifact(&String::from_utf8_lossy(&output.stdout)))
        .flatten();
    match executable {
        Some(path) => Ok(path),
        None => Err(anyhow::Error::new(failure()).context(UserError {
            message: format!("failed to build `kafka-entrypoint` for `{target}`"),
            help,
        })),
    }
}

/// Whether a variable is one that `cargo run` / `cargo test` set for the program they start, which
/// must not reach the nested `cargo build`: build scripts that watch them (ring's watches
/// `CARGO_MANIFEST_DIR`) would otherwise see a change against a plain `cargo build` of the same
/// target, and the two would rebuild the musl entrypoint (about a minute) each time they alternate.
fn is_cargo_run_variable(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "OUT_DIR"
        )
}

/// Finds the `kafka-entrypoint` executable in cargo's `--message-format=json` output.
fn entrypoint_artifact(cargo_stdout: &str) -> Option<PathBuf> {
    cargo_stdout.lines().rev().find_map(|line| {
        let msg: serde_json::Value = serde_json::from_str(line).ok()?;
        let is_it =
            msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "kafka-entrypoint";
        is_it.then(|| msg["executable"].as_str().map(PathBuf::from))?
    })
}

/// Writes the build context: Dockerfile, fetch script, default configs, binaries, tarball, KEYS.
fn assemble_context(
    context: &Path,
    source: &KafkaSource,
    keys: &str,
    binaries: &[(Platform, PathBuf)],
    metrics_agent: &Path,
) -> anyhow::Result<()> {
    write_file(&context.join("Dockerfile"), DOCKERFILE.as_bytes(), false)?;
    write_file(
        &context.join("fetch-kafka.sh"),
        FETCH_KAFKA_SCRIPT.as_bytes(),
        true,
    )?;
    write_file(
        &context.join("make-jre.sh"),
        MAKE_JRE_SCRIPT.as_bytes(),
        true,
    )?;
    write_file(
        &context.join("jre-modules.txt"),
        JRE_MODULES.as_bytes(),
        false,
    )?;
    for (path, text) in DEFAULT_CONFIGS {
        write_file(&context.join("config").join(path), text.as_bytes(), false)?;
    }
    for (platform, binary) in binaries {
        let bytes = std::fs::read(binary)
            .with_context(|| format!("failed to read `{}`", binary.display()))?;
        let dest = context
            .join("bin")
            .join(platform.arch())
            .join("kafka-entrypoint");
        write_file(&dest, &bytes, true)?;
    }
    let metrics = context.join("metrics");
    create_dir(&metrics)?;
    link_or_copy(metrics_agent, &metrics.join("jmx_prometheus_javaagent.jar"))?;
    let dist = context.join("dist");
    create_dir(&dist)?;
    if let KafkaSource::Tarball(tarball) | KafkaSource::Maven(tarball) = source {
        link_or_copy(tarball, &dist.join("kafka.tgz"))?;
        link_or_copy(
            &with_extension_suffix(tarball, "sha512"),
            &dist.join("kafka.tgz.sha512"),
        )?;
        if let KafkaSource::Tarball(_) = source {
            link_or_copy(
                &with_extension_suffix(tarball, "asc"),
                &dist.join("kafka.tgz.asc"),
            )?;
        }
        let name = tarball
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        write_file(&dist.join("source-name"), name.as_bytes(), false)?;
    }
    let keys_dir = context.join("keys");
    create_dir(&keys_dir)?;
    check_keys(keys)?;
    if !is_url(keys) {
        link_or_copy(Path::new(keys), &keys_dir.join("KEYS"))?;
    }
    Ok(())
}

/// `--kafka-keys` is a URL or an existing file.
fn check_keys(keys: &str) -> anyhow::Result<()> {
    if is_url(keys) || Path::new(keys).is_file() {
        return Ok(());
    }
    bail!(UserError {
        message: format!("`--kafka-keys` `{keys}` is neither an http(s) URL nor a file"),
        help: format!("give Apache Kafka's KEYS file or its URL ({APACHE_KEYS_URL})"),
    })
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create `{}`", dir.display()))
}

fn write_file(path: &Path, bytes: &[u8], executable: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("failed to write `{}`", path.display()))?;
    if executable {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("failed to make `{}` executable", path.display()))?;
    }
    Ok(())
}

/// Hard-links a (possibly large) input into the context, copying when they are on different
/// file systems.
fn link_or_copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("failed to copy `{}` to `{}`", from.display(), to.display()))
}

/// Everything that decides the `docker build` command line.
struct BuildPlan<'a> {
    args: &'a BuildArgs,
    builder: Builder,
    platforms: &'a [Platform],
    source: &'a KafkaSource,
    kafka_version: Option<KafkaVersion>,
    build_date: &'a str,
    context: &'a Path,
    iid_file: &'a Path,
}

fn docker_build_args(plan: &BuildPlan<'_>) -> Vec<String> {
    let args = plan.args;
    let mut argv: Vec<String> = match plan.builder {
        // `--force-rm`: the classic builder otherwise keeps the container of a failed RUN step.
        Builder::Local => {
            let mut argv: Vec<String> = vec!["build".into(), "--force-rm".into()];
            if let [platform] = plan.platforms
                && Some(*platform) != Platform::host()
            {
                // `--no-cache`: the classic builder's cache matches steps across platforms and
                // then refuses the other platform's cached image ("does not match the specified
                // platform").
                argv.extend([
                    "--platform".into(),
                    platform.to_string(),
                    "--no-cache".into(),
                ]);
            }
            argv
        }
        Builder::Buildx => {
            let platforms = plan
                .platforms
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>();
            vec![
                "buildx".into(),
                "build".into(),
                "--progress=plain".into(),
                "--platform".into(),
                platforms.join(","),
            ]
        }
    };
    match (plan.builder, args.push) {
        (Builder::Buildx, true) => argv.push("--push".into()),
        (Builder::Buildx, false) => argv.push("--load".into()),
        (Builder::Local, _) => {}
    }
    argv.extend(["--tag".into(), args.tag.clone()]);
    argv.extend(["--iidfile".into(), plan.iid_file.display().to_string()]);
    if let Some(network) = &args.recipe.network {
        argv.extend(["--network".into(), network.clone()]);
    }
    let kafka_url = match plan.source {
        KafkaSource::Url(url) => url.as_str(),
        KafkaSource::Tarball(_) | KafkaSource::Maven(_) => "",
    };
    let cli_scripts = match plan.source {
        KafkaSource::Url(_) | KafkaSource::Tarball(_) => "present",
        KafkaSource::Maven(_) => "absent",
    };
    let keys_url = if is_url(&args.recipe.kafka_keys) {
        args.recipe.kafka_keys.as_str()
    } else {
        APACHE_KEYS_URL
    };
    let mut build_args = vec![
        format!("BASE_IMAGE={}", args.base_image),
        format!("JDK_IMAGE={}", args.jdk_image),
        format!("jdk={}", args.recipe.jdk.major()),
        format!("kafka_url={kafka_url}"),
        format!("kafka_source={}", plan.source.label()),
        format!("kafka_cli_scripts={cli_scripts}"),
        format!("keys_url={keys_url}"),
        format!("skip_cds={}", args.recipe.skip_cds),
        format!(
            "kafka_version={}",
            plan.kafka_version
                .map_or("unknown".into(), |v| v.to_string())
        ),
        format!("build_date={}", plan.build_date),
    ];
    if plan.builder == Builder::Local
        && let [platform] = plan.platforms
    {
        // The local engine's classic builder does not set the automatic platform arguments.
        build_args.push(format!("TARGETARCH={}", platform.arch()));
    }
    for build_arg in build_args {
        argv.extend(["--build-arg".into(), build_arg]);
    }
    argv.push(plan.context.display().to_string());
    argv
}

fn run_docker_build(
    engine: &dyn ContainerEngine,
    shell: &Shell,
    argv: &[String],
    tag: &str,
) -> anyhow::Result<()> {
    let progress = shell.progress("Building", tag, Some(1));
    let mut script_errors = Vec::new();
    // Classic builder for local builds: the engine's BuildKit needs the buildx plugin.
    let env = [(
        "DOCKER_BUILDKIT",
        if argv[0] == "buildx" { "1" } else { "0" },
    )];
    let result = engine.stream(argv, &env, &mut |line| {
        let line = strip_ansi(line);
        if let Some(step) = BuildStep::parse(&line) {
            progress.position(step.done, step.total);
            progress.message(&step.instruction);
        }
        if let Some(problem) = script_problem(&line) {
            script_errors.push(problem.to_owned());
        }
    });
    progress.finish();
    match result {
        Ok(()) => {
            shell.status("Built", tag);
            Ok(())
        }
        Err(err) => {
            let error = script_errors.iter().find_map(|l| l.strip_prefix("error: "));
            let help = script_errors.iter().find_map(|l| l.strip_prefix("help: "));
            let message = match error {
                Some(error) => format!("failed to build `{tag}`: {error}"),
                None => format!("failed to build `{tag}`"),
            };
            let help = help.map_or_else(
                || "read the build output below; nothing was tagged".to_owned(),
                |h| format!("{h}; nothing was tagged"),
            );
            Err(anyhow::Error::new(err).context(UserError { message, help }))
        }
    }
}

fn push(engine: &dyn ContainerEngine, shell: &Shell, tag: &str) -> anyhow::Result<()> {
    let progress = shell.progress("Pushing", tag, None);
    let argv = vec!["push".to_owned(), tag.to_owned()];
    let result = engine.stream(&argv, &[], &mut |line| progress.message(line));
    progress.finish();
    result.map_err(|e| {
        anyhow::Error::new(e).context(UserError {
            message: format!("failed to push `{tag}`"),
            help: "check that the tag names a registry that is running and that you are logged \
                   in (`docker login`)"
                .to_owned(),
        })
    })?;
    shell.status("Pushed", tag);
    Ok(())
}

/// One step of a build, from the classic builder's `Step 3/20 : RUN …` or BuildKit's plain
/// `#8 [kafka 3/9] RUN …` lines.
#[derive(Debug, PartialEq, Eq)]
struct BuildStep {
    done: u64,
    total: u64,
    instruction: String,
}

impl BuildStep {
    fn parse(line: &str) -> Option<Self> {
        let (counts, instruction) = if let Some(rest) = line.strip_prefix("Step ") {
            rest.split_once(" : ")?
        } else {
            let rest = line.strip_prefix('#')?;
            let (_, rest) = rest.split_once(" [")?;
            let (stage_counts, instruction) = rest.split_once("] ")?;
            (stage_counts.rsplit(' ').next()?, instruction)
        };
        let (done, total) = counts.split_once('/')?;
        Some(Self {
            done: done.parse().ok()?,
            total: total.parse().ok()?,
            instruction: instruction.trim().to_owned(),
        })
    }
}

/// The `error: …` and `help: …` lines of `fetch-kafka.sh`, without BuildKit's `#N 0.12 ` prefix.
fn script_problem(line: &str) -> Option<&str> {
    let line = line.trim();
    let line = match line.strip_prefix('#') {
        Some(rest) => rest.splitn(3, ' ').nth(2)?,
        None => line,
    };
    (line.starts_with("error: ") || line.starts_with("help: ")).then_some(line)
}

/// The time for the `created` label (RFC 3339, as `org.opencontainers.image.created` wants):
/// `SOURCE_DATE_EPOCH` for reproducible builds, else now.
fn build_time() -> SystemTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or_else(SystemTime::now, |secs| {
            UNIX_EPOCH + std::time::Duration::from_secs(secs)
        })
}

/// Sizes as `docker images` shows them (decimal units).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn render_built(built: &BuiltImage) -> String {
    let mut out = format!("image   {}\n", built.tag);
    if let Some(id) = &built.image_id {
        out.push_str(&format!("id      {id}\n"));
    }
    if let Some(size) = built.size {
        out.push_str(&format!("size    {}\n", human_size(size)));
    }
    if let Some(version) = &built.kafka_version {
        out.push_str(&format!("kafka   {version}\n"));
    }
    out.push_str(&format!(
        "platforms {}{}\n",
        built.platforms.join(","),
        if built.pushed { " (pushed)" } else { "" }
    ));
    if !built.layers.is_empty() {
        out.push_str("layers (newest first):\n");
        for layer in built.layers.iter().filter(|l| l.size > 0) {
            let instruction: String = layer.created_by.chars().take(90).collect();
            out.push_str(&format!(
                "  {:>10}  {instruction}\n",
                human_size(layer.size)
            ));
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::engine::EngineError;

    fn v(s: &str) -> KafkaVersion {
        KafkaVersion::parse(s).expect("valid version")
    }

    fn args(tag: &str) -> BuildArgs {
        BuildArgs {
            recipe: RecipeArgs {
                kafka_url: None,
                kafka_tarball: None,
                kafka_maven: None,
                maven_repo: None,
                dist_dir: PathBuf::from("target/kafka-dist"),
                kafka_keys: APACHE_KEYS_URL.to_owned(),
                jdk: Jdk::Jdk25,
                network: None,
                skip_cds: false,
            },
            tag: tag.to_owned(),
            platform: Vec::new(),
            base_image: DEFAULT_BASE_IMAGE.to_owned(),
            jdk_image: DEFAULT_JDK_IMAGE.to_owned(),
            push: false,
            entrypoint_binary: None,
            json: false,
        }
    }

    /// An engine that answers `buildx version` as told and records nothing else.
    struct BuildxProbe {
        installed: bool,
        calls: RefCell<Vec<Vec<String>>>,
    }

    impl ContainerEngine for BuildxProbe {
        fn output(&self, args: &[String]) -> Result<String, EngineError> {
            self.calls.borrow_mut().push(args.to_vec());
            if self.installed {
                Ok("github.com/docker/buildx v0.12.1".into())
            } else {
                Err(EngineError::CommandFailed {
                    program: "docker".into(),
                    args: args.to_vec(),
                    status: "exit status: 1".into(),
                    stderr: "docker: 'buildx' is not a docker command.".into(),
                })
            }
        }

        fn stream(
            &self,
            _: &[String],
            _: &[(&str, &str)],
            _: &mut dyn FnMut(&str),
        ) -> Result<(), EngineError> {
            unreachable!("builder choice does not stream")
        }
    }

    #[test]
    fn release_from_apache_tarball_names() {
        let r = KafkaRelease::from_tarball_name("kafka_2.13-4.1.0.tgz").expect("parses");
        assert_eq!((r.scala.as_str(), r.version), ("2.13", v("4.1.0")));
        let r = KafkaRelease::from_tarball_name("kafka_2.12-3.7.2.tar.gz").expect("parses");
        assert_eq!((r.scala.as_str(), r.version), ("2.12", v("3.7.2")));
    }

    #[test]
    fn release_name_rejects_source_and_odd_names() {
        assert_eq!(KafkaRelease::from_tarball_name("kafka-4.1.0-src.tgz"), None);
        assert_eq!(
            KafkaRelease::from_tarball_name("kafka_2.13-4.1.0-rc1.tgz"),
            None
        );
        assert_eq!(
            KafkaRelease::from_tarball_name("kafka_2.13-4.1.0.zip"),
            None
        );
        assert_eq!(KafkaRelease::from_tarball_name("kafka_x-4.1.0.tgz"), None);
    }

    #[test]
    fn release_from_listing_uses_the_libs_jar_not_test_jars() {
        let listing = "dist/\ndist/libs/kafka_2.13-3.9.1-test.jar\ndist/libs/kafka-clients-3.9.1.jar\n\
                       dist/libs/kafka_2.13-3.9.1.jar\ndist/bin/kafka-server-start.sh\n";
        let r = KafkaRelease::from_listing(listing).expect("found");
        assert_eq!(r.version, v("3.9.1"));
        assert_eq!(
            KafkaRelease::from_listing("dist/bin/kafka_2.13-3.9.1.jar\n"),
            None
        );
    }

    #[test]
    fn versions_before_3_7_are_refused() {
        let shell = Shell::new(true);
        let old = KafkaRelease {
            scala: "2.13".into(),
            version: v("3.6.2"),
        };
        let err = old.check_supported(&shell).expect_err("refused");
        assert!(
            err.to_string().contains("Kafka 3.6.2 is not supported"),
            "{err}"
        );
        for ok in ["3.7.0", "3.9.1", "4.0.0", "4.1.0", "4.2.0"] {
            let release = KafkaRelease {
                scala: "2.13".into(),
                version: v(ok),
            };
            assert!(release.check_supported(&shell).is_ok(), "{ok}");
        }
    }

    #[test]
    fn versions_order_numerically() {
        assert!(v("3.10.0") > v("3.9.9"));
        assert!(KafkaVersion::parse("3.7").is_none());
        assert!(KafkaVersion::parse("3.7.0.1").is_none());
        assert!(KafkaVersion::parse("4.1.0-rc1").is_none());
    }

    #[test]
    fn supported_range_is_the_storage_writers() {
        let (oldest, newest) = supported_range();
        assert_eq!(
            format!("{}.{}", oldest.major, oldest.minor),
            kafka_storage::SUPPORTED_RELEASES[0]
        );
        assert_eq!(
            format!("{}.{}", newest.0, newest.1),
            *kafka_storage::SUPPORTED_RELEASES.last().expect("non-empty")
        );
    }

    #[test]
    fn platforms_parse_with_a_clear_error() {
        assert_eq!("linux/arm64".parse(), Ok(Platform::LinuxArm64));
        assert_eq!("amd64".parse(), Ok(Platform::LinuxAmd64));
        let err = "linux/s390x".parse::<Platform>().expect_err("unsupported");
        assert!(
            err.contains("`linux/s390x`") && err.contains("linux/amd64"),
            "{err}"
        );
    }

    #[test]
    fn several_platforms_without_buildx_name_buildx() {
        let engine = BuildxProbe {
            installed: false,
            calls: RefCell::default(),
        };
        let platforms = [Platform::LinuxAmd64, Platform::LinuxArm64];
        let err = choose_builder(&engine, &platforms, &args("k:1")).expect_err("needs buildx");
        let engine_err = err.downcast_ref::<EngineError>().expect("engine error");
        assert!(
            matches!(engine_err, EngineError::BuildxMissing { platforms } if platforms == "linux/amd64,linux/arm64")
        );
        assert!(engine_err.help().expect("help").contains("buildx"));
        assert_eq!(
            engine.calls.borrow().as_slice(),
            [vec!["buildx".to_owned(), "version".to_owned()]]
        );
    }

    #[test]
    fn one_other_platform_without_buildx_uses_the_classic_builder() {
        let engine = BuildxProbe {
            installed: false,
            calls: RefCell::default(),
        };
        let other = if Platform::host() == Some(Platform::LinuxArm64) {
            Platform::LinuxAmd64
        } else {
            Platform::LinuxArm64
        };
        let builder = choose_builder(&engine, &[other], &args("k:1")).expect("classic builder");
        assert_eq!(builder, Builder::Local);
    }

    #[test]
    fn several_platforms_with_buildx_need_push() {
        let engine = BuildxProbe {
            installed: true,
            calls: RefCell::default(),
        };
        let platforms = [Platform::LinuxAmd64, Platform::LinuxArm64];
        let err = choose_builder(&engine, &platforms, &args("k:1")).expect_err("needs push");
        assert!(
            err.to_string()
                .contains("cannot be loaded into the local engine"),
            "{err}"
        );
        let mut pushing = args("registry.example/k:1");
        pushing.push = true;
        assert_eq!(
            choose_builder(&engine, &platforms, &pushing).ok(),
            Some(Builder::Buildx)
        );
    }

    #[test]
    fn host_platform_builds_locally_without_asking_for_buildx() {
        let engine = BuildxProbe {
            installed: false,
            calls: RefCell::default(),
        };
        let host = Platform::host().expect("test machine is amd64 or arm64");
        assert_eq!(
            choose_builder(&engine, &[host], &args("k:1")).ok(),
            Some(Builder::Local)
        );
        assert!(engine.calls.borrow().is_empty());
    }

    #[test]
    fn local_build_args_for_a_url() {
        let mut a = args("kafka:4.1.0");
        a.recipe.network = Some("host".into());
        a.recipe.kafka_keys = "/tmp/KEYS".into();
        let source = KafkaSource::Url("http://127.0.0.1:8000/kafka_2.13-4.1.0.tgz".into());
        let argv = docker_build_args(&BuildPlan {
            args: &a,
            builder: Builder::Local,
            platforms: &[Platform::LinuxAmd64],
            source: &source,
            kafka_version: Some(v("4.1.0")),
            build_date: "2026-11-25T00:00:00Z",
            context: Path::new("/ctx"),
            iid_file: Path::new("/iid"),
        });
        let expected: Vec<String> = [
            "build",
            "--force-rm",
            "--tag",
            "kafka:4.1.0",
            "--iidfile",
            "/iid",
            "--network",
            "host",
            "--build-arg",
            "BASE_IMAGE=debian:trixie-slim",
            "--build-arg",
            "JDK_IMAGE=debian:trixie-slim",
            "--build-arg",
            "jdk=25",
            "--build-arg",
            "kafka_url=http://127.0.0.1:8000/kafka_2.13-4.1.0.tgz",
            "--build-arg",
            "kafka_source=apache-release",
            "--build-arg",
            "kafka_cli_scripts=present",
            "--build-arg",
            "keys_url=https://downloads.apache.org/kafka/KEYS",
            "--build-arg",
            "skip_cds=false",
            "--build-arg",
            "kafka_version=4.1.0",
            "--build-arg",
            "build_date=2026-11-25T00:00:00Z",
            "--build-arg",
            "TARGETARCH=amd64",
            "/ctx",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(argv, expected);
    }

    #[test]
    fn jdk_21_and_a_jdk_image_reach_the_build_args() {
        let mut a = args("k:21");
        a.recipe.jdk = Jdk::Jdk21;
        a.jdk_image = "eclipse-temurin:21-jdk".into();
        let source = KafkaSource::Url("https://example.invalid/kafka_2.13-4.4.0.tgz".into());
        let argv = docker_build_args(&BuildPlan {
            args: &a,
            builder: Builder::Local,
            platforms: &[Platform::LinuxAmd64],
            source: &source,
            kafka_version: None,
            build_date: "d",
            context: Path::new("/ctx"),
            iid_file: Path::new("/iid"),
        });
        for expected in ["jdk=21", "JDK_IMAGE=eclipse-temurin:21-jdk"] {
            assert!(argv.contains(&expected.to_owned()), "{expected}: {argv:?}");
        }
    }

    #[test]
    fn buildx_build_args_push_every_platform() {
        let mut a = args("registry.example/kafka:4.1.0");
        a.push = true;
        let source = KafkaSource::Tarball("/t/kafka_2.13-4.1.0.tgz".into());
        let argv = docker_build_args(&BuildPlan {
            args: &a,
            builder: Builder::Buildx,
            platforms: &[Platform::LinuxAmd64, Platform::LinuxArm64],
            source: &source,
            kafka_version: None,
            build_date: "d",
            context: Path::new("/ctx"),
            iid_file: Path::new("/iid"),
        });
        assert_eq!(
            argv[..6],
            [
                "buildx",
                "build",
                "--progress=plain",
                "--platform",
                "linux/amd64,linux/arm64",
                "--push"
            ]
        );
        assert!(argv.contains(&"kafka_url=".to_owned()));
        assert!(argv.contains(&"kafka_version=unknown".to_owned()));
        assert!(
            !argv.iter().any(|a| a.starts_with("TARGETARCH=")),
            "buildx sets TARGETARCH itself"
        );
    }

    #[test]
    fn maven_source_is_said_in_build_args_and_has_no_signature_in_the_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tarball = dir.path().join("kafka_2.13-4.4.0.tgz");
        std::fs::write(&tarball, b"tgz").expect("write");
        std::fs::write(dir.path().join("kafka_2.13-4.4.0.tgz.sha512"), b"sha").expect("write");
        let source = KafkaSource::Maven(tarball);
        let a = args("k:maven");
        let argv = docker_build_args(&BuildPlan {
            args: &a,
            builder: Builder::Local,
            platforms: &[Platform::LinuxAmd64],
            source: &source,
            kafka_version: Some(v("4.4.0")),
            build_date: "d",
            context: Path::new("/ctx"),
            iid_file: Path::new("/iid"),
        });
        for expected in [
            "kafka_url=",
            "kafka_source=maven-central",
            "kafka_cli_scripts=absent",
        ] {
            assert!(argv.contains(&expected.to_owned()), "{expected}: {argv:?}");
        }
        let context = context_in(dir.path(), &source);
        assert!(context.join("dist/kafka.tgz").is_file());
        assert!(context.join("dist/kafka.tgz.sha512").is_file());
        assert!(!context.join("dist/kafka.tgz.asc").exists());
        assert!(
            context
                .join("metrics/jmx_prometheus_javaagent.jar")
                .is_file()
        );
        assert_eq!(
            detect_release(&source).expect("release").map(|r| r.version),
            Some(v("4.4.0"))
        );
    }

    #[test]
    fn maven_repo_needs_a_url_before_anything_runs() {
        let mut a = args("k:maven");
        a.recipe.kafka_maven = Some(v("4.4.0"));
        a.recipe.maven_repo = Some("repo.example.com".into());
        let err = kafka_source(&a).expect_err("bad url");
        assert!(err.to_string().contains("`--maven-repo`"), "{err}");
        a.recipe.maven_repo = None;
        assert_eq!(
            kafka_source(&a).ok(),
            Some(KafkaSource::Maven(PathBuf::from(
                "target/kafka-dist/kafka_2.13-4.4.0.tgz"
            )))
        );
    }

    #[test]
    fn build_steps_from_both_builders() {
        assert_eq!(
            BuildStep::parse("Step 17/37 : RUN fetch-kafka.sh"),
            Some(BuildStep {
                done: 17,
                total: 37,
                instruction: "RUN fetch-kafka.sh".into()
            })
        );
        assert_eq!(
            BuildStep::parse("#12 [kafka 4/9] COPY dist/ /tmp/dist/"),
            Some(BuildStep {
                done: 4,
                total: 9,
                instruction: "COPY dist/ /tmp/dist/".into()
            })
        );
        assert_eq!(BuildStep::parse("#12 DONE 0.1s"), None);
        assert_eq!(BuildStep::parse(" ---> Running in 4c770516ffd7"), None);
    }

    #[test]
    fn script_problems_without_builder_prefixes() {
        let classic = strip_ansi("\u{1b}[91merror: SHA-512 of `x` does not match\n\u{1b}[0m");
        assert_eq!(
            script_problem(&classic),
            Some("error: SHA-512 of `x` does not match")
        );
        assert_eq!(
            script_problem("#9 0.512 help: download both again"),
            Some("help: download both again")
        );
        assert_eq!(script_problem("SHA-512 verified: abc"), None);
    }

    #[test]
    fn sizes_in_decimal_units() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(301_606_350), "301.6 MB");
    }

    #[test]
    fn variables_of_cargo_run_are_not_passed_to_the_nested_build() {
        for name in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_CRATE_NAME",
        ] {
            assert!(is_cargo_run_variable(name), "{name}");
        }
        // The user's own cargo configuration stays.
        for name in [
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_JOBS",
            "RUSTFLAGS",
            "PATH",
        ] {
            assert!(!is_cargo_run_variable(name), "{name}");
        }
    }

    #[test]
    fn cargo_artifact_is_found() {
        let out = r#"{"reason":"compiler-artifact","target":{"name":"kafka-config"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"kafka-entrypoint"},"executable":"/t/x86_64-unknown-linux-musl/release/kafka-entrypoint"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            entrypoint_artifact(out),
            Some(PathBuf::from(
                "/t/x86_64-unknown-linux-musl/release/kafka-entrypoint"
            ))
        );
        assert_eq!(entrypoint_artifact(r#"{"reason":"build-finished"}"#), None);
    }

    #[test]
    fn tarball_without_signature_is_refused_before_docker() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tarball = dir.path().join("kafka_2.13-4.1.0.tgz");
        std::fs::write(&tarball, b"x").expect("write");
        std::fs::write(dir.path().join("kafka_2.13-4.1.0.tgz.sha512"), b"x").expect("write");
        let mut a = args("k:1");
        a.recipe.kafka_tarball = Some(tarball);
        let err = kafka_source(&a).expect_err("no .asc");
        assert!(
            err.to_string()
                .contains("kafka_2.13-4.1.0.tgz.asc` is missing"),
            "{err}"
        );
    }

    /// The build context for `source`, assembled in `dir/ctx` with a stand-in entrypoint binary
    /// and exporter agent.
    fn context_in(dir: &Path, source: &KafkaSource) -> PathBuf {
        let bin = dir.join("kafka-entrypoint");
        std::fs::write(&bin, b"\x7fELF").expect("write");
        let agent = dir.join("agent.jar");
        std::fs::write(&agent, b"PK").expect("write");
        let context = dir.join("ctx");
        assemble_context(
            &context,
            source,
            APACHE_KEYS_URL,
            &[(Platform::LinuxAmd64, bin)],
            &agent,
        )
        .expect("assembled");
        context
    }

    #[test]
    fn context_holds_everything_the_dockerfile_copies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = KafkaSource::Url("https://example.invalid/kafka_2.13-4.1.0.tgz".into());
        let context = context_in(dir.path(), &source);
        for line in DOCKERFILE
            .lines()
            .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
        {
            let src = line
                .split_whitespace()
                .nth(1)
                .expect("source")
                .replace("${TARGETARCH}", "amd64");
            assert!(
                context.join(&src).exists(),
                "context lacks `{src}` for `{line}`"
            );
        }
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(context.join("bin/amd64/kafka-entrypoint"))
            .expect("bin")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
}
