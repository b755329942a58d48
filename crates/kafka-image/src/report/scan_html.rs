//! The scan's HTML report: one self-contained file with the count per severity, the `--fail-on`
//! verdict and a row per finding (links to advisories are plain anchors, nothing is fetched).

use std::fmt::Write as _;

use super::{REPORT_CSS, escape_markup};
use crate::scanner::{ScanReport, Severity};

/// Renders `report` as HTML; `fail_on` is the threshold the verdict line is judged against.
pub(crate) fn render_scan_html(image: &str, report: &ScanReport, fail_on: Severity) -> String {
    let mut html = String::new();
    let blocking = report.at_or_above(fail_on).count();
    let verdict = if blocking == 0 {
        format!("<p class=\"passed\">No finding at or above {fail_on}.</p>")
    } else {
        format!("<p class=\"failed\">{blocking} finding(s) at or above {fail_on}.</p>")
    };
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>kafka-image scan: {image}</title>\n<style>\n{REPORT_CSS}</style>\n</head>\n<body>\n\
         <h1>Vulnerability scan: <code>{image}</code></h1>\n<p>Scanned artifact: <code>{artifact}</code> (trivy).</p>\n\
         {verdict}\n<p class=\"summary\">",
        image = escape_markup(image),
        artifact = escape_markup(&report.artifact),
    );
    for severity in Severity::DESCENDING {
        let _ = write!(
            html,
            "<span class=\"{severity}\">{severity}: {}</span>",
            report.count(severity)
        );
    }
    html.push_str("</p>\n");
    if report.findings.is_empty() {
        html.push_str("<p>No vulnerabilities found.</p>\n");
    } else {
        html.push_str(
            "<table>\n<tr><th>severity</th><th>id</th><th>package</th><th>installed</th>\
             <th>fixed in</th><th>target</th><th>title</th></tr>\n",
        );
        for finding in &report.findings {
            let id = match &finding.url {
                Some(url) => format!(
                    "<a href=\"{}\">{}</a>",
                    escape_markup(url),
                    escape_markup(&finding.id)
                ),
                None => escape_markup(&finding.id),
            };
            let _ = writeln!(
                html,
                "<tr><td class=\"{severity}\">{severity}</td><td>{id}</td><td>{package}</td>\
                 <td>{installed}</td><td>{fixed}</td><td>{target}</td><td>{title}</td></tr>",
                severity = finding.severity,
                package = escape_markup(&finding.package),
                installed = escape_markup(&finding.installed_version),
                fixed = escape_markup(finding.fixed_version.as_deref().unwrap_or("(no fix)")),
                target = escape_markup(&finding.target),
                title = escape_markup(finding.title.as_deref().unwrap_or("")),
            );
        }
        html.push_str("</table>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::parse_trivy_json;

    const RECORDED: &str = include_str!("../../tests/data/trivy-alpine-39-high-critical.json");

    #[test]
    fn scan_html_of_recorded_trivy_output_matches_golden_file() {
        let report = parse_trivy_json(RECORDED).unwrap();
        insta::assert_snapshot!(
            "scan_html",
            render_scan_html("alpine:3.9", &report, Severity::High)
        );
    }

    #[test]
    fn clean_report_says_so() {
        let report = ScanReport {
            artifact: "kafka:rc".to_owned(),
            image_id: None,
            image_names: vec![],
            findings: vec![],
        };
        let html = render_scan_html("kafka:rc", &report, Severity::Critical);
        assert!(html.contains("No finding at or above CRITICAL."));
        assert!(html.contains("No vulnerabilities found."));
        assert!(!html.contains("<script"));
    }
}
