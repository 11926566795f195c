//! `fk_without_index`: a foreign key whose referencing columns no index covers.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::diagnostic::{Applicability, Diagnostic, Fix, Level, Reporter};
use crate::model::{Backend, ForeignKey, QualName, Table};
use crate::rule::{Check, Group, Rule};
use crate::sql::SchemaContext;
use crate::sql::naming::{index_name, quote_ident, quote_qualified};

pub static RULE: Rule = Rule {
    name: "fk_without_index",
    group: Group::Performance,
    default_level: Level::Deny,
    summary: "a foreign key whose referencing columns have no index",
    docs: r#"## What it does
Finds foreign keys whose referencing columns are not covered by an index on the referencing
table, after replaying every migration in diesel's order.

An FK is covered when an index on the same table is valid, not partial, and its first n key
columns (n = the FK's column count; `INCLUDE` columns do not count) are plain columns whose
set equals the FK's columns. A composite index whose FK column is second does not cover it.

## Why is this bad
PostgreSQL and SQLite index the referenced side (the primary key) but never the referencing
side. Every `DELETE` or key `UPDATE` on the parent then scans the whole child table to check
the constraint, under a lock, and every join or `belonging_to` query from parent to children
is a sequential scan. It is invisible on a small development database and an outage on a
large one.

## Example
```sql
CREATE TABLE posts (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id)
);
```

## Use instead
Add the index in a new migration. On PostgreSQL build it without blocking writes: the
statement must be the only one in its `up.sql`, and the folder's `metadata.toml` must say
`run_in_transaction = false`, because `CREATE INDEX CONCURRENTLY` cannot run in a transaction.
```sql
CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_id_idx ON posts (user_id);
```

## Configuration
Level: `fk_without_index = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`, or
`-A fk_without_index` on the command line; one statement: `-- dbopt: allow(fk_without_index)`.

## Known limitations
MySQL/InnoDB creates an index for every foreign key itself, so the rule never fires there.
Indexes created outside the migrations (by hand, by another tool) are not seen.
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    if ctx.backend == Backend::Mysql {
        return;
    }
    let mut names = IndexNames::new(&ctx.replay.schema);
    for table in ctx.replay.schema.tables.values() {
        for fk in &table.foreign_keys {
            if !table.is_covered(&fk.columns) {
                let name = names.choose(table, &fk.columns);
                out.report(finding(ctx, table, fk, name));
            }
        }
    }
}

/// Names for the suggested indexes. PostgreSQL and SQLite keep index names in one namespace
/// with the tables of their schema (a table renamed away keeps its indexes' names), so a
/// name is free only when no relation of the schema and no earlier suggestion has it.
/// Foreign keys on the same columns of one table share a suggestion.
struct IndexNames {
    /// Relation names per schema: tables and their indexes, and the names chosen so far.
    taken: HashSet<(String, String)>,
    /// (table, sorted columns) -> the name suggested for them.
    chosen: HashMap<(QualName, Vec<String>), String>,
}

impl IndexNames {
    fn new(schema: &crate::model::Schema) -> Self {
        let mut taken = HashSet::new();
        for table in schema.tables.values() {
            taken.insert((table.name.schema.clone(), table.name.name.clone()));
            for index in &table.indexes {
                taken.insert((table.name.schema.clone(), index.name.clone()));
            }
        }
        IndexNames {
            taken,
            chosen: HashMap::new(),
        }
    }

    fn choose(&mut self, table: &Table, columns: &[String]) -> String {
        let mut sorted = columns.to_vec();
        sorted.sort();
        let key = (table.name.clone(), sorted);
        if let Some(name) = self.chosen.get(&key) {
            return name.clone();
        }
        let schema = &table.name.schema;
        let taken = &self.taken;
        let name = index_name(&table.name.name, columns, "idx", |n| {
            taken.contains(&(schema.clone(), n.to_owned()))
        });
        self.taken.insert((schema.clone(), name.clone()));
        self.chosen.insert(key, name.clone());
        name
    }
}

fn finding(ctx: &SchemaContext<'_>, table: &Table, fk: &ForeignKey, name: String) -> Diagnostic {
    let cols = fk.columns.join(", ");
    let concurrently = if ctx.backend == Backend::Postgres {
        "CONCURRENTLY "
    } else {
        ""
    };
    let quoted_cols: Vec<String> = fk.columns.iter().map(|c| quote_ident(c)).collect();
    let sql = format!(
        "CREATE INDEX {concurrently}IF NOT EXISTS {} ON {} ({});",
        quote_ident(&name),
        quote_qualified(&table.name),
        quoted_cols.join(", ")
    );
    let mut help = format!("add an index in a new migration: `{sql}`");
    if ctx.backend == Backend::Postgres {
        help.push_str(
            "\n(as the only statement of its up.sql, with `run_in_transaction = false` in the \
             migration's metadata.toml)",
        );
    }
    let mut d = Diagnostic::new(
        &RULE,
        format!(
            "foreign key {}({cols}) -> {} has no index",
            table.name, fk.referenced_table
        ),
        fk.origin.span.clone(),
    )
    .with_label(format!(
        "`{}({cols})` is not covered by any index",
        table.name
    ))
    .with_help(help)
    .with_fix(Fix {
        title: format!("add an index on {}({cols})", table.name),
        sql,
        applicability: Applicability::Safe,
    })
    .with_data(json!({
        "table": table.name.to_string(),
        "columns": fk.columns,
        "referenced_table": fk.referenced_table.to_string(),
        "referenced_columns": fk.referenced_columns,
        "constraint": fk.name,
        "index_name": name,
        "table_schema": table.name.schema,
    }));
    if table.origin.span.file != fk.origin.span.file {
        d = d.with_secondary(
            table.origin.span.clone(),
            format!("table `{}` created here", table.name),
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::source::SourceMap;
    use crate::sql::{LoadedMigration, Migration};

    /// Replays one migration per SQL text, in order, and runs the rule.
    fn findings(backend: Backend, files: &[&str]) -> (SourceMap, Vec<Diagnostic>) {
        let mut sources = SourceMap::new();
        let migrations: Vec<LoadedMigration> = files
            .iter()
            .enumerate()
            .map(|(i, sql)| {
                let name = format!("2024-01-01-00000{i}_m{i}");
                let up_sql = sources.add(format!("migrations/{name}/up.sql"), *sql);
                LoadedMigration {
                    migration: Migration {
                        version: format!("2024010100000{i}"),
                        dir: PathBuf::from(format!("migrations/{name}")),
                        name,
                        run_in_transaction: true,
                    },
                    up_sql,
                }
            })
            .collect();
        let replay = crate::sql::replay::replay(backend, &sources, &migrations);
        let ctx = SchemaContext {
            sources: &sources,
            backend,
            migrations: &migrations,
            replay: &replay,
            schema_files: &[],
        };
        let mut out = Reporter::new();
        check(&ctx, &mut out);
        (sources, out.into_diagnostics())
    }

    const USERS: &str = "CREATE TABLE users (id SERIAL PRIMARY KEY);";

    #[test]
    fn fires_on_an_unindexed_fk_with_a_concurrent_fix() {
        let (sources, found) = findings(
            Backend::Postgres,
            &[
                USERS,
                "CREATE TABLE posts (\n  id SERIAL PRIMARY KEY,\n  user_id INT NOT NULL REFERENCES users (id)\n);",
            ],
        );
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert_eq!(d.rule, "fk_without_index");
        let at = sources.line_col(d.primary.span.file, d.primary.span.range.start);
        assert_eq!(
            (sources.path(d.primary.span.file).to_str(), at.line),
            (Some("migrations/2024-01-01-000001_m1/up.sql"), 3)
        );
        assert_eq!(
            d.fix.as_ref().map(|f| f.sql.as_str()),
            Some("CREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_id_idx ON posts (user_id);")
        );
        assert_eq!(d.data["index_name"], "posts_user_id_idx");
        assert_eq!(d.data["table_schema"], "public");
    }

    #[test]
    fn a_leading_index_covers_and_a_second_column_does_not() {
        let (_, found) = findings(
            Backend::Postgres,
            &[
                USERS,
                "CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT REFERENCES users (id), \
                 editor_id INT REFERENCES users (id));\n\
                 CREATE INDEX posts_user_editor ON posts (user_id, editor_id);",
            ],
        );
        let tables: Vec<&serde_json::Value> = found.iter().map(|d| &d.data["columns"]).collect();
        assert_eq!(tables, [&json!(["editor_id"])]);
    }

    #[test]
    fn names_avoid_every_relation_of_the_schema_and_each_other() {
        // The old posts table, renamed, keeps its index named posts_user_id_idx; PostgreSQL
        // would skip `CREATE INDEX IF NOT EXISTS posts_user_id_idx` on the new table.
        let (_, found) = findings(
            Backend::Postgres,
            &[
                USERS,
                "CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT REFERENCES users (id));\n\
                 CREATE INDEX posts_user_id_idx ON posts (user_id);",
                "ALTER TABLE posts RENAME TO legacy_posts;\n\
                 CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT REFERENCES users (id), \
                 author_id INT REFERENCES users (id), CONSTRAINT second_fk FOREIGN KEY (user_id) \
                 REFERENCES legacy_posts (id));",
            ],
        );
        let names: Vec<(&str, &str)> = found
            .iter()
            .map(|d| {
                (
                    d.data["referenced_table"].as_str().unwrap(),
                    d.data["index_name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("users", "posts_user_id_idx1"),
                ("users", "posts_author_id_idx"),
                ("legacy_posts", "posts_user_id_idx1"),
            ]
        );
    }

    #[test]
    fn sqlite_gets_a_plain_create_index() {
        let (_, found) = findings(
            Backend::Sqlite,
            &[
                "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
            ],
        );
        assert_eq!(
            found[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("CREATE INDEX IF NOT EXISTS posts_user_id_idx ON posts (user_id);")
        );
        assert_eq!(found[0].data["table_schema"], "main");
    }

    #[test]
    fn mysql_indexes_foreign_keys_itself() {
        let (_, found) = findings(
            Backend::Mysql,
            &[
                "CREATE TABLE users (id INT PRIMARY KEY);",
                "CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, FOREIGN KEY (user_id) REFERENCES users (id));",
            ],
        );
        assert!(found.is_empty());
    }
}
