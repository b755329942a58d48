//! `kafka-image promote SRC DST`: copy a released image, every platform of its manifest list, from
//! the staging repository to its final name, then verify the digests.
//!
//! Two ways to copy ([`Copier`]): the built-in registry client (plain HTTP, loopback registries;
//! blobs are mounted across repositories, manifests are put byte for byte), and
//! `docker buildx imagetools create` for registries behind TLS and logins (GitHub Actions).
//! Either way the result is re-read and its digest compared with the source's.
//!
//! An image built from the FIXTURE distribution is refused before anything is copied.
//!
//! Exit codes: 0 copied and verified; 2 anything else.

use std::process::ExitCode;

use anyhow::{Context as _, ensure};

use crate::engine::{ContainerEngine, DockerCli, strings};
use crate::registry::http::{CopySummary, RegistryHttp};
use crate::registry::{ImageRef, sha256_digest};
use crate::shell::Shell;

/// How the copy is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Copier {
    /// Built-in client when both images are on a loopback registry, else imagetools.
    Auto,
    /// The built-in registry HTTP client (loopback registries only).
    Http,
    /// `docker buildx imagetools create` (any registry `docker login` reaches).
    Imagetools,
}

/// `--help` text after the options: examples and exit codes.
const AFTER_HELP: &str = r#"Examples:
  $ kafka-image promote 127.0.0.1:5000/kafka/staging:4.1.0-rc1 127.0.0.1:5000/kafka/kafka:4.1.0
  $ kafka-image promote ghcr.io/o/kafka-staging:4.1.0-rc1 docker.io/o/kafka:4.1.0 --with imagetools

Exit status: 0 copied and verified, 2 anything else."#;

/// Copy a multi-platform image from the staging repository to its final name, verifying digests.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct PromoteArgs {
    /// The release candidate (`REGISTRY/REPO:TAG` or `@sha256:…`).
    source: String,
    /// The final name (`REGISTRY/REPO:TAG`).
    target: String,
    /// How to copy.
    #[arg(long = "with", value_enum, default_value = "auto")]
    copier: Copier,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub(crate) fn main(args: &PromoteArgs) -> ExitCode {
    let shell = Shell::new(args.json);
    match run(args, &shell) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            shell.print_error(&err);
            ExitCode::from(2)
        }
    }
}

fn run(args: &PromoteArgs, shell: &Shell) -> anyhow::Result<()> {
    let source: ImageRef = args.source.parse()?;
    let target: ImageRef = args.target.parse()?;
    let use_http = match args.copier {
        Copier::Http => true,
        Copier::Imagetools => false,
        Copier::Auto => {
            RegistryHttp::for_image(&source).is_ok() && source.registry == target.registry
        }
    };
    let engine = DockerCli::connect().context("cannot check what `promote` would copy")?;
    let refuse_fixture = || -> anyhow::Result<()> {
        match crate::sanity::fixture_version(&engine, &args.source)? {
            Some(version) => Err(crate::sanity::refuse_fixture(&args.source, &version)),
            None => Ok(()),
        }
    };
    let progress = shell.progress("Promoting", &format!("{source} -> {target}"), None);
    let summary = if use_http {
        let registry = RegistryHttp::for_image(&source)?;
        // The source must exist (a clear error if not) before it is looked into.
        registry.get_manifest(&source.repository, &source.reference)?;
        refuse_fixture()?;
        let summary = registry
            .copy(&source, &target)
            .with_context(|| format!("failed to copy `{source}` to `{target}`"))?;
        registry
            .verify(&target, &summary)
            .with_context(|| format!("`{target}` does not match `{source}` after the copy"))?;
        summary
    } else {
        refuse_fixture()?;
        copy_with_imagetools(&engine, &source, &target)?
    };
    progress.finish();
    let platforms = if summary.platforms.is_empty() {
        "single platform".to_owned()
    } else {
        summary.platforms.join(", ")
    };
    shell.print_result(
        &format!("{target}: {} ({platforms}), verified", summary.digest),
        &summary,
    );
    Ok(())
}

/// `docker buildx imagetools create --tag TARGET SOURCE`, then compare the raw manifests' digests.
fn copy_with_imagetools(
    engine: &dyn ContainerEngine,
    source: &ImageRef,
    target: &ImageRef,
) -> anyhow::Result<CopySummary> {
    ensure!(
        engine.has_buildx(),
        "`--with imagetools` needs `docker buildx`, which is not installed"
    );
    let raw_digest = |image: &ImageRef| -> anyhow::Result<String> {
        let raw = engine.output(&strings(&[
            "buildx",
            "imagetools",
            "inspect",
            "--raw",
            &image.to_string(),
        ]))?;
        Ok(sha256_digest(raw.trim_end_matches('\n').as_bytes()))
    };
    let digest = raw_digest(source)?;
    engine
        .output(&strings(&[
            "buildx",
            "imagetools",
            "create",
            "--tag",
            &target.to_string(),
            &source.to_string(),
        ]))
        .with_context(|| format!("failed to copy `{source}` to `{target}`"))?;
    let copied = raw_digest(target)?;
    ensure!(
        copied == digest,
        "`{target}` has digest `{copied}` after the copy, `{source}` has `{digest}`"
    );
    Ok(CopySummary {
        digest,
        platforms: Vec::new(),
        manifests: Vec::new(),
        blobs_copied: 0,
        blobs_present: 0,
    })
}
