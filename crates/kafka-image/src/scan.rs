//! `kafka-image scan IMAGE [--report DIR] [--fail-on SEVERITY]`: vulnerability scan with trivy.
//!
//! Runs trivy (or reads a JSON report trivy wrote earlier, `--trivy-json`), parses it into typed
//! findings, writes `trivy.json` (trivy's own output), `scan.json` (our summary) and `scan.html`
//! (self-contained) into the report directory, and sets the exit code from `--fail-on`.
//!
//! Exit codes: 0 no finding at or above `--fail-on`; 1 at least one; 2 the scan could not be
//! done (trivy missing or failing, unreadable report, unwritable report directory).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

use crate::engine::{ContainerEngine as _, DockerCli};
use crate::report::{scan_html::render_scan_html, write_report_file};
use crate::scanner::trivy::{INSTALL_HELP, Trivy, TrivyError};
use crate::scanner::{Finding, ScanReport, Scanner, Severity, parse_trivy_json};
use crate::shell::{Shell, UserError};

/// `--help` text after the options: examples and exit codes.
const AFTER_HELP: &str = r#"Examples:
  $ kafka-image scan kafka-image/kafka:4.1.0 --report reports/scan --fail-on CRITICAL
  $ trivy image -f json -o t.json kafka:rc && kafka-image scan kafka:rc --trivy-json t.json

Exit status: 0 no finding at or above --fail-on, 1 at least one, 2 the scan could not be done."#;

/// Scan an image for known vulnerabilities with trivy; write JSON and HTML reports.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct ScanArgs {
    /// The image to scan (a local image or a registry reference trivy can read).
    image: String,
    /// Directory for `trivy.json`, `scan.json` and `scan.html` (created if missing).
    #[arg(long, value_name = "DIR", default_value = "reports/scan")]
    report: PathBuf,
    /// Fail (exit 1) when a finding has this severity or a higher one.
    #[arg(long, value_name = "SEVERITY", default_value = "HIGH",
          value_parser = parse_severity)]
    fail_on: Severity,
    /// The trivy program (a name on PATH or a path).
    #[arg(
        long,
        value_name = "PATH",
        env = "KAFKA_IMAGE_TRIVY",
        default_value = "trivy"
    )]
    trivy: PathBuf,
    /// Read this trivy JSON report instead of running trivy (e.g. from `trivy image -f json`).
    #[arg(long, value_name = "FILE")]
    trivy_json: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What to do when trivy cannot download its database (offline or firewalled machines).
const DB_HELP: &str = "trivy downloads its database from mirror.gcr.io / ghcr.io on first use; on a \
     machine without that access, run `trivy image --download-db-only` where it has access, copy \
     its cache directory here and set `TRIVY_CACHE_DIR` to it and `TRIVY_SKIP_DB_UPDATE=true`";

fn parse_severity(text: &str) -> Result<Severity, String> {
    text.parse()
        .map_err(|e: crate::scanner::UnknownSeverity| e.to_string())
}

/// What `--json` prints and `scan.json` holds.
#[derive(Debug, Serialize)]
struct ScanSummary<'a> {
    image: &'a str,
    fail_on: Severity,
    passed: bool,
    counts: Vec<(Severity, usize)>,
    findings: &'a [Finding],
}

/// Runs the subcommand.
pub(crate) fn main(args: &ScanArgs) -> ExitCode {
    let shell = Shell::new(args.json);
    match run(args, &shell, &Trivy::at(&args.trivy)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            shell.print_error(&err);
            ExitCode::from(2)
        }
    }
}

/// Scans, writes the reports and returns whether the image passes `--fail-on`.
fn run(args: &ScanArgs, shell: &Shell, scanner: &dyn Scanner) -> anyhow::Result<bool> {
    let raw = match &args.trivy_json {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("failed to read trivy report `{}`", path.display()))?,
        None => {
            let progress = shell.progress("Scanning", &args.image, None);
            let result = scanner.scan(&args.image);
            progress.finish();
            result.map_err(|err| match err {
                TrivyError::NotInstalled { .. } => anyhow::Error::new(UserError {
                    message: format!("cannot scan `{}`: {err}", args.image),
                    help: INSTALL_HELP.to_owned(),
                }),
                TrivyError::Failed { ref stderr, .. }
                    if stderr.contains("failed to download vulnerability DB") =>
                {
                    anyhow::Error::new(err).context(UserError {
                        message: format!(
                            "cannot scan `{}`: trivy has no vulnerability database and cannot \
                             download it",
                            args.image
                        ),
                        help: DB_HELP.to_owned(),
                    })
                }
                other => anyhow::Error::new(other)
                    .context(format!("failed to scan `{}` with trivy", args.image)),
            })?
        }
    };
    let report = parse_trivy_json(&raw).context("failed to read trivy's JSON report")?;
    if let Some(path) = &args.trivy_json {
        // The engine's id for the image, when an engine and the image are there.
        let local_id = DockerCli::connect()
            .ok()
            .and_then(|engine| engine.inspect_image(&args.image).ok().flatten())
            .map(|summary| summary.id);
        if !report.is_about(&args.image, local_id.as_deref()) {
            return Err(UserError {
                message: format!(
                    "trivy report `{}` is about `{}`{}, not `{}`",
                    path.display(),
                    report.artifact,
                    report
                        .image_id
                        .as_deref()
                        .map(|id| format!(" (image id {id})"))
                        .unwrap_or_default(),
                    args.image
                ),
                help: format!(
                    "scan this image: `trivy image --format json --output FILE {}`, or pass \
                     the image the report names",
                    args.image
                ),
            }
            .into());
        }
    }
    let passed = report.at_or_above(args.fail_on).next().is_none();
    let summary = summarize(&args.image, &report, args.fail_on, passed);
    let summary_json =
        serde_json::to_string_pretty(&summary).context("failed to serialize the scan summary")?;
    write_report_file(&args.report, "trivy.json", &raw)?;
    write_report_file(&args.report, "scan.json", &summary_json)?;
    let html = write_report_file(
        &args.report,
        "scan.html",
        &render_scan_html(&args.image, &report, args.fail_on),
    )?;
    let counts: Vec<String> = summary
        .counts
        .iter()
        .map(|(severity, n)| format!("{severity} {n}"))
        .collect();
    let human = format!(
        "{}: {} finding(s) ({}); {} at --fail-on {}\nreport: {}",
        args.image,
        report.findings.len(),
        counts.join(", "),
        if passed { "passed" } else { "FAILED" },
        args.fail_on,
        html.display(),
    );
    shell.print_result(&human, &summary);
    Ok(passed)
}

fn summarize<'a>(
    image: &'a str,
    report: &'a ScanReport,
    fail_on: Severity,
    passed: bool,
) -> ScanSummary<'a> {
    ScanSummary {
        image,
        fail_on,
        passed,
        counts: Severity::DESCENDING
            .into_iter()
            .map(|severity| (severity, report.count(severity)))
            .collect(),
        findings: &report.findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &str = include_str!("../tests/data/trivy-alpine-39-high-critical.json");

    struct RecordedTrivy(Result<String, fn() -> TrivyError>);

    impl Scanner for RecordedTrivy {
        fn scan(&self, _image: &str) -> Result<String, TrivyError> {
            self.0.clone().map_err(|make| make())
        }
    }

    fn args(report: PathBuf, fail_on: Severity) -> ScanArgs {
        ScanArgs {
            image: "alpine:3.9".to_owned(),
            report,
            fail_on,
            trivy: PathBuf::from("trivy"),
            trivy_json: None,
            json: true,
        }
    }

    #[test]
    fn critical_findings_fail_at_high_and_reports_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let args = args(dir.path().join("scan"), Severity::High);
        let passed = run(
            &args,
            &Shell::new(true),
            &RecordedTrivy(Ok(RECORDED.to_owned())),
        )
        .unwrap();
        assert!(!passed);
        let raw = std::fs::read_to_string(dir.path().join("scan/trivy.json")).unwrap();
        assert_eq!(raw, RECORDED);
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("scan/scan.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(summary["passed"], false);
        assert_eq!(summary["fail_on"], "HIGH");
        assert_eq!(summary["counts"][0], serde_json::json!(["CRITICAL", 2]));
        assert_eq!(summary["findings"][0]["package"], "musl");
        assert!(
            std::fs::read_to_string(dir.path().join("scan/scan.html"))
                .unwrap()
                .contains("2 finding(s) at or above HIGH")
        );
    }

    #[test]
    fn missing_trivy_is_a_user_error_with_install_help() {
        let dir = tempfile::tempdir().unwrap();
        let args = args(dir.path().join("scan"), Severity::High);
        let err = run(
            &args,
            &Shell::new(true),
            &RecordedTrivy(Err(|| TrivyError::NotInstalled {
                program: PathBuf::from("trivy"),
            })),
        )
        .unwrap_err();
        let text = crate::shell::render_error(&err);
        assert!(
            text.starts_with(
                "error: cannot scan `alpine:3.9`: trivy is not installed (`trivy` was not found)\n"
            ),
            "{text}"
        );
        assert!(text.contains("help: install trivy"), "{text}");
        assert!(!dir.path().join("scan").exists(), "no report on failure");
    }

    #[test]
    fn missing_database_says_how_to_provide_one() {
        let dir = tempfile::tempdir().unwrap();
        let args = args(dir.path().join("scan"), Severity::High);
        let err = run(
            &args,
            &Shell::new(true),
            &RecordedTrivy(Err(|| TrivyError::Failed {
                program: PathBuf::from("trivy"),
                args: "image".to_owned(),
                status: std::process::ExitStatus::default(),
                stderr: "FATAL init error: DB error: failed to download vulnerability DB: \
                         OCI artifact error"
                    .to_owned(),
            })),
        )
        .unwrap_err();
        let text = crate::shell::render_error(&err);
        assert!(
            text.starts_with(
                "error: cannot scan `alpine:3.9`: trivy has no vulnerability database and \
                 cannot download it\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("FATAL init error"),
            "trivy's stderr is kept: {text}"
        );
        assert!(
            text.contains("help: trivy downloads its database"),
            "{text}"
        );
    }

    #[test]
    fn recorded_json_file_is_used_instead_of_running_trivy() {
        let dir = tempfile::tempdir().unwrap();
        let recorded = dir.path().join("t.json");
        std::fs::write(&recorded, RECORDED).unwrap();
        let mut args = args(dir.path().join("scan"), Severity::Critical);
        args.trivy_json = Some(recorded);
        let never = RecordedTrivy(Err(|| TrivyError::NotInstalled {
            program: PathBuf::from("must-skipped"),
        }));
        let err = run(&args, &Shell::new(true), &never).unwrap_err();
        let text = crate::shell::render_error(&err);
        assert!(
            text.contains(
                "is about `testdata/fixtures/images/alpine-39.tar.gz` (image id sha256:0559"
            ),
            "a report about another image is refused: {text}"
        );
        args.image = "testdata/fixtures/images/alpine-39.tar.gz".to_owned();
        assert!(!run(&args, &Shell::new(true), &never).unwrap());
    }

    #[test]
    fn findings_below_threshold_pass() {
        let dir = tempfile::tempdir().unwrap();
        let json = RECORDED.replace("\"CRITICAL\"", "\"MEDIUM\"");
        let args = args(dir.path().join("scan"), Severity::High);
        assert!(run(&args, &Shell::new(true), &RecordedTrivy(Ok(json))).unwrap());
    }
}
