use super::*;
use crate::fix;
use crate::render::fixture;
use dbopt_core::model::Backend;

#[path = "../../../tests/support/sarif_schema.rs"]
mod sarif_schema;

/// The fixture's findings with the fix `--fix` would write, as a log.
fn log() -> String {
    let mut fixture = fixture::Package::new();
    fixture.diagnostics[0].data["index_name"] = "posts_user_id_idx".into();
    fixture.diagnostics[0].data["table_schema"] = "public".into();
    let findings = fixture.findings();
    let root = Path::new(fixture::ROOT);
    let plans = fix::plan(
        &fixture.diagnostics,
        Backend::Postgres,
        &root.join("migrations"),
        &["2024-01-02-000000_create posts".to_owned()],
    )
    .expect("plannable");
    let mut sarif = Sarif::new(root);
    sarif.add_package(&findings, &plans);
    sarif.add_error(
        &ProjectError {
            path: "/ws/blog/diesel.toml".into(),
            message: "cannot read /ws/blog/diesel.toml: permission denied".into(),
        },
        Level::Warn,
    );
    sarif.into_json(true)
}

#[test]
fn log_shape() {
    insta::assert_snapshot!(log());
}

#[test]
fn log_is_valid_sarif_2_1_0() {
    let validator = sarif_schema::validator();
    let instance: serde_json::Value = serde_json::from_str(&log()).expect("log is JSON");
    let errors = sarif_schema::errors(&log());
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: a level SARIF does not know is rejected.
    let mut broken = instance.clone();
    broken["runs"][0]["results"][0]["level"] = "deny".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_rule_is_described_with_its_default_level_and_doc() {
    let log: serde_json::Value = serde_json::from_str(&log()).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), RULES.len());
    for (descriptor, rule) in rules.iter().zip(RULES) {
        assert_eq!(descriptor["id"], rule.name);
        assert_eq!(descriptor["shortDescription"]["text"], rule.summary);
        assert_eq!(
            descriptor["defaultConfiguration"]["level"],
            result_level(rule.default_level).unwrap_or("none")
        );
        assert!(
            descriptor["helpUri"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/docs/rules/{}.md", rule.name))
        );
    }
}

#[test]
fn uris_are_relative_and_encoded_or_absolute_file_uris() {
    let sarif = Sarif::new(Path::new("/ws"));
    let rel = sarif.uri(Path::new("/ws/blog/migrations/2024_create posts/up.sql"));
    assert_eq!(rel.uri, "blog/migrations/2024_create%20posts/up.sql");
    assert_eq!(rel.uri_base_id, Some(ROOT_ID));
    let abs = sarif.uri(Path::new("/elsewhere/é.sql"));
    assert_eq!(abs.uri, "file:///elsewhere/%C3%A9.sql");
    assert_eq!(abs.uri_base_id, None);
}
