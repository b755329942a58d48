//! Pure Kafka wire protocol: the few messages the health check needs (`ApiVersions`). Bytes in,
//! bytes out.
#![deny(missing_docs)]
