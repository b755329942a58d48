//! `kafka-image`: the host tool of the kafka-image pipeline.
//!
//! `build` makes the image (multi-arch with buildx where available), `dist` assembles a Kafka
//! distribution from Maven Central, `test` runs the sanity suite
//! against a built image, `scan` reports vulnerabilities, `release` pushes a release candidate to a
//! staging repository and `promote` copies it to its final name. This file only parses arguments and
//! dispatches; each verb lives in its own module.

mod build;
mod engine;
mod maven_dist;
mod promote;
mod registry;
mod release;
mod report;
mod sanity;
mod scan;
mod scanner;
mod shell;

use std::process::ExitCode;

use clap::Parser;

/// Build, test, scan, release and promote container images of Apache Kafka.
#[derive(Debug, Parser)]
#[command(name = "kafka-image", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Build the image from an official Kafka release (URL or local tarball) or from Maven Central.
    Build(build::BuildArgs),
    /// Assemble a Kafka distribution (`kafka_2.13-VERSION.tgz`, no `bin/`) from Maven Central.
    Dist(maven_dist::DistArgs),
    /// Run the sanity suite against a built image and write JUnit XML and HTML reports.
    Test(sanity::TestArgs),
    /// Scan an image for known vulnerabilities (trivy) and write JSON and HTML reports.
    Scan(scan::ScanArgs),
    /// Build, test and push a release-candidate image to a staging repository.
    Release(release::ReleaseArgs),
    /// Copy every platform of a released image from the staging repository to its final name.
    Promote(promote::PromoteArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => build::main(&args),
        Command::Dist(args) => maven_dist::main(&args),
        Command::Test(args) => sanity::main(&args),
        Command::Scan(args) => scan::main(&args),
        Command::Release(args) => release::main(&args),
        Command::Promote(args) => promote::main(&args),
    }
}
