//! The sanity suite's HTML report: one self-contained file (inline CSS, no scripts, no links to
//! fetch) with a summary line, a row per case and the logs of failed cases' containers.

use std::fmt::Write as _;

use super::timeline::render_timeline_svg;
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
         <span class=\"skipped\">{skipped} skipped</span><span>{time} s</span></p>\n",
        image = escape_markup(&run.image),
        started = escape_markup(&run.started),
        distribution = escape_markup(&run.distribution),
        passed = run.passed(),
        failed = run.failed(),
        skipped = run.skipped(),
        time = format_seconds(run.duration()),
    );
    html.push_str(
        "<table>\n<tr><th>case</th><th>checks</th><th>result</th><th>time (s)</th></tr>\n",
    );
    for case in &run.cases {
        let (class, result) = match &case.outcome {
            Outcome::Passed => ("passed", "passed".to_owned()),
            Outcome::Failed { message } => ("failed", format!("failed: {message}")),
            Outcome::Skipped { reason } => ("skipped", format!("skipped: {reason}")),
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
    for case in run.cases.iter().filter(|c| !c.faults.is_empty()) {
        let _ = writeln!(
            html,
            "<h2>Faults of <code>{}</code></h2>",
            escape_markup(&case.name)
        );
        for fault in &case.faults {
            let _ = write!(
                html,
                "<h3>{}</h3>\n<p>{} records acknowledged, {} read back at their offsets, \
                 producing stalled {} s.</p>\n{}",
                escape_markup(&fault.fault),
                fault.acknowledged,
                fault.read_back,
                format_seconds(fault.stall),
                render_timeline_svg(fault),
            );
        }
    }
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
    use crate::report::tests::{sample_fault, sample_run};

    #[test]
    fn suite_html_matches_golden_file() {
        insta::assert_snapshot!("suite_html", render_suite_html(&sample_run()));
    }

    #[test]
    fn suite_html_is_self_contained() {
        let html = render_suite_html(&sample_run());
        // The one URL allowed is the SVG namespace name, which nothing fetches.
        let html = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for external in ["<script", "<link", "src=", "http://", "https://"] {
            assert!(!html.contains(external), "found `{external}`");
        }
    }

    #[test]
    fn faults_get_a_line_and_a_timeline_each() {
        let mut run = sample_run();
        run.cases[0].faults = vec![sample_fault(), sample_fault()];
        let html = render_suite_html(&run);
        assert!(html.contains("<h2>Faults of <code>default_config_starts</code></h2>"));
        assert!(html.contains(
            "<h3>docker kill the active controller (kafka-2)</h3>\n<p>420 records acknowledged, \
             420 read back at their offsets, producing stalled 2.750 s.</p>"
        ));
        assert_eq!(html.matches("<svg ").count(), 2);
    }

    #[test]
    fn skipped_reason_is_shown() {
        let html = render_suite_html(&sample_run());
        assert!(html.contains("<td class=\"skipped\">skipped: named by --skip</td>"));
    }
}
