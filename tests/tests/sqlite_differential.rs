//! Differential test of the SQLite replay against SQLite itself (issue 5).
//!
//! diesel applies `tests/fixtures/sqlite_diff/migrations` (table rebuilds, ADD / RENAME /
//! DROP COLUMN, RENAME TO, partial and expression indexes, inline, table-level and composite
//! FKs, a WITHOUT ROWID table, a view, a trigger) to a temporary database file with the
//! bundled SQLite. Its pragmas (`pragma_table_info`, `pragma_foreign_key_list`,
//! `pragma_index_list`, `pragma_index_info`) are the ground truth; dbopt replays the same
//! files with `Backend::Sqlite`. Both sides are rendered as sorted lines and must be equal,
//! including the set of foreign keys no index covers. Then `schema_drift` must be silent on
//! the fixture's schema.rs and report exactly the edits of `src/schema_edited.rs`.
#![allow(
    clippy::print_stdout,
    reason = "the test shows what SQLite says and how dbopt differs"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dbopt_core::diagnostic::{Level, Reporter};
use dbopt_core::model::{Backend, IndexKey, IndexKind, Schema};
use dbopt_core::project::{ProjectInput, analyze};
use dbopt_core::rule::{Check, Rule};
use dbopt_core::source::SourceMap;
use dbopt_core::sql::discover::discover_migrations;
use dbopt_core::sql::{LoadedMigration, SchemaContext};
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sqlite_diff")
}

#[test]
fn replay_matches_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
    let db = dir.path().join("diff.sqlite3");
    let mut conn = SqliteConnection::establish(&db.display().to_string())
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", db.display()));
    let source = FileBasedMigrations::from_path(fixture().join("migrations"))
        .unwrap_or_else(|e| panic!("diesel rejects the fixture: {e}"));
    let applied = conn
        .run_pending_migrations(source)
        .unwrap_or_else(|e| panic!("diesel could not apply the fixture's migrations: {e}"));
    assert!(
        applied.len() >= 15,
        "the fixture must have 15 migrations or more"
    );
    let applied: Vec<String> = applied.iter().map(ToString::to_string).collect();

    let truth = read_pragmas(&mut conn);
    println!("SQLite after diesel's migrations:");
    for line in &truth {
        println!("  {line}");
    }

    let (sources, loaded) = load(&fixture().join("migrations"));
    let ours_order: Vec<String> = loaded.iter().map(|m| m.migration.version.clone()).collect();
    assert_eq!(ours_order, applied, "dbopt orders migrations like diesel");
    let replay = dbopt_core::sql::replay::replay(Backend::Sqlite, &sources, &loaded);
    assert_eq!(
        replay.unparsed,
        vec![],
        "every statement of the fixture parses"
    );
    let mut ours = render(&replay.schema);
    let ctx = SchemaContext {
        sources: &sources,
        backend: Backend::Sqlite,
        migrations: &loaded,
        replay: &replay,
        schema_files: &[],
    };
    ours.extend(uncovered_foreign_keys(&ctx));

    let missing: Vec<&String> = truth.difference(&ours).collect();
    let extra: Vec<&String> = ours.difference(&truth).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "dbopt's replay differs from SQLite\nonly in SQLite:\n  {}\nonly in dbopt:\n  {}",
        join(&missing),
        join(&extra)
    );
}

#[test]
fn schema_drift_is_silent_on_the_fixture_schema_and_finds_each_edit() {
    let findings = |schema: Option<&str>| -> Vec<String> {
        let input = ProjectInput {
            package_dir: fixture(),
            display_root: fixture(),
            package: "sqlite_diff".into(),
            schema: schema.map(|s| fixture().join(s)),
            backend: Some(Backend::Sqlite),
            ..ProjectInput::default()
        };
        let report = analyze(&input, &|r: &Rule| r.default_level);
        assert_eq!(report.errors, vec![], "the fixture project reads cleanly");
        report
            .diagnostics
            .iter()
            .filter(|d| d.rule == "schema_drift")
            .map(|d| {
                let span = &d.primary.span;
                let at = report.sources.line_col(span.file, span.range.start);
                format!(
                    "{}:{}: {}",
                    report.sources.path(span.file).display(),
                    at.line,
                    d.message
                )
            })
            .collect()
    };
    assert_eq!(findings(None), Vec::<String>::new());
    assert_eq!(
        findings(Some("src/schema_edited.rs")),
        vec![
            // The table was renamed (and rebuilt); schema.rs still has the old name.
            "migrations/2024-01-19-080000_rebuild_labels_the_old_way/up.sql:4: table `labels` is missing from src/schema_edited.rs",
            "src/schema_edited.rs:4: column `comments.created_at` is missing from schema.rs",
            "src/schema_edited.rs:7: column `comments.author_id` is NOT NULL in schema.rs but nullable in the migrations",
            "src/schema_edited.rs:21: schema.rs declares table `tags`, which the migrations do not create",
            // SQLite's NUMERIC is a Double for diesel.
            "src/schema_edited.rs:31: column `measurements.amount` is `Numeric` in schema.rs but `numeric(10,2)` (`Double`) in the migrations",
            // Made nullable by the table rebuild.
            "src/schema_edited.rs:60: column `posts.title` is NOT NULL in schema.rs but nullable in the migrations",
            "src/schema_edited.rs:63: column `posts.views` is `Integer` in schema.rs but `bigint` (`BigInt`) in the migrations",
            // Renamed to `content`.
            "src/schema_edited.rs:65: schema.rs declares column `posts.body`, which the migrations do not create",
            // A table without a primary key is keyed by diesel's implicit rowid.
            "src/schema_edited.rs:79: column `settings.rowid` is missing from schema.rs",
            "src/schema_edited.rs:79: primary key of `settings` is (user_id) in schema.rs but (rowid) in the migrations",
        ]
    );
}

/// The findings of the index rules over the fixture, through the project driver: the FKs
/// the differential test found uncovered (post_tags' now points at the `_labels_old` the
/// rename-first rebuild dropped, as in SQLite), and the one index the rebuilt `posts` made
/// redundant (its UNIQUE (user_id, title) leads with user_id).
#[test]
fn index_rules_on_the_fixture() {
    let input = ProjectInput {
        package_dir: fixture(),
        display_root: fixture(),
        package: "sqlite_diff".into(),
        backend: Some(Backend::Sqlite),
        ..ProjectInput::default()
    };
    let report = analyze(&input, &|r: &Rule| r.default_level);
    let found: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| matches!(d.rule, "fk_without_index" | "redundant_index"))
        .map(|d| {
            let span = &d.primary.span;
            let at = report.sources.line_col(span.file, span.range.start);
            let path = report.sources.path(span.file).display().to_string();
            let folder = path.split('/').nth(1).unwrap_or_default().to_owned();
            format!("{} {folder}:{}: {}", d.rule, at.line, d.message)
        })
        .collect();
    assert_eq!(
        found,
        vec![
            "fk_without_index 2024-01-10-090300_create_tags:9: foreign key post_tags(label_id) -> _labels_old has no index",
            "fk_without_index 2024-01-12-090000_rebuild_posts:10: foreign key posts(editor_id) -> users has no index",
            "redundant_index 2024-01-12-090000_rebuild_posts:17: index `posts_user_id_idx` on posts(user_id) is a prefix of index `sqlite_autoindex_posts_1`",
            "fk_without_index 2024-01-16-080000_self_reference:1: foreign key users(manager_id) -> users has no index",
            "fk_without_index 2024-01-17-080000_without_rowid_and_view:4: foreign key kv(owner_id) -> users has no index",
        ]
    );
}

fn join(lines: &[&String]) -> String {
    lines
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// The migrations in dbopt's (diesel's) order, each `up.sql` in a source map.
fn load(dir: &Path) -> (SourceMap, Vec<LoadedMigration>) {
    let discovered =
        discover_migrations(dir).unwrap_or_else(|e| panic!("dbopt cannot list migrations: {e}"));
    assert!(discovered.problems.is_empty(), "{:?}", discovered.problems);
    let mut sources = SourceMap::new();
    let loaded = discovered
        .migrations
        .into_iter()
        .map(|migration| {
            let path = migration.dir.join("up.sql");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let up_sql = sources.add(path, text);
            LoadedMigration { migration, up_sql }
        })
        .collect();
    (sources, loaded)
}

/// `fk_without_index` through the registry, as `uncovered T (cols)` lines.
fn uncovered_foreign_keys(ctx: &SchemaContext<'_>) -> Vec<String> {
    let rule = dbopt_core::rules::find("fk_without_index").expect("registered");
    // Refutable once code rules get their own `Check` variant.
    #[allow(irrefutable_let_patterns)]
    let Check::Schema(check) = rule.check else {
        panic!("`{}` is a schema rule", rule.name);
    };
    let mut out = Reporter::new();
    check(ctx, &mut out);
    out.into_diagnostics()
        .into_iter()
        .map(|d| {
            assert_eq!(d.level, Level::Deny);
            let columns: Vec<&str> = d.data["columns"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
                .unwrap_or_default();
            format!(
                "uncovered {} ({})",
                d.data["table"].as_str().unwrap_or_default(),
                columns.join(", ")
            )
        })
        .collect()
}

/// Type as compared: lower case, no spaces (`NUMERIC(10, 2)` and `numeric(10,2)` agree).
fn squash(t: &str) -> String {
    t.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// dbopt's model in the lines [`read_pragmas`] writes.
fn render(schema: &Schema) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for t in schema.tables.values() {
        let name = &t.name.name;
        lines.insert(format!("table {name}"));
        for (i, c) in t.columns.iter().enumerate() {
            let null = if c.nullable { "null" } else { "not null" };
            lines.insert(format!(
                "column {name} #{i} {} {} {null}",
                c.name,
                squash(&c.sql_type)
            ));
        }
        if !t.primary_key.is_empty() {
            lines.insert(format!("pk {name} ({})", t.primary_key.join(", ")));
        }
        for f in &t.foreign_keys {
            lines.insert(format!(
                "fk {name} ({}) -> {} ({})",
                f.columns.join(", "),
                f.referenced_table.name,
                f.referenced_columns.join(", ")
            ));
        }
        for i in &t.indexes {
            // The rowid is the table itself, not an index SQLite lists.
            if i.kind == IndexKind::PrimaryKey && i.name == "rowid" {
                continue;
            }
            let origin = match i.kind {
                IndexKind::PrimaryKey => "pk",
                IndexKind::UniqueConstraint => "u",
                IndexKind::Explicit | IndexKind::ForeignKey => "c",
            };
            let keys: Vec<&str> = i
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => c.as_str(),
                    IndexKey::Expression(_) => "<expr>",
                })
                .collect();
            lines.insert(format!(
                "index {name} {} {origin}{}{} ({})",
                i.name,
                if i.unique { " unique" } else { "" },
                if i.predicate.is_some() {
                    " partial"
                } else {
                    ""
                },
                keys.join(", ")
            ));
        }
    }
    lines
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text, column_name = "type")]
    ty: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Text)]
    child_column: String,
    #[diesel(sql_type = Nullable<Text>)]
    parent_column: Option<String>,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    is_unique: i32,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Integer)]
    partial: i32,
}

#[derive(QueryableByName)]
struct IndexColumnRow {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

/// What SQLite says, in the lines [`render`] writes, plus `uncovered T (cols)` for each FK
/// no index covers (by DESIGN.md's rule; the rowid, an `INTEGER PRIMARY KEY` of a rowid
/// table, covers its column).
fn read_pragmas(conn: &mut SqliteConnection) -> BTreeSet<String> {
    let tables: Vec<NameRow> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load(conn)
    .unwrap_or_else(|e| panic!("sqlite_master: {e}"));
    let mut lines = BTreeSet::new();
    for table in tables.iter().map(|t| t.name.as_str()) {
        lines.insert(format!("table {table}"));
        let columns: Vec<ColumnRow> =
            diesel::sql_query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)")
                .bind::<Text, _>(table)
                .load(conn)
                .unwrap_or_else(|e| panic!("pragma_table_info({table}): {e}"));
        for (i, c) in columns.iter().enumerate() {
            let null = if c.notnull != 0 { "not null" } else { "null" };
            lines.insert(format!(
                "column {table} #{i} {} {} {null}",
                c.name,
                squash(&c.ty)
            ));
        }
        let mut pk: Vec<&ColumnRow> = columns.iter().filter(|c| c.pk > 0).collect();
        pk.sort_by_key(|c| c.pk);
        let pk: Vec<String> = pk.iter().map(|c| c.name.clone()).collect();
        if !pk.is_empty() {
            lines.insert(format!("pk {table} ({})", pk.join(", ")));
        }
        let without_rowid: Vec<NameRow> =
            diesel::sql_query("SELECT name FROM pragma_table_list(?) WHERE wr = 1")
                .bind::<Text, _>(table)
                .load(conn)
                .unwrap_or_else(|e| panic!("pragma_table_list({table}): {e}"));
        let rowid_column = match (pk.as_slice(), without_rowid.is_empty()) {
            ([only], true) => columns
                .iter()
                .find(|c| &c.name == only && c.ty.eq_ignore_ascii_case("integer"))
                .map(|c| c.name.clone()),
            _ => None,
        };

        // Indexes: (plain leading columns or None for an expression, partial).
        let indexes: Vec<IndexRow> = diesel::sql_query(
            "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list(?)",
        )
        .bind::<Text, _>(table)
        .load(conn)
        .unwrap_or_else(|e| panic!("pragma_index_list({table}): {e}"));
        let mut index_keys: Vec<(Vec<Option<String>>, bool)> = Vec::new();
        for i in &indexes {
            let keys: Vec<IndexColumnRow> =
                diesel::sql_query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind::<Text, _>(&i.name)
                    .load(conn)
                    .unwrap_or_else(|e| panic!("pragma_index_info({}): {e}", i.name));
            let shown: Vec<&str> = keys
                .iter()
                .map(|k| k.name.as_deref().unwrap_or("<expr>"))
                .collect();
            lines.insert(format!(
                "index {table} {} {}{}{} ({})",
                i.name,
                i.origin,
                if i.is_unique != 0 { " unique" } else { "" },
                if i.partial != 0 { " partial" } else { "" },
                shown.join(", ")
            ));
            index_keys.push((keys.into_iter().map(|k| k.name).collect(), i.partial != 0));
        }
        if let Some(c) = &rowid_column {
            index_keys.push((vec![Some(c.clone())], false));
        }

        let fks: Vec<ForeignKeyRow> = diesel::sql_query(
            "SELECT id, \"table\" AS parent, \"from\" AS child_column, \"to\" AS parent_column \
             FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind::<Text, _>(table)
        .load(conn)
        .unwrap_or_else(|e| panic!("pragma_foreign_key_list({table}): {e}"));
        let mut ids: Vec<i32> = fks.iter().map(|f| f.id).collect();
        ids.dedup();
        for id in ids {
            let parts: Vec<&ForeignKeyRow> = fks.iter().filter(|f| f.id == id).collect();
            let parent = parts[0].parent.clone();
            let child: Vec<String> = parts.iter().map(|f| f.child_column.clone()).collect();
            let mut referenced: Vec<String> = parts
                .iter()
                .filter_map(|f| f.parent_column.clone())
                .collect();
            if referenced.is_empty() {
                referenced = primary_key_of(conn, &parent);
            }
            lines.insert(format!(
                "fk {table} ({}) -> {parent} ({})",
                child.join(", "),
                referenced.join(", ")
            ));
            let covered = index_keys.iter().any(|(keys, partial)| {
                !partial
                    && keys.len() >= child.len()
                    && keys[..child.len()].iter().all(Option::is_some)
                    && {
                        let mut lead: Vec<&str> = keys[..child.len()]
                            .iter()
                            .filter_map(|k| k.as_deref())
                            .collect();
                        let mut want: Vec<&str> = child.iter().map(String::as_str).collect();
                        lead.sort_unstable();
                        want.sort_unstable();
                        lead == want
                    }
            });
            if !covered {
                lines.insert(format!("uncovered {table} ({})", child.join(", ")));
            }
        }
    }
    lines
}

fn primary_key_of(conn: &mut SqliteConnection, table: &str) -> Vec<String> {
    let columns: Vec<ColumnRow> =
        diesel::sql_query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)")
            .bind::<Text, _>(table)
            .load(conn)
            .unwrap_or_else(|e| panic!("pragma_table_info({table}): {e}"));
    let mut pk: Vec<&ColumnRow> = columns.iter().filter(|c| c.pk > 0).collect();
    pk.sort_by_key(|c| c.pk);
    pk.iter().map(|c| c.name.clone()).collect()
}
