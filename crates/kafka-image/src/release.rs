//! `kafka-image release --kafka-url URL --repo REPO --tag TAG`: build, test and push a release
//! candidate to a staging repository, shipping exactly the images that were tested.
//!
//! Each platform of `--platform` is built once, into the local engine (`build --platform P`,
//! this same program's verb run as a child process; the classic builder builds another
//! platform when its base image is local and the machine runs its programs under qemu-user),
//! or taken from `--from-image` (matched by the image's own platform). Each image is tested by
//! its id: the host's platform by the whole sanity suite (or `--test-case`), every other one by
//! the `smoke` case under emulation; a platform named by `--push-untested-platform` is not run
//! and the result says so. Nothing is pushed unless every run passed. Then exactly those images
//! are pushed (`REPO:TAG-<os>-<arch>`, after checking each tag still names the tested id), each
//! pushed manifest's config digest is checked to be the tested image id, and a manifest list
//! naming exactly those manifests is pushed as `REPO:TAG`. Its digest is printed and is what
//! `promote` copies (`promote REPO@DIGEST …`). The result is also written to the report
//! directory as `release.json`, each platform marked `suite`, `smoke` or `untested`.
//!
//! The manifest list is put with the built-in registry client on a loopback registry, else with
//! `docker manifest create` + `push`.
//!
//! An image built from the FIXTURE distribution is refused before the suite runs.
//!
//! Exit codes: 0 pushed; 1 the sanity suite failed (nothing pushed); 2 anything else.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail, ensure};

use crate::build::{Platform, RecipeArgs};
use crate::engine::{ContainerEngine, DockerCli, strings};
use crate::registry::http::{RegistryHttp, StoredManifest};
use crate::registry::{ImageRef, sha256_digest};
use crate::shell::{Shell, UserError};

/// `--help` text after the options: examples and exit codes.
const AFTER_HELP: &str = r#"Examples:
  $ kafka-image release --kafka-url https://downloads.apache.org/kafka/4.1.0/kafka_2.13-4.1.0.tgz \
      --repo ghcr.io/o/kafka-staging --tag 4.1.0-rc1 --platform linux/amd64,linux/arm64
  $ kafka-image release --kafka-maven 4.4.0 \
      --jdk-image kafka-image-test-base:trixie-jdk25 \
      --base-image kafka-image-test-base:trixie-slim \
      --jdk-image linux/arm64=kafka-image-test-base:trixie-jdk25-arm64 \
      --base-image linux/arm64=kafka-image-test-base:trixie-slim-arm64 \
      --platform linux/amd64,linux/arm64 --repo 127.0.0.1:5000/kafka/staging --tag 4.4.0-rc1
  $ kafka-image release --from-image kafka:local --repo 127.0.0.1:5000/kafka/staging --tag rc1

Exit status: 0 pushed, 1 the sanity suite failed (nothing pushed), 2 anything else."#;

/// Build, test and push a release candidate image to a staging repository.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["kafka_url", "kafka_tarball", "kafka_maven", "from_image"])))]
pub(crate) struct ReleaseArgs {
    /// What each platform's image is made from and how (the options of `build`).
    #[command(flatten)]
    recipe: RecipeArgs,
    /// The base image (as `build --base-image`); `PLATFORM=IMAGE` sets it for one platform
    /// (repeatable), e.g. a local arm64 base for the classic builder.
    #[arg(long, value_name = "[PLATFORM=]IMAGE")]
    base_image: Vec<String>,
    /// The image the Java runtime is linked and the archive trained in (as `build --jdk-image`);
    /// `PLATFORM=IMAGE` sets it for one platform (repeatable).
    #[arg(long, value_name = "[PLATFORM=]IMAGE")]
    jdk_image: Vec<String>,
    /// Release images already built locally instead of building them: one per platform of
    /// `--platform`, matched by the image's own platform (repeatable).
    #[arg(long, value_name = "IMAGE")]
    from_image: Vec<String>,
    /// Staging repository (`REGISTRY/PATH`).
    #[arg(long, value_name = "REPO")]
    repo: String,
    /// Tag of the release candidate (`4.1.0-rc1`).
    #[arg(long, value_name = "TAG")]
    tag: String,
    /// Platforms to release, comma-separated.
    #[arg(
        long,
        value_name = "PLATFORMS",
        value_delimiter = ',',
        default_value = "linux/amd64"
    )]
    platform: Vec<Platform>,
    /// Push this platform without running anything on it (repeatable); the result and the
    /// report list it as UNTESTED.
    #[arg(long, value_name = "PLATFORM")]
    push_untested_platform: Vec<Platform>,
    /// Directory for the sanity suite's reports (the host platform's; other platforms' in
    /// `DIR/<os>-<arch>`).
    #[arg(long, value_name = "DIR", default_value = "reports/release")]
    report: PathBuf,
    /// Run only these sanity cases on the host platform (repeatable; default: all).
    #[arg(long, value_name = "CASE")]
    test_case: Vec<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What was run on one platform's image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
enum Tested {
    /// The sanity suite (or the `--test-case` selection) on the host.
    Suite,
    /// The `smoke` case, under emulation.
    Smoke,
    /// Nothing: named by `--push-untested-platform`.
    Untested,
}

/// One platform of the release.
#[derive(Debug, serde::Serialize)]
struct PlatformImage {
    platform: String,
    /// The local image id that was tested, and pushed.
    image_id: String,
    /// `REPO:TAG-<os>-<arch>`.
    pushed_as: String,
    /// The digest of its pushed manifest.
    manifest_digest: Option<String>,
    tested: Tested,
    report: Option<PathBuf>,
}

/// What `--json` prints.
#[derive(Debug, serde::Serialize)]
struct ReleaseSummary {
    image: String,
    /// The digest of the manifest list `REPO:TAG`: what `promote` copies.
    digest: String,
    platforms: Vec<PlatformImage>,
    untested_platforms: Vec<String>,
    report: PathBuf,
}

/// Runs the subcommand.
pub(crate) fn main(args: &ReleaseArgs) -> ExitCode {
    let shell = Shell::new(args.json);
    match run(args, &shell) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            shell.print_error(&err);
            let suite_failed = err
                .chain()
                .any(|c| c.downcast_ref::<SuiteFailed>().is_some());
            ExitCode::from(if suite_failed { 1 } else { 2 })
        }
    }
}

/// The sanity suite failed, so nothing was pushed.
#[derive(Debug, thiserror::Error)]
#[error("the sanity suite failed for `{image}` ({platform}); nothing was pushed (see `{report}`)")]
struct SuiteFailed {
    image: String,
    platform: String,
    report: String,
}

fn run_self(
    shell: &Shell,
    verb: &str,
    args: &[String],
) -> anyhow::Result<std::process::ExitStatus> {
    let exe = std::env::current_exe().context("failed to find the kafka-image executable")?;
    shell.status("Running", format!("kafka-image {verb} {}", args.join(" ")));
    // The steps' own results go to stderr: stdout carries only the release's result (`--json`).
    Command::new(&exe)
        .arg(verb)
        .args(args)
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .with_context(|| format!("failed to run `{} {verb}`", exe.display()))
}

/// `linux-arm64`: the platform in tags and report directory names.
fn slug(platform: Platform) -> String {
    platform.to_string().replace('/', "-")
}

/// The `build` flags for `platform`: the release's recipe, and the base and JDK images for
/// that platform.
fn build_flags(args: &ReleaseArgs, platform: Platform, tag: &str) -> Vec<String> {
    let mut flags = strings(&["--tag", tag, "--platform", &platform.to_string()]);
    flags.extend(args.recipe.to_build_flags());
    if let Some(base) = image_for_platform(&args.base_image, platform) {
        flags.extend(["--base-image".to_owned(), base]);
    }
    if let Some(jdk_image) = image_for_platform(&args.jdk_image, platform) {
        flags.extend(["--jdk-image".to_owned(), jdk_image]);
    }
    flags
}

/// The `--base-image` or `--jdk-image` for `platform`: its `PLATFORM=IMAGE`, else the plain
/// `IMAGE`, else none (build's default).
fn image_for_platform(given: &[String], platform: Platform) -> Option<String> {
    let wanted = format!("{platform}=");
    given
        .iter()
        .find_map(|b| b.strip_prefix(&wanted).map(str::to_owned))
        .or_else(|| {
            given
                .iter()
                .find(|b| !b.contains('='))
                .map(ToString::to_string)
        })
}

/// `os/architecture` of a local image.
fn image_platform(engine: &dyn ContainerEngine, image: &str) -> anyhow::Result<String> {
    let out = engine
        .output(&strings(&[
            "image",
            "inspect",
            "--format",
            "{{.Os}}/{{.Architecture}}",
            image,
        ]))
        .with_context(|| format!("`{image}` is not in the local image store"))?;
    Ok(out.trim().to_owned())
}

/// The local image of each platform, tagged `REPO:TAG-<os>-<arch>`: built, or taken from
/// `--from-image`.
fn images(
    args: &ReleaseArgs,
    engine: &dyn ContainerEngine,
    shell: &Shell,
    platforms: &[Platform],
) -> anyhow::Result<Vec<(Platform, String)>> {
    let mut local_platforms = Vec::new();
    for image in &args.from_image {
        local_platforms.push((image.clone(), image_platform(engine, image)?));
    }
    let mut images = Vec::new();
    for platform in platforms {
        let tag = format!("{}:{}-{}", args.repo, args.tag, slug(*platform));
        if args.from_image.is_empty() {
            let status = run_self(shell, "build", &build_flags(args, *platform, &tag))?;
            if !status.success() {
                bail!("`kafka-image build` failed for `{tag}` ({status})");
            }
        } else {
            let Some((local, _)) = local_platforms
                .iter()
                .find(|(_, p)| *p == platform.to_string())
            else {
                return Err(UserError {
                    message: format!("no `--from-image` is a {platform} image"),
                    help: format!(
                        "the images given are: {}",
                        local_platforms
                            .iter()
                            .map(|(image, p)| format!("{image} ({p})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
                .into());
            };
            engine
                .output(&strings(&["tag", local, &tag]))
                .with_context(|| format!("failed to tag `{local}` as `{tag}`"))?;
        }
        let built = image_platform(engine, &tag)?;
        ensure!(
            built == platform.to_string(),
            "`{tag}` is a {built} image, not {platform}: the builder ignored the platform (is its \
             base image local for {platform}?)"
        );
        if let Some(version) = crate::sanity::fixture_version(engine, &tag)? {
            return Err(crate::sanity::refuse_fixture(&tag, &version));
        }
        images.push((*platform, tag));
    }
    Ok(images)
}

fn run(args: &ReleaseArgs, shell: &Shell) -> anyhow::Result<()> {
    let image = format!("{}:{}", args.repo, args.tag);
    let reference: ImageRef = image.parse()?;
    let mut platforms = args.platform.clone();
    platforms.dedup();
    if let Some(stray) = args
        .push_untested_platform
        .iter()
        .find(|p| !platforms.contains(p))
    {
        return Err(UserError {
            message: format!("`--push-untested-platform {stray}` is not one of `--platform`"),
            help: "name only platforms that are released".to_owned(),
        }
        .into());
    }
    let engine = DockerCli::connect().context("cannot release")?;
    let images = images(args, &engine, shell, &platforms)?;
    let host = Platform::host();
    let mut tested = Vec::new();
    for (platform, tag) in &images {
        // The id is what is tested, and the push checks the tag still names it.
        let id = engine
            .inspect_image(tag)?
            .with_context(|| format!("`{tag}` is not in the local image store"))?
            .id;
        let (kind, report) = if args.push_untested_platform.contains(platform) {
            shell.warn(format!("{platform}: not tested (--push-untested-platform)"));
            (Tested::Untested, None)
        } else {
            let (kind, report) = if Some(*platform) == host {
                (Tested::Suite, args.report.clone())
            } else {
                (Tested::Smoke, args.report.join(slug(*platform)))
            };
            run_suite(shell, &id, *platform, kind, &report, &args.test_case, tag)?;
            (kind, Some(report))
        };
        tested.push(PlatformImage {
            platform: platform.to_string(),
            image_id: id,
            pushed_as: tag.clone(),
            manifest_digest: None,
            tested: kind,
            report,
        });
    }
    let mut children = Vec::new();
    for entry in &mut tested {
        let (digest, size, media_type) = push_tested(&engine, shell, entry)?;
        entry.manifest_digest = Some(digest.clone());
        children.push(IndexEntry {
            platform: entry.platform.clone(),
            digest,
            size,
            media_type,
        });
    }
    let digest = push_index(&engine, &reference, &children)?;
    let untested: Vec<String> = tested
        .iter()
        .filter(|p| p.tested == Tested::Untested)
        .map(|p| p.platform.clone())
        .collect();
    let mut human = format!("released {image} ({digest})");
    for entry in &tested {
        let how = match entry.tested {
            Tested::Suite => "tested: sanity suite",
            Tested::Smoke => "tested: smoke, emulated",
            Tested::Untested => "UNTESTED",
        };
        human.push_str(&format!(
            "\n  {} {} ({how})",
            entry.platform,
            entry.manifest_digest.as_deref().unwrap_or_default()
        ));
    }
    let summary = ReleaseSummary {
        image,
        digest,
        platforms: tested,
        untested_platforms: untested,
        report: args.report.clone(),
    };
    // The reports keep what was released and what ran on each platform (UNTESTED included).
    let json = serde_json::to_string_pretty(&summary).context("failed to render the result")?;
    crate::report::write_report_file(&args.report, "release.json", &json)?;
    shell.print_result(&human, &summary);
    Ok(())
}

/// Runs `test ID` (the suite, or `--only smoke`) and turns its exit code into the release's.
fn run_suite(
    shell: &Shell,
    id: &str,
    platform: Platform,
    kind: Tested,
    report: &std::path::Path,
    cases: &[String],
    tag: &str,
) -> anyhow::Result<()> {
    let mut test = vec![
        id.to_owned(),
        "--report".to_owned(),
        report.display().to_string(),
    ];
    let cases: Vec<String> = match kind {
        Tested::Smoke => vec!["smoke".to_owned()],
        _ => cases.to_vec(),
    };
    for case in cases {
        test.extend(["--only".to_owned(), case]);
    }
    let status = run_self(shell, "test", &test)?;
    match status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(SuiteFailed {
            image: tag.to_owned(),
            platform: platform.to_string(),
            report: report.join("report.html").display().to_string(),
        }
        .into()),
        _ => bail!("`kafka-image test` could not run for `{tag}` ({platform}, {status})"),
    }
}

/// One entry of the manifest list.
struct IndexEntry {
    platform: String,
    digest: String,
    size: u64,
    media_type: String,
}

/// Pushes the tested image of `entry` (its tag must still name the tested id); returns the
/// pushed manifest's digest, size and media type. On a loopback registry the manifest is read
/// back and its config digest checked to be the tested image id.
fn push_tested(
    engine: &dyn ContainerEngine,
    shell: &Shell,
    entry: &PlatformImage,
) -> anyhow::Result<(String, u64, String)> {
    let tag = &entry.pushed_as;
    let now = engine.inspect_image(tag)?.map(|summary| summary.id);
    if now.as_deref() != Some(entry.image_id.as_str()) {
        bail!(
            "`{tag}` changed while it was tested (tested {}, now {}); nothing more was pushed",
            entry.image_id,
            now.as_deref().unwrap_or("missing")
        );
    }
    let progress = shell.progress("Pushing", tag, None);
    let mut pushed = None;
    let result = engine.stream(&strings(&["push", tag]), &[], &mut |line| {
        progress.message(line);
        if let Some(found) = parse_push_digest(line) {
            pushed = Some(found);
        }
    });
    progress.finish();
    result.with_context(|| format!("failed to push `{tag}`"))?;
    let (digest, size) =
        pushed.with_context(|| format!("`docker push {tag}` printed no manifest digest"))?;
    let reference: ImageRef = tag.parse()?;
    let media_type = match RegistryHttp::for_image(&reference) {
        Ok(registry) => {
            let manifest = registry.get_manifest(&reference.repository, &digest)?;
            let json: serde_json::Value = serde_json::from_slice(&manifest.bytes)
                .with_context(|| format!("manifest `{digest}` of `{tag}` is not JSON"))?;
            let config = json["config"]["digest"].as_str().unwrap_or_default();
            ensure!(
                config == entry.image_id,
                "`{tag}` was pushed as `{digest}` whose image is `{config}`, not the tested `{}`",
                entry.image_id
            );
            manifest.media_type
        }
        // `docker push` of a local image writes a Docker v2 manifest.
        Err(_) => crate::registry::MANIFEST_TYPES[0].to_owned(),
    };
    Ok((digest, size, media_type))
}

/// `(digest, size)` from `docker push`'s last line (`TAG: digest: sha256:… size: 1234`).
fn parse_push_digest(line: &str) -> Option<(String, u64)> {
    let (_, rest) = line.split_once("digest: ")?;
    let (digest, size) = rest.split_once(" size: ")?;
    Some((digest.trim().to_owned(), size.trim().parse().ok()?))
}

/// The manifest list (Docker) or image index (OCI) naming exactly `entries`.
fn index_manifest(entries: &[IndexEntry]) -> StoredManifest {
    let oci = entries
        .iter()
        .all(|e| e.media_type == "application/vnd.oci.image.manifest.v1+json");
    let media_type = if oci {
        crate::registry::INDEX_TYPES[1]
    } else {
        crate::registry::INDEX_TYPES[0]
    };
    let manifests: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let (os, architecture) = e.platform.split_once('/').unwrap_or(("linux", &e.platform));
            serde_json::json!({
                "mediaType": e.media_type,
                "digest": e.digest,
                "size": e.size,
                "platform": { "architecture": architecture, "os": os },
            })
        })
        .collect();
    let bytes = serde_json::to_vec_pretty(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": manifests,
    }))
    .unwrap_or_default();
    StoredManifest {
        digest: sha256_digest(&bytes),
        bytes,
        media_type: media_type.to_owned(),
    }
}

/// Pushes the manifest list of `entries` as `reference`; returns its digest.
fn push_index(
    engine: &dyn ContainerEngine,
    reference: &ImageRef,
    entries: &[IndexEntry],
) -> anyhow::Result<String> {
    if let Ok(registry) = RegistryHttp::for_image(reference) {
        let index = index_manifest(entries);
        let stored = registry
            .put_manifest(&reference.repository, &reference.reference, &index)
            .with_context(|| format!("failed to push the manifest list `{reference}`"))?;
        ensure!(
            stored == index.digest,
            "the registry stored `{reference}` as `{stored}`, expected `{}`",
            index.digest
        );
        return Ok(stored);
    }
    let name = reference.to_string();
    let base = format!("{}/{}", reference.registry, reference.repository);
    let mut create = strings(&["manifest", "create", "--amend", &name]);
    create.extend(entries.iter().map(|e| format!("{base}@{}", e.digest)));
    engine
        .output(&create)
        .with_context(|| format!("failed to make the manifest list `{name}`"))?;
    let out = engine
        .output(&strings(&["manifest", "push", "--purge", &name]))
        .with_context(|| format!("failed to push the manifest list `{name}`"))?;
    let digest = out.trim().lines().last().unwrap_or_default().to_owned();
    ensure!(
        crate::registry::is_sha256_digest(&digest),
        "`docker manifest push {name}` printed no digest:\n{out}"
    );
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_digest_is_read_from_dockers_last_line() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            parse_push_digest(&format!("rc1-linux-amd64: digest: {digest} size: 1573")),
            Some((digest, 1573))
        );
        assert_eq!(parse_push_digest("a1b2c3: Pushed"), None);
    }

    #[test]
    fn base_image_for_a_platform_wins_over_the_plain_one() {
        let given = strings(&["base:amd64", "linux/arm64=base:arm64"]);
        assert_eq!(
            image_for_platform(&given, Platform::LinuxArm64).as_deref(),
            Some("base:arm64")
        );
        assert_eq!(
            image_for_platform(&given, Platform::LinuxAmd64).as_deref(),
            Some("base:amd64")
        );
        assert_eq!(image_for_platform(&[], Platform::LinuxAmd64), None);
    }

    #[test]
    fn the_jdk_and_its_image_reach_each_platforms_build() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            release: ReleaseArgs,
        }
        let cli = <Cli as clap::Parser>::try_parse_from([
            "release",
            "--kafka-maven",
            "4.4.0",
            "--repo",
            "127.0.0.1:5000/k",
            "--tag",
            "rc1",
            "--jdk",
            "21",
            "--jdk-image",
            "jdk:amd64",
            "--jdk-image",
            "linux/arm64=jdk:arm64",
        ])
        .unwrap();
        let arm64 = build_flags(&cli.release, Platform::LinuxArm64, "t");
        let amd64 = build_flags(&cli.release, Platform::LinuxAmd64, "t");
        for (flags, image) in [(arm64, "jdk:arm64"), (amd64, "jdk:amd64")] {
            let pair = |flag: &str| {
                flags
                    .windows(2)
                    .find(|w| w[0] == flag)
                    .map(|w| w[1].clone())
            };
            assert_eq!(pair("--jdk").as_deref(), Some("21"), "{flags:?}");
            assert_eq!(pair("--jdk-image").as_deref(), Some(image), "{flags:?}");
        }
    }

    #[test]
    fn each_platforms_build_gets_the_recipe_the_release_was_given() {
        #[derive(clap::Parser)]
        struct Release {
            #[command(flatten)]
            release: ReleaseArgs,
        }
        #[derive(clap::Parser)]
        struct Build {
            #[command(flatten)]
            build: crate::build::BuildArgs,
        }
        let release = <Release as clap::Parser>::try_parse_from([
            "release",
            "--kafka-maven",
            "4.4.0",
            "--maven-repo",
            "http://127.0.0.1:8081/maven",
            "--dist-dir",
            "/tmp/dists",
            "--kafka-keys",
            "/tmp/KEYS",
            "--jdk",
            "21",
            "--network",
            "host",
            "--skip-cds",
            "--repo",
            "127.0.0.1:5000/k",
            "--tag",
            "rc1",
        ])
        .unwrap()
        .release;
        let flags = build_flags(&release, Platform::LinuxAmd64, "t");
        let build = <Build as clap::Parser>::try_parse_from(
            std::iter::once("build".to_owned()).chain(flags),
        )
        .unwrap()
        .build;
        assert_eq!(build.recipe, release.recipe);
        assert_eq!(build.recipe.dist_dir, PathBuf::from("/tmp/dists"));
        assert!(build.recipe.skip_cds);
    }

    #[test]
    fn a_release_needs_exactly_one_source() {
        #[derive(clap::Parser)]
        struct Release {
            #[command(flatten)]
            release: ReleaseArgs,
        }
        let parse = |extra: &[&str]| {
            let args = ["release", "--repo", "127.0.0.1:5000/k", "--tag", "rc1"];
            <Release as clap::Parser>::try_parse_from(args.iter().chain(extra)).map(|_| ())
        };
        assert!(parse(&[]).is_err());
        assert!(parse(&["--from-image", "kafka:local"]).is_ok());
        assert!(parse(&["--kafka-maven", "4.4.0"]).is_ok());
        assert!(parse(&["--kafka-maven", "4.4.0", "--from-image", "kafka:local"]).is_err());
        assert!(parse(&["--kafka-url", "https://x/k.tgz", "--kafka-tarball", "k.tgz"]).is_err());
    }

    #[test]
    fn index_names_exactly_the_pushed_manifests() {
        let entries = [
            IndexEntry {
                platform: "linux/amd64".to_owned(),
                digest: format!("sha256:{}", "a".repeat(64)),
                size: 10,
                media_type: crate::registry::MANIFEST_TYPES[0].to_owned(),
            },
            IndexEntry {
                platform: "linux/arm64".to_owned(),
                digest: format!("sha256:{}", "b".repeat(64)),
                size: 20,
                media_type: crate::registry::MANIFEST_TYPES[0].to_owned(),
            },
        ];
        let index = index_manifest(&entries);
        assert_eq!(index.media_type, crate::registry::INDEX_TYPES[0]);
        assert_eq!(index.digest, sha256_digest(&index.bytes));
        let listed = crate::registry::http::index_entries(&index).unwrap();
        assert_eq!(
            listed,
            [
                (entries[0].digest.clone(), "linux/amd64".to_owned()),
                (entries[1].digest.clone(), "linux/arm64".to_owned())
            ]
        );
    }
}
