//! The GitHub workflows of the release pipeline pass `ci/validate-workflows.sh`: GitHub's schema
//! (vendored in PyPI's `check-jsonschema`) and the project's rules (read-only default
//! permissions, actions pinned by SHA, every step a `kafka-image` call).

use std::path::Path;
use std::process::Command;

#[test]
fn workflows_pass_schema_and_project_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("ci/validate-workflows.sh");
    let out = Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("failed to run `{}`: {e}", script.display()));
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let workflows = std::fs::read_dir(root.join(".github/workflows"))
        .expect("the workflows directory")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yml"))
        })
        .count();
    assert!(workflows >= 5, "{workflows} workflows");
    assert!(
        stdout.contains(&format!(
            "ok -- project rules hold for {workflows} workflow(s)"
        )),
        "{stdout}"
    );
}

#[test]
fn every_pipeline_workflow_exists_and_calls_kafka_image() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.github/workflows");
    for (file, verb) in [
        ("build-test-scan.yml", "kafka-image test"),
        ("build-test-scan.yml", "kafka-image scan"),
        ("nightly-scan.yml", "kafka-image scan"),
        ("release-rc.yml", "kafka-image release"),
        ("promote.yml", "kafka-image promote"),
    ] {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("failed to read `{file}`: {e}"));
        assert!(text.contains(verb), "{file} does not run `{verb}`");
    }
}
