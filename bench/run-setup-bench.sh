#!/usr/bin/env bash
# Compares `kafka-entrypoint setup` (release build) with a bare `java -version`, in one hyperfine
# run, on the input of issue 2: the 200 environment variables of bench/fixtures/setup.env and the
# 300-line bench/fixtures/mounted/server.properties, with the image's defaults (docker/config);
# and (issue 10) the same variables with a mounted server.properties of 300 keys Kafka does not
# know (plugin keys, generated here), which setup lists in one warning line.
#
# Both are timed as re-runs (a container restart): the final files are already there, hold the
# same bytes and mode, and are not rewritten. A third command times a first start on the issue-2
# input (the final directory removed before each run, so every file is written: exclusive temp
# file, fsync, rename, directory fsync); it is reported, not held to the targets.
#
# Targets (issues 2 and 10): each re-run median at most 1/20 of java -version's, and at most 5 ms.
# Prints the medians and ratios, and exits 1 when a target is missed.
#
# Usage: bench/run-setup-bench.sh [--runs N]     (needs cargo, hyperfine, java, python3)
# The binary timed is the one the image ships: the static musl build (`cargo build --release
# --target x86_64-unknown-linux-musl -p kafka-entrypoint`, into $CARGO_TARGET_DIR, default
# target/). Results land in $BENCH_OUT (default: a temporary directory).
set -euo pipefail

runs=100
if [[ "${1:-}" == "--runs" ]]; then
    runs="${2:?--runs needs a number}"
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
for tool in cargo hyperfine java python3; do
    command -v "$tool" >/dev/null || { echo "error: \`$tool\` is not installed" >&2; exit 2; }
done

musl=x86_64-unknown-linux-musl
cargo build --quiet --release --target "$musl" --manifest-path "$repo/Cargo.toml" -p kafka-entrypoint
entrypoint="$target_dir/$musl/release/kafka-entrypoint"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${BENCH_OUT:-$work}"
mkdir -p "$work/defaults" "$work/mounted" "$work/unknown" "$work/final" "$work/final-unknown" \
    "$work/secrets" "$out"
cp "$repo/docker/config/server.properties" "$repo/docker/config/log4j2/"*.yaml "$work/defaults/"
cp "$repo/bench/fixtures/mounted/server.properties" "$work/mounted/"
# 300 plugin keys of varied shapes and lengths, none close to a Kafka name.
python3 - "$work/unknown/server.properties" <<'EOF'
import sys
words = ["acme", "metrics", "exporter", "tiered", "bucket", "region", "endpoint", "retry",
         "backoff", "interceptor", "audit", "sink", "batch", "flush", "cache", "shard"]
with open(sys.argv[1], "w") as f:
    f.write("# 300 keys of plugins, unknown to Kafka's catalog\n")
    for i in range(300):
        parts = [words[(i * 7 + j * 3) % len(words)] for j in range(2 + i % 5)]
        f.write("com.example.plugin%d.%s=value-%d\n" % (i % 13, ".".join(parts), i))
EOF

# The 200 fixture variables go into this script's environment, which hyperfine passes on.
while IFS= read -r line; do
    [[ -n "$line" ]] && export "${line?}"
done < "$repo/bench/fixtures/setup.env"

setup=("$entrypoint" setup --default-configs-dir "$work/defaults" --mounted-configs-dir "$work/mounted"
    --final-configs-dir "$work/final" --secrets-dir "$work/secrets")
# Setup must succeed on this input, or the figure would time an error path.
"${setup[@]}" >/dev/null 2>"$work/setup.stderr" || {
    echo "error: setup failed on the benchmark input:" >&2
    cat "$work/setup.stderr" >&2
    exit 1
}

unknown=("$entrypoint" setup --default-configs-dir "$work/defaults" --mounted-configs-dir "$work/unknown"
    --final-configs-dir "$work/final-unknown" --secrets-dir "$work/secrets")
"${unknown[@]}" >/dev/null 2>"$work/unknown.stderr" || {
    echo "error: setup failed on the unknown-keys input:" >&2
    cat "$work/unknown.stderr" >&2
    exit 1
}
if [[ "$(grep -c '^warning: ' "$work/unknown.stderr")" != 1 ]]; then
    echo "error: the 300 unknown keys did not give exactly one warning line:" >&2
    cat "$work/unknown.stderr" >&2
    exit 1
fi

first=("$entrypoint" setup --default-configs-dir "$work/defaults" --mounted-configs-dir "$work/mounted"
    --final-configs-dir "$work/final-first" --secrets-dir "$work/secrets")

printf -v setup_cmd '%q ' "${setup[@]}"
printf -v unknown_cmd '%q ' "${unknown[@]}"
printf -v first_cmd '%q ' "${first[@]}"
hyperfine --shell=none --warmup 5 --runs "$runs" --export-json "$out/setup-vs-java.json" \
    --prepare true --command-name "kafka-entrypoint setup (200 env vars, 300-line server.properties)" "$setup_cmd" \
    --prepare true --command-name "kafka-entrypoint setup (200 env vars, 300 unknown keys)" "$unknown_cmd" \
    --prepare true --command-name "java -version" "java -version" \
    --prepare "rm -rf $work/final-first" \
    --command-name "kafka-entrypoint setup, first start (200 env vars, 300-line server.properties)" "$first_cmd"

python3 - "$out/setup-vs-java.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
*setups, java, first = (r["median"] * 1000 for r in results)
ok = True
for name, setup in zip(["known keys", "300 unknown keys"], setups):
    ratio = java / setup
    ok &= ratio >= 20 and setup <= 5
    print(f"setup ({name}) median {setup:.2f} ms, java -version median {java:.2f} ms, "
          f"java/setup {ratio:.1f}x (target >= 20x), setup <= 5 ms: {'yes' if setup <= 5 else 'no'}")
print(f"first start (known keys, every file written and fsynced) median {first:.2f} ms, "
      f"java/first start {java / first:.1f}x (reported, no target)")
sys.exit(0 if ok else 1)
EOF
