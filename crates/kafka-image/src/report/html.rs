//! The sanity suite's HTML report: one self-contained file (inline CSS, no scripts, no links to
//! fetch) with a summary line, a row per case and the logs of failed cases' containers.

use std::fmt::Write as _;

use super::{Outcome, REPORT_CSS, SuiteRun, escape_markup, format_seconds};

/// Renders `run` as an HTML document.
pub(crate) fn render_suite_html(run: &SuiteRun) -> String {
    let mut html = String::new();
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>kafka-image test: {image}</title>\n<style>\n{REPORT_CSS}</style>\n</head>\n<body>\n\
         <h1>kafka-image sanity suite: <code>{image}</code></h1>\n\
         <p>Started {started}; distribution: {distribution}.</p>\n\
         <p class=\"summary\"><span class=\"passed\">{passed} passed</span>\
         <span class=\"failed\">{failed} failed</span>\
         <span class=\"not-run\">{not_run} not run</span><span>{time} s</span></p>\n",
        image = escape_markup(&run.image),
        started = escape_markup(&run.started),
        distribution = escape_markup(&run.distribution),
        passed = run.passed(),
        failed = run.failed(),
        not_run = run.not_run(),
        time = format_seconds(run.duration()),
    );
    html.push_str(
        "<table>\n<tr><th>case</th><th>checks</th><th>result</th><th>time (s)</th></tr>\n",
    );
    for case in &run.cases {
        let (class, result) = match &case.outcome {
            Outcome::Passed => ("passed", "passed".to_owned()),
            Outcome::Failed { message } => ("failed", format!("failed: {message}")),
            Outcome::NotRun { reason } => ("not-run", format!("not run: {reason}")),
        };
        let _ = writeln!(
            html,
            "<tr id=\"{name}\"><td><code>{name}</code></td><td>{description}</td>\
             <td class=\"{class}\">{result}</td><td>{time}</td></tr>",
            name = escape_markup(&case.name),
            description = escape_markup(&case.description),
            result = escape_markup(&result),
            time = format_seconds(case.duration),
        );
    }
    html.push_str("</table>\n");
    let failed_with_logs: Vec<_> = run.cases.iter().filter(|c| !c.logs.is_empty()).collect();
    if !failed_with_logs.is_empty() {
        html.push_str("<h2>Container logs of failed cases</h2>\n");
        for case in failed_with_logs {
            for log in &case.logs {
                let _ = writeln!(
                    html,
                    "<details open><summary><code>{}</code>: container <code>{}</code></summary>\
                     <pre>{}</pre></details>",
                    escape_markup(&case.name),
                    escape_markup(&log.container),
                    escape_markup(&log.text),
                );
            }
        }
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_run;

    #[test]
    fn suite_html_matches_golden_file() {
        insta::assert_snapshot!("suite_html", render_suite_html(&sample_run()));
    }

    #[test]
    fn suite_html_is_self_contained() {
        let html = render_suite_html(&sample_run());
        for external in ["<script", "<link", "src=", "http://", "https://"] {
            assert!(!html.contains(external), "found `{external}`");
        }
    }

    #[test]
    fn not_run_reason_is_shown() {
        let html = render_suite_html(&sample_run());
        assert!(
            html.contains("<td class=\"not-run\">not run: needs a real Kafka distribution</td>")
        );
    }
}
