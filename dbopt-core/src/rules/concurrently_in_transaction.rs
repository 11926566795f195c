//! `concurrently_in_transaction`: a `CONCURRENTLY` statement that diesel will run inside a
//! transaction, where PostgreSQL refuses it.

use serde_json::json;
use sqlparser::ast::Statement;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::model::Backend;
use crate::rule::{Check, Group, Rule};
use crate::sql::{SchemaContext, StatementKind, StatementRecord};

use super::migration::{statements_per_file, text};

pub static RULE: Rule = Rule {
    name: "concurrently_in_transaction",
    group: Group::Migrations,
    default_level: Level::Deny,
    summary: "a concurrently statement in a migration that runs in a transaction",
    docs: r#"## What it does
Finds `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY` and `REINDEX .. CONCURRENTLY`
in a migration that diesel runs inside a transaction: every migration whose folder has no
`metadata.toml` with `run_in_transaction = false`, and also one that has it but whose
`up.sql` holds other statements beside the concurrent one.

## Why is this bad
PostgreSQL refuses these statements inside a transaction block (`CREATE INDEX
CONCURRENTLY cannot run inside a transaction block`), so the migration fails when it is
deployed. Diesel wraps each `up.sql` in a transaction unless `run_in_transaction = false`;
even then it sends the whole file as one string, which PostgreSQL runs as one implicit
transaction when it holds more than one statement. The statement only works as the single
statement of a migration with `run_in_transaction = false`.

## Example
```sql
-- migrations/2024-05-01-000000_index_posts_user_id/up.sql, no metadata.toml
CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);
```

## Use instead
```toml
# migrations/2024-05-01-000000_index_posts_user_id/metadata.toml
run_in_transaction = false
```
with the statement alone in its `up.sql`; move any other statement to a migration of its
own. On a table created in the same migration, drop `CONCURRENTLY`: the table is empty.

## Configuration
Level: `concurrently_in_transaction = "allow" | "warn" | "deny"` in
`[package.metadata.dbopt]`; one statement: `-- dbopt: allow(concurrently_in_transaction)`.
History: the rule judges a migration's transition, so it judges only the migrations after
the baseline: `start_after = "<version>"` in `[package.metadata.dbopt]` (or
`[workspace.metadata.dbopt]`; `cargo dbopt init` sets it to the newest migration) judges
those whose version sorts after it, and `--since <git revision>` those added since the
revision. Without a baseline every migration is judged, and the summary says how many
findings are in migrations older than 90 days.

## Known limitations
PostgreSQL only (the other backends have no `CONCURRENTLY`). `ALTER TABLE .. DETACH
PARTITION .. CONCURRENTLY` is not recognised. Explicit `BEGIN`/`COMMIT` statements in the
file are not interpreted.
Migrations a baseline leaves out are not judged even when they have not run in
production yet; `--since` counts a migration as new only when its `up.sql` was added (an
edit of an old migration is not judged).
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    if ctx.backend != Backend::Postgres {
        return;
    }
    let mut per_file = None;
    for record in &ctx.replay.statements {
        let Some(what) = concurrent(ctx, record) else {
            continue;
        };
        let Some(migration) = ctx.migrations.get(record.migration) else {
            continue;
        };
        let in_transaction = migration.migration.run_in_transaction;
        let count = per_file
            .get_or_insert_with(|| statements_per_file(ctx))
            .get(&record.span.file)
            .copied()
            .unwrap_or_default();
        if !in_transaction && count <= 1 {
            continue;
        }
        let new_table = record
            .targets
            .iter()
            .any(|t| t.created.migration == Some(record.migration));
        let (label, mut help) = if in_transaction {
            (
                "diesel runs this migration in a transaction".to_owned(),
                format!(
                    "add `run_in_transaction = false` to `{}`",
                    ctx.sources
                        .path(record.span.file)
                        .with_file_name("metadata.toml")
                        .display()
                ),
            )
        } else {
            (
                match count - 1 {
                    1 => "beside another statement, PostgreSQL runs the file as one transaction"
                        .to_owned(),
                    n => format!(
                        "beside {n} other statements, PostgreSQL runs the file as one transaction"
                    ),
                },
                String::new(),
            )
        };
        if count > 1 {
            if !help.is_empty() {
                help.push_str(" and ");
            }
            help.push_str("move the other statements of this up.sql to a migration of their own");
        }
        if new_table {
            help = format!(
                "the table is created in this migration and is still empty: remove \
                 `CONCURRENTLY` (or else {help})"
            );
        }
        let mut d = Diagnostic::new(
            &RULE,
            format!("`{what}` cannot run inside a transaction"),
            record.span.clone(),
        )
        .with_label(label)
        .with_help(help)
        .with_data(json!({
            "statement": what,
            "run_in_transaction": in_transaction,
            "statements_in_file": count,
        }));
        if let Some(other) = ctx
            .replay
            .statements
            .iter()
            .find(|s| s.span.file == record.span.file && s.span != record.span)
        {
            d = d.with_secondary(other.span.clone(), "another statement of the same file");
        }
        out.report(d);
    }
}

/// The statement's name when it is one PostgreSQL refuses inside a transaction.
fn concurrent(ctx: &SchemaContext<'_>, record: &StatementRecord) -> Option<&'static str> {
    match &record.statement.kind {
        StatementKind::Parsed(s) => match &**s {
            Statement::CreateIndex(ci) if ci.concurrently => Some("CREATE INDEX CONCURRENTLY"),
            _ => None,
        },
        StatementKind::DropIndex {
            concurrently: true, ..
        } => Some("DROP INDEX CONCURRENTLY"),
        StatementKind::Neutral {
            keyword: "REINDEX", ..
        } => text(ctx, record)
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| w.eq_ignore_ascii_case("concurrently"))
            .then_some("REINDEX CONCURRENTLY"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{diagnostics, findings, pg};

    const POSTS: (&str, bool, &str) = (
        "1_posts",
        true,
        "CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT);",
    );
    const INDEX: &str = "CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);";

    fn f(file: &str, line: usize) -> (&'static str, String, usize) {
        (
            "concurrently_in_transaction",
            format!("{file}/up.sql"),
            line,
        )
    }

    #[test]
    fn alone_without_run_in_transaction_false() {
        assert_eq!(
            pg(&RULE, &[POSTS, ("2_idx", true, INDEX)]),
            vec![f("2_idx", 1)]
        );
    }

    #[test]
    fn alone_with_run_in_transaction_false() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_idx",
                    false,
                    "-- Your SQL goes here\n\nCREATE INDEX CONCURRENTLY i ON posts (user_id);\n",
                ),
                ("3_drop", false, "DROP INDEX CONCURRENTLY IF EXISTS i;"),
                ("4_reindex", false, "REINDEX INDEX CONCURRENTLY posts_pkey;"),
            ],
        );
        assert_eq!(found, vec![]);
    }

    #[test]
    fn beside_other_statements_with_and_without_run_in_transaction_false() {
        let two = "ALTER TABLE posts ADD COLUMN title TEXT;\nCREATE INDEX CONCURRENTLY t ON posts (title);";
        let found = pg(
            &RULE,
            &[
                POSTS,
                ("2_a", false, two),
                ("3_b", true, "DROP INDEX CONCURRENTLY t;\nSELECT 1;"),
            ],
        );
        assert_eq!(found, vec![f("2_a", 2), f("3_b", 1)]);
    }

    #[test]
    fn reindex_and_drop_in_a_transaction() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                ("2_r", true, "REINDEX TABLE CONCURRENTLY posts;"),
                ("3_r", true, "REINDEX TABLE posts;"),
                ("4_d", true, "DROP INDEX CONCURRENTLY posts_pkey;"),
            ],
        );
        assert_eq!(found, vec![f("2_r", 1), f("4_d", 1)]);
    }

    #[test]
    fn new_table_help_says_drop_concurrently() {
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[(
                "1_t",
                true,
                "CREATE TABLE t (a INT);\nCREATE INDEX CONCURRENTLY t_a ON t (a);",
            )],
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "`CREATE INDEX CONCURRENTLY` cannot run inside a transaction"
        );
        let help = d[0].help.clone().unwrap_or_default();
        assert!(
            help.starts_with("the table is created in this migration"),
            "{help}"
        );
        assert!(
            help.contains("add `run_in_transaction = false` to `1_t/metadata.toml`"),
            "{help}"
        );
        assert_eq!(
            d[0].secondary[0].message,
            "another statement of the same file"
        );
    }

    #[test]
    fn other_backends_are_not_checked() {
        let m = [(
            "1_t",
            true,
            "CREATE TABLE t (a INT);\nCREATE INDEX t_a ON t (a);",
        )];
        assert_eq!(findings(&RULE, Backend::Sqlite, &m), vec![]);
    }
}
