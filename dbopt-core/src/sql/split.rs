//! Statement splitting: sqlparser's tokenizer cuts a file at its top-level `;` tokens and
//! each statement is parsed on its own, so each gets its own byte range and one bad
//! statement never hides the next.
//!
//! Strings, quoted identifiers, comments and dollar-quoted bodies are single tokens, so a
//! `;` inside them never cuts. A `;` inside the `BEGIN .. END` body of a `CREATE FUNCTION |
//! PROCEDURE | TRIGGER | EVENT` does not cut either (SQLite and MySQL triggers, PostgreSQL's
//! `BEGIN ATOMIC`): the same heuristic as psql, which counts `BEGIN`/`CASE` against `END`
//! outside parentheses.

use std::ops::Range;

use sqlparser::dialect::{Dialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::model::Backend;
use crate::sql::keyword::{self, is_word};
use crate::sql::location::LocationIndex;
use crate::sql::{SqlStatement, StatementKind};

/// sqlparser's dialect for `backend`.
pub fn dialect(backend: Backend) -> Box<dyn Dialect> {
    match backend {
        Backend::Postgres => Box::new(PostgreSqlDialect {}),
        Backend::Sqlite => Box::new(SQLiteDialect {}),
        Backend::Mysql => Box::new(MySqlDialect {}),
    }
}

/// Splits `text` into statements with byte ranges and parses each one.
///
/// A statement the parser rejects becomes [`StatementKind::Unparsed`] (or a keyword-level
/// reading) and splitting goes on. A tokenizer error (an unterminated string, quoted
/// identifier, dollar quote or block comment) makes everything from the start of the
/// statement holding it to the end of the file one `Unparsed` statement, as for PostgreSQL
/// the rest of the file is inside the quote.
pub fn split(text: &str, backend: Backend) -> Vec<SqlStatement> {
    let dialect = dialect(backend);
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[base..];
    let index = LocationIndex::new(body);
    let offset = |loc: Location| index.offset(loc).map(|o| o + base);

    let mut tokens = Vec::new();
    let tokenized = Tokenizer::new(&*dialect, body).tokenize_with_location_into_buf(&mut tokens);
    let ranges: Vec<Range<usize>> = tokens
        .iter()
        .map(|t| {
            let start = offset(t.span.start).unwrap_or(base);
            start..offset(t.span.end).unwrap_or(start).max(start)
        })
        .collect();

    let (pieces, open) = cut(&tokens);
    // Each statement's tokens are moved out to its parser, not cloned: pieces come in file
    // order and never overlap, so one pass over the tokens hands them all out.
    let mut rest = tokens.into_iter();
    let mut handed_out = 0;
    let mut statement = |piece: &Piece| {
        let to = piece.semicolon.unwrap_or(piece.last);
        if piece.first > handed_out {
            rest.nth(piece.first - handed_out - 1);
        }
        handed_out = to + 1;
        let own = rest.by_ref().take(to + 1 - piece.first).collect();
        statement(&*dialect, text, own, &ranges, piece, &offset)
    };
    let mut statements: Vec<SqlStatement> = pieces.iter().map(&mut statement).collect();
    match tokenized {
        Ok(()) => statements.extend(open.as_ref().map(statement)),
        Err(err) => {
            // The failing token starts where the last buffered one ends; point there (the
            // opening quote) rather than at the end of the file where the tokenizer noticed.
            let failing = ranges.last().map_or(base, |r| r.end);
            let start = open.map_or(failing, |piece| ranges[piece.first].start);
            let end = text.trim_end().len().max(start);
            statements.push(SqlStatement {
                range: start..end,
                kind: StatementKind::Unparsed {
                    message: err.message,
                    offset: Some(failing),
                },
            });
        }
    }
    fold_copy_lines(statements)
}

/// Folds every statement that starts inside the previous one's range into it, so ranges
/// stay disjoint and in file order. Only a `COPY .. FROM STDIN` payload does that: it is
/// read from the line after the `;`, so statements on the rest of the `;` line lie inside
/// the COPY's range (PostgreSQL rejects such a file through diesel anyway: the server
/// parses the payload as SQL).
fn fold_copy_lines(statements: Vec<SqlStatement>) -> Vec<SqlStatement> {
    let mut out: Vec<SqlStatement> = Vec::with_capacity(statements.len());
    for s in statements {
        match out.last_mut() {
            Some(previous) if s.range.start < previous.range.end => {
                previous.range.end = previous.range.end.max(s.range.end);
            }
            _ => out.push(s),
        }
    }
    out
}

/// A statement's tokens: its first and last significant token and its closing `;`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    first: usize,
    last: usize,
    semicolon: Option<usize>,
}

/// Cuts `tokens` at top-level `;`. Returns the closed statements and the unclosed last one.
fn cut(tokens: &[TokenWithSpan]) -> (Vec<Piece>, Option<Piece>) {
    let mut pieces = Vec::new();
    let mut current: Option<Piece> = None;
    let mut block = Block::default();
    for (i, t) in tokens.iter().enumerate() {
        match &t.token {
            Token::Whitespace(_) => continue,
            Token::SemiColon if block.depth == 0 => {
                if let Some(mut piece) = current.take() {
                    piece.semicolon = Some(i);
                    pieces.push(piece);
                }
                block = Block::default();
            }
            token => {
                let next = tokens[i + 1..]
                    .iter()
                    .map(|t| &t.token)
                    .find(|t| !matches!(t, Token::Whitespace(_)));
                block.note(token, next);
                let first = current.map_or(i, |p| p.first);
                current = Some(Piece {
                    first,
                    last: i,
                    semicolon: None,
                });
            }
        }
    }
    (pieces, current)
}

/// The number of tokens kept to recognise a routine head (`CREATE OR REPLACE CONSTRAINT
/// TRIGGER`, MySQL's `CREATE DEFINER = `u`@`h` TRIGGER`).
const HEAD_TOKENS: usize = 16;

/// Tracks `BEGIN .. END` nesting inside the statement being cut.
#[derive(Default)]
struct Block<'a> {
    head: Vec<&'a Token>,
    /// Whether the statement is a `CREATE FUNCTION | PROCEDURE | TRIGGER | EVENT`, decided
    /// at its first `BEGIN`.
    routine: Option<bool>,
    parens: usize,
    depth: usize,
    /// The previous token was `END`: a `CASE` now closes (MySQL's `END CASE`), not opens.
    after_end: bool,
}

impl<'a> Block<'a> {
    fn note(&mut self, token: &'a Token, next: Option<&Token>) {
        if self.head.len() < HEAD_TOKENS {
            self.head.push(token);
        }
        let after_end = std::mem::replace(&mut self.after_end, is_word(token, "end"));
        match token {
            Token::LParen => self.parens += 1,
            Token::RParen => self.parens = self.parens.saturating_sub(1),
            _ if self.parens > 0 => {}
            _ if is_word(token, "begin") => {
                let head = &self.head;
                let routine = *self
                    .routine
                    .get_or_insert_with(|| keyword::routine_head(head).is_some());
                if routine {
                    self.depth += 1;
                }
            }
            _ if is_word(token, "case") && self.depth > 0 && !after_end => self.depth += 1,
            _ if is_word(token, "end") && self.depth > 0 => {
                // MySQL's `END IF`, `END LOOP`, ... close blocks that were not counted.
                let closes_uncounted = next.is_some_and(|n| {
                    ["if", "loop", "while", "repeat"]
                        .iter()
                        .any(|w| is_word(n, w))
                });
                if !closes_uncounted {
                    self.depth -= 1;
                }
            }
            _ => {}
        }
    }
}

/// Parses one piece; `own` holds its tokens, from its first one to its `;` (or last one).
fn statement(
    dialect: &dyn Dialect,
    text: &str,
    own: Vec<TokenWithSpan>,
    ranges: &[Range<usize>],
    piece: &Piece,
    offset: &dyn Fn(Location) -> Option<usize>,
) -> SqlStatement {
    let own_ranges = &ranges[piece.first..=piece.last];
    let start = own_ranges[0].start;
    // The payload of a `COPY .. FROM STDIN` comes before its `;` among the tokens but after
    // it in the file: take the furthest end. That payload ends with the line break after
    // `\.`, and MySQL's tokenizer lets a `@` take the line break after it: drop trailing
    // ASCII whitespace (only ASCII: sqlparser reads U+00A0 and friends as identifier
    // characters).
    let end = own_ranges.iter().map(|r| r.end).max().unwrap_or(start);
    let end = start
        + text.get(start..end).map_or(0, |s| {
            s.trim_end_matches(|c: char| c.is_ascii_whitespace()).len()
        });
    let range = start..end;
    if let Some(kind) = unread(&own) {
        return SqlStatement { range, kind };
    }
    let parsed =
        parse(dialect, own).or_else(|(err, own)| match create_table_without_not_valid(&own) {
            Some(retry) => parse(dialect, retry).map_err(|_| (err, own)),
            None => Err((err, own)),
        });
    let kind = match parsed {
        Ok(statement) => match data_keyword(&statement) {
            Some(keyword) => StatementKind::Neutral {
                keyword,
                seeds: seeded_table(&statement),
            },
            None => StatementKind::Parsed(Box::new(statement)),
        },
        Err((err, own)) => {
            let significant: Vec<&Token> = own[..=piece.last - piece.first]
                .iter()
                .map(|t| &t.token)
                .filter(|t| !matches!(t, Token::Whitespace(_)))
                .collect();
            keyword::classify(&significant).unwrap_or_else(|| {
                let (message, location) = parser_message(&err);
                let offset = match location {
                    // The only token past the range is the closing `;`: its end stands for it.
                    Some(loc) => offset(loc).map(|o| o.min(range.end)),
                    // Only the statement's tokens are parsed: EOF is its end.
                    None if message.ends_with("found: EOF") => Some(range.end),
                    None => None,
                };
                StatementKind::Unparsed {
                    message: message.to_owned(),
                    offset,
                }
            })
        }
    };
    SqlStatement { range, kind }
}

/// The most tokens (whitespace included) of one statement handed to sqlparser. Its syntax
/// tree costs 300 to 600 bytes per token (a 2 MB `SELECT 1,1,..` of 2 million tokens took
/// 1.2 GB and 2.5 s, a 12 MB one 9 GB): 100,000 tokens bound one statement to about 60 MB
/// and 0.1 s. Real schema statements stay far below: a `CREATE TABLE` with PostgreSQL's
/// maximum of 1,600 columns is about 13,000 tokens, and a function body in dollar quotes
/// is one token. Larger statements are data (a seed `INSERT` of many rows, a mysqldump
/// extended insert of 1 MB is about 250,000 tokens), read by their first keywords.
pub const MAX_STATEMENT_TOKENS: usize = 100_000;

/// The most `[]` after one type. sqlparser builds `INT[][]..` as nested types and printing,
/// cloning or dropping one recurses once per pair: 10,000 of them (a 20 KB file)
/// overflowed a thread's stack. PostgreSQL's arrays have at most 6 dimensions (`MAXDIM`).
pub const MAX_ARRAY_BRACKETS: usize = 64;

/// A statement not handed to the parser: larger than [`MAX_STATEMENT_TOKENS`] (data by its
/// first keyword, else reported), or a type with more than [`MAX_ARRAY_BRACKETS`] `[]`.
fn unread(tokens: &[TokenWithSpan]) -> Option<StatementKind> {
    let significant = || {
        tokens
            .iter()
            .map(|t| &t.token)
            .filter(|t| !matches!(t, Token::Whitespace(_)))
    };
    if tokens.len() > MAX_STATEMENT_TOKENS {
        let first = significant().next();
        let data = ["INSERT", "REPLACE", "UPDATE", "DELETE", "COPY"]
            .into_iter()
            .find(|k| first.is_some_and(|t| is_word(t, &k.to_ascii_lowercase())));
        return Some(match data {
            Some(keyword) => StatementKind::Neutral {
                keyword,
                seeds: None,
            },
            None => StatementKind::Unparsed {
                message: format!(
                    "statement too large to read: {} tokens, more than the {MAX_STATEMENT_TOKENS} \
                     dbopt reads",
                    tokens.len()
                ),
                offset: None,
            },
        });
    }
    let mut run = 0;
    let mut previous: Option<&Token> = None;
    for token in significant() {
        match token {
            Token::RBracket if previous == Some(&Token::LBracket) => {
                run += 1;
                if run > MAX_ARRAY_BRACKETS {
                    return Some(StatementKind::Unparsed {
                        message: format!(
                            "a type with more than {MAX_ARRAY_BRACKETS} `[]` is not read"
                        ),
                        offset: None,
                    });
                }
            }
            Token::LBracket => {}
            _ => run = 0,
        }
        previous = Some(token);
    }
    None
}

/// Statements that only change rows (`INSERT`, `UPDATE`, `DELETE`) are kept as
/// [`StatementKind::Neutral`]: no rule and no step of replay looks inside them,
/// and a seed-data migration of 300,000 `INSERT`s would otherwise keep 300,000 syntax trees
/// (gigabytes) alive until the rules have run.
fn data_keyword(statement: &sqlparser::ast::Statement) -> Option<&'static str> {
    use sqlparser::ast::Statement as S;
    Some(match statement {
        S::Insert(_) => "INSERT",
        S::Update(_) => "UPDATE",
        S::Delete(_) => "DELETE",
        _ => return None,
    })
}

/// `INSERT INTO t [(cols)] VALUES (..), ..`: the table it seeds with fixed rows (not an
/// `INSERT .. SELECT`, which copies rows of unknown number).
fn seeded_table(statement: &sqlparser::ast::Statement) -> Option<crate::sql::ObjectPath> {
    use sqlparser::ast::{SetExpr, Statement as S, TableObject};
    let S::Insert(insert) = statement else {
        return None;
    };
    let source = insert.source.as_ref()?;
    if !matches!(&*source.body, SetExpr::Values(_)) {
        return None;
    }
    let TableObject::TableName(name) = &insert.table else {
        return None;
    };
    crate::sql::replay::name_parts(name)
}

/// `NOT VALID` on a constraint inside `CREATE TABLE`, which sqlparser rejects: PostgreSQL
/// accepts it and creates the constraint valid (a new table has no rows to check), so the
/// statement means the same without those two words.
fn create_table_without_not_valid(tokens: &[TokenWithSpan]) -> Option<Vec<TokenWithSpan>> {
    let words: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let is = |k: usize, w: &str| words.get(k).is_some_and(|&i| is_word(&tokens[i].token, w));
    let table_at = if is(1, "table") {
        1
    } else if is(2, "table") && (is(1, "temp") || is(1, "temporary") || is(1, "unlogged")) {
        2
    } else {
        return None;
    };
    if !is(0, "create") || table_at == 0 {
        return None;
    }
    let mut drop = Vec::new();
    for k in 0..words.len().saturating_sub(1) {
        if is(k, "not") && is(k + 1, "valid") {
            drop.extend([words[k], words[k + 1]]);
        }
    }
    if drop.is_empty() {
        return None;
    }
    Some(
        tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, t)| t.clone())
            .collect(),
    )
}

/// Parses one statement's tokens (its closing `;` included, if any), requiring all of them
/// to be consumed: sqlparser happily stops early (`DROP INDEX CONCURRENTLY foo` reads
/// `CONCURRENTLY` as the name and leaves `foo`). On an error the tokens come back unchanged
/// (sqlparser's parser only reads them).
fn parse(
    dialect: &dyn Dialect,
    tokens: Vec<TokenWithSpan>,
) -> Result<sqlparser::ast::Statement, (ParserError, Vec<TokenWithSpan>)> {
    let mut parser = Parser::new(dialect).with_tokens_with_locations(tokens);
    let parsed = parser.parse_statement().and_then(|statement| {
        let _ = parser.consume_token(&Token::SemiColon);
        let next = parser.peek_token();
        if next.token == Token::EOF {
            Ok(statement)
        } else {
            parser.expected("end of statement", next)
        }
    });
    parsed.map_err(|err| (err, parser.into_tokens()))
}

/// sqlparser's message without its " at Line: l, Column: c" suffix, and that location.
fn parser_message(err: &ParserError) -> (&str, Option<Location>) {
    let message = match err {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m.as_str(),
        ParserError::RecursionLimitExceeded => "recursion limit exceeded",
    };
    let located = message.rfind(" at Line: ").and_then(|i| {
        let (line, column) = message[i + " at Line: ".len()..].split_once(", Column: ")?;
        let loc = Location::new(line.parse().ok()?, column.parse().ok()?);
        Some((&message[..i], loc))
    });
    match located {
        Some((message, loc)) => (message, Some(loc)),
        None => (message, None),
    }
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
