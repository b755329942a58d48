#!/usr/bin/env bash
# Validates .github/workflows/*.yml offline:
#  1. against GitHub's workflow JSON schema, vendored in PyPI's `check-jsonschema`
#     (`--builtin-schema vendor.github-workflows`; no network needed);
#  2. the project's own rules (STYLE-ANCHORS B6, SPEC §1): top-level `permissions` is
#     `contents: read`, every `uses:` is pinned to a full commit SHA, and every `run:` step calls
#     `kafka-image`, `cargo`, `rustup`, the project's CI entry point `.ci/run`, installs a package
#     or sets a step output (no inline pipeline logic).
# Usage: ci/validate-workflows.sh [WORKFLOW.yml...]   (default: every file in .github/workflows)
# actionlint is not used: its PyPI wrapper downloads the binary from GitHub when installed, which
# this project's machines cannot reach.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v check-jsonschema >/dev/null; then
  python3 -m pip install --quiet 'check-jsonschema==0.39.0'
fi

python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml

shopt -s nullglob
if [[ $# -gt 0 ]]; then
  workflows=("$@")
else
  workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
fi
if [[ ${#workflows[@]} -eq 0 ]]; then
  echo "error: no workflow files in .github/workflows" >&2
  exit 1
fi

check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"

python3 - "${workflows[@]}" <<'PY'
import re
import sys

import yaml

ALLOWED_RUN = re.compile(
    r"^\s*(target/release/kafka-image |cargo |rustup |sudo apt-get install |\.ci/run$|echo \"[a-z_]+=.*\" >> \"\$GITHUB_OUTPUT\")"
)
problems = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if doc.get("permissions") != {"contents": "read"}:
        problems.append(f"{path}: top-level `permissions` must be `contents: read`")
    for job_name, job in (doc.get("jobs") or {}).items():
        for i, step in enumerate(job.get("steps") or []):
            where = f"{path}: job `{job_name}` step {i + 1}"
            uses = step.get("uses")
            if uses and not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses):
                problems.append(f"{where}: `uses: {uses}` is not pinned to a full commit SHA")
            run = step.get("run")
            if run is not None and not ALLOWED_RUN.match(run):
                problems.append(
                    f"{where}: `run:` must call kafka-image (or cargo/rustup), found `{run.strip()[:60]}`"
                )
for problem in problems:
    print(f"error: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok -- project rules hold for {len(sys.argv) - 1} workflow(s)")
PY
