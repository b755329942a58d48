//! Catalog of Kafka's known broker and controller config names (skeleton; owned by its implementer).
