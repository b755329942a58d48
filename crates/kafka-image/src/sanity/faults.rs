//! The fault case: a 3-node combined cluster keeps every acknowledged record while nodes are
//! killed, cut off the network and restarted.
//!
//! A client container runs Kafka's `VerifiableProducer` with `acks=all` for the whole case; it
//! prints one JSON line per acknowledged record (value, partition, offset, timestamp). After each
//! fault the case waits until the cluster is whole again (every node serving, three voters in the
//! quorum, the ISR complete), then reads the topic back with the console consumer and checks that
//! every acknowledged record sits at its acknowledged offset, exactly once. The acks' timestamps
//! give the stall and the per-second timeline of the report.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail, ensure};

use super::cases::{cluster_node_env, start_cluster_node};
use super::client::{CONSOLE_CONSUMER, Client, METADATA_QUORUM, VERIFIABLE_PRODUCER};
use super::sandbox::{ContainerSpec, Sandbox};
use crate::engine::strings;
use crate::report::FaultRecord;

/// The topic the producer writes: one partition, so "the partition leader" is one node.
const TOPIC: &str = "faults";
/// Records per second the producer aims at: enough to see a stall, little load.
const THROUGHPUT: &str = "40";
/// How long a fault lasts before the node is brought back.
const OUTAGE: Duration = Duration::from_secs(8);
/// How long a node may take to be whole again after a fault.
const RECOVERY: Duration = super::cases::CLUSTER_START;
/// Seconds of timeline drawn before the fault and after the recovery.
const MARGIN: Duration = Duration::from_secs(5);
/// `docker stop` timeout for the restarts.
const STOP_TIMEOUT: &str = "30";

/// One acknowledgement printed by `VerifiableProducer` (`producer_send_success`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ack {
    /// The record's value (the producer's sequence number).
    pub(crate) value: String,
    /// Its offset in partition 0.
    pub(crate) offset: u64,
    /// When the producer saw the acknowledgement, ms since the epoch.
    pub(crate) timestamp_ms: u64,
}

/// The acknowledgements in `VerifiableProducer`'s output (other lines are skipped).
pub(crate) fn parse_acks(output: &str) -> Vec<Ack> {
    output
        .lines()
        .filter(|line| line.starts_with('{'))
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["name"] == "producer_send_success")
        .filter_map(|event| {
            Some(Ack {
                value: event["value"].as_str()?.to_owned(),
                offset: event["offset"].as_u64()?,
                timestamp_ms: event["timestamp"].as_u64()?,
            })
        })
        .collect()
}

/// `(offset, value)` pairs from the console consumer run with `print.offset=true`
/// (`Offset:12\tvalue`).
pub(crate) fn parse_consumed(output: &str) -> Vec<(u64, String)> {
    output
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Offset:")?;
            let (offset, value) = rest.split_once('\t')?;
            Some((offset.trim().parse().ok()?, value.to_owned()))
        })
        .collect()
}

/// How many acknowledged records were read back at their offset; fails naming the first one
/// that was lost, moved or duplicated.
pub(crate) fn check_read_back(acks: &[Ack], consumed: &[(u64, String)]) -> anyhow::Result<usize> {
    let by_offset: HashMap<u64, &str> = consumed.iter().map(|(o, v)| (*o, v.as_str())).collect();
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for (_, value) in consumed {
        *copies.entry(value.as_str()).or_default() += 1;
    }
    for ack in acks {
        match by_offset.get(&ack.offset) {
            Some(value) if *value == ack.value => {}
            Some(value) => bail!(
                "acknowledged record `{}` at offset {} was read back as `{value}`",
                ack.value,
                ack.offset
            ),
            None => bail!(
                "acknowledged record `{}` at offset {} is missing ({} records read back)",
                ack.value,
                ack.offset,
                consumed.len()
            ),
        }
        let count = copies.get(ack.value.as_str()).copied().unwrap_or(0);
        ensure!(
            count == 1,
            "acknowledged record `{}` was read back {count} times",
            ack.value
        );
    }
    Ok(acks.len())
}

/// The longest gap between consecutive acknowledgements inside `[from_ms, to_ms]` (counting the
/// window's edges as acknowledgements).
pub(crate) fn longest_stall(acks: &[Ack], from_ms: u64, to_ms: u64) -> Duration {
    let mut times: Vec<u64> = acks
        .iter()
        .map(|a| a.timestamp_ms)
        .filter(|t| (from_ms..=to_ms).contains(t))
        .collect();
    times.push(from_ms);
    times.push(to_ms);
    times.sort_unstable();
    let gap = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    Duration::from_millis(gap)
}

/// Acknowledgements per second from `from_ms` to `to_ms`.
pub(crate) fn acks_per_second(acks: &[Ack], from_ms: u64, to_ms: u64) -> Vec<u32> {
    let seconds = usize::try_from(to_ms.saturating_sub(from_ms).div_ceil(1000)).unwrap_or(0);
    let mut buckets = vec![0u32; seconds];
    for ack in acks {
        if (from_ms..to_ms).contains(&ack.timestamp_ms) {
            let index = usize::try_from((ack.timestamp_ms - from_ms) / 1000).unwrap_or(0);
            if let Some(bucket) = buckets.get_mut(index) {
                *bucket += 1;
            }
        }
    }
    buckets
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The running cluster of the fault case.
struct Cluster {
    /// Container names, node id `i + 1` at index `i`.
    nodes: Vec<String>,
    /// The client container the checking tools run in.
    client: String,
    /// The container running `VerifiableProducer`.
    producer: String,
    network: String,
}

impl Cluster {
    fn node(&self, id: u32) -> &str {
        &self.nodes[usize::try_from(id - 1).unwrap_or(0)]
    }

    fn admin<'a>(&'a self) -> Client<'a> {
        Client {
            container: &self.client,
            bootstrap: BOOTSTRAP,
            properties: "",
        }
    }

    /// The node id leading the KRaft quorum (`MetadataQuorumCommand describe --status`).
    fn active_controller(&self, sandbox: &Sandbox<'_>) -> anyhow::Result<u32> {
        let out = sandbox.bash(
            &self.client,
            &format!("{JAVA} {METADATA_QUORUM} --bootstrap-server {BOOTSTRAP} describe --status"),
        )?;
        field(&out, "LeaderId:").context("no `LeaderId:` in the quorum status")
    }

    /// The node leading partition 0 of the topic (`TopicCommand --describe`).
    fn partition_leader(&self, sandbox: &Sandbox<'_>) -> anyhow::Result<u32> {
        let out = self.admin().describe(sandbox, TOPIC)?;
        field(&out, "Leader:").context("no `Leader:` in the topic description")
    }

    /// Waits until every node serves, the quorum has three voters and the ISR is whole.
    fn wait_whole(&self, sandbox: &Sandbox<'_>) -> anyhow::Result<()> {
        for node in &self.nodes {
            sandbox.wait_serving(node, RECOVERY)?;
        }
        sandbox.wait_for("three voters in the KRaft quorum", RECOVERY, || {
            let out = sandbox
                .bash(
                    &self.client,
                    &format!(
                        "{JAVA} {METADATA_QUORUM} --bootstrap-server {BOOTSTRAP} describe --status"
                    ),
                )
                .unwrap_or_default();
            Ok(out
                .lines()
                .find(|l| l.starts_with("CurrentVoters:"))
                .is_some_and(|l| ["1", "2", "3"].iter().all(|id| voter_listed(l, id)))
                .then_some(()))
        })?;
        sandbox.wait_for(
            &format!("3 in-sync replicas of `{TOPIC}`"),
            RECOVERY,
            || {
                let isr = self
                    .admin()
                    .in_sync_replicas(sandbox, TOPIC)
                    .unwrap_or_default();
                Ok((isr.len() == 3).then_some(()))
            },
        )
    }

    /// The producer's acknowledgements so far.
    fn acks(&self, sandbox: &Sandbox<'_>) -> anyhow::Result<Vec<Ack>> {
        let out = sandbox
            .engine()
            .output(&strings(&["logs", &self.producer]))
            .context("failed to read the producer's output")?;
        Ok(parse_acks(&out))
    }

    /// Reads partition 0 back from the beginning up to offset `last` and checks `acks` in it.
    fn read_back(&self, sandbox: &Sandbox<'_>, acks: &[Ack]) -> anyhow::Result<usize> {
        let Some(last) = acks.iter().map(|a| a.offset).max() else {
            bail!("the producer has acknowledged no record");
        };
        let out = sandbox
            .bash(
                &self.client,
                &format!(
                    "{JAVA} {CONSOLE_CONSUMER} --bootstrap-server {BOOTSTRAP} --topic {TOPIC} \
                     --partition 0 --offset earliest --max-messages {} --timeout-ms 60000 \
                     --property print.offset=true",
                    last + 1
                ),
            )
            .context("failed to read the topic back")?;
        check_read_back(acks, &parse_consumed(&out))
    }
}

/// Whether `line` (`CurrentVoters: [1,2,3]` or the 4.x form with ids and endpoints) lists
/// voter `id`.
fn voter_listed(line: &str, id: &str) -> bool {
    line.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|token| token == id)
}

/// The number after `name` in `out` (`LeaderId:              2`).
fn field(out: &str, name: &str) -> Option<u32> {
    out.split(name)
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The `java` command line of the case's tools: a small heap, quick start.
const JAVA: &str = "java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*'";
const BOOTSTRAP: &str = "kafka-1:9092,kafka-2:9092,kafka-3:9092";

/// One fault: what to do to the cluster, after which the case waits until it is whole again.
type Inject = fn(&Cluster, &Sandbox<'_>) -> anyhow::Result<String>;

fn docker(sandbox: &Sandbox<'_>, args: &[&str]) -> anyhow::Result<()> {
    sandbox
        .engine()
        .output(&strings(args))
        .with_context(|| format!("`docker {}` failed", args.join(" ")))?;
    Ok(())
}

fn kill_and_restart(sandbox: &Sandbox<'_>, node: &str) -> anyhow::Result<()> {
    docker(sandbox, &["kill", node])?;
    std::thread::sleep(OUTAGE);
    docker(sandbox, &["start", node])
}

fn kill_active_controller(cluster: &Cluster, sandbox: &Sandbox<'_>) -> anyhow::Result<String> {
    let id = cluster.active_controller(sandbox)?;
    kill_and_restart(sandbox, cluster.node(id))?;
    Ok(format!("docker kill the active controller (kafka-{id})"))
}

fn kill_partition_leader(cluster: &Cluster, sandbox: &Sandbox<'_>) -> anyhow::Result<String> {
    let id = cluster.partition_leader(sandbox)?;
    kill_and_restart(sandbox, cluster.node(id))?;
    Ok(format!("docker kill the partition leader (kafka-{id})"))
}

fn disconnect_leader(cluster: &Cluster, sandbox: &Sandbox<'_>) -> anyhow::Result<String> {
    let id = cluster.partition_leader(sandbox)?;
    let node = cluster.node(id);
    docker(sandbox, &["network", "disconnect", &cluster.network, node])?;
    std::thread::sleep(OUTAGE);
    let alias = format!("kafka-{id}");
    docker(
        sandbox,
        &[
            "network",
            "connect",
            "--alias",
            &alias,
            &cluster.network,
            node,
        ],
    )?;
    Ok(format!(
        "docker network disconnect the partition leader (kafka-{id}), then reconnect it"
    ))
}

fn rolling_restart(cluster: &Cluster, sandbox: &Sandbox<'_>) -> anyhow::Result<String> {
    for node in &cluster.nodes {
        docker(sandbox, &["stop", "-t", STOP_TIMEOUT, node])?;
        docker(sandbox, &["start", node])?;
        cluster.wait_whole(sandbox)?;
    }
    Ok("rolling restart of kafka-1, kafka-2, kafka-3".to_owned())
}

fn whole_cluster_restart(cluster: &Cluster, sandbox: &Sandbox<'_>) -> anyhow::Result<String> {
    let mut stop = vec!["stop", "-t", STOP_TIMEOUT];
    stop.extend(cluster.nodes.iter().map(String::as_str));
    docker(sandbox, &stop)?;
    let mut start = vec!["start"];
    start.extend(cluster.nodes.iter().map(String::as_str));
    docker(sandbox, &start)?;
    Ok("restart of the whole cluster (docker stop, then docker start, all three)".to_owned())
}

/// The faults, in order.
const FAULTS: [Inject; 5] = [
    kill_active_controller,
    kill_partition_leader,
    disconnect_leader,
    rolling_restart,
    whole_cluster_restart,
];

/// The case: start the cluster and the producer, inject each fault, check after each.
pub(crate) fn combined_cluster_faults(sandbox: &mut Sandbox<'_>) -> anyhow::Result<()> {
    let voters = "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093";
    let mut nodes = Vec::new();
    for id in 1..=3 {
        let env = cluster_node_env(id, "broker,controller", voters, true);
        nodes.push(start_cluster_node(sandbox, id, env)?);
    }
    let network = sandbox.network_name()?;
    let client = sandbox.start(
        &ContainerSpec::named("client")
            .networked()
            .run("sleep", &["infinity"]),
    )?;
    let mut cluster = Cluster {
        nodes,
        client,
        producer: String::new(),
        network,
    };
    for node in &cluster.nodes {
        sandbox.wait_serving(node, RECOVERY)?;
    }
    cluster
        .admin()
        .create_topic(sandbox, TOPIC, 1, 3, "--config min.insync.replicas=2")?;
    cluster.wait_whole(sandbox)?;
    cluster.producer = sandbox.start(&ContainerSpec::named("producer").networked().run(
        "bash",
        &[
            "-c",
            &format!(
                "{JAVA} {VERIFIABLE_PRODUCER} --bootstrap-server {BOOTSTRAP} --topic {TOPIC} \
                 --acks -1 --throughput {THROUGHPUT} --max-messages -1"
            ),
        ],
    ))?;
    sandbox.wait_for("the producer's first acknowledgements", RECOVERY, || {
        Ok((cluster.acks(sandbox)?.len() >= 40).then_some(()))
    })?;
    let margin = u64::try_from(MARGIN.as_millis()).unwrap_or(0);
    for inject in FAULTS {
        let fault_at = now_ms();
        let window_start = fault_at.saturating_sub(margin);
        let fault = inject(&cluster, sandbox)?;
        cluster
            .wait_whole(sandbox)
            .with_context(|| format!("the cluster did not recover after: {fault}"))?;
        let recovered_at = now_ms();
        let acks = cluster.acks(sandbox)?;
        let read_back = cluster
            .read_back(sandbox, &acks)
            .with_context(|| format!("after: {fault}"))?;
        // The timeline shows the producer's recovery until `MARGIN` after it; the read-back took
        // most of that time already.
        let timeline_end = recovered_at + margin;
        let timeline = sandbox.wait_for(
            "the producer's acknowledgements after the recovery",
            RECOVERY,
            || {
                let acks = cluster.acks(sandbox)?;
                if acks.iter().any(|a| a.timestamp_ms >= timeline_end) {
                    return Ok(Some(acks));
                }
                let state = sandbox.state(&cluster.producer)?;
                ensure!(
                    state.running,
                    "the producer exited with code {} after: {fault}",
                    state.exit_code
                );
                Ok(None)
            },
        )?;
        sandbox.record_fault(FaultRecord {
            fault: fault.clone(),
            acknowledged: acks.len(),
            read_back,
            stall: longest_stall(&timeline, fault_at, recovered_at),
            acks_per_second: acks_per_second(&timeline, window_start, timeline_end),
            fault_at: Duration::from_millis(fault_at - window_start),
            recovered_at: Duration::from_millis(recovered_at - window_start),
        });
        let state = sandbox.state(&cluster.producer)?;
        ensure!(
            state.running,
            "the producer exited with code {} after: {fault}",
            state.exit_code
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(value: &str, offset: u64, timestamp_ms: u64) -> Ack {
        Ack {
            value: value.to_owned(),
            offset,
            timestamp_ms,
        }
    }

    #[test]
    fn acks_are_the_send_successes() {
        let out = "{\"timestamp\":1000,\"name\":\"startup_complete\"}\n\
                   {\"timestamp\":1100,\"name\":\"producer_send_success\",\"key\":null,\"value\":\"0\",\"offset\":0,\"topic\":\"faults\",\"partition\":0}\n\
                   {\"timestamp\":1200,\"name\":\"producer_send_error\",\"exception\":\"x\",\"value\":\"1\"}\n\
                   WARN something\n";
        assert_eq!(parse_acks(out), [ack("0", 0, 1100)]);
    }

    #[test]
    fn consumed_lines_carry_offsets() {
        assert_eq!(
            parse_consumed("Offset:0\t0\nOffset:1\t1\nProcessed a total of 2 messages\n"),
            [(0, "0".to_owned()), (1, "1".to_owned())]
        );
    }

    #[test]
    fn read_back_finds_lost_moved_and_duplicated_records() {
        let acks = [ack("0", 0, 1), ack("1", 1, 2)];
        let good = [(0, "0".to_owned()), (1, "1".to_owned())];
        assert_eq!(check_read_back(&acks, &good).unwrap(), 2);
        let lost = [(0, "0".to_owned())];
        assert!(
            check_read_back(&acks, &lost)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        let moved = [(0, "0".to_owned()), (1, "9".to_owned())];
        assert!(
            check_read_back(&acks, &moved)
                .unwrap_err()
                .to_string()
                .contains("read back as")
        );
        let twice = [
            (0, "0".to_owned()),
            (1, "1".to_owned()),
            (2, "1".to_owned()),
        ];
        assert!(
            check_read_back(&acks, &twice)
                .unwrap_err()
                .to_string()
                .contains("2 times")
        );
    }

    #[test]
    fn stall_and_timeline_come_from_ack_times() {
        let acks = [ack("0", 0, 1_000), ack("1", 1, 1_500), ack("2", 2, 4_500)];
        assert_eq!(
            longest_stall(&acks, 1_200, 5_000),
            Duration::from_millis(3_000)
        );
        assert_eq!(acks_per_second(&acks, 1_000, 5_000), [2, 0, 0, 1]);
    }

    #[test]
    fn quorum_fields_are_read() {
        let status = "ClusterId:              abc\nLeaderId:               2\nLeaderEpoch:            5\n\
                      CurrentVoters:          [{\"id\": 1, \"directoryId\": null}, {\"id\": 2, \"directoryId\": null}, {\"id\": 3, \"directoryId\": null}]\n";
        assert_eq!(field(status, "LeaderId:"), Some(2));
        let voters = status
            .lines()
            .find(|l| l.starts_with("CurrentVoters:"))
            .unwrap();
        assert!(voter_listed(voters, "3"));
        assert!(voter_listed("CurrentVoters:          [1,2,3]", "2"));
        assert!(!voter_listed("CurrentVoters:          [1,2]", "3"));
    }
}
