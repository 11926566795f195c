//! Inline suppression in SQL: `-- dbopt: allow(rule, rule2)`.
//!
//! Comments are found with sqlparser's tokenizer (so `--` inside a string or a function
//! body is not a comment). `--`, `#` (MySQL) and `/* .. */` comments are read; the comment's
//! text must start with `dbopt:`. A directive applies to one statement:
//! * the statement it sits inside (a comment between the lines of a `CREATE TABLE`),
//! * else, written after code on its line, the statement that ends on that line,
//! * else the next statement, when only comment lines lie between them (no blank line):
//!   the line right before the statement, or a block of comment lines directly above it.
//!
//! A directive that applies to no statement, or a rule name in it that silences nothing,
//! is reported by `unused_suppression`.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use crate::model::Backend;
use crate::source::{FileId, Span};
use crate::sql::location::LocationIndex;
use crate::sql::split::dialect;

/// One `dbopt:` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The whole comment.
    pub comment: Span,
    /// The rule names of `allow(..)`, each with its span in the comment, in written order.
    /// Empty when the comment is malformed.
    pub rules: Vec<(String, Span)>,
    /// `false` when the text after `dbopt:` is not `allow(name, ..)`.
    pub well_formed: bool,
    /// The byte range of the statement it applies to, in the same file.
    pub statement: Option<Range<usize>>,
}

static ALLOW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*dbopt\s*:\s*allow\s*\(([^()]*)\)").expect("a valid regex"));
static DBOPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*dbopt\s*:").expect("a valid regex"));
static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[^\s,]+").expect("a valid regex"));

/// Every `dbopt:` directive in `text` (the file `file`), attached to one of `statements`
/// (the file's statement ranges in order, as the splitter gives them).
pub fn directives(
    text: &str,
    file: FileId,
    backend: Backend,
    statements: &[Range<usize>],
) -> Vec<Directive> {
    let dialect = dialect(backend);
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[base..];
    let index = LocationIndex::new(body);
    let mut tokens = Vec::new();
    // On a tokenizer error the tokens before it are still in `tokens`; they are used.
    let _ = Tokenizer::new(&*dialect, body).tokenize_with_location_into_buf(&mut tokens);
    let mut out = Vec::new();
    for token in &tokens {
        let Token::Whitespace(ws) = &token.token else {
            continue;
        };
        let comment_text = match ws {
            Whitespace::SingleLineComment { comment, .. } => comment,
            Whitespace::MultiLineComment(comment) => comment,
            _ => continue,
        };
        if !DBOPT.is_match(comment_text) {
            continue;
        }
        let (Some(start), Some(end)) =
            (index.offset(token.span.start), index.offset(token.span.end))
        else {
            continue;
        };
        let range = start + base..(end + base).max(start + base);
        let Some(directive) = directive(text, file, range, statements) else {
            continue;
        };
        out.push(directive);
    }
    out
}

/// Reads the comment at `range` (already known to start with `dbopt:` after its prefix).
fn directive(
    text: &str,
    file: FileId,
    range: Range<usize>,
    statements: &[Range<usize>],
) -> Option<Directive> {
    let raw = text.get(range.clone())?;
    // The comment's text starts after its prefix (`--`, `#`, `/*`).
    let prefix_len = ["--", "#", "/*"]
        .iter()
        .find(|p| raw.starts_with(**p))
        .map_or(0, |p| p.len());
    let inner_start = range.start + prefix_len;
    let inner = &text[inner_start..range.end];
    let mut rules = Vec::new();
    let well_formed = match ALLOW.captures(inner) {
        Some(caps) => {
            let list = caps.get(1)?;
            for m in NAME.find_iter(list.as_str()) {
                let at = inner_start + list.start() + m.start();
                rules.push((
                    m.as_str().to_owned(),
                    Span::new(file, at..at + m.as_str().len()),
                ));
            }
            !rules.is_empty()
        }
        None => false,
    };
    // A single-line comment's token may include its line break; point at the text only.
    let shown_end = range.start + raw.trim_end().len();
    Some(Directive {
        comment: Span::new(file, range.start..shown_end),
        statement: attach(text, range, statements),
        rules,
        well_formed,
    })
}

/// The statement a comment at `comment` applies to (see the module docs).
fn attach(text: &str, comment: Range<usize>, statements: &[Range<usize>]) -> Option<Range<usize>> {
    if let Some(s) = statements
        .iter()
        .find(|s| s.start <= comment.start && comment.end <= s.end)
    {
        return Some(s.clone());
    }
    let line_start = text[..comment.start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..comment.start];
    if !before.trim().is_empty() {
        // After code on its line: the statement that ends on this line, before the comment.
        if let Some(s) = statements
            .iter()
            .rev()
            .find(|s| s.end <= comment.start && s.end >= line_start)
        {
            return Some(s.clone());
        }
    }
    let next = statements.iter().find(|s| s.start >= comment.end)?;
    let gap = &text[comment.end..next.start];
    // Only comment lines between: no blank line, no other code (`;` of an empty statement).
    let mut lines = gap.split('\n');
    lines.next(); // the rest of the comment's own line
    let last = lines.next_back();
    let only_comments = lines.all(|l| {
        let l = l.trim();
        l.starts_with("--") || l.starts_with('#') || l.starts_with("/*")
    }) && last.is_none_or(|l| l.trim().is_empty());
    let first_line_rest_blank = gap.split('\n').next().is_some_and(|l| l.trim().is_empty());
    (only_comments && first_line_rest_blank).then(|| next.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::split::split;

    fn run(sql: &str) -> Vec<(Vec<String>, Option<String>)> {
        let ranges: Vec<Range<usize>> = split(sql, Backend::Postgres)
            .into_iter()
            .map(|s| s.range)
            .collect();
        directives(sql, FileId(0), Backend::Postgres, &ranges)
            .into_iter()
            .map(|d| {
                (
                    d.rules.iter().map(|(r, _)| r.clone()).collect(),
                    d.statement.map(|r| sql[r].to_owned()),
                )
            })
            .collect()
    }

    fn one(names: &[&str], statement: Option<&str>) -> (Vec<String>, Option<String>) {
        (
            names.iter().map(|s| (*s).to_owned()).collect(),
            statement.map(str::to_owned),
        )
    }

    #[test]
    fn line_before_and_same_line() {
        let sql = "-- dbopt: allow(destructive_change)\nDROP TABLE a;\n\
                   DROP TABLE b; -- dbopt: allow(destructive_change, index_not_concurrent)\n\
                   DROP TABLE c;\n";
        assert_eq!(
            run(sql),
            vec![
                one(&["destructive_change"], Some("DROP TABLE a")),
                one(
                    &["destructive_change", "index_not_concurrent"],
                    Some("DROP TABLE b")
                ),
            ]
        );
    }

    #[test]
    fn blank_line_detaches_and_comment_block_attaches() {
        let sql = "-- dbopt: allow(destructive_change)\n\nDROP TABLE a;\n\
                   -- dbopt: allow(destructive_change)\n-- the table is unused since 2023\n\
                   DROP TABLE b;\n-- dbopt: allow(destructive_change)\n";
        assert_eq!(
            run(sql),
            vec![
                one(&["destructive_change"], None),
                one(&["destructive_change"], Some("DROP TABLE b")),
                one(&["destructive_change"], None),
            ]
        );
    }

    #[test]
    fn inside_a_statement_block_comments_and_strings() {
        let sql = "CREATE TABLE p (\n  -- dbopt: allow(fk_without_index)\n  u INT REFERENCES users\n);\n\
                   /* dbopt: allow(destructive_change) */ DROP TABLE x;\n\
                   SELECT '-- dbopt: allow(destructive_change)';\n";
        assert_eq!(
            run(sql),
            vec![
                one(
                    &["fk_without_index"],
                    Some(
                        "CREATE TABLE p (\n  -- dbopt: allow(fk_without_index)\n  u INT REFERENCES users\n)"
                    )
                ),
                one(&["destructive_change"], Some("DROP TABLE x")),
            ]
        );
    }

    #[test]
    fn malformed_and_spans() {
        let sql = "-- dbopt: allow destructive_change\nDROP TABLE a;\n--dbopt:allow( x ,y )\nDROP TABLE b;";
        let ranges: Vec<Range<usize>> = split(sql, Backend::Postgres)
            .into_iter()
            .map(|s| s.range)
            .collect();
        let d = directives(sql, FileId(0), Backend::Postgres, &ranges);
        assert_eq!(d.len(), 2);
        assert!(!d[0].well_formed);
        assert_eq!(
            &sql[d[0].comment.range.clone()],
            "-- dbopt: allow destructive_change"
        );
        assert!(d[1].well_formed);
        let names: Vec<&str> = d[1]
            .rules
            .iter()
            .map(|(_, s)| &sql[s.range.clone()])
            .collect();
        assert_eq!(names, ["x", "y"]);
    }
}
