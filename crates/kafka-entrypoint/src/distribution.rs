//! What the entrypoint reads from the Kafka distribution (`KAFKA_HOME`): the classpath that
//! `kafka-run-class.sh` would build from `libs/`, and whether Kafka's `bin/` scripts are there
//! (a distribution assembled from Maven Central has none).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::launch::is_classpath_file;

/// The files of `KAFKA_HOME/libs` that `kafka-run-class.sh` puts on the classpath, in the order
/// of its `"$base_dir"/libs/*` glob (byte order, as in a container's C locale).
pub(crate) fn classpath(kafka_home: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let libs = kafka_home.join("libs");
    let entries = std::fs::read_dir(&libs).with_context(|| {
        format!(
            "failed to list `{}`\nhelp: `--kafka-home`/`KAFKA_HOME` must be a Kafka distribution \
             with its `libs/`",
            libs.display()
        )
    })?;
    let mut jars = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to list `{}`", libs.display()))?;
        let name = entry.file_name();
        // The glob does not match names starting with a dot.
        if !name.as_encoded_bytes().starts_with(b".") && is_classpath_file(&name) {
            jars.push(entry.path());
        }
    }
    if jars.is_empty() {
        bail!(
            "`{}` holds no jars: the classpath would be empty\nhelp: `--kafka-home`/`KAFKA_HOME` \
             must be a Kafka distribution with its `libs/`",
            libs.display()
        );
    }
    jars.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    Ok(jars)
}

/// Kafka's major version, from the name of the core jar on the classpath
/// (`kafka_2.13-4.4.0.jar` gives 4).
pub(crate) fn kafka_major_version(classpath: &[PathBuf]) -> Option<u32> {
    classpath.iter().find_map(|jar| {
        let name = jar.file_name()?.to_str()?;
        let version = name
            .strip_prefix("kafka_2.1")?
            .split_once('-')?
            .1
            .strip_suffix(".jar")?;
        version.split('.').next()?.parse().ok()
    })
}

/// Whether the distribution ships Kafka's start script (`bin/kafka-server-start.sh`).
pub(crate) fn has_scripts(kafka_home: &Path) -> bool {
    kafka_home
        .join("bin")
        .join("kafka-server-start.sh")
        .is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classpath_is_libs_in_byte_order_without_excluded_or_hidden_files() {
        let home = tempfile::tempdir().unwrap();
        let libs = home.path().join("libs");
        std::fs::create_dir(&libs).unwrap();
        for name in [
            "b.jar",
            "a.jar",
            "B.jar",
            "x-test.jar",
            ".hidden.jar",
            "a.jar.asc",
        ] {
            std::fs::write(libs.join(name), "").unwrap();
        }
        assert_eq!(
            classpath(home.path()).unwrap(),
            [libs.join("B.jar"), libs.join("a.jar"), libs.join("b.jar")]
        );
    }

    #[test]
    fn major_version_comes_from_the_core_jar() {
        let jars = |names: &[&str]| names.iter().map(PathBuf::from).collect::<Vec<_>>();
        assert_eq!(
            kafka_major_version(&jars(&[
                "/l/kafka-clients-3.9.2.jar",
                "/l/kafka_2.13-3.9.2.jar"
            ])),
            Some(3)
        );
        assert_eq!(
            kafka_major_version(&jars(&["/l/kafka_2.13-4.4.0.jar"])),
            Some(4)
        );
        assert_eq!(
            kafka_major_version(&jars(&["/l/kafka-clients-4.4.0.jar"])),
            None
        );
    }

    #[test]
    fn a_missing_or_empty_libs_directory_is_an_error_naming_it() {
        let home = tempfile::tempdir().unwrap();
        let error = classpath(home.path()).unwrap_err();
        assert!(format!("{error:#}").contains("libs"), "{error:#}");
        std::fs::create_dir(home.path().join("libs")).unwrap();
        let error = classpath(home.path()).unwrap_err();
        assert!(error.to_string().contains("holds no jars"), "{error:#}");
        assert!(!has_scripts(home.path()));
    }
}
