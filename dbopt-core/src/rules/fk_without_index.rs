//! `fk_without_index`: a foreign key whose referencing columns no index covers.

use serde_json::json;

use crate::diagnostic::{Applicability, Diagnostic, Fix, Level, Reporter};
use crate::model::{Backend, ForeignKey, Table};
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
    for table in ctx.replay.schema.tables.values() {
        for fk in &table.foreign_keys {
            if !table.is_covered(&fk.columns) {
                out.report(finding(ctx, table, fk));
            }
        }
    }
}

fn finding(ctx: &SchemaContext<'_>, table: &Table, fk: &ForeignKey) -> Diagnostic {
    let cols = fk.columns.join(", ");
    let existing: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
    let name = index_name(&table.name.name, &fk.columns, "idx", &existing);
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
