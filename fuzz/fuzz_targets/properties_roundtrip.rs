//! Fuzzes the `.properties` reader: decoding and parsing any bytes never panics, and whatever
//! parses renders to text that parses back to the same entries, in the same order.
#![no_main]

use kafka_config::properties::{decode_text, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode_text(data) else {
        return;
    };
    let Ok(properties) = parse(&text) else {
        return;
    };
    let rendered = properties.render();
    let reparsed = match parse(&rendered) {
        Ok(reparsed) => reparsed,
        Err(error) => panic!("rendered text does not parse ({error}):\n{rendered}"),
    };
    let before: Vec<(&str, &str)> = properties.iter().collect();
    let after: Vec<(&str, &str)> = reparsed.iter().collect();
    assert_eq!(
        before, after,
        "render(parse(x)) changed the entries; rendered:\n{rendered}"
    );
    assert!(
        reparsed.duplicates().is_empty(),
        "rendered text repeats a key:\n{rendered}"
    );
});
