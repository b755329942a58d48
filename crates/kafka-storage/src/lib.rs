//! Pure KRaft storage formatting: `meta.properties` and `bootstrap.checkpoint` bytes, byte-compatible
//! with what Kafka's `kafka-storage.sh format` writes.
#![deny(missing_docs)]
