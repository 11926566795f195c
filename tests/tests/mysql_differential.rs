//! Differential test of the MySQL replay against a MySQL-family server (issue 5).
//!
//! diesel applies `tests/fixtures/mysql_diff/migrations` (InnoDB's automatic FK indexes,
//! SERIAL, MODIFY / CHANGE / RENAME COLUMN, RENAME TO, DROP INDEX .. ON, DROP FOREIGN KEY,
//! composite keys, a view, a drop-and-recreate with the FK checks off) to a fresh database on
//! the server named by `DBOPT_TEST_MYSQL_URL` (e.g. `mysql://root@127.0.0.1:3306`).
//! information_schema
//! (COLUMNS, STATISTICS, KEY_COLUMN_USAGE, REFERENTIAL_CONSTRAINTS) is the ground truth;
//! dbopt replays the same files with `Backend::Mysql`. Both sides are rendered as sorted
//! lines and must be equal, including the indexes InnoDB creates for foreign keys, and
//! `fk_without_index` must be silent.
//!
//! Without the variable the test fails under CI and otherwise says loudly that it did not
//! run and why.
#![allow(clippy::print_stdout, reason = "the test shows what the server says")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use dbopt_core::diagnostic::Reporter;
use dbopt_core::model::{Backend, IndexKey, Schema};
use dbopt_core::rule::Check;
use dbopt_core::schema_rs::{SchemaRsInput, parse_schema_rs};
use dbopt_core::source::SourceMap;
use dbopt_core::sql::discover::discover_migrations;
use dbopt_core::sql::types::{SqlFamily, from_sql, upper_camel};
use dbopt_core::sql::{LoadedMigration, SchemaContext};
use diesel::sql_types::{Nullable, Text};
use diesel::{Connection, MysqlConnection, QueryableByName, RunQueryDsl};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

const URL_VAR: &str = "DBOPT_TEST_MYSQL_URL";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mysql_diff")
}

/// The server URL, or `None` (after saying why) when the test cannot run here.
fn server_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_owned()),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{URL_VAR} is not set but CI is: .ci/run must start MariaDB and export \
             {URL_VAR}=mysql://root@127.0.0.1:3306"
        ),
        _ => {
            // Straight to the stderr handle: the test harness captures `eprintln!`, and
            // this must show even when the test "passes".
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! mysql_differential DID NOT RUN: {URL_VAR} is not set.\n\
                 !!! Start MariaDB/MySQL and run with \
                 {URL_VAR}=mysql://root@127.0.0.1:3306 to compare dbopt's MySQL replay with \
                 the server.\n"
            );
            None
        }
    }
}

/// A database made for this test, dropped when the test ends (also on failure).
struct TestDatabase {
    server: String,
    name: String,
}

impl TestDatabase {
    fn create(server: &str) -> Self {
        let name = format!(
            "dbopt_mysql_diff_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let mut conn = MysqlConnection::establish(server)
            .unwrap_or_else(|e| panic!("cannot connect to {server} ({URL_VAR}): {e}"));
        diesel::sql_query(format!("CREATE DATABASE `{name}`"))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("cannot create database {name} on {server}: {e}"));
        TestDatabase {
            server: server.to_owned(),
            name,
        }
    }

    fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = MysqlConnection::establish(&self.server) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS `{}`", self.name))
                .execute(&mut conn);
        }
    }
}

#[test]
fn replay_matches_mysql() {
    let Some(server) = server_url() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let mut conn = MysqlConnection::establish(&db.url())
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", db.name));
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

    let version: Vec<TextRow> = diesel::sql_query("SELECT VERSION() AS value")
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("VERSION(): {e}"));
    let truth = read_information_schema(&mut conn, &db.name);
    println!(
        "information_schema of {} on {} after diesel's migrations:",
        db.name,
        version.first().map_or("?", |v| v.value.as_str())
    );
    for line in &truth {
        println!("  {line}");
    }

    let (sources, loaded) = load(&fixture().join("migrations"));
    let ours_order: Vec<String> = loaded.iter().map(|m| m.migration.version.clone()).collect();
    assert_eq!(ours_order, applied, "dbopt orders migrations like diesel");
    let replay = dbopt_core::sql::replay::replay(Backend::Mysql, &sources, &loaded);
    assert_eq!(
        replay.unparsed,
        vec![],
        "every statement of the fixture parses"
    );
    let ours = render(&replay.schema);

    let missing: Vec<&String> = truth.difference(&ours).collect();
    let extra: Vec<&String> = ours.difference(&truth).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "dbopt's replay differs from the server\nonly on the server:\n  {}\nonly in dbopt:\n  {}",
        join(&missing),
        join(&extra)
    );

    // InnoDB indexes every FK: the rule stays silent, and so does the model's coverage.
    let ctx = SchemaContext {
        sources: &sources,
        backend: Backend::Mysql,
        migrations: &loaded,
        replay: &replay,
        schema_files: &[],
    };
    let rule = dbopt_core::rules::find("fk_without_index").expect("registered");
    // Refutable once code rules get their own `Check` variant.
    #[allow(irrefutable_let_patterns)]
    let Check::Schema(check) = rule.check else {
        panic!("`{}` is a schema rule", rule.name);
    };
    let mut out = Reporter::new();
    check(&ctx, &mut out);
    assert_eq!(out.into_diagnostics(), vec![]);

    // schema_drift against the schema.rs diesel print-schema derives from this database.
    let printed = print_schema(&mut conn, &db.name);
    println!("print-schema's rules give:\n{printed}");
    assert_eq!(
        schema_drift(&sources, &loaded, &replay, &printed),
        Vec::<String>::new()
    );
    let edited = printed
        .replace(
            "        id -> Unsigned<Bigint>,\n        user_id",
            "        id -> Bigint,\n        user_id",
        )
        .replace("        content -> Nullable<Mediumtext>,\n", "");
    assert_eq!(
        schema_drift(&sources, &loaded, &replay, &edited),
        vec![
            "column `posts.id` is `Bigint` in schema.rs but `bigint unsigned` (`Unsigned<BigInt>`) in the migrations",
            "column `posts.content` is missing from schema.rs",
        ]
    );
}

/// The messages of `schema_drift` for one schema.rs text.
fn schema_drift(
    sources: &SourceMap,
    loaded: &[LoadedMigration],
    replay: &dbopt_core::sql::Replay,
    schema_rs: &str,
) -> Vec<String> {
    let mut sources = sources.clone();
    let file = sources.add("src/schema.rs", schema_rs);
    let parsed = parse_schema_rs(SchemaRsInput {
        file,
        path: Path::new("src/schema.rs"),
        text: schema_rs,
        default_schema: None,
        backend: Backend::Mysql,
    })
    .unwrap_or_else(|e| panic!("the generated schema.rs does not parse: {e}"));
    let files = [parsed];
    let ctx = SchemaContext {
        sources: &sources,
        backend: Backend::Mysql,
        migrations: loaded,
        replay,
        schema_files: &files,
    };
    let rule = dbopt_core::rules::find("schema_drift").expect("registered");
    // Refutable once code rules get their own `Check` variant.
    #[allow(irrefutable_let_patterns)]
    let Check::Schema(check) = rule.check else {
        panic!("`{}` is a schema rule", rule.name);
    };
    let mut out = Reporter::new();
    check(&ctx, &mut out);
    out.into_diagnostics()
        .into_iter()
        .map(|d| d.message)
        .collect()
}

/// diesel_cli 2.3's MySQL `determine_type_name` / `determine_unsigned` and its table!
/// layout: the schema.rs `diesel print-schema` writes for this database (custom types for
/// `enum` columns in a `sql_types` module, as `generate_missing_sql_type_definitions`
/// does by default).
fn print_schema(conn: &mut MysqlConnection, db: &str) -> String {
    let columns: Vec<ColumnRow> = diesel::sql_query(
        "SELECT CAST(c.TABLE_NAME AS CHAR) AS table_name, CAST(c.COLUMN_NAME AS CHAR) AS column_name, \
         CAST(c.ORDINAL_POSITION AS CHAR) AS position, CAST(c.IS_NULLABLE AS CHAR) AS nullable, \
         CAST(c.COLUMN_TYPE AS CHAR) AS column_type \
         FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
           ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
         WHERE c.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE' \
           AND c.TABLE_NAME NOT LIKE '\\_\\_%' \
         ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
    )
    .bind::<Text, _>(db)
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.COLUMNS: {e}"));
    let keys: Vec<IndexRow> = diesel::sql_query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(INDEX_NAME AS CHAR) AS index_name, \
         CAST(NON_UNIQUE AS CHAR) AS non_unique, CAST(COLUMN_NAME AS CHAR) AS column_name \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY' \
         ORDER BY TABLE_NAME, SEQ_IN_INDEX",
    )
    .bind::<Text, _>(db)
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.STATISTICS: {e}"));
    let mut custom: Vec<String> = Vec::new();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &columns {
        let t = c.column_type.to_lowercase();
        let base = if t == "tinyint(1)" {
            "bool".to_owned()
        } else if t.starts_with("int") {
            "integer".to_owned()
        } else {
            t.split('(').next().unwrap_or_default().to_owned()
        };
        let base = base.replace("unsigned", "").trim().to_owned();
        let mut rust = upper_camel(&base);
        if !DIESEL_MYSQL_TYPES.contains(&rust.as_str()) {
            let name = upper_camel(&format!("{} {} {}", c.table_name, c.column_name, base));
            custom.push(format!(
                "    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]\n    \
                 #[diesel(mysql_type(name = \"{rust}\"))]\n    pub struct {name};\n"
            ));
            rust = name;
        }
        if t.contains("unsigned") {
            rust = format!("Unsigned<{rust}>");
        }
        if c.nullable == "YES" {
            rust = format!("Nullable<{rust}>");
        }
        tables
            .entry(c.table_name.clone())
            .or_default()
            .push(format!("        {} -> {rust},\n", c.column_name));
    }
    let mut out = String::from("// @generated automatically by Diesel CLI.\n\n");
    if !custom.is_empty() {
        out.push_str("pub mod sql_types {\n");
        out.push_str(&custom.join("\n"));
        out.push_str("}\n\n");
    }
    for (table, cols) in &tables {
        let pk: Vec<&str> = keys
            .iter()
            .filter(|k| &k.table_name == table)
            .filter_map(|k| k.column_name.as_deref())
            .collect();
        out.push_str(&format!(
            "diesel::table! {{\n    use diesel::sql_types::*;\n    use super::sql_types::*;\n\n    \
             {table} ({}) {{\n{}    }}\n}}\n\n",
            pk.join(", "),
            cols.concat()
        ));
    }
    out
}

/// diesel_cli's `common_diesel_types` plus `mysql_diesel_types`.
const DIESEL_MYSQL_TYPES: &[&str] = &[
    "Bool",
    "Integer",
    "SmallInt",
    "BigInt",
    "Binary",
    "Text",
    "Double",
    "Float",
    "Numeric",
    "Timestamp",
    "Date",
    "Time",
    "Float4",
    "Smallint",
    "Int2",
    "Int4",
    "Int8",
    "Bigint",
    "Float8",
    "Decimal",
    "VarChar",
    "Varchar",
    "Char",
    "Tinytext",
    "Mediumtext",
    "Longtext",
    "Tinyblob",
    "Blob",
    "Mediumblob",
    "Longblob",
    "Varbinary",
    "Bit",
    "TinyInt",
    "Tinyint",
    "Datetime",
    "Json",
];

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

/// The diesel type family, compared instead of the spelling (`int(11)` and `INT` agree).
/// MariaDB stores JSON as LONGTEXT, so JSON is shown as text.
fn family(written: &str) -> String {
    match from_sql(Backend::Mysql, written) {
        SqlFamily::Diesel("Json") => "Text".to_owned(),
        other => other.to_string(),
    }
}

/// dbopt's model in the lines [`read_information_schema`] writes; a foreign key that no
/// index covers (by DESIGN.md's rule) adds an `uncovered` line.
fn render(schema: &Schema) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for t in schema.tables.values() {
        let name = &t.name.name;
        lines.insert(format!("table {name}"));
        for (i, c) in t.columns.iter().enumerate() {
            let null = if c.nullable { "null" } else { "not null" };
            lines.insert(format!(
                "column {name} #{} {} {} {null}",
                i + 1,
                c.name,
                family(&c.sql_type)
            ));
        }
        if !t.primary_key.is_empty() {
            lines.insert(format!("pk {name} ({})", t.primary_key.join(", ")));
        }
        for f in &t.foreign_keys {
            lines.insert(format!(
                "fk {name} {} ({}) -> {} ({})",
                f.name,
                f.columns.join(", "),
                f.referenced_table.name,
                f.referenced_columns.join(", ")
            ));
            if !t.is_covered(&f.columns) {
                lines.insert(format!("uncovered {name} ({})", f.columns.join(", ")));
            }
        }
        for i in &t.indexes {
            let keys: Vec<&str> = i
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => c.as_str(),
                    IndexKey::Expression(_) => "<expr>",
                })
                .collect();
            lines.insert(format!(
                "index {name} {}{} ({})",
                i.name,
                if i.unique { " unique" } else { "" },
                keys.join(", ")
            ));
        }
    }
    lines
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    position: String,
    #[diesel(sql_type = Text)]
    nullable: String,
    #[diesel(sql_type = Text)]
    column_type: String,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Text)]
    non_unique: String,
    #[diesel(sql_type = Nullable<Text>)]
    column_name: Option<String>,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    constraint_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    referenced_table: String,
    #[diesel(sql_type = Text)]
    referenced_column: String,
}

/// `(table, index or constraint name)`.
type TableObject = (String, String);
/// `(unique, key columns; None for an expression)`.
type IndexFacts = (bool, Vec<Option<String>>);
/// `(referenced table, columns, referenced columns)`.
type ForeignKeyFacts = (String, Vec<String>, Vec<String>);

/// What the server says, in the lines [`render`] writes.
fn read_information_schema(conn: &mut MysqlConnection, db: &str) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    let tables: Vec<TextRow> = diesel::sql_query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS value FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' \
         AND TABLE_NAME <> '__diesel_schema_migrations'",
    )
    .bind::<Text, _>(db)
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.TABLES: {e}"));
    let tables: BTreeSet<String> = tables.into_iter().map(|t| t.value).collect();
    for t in &tables {
        lines.insert(format!("table {t}"));
    }

    let columns: Vec<ColumnRow> = diesel::sql_query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(COLUMN_NAME AS CHAR) AS column_name, \
         CAST(ORDINAL_POSITION AS CHAR) AS position, CAST(IS_NULLABLE AS CHAR) AS nullable, \
         CAST(COLUMN_TYPE AS CHAR) AS column_type \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?",
    )
    .bind::<Text, _>(db)
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.COLUMNS: {e}"));
    for c in columns.iter().filter(|c| tables.contains(&c.table_name)) {
        let null = if c.nullable == "YES" {
            "null"
        } else {
            "not null"
        };
        lines.insert(format!(
            "column {} #{} {} {} {null}",
            c.table_name,
            c.position,
            c.column_name,
            family(&c.column_type)
        ));
    }

    let stats: Vec<IndexRow> = diesel::sql_query(
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(INDEX_NAME AS CHAR) AS index_name, \
         CAST(NON_UNIQUE AS CHAR) AS non_unique, CAST(COLUMN_NAME AS CHAR) AS column_name \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .bind::<Text, _>(db)
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.STATISTICS: {e}"));
    let mut indexes: BTreeMap<TableObject, IndexFacts> = BTreeMap::new();
    for s in stats.into_iter().filter(|s| tables.contains(&s.table_name)) {
        let entry = indexes
            .entry((s.table_name, s.index_name))
            .or_insert((s.non_unique == "0", Vec::new()));
        entry.1.push(s.column_name);
    }
    for ((table, index), (unique, keys)) in &indexes {
        let shown: Vec<&str> = keys
            .iter()
            .map(|k| k.as_deref().unwrap_or("<expr>"))
            .collect();
        lines.insert(format!(
            "index {table} {index}{} ({})",
            if *unique { " unique" } else { "" },
            shown.join(", ")
        ));
        if index == "PRIMARY" {
            lines.insert(format!("pk {table} ({})", shown.join(", ")));
        }
    }

    let fks: Vec<ForeignKeyRow> = diesel::sql_query(
        "SELECT CAST(k.TABLE_NAME AS CHAR) AS table_name, \
         CAST(k.CONSTRAINT_NAME AS CHAR) AS constraint_name, \
         CAST(k.COLUMN_NAME AS CHAR) AS column_name, \
         CAST(k.REFERENCED_TABLE_NAME AS CHAR) AS referenced_table, \
         CAST(k.REFERENCED_COLUMN_NAME AS CHAR) AS referenced_column \
         FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
          AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = ? ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
    )
    .bind::<Text, _>(db)
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.KEY_COLUMN_USAGE: {e}"));
    let mut grouped: BTreeMap<TableObject, ForeignKeyFacts> = BTreeMap::new();
    for f in fks {
        let entry = grouped.entry((f.table_name, f.constraint_name)).or_insert((
            f.referenced_table,
            Vec::new(),
            Vec::new(),
        ));
        entry.1.push(f.column_name);
        entry.2.push(f.referenced_column);
    }
    for ((table, name), (parent, columns, referenced)) in &grouped {
        lines.insert(format!(
            "fk {table} {name} ({}) -> {parent} ({})",
            columns.join(", "),
            referenced.join(", ")
        ));
        let covered = indexes.iter().any(|((t, _), (_, keys))| {
            t == table && keys.len() >= columns.len() && {
                let mut lead: Vec<&str> = keys[..columns.len()]
                    .iter()
                    .filter_map(|k| k.as_deref())
                    .collect();
                let mut want: Vec<&str> = columns.iter().map(String::as_str).collect();
                lead.sort_unstable();
                want.sort_unstable();
                lead == want
            }
        });
        if !covered {
            lines.insert(format!("uncovered {table} ({})", columns.join(", ")));
        }
    }
    lines
}
