//! What the migration-safety rules share: which statements run on a table that existed
//! before their migration, and the secondary label pointing at where it was created.

use std::collections::HashMap;

use sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Statement};

use crate::diagnostic::Diagnostic;
use crate::source::FileId;
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

/// The number of statements in each `up.sql` (counted once: a rule asking per statement
/// would scan every statement of the replay for each).
pub(super) fn statements_per_file(ctx: &SchemaContext<'_>) -> HashMap<FileId, usize> {
    let mut counts = HashMap::new();
    for s in &ctx.replay.statements {
        *counts.entry(s.span.file).or_default() += 1;
    }
    counts
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

/// Calls `f` on `expr` and on the expressions inside it that matter to the rules (operands,
/// casts, function arguments, `CASE` arms, arrays), at most 64 levels deep.
pub(super) fn walk_expr(expr: &Expr, f: &mut impl FnMut(&Expr)) {
    walk(expr, f, 0);
}

fn walk(expr: &Expr, f: &mut impl FnMut(&Expr), depth: usize) {
    if depth > 64 {
        return;
    }
    f(expr);
    let mut go = |e: &Expr| walk(e, f, depth + 1);
    match expr {
        Expr::BinaryOp { left, right, .. } => {
            go(left);
            go(right);
        }
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::Cast { expr, .. }
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::Collate { expr, .. } => go(expr),
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } => {
            go(timestamp);
            go(time_zone);
        }
        Expr::Function(func) => {
            if let FunctionArguments::List(list) = &func.args {
                for arg in &list.args {
                    let (FunctionArg::Unnamed(a)
                    | FunctionArg::Named { arg: a, .. }
                    | FunctionArg::ExprNamed { arg: a, .. }) = arg;
                    if let FunctionArgExpr::Expr(e) = a {
                        go(e);
                    }
                }
            }
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            for e in operand.iter().chain(else_result) {
                go(e);
            }
            for c in conditions {
                go(&c.condition);
                go(&c.result);
            }
        }
        Expr::Array(array) => array.elem.iter().for_each(go),
        Expr::Tuple(items) => items.iter().for_each(go),
        _ => {}
    }
}

/// The lower-case last part of a function's name (`pg_catalog.now` -> `now`).
pub(super) fn function_name(func: &sqlparser::ast::Function) -> String {
    func.name
        .0
        .last()
        .map(|p| match p {
            sqlparser::ast::ObjectNamePart::Identifier(i) => i.value.to_lowercase(),
            sqlparser::ast::ObjectNamePart::Function(f) => f.name.value.to_lowercase(),
        })
        .unwrap_or_default()
}

/// `Users` -> `users`, `"Users"` -> `Users`, as the replay folds names.
pub(super) fn fold(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}
