//! The compose files in `docker/examples/` are valid for `docker-compose`, describe the clusters
//! their comments promise and (`#[ignore = "needs Docker"]`, on the real image) start with every
//! container healthy and pass a record over the client listener their name promises (SSL, SASL or
//! PLAINTEXT); the Kubernetes manifests pass a schema check, derive node ids from pod ordinals and
//! run locked down (read-only root, no service links).

mod real_image;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> Vec<PathBuf> {
    let dir = repo_root().join("docker/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("failed to read `{}`: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    files
}

/// `docker-compose -f FILE config` as JSON-compatible YAML, resolved (anchors merged, defaults
/// substituted); panics with its stderr when the file is invalid.
fn compose_config(file: &Path) -> serde_yaml::Value {
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(file)
        .arg("config")
        .env_remove("KAFKA_IMAGE")
        .env_remove("CLUSTER_ID")
        .output()
        .expect("docker-compose is installed (Debian package `docker-compose`)");
    assert!(
        out.status.success(),
        "`docker-compose -f {} config` failed:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_yaml::from_slice(&out.stdout).expect("docker-compose config prints YAML")
}

fn env_of<'a>(service: &'a serde_yaml::Value, key: &str) -> Option<&'a str> {
    service["environment"][key].as_str()
}

#[test]
fn every_documented_example_exists() {
    let names: Vec<String> = examples()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "single-node-plaintext.yml",
        "single-node-ssl.yml",
        "single-node-sasl.yml",
        "single-node-file-input.yml",
        "cluster-combined-plaintext.yml",
        "cluster-combined-ssl.yml",
        "cluster-isolated-plaintext.yml",
        "cluster-isolated-ssl.yml",
    ] {
        assert!(names.contains(&expected.to_owned()), "missing {expected}");
    }
}

#[test]
fn every_example_is_valid_compose_with_one_cluster_id() {
    for file in examples() {
        let config = compose_config(&file);
        let services = config["services"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{}: no services", file.display()));
        let mut cluster_ids: Vec<&str> = services
            .values()
            .filter_map(|s| env_of(s, "CLUSTER_ID"))
            .collect();
        cluster_ids.dedup();
        assert_eq!(
            cluster_ids,
            ["4L6g3nShT-eMCtK--X86sw"],
            "{}",
            file.display()
        );
        for service in services.values() {
            assert_eq!(
                service["image"].as_str(),
                Some("kafka-image/kafka:4.1.0"),
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn cluster_examples_have_consistent_node_ids_and_voters() {
    for (file, controllers, brokers) in [
        ("cluster-combined-plaintext.yml", 3, 3),
        ("cluster-combined-ssl.yml", 3, 3),
        ("cluster-isolated-plaintext.yml", 3, 2),
        ("cluster-isolated-ssl.yml", 3, 2),
    ] {
        let config = compose_config(&repo_root().join("docker/examples").join(file));
        let services = config["services"].as_mapping().unwrap();
        let mut voters = Vec::new();
        let mut seen_brokers = 0;
        for (name, service) in services {
            let name = name.as_str().unwrap();
            let id = env_of(service, "KAFKA_NODE_ID").unwrap();
            assert_eq!(
                name,
                format!("kafka-{id}"),
                "{file}: host name follows node id"
            );
            let roles = env_of(service, "KAFKA_PROCESS_ROLES").unwrap();
            if roles.contains("controller") {
                voters.push(format!("{id}@{name}:9093"));
            }
            if roles.contains("broker") {
                seen_brokers += 1;
                let advertised = env_of(service, "KAFKA_ADVERTISED_LISTENERS").unwrap();
                assert!(
                    advertised.contains(&format!("INTERNAL://{name}:19092")),
                    "{file}"
                );
            } else {
                assert!(
                    env_of(service, "KAFKA_ADVERTISED_LISTENERS").is_none(),
                    "{file}"
                );
            }
        }
        assert_eq!(voters.len(), controllers, "{file}");
        assert_eq!(seen_brokers, brokers, "{file}");
        for service in services.values() {
            assert_eq!(
                env_of(service, "KAFKA_CONTROLLER_QUORUM_VOTERS"),
                Some(voters.join(",").as_str()),
                "{file}"
            );
        }
    }
}

#[test]
fn ssl_examples_mount_secrets_for_every_broker() {
    for file in examples()
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with("-ssl.yml"))
    {
        let config = compose_config(&file);
        for (name, service) in config["services"].as_mapping().unwrap() {
            let is_broker = env_of(service, "KAFKA_PROCESS_ROLES")
                .unwrap()
                .contains("broker");
            let mounts_secrets = service["volumes"].as_sequence().unwrap().iter().any(|v| {
                // docker-compose v1 prints `SOURCE:TARGET:MODE`, v2 a mapping.
                v["target"].as_str() == Some("/etc/kafka/secrets")
                    || v.as_str()
                        .is_some_and(|s| s.contains(":/etc/kafka/secrets:"))
            });
            assert_eq!(is_broker, mounts_secrets, "{}: {name:?}", file.display());
            if is_broker {
                assert_eq!(
                    env_of(service, "KAFKA_SSL_KEYSTORE_FILENAME"),
                    Some("kafka.keystore.jks")
                );
            }
        }
    }
}

#[test]
fn kubernetes_manifests_pass_schema_validation() {
    let script = repo_root().join("ci/validate-kubernetes.sh");
    let out = Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("failed to run `{}`: {e}", script.display()));
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The documents of `deploy/kubernetes/kafka.yaml`.
fn manifest() -> Vec<serde_yaml::Value> {
    let path = repo_root().join("deploy/kubernetes/kafka.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
        .collect()
}

/// The manifest's document of `kind` named `name`.
fn find<'a>(docs: &'a [serde_yaml::Value], kind: &str, name: &str) -> &'a serde_yaml::Value {
    docs.iter()
        .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn statefulset_derives_node_ids_from_pod_ordinals_matching_the_voters() {
    let docs = manifest();
    let find = |kind: &str, name: &str| find(&docs, kind, name);
    let statefulset = find("StatefulSet", "kafka");
    let headless_name = statefulset["spec"]["serviceName"].as_str().unwrap();
    let headless = find("Service", headless_name);
    assert_eq!(headless["spec"]["clusterIP"].as_str(), Some("None"));
    assert_eq!(
        headless["spec"]["publishNotReadyAddresses"].as_bool(),
        Some(true)
    );
    let replicas = statefulset["spec"]["replicas"].as_u64().unwrap();
    let env = statefulset["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .unwrap();
    let value = |name: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(name))
            .and_then(|e| e["value"].as_str())
    };
    assert_eq!(
        value("KAFKA_ENTRYPOINT_NODE_ID_FROM_HOSTNAME"),
        Some("true")
    );
    assert_eq!(
        value("KAFKA_NODE_ID"),
        None,
        "node.id must come from the host name"
    );
    // Pod `kafka-N` gets node.id N, so the voters must be exactly 0..replicas on the headless
    // service's names.
    let expected: Vec<String> = (0..replicas)
        .map(|n| format!("{n}@kafka-{n}.{headless_name}:9093"))
        .collect();
    assert_eq!(
        value("KAFKA_CONTROLLER_QUORUM_VOTERS"),
        Some(expected.join(",").as_str())
    );
}

/// How many containers the examples running at once may have: two examples run side by side
/// (the 5-node isolated clusters each next to a single node, the 3-node ones together), so the
/// waits of one overlap the other's work without starting ten JVMs on two cores at once.
const CONTAINER_BUDGET: usize = 6;

/// Locked down as the image allows (the sanity case `random_uid_read_only_root` runs it so): a
/// read-only root with an emptyDir on /tmp, no root, the data volume's group for the user, and
/// no service-link variables from the Service `kafka`.
#[test]
fn statefulset_runs_read_only_without_root_or_service_links() {
    let docs = manifest();
    let statefulset = find(&docs, "StatefulSet", "kafka");
    let pod = &statefulset["spec"]["template"]["spec"];
    assert_eq!(pod["enableServiceLinks"].as_bool(), Some(false));
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    assert!(pod["securityContext"]["fsGroup"].as_u64().is_some());
    let container = &pod["containers"][0];
    assert_eq!(
        container["securityContext"]["readOnlyRootFilesystem"].as_bool(),
        Some(true)
    );
    let tmp = container["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|mount| mount["mountPath"].as_str() == Some("/tmp"))
        .expect("a volume on /tmp");
    let volume = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|volume| volume["name"] == tmp["name"])
        .expect("the /tmp volume");
    assert!(volume["emptyDir"].is_mapping(), "{volume:?}");
}

/// Starts every example with `docker-compose up` (host ports removed, so it cannot clash with
/// anything on the machine) against the real test image (`KAFKA_IMAGE_TEST_IMAGE`), waits until
/// every container is healthy, sends one record through a broker over the example's own client
/// listener (SSL with a client certificate, SASL with a user of the example) and reads it back;
/// then removes the project with its volumes. The SSL examples get stores from
/// `make-secrets.sh`. Two examples run at a time (at most [`CONTAINER_BUDGET`] containers).
#[test]
#[ignore = "needs Docker"]
fn every_example_starts_turns_healthy_and_serves_a_record() {
    let image = real_image::real_test_image();
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("examples");
    let status = Command::new("cp")
        .arg("-r")
        .arg(repo_root().join("docker/examples"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let secrets = Command::new(copy.join("make-secrets.sh"))
        .args([
            "kafka", "kafka-1", "kafka-2", "kafka-3", "kafka-4", "kafka-5",
        ])
        .output()
        .unwrap();
    assert!(
        secrets.status.success(),
        "{}",
        String::from_utf8_lossy(&secrets.stderr)
    );
    let mut queue: Vec<(PathBuf, usize)> = examples()
        .into_iter()
        .map(|file| {
            // The raw file is enough to count the services (`compose_config` runs later).
            let text = std::fs::read_to_string(&file).unwrap();
            let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let services = yaml["services"].as_mapping().unwrap().len();
            (file, services)
        })
        .collect();
    // Biggest first, so the small ones fill the gaps.
    queue.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    let scheduler = Scheduler {
        state: std::sync::Mutex::new((queue, 0)),
        changed: std::sync::Condvar::new(),
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    while let Some((file, size)) = scheduler.next() {
                        let _done = Finished(&scheduler, size);
                        example_serves_a_record(&image, &copy, &file);
                    }
                })
            })
            .collect();
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// The examples left to run and how many containers are running.
struct Scheduler {
    state: std::sync::Mutex<(Vec<(PathBuf, usize)>, usize)>,
    changed: std::sync::Condvar,
}

impl Scheduler {
    /// The next example that fits the budget (waiting until one does), or `None` when all ran.
    fn next(&self) -> Option<(PathBuf, usize)> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let (queue, running) = &mut *state;
            if queue.is_empty() {
                return None;
            }
            // Alone, even an example over the budget runs.
            if let Some(index) = queue
                .iter()
                .position(|(_, size)| *running == 0 || *running + size <= CONTAINER_BUDGET)
            {
                let next = queue.remove(index);
                *running += next.1;
                return Some(next);
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Gives an example's containers back to the budget when it ends, even by a panic.
struct Finished<'a>(&'a Scheduler, usize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
        state.1 -= self.1;
        self.0.changed.notify_all();
    }
}

/// One example: up, every container healthy, a record through it, no setup warning, down.
fn example_serves_a_record(image: &str, copy: &Path, file: &Path) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let project = format!(
        "kafka-image-example-{}-{}",
        std::process::id(),
        name.trim_end_matches(".yml")
    );
    let mut config = compose_config(&copy.join(&name));
    let client = client_listener(&config);
    assert_eq!(
        client.protocol,
        expected_protocol(&name),
        "{name}: the record must go through the example's own client listener"
    );
    for (service_name, service) in config["services"].as_mapping_mut().unwrap() {
        let service = service.as_mapping_mut().unwrap();
        service.remove("ports");
        service.insert("image".into(), image.into());
        // The image's check every second instead of every 5 s: the same check, seen sooner.
        let mut healthcheck = serde_yaml::Mapping::new();
        healthcheck.insert("interval".into(), "1s".into());
        service.insert("healthcheck".into(), healthcheck.into());
        if service_name.as_str() == Some(client.service.as_str()) && client.protocol == "SSL" {
            // The client's certificate, made by make-secrets.sh like the brokers'.
            let mount = format!(
                "{}:{CLIENT_SECRETS}:ro",
                copy.join("secrets/client").display()
            );
            service["volumes"]
                .as_sequence_mut()
                .unwrap()
                .push(mount.into());
        }
    }
    let resolved = copy.join(format!("resolved-{name}"));
    std::fs::write(&resolved, serde_yaml::to_string(&config).unwrap()).unwrap();
    let project_guard = ComposeProject {
        file: resolved.clone(),
        project: project.clone(),
    };
    project_guard.run(&["up", "-d"]);
    let ids = project_guard.run(&["ps", "-q"]);
    let ids: Vec<&str> = ids.lines().collect();
    assert_eq!(
        ids.len(),
        config["services"].as_mapping().unwrap().len(),
        "{name}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let mut inspect = Command::new("docker");
        inspect.args([
            "inspect",
            "--format",
            "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
        ]);
        let out = inspect.args(&ids).output().unwrap();
        let out = String::from_utf8_lossy(&out.stdout);
        let states: Vec<&str> = out.lines().map(str::trim).collect();
        if states.len() == ids.len() && states.iter().all(|s| *s == "running healthy") {
            break;
        }
        assert!(
            states.iter().all(|s| s.starts_with("running")),
            "{name}: a container stopped: {states:?}\n{}",
            project_guard.run(&["logs", "--tail", "50"])
        );
        assert!(
            std::time::Instant::now() < deadline,
            "{name}: not healthy after 180 s: {states:?}\n{}",
            project_guard.run(&["logs", "--tail", "50"])
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    record_goes_through(&project_guard, &client, &name);
    // The entrypoint warns about unknown property names: an example must have none.
    let logs = project_guard.run(&["logs", "--no-color"]);
    assert!(
        !logs.contains("warning: `"),
        "{name}: setup warned:\n{logs}"
    );
}

/// Where the SSL examples' client stores are mounted in the broker the client runs in.
const CLIENT_SECRETS: &str = "/etc/kafka/client-secrets";

/// The security protocol an example's name promises its clients.
fn expected_protocol(name: &str) -> &'static str {
    if name.contains("-sasl") {
        "SASL_PLAINTEXT"
    } else if name.contains("-ssl") {
        "SSL"
    } else {
        "PLAINTEXT"
    }
}

/// The listener a client of an example uses, and the container it runs in.
#[derive(Debug)]
struct ClientListener {
    /// The compose service whose container runs the client (the example's first broker).
    service: String,
    /// `host:port`.
    bootstrap: String,
    /// Its security protocol.
    protocol: String,
    /// Its SASL mechanism, for a SASL listener.
    mechanism: String,
}

/// The client listener of an example's first broker: among its advertised listeners, one with
/// security (SSL or SASL) before a PLAINTEXT one, and one on the compose network before one on
/// `localhost` (reachable only from the broker's own container, so only a single node's); a node
/// configured by a mounted file (no advertised listeners in its environment) is reached on
/// `localhost:9092`, PLAINTEXT.
fn client_listener(config: &serde_yaml::Value) -> ClientListener {
    let services = config["services"].as_mapping().unwrap();
    for (name, service) in services {
        let Some(advertised) = env_of(service, "KAFKA_ADVERTISED_LISTENERS") else {
            continue;
        };
        let protocols = env_of(service, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").unwrap_or_default();
        let single_node = services.len() == 1;
        let (bootstrap, protocol) = advertised
            .split(',')
            .filter_map(|listener| {
                let (listener_name, address) = listener.split_once("://")?;
                let protocol = protocols
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{listener_name}:")))
                    .unwrap_or(listener_name);
                let local = address.starts_with("localhost");
                (single_node || !local).then_some((address, protocol, local))
            })
            .min_by_key(|(_, protocol, local)| (*protocol == "PLAINTEXT", *local))
            .map(|(address, protocol, _)| (address.to_owned(), protocol.to_owned()))
            .unwrap_or_else(|| panic!("{name:?}: no listener a client can reach"));
        return ClientListener {
            service: name.as_str().unwrap().to_owned(),
            bootstrap,
            protocol,
            mechanism: env_of(service, "KAFKA_SASL_ENABLED_MECHANISMS")
                .unwrap_or_default()
                .to_owned(),
        };
    }
    let first = services.keys().next().unwrap().as_str().unwrap().to_owned();
    ClientListener {
        service: first,
        bootstrap: "localhost:9092".to_owned(),
        protocol: "PLAINTEXT".to_owned(),
        mechanism: String::new(),
    }
}

/// The client properties for `listener`: the client stores `make-secrets.sh` made (password
/// `changeit-examples`, its default) for SSL, user `alice` of `secrets/kafka_plain_jaas.conf` for
/// SASL/PLAIN.
fn client_properties(listener: &ClientListener) -> String {
    match listener.protocol.as_str() {
        "SSL" => format!(
            "security.protocol=SSL\nssl.truststore.location={CLIENT_SECRETS}/kafka.truststore.jks\n\
             ssl.truststore.password=changeit-examples\n\
             ssl.keystore.location={CLIENT_SECRETS}/kafka.keystore.jks\n\
             ssl.keystore.password=changeit-examples\nssl.key.password=changeit-examples\n"
        ),
        "SASL_PLAINTEXT" => {
            assert_eq!(listener.mechanism, "PLAIN", "{listener:?}");
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n\
             sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"alice\" password=\"alice-secret\";\n"
                .to_owned()
        }
        _ => String::new(),
    }
}

/// Produces one record with `acks=all` through the example's client listener (Kafka's own tool
/// classes in the first broker's container; the consumer starts alongside the producer) and
/// consumes it back.
fn record_goes_through(project: &ComposeProject, client: &ClientListener, name: &str) {
    let ClientListener {
        service, bootstrap, ..
    } = client;
    let properties = client_properties(client);
    let java = "java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*'";
    let config = "/tmp/example-client.properties";
    // The producer class moved in Kafka 4.0; take whichever the image has.
    let script = format!(
        "cat > {config} <<'EOF'\n{properties}EOF\n\
         producer=org.apache.kafka.tools.ConsoleProducer; \
         grep -q -a -F org/apache/kafka/tools/ConsoleProducer.class /opt/kafka/libs/kafka*.jar \
           || producer=kafka.tools.ConsoleProducer; \
         {java} org.apache.kafka.tools.TopicCommand --bootstrap-server {bootstrap} \
           --command-config {config} --create --topic example --partitions 1 \
           --replication-factor 1 >/dev/null || exit 1; \
         {java} org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server {bootstrap} \
           --consumer.config {config} --topic example --from-beginning --max-messages 1 \
           --timeout-ms 60000 & consumer=$!; \
         if ! echo example-record | {java} $producer --bootstrap-server {bootstrap} \
           --producer.config {config} --topic example --producer-property acks=all; then \
           kill $consumer; exit 1; fi; \
         wait $consumer"
    );
    let out = project.run(&["exec", "-T", service, "bash", "-c", &script]);
    assert!(
        out.lines().any(|line| line == "example-record"),
        "{name}: the record was not read back through `{bootstrap}`:\n{out}"
    );
}

/// A started compose project, taken down with its volumes on drop.
struct ComposeProject {
    file: PathBuf,
    project: String,
}

impl ComposeProject {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("docker-compose")
            .arg("-p")
            .arg(&self.project)
            .arg("-f")
            .arg(&self.file)
            .args(args)
            .output()
            .expect("docker-compose runs");
        assert!(
            out.status.success(),
            "docker-compose {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for ComposeProject {
    fn drop(&mut self) {
        // Best effort: remove the project's containers, network and volumes. Its checks are
        // done, so the containers need no clean shutdown (a cluster stopping all at once would
        // wait out the whole timeout).
        let _ = Command::new("docker-compose")
            .arg("-p")
            .arg(&self.project)
            .arg("-f")
            .arg(&self.file)
            .args(["down", "-v", "--timeout", "1"])
            .output();
    }
}
