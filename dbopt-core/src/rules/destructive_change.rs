//! `destructive_change`: dropping or renaming a table or column that existing code uses.

use serde_json::json;
use sqlparser::ast::{AlterTableOperation, ObjectName, ObjectType, RenameTableNameKind, Statement};

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::model::QualName;
use crate::rule::{Check, Group, Rule};
use crate::sql::naming::{quote_ident, quote_qualified};
use crate::sql::{SchemaContext, StatementRecord, TargetTable};

use super::migration::{existed_before, existing_target, fold, parsed, with_created_label};

pub static RULE: Rule = Rule {
    name: "destructive_change",
    group: Group::Migrations,
    default_level: Level::Warn,
    summary: "a migration drops or renames a table or column that existed before it",
    docs: r#"## What it does
Finds `DROP TABLE`, `ALTER TABLE .. DROP COLUMN`, `ALTER TABLE .. RENAME TO`, `RENAME TABLE`
and `ALTER TABLE .. RENAME COLUMN` (MySQL's `CHANGE old new`) on a table created by an
earlier migration. Tables created in the same migration are left alone.

## Why is this bad
During a deploy the old version of the application keeps running until the new one has
replaced it, and it still uses the old names. Diesel names every column in every query
(`SELECT users.id, users.name, users.legacy_token FROM users`), so once a column of `users`
is dropped or renamed every query of the old binary on `users` fails, not only the ones
that use the column. A dropped table or column also takes its data with it; the down
migration cannot bring it back.

## Example
```sql
ALTER TABLE users DROP COLUMN legacy_token;
ALTER TABLE users RENAME COLUMN name TO full_name;
```

## Use instead
Expand, then contract, over two deploys. To drop: remove the column from `schema.rs` and
from every struct, deploy, then drop it in a later migration and silence this finding
there with `-- dbopt: allow(destructive_change)`. To rename a column: add the new column,
write both, backfill, switch reads, then drop the old one. To rename a table, leave a view
with the old name behind while old code runs (PostgreSQL's simple views accept writes):
```sql
ALTER TABLE users RENAME TO accounts;
CREATE VIEW users AS SELECT * FROM accounts;
```

## Configuration
Level: `destructive_change = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`; one
statement: `-- dbopt: allow(destructive_change)` on its line or the line before.
History: the rule judges a migration's transition, so it judges only the migrations after
the baseline: `start_after = "<version>"` in `[package.metadata.dbopt]` (or
`[workspace.metadata.dbopt]`; `cargo dbopt init` sets it to the newest migration) judges
those whose version sorts after it, and `--since <git revision>` those added since the
revision. Without a baseline every migration is judged, and the summary says how many
findings are in migrations older than 90 days.

## Known limitations
Runs on every backend. A table dropped and replaced in the same migration (`CREATE TABLE t`,
or SQLite's rebuild: `CREATE TABLE new_t ..; INSERT ..; DROP TABLE t; ALTER TABLE new_t
RENAME TO t`) is not a dropped table: only the columns the new table lacks are reported
(by name, so a column renamed in a rebuild shows as dropped). Dropping a column that was
added earlier in the same migration is still reported. Tables the replay does not know (created by an unparsed statement or
outside the migrations) are not checked. `DROP SCHEMA .. CASCADE` and `DROP VIEW` are not
reported.
A table created by an earlier migration that has not been deployed yet (two migrations
in one change) counts as existing: dbopt cannot know what production has run.
Migrations a baseline leaves out are not judged even when they have not run in
production yet; `--since` counts a migration as new only when its `up.sql` was added (an
edit of an old migration is not judged).
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    for record in &ctx.replay.statements {
        let Some(statement) = parsed(record) else {
            continue;
        };
        match statement {
            Statement::Drop {
                object_type: ObjectType::Table,
                ..
            } => {
                for t in record.targets.iter().filter(|t| existed_before(record, t)) {
                    match replacement(ctx, record, t) {
                        Some(columns) => rebuilt(record, t, &columns, out),
                        None => out.report(drop_table(record, t)),
                    }
                }
            }
            Statement::RenameTable(renames) => {
                for (t, r) in record.targets.iter().zip(renames) {
                    if existed_before(record, t) {
                        out.report(rename_table(record, t, &r.new_name.to_string()));
                    }
                }
            }
            Statement::AlterTable(at) => {
                let Some(t) = existing_target(record) else {
                    continue;
                };
                for op in &at.operations {
                    alter(record, t, op, out);
                }
            }
            _ => {}
        }
    }
}

fn drop_table(record: &StatementRecord, t: &TargetTable) -> Diagnostic {
    let sql = format!(
        "ALTER TABLE {} RENAME TO {};",
        quote_qualified(&t.name),
        quote_ident(&format!("{}_unused", t.name.name))
    );
    finding(
        record,
        t,
        format!("drops table `{}`", t.name),
        "every row is lost and code still using the table fails".to_owned(),
        format!(
            "remove the table from schema.rs and the code first and deploy; drop it in a later \
             migration, or keep the data by renaming it: `{sql}`"
        ),
        json!({"table": t.name.to_string(), "operation": "drop_table"}),
    )
}

/// The columns of the table that takes the dropped table's name later in the same
/// migration (`CREATE TABLE t`, or `ALTER TABLE new_t RENAME TO t`: SQLite's way to change
/// a table), if one does.
fn replacement(
    ctx: &SchemaContext<'_>,
    record: &StatementRecord,
    t: &TargetTable,
) -> Option<Vec<String>> {
    let later = ctx
        .replay
        .statements
        .iter()
        .skip_while(|s| s.span != record.span)
        .skip(1)
        .take_while(|s| s.migration == record.migration);
    for s in later {
        match parsed(s) {
            Some(Statement::CreateTable(ct)) if names(&ct.name, &t.name) => {
                return Some(ct.columns.iter().map(|c| fold(&c.name)).collect());
            }
            Some(Statement::AlterTable(at)) => {
                let renamed = at.operations.iter().any(|op| {
                    matches!(op, AlterTableOperation::RenameTable {
                        table_name: RenameTableNameKind::To(n) | RenameTableNameKind::As(n),
                    } if names(n, &t.name))
                });
                if renamed {
                    let from = s.targets.first()?;
                    return Some(from.columns.iter().map(|c| c.name.clone()).collect());
                }
            }
            _ => {}
        }
    }
    None
}

/// `true` when `name` (as written) names `q` (an unqualified name keeps `q`'s schema).
fn names(name: &ObjectName, q: &QualName) -> bool {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(fold))
        .collect();
    match parts.as_slice() {
        [n] => *n == q.name,
        [.., schema, n] => *n == q.name && *schema == q.schema,
        [] => false,
    }
}

/// A dropped table replaced by a rebuilt one: reports the columns the rebuild left out.
fn rebuilt(record: &StatementRecord, t: &TargetTable, columns: &[String], out: &mut Reporter) {
    for c in t.columns.iter().filter(|c| !columns.contains(&c.name)) {
        out.report(finding(
            record,
            t,
            format!("drops column `{}.{}`", t.name, c.name),
            "the table is rebuilt without this column: its data is lost and diesel queries of \
             the old code on this table fail"
                .to_owned(),
            format!(
                "remove `{}` from schema.rs and every struct first and deploy; rebuild the table \
                 without it in a later migration",
                c.name
            ),
            json!({"table": t.name.to_string(), "column": c.name, "operation": "drop_column"}),
        ));
    }
}

fn alter(record: &StatementRecord, t: &TargetTable, op: &AlterTableOperation, out: &mut Reporter) {
    let known = |c: &str| t.columns.iter().any(|col| col.name == c);
    match op {
        AlterTableOperation::DropColumn { column_names, .. } => {
            for c in column_names.iter().map(fold).filter(|c| known(c)) {
                out.report(finding(
                    record,
                    t,
                    format!("drops column `{}.{c}`", t.name),
                    "its data is lost and every diesel query of the old code on this table fails"
                        .to_owned(),
                    format!(
                        "remove `{c}` from schema.rs and every struct first and deploy; drop it \
                         in a later migration"
                    ),
                    json!({"table": t.name.to_string(), "column": c, "operation": "drop_column"}),
                ));
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let (old, new) = (fold(old_column_name), fold(new_column_name));
            if known(&old) {
                out.report(rename_column(record, t, &old, &new));
            }
        }
        AlterTableOperation::ChangeColumn {
            old_name, new_name, ..
        } => {
            let (old, new) = (fold(old_name), fold(new_name));
            if old != new && known(&old) {
                out.report(rename_column(record, t, &old, &new));
            }
        }
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::To(new) | RenameTableNameKind::As(new)) = table_name;
            out.report(rename_table(record, t, &new.to_string()));
        }
        _ => {}
    }
}

fn rename_column(record: &StatementRecord, t: &TargetTable, old: &str, new: &str) -> Diagnostic {
    finding(
        record,
        t,
        format!("renames column `{}.{old}` to `{new}`", t.name),
        "every diesel query of the old code on this table fails".to_owned(),
        format!(
            "add `{new}` beside `{old}`, write both and backfill, switch reads to `{new}`, then \
             drop `{old}` in a later migration"
        ),
        json!({"table": t.name.to_string(), "column": old, "new_name": new,
               "operation": "rename_column"}),
    )
}

fn rename_table(record: &StatementRecord, t: &TargetTable, new: &str) -> Diagnostic {
    finding(
        record,
        t,
        format!("renames table `{}` to `{new}`", t.name),
        "code still using the old name fails".to_owned(),
        format!(
            "keep the old name working while old code runs: `CREATE VIEW {} AS SELECT * FROM \
             {new};` in the same migration, dropped in a later one",
            quote_qualified(&t.name)
        ),
        json!({"table": t.name.to_string(), "new_name": new, "operation": "rename_table"}),
    )
}

fn finding(
    record: &StatementRecord,
    t: &TargetTable,
    message: String,
    label: String,
    help: String,
    data: serde_json::Value,
) -> Diagnostic {
    let d = Diagnostic::new(&RULE, message, record.span.clone())
        .with_label(label)
        .with_help(help)
        .with_data(data);
    with_created_label(d, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Backend;
    use crate::rules::test_support::{findings, pg};

    const USERS: (&str, bool, &str) = (
        "1_users",
        true,
        "CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT, legacy TEXT);\n\
         CREATE TABLE logs (id SERIAL PRIMARY KEY);",
    );

    fn f(file: &str, line: usize) -> (&'static str, String, usize) {
        ("destructive_change", format!("{file}/up.sql"), line)
    }

    #[test]
    fn drops_and_renames_on_existing_tables() {
        let found = pg(
            &RULE,
            &[
                USERS,
                (
                    "2_changes",
                    true,
                    "ALTER TABLE users DROP COLUMN legacy;\n\
                     ALTER TABLE users RENAME COLUMN name TO full_name;\n\
                     DROP TABLE logs;\n\
                     ALTER TABLE users RENAME TO accounts;\n\
                     ALTER TABLE accounts DROP COLUMN IF EXISTS nothing_here;",
                ),
            ],
        );
        assert_eq!(
            found,
            vec![
                f("2_changes", 1),
                f("2_changes", 2),
                f("2_changes", 3),
                f("2_changes", 4)
            ]
        );
    }

    #[test]
    fn tables_of_the_same_migration_are_new() {
        let found = pg(
            &RULE,
            &[(
                "1_all",
                true,
                "CREATE TABLE t (a INT, b INT);\nALTER TABLE t DROP COLUMN b;\n\
                 ALTER TABLE t RENAME COLUMN a TO c;\nALTER TABLE t RENAME TO u;\nDROP TABLE u;",
            )],
        );
        assert_eq!(found, vec![]);
    }

    #[test]
    fn a_renamed_table_is_still_the_old_table() {
        // Renamed in migration 2, dropped in 3: it existed before 3, whatever its name.
        let found = pg(
            &RULE,
            &[
                USERS,
                (
                    "2_rename",
                    true,
                    "-- dbopt: allow(destructive_change)\nALTER TABLE logs RENAME TO events;",
                ),
                ("3_drop", true, "\nDROP TABLE events;"),
                // Created under an old table's former name: new, not the old table.
                (
                    "4_reuse",
                    true,
                    "CREATE TABLE logs (id INT);\nDROP TABLE logs;",
                ),
            ],
        );
        assert_eq!(found, vec![f("3_drop", 2)]);
    }

    #[test]
    fn sqlite_table_rebuild_reports_only_the_columns_it_leaves_out() {
        let rebuild = |columns: &str| {
            format!(
                "CREATE TABLE new_users ({columns});\n\
                 INSERT INTO new_users SELECT id, name FROM users;\n\
                 DROP TABLE users;\n\
                 ALTER TABLE new_users RENAME TO users;"
            )
        };
        let keep = rebuild("id INTEGER PRIMARY KEY, name TEXT NOT NULL, legacy TEXT");
        let lose = rebuild("id INTEGER PRIMARY KEY, name TEXT NOT NULL");
        let users = (
            "1_users",
            true,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);",
        );
        assert_eq!(
            findings(&RULE, Backend::Sqlite, &[users, ("2_keep", true, &keep)]),
            vec![]
        );
        assert_eq!(
            findings(&RULE, Backend::Sqlite, &[users, ("2_lose", true, &lose)]),
            vec![f("2_lose", 3)]
        );
        // Replaced by a plain CREATE TABLE of the same name.
        assert_eq!(
            pg(
                &RULE,
                &[
                    USERS,
                    (
                        "2_re",
                        true,
                        "DROP TABLE logs;\nCREATE TABLE logs (id SERIAL PRIMARY KEY);"
                    )
                ]
            ),
            vec![]
        );
    }

    #[test]
    fn mysql_change_column_and_rename_table() {
        let found = findings(
            &RULE,
            Backend::Mysql,
            &[
                ("1_t", true, "CREATE TABLE t (a INT, b INT);"),
                (
                    "2_c",
                    true,
                    "ALTER TABLE t CHANGE a a BIGINT;\nALTER TABLE t CHANGE b c INT;\nRENAME TABLE t TO u;",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_c", 2), f("2_c", 3)]);
    }

    #[test]
    fn suppressed_on_the_line_before_and_unused_reported() {
        let found = pg(
            &RULE,
            &[
                USERS,
                (
                    "2_drop",
                    true,
                    "-- dbopt: allow(destructive_change)\nDROP TABLE logs;\n\
                     ALTER TABLE users ADD COLUMN x INT; -- dbopt: allow(destructive_change)\n\
                     -- dbopt: allow(destructive_chnage)\nALTER TABLE users DROP COLUMN legacy;",
                ),
            ],
        );
        assert_eq!(
            found,
            vec![
                ("unused_suppression", "2_drop/up.sql".into(), 3),
                ("unused_suppression", "2_drop/up.sql".into(), 4),
                f("2_drop", 5),
            ]
        );
    }

    #[test]
    fn message_label_and_help() {
        let (_, d) = crate::rules::test_support::diagnostics(
            &RULE,
            Backend::Postgres,
            &[
                USERS,
                ("2_d", true, "ALTER TABLE users DROP COLUMN legacy;"),
            ],
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "drops column `users.legacy`");
        assert_eq!(
            d[0].secondary[0].message,
            "table `users` created here, in an earlier migration"
        );
        assert!(d[0].help.as_deref().unwrap_or("").contains("schema.rs"));
    }
}
