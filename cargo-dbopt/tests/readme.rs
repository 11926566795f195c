//! README.md's rule table lists every registered rule at its default level.

use dbopt_core::rules::RULES;

#[test]
fn readme_lists_every_rule_at_its_default_level() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md at the workspace root");
    for rule in RULES {
        let row = format!(
            "| `{}` | {} | {} | {} |",
            rule.name,
            rule.default_level,
            rule.group.as_str(),
            rule.summary
        );
        assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
    }
    let rows = readme.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, RULES.len(), "README.md's rule table has extra rows");
}
