//! `unused_suppression`: a `-- dbopt: allow(..)` comment in a migration that silences
//! nothing, names an unknown rule, or cannot be read.
//!
//! Unknown names and malformed comments are found by the check; whether a known name
//! silenced anything is only known after every other rule ran, so the engine calls
//! [`apply`], which also drops the silenced findings.

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rules::{RULES, find};
use crate::sql::SchemaContext;
use crate::sql::suppress::{Directive, directives};

pub static RULE: Rule = Rule {
    name: "unused_suppression",
    group: Group::Tooling,
    default_level: Level::Warn,
    summary: "a `-- dbopt: allow(..)` comment in sql that silences nothing",
    docs: r#"## What it does
Reports `-- dbopt: allow(rule)` comments in migrations that do not silence any finding: the
rule does not fire on the statement the comment applies to, the rule name is unknown, or
the comment is not of the form `dbopt: allow(rule, ..)`.

A comment applies to the statement it sits in, to the statement that ends on its line when
it follows code, or else to the next statement when only comment lines (no blank line)
separate them.

## Why is this bad
A suppression that silences nothing is either misplaced (a blank line between it and its
statement, a typo in the rule name) and so does not do what its author meant, or stale,
and then it would hide a real finding if the statement changed.

## Example
```sql
-- dbopt: allow(destructive_changes)

ALTER TABLE users DROP COLUMN legacy_token;
```

## Use instead
```sql
-- dbopt: allow(destructive_change)
ALTER TABLE users DROP COLUMN legacy_token;
```

## Configuration
Level: `unused_suppression = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`.
A rule at level `allow` does not run, so its suppressions are not reported; a comment that
also lists `unused_suppression` is never reported.

## Known limitations
Only migration SQL is read; suppressions of code rules live in `#[db_checked(allow(..))]`.
"#,
    check: Check::Schema(check),
};

/// Unknown rule names and malformed `dbopt:` comments.
fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    for d in all_directives(ctx) {
        if !d.well_formed {
            out.report(
                Diagnostic::new(&RULE, "unreadable dbopt comment", d.comment.clone())
                    .with_label("expected `dbopt: allow(rule, ..)`")
                    .with_help("write it as `-- dbopt: allow(rule_name)`"),
            );
            continue;
        }
        for (name, span) in &d.rules {
            if find(name).is_some() {
                continue;
            }
            let help = match closest(name) {
                Some(known) => format!("did you mean `{known}`?"),
                None => "`cargo dbopt rules` lists every rule".to_owned(),
            };
            out.report(
                Diagnostic::new(
                    &RULE,
                    format!("unknown rule `{name}` in suppression"),
                    span.clone(),
                )
                .with_label("no rule has this name")
                .with_help(help),
            );
        }
    }
}

/// Drops every finding a directive silences and, when `unused_suppression` is enabled,
/// reports each known, enabled rule name of a directive that silenced nothing.
pub(crate) fn apply(
    ctx: &SchemaContext<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    level_of: &dyn Fn(&Rule) -> Level,
) {
    let directives = all_directives(ctx);
    let mut used: Vec<Vec<bool>> = directives
        .iter()
        .map(|d| vec![false; d.rules.len()])
        .collect();
    diagnostics.retain(|diag| {
        let at = &diag.primary.span;
        let mut silenced = false;
        for (d, used) in directives.iter().zip(used.iter_mut()) {
            let Some(statement) = &d.statement else {
                continue;
            };
            if d.comment.file != at.file
                || !(statement.start <= at.range.start && at.range.start <= statement.end)
            {
                continue;
            }
            for ((name, _), used) in d.rules.iter().zip(used.iter_mut()) {
                if name == diag.rule {
                    *used = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    let level = level_of(&RULE);
    if level == Level::Allow {
        return;
    }
    for (d, used) in directives.iter().zip(&used) {
        if d.rules.iter().any(|(n, _)| n == RULE.name) {
            continue;
        }
        for ((name, span), used) in d.rules.iter().zip(used) {
            let Some(rule) = find(name) else {
                continue; // reported by the check
            };
            #[allow(irrefutable_let_patterns)]
            let enabled = matches!(rule.check, Check::Schema(_)) && level_of(rule) != Level::Allow;
            if *used || !enabled {
                continue;
            }
            let (label, help) = match d.statement {
                Some(_) => (
                    format!("`{name}` reports nothing on this statement"),
                    format!("remove `{name}` from the comment"),
                ),
                None => (
                    "this comment applies to no statement".to_owned(),
                    "put the comment on the statement's line or on the line right before it"
                        .to_owned(),
                ),
            };
            let mut diag = Diagnostic::new(
                &RULE,
                format!("unused suppression of `{name}`"),
                span.clone(),
            )
            .with_label(label)
            .with_help(help);
            diag.level = level;
            diagnostics.push(diag);
        }
    }
}

fn all_directives(ctx: &SchemaContext<'_>) -> Vec<Directive> {
    // Statement ranges per migration, in one pass (records are in migration order).
    let mut ranges: Vec<Vec<std::ops::Range<usize>>> = vec![Vec::new(); ctx.migrations.len()];
    for s in &ctx.replay.statements {
        if let Some(r) = ranges.get_mut(s.migration) {
            r.push(s.span.range.clone());
        }
    }
    let mut out = Vec::new();
    for (m, statements) in ctx.migrations.iter().zip(&ranges) {
        let text = ctx.sources.text(m.up_sql);
        if !text.contains("dbopt") {
            continue; // no directive: spare the tokenizer
        }
        out.extend(directives(text, m.up_sql, ctx.backend, statements));
    }
    out
}

/// The rule name closest to `name` by edit distance, if it is close (a typo).
fn closest(name: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|r| (distance(name, r.name), r.name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Backend;
    use crate::rules::test_support::{diagnostics, pg};
    use crate::rules::{destructive_change, fk_without_index, unparsed_statement};

    const USERS: (&str, bool, &str) = (
        "1_users",
        true,
        "CREATE TABLE users (id SERIAL PRIMARY KEY, legacy TEXT);",
    );

    fn f(rule: &'static str, file: &str, line: usize) -> (&'static str, String, usize) {
        (rule, format!("{file}/up.sql"), line)
    }

    #[test]
    fn unknown_names_and_malformed_comments() {
        let found = pg(
            &RULE,
            &[(
                "1_t",
                true,
                "-- dbopt: allow(destructive_changes, fk_without_index)\nCREATE TABLE t (a INT);\n\
                 -- dbopt: allow(frobnicate)\nCREATE TABLE u (a INT);\n\
                 -- dbopt: deny(fk_without_index)\nCREATE TABLE v (a INT);\n\
                 -- dbopt is a linter, this is not a directive\nCREATE TABLE w (a INT);",
            )],
        );
        assert_eq!(
            found,
            vec![
                f("unused_suppression", "1_t", 1),
                f("unused_suppression", "1_t", 3),
                f("unused_suppression", "1_t", 5),
            ]
        );
        let (_, d) = diagnostics(
            &RULE,
            Backend::Postgres,
            &[(
                "1_t",
                true,
                "-- dbopt: allow(destructive_changes)\nSELECT 1;",
            )],
        );
        assert_eq!(
            d[0].message,
            "unknown rule `destructive_changes` in suppression"
        );
        assert_eq!(
            d[0].help.as_deref(),
            Some("did you mean `destructive_change`?")
        );
    }

    #[test]
    fn used_unused_and_rules_that_did_not_run() {
        // The helper runs destructive_change only: other rules are at `allow`, so their
        // suppressions cannot be judged and are not reported.
        let found = pg(
            &destructive_change::RULE,
            &[
                USERS,
                (
                    "2_m",
                    true,
                    "ALTER TABLE users DROP COLUMN legacy; -- dbopt: allow(destructive_change)\n\
                     -- dbopt: allow(destructive_change, index_not_concurrent)\n\
                     ALTER TABLE users ADD COLUMN fresh TEXT;\n\
                     -- dbopt: allow(destructive_change)\n\n\
                     DROP TABLE users;",
                ),
            ],
        );
        assert_eq!(
            found,
            vec![
                f("unused_suppression", "2_m", 2),
                f("unused_suppression", "2_m", 4),
                f("destructive_change", "2_m", 6),
            ]
        );
        let (_, d) = diagnostics(
            &destructive_change::RULE,
            Backend::Postgres,
            &[
                USERS,
                (
                    "2_m",
                    true,
                    "-- dbopt: allow(destructive_change)\n\nDROP TABLE users;",
                ),
            ],
        );
        assert_eq!(d[0].message, "unused suppression of `destructive_change`");
        assert_eq!(d[0].primary.message, "this comment applies to no statement");
    }

    #[test]
    fn a_comment_inside_create_table_silences_its_foreign_key() {
        let migrations = [
            USERS,
            (
                "2_posts",
                true,
                "CREATE TABLE posts (\n  id SERIAL PRIMARY KEY,\n  -- dbopt: allow(fk_without_index)\n  \
                 user_id INT REFERENCES users (id)\n);\n\
                 CREATE TABLE votes (\n  user_id INT REFERENCES users (id)\n);",
            ),
        ];
        assert_eq!(
            pg(&fk_without_index::RULE, &migrations),
            vec![f("fk_without_index", "2_posts", 7)]
        );
    }

    #[test]
    fn an_unparsed_statement_can_be_silenced() {
        let sql = "CREATE TABLE t (a INT);\nCREATE SCHEMA s;\n\
                   -- dbopt: allow(unparsed_statement)\nALTER TABLE t SET SCHEMA s;\n\
                   ALTER TABLE t SET SCHEMA s;";
        assert_eq!(
            pg(&unparsed_statement::RULE, &[("1_t", true, sql)]),
            vec![f("unparsed_statement", "1_t", 5)]
        );
    }

    #[test]
    fn listing_unused_suppression_keeps_a_comment_quiet() {
        let found = pg(
            &destructive_change::RULE,
            &[(
                "1_t",
                true,
                "-- dbopt: allow(destructive_change, unused_suppression)\nCREATE TABLE t (a INT);",
            )],
        );
        assert_eq!(found, vec![]);
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(closest("fk_without_indx"), Some("fk_without_index"));
        assert_eq!(closest("something_else_entirely"), None);
    }
}
