//! JUnit XML for a [`SuiteRun`], in the shape CI systems read (GitHub test reporters, Jenkins,
//! GitLab): one `<testsuite>`, one `<testcase>` per case, `<failure>` with the container logs in
//! `<system-out>`, and `<skipped>` carrying the reason a case was left out.

use std::fmt::Write as _;

use super::{Outcome, SuiteRun, escape_markup, format_seconds};

/// The `classname` of every case, so CI groups them under one name.
const CLASSNAME: &str = "kafka-image.sanity";

/// Renders `run` as a JUnit XML document.
pub(crate) fn render_junit(run: &SuiteRun) -> String {
    let mut xml = String::new();
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = writeln!(xml, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        xml,
        r#"<testsuites name="kafka-image test" tests="{}" failures="{}" skipped="{}" time="{}">"#,
        run.cases.len(),
        run.failed(),
        run.skipped(),
        format_seconds(run.duration()),
    );
    let _ = writeln!(
        xml,
        r#"  <testsuite name="sanity" tests="{}" failures="{}" errors="0" skipped="{}" time="{}" timestamp="{}">"#,
        run.cases.len(),
        run.failed(),
        run.skipped(),
        format_seconds(run.duration()),
        escape_markup(&run.started),
    );
    let _ = writeln!(xml, "    <properties>");
    let _ = writeln!(
        xml,
        r#"      <property name="image" value="{}"/>"#,
        escape_markup(&run.image)
    );
    let _ = writeln!(
        xml,
        r#"      <property name="distribution" value="{}"/>"#,
        escape_markup(&run.distribution)
    );
    let _ = writeln!(xml, "    </properties>");
    for case in &run.cases {
        let open = format!(
            r#"    <testcase classname="{CLASSNAME}" name="{}" time="{}""#,
            escape_markup(&case.name),
            format_seconds(case.duration),
        );
        match &case.outcome {
            Outcome::Passed => {
                let _ = writeln!(xml, "{open}/>");
            }
            Outcome::Skipped { reason } => {
                let _ = writeln!(xml, "{open}>");
                let _ = writeln!(
                    xml,
                    r#"      <skipped message="{}"/>"#,
                    escape_markup(reason)
                );
                let _ = writeln!(xml, "    </testcase>");
            }
            Outcome::Failed { message } => {
                let _ = writeln!(xml, "{open}>");
                let _ = writeln!(
                    xml,
                    r#"      <failure message="{}">{}</failure>"#,
                    escape_markup(first_line(message)),
                    escape_markup(message),
                );
                if !case.logs.is_empty() {
                    let mut logs = String::new();
                    for log in &case.logs {
                        let _ = writeln!(logs, "--- docker logs {} ---", log.container);
                        logs.push_str(&log.text);
                        if !log.text.ends_with('\n') {
                            logs.push('\n');
                        }
                    }
                    let _ = writeln!(
                        xml,
                        "      <system-out>{}</system-out>",
                        escape_markup(&logs)
                    );
                }
                let _ = writeln!(xml, "    </testcase>");
            }
        }
    }
    let _ = writeln!(xml, "  </testsuite>");
    let _ = writeln!(xml, "</testsuites>");
    xml
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_run;

    #[test]
    fn junit_matches_golden_file() {
        insta::assert_snapshot!("junit", render_junit(&sample_run()));
    }

    #[test]
    fn junit_counts_match_cases() {
        let xml = render_junit(&sample_run());
        assert!(xml.contains(
            r#"<testsuite name="sanity" tests="3" failures="1" errors="0" skipped="1" time="5.257""#
        ));
    }

    #[test]
    fn all_passed_run_has_no_failure_or_skipped_elements() {
        let mut run = sample_run();
        run.cases.retain(|c| c.outcome == Outcome::Passed);
        let xml = render_junit(&run);
        assert!(!xml.contains("<failure"));
        assert!(!xml.contains("<skipped"));
        assert!(xml.contains(r#"tests="1" failures="0""#));
    }
}
