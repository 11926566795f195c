//! `joinable_without_fk`: a `joinable!` in schema.rs with no foreign key in the migrations.

use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::schema_rs::{Joinable, SchemaFile};
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

Not reported:
* a `joinable!` that the print_schema `patch_file` of diesel.toml adds: it is written on
  purpose, for a relation the database does not hold (a view, a table of another schema);
* a child column joinable to two or more parent tables (`joinable!(comments -> posts
  (commentable_id))` and `joinable!(comments -> photos (commentable_id))`): a polymorphic
  association, which no single foreign key can express, so none is suggested.

## Configuration
Level: `joinable_without_fk = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`.
The rule judges the final schema: `start_after` and `--since` do not change it.

## Known limitations
A child table missing from the migrations altogether is `schema_drift`, not this rule.
A patch that no longer applies to schema.rs (reported by `schema_drift`) is not undone, and
the joinables it added are then judged like the others. A polymorphic column stays quiet
even when a foreign key to one of its parents exists.
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    let mut joinables: Vec<&Joinable> = Vec::new();
    for file in ctx.schema_files {
        let added = added_by_patch(ctx, file);
        joinables.extend(file.joinables.iter().filter(|j| !added.contains(j)));
    }
    for j in &joinables {
        if polymorphic(&joinables, j) {
            continue;
        }
        let Some(child) = ctx.replay.schema.tables.get(&j.child) else {
            continue;
        };
        let has_fk = child.foreign_keys.iter().any(|fk| {
            fk.columns.len() == 1 && fk.columns[0] == j.column && fk.referenced_table == j.parent
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

/// The `joinable!`s of `file` that its print_schema `patch_file` adds: those print-schema's
/// own output (schema.rs with the patch undone) does not have. None when there is no patch
/// or it does not apply (which `schema_drift` reports).
fn added_by_patch<'f>(ctx: &SchemaContext<'_>, file: &'f SchemaFile) -> Vec<&'f Joinable> {
    // The patch's problems are schema_drift's to report.
    let mut ignored = Reporter::new();
    let Some(printed) = super::schema_drift::printed(ctx, file, &mut ignored) else {
        return Vec::new();
    };
    file.joinables
        .iter()
        .filter(|j| {
            !printed
                .joinables
                .iter()
                .any(|p| p.child == j.child && p.parent == j.parent && p.column == j.column)
        })
        .collect()
}

/// Whether `j`'s column is joinable to another parent table too.
fn polymorphic(joinables: &[&Joinable], j: &Joinable) -> bool {
    joinables
        .iter()
        .any(|o| o.child == j.child && o.column == j.column && o.parent != j.parent)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::model::Backend;
    use crate::schema_rs::{SchemaRsInput, parse_schema_rs};
    use crate::source::SourceMap;
    use crate::sql::{LoadedMigration, Migration};

    const MIGRATION: &str = "CREATE TABLE users (id INT PRIMARY KEY);\n\
        CREATE TABLE posts (id INT PRIMARY KEY, user_id INT NOT NULL REFERENCES users (id),\n\
          editor_id INT NOT NULL);\n\
        CREATE TABLE photos (id INT PRIMARY KEY);\n\
        CREATE TABLE comments (id INT PRIMARY KEY, post_id INT, commentable_id INT NOT NULL);\n";

    const TABLES: &str = "diesel::table! { users (id) { id -> Int4, } }\n\
        diesel::table! { posts (id) { id -> Int4, user_id -> Int4, editor_id -> Int4, } }\n\
        diesel::table! { photos (id) { id -> Int4, } }\n\
        diesel::table! { comments (id) { id -> Int4, post_id -> Nullable<Int4>, commentable_id -> Int4, } }\n";

    /// `(line, message)` of each finding on `schema_rs` (after [`TABLES`]), with an optional
    /// patch file: the difference between two texts (each after [`TABLES`]).
    fn findings(schema_rs: &str, patch: Option<(&str, &str)>) -> Vec<(usize, String)> {
        let mut sources = SourceMap::new();
        let migrations = [LoadedMigration {
            migration: Migration {
                version: "1".to_owned(),
                name: "1_init".to_owned(),
                dir: PathBuf::from("1_init"),
                run_in_transaction: true,
            },
            up_sql: sources.add("1_init/up.sql", MIGRATION),
        }];
        let replay = crate::sql::replay::replay(Backend::Postgres, &sources, &migrations);
        let text = format!("{TABLES}{schema_rs}");
        let file = sources.add("src/schema.rs", text.clone());
        let mut schema_file = parse_schema_rs(SchemaRsInput {
            file,
            path: Path::new("src/schema.rs"),
            text: &text,
            default_schema: None,
            backend: Backend::Postgres,
        })
        .expect("schema.rs parses");
        schema_file.patch = patch.map(|(from, to)| {
            let (from, to) = (format!("{TABLES}{from}"), format!("{TABLES}{to}"));
            let patch = diffy::create_patch(&from, &to).to_string();
            sources.add("src/schema.patch", patch)
        });
        let files = [schema_file];
        let ctx = SchemaContext {
            sources: &sources,
            backend: Backend::Postgres,
            migrations: &migrations,
            replay: &replay,
            schema_files: &files,
        };
        let mut out = Reporter::new();
        check(&ctx, &mut out);
        out.into_diagnostics()
            .iter()
            .map(|d| {
                let at = sources.line_col(d.primary.span.file, d.primary.span.range.start);
                (at.line, d.message.clone())
            })
            .collect()
    }

    fn finding(line: usize, joinable: &str) -> (usize, String) {
        (
            line,
            format!("`joinable!({joinable})` has no foreign key in the migrations"),
        )
    }

    #[test]
    fn a_joinable_needs_a_foreign_key_on_its_column() {
        let schema_rs = "diesel::joinable!(posts -> users (user_id));\n\
            diesel::joinable!(posts -> users (editor_id));\n\
            diesel::joinable!(comments -> posts (post_id));\n\
            diesel::joinable!(missing -> posts (post_id));\n";
        assert_eq!(
            findings(schema_rs, None),
            vec![
                finding(6, "posts -> users (editor_id)"),
                finding(7, "comments -> posts (post_id)"),
            ]
        );
    }

    #[test]
    fn joinables_the_patch_file_adds_are_skipped() {
        let printed = "diesel::joinable!(posts -> users (editor_id));\n";
        let patched = "diesel::joinable!(posts -> users (editor_id));\n\
            diesel::joinable!(comments -> posts (post_id));\n";
        // What print-schema wrote is judged; what the patch adds is not.
        assert_eq!(
            findings(patched, Some((printed, patched))),
            vec![finding(5, "posts -> users (editor_id)")]
        );
        // Without the patch, both are judged.
        assert_eq!(
            findings(patched, None),
            vec![
                finding(5, "posts -> users (editor_id)"),
                finding(6, "comments -> posts (post_id)"),
            ]
        );
        // A patch that does not apply is not undone: every joinable is judged.
        let stale = (
            "diesel::joinable!(a -> b (c));\n",
            "diesel::joinable!(a -> b (d));\n",
        );
        assert_eq!(
            findings(patched, Some(stale)),
            vec![
                finding(5, "posts -> users (editor_id)"),
                finding(6, "comments -> posts (post_id)"),
            ]
        );
    }

    #[test]
    fn a_column_joinable_to_two_parents_is_polymorphic_and_quiet() {
        let schema_rs = "diesel::joinable!(comments -> posts (commentable_id));\n\
            diesel::joinable!(comments -> photos (commentable_id));\n";
        assert_eq!(findings(schema_rs, None), vec![]);
        // One parent: an ordinary joinable, reported.
        let schema_rs = "diesel::joinable!(comments -> photos (commentable_id));\n";
        assert_eq!(
            findings(schema_rs, None),
            vec![finding(5, "comments -> photos (commentable_id)")]
        );
    }
}
