//! `joinable_without_fk`: a `joinable!` in schema.rs with no foreign key in the migrations.

use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::sql::SchemaContext;

pub static RULE: Rule = Rule {
    name: "joinable_without_fk",
    group: Group::Schema,
    default_level: Level::Warn,
    summary: "a joinable! in schema.rs with no foreign key constraint in the migrations",
    docs: r#"## What it does
Checks every `joinable!(child -> parent (column))` in schema.rs against the replayed
migrations: the child table must have a foreign key on exactly that column referencing the
parent table.

## Why is this bad
`joinable!` tells Diesel the tables join on that column, and code relies on it with
`inner_join` and `belonging_to`. Without a constraint the database lets rows point at parents
that do not exist, so joins silently drop rows, and nothing reminds anyone to index the column.
It usually means the `joinable!` was written by hand or the constraint was dropped later.

## Example
```rust,ignore
diesel::joinable!(comments -> posts (post_id));
```
with `post_id INTEGER NOT NULL` and no `REFERENCES posts`.

## Use instead
Add the constraint in a new migration; on a large existing table add it `NOT VALID` and
validate it in a later migration:
```sql
ALTER TABLE comments ADD CONSTRAINT comments_post_id_fkey
    FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID;
```

## Configuration
Level: `joinable_without_fk = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`.

## Known limitations
A child table missing from the migrations altogether is `schema_drift`, not this rule.
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    for file in ctx.schema_files {
        for j in &file.joinables {
            let Some(child) = ctx.replay.schema.tables.get(&j.child) else {
                continue;
            };
            let has_fk = child.foreign_keys.iter().any(|fk| {
                fk.columns.len() == 1
                    && fk.columns[0] == j.column
                    && fk.referenced_table == j.parent
            });
            if !has_fk {
                out.report(
                    Diagnostic::new(
                        &RULE,
                        format!(
                            "`joinable!({} -> {} ({}))` has no foreign key in the migrations",
                            j.child, j.parent, j.column
                        ),
                        j.span.clone(),
                    )
                    .with_label("no matching foreign key constraint")
                    .with_help(format!(
                        "add `FOREIGN KEY ({}) REFERENCES {}` to `{}` in a new migration",
                        j.column, j.parent, j.child
                    ))
                    .with_data(json!({
                        "table": j.child.to_string(),
                        "column": j.column,
                        "referenced_table": j.parent.to_string(),
                    })),
                );
            }
        }
    }
}
