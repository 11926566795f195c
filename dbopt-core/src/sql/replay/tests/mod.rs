//! Replay tests. Every expected name was checked against PostgreSQL 15 (or MariaDB / SQLite
//! for their dialect tests) by running the same migrations and reading the catalogs.
//!
//! The tests assert on the model only, never on statement ranges, so they hold with any
//! splitter; a migration with a statement sqlparser rejects is kept in its own file.

mod alter_table;
mod create_table;
mod dialects;
mod drop;
mod index;
mod statements;

use std::fmt::Write;
use std::path::PathBuf;

use crate::model::{Backend, IndexKey, IndexKind, Schema, Table};
use crate::source::SourceMap;
use crate::sql::{LoadedMigration, Migration, Replay};

/// Replays one `up.sql` per string, in order.
fn run(backend: Backend, files: &[&str]) -> (SourceMap, Vec<LoadedMigration>, Replay) {
    let mut sources = SourceMap::new();
    let migrations: Vec<LoadedMigration> = files
        .iter()
        .enumerate()
        .map(|(i, sql)| {
            let name = format!("2024-01-01-{i:06}_m{i}");
            let up_sql = sources.add(format!("migrations/{name}/up.sql"), *sql);
            LoadedMigration {
                migration: Migration {
                    version: format!("20240101{i:06}"),
                    name: name.clone(),
                    dir: PathBuf::from(format!("migrations/{name}")),
                    run_in_transaction: true,
                },
                up_sql,
            }
        })
        .collect();
    let replay = super::replay(backend, &sources, &migrations);
    (sources, migrations, replay)
}

fn pg(files: &[&str]) -> Schema {
    let (_, _, replay) = run(Backend::Postgres, files);
    assert_eq!(replay.unparsed, vec![], "every statement parses");
    replay.schema
}

fn table<'a>(schema: &'a Schema, name: &str) -> &'a Table {
    schema
        .tables
        .values()
        .find(|t| t.name.to_string() == name)
        .unwrap_or_else(|| panic!("no table {name} in {:?}", schema.tables.keys()))
}

/// The whole model as text, one line per object, in catalog-like order.
fn dump(schema: &Schema) -> String {
    let mut out = String::new();
    for s in &schema.schemas {
        let _ = writeln!(out, "schema {s}");
    }
    for t in schema.tables.values() {
        let _ = writeln!(out, "table {}", t.name);
        for c in &t.columns {
            let null = if c.nullable { "null" } else { "not null" };
            let _ = writeln!(out, "  col {} {} {null}", c.name, c.sql_type);
        }
        if !t.primary_key.is_empty() {
            let _ = writeln!(out, "  pk ({})", t.primary_key.join(", "));
        }
        for f in &t.foreign_keys {
            let valid = if f.validated { "" } else { " not valid" };
            let _ = writeln!(
                out,
                "  fk {} ({}) -> {} ({}){valid}",
                f.name,
                f.columns.join(", "),
                f.referenced_table,
                f.referenced_columns.join(", "),
            );
        }
        for i in &t.indexes {
            let kind = match i.kind {
                IndexKind::Explicit => "index",
                IndexKind::PrimaryKey => "primary",
                IndexKind::UniqueConstraint => "unique constraint",
                IndexKind::ForeignKey => "fk index",
            };
            let unique = if i.unique { " unique" } else { "" };
            let keys: Vec<String> = i
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => c.clone(),
                    IndexKey::Expression(e) => format!("[{e}]"),
                })
                .collect();
            let _ = write!(
                out,
                "  {kind} {}{unique} {} ({})",
                i.name,
                i.method,
                keys.join(", ")
            );
            if !i.include.is_empty() {
                let _ = write!(out, " include ({})", i.include.join(", "));
            }
            if let Some(p) = &i.predicate {
                let _ = write!(out, " where [{p}]");
            }
            out.push('\n');
        }
    }
    out
}

/// `dump` after replaying on PostgreSQL, checked for unparsed statements.
fn pg_dump(files: &[&str]) -> String {
    dump(&pg(files))
}

/// A replay state after `sql` (parsed whole by sqlparser), for feeding it statement kinds
/// that only the keyword handlers of the splitter produce.
fn state_after(backend: Backend, sql: &str) -> super::State {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut state = super::State::new(backend);
    let statements = sqlparser::parser::Parser::parse_sql(&dialect, sql).expect("test SQL parses");
    for s in statements {
        state.apply_statement(&crate::sql::StatementKind::Parsed(Box::new(s)));
    }
    state
}
