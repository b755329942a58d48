//! The containers, networks, volumes and host directories of one sanity case, removed when the
//! case ends (`Drop`), whatever happened.
//!
//! Every Docker call goes through [`ContainerEngine`]; waiting is always "poll a condition until a
//! deadline", never a bare sleep.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::client::Tools;
use crate::engine::{ContainerEngine, EngineError, strings};
use crate::report::{ContainerLog, FaultRecord};

/// How often conditions are polled.
const POLL: Duration = Duration::from_millis(500);

/// The heap every broker of the suite gets unless its case sets one: six brokers of a cluster
/// case then fit in about 3 GB.
const HEAP_OPTS: &str = "-Xmx256m -Xms256m";

/// How many trailing lines of a container's log a failed case keeps.
const LOG_TAIL_LINES: usize = 200;

/// What to start: the `docker run` options of one container.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContainerSpec {
    /// Short name inside the case (`kafka-1`); also the host name on the case's network.
    pub(crate) name: String,
    /// Environment variables.
    pub(crate) env: Vec<(String, String)>,
    /// `SOURCE:TARGET[:ro]` mounts (host paths or volume names).
    pub(crate) mounts: Vec<String>,
    /// Join the case's private network, reachable as `name`.
    pub(crate) on_network: bool,
    /// The container's host name (`--hostname`), when not the network name.
    pub(crate) hostname: Option<String>,
    /// Replaces the image's entrypoint (`--entrypoint`), for client containers.
    pub(crate) entrypoint: Option<String>,
    /// Arguments after the image.
    pub(crate) command: Vec<String>,
    /// `--user UID:GID` instead of the image's user.
    pub(crate) user: Option<String>,
    /// `--read-only --tmpfs /tmp`: a read-only root file system, as under Kubernetes'
    /// `readOnlyRootFilesystem` with an `emptyDir` on `/tmp`.
    pub(crate) read_only_root: bool,
    /// `--memory LIMIT --memory-swap LIMIT`: a memory limit with no swap beyond it (swap would
    /// hide an out-of-memory kill).
    pub(crate) memory: Option<String>,
    /// Leaves `KAFKA_HEAP_OPTS` unset (unless `env` sets it), so the entrypoint chooses the heap,
    /// instead of the suite's [`HEAP_OPTS`].
    pub(crate) entrypoint_heap: bool,
}

impl ContainerSpec {
    /// A container named `name` with no options.
    pub(crate) fn named(name: &str) -> Self {
        ContainerSpec {
            name: name.to_owned(),
            ..ContainerSpec::default()
        }
    }

    /// Adds environment variables.
    pub(crate) fn env(mut self, vars: &[(&str, &str)]) -> Self {
        self.env
            .extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// Adds a mount (`SOURCE:TARGET[:ro]`).
    pub(crate) fn mount(mut self, mount: String) -> Self {
        self.mounts.push(mount);
        self
    }

    /// Sets the container's host name.
    pub(crate) fn hostname(mut self, hostname: &str) -> Self {
        self.hostname = Some(hostname.to_owned());
        self
    }

    /// Runs `program` with `args` instead of the image's entrypoint (a Kafka client).
    pub(crate) fn run(mut self, program: &str, args: &[&str]) -> Self {
        self.entrypoint = Some(program.to_owned());
        self.command = strings(args);
        self
    }

    /// Runs the container as `user` (`UID:GID`).
    pub(crate) fn user(mut self, user: &str) -> Self {
        self.user = Some(user.to_owned());
        self
    }

    /// Makes the root file system read-only, with a tmpfs on `/tmp` (and the mounts given).
    pub(crate) fn read_only_root(mut self) -> Self {
        self.read_only_root = true;
        self
    }

    /// Limits the container's memory to `limit` (`512m`, `4g`), swap included.
    pub(crate) fn memory(mut self, limit: &str) -> Self {
        self.memory = Some(limit.to_owned());
        self
    }

    /// Lets the entrypoint choose the heap, as a user who sets no `KAFKA_HEAP_OPTS`.
    pub(crate) fn entrypoint_heap(mut self) -> Self {
        self.entrypoint_heap = true;
        self
    }

    /// Puts the container on the case's private network.
    pub(crate) fn networked(mut self) -> Self {
        self.on_network = true;
        self
    }
}

/// How a container is doing, from `docker inspect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerState {
    /// Whether its main process is running.
    pub(crate) running: bool,
    /// Its exit code (meaningful when not running).
    pub(crate) exit_code: i32,
    /// `starting`, `healthy`, `unhealthy`, or `none` without a health check.
    pub(crate) health: String,
    /// Whether the kernel killed a process of it for exceeding its memory limit.
    pub(crate) oom_killed: bool,
    /// How many times Docker restarted it (a restart policy).
    pub(crate) restarts: u32,
}

/// The resources of one case. Names are prefixed with the run's prefix so parallel runs and
/// leftovers never collide.
pub(crate) struct Sandbox<'e> {
    engine: &'e dyn ContainerEngine,
    image: String,
    tools: Tools,
    prefix: String,
    containers: Vec<String>,
    network: Option<String>,
    volumes: Vec<String>,
    dirs: Vec<tempfile::TempDir>,
    faults: Vec<FaultRecord>,
}

impl<'e> Sandbox<'e> {
    /// An empty sandbox for the case `case` against `image`, whose Kafka tools are `tools`.
    pub(crate) fn new(
        engine: &'e dyn ContainerEngine,
        image: &str,
        tools: Tools,
        case: &str,
    ) -> Self {
        Sandbox {
            engine,
            image: image.to_owned(),
            tools,
            prefix: format!(
                "kafka-image-test-{}-{}",
                std::process::id(),
                case.replace('_', "-")
            ),
            containers: Vec::new(),
            network: None,
            volumes: Vec::new(),
            dirs: Vec::new(),
            faults: Vec::new(),
        }
    }

    /// Keeps the result of an injected fault for the reports.
    pub(crate) fn record_fault(&mut self, fault: FaultRecord) {
        self.faults.push(fault);
    }

    /// The faults recorded so far, leaving none.
    pub(crate) fn take_faults(&mut self) -> Vec<FaultRecord> {
        std::mem::take(&mut self.faults)
    }

    /// The main classes of the image's Kafka tools.
    pub(crate) fn tools(&self) -> Tools {
        self.tools
    }

    /// The engine the sandbox drives (for the fault cases' own `docker` calls).
    pub(crate) fn engine(&self) -> &'e dyn ContainerEngine {
        self.engine
    }

    /// The case's network, created on first use.
    pub(crate) fn network_name(&mut self) -> anyhow::Result<String> {
        self.network()
    }

    /// The full Docker name of the case's container `name`.
    pub(crate) fn container_name(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// A named volume owned by the case (created by Docker on first mount, removed on drop).
    pub(crate) fn volume(&mut self, name: &str) -> String {
        let full = format!("{}-{name}", self.prefix);
        if !self.volumes.contains(&full) {
            self.volumes.push(full.clone());
        }
        full
    }

    /// A host directory readable by the container's user (uid 1000), removed on drop.
    pub(crate) fn host_dir(&mut self) -> anyhow::Result<PathBuf> {
        let dir = tempfile::Builder::new()
            .prefix("kafka-image-test-")
            .tempdir()
            .context("failed to create a temporary directory")?;
        let path = dir.path().to_owned();
        set_mode(&path, 0o755)?;
        self.dirs.push(dir);
        Ok(path)
    }

    /// Starts `spec` detached (`docker run -d`) with `args` after the image (e.g. `run`).
    pub(crate) fn start(&mut self, spec: &ContainerSpec) -> anyhow::Result<String> {
        let full = self.container_name(&spec.name);
        let mut args = strings(&["run", "-d", "--name", &full]);
        if spec.on_network {
            let network = self.network()?;
            args.extend(strings(&[
                "--network",
                &network,
                "--hostname",
                &spec.name,
                "--network-alias",
                &spec.name,
            ]));
        }
        if let Some(hostname) = &spec.hostname {
            args.extend(strings(&["--hostname", hostname]));
        }
        if let Some(user) = &spec.user {
            args.extend(strings(&["--user", user]));
        }
        if spec.read_only_root {
            args.extend(strings(&["--read-only", "--tmpfs", "/tmp"]));
        }
        if let Some(limit) = &spec.memory {
            args.extend(strings(&["--memory", limit, "--memory-swap", limit]));
        }
        if !spec.entrypoint_heap && !spec.env.iter().any(|(key, _)| key == "KAFKA_HEAP_OPTS") {
            args.extend(strings(&["-e", &format!("KAFKA_HEAP_OPTS={HEAP_OPTS}")]));
        }
        for (key, value) in &spec.env {
            args.push("-e".to_owned());
            args.push(format!("{key}={value}"));
        }
        for mount in &spec.mounts {
            args.push("-v".to_owned());
            args.push(mount.clone());
        }
        if let Some(entrypoint) = &spec.entrypoint {
            // A client container: the image's health check is about the broker it does not run.
            args.extend(strings(&["--entrypoint", entrypoint, "--no-healthcheck"]));
        }
        args.push(self.image.clone());
        args.extend(spec.command.iter().cloned());
        self.containers.push(full.clone());
        self.engine
            .output(&args)
            .with_context(|| format!("failed to start container `{full}`"))?;
        Ok(full)
    }

    fn network(&mut self) -> anyhow::Result<String> {
        if let Some(network) = &self.network {
            return Ok(network.clone());
        }
        let name = format!("{}-net", self.prefix);
        self.engine
            .output(&strings(&["network", "create", &name]))
            .with_context(|| format!("failed to create network `{name}`"))?;
        self.network = Some(name.clone());
        Ok(name)
    }

    /// `docker inspect` state of a container.
    pub(crate) fn state(&self, container: &str) -> anyhow::Result<ContainerState> {
        let out = self.engine.output(&strings(&[
            "inspect",
            "--format",
            "{{.State.Running}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.OOMKilled}} {{.RestartCount}}",
            container,
        ]))?;
        parse_state(&out).with_context(|| format!("unexpected `docker inspect` output `{out}`"))
    }

    /// Runs `argv` in the running container and returns its stdout.
    pub(crate) fn exec(&self, container: &str, argv: &[&str]) -> Result<String, EngineError> {
        let mut args = strings(&["exec", container]);
        args.extend(strings(argv));
        self.engine.output(&args)
    }

    /// Runs a bash script in the container (Kafka's `bin/` tools need bash anyway).
    pub(crate) fn bash(&self, container: &str, script: &str) -> Result<String, EngineError> {
        self.exec(container, &["bash", "-c", script])
    }

    /// Stops a container (`docker stop -t timeout`) and returns how long it took.
    pub(crate) fn stop(&self, container: &str, timeout: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        self.engine
            .output(&strings(&[
                "stop",
                "-t",
                &timeout.as_secs().to_string(),
                container,
            ]))
            .with_context(|| format!("failed to stop `{container}`"))?;
        Ok(started.elapsed())
    }

    /// Starts a stopped container again (`docker start`).
    pub(crate) fn restart(&self, container: &str) -> anyhow::Result<()> {
        self.engine
            .output(&strings(&["start", container]))
            .with_context(|| format!("failed to start `{container}` again"))?;
        Ok(())
    }

    /// The tail of a container's log (stdout and stderr).
    pub(crate) fn logs(&self, container: &str) -> String {
        let mut lines = Vec::new();
        let args = strings(&["logs", "--tail", &LOG_TAIL_LINES.to_string(), container]);
        // Best effort: a container that vanished has no logs to show.
        let _ = self
            .engine
            .stream(&args, &[], &mut |line| lines.push(line.to_owned()));
        lines.join("\n")
    }

    /// A container's whole log: also what the entrypoint said before Kafka's own start-up
    /// lines, which the tail of [`Sandbox::logs`] loses.
    pub(crate) fn full_log(&self, container: &str) -> String {
        let mut lines = Vec::new();
        // Best effort, as `logs`.
        let _ = self
            .engine
            .stream(&strings(&["logs", container]), &[], &mut |line| {
                lines.push(line.to_owned());
            });
        lines.join("\n")
    }

    /// The logs of every container of the case, for the report of a failed case.
    pub(crate) fn all_logs(&self) -> Vec<ContainerLog> {
        self.containers
            .iter()
            .map(|c| ContainerLog {
                container: c.clone(),
                text: self.logs(c),
            })
            .collect()
    }

    /// Polls `check` until it returns `Some`, or fails after `deadline` saying what was awaited.
    pub(crate) fn wait_for<T>(
        &self,
        what: &str,
        deadline: Duration,
        mut check: impl FnMut() -> anyhow::Result<Option<T>>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        loop {
            if let Some(value) = check()? {
                return Ok(value);
            }
            if started.elapsed() > deadline {
                bail!("timed out after {}s waiting for {what}", deadline.as_secs());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until `container` answers `kafka-entrypoint health` (the image's health check),
    /// failing early if it exits.
    pub(crate) fn wait_serving(&self, container: &str, deadline: Duration) -> anyhow::Result<()> {
        self.wait_for(
            &format!("`{container}` to answer ApiVersions"),
            deadline,
            || {
                let state = self.state(container)?;
                if !state.running {
                    bail!(
                        "`{container}` exited with code {} before serving",
                        state.exit_code
                    );
                }
                Ok(self
                    .exec(container, &["kafka-entrypoint", "health"])
                    .ok()
                    .map(drop))
            },
        )
    }

    /// Waits until `container` has stopped and returns its exit code.
    pub(crate) fn wait_exit(&self, container: &str, deadline: Duration) -> anyhow::Result<i32> {
        self.wait_for(&format!("`{container}` to exit"), deadline, || {
            let state = self.state(container)?;
            Ok((!state.running).then_some(state.exit_code))
        })
    }

    /// Reads a file from a running container.
    pub(crate) fn read_file(&self, container: &str, path: &str) -> anyhow::Result<String> {
        self.exec(container, &["cat", path])
            .with_context(|| format!("failed to read `{path}` in `{container}`"))
    }
}

impl Drop for Sandbox<'_> {
    fn drop(&mut self) {
        // Best effort: a resource that is already gone needs no cleaning.
        for container in &self.containers {
            let _ = self.engine.output(&strings(&["rm", "-f", "-v", container]));
        }
        if let Some(network) = &self.network {
            let _ = self.engine.output(&strings(&["network", "rm", network]));
        }
        for volume in &self.volumes {
            let _ = self
                .engine
                .output(&strings(&["volume", "rm", "-f", volume]));
        }
    }
}

/// Writes `contents` to `dir/name` with `mode` (files the container reads as uid 1000).
pub(crate) fn write_host_file(
    dir: &Path,
    name: &str,
    contents: &[u8],
    mode: u32,
) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, contents)
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    set_mode(&path, mode)?;
    Ok(path)
}

/// Sets the permission bits of a host file or directory.
pub(crate) fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("failed to set the mode of `{}`", path.display()))
}

fn parse_state(out: &str) -> Option<ContainerState> {
    let mut parts = out.split_whitespace();
    let running = parts.next()? == "true";
    let exit_code = parts.next()?.parse().ok()?;
    let health = parts.next()?.to_owned();
    let oom_killed = parts.next()? == "true";
    let restarts = parts.next()?.parse().ok()?;
    Some(ContainerState {
        running,
        exit_code,
        health,
        oom_killed,
        restarts,
    })
}

/// Parses a `server.properties` written by `setup` into `(key, value)` pairs, in file order and
/// with Java's escapes undone, by kafka-config's one properties reader (a key set twice is listed
/// twice). Text Java would refuse gives no pairs, so every check of a key then fails.
pub(crate) fn parse_properties(text: &str) -> Vec<(String, String)> {
    kafka_config::properties::entries(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_parses_inspect_format() {
        assert_eq!(
            parse_state("false 143 none false 0\n"),
            Some(ContainerState {
                running: false,
                exit_code: 143,
                health: "none".to_owned(),
                oom_killed: false,
                restarts: 0,
            })
        );
        assert_eq!(
            parse_state("true 0 healthy false 0").map(|s| s.running),
            Some(true)
        );
        assert_eq!(
            parse_state("false 137 unhealthy true 2").map(|s| (s.oom_killed, s.restarts)),
            Some((true, 2))
        );
        assert_eq!(parse_state("garbage"), None);
    }

    #[test]
    fn properties_undo_java_escapes_like_kafka() {
        assert_eq!(
            parse_properties("sasl.jaas.config=a \\\n  b\ncolon\\:key : x\\u00FC\n"),
            [
                ("sasl.jaas.config".to_owned(), "a b".to_owned()),
                ("colon:key".to_owned(), "x\u{fc}".to_owned())
            ]
        );
    }

    #[test]
    fn properties_keep_order_and_drop_comments() {
        let text = "# comment\nnode.id=1\n\n! also comment\nsasl.jaas.config=a=b c;\n";
        assert_eq!(
            parse_properties(text),
            [
                ("node.id".to_owned(), "1".to_owned()),
                ("sasl.jaas.config".to_owned(), "a=b c;".to_owned())
            ]
        );
    }
}
