#!/usr/bin/env bash
# Makes the image's Java runtime in the `jre` stage of docker/Dockerfile: `jlink` with the modules of
# jre-modules.txt (plus JRE_EXTRA_MODULES), stripped of debug data, man pages and headers, its
# class file image (lib/modules) compressed (`zip-6`: 60 MB to 27 MB; the classes a broker loads
# come from the AOT cache or CDS archive, not from there), into /opt/java/openjdk.
#
# The JDK that links is the build stage's own (`$JAVA_HOME/bin/jlink` or `jlink` on PATH) when its
# major version is JDK; otherwise `openjdk-JDK-jdk-headless` is installed with apt-get (Debian trixie
# has 21 and 25, both with their jmods).
# A JDK of another major version, or one without jmods that cannot link, fails the build with what
# to do.
#
# JDK 24+ with an AOT cache needs no default CDS archive (the cache holds the JDK's classes too);
# older JDKs get one (`--generate-cds-archive`), since the dynamic archive `cds-train` records is
# layered on it.
set -euo pipefail

JDK="${JDK:?JDK (the Java major version) is required}"
MODULES_FILE="${MODULES_FILE:-/tmp/jre-modules.txt}"
JRE_EXTRA_MODULES="${JRE_EXTRA_MODULES:-}"
OUT=/opt/java/openjdk

fail() {
    echo "error: $1" >&2
    if [ $# -gt 1 ]; then echo "help: $2" >&2; fi
    exit 1
}

major_of() {
    # `java -version` prints `openjdk version "25.0.1" …` or `"21.0.9"` on its first line.
    "$1" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p'
}

find_jdk() {
    local jlink
    for jlink in "${JAVA_HOME:-/nonexistent}/bin/jlink" "$(command -v jlink || true)"; do
        [ -x "$jlink" ] || continue
        jlink="$(readlink -f "$jlink")"
        local home="${jlink%/bin/jlink}"
        if [ "$(major_of "$home/bin/java")" = "$JDK" ]; then
            echo "$home"
            return 0
        fi
    done
    return 1
}

if ! home="$(find_jdk)"; then
    if command -v apt-get >/dev/null; then
        echo "no JDK $JDK with jlink in this image; installing openjdk-$JDK-jdk-headless"
        apt-get update
        # debian:*-slim drops man pages, directory included, and the JDK's postinst registers its
        # man page with update-alternatives, which fails without the directory.
        mkdir -p /usr/share/man/man1
        apt-get install -y --no-install-recommends "openjdk-$JDK-jdk-headless" ||
            fail "could not install openjdk-$JDK-jdk-headless from this image's apt sources" \
                "build on an image that has a JDK $JDK with jmods (\`kafka-image build --jdk $JDK --jdk-image IMAGE\`, e.g. eclipse-temurin:$JDK-jdk)"
        rm -rf /var/lib/apt/lists/*
        unset JAVA_HOME
        home="$(find_jdk)" || fail "openjdk-$JDK-jdk-headless is installed but has no jlink"
    else
        fail "the JDK image has no JDK $JDK with jlink, and no apt-get to install one" \
            "build on an image that has a JDK $JDK with jmods (\`kafka-image build --jdk $JDK --jdk-image IMAGE\`)"
    fi
fi
echo "linking with the JDK in $home ($("$home/bin/java" -version 2>&1 | head -n 1))"

available="$("$home/bin/java" --list-modules | sed 's/@.*//')"
modules=()
while read -r module; do
    module="${module%%#*}"
    module="${module//[[:space:]]/}"
    [ -n "$module" ] || continue
    if grep -qx "$module" <<<"$available"; then
        modules+=("$module")
    else
        echo "JDK $JDK has no module $module; left out"
    fi
done < <(cat "$MODULES_FILE"; tr ',' '\n' <<<"$JRE_EXTRA_MODULES")

# `--strip-debug` also strips the native libraries' symbols, with objcopy (binutils); without it,
# only the Java debug attributes go (Debian's native libraries come stripped already). Debian's
# jmods also carry the native debug info as separate `*.debuginfo` files (700 MB for libjvm):
# never linked in.
strip=(--strip-java-debug-attributes)
if command -v objcopy >/dev/null; then
    strip=(--strip-debug)
fi
# java.desktop is linked for java.beans only; these of its native libraries need X11, ALSA,
# FreeType, LittleCMS or libjpeg, none of which a headless image has, so they could never load.
unloadable='**.debuginfo,**/libawt_xawt.so,**/libsplashscreen.so,**/libjsound.so,**/libfontmanager.so,**/liblcms.so,**/libjavajpeg.so'
cds=()
if [ "$JDK" -lt 24 ]; then
    cds=(--generate-cds-archive)
fi
joined="$(IFS=,; echo "${modules[*]}")"
echo "jlink --add-modules $joined"
mkdir -p "$(dirname "$OUT")"
"$home/bin/jlink" --add-modules "$joined" "${strip[@]}" --exclude-files="$unloadable" \
    --compress zip-6 --no-man-pages --no-header-files \
    "${cds[@]}" --output "$OUT" ||
    fail "jlink failed for JDK $JDK in $home" \
        "jlink needs the JDK's jmods (Debian's openjdk-$JDK-jdk-headless and eclipse-temurin:$JDK-jdk have them)"
# A JDK whose lib/security/cacerts is a link into the OS (Debian's) gives a copy of its target;
# any dangling link left would break TLS to public servers (OAuth token endpoints).
if [ -L "$OUT/lib/security/cacerts" ] || [ ! -s "$OUT/lib/security/cacerts" ]; then
    fail "the linked runtime has no usable lib/security/cacerts"
fi
"$OUT/bin/java" -version
du -sh "$OUT"
