//! Validation against the SARIF 2.1.0 schema in tests/data, shared by the unit and the
//! integration tests.
#![allow(dead_code)] // each test crate uses part of it

/// The SARIF 2.1.0 schema as published, but for one typo: the `language` patterns of `run`
/// and `toolComponent` end in `[a-zA-Z]{2}]?$`, a stray `]` that validators checking the
/// schema's own `format: regex` reject. They constrain properties dbopt never writes.
pub fn validator() -> jsonschema::Validator {
    const TYPO: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    const FIXED: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}$""#;
    let text = include_str!("../data/sarif-schema-2.1.0.json");
    assert_eq!(text.matches(TYPO).count(), 2, "the schema file changed");
    let schema: serde_json::Value =
        serde_json::from_str(&text.replace(TYPO, FIXED)).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Every violation of the SARIF 2.1.0 schema in `log`.
pub fn errors(log: &str) -> Vec<String> {
    let instance: serde_json::Value = serde_json::from_str(log).expect("log is JSON");
    validator()
        .iter_errors(&instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}
