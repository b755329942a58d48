#!/usr/bin/env bash
# Makes the base images the container tests build on, because no image can be pulled on the test
# machines, from Debian packages (mmdebstrap, minbase), imported into the local Docker engine.
# Cached by tag: a tag that already exists is not made again.
#
#   kafka-image-test-base:trixie-jdk25   the image's JDK_IMAGE: trixie + openjdk-25-jdk-headless
#                                        (jlink and jmods), ca-certificates, curl, gpg; the runtime
#                                        is linked and the archive trained in it (stands for
#                                        debian:trixie-slim, where the Dockerfile installs the JDK
#                                        with apt-get)
#   kafka-image-test-base:trixie-slim    the image's BASE_IMAGE: made as Debian makes
#                                        debian:trixie-slim (minbase without man pages, docs,
#                                        locales, apt lists), about the same size
#   …:trixie-jdk25-arm64, …:trixie-slim-arm64
#                                        the same recipes for linux/arm64 (ci/test-arm64), made
#                                        under qemu-user emulation: about 7 minutes on 2 cores,
#                                        mostly dpkg (jdk25 5 minutes, slim 2). Needs (as root)
#                                        binfmt_misc mounted and qemu-aarch64 registered with the
#                                        F flag, which `ci/test-arm64 --setup` does.
#
# The recipe and the architecture come from the tag's suffix, whatever its repository.
#
# usage: ci/make-test-base-image.sh [TAG...]   (default: the two amd64 tags above)
#   MIRROR   env, default http://deb.debian.org/debian
set -euo pipefail

mirror="${MIRROR:-http://deb.debian.org/debian}"
tags=("$@")
if [[ ${#tags[@]} == 0 ]]; then
    tags=(kafka-image-test-base:trixie-jdk25 kafka-image-test-base:trixie-slim)
fi

# jlink and jmods for the runtime, curl and gpg for fetch-kafka.sh.
jdk25_options=(--include=openjdk-25-jdk-headless,ca-certificates,curl,gpg)
# debian:*-slim's dpkg filter: no man pages, docs (copyrights kept), locales or info pages.
slim_options=(
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/lintian/*'
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/var/cache/debconf/*-old'
)

work="$(mktemp -d /var/tmp/kafka-image-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

for tag in "${tags[@]}"; do
    if docker image inspect "$tag" >/dev/null 2>&1; then
        echo "base image $tag already exists; nothing to do"
        continue
    fi
    case "$tag" in
        *-arm64) arch=arm64 ;;
        *) arch=amd64 ;;
    esac
    # Debian's images' own PATH.
    env=("ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    case "${tag%-arm64}" in
        *:trixie-jdk25)
            options=("${jdk25_options[@]}")
            env+=("ENV JAVA_HOME=/usr/lib/jvm/java-25-openjdk-$arch")
            check=(java -version)
            ;;
        *:trixie-slim)
            options=("${slim_options[@]}")
            check=(bash -c 'echo "$(uname -m): $(. /etc/os-release; echo "$PRETTY_NAME")"')
            ;;
        *)
            echo "error: no recipe for \`$tag\`" >&2
            echo "help: end the tag in :trixie-jdk25 or :trixie-slim, with -arm64 for linux/arm64" >&2
            exit 1
            ;;
    esac
    tools=(mmdebstrap docker)
    [[ $arch == arm64 ]] && tools+=(arch-test)
    for tool in "${tools[@]}"; do
        command -v "$tool" >/dev/null || { echo "error: \`$tool\` is not installed" >&2; exit 1; }
    done
    if [[ $arch == arm64 ]] && ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
        echo "error: arm64 programs cannot run here: qemu-aarch64 is not registered in binfmt_misc" >&2
        echo "help: run \`ci/test-arm64 --setup\` (as root) first" >&2
        exit 1
    fi
    echo "mmdebstrap trixie ($arch) for $tag from $mirror (a few minutes; longer under emulation)"
    started=$SECONDS
    # Into a file first: a failed mmdebstrap must not leave a half-made image under the tag.
    mmdebstrap --architectures="$arch" --variant=minbase --mode=root \
        --aptopt='Acquire::Languages "none"' "${options[@]}" trixie "$work/root.tar" "$mirror"
    if [[ $arch == amd64 ]]; then
        changes=(--change 'CMD ["bash"]')
        for line in "${env[@]}"; do
            changes+=(--change "$line")
        done
        docker import "${changes[@]}" "$work/root.tar" "$tag"
    else
        # `docker import --platform` needs an experimental daemon (Docker 20.10 ignores it and
        # labels the image amd64); the classic builder's `--platform` records arm64, so the tree
        # is ADDed FROM scratch.
        {
            echo 'FROM scratch'
            echo 'ADD root.tar /'
            printf '%s\n' "${env[@]}"
            echo 'CMD ["bash"]'
        } > "$work/Dockerfile"
        echo "building $tag (linux/arm64) from the tree"
        DOCKER_BUILDKIT=0 docker build --force-rm --quiet --platform linux/arm64 --tag "$tag" "$work"
    fi
    rm -f "$work/root.tar" "$work/Dockerfile"
    platform="$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$tag")"
    if [[ "$platform" != "linux/$arch" ]]; then
        docker image rm "$tag" >/dev/null
        echo "error: $tag is $platform, not linux/$arch" >&2
        exit 1
    fi
    docker run --rm --platform "linux/$arch" "$tag" "${check[@]}"
    echo "made $tag in $((SECONDS - started)) s"
    docker image inspect --format '{{.Id}} {{.Size}} {{.Os}}/{{.Architecture}}' "$tag"
done
