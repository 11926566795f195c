//! Narrow spans for objects inside a statement (an FK's clause rather than its whole
//! `CREATE TABLE`), from sqlparser's line/column locations.
//!
//! Those locations are relative to the text sqlparser was given: the whole file after its
//! byte-order mark (what the splitter gives), or the statement alone. Both readings are
//! tried, and one is used only when the text at that offset is the identifier sqlparser says
//! is there; otherwise the caller keeps the statement's span. The file reading goes through
//! the file's line index and the keyword is looked for backwards from the clause, so that a
//! table with 20,000 foreign keys costs 20,000 short steps, not 20,000 walks of the file.

use std::ops::Range;

use sqlparser::ast::Ident;
use sqlparser::tokenizer::Location;

use super::State;

/// The length of `text`'s byte-order mark (the splitter tokenizes the text after it).
pub(super) fn bom(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

/// The last occurrence of the ASCII word `keyword` (lower case) in `text`, in any case:
/// searched from the end, so finding one just before costs as much as the distance to it.
fn rfind_ignore_case(text: &str, keyword: &str) -> Option<usize> {
    let (hay, needle) = (text.as_bytes(), keyword.as_bytes());
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last)
        .rev()
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// Byte offset of a 1-based line/column (columns in characters) in `text[base..]`, walked
/// from `base`: for locations relative to one statement.
fn offset(text: &str, base: usize, loc: Location) -> Option<usize> {
    if loc.line == 0 || loc.column == 0 {
        return None;
    }
    let sub = text.get(base..)?;
    let mut line_start = 0;
    for _ in 1..loc.line {
        line_start += sub.get(line_start..)?.find('\n')? + 1;
    }
    let line = sub.get(line_start..)?;
    let col = usize::try_from(loc.column - 1).ok()?;
    let byte = match line.char_indices().nth(col) {
        Some((b, _)) => b,
        None if line.chars().count() == col => line.len(),
        None => return None,
    };
    Some(base + line_start + byte)
}

/// `true` when `text[at..]` starts with the identifier as written.
fn ident_at(text: &str, at: usize, ident: &Ident) -> bool {
    let Some(rest) = text.get(at..) else {
        return false;
    };
    match ident.quote_style {
        Some(q) => {
            let mut chars = rest.chars();
            chars.next() == Some(q) && chars.as_str().starts_with(&ident.value)
        }
        None => rest
            .get(..ident.value.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(&ident.value)),
    }
}

impl State {
    /// The byte range from `first` (whose location must check out) to `end`, widened back
    /// to `keyword` when it precedes `first` in the statement, and over a `)` right after
    /// `end` when `close_paren`.
    pub(super) fn clause_range(
        &self,
        first: &Ident,
        keyword: Option<&str>,
        end: Location,
        close_paren: bool,
    ) -> Option<Range<usize>> {
        let text = self.text.as_str();
        let statement = self.origin.span.range.clone();
        let bom = bom(text);
        let after_bom = text.get(bom..).unwrap_or_default();
        let in_file = |loc: Location| {
            (loc.column > 0)
                .then(|| self.lines.offset(after_bom, loc))
                .flatten()
                .map(|o| o + bom)
        };
        let in_statement = |loc: Location| offset(text, statement.start, loc);
        let readings: [&dyn Fn(Location) -> Option<usize>; 2] = [&in_file, &in_statement];
        for offset in readings {
            let Some(start) = offset(first.span.start) else {
                continue;
            };
            if !statement.contains(&start) || !ident_at(text, start, first) {
                continue;
            }
            let Some(mut stop) = offset(end) else {
                continue;
            };
            if stop < start || stop > statement.end {
                continue;
            }
            if close_paren && let Some(after) = text.get(stop..statement.end) {
                let trimmed = after.trim_start();
                if trimmed.starts_with(')') {
                    stop += after.len() - trimmed.len() + 1;
                }
            }
            let mut begin = start;
            if let Some(keyword) = keyword {
                let before = text.get(statement.start..start).unwrap_or("");
                if let Some(at) = rfind_ignore_case(before, keyword) {
                    begin = statement.start + at;
                }
            }
            return Some(begin..stop);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::ast::{Spanned, Statement, TableConstraint};
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    use super::*;
    use crate::model::Backend;
    use crate::source::{FileId, Span};

    /// Locations relative to the statement (a splitter that parses each statement's text
    /// alone) and relative to the file both land on the clause.
    #[test]
    fn statement_and_file_relative_locations() {
        let file = "SELECT 1;\n-- é\n  ALTER TABLE b ADD CONSTRAINT b_id\n  FOREIGN KEY (id) REFERENCES a (id);";
        let start = file.find("ALTER").unwrap_or_default();
        let range = start..file.len() - 1;
        let mut state = State::new(Backend::Postgres);
        state.set_text(file);
        state.origin.span = Span::new(FileId(0), range.clone());
        for (base, sql) in [(start, &file[range.clone()]), (0, file)] {
            let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
            let Some(Statement::AlterTable(at)) = statements.last() else {
                panic!("not an ALTER TABLE");
            };
            let sqlparser::ast::AlterTableOperation::AddConstraint {
                constraint: TableConstraint::ForeignKey(fk),
                ..
            } = &at.operations[0]
            else {
                panic!("not an FK");
            };
            let name = fk.name.as_ref().expect("named");
            let got = state.clause_range(name, Some("constraint"), fk.span().end, true);
            let got = got.map(|r| &file[r]);
            assert_eq!(
                got,
                Some("CONSTRAINT b_id\n  FOREIGN KEY (id) REFERENCES a (id)"),
                "base {base}"
            );
        }
    }
}
