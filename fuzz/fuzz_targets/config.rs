//! Arbitrary bytes, read as lossy UTF-8, as a whole Cargo.toml and as the body of a
//! `[package.metadata.dbopt]` table. The TOML goes to JSON the way `cargo metadata` hands it
//! over (serde), then through `Config::from_metadata` for the package and the workspace and
//! `config::resolve`. Checks: no panic; an error is one line that starts with the table's
//! name and names the offending key (or says the table is not a table); an accepted table
//! holds only known keys, its paths are anchored at the manifest's folder and its rule
//! levels are the ones in force after `resolve`.
#![no_main]

use std::path::Path;

use dbopt_core::config::{Config, KEYS, LevelSource, resolve};
use dbopt_core::rules;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const BASE: &str = "/ws/pkg";
const PACKAGE: &str = "`[package.metadata.dbopt]` in /ws/pkg/Cargo.toml";
const WORKSPACE: &str = "`[workspace.metadata.dbopt]` in /ws/Cargo.toml";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    manifest(&text);
    manifest(&format!("[package.metadata.dbopt]\n{text}"));
});

fn manifest(text: &str) {
    let Ok(toml) = text.parse::<toml::Table>() else {
        return; // cargo reports a Cargo.toml that is not TOML
    };
    let Ok(json) = serde_json::to_value(&toml) else {
        return;
    };
    let metadata = |section: &str| {
        json.get(section)
            .and_then(|s| s.get("metadata"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let package = check(&metadata("package"), PACKAGE);
    let workspace = check(&metadata("workspace"), WORKSPACE);
    if let (Some(package), Some(workspace)) = (package, workspace) {
        let resolved = resolve(&workspace, Some(&package), &Config::default(), &[]);
        for &(name, level) in &package.rules {
            let rule = rules::find(name).expect("a registered rule");
            assert_eq!(resolved.levels.level(rule), level, "{name}");
            assert_eq!(resolved.levels.source(rule), LevelSource::Package, "{name}");
        }
        assert_eq!(resolved.backend, package.backend.or(workspace.backend));
    }
}

/// `Config::from_metadata` on one `metadata` value, with the checks above.
fn check(metadata: &Value, origin: &str) -> Option<Config> {
    let base = Path::new(BASE);
    let table = metadata.get("dbopt").filter(|t| !t.is_null());
    match Config::from_metadata(metadata, base, origin) {
        Ok(config) => {
            let Some(table) = table else {
                assert_eq!(config, Config::default());
                return Some(config);
            };
            let map = table.as_object().expect("an accepted table is a table");
            for key in map.keys() {
                assert!(KEYS.contains(&key.as_str()), "accepted unknown key {key:?}");
            }
            for path in [&config.migrations, &config.schema].into_iter().flatten() {
                assert!(path.starts_with(base) || path.is_absolute(), "{path:?}");
            }
            assert_eq!(config.backend.is_some(), map.contains_key("backend"));
            let written = map
                .get("rules")
                .and_then(Value::as_object)
                .map_or(0, |r| r.len());
            assert_eq!(config.rules.len(), written, "rules");
            for (name, _) in &config.rules {
                assert!(rules::find(name).is_some(), "unknown rule {name} accepted");
            }
            Some(config)
        }
        Err(e) => {
            let message = &e.message;
            let table = table.expect("an error without a dbopt table");
            assert!(
                message.starts_with(&format!("{origin}: ")),
                "does not name the table: {message:?}"
            );
            assert!(
                !message.chars().any(char::is_control),
                "not one line: {message:?}"
            );
            let names_key = match table.as_object() {
                None => message.ends_with(&format!("expected a table, found {}", kind(table))),
                Some(map) => map.iter().any(|(key, value)| {
                    mentions(message, key)
                        || key == "rules"
                            && value
                                .as_object()
                                .is_some_and(|r| r.keys().any(|k| mentions(message, k)))
                }),
            };
            assert!(names_key, "names no key of the table: {message:?}");
            None
        }
    }
}

/// `message` quotes `key` (control characters escaped) in backticks.
fn mentions(message: &str, key: &str) -> bool {
    let shown: String = key
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    message.contains(&format!("`{shown}`"))
        || message.contains(&format!("`rules.{shown}`"))
        || message.contains(&format!("unknown {shown} `"))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}
