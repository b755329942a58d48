//! Pure configuration core of kafka-image: environment, mounted files and secrets in, Kafka's
//! final config files (or every problem at once) out.
//!
//! The contract, in the order [`plan_setup`] applies it (SPEC §3):
//!
//! 1. **Environment to properties** ([`naming`]): every `KAFKA_*` variable that is not a launcher,
//!    log4j, SSL helper, `KAFKA_ENTRYPOINT_*` or `*_FILE` variable becomes a property: drop
//!    `KAFKA_`, lower-case, `_` → `.`, `___` → `-`, `__` → `_` (`KAFKA_NODE_ID` → `node.id`).
//!    `KAFKA_CFG_*` (bitnami) maps the same way; two variables giving one key two values is an
//!    error. `NAME_FILE=/path` gives `NAME` the file's content without its final newline.
//!    Variables a Kubernetes Service or Docker link injected (`KAFKA_PORT=tcp://…`,
//!    `KAFKA_SERVICE_HOST`, …; [`service_links`]) are left out, with one warning naming them.
//! 2. **Precedence** ([`merge`]): the mounted `server.properties`, then every environment property
//!    replaces its key; the image's defaults only when neither gives anything. Each key appears
//!    once; the mounted file's comments stay.
//! 3. **Secrets** ([`secrets`]): when a listener uses SSL, the official image's helper variables
//!    name keystores and password files in the secrets directory.
//! 4. **Validation** ([`validate`]): unknown keys close to a known name warn with it, the others
//!    share one warning (errors with `KAFKA_ENTRYPOINT_STRICT=true`); KRaft sanity rules, read
//!    from the typed node model ([`node`]), are errors, every missing KRaft key listed at once.
//! 5. **Log4j** ([`log4j`]): the format the distribution ships, levels from the environment.
//! 6. Other mounted files are copied unchanged.
//!
//! The crate does no I/O: no environment access, no file system, no processes, no clock. The
//! binary asks [`value_files_to_read`] and [`secret_files_to_read`] which files it must read,
//! reads them into a [`SetupInput`], and writes the [`SetupPlan`]'s files. Values are written with
//! [`properties`] so that Java's `Properties.load` reads back exactly what the user gave.
//! [`redact`] masks every value Kafka declares as a password ([`catalog::declares_password`]) and
//! every value read from a file, whatever prints configuration.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
pub mod byte_order;
mod byte_scan;
pub mod catalog;
pub mod env;
pub mod env_vars;
pub mod error;
pub mod log4j;
mod log4j2_yaml;
pub mod merge;
mod name_index;
pub mod naming;
pub mod node;
pub mod plan;
pub mod properties;
pub mod redact;
pub mod secrets;
pub mod service_links;
pub mod validate;

pub use env::EnvSnapshot;
pub use error::{Problem, Problems, Source, Sources, Warning};
pub use log4j::Log4jFormat;
pub use merge::value_files_to_read;
pub use plan::{FileRead, RenderedFile, SetupInput, SetupPaths, SetupPlan, plan_setup};
pub use properties::Properties;
pub use secrets::{SecretFileRequest, secret_files_to_read};
