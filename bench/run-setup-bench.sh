#!/usr/bin/env bash
# Compares `kafka-entrypoint setup` (release build) with a bare `java -version`, in one hyperfine
# run, on the input of issue 2: the 200 environment variables of bench/fixtures/setup.env and the
# 300-line bench/fixtures/mounted/server.properties, with the image's defaults (docker/config).
#
# Targets (issue 2): setup's median at most 1/20 of java -version's, and at most 5 ms.
# Prints both medians and the ratio, and exits 1 when a target is missed.
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
mkdir -p "$work/defaults" "$work/mounted" "$work/final" "$work/secrets" "$out"
cp "$repo/docker/config/server.properties" "$repo/docker/config/log4j2/"*.yaml "$work/defaults/"
cp "$repo/bench/fixtures/mounted/server.properties" "$work/mounted/"

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

printf -v setup_cmd '%q ' "${setup[@]}"
hyperfine --shell=none --warmup 5 --runs "$runs" --export-json "$out/setup-vs-java.json" \
    --command-name "kafka-entrypoint setup (200 env vars, 300-line server.properties)" "$setup_cmd" \
    --command-name "java -version" "java -version"

python3 - "$out/setup-vs-java.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
setup, java = (r["median"] * 1000 for r in results)
ratio = java / setup
print(f"setup median {setup:.2f} ms, java -version median {java:.2f} ms, "
      f"java/setup {ratio:.1f}x (target >= 20x), setup <= 5 ms: {'yes' if setup <= 5 else 'no'}")
sys.exit(0 if ratio >= 20 and setup <= 5 else 1)
EOF
