//! The configuration contract as golden files: each folder of `tests/cases/` is one behaviour.
//!
//! A case holds its inputs, `env` (`NAME=value` lines; `#` starts a comment line), `defaults/`,
//! `mounted/`, `secrets/` and `files/` (targets of `NAME_FILE` paths, relative to the case), and
//! its expected outputs: `expected/` (every planned file, byte for byte) or
//! `expected-problems.txt` (the rendered problem list), plus `expected-warnings.txt` and
//! `expected-print.txt` (`setup --print`) when the case has warnings or checks the print.
//! Run with `UPDATE_GOLDEN=1` to rewrite the expected files, then review the diff.
#![allow(
    clippy::disallowed_methods,
    reason = "the harness reads case folders from disk; the library under test stays pure"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use kafka_config::{
    EnvSnapshot, FileRead, SetupInput, SetupPaths, plan_setup, secret_files_to_read,
    value_files_to_read,
};

fn read_dir_files(dir: &Path) -> BTreeMap<String, FileRead> {
    let mut files = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let entry = entry.expect("dir entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let read = if entry.path().is_dir() {
            FileRead::Directory
        } else {
            FileRead::Contents(fs::read(entry.path()).expect("read case file"))
        };
        files.insert(name, read);
    }
    files
}

fn read_env(case: &Path) -> Vec<(String, String)> {
    let Ok(text) = fs::read_to_string(case.join("env")) else {
        return Vec::new();
    };
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn input_for(case: &Path) -> SetupInput {
    let env = EnvSnapshot::from_pairs(read_env(case));
    let defaults = read_dir_files(&case.join("defaults"))
        .into_iter()
        .filter_map(|(name, read)| match read {
            FileRead::Contents(bytes) => Some((name, bytes)),
            _ => None,
        })
        .collect();
    let value_files = value_files_to_read(&env)
        .into_iter()
        .map(|(var, path)| {
            let read = fs::read(case.join(&path)).map_or(FileRead::Missing, FileRead::Contents);
            (var, read)
        })
        .collect();
    let secrets = secret_files_to_read(&env)
        .into_iter()
        .map(|request| {
            let path = case.join("secrets").join(&request.file_name);
            let read = match fs::read(&path) {
                Ok(_) if !request.needs_contents => FileRead::Present,
                Ok(bytes) => FileRead::Contents(bytes),
                Err(_) => FileRead::Missing,
            };
            (request.file_name, read)
        })
        .collect();
    SetupInput {
        env,
        paths: SetupPaths {
            defaults: "/etc/kafka/docker".into(),
            mounted: "/mnt/shared/config".into(),
            secrets: "/etc/kafka/secrets".into(),
        },
        defaults,
        mounted: read_dir_files(&case.join("mounted")),
        value_files,
        secrets,
        now: std::time::SystemTime::UNIX_EPOCH,
    }
}

fn render_warnings(warnings: &[kafka_config::Warning]) -> String {
    let mut out = String::new();
    for warning in warnings {
        out.push_str(&format!("warning: {warning}\n"));
        if let Some(help) = warning.help() {
            out.push_str(&format!("help: {help}\n"));
        }
    }
    out
}

/// Compares `actual` with the file at `path` (absent means empty), or writes it when updating.
fn check(path: &Path, actual: &[u8], update: bool, failures: &mut Vec<String>) {
    let expected = fs::read(path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if update {
        if actual.is_empty() {
            let _ = fs::remove_file(path);
        } else {
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(path, actual).expect("write golden file");
        }
        return;
    }
    failures.push(format!(
        "{}:\n--- expected\n{}\n--- actual\n{}",
        path.display(),
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(actual)
    ));
}

fn run_case(case: &Path, update: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let input = input_for(case);
    match plan_setup(&input) {
        Ok(plan) => {
            check(
                &case.join("expected-problems.txt"),
                b"",
                update,
                &mut failures,
            );
            let expected_dir = case.join("expected");
            let mut planned: Vec<&str> = Vec::new();
            for file in &plan.files {
                planned.push(&file.name);
                check(
                    &expected_dir.join(&file.name),
                    &file.contents,
                    update,
                    &mut failures,
                );
            }
            if let Ok(entries) = fs::read_dir(&expected_dir) {
                for entry in entries {
                    let name = entry
                        .expect("entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned();
                    if !planned.contains(&name.as_str()) {
                        if update {
                            fs::remove_file(expected_dir.join(&name))
                                .expect("remove stale golden file");
                        } else {
                            failures.push(format!(
                                "{}: expected `{name}`, which was not planned",
                                case.display()
                            ));
                        }
                    }
                }
            }
            check(
                &case.join("expected-warnings.txt"),
                render_warnings(&plan.warnings).as_bytes(),
                update,
                &mut failures,
            );
            let print_path = case.join("expected-print.txt");
            if print_path.exists() {
                check(
                    &print_path,
                    kafka_config::redact::render_effective(&plan.server_properties, &plan.sources)
                        .as_bytes(),
                    update,
                    &mut failures,
                );
            }
        }
        Err(problems) => {
            if case.join("expected").exists() && !update {
                failures.push(format!(
                    "{}: expected files, got problems:\n{problems}",
                    case.display()
                ));
            }
            check(
                &case.join("expected-problems.txt"),
                format!("{problems}\n").as_bytes(),
                update,
                &mut failures,
            );
        }
    }
    failures
}

#[test]
fn every_case_renders_its_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/cases exists")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "expected the full set of cases, found {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|case| run_case(case, update))
        .collect();
    assert!(
        failures.is_empty(),
        "{} golden mismatches:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn planning_is_deterministic_for_every_case() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    for entry in fs::read_dir(&root).expect("tests/cases exists") {
        let case = entry.expect("entry").path();
        let input = input_for(&case);
        assert_eq!(plan_setup(&input), plan_setup(&input), "{}", case.display());
    }
}
