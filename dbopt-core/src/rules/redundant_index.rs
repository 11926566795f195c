//! `redundant_index`: an index whose key is a prefix of another index on the same table.

use serde_json::json;

use crate::diagnostic::{Applicability, Diagnostic, Fix, Level, Reporter};
use crate::model::{Backend, Index, IndexKey, IndexKind, Table};
use crate::rule::{Check, Group, Rule};
use crate::sql::SchemaContext;
use crate::sql::naming::{quote_ident, quote_qualified};

pub static RULE: Rule = Rule {
    name: "redundant_index",
    group: Group::Performance,
    default_level: Level::Warn,
    summary: "an index whose key is a prefix of another index on the same table",
    docs: r#"## What it does
After replaying every migration, finds an index whose key columns (or expressions) are the
leading keys of another index on the same table, with the same access method and the same
`WHERE` predicate, so the other index answers every query the first one does.

A UNIQUE index is redundant only next to another UNIQUE index with exactly the same key (a
longer unique key does not enforce the shorter one's uniqueness). Of two identical indexes,
the one that backs no constraint, else the later one, is reported. `INCLUDE` columns of the
redundant index must be in the other index too. Only B-tree indexes have usable prefixes;
other methods must match exactly.

## Why is this bad
Every index is written on each `INSERT` and on each `UPDATE` of its columns, takes disk and
cache, and slows `VACUUM`. An index the planner never needs is pure cost. They usually
appear when an index is added for a foreign key that a composite index or the primary key
already covered, or when a migration is re-run under a new name.

## Example
```sql
CREATE INDEX posts_user_id_idx ON posts (user_id);
CREATE INDEX posts_user_id_created_at_idx ON posts (user_id, created_at);
```

## Use instead
Keep the longer index and drop the prefix in a new migration (on PostgreSQL without
blocking writes: `DROP INDEX CONCURRENTLY` as the only statement of its `up.sql`, with
`run_in_transaction = false` in its metadata.toml):
```sql
DROP INDEX CONCURRENTLY IF EXISTS posts_user_id_idx;
```

## Configuration
Level: `redundant_index = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`, or
`-A redundant_index` on the command line.

## Known limitations
Sort direction (`DESC`, `NULLS FIRST`) is not compared: an index that differs from another
only in it is reported. An index created with an operator class or a collation
(`text_pattern_ops`, `COLLATE "C"`) is left out, since the model does not keep them.
Indexes MySQL/InnoDB creates for foreign keys are never reported (MySQL drops them itself
when another index covers the key). SQLite cannot drop the index of a UNIQUE constraint: the
help then says to rebuild the table.
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    for table in ctx.replay.schema.tables.values() {
        for (ai, a) in table.indexes.iter().enumerate() {
            if a.kind == IndexKind::ForeignKey || !a.valid || a.kind == IndexKind::PrimaryKey {
                continue;
            }
            if special_keys(ctx, a) {
                continue;
            }
            let cover = table.indexes.iter().enumerate().find(|(bi, b)| {
                *bi != ai && !special_keys(ctx, b) && makes_redundant(b, *bi, a, ai)
            });
            if let Some((_, b)) = cover {
                out.report(finding(ctx, table, a, b));
            }
        }
    }
}

/// An index whose statement names an operator class or a collation (`text_pattern_ops`,
/// `COLLATE "C"`): the model keeps only its columns, so it is never compared.
fn special_keys(ctx: &SchemaContext<'_>, index: &Index) -> bool {
    if index.kind != IndexKind::Explicit {
        return false;
    }
    let span = &index.origin.span;
    let text = ctx.sources.text(span.file);
    text.get(span.range.clone()).is_some_and(|s| {
        let s = s.to_lowercase();
        s.contains("_ops") || s.contains("collate")
    })
}

/// `true` when `b` answers every query `a` does (see the docs), ties broken so that only
/// one of two identical indexes is reported.
fn makes_redundant(b: &Index, bi: usize, a: &Index, ai: usize) -> bool {
    if !b.valid || b.method != a.method || b.predicate != a.predicate {
        return false;
    }
    if a.keys.len() > b.keys.len() || b.keys[..a.keys.len()] != a.keys[..] {
        return false;
    }
    let same_keys = a.keys.len() == b.keys.len();
    if !same_keys && (a.method != "btree" || a.unique) {
        return false;
    }
    if a.unique && !b.unique {
        return false;
    }
    let b_has = |c: &String| b.include.contains(c) || b.keys.contains(&IndexKey::Column(c.clone()));
    if !a.include.iter().all(b_has) {
        return false;
    }
    if same_keys && a.unique == b.unique && a.include.len() == b.include.len() {
        // Identical: keep the one that backs a constraint, else the earlier one.
        let constraint = |i: &Index| i.kind != IndexKind::Explicit;
        if constraint(a) != constraint(b) {
            return constraint(b);
        }
        let order = |i: &Index, pos: usize| (i.origin.migration, i.origin.span.range.start, pos);
        return order(b, bi) < order(a, ai);
    }
    true
}

fn keys(index: &Index) -> String {
    index
        .keys
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => c.as_str(),
            IndexKey::Expression(e) => e.as_str(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn finding(ctx: &SchemaContext<'_>, table: &Table, a: &Index, b: &Index) -> Diagnostic {
    let constraint = a.kind == IndexKind::UniqueConstraint;
    let sql = match ctx.backend {
        Backend::Postgres if constraint => Some(format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            quote_qualified(&table.name),
            quote_ident(&a.name)
        )),
        Backend::Postgres => {
            let name = crate::model::QualName::new(table.name.schema.clone(), a.name.clone());
            Some(format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {};",
                quote_qualified(&name)
            ))
        }
        // A UNIQUE key is an index like any other.
        Backend::Mysql => Some(format!(
            "DROP INDEX {} ON {};",
            quote_ident(&a.name),
            quote_qualified(&table.name)
        )),
        // SQLite refuses to drop a constraint's autoindex.
        Backend::Sqlite if constraint => None,
        Backend::Sqlite => Some(format!("DROP INDEX IF EXISTS {};", quote_ident(&a.name))),
    };
    let help = match &sql {
        Some(sql) if ctx.backend == Backend::Postgres && !constraint => format!(
            "drop it in a new migration: `{sql}`\n(as the only statement of its up.sql, with \
             `run_in_transaction = false` in the migration's metadata.toml)"
        ),
        Some(sql) => format!("drop it in a new migration: `{sql}`"),
        None => format!(
            "it backs a UNIQUE constraint, which SQLite cannot drop in place: rebuild `{}` \
             without it in a new migration",
            table.name
        ),
    };
    let what = if a.keys.len() == b.keys.len() {
        "duplicates"
    } else {
        "is a prefix of"
    };
    let mut d = Diagnostic::new(
        &RULE,
        format!(
            "index `{}` on {}({}) {what} index `{}`",
            a.name,
            table.name,
            keys(a),
            b.name
        ),
        a.origin.span.clone(),
    )
    .with_label(format!("`{}` is redundant", a.name))
    .with_secondary(
        b.origin.span.clone(),
        format!("`{}` on ({}) already serves its queries", b.name, keys(b)),
    )
    .with_help(help);
    if let Some(sql) = sql {
        d = d.with_fix(Fix {
            title: format!("drop `{}`", a.name),
            sql,
            applicability: Applicability::Unsafe,
        });
    }
    d.with_data(json!({
        "table": table.name.to_string(),
        "index": a.name,
        "columns": keys(a),
        "covered_by": b.name,
    }))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::source::SourceMap;
    use crate::sql::{LoadedMigration, Migration};

    /// `(message, line)` of every finding over one `up.sql` per string.
    fn findings(backend: Backend, files: &[&str]) -> Vec<(String, usize)> {
        let mut sources = SourceMap::new();
        let migrations: Vec<LoadedMigration> = files
            .iter()
            .enumerate()
            .map(|(i, sql)| LoadedMigration {
                migration: Migration {
                    version: format!("2024010100000{i}"),
                    name: format!("2024010100000{i}_m"),
                    dir: PathBuf::from(format!("m{i}")),
                    run_in_transaction: true,
                },
                up_sql: sources.add(format!("m{i}/up.sql"), *sql),
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
        out.into_diagnostics()
            .into_iter()
            .map(|d| {
                let at = sources.line_col(d.primary.span.file, d.primary.span.range.start);
                (d.message, at.line)
            })
            .collect()
    }

    const TABLE: &str = "CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT NOT NULL, \
                         created_at TIMESTAMP NOT NULL, title TEXT, slug TEXT);\n";

    #[test]
    fn prefix_of_a_composite_index() {
        let sql = format!(
            "{TABLE}CREATE INDEX posts_user ON posts (user_id);\n\
             CREATE INDEX posts_user_created ON posts (user_id, created_at);\n"
        );
        assert_eq!(
            findings(Backend::Postgres, &[&sql]),
            vec![(
                "index `posts_user` on posts(user_id) is a prefix of index `posts_user_created`"
                    .to_owned(),
                2
            )]
        );
    }

    #[test]
    fn duplicates_report_the_later_or_the_unconstrained_one() {
        let second = "CREATE INDEX posts_title_again ON posts (title);\n\
                      CREATE UNIQUE INDEX posts_id_key2 ON posts (id);";
        assert_eq!(
            findings(
                Backend::Postgres,
                &[
                    &format!("{TABLE}CREATE INDEX posts_title ON posts (title);"),
                    second
                ]
            ),
            vec![
                (
                    "index `posts_title_again` on posts(title) duplicates index `posts_title`"
                        .to_owned(),
                    1
                ),
                (
                    "index `posts_id_key2` on posts(id) duplicates index `posts_pkey`".to_owned(),
                    2
                ),
            ]
        );
    }

    #[test]
    fn not_redundant() {
        let sql = format!(
            "{TABLE}\
             CREATE INDEX a ON posts (created_at, user_id);\n\
             CREATE INDEX b ON posts (user_id);\n\
             CREATE INDEX c ON posts (title) WHERE title IS NOT NULL;\n\
             CREATE INDEX d ON posts (title, slug);\n\
             CREATE UNIQUE INDEX e ON posts (slug);\n\
             CREATE INDEX f ON posts (slug, title);\n\
             CREATE INDEX g ON posts USING hash (user_id);\n\
             CREATE INDEX h ON posts (lower(title));\n\
             CREATE INDEX i ON posts (created_at) INCLUDE (slug);\n\
             CREATE INDEX j ON posts (created_at, title);\n\
             CREATE UNIQUE INDEX k ON posts (user_id, created_at);\n\
             CREATE INDEX l ON posts (title text_pattern_ops);\n\
             CREATE INDEX m ON posts (slug COLLATE \"C\");\n"
        );
        // Only b, which leads the unique k. Not: b for a (not leading), c (partial), e
        // (unique, f is longer), g (hash), h (expression), i (includes slug, a and j lack
        // it), l and m (operator class, collation: d and f serve other queries).
        assert_eq!(
            findings(Backend::Postgres, &[&sql]),
            vec![(
                "index `b` on posts(user_id) is a prefix of index `k`".to_owned(),
                3
            )]
        );
    }

    #[test]
    fn mysql_fk_indexes_are_left_alone_and_sqlite_rowid_counts() {
        let mysql = "CREATE TABLE users (id INT PRIMARY KEY);\n\
                     CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, \
                     FOREIGN KEY (user_id) REFERENCES users (id));\n\
                     CREATE INDEX posts_user ON posts (user_id, id);";
        assert_eq!(findings(Backend::Mysql, &[mysql]), vec![]);
        let sqlite = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);\n\
                      CREATE INDEX users_id ON users (id);\n\
                      CREATE UNIQUE INDEX users_email ON users (email);";
        assert_eq!(
            findings(Backend::Sqlite, &[sqlite]),
            vec![
                (
                    "index `users_id` on users(id) duplicates index `rowid`".to_owned(),
                    2
                ),
                (
                    "index `users_email` on users(email) duplicates index \
                     `sqlite_autoindex_users_1`"
                        .to_owned(),
                    3
                ),
            ]
        );
    }

    /// The help and fix of each finding, for one `up.sql`.
    fn fixes(backend: Backend, sql: &str) -> Vec<(String, Option<String>)> {
        let mut sources = SourceMap::new();
        let migrations = vec![LoadedMigration {
            migration: Migration {
                version: "20240101000000".into(),
                name: "20240101000000_m".into(),
                dir: PathBuf::from("m"),
                run_in_transaction: true,
            },
            up_sql: sources.add("m/up.sql", sql),
        }];
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
        out.into_diagnostics()
            .into_iter()
            .map(|d| (d.help.unwrap_or_default(), d.fix.map(|f| f.sql)))
            .collect()
    }

    #[test]
    fn fixes_per_backend() {
        assert_eq!(
            fixes(
                Backend::Sqlite,
                "CREATE TABLE t (a TEXT, b TEXT, UNIQUE (a, b), UNIQUE (a, b));\n\
                 CREATE INDEX t_a ON t (a);"
            ),
            vec![(
                "drop it in a new migration: `DROP INDEX IF EXISTS t_a;`".to_owned(),
                Some("DROP INDEX IF EXISTS t_a;".to_owned())
            )]
        );
        assert_eq!(
            fixes(
                Backend::Sqlite,
                "CREATE TABLE t (id INTEGER PRIMARY KEY UNIQUE, a TEXT);"
            ),
            vec![(
                "it backs a UNIQUE constraint, which SQLite cannot drop in place: rebuild `t` \
                 without it in a new migration"
                    .to_owned(),
                None
            )]
        );
        assert_eq!(
            fixes(
                Backend::Mysql,
                "CREATE TABLE t (id INT PRIMARY KEY, email VARCHAR(50) UNIQUE);\n\
                 CREATE UNIQUE INDEX t_email ON t (email);"
            ),
            vec![(
                "drop it in a new migration: `DROP INDEX t_email ON t;`".to_owned(),
                Some("DROP INDEX t_email ON t;".to_owned())
            )]
        );
        assert_eq!(
            fixes(
                Backend::Postgres,
                "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, UNIQUE (a, b));\n\
                 ALTER TABLE t ADD CONSTRAINT t_a_b_again UNIQUE (a, b);"
            ),
            vec![(
                "drop it in a new migration: `ALTER TABLE t DROP CONSTRAINT t_a_b_again;`"
                    .to_owned(),
                Some("ALTER TABLE t DROP CONSTRAINT t_a_b_again;".to_owned())
            )]
        );
    }
}
