#!/usr/bin/env bash
# Makes the base images the container tests build on, because no image can be pulled on the test
# machines, from Debian packages (mmdebstrap, minbase), imported into the local Docker engine.
# Cached by tag: a tag that already exists is not made again.
#
#   kafka-image-test-base:trixie-jdk25   the image's JDK_IMAGE: trixie + openjdk-25-jdk-headless
#                                        (jlink and jmods), curl, gpg; the runtime is linked and the
#                                        archive trained in it (stands for debian:trixie-slim, where
#                                        the Dockerfile installs the JDK with apt-get)
#   kafka-image-test-base:trixie-slim    the image's BASE_IMAGE: made as Debian makes
#                                        debian:trixie-slim (minbase without man pages, docs,
#                                        locales, apt lists), about the same size
#
# usage: ci/make-test-base-image.sh [TAG...]   (default: both tags above)
#   MIRROR   env, default http://deb.debian.org/debian
set -euo pipefail

mirror="${MIRROR:-http://deb.debian.org/debian}"
tags=("$@")
if [[ ${#tags[@]} == 0 ]]; then
    tags=(kafka-image-test-base:trixie-jdk25 kafka-image-test-base:trixie-slim)
fi

# shellcheck source=ci/test-base-recipes.sh
source "$(dirname "$0")/test-base-recipes.sh"
path=(--change "ENV PATH=$test_base_path" --change 'CMD ["bash"]')

work="$(mktemp -d /var/tmp/kafka-image-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

for tag in "${tags[@]}"; do
    if docker image inspect "$tag" >/dev/null 2>&1; then
        echo "base image $tag already exists; nothing to do"
        continue
    fi
    for tool in mmdebstrap docker; do
        command -v "$tool" >/dev/null || { echo "error: \`$tool\` is not installed" >&2; exit 1; }
    done
    case "$tag" in
        *:trixie-jdk25)
            options=("${test_base_jdk25_options[@]}")
            changes=("${path[@]}" --change 'ENV JAVA_HOME=/usr/lib/jvm/java-25-openjdk-amd64')
            ;;
        *:trixie-slim)
            options=("${test_base_slim_options[@]}")
            changes=("${path[@]}")
            ;;
        *)
            echo "error: no recipe for \`$tag\`" >&2
            echo "help: use kafka-image-test-base:trixie-jdk25 or kafka-image-test-base:trixie-slim" >&2
            exit 1
            ;;
    esac
    echo "mmdebstrap trixie for $tag from $mirror (takes a few minutes)"
    started=$SECONDS
    # Into a file first: a failed mmdebstrap must not leave a half-made image under the tag.
    mmdebstrap --variant=minbase --mode=root --aptopt='Acquire::Languages "none"' "${options[@]}" \
        trixie "$work/root.tar" "$mirror"
    docker import "${changes[@]}" "$work/root.tar" "$tag"
    rm -f "$work/root.tar"
    echo "made $tag in $((SECONDS - started)) s"
    docker image inspect --format '{{.Id}} {{.Size}}' "$tag"
done
