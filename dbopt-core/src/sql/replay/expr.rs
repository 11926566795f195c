//! Index keys, expressions and predicates: the text we store for them, the name PostgreSQL
//! derives from them (`FigureIndexColname`), and the column references inside them.
//!
//! Expressions are stored as sqlparser prints them, re-tokenised with unquoted words folded
//! to lower case (`LOWER(Email)` and `lower(email)` are the same key). Column references are
//! found at token level: a word that is not followed by `(` (a function) or `.` (a
//! qualifier). That is exact for the expressions indexes are built on.

use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, IndexColumn, Value,
};
use sqlparser::dialect::{Dialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Token, Tokenizer, Word};

use crate::model::{Backend, IndexKey};
use crate::sql::naming::quote_ident;

use super::names::fold;

fn dialect(backend: Backend) -> Box<dyn Dialect> {
    match backend {
        Backend::Postgres => Box::new(PostgreSqlDialect {}),
        Backend::Sqlite => Box::new(SQLiteDialect {}),
        Backend::Mysql => Box::new(MySqlDialect {}),
    }
}

fn tokens(backend: Backend, text: &str) -> Option<Vec<Token>> {
    let d = dialect(backend);
    Tokenizer::new(&*d, text).tokenize().ok()
}

fn word_name(w: &Word) -> String {
    match w.quote_style {
        Some(_) => w.value.clone(),
        None => w.value.to_lowercase(),
    }
}

fn render(tokens: &[Token]) -> String {
    let mut out = String::new();
    for t in tokens {
        match t {
            Token::Word(w) if w.quote_style.is_none() => out.push_str(&w.value.to_lowercase()),
            Token::Whitespace(_) => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            other => out.push_str(&other.to_string()),
        }
    }
    out.trim().to_owned()
}

/// Indexes of the word tokens that are column references.
fn column_refs(tokens: &[Token]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = t else { continue };
        let next = tokens[i + 1..]
            .iter()
            .find(|t| !matches!(t, Token::Whitespace(_)));
        let prev = tokens[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::Whitespace(_)));
        if matches!(next, Some(Token::LParen | Token::Period)) {
            continue;
        }
        // `x::text`: the type after `::` is not a column.
        if matches!(prev, Some(Token::DoubleColon)) {
            continue;
        }
        if w.quote_style.is_none() && is_operator_word(&w.value) {
            continue;
        }
        out.push(i);
    }
    out
}

/// Words that are part of the expression syntax, never column names (`IS NULL`, `AND`).
/// Every other bare word not followed by `(` or `.` is a column: PostgreSQL reads
/// non-reserved keywords such as `name`, `status` or `type` as identifiers there.
fn is_operator_word(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "is" | "not"
            | "null"
            | "and"
            | "or"
            | "true"
            | "false"
            | "unknown"
            | "like"
            | "ilike"
            | "similar"
            | "to"
            | "between"
            | "symmetric"
            | "in"
            | "any"
            | "all"
            | "some"
            | "exists"
            | "case"
            | "when"
            | "then"
            | "else"
            | "end"
            | "distinct"
            | "from"
            | "at"
            | "interval"
            | "collate"
            | "escape"
            | "as"
            | "array"
            | "isnull"
            | "notnull"
            | "current_date"
            | "current_time"
            | "current_timestamp"
            | "localtime"
            | "localtimestamp"
            | "current_user"
            | "session_user"
    )
}

/// The stored form of an expression.
pub(super) fn normalize(backend: Backend, expr: &Expr) -> String {
    let text = expr.to_string();
    match tokens(backend, &text) {
        Some(t) => render(&t),
        None => text,
    }
}

/// `true` when the stored expression refers to `column`.
pub(super) fn mentions(backend: Backend, text: &str, column: &str) -> bool {
    let Some(t) = tokens(backend, text) else {
        return false;
    };
    column_refs(&t).into_iter().any(|i| match &t[i] {
        Token::Word(w) => word_name(w) == column,
        _ => false,
    })
}

/// The stored expression with references to `old` renamed to `new`.
pub(super) fn rename_column(backend: Backend, text: &str, old: &str, new: &str) -> String {
    let Some(mut t) = tokens(backend, text) else {
        return text.to_owned();
    };
    for i in column_refs(&t) {
        if let Token::Word(w) = &t[i]
            && word_name(w) == old
        {
            let quoted = quote_ident(new);
            let quote_style = quoted.starts_with('"').then_some('"');
            t[i] = Token::Word(Word {
                value: new.to_owned(),
                quote_style,
                keyword: sqlparser::keywords::Keyword::NoKeyword,
            });
        }
    }
    render(&t)
}

/// A plain column (also `(col)`, `col COLLATE x`, and a cast of a column to its own type,
/// all of which PostgreSQL reduces to the column) or an expression (outer parentheses
/// dropped). `column_type` gives a column's stored type.
pub(super) fn index_key(
    backend: Backend,
    col: &IndexColumn,
    column_type: impl Fn(&str) -> Option<String>,
) -> IndexKey {
    let mut e = &col.column.expr;
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    if let Some(name) = plain_column(e) {
        return IndexKey::Column(name);
    }
    if backend == Backend::Mysql
        && let Some(name) = mysql_prefix_column(e)
    {
        return IndexKey::Column(name);
    }
    if let Expr::Cast {
        expr: inner,
        data_type,
        ..
    } = e
        && let Some(name) = plain_column(inner)
        && column_type(&name).is_some_and(|t| t == normalize_type(data_type))
    {
        return IndexKey::Column(name);
    }
    IndexKey::Expression(normalize(backend, e))
}

/// MySQL's prefix key part `col(10)`, which sqlparser reads as a call.
fn mysql_prefix_column(expr: &Expr) -> Option<String> {
    let Expr::Function(f) = expr else {
        return None;
    };
    let [part] = f.name.0.as_slice() else {
        return None;
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))] = list.args.as_slice() else {
        return None;
    };
    if !matches!(v.value, Value::Number(..)) {
        return None;
    }
    part.as_ident().map(fold)
}

fn plain_column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(i) => Some(fold(i)),
        Expr::Nested(e) => plain_column(e),
        Expr::Collate { expr, .. } => plain_column(expr),
        _ => None,
    }
}

/// The name an index key contributes to a generated index name.
pub(super) fn key_name(col: &IndexColumn) -> String {
    figure_colname(&col.column.expr, 0)
        .map(|(_, n)| n)
        .unwrap_or_else(|| "expr".to_owned())
}

/// PostgreSQL's `FigureColnameInternal`: a name and its strength (2 = column or function,
/// 1 = type name of a cast).
fn figure_colname(expr: &Expr, depth: usize) -> Option<(u8, String)> {
    if depth > 64 {
        return None;
    }
    match expr {
        Expr::Identifier(i) => Some((2, fold(i))),
        Expr::CompoundIdentifier(ids) => ids.last().map(|i| (2, fold(i))),
        Expr::Nested(e) | Expr::Collate { expr: e, .. } => figure_colname(e, depth + 1),
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| (2, fold(i))),
        Expr::Cast {
            expr, data_type, ..
        } => match figure_colname(expr, depth + 1) {
            Some((2, n)) => Some((2, n)),
            _ => Some((1, cast_type_name(data_type))),
        },
        Expr::Case { .. } => Some((2, "case".to_owned())),
        Expr::Array(_) => Some((2, "array".to_owned())),
        Expr::Extract { .. } => Some((2, "extract".to_owned())),
        Expr::Substring { .. } => Some((2, "substring".to_owned())),
        Expr::Position { .. } => Some((2, "position".to_owned())),
        Expr::Overlay { .. } => Some((2, "overlay".to_owned())),
        Expr::Ceil { .. } => Some((2, "ceil".to_owned())),
        Expr::Floor { .. } => Some((2, "floor".to_owned())),
        _ => None,
    }
}

/// The last name of the type PostgreSQL's grammar produces for a cast target (`int` is
/// `pg_catalog.int4`).
fn cast_type_name(data_type: &DataType) -> String {
    let shown = data_type.to_string().to_lowercase();
    let base = shown.split('(').next().unwrap_or("").trim().to_owned();
    let mapped = match base.as_str() {
        "int" | "integer" | "int4" => "int4",
        "smallint" | "int2" => "int2",
        "bigint" | "int8" => "int8",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "float" => "float8",
        "boolean" | "bool" => "bool",
        "varchar" | "character varying" => "varchar",
        "char" | "character" | "bpchar" => "bpchar",
        "decimal" | "numeric" => "numeric",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "time with time zone" | "timetz" => "timetz",
        "time" | "time without time zone" => "time",
        other => {
            return other
                .rsplit('.')
                .next()
                .unwrap_or(other)
                .trim_matches('"')
                .to_owned();
        }
    };
    mapped.to_owned()
}

/// A column type as written: lower case outside double quotes, single spaces.
pub(super) fn normalize_type(data_type: &DataType) -> String {
    let text = data_type.to_string();
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if quoted {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG: Backend = Backend::Postgres;

    #[test]
    fn references_are_words_not_functions_types_or_keywords() {
        assert!(mentions(PG, "lower(email)", "email"));
        assert!(!mentions(PG, "lower(email)", "lower"));
        assert!(mentions(PG, "deleted_at is null", "deleted_at"));
        assert!(!mentions(PG, "deleted_at is null", "null"));
        assert!(!mentions(PG, "(a)::text", "text"));
        assert!(mentions(PG, "status = 'a' and name <> 'x'", "name"));
        assert!(!mentions(PG, "status = 'name'", "name"));
        assert!(mentions(PG, "\"Email\" is not null", "Email"));
        assert!(!mentions(PG, "\"Email\" is not null", "email"));
    }

    #[test]
    fn renames_follow_references_only() {
        assert_eq!(
            rename_column(PG, "lower(email)", "email", "mail"),
            "lower(mail)"
        );
        assert_eq!(
            rename_column(PG, "email = 'email'", "email", "Mail"),
            "\"Mail\" = 'email'"
        );
    }
}
