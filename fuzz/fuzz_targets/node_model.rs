//! Fuzzes the typed node model: any `server.properties` text that parses gives a model (and
//! the values Kafka would refuse) without panicking.
#![no_main]

use kafka_config::node::NodeConfig;
use kafka_config::properties::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(properties) = parse(text) else {
        return;
    };
    let (node, _) = NodeConfig::read(&properties);
    assert!(!node.storage_dirs().is_empty());
});
