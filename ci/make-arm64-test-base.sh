#!/usr/bin/env bash
# Makes the linux/arm64 base image the arm64 smoke test builds on (ci/test-arm64), because no
# image can be pulled on the test machines: Debian bookworm for arm64 (mmdebstrap, run under
# qemu-user emulation) with a headless JRE 17, bash, gpg and curl, imported into the local Docker
# engine as an arm64 image (`docker build --platform linux/arm64`, the tree ADDed FROM scratch). The same packages as ci/make-test-base-image.sh's amd64 base.
# Cached by tag: does nothing when the tag already exists. About 5 minutes.
#
# Needs (as root): binfmt_misc mounted and qemu-aarch64 registered with the F flag, which
# `ci/test-arm64 --setup` does (mount, apt-get install qemu-user-static, register).
#
# usage: ci/make-arm64-test-base.sh [TAG]
#   TAG      default kafka-image-test-base:bookworm-jre17-arm64
#   MIRROR   env, default http://deb.debian.org/debian
set -euo pipefail

tag="${1:-kafka-image-test-base:bookworm-jre17-arm64}"
mirror="${MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "base image $tag already exists; nothing to do"
    exit 0
fi
for tool in mmdebstrap arch-test docker tar; do
    command -v "$tool" >/dev/null || { echo "error: \`$tool\` is not installed" >&2; exit 1; }
done
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
    echo "error: arm64 programs cannot run here: qemu-aarch64 is not registered in binfmt_misc" >&2
    echo "help: run \`ci/test-arm64 --setup\` (as root) first" >&2
    exit 1
fi

work="$(mktemp -d /var/tmp/kafka-image-arm64-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "mmdebstrap bookworm (arm64) from $mirror (about 5 minutes under emulation)"
mmdebstrap --architectures=arm64 --variant=minbase \
    --include=openjdk-17-jre-headless,ca-certificates,curl,gpg,procps \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/locale/*' \
    bookworm "$work/root.tar" "$mirror"

# `docker import --platform` needs an experimental daemon (Docker 20.10 ignores it and labels the
# image amd64); the classic builder's `--platform` records arm64, so the tree is ADDed FROM scratch.
cat > "$work/Dockerfile" <<'EOF'
FROM scratch
ADD root.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-arm64
CMD ["bash"]
EOF
echo "building $tag (linux/arm64) from the tree"
DOCKER_BUILDKIT=0 docker build --force-rm --platform linux/arm64 --tag "$tag" "$work"
arch="$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$tag")"
if [ "$arch" != linux/arm64 ]; then
    docker image rm "$tag" >/dev/null
    echo "error: the image is $arch, not linux/arm64" >&2
    exit 1
fi
docker run --rm --platform linux/arm64 "$tag" java -version
docker image inspect --format '{{.Id}} {{.Size}} {{.Os}}/{{.Architecture}}' "$tag"
