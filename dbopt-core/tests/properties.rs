//! Properties over generated input (proptest): the splitter and the line/column mapping
//! never panic and keep their contracts on any text, not only on the fixtures. The fuzz
//! targets under `fuzz/` check the same on arbitrary bytes, for longer.

use dbopt_core::model::Backend;
use dbopt_core::source::SourceFile;
use dbopt_core::sql::StatementKind;
use dbopt_core::sql::split::split;
use proptest::prelude::*;

/// Pieces that change how SQL is tokenized or cut: quotes of every kind, dollar quotes,
/// comments, `;`, block keywords, line breaks, a BOM, multibyte and odd characters.
const FRAGMENTS: &[&str] = &[
    "SELECT",
    "CREATE TABLE t (a int)",
    "CREATE TRIGGER tr AFTER INSERT ON t",
    "CREATE FUNCTION f()",
    "CREATE DEFINER = `u`@`h` PROCEDURE p()",
    "DROP INDEX CONCURRENTLY",
    "ALTER INDEX i RENAME TO",
    "BEGIN",
    "BEGIN ATOMIC",
    "END",
    "END IF",
    "END CASE",
    "CASE",
    "WHEN",
    "DO",
    "COPY t FROM stdin",
    "'",
    "''",
    "\"",
    "`",
    "[",
    "]",
    "E'\\",
    "X'",
    "N'",
    "$$",
    "$a$",
    "$1",
    "$",
    ";",
    ",",
    ".",
    "(",
    ")",
    "/*",
    "*/",
    "--",
    "#",
    "\\.",
    "\\",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "é",
    "日",
    "😀",
    "\u{0}",
    "\u{a0}",
    "\u{2028}",
    "x",
    "1e",
    "0x",
    "::",
    "->>",
    "@",
    "?",
];

fn sqlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

fn backend() -> impl Strategy<Value = Backend> {
    prop_oneof![
        Just(Backend::Postgres),
        Just(Backend::Sqlite),
        Just(Backend::Mysql)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Statement ranges are non-empty, within the text, on char boundaries, increasing,
    /// non-overlapping and trimmed; error offsets lie within the text on a char boundary.
    #[test]
    fn split_ranges_are_valid(text in sqlish(), backend in backend()) {
        let mut previous_end = 0;
        for s in split(&text, backend) {
            let r = s.range.clone();
            prop_assert!(previous_end <= r.start && r.start < r.end && r.end <= text.len(),
                "{r:?} after {previous_end} in {} bytes", text.len());
            prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end), "{r:?}");
            let own = &text[r.clone()];
            prop_assert_eq!(own.trim_matches(|c: char| c.is_ascii_whitespace()), own);
            if let StatementKind::Unparsed { offset: Some(o), .. } = s.kind {
                prop_assert!(o <= text.len() && text.is_char_boundary(o), "offset {o}");
            }
            previous_end = r.end;
        }
    }

    /// `line_col` accepts any offset (past the end, inside a multibyte char, inside a BOM)
    /// and never goes backwards as the offset grows.
    #[test]
    fn line_col_is_total_and_monotone(
        text in sqlish(),
        mut offsets in proptest::collection::vec(0usize..600, 1..24),
    ) {
        let file = SourceFile::new("up.sql".into(), text.clone());
        offsets.push(usize::MAX);
        offsets.sort_unstable();
        let mut previous = None;
        for offset in offsets {
            let lc = file.line_col(offset);
            prop_assert!(lc.line >= 1 && lc.column >= 1, "{offset}: {lc:?}");
            prop_assert!(lc.line <= text.matches('\n').count() + 1, "{offset}: {lc:?}");
            if let Some(previous) = previous {
                prop_assert!(previous <= lc, "{offset}: {previous:?} then {lc:?}");
            }
            previous = Some(lc);
        }
        // Every char boundary maps to the line and column counted by hand.
        let (mut line, mut column) = (1, 1);
        for (i, ch) in text.char_indices() {
            if i == 0 && ch == '\u{feff}' {
                continue;
            }
            prop_assert_eq!(file.line_col(i), dbopt_core::source::LineCol { line, column }, "at {}", i);
            if ch == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
    }
}
