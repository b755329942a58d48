//! Pure configuration core of kafka-image: environment, mounted files and secrets in, final Kafka
//! config files (or every problem at once) out. No process, file-system, network or clock access.
#![deny(missing_docs)]
pub mod catalog;
