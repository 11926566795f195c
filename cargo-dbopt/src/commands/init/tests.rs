use super::manifest::{self, DependencyForm, Scope};
use dbopt_core::config::Config;
use dbopt_core::rules::RULES;
use toml_edit::DocumentMut;

const COMMENTED_PACKAGE: &str = r#"# The shop's backend.
[package]
name = "shop"   # keep in sync with the binary name
version = "0.3.1"
edition = "2021"

# Database access.
[dependencies]
anyhow = "1"
diesel = { version = "2.3", features = ["postgres", "chrono"] } # pinned for the pool
serde = "1"

[dev-dependencies]
tempfile = "3"

[package.metadata.docs.rs]
all-features = true
"#;

const INLINE_TABLES: &str = r#"package = { name = "shop", version = "0.1.0", edition = "2021", metadata = { release = { sign = true } } }
dependencies = { diesel = { version = "2", features = ["sqlite"] }, serde = "1" }
"#;

const WORKSPACE: &str = r#"[workspace]
members = ["api", "jobs"]
resolver = "2"

[workspace.dependencies]
diesel = { version = "2.3", features = ["postgres"] }  # one version for every crate
dbopt-macros = "0.1"

[workspace.metadata.release]
shared-version = true

[profile.release]
lto = true
"#;

const MEMBER: &str = r#"[package]
name = "api"
version = "0.1.0"
edition = "2021"

[dependencies]
serde = "1"
diesel.workspace = true
"#;

fn init(text: &str, scope: Scope, form: Option<DependencyForm>) -> String {
    let mut doc: DocumentMut = text.parse().expect("valid TOML");
    manifest::add_config(&mut doc, scope, None).expect("config added");
    if let Some(form) = &form {
        manifest::add_dependency(&mut doc, form).expect("dependency added");
    }
    let once = doc.to_string();
    // A second run changes nothing.
    let mut again: DocumentMut = once.parse().expect("still valid TOML");
    assert!(!manifest::add_config(&mut again, scope, None).unwrap());
    if let Some(form) = &form {
        assert!(!manifest::add_dependency(&mut again, form).unwrap());
    }
    assert_eq!(again.to_string(), once);
    assert_default_levels(&once, scope);
    once
}

/// The written table is a configuration dbopt reads, with every rule at its default level.
fn assert_default_levels(text: &str, scope: Scope) {
    let value: toml::Value = toml::from_str(text).expect("cargo can read it");
    let key = match scope {
        Scope::Workspace => "workspace",
        Scope::Package => "package",
    };
    let metadata = serde_json::to_value(&value[key]["metadata"]).unwrap();
    let config = Config::from_metadata(&metadata, std::path::Path::new("/p"), "test").unwrap();
    let expected: Vec<(&str, _)> = RULES.iter().map(|r| (r.name, r.default_level)).collect();
    assert_eq!(config.rules, expected);
}

/// Every line of `before` is still in `after`, in order.
fn keeps_every_line(before: &str, after: &str) {
    let mut rest = after.lines();
    for line in before.lines() {
        assert!(
            rest.any(|l| l == line),
            "line `{line}` changed or moved:\n{after}"
        );
    }
}

#[test]
fn init_commented_single_package() {
    let out = init(
        COMMENTED_PACKAGE,
        Scope::Package,
        Some(DependencyForm::Version("0.1.0".into())),
    );
    keeps_every_line(COMMENTED_PACKAGE, &out);
    insta::assert_snapshot!(out);
}

#[test]
fn init_inline_tables() {
    let out = init(
        INLINE_TABLES,
        Scope::Package,
        Some(DependencyForm::Version("0.1.0".into())),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn init_workspace() {
    let out = init(WORKSPACE, Scope::Workspace, None);
    assert!(out.starts_with(WORKSPACE), "{out}");
    insta::assert_snapshot!(out);
    // The member gets the workspace's dependency, appended to its unsorted table.
    let mut member: DocumentMut = MEMBER.parse().unwrap();
    assert!(manifest::add_dependency(&mut member, &DependencyForm::Workspace).unwrap());
    assert_eq!(
        member.to_string(),
        MEMBER.replace(
            "diesel.workspace = true\n",
            "diesel.workspace = true\ndbopt-macros = { workspace = true }\n"
        )
    );
}

#[test]
fn an_inline_package_without_metadata_gets_it_inline() {
    let text = "package = { name = \"x\", version = \"0.1.0\" }\n";
    let mut doc: DocumentMut = text.parse().unwrap();
    assert!(manifest::add_config(&mut doc, Scope::Package, None).unwrap());
    let rules: Vec<String> = RULES
        .iter()
        .map(|r| format!("{} = \"{}\"", r.name, r.default_level))
        .collect();
    assert_eq!(
        doc.to_string(),
        format!(
            "package = {{ name = \"x\", version = \"0.1.0\", metadata = {{ dbopt = {{ rules = {{ {} }} }} }} }}\n",
            rules.join(", ")
        )
    );
}

#[test]
fn a_missing_dependencies_table_is_created_at_the_end() {
    let text = "[package]\nname = \"x\"\nversion = \"0.1.0\"\n";
    let mut doc: DocumentMut = text.parse().unwrap();
    assert!(manifest::add_dependency(&mut doc, &DependencyForm::Version("0.1.0".into())).unwrap());
    assert_eq!(
        doc.to_string(),
        format!("{text}\n[dependencies]\ndbopt-macros = \"0.1.0\"\n")
    );
}

#[test]
fn an_existing_dbopt_table_is_left_alone() {
    let text = "[package]\nname = \"x\"\n\n[package.metadata.dbopt]\nbackend = \"sqlite\"\n";
    let mut doc: DocumentMut = text.parse().unwrap();
    assert!(!manifest::add_config(&mut doc, Scope::Package, None).unwrap());
    assert_eq!(doc.to_string(), text);
    // No `start_after` is added to a table that is there, with or without one.
    assert!(!manifest::add_config(&mut doc, Scope::Package, Some("2024-01-10-090100")).unwrap());
    assert_eq!(doc.to_string(), text);
    let text = "[package]\nname = \"x\"\n\n[package.metadata.dbopt]\nstart_after = \"1\"\n";
    let mut doc: DocumentMut = text.parse().unwrap();
    assert!(!manifest::add_config(&mut doc, Scope::Package, Some("2")).unwrap());
    assert_eq!(doc.to_string(), text);
}

#[test]
fn start_after_opens_the_table_it_adds() {
    let text = "[package]\nname = \"x\"\nversion = \"0.1.0\"\n";
    let mut doc: DocumentMut = text.parse().unwrap();
    assert!(manifest::add_config(&mut doc, Scope::Package, Some("2024-01-10-090100")).unwrap());
    let out = doc.to_string();
    assert!(
        out.starts_with(&format!(
            "{text}\n[package.metadata.dbopt]\nstart_after = \"2024-01-10-090100\"  \
             # the migration rules judge only later migrations (the newest when `init` ran)\n\n\
             # Levels: "
        )),
        "{out}"
    );
    let value: toml::Value = toml::from_str(&out).unwrap();
    let metadata = serde_json::to_value(&value["package"]["metadata"]).unwrap();
    let config = Config::from_metadata(&metadata, std::path::Path::new("/p"), "test").unwrap();
    assert_eq!(config.start_after.as_deref(), Some("20240110090100"));
    // Inline: the key comes first too.
    let text = "package = { name = \"x\", version = \"0.1.0\" }\n";
    let mut doc: DocumentMut = text.parse().unwrap();
    assert!(manifest::add_config(&mut doc, Scope::Package, Some("20240110090100")).unwrap());
    assert!(
        doc.to_string().starts_with(
            "package = { name = \"x\", version = \"0.1.0\", metadata = { dbopt = { \
             start_after = \"20240110090100\", rules = { "
        ),
        "{doc}"
    );
}
