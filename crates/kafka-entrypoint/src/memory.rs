//! The broker's heap from the container's memory limit, when the user gave no `KAFKA_HEAP_OPTS`.
//!
//! Kafka's scripts default to `-Xmx1G -Xms1G` whatever the container has: too much for a 512 MiB
//! container (the kernel OOM-kills the JVM under load), too little for a 16 GiB one. The heap is
//! only part of what a broker needs: metaspace and code cache (about 100 MiB), thread stacks,
//! direct buffers (network and TLS), and above all the page cache Kafka reads and writes its log
//! segments through. The rule below ([`heap_for_limit`], tabled in the user guide) leaves that
//! room: half of a small container, a quarter of a large one, never more than the 6 GiB Kafka's
//! operations guide recommends.
//!
//! [`container_memory_limit`] reads the limit from cgroup v2 (`memory.max`) or v1
//! (`memory/memory.limit_in_bytes`); "no limit" in either form gives `None`, and then Kafka's own
//! default stays.

use std::path::Path;

/// One mebibyte.
const MIB: u64 = 1024 * 1024;
/// One gibibyte.
const GIB: u64 = 1024 * MIB;
/// The largest heap the rule gives (Kafka's operations guide: 6 GiB is enough for most brokers).
const MAX_HEAP: u64 = 6 * GIB;
/// The smallest heap the rule gives; below about 384 MiB of memory Kafka does not run well.
const MIN_HEAP: u64 = 128 * MIB;
/// Limits at or above this are "no limit" (cgroup v1 writes `9223372036854771712`).
const UNLIMITED: u64 = 1 << 60;

/// The heap size for a container limited to `limit` bytes: half of it up to 2 GiB, then a
/// quarter of it plus 512 MiB, at least 128 MiB and at most 6 GiB; rounded down to whole MiB.
#[must_use]
pub(crate) fn heap_for_limit(limit: u64) -> u64 {
    let heap = if limit <= 2 * GIB {
        limit / 2
    } else {
        limit / 4 + 512 * MIB
    };
    heap.clamp(MIN_HEAP, MAX_HEAP) / MIB * MIB
}

/// The `KAFKA_HEAP_OPTS` value for a container limited to `limit` bytes (`-Xmx` = `-Xms`, as
/// Kafka's default).
#[must_use]
pub(crate) fn heap_opts_for_limit(limit: u64) -> String {
    let mib = heap_for_limit(limit) / MIB;
    format!("-Xmx{mib}m -Xms{mib}m")
}

/// Parses a cgroup memory limit file's content: bytes, or `max` (v2) / a huge value (v1) for
/// no limit.
fn parse_limit(text: &str) -> Option<u64> {
    let value: u64 = text.trim().parse().ok()?;
    (value > 0 && value < UNLIMITED).then_some(value)
}

/// The memory limit of the container whose cgroup filesystem is mounted at `cgroup_dir`
/// (`/sys/fs/cgroup`): cgroup v2's `memory.max`, else v1's `memory/memory.limit_in_bytes`.
/// `None` when there is no limit or neither file can be read.
pub(crate) fn container_memory_limit(cgroup_dir: &Path) -> Option<u64> {
    for file in ["memory.max", "memory/memory.limit_in_bytes"] {
        if let Ok(text) = std::fs::read_to_string(cgroup_dir.join(file)) {
            return parse_limit(&text);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_follows_the_documented_table() {
        for (limit, heap) in [
            (256 * MIB, 128 * MIB),
            (512 * MIB, 256 * MIB),
            (GIB, 512 * MIB),
            (2 * GIB, GIB),
            (4 * GIB, 1536 * MIB),
            (8 * GIB, 2560 * MIB),
            (16 * GIB, 4608 * MIB),
            (22 * GIB, 6 * GIB),
            (64 * GIB, 6 * GIB),
        ] {
            assert_eq!(heap_for_limit(limit), heap, "limit {} MiB", limit / MIB);
        }
        assert_eq!(heap_opts_for_limit(512 * MIB), "-Xmx256m -Xms256m");
        assert_eq!(heap_opts_for_limit(4 * GIB), "-Xmx1536m -Xms1536m");
    }

    #[test]
    fn a_bigger_container_never_gets_a_smaller_heap() {
        let mut previous = 0;
        for mib in (64..32 * 1024).step_by(64) {
            let heap = heap_for_limit(mib * MIB);
            assert!(heap >= previous, "{mib} MiB");
            assert!(heap <= (mib * MIB).max(MIN_HEAP));
            previous = heap;
        }
    }

    #[test]
    fn cgroup_v2_and_v1_limits_are_read_and_no_limit_is_none() {
        let v2 = tempfile::tempdir().unwrap();
        std::fs::write(v2.path().join("memory.max"), "536870912\n").unwrap();
        assert_eq!(container_memory_limit(v2.path()), Some(512 * MIB));
        std::fs::write(v2.path().join("memory.max"), "max\n").unwrap();
        assert_eq!(container_memory_limit(v2.path()), None);

        let v1 = tempfile::tempdir().unwrap();
        std::fs::create_dir(v1.path().join("memory")).unwrap();
        let file = v1.path().join("memory/memory.limit_in_bytes");
        std::fs::write(&file, "4294967296\n").unwrap();
        assert_eq!(container_memory_limit(v1.path()), Some(4 * GIB));
        std::fs::write(&file, "9223372036854771712\n").unwrap();
        assert_eq!(container_memory_limit(v1.path()), None);

        let none = tempfile::tempdir().unwrap();
        assert_eq!(container_memory_limit(none.path()), None);
    }
}
