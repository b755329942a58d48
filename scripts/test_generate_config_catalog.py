"""Tests of scripts/generate-config-catalog against small synthetic source trees (fixtures written
by the tests, not Kafka's files): constant expressions, synonyms, define() arguments, Scala Props,
the union of several trees and the warnings for what cannot be evaluated.

Run: python3 -m unittest discover -s scripts -p 'test_*.py'
"""

import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generate-config-catalog")

SYNONYMS = """// fixture
public final class ServerTopicConfigSynonyms {
    public static final String LOG_PREFIX = "log.";
    public static final Map<String, List<ConfigSynonym>> ALL_TOPIC_CONFIG_SYNONYMS = Collections.unmodifiableMap(Utils.mkMap(
        sameNameWithLogPrefix(TopicConfig.SEGMENT_BYTES_CONFIG),
        listWithLogPrefix(TopicConfig.RETENTION_MS_CONFIG,
            new ConfigSynonym("retention.ms"),
            new ConfigSynonym("retention.hours", ConfigSynonym.HOURS_TO_MILLISECONDS)),
        sameName(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)
    ));
}
"""
TOPIC = """public class TopicConfig {
    public static final String SEGMENT_BYTES_CONFIG = "segment.bytes";
    public static final String RETENTION_MS_CONFIG = "retention.ms";
    public static final String MIN_IN_SYNC_REPLICAS_CONFIG = "min.insync.replicas";
}
"""
SERVER_LOG = """public class ServerLogConfigs {
    public static final String LOG_DIRS_CONFIG = LOG_PREFIX + "dirs";
    public static final String LOG_SEGMENT_BYTES_CONFIG = ServerTopicConfigSynonyms.serverSynonym(TopicConfig.SEGMENT_BYTES_CONFIG);
    public static final String LOG_SEGMENT_BYTES_DOC = "The maximum size; not a name";
    public static final String BROKEN_CONFIG = Unknown.THING;
}
"""
QUORUM = """public class QuorumConfig {
    private static final String QUORUM_PREFIX = "controller.quorum.";
    public static final String QUORUM_VOTERS_CONFIG = QUORUM_PREFIX +
        "voters";
    public static final String SAMPLE_PERIOD = "controller.sample.period.ms";
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
        .defineInternal(SAMPLE_PERIOD, LONG, 1, MEDIUM, "doc")
        .define("security.protocol", STRING, "PLAINTEXT", MEDIUM, "doc; with a semicolon")
        .define(QUORUM_PREFIX + "secret", PASSWORD, null, MEDIUM, "doc")
        .define("controller.quorum.token", ConfigDef.Type.PASSWORD, null, MEDIUM, "doc")
        .define("controller.quorum.password.length", INT, 8, MEDIUM, "doc mentions PASSWORD");
}
"""
QUOTA = """public class QuotaConfig {
    public static final String PRODUCER_BYTE_RATE_OVERRIDE_CONFIG = "producer_byte_rate";
    public static final String QUOTA_WINDOW_NUM_CONFIG = "quota.window.num";
}
"""
SCALA = """object KafkaConfig {
  private val LogConfigPrefix = "log."
  val ZkConnectProp = "zookeeper.connect"
  val LogMessageDownConversionEnableProp = LogConfigPrefix + "message.downconversion.enable"
  val ZkConnectDoc = "not a name"
}
"""


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class GenerateConfigCatalogTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.new = os.path.join(self.tmp.name, "new")
        self.old = os.path.join(self.tmp.name, "old")
        write(self.new, "server-common/src/main/java/org/apache/kafka/server/config/ServerTopicConfigSynonyms.java", SYNONYMS)
        write(self.new, "clients/src/main/java/org/apache/kafka/common/config/TopicConfig.java", TOPIC)
        write(self.new, "raft/src/main/java/org/apache/kafka/raft/QuorumConfig.java", QUORUM)
        write(self.new, "server-common/src/main/java/org/apache/kafka/server/config/QuotaConfig.java", QUOTA)
        write(self.old, "server-common/src/main/java/org/apache/kafka/server/config/ServerLogConfigs.java", SERVER_LOG)
        write(self.old, "core/src/main/scala/kafka/server/KafkaConfig.scala", SCALA)

    def tearDown(self):
        self.tmp.cleanup()

    def run_script(self, *trees):
        args = [sys.executable, SCRIPT, "--version", "test"]
        for tree in trees:
            args += ["--kafka-src", tree]
        return subprocess.run(args, capture_output=True, text=True, check=False)

    def names(self, stdout):
        return [line for line in stdout.splitlines() if line and not line.startswith("#")]

    def test_union_of_trees_is_sorted_and_evaluates_every_expression_form(self):
        result = self.run_script(self.new, self.old)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.names(result.stdout), [
            "controller.quorum.password.length",
            "controller.quorum.secret",
            "controller.quorum.token",
            "controller.quorum.voters",
            "controller.sample.period.ms",
            "log.dirs",
            "log.message.downconversion.enable",
            "log.retention.hours",
            "log.retention.ms",
            "log.segment.bytes",
            "min.insync.replicas",
            "quota.window.num",
            "security.protocol",
            "zookeeper.connect",
        ])

    def test_constants_that_cannot_be_evaluated_are_reported_and_left_out(self):
        result = self.run_script(self.new, self.old)
        self.assertIn("ServerLogConfigs.BROKEN_CONFIG: unknown constant `Unknown.THING`", result.stderr)

    def test_header_names_version_and_every_file_read(self):
        result = self.run_script(self.new)
        header = [line for line in result.stdout.splitlines() if line.startswith("#")]
        self.assertIn("# Kafka version(s): test", header)
        self.assertIn("#     raft/src/main/java/org/apache/kafka/raft/QuorumConfig.java (emit)", header)
        self.assertIn("#       fixture", header)

    def test_output_file_is_written_whole(self):
        out = os.path.join(self.tmp.name, "catalog.txt")
        args = [sys.executable, SCRIPT, "--version", "t", "--kafka-src", self.new, "--output", out]
        subprocess.run(args, capture_output=True, text=True, check=True)
        with open(out, encoding="utf-8") as f:
            self.assertIn("controller.quorum.voters\n", f.read())
        self.assertFalse(os.path.exists(out + ".tmp"))

    def test_password_output_lists_the_names_defined_as_password(self):
        out = os.path.join(self.tmp.name, "passwords.txt")
        args = [sys.executable, SCRIPT, "--version", "t", "--kafka-src", self.new,
                "--password-output", out]
        subprocess.run(args, capture_output=True, text=True, check=True)
        with open(out, encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(self.names(text), ["controller.quorum.secret", "controller.quorum.token"])
        self.assertIn("# Kafka broker and controller configs declared as ConfigDef.Type.PASSWORD", text)

    def test_a_tree_without_config_sources_is_an_error(self):
        empty = os.path.join(self.tmp.name, "empty")
        os.makedirs(empty)
        result = self.run_script(empty)
        self.assertEqual(result.returncode, 2)
        self.assertIn("holds none of the known config source files", result.stderr)


if __name__ == "__main__":
    unittest.main()
