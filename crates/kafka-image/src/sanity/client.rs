//! A Kafka client for the sanity cases: the distribution's own tool classes (`TopicCommand`,
//! `ConsoleProducer`, `ConsoleConsumer`) run inside a container with `docker
//! exec … java -cp '/opt/kafka/libs/*' <main class>`, the command line Kafka's `bin/` scripts
//! would build. Images assembled from Maven Central have no `bin/`, so the suite never relies on
//! it. Only a real Kafka distribution can serve these; the fixture's classes talk to no broker.

use anyhow::{Context as _, bail, ensure};

use super::sandbox::Sandbox;

/// The `java` command line that runs a Kafka main class from the image's distribution (SPEC §2).
pub(crate) const JAVA: &str =
    "java -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*'";

/// The main classes of Kafka's tools, which moved between packages across versions. Chosen by
/// which class the image's jars hold ([`Tools::probe_script`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tools {
    /// `kafka-console-producer.sh`: `org.apache.kafka.tools.ConsoleProducer` from 4.0,
    /// `kafka.tools.ConsoleProducer` before.
    pub(crate) producer: &'static str,
}

/// `kafka-topics.sh` (the same class in 3.9 and 4.x).
pub(crate) const TOPIC_COMMAND: &str = "org.apache.kafka.tools.TopicCommand";
/// `kafka-console-consumer.sh` (the same class in 3.9 and 4.x).
pub(crate) const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";
/// `kafka-metadata-quorum.sh` (the same class in 3.9 and 4.x).
pub(crate) const METADATA_QUORUM: &str = "org.apache.kafka.tools.MetadataQuorumCommand";
/// `kafka-get-offsets.sh` (the same class in 3.9 and 4.x).
pub(crate) const GET_OFFSET_SHELL: &str = "org.apache.kafka.tools.GetOffsetShell";
/// The producer that prints one JSON line per acknowledged record (3.9 and 4.x).
pub(crate) const VERIFIABLE_PRODUCER: &str = "org.apache.kafka.tools.VerifiableProducer";
/// `kafka-producer-perf-test.sh` (the same class in 3.9 and 4.x).
pub(crate) const PRODUCER_PERFORMANCE: &str = "org.apache.kafka.tools.ProducerPerformance";

/// The candidate classes, newest package first.
const PRODUCERS: [&str; 2] = [
    "org.apache.kafka.tools.ConsoleProducer",
    "kafka.tools.ConsoleProducer",
];

impl Tools {
    /// A bash snippet printing `class NAME` for every candidate class the image's jars hold (a
    /// jar's central directory stores entry names uncompressed, so `grep -a` finds them).
    pub(crate) fn probe_script() -> String {
        PRODUCERS
            .iter()
            .map(|class| {
                let entry = format!("{}.class", class.replace('.', "/"));
                format!(
                    "grep -q -a -F '{entry}' /opt/kafka/libs/kafka*.jar 2>/dev/null && echo 'class {class}'; "
                )
            })
            .collect()
    }

    /// The classes from the probe's `class NAME` lines: the newest package found, else the old
    /// one (which also matches the new entry name as a substring, so it is never asked for).
    pub(crate) fn from_probe(out: &str) -> Tools {
        let found = |class: &str| {
            out.lines()
                .any(|line| line.trim() == format!("class {class}"))
        };
        let pick = |candidates: [&'static str; 2]| {
            if found(candidates[0]) {
                candidates[0]
            } else {
                candidates[1]
            }
        };
        Tools {
            producer: pick(PRODUCERS),
        }
    }
}

/// Where the console consumer starts by default: the beginning, in a fresh consumer group.
const FROM_BEGINNING: &str = "--from-beginning";

/// How a client connects: bootstrap address plus an optional client properties file.
#[derive(Debug, Clone)]
pub(crate) struct Client<'a> {
    /// The container the tools run in.
    pub(crate) container: &'a str,
    /// `host:port` of a listener.
    pub(crate) bootstrap: &'a str,
    /// Client properties (security.protocol, sasl.*, ssl.*), written to a file in the container.
    pub(crate) properties: &'a str,
}

impl Client<'_> {
    fn config_flag(&self, sandbox: &Sandbox<'_>, flag: &str) -> anyhow::Result<String> {
        if self.properties.is_empty() {
            return Ok(String::new());
        }
        let path = "/tmp/kafka-image-test-client.properties";
        sandbox
            .bash(
                self.container,
                &format!("cat > {path} <<'EOF'\n{}\nEOF", self.properties),
            )
            .context("failed to write the client properties in the container")?;
        Ok(format!("{flag} {path}"))
    }

    /// Creates `topic` with `partitions` and `replication` and waits for it.
    pub(crate) fn create_topic(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        partitions: u32,
        replication: u32,
        extra: &str,
    ) -> anyhow::Result<()> {
        self.create(
            sandbox,
            topic,
            &format!("--partitions {partitions} --replication-factor {replication} {extra}"),
        )
    }

    /// Creates `topic` with one partition whose only replica is on node `node` (a check that
    /// reads one broker's metrics or restarts one broker needs the data there).
    pub(crate) fn create_topic_on(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        node: u32,
    ) -> anyhow::Result<()> {
        self.create(sandbox, topic, &format!("--replica-assignment {node}"))
    }

    fn create(&self, sandbox: &Sandbox<'_>, topic: &str, layout: &str) -> anyhow::Result<()> {
        let config = self.config_flag(sandbox, "--command-config")?;
        sandbox
            .bash(
                self.container,
                &format!(
                    "{JAVA} {TOPIC_COMMAND} --bootstrap-server {} {config} --create --topic {topic} \
                     {layout}",
                    self.bootstrap
                ),
            )
            .with_context(|| format!("failed to create topic `{topic}`"))?;
        Ok(())
    }

    /// Produces `messages` (one per line, `acks=all`).
    pub(crate) fn produce(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        messages: &[String],
    ) -> anyhow::Result<()> {
        let config = self.config_flag(sandbox, "--producer.config")?;
        sandbox
            .bash(
                self.container,
                &self.produce_command(topic, messages, &config, sandbox.tools()),
            )
            .with_context(|| {
                format!(
                    "failed to produce {} message(s) to `{topic}`",
                    messages.len()
                )
            })?;
        Ok(())
    }

    /// Consumes `count` messages from the beginning of `topic` (30 s timeout).
    pub(crate) fn consume(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        count: usize,
    ) -> anyhow::Result<Vec<String>> {
        let config = self.config_flag(sandbox, "--consumer.config")?;
        let out = sandbox
            .bash(
                self.container,
                &self.consume_command(topic, count, &config, 30_000, FROM_BEGINNING),
            )
            .with_context(|| format!("failed to consume from `{topic}`"))?;
        Ok(records(&out))
    }

    /// The console producer reading `messages` (one per line) with `acks=all`.
    fn produce_command(
        &self,
        topic: &str,
        messages: &[String],
        config: &str,
        tools: Tools,
    ) -> String {
        let lines = messages.join("\n");
        format!(
            "printf '%s\\n' '{lines}' | {JAVA} {producer} --bootstrap-server {} \
             {config} --topic {topic} --producer-property acks=all",
            self.bootstrap,
            producer = tools.producer
        )
    }

    /// The console consumer reading `count` records, giving up after
    /// `timeout_ms` without one; `start` says where (`FROM_BEGINNING` in a group, or a
    /// partition and offset).
    fn consume_command(
        &self,
        topic: &str,
        count: usize,
        config: &str,
        timeout_ms: u32,
        start: &str,
    ) -> String {
        format!(
            "{JAVA} {CONSOLE_CONSUMER} --bootstrap-server {} {config} --topic {topic} \
             {start} --max-messages {count} --timeout-ms {timeout_ms}",
            self.bootstrap
        )
    }

    /// [`Client::round_trip`] with a consumer that reads partition 0 by assignment, without a
    /// consumer group: for a listener only some brokers have, where the group's coordinator may
    /// sit on a broker without it.
    pub(crate) fn round_trip_without_group(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        messages: &[String],
    ) -> anyhow::Result<()> {
        self.round_trip_with(sandbox, topic, messages, "--partition 0 --offset earliest")
    }

    /// Produces `messages` and checks that consuming from the beginning returns them in order.
    /// The consumer starts alongside the producer (one `docker exec`, the two JVMs start at
    /// once) and waits for exactly that many records.
    pub(crate) fn round_trip(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        messages: &[String],
    ) -> anyhow::Result<()> {
        self.round_trip_with(sandbox, topic, messages, FROM_BEGINNING)
    }

    fn round_trip_with(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        messages: &[String],
        start: &str,
    ) -> anyhow::Result<()> {
        let producer_config = self.config_flag(sandbox, "--producer.config")?;
        let consumer_config = self.config_flag(sandbox, "--consumer.config")?;
        let consumed = "/tmp/kafka-image-test-consumed.txt";
        // The consumer waits for the producer's JVM too, so it gets more time. The producer's
        // stdout (4.2+ prints deprecation notices there) goes to stderr: stdout is the records.
        let consume = self.consume_command(topic, messages.len(), &consumer_config, 120_000, start);
        let produce = self.produce_command(topic, messages, &producer_config, sandbox.tools());
        let out = sandbox
            .bash(
                self.container,
                &format!(
                    "{consume} > {consumed} & consumer=$!; \
                     if ! {produce} >&2; then kill $consumer; exit 1; fi; \
                     wait $consumer && cat {consumed}"
                ),
            )
            .with_context(|| {
                format!(
                    "failed to produce {} message(s) to `{topic}` and consume them back",
                    messages.len()
                )
            })?;
        expect_messages(&records(&out), messages)
    }

    /// Sends `records` records of `size` bytes each to `topic` as fast as the broker takes them,
    /// with `acks=all` (Kafka's `ProducerPerformance`), and returns its summary line, which
    /// must report all of them sent.
    pub(crate) fn produce_burst(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        records: u64,
        size: u32,
    ) -> anyhow::Result<String> {
        let config = self.config_flag(sandbox, "--producer.config")?;
        let out = sandbox
            .bash(
                self.container,
                &format!(
                    "{JAVA} {PRODUCER_PERFORMANCE} {config} --topic {topic} \
                     --num-records {records} --record-size {size} --throughput -1 \
                     --producer-props bootstrap.servers={} acks=all",
                    self.bootstrap
                ),
            )
            .with_context(|| format!("failed to produce {records} records to `{topic}`"))?;
        let summary = burst_summary(&out)
            .with_context(|| format!("no summary line in ProducerPerformance's output:\n{out}"))?;
        ensure!(
            summary.starts_with(&format!("{records} records sent,")),
            "ProducerPerformance did not report all {records} records sent: {summary}"
        );
        Ok(summary.to_owned())
    }

    /// The log end offset of partition 0 of `topic` (`GetOffsetShell`, `topic:0:OFFSET`): how
    /// many records it holds, without waiting for a consumer to time out.
    pub(crate) fn end_offset(&self, sandbox: &Sandbox<'_>, topic: &str) -> anyhow::Result<u64> {
        let config = self.config_flag(sandbox, "--command-config")?;
        let out = sandbox
            .bash(
                self.container,
                &format!(
                    "{JAVA} {GET_OFFSET_SHELL} --bootstrap-server {} {config} --topic {topic} \
                     --partitions 0 --time -1",
                    self.bootstrap
                ),
            )
            .with_context(|| format!("failed to read the end offset of `{topic}`"))?;
        parse_end_offset(&out, topic).with_context(|| {
            format!("no `{topic}:0:OFFSET` line in GetOffsetShell's output:\n{out}")
        })
    }

    /// `TopicCommand --describe` of `topic`.
    pub(crate) fn describe(&self, sandbox: &Sandbox<'_>, topic: &str) -> anyhow::Result<String> {
        sandbox
            .bash(
                self.container,
                &format!(
                    "{JAVA} {TOPIC_COMMAND} --bootstrap-server {} --describe --topic {topic}",
                    self.bootstrap
                ),
            )
            .with_context(|| format!("failed to describe topic `{topic}`"))
    }

    /// The in-sync replicas of partition 0 of `topic`, from `TopicCommand --describe`.
    pub(crate) fn in_sync_replicas(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
    ) -> anyhow::Result<Vec<u32>> {
        Ok(parse_isr(&self.describe(sandbox, topic)?))
    }
}

/// The records in the console consumer's stdout. Kafka 4.2+ also prints the deprecation notice of
/// an option there (`Option --consumer.config is deprecated …`), which the older versions the
/// suite supports need; those lines are not records.
fn records(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| !(line.starts_with("Option --") && line.contains(" is deprecated")))
        .map(str::to_owned)
        .collect()
}

/// Fails unless `got` equals `expected`, showing both.
pub(crate) fn expect_messages(got: &[String], expected: &[String]) -> anyhow::Result<()> {
    if got != expected {
        bail!("consumed {got:?}, expected {expected:?}");
    }
    Ok(())
}

/// `count` distinct messages tagged with `tag`.
pub(crate) fn messages(tag: &str, count: usize) -> Vec<String> {
    (1..=count).map(|i| format!("{tag}-{i}")).collect()
}

/// The last `N records sent, …` line of `ProducerPerformance`'s output: the summary of the whole
/// run (the lines before it cover five-second windows).
fn burst_summary(out: &str) -> Option<&str> {
    out.lines()
        .rev()
        .map(str::trim)
        .find(|line| line.contains(" records sent, "))
}

/// The offset of `topic:0:OFFSET` in `GetOffsetShell`'s output.
fn parse_end_offset(out: &str, topic: &str) -> Option<u64> {
    let prefix = format!("{topic}:0:");
    out.lines()
        .find_map(|line| line.trim().strip_prefix(&prefix)?.parse().ok())
}

/// The `Isr:` list of the first partition line of `kafka-topics.sh --describe` output.
fn parse_isr(describe: &str) -> Vec<u32> {
    describe
        .lines()
        .find_map(|line| {
            let (_, rest) = line.split_once("Isr: ")?;
            let list = rest.split_whitespace().next()?;
            Some(list.split(',').filter_map(|n| n.parse().ok()).collect())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isr_is_read_from_topic_description() {
        // Shape of Kafka 3.x/4.x `kafka-topics.sh --describe` output.
        let out = "Topic: t\tTopicId: abc\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: min.insync.replicas=2\n\
                   \tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,3,2\tElr: \tLastKnownElr: \n";
        assert_eq!(parse_isr(out), [1, 3, 2]);
        assert!(parse_isr("no partitions").is_empty());
    }

    #[test]
    fn end_offset_is_read_from_get_offset_shell() {
        assert_eq!(
            parse_end_offset("sanity-plain:0:3\n", "sanity-plain"),
            Some(3)
        );
        assert_eq!(parse_end_offset("other:0:3\n", "sanity-plain"), None);
        assert_eq!(parse_end_offset("", "t"), None);
    }

    #[test]
    fn the_burst_summary_is_the_last_records_sent_line() {
        // Shape of Kafka 3.9/4.x ProducerPerformance output: five-second windows, then the total.
        let out = "48873 records sent, 9774.6 records/sec (9.55 MB/sec), 1500.2 ms avg latency, 2900.0 ms max latency.\n\
                   100000 records sent, 11286.681716 records/sec (11.02 MB/sec), 1748.93 ms avg latency, 3010.00 ms max latency, 1700 ms 50th, 2800 ms 95th, 2950 ms 99th, 3000 ms 99.9th.\n";
        assert!(
            burst_summary(out)
                .unwrap()
                .starts_with("100000 records sent, 11286.68")
        );
        assert_eq!(burst_summary("Exception in thread main"), None);
    }

    #[test]
    fn tools_prefer_the_newest_package() {
        let four_four =
            "class org.apache.kafka.tools.ConsoleProducer\nclass kafka.tools.ConsoleProducer\n";
        assert_eq!(
            Tools::from_probe(four_four),
            Tools {
                producer: "org.apache.kafka.tools.ConsoleProducer",
            }
        );
        let three_nine = "class kafka.tools.ConsoleProducer\n";
        assert_eq!(
            Tools::from_probe(three_nine),
            Tools {
                producer: "kafka.tools.ConsoleProducer",
            }
        );
        assert!(Tools::probe_script().contains("'org/apache/kafka/tools/ConsoleProducer.class'"));
    }

    #[test]
    fn deprecation_notices_are_not_records() {
        let out = "Option --consumer.config is deprecated and will be removed in a future version. \
                   Use --command-config instead.\nssl-1\nssl-2\n";
        assert_eq!(records(out), ["ssl-1", "ssl-2"]);
    }

    #[test]
    fn messages_are_distinct_and_tagged() {
        assert_eq!(messages("a", 2), ["a-1", "a-2"]);
    }

    #[test]
    fn mismatch_shows_both_lists() {
        let err = expect_messages(&messages("a", 1), &messages("a", 2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"consumed ["a-1"], expected ["a-1", "a-2"]"#
        );
    }
}
