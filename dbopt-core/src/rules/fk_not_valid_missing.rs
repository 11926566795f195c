//! `fk_not_valid_missing`: a foreign key or CHECK constraint added to an existing table
//! without `NOT VALID`, or validated in the migration that added it.

use serde_json::json;
use sqlparser::ast::{
    AlterTableOperation, CheckConstraint, ColumnOption, Expr, ForeignKeyConstraint, Ident,
    Statement, TableConstraint,
};

use crate::diagnostic::{Applicability, Diagnostic, Fix, Level, Reporter};
use crate::model::Backend;
use crate::rule::{Check, Group, Rule};
use crate::source::Span;
use crate::sql::naming::{column_addition, make_object_name, quote_ident, quote_qualified};
use crate::sql::{SchemaContext, StatementRecord, TargetTable};

use super::migration::{existing_target, fold, parsed, walk_expr, with_created_label};

pub static RULE: Rule = Rule {
    name: "fk_not_valid_missing",
    group: Group::Migrations,
    default_level: Level::Warn,
    summary: "a foreign key or check constraint added to an existing table without not valid",
    docs: r#"## What it does
Finds `ALTER TABLE .. ADD [CONSTRAINT ..] FOREIGN KEY | CHECK` without `NOT VALID` on a
table that an earlier migration created, an `ADD COLUMN` whose inline `CHECK` (or
`REFERENCES` together with a `DEFAULT`) has to be checked against every row, and a
`VALIDATE CONSTRAINT` in the same migration as the `ADD CONSTRAINT .. NOT VALID` it
validates. Tables created in the same migration are empty and left alone.

## Why is this bad
Adding the constraint reads the whole table to check every row while holding a lock that
blocks writes (`SHARE ROW EXCLUSIVE` on both tables for a foreign key, `ACCESS EXCLUSIVE`
for a CHECK). With `NOT VALID` the constraint is added at once and enforced for new rows;
`VALIDATE CONSTRAINT` later checks the old rows under a lock that lets writes through. Both
in one migration gain nothing: diesel runs the file as one transaction, so the lock of
`ADD CONSTRAINT` is still held while `VALIDATE` scans.

`ADD COLUMN .. REFERENCES` without a default is fine: the new column is all NULL and
PostgreSQL skips the check.

## Example
```sql
ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id);
```

## Use instead
```sql
ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
```
and in a later migration:
```sql
ALTER TABLE posts VALIDATE CONSTRAINT posts_user_id_fkey;
```

## Configuration
Level: `fk_not_valid_missing = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`;
one statement: `-- dbopt: allow(fk_not_valid_missing)` on its line or the line before.
History: the rule judges a migration's transition, so it judges only the migrations after
the baseline: `start_after = "<version>"` in `[package.metadata.dbopt]` (or
`[workspace.metadata.dbopt]`; `cargo dbopt init` sets it to the newest migration) judges
those whose version sorts after it, and `--since <git revision>` those added since the
revision. Without a baseline every migration is judged, and the summary says how many
findings are in migrations older than 90 days.

## Known limitations
PostgreSQL only: SQLite cannot add constraints to a table, and MySQL has no `NOT VALID`.
A `VALIDATE CONSTRAINT` is matched to its `ADD CONSTRAINT` by name; for an unnamed one by
the name PostgreSQL generates, without its numeric suffix on a clash.
Tables the replay does not know are not checked.
A table created by an earlier migration that has not been deployed yet (two migrations
in one change) counts as existing: dbopt cannot know what production has run.
Migrations a baseline leaves out are not judged even when they have not run in
production yet; `--since` counts a migration as new only when its `up.sql` was added (an
edit of an old migration is not judged).
"#,
    check: Check::Schema(check),
};

/// A constraint added `NOT VALID` earlier in the migration being read.
struct Pending {
    table: Span,
    name: String,
    span: Span,
}

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    if ctx.backend != Backend::Postgres {
        return;
    }
    let mut pending: Vec<Pending> = Vec::new();
    let mut migration = usize::MAX;
    for record in &ctx.replay.statements {
        if record.migration != migration {
            migration = record.migration;
            pending.clear();
        }
        let Some(Statement::AlterTable(at)) = parsed(record) else {
            continue;
        };
        let Some(t) = existing_target(record) else {
            continue;
        };
        for op in &at.operations {
            match op {
                AlterTableOperation::AddConstraint {
                    constraint,
                    not_valid,
                } => match constraint {
                    TableConstraint::ForeignKey(_) | TableConstraint::Check(_) if *not_valid => {
                        if let Some(name) = constraint_name(&t.name.name, constraint) {
                            pending.push(Pending {
                                table: t.created.span.clone(),
                                name,
                                span: record.span.clone(),
                            });
                        }
                    }
                    TableConstraint::ForeignKey(fk) => {
                        out.report(foreign_key(record, t, fk, None));
                    }
                    TableConstraint::Check(c) => out.report(check_constraint(record, t, c, None)),
                    _ => {}
                },
                AlterTableOperation::AddColumn { column_def, .. } => {
                    let column = &column_def.name;
                    if t.columns.iter().any(|c| c.name == fold(column)) {
                        continue; // `IF NOT EXISTS` of a column that exists: a no-op
                    }
                    let has_default = column_def
                        .options
                        .iter()
                        .any(|o| matches!(&o.option, ColumnOption::Default(e) if !is_null(e)));
                    for o in &column_def.options {
                        match &o.option {
                            ColumnOption::ForeignKey(fk) if has_default => {
                                out.report(foreign_key(record, t, fk, Some(column)));
                            }
                            ColumnOption::Check(c) => {
                                out.report(check_constraint(record, t, c, Some(column)));
                            }
                            _ => {}
                        }
                    }
                }
                AlterTableOperation::ValidateConstraint { name } => {
                    let name = fold(name);
                    if let Some(added) = pending
                        .iter()
                        .find(|p| p.table == t.created.span && p.name == name)
                    {
                        out.report(validated_too_soon(record, t, &name, &added.span));
                    }
                }
                _ => {}
            }
        }
    }
}

/// The constraint's name: as written, or the one PostgreSQL generates (`<table>_<cols>_fkey`,
/// `<table>_<first column>_check`; a clash with an existing name is not modelled).
fn constraint_name(table: &str, c: &TableConstraint) -> Option<String> {
    match c {
        TableConstraint::ForeignKey(fk) => Some(fk.name.as_ref().map_or_else(
            || {
                let columns: Vec<String> = fk.columns.iter().map(fold).collect();
                make_object_name(table, Some(&column_addition(&columns)), "fkey")
            },
            fold,
        )),
        TableConstraint::Check(c) => Some(c.name.as_ref().map_or_else(
            || make_object_name(table, first_column(&c.expr).as_deref(), "check"),
            fold,
        )),
        _ => None,
    }
}

fn is_null(e: &Expr) -> bool {
    matches!(e, Expr::Value(v) if v.value == sqlparser::ast::Value::Null)
}

fn foreign_key(
    record: &StatementRecord,
    t: &TargetTable,
    fk: &ForeignKeyConstraint,
    column: Option<&Ident>,
) -> Diagnostic {
    let mut fk = fk.clone();
    if let Some(c) = column {
        fk.columns = vec![c.clone()];
    }
    let columns: Vec<String> = fk.columns.iter().map(fold).collect();
    let name = fk.name.take().map_or_else(
        || make_object_name(&t.name.name, Some(&column_addition(&columns)), "fkey"),
        |n| fold(&n),
    );
    let label = match column {
        Some(_) => "with a default, every row of the new column is checked under a lock",
        None => "checks every row while blocking writes to both tables",
    };
    finding(
        record,
        t,
        format!(
            "foreign key added to existing table `{}` without `NOT VALID`",
            t.name
        ),
        label,
        &name,
        &fk.to_string(),
        column,
        json!({"table": t.name.to_string(), "constraint": name, "kind": "foreign_key",
               "columns": columns}),
    )
}

fn check_constraint(
    record: &StatementRecord,
    t: &TargetTable,
    c: &CheckConstraint,
    column: Option<&Ident>,
) -> Diagnostic {
    let mut c = c.clone();
    let name = c.name.take().map_or_else(
        || {
            let first = column.map(fold).or_else(|| first_column(&c.expr));
            make_object_name(&t.name.name, first.as_deref(), "check")
        },
        |n| fold(&n),
    );
    finding(
        record,
        t,
        format!(
            "check constraint added to existing table `{}` without `NOT VALID`",
            t.name
        ),
        "checks every row while blocking reads and writes",
        &name,
        &c.to_string(),
        column,
        json!({"table": t.name.to_string(), "constraint": name, "kind": "check"}),
    )
}

/// The first column an expression mentions (PostgreSQL names an unnamed CHECK after it).
fn first_column(expr: &Expr) -> Option<String> {
    let mut first = None;
    walk_expr(expr, &mut |e| {
        if first.is_none()
            && let Expr::Identifier(i) = e
        {
            first = Some(fold(i));
        }
    });
    first
}

#[allow(clippy::too_many_arguments)]
fn finding(
    record: &StatementRecord,
    t: &TargetTable,
    message: String,
    label: &str,
    name: &str,
    constraint: &str,
    column: Option<&Ident>,
    data: serde_json::Value,
) -> Diagnostic {
    let table = quote_qualified(&t.name);
    let name_q = quote_ident(name);
    let add = format!("ALTER TABLE {table} ADD CONSTRAINT {name_q} {constraint} NOT VALID;");
    let validate = format!("ALTER TABLE {table} VALIDATE CONSTRAINT {name_q};");
    let help = match column {
        Some(_) => {
            "add the column without the constraint, then add the constraint `NOT VALID` \
                    and validate it in a later migration"
        }
        None => "add the constraint `NOT VALID` and validate it in a later migration",
    };
    let d = Diagnostic::new(&RULE, message, record.span.clone())
        .with_label(label)
        .with_help(help)
        .with_fix(Fix {
            title: format!("add `{name}` as NOT VALID and validate it in a later migration"),
            sql: format!("{add}\n-- in a later migration:\n{validate}"),
            applicability: Applicability::DisplayOnly,
        })
        .with_data(data);
    with_created_label(d, t)
}

fn validated_too_soon(
    record: &StatementRecord,
    t: &TargetTable,
    name: &str,
    added: &Span,
) -> Diagnostic {
    let d = Diagnostic::new(
        &RULE,
        format!("constraint `{name}` validated in the migration that adds it"),
        record.span.clone(),
    )
    .with_label("the lock of `ADD CONSTRAINT` is still held while this scans the table")
    .with_secondary(
        added.clone(),
        "added `NOT VALID` here, in the same transaction",
    )
    .with_help(format!(
        "move `ALTER TABLE {} VALIDATE CONSTRAINT {};` to a later migration",
        quote_qualified(&t.name),
        quote_ident(name)
    ))
    .with_data(json!({"table": t.name.to_string(), "constraint": name, "kind": "validate"}));
    with_created_label(d, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{diagnostics, findings, pg};

    const BASE: (&str, bool, &str) = (
        "1_base",
        true,
        "CREATE TABLE users (id SERIAL PRIMARY KEY);\n\
         CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT, score INT);",
    );

    fn f(file: &str, line: usize) -> (&'static str, String, usize) {
        ("fk_not_valid_missing", format!("{file}/up.sql"), line)
    }

    #[test]
    fn table_created_in_the_same_migration() {
        let found = pg(
            &RULE,
            &[(
                "1_all",
                true,
                "CREATE TABLE users (id SERIAL PRIMARY KEY);\nCREATE TABLE posts (id INT, user_id INT);\n\
                 ALTER TABLE posts ADD FOREIGN KEY (user_id) REFERENCES users (id);\n\
                 ALTER TABLE posts ADD CONSTRAINT pos CHECK (id > 0);",
            )],
        );
        assert_eq!(found, vec![]);
    }

    #[test]
    fn foreign_key_and_check_on_an_existing_table() {
        let found = pg(
            &RULE,
            &[
                BASE,
                (
                    "2_fk",
                    true,
                    "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n\
                     ALTER TABLE posts ADD CHECK (score >= 0);\n\
                     ALTER TABLE posts ADD CONSTRAINT ok_fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;\n\
                     ALTER TABLE posts ADD CONSTRAINT ok_check CHECK (score < 100) NOT VALID;",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_fk", 1), f("2_fk", 2)]);
    }

    #[test]
    fn not_valid_then_validate_in_a_later_migration() {
        let found = pg(
            &RULE,
            &[
                BASE,
                (
                    "2_add",
                    true,
                    "ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
                ),
                (
                    "3_validate",
                    true,
                    "ALTER TABLE posts VALIDATE CONSTRAINT posts_user_fk;",
                ),
            ],
        );
        assert_eq!(found, vec![]);
    }

    #[test]
    fn not_valid_then_validate_in_the_same_migration() {
        let found = pg(
            &RULE,
            &[
                BASE,
                (
                    "2_both",
                    false,
                    "ALTER TABLE posts ADD CONSTRAINT c CHECK (score >= 0) NOT VALID;\n\
                     ALTER TABLE posts VALIDATE CONSTRAINT c;",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_both", 2)]);
    }

    #[test]
    fn unnamed_not_valid_then_validate_under_its_generated_name() {
        let found = pg(
            &RULE,
            &[
                BASE,
                (
                    "2_both",
                    true,
                    "ALTER TABLE posts ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;\n\
                     ALTER TABLE posts ADD CHECK (score > 0) NOT VALID;\n\
                     ALTER TABLE posts VALIDATE CONSTRAINT posts_user_id_fkey;\n\
                     ALTER TABLE posts VALIDATE CONSTRAINT posts_score_check;",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_both", 3), f("2_both", 4)]);
    }

    #[test]
    fn add_column_inline_constraints() {
        let found = pg(
            &RULE,
            &[
                BASE,
                (
                    "2_cols",
                    true,
                    "ALTER TABLE posts ADD COLUMN editor_id INT REFERENCES users (id);\n\
                     ALTER TABLE posts ADD COLUMN owner_id INT NOT NULL DEFAULT 1 REFERENCES users (id);\n\
                     ALTER TABLE posts ADD COLUMN rank INT CHECK (rank > 0);\n\
                     ALTER TABLE posts ADD COLUMN IF NOT EXISTS score INT CHECK (score > 0);",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_cols", 2), f("2_cols", 3)]);
    }

    #[test]
    fn follows_renames() {
        let found = pg(
            &RULE,
            &[
                BASE,
                ("2_rename", true, "ALTER TABLE posts RENAME TO articles;"),
                (
                    "3_fk",
                    true,
                    "ALTER TABLE articles ADD FOREIGN KEY (user_id) REFERENCES users;",
                ),
            ],
        );
        assert_eq!(found, vec![f("3_fk", 1)]);
    }

    #[test]
    fn help_gives_both_statements() {
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[
                BASE,
                (
                    "2_fk",
                    true,
                    "ALTER TABLE posts ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;",
                ),
            ],
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "foreign key added to existing table `posts` without `NOT VALID`"
        );
        assert_eq!(
            d[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some(
                "ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE NOT VALID;\n\
                 -- in a later migration:\n\
                 ALTER TABLE posts VALIDATE CONSTRAINT posts_user_id_fkey;"
            )
        );
    }

    #[test]
    fn other_backends_are_not_checked() {
        let m = [
            (
                "1_t",
                true,
                "CREATE TABLE u (id INT PRIMARY KEY);\nCREATE TABLE t (a INT);",
            ),
            (
                "2_fk",
                true,
                "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (id);",
            ),
        ];
        assert_eq!(findings(&RULE, Backend::Mysql, &m), vec![]);
    }
}
