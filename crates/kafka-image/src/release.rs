//! `kafka-image release --kafka-url URL --repo REPO --tag TAG`: build, test and push a release
//! candidate to a staging repository.
//!
//! The steps are this same program's verbs, run as child processes so each keeps its own output
//! and exit code: `build` (for the host platform, loaded locally), `test` (the whole sanity suite
//! on that image's id, reports in `--report`), then the push of that same id (the tag is checked
//! to still name it): `docker push` for one platform, or `build --platform …
//! --push` (buildx) for several. Nothing is pushed unless the suite passed. With a loopback
//! registry the pushed manifest is read back and its digest printed.
//!
//! An image built from the FIXTURE distribution is refused before the suite runs.
//!
//! Exit codes: 0 pushed; 1 the sanity suite failed (nothing pushed); 2 anything else.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

use crate::engine::{ContainerEngine, DockerCli, strings};
use crate::registry::ImageRef;
use crate::registry::http::RegistryHttp;
use crate::shell::{Shell, UserError};

/// `--help` text after the options: examples and exit codes.
const AFTER_HELP: &str = r#"Examples:
  $ kafka-image release --kafka-url https://downloads.apache.org/kafka/4.1.0/kafka_2.13-4.1.0.tgz \
      --repo ghcr.io/o/kafka-staging --tag 4.1.0-rc1 --platform linux/amd64,linux/arm64
  $ kafka-image release --from-image kafka:local --repo 127.0.0.1:5000/kafka/staging --tag rc1

Exit status: 0 pushed, 1 the sanity suite failed (nothing pushed), 2 anything else."#;

/// Build, test and push a release candidate image to a staging repository.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct ReleaseArgs {
    /// URL of the official Kafka release tarball.
    #[arg(long, value_name = "URL", required_unless_present_any = ["kafka_tarball", "from_image"])]
    kafka_url: Option<String>,
    /// A local Kafka release tarball instead of `--kafka-url`.
    #[arg(long, value_name = "FILE", conflicts_with = "kafka_url")]
    kafka_tarball: Option<PathBuf>,
    /// Release an image already built locally instead of building one (it is tagged REPO:TAG).
    #[arg(long, value_name = "IMAGE", conflicts_with_all = ["kafka_url", "kafka_tarball"])]
    from_image: Option<String>,
    /// Staging repository (`REGISTRY/PATH`).
    #[arg(long, value_name = "REPO")]
    repo: String,
    /// Tag of the release candidate (`4.1.0-rc1`).
    #[arg(long, value_name = "TAG")]
    tag: String,
    /// Platforms to push (several need `docker buildx`).
    #[arg(long, value_name = "PLATFORMS", default_value = "linux/amd64")]
    platform: String,
    /// Push this platform although the suite did not run on it (repeatable); the result lists
    /// it as untested. Every platform of `--platform` other than the host's needs it.
    #[arg(long, value_name = "PLATFORM")]
    push_untested_platform: Vec<String>,
    /// Directory for the sanity suite's reports.
    #[arg(long, value_name = "DIR", default_value = "reports/release")]
    report: PathBuf,
    /// Run only these sanity cases (repeatable; default: all).
    #[arg(long, value_name = "CASE")]
    test_case: Vec<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints.
#[derive(Debug, serde::Serialize)]
struct ReleaseSummary {
    image: String,
    platforms: Vec<String>,
    untested_platforms: Vec<String>,
    digest: Option<String>,
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
#[error("the sanity suite failed for `{image}`; nothing was pushed (see `{report}`)")]
struct SuiteFailed {
    image: String,
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

fn run(args: &ReleaseArgs, shell: &Shell) -> anyhow::Result<()> {
    let image = format!("{}:{}", args.repo, args.tag);
    let reference: ImageRef = image.parse()?;
    let platforms: Vec<String> = args
        .platform
        .split(',')
        .map(|p| p.trim().to_owned())
        .collect();
    let untested = untested_platforms(&platforms, host_platform(), &args.push_untested_platform)?;
    let engine = DockerCli::connect().context("cannot release")?;
    let source_flags = |mut build: Vec<String>| {
        match (&args.kafka_url, &args.kafka_tarball) {
            (Some(url), _) => build.extend(["--kafka-url".to_owned(), url.clone()]),
            (None, Some(tarball)) => {
                build.extend(["--kafka-tarball".to_owned(), tarball.display().to_string()])
            }
            (None, None) => {}
        }
        build
    };
    match &args.from_image {
        Some(local) => {
            engine
                .output(&strings(&["tag", local, &image]))
                .with_context(|| format!("failed to tag `{local}` as `{image}`"))?;
        }
        None => {
            let status = run_self(shell, "build", &source_flags(strings(&["--tag", &image])))?;
            if !status.success() {
                bail!("`kafka-image build` failed for `{image}` ({status})");
            }
        }
    }
    if let Some(version) = crate::sanity::fixture_version(&engine, &image)? {
        return Err(crate::sanity::refuse_fixture(&image, &version));
    }
    // The suite tests the image by id, and the push checks the tag still names that id: what is
    // pushed is exactly what was tested.
    let tested_id = engine
        .inspect_image(&image)?
        .with_context(|| format!("`{image}` is not in the local image store"))?
        .id;
    let mut test = vec![
        tested_id.clone(),
        "--report".to_owned(),
        args.report.display().to_string(),
    ];
    for case in &args.test_case {
        test.extend(["--only".to_owned(), case.clone()]);
    }
    let status = run_self(shell, "test", &test)?;
    match status.code() {
        Some(0) => {}
        Some(1) => {
            return Err(SuiteFailed {
                image,
                report: args.report.join("report.html").display().to_string(),
            }
            .into());
        }
        _ => bail!("`kafka-image test` could not run for `{image}` ({status})"),
    }
    if platforms.len() > 1 {
        if args.from_image.is_some() {
            bail!(
                "`--from-image` holds one platform; a multi-platform release must build (drop `--from-image`)"
            );
        }
        let mut build = source_flags(strings(&["--tag", &image, "--platform", &args.platform]));
        build.push("--push".to_owned());
        let status = run_self(shell, "build", &build)?;
        if !status.success() {
            bail!("`kafka-image build --push` failed for `{image}` ({status})");
        }
    } else {
        let now = engine.inspect_image(&image)?.map(|summary| summary.id);
        if now.as_deref() != Some(tested_id.as_str()) {
            bail!(
                "`{image}` changed while it was tested (tested {tested_id}, now {}); nothing was pushed",
                now.as_deref().unwrap_or("missing")
            );
        }
        let progress = shell.progress("Pushing", &image, None);
        let pushed = engine.stream(&strings(&["push", &image]), &[], &mut |line| {
            progress.message(line);
        });
        progress.finish();
        pushed.with_context(|| format!("failed to push `{image}`"))?;
    }
    let digest = match RegistryHttp::for_image(&reference) {
        Ok(registry) => Some(
            registry
                .get_manifest(&reference.repository, &reference.reference)
                .with_context(|| format!("`{image}` is not in the registry after the push"))?
                .digest,
        ),
        Err(_) => None,
    };
    let summary = ReleaseSummary {
        image: image.clone(),
        platforms,
        untested_platforms: untested.clone(),
        digest,
        report: args.report.clone(),
    };
    let mut human = match &summary.digest {
        Some(digest) => format!("released {image} ({digest})"),
        None => format!("released {image}"),
    };
    if !untested.is_empty() {
        human.push_str(&format!("; UNTESTED platforms: {}", untested.join(", ")));
    }
    shell.print_result(&human, &summary);
    Ok(())
}

/// The platform the suite runs on: this machine's (`linux/amd64`, `linux/arm64`).
fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("linux/{arch}")
}

/// The platforms of `platforms` the suite will not run on; each must be named by
/// `--push-untested-platform`, else nothing is released.
fn untested_platforms(
    platforms: &[String],
    host: String,
    allowed: &[String],
) -> anyhow::Result<Vec<String>> {
    let untested: Vec<String> = platforms.iter().filter(|p| **p != host).cloned().collect();
    let refused: Vec<&String> = untested.iter().filter(|p| !allowed.contains(p)).collect();
    if !refused.is_empty() {
        let names: Vec<&str> = refused.iter().map(|p| p.as_str()).collect();
        return Err(UserError {
            message: format!(
                "the sanity suite runs on {host} only; {} would be pushed untested",
                names.join(", ")
            ),
            help: format!(
                "release {host} alone, or accept the risk explicitly: {}",
                names
                    .iter()
                    .map(|p| format!("--push-untested-platform {p}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
        .into());
    }
    Ok(untested)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_other_than_the_host_need_an_explicit_flag() {
        let host = "linux/amd64".to_owned();
        let both = strings(&["linux/amd64", "linux/arm64"]);
        let err = untested_platforms(&both, host.clone(), &[]).unwrap_err();
        let text = crate::shell::render_error(&err);
        assert!(
            text.starts_with(
                "error: the sanity suite runs on linux/amd64 only; linux/arm64 would be pushed untested\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("--push-untested-platform linux/arm64"),
            "{text}"
        );
        assert_eq!(
            untested_platforms(&both, host.clone(), &strings(&["linux/arm64"])).unwrap(),
            ["linux/arm64"]
        );
        assert!(
            untested_platforms(&strings(&["linux/amd64"]), host, &[])
                .unwrap()
                .is_empty()
        );
    }
}
