//! A Kafka client for the sanity cases: the distribution's own CLI tools (`kafka-topics.sh`,
//! `kafka-console-producer.sh`, `kafka-console-consumer.sh`, `kafka-configs.sh`) run inside a
//! container with `docker exec`, exactly as users run them. Only a real Kafka distribution can
//! serve these; the fixture's tools talk to no broker.

use anyhow::{Context as _, bail};

use super::sandbox::Sandbox;

/// Where the tools live in the image (SPEC §2).
const BIN: &str = "/opt/kafka/bin";

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
        let config = self.config_flag(sandbox, "--command-config")?;
        sandbox
            .bash(
                self.container,
                &format!(
                    "{BIN}/kafka-topics.sh --bootstrap-server {} {config} --create --topic {topic} \
                     --partitions {partitions} --replication-factor {replication} {extra}",
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
        let lines = messages.join("\n");
        sandbox
            .bash(
                self.container,
                &format!(
                    "printf '%s\\n' '{lines}' | {BIN}/kafka-console-producer.sh --bootstrap-server {} \
                     {config} --topic {topic} --producer-property acks=all",
                    self.bootstrap
                ),
            )
            .with_context(|| format!("failed to produce {} message(s) to `{topic}`", messages.len()))?;
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
                &format!(
                    "{BIN}/kafka-console-consumer.sh --bootstrap-server {} {config} --topic {topic} \
                     --from-beginning --max-messages {count} --timeout-ms 30000",
                    self.bootstrap
                ),
            )
            .with_context(|| format!("failed to consume from `{topic}`"))?;
        Ok(out.lines().map(str::to_owned).collect())
    }

    /// Produces `messages` and checks that consuming from the beginning returns them in order.
    pub(crate) fn round_trip(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
        messages: &[String],
    ) -> anyhow::Result<()> {
        self.produce(sandbox, topic, messages)?;
        expect_messages(&self.consume(sandbox, topic, messages.len())?, messages)
    }

    /// The in-sync replicas of partition 0 of `topic`, from `kafka-topics.sh --describe`.
    pub(crate) fn in_sync_replicas(
        &self,
        sandbox: &Sandbox<'_>,
        topic: &str,
    ) -> anyhow::Result<Vec<u32>> {
        let out = sandbox.bash(
            self.container,
            &format!(
                "{BIN}/kafka-topics.sh --bootstrap-server {} --describe --topic {topic}",
                self.bootstrap
            ),
        )?;
        Ok(parse_isr(&out))
    }
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
