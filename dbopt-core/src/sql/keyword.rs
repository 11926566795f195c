//! Keyword-level reading of statements sqlparser rejects, on the statement's tokens.
//!
//! Two handlers read forms that change the schema ([`StatementKind::DropIndex`],
//! [`StatementKind::AlterIndexRename`]); [`neutral`] recognises by their leading keywords the
//! forms that cannot change tables, columns or indexes (`DO`, functions, triggers, `COMMENT
//! ON`, ...). Everything else stays unparsed.

use sqlparser::tokenizer::{Token, Word};

use crate::sql::{ObjectPath, StatementKind};

/// Reads a rejected statement (its significant tokens, without the closing `;`).
pub(crate) fn classify(tokens: &[&Token]) -> Option<StatementKind> {
    drop_index(tokens)
        .or_else(|| alter_index_rename(tokens))
        .or_else(|| {
            neutral(tokens).map(|keyword| StatementKind::Neutral {
                keyword,
                seeds: None,
            })
        })
}

/// `DROP INDEX [CONCURRENTLY] [IF EXISTS] name [, name ..] [CASCADE | RESTRICT]`.
fn drop_index(tokens: &[&Token]) -> Option<StatementKind> {
    let mut c = Cursor::new(tokens);
    if !c.words(&["drop", "index"]) {
        return None;
    }
    let concurrently = c.word("concurrently");
    let if_exists = c.words(&["if", "exists"]);
    let mut names = vec![c.path()?];
    while c.token(&Token::Comma) {
        names.push(c.path()?);
    }
    let _ = c.word("cascade") || c.word("restrict");
    c.at_end().then_some(StatementKind::DropIndex {
        names,
        concurrently,
        if_exists,
    })
}

/// `ALTER INDEX [IF EXISTS] name RENAME TO new_name`.
fn alter_index_rename(tokens: &[&Token]) -> Option<StatementKind> {
    let mut c = Cursor::new(tokens);
    if !c.words(&["alter", "index"]) {
        return None;
    }
    let if_exists = c.words(&["if", "exists"]);
    let name = c.path()?;
    if !c.words(&["rename", "to"]) {
        return None;
    }
    let new_name = c.name()?;
    c.at_end().then_some(StatementKind::AlterIndexRename {
        name,
        new_name,
        if_exists,
    })
}

/// The leading keywords of a statement that cannot change tables, columns or indexes, e.g.
/// `"CREATE TRIGGER"`, or `None`.
pub(crate) fn neutral(tokens: &[&Token]) -> Option<&'static str> {
    if let Some(routine) = routine_head(tokens) {
        return Some(routine);
    }
    let mut c = Cursor::new(tokens);
    const LEADS: &[(&[&str], &str)] = &[
        (&["do"], "DO"),
        (&["comment", "on"], "COMMENT ON"),
        (&["grant"], "GRANT"),
        (&["revoke"], "REVOKE"),
        (&["reindex"], "REINDEX"),
        (&["pragma"], "PRAGMA"),
        (&["alter", "sequence"], "ALTER SEQUENCE"),
        (&["create", "statistics"], "CREATE STATISTICS"),
    ];
    LEADS
        .iter()
        .find(|(words, _)| c.words(words))
        .map(|&(_, keyword)| keyword)
}

/// `CREATE [OR REPLACE] [TEMP | TEMPORARY] [CONSTRAINT] [DEFINER = user] FUNCTION |
/// PROCEDURE | TRIGGER | EVENT [TRIGGER]`: the statement kind, e.g. `"CREATE TRIGGER"`.
/// These bodies may hold `;` inside `BEGIN .. END` (SQLite and MySQL triggers, PostgreSQL's
/// `BEGIN ATOMIC`), which the splitter needs to know.
pub(crate) fn routine_head(tokens: &[&Token]) -> Option<&'static str> {
    let mut c = Cursor::new(tokens);
    if !c.word("create") {
        return None;
    }
    let _ = c.words(&["or", "replace"]);
    let _ = c.word("temp") || c.word("temporary");
    let _ = c.word("constraint");
    if c.word("definer") {
        // MySQL: DEFINER = user[@host] | CURRENT_USER[()]; skip to the object keyword.
        while !c.at_end()
            && !["function", "procedure", "trigger", "event"]
                .iter()
                .any(|w| c.peek_word(w))
        {
            c.pos += 1;
        }
    }
    if c.word("function") {
        Some("CREATE FUNCTION")
    } else if c.word("procedure") {
        Some("CREATE PROCEDURE")
    } else if c.word("trigger") {
        Some("CREATE TRIGGER")
    } else if c.word("event") {
        Some(if c.word("trigger") {
            "CREATE EVENT TRIGGER"
        } else {
            "CREATE EVENT"
        })
    } else {
        None
    }
}

/// An unquoted word equal (ignoring ASCII case) to `lower`.
pub(crate) fn is_word(token: &Token, lower: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(lower))
}

/// A name part folded the PostgreSQL way: unquoted -> ASCII lower case, quoted verbatim.
fn fold(word: &Word) -> String {
    match word.quote_style {
        None => word.value.to_ascii_lowercase(),
        Some(_) => word.value.clone(),
    }
}

struct Cursor<'a, 't> {
    tokens: &'a [&'t Token],
    pos: usize,
}

impl<'a, 't> Cursor<'a, 't> {
    fn new(tokens: &'a [&'t Token]) -> Self {
        Cursor { tokens, pos: 0 }
    }

    fn peek_word(&self, lower: &str) -> bool {
        self.tokens.get(self.pos).is_some_and(|t| is_word(t, lower))
    }

    fn word(&mut self, lower: &str) -> bool {
        let found = self.peek_word(lower);
        self.pos += usize::from(found);
        found
    }

    /// All of `lower` in a row, or nothing consumed.
    fn words(&mut self, lower: &[&str]) -> bool {
        let found = lower
            .iter()
            .enumerate()
            .all(|(i, w)| self.tokens.get(self.pos + i).is_some_and(|t| is_word(t, w)));
        if found {
            self.pos += lower.len();
        }
        found
    }

    fn token(&mut self, expected: &Token) -> bool {
        let found = self.tokens.get(self.pos).is_some_and(|t| *t == expected);
        self.pos += usize::from(found);
        found
    }

    fn name(&mut self) -> Option<String> {
        match self.tokens.get(self.pos) {
            Some(Token::Word(w)) => {
                self.pos += 1;
                Some(fold(w))
            }
            _ => None,
        }
    }

    fn path(&mut self) -> Option<ObjectPath> {
        let mut path = vec![self.name()?];
        while self.token(&Token::Period) {
            path.push(self.name()?);
        }
        Some(path)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::Tokenizer;

    use super::*;

    fn tokens(sql: &str) -> Vec<Token> {
        Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize()
            .unwrap()
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect()
    }

    fn read(sql: &str) -> Option<StatementKind> {
        let tokens = tokens(sql);
        let refs: Vec<&Token> = tokens.iter().collect();
        classify(&refs)
    }

    fn drop(sql: &str) -> (Vec<ObjectPath>, bool, bool) {
        match read(sql) {
            Some(StatementKind::DropIndex {
                names,
                concurrently,
                if_exists,
            }) => (names, concurrently, if_exists),
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn paths(parts: &[&[&str]]) -> Vec<ObjectPath> {
        parts
            .iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn drop_index_forms() {
        assert_eq!(drop("DROP INDEX foo"), (paths(&[&["foo"]]), false, false));
        assert_eq!(
            drop("drop index concurrently Foo"),
            (paths(&[&["foo"]]), true, false)
        );
        assert_eq!(
            drop("DROP INDEX CONCURRENTLY IF EXISTS public.\"Foo\", \"a\"\"b\" CASCADE"),
            (paths(&[&["public", "Foo"], &["a\"b"]]), true, true)
        );
        assert_eq!(
            drop("DROP INDEX IF EXISTS s.i RESTRICT"),
            (paths(&[&["s", "i"]]), false, true)
        );
    }

    #[test]
    fn drop_index_rejects_other_shapes() {
        for sql in [
            "DROP INDEX",
            "DROP INDEX CONCURRENTLY",
            "DROP INDEX foo,",
            "DROP INDEX foo bar",
            "DROP INDEX s.",
            "DROP INDEX foo CASCADE RESTRICT",
            "DROP TABLE foo",
        ] {
            assert!(read(sql).is_none(), "{sql}");
        }
    }

    #[test]
    fn alter_index_rename_forms() {
        let Some(StatementKind::AlterIndexRename {
            name,
            new_name,
            if_exists,
        }) = read("ALTER INDEX IF EXISTS Audit.\"Idx\" RENAME TO New_Idx")
        else {
            panic!("not read");
        };
        assert_eq!(name, ["audit", "Idx"]);
        assert_eq!(new_name, "new_idx");
        assert!(if_exists);
        let Some(StatementKind::AlterIndexRename {
            name, if_exists, ..
        }) = read("alter index i rename to \"J\"")
        else {
            panic!("not read");
        };
        assert_eq!(name, ["i"]);
        assert!(!if_exists);
        for sql in [
            "ALTER INDEX i RENAME TO",
            "ALTER INDEX i RENAME TO s.j",
            "ALTER INDEX i SET TABLESPACE t",
            "ALTER INDEX IF EXISTS RENAME TO j",
        ] {
            assert!(read(sql).is_none(), "{sql}");
        }
    }

    fn neutral_of(sql: &str) -> Option<&'static str> {
        match read(sql) {
            Some(StatementKind::Neutral { keyword, .. }) => Some(keyword),
            Some(other) => panic!("{sql}: {other:?}"),
            None => None,
        }
    }

    #[test]
    fn neutral_forms() {
        assert_eq!(neutral_of("DO $$ BEGIN END $$"), Some("DO"));
        assert_eq!(
            neutral_of("COMMENT ON CONSTRAINT c ON t IS 'x'"),
            Some("COMMENT ON")
        );
        assert_eq!(
            neutral_of("CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS $$ $$"),
            Some("CREATE PROCEDURE")
        );
        assert_eq!(
            neutral_of("CREATE CONSTRAINT TRIGGER t AFTER INSERT ON x"),
            Some("CREATE TRIGGER")
        );
        assert_eq!(
            neutral_of("CREATE TEMP TRIGGER IF NOT EXISTS t"),
            Some("CREATE TRIGGER")
        );
        assert_eq!(
            neutral_of("CREATE EVENT TRIGGER e ON ddl_command_start"),
            Some("CREATE EVENT TRIGGER")
        );
        assert_eq!(
            neutral_of("CREATE DEFINER = CURRENT_USER FUNCTION f() RETURNS INT"),
            Some("CREATE FUNCTION")
        );
        assert_eq!(neutral_of("REINDEX INDEX i"), Some("REINDEX"));
        assert_eq!(
            neutral_of("ALTER SEQUENCE s RESTART"),
            Some("ALTER SEQUENCE")
        );
        assert_eq!(neutral_of("pragma foreign_keys = off"), Some("PRAGMA"));
        // Schema-changing or unknown statements are not neutral.
        for sql in [
            "CREATE TABLE event (id int)",
            "CREATE TABLE \"function\" (id int)",
            "ALTER TABLE t RENAME INDEX a TO b",
            "CREATE TYPE t AS ENUM ('a')",
            "\"do\" something",
        ] {
            assert_eq!(neutral_of(sql), None, "{sql}");
        }
    }
}
