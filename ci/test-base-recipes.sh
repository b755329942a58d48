# shellcheck shell=bash
# The recipes of the test base images, sourced by ci/make-test-base-image.sh (amd64) and
# ci/make-arm64-test-base.sh (arm64) so both architectures get the same packages and filters.
#
#   test_base_jdk25_options   mmdebstrap options of the JDK_IMAGE base (trixie-jdk25)
#   test_base_slim_options    mmdebstrap options of the BASE_IMAGE base (trixie-slim)
#   test_base_path            the PATH both images set (Debian's images' own)

test_base_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# jlink and jmods for the runtime, curl and gpg for fetch-kafka.sh.
test_base_jdk25_options=(--include=openjdk-25-jdk-headless,ca-certificates,curl,gpg)
# debian:*-slim's dpkg filter: no man pages, docs (copyrights kept), locales or info pages.
test_base_slim_options=(
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/lintian/*'
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/var/cache/debconf/*-old'
)
