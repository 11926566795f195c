//! `unparsed_statement`: a migration statement the SQL parser could not read.

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::sql::SchemaContext;

pub static RULE: Rule = Rule {
    name: "unparsed_statement",
    group: Group::Tooling,
    default_level: Level::Warn,
    summary: "a migration statement the sql parser could not read",
    docs: r#"## What it does
Reports each statement of a migration that the SQL parser (sqlparser, in the project's
dialect) and dbopt's own keyword handlers could not read. Replay skips the statement and
goes on with the next one, so one unreadable statement never hides the rest of a file.

Two kinds of statement are reported without being handed to the parser, since its syntax
tree would cost too much memory or stack: a statement of more than 100,000 tokens (unless it
starts with `INSERT`, `REPLACE`, `UPDATE`, `DELETE` or `COPY`: such a seed statement is data
and is passed over), and a type followed by more than 64 `[]`.

## Why is this bad
A skipped statement that changes the schema (creates an index, drops a constraint) makes
every finding after it less certain: an index created by an unreadable statement is unknown
to `fk_without_index`, for example.

## Example
```sql
CREATE STATISTICS posts_stats (dependencies) ON user_id, created_at FROM posts;
```

## Use instead
Nothing is wrong with the SQL itself if PostgreSQL accepts it. If the statement changes
tables, columns, constraints or indexes, please report it so the replay learns it; otherwise
silence it on the statement with `-- dbopt: allow(unparsed_statement)`.

## Configuration
Level: `unparsed_statement = "allow" | "warn" | "deny"` in `[package.metadata.dbopt]`.

## Known limitations
Statements without any schema effect that the parser rejects are reported too; dbopt cannot
know that a statement it cannot read is harmless.
"#,
    check: Check::Schema(check),
};

fn check(ctx: &SchemaContext<'_>, out: &mut Reporter) {
    for u in &ctx.replay.unparsed {
        out.report(
            Diagnostic::new(&RULE, "statement could not be parsed", u.span.clone())
                .with_label(u.message.clone())
                .with_help(
                    "replay skipped this statement; if it changes tables, columns, constraints \
                     or indexes, later findings may be wrong",
                ),
        );
    }
}
