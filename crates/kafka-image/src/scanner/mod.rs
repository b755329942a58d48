//! Vulnerability scanning: typed findings parsed from trivy's JSON output.
//!
//! The scanner itself is an external program behind the [`Scanner`] trait ([`trivy::Trivy`] is
//! the one implementation). Everything after the program has run is pure: [`parse_trivy_json`]
//! turns its output into a [`ScanReport`], which the `scan` command renders and judges against
//! `--fail-on`.

pub(crate) mod trivy;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a finding is, in trivy's scale (lowest first, so `Ord` ranks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum Severity {
    /// The database has no severity for this vulnerability.
    Unknown,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every severity, highest first (the order of the report's summary).
    pub(crate) const DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];

    /// The name trivy and `--fail-on` use.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of trivy's five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{found}`; expected one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN")]
pub(crate) struct UnknownSeverity {
    /// What was given.
    pub(crate) found: String,
}

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::DESCENDING
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSeverity {
                found: s.to_owned(),
            })
    }
}

/// One vulnerable package in one target of the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    /// CVE or vendor id (`CVE-2019-14697`).
    pub(crate) id: String,
    /// How bad it is.
    pub(crate) severity: Severity,
    /// The vulnerable package.
    pub(crate) package: String,
    /// The version installed in the image.
    pub(crate) installed_version: String,
    /// The first fixed version, when there is one.
    pub(crate) fixed_version: Option<String>,
    /// What trivy scanned to find it (OS packages or a language lock file).
    pub(crate) target: String,
    /// One-line title, when the database has one.
    pub(crate) title: Option<String>,
    /// Link to the advisory.
    pub(crate) url: Option<String>,
}

/// Everything one scan found, sorted most severe first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ScanReport {
    /// The image (or archive) trivy scanned, as trivy names it.
    pub(crate) artifact: String,
    /// The scanned image's id (`Metadata.ImageID`, `sha256:…`), when trivy recorded one.
    pub(crate) image_id: Option<String>,
    /// The scanned image's tags and digests (`Metadata.RepoTags`, `Metadata.RepoDigests`).
    pub(crate) image_names: Vec<String>,
    /// The findings, most severe first, then by id and package.
    pub(crate) findings: Vec<Finding>,
}

impl ScanReport {
    /// How many findings have exactly `severity`.
    pub(crate) fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .count()
    }

    /// The findings at or above `threshold` (what `--fail-on` fails on).
    pub(crate) fn at_or_above(&self, threshold: Severity) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |finding| finding.severity >= threshold)
    }
}

/// Why trivy's output could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TrivyOutputError {
    /// Not JSON of the expected shape.
    #[error("trivy output is not a trivy JSON report: {source}")]
    Malformed {
        /// What serde said.
        source: serde_json::Error,
    },
    /// An old (or future) report format.
    #[error(
        "trivy JSON report has schema version {found}, expected 2 (trivy 0.20 or later); \
         upgrade trivy"
    )]
    UnsupportedSchema {
        /// The `SchemaVersion` found (0 when absent: the pre-0.20 list format).
        found: u64,
    },
    /// A finding with a severity outside trivy's scale.
    #[error("finding `{id}` in `{target}` has unknown severity `{found}`")]
    UnknownSeverity {
        /// The vulnerability id.
        id: String,
        /// The target it was found in.
        target: String,
        /// The severity given.
        found: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyReport {
    #[serde(default)]
    artifact_name: String,
    #[serde(default)]
    metadata: TrivyMetadata,
    #[serde(default)]
    results: Vec<TrivyResult>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct TrivyMetadata {
    #[serde(rename = "ImageID", default)]
    image_id: Option<String>,
    #[serde(default)]
    repo_tags: Vec<String>,
    #[serde(default)]
    repo_digests: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyResult {
    target: String,
    #[serde(default)]
    vulnerabilities: Option<Vec<TrivyVulnerability>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyVulnerability {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: String,
    pkg_name: String,
    installed_version: String,
    #[serde(default)]
    fixed_version: Option<String>,
    severity: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(rename = "PrimaryURL", default)]
    primary_url: Option<String>,
}

/// Parses the output of `trivy image --format json` (schema version 2).
pub(crate) fn parse_trivy_json(json: &str) -> Result<ScanReport, TrivyOutputError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| TrivyOutputError::Malformed { source })?;
    let schema = value
        .get("SchemaVersion")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if schema != 2 {
        return Err(TrivyOutputError::UnsupportedSchema { found: schema });
    }
    let report: TrivyReport =
        serde_json::from_value(value).map_err(|source| TrivyOutputError::Malformed { source })?;
    let mut findings = Vec::new();
    for result in report.results {
        for vulnerability in result.vulnerabilities.unwrap_or_default() {
            let severity = vulnerability.severity.parse::<Severity>().map_err(|_| {
                TrivyOutputError::UnknownSeverity {
                    id: vulnerability.vulnerability_id.clone(),
                    target: result.target.clone(),
                    found: vulnerability.severity.clone(),
                }
            })?;
            findings.push(Finding {
                id: vulnerability.vulnerability_id,
                severity,
                package: vulnerability.pkg_name,
                installed_version: vulnerability.installed_version,
                fixed_version: vulnerability.fixed_version.filter(|v| !v.is_empty()),
                target: result.target.clone(),
                title: vulnerability.title,
                url: vulnerability.primary_url,
            });
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.package.cmp(&b.package))
    });
    let mut image_names = report.metadata.repo_tags;
    image_names.extend(report.metadata.repo_digests);
    Ok(ScanReport {
        artifact: report.artifact_name,
        image_id: report.metadata.image_id.filter(|id| !id.is_empty()),
        image_names,
        findings,
    })
}

impl ScanReport {
    /// Whether this report is about `image`: trivy's artifact name, one of the image's recorded
    /// tags or digests is `image`, or the recorded image id is `local_id` (the id the engine
    /// gives `image`, when it has it).
    pub(crate) fn is_about(&self, image: &str, local_id: Option<&str>) -> bool {
        self.artifact == image
            || self.image_names.iter().any(|name| name == image)
            || matches!((&self.image_id, local_id), (Some(recorded), Some(local)) if recorded == local)
    }
}

/// Runs a vulnerability scanner on an image and returns its raw JSON report.
pub(crate) trait Scanner {
    /// Scans `image` (a local image reference) and returns the scanner's JSON output.
    fn scan(&self, image: &str) -> Result<String, trivy::TrivyError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &str = include_str!("../../tests/data/trivy-alpine-39-high-critical.json");

    fn report_with(severities: &[&str]) -> String {
        let vulnerabilities: Vec<String> = severities
            .iter()
            .enumerate()
            .map(|(i, severity)| {
                format!(
                    r#"{{"VulnerabilityID":"CVE-2024-{i}","PkgName":"pkg{i}","InstalledVersion":"1.0","Severity":"{severity}"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"SchemaVersion":2,"ArtifactName":"img","Results":[{{"Target":"t","Vulnerabilities":[{}]}}]}}"#,
            vulnerabilities.join(",")
        )
    }

    #[test]
    fn report_knows_which_image_it_is_about() {
        let report = parse_trivy_json(include_str!(
            "../../tests/data/trivy-0.59.1-secret-scan-fixture-image.json"
        ))
        .unwrap();
        assert!(report.is_about("kafka-image-test:fixture-4.1.0", None));
        assert!(report.is_about(
            "other:name",
            Some("sha256:59dd00e3508e140468dc7acdd9c821a4c115b70ee397fad621aa7ac2e783dcba")
        ));
        assert!(!report.is_about("kafka:4.4.0", Some("sha256:0000")));
        assert!(!report.is_about("kafka:4.4.0", None));
    }

    #[test]
    fn recorded_trivy_report_parses_into_typed_findings() {
        let report = parse_trivy_json(RECORDED).unwrap();
        assert_eq!(report.artifact, "testdata/fixtures/images/alpine-39.tar.gz");
        assert_eq!(report.findings.len(), 2);
        let musl = &report.findings[0];
        assert_eq!(musl.id, "CVE-2019-14697");
        assert_eq!(musl.severity, Severity::Critical);
        assert_eq!(musl.package, "musl");
        assert_eq!(musl.installed_version, "1.1.20-r4");
        assert_eq!(musl.fixed_version.as_deref(), Some("1.1.20-r5"));
        assert_eq!(
            musl.target,
            "testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)"
        );
        assert_eq!(
            musl.url.as_deref(),
            Some("https://avd.aquasec.com/nvd/cve-2019-14697")
        );
        assert_eq!(report.findings[1].package, "musl-utils");
        assert_eq!(report.count(Severity::Critical), 2);
        assert_eq!(report.count(Severity::High), 0);
    }

    #[test]
    fn findings_are_sorted_most_severe_first() {
        let report =
            parse_trivy_json(&report_with(&["LOW", "CRITICAL", "MEDIUM", "HIGH"])).unwrap();
        let order: Vec<Severity> = report.findings.iter().map(|f| f.severity).collect();
        assert_eq!(
            order,
            [
                Severity::Critical,
                Severity::High,
                Severity::Medium,
                Severity::Low
            ]
        );
    }

    #[test]
    fn threshold_counts_findings_at_or_above_it() {
        let report = parse_trivy_json(&report_with(&["LOW", "MEDIUM", "HIGH", "UNKNOWN"])).unwrap();
        assert_eq!(report.at_or_above(Severity::High).count(), 1);
        assert_eq!(report.at_or_above(Severity::Medium).count(), 2);
        assert_eq!(report.at_or_above(Severity::Critical).count(), 0);
        assert_eq!(report.at_or_above(Severity::Unknown).count(), 4);
    }

    #[test]
    fn target_without_vulnerabilities_is_null_in_trivy_output() {
        let json = r#"{"SchemaVersion":2,"ArtifactName":"img","Results":[{"Target":"x","Vulnerabilities":null}]}"#;
        assert!(parse_trivy_json(json).unwrap().findings.is_empty());
    }

    #[test]
    fn pre_0_20_list_format_is_refused_with_upgrade_hint() {
        let err = parse_trivy_json(r#"[{"Target":"x","Vulnerabilities":null}]"#).unwrap_err();
        assert!(matches!(
            err,
            TrivyOutputError::UnsupportedSchema { found: 0 }
        ));
        assert!(err.to_string().contains("upgrade trivy"));
    }

    #[test]
    fn unknown_severity_names_the_finding() {
        let err = parse_trivy_json(&report_with(&["SEVERE"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "finding `CVE-2024-0` in `t` has unknown severity `SEVERE`"
        );
    }

    #[test]
    fn severity_parses_case_insensitively_and_rejects_others() {
        assert_eq!("high".parse::<Severity>().unwrap(), Severity::High);
        assert_eq!("CRITICAL".parse::<Severity>().unwrap(), Severity::Critical);
        assert_eq!(
            "urgent".parse::<Severity>().unwrap_err().found,
            "urgent".to_owned()
        );
    }

    #[test]
    fn real_trivy_run_on_the_fixture_image_without_results_is_clean() {
        let json = include_str!("../../tests/data/trivy-0.59.1-secret-scan-fixture-image.json");
        let report = parse_trivy_json(json).unwrap();
        assert_eq!(report.artifact, "kafka-image-test:fixture-4.1.0");
        assert!(report.findings.is_empty());
        assert_eq!(report.at_or_above(Severity::Unknown).count(), 0);
    }

    #[test]
    fn truncated_output_is_malformed() {
        let err = parse_trivy_json(&RECORDED[..200]).unwrap_err();
        assert!(matches!(err, TrivyOutputError::Malformed { .. }));
    }
}
