use std::path::PathBuf;

use super::*;
use crate::source::{LineCol, SourceFile};

fn pg(text: &str) -> Vec<SqlStatement> {
    split(text, Backend::Postgres)
}

/// Each statement's text and a short tag for its kind.
fn shape(text: &str, statements: &[SqlStatement]) -> Vec<(String, String)> {
    statements
        .iter()
        .map(|s| {
            let kind = match &s.kind {
                StatementKind::Parsed(_) => "parsed".to_owned(),
                StatementKind::DropIndex { .. } => "drop index".to_owned(),
                StatementKind::AlterIndexRename { .. } => "alter index rename".to_owned(),
                StatementKind::Neutral { keyword, .. } => format!("neutral {keyword}"),
                StatementKind::Unparsed { message, offset } => {
                    let at = offset.map_or("?".to_owned(), |o| format!("{:?}", &text[o..]));
                    format!("unparsed: {message} @ {at}")
                }
            };
            (text[s.range.clone()].to_owned(), kind)
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[track_caller]
fn check(backend: Backend, text: &str, expected: &[(&str, &str)]) {
    assert_eq!(shape(text, &split(text, backend)), pairs(expected));
}

#[test]
fn ranges_exclude_semicolons_whitespace_and_comments() {
    let text = "-- header; not a statement\n  CREATE TABLE a (id int) ;\n\n/* b; */ CREATE INDEX i ON a (id)\t;-- trailing\nSELECT 1";
    check(
        Backend::Postgres,
        text,
        &[
            ("CREATE TABLE a (id int)", "parsed"),
            ("CREATE INDEX i ON a (id)", "parsed"),
            ("SELECT 1", "parsed"),
        ],
    );
}

#[test]
fn degenerate_files() {
    for text in [
        "",
        " \n\t",
        ";",
        ";;;",
        " ; ;\n;",
        "-- only a comment",
        "/* only */ -- comments\n",
        "\u{feff}",
        "\u{feff};",
    ] {
        assert!(pg(text).is_empty(), "{text:?}");
    }
    check(Backend::Postgres, ";;SELECT 1;;", &[("SELECT 1", "parsed")]);
}

#[test]
fn semicolons_inside_tokens_never_cut() {
    let text = concat!(
        "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN NEW.a := ';'; RETURN NEW; END; $$ LANGUAGE plpgsql;\n",
        "DO $body$ BEGIN PERFORM 1; END $body$;\n",
        "SELECT 'a;b', \"c;d\", E'\\';' /* x; */ -- y;\n;\n",
        "COMMENT ON TABLE t IS 'it''s; fine';",
    );
    check(
        Backend::Postgres,
        text,
        &[
            (
                "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN NEW.a := ';'; RETURN NEW; END; $$ LANGUAGE plpgsql",
                "parsed",
            ),
            ("DO $body$ BEGIN PERFORM 1; END $body$", "neutral DO"),
            ("SELECT 'a;b', \"c;d\", E'\\';'", "parsed"),
            ("COMMENT ON TABLE t IS 'it''s; fine'", "parsed"),
        ],
    );
}

#[test]
fn a_bad_statement_does_not_hide_the_next() {
    let text = "CREATE TABLE (id int);\nCREATE TABLE b (id int);\nALTER TABLE b ADD COLUMN  ;\nSELECT 1 2;\nSELECT 1 +";
    check(
        Backend::Postgres,
        text,
        &[
            (
                "CREATE TABLE (id int)",
                "unparsed: Expected: identifier, found: ( @ \"(id int);\\nCREATE TABLE b (id int);\\nALTER TABLE b ADD COLUMN  ;\\nSELECT 1 2;\\nSELECT 1 +\"",
            ),
            ("CREATE TABLE b (id int)", "parsed"),
            (
                "ALTER TABLE b ADD COLUMN",
                "unparsed: Expected: identifier, found: ; @ \"  ;\\nSELECT 1 2;\\nSELECT 1 +\"",
            ),
            (
                "SELECT 1 2",
                "unparsed: Expected: end of statement, found: 2 @ \"2;\\nSELECT 1 +\"",
            ),
            (
                "SELECT 1 +",
                "unparsed: Expected: an expression, found: EOF @ \"\"",
            ),
        ],
    );
}

#[test]
fn unterminated_dollar_quote_swallows_the_rest_of_the_file() {
    let text = "CREATE TABLE a (id int);\n  DO $$ BEGIN;\nCREATE TABLE b (id int);\n\n";
    check(
        Backend::Postgres,
        text,
        &[
            ("CREATE TABLE a (id int)", "parsed"),
            (
                "DO $$ BEGIN;\nCREATE TABLE b (id int);",
                "unparsed: Unterminated dollar-quoted string @ \"$$ BEGIN;\\nCREATE TABLE b (id int);\\n\\n\"",
            ),
        ],
    );
    let text = "SELECT 1; CREATE FUNCTION f() AS $fn$ x; $$ ;";
    check(
        Backend::Postgres,
        text,
        &[
            ("SELECT 1", "parsed"),
            (
                "CREATE FUNCTION f() AS $fn$ x; $$ ;",
                "unparsed: Unterminated dollar-quoted, expected $ @ \"$fn$ x; $$ ;\"",
            ),
        ],
    );
}

#[test]
fn other_tokenizer_errors() {
    // The failing token is the statement's first one.
    check(
        Backend::Postgres,
        "SELECT 1;\n 'open; SELECT 2;",
        &[
            ("SELECT 1", "parsed"),
            (
                "'open; SELECT 2;",
                "unparsed: Unterminated string literal @ \"'open; SELECT 2;\"",
            ),
        ],
    );
    check(
        Backend::Postgres,
        "/* open ; SELECT 2;",
        &[(
            "/* open ; SELECT 2;",
            "unparsed: Unexpected EOF while in a multi-line comment @ \"/* open ; SELECT 2;\"",
        )],
    );
    // SQLite accepts an unterminated block comment, like sqlite3 itself.
    check(
        Backend::Sqlite,
        "SELECT 1; /* open ; SELECT 2;",
        &[("SELECT 1", "parsed")],
    );
    let statements = pg("SELECT \"open");
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0].range, 0..12);
    assert!(matches!(statements[0].kind, StatementKind::Unparsed { .. }));
}

#[test]
fn lines_and_columns_with_bom_crlf_multibyte_and_tabs() {
    let text = "\u{feff}CREATE TABLE \"é\" (\"日本\" int);\r\n\t-- ünïcödé; comment\r\n\tCREATE TABLE 😀 (x int)  ;\r\nSELECT 'ß' FROM;\r\n";
    let statements = pg(text);
    let file = SourceFile::new(PathBuf::from("up.sql"), text.to_owned());
    let found: Vec<(&str, LineCol, LineCol)> = statements
        .iter()
        .map(|s| {
            (
                &text[s.range.clone()],
                file.line_col(s.range.start),
                file.line_col(s.range.end),
            )
        })
        .collect();
    let lc = |line, column| LineCol { line, column };
    assert_eq!(
        found,
        [
            ("CREATE TABLE \"é\" (\"日本\" int)", lc(1, 1), lc(1, 28)),
            ("CREATE TABLE 😀 (x int)", lc(3, 2), lc(3, 24)),
            ("SELECT 'ß' FROM", lc(4, 1), lc(4, 16)),
        ]
    );
    let StatementKind::Unparsed {
        offset: Some(offset),
        ..
    } = statements[2].kind
    else {
        panic!("{:?}", statements[2].kind);
    };
    assert_eq!(file.line_col(offset), lc(4, 16));
}

#[test]
fn keyword_handlers_take_what_sqlparser_rejects() {
    let text = "DROP INDEX CONCURRENTLY IF EXISTS \"Idx\", s.j CASCADE;\nALTER INDEX IF EXISTS i RENAME TO J;\nDROP INDEX k;\nALTER INDEX i RENAME TO j;";
    check(
        Backend::Postgres,
        text,
        &[
            (
                "DROP INDEX CONCURRENTLY IF EXISTS \"Idx\", s.j CASCADE",
                "drop index",
            ),
            ("ALTER INDEX IF EXISTS i RENAME TO J", "alter index rename"),
            ("DROP INDEX k", "parsed"),
            ("ALTER INDEX i RENAME TO j", "parsed"),
        ],
    );
    let statements = pg(text);
    let StatementKind::DropIndex {
        names,
        concurrently,
        if_exists,
    } = &statements[0].kind
    else {
        panic!("{:?}", statements[0].kind);
    };
    assert_eq!(
        names,
        &[vec!["Idx".to_owned()], vec!["s".to_owned(), "j".to_owned()]]
    );
    assert!(*concurrently && *if_exists);
    let StatementKind::AlterIndexRename { name, new_name, .. } = &statements[1].kind else {
        panic!("{:?}", statements[1].kind);
    };
    assert_eq!(
        (name.as_slice(), new_name.as_str()),
        (&["i".to_owned()][..], "j")
    );
}

#[test]
fn schema_neutral_forms_sqlparser_rejects() {
    let text = concat!(
        "DO $$ BEGIN RAISE NOTICE 'x'; END $$;\n",
        "CREATE TRIGGER t AFTER INSERT ON u FOR EACH ROW EXECUTE FUNCTION f('x');\n",
        "COMMENT ON FUNCTION f(int) IS 'x';\n",
        "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;\n",
        "CREATE FUNCTION g() RETURNS int STRICT COST 10 AS 'select 1' LANGUAGE sql;\n",
        "REINDEX INDEX i;\n",
    );
    check(
        Backend::Postgres,
        text,
        &[
            ("DO $$ BEGIN RAISE NOTICE 'x'; END $$", "neutral DO"),
            (
                "CREATE TRIGGER t AFTER INSERT ON u FOR EACH ROW EXECUTE FUNCTION f('x')",
                "neutral CREATE TRIGGER",
            ),
            ("COMMENT ON FUNCTION f(int) IS 'x'", "neutral COMMENT ON"),
            (
                "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$",
                "neutral CREATE PROCEDURE",
            ),
            (
                "CREATE FUNCTION g() RETURNS int STRICT COST 10 AS 'select 1' LANGUAGE sql",
                "neutral CREATE FUNCTION",
            ),
            ("REINDEX INDEX i", "neutral REINDEX"),
        ],
    );
}

#[test]
fn postgres_begin_atomic_body_is_one_statement() {
    let text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\nBEGIN;\nCREATE TABLE t (\"begin\" int, \"end\" int);\nCOMMIT;";
    check(
        Backend::Postgres,
        text,
        &[
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END",
                "parsed",
            ),
            ("BEGIN", "parsed"),
            ("CREATE TABLE t (\"begin\" int, \"end\" int)", "parsed"),
            ("COMMIT", "parsed"),
        ],
    );
}

#[test]
fn sqlite_basics() {
    let text = "PRAGMA foreign_keys = off;\nCREATE TABLE `a` (id INTEGER PRIMARY KEY);\nCREATE TRIGGER a_touch AFTER UPDATE ON a FOR EACH ROW BEGIN\n  UPDATE a SET id = id WHERE id = NEW.id;\n  SELECT CASE WHEN 1 THEN 2 END;\nEND;\nCREATE TRIGGER IF NOT EXISTS b AFTER INSERT ON a BEGIN SELECT 1; END;\nDROP INDEX IF EXISTS i;";
    check(
        Backend::Sqlite,
        text,
        &[
            ("PRAGMA foreign_keys = off", "neutral PRAGMA"),
            ("CREATE TABLE `a` (id INTEGER PRIMARY KEY)", "parsed"),
            (
                "CREATE TRIGGER a_touch AFTER UPDATE ON a FOR EACH ROW BEGIN\n  UPDATE a SET id = id WHERE id = NEW.id;\n  SELECT CASE WHEN 1 THEN 2 END;\nEND",
                "parsed",
            ),
            (
                "CREATE TRIGGER IF NOT EXISTS b AFTER INSERT ON a BEGIN SELECT 1; END",
                "neutral CREATE TRIGGER",
            ),
            ("DROP INDEX IF EXISTS i", "parsed"),
        ],
    );
}

#[test]
fn mysql_basics() {
    let text = "CREATE TABLE `t;x` (id INT) ENGINE=InnoDB; # hash comment;\nCREATE DEFINER=`root`@`localhost` TRIGGER t BEFORE UPDATE ON `t;x` FOR EACH ROW BEGIN\n  IF NEW.id IS NULL THEN SET NEW.id = 1; END IF;\n  CASE WHEN NEW.id > 5 THEN SET NEW.id = 5; END CASE;\nEND;\nDROP INDEX i ON `t;x`;\nALTER TABLE t RENAME INDEX a TO b;\nCREATE TRIGGER u BEFORE INSERT ON `t;x` FOR EACH ROW SET NEW.id = 1;";
    check(
        Backend::Mysql,
        text,
        &[
            ("CREATE TABLE `t;x` (id INT) ENGINE=InnoDB", "parsed"),
            (
                "CREATE DEFINER=`root`@`localhost` TRIGGER t BEFORE UPDATE ON `t;x` FOR EACH ROW BEGIN\n  IF NEW.id IS NULL THEN SET NEW.id = 1; END IF;\n  CASE WHEN NEW.id > 5 THEN SET NEW.id = 5; END CASE;\nEND",
                "parsed",
            ),
            ("DROP INDEX i ON `t;x`", "parsed"),
            (
                "ALTER TABLE t RENAME INDEX a TO b",
                "unparsed: Expected: TO, found: a @ \"a TO b;\\nCREATE TRIGGER u BEFORE INSERT ON `t;x` FOR EACH ROW SET NEW.id = 1;\"",
            ),
            // sqlparser wants this body's `;`: the parser is given the closing `;` too.
            (
                "CREATE TRIGGER u BEFORE INSERT ON `t;x` FOR EACH ROW SET NEW.id = 1",
                "parsed",
            ),
        ],
    );
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 10_000;
    let nested = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    let text = format!("SELECT {nested};\nCREATE TABLE t (a int DEFAULT {nested});\nSELECT 1;");
    let statements = pg(&text);
    assert_eq!(statements.len(), 3);
    for s in &statements[..2] {
        assert!(
            matches!(&s.kind, StatementKind::Unparsed { message, .. } if message == "recursion limit exceeded"),
            "{:?}",
            s.kind
        );
    }
    assert!(matches!(statements[2].kind, StatementKind::Parsed(_)));
    // Nested block comments and BEGIN blocks are counted, not recursed into.
    let comments = format!("{}x{};SELECT 1", "/*".repeat(depth), "*/".repeat(depth));
    check(Backend::Postgres, &comments, &[("SELECT 1", "parsed")]);
    let blocks = format!(
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN {} END;SELECT 1",
        "BEGIN;".repeat(depth)
    );
    assert_eq!(split(&blocks, Backend::Sqlite).len(), 1);
}

#[test]
fn copy_from_stdin_does_not_panic() {
    let text = "COPY t (a) FROM stdin;\n1\n\\.\nSELECT 1;";
    let statements = pg(text);
    assert!(!statements.is_empty());
    for s in &statements {
        assert!(s.range.start <= s.range.end && s.range.end <= text.len());
    }
}

/// Fuzz (split_sql, crash-2b05900d): the payload token of a `COPY .. FROM STDIN` ends with
/// the line break after `\.`, which the statement's range took along.
#[test]
fn copy_payload_range_ends_at_the_terminator() {
    check(
        Backend::Postgres,
        "COPY t (a) FROM stdin;\n1\n\\.\nSELECT 1;",
        &[
            ("COPY t (a) FROM stdin;\n1\n\\.", "parsed"),
            ("SELECT 1", "parsed"),
        ],
    );
    check(
        Backend::Postgres,
        "COPY t FROM stdin;\r\n1\t2\r\n\\.\r\n\r\n",
        &[("COPY t FROM stdin;\r\n1\t2\r\n\\.", "parsed")],
    );
    // Unterminated: the payload runs to the end of the file, its trailing blank lines not.
    let text = "COPY t FROM stdin;\n1\n\n  \n";
    assert_eq!(
        pg(text)
            .iter()
            .map(|s| &text[s.range.clone()])
            .collect::<Vec<_>>(),
        ["COPY t FROM stdin;\n1"]
    );
}

/// Statements on the rest of the `COPY .. FROM STDIN;` line come before the payload in the
/// file: they are folded into the COPY so ranges stay disjoint and in order.
#[test]
fn statements_after_copy_on_its_line_are_folded_into_it() {
    let texts = |text: &str| -> Vec<String> {
        pg(text)
            .iter()
            .map(|s| text[s.range.clone()].to_owned())
            .collect()
    };
    assert_eq!(
        texts("COPY t FROM stdin; SELECT 1; SELECT 2;\n1\n\\.\nSELECT 3;"),
        ["COPY t FROM stdin; SELECT 1; SELECT 2;\n1\n\\.", "SELECT 3"]
    );
    // Without its `;`, `SELECT 2` goes on after the payload (as in psql): one statement.
    assert_eq!(
        texts("COPY t FROM stdin; SELECT 2\n1\n\\.\nSELECT 3;"),
        ["COPY t FROM stdin; SELECT 2\n1\n\\.\nSELECT 3"]
    );
}

/// Every combination of up to three of these pieces, in every dialect: no panic, ranges in
/// order, within the text, on char boundaries and without leading/trailing whitespace.
#[test]
fn never_panics_on_fragments() {
    const PIECES: &[&str] = &[
        "'",
        "\"",
        "`",
        "$$",
        "$a$",
        ";",
        "/*",
        "*/",
        "--",
        "#",
        "\r\n",
        "é",
        "(",
        ")",
        "BEGIN",
        "END",
        "CASE",
        "CREATE TRIGGER t",
        "x",
        " ",
        "\u{feff}",
        "E'\\",
        "DROP INDEX",
    ];
    let mut texts = vec![String::new()];
    for _ in 0..3 {
        let longer: Vec<String> = texts
            .iter()
            .flat_map(|t| PIECES.iter().map(move |p| format!("{t}{p}")))
            .collect();
        texts.extend(longer);
    }
    for text in &texts {
        for backend in [Backend::Postgres, Backend::Sqlite, Backend::Mysql] {
            let mut previous_end = 0;
            for s in split(text, backend) {
                let r = &s.range;
                assert!(
                    previous_end <= r.start && r.start < r.end && r.end <= text.len(),
                    "{text:?} {r:?}"
                );
                assert!(
                    text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                    "{text:?} {r:?}"
                );
                let own = &text[r.clone()];
                assert_eq!(own.trim(), own, "{text:?}");
                if let StatementKind::Unparsed {
                    offset: Some(o), ..
                } = s.kind
                {
                    assert!(o <= text.len() && text.is_char_boundary(o), "{text:?} {o}");
                }
                previous_end = r.end;
            }
        }
    }
}

/// The file `diesel setup` writes into every PostgreSQL project (diesel_cli 2.x).
#[test]
fn diesel_initial_setup() {
    let text = r#"-- This file was automatically created by Diesel to setup helper functions
-- and other internal bookkeeping. This file is safe to edit, any future
-- changes will be added to existing projects as new migrations.




-- Sets up a trigger for the given table to automatically set a column called
-- `updated_at` whenever the row is modified (unless `updated_at` was included
-- in the modified columns)
--
-- # Example
--
-- ```sql
-- CREATE TABLE users (id SERIAL PRIMARY KEY, updated_at TIMESTAMP NOT NULL DEFAULT NOW());
--
-- SELECT diesel_manage_updated_at('users');
-- ```
CREATE OR REPLACE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s
                    FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl);
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION diesel_set_updated_at() RETURNS trigger AS $$
BEGIN
    IF (
        NEW IS DISTINCT FROM OLD AND
        NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
    ) THEN
        NEW.updated_at := current_timestamp;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"#;
    let statements = pg(text);
    let file = SourceFile::new(PathBuf::from("up.sql"), text.to_owned());
    let found: Vec<(usize, usize, bool)> = statements
        .iter()
        .map(|s| {
            let (start, end) = (file.line_col(s.range.start), file.line_col(s.range.end));
            assert_eq!(start.column, 1);
            assert!(text[s.range.clone()].ends_with("$$ LANGUAGE plpgsql"));
            (
                start.line,
                end.line,
                matches!(s.kind, StatementKind::Parsed(_)),
            )
        })
        .collect();
    assert_eq!(found, [(19, 24, true), (26, 36, true)]);
}

#[test]
fn not_valid_inside_create_table_parses_as_postgres_reads_it() {
    // PostgreSQL 15 accepts table-level `NOT VALID` in CREATE TABLE and creates the
    // constraint valid; sqlparser rejects the words, so the splitter drops them and retries.
    let text = "CREATE TABLE b (\n  a_id INT,\n  CONSTRAINT b_fk FOREIGN KEY (a_id) REFERENCES a (id) NOT VALID\n);\nSELECT 1;";
    let statements = pg(text);
    assert_eq!(statements.len(), 2);
    assert!(text[statements[0].range.clone()].ends_with("NOT VALID\n)"));
    let StatementKind::Parsed(s) = &statements[0].kind else {
        panic!("not parsed: {:?}", statements[0].kind);
    };
    assert!(!s.to_string().contains("NOT VALID"));
    // Elsewhere `NOT VALID` is not dropped: a statement sqlparser rejects stays unparsed.
    let other = pg("CREATE INDEX i ON t (a) NOT VALID;");
    assert!(matches!(other[0].kind, StatementKind::Unparsed { .. }));
}

/// proptest (split_ranges_are_valid): PostgreSQL, SQLite and MySQL read a lone U+00A0 as an
/// identifier character, but trimming the statement with `str::trim_end` (Unicode
/// whitespace) made its range empty. Only a COPY payload is trimmed, of ASCII whitespace.
#[test]
fn unicode_space_is_a_token_not_whitespace() {
    for backend in [Backend::Postgres, Backend::Sqlite, Backend::Mysql] {
        check(
            backend,
            "\u{a0}",
            &[(
                "\u{a0}",
                "unparsed: Expected: an SQL statement, found: \u{a0} @ \"\\u{a0}\"",
            )],
        );
    }
    check(
        Backend::Postgres,
        "COPY t FROM stdin;\nx\u{a0}\n\\.\n",
        &[("COPY t FROM stdin;\nx\u{a0}\n\\.", "parsed")],
    );
}

/// Fuzz (split_sql, crash-8bd61fab): MySQL's tokenizer lets a `@` after a string take the
/// line break that follows it, which the statement's range took along.
#[test]
fn mysql_at_sign_does_not_take_the_line_break() {
    let text = "SELECT 'a'@\nSELECT 1;";
    let statements = split(text, Backend::Mysql);
    let last = statements.last().unwrap();
    assert_eq!(text[..last.range.end].trim_end(), &text[..last.range.end]);
    let text = "fine');\nCREATE INDEX i */'@\n";
    let ranges: Vec<&str> = split(text, Backend::Mysql)
        .iter()
        .map(|s| &text[s.range.clone()])
        .collect();
    assert_eq!(ranges, ["fine');\nCREATE INDEX i */'@"]);
}
