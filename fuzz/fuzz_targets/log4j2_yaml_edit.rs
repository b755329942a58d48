//! Fuzzes the line-based log4j2 YAML editor: any text either is refused with a reason or edits
//! without panicking, and editing the result again changes nothing.
#![no_main]

use kafka_config::log4j::{LoggerLevel, edit_yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let loggers = [
        LoggerLevel {
            name: "kafka".to_owned(),
            level: "DEBUG".to_owned(),
        },
        LoggerLevel {
            name: "new.logger".to_owned(),
            level: "TRACE".to_owned(),
        },
    ];
    if let Ok(first) = edit_yaml(text, Some("WARN"), &loggers) {
        assert_eq!(
            edit_yaml(&first, Some("WARN"), &loggers).as_deref(),
            Ok(first.as_str()),
            "a second edit changed the file:\n{first}"
        );
    }
});
