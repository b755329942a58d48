#!/usr/bin/env python3
"""Start-up benchmark of REAL Apache Kafka through `kafka-entrypoint run`, variants interleaved.

For each round and each variant (in turn, so a change of machine load hits every variant alike),
it starts `kafka-entrypoint run` on a single-node config with its storage already formatted (a
container restart), and measures:
  - ready: from the spawn of `kafka-entrypoint run` to the broker's own `Kafka Server started`
    log line (setup + storage check + exec + JVM start + broker start);
  - rss: the broker's resident memory (VmRSS) when that line appears;
then stops it with SIGTERM and waits for its exit. It prints medians (and min/max) per variant
and each variant's ratio to the first, as a Markdown table, and writes the raw figures as JSON.

Variants: `no archive` and `CDS archive` (made by `kafka-entrypoint cds-train` on the same
distribution, JDK and classpath), on each JDK given with --java-home; on a JDK 25 also `AOT cache`
(`cds-train --archive kafka.aot`: JEP 483/514).

usage: bench/startup.py --kafka-home DIR [--java-home DIR ...] [--rounds N] [--json FILE]
  --kafka-home  a Kafka distribution (e.g. target/kafka-dist/kafka_2.13-4.4.0, `kafka-image dist`)
  --java-home   a JDK to run Kafka with (repeatable; default: the `java` on PATH)
  --rounds      starts per variant (default 10)
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = b"Kafka Server started"


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
        "KAFKA_HEAP_OPTS": "-Xmx512m -Xms512m",
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


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def start_once(command, env):
    """Spawn, wait for the ready line; return (seconds, rss KiB). Stops the broker."""
    t0 = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ready = None
    rss = None
    try:
        for line in proc.stdout:
            if READY_LINE in line:
                ready = time.monotonic() - t0
                rss = rss_kib(proc.pid)
                break
        if ready is None:
            raise SystemExit(f"the broker exited ({proc.wait()}) before it was ready")
    finally:
        proc.send_signal(signal.SIGTERM)
        # Drain so the broker never blocks on a full pipe while it stops.
        for _ in proc.stdout:
            pass
        proc.wait(timeout=120)
    return ready, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka-home", required=True)
    parser.add_argument("--java-home", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()
    kafka_home = Path(args.kafka_home).resolve()
    ep = entrypoint()
    java_homes = args.java_home or [None]

    with tempfile.TemporaryDirectory(prefix="kafka-startup-bench-") as tmp:
        work = Path(tmp)
        port = sandbox(work, kafka_home)
        variants = []
        for jh in java_homes:
            jdk = Path(jh).name if jh else "java on PATH"
            env = environment(work, jh)
            variants.append((f"{jdk}, no archive", env, work / "none.jsa"))
            kinds = [("CDS archive", "jsa")]
            if jh and java_major(jh) >= 25:
                kinds.append(("AOT cache", "aot"))
            for label, suffix in kinds:
                archive = work / f"archive-{len(variants)}.{suffix}"
                train = subprocess.run(
                    [str(ep), "cds-train", "--archive", str(archive), "--kafka-home",
                     str(kafka_home), "--config", str(work / "defaults/server.properties"),
                     "--bootstrap-server", f"127.0.0.1:{port}"],
                    env=env, capture_output=True,
                )
                if train.returncode != 0:
                    sys.stderr.write(train.stderr.decode(errors="replace"))
                    raise SystemExit("cds-train failed")
                variants.append((f"{jdk}, {label}", env, archive))
        # Format the storage once (the first start), as a restarted container finds it.
        start_once(run_command(ep, work, kafka_home, work / "none.jsa"), variants[0][1])

        results = {name: {"ready_s": [], "rss_kib": []} for name, _, _ in variants}
        for round_ in range(args.rounds):
            for name, env, archive in variants:
                ready, rss = start_once(run_command(ep, work, kafka_home, archive), env)
                results[name]["ready_s"].append(ready)
                results[name]["rss_kib"].append(rss)
            print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)

    base = statistics.median(results[variants[0][0]]["ready_s"])
    print(f"Kafka: {kafka_home.name}; {args.rounds} starts per variant, interleaved\n")
    print("| variant | ready, median | min–max | ratio to first | RSS when ready, median |")
    print("|:---|---:|---:|---:|---:|")
    for name, _, _ in variants:
        ready = results[name]["ready_s"]
        rss = results[name]["rss_kib"]
        med = statistics.median(ready)
        print(
            f"| {name} | {med * 1000:.0f} ms | {min(ready) * 1000:.0f}–{max(ready) * 1000:.0f} ms "
            f"| {med / base:.2f}× | {statistics.median(rss) / 1024:.0f} MiB |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
