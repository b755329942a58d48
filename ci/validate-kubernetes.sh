#!/usr/bin/env bash
# Validates deploy/kubernetes/*.yaml offline against the Kubernetes OpenAPI JSON schemas that
# PyPI's `kubernetes-validate` ships inside the package (strict: unknown fields are errors).
# kubeconform is not used: it is not packaged for Debian or PyPI and fetches schemas at run time.
# Usage: ci/validate-kubernetes.sh [MANIFEST.yaml...]   (default: deploy/kubernetes/*.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v kubernetes-validate >/dev/null; then
  python3 -m pip install --quiet 'kubernetes-validate==1.37.0'
fi
if [[ $# -eq 0 ]]; then
  set -- deploy/kubernetes/*.yaml
fi
kubernetes-validate --strict --kubernetes-version 1.30.0 "$@"
