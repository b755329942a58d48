#!/usr/bin/env bash
# Fetches, verifies and unpacks the Kafka distribution inside the `kafka` stage of docker/Dockerfile.
#
# KAFKA_SOURCE says what kind of distribution it is, and so what is checked:
# - `apache-release` (default): Apache's binary release. Source: KAFKA_URL (then `$KAFKA_URL.sha512`
#   and `$KAFKA_URL.asc` are fetched beside it), or, when KAFKA_URL is empty, the tarball that
#   `kafka-image build --kafka-tarball` put in /tmp/dist (kafka.tgz, kafka.tgz.sha512, kafka.tgz.asc).
#   Verification: the SHA-512 file (Apache's `gpg --print-md` format or `sha512sum` format) and the
#   detached OpenPGP signature against the KEYS file (/tmp/keys/KEYS if given, else KEYS_URL); the
#   distribution must have bin/kafka-server-start.sh.
# - `maven-central`: a distribution assembled from Maven Central by `kafka-image dist`, put in
#   /tmp/dist by `kafka-image build --kafka-maven` (kafka.tgz, kafka.tgz.sha512). Apache signs no such
#   tarball, so only the SHA-512 is checked; it must have the dist marker file and no bin/.
#   Only the build argument `kafka_source=maven-central` selects this; an Apache release is never
#   taken without its signature.
# Result: the distribution in /opt/kafka, the image's default configs in /etc/kafka/docker, with the
# log4j defaults chosen by what the distribution ships (log4j2.yaml: Kafka 4.x; log4j.properties: 3.x).
set -euo pipefail

KAFKA_URL="${KAFKA_URL:-}"
KAFKA_SOURCE="${KAFKA_SOURCE:-apache-release}"
MAVEN_MARKER=ASSEMBLED-FROM-MAVEN.txt
KEYS_URL="${KEYS_URL:-https://downloads.apache.org/kafka/KEYS}"
DEFAULTS=/tmp/default-config
work="$(mktemp -d /tmp/kafka-fetch.XXXXXX)"
cd "$work"

fail() {
    echo "error: $1" >&2
    if [ $# -gt 1 ]; then echo "help: $2" >&2; fi
    exit 1
}

fetch() {
    local url="$1" out="$2"
    echo "fetching $url"
    if command -v curl >/dev/null; then
        curl --fail --silent --show-error --location --retry 2 --output "$out" "$url" ||
            fail "could not download \`$url\`" "check the URL and the network of the build (\`--network host\` for a server on this machine)"
    elif command -v wget >/dev/null; then
        wget --quiet --output-document "$out" "$url" ||
            fail "could not download \`$url\`" "check the URL and the network of the build (\`--network host\` for a server on this machine)"
    else
        fail "neither curl nor wget is in the base image" "use a base image with curl, or pass a local tarball with --kafka-tarball"
    fi
}

case "$KAFKA_SOURCE" in
    apache-release) files="kafka.tgz kafka.tgz.sha512 kafka.tgz.asc" ;;
    maven-central)
        files="kafka.tgz kafka.tgz.sha512"
        [ -z "$KAFKA_URL" ] ||
            fail "kafka_source=maven-central takes the tarball from the build context, not \`$KAFKA_URL\`" \
                "build with \`kafka-image build --kafka-maven VERSION\`, or drop kafka_source for an Apache release URL"
        ;;
    *) fail "unknown kafka_source \`$KAFKA_SOURCE\`" "use apache-release (Apache's signed release) or maven-central (\`kafka-image build --kafka-maven\`)" ;;
esac

if [ -n "$KAFKA_URL" ]; then
    source_name="$KAFKA_URL"
    fetch "$KAFKA_URL" kafka.tgz
    fetch "$KAFKA_URL.sha512" kafka.tgz.sha512
    fetch "$KAFKA_URL.asc" kafka.tgz.asc
else
    source_name="$(cat /tmp/dist/source-name)"
    for f in $files; do
        [ -f "/tmp/dist/$f" ] || fail "the build context has no \`dist/$f\`" "build with \`kafka-image build --kafka-tarball FILE\` or \`--kafka-maven VERSION\`, which put it there"
        mv "/tmp/dist/$f" .
    done
fi

# SHA-512. Apache writes `NAME: HEX HEX …` over several lines (gpg --print-md); sha512sum writes
# `hex  NAME`. Dropping a `NAME:` prefix and all blanks and keeping 128 hex digits reads both.
expected="$(sed -e 's/^[^:]*://' kafka.tgz.sha512 | tr -d ' \t\r\n' | tr 'A-F' 'a-f' | cut -c1-128)"
[[ "$expected" =~ ^[0-9a-f]{128}$ ]] ||
    fail "\`$source_name.sha512\` does not hold a SHA-512 checksum" "download the .sha512 file published beside the tarball"
actual="$(sha512sum kafka.tgz | cut -d' ' -f1)"
if [ "$actual" != "$expected" ]; then
    fail "SHA-512 of \`$source_name\` does not match \`$source_name.sha512\` (expected $expected, got $actual)" \
        "the tarball is corrupt or not the one the checksum was published for; download both again"
fi
echo "SHA-512 verified: $actual"

# OpenPGP signature against the release managers' KEYS (Apache releases only).
GNUPGHOME="$(mktemp -d)"
export GNUPGHOME
if [ "$KAFKA_SOURCE" = apache-release ]; then
    if [ -f /tmp/keys/KEYS ]; then
        cp /tmp/keys/KEYS KEYS
    else
        fetch "$KEYS_URL" KEYS
    fi
    command -v gpg >/dev/null || fail "gpg is not in the base image" "use a base image with gpg (Debian/Ubuntu: gnupg)"
    gpg --batch --no-autostart --quiet --import KEYS 2>gpg-import.log ||
        { cat gpg-import.log >&2; fail "could not import the keys of \`KEYS\`" "pass Apache Kafka's KEYS file (https://downloads.apache.org/kafka/KEYS)"; }
    if ! gpg --batch --no-autostart --verify kafka.tgz.asc kafka.tgz 2>gpg-verify.log; then
        cat gpg-verify.log >&2
        fail "the signature \`$source_name.asc\` does not verify \`$source_name\` against KEYS" \
            "the tarball was not signed by a key in KEYS; download the tarball, .asc and KEYS from Apache again"
    fi
    grep -E 'Good signature' gpg-verify.log >&2 || true
else
    echo "kafka_source=maven-central: assembled from Maven Central, no Apache signature to check"
fi

# Unpack.
mkdir -p /opt/kafka
tar -xzf kafka.tgz -C /opt/kafka --strip-components=1 --no-same-owner
if [ "$KAFKA_SOURCE" = apache-release ]; then
    [ -x /opt/kafka/bin/kafka-server-start.sh ] ||
        fail "\`$source_name\` is not a Kafka distribution (no bin/kafka-server-start.sh)" "use a binary release (kafka_2.13-VERSION.tgz), not the source release"
else
    [ -f "/opt/kafka/$MAVEN_MARKER" ] ||
        fail "\`$source_name\` was not assembled by \`kafka-image dist\` (no $MAVEN_MARKER)" "build with \`kafka-image build --kafka-maven VERSION\`"
    [ ! -e /opt/kafka/bin ] ||
        fail "\`$source_name\` has a bin/ directory, which a Maven-assembled distribution never has" "an Apache release must be built as one (--kafka-tarball with its .asc), so its signature is checked"
fi
jar="$(find /opt/kafka/libs -maxdepth 1 -name 'kafka_2.1[23]-*.jar' ! -name '*-test*' | head -n 1)"
echo "unpacked Kafka ${jar:+from $(basename "$jar")} into /opt/kafka"

# Default configs, log4j flavour by what the distribution ships.
mkdir -p /etc/kafka/docker
cp "$DEFAULTS/server.properties" "$DEFAULTS/jmx-exporter.yml" /etc/kafka/docker/
if [ -f /opt/kafka/config/log4j2.yaml ]; then
    cp "$DEFAULTS"/log4j2/log4j2.yaml "$DEFAULTS"/log4j2/tools-log4j2.yaml /etc/kafka/docker/
    echo "log4j defaults: log4j2.yaml (Kafka 4.x)"
elif [ -f /opt/kafka/config/log4j.properties ]; then
    cp "$DEFAULTS"/log4j1/log4j.properties "$DEFAULTS"/log4j1/tools-log4j.properties /etc/kafka/docker/
    echo "log4j defaults: log4j.properties (Kafka 3.x)"
else
    fail "\`$source_name\` ships neither config/log4j2.yaml nor config/log4j.properties" "use Kafka 3.7 to 4.1"
fi

rm -rf "$work" "$GNUPGHOME" /tmp/dist /tmp/keys
