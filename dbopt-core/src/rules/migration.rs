//! What the migration-safety rules share: which statements run on a table that existed
//! before their migration, and the secondary label pointing at where it was created.

use sqlparser::ast::Statement;

use crate::diagnostic::Diagnostic;
use crate::sql::{SchemaContext, StatementKind, StatementRecord, TargetTable};

/// The statement's parsed AST, if sqlparser read it.
pub(super) fn parsed(record: &StatementRecord) -> Option<&Statement> {
    match &record.statement.kind {
        StatementKind::Parsed(s) => Some(s),
        _ => None,
    }
}

/// `true` when the table was created by an earlier migration than the statement's. A table
/// created in the same migration is empty when the statement runs (diesel runs the file as
/// one transaction), so locks and scans on it cost nothing.
pub(super) fn existed_before(record: &StatementRecord, target: &TargetTable) -> bool {
    target
        .created
        .migration
        .is_some_and(|m| m < record.migration)
}

/// The first target of the statement that existed before its migration.
pub(super) fn existing_target(record: &StatementRecord) -> Option<&TargetTable> {
    record.targets.iter().find(|t| existed_before(record, t))
}

/// The statement's text as written.
pub(super) fn text<'a>(ctx: &SchemaContext<'a>, record: &StatementRecord) -> &'a str {
    ctx.sources
        .text(record.span.file)
        .get(record.span.range.clone())
        .unwrap_or("")
}

/// The number of statements in the statement's `up.sql`.
pub(super) fn statements_in_file(ctx: &SchemaContext<'_>, record: &StatementRecord) -> usize {
    ctx.replay
        .statements
        .iter()
        .filter(|s| s.span.file == record.span.file)
        .count()
}

/// Adds "table `t` created here" at the statement that created the table.
pub(super) fn with_created_label(d: Diagnostic, target: &TargetTable) -> Diagnostic {
    d.with_secondary(
        target.created.span.clone(),
        format!(
            "table `{}` created here, in an earlier migration",
            target.name
        ),
    )
}
