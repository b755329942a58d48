#!/usr/bin/env python3
"""Start-up benchmark of REAL Apache Kafka through `kafka-entrypoint run`, variants interleaved.

Two kinds of variants, which one run can mix; each round starts every variant once, in turn, so a
change of machine load hits every variant alike:

Native (--kafka-home, outside a container): `kafka-entrypoint run` (a release build of this
checkout) on a single-node config whose storage is already formatted (as a restarted container
finds it). Variants: `no archive` and `CDS archive` (made by `kafka-entrypoint cds-train` on the
same distribution, JDK and classpath), on each JDK given with --java-home; on a JDK 25 also
`AOT cache` (`cds-train --archive kafka.aot`: JEP 483/514).

Image (--image, repeatable): `docker run -d IMAGE run --cds-archive PATH` with no volume (each start
formats its storage, natively, in a few ms). Variants: `no archive` (`--cds-archive /dev/null`,
which `run` does not use: not a regular file), then the image's own `/opt/kafka/kafka.jsa` (CDS
archive) and `/opt/kafka/kafka.aot` (JDK 25 AOT cache), whichever it has.

Measured at every start:
  - ready: from the entrypoint's last `kafka-entrypoint: …` line (printed just before it execs
    `java`: the JVM's start) to the broker's own `Kafka Server started` log line. Native: the times
    the lines reach this script; image: the lines' `docker logs --timestamps` times.
  - healthy (image only): from just before `docker run` to the first `ApiVersions` answer without
    error on the container's PLAINTEXT listener, probed from the host on the container's bridge
    address every 10 ms (what `kafka-entrypoint health` checks, without the ~0.2 s of a `docker
    exec` per probe); then `kafka-entrypoint health` is run once in the container and must agree.
  - rss: the broker's VmRSS (/proc/PID/status; in the container PID 1): native at the ready line,
    image just after the first healthy answer.
then stops the broker (native: SIGTERM, waited for; image: `docker rm -f`). Every variant runs
with `KAFKA_HEAP_OPTS=-Xmx512m -Xms512m` (the same heap natively and in a container). It prints
medians (and min/max) per variant and the ratio of each to the first variant of its kind, as a
Markdown table, and writes the raw figures as JSON.

usage: bench/startup.py [--kafka-home DIR [--java-home DIR ...] [--aot-jvm-options LABEL=OPTIONS ...]]
                        [--image IMAGE ...] [--rounds N] [--json FILE] [--name-prefix PREFIX]
  --kafka-home   a Kafka distribution (e.g. target/kafka-dist/kafka_2.13-4.4.0, `kafka-image dist`)
  --java-home    a JDK to run Kafka with natively (repeatable; default: the `java` on PATH)
  --aot-jvm-options  one more native variant per JDK 25: the same AOT cache, the JVM given
                 OPTIONS too (through `KAFKA_OPTS`), named LABEL (repeatable; for measuring JIT
                 settings, e.g. `"no profile replay=-XX:+UnlockDiagnosticVMOptions
                 -XX:-AOTReplayTraining"`)
  --image        a kafka-image image to start with `docker run` (repeatable)
  --rounds       starts per variant (default 10)
  --name-prefix  prefix of the containers' names (default kafka-startup-bench)
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = b"Kafka Server started"
ENTRYPOINT_LINE = b"kafka-entrypoint: "
HEAP_OPTS = "-Xmx512m -Xms512m"
# How long one start may take before the benchmark gives up (a cold JVM on a loaded machine).
START_TIMEOUT_S = 180
# The image's archive files, as `run` looks for them.
IMAGE_ARCHIVES = [("CDS archive", "/opt/kafka/kafka.jsa"), ("AOT cache", "/opt/kafka/kafka.aot")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def entrypoint():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "kafka-entrypoint"],
        cwd=ROOT,
        check=True,
    )
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
    )
    return Path(meta["target_directory"]) / "release" / "kafka-entrypoint"


def sandbox(work, kafka_home):
    """Defaults like the image's, on free ports, with data in work/data."""
    broker, controller = free_port(), free_port()
    for d in ("defaults", "mounted", "final", "secrets", "logs"):
        (work / d).mkdir(parents=True, exist_ok=True)
    text = (ROOT / "docker/config/server.properties").read_text()
    text = (
        text.replace("localhost:9092", "@B@")
        .replace("localhost:9093", "@C@")
        .replace("://:9092", "://@B@")
        .replace("://:9093", "://@C@")
        .replace("@B@", f"127.0.0.1:{broker}")
        .replace("@C@", f"127.0.0.1:{controller}")
        .replace("/var/lib/kafka/data", str(work / "data"))
    )
    (work / "defaults/server.properties").write_text(text)
    log4j = "log4j2" if (Path(kafka_home) / "config/log4j2.yaml").exists() else "log4j1"
    for f in (ROOT / "docker/config" / log4j).iterdir():
        shutil.copy(f, work / "defaults" / f.name)
    return broker


def run_command(ep, work, kafka_home, archive):
    return [
        str(ep), "run",
        "--kafka-home", str(kafka_home),
        "--default-configs-dir", str(work / "defaults"),
        "--mounted-configs-dir", str(work / "mounted"),
        "--final-configs-dir", str(work / "final"),
        "--secrets-dir", str(work / "secrets"),
        "--cds-archive", str(archive),
    ]


def environment(work, java_home):
    env = {
        "PATH": os.environ["PATH"],
        "LOG_DIR": str(work / "logs"),
        "KAFKA_HEAP_OPTS": HEAP_OPTS,
    }
    if java_home:
        env["JAVA_HOME"] = java_home
    return env


def java_major(java_home):
    """The feature release of the JDK at `java_home`, from its `release` file."""
    for line in (Path(java_home) / "release").read_text().splitlines():
        if line.startswith("JAVA_VERSION="):
            return int(line.split("=", 1)[1].strip('"').split(".")[0])
    return 0


def vm_rss_kib(status_text):
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def start_native(command, env):
    """Spawn, wait for the ready line; return the figures. Stops the broker."""
    t_exec = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ready = None
    rss = None
    try:
        for line in proc.stdout:
            if line.startswith(ENTRYPOINT_LINE):
                t_exec = time.monotonic()
            elif READY_LINE in line:
                ready = time.monotonic() - t_exec
                rss = vm_rss_kib(Path(f"/proc/{proc.pid}/status").read_text())
                break
        if ready is None:
            raise SystemExit(f"the broker exited ({proc.wait()}) before it was ready")
    finally:
        proc.send_signal(signal.SIGTERM)
        # Drain so the broker never blocks on a full pipe while it stops.
        for _ in proc.stdout:
            pass
        proc.wait(timeout=120)
    return {"ready_s": ready, "healthy_s": None, "rss_kib": rss}


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def api_versions_ok(address, port):
    """One ApiVersions v3 round trip: True when the broker answers with error code 0."""
    client = b"kafka-startup-bench"
    body = bytes([len(client) + 1]) + client + bytes([2]) + b"1" + b"\x00"
    header = struct.pack(">hhih", 18, 3, 1, len(client)) + client + b"\x00"
    request = header + body
    try:
        with socket.create_connection((address, port), timeout=1) as s:
            s.settimeout(1)
            s.sendall(struct.pack(">i", len(request)) + request)
            response = b""
            while len(response) < 10:
                chunk = s.recv(4096)
                if not chunk:
                    return False
                response += chunk
    except OSError:
        return False
    # size, correlation id (the ApiVersions response header has no tagged fields), error code.
    _, correlation, error = struct.unpack(">iih", response[:10])
    return correlation == 1 and error == 0


def docker_time(stamp):
    """A `docker logs --timestamps` time (RFC 3339, nanoseconds), in seconds since the epoch."""
    seconds, _, fraction = stamp.rstrip("Z").partition(".")
    base = datetime.fromisoformat(seconds + "+00:00").timestamp()
    return base + float("0." + (fraction or "0"))


def ready_from_logs(logs):
    """JVM start → `Kafka Server started`, from `docker logs --timestamps` (stdout and stderr,
    one after the other); None before ready."""
    t_exec = t_ready = None
    for line in logs.splitlines():
        stamp, _, text = line.partition(" ")
        if text.startswith(ENTRYPOINT_LINE.decode()):
            t_exec = max(t_exec or 0.0, docker_time(stamp))
        elif READY_LINE.decode() in text and t_ready is None:
            t_ready = docker_time(stamp)
    if t_exec is None or t_ready is None:
        return None
    return t_ready - t_exec


def start_container(image, name, archive):
    """`docker run` the image, wait until healthy and ready; return the figures. Removes it."""
    t0 = time.monotonic()
    docker("run", "-d", "--name", name, "-e", f"KAFKA_HEAP_OPTS={HEAP_OPTS}", image,
           "run", "--cds-archive", archive)
    try:
        address = docker("inspect", "--format",
                         "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                         name).stdout.strip()
        healthy = None
        while healthy is None:
            if api_versions_ok(address, 9092):
                healthy = time.monotonic() - t0
            elif time.monotonic() - t0 > START_TIMEOUT_S:
                raise SystemExit(f"{name} did not answer ApiVersions within {START_TIMEOUT_S} s:\n"
                                 + docker("logs", "--tail", "30", name, check=False).stderr)
            else:
                time.sleep(0.01)
        rss = vm_rss_kib(docker("exec", name, "cat", "/proc/1/status").stdout)
        health = docker("exec", name, "kafka-entrypoint", "health", check=False)
        if health.returncode != 0:
            raise SystemExit(f"{name}: ApiVersions answered but `kafka-entrypoint health` failed: "
                             + health.stdout + health.stderr)
        ready = None
        while ready is None:
            logs = docker("logs", "--timestamps", name)
            ready = ready_from_logs(logs.stdout + logs.stderr)
            if ready is None:
                if time.monotonic() - t0 > START_TIMEOUT_S:
                    raise SystemExit(f"{name}: no `Kafka Server started` line")
                time.sleep(0.05)
    finally:
        docker("rm", "-f", "-v", name, check=False)
    return {"ready_s": ready, "healthy_s": healthy, "rss_kib": rss}


def image_variants(image, prefix):
    """The variants of `image`: no archive, then each archive it has."""
    listing = docker("run", "--rm", "--entrypoint", "ls", image, "/opt/kafka").stdout.split()
    java = docker("run", "--rm", "--entrypoint", "java", image, "-version")
    version = java.stderr.split('"')[1] if java.stderr.count('"') >= 2 else "?"
    jdk = f"JDK {version}"
    variants = [("no archive", "/dev/null")]
    variants += [(label, path) for label, path in IMAGE_ARCHIVES
                 if Path(path).name in listing]
    return [
        (f"{image} ({jdk}), {label}",
         lambda a=archive, i=index: start_container(image, f"{prefix}-{os.getpid()}-{i}", a))
        for index, (label, archive) in enumerate(variants)
    ]


def native_variants(ep, work, kafka_home, java_homes, port, aot_jvm_options):
    variants = []
    for jh in java_homes:
        jdk = Path(jh).name if jh else "java on PATH"
        env = environment(work, jh)
        archives = [("no archive", work / "none.jsa")]
        kinds = [("CDS archive", "jsa")]
        if jh and java_major(jh) >= 25:
            kinds.append(("AOT cache", "aot"))
        for label, suffix in kinds:
            archive = work / f"archive-{len(variants) + len(archives)}.{suffix}"
            train = subprocess.run(
                [str(ep), "cds-train", "--archive", str(archive), "--kafka-home",
                 str(kafka_home), "--config", str(work / "defaults/server.properties"),
                 "--bootstrap-server", f"127.0.0.1:{port}"],
                env=env, capture_output=True,
            )
            if train.returncode != 0:
                sys.stderr.write(train.stderr.decode(errors="replace"))
                raise SystemExit("cds-train failed")
            archives.append((label, archive))
        for label, archive in archives:
            command = run_command(ep, work, kafka_home, archive)
            variants.append((f"native {kafka_home.name} ({jdk}), {label}",
                             lambda c=command, e=env: start_native(c, e)))
            if archive.suffix != ".aot":
                continue
            for option_label, options in aot_jvm_options:
                with_options = dict(env, KAFKA_OPTS=options)
                variants.append((f"native {kafka_home.name} ({jdk}), {label}, {option_label}",
                                 lambda c=command, e=with_options: start_native(c, e)))
    return variants


def milliseconds(values):
    return (f"{statistics.median(values) * 1000:.0f} ms "
            f"({min(values) * 1000:.0f}–{max(values) * 1000:.0f})")


def print_table(groups, results, rounds):
    print(f"{rounds} starts per variant, interleaved round by round\n")
    print("| variant | JVM start → ready, median (min–max) | ratio | `docker run` → healthy, "
          "median (min–max) | ratio | RSS when ready, median |")
    print("|:---|---:|---:|---:|---:|---:|")
    for group in groups:
        base = results[group[0][0]]
        for name, _ in group:
            r = results[name]
            ready = statistics.median(r["ready_s"]) / statistics.median(base["ready_s"])
            if r["healthy_s"][0] is None:
                healthy = "| – | –"
            else:
                ratio = statistics.median(r["healthy_s"]) / statistics.median(base["healthy_s"])
                healthy = f"| {milliseconds(r['healthy_s'])} | {ratio:.2f}×"
            print(f"| {name} | {milliseconds(r['ready_s'])} | {ready:.2f}× {healthy} "
                  f"| {statistics.median(r['rss_kib']) / 1024:.0f} MiB |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka-home")
    parser.add_argument("--java-home", action="append", default=[])
    parser.add_argument("--aot-jvm-options", action="append", default=[])
    parser.add_argument("--image", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json")
    parser.add_argument("--name-prefix", default="kafka-startup-bench")
    args = parser.parse_args()
    if not args.kafka_home and not args.image:
        parser.error("give --kafka-home (native starts), --image (container starts), or both")
    aot_jvm_options = []
    for given in args.aot_jvm_options:
        label, separator, options = given.partition("=")
        if not separator or not label or not options:
            parser.error(f"--aot-jvm-options takes LABEL=OPTIONS, not `{given}`")
        aot_jvm_options.append((label, options))

    with tempfile.TemporaryDirectory(prefix="kafka-startup-bench-") as tmp:
        groups = []
        if args.kafka_home:
            work = Path(tmp)
            kafka_home = Path(args.kafka_home).resolve()
            ep = entrypoint()
            port = sandbox(work, kafka_home)
            native = native_variants(ep, work, kafka_home, args.java_home or [None], port,
                                     aot_jvm_options)
            # Format the storage once (the first start), as a restarted container finds it.
            native[0][1]()
            groups.append(native)
        for image in args.image:
            groups.append(image_variants(image, args.name_prefix))

        variants = [variant for group in groups for variant in group]
        results = {name: {"ready_s": [], "healthy_s": [], "rss_kib": []} for name, _ in variants}
        for round_ in range(args.rounds):
            for name, start in variants:
                for key, value in start().items():
                    results[name][key].append(value)
            load = os.getloadavg()[0]
            print(f"round {round_ + 1}/{args.rounds} done (load average {load:.1f})",
                  file=sys.stderr)

    print_table(groups, results, args.rounds)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
