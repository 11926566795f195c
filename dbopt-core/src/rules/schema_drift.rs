//! `schema_drift`: schema.rs and the replayed migrations disagree.

mod facts;
mod printed;

use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::model::{Backend, Column, QualName, Table};
use crate::rule::{Check, Group, Rule};
use crate::schema_rs::SchemaFile;
use crate::source::Span;
use crate::sql::SchemaContext;
use crate::sql::discover::PrintSchema;
use crate::sql::types::{SqlFamily, from_schema_rs, from_sql};

use facts::Facts;
pub(super) use printed::printed;

pub static RULE: Rule = Rule {
    name: "schema_drift",
    group: Group::Schema,
    default_level: Level::Deny,
    summary: "schema.rs and the replayed migrations disagree on tables, columns, nullability or type",
    docs: r#"## What it does
Compares each schema.rs with what `diesel print-schema` would write after running every
migration: tables and columns missing on either side, nullability, the SQL type (as the
family of diesel's `sql_types` each backend's type maps to) and primary keys.

It reads the diesel.toml `[print_schema]` section of the file like diesel does:
* `schema`: only the tables of that schema are expected in the file;
* `filter`: `only_tables` / `except_tables` regexes (unanchored, as diesel matches them)
  choose the expected tables;
* `patch_file`: the patch is applied in reverse to schema.rs to recover what print-schema
  wrote, so what the patch changes on purpose is not drift (a patch that no longer applies
  is reported);
* `column_sorting`: column order is never compared, so both orders are accepted;
* `generate_missing_sql_type_definitions`: custom types (enums, composite and extension
  types) compare by the database name in the generated `sql_types` module; a type imported
  from elsewhere (`import_types`, diesel-derive-enum) matches any custom type;
* `pg_domains_as_custom_types`: other domains compare as their base type;
* `sqlite_integer_primary_key_is_bigint`: rowid columns and the columns that reference them
  are `BigInt`.

Not drift: views (diesel does not print them; a hand-written `table!` for one is fine),
tables whose names start with `__` (diesel's own), SQLite's `sqlite_*` tables, and tables
without a primary key on PostgreSQL and MySQL (print-schema refuses them). A SQLite table
without a primary key is expected with diesel's implicit `rowid` column.

Type families, as diesel_cli 2.3's `determine_column_type` assigns them:

| migration type | PostgreSQL | SQLite | MySQL |
|---|---|---|---|
| `smallint`, `int2`, `smallserial` | `SmallInt` (`Int2`) | `SmallInt` | `SmallInt` |
| `integer`, `int`, `serial` | `Integer` (`Int4`) | `Integer` (any type containing `int`) | `Integer` |
| `bigint`, `int8`, `bigserial` | `BigInt` (`Int8`) | `BigInt` | `BigInt` |
| `tinyint` | custom | `Bool` | `TinyInt`; `tinyint(1)` is `Bool` |
| `boolean` | `Bool` | `Bool` | `Bool` |
| `real` / `double precision` / `float(p)` | `Float` / `Double` / by p | `Float` / `Double` / `Float` | `Double` / `Double` / by p |
| `numeric`, `decimal` | `Numeric` | `Double` | `Numeric` |
| `text`, `varchar`, `char`, `*text` | `Text` (`Varchar`, `Bpchar`) | `Text` | `Text` |
| `bytea`, `blob`, `*binary`, `bit(n)` | `Binary` (`Bytea`, `Bit`) | `Binary` | `Binary` (`Blob`, ...) |
| `timestamp [without time zone]` | `Timestamp` | `Timestamp` | `Timestamp` |
| `timestamptz`, `timestamp with time zone` | `Timestamptz` | custom | - |
| `datetime` | custom | `Timestamp` | `Datetime` |
| `date`, `time`, `interval` | `Date`, `Time`, `Interval` | `Date`, `Time`, custom | `Date`, `Time`, custom |
| `uuid`, `json`, `jsonb`, `inet`, `cidr`, `macaddr`, `money`, `oid` | the diesel type | custom | `json`: `Json` (MariaDB: `Text` too) |
| `x[]` | `Array<Nullable<x>>` | - | - |
| `int4range` ... | `Range<..>` | - | - |
| `... unsigned` | - | - | `Unsigned<x>` (`serial`: `Unsigned<BigInt>`) |
| enums, composites, other types | custom | custom | custom (`enum(..)`: per-column `Enum` type) |

## Why is this bad
Diesel trusts schema.rs completely. A column schema.rs lacks cannot be queried; one it has
but the database lacks fails at run time on every query of the table; a nullable column
declared NOT NULL fails to deserialize the first NULL; a type mismatch (`Int4` for a
`bigint`) fails to load or silently truncates. schema.rs is generated, so drift means a
migration was written without regenerating it, or schema.rs was edited by hand.

## Example
```sql
ALTER TABLE posts ADD COLUMN published_at TIMESTAMPTZ;
```
with a schema.rs that was not regenerated afterwards.

## Use instead
Run the migrations and regenerate the file:
```sh
diesel migration run
diesel print-schema > src/schema.rs
```
or, when schema.rs is what you want, write the migration that makes the database match.
Deliberate edits belong in the `patch_file` diesel applies after generating.

## Configuration
Level: `schema_drift = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`, or
`-A schema_drift` on the command line. The compared files and their options come from
diesel.toml's `[print_schema]` sections (or `--schema`).

## Known limitations
Only what replay models is compared: CHECK constraints, defaults, comments and column
order are not, nor the columns of a table made by `CREATE TABLE .. AS SELECT` or
`(LIKE ..)`, nor a table that a statement dbopt could not parse names (`unparsed_statement`
reports that statement). On SQLite a type print-schema cannot map (`uuid`, `json`) is not
compared, since schema.rs must then have been written by hand. A type created by a
statement dbopt could not parse is compared by name. Domains are resolved on PostgreSQL
only. MySQL `enum(..)` columns compare as one custom type whatever their values. A table
missing from schema.rs has no place there to point at: the finding points at the migration
that created it.
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    if ctx.migrations.is_empty() {
        return;
    }
    let facts = Facts::collect(ctx);
    for file in ctx.schema_files {
        let printed = printed(ctx, file, out);
        let section = file.print_schema.clone().unwrap_or_default();
        Compare {
            ctx,
            file,
            printed: printed.as_ref().unwrap_or(file),
            section: &section,
            facts: &facts,
            out,
        }
        .run();
    }
}

// ---- the comparison ----

struct Compare<'a, 'o> {
    ctx: &'a SchemaContext<'a>,
    /// The file as written (spans point here).
    file: &'a SchemaFile,
    /// The file as print-schema wrote it (compared).
    printed: &'a SchemaFile,
    section: &'a PrintSchema,
    facts: &'a Facts,
    out: &'o mut Reporter,
}

impl Compare<'_, '_> {
    fn run(&mut self) {
        let replayed = &self.ctx.replay.schema;
        for table in replayed.tables.values() {
            if self.facts.maybe_unparsed(&table.name.name) {
                // A statement replay could not read names the table: its model may be
                // wrong, and `unparsed_statement` already points at the statement.
                continue;
            }
            match self.printed.schema.tables.get(&table.name) {
                Some(printed) => self.table(table, printed),
                None if self.prints(table) => self.missing_table(table),
                None => {}
            }
        }
        for printed in self.printed.schema.tables.values() {
            if replayed.tables.contains_key(&printed.name)
                || self.facts.views.contains(&printed.name)
                || self.facts.maybe_unparsed(&printed.name.name)
            {
                continue;
            }
            self.extra_table(printed);
        }
    }

    /// Whether print-schema writes this table into this file.
    fn prints(&self, table: &Table) -> bool {
        let schema = self
            .section
            .schema
            .as_deref()
            .unwrap_or(self.ctx.backend.default_schema());
        let name = &table.name.name;
        table.name.schema == schema
            && !name.starts_with("__")
            && !(self.ctx.backend == Backend::Sqlite && name.starts_with("sqlite"))
            && (self.ctx.backend == Backend::Sqlite || !table.primary_key.is_empty())
            && self.section.filter.includes(name)
    }

    fn path(&self) -> String {
        self.ctx.sources.path(self.file.file).display().to_string()
    }

    fn regenerate(&self) -> String {
        format!(
            "run the migrations and regenerate the file: `diesel migration run` then \
             `diesel print-schema > {}`",
            self.path()
        )
    }

    /// The span of a table (or one of its columns) in the file as written.
    fn span_of(&self, table: &QualName, column: Option<&str>) -> Span {
        let written = self.file.schema.tables.get(table);
        if let (Some(t), Some(c)) = (written, column)
            && let Some(col) = t.column(c)
        {
            return col.origin.span.clone();
        }
        written.map_or_else(
            || {
                self.file
                    .schema
                    .tables
                    .values()
                    .map(|t| t.origin.span.clone())
                    .min_by_key(|s| s.range.start)
                    .unwrap_or_else(|| Span::new(self.file.file, 0..0))
            },
            |t| t.origin.span.clone(),
        )
    }

    fn missing_table(&mut self, table: &Table) {
        let d = Diagnostic::new(
            &RULE,
            format!("table `{}` is missing from {}", table.name, self.path()),
            table.origin.span.clone(),
        )
        .with_label(format!(
            "`{}` comes from here; schema.rs lacks it",
            table.name
        ))
        .with_help(self.regenerate())
        .with_data(json!({"kind": "table_missing_in_schema_rs", "table": table.name.to_string()}));
        self.out.report(d);
    }

    fn extra_table(&mut self, printed: &Table) {
        let mut d = Diagnostic::new(
            &RULE,
            format!(
                "schema.rs declares table `{}`, which the migrations do not create",
                printed.name
            ),
            self.span_of(&printed.name, None),
        )
        .with_label("no such table after the migrations")
        .with_help(format!(
            "if the migrations are right, {}; otherwise write the migration that creates `{}`",
            self.regenerate(),
            printed.name
        ))
        .with_data(
            json!({"kind": "table_missing_in_migrations", "table": printed.name.to_string()}),
        );
        if let Some((new, span)) = self.facts.renamed.get(&printed.name) {
            d = d.with_secondary(
                span.clone(),
                format!("`{}` renamed to `{new}` here", printed.name),
            );
        } else if let Some(span) = self.facts.dropped.get(&printed.name) {
            d = d.with_secondary(span.clone(), format!("`{}` dropped here", printed.name));
        }
        self.out.report(d);
    }

    fn table(&mut self, table: &Table, printed: &Table) {
        if table.columns.is_empty() {
            // `CREATE TABLE .. AS SELECT` / `(LIKE ..)`: replay does not know the columns.
            return;
        }
        let (columns, primary_key) = expected_columns(self.ctx.backend, table);
        for column in &columns {
            match printed.column(&column.name) {
                Some(p) => self.column(table, column, p),
                None => self.missing_column(table, column),
            }
        }
        for p in &printed.columns {
            if !columns.iter().any(|c| c.name == p.name) {
                self.extra_column(table, p);
            }
        }
        if !primary_key.is_empty() && primary_key != printed.primary_key {
            let d = Diagnostic::new(
                &RULE,
                format!(
                    "primary key of `{}` is ({}) in schema.rs but ({}) in the migrations",
                    table.name,
                    printed.primary_key.join(", "),
                    primary_key.join(", ")
                ),
                self.span_of(&table.name, None),
            )
            .with_label("primary key differs")
            .with_secondary(table.origin.span.clone(), "table created here")
            .with_help(format!(
                "if the migrations are right, {}; otherwise write a migration that changes the \
                 primary key",
                self.regenerate()
            ))
            .with_data(json!({
                "kind": "primary_key", "table": table.name.to_string(),
                "schema_rs": printed.primary_key, "migrations": primary_key,
            }));
            self.out.report(d);
        }
    }

    fn missing_column(&mut self, table: &Table, column: &Column) {
        let d = Diagnostic::new(
            &RULE,
            format!(
                "column `{}.{}` is missing from schema.rs",
                table.name, column.name
            ),
            self.span_of(&table.name, None),
        )
        .with_label(format!(
            "`{}` has no column `{}` here",
            table.name, column.name
        ))
        .with_secondary(
            column.origin.span.clone(),
            format!("column `{}` added here", column.name),
        )
        .with_help(self.regenerate())
        .with_data(json!({
            "kind": "column_missing_in_schema_rs", "table": table.name.to_string(),
            "column": column.name,
        }));
        self.out.report(d);
    }

    fn extra_column(&mut self, table: &Table, printed: &Column) {
        let d = Diagnostic::new(
            &RULE,
            format!(
                "schema.rs declares column `{}.{}`, which the migrations do not create",
                table.name, printed.name
            ),
            self.span_of(&table.name, Some(&printed.name)),
        )
        .with_label("no such column after the migrations")
        .with_secondary(
            table.origin.span.clone(),
            format!("`{}` created here", table.name),
        )
        .with_help(format!(
            "if the migrations are right, {}; otherwise write a migration that adds `{}`",
            self.regenerate(),
            printed.name
        ))
        .with_data(json!({
            "kind": "column_missing_in_migrations", "table": table.name.to_string(),
            "column": printed.name,
        }));
        self.out.report(d);
    }

    fn column(&mut self, table: &Table, column: &Column, printed: &Column) {
        let span = self.span_of(&table.name, Some(&column.name));
        if column.nullable != printed.nullable {
            let says = |nullable: bool| if nullable { "nullable" } else { "NOT NULL" };
            let fix = match self.ctx.backend {
                Backend::Postgres => format!(
                    "a migration with `ALTER TABLE {} ALTER COLUMN {} {}`",
                    table.name,
                    column.name,
                    if column.nullable {
                        "SET NOT NULL"
                    } else {
                        "DROP NOT NULL"
                    }
                ),
                Backend::Mysql => format!(
                    "a migration with `ALTER TABLE {} MODIFY {} {}{}`",
                    table.name,
                    column.name,
                    column.sql_type,
                    if column.nullable {
                        " NOT NULL"
                    } else {
                        " NULL"
                    }
                ),
                Backend::Sqlite => format!(
                    "a migration that rebuilds `{}` (SQLite cannot change a column's \
                     nullability in place)",
                    table.name
                ),
            };
            let d = Diagnostic::new(
                &RULE,
                format!(
                    "column `{}.{}` is {} in schema.rs but {} in the migrations",
                    table.name,
                    column.name,
                    says(printed.nullable),
                    says(column.nullable)
                ),
                span.clone(),
            )
            .with_label(format!("declared {}", says(printed.nullable)))
            .with_secondary(
                column.origin.span.clone(),
                format!("`{}` is {} after this", column.name, says(column.nullable)),
            )
            .with_help(format!(
                "if the migrations are right, {}; otherwise write {fix}",
                self.regenerate(),
            ))
            .with_data(json!({
                "kind": "nullability", "table": table.name.to_string(), "column": column.name,
                "schema_rs_nullable": printed.nullable, "migrations_nullable": column.nullable,
            }));
            self.out.report(d);
        }
        let ours = self.family(table, column);
        let theirs = from_schema_rs(&printed.sql_type, &|name| {
            self.printed
                .sql_types
                .iter()
                .find(|t| t.rust_name == name)
                .and_then(|t| t.db_name.clone())
        });
        // A type print-schema cannot print on SQLite (`uuid`, `json`): schema.rs was
        // written by hand for it, any type may be right.
        let unprintable =
            self.ctx.backend == Backend::Sqlite && matches!(ours, SqlFamily::Custom(_));
        if !unprintable && !ours.matches(&theirs, self.ctx.backend) {
            let declared = self.declared_name(&printed.sql_type);
            let d = Diagnostic::new(
                &RULE,
                format!(
                    "column `{}.{}` is `{}`{declared} in schema.rs but `{}` (`{ours}`) in the \
                     migrations",
                    table.name, column.name, printed.sql_type, column.sql_type
                ),
                span,
            )
            .with_label(format!("declared `{}`", printed.sql_type))
            .with_secondary(
                column.origin.span.clone(),
                format!("`{}` is `{}` after this", column.name, column.sql_type),
            )
            .with_help(format!(
                "print-schema writes `{}` as `{ours}`; if the migrations are right, {}; \
                 otherwise write a migration that changes the column's type",
                column.sql_type,
                self.regenerate()
            ))
            .with_data(json!({
                "kind": "type", "table": table.name.to_string(), "column": column.name,
                "schema_rs_type": printed.sql_type, "migrations_type": column.sql_type,
                "expected_diesel_type": ours.to_string(),
            }));
            self.out.report(d);
        }
    }

    /// ` (database type `mood`)` when the type's innermost name is a custom type declared
    /// in the file's `sql_types` with a database name other than its Rust name.
    fn declared_name(&self, rust: &str) -> String {
        let inner = rust
            .rsplit(['<', '>', ',', ' '])
            .find(|s| !s.is_empty())
            .unwrap_or(rust);
        let squash = |s: &str| s.replace('_', "").to_lowercase();
        self.printed
            .sql_types
            .iter()
            .find(|t| t.rust_name == inner)
            .and_then(|t| t.db_name.as_deref())
            .filter(|db| squash(db) != squash(inner))
            .map_or_else(String::new, |db| format!(" (database type `{db}`)"))
    }

    /// The diesel family of a replayed column, with the print_schema options applied.
    fn family(&self, table: &Table, column: &Column) -> SqlFamily {
        let backend = self.ctx.backend;
        let mut family = from_sql(backend, &column.sql_type);
        if backend == Backend::Postgres {
            family = self.resolve_domain(family, 0);
            family = self.renamed_type(family, 0);
        }
        if backend == Backend::Sqlite
            && self.section.sqlite_integer_primary_key_is_bigint == Some(true)
            && family == SqlFamily::Diesel("Integer")
        {
            let rowid = |t: &Table, c: &str| {
                matches!(t.primary_key.as_slice(), [pk] if pk == c)
                    && t.column(c).is_some_and(|c| c.sql_type == "integer")
            };
            let references_rowid = table.foreign_keys.iter().any(|fk| {
                fk.columns == [column.name.clone()]
                    && self
                        .ctx
                        .replay
                        .schema
                        .tables
                        .get(&fk.referenced_table)
                        .is_some_and(|p| {
                            fk.referenced_columns.len() == 1 && rowid(p, &fk.referenced_columns[0])
                        })
            });
            if rowid(table, &column.name) || references_rowid {
                family = SqlFamily::Diesel("BigInt");
            }
        }
        family
    }

    /// A custom type under the name later `ALTER TYPE .. RENAME TO` gave it.
    fn renamed_type(&self, family: SqlFamily, depth: usize) -> SqlFamily {
        match family {
            SqlFamily::Array(inner) if depth < 8 => {
                SqlFamily::Array(Box::new(self.renamed_type(*inner, depth + 1)))
            }
            SqlFamily::Custom(Some(name)) => {
                SqlFamily::Custom(Some(self.facts.type_name_now(&name)))
            }
            other => other,
        }
    }

    fn resolve_domain(&self, family: SqlFamily, depth: usize) -> SqlFamily {
        match family {
            SqlFamily::Array(inner) if depth < 8 => {
                SqlFamily::Array(Box::new(self.resolve_domain(*inner, depth + 1)))
            }
            SqlFamily::Custom(Some(name)) if depth < 8 => {
                let custom = self
                    .section
                    .pg_domains_as_custom_types
                    .iter()
                    .filter_map(|r| regex::Regex::new(r).ok())
                    .any(|r| r.is_match(&name));
                match self.facts.domains.get(&name) {
                    Some(base) if !custom => {
                        self.resolve_domain(from_sql(Backend::Postgres, base), depth + 1)
                    }
                    _ => SqlFamily::Custom(Some(name)),
                }
            }
            other => other,
        }
    }
}

/// The columns and primary key print-schema sees: SQLite's implicit rowid is added to a
/// table without a primary key (as `rowid`, else `oid`, else `_rowid_`, the first name no
/// column takes).
fn expected_columns(backend: Backend, table: &Table) -> (Vec<Column>, Vec<String>) {
    let mut columns = table.columns.clone();
    let mut primary_key = table.primary_key.clone();
    if backend == Backend::Sqlite && primary_key.is_empty() {
        let alias = ["rowid", "oid", "_rowid_"]
            .into_iter()
            .find(|a| table.column(a).is_none());
        if let Some(alias) = alias {
            columns.insert(
                0,
                Column {
                    name: alias.to_owned(),
                    sql_type: "integer".to_owned(),
                    nullable: false,
                    origin: table.origin.clone(),
                },
            );
            primary_key = vec![alias.to_owned()];
        }
    }
    (columns, primary_key)
}

#[cfg(test)]
mod tests;
