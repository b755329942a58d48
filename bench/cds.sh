#!/usr/bin/env bash
# CDS start-up benchmark: `kafka-entrypoint run` against the FIXTURE Kafka distribution (not Apache
# Kafka), with and without the archive made by `kafka-entrypoint cds-train`, in the same hyperfine
# run. The fixture broker exits right after binding its listeners (FAKE_KAFKA_EXIT_CODE=0), so each
# run times: setup + storage check + exec + JVM start + loading the fixture's classes + bind.
#
# usage: bench/cds.sh [HYPERFINE_ARGS...]   e.g. --runs 40 (needs javac, java, hyperfine)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet -p kafka-entrypoint --manifest-path "$root/Cargo.toml"
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
entrypoint="$target_dir/release/kafka-entrypoint"
home=$("$root/fixtures/fake-kafka/build.sh" "$work/dist")

mkdir -p "$work"/{defaults,mounted,final,secrets,data,logs}
cat > "$work/defaults/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:39093
listeners=PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093
advertised.listeners=PLAINTEXT://127.0.0.1:39092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$work/data
PROPS
cp "$home/config/log4j2.yaml" "$home/config/tools-log4j2.yaml" "$work/defaults/"

export LOG_DIR="$work/logs" KAFKA_HEAP_OPTS="-Xmx256m"
"$entrypoint" cds-train --archive "$work/kafka.jsa" --kafka-home "$home" \
  --config "$work/defaults/server.properties" --bootstrap-server 127.0.0.1:39092 2>"$work/train.log" \
  || { cat "$work/train.log"; exit 1; }
echo "archive: $(stat -c %s "$work/kafka.jsa") bytes" >&2

run="FAKE_KAFKA_EXIT_CODE=0 $entrypoint run --kafka-home $home --default-configs-dir $work/defaults \
--mounted-configs-dir $work/mounted --final-configs-dir $work/final --secrets-dir $work/secrets"
hyperfine --warmup 3 --export-markdown "$work/cds.md" --export-json "${BENCH_OUT:-$work}/cds.json" "$@" \
  -n "run, no archive" "$run --cds-archive $work/none.jsa" \
  -n "run, CDS archive" "$run --cds-archive $work/kafka.jsa" \
  -n "java -version (baseline)" "java -Xshare:auto -version"
cat "$work/cds.md"
