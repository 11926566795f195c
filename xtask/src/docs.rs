//! `cargo xtask docs [--check]`: `docs/rules/<rule>.md` for every registered rule (the text
//! `cargo dbopt explain <rule>` prints) and `docs/rules/README.md`, an index table.
//!
//! `--check` writes nothing and fails when a page is missing, different, or left over from a
//! rule that no longer exists; the `docs_are_current` test runs the same check so
//! `cargo test --workspace` catches stale docs too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbopt_core::rules::RULES;

/// The repository root (xtask lives in `<root>/xtask`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Every generated file, by name inside `docs/rules/`.
pub fn expected() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for rule in RULES {
        files.insert(format!("{}.md", rule.name), rule.doc_markdown());
    }
    files.insert("README.md".to_owned(), index());
    files
}

fn index() -> String {
    let mut out = String::from(
        "# Rules\n\n\
         Generated from the rule registry (`dbopt-core/src/rules/`) by `cargo xtask docs`; \
         edit the rule's docs there, not these pages. `cargo dbopt explain RULE` prints the \
         same text, `cargo dbopt rules` the levels in effect.\n\n\
         | rule | group | default level | summary |\n\
         |---|---|---|---|\n",
    );
    for rule in RULES {
        out.push_str(&format!(
            "| [`{0}`]({0}.md) | {1} | {2} | {3} |\n",
            rule.name,
            rule.group.as_str(),
            rule.default_level,
            rule.summary.replace('|', "\\|")
        ));
    }
    out
}

/// What differs between `dir` and the generated pages: `(file, problem)`, sorted.
pub fn stale(dir: &Path) -> Vec<(String, &'static str)> {
    let expected = expected();
    let mut problems = Vec::new();
    for (name, text) in &expected {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(current) if current == *text => {}
            Ok(_) => problems.push((name.clone(), "out of date")),
            Err(_) => problems.push((name.clone(), "missing")),
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") && !expected.contains_key(&name) {
                problems.push((name, "not a registered rule"));
            }
        }
    }
    problems.sort();
    problems
}

/// Writes every page (only those that changed) and removes pages of rules that are gone.
pub fn write(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut changed = Vec::new();
    for (name, problem) in stale(dir) {
        let path = dir.join(&name);
        match expected().get(&name) {
            Some(text) => std::fs::write(&path, text)?,
            None => std::fs::remove_file(&path)?,
        }
        changed.push(format!("{name} ({problem})"));
    }
    Ok(changed)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let dir = repo_root().join("docs").join("rules");
    match args {
        [] => {
            let changed =
                write(&dir).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
            for c in &changed {
                println!("updated docs/rules/{c}");
            }
            if changed.is_empty() {
                println!("docs/rules is current");
            }
            Ok(())
        }
        [flag] if flag == "--check" => {
            let problems = stale(&dir);
            if problems.is_empty() {
                return Ok(());
            }
            let list: Vec<String> = problems
                .iter()
                .map(|(name, problem)| format!("  docs/rules/{name}: {problem}"))
                .collect();
            Err(format!(
                "the rule docs are stale; run `cargo xtask docs`:\n{}",
                list.join("\n")
            ))
        }
        _ => Err("usage: cargo xtask docs [--check]".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_are_current() {
        let problems = stale(&repo_root().join("docs").join("rules"));
        assert!(
            problems.is_empty(),
            "docs/rules is stale, run `cargo xtask docs`: {problems:?}"
        );
    }

    #[test]
    fn check_notices_edits_missing_and_leftover_pages() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        assert_eq!(stale(dir).len(), RULES.len() + 1);
        write(dir).unwrap();
        assert!(stale(dir).is_empty());
        let first = format!("{}.md", RULES[0].name);
        std::fs::write(dir.join(&first), "edited by hand\n").unwrap();
        std::fs::write(dir.join("gone_rule.md"), "old\n").unwrap();
        assert_eq!(
            stale(dir),
            [
                (first.clone(), "out of date"),
                ("gone_rule.md".to_owned(), "not a registered rule")
            ]
        );
        write(dir).unwrap();
        assert!(stale(dir).is_empty());
        assert!(!dir.join("gone_rule.md").exists());
    }

    #[test]
    fn pages_are_the_explain_text() {
        let files = expected();
        for rule in RULES {
            assert_eq!(files[&format!("{}.md", rule.name)], rule.doc_markdown());
        }
        assert!(files["README.md"].contains("| [`fk_without_index`](fk_without_index.md) |"));
    }
}
