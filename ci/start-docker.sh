#!/usr/bin/env bash
# Starts a Docker engine when none answers (`docker info` fails), as the project's machines start
# none: Debian's `dockerd` (package docker.io) with its data in a fixed directory, so images made by
# an earlier run (the test base images) are found again, and the open-files limit these machines
# allow containers. Falls back to the fuse-overlayfs storage driver when overlay2 does not work.
# Must run as root. Waits until `docker info` answers; exits non-zero with a help line otherwise.
#
# usage: ci/start-docker.sh
#   KAFKA_IMAGE_DOCKER_ROOT  env, the engine's --data-root (default /var/lib/kafka-image-docker)
set -euo pipefail

if docker info >/dev/null 2>&1; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "error: no Docker engine answers and only root can start one" >&2
    echo "help: start Docker yourself, or run this as root" >&2
    exit 1
fi
command -v dockerd >/dev/null || {
    echo "error: \`dockerd\` is not installed" >&2
    echo "help: apt-get install docker.io (.ci/run does)" >&2
    exit 1
}

root="${KAFKA_IMAGE_DOCKER_ROOT:-/var/lib/kafka-image-docker}"
log=/var/log/kafka-image-dockerd.log
mkdir -p "$root"

start() {
    echo "starting dockerd (data root $root${1:+, $1}); log: $log"
    # setsid: the engine outlives this script and the test run's process group.
    setsid dockerd --host unix:///var/run/docker.sock --data-root "$root" \
        --default-ulimit nofile=20000:20000 "${@:2}" >>"$log" 2>&1 </dev/null &
    for _ in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    return 1
}

if start "" ; then
    exit 0
fi
echo "dockerd did not answer within 60 s with its default storage driver; trying fuse-overlayfs" >&2
pkill -x dockerd || true
sleep 2
if start "storage driver fuse-overlayfs" --storage-driver fuse-overlayfs; then
    exit 0
fi
tail -n 20 "$log" >&2
echo "error: the Docker engine did not start" >&2
echo "help: read $log; Podman (with runc) is the documented fallback" >&2
exit 1
