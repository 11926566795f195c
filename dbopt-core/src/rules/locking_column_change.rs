//! `locking_column_change`: column changes that rewrite or scan an existing table under an
//! `ACCESS EXCLUSIVE` lock, or fail on a table with rows.

use serde_json::json;
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, Expr, Ident, Statement,
    TableConstraint,
};

use crate::diagnostic::{Applicability, Diagnostic, Fix, Level, Reporter};
use crate::model::Backend;
use crate::rule::{Check, Group, Rule};
use crate::source::Span;
use crate::sql::naming::{make_object_name, quote_ident, quote_qualified};
use crate::sql::{SchemaContext, StatementRecord, TargetTable};

use super::migration::{
    existed_before, fold, function_name, parsed, walk_expr, with_created_label,
};

mod time_zone;

pub static RULE: Rule = Rule {
    name: "locking_column_change",
    group: Group::Migrations,
    default_level: Level::Warn,
    summary: "a column change that rewrites or scans an existing table under an exclusive lock",
    docs: r#"## What it does
On a table that an earlier migration created, finds:
* `ALTER COLUMN .. TYPE` that rewrites the table. These changes do not, and are not
  reported: the same type; `varchar(n)` to `varchar(m)` with m >= n, to `varchar` or to
  `text`; `text` to `varchar`; `varbit(n)` to a larger or unbounded `varbit`;
  `numeric(p, s)` to `numeric(q, s)` with q >= p, or to `numeric`. A `USING` expression
  rewrites, except `USING col` (the column itself).
  PostgreSQL 12+ changes `timestamp` to `timestamptz` (and back) in place when the session
  time zone is UTC, so a `SET [LOCAL] timezone = 'UTC'` or `SET [LOCAL] TIME ZONE 'UTC'`
  earlier in the same migration (and no `RESET` or other zone since) makes it free.
* `ALTER COLUMN .. SET NOT NULL` on a nullable column, unless a validated
  `CHECK (col IS NOT NULL)` constraint exists (PostgreSQL 12+ then skips the scan).
* `ADD COLUMN` with a volatile default (`gen_random_uuid()`, `uuid_generate_v4()`,
  `random()`, `clock_timestamp()`, `nextval(..)`, a function dbopt does not know), a
  `serial` type, an identity or a stored generated column: each rewrites the table.
  A constant default, `now()` or `CURRENT_TIMESTAMP` does not (PostgreSQL 11+).
* `ADD COLUMN .. NOT NULL` (or `PRIMARY KEY`) without a default, which fails on a table
  that has rows.

Tables created in the same migration are empty and left alone.

## Why is this bad
A rewrite copies the whole table and rebuilds every index on it; `SET NOT NULL` reads every
row. Both hold an `ACCESS EXCLUSIVE` lock the whole time, so every query on the table, reads
included, waits: seconds on a small table, an outage on a large one.

## Example
```sql
ALTER TABLE posts ALTER COLUMN title SET NOT NULL;
ALTER TABLE posts ADD COLUMN public_id UUID NOT NULL DEFAULT gen_random_uuid();
```

## Use instead
`timestamp` to `timestamptz` with the session in UTC (PostgreSQL 12+; the stored values
are then read as UTC times, so make sure they are):
```sql
SET LOCAL timezone = 'UTC';
ALTER TABLE posts ALTER COLUMN published_at TYPE timestamptz;
```
`SET NOT NULL` after a validated CHECK constraint:
```sql
ALTER TABLE posts ADD CONSTRAINT posts_title_not_null CHECK (title IS NOT NULL) NOT VALID;
-- in a later migration:
ALTER TABLE posts VALIDATE CONSTRAINT posts_title_not_null;
ALTER TABLE posts ALTER COLUMN title SET NOT NULL;
ALTER TABLE posts DROP CONSTRAINT posts_title_not_null;
```
A volatile default: add the column without it, set the default for new rows, backfill old
rows in batches:
```sql
ALTER TABLE posts ADD COLUMN public_id UUID;
ALTER TABLE posts ALTER COLUMN public_id SET DEFAULT gen_random_uuid();
```
A type change: add a column of the new type, write both, backfill, switch over.

## Configuration
Level: `locking_column_change = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`;
one statement: `-- dbopt: allow(locking_column_change)` on its line or the line before.
History: the rule judges a migration's transition, so it judges only the migrations after
the baseline: `start_after = "<version>"` in `[package.metadata.dbopt]` (or
`[workspace.metadata.dbopt]`; `cargo dbopt init` sets it to the newest migration) judges
those whose version sorts after it, and `--since <git revision>` those added since the
revision. Without a baseline every migration is judged, and the summary says how many
findings are in migrations older than 90 days.

## Known limitations
PostgreSQL only: MySQL and SQLite rebuild tables by other rules (MySQL's online DDL,
SQLite's table copy). `timestamp` to `timestamptz` (or back) is free only when the same
migration sets the time zone to UTC before it: the server's default time zone is not
known, and a `SET` in an earlier migration may have run in another session. A zone is UTC
when it has a fixed offset of zero (`UTC`, `Etc/UTC`, `GMT`, `Zulu`, `0`, `'+00:00'`, ..);
`Europe/London` is not. With a precision (`timestamp(3)`) PostgreSQL rewrites anyway.
CHECK constraints are followed through column and constraint renames, not through table
rewrites by unparsed statements. Tables the replay does not know are not checked.
A table created by an earlier migration that has not been deployed yet (two migrations
in one change) counts as existing: dbopt cannot know what production has run.
Migrations a baseline leaves out are not judged even when they have not run in
production yet; `--since` counts a migration as new only when its `up.sql` was added (an
edit of an old migration is not judged).
"#,
    check: Check::Schema(check),
};

/// A `CHECK (col IS NOT NULL ..)` constraint seen so far.
struct NotNullCheck {
    /// The table's identity: where it was created.
    table: Span,
    name: String,
    column: String,
    validated: bool,
}

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    if ctx.backend != Backend::Postgres {
        return;
    }
    let mut checks: Vec<NotNullCheck> = Vec::new();
    let mut time_zone = time_zone::SessionTimeZone::default();
    for record in &ctx.replay.statements {
        time_zone.track(record);
        match parsed(record) {
            Some(Statement::CreateTable(ct)) => {
                let table_name = ct
                    .name
                    .0
                    .last()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                for c in &ct.columns {
                    inline_checks(&mut checks, &record.span, &table_name, c);
                }
                for constraint in &ct.constraints {
                    if let TableConstraint::Check(c) = constraint {
                        add_checks(
                            &mut checks,
                            &record.span,
                            &table_name,
                            c.name.as_ref(),
                            &c.expr,
                            true,
                        );
                    }
                }
            }
            Some(Statement::AlterTable(at)) => {
                let Some(t) = record.targets.first() else {
                    continue;
                };
                let existing = existed_before(record, t);
                for op in &at.operations {
                    track(&mut checks, t, op);
                    if existing {
                        judge(&checks, time_zone.utc(), record, t, op, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Keeps the NOT NULL checks of `t` current through `op`.
fn track(checks: &mut Vec<NotNullCheck>, t: &TargetTable, op: &AlterTableOperation) {
    let table = &t.created.span;
    match op {
        AlterTableOperation::AddConstraint {
            constraint: TableConstraint::Check(c),
            not_valid,
        } => add_checks(
            checks,
            table,
            &t.name.name,
            c.name.as_ref(),
            &c.expr,
            !not_valid,
        ),
        AlterTableOperation::AddColumn { column_def, .. } => {
            inline_checks(checks, table, &t.name.name, column_def);
        }
        AlterTableOperation::ValidateConstraint { name } => {
            let name = fold(name);
            for c in checks
                .iter_mut()
                .filter(|c| c.table == *table && c.name == name)
            {
                c.validated = true;
            }
        }
        AlterTableOperation::DropConstraint { name, .. } => {
            let name = fold(name);
            checks.retain(|c| !(c.table == *table && c.name == name));
        }
        AlterTableOperation::RenameConstraint { old_name, new_name } => {
            let (old, new) = (fold(old_name), fold(new_name));
            for c in checks
                .iter_mut()
                .filter(|c| c.table == *table && c.name == old)
            {
                c.name.clone_from(&new);
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let (old, new) = (fold(old_column_name), fold(new_column_name));
            for c in checks
                .iter_mut()
                .filter(|c| c.table == *table && c.column == old)
            {
                c.column.clone_from(&new);
            }
        }
        AlterTableOperation::DropColumn { column_names, .. } => {
            let dropped: Vec<String> = column_names.iter().map(fold).collect();
            checks.retain(|c| !(c.table == *table && dropped.contains(&c.column)));
        }
        _ => {}
    }
}

fn inline_checks(checks: &mut Vec<NotNullCheck>, table: &Span, table_name: &str, c: &ColumnDef) {
    for o in &c.options {
        if let ColumnOption::Check(check) = &o.option {
            let name = o.name.as_ref().or(check.name.as_ref());
            add_checks(checks, table, table_name, name, &check.expr, true);
        }
    }
}

fn add_checks(
    checks: &mut Vec<NotNullCheck>,
    table: &Span,
    table_name: &str,
    name: Option<&Ident>,
    expr: &Expr,
    validated: bool,
) {
    let columns = not_null_columns(expr);
    let Some(first) = columns.first() else {
        return;
    };
    let name = name.map_or_else(|| make_object_name(table_name, Some(first), "check"), fold);
    for column in columns {
        checks.push(NotNullCheck {
            table: table.clone(),
            name: name.clone(),
            column,
            validated,
        });
    }
}

/// The columns `expr` proves NOT NULL: `a IS NOT NULL`, joined by `AND`, in parentheses.
fn not_null_columns(expr: &Expr) -> Vec<String> {
    fn collect(expr: &Expr, out: &mut Vec<String>, depth: usize) {
        if depth > 64 {
            return;
        }
        match expr {
            Expr::Nested(e) => collect(e, out, depth + 1),
            Expr::IsNotNull(e) => {
                if let Expr::Identifier(i) = &**e {
                    out.push(fold(i));
                }
            }
            Expr::BinaryOp {
                left,
                op: sqlparser::ast::BinaryOperator::And,
                right,
            } => {
                collect(left, out, depth + 1);
                collect(right, out, depth + 1);
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    collect(expr, &mut out, 0);
    out
}

/// Reports `op` on the existing table `t` if it locks or fails; `utc`: the migration set
/// the session time zone to UTC before the statement.
fn judge(
    checks: &[NotNullCheck],
    utc: bool,
    record: &StatementRecord,
    t: &TargetTable,
    op: &AlterTableOperation,
    out: &mut Reporter,
) {
    match op {
        AlterTableOperation::AlterColumn { column_name, op } => {
            let column = fold(column_name);
            let Some(before) = t.columns.iter().find(|c| c.name == column) else {
                return;
            };
            match op {
                AlterColumnOperation::SetNotNull => {
                    let proven = checks
                        .iter()
                        .any(|c| c.table == t.created.span && c.column == column && c.validated);
                    if before.nullable && !proven {
                        out.report(set_not_null(record, t, &column));
                    }
                }
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                } => {
                    let new = data_type.to_string().to_lowercase();
                    let free = free_type_change(&before.sql_type, &new)
                        || utc && time_zone_change(&before.sql_type, &new);
                    // `USING col` (the column itself) is the cast without `USING`.
                    let computed = using
                        .as_ref()
                        .is_some_and(|u| !matches!(u, Expr::Identifier(i) if fold(i) == column));
                    if computed || !free {
                        out.report(type_change(record, t, &column, &before.sql_type, &new));
                    }
                }
                _ => {}
            }
        }
        AlterTableOperation::AddColumn { column_def, .. } => {
            if let Some(d) = add_column(record, t, column_def) {
                out.report(d);
            }
        }
        _ => {}
    }
}

fn add_column(record: &StatementRecord, t: &TargetTable, def: &ColumnDef) -> Option<Diagnostic> {
    let column = fold(&def.name);
    if t.columns.iter().any(|c| c.name == column) {
        return None; // `ADD COLUMN IF NOT EXISTS` of a column that exists: a no-op
    }
    let ty = def.data_type.to_string().to_lowercase();
    let target = format!("{}.{column}", t.name);
    let table = quote_qualified(&t.name);
    let col = quote_ident(&column);
    let serial = matches!(
        ty.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
    );
    let generated = def
        .options
        .iter()
        .any(|o| matches!(o.option, ColumnOption::Generated { .. }));
    let default = def.options.iter().find_map(|o| match &o.option {
        ColumnOption::Default(e) => Some(e),
        _ => None,
    });
    let rewrite = |message: String, help: String| {
        let d = Diagnostic::new(&RULE, message, record.span.clone())
            .with_label("rewrites the whole table under an exclusive lock")
            .with_help(help)
            .with_data(json!({"table": t.name.to_string(), "column": column,
                              "operation": "add_column", "rewrite": true}));
        Some(with_created_label(d, t))
    };
    if serial || generated {
        let what = if serial {
            format!("`{ty}` column")
        } else {
            "generated or identity column".to_owned()
        };
        return rewrite(
            format!("{what} `{target}` added to an existing table"),
            format!(
                "add `{col}` as a plain nullable column, fill it in batches, and attach the \
                 sequence or expression afterwards (`ALTER TABLE {table} ALTER COLUMN {col} \
                 SET DEFAULT ..`)"
            ),
        );
    }
    if let Some(default) = default {
        match volatility(default) {
            Volatility::Fixed => {}
            v => {
                let message = match &v {
                    Volatility::Volatile(f) => {
                        format!("volatile default `{f}()` on new column `{target}`")
                    }
                    _ => format!(
                        "default `{}()` on new column `{target}` may be volatile",
                        v.function().unwrap_or_default()
                    ),
                };
                let d = rewrite(
                    message,
                    "add the column without the default, then set the default (it applies to \
                     new rows only) and backfill the old rows in batches"
                        .to_owned(),
                );
                return d.map(|d| {
                    d.with_fix(Fix {
                        title: "add the column, then set its default".to_owned(),
                        sql: format!(
                            "ALTER TABLE {table} ADD COLUMN {col} {ty};\n\
                             ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {default};"
                        ),
                        applicability: Applicability::DisplayOnly,
                    })
                });
            }
        }
        return None;
    }
    let not_null = def.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
        )
    });
    if !not_null {
        return None;
    }
    let d = Diagnostic::new(
        &RULE,
        format!("new column `{target}` is NOT NULL without a default"),
        record.span.clone(),
    )
    .with_label("fails on a table that has rows")
    .with_help(format!(
        "give it a constant default (`ADD COLUMN {col} {ty} NOT NULL DEFAULT ..` does not \
         rewrite the table), or add it nullable, backfill it, and set NOT NULL after a \
         validated `CHECK ({col} IS NOT NULL)`"
    ))
    .with_data(json!({"table": t.name.to_string(), "column": column,
                      "operation": "add_column", "rewrite": false}));
    Some(with_created_label(d, t))
}

fn set_not_null(record: &StatementRecord, t: &TargetTable, column: &str) -> Diagnostic {
    let table = quote_qualified(&t.name);
    let col = quote_ident(column);
    let check = quote_ident(&make_object_name(&t.name.name, Some(column), "not_null"));
    let d = Diagnostic::new(
        &RULE,
        format!(
            "`SET NOT NULL` on `{}.{column}` scans the table under an exclusive lock",
            t.name
        ),
        record.span.clone(),
    )
    .with_label("blocks reads and writes while every row is checked")
    .with_help(format!(
        "add `CHECK ({col} IS NOT NULL) NOT VALID` first and validate it in a later migration; \
         with that constraint validated, PostgreSQL sets NOT NULL without a scan"
    ))
    .with_fix(Fix {
        title: "add a CHECK constraint, validate it, then set NOT NULL".to_owned(),
        sql: format!(
            "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID;\n\
             -- in a later migration:\n\
             ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n\
             ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;\n\
             ALTER TABLE {table} DROP CONSTRAINT {check};"
        ),
        applicability: Applicability::DisplayOnly,
    })
    .with_data(json!({"table": t.name.to_string(), "column": column,
                      "operation": "set_not_null"}));
    with_created_label(d, t)
}

fn type_change(
    record: &StatementRecord,
    t: &TargetTable,
    column: &str,
    old: &str,
    new: &str,
) -> Diagnostic {
    let d = Diagnostic::new(
        &RULE,
        format!(
            "changing `{}.{column}` from `{old}` to `{new}` rewrites the table",
            t.name
        ),
        record.span.clone(),
    )
    .with_label("rewrites the table and its indexes under an exclusive lock")
    .with_help(
        "add a new column of the new type, write both and backfill in batches, then switch \
         reads and drop the old column; only growing a varchar or numeric precision, and \
         varchar <-> text, are free",
    )
    .with_data(
        json!({"table": t.name.to_string(), "column": column, "operation": "alter_type",
                      "from": old, "to": new}),
    );
    with_created_label(d, t)
}

/// Whether PostgreSQL changes `old` to `new` without rewriting the table (see the docs).
fn free_type_change(old: &str, new: &str) -> bool {
    let (Some((old_base, old_args)), Some((new_base, new_args))) =
        (parse_type(old), parse_type(new))
    else {
        return false;
    };
    if old_base == new_base && old_args == new_args {
        return true;
    }
    match (old_base.as_str(), new_base.as_str()) {
        ("varchar", "text") | ("text", "varchar") if new_args.is_empty() => true,
        ("varchar", "varchar") | ("varbit", "varbit") => {
            match (old_args.as_slice(), new_args.as_slice()) {
                (_, []) => true,
                ([n], [m]) => m >= n,
                _ => false,
            }
        }
        ("numeric", "numeric") => match (old_args.as_slice(), new_args.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p], [q, 0]) | ([p, 0], [q]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            _ => false,
        },
        _ => false,
    }
}

/// `timestamp` <-> `timestamptz` without a precision: no rewrite on PostgreSQL 12+ when the
/// session time zone is UTC. With one (`timestamp(3)`), PostgreSQL adds a length coercion
/// to the cast and rewrites the table whatever the time zone.
fn time_zone_change(old: &str, new: &str) -> bool {
    let (Some((old_base, old_args)), Some((new_base, new_args))) =
        (parse_type(old), parse_type(new))
    else {
        return false;
    };
    old_args.is_empty()
        && new_args.is_empty()
        && matches!(
            (old_base.as_str(), new_base.as_str()),
            ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
        )
}

/// `character varying(20)` -> (`varchar`, [20]); `None` for arrays and odd forms.
fn parse_type(ty: &str) -> Option<(String, Vec<u64>)> {
    let ty = ty.trim();
    if ty.ends_with(']') {
        return None;
    }
    let (base, args) = match ty.find('(') {
        Some(open) => {
            let close = ty.rfind(')')?;
            let args = ty.get(open + 1..close)?;
            let args: Option<Vec<u64>> = args.split(',').map(|a| a.trim().parse().ok()).collect();
            // `timestamp(3) with time zone`: the words after the arguments belong to the name.
            (format!("{} {}", &ty[..open], &ty[close + 1..]), args?)
        }
        None => (ty.to_owned(), Vec::new()),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let base = match base.as_str() {
        "character varying" | "varchar" => "varchar",
        "decimal" | "numeric" => "numeric",
        "bit varying" | "varbit" => "varbit",
        "int" | "integer" | "int4" => "int4",
        "bigint" | "int8" => "int8",
        "smallint" | "int2" => "int2",
        "bool" | "boolean" => "bool",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "double precision" | "float8" => "float8",
        "real" | "float4" => "float4",
        other => other,
    };
    Some((base.to_owned(), args))
}

enum Volatility {
    Fixed,
    Volatile(String),
    Unknown(String),
}

impl Volatility {
    fn function(&self) -> Option<&str> {
        match self {
            Volatility::Fixed => None,
            Volatility::Volatile(f) | Volatility::Unknown(f) => Some(f),
        }
    }
}

/// Functions PostgreSQL marks VOLATILE that show up in column defaults.
const VOLATILE: &[&str] = &[
    "clock_timestamp",
    "gen_random_bytes",
    "gen_random_uuid",
    "nextval",
    "random",
    "random_normal",
    "timeofday",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuid_generate_v7",
    "uuidv4",
    "uuidv7",
];

/// Built-in functions PostgreSQL marks IMMUTABLE or STABLE that show up in defaults.
const FIXED: &[&str] = &[
    "abs",
    "btrim",
    "ceil",
    "char_length",
    "coalesce",
    "concat",
    "concat_ws",
    "current_catalog",
    "current_database",
    "current_date",
    "current_role",
    "current_schema",
    "current_setting",
    "current_time",
    "current_timestamp",
    "current_user",
    "date_part",
    "date_trunc",
    "decode",
    "encode",
    "extract",
    "floor",
    "format",
    "greatest",
    "json_build_array",
    "json_build_object",
    "jsonb_build_array",
    "jsonb_build_object",
    "least",
    "left",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "make_timestamptz",
    "md5",
    "now",
    "nullif",
    "replace",
    "right",
    "round",
    "rtrim",
    "session_user",
    "statement_timestamp",
    "substr",
    "substring",
    "timezone",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_timestamp",
    "transaction_timestamp",
    "trim",
    "trunc",
    "upper",
    "user",
];

fn volatility(expr: &Expr) -> Volatility {
    let mut result = Volatility::Fixed;
    walk_expr(expr, &mut |e| {
        if let Expr::Function(f) = e {
            let name = function_name(f);
            if VOLATILE.contains(&name.as_str()) {
                if !matches!(result, Volatility::Volatile(_)) {
                    result = Volatility::Volatile(name);
                }
            } else if !FIXED.contains(&name.as_str()) && matches!(result, Volatility::Fixed) {
                result = Volatility::Unknown(name);
            }
        }
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{diagnostics, findings, pg};

    const POSTS: (&str, bool, &str) = (
        "1_posts",
        true,
        "CREATE TABLE posts (id SERIAL PRIMARY KEY, title VARCHAR(50), body TEXT, \
         score NUMERIC(5, 2), n INT, at TIMESTAMP);",
    );

    fn f(file: &str, line: usize) -> (&'static str, String, usize) {
        ("locking_column_change", format!("{file}/up.sql"), line)
    }

    #[test]
    fn table_created_in_the_same_migration() {
        let found = pg(
            &RULE,
            &[(
                "1_t",
                true,
                "CREATE TABLE t (a INT, b TEXT);\nALTER TABLE t ALTER COLUMN a TYPE BIGINT;\n\
                 ALTER TABLE t ALTER COLUMN b SET NOT NULL;\n\
                 ALTER TABLE t ADD COLUMN c UUID DEFAULT gen_random_uuid();\n\
                 ALTER TABLE t ADD COLUMN d INT NOT NULL;",
            )],
        );
        assert_eq!(found, vec![]);
    }

    #[test]
    fn add_column_defaults() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_cols",
                    true,
                    "ALTER TABLE posts ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();\n\
                     ALTER TABLE posts ADD COLUMN public_id UUID NOT NULL DEFAULT gen_random_uuid();\n\
                     ALTER TABLE posts ADD COLUMN state TEXT NOT NULL DEFAULT 'draft';\n\
                     ALTER TABLE posts ADD COLUMN u2 UUID DEFAULT uuid_generate_v4();\n\
                     ALTER TABLE posts ADD COLUMN seen TIMESTAMP DEFAULT (now() AT TIME ZONE 'utc');\n\
                     ALTER TABLE posts ADD COLUMN tags TEXT[] NOT NULL DEFAULT '{}'::text[];\n\
                     ALTER TABLE posts ADD COLUMN r FLOAT DEFAULT random() * 10;\n\
                     ALTER TABLE posts ADD COLUMN t2 TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP;\n\
                     ALTER TABLE posts ADD COLUMN code TEXT DEFAULT my_code();",
                ),
            ],
        );
        assert_eq!(
            found,
            vec![
                f("2_cols", 2),
                f("2_cols", 4),
                f("2_cols", 7),
                f("2_cols", 9)
            ]
        );
    }

    #[test]
    fn add_column_not_null_without_default_serial_and_generated() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_cols",
                    true,
                    "ALTER TABLE posts ADD COLUMN a INT NOT NULL;\n\
                     ALTER TABLE posts ADD COLUMN b INT;\n\
                     ALTER TABLE posts ADD COLUMN c BIGSERIAL;\n\
                     ALTER TABLE posts ADD COLUMN d INT GENERATED ALWAYS AS (n * 2) STORED;\n\
                     ALTER TABLE posts ADD COLUMN e INT NOT NULL DEFAULT 0;\n\
                     ALTER TABLE posts ADD COLUMN IF NOT EXISTS a INT NOT NULL;",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_cols", 1), f("2_cols", 3), f("2_cols", 4)]);
    }

    #[test]
    fn alter_column_type() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_types",
                    true,
                    "ALTER TABLE posts ALTER COLUMN title TYPE VARCHAR(100);\n\
                     ALTER TABLE posts ALTER COLUMN title TYPE TEXT;\n\
                     ALTER TABLE posts ALTER COLUMN score TYPE NUMERIC(7, 2);\n\
                     ALTER TABLE posts ALTER COLUMN n TYPE BIGINT;\n\
                     ALTER TABLE posts ALTER COLUMN body TYPE VARCHAR(20);\n\
                     ALTER TABLE posts ALTER COLUMN at TYPE TIMESTAMPTZ;\n\
                     ALTER TABLE posts ALTER COLUMN score TYPE NUMERIC(7, 3);\n\
                     ALTER TABLE posts ALTER COLUMN title TYPE TEXT USING title || '';\n\
                     ALTER TABLE posts ALTER COLUMN body TYPE VARCHAR(30) USING body;",
                ),
            ],
        );
        assert_eq!(
            found,
            vec![
                f("2_types", 4),
                f("2_types", 5),
                f("2_types", 6),
                f("2_types", 7),
                f("2_types", 8)
            ]
        );
    }

    #[test]
    fn timestamp_and_timestamptz_are_free_after_setting_utc_in_the_same_migration() {
        let found = pg(
            &RULE,
            &[
                (
                    "1_t",
                    true,
                    "CREATE TABLE t (a TIMESTAMP, b TIMESTAMPTZ, c TIMESTAMP(3), d TIMESTAMP, \
                     e TIMESTAMP);",
                ),
                (
                    "2_utc",
                    true,
                    "ALTER TABLE t ALTER COLUMN a TYPE TIMESTAMPTZ;\n\
                     SET LOCAL timezone = 'UTC';\n\
                     ALTER TABLE t ALTER COLUMN a TYPE TIMESTAMPTZ;\n\
                     ALTER TABLE t ALTER COLUMN b TYPE TIMESTAMP WITHOUT TIME ZONE;\n\
                     ALTER TABLE t ALTER COLUMN c TYPE TIMESTAMP(3) WITH TIME ZONE;\n\
                     ALTER TABLE t ALTER COLUMN d TYPE TIMESTAMPTZ(3);\n\
                     ALTER TABLE t ALTER COLUMN e TYPE TIMESTAMPTZ USING e AT TIME ZONE 'UTC';\n\
                     ALTER TABLE t ALTER COLUMN e TYPE DATE;\n\
                     RESET timezone;\n\
                     ALTER TABLE t ALTER COLUMN a TYPE TIMESTAMP;",
                ),
                (
                    "3_session",
                    true,
                    "SET TIME ZONE 'Etc/UTC';\nALTER TABLE t ALTER COLUMN a TYPE TIMESTAMPTZ;",
                ),
                // A SET in an earlier migration does not count: it may run on another day.
                (
                    "4_later",
                    true,
                    "ALTER TABLE t ALTER COLUMN a TYPE TIMESTAMP;",
                ),
                (
                    "5_paris",
                    true,
                    "SET timezone = 'UTC';\nSET timezone = 'Europe/Paris';\n\
                     ALTER TABLE t ALTER COLUMN b TYPE TIMESTAMPTZ;\n\
                     ALTER TABLE t ALTER COLUMN b TYPE TIMESTAMP;",
                ),
            ],
        );
        assert_eq!(
            found,
            vec![
                f("2_utc", 1),
                f("2_utc", 5),
                f("2_utc", 6),
                f("2_utc", 7),
                f("2_utc", 8),
                f("2_utc", 10),
                f("4_later", 1),
                f("5_paris", 3),
                f("5_paris", 4),
            ]
        );
    }

    #[test]
    fn shrinking_a_varchar_rewrites() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_t",
                    true,
                    "ALTER TABLE posts ALTER COLUMN title TYPE CHARACTER VARYING(10);",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_t", 1)]);
    }

    #[test]
    fn set_not_null_without_and_with_a_validated_check() {
        let found = pg(
            &RULE,
            &[
                POSTS,
                (
                    "2_nn",
                    true,
                    "ALTER TABLE posts ALTER COLUMN title SET NOT NULL;",
                ),
                (
                    "3_check",
                    true,
                    "ALTER TABLE posts ADD CONSTRAINT body_nn CHECK (body IS NOT NULL) NOT VALID;\n\
                     -- not validated yet: still a scan\n\
                     ALTER TABLE posts ALTER COLUMN body SET NOT NULL;",
                ),
                (
                    "4_validate",
                    true,
                    "ALTER TABLE posts ADD CONSTRAINT n_nn CHECK (n IS NOT NULL AND n > 0) NOT VALID;",
                ),
                (
                    "5_set",
                    true,
                    "ALTER TABLE posts VALIDATE CONSTRAINT n_nn;\n\
                     ALTER TABLE posts ALTER COLUMN n SET NOT NULL;\n\
                     ALTER TABLE posts DROP CONSTRAINT n_nn;\n\
                     -- already NOT NULL: a no-op\n\
                     ALTER TABLE posts ALTER COLUMN id SET NOT NULL;",
                ),
            ],
        );
        assert_eq!(found, vec![f("2_nn", 1), f("3_check", 3)]);
    }

    #[test]
    fn check_from_create_table_and_through_renames() {
        let found = pg(
            &RULE,
            &[
                (
                    "1_t",
                    true,
                    "CREATE TABLE t (a INT CHECK (a IS NOT NULL), b INT, CHECK (b IS NOT NULL));",
                ),
                (
                    "2_r",
                    true,
                    "ALTER TABLE t RENAME COLUMN a TO c;\nALTER TABLE t RENAME TO u;",
                ),
                (
                    "3_nn",
                    true,
                    "ALTER TABLE u ALTER COLUMN c SET NOT NULL;\nALTER TABLE u ALTER COLUMN b SET NOT NULL;",
                ),
                (
                    "4_drop",
                    true,
                    "ALTER TABLE u ALTER COLUMN b DROP NOT NULL;\nALTER TABLE u DROP CONSTRAINT t_b_check;",
                ),
                ("5_nn", true, "ALTER TABLE u ALTER COLUMN b SET NOT NULL;"),
            ],
        );
        assert_eq!(found, vec![f("5_nn", 1)]);
    }

    #[test]
    fn messages_and_help() {
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[
                POSTS,
                (
                    "2",
                    true,
                    "ALTER TABLE posts ALTER COLUMN body SET NOT NULL;",
                ),
            ],
        );
        assert_eq!(
            d[0].message,
            "`SET NOT NULL` on `posts.body` scans the table under an exclusive lock"
        );
        assert_eq!(
            d[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some(
                "ALTER TABLE posts ADD CONSTRAINT posts_body_not_null CHECK (body IS NOT NULL) NOT VALID;\n\
                 -- in a later migration:\n\
                 ALTER TABLE posts VALIDATE CONSTRAINT posts_body_not_null;\n\
                 ALTER TABLE posts ALTER COLUMN body SET NOT NULL;\n\
                 ALTER TABLE posts DROP CONSTRAINT posts_body_not_null;"
            )
        );
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[
                POSTS,
                (
                    "2",
                    true,
                    "ALTER TABLE posts ADD COLUMN p UUID DEFAULT gen_random_uuid();",
                ),
            ],
        );
        assert_eq!(
            d[0].message,
            "volatile default `gen_random_uuid()` on new column `posts.p`"
        );
        let (_, unknown) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[
                POSTS,
                (
                    "2",
                    true,
                    "ALTER TABLE posts ADD COLUMN c TEXT DEFAULT app.next_code();",
                ),
            ],
        );
        assert_eq!(
            unknown[0].message,
            "default `next_code()` on new column `posts.c` may be volatile"
        );
    }

    #[test]
    fn other_backends_are_not_checked() {
        let m = [
            ("1_t", true, "CREATE TABLE t (a INT);"),
            ("2_c", true, "ALTER TABLE t ADD COLUMN b INT NOT NULL;"),
        ];
        assert_eq!(findings(&RULE, Backend::Sqlite, &m), vec![]);
        assert_eq!(findings(&RULE, Backend::Mysql, &m), vec![]);
    }
}
