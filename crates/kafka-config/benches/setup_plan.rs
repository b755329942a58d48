//! Benchmark of the configuration core's whole plan (`plan_setup`) on the input of issue 2: 200
//! environment variables and a 300-line mounted `server.properties`, with the image's real
//! defaults (`docker/config`). The input files are `bench/fixtures/` (made by
//! `bench/fixtures/make-setup-input`), the same ones `bench/run-setup-bench.sh` feeds the release
//! binary, so the two figures describe one workload.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kafka_config::{EnvSnapshot, FileRead, SetupInput, SetupPaths, plan_setup};

const SETUP_ENV: &str = include_str!("../../../bench/fixtures/setup.env");
const MOUNTED_SERVER_PROPERTIES: &[u8] =
    include_bytes!("../../../bench/fixtures/mounted/server.properties");
const DEFAULT_SERVER_PROPERTIES: &[u8] = include_bytes!("../../../docker/config/server.properties");
const DEFAULT_LOG4J2: &[u8] = include_bytes!("../../../docker/config/log4j2/log4j2.yaml");
const DEFAULT_TOOLS_LOG4J2: &[u8] =
    include_bytes!("../../../docker/config/log4j2/tools-log4j2.yaml");

fn setup_input() -> SetupInput {
    let env = EnvSnapshot::from_pairs(SETUP_ENV.lines().filter_map(|line| line.split_once('=')));
    let defaults = BTreeMap::from([
        (
            "server.properties".to_owned(),
            DEFAULT_SERVER_PROPERTIES.to_vec(),
        ),
        ("log4j2.yaml".to_owned(), DEFAULT_LOG4J2.to_vec()),
        (
            "tools-log4j2.yaml".to_owned(),
            DEFAULT_TOOLS_LOG4J2.to_vec(),
        ),
    ]);
    let mounted = BTreeMap::from([(
        "server.properties".to_owned(),
        FileRead::Contents(MOUNTED_SERVER_PROPERTIES.to_vec()),
    )]);
    SetupInput {
        env,
        paths: SetupPaths {
            defaults: "/etc/kafka/docker".to_owned(),
            mounted: "/mnt/shared/config".to_owned(),
            secrets: "/etc/kafka/secrets".to_owned(),
        },
        defaults,
        mounted,
        value_files: BTreeMap::new(),
        secrets: BTreeMap::new(),
        now: std::time::SystemTime::UNIX_EPOCH,
    }
}

fn bench_plan_setup(c: &mut Criterion) {
    let input = setup_input();
    assert_eq!(
        input.env.iter().count(),
        200,
        "the fixture holds 200 variables"
    );
    let plan = match plan_setup(&input) {
        Ok(plan) => plan,
        Err(problems) => panic!("the benchmark input must be valid: {problems:?}"),
    };
    let keys = plan.server_properties.len();
    assert!(keys >= 250, "env and file keys are merged, got {keys}");
    c.bench_function(
        "plan_setup 200 env vars + 300-line server.properties",
        |b| {
            b.iter(|| plan_setup(black_box(&input)));
        },
    );
}

criterion_group!(benches, bench_plan_setup);
criterion_main!(benches);
