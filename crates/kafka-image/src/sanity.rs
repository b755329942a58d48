//! `kafka-image test IMAGE [--report DIR] [--only CASE…]`: the sanity suite (SPEC §7) against real
//! containers, with JUnit XML and HTML reports.
//!
//! Before the cases run, the image is asked what Kafka it holds and which main classes its tools
//! have. Every selected case runs against it: the fixture distribution (see
//! `fixtures/fake-kafka/README.md`, labelled by `/opt/kafka/FIXTURE-VERSION`) fails the cases that
//! move data. A case is left out only when `--skip` names it, and the reports show it as skipped.
//!
//! The cases run one after another, except the fault case ([`BESIDE`]), which runs on a thread
//! beside the others; the biggest ([`NOT_BESIDE`]) wait until it is done.
//! The reports list every case in `--list` order.
//!
//! Exit codes: 0 every selected case passed (or was named by `--skip`); 1 a case failed; 2 the
//! suite could not run (no Docker, unknown image, unknown case name, unwritable report directory).

mod cases;
mod client;
mod faults;
mod sandbox;
mod tls;
mod upstream;

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
use client::Tools;
use sandbox::Sandbox;

/// The reason the reports give for a case named by `--skip`.
const SKIPPED: &str = "named by --skip";

/// The case that runs beside the others: its cluster mostly waits (outages, recoveries, a
/// producer at 40 records/s), so the other cases run meanwhile on the same cores. Its
/// checks are about records and recovery, not time, so sharing the machine weakens none.
const BESIDE: &str = "combined_cluster_faults";

/// The cases too big to run beside [`BESIDE`]: an isolated cluster's six nodes would make nine
/// on two cores; they run after it. (The 3-node combined cluster of
/// `combined_cluster_survives_restart` does run beside it.)
const NOT_BESIDE: &[&str] = &[
    "isolated_cluster_survives_restart",
    "upstream_isolated_flows",
];

/// The file by which the fixture distribution labels itself.
pub(crate) const FIXTURE_MARKER: &str = "/opt/kafka/FIXTURE-VERSION";

/// `--help` text after the options: examples and exit codes.
const AFTER_HELP: &str = r#"Examples:
  $ kafka-image test kafka-image/kafka:4.1.0 --report reports/test
  $ kafka-image test kafka:rc --only env_config --only env_over_file
  $ kafka-image test kafka:rc --skip isolated_cluster_survives_restart
  $ kafka-image test --list

Exit status: 0 all selected cases passed (cases named by --skip are reported as skipped),
1 a case failed, 2 the suite could not run."#;

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
    /// Leave this case out (repeatable); the reports list it as skipped. Nothing else is ever
    /// left out.
    #[arg(long, value_name = "CASE")]
    skip: Vec<String>,
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
    skipped: usize,
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
            .map(|c| format!("{:<36} {}", c.name, c.description))
            .collect();
        let names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
        shell.print_result(&listing.join("\n"), &names);
        return ExitCode::SUCCESS;
    }
    let result = select_cases(&args.only)
        .and_then(|selected| Ok((selected, named_cases("--skip", &args.skip)?)))
        .and_then(|(selected, skipped)| {
            let engine = DockerCli::connect().context("cannot run the sanity suite")?;
            // `image` is required unless `--list`, which returned above.
            let image = args.image.as_deref().unwrap_or_default();
            let skipped: Vec<&str> = skipped.iter().map(|c| c.name).collect();
            run_suite(&engine, &shell, image, &selected, &args.report, &skipped)
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
    named_cases("--only", only)
}

/// The cases `names` names, in that order; an unknown name is an error listing the known ones.
fn named_cases(flag: &str, names: &[String]) -> anyhow::Result<Vec<Case>> {
    let mut selected = Vec::new();
    for name in names {
        let case = CASES
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| UserError {
                message: format!("`{flag} {name}`: no such case"),
                help: format!(
                    "the cases are: {}",
                    CASES.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                ),
            })?;
        selected.push(*case);
    }
    Ok(selected)
}

/// The version the fixture distribution's marker file holds when `image` (pulled if needed, and
/// removed again) was built from the fixture, `None` otherwise. The image is created, never
/// started (`docker create`, then `docker cp`), so this works for images without a shell.
/// `release` and `promote` use it to refuse a fixture.
pub(crate) fn fixture_version(
    engine: &dyn ContainerEngine,
    image: &str,
) -> anyhow::Result<Option<String>> {
    let was_local = engine.inspect_image(image)?.is_some();
    let container = engine
        .output(&strings(&["create", image, "kafka-image-fixture-probe"]))
        .with_context(|| format!("failed to look inside `{image}`"))?;
    let container = container.trim();
    let read = engine.output(&strings(&[
        "cp",
        &format!("{container}:{FIXTURE_MARKER}"),
        "-",
    ]));
    // Best effort: the probe container never ran; `-v` removes the anonymous volumes `create`
    // made for the image's VOLUMEs.
    let _ = engine.output(&strings(&["rm", "-v", container]));
    if !was_local {
        // Best effort: `create` pulled the image only for this look; leave no copy behind.
        let _ = engine.output(&strings(&["rmi", image]));
    }
    match read {
        // A tar stream: a 512-byte header, then the file's bytes padded with NULs.
        Ok(tar) => Ok(Some(
            tar.get(512..)
                .unwrap_or_default()
                .trim_end_matches('\0')
                .trim()
                .to_owned(),
        )),
        Err(err)
            if err
                .stderr()
                .is_some_and(|e| e.contains("Could not find the file")) =>
        {
            Ok(None)
        }
        Err(err) => Err(anyhow::Error::new(err).context(format!(
            "failed to look for `{FIXTURE_MARKER}` in `{image}`"
        ))),
    }
}

/// The error `release` and `promote` give for an image built from the fixture distribution.
pub(crate) fn refuse_fixture(image: &str, version: &str) -> anyhow::Error {
    UserError {
        message: format!(
            "`{image}` holds the FIXTURE distribution (fake-kafka {version}, `{FIXTURE_MARKER}`), \
             not Apache Kafka"
        ),
        help: "build the image from a real Kafka release (`kafka-image build --kafka-url URL` or \
               `--kafka-tarball FILE`), test it, and release that"
            .to_owned(),
    }
    .into()
}

/// What the image holds: the fixture (with its version) or a real distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Distribution {
    /// The fake Kafka of `fixtures/fake-kafka`.
    Fixture { version: String },
    /// Anything else, described by the Kafka jar found in `libs/`.
    Real { description: String },
}

impl Distribution {
    /// One line for people: `Apache Kafka 4.4.0` or `FIXTURE fake-kafka … (not Apache Kafka)`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Distribution::Fixture { version } => {
                format!("FIXTURE fake-kafka {version} (not Apache Kafka)")
            }
            Distribution::Real { description } => description.clone(),
        }
    }
}

/// What `image` holds, and the main classes of its tools.
pub(crate) fn detect_distribution(
    engine: &dyn ContainerEngine,
    image: &str,
) -> anyhow::Result<(Distribution, Tools)> {
    let probe = format!(
        "if [ -f {FIXTURE_MARKER} ]; then echo fixture $(cat {FIXTURE_MARKER}); \
         else echo real $(ls /opt/kafka/libs 2>/dev/null | grep -E '^kafka_[0-9.]+-.*\\.jar$' | grep -v -E 'test|sources|javadoc' | head -n1); fi; {}true",
        Tools::probe_script()
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
    Ok((parse_probe(&out), Tools::from_probe(&out)))
}

fn parse_probe(out: &str) -> Distribution {
    let out = out.lines().next().unwrap_or_default().trim();
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
    engine: &(dyn ContainerEngine + Sync),
    shell: &Shell,
    image: &str,
    selected: &[Case],
    report_dir: &std::path::Path,
    skipped: &[&str],
) -> anyhow::Result<SuiteRun> {
    let started = format_utc(SystemTime::now());
    if engine.inspect_image(image)?.is_none() {
        return Err(UserError {
            message: format!("image `{image}` does not exist locally"),
            help: format!("build it first: `kafka-image build --kafka-url URL --tag {image}`"),
        }
        .into());
    }
    let (distribution, tools) = detect_distribution(engine, image)?;
    shell.status("Testing", format!("{image} ({})", distribution.describe()));
    let label = |index: usize| {
        format!(
            "[{}/{}] {}",
            index + 1,
            selected.len(),
            selected[index].name
        )
    };
    let run_in_turn = |index: usize| {
        run_listed(
            engine,
            shell,
            image,
            tools,
            &selected[index],
            &label(index),
            skipped,
        )
    };
    let mut results: Vec<Option<CaseResult>> = selected.iter().map(|_| None).collect();
    let beside = selected
        .iter()
        .position(|c| c.name == BESIDE && !skipped.contains(&c.name));
    let (now, after): (Vec<usize>, Vec<usize>) = (0..selected.len())
        .filter(|index| Some(*index) != beside)
        .partition(|index| beside.is_none() || !NOT_BESIDE.contains(&selected[*index].name));
    std::thread::scope(|scope| {
        let background = beside.map(|index| {
            shell.status(
                "Started",
                format!("{} (beside the other cases)", label(index)),
            );
            let case = &selected[index];
            scope.spawn(move || run_case(engine, image, tools, case))
        });
        for index in now {
            results[index] = Some(run_in_turn(index));
        }
        if let (Some(index), Some(background)) = (beside, background) {
            let progress = shell.progress("Finishing", &label(index), None);
            let result = background
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            progress.finish();
            print_outcome(shell, &label(index), &result);
            results[index] = Some(result);
        }
        for index in after {
            results[index] = Some(run_in_turn(index));
        }
    });
    let results: Vec<CaseResult> = results.into_iter().flatten().collect();
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
        skipped: run.skipped(),
        cases: run
            .cases
            .iter()
            .map(|c| {
                let (outcome, detail) = match &c.outcome {
                    Outcome::Passed => ("passed", None),
                    Outcome::Failed { message } => ("failed", Some(message.as_str())),
                    Outcome::Skipped { reason } => ("skipped", Some(reason.as_str())),
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
        "{image}: {} passed, {} failed, {} skipped\nreports: {}, {}",
        run.passed(),
        run.failed(),
        run.skipped(),
        junit.display(),
        html.display()
    );
    shell.print_result(&human, &summary);
    Ok(run)
}

/// Runs `case` (or reports it skipped when `--skip` names it) with its progress and outcome
/// lines.
fn run_listed(
    engine: &dyn ContainerEngine,
    shell: &Shell,
    image: &str,
    tools: Tools,
    case: &Case,
    label: &str,
    skipped: &[&str],
) -> CaseResult {
    if skipped.contains(&case.name) {
        shell.status("Skipped", format!("{label}: {SKIPPED}"));
        return CaseResult {
            name: case.name.to_owned(),
            description: case.description.to_owned(),
            outcome: Outcome::Skipped {
                reason: SKIPPED.to_owned(),
            },
            duration: std::time::Duration::ZERO,
            logs: Vec::new(),
            faults: Vec::new(),
        };
    }
    let progress = shell.progress("Running", label, None);
    let result = run_case(engine, image, tools, case);
    progress.finish();
    print_outcome(shell, label, &result);
    result
}

/// The status line of a case that ran, its faults, and the failure as a warning.
fn print_outcome(shell: &Shell, label: &str, result: &CaseResult) {
    let verb = match &result.outcome {
        Outcome::Passed => "Passed",
        Outcome::Failed { .. } => "Failed",
        Outcome::Skipped { .. } => "Skipped",
    };
    shell.status(
        verb,
        format!("{label} ({} s)", format_seconds(result.duration)),
    );
    for fault in &result.faults {
        shell.status(
            "Fault",
            format!(
                "{}: {} acknowledged, {} read back, stalled {} s",
                fault.fault,
                fault.acknowledged,
                fault.read_back,
                format_seconds(fault.stall)
            ),
        );
    }
    if let Outcome::Failed { message } = &result.outcome {
        shell.warn(format!("{}: {message}", result.name));
    }
}

fn run_case(engine: &dyn ContainerEngine, image: &str, tools: Tools, case: &Case) -> CaseResult {
    let started = Instant::now();
    let mut sandbox = Sandbox::new(engine, image, tools, case.name);
    let outcome = (case.run)(&mut sandbox);
    let faults = sandbox.take_faults();
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
        faults,
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
    fn skip_names_known_cases_only() {
        let err = named_cases("--skip", &["nope".to_owned()]).unwrap_err();
        assert!(
            crate::shell::render_error(&err).starts_with("error: `--skip nope`: no such case\n")
        );
        assert_eq!(
            named_cases("--skip", &["sasl_plain".to_owned()]).unwrap()[0].name,
            "sasl_plain"
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
            text.contains("help: the cases are: smoke, default_config_starts, "),
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
