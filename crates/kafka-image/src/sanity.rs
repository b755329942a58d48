//! `kafka-image test IMAGE [--report DIR] [--only CASE…]`: the sanity suite (SPEC §7) against real
//! containers, with JUnit XML and HTML reports.
//!
//! Before the cases run, the image is asked what Kafka it holds. The fixture distribution (see
//! `fixtures/fake-kafka/README.md`) labels itself with `/opt/kafka/FIXTURE-VERSION`; with it, the
//! cases that need a real broker are reported as "not run: needs a real Kafka distribution"
//! instead of failing, and the others run for real.
//!
//! Exit codes: 0 every selected case passed or was not run; 1 a case failed; 2 the suite could not
//! run (no Docker, unknown image, unknown case name, unwritable report directory).

mod cases;
mod client;
mod sandbox;
mod tls;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::Context as _;

use crate::engine::{ContainerEngine, DockerCli, EngineError, strings};
use crate::report::html::render_suite_html;
use crate::report::junit::render_junit;
use crate::report::{CaseResult, Outcome, SuiteRun, format_seconds, format_utc, write_report_file};
use crate::shell::{Shell, UserError};
use cases::{CASES, Case};
use sandbox::Sandbox;

/// The reason shown for cases the fixture distribution cannot stand in for.
pub(crate) const NEEDS_REAL_KAFKA: &str = "needs a real Kafka distribution";

/// The file by which the fixture distribution labels itself.
const FIXTURE_MARKER: &str = "/opt/kafka/FIXTURE-VERSION";

/// `--help` text after the options: examples and exit codes.
const AFTER_HELP: &str = r#"Examples:
  $ kafka-image test kafka-image/kafka:4.1.0 --report reports/test
  $ kafka-image test kafka:rc --only env_config --only env_over_file
  $ kafka-image test --list

Exit status: 0 all selected cases passed (or were not run), 1 a case failed, 2 the suite could not run."#;

/// Run the sanity suite against a built image; write JUnit XML and HTML reports.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct TestArgs {
    /// The image to test (must exist locally).
    #[arg(required_unless_present = "list")]
    image: Option<String>,
    /// Directory for `junit.xml` and `report.html` (created if missing).
    #[arg(long, value_name = "DIR", default_value = "reports/test")]
    report: PathBuf,
    /// Run only this case (repeatable); see `--list`.
    #[arg(long, value_name = "CASE")]
    only: Vec<String>,
    /// List the cases and exit.
    #[arg(long)]
    list: bool,
    /// Run the cases that need a real Kafka broker even when the image holds the fixture
    /// distribution (they fail there: for checking the suite's own container handling).
    #[arg(long)]
    include_real_kafka_cases: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints.
#[derive(Debug, serde::Serialize)]
struct SuiteSummary<'a> {
    image: &'a str,
    distribution: &'a str,
    passed: usize,
    failed: usize,
    not_run: usize,
    cases: Vec<CaseSummary<'a>>,
    junit: PathBuf,
    html: PathBuf,
}

#[derive(Debug, serde::Serialize)]
struct CaseSummary<'a> {
    name: &'a str,
    outcome: &'static str,
    detail: Option<&'a str>,
    seconds: f64,
}

/// Runs the subcommand.
pub(crate) fn main(args: &TestArgs) -> ExitCode {
    let shell = Shell::new(args.json);
    if args.list {
        let listing: Vec<String> = CASES
            .iter()
            .map(|c| {
                let real = if c.needs_real_kafka {
                    " [needs real Kafka]"
                } else {
                    ""
                };
                format!("{:<36} {}{real}", c.name, c.description)
            })
            .collect();
        let names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
        shell.print_result(&listing.join("\n"), &names);
        return ExitCode::SUCCESS;
    }
    let result = select_cases(&args.only).and_then(|selected| {
        let engine = DockerCli::connect().context("cannot run the sanity suite")?;
        // `image` is required unless `--list`, which returned above.
        let image = args.image.as_deref().unwrap_or_default();
        run_suite(
            &engine,
            &shell,
            image,
            &selected,
            &args.report,
            args.include_real_kafka_cases,
        )
    });
    match result {
        Ok(run) if run.failed() == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(err) => {
            shell.print_error(&err);
            ExitCode::from(2)
        }
    }
}

/// The cases `--only` names (all when empty); an unknown name is an error listing the known ones.
fn select_cases(only: &[String]) -> anyhow::Result<Vec<Case>> {
    if only.is_empty() {
        return Ok(CASES.to_vec());
    }
    let mut selected = Vec::new();
    for name in only {
        let case = CASES
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| UserError {
                message: format!("`--only {name}`: no such case"),
                help: format!(
                    "the cases are: {}",
                    CASES.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                ),
            })?;
        selected.push(*case);
    }
    Ok(selected)
}

/// What the image holds: the fixture (with its version) or a real distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Distribution {
    /// The fake Kafka of `fixtures/fake-kafka`.
    Fixture { version: String },
    /// Anything else, described by the Kafka jar found in `libs/`.
    Real { description: String },
}

impl Distribution {
    fn describe(&self) -> String {
        match self {
            Distribution::Fixture { version } => {
                format!("FIXTURE fake-kafka {version} (not Apache Kafka)")
            }
            Distribution::Real { description } => description.clone(),
        }
    }
}

fn detect_distribution(engine: &dyn ContainerEngine, image: &str) -> anyhow::Result<Distribution> {
    let probe = format!(
        "if [ -f {FIXTURE_MARKER} ]; then echo fixture $(cat {FIXTURE_MARKER}); \
         else echo real $(ls /opt/kafka/libs 2>/dev/null | grep -E '^kafka_[0-9.]+-.*\\.jar$' | grep -v -E 'test|sources|javadoc' | head -n1); fi"
    );
    let out = engine
        .output(&strings(&[
            "run",
            "--rm",
            "--entrypoint",
            "bash",
            image,
            "-c",
            &probe,
        ]))
        .with_context(|| format!("failed to inspect the Kafka distribution in `{image}`"))?;
    Ok(parse_probe(&out))
}

fn parse_probe(out: &str) -> Distribution {
    let out = out.trim();
    match out.strip_prefix("fixture") {
        Some(version) => Distribution::Fixture {
            version: version.trim().to_owned(),
        },
        None => {
            let jar = out.strip_prefix("real").unwrap_or(out).trim();
            let description = match jar.strip_suffix(".jar").and_then(|j| j.split_once('-')) {
                Some((_, version)) => format!("Apache Kafka {version}"),
                None => "unknown distribution (no kafka_*.jar in /opt/kafka/libs)".to_owned(),
            };
            Distribution::Real { description }
        }
    }
}

fn run_suite(
    engine: &dyn ContainerEngine,
    shell: &Shell,
    image: &str,
    selected: &[Case],
    report_dir: &std::path::Path,
    include_real_kafka_cases: bool,
) -> anyhow::Result<SuiteRun> {
    let started = format_utc(SystemTime::now());
    if engine.inspect_image(image)?.is_none() {
        return Err(UserError {
            message: format!("image `{image}` does not exist locally"),
            help: format!("build it first: `kafka-image build --kafka-url URL --tag {image}`"),
        }
        .into());
    }
    let distribution = detect_distribution(engine, image)?;
    shell.status("Testing", format!("{image} ({})", distribution.describe()));
    let mut results = Vec::new();
    for (index, case) in selected.iter().enumerate() {
        let label = format!("[{}/{}] {}", index + 1, selected.len(), case.name);
        let fixture = matches!(distribution, Distribution::Fixture { .. });
        let result = if case.needs_real_kafka && fixture && !include_real_kafka_cases {
            shell.status("Not run", format!("{label}: {NEEDS_REAL_KAFKA}"));
            CaseResult {
                name: case.name.to_owned(),
                description: case.description.to_owned(),
                outcome: Outcome::NotRun {
                    reason: NEEDS_REAL_KAFKA.to_owned(),
                },
                duration: std::time::Duration::ZERO,
                logs: Vec::new(),
            }
        } else {
            let progress = shell.progress("Running", &label, None);
            let result = run_case(engine, image, case);
            progress.finish();
            let verb = match &result.outcome {
                Outcome::Passed => "Passed",
                Outcome::Failed { .. } => "Failed",
                Outcome::NotRun { .. } => "Not run",
            };
            shell.status(
                verb,
                format!("{label} ({} s)", format_seconds(result.duration)),
            );
            if let Outcome::Failed { message } = &result.outcome {
                shell.warn(format!("{}: {message}", case.name));
            }
            result
        };
        results.push(result);
    }
    let run = SuiteRun {
        image: image.to_owned(),
        started,
        distribution: distribution.describe(),
        cases: results,
    };
    let junit = write_report_file(report_dir, "junit.xml", &render_junit(&run))?;
    let html = write_report_file(report_dir, "report.html", &render_suite_html(&run))?;
    let summary = SuiteSummary {
        image,
        distribution: &run.distribution,
        passed: run.passed(),
        failed: run.failed(),
        not_run: run.not_run(),
        cases: run
            .cases
            .iter()
            .map(|c| {
                let (outcome, detail) = match &c.outcome {
                    Outcome::Passed => ("passed", None),
                    Outcome::Failed { message } => ("failed", Some(message.as_str())),
                    Outcome::NotRun { reason } => ("not_run", Some(reason.as_str())),
                };
                CaseSummary {
                    name: &c.name,
                    outcome,
                    detail,
                    seconds: c.duration.as_secs_f64(),
                }
            })
            .collect(),
        junit: junit.clone(),
        html: html.clone(),
    };
    let human = format!(
        "{image}: {} passed, {} failed, {} not run\nreports: {}, {}",
        run.passed(),
        run.failed(),
        run.not_run(),
        junit.display(),
        html.display()
    );
    shell.print_result(&human, &summary);
    Ok(run)
}

fn run_case(engine: &dyn ContainerEngine, image: &str, case: &Case) -> CaseResult {
    let started = Instant::now();
    let mut sandbox = Sandbox::new(engine, image, case.name);
    let outcome = (case.run)(&mut sandbox);
    let (outcome, logs) = match outcome {
        Ok(()) => (Outcome::Passed, Vec::new()),
        Err(err) => (
            Outcome::Failed {
                message: mask_test_secrets(&failure_message(&err)),
            },
            sandbox
                .all_logs()
                .into_iter()
                .map(|mut log| {
                    log.text = mask_test_secrets(&log.text);
                    log
                })
                .collect(),
        ),
    };
    drop(sandbox);
    CaseResult {
        name: case.name.to_owned(),
        description: case.description.to_owned(),
        outcome,
        duration: started.elapsed(),
        logs,
    }
}

/// `text` with every password the cases use replaced by `******`.
fn mask_test_secrets(text: &str) -> String {
    cases::TEST_SECRETS
        .iter()
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret, "******")
        })
}

/// The error chain on one line, then the stderr of the command that failed, if one did (the
/// Kafka tool's own message is usually the useful part).
fn failure_message(err: &anyhow::Error) -> String {
    let mut message = format!("{err:#}");
    let stderr = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<EngineError>())
        .and_then(EngineError::stderr);
    if let Some(stderr) = stderr {
        message.push_str("\n--- stderr ---\n");
        message.push_str(stderr.trim_end());
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_mask_the_test_passwords() {
        let name =
            "container kafka-image-test-42-sasl-plain-kafka of image kafka-image-test:fixture";
        assert_eq!(mask_test_secrets(name), name, "names are not passwords");
        assert_eq!(
            mask_test_secrets("password=\"alice-secret\" ssl.key.password=sanity-store-secret"),
            "password=\"******\" ssl.key.password=******"
        );
    }

    #[test]
    fn failure_message_keeps_the_command_stderr() {
        let err = anyhow::Error::new(EngineError::CommandFailed {
            program: "docker".to_owned(),
            args: strings(&["exec", "k", "kafka-topics.sh"]),
            status: "exit status: 1".to_owned(),
            stderr: "Error: TopicExistsException\n".to_owned(),
        })
        .context("failed to create topic `t`");
        assert_eq!(
            failure_message(&err),
            "failed to create topic `t`: `docker exec k kafka-topics.sh` failed (exit status: 1)\n\
             --- stderr ---\nError: TopicExistsException"
        );
    }

    #[test]
    fn fixture_labels_itself() {
        assert_eq!(
            parse_probe("fixture 4.1.0\n"),
            Distribution::Fixture {
                version: "4.1.0".to_owned()
            }
        );
    }

    #[test]
    fn real_distribution_is_named_by_its_jar() {
        assert_eq!(
            parse_probe("real kafka_2.13-4.1.0.jar\n"),
            Distribution::Real {
                description: "Apache Kafka 4.1.0".to_owned()
            }
        );
        assert!(
            matches!(parse_probe("real\n"), Distribution::Real { description } if description.starts_with("unknown"))
        );
    }

    #[test]
    fn unknown_case_lists_the_known_ones() {
        let err = select_cases(&["nope".to_owned()]).unwrap_err();
        let text = crate::shell::render_error(&err);
        assert!(
            text.starts_with("error: `--only nope`: no such case\n"),
            "{text}"
        );
        assert!(
            text.contains("help: the cases are: default_config_starts, "),
            "{text}"
        );
    }

    #[test]
    fn only_keeps_the_given_order() {
        let selected =
            select_cases(&["env_over_file".to_owned(), "env_config".to_owned()]).unwrap();
        let names: Vec<&str> = selected.iter().map(|c| c.name).collect();
        assert_eq!(names, ["env_over_file", "env_config"]);
        assert_eq!(select_cases(&[]).unwrap().len(), CASES.len());
    }
}
