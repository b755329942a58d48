#!/usr/bin/env bash
# Makes the linux/arm64 base images the arm64 smoke test builds on (ci/test-arm64), because no
# image can be pulled on the test machines: the arm64 twins of ci/make-test-base-image.sh's amd64
# bases, from the same recipes (ci/test-base-recipes.sh), made by mmdebstrap under qemu-user
# emulation and imported into the local Docker engine as arm64 images.
# Cached by tag: a tag that already exists is not made again.
#
#   kafka-image-test-base:trixie-jdk25-arm64  the image's JDK_IMAGE: trixie with
#                                             openjdk-25-jdk-headless (jlink and jmods),
#                                             ca-certificates, curl, gpg
#   kafka-image-test-base:trixie-slim-arm64   the image's BASE_IMAGE: trixie minbase with
#                                             debian:trixie-slim's dpkg filter
#
# About 7 minutes on 2 cores, mostly dpkg under emulation (trixie-jdk25-arm64 5 minutes,
# trixie-slim-arm64 2).
#
# Needs (as root): binfmt_misc mounted and qemu-aarch64 registered with the F flag, which
# `ci/test-arm64 --setup` does (mount, apt-get install qemu-user-static arch-test, register).
#
# usage: ci/make-arm64-test-base.sh [TAG...]   (default: both tags above)
#   MIRROR   env, default http://deb.debian.org/debian
set -euo pipefail

mirror="${MIRROR:-http://deb.debian.org/debian}"
tags=("$@")
if [[ ${#tags[@]} == 0 ]]; then
    tags=(kafka-image-test-base:trixie-jdk25-arm64 kafka-image-test-base:trixie-slim-arm64)
fi
# shellcheck source=ci/test-base-recipes.sh
source "$(dirname "$0")/test-base-recipes.sh"

work="$(mktemp -d /var/tmp/kafka-image-arm64-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

for tag in "${tags[@]}"; do
    if docker image inspect "$tag" >/dev/null 2>&1; then
        echo "base image $tag already exists; nothing to do"
        continue
    fi
    for tool in mmdebstrap arch-test docker; do
        command -v "$tool" >/dev/null || { echo "error: \`$tool\` is not installed" >&2; exit 1; }
    done
    if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
        echo "error: arm64 programs cannot run here: qemu-aarch64 is not registered in binfmt_misc" >&2
        echo "help: run \`ci/test-arm64 --setup\` (as root) first" >&2
        exit 1
    fi
    env=("ENV PATH=$test_base_path")
    case "$tag" in
        *:trixie-jdk25-arm64)
            options=("${test_base_jdk25_options[@]}")
            env+=("ENV JAVA_HOME=/usr/lib/jvm/java-25-openjdk-arm64")
            check=(java -version)
            ;;
        *:trixie-slim-arm64)
            options=("${test_base_slim_options[@]}")
            check=(bash -c 'echo "$(uname -m): $(. /etc/os-release; echo "$PRETTY_NAME")"')
            ;;
        *)
            echo "error: no recipe for \`$tag\`" >&2
            echo "help: use kafka-image-test-base:trixie-jdk25-arm64 or kafka-image-test-base:trixie-slim-arm64" >&2
            exit 1
            ;;
    esac
    echo "mmdebstrap trixie (arm64) for $tag from $mirror (under emulation: minutes)"
    started=$SECONDS
    # Into a file first: a failed mmdebstrap must not leave a half-made image under the tag.
    mmdebstrap --architectures=arm64 --variant=minbase --mode=root \
        --aptopt='Acquire::Languages "none"' "${options[@]}" trixie "$work/root.tar" "$mirror"
    # `docker import --platform` needs an experimental daemon (Docker 20.10 ignores it and labels
    # the image amd64); the classic builder's `--platform` records arm64, so the tree is ADDed
    # FROM scratch.
    {
        echo 'FROM scratch'
        echo 'ADD root.tar /'
        printf '%s\n' "${env[@]}"
        echo 'CMD ["bash"]'
    } > "$work/Dockerfile"
    echo "building $tag (linux/arm64) from the tree"
    DOCKER_BUILDKIT=0 docker build --force-rm --quiet --platform linux/arm64 --tag "$tag" "$work"
    rm -f "$work/root.tar"
    arch="$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$tag")"
    if [[ "$arch" != linux/arm64 ]]; then
        docker image rm "$tag" >/dev/null
        echo "error: $tag is $arch, not linux/arm64" >&2
        exit 1
    fi
    docker run --rm --platform linux/arm64 "$tag" "${check[@]}"
    echo "made $tag in $((SECONDS - started)) s"
    docker image inspect --format '{{.Id}} {{.Size}} {{.Os}}/{{.Architecture}}' "$tag"
done
