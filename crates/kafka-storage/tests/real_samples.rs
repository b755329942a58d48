//! Byte-for-byte comparison with `meta.properties` and `bootstrap.checkpoint` files written by
//! real Kafka releases (see `tests/data/SOURCES.md`). From each sample only what differs per
//! run is taken (batch timestamps, the write time, `directory.id`, the ids); the feature levels
//! come from our per-release table and every byte, CRCs included, is computed by us.

use kafka_storage::{
    BootstrapCheckpoint, ClusterId, KafkaRelease, MetaProperties, StoredClusterId,
    bootstrap_features, crc32c, decode_batches, parse_meta_properties, render_meta_properties,
};

/// The sample files, embedded at compile time (the library stays free of file I/O).
fn sample(dir: &str, file: &str) -> Vec<u8> {
    macro_rules! data {
        ($dir:literal) => {
            (
                include_bytes!(concat!("data/", $dir, "/bootstrap.checkpoint")).as_slice(),
                include_bytes!(concat!("data/", $dir, "/meta.properties")).as_slice(),
            )
        };
    }
    let (checkpoint, meta) = match dir {
        "3.7.0" => data!("3.7.0"),
        "3.9.0" => data!("3.9.0"),
        "4.0.0" => data!("4.0.0"),
        "4.2.x" => data!("4.2.x"),
        other => panic!("no sample `{other}`"),
    };
    match file {
        "bootstrap.checkpoint" => checkpoint.to_vec(),
        "meta.properties" => meta.to_vec(),
        other => panic!("no sample file `{other}`"),
    }
}

#[track_caller]
fn assert_checkpoint_matches(dir: &str, release: KafkaRelease) {
    let real = sample(dir, "bootstrap.checkpoint");
    let decoded = BootstrapCheckpoint::decode(&real).expect("the real file decodes");
    let ours = BootstrapCheckpoint {
        scram_credentials: Vec::new(),
        timestamps: decoded.timestamps,
        features: bootstrap_features(release).expect("supported release"),
    };
    assert_eq!(
        ours.features, decoded.features,
        "feature levels of Kafka {release}"
    );
    assert_eq!(
        ours.encode(),
        real,
        "bytes of Kafka {release}'s bootstrap.checkpoint"
    );
}

#[test]
fn bootstrap_checkpoint_of_kafka_3_7_0_is_byte_identical() {
    assert_checkpoint_matches("3.7.0", KafkaRelease::new(3, 7, 0));
}

#[test]
fn bootstrap_checkpoint_of_kafka_3_9_0_is_byte_identical() {
    assert_checkpoint_matches("3.9.0", KafkaRelease::new(3, 9, 0));
}

#[test]
fn bootstrap_checkpoint_of_kafka_4_0_0_is_byte_identical() {
    assert_checkpoint_matches("4.0.0", KafkaRelease::new(4, 0, 0));
}

#[test]
fn bootstrap_checkpoint_of_kafka_4_2_is_byte_identical() {
    assert_checkpoint_matches("4.2.x", KafkaRelease::new(4, 2, 0));
}

#[test]
fn our_crcs_equal_the_crcs_kafka_stored() {
    for dir in ["3.7.0", "3.9.0", "4.0.0", "4.2.x"] {
        let real = sample(dir, "bootstrap.checkpoint");
        let batches = decode_batches(&real).expect("decodes, so every stored CRC was verified");
        assert_eq!(batches.len(), 3, "{dir}");
        // Recompute the first batch's CRC by hand: bytes 21.. of the batch, stored at 17..21.
        let length = i32::from_be_bytes(real[8..12].try_into().expect("4 bytes")) as usize;
        let stored = u32::from_be_bytes(real[17..21].try_into().expect("4 bytes"));
        assert_eq!(crc32c(&real[21..12 + length]), stored, "{dir}");
    }
}

#[track_caller]
fn assert_meta_properties_match(dir: &str) {
    let real = sample(dir, "meta.properties");
    let parsed = parse_meta_properties(&real).expect("the real file parses");
    let checkpoint =
        BootstrapCheckpoint::decode(&sample(dir, "bootstrap.checkpoint")).expect("decodes");
    let ours = render_meta_properties(&parsed, checkpoint.timestamps.footer_ms);
    let real_text = String::from_utf8(real).expect("ASCII");
    // Every line but the date (line 2) must be identical.
    let without_date = |text: &str| -> Vec<String> {
        text.split_inclusive('\n')
            .enumerate()
            .filter(|(index, _)| *index != 1)
            .map(|(_, line)| line.to_owned())
            .collect()
    };
    assert_eq!(without_date(&ours), without_date(&real_text), "{dir}");
    // Kafka writes meta.properties right after bootstrap.checkpoint; in every sample it did so
    // within the second of the footer batch, so the date line matches too.
    assert_eq!(ours, real_text, "{dir}");
}

#[test]
fn meta_properties_of_kafka_3_7_0_renders_identically_but_the_date() {
    assert_meta_properties_match("3.7.0");
}

#[test]
fn meta_properties_of_kafka_3_9_0_renders_identically_but_the_date() {
    assert_meta_properties_match("3.9.0");
}

#[test]
fn meta_properties_of_kafka_4_0_0_renders_identically_but_the_date() {
    assert_meta_properties_match("4.0.0");
}

#[test]
fn meta_properties_of_kafka_4_2_renders_identically_but_the_date() {
    assert_meta_properties_match("4.2.x");
}

#[test]
fn meta_properties_built_from_ids_equals_kafka_4_0_0_output() {
    // Build the file from scratch, as the native writer does, from the sample's ids and the
    // second its date line names (Wed Apr 02 21:22:14 GMT 2025).
    let real = sample("4.0.0", "meta.properties");
    let parsed = parse_meta_properties(&real).expect("parses");
    let cluster = ClusterId::parse("5L6g3nShT-eMCtK--X86sw").expect("valid");
    let built = MetaProperties::kraft(&cluster, 1, parsed.directory_id.expect("directory.id"));
    assert_eq!(
        render_meta_properties(&built, 1_743_628_934_000).into_bytes(),
        real
    );
}

#[test]
fn meta_properties_date_line_equals_kafka_3_9_0_output_at_its_write_second() {
    let real = sample("3.9.0", "meta.properties");
    let parsed = parse_meta_properties(&real).expect("parses");
    // Wed Jun 18 14:08:53 GMT 2025 = 1750255733 s.
    assert_eq!(
        render_meta_properties(&parsed, 1_750_255_733_999).into_bytes(),
        real
    );
}

#[test]
fn kafka_3_7_0_image_cluster_id_is_recognised_as_kafka_16473() {
    let parsed = parse_meta_properties(&sample("3.7.0", "meta.properties")).expect("parses");
    assert_eq!(
        parsed.stored_cluster_id(),
        Some(StoredClusterId::ScalaSome(
            "4L6g3nShT-eMCtK--X86sw".to_owned()
        ))
    );
}

#[test]
fn real_directory_ids_pass_kafkas_directory_id_rules() {
    for dir in ["3.7.0", "3.9.0", "4.0.0", "4.2.x"] {
        let parsed = parse_meta_properties(&sample(dir, "meta.properties")).expect("parses");
        let id = parsed.directory_id.expect("directory.id since 3.7");
        assert_eq!(
            kafka_storage::directory_id_from_random(*id.as_bytes()),
            Some(id),
            "{dir}"
        );
    }
}
