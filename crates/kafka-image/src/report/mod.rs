//! Reports written by `test` and `scan`: JUnit XML for CI and self-contained HTML for people.
//!
//! The renderers are pure functions of a [`SuiteRun`] (or a [`ScanReport`](crate::scanner::ScanReport))
//! to a string, golden-file tested with `insta`; [`write_report_file`] is the one place that
//! writes them, atomically (temp file in the same directory, then rename).

pub(crate) mod html;
pub(crate) mod junit;
pub(crate) mod scan_html;
pub(crate) mod timeline;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

/// How one case of the sanity suite ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every check of the case held.
    Passed,
    /// A check failed; `message` says which and what was seen.
    Failed {
        /// The failure, one paragraph.
        message: String,
    },
    /// The case was left out; `reason` says why (`--skip` named it).
    Skipped {
        /// Why it was left out.
        reason: String,
    },
}

/// The logs of one container, attached to a failed case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerLog {
    /// The container's name.
    pub(crate) container: String,
    /// Its `docker logs` output (stdout and stderr), possibly truncated to the tail.
    pub(crate) text: String,
}

/// One fault injected into a running cluster, as the HTML report draws it and the console prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FaultRecord {
    /// What was done, e.g. "docker kill the active controller (kafka-2)".
    pub(crate) fault: String,
    /// Records the producer had acknowledged when the check ran (since it started).
    pub(crate) acknowledged: usize,
    /// Of those, how many were read back at their acknowledged offset.
    pub(crate) read_back: usize,
    /// The longest time without an acknowledgement between the fault and the recovery.
    pub(crate) stall: Duration,
    /// Acknowledged records per second, one entry per second from the start of the window.
    pub(crate) acks_per_second: Vec<u32>,
    /// When the fault was injected, from the start of the window.
    pub(crate) fault_at: Duration,
    /// When the cluster was whole again (every node serving, the ISR complete), from the start of
    /// the window.
    pub(crate) recovered_at: Duration,
}

/// The result of one named case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaseResult {
    /// The case name (`default_config_serves`, ...), what `--only` selects.
    pub(crate) name: String,
    /// One sentence saying what the case checks.
    pub(crate) description: String,
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// How long it took.
    pub(crate) duration: Duration,
    /// Logs of the case's containers, kept when it failed.
    pub(crate) logs: Vec<ContainerLog>,
    /// The faults the case injected, in order (fault cases only).
    pub(crate) faults: Vec<FaultRecord>,
}

/// One run of the sanity suite against one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SuiteRun {
    /// The image under test.
    pub(crate) image: String,
    /// When the run started, RFC 3339 UTC.
    pub(crate) started: String,
    /// What the image holds (e.g. "fixture distribution" or "Apache Kafka 4.1.0").
    pub(crate) distribution: String,
    /// The cases, in run order.
    pub(crate) cases: Vec<CaseResult>,
}

impl SuiteRun {
    /// Number of passed cases.
    pub(crate) fn passed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.outcome == Outcome::Passed)
            .count()
    }

    /// Number of failed cases.
    pub(crate) fn failed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed { .. }))
            .count()
    }

    /// Number of cases left out.
    pub(crate) fn skipped(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
            .count()
    }

    /// Total time of all cases.
    pub(crate) fn duration(&self) -> Duration {
        self.cases.iter().map(|c| c.duration).sum()
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for XML and HTML text and attribute values, and drops the
/// control characters XML 1.0 forbids (container logs can hold them).
pub(crate) fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// Seconds with millisecond precision, as JUnit's `time` attribute wants.
pub(crate) fn format_seconds(duration: Duration) -> String {
    format!("{}.{:03}", duration.as_secs(), duration.subsec_millis())
}

/// `time` as RFC 3339 UTC with second precision (`2026-11-25T17:42:00Z`).
pub(crate) fn format_utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = kafka_storage::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Writes `contents` to `dir/name` atomically (temp file in `dir`, then rename), creating `dir`.
pub(crate) fn write_report_file(dir: &Path, name: &str, contents: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create report directory `{}`", dir.display()))?;
    let path = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&temp, contents)
        .with_context(|| format!("failed to write `{}`", temp.display()))?;
    std::fs::rename(&temp, &path).with_context(|| {
        format!(
            "failed to rename `{}` to `{}`",
            temp.display(),
            path.display()
        )
    })?;
    Ok(path)
}

/// The CSS shared by the HTML reports (inlined: the reports are single self-contained files).
pub(crate) const REPORT_CSS: &str = "\
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
.passed{color:#176f2c;font-weight:bold}
.failed{color:#b00020;font-weight:bold}
.skipped{color:#7a5c00;font-weight:bold}
.CRITICAL{background:#7a0019;color:#fff}
.HIGH{background:#d9480f;color:#fff}
.MEDIUM{background:#f59f00}
.LOW{background:#ffe066}
.UNKNOWN{background:#dee2e6}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto;max-height:30em}
.summary span{margin-right:1.5em}
";

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn utc_timestamps_follow_the_calendar() {
        let at = |secs| format_utc(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_709_208_000), "2024-02-29T12:00:00Z");
        assert_eq!(at(1_796_123_232), "2026-12-01T11:07:12Z");
    }

    /// A fixed run with one case of each outcome, for the golden files of both renderers.
    pub(crate) fn sample_fault() -> FaultRecord {
        FaultRecord {
            fault: "docker kill the active controller (kafka-2)".to_owned(),
            acknowledged: 420,
            read_back: 420,
            stall: Duration::from_millis(2_750),
            acks_per_second: vec![20, 20, 20, 4, 0, 0, 11, 20],
            fault_at: Duration::from_secs(3),
            recovered_at: Duration::from_millis(6_500),
        }
    }

    pub(crate) fn sample_run() -> SuiteRun {
        SuiteRun {
            image: "kafka-image/kafka:test".to_owned(),
            started: "2026-11-25T17:42:00Z".to_owned(),
            distribution: "fixture distribution (not Apache Kafka)".to_owned(),
            cases: vec![
                CaseResult {
                    name: "default_config_starts".to_owned(),
                    description:
                        "`docker run IMAGE` with no configuration starts and turns healthy"
                            .to_owned(),
                    outcome: Outcome::Passed,
                    duration: Duration::from_millis(4_250),
                    logs: vec![],
                    faults: vec![],
                },
                CaseResult {
                    name: "bad_config_fails_fast".to_owned(),
                    description: "an invalid variable stops the container with a clear error"
                        .to_owned(),
                    outcome: Outcome::Failed {
                        message: "container exited with 0, expected 2 <bad>".to_owned(),
                    },
                    duration: Duration::from_millis(1_007),
                    faults: vec![],
                    logs: vec![ContainerLog {
                        container: "kafka-image-test-bad".to_owned(),
                        text: "error: `KAFKA_NODE_ID` = \"x\" & not an integer\n\u{1b}[0m"
                            .to_owned(),
                    }],
                },
                CaseResult {
                    name: "sasl_scram".to_owned(),
                    description: "a client authenticates with SCRAM-SHA-512 and produces"
                        .to_owned(),
                    outcome: Outcome::Skipped {
                        reason: "named by --skip".to_owned(),
                    },
                    duration: Duration::ZERO,
                    logs: vec![],
                    faults: vec![],
                },
            ],
        }
    }

    #[test]
    fn markup_escapes_specials_and_drops_control_characters() {
        assert_eq!(
            escape_markup("<a href=\"x\">&'\u{1b}[0m\n"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;[0m\n"
        );
    }

    #[test]
    fn seconds_keep_milliseconds() {
        assert_eq!(format_seconds(Duration::from_millis(4_250)), "4.250");
        assert_eq!(format_seconds(Duration::from_micros(999)), "0.000");
    }

    #[test]
    fn utc_formatting_matches_known_instants() {
        assert_eq!(format_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(1_709_210_096)),
            "2024-02-29T12:34:56Z"
        );
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn counts_each_outcome() {
        let run = sample_run();
        assert_eq!((run.passed(), run.failed(), run.skipped()), (1, 1, 1));
        assert_eq!(run.duration(), Duration::from_millis(5_257));
    }

    #[test]
    fn report_file_is_written_whole_and_no_temp_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nested");
        let path = write_report_file(&target, "r.xml", "<x/>").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "<x/>");
        let names: Vec<_> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["r.xml"]);
    }
}
