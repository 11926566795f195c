use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn toml(text: &str) -> Result<DieselToml, DiscoverError> {
    parse_diesel_toml(Path::new("/p/diesel.toml"), text)
}

fn re(list: &[&str]) -> Vec<regex::Regex> {
    list.iter().map(|r| regex::Regex::new(r).unwrap()).collect()
}

#[test]
fn single_print_schema_section_with_every_key() {
    let config = toml(
        r#"
# For documentation on how to configure this file,
# see https://diesel.rs/guides/configuring-diesel-cli

[print_schema]
file = "src/schema.rs"
schema = "auth"
filter = { only_tables = ["^users$", "posts"] }
patch_file = "src/schema.patch"
column_sorting = "name"
with_docs = "only-database-comments"
import_types = ["diesel::sql_types::*", "crate::types::*"]
custom_type_derives = ["diesel::query_builder::QueryId", "Clone"]
generate_missing_sql_type_definitions = false
sqlite_integer_primary_key_is_bigint = true
except_custom_type_definitions = ["^Vector$"]
pg_domains_as_custom_types = ["^email$"]
allow_tables_to_appear_in_same_query_config = "fk_related_tables"

[migrations_directory]
dir = "db/migrations"
"#,
    )
    .unwrap();
    assert_eq!(
        config,
        DieselToml {
            path: "/p/diesel.toml".into(),
            print_schema: vec![PrintSchema {
                name: None,
                file: Some("/p/src/schema.rs".into()),
                schema: Some("auth".into()),
                filter: Filter::OnlyTables(re(&["^users$", "posts"])),
                patch_file: Some("/p/src/schema.patch".into()),
                column_sorting: ColumnSorting::Name,
                with_docs: Some("only-database-comments".into()),
                import_types: Some(vec![
                    "diesel::sql_types::*".into(),
                    "crate::types::*".into()
                ]),
                custom_type_derives: Some(vec![
                    "diesel::query_builder::QueryId".into(),
                    "Clone".into()
                ]),
                generate_missing_sql_type_definitions: Some(false),
                sqlite_integer_primary_key_is_bigint: Some(true),
                except_custom_type_definitions: vec!["^Vector$".into()],
                pg_domains_as_custom_types: vec!["^email$".into()],
                allow_tables_to_appear_in_same_query_config: Some("fk_related_tables".into()),
            }],
            migrations_directory: Some("/p/db/migrations".into()),
            unknown_keys: vec![],
        }
    );
}

#[test]
fn several_named_sections_sorted_by_name_and_unknown_keys_are_tolerated() {
    let config = toml(
        r#"
[print_schema.default]
file = "src/schema.rs"
with_docs = true
some_future_option = 3

[print_schema.audit]
file = "src/audit/schema.rs"
schema = "audit"
filter = { except_tables = ["_log$"] }

[some_future_section]
x = 1
"#,
    )
    .unwrap();
    assert_eq!(
        config.print_schema,
        vec![
            PrintSchema {
                name: Some("audit".into()),
                file: Some("/p/src/audit/schema.rs".into()),
                schema: Some("audit".into()),
                filter: Filter::ExceptTables(re(&["_log$"])),
                ..PrintSchema::default()
            },
            PrintSchema {
                name: Some("default".into()),
                file: Some("/p/src/schema.rs".into()),
                with_docs: Some("true".into()),
                ..PrintSchema::default()
            },
        ]
    );
    assert_eq!(config.migrations_directory, None);
    assert_eq!(
        config.unknown_keys,
        vec![
            "some_future_section".to_owned(),
            "print_schema.default.some_future_option".to_owned()
        ]
    );
}

#[test]
fn unnamed_and_named_sections_together() {
    let config = toml(
        "[print_schema]\nfile = \"a.rs\"\nunknown_flag = true\n\n[print_schema.other]\nfile = \"b.rs\"\n",
    )
    .unwrap();
    let names: Vec<_> = config.print_schema.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, vec![None, Some("other".to_owned())]);
    assert_eq!(
        config.unknown_keys,
        vec!["print_schema.unknown_flag".to_owned()]
    );
}

#[test]
fn empty_print_schema_is_one_default_section_and_no_section_is_none() {
    let config = toml("[print_schema]\n").unwrap();
    assert_eq!(config.print_schema, vec![PrintSchema::default()]);
    let config = toml("").unwrap();
    assert_eq!(config.print_schema, vec![]);
}

#[test]
fn paths_are_relative_to_the_folder_of_diesel_toml() {
    let config = parse_diesel_toml(
        Path::new("/w/crates/db/diesel.toml"),
        "[print_schema]\nfile = \"../api/src/schema.rs\"\n[migrations_directory]\ndir = \"/abs/migrations\"\n",
    )
    .unwrap();
    assert_eq!(
        config.print_schema[0].file,
        Some(PathBuf::from("/w/crates/db/../api/src/schema.rs"))
    );
    assert_eq!(config.migrations_directory, Some("/abs/migrations".into()));
}

#[test]
fn filter_regexes_match_unanchored_like_diesel() {
    let only = Filter::OnlyTables(re(&["users"]));
    assert!(only.includes("users"));
    assert!(only.includes("users_archive"));
    assert!(!only.includes("posts"));
    let except = Filter::ExceptTables(re(&["^spatial_ref_sys$"]));
    assert!(!except.includes("spatial_ref_sys"));
    assert!(except.includes("users"));
    assert!(Filter::All.includes("anything"));
}

#[test]
fn filter_errors() {
    let both =
        toml("[print_schema]\nfilter = { only_tables = [\"a\"], except_tables = [\"b\"] }\n");
    assert_eq!(
        both.unwrap_err().to_string(),
        "invalid `/p/diesel.toml` at line 2, column 10: `only_tables` and `except_tables` cannot both be set"
    );
    let typo = toml("[print_schema]\nfilter = { only_table = [\"a\"] }\n");
    assert_eq!(
        typo.unwrap_err().to_string(),
        "invalid `/p/diesel.toml` at line 2, column 10: unknown field `only_table`, expected `only_tables` or `except_tables`"
    );
    let regex = toml("[print_schema.x]\nfilter = { only_tables = [\"users(\"] }\n");
    assert_eq!(
        regex.unwrap_err(),
        DiscoverError::BadRegex {
            path: "/p/diesel.toml".into(),
            key: "print_schema.x.filter.only_tables".into(),
            pattern: "users(".into(),
            message: "error: unclosed group".into(),
        }
    );
}

#[test]
fn not_toml_names_the_file_line_and_column() {
    let err = toml("[print_schema]\nfile = \"src/schema.rs\n").unwrap_err();
    assert_eq!(
        err,
        DiscoverError::InvalidToml {
            path: "/p/diesel.toml".into(),
            line: 2,
            column: 22,
            message: "invalid basic string, expected `\"`".into(),
        }
    );
}

#[test]
fn wrong_types_name_the_file_line_and_column() {
    let err = toml("[print_schema]\nfile = 3\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `/p/diesel.toml` at line 2, column 8: invalid type: integer `3`, expected path string"
    );
    let err = toml("[print_schema.a]\ncolumn_sorting = \"random\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `/p/diesel.toml` at line 2, column 18: unknown variant `random`, expected `ordinal_position` or `name`"
    );
    let err = toml("print_schema = 1\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `/p/diesel.toml` at line 1, column 16: invalid type: integer `1`, expected a [print_schema] table"
    );
    let err = toml("[migrations_directory]\ndir = [\"a\"]\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `/p/diesel.toml` at line 2, column 7: invalid type: sequence, expected path string"
    );
}

#[test]
fn read_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("diesel.toml");
    assert!(matches!(
        read_diesel_toml(&missing),
        Err(DiscoverError::Read { path, .. }) if path == missing
    ));
    fs::write(&missing, b"[print_schema]\nfile = \"\xff\"\n").unwrap();
    assert_eq!(
        read_diesel_toml(&missing),
        Err(DiscoverError::NotUtf8 { path: missing })
    );
}

// ---- migrations ----

fn migration(root: &Path, name: &str, up: &str) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("up.sql"), up).unwrap();
    fs::write(dir.join("down.sql"), "").unwrap();
    dir
}

fn names(d: &Discovered) -> Vec<&str> {
    d.migrations.iter().map(|m| m.name.as_str()).collect()
}

#[test]
fn order_follows_diesel_versions_across_naming_schemes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    migration(root, "2026-06-17-094708-0000_add_index", "");
    migration(root, "20170102131034_create_users", "");
    migration(root, "2017-08-31-230457_create_posts", "");
    migration(root, "00000000000000_diesel_initial_setup", "");
    migration(root, "2018-01-01-000000_rename", "");
    migration(root, "20180101000001_after_rename", "");
    migration(root, "20200101", "");
    let found = discover_migrations(root).unwrap();
    assert_eq!(
        names(&found),
        vec![
            "00000000000000_diesel_initial_setup",
            "20170102131034_create_users",
            "2017-08-31-230457_create_posts",
            "2018-01-01-000000_rename",
            "20180101000001_after_rename",
            "20200101",
            "2026-06-17-094708-0000_add_index",
        ]
    );
    let versions: Vec<&str> = found
        .migrations
        .iter()
        .map(|m| m.version.as_str())
        .collect();
    assert_eq!(
        versions,
        vec![
            "00000000000000",
            "20170102131034",
            "20170831230457",
            "20180101000000",
            "20180101000001",
            "20200101",
            "202606170947080000",
        ]
    );
    assert_eq!(
        found.migrations[1].dir,
        root.join("20170102131034_create_users")
    );
    assert!(found.migrations.iter().all(|m| m.run_in_transaction));
    assert_eq!(found.problems, vec![]);
}

#[test]
fn hidden_entries_files_and_folders_without_up_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    migration(root, "20200101000000_ok", "");
    migration(root, ".20190101000000_hidden", "");
    fs::create_dir(root.join(".git")).unwrap();
    fs::write(root.join(".keep"), "").unwrap();
    fs::write(root.join("README.md"), "").unwrap();
    fs::create_dir(root.join("20200202000000_empty")).unwrap();
    let only_down = root.join("20200303000000_only_down");
    fs::create_dir(&only_down).unwrap();
    fs::write(only_down.join("down.sql"), "").unwrap();
    fs::write(only_down.join(".up.sql"), "").unwrap();
    let found = discover_migrations(root).unwrap();
    assert_eq!(names(&found), vec!["20200101000000_ok"]);
    let mut problems = found.problems.clone();
    problems.sort_by(|a, b| a.path().cmp(b.path()));
    assert_eq!(
        problems,
        vec![
            DiscoverProblem::NoUpSql {
                path: root.join("20200202000000_empty")
            },
            DiscoverProblem::NoUpSql { path: only_down },
        ]
    );
    assert_eq!(
        problems[0].to_string(),
        format!(
            "`{}` holds no up.sql, so it is not a migration (diesel stops with \"unknown migration format\" on it)",
            root.join("20200202000000_empty").display()
        )
    );
}

#[test]
fn metadata_toml_run_in_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let off = migration(root, "20200101000000_off", "");
    fs::write(off.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
    let on = migration(root, "20200101000001_on", "");
    fs::write(
        on.join("metadata.toml"),
        "run_in_transaction = true\nother = 1\n",
    )
    .unwrap();
    migration(root, "20200101000002_none", "");
    let empty = migration(root, "20200101000003_empty_metadata", "");
    fs::write(empty.join("metadata.toml"), "# nothing\n").unwrap();
    let broken = migration(root, "20200101000004_broken", "");
    fs::write(
        broken.join("metadata.toml"),
        "run_in_transaction = \"no\"\n",
    )
    .unwrap();
    let found = discover_migrations(root).unwrap();
    let flags: Vec<(&str, bool)> = found
        .migrations
        .iter()
        .map(|m| (m.name.as_str(), m.run_in_transaction))
        .collect();
    assert_eq!(
        flags,
        vec![
            ("20200101000000_off", false),
            ("20200101000001_on", true),
            ("20200101000002_none", true),
            // diesel: a metadata.toml without the key means `false`
            ("20200101000003_empty_metadata", false),
            // diesel ignores a metadata.toml it cannot read
            ("20200101000004_broken", true),
        ]
    );
    assert_eq!(
        found.problems,
        vec![DiscoverProblem::BadMetadata {
            path: broken.join("metadata.toml"),
            message: "invalid type: string \"no\", expected a boolean".into(),
        }]
    );
}

#[cfg(unix)]
#[test]
fn symlinks_loops_and_dangling_links_never_hang() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("migrations");
    fs::create_dir(&root).unwrap();
    migration(&root, "20200101000000_real", "");
    let elsewhere = migration(tmp.path(), "shared_migration", "");
    symlink(&elsewhere, root.join("20200102000000_linked")).unwrap();
    symlink(
        root.join("20200103000000_loop"),
        root.join("20200103000000_loop"),
    )
    .unwrap();
    symlink(&root, root.join("20200104000000_parent")).unwrap();
    symlink(
        tmp.path().join("nowhere"),
        root.join("20200105000000_dangling"),
    )
    .unwrap();
    fs::write(tmp.path().join("file.sql"), "").unwrap();
    symlink(
        tmp.path().join("file.sql"),
        root.join("20200106000000_to_file"),
    )
    .unwrap();
    let found = discover_migrations(&root).unwrap();
    assert_eq!(
        names(&found),
        vec!["20200101000000_real", "20200102000000_linked"]
    );
    let mut problems: Vec<String> = found
        .problems
        .iter()
        .map(|p| {
            let name = p.path().file_name().unwrap().to_string_lossy().into_owned();
            let kind = match p {
                DiscoverProblem::NoUpSql { .. } => "no up.sql",
                DiscoverProblem::NotAFolder { .. } => "not a folder",
                DiscoverProblem::Unreadable { .. } => "unreadable",
                _ => "other",
            };
            format!("{name}: {kind}")
        })
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        vec![
            "20200103000000_loop: unreadable",
            "20200104000000_parent: no up.sql",
            "20200105000000_dangling: unreadable",
            "20200106000000_to_file: not a folder",
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_looping_migrations_dir_is_an_error() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    symlink(&dir, &dir).unwrap();
    let err = discover_migrations(&dir).unwrap_err();
    assert!(
        matches!(&err, DiscoverError::Read { path, .. } if *path == dir),
        "{err:?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn non_utf8_folder_names_are_read_lossily() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let name = OsStr::from_bytes(b"20200101000000_caf\xe9");
    let dir = tmp.path().join(name);
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("up.sql"), "").unwrap();
    let found = discover_migrations(tmp.path()).unwrap();
    assert_eq!(names(&found), vec!["20200101000000_caf\u{fffd}"]);
    assert_eq!(found.migrations[0].version, "20200101000000");
    assert_eq!(
        found.problems,
        vec![DiscoverProblem::NonUtf8Name {
            path: dir,
            lossy: "20200101000000_caf\u{fffd}".into()
        }]
    );
}

#[test]
fn duplicate_versions_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let a = migration(tmp.path(), "2020-01-01-000000_a", "");
    let b = migration(tmp.path(), "20200101000000_b", "");
    let found = discover_migrations(tmp.path()).unwrap();
    assert_eq!(
        names(&found),
        vec!["2020-01-01-000000_a", "20200101000000_b"]
    );
    assert_eq!(
        found.problems,
        vec![DiscoverProblem::DuplicateVersion {
            path: b,
            other: a,
            version: "20200101000000".into()
        }]
    );
}

#[test]
fn missing_empty_and_non_folder_migrations_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("migrations");
    assert_eq!(
        discover_migrations(&missing),
        Err(DiscoverError::MigrationsDirNotFound {
            path: missing.clone()
        })
    );
    assert_eq!(
        DiscoverError::MigrationsDirNotFound {
            path: missing.clone()
        }
        .to_string(),
        format!(
            "migrations directory `{}` does not exist",
            missing.display()
        )
    );
    fs::write(&missing, "").unwrap();
    assert_eq!(
        discover_migrations(&missing),
        Err(DiscoverError::MigrationsDirNotADirectory {
            path: missing.clone()
        })
    );
    fs::remove_file(&missing).unwrap();
    fs::create_dir(&missing).unwrap();
    assert_eq!(discover_migrations(&missing), Ok(Discovered::default()));
}

#[test]
fn default_migrations_dir_is_searched_upwards_within_the_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let pkg = ws.join("crates/api");
    fs::create_dir_all(&pkg).unwrap();
    assert_eq!(find_migrations_directory(&pkg, &ws), None);
    // above the workspace root: never picked up
    fs::create_dir(tmp.path().join("migrations")).unwrap();
    assert_eq!(find_migrations_directory(&pkg, &ws), None);
    fs::create_dir(ws.join("migrations")).unwrap();
    assert_eq!(
        find_migrations_directory(&pkg, &ws),
        Some(ws.join("migrations"))
    );
    fs::create_dir(pkg.join("migrations")).unwrap();
    assert_eq!(
        find_migrations_directory(&pkg, &ws),
        Some(pkg.join("migrations"))
    );
    // a package outside the workspace root: only its own folder
    let outside = tmp.path().join("other");
    fs::create_dir(&outside).unwrap();
    assert_eq!(find_migrations_directory(&outside, &ws), None);
}

#[test]
fn looking_into_folders_on_threads_finds_what_one_thread_finds() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for i in 0..80 {
        let name = format!("2020010100{i:04}_m");
        match i % 8 {
            1 => fs::create_dir(root.join(&name)).unwrap(),
            2 => {
                let dir = migration(root, &name, "SELECT 1;");
                fs::write(dir.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
            }
            3 => {
                let dir = migration(root, &name, "SELECT 1;");
                fs::write(dir.join("metadata.toml"), "run_in_transaction = [").unwrap();
            }
            4 => {
                migration(root, &format!("2020010100{i:04}_twin"), "");
                migration(root, &name, "");
            }
            _ => {
                migration(root, &name, "");
            }
        }
    }
    fs::write(root.join("README.md"), "").unwrap();
    let one = discover_migrations(root).unwrap();
    assert_eq!(one.migrations.len(), 80 - 10 + 10);
    assert_eq!(
        one.migrations
            .iter()
            .filter(|m| !m.run_in_transaction)
            .count(),
        10
    );
    // 10 folders without up.sql, 10 broken metadata.toml files, 10 duplicate versions
    assert_eq!(one.problems.len(), 30, "{:?}", one.problems);
    for threads in [0, 2, 3, 16] {
        assert_eq!(
            discover_migrations_on(root, &|_| threads).unwrap(),
            one,
            "{threads} threads"
        );
    }
}
