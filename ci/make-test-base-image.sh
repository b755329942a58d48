#!/usr/bin/env bash
# Makes the base image the container tests build on, because no image can be pulled on the test
# machines: Debian bookworm (debootstrap, minbase) with a headless JRE 17, bash, gpg and curl, imported
# into the local Docker engine. The real image uses a maintained JRE 21 image instead (docker/Dockerfile,
# `ARG BASE_IMAGE`). Cached by tag: does nothing when the tag already exists.
#
# usage: ci/make-test-base-image.sh [TAG]
#   TAG      default kafka-image-test-base:bookworm-jre17
#   MIRROR   env, default http://deb.debian.org/debian
set -euo pipefail

tag="${1:-kafka-image-test-base:bookworm-jre17}"
mirror="${MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "base image $tag already exists; nothing to do"
    exit 0
fi
for tool in debootstrap docker tar; do
    command -v "$tool" >/dev/null || { echo "error: \`$tool\` is not installed" >&2; exit 1; }
done

work="$(mktemp -d /var/tmp/kafka-image-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/root"

echo "debootstrap bookworm into $root from $mirror (takes a few minutes)"
debootstrap --variant=minbase \
    --include=openjdk-17-jre-headless,ca-certificates,curl,gpg,procps \
    bookworm "$root" "$mirror"

# Slim the tree: package caches, docs and man pages are not needed in a test base.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/usr/share/locale/* "$root"/var/cache/debconf/*-old "$root"/var/log/*.log

echo "importing into docker as $tag"
tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
    --change 'CMD ["bash"]' \
    - "$tag"
docker image inspect --format '{{.Id}} {{.Size}}' "$tag"
