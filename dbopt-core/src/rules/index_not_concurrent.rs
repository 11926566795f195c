//! `index_not_concurrent`: `CREATE INDEX` / `DROP INDEX` without `CONCURRENTLY` on a table
//! that existed before the migration.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::json;
use sqlparser::ast::{AlterTableOperation, ObjectType, Statement, TableConstraint};

use crate::diagnostic::{Applicability, Diagnostic, Fix, Level, Reporter};
use crate::model::Backend;
use crate::rule::{Check, Group, Rule};
use crate::sql::naming::{column_addition, make_object_name, quote_ident, quote_qualified};
use crate::sql::{SchemaContext, StatementKind, StatementRecord, TargetTable};

use super::migration::{existed_before, existing_target, fold, text, with_created_label};

pub static RULE: Rule = Rule {
    name: "index_not_concurrent",
    group: Group::Migrations,
    default_level: Level::Warn,
    summary: "an index created or dropped without concurrently on an existing table",
    docs: r#"## What it does
Finds `CREATE INDEX` and `DROP INDEX` without `CONCURRENTLY` on a table that an earlier
migration created, and `ADD CONSTRAINT .. UNIQUE | PRIMARY KEY (..)`, which builds its
index the same blocking way. An index on a table created in the same migration is fine: the table is
empty, and `CONCURRENTLY` would fail inside diesel's migration transaction anyway. Dropping
an index created in the same migration is fine too.

## Why is this bad
`CREATE INDEX` holds a `SHARE` lock on the table while it reads the whole table and sorts
it: every `INSERT`, `UPDATE` and `DELETE` waits, for minutes on a large table. `DROP INDEX`
takes an `ACCESS EXCLUSIVE` lock, and while it waits for running queries to finish every
new query on the table queues behind it. `CONCURRENTLY` builds or drops the index without
blocking writes.

## Example
```sql
CREATE INDEX posts_user_id_idx ON posts (user_id);
```

## Use instead
A migration of its own whose `up.sql` holds only this statement, with a `metadata.toml`
beside it saying `run_in_transaction = false` (`CONCURRENTLY` cannot run in a transaction,
and diesel runs a multi-statement file as one):
```sql
CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);
```
```toml
# metadata.toml
run_in_transaction = false
```
If a concurrent build fails it leaves an invalid index behind: drop it and run it again.
For a UNIQUE or PRIMARY KEY constraint, build the unique index concurrently and attach it
in a later migration: `ALTER TABLE posts ADD CONSTRAINT posts_slug_key UNIQUE USING INDEX
posts_slug_key;`.

## Configuration
Level: `index_not_concurrent = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`;
one statement: `-- dbopt: allow(index_not_concurrent)` on its line or the line before.
History: the rule judges a migration's transition, so it judges only the migrations after
the baseline: `start_after = "<version>"` in `[package.metadata.dbopt]` (or
`[workspace.metadata.dbopt]`; `cargo dbopt init` sets it to the newest migration) judges
those whose version sorts after it, and `--since <git revision>` those added since the
revision. Without a baseline every migration is judged, and the summary says how many
findings are in migrations older than 90 days.

## Known limitations
PostgreSQL only: SQLite has no concurrent index builds, and MySQL/InnoDB builds indexes
online by default. Indexes built by an inline `UNIQUE` or `PRIMARY KEY` of `ADD COLUMN`,
and `REINDEX`, are not reported. Tables the replay does not know (created by an unparsed
statement or outside the migrations) are not checked.
A table created by an earlier migration that has not been deployed yet (two migrations
in one change) counts as existing: dbopt cannot know what production has run.
Migrations a baseline leaves out are not judged even when they have not run in
production yet; `--since` counts a migration as new only when its `up.sql` was added (an
edit of an old migration is not judged).
"#,
    check: Check::Schema(check),
};

static CREATE_INDEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^CREATE\s+(?:UNIQUE\s+)?INDEX\b").expect("a valid regex"));
static DROP_INDEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^DROP\s+INDEX\b").expect("a valid regex"));

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    if ctx.backend != Backend::Postgres {
        return;
    }
    for record in &ctx.replay.statements {
        match &record.statement.kind {
            StatementKind::Parsed(s) => match &**s {
                Statement::CreateIndex(ci) if !ci.concurrently => {
                    if let Some(t) = existing_target(record) {
                        out.report(create(ctx, record, t));
                    }
                }
                Statement::AlterTable(at) => {
                    let Some(t) = existing_target(record) else {
                        continue;
                    };
                    for op in &at.operations {
                        if let AlterTableOperation::AddConstraint { constraint, .. } = op
                            && let Some(d) = constraint_index(record, t, constraint)
                        {
                            out.report(d);
                        }
                    }
                }
                Statement::Drop {
                    object_type: ObjectType::Index,
                    names,
                    ..
                } => {
                    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
                    drop(ctx, record, &names, out);
                }
                _ => {}
            },
            StatementKind::DropIndex {
                names,
                concurrently: false,
                ..
            } => {
                let names: Vec<String> = names.iter().map(|p| p.join(".")).collect();
                drop(ctx, record, &names, out);
            }
            _ => {}
        }
    }
}

fn create(ctx: &SchemaContext<'_>, record: &StatementRecord, t: &TargetTable) -> Diagnostic {
    let written = text(ctx, record);
    let sql = match CREATE_INDEX.find(written) {
        Some(m) => format!("{} CONCURRENTLY{};", m.as_str(), &written[m.end()..]),
        None => format!("{written};"),
    };
    let d = Diagnostic::new(
        &RULE,
        format!(
            "index on existing table `{}` built without `CONCURRENTLY`",
            t.name
        ),
        record.span.clone(),
    )
    .with_label("blocks every write to the table while the index is built")
    .with_help(format!(
        "build it concurrently, as the only statement of a migration whose metadata.toml says \
         `run_in_transaction = false`: `{sql}`"
    ))
    .with_fix(Fix {
        title: "build the index concurrently".to_owned(),
        sql,
        applicability: Applicability::DisplayOnly,
    })
    .with_data(json!({"table": t.name.to_string(), "operation": "create_index"}));
    with_created_label(d, t)
}

/// `ADD [CONSTRAINT c] UNIQUE | PRIMARY KEY (cols)`: builds its index under an `ACCESS
/// EXCLUSIVE` lock; `USING INDEX` of a concurrently built one does not.
fn constraint_index(
    record: &StatementRecord,
    t: &TargetTable,
    constraint: &TableConstraint,
) -> Option<Diagnostic> {
    let (what, name, columns, keyword) = match constraint {
        TableConstraint::Unique(u) => ("unique constraint", u.name.as_ref(), &u.columns, "UNIQUE"),
        TableConstraint::PrimaryKey(p) => {
            ("primary key", p.name.as_ref(), &p.columns, "PRIMARY KEY")
        }
        _ => return None,
    };
    let columns: Vec<String> = columns.iter().map(ToString::to_string).collect();
    let name = match name {
        Some(n) => fold(n),
        None if keyword == "UNIQUE" => {
            make_object_name(&t.name.name, Some(&column_addition(&columns)), "key")
        }
        None => make_object_name(&t.name.name, None, "pkey"),
    };
    let table = quote_qualified(&t.name);
    let index = quote_ident(&name);
    let sql = format!(
        "CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table} ({});\n\
         -- then, in a later migration:\n\
         ALTER TABLE {table} ADD CONSTRAINT {index} {keyword} USING INDEX {index};",
        columns.join(", ")
    );
    let d = Diagnostic::new(
        &RULE,
        format!(
            "{what} on existing table `{}` builds its index without `CONCURRENTLY`",
            t.name
        ),
        record.span.clone(),
    )
    .with_label("blocks reads and writes while the index is built")
    .with_help(
        "build the unique index concurrently in a migration of its own \
         (`run_in_transaction = false`), then attach it with `USING INDEX`",
    )
    .with_fix(Fix {
        title: "build the index concurrently, then attach it".to_owned(),
        sql,
        applicability: Applicability::DisplayOnly,
    })
    .with_data(
        json!({"table": t.name.to_string(), "operation": "add_constraint",
                      "constraint": name}),
    );
    Some(with_created_label(d, t))
}

/// `DROP INDEX` of indexes on existing tables that earlier migrations created.
fn drop(ctx: &SchemaContext<'_>, record: &StatementRecord, names: &[String], out: &mut Reporter) {
    let old: Vec<&TargetTable> = record
        .targets
        .iter()
        .filter(|t| {
            existed_before(record, t)
                && t.index
                    .as_ref()
                    .is_some_and(|i| i.migration.is_some_and(|m| m < record.migration))
        })
        .collect();
    let Some(first) = old.first() else {
        return;
    };
    let written = text(ctx, record);
    let sql = match (names, DROP_INDEX.find(written)) {
        ([_], Some(m)) => format!("{} CONCURRENTLY{};", m.as_str(), &written[m.end()..]),
        // DROP INDEX CONCURRENTLY takes one index: one migration each.
        _ => names
            .iter()
            .map(|n| format!("DROP INDEX CONCURRENTLY IF EXISTS {n};"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let tables: Vec<String> = old.iter().map(|t| t.name.to_string()).collect();
    let mut d = Diagnostic::new(
        &RULE,
        format!(
            "index on existing table `{}` dropped without `CONCURRENTLY`",
            first.name
        ),
        record.span.clone(),
    )
    .with_label("locks the table against reads and writes until the drop is done")
    .with_help(format!(
        "drop it concurrently, as the only statement of a migration whose metadata.toml says \
         `run_in_transaction = false`: `{sql}`"
    ))
    .with_fix(Fix {
        title: "drop the index concurrently".to_owned(),
        sql,
        applicability: Applicability::DisplayOnly,
    })
    .with_data(json!({"table": tables, "operation": "drop_index"}));
    if let Some(index) = &first.index {
        d = d.with_secondary(index.span.clone(), "index created here");
    }
    out.report(d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{diagnostics, findings, pg};

    const POSTS: (&str, bool, &str) = (
        "1_posts",
        true,
        "CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT, title TEXT);\n\
         CREATE INDEX posts_title_idx ON posts (title);",
    );

    fn f(file: &str, line: usize) -> (&'static str, String, usize) {
        ("index_not_concurrent", format!("{file}/up.sql"), line)
    }

    #[test]
    fn table_created_in_the_same_migration_is_empty() {
        assert_eq!(pg(&RULE, &[POSTS]), vec![]);
    }

    #[test]
    fn create_index_on_an_existing_table() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_idx",
                    true,
                    "\nCREATE INDEX posts_user_id_idx ON posts (user_id);",
                ),
                (
                    "3_idx",
                    false,
                    "CREATE INDEX CONCURRENTLY posts_uid2 ON posts (user_id, id);",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_idx", 2)]);
    }

    #[test]
    fn drop_index_on_an_existing_table() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                ("2_drop", true, "DROP INDEX posts_title_idx;"),
                (
                    "3_idx",
                    false,
                    "CREATE INDEX CONCURRENTLY a_idx ON posts (user_id);",
                ),
                ("4_drop", false, "DROP INDEX CONCURRENTLY a_idx;"),
                // Created and dropped in one migration: nothing to report on the drop.
                (
                    "5_both",
                    true,
                    "CREATE TABLE tmp (a INT);\nCREATE INDEX tmp_a ON tmp (a);\nDROP INDEX tmp_a;\n\
                     DROP INDEX IF EXISTS no_such_index;",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_drop", 1)]);
    }

    #[test]
    fn unique_and_primary_key_constraints_on_an_existing_table() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_c",
                    true,
                    "ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title);\n\
                     CREATE TABLE tags (name TEXT);\n\
                     ALTER TABLE tags ADD PRIMARY KEY (name);",
                ),
                (
                    "3_i",
                    false,
                    "CREATE UNIQUE INDEX CONCURRENTLY p_u ON posts (user_id);",
                ),
                (
                    "4_c",
                    true,
                    "ALTER TABLE posts ADD CONSTRAINT p_u UNIQUE USING INDEX p_u;",
                ),
                ("5_c", true, "ALTER TABLE tags ADD UNIQUE (name);"),
            ],
        );
        assert_eq!(found, vec![f("2_c", 1), f("5_c", 1)]);
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[
                POSTS,
                (
                    "2_c",
                    true,
                    "ALTER TABLE posts ADD UNIQUE (title, user_id);",
                ),
            ],
        );
        assert_eq!(
            d[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some(
                "CREATE UNIQUE INDEX CONCURRENTLY posts_title_user_id_key ON posts (title, user_id);\n\
                 -- then, in a later migration:\n\
                 ALTER TABLE posts ADD CONSTRAINT posts_title_user_id_key UNIQUE USING INDEX posts_title_user_id_key;"
            )
        );
    }

    #[test]
    fn follows_the_table_through_a_rename() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                ("2_rename", true, "ALTER TABLE posts RENAME TO articles;"),
                ("3_idx", true, "CREATE INDEX ON articles (user_id);"),
                (
                    "4_new",
                    true,
                    "CREATE TABLE posts (id INT);\nCREATE INDEX ON posts (id);",
                ),
            ],
        );
        assert_eq!(found, vec![f("3_idx", 1)]);
    }

    #[test]
    fn other_backends_are_not_checked() {
        let migrations = [
            ("1_t", true, "CREATE TABLE t (a INT);"),
            ("2_i", true, "CREATE INDEX t_a ON t (a);"),
        ];
        assert_eq!(findings(&RULE, Backend::Sqlite, &migrations), vec![]);
        assert_eq!(findings(&RULE, Backend::Mysql, &migrations), vec![]);
    }

    #[test]
    fn help_rewrites_the_statement() {
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[
                POSTS,
                (
                    "2_idx",
                    true,
                    "create unique index p_u on posts (user_id) where user_id > 0;",
                ),
            ],
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "index on existing table `posts` built without `CONCURRENTLY`"
        );
        assert_eq!(
            d[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("create unique index CONCURRENTLY p_u on posts (user_id) where user_id > 0;")
        );
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[POSTS, ("2_drop", true, "DROP INDEX posts_title_idx;")],
        );
        assert_eq!(
            d[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("DROP INDEX CONCURRENTLY posts_title_idx;")
        );
        assert_eq!(d[0].secondary[0].message, "index created here");
    }
}
