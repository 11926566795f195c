//! sqlparser's token locations to byte offsets.
//!
//! The tokenizer counts lines from 1, starting a new one after each `\n`, and columns from 1
//! in `char`s: a tab, a `\r` and a multibyte character each count as one column. This maps
//! such a location back to a byte offset into the text that was tokenized.

use std::cell::Cell;

use sqlparser::tokenizer::Location;

/// Maps sqlparser [`Location`]s of one text to byte offsets in it.
#[derive(Debug)]
pub(crate) struct LocationIndex<'a> {
    text: &'a str,
    lines: Lines,
}

/// The line starts of a text, without the text: an owner of the text can keep them beside it
/// ([`Lines::offset`] is then given the text each time).
#[derive(Debug, Default)]
pub(crate) struct Lines {
    /// Byte offset where each line starts (`line_starts[0]` is line 1).
    line_starts: Vec<usize>,
    /// The text is ASCII: a column is a byte, no walking needed.
    ascii: bool,
    /// The last answer as (line, column, byte): tokens arrive in order, so walking on from
    /// there keeps a long single-line file linear instead of quadratic.
    cursor: Cell<(u64, u64, usize)>,
}

impl<'a> LocationIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LocationIndex {
            text,
            lines: Lines::new(text),
        }
    }

    /// Byte offset of `loc`, or `None` for sqlparser's empty location (line 0). A line past
    /// the end maps to the end of the text; a column past the end of its line maps to the
    /// end of that line (before its `\n`). The result is always a char boundary.
    pub(crate) fn offset(&self, loc: Location) -> Option<usize> {
        self.lines.offset(self.text, loc)
    }
}

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines {
            line_starts,
            ascii: text.is_ascii(),
            cursor: Cell::new((1, 1, 0)),
        }
    }

    /// [`LocationIndex::offset`] in `text`, which must be the text these lines are of.
    pub(crate) fn offset(&self, text: &str, loc: Location) -> Option<usize> {
        if loc.line == 0 {
            return None;
        }
        let Some(&line_start) = usize::try_from(loc.line - 1)
            .ok()
            .and_then(|i| self.line_starts.get(i))
        else {
            return Some(text.len());
        };
        let column = loc.column.max(1);
        if self.ascii {
            let line_end = usize::try_from(loc.line)
                .ok()
                .and_then(|i| self.line_starts.get(i))
                .map_or(text.len(), |next| next - 1);
            let in_line = usize::try_from(column - 1).unwrap_or(usize::MAX);
            return Some(line_start.saturating_add(in_line).min(line_end));
        }
        let (cursor_line, cursor_column, cursor_byte) = self.cursor.get();
        let (mut col, mut byte) = if cursor_line == loc.line && cursor_column <= column {
            (cursor_column, cursor_byte)
        } else {
            (1, line_start)
        };
        for ch in text.get(byte..).unwrap_or_default().chars() {
            if col == column || ch == '\n' {
                break;
            }
            col += 1;
            byte += ch.len_utf8();
        }
        // Remember only positions actually reached, so a clamped column stays correct.
        self.cursor.set((loc.line, col, byte));
        Some(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(index: &LocationIndex<'_>, line: u64, column: u64) -> Option<usize> {
        index.offset(Location::new(line, column))
    }

    #[test]
    fn ascii_lines() {
        let index = LocationIndex::new("ab\ncd\n");
        assert_eq!(at(&index, 1, 1), Some(0));
        assert_eq!(at(&index, 1, 3), Some(2));
        assert_eq!(at(&index, 2, 1), Some(3));
        assert_eq!(at(&index, 2, 2), Some(4));
        assert_eq!(at(&index, 3, 1), Some(6));
    }

    #[test]
    fn columns_count_chars_not_bytes() {
        // 'é' is 2 bytes, '日' 3, '😀' 4; each is one column.
        let text = "é日😀x\n\tß=1";
        let index = LocationIndex::new(text);
        assert_eq!(at(&index, 1, 2), Some(2));
        assert_eq!(at(&index, 1, 3), Some(5));
        assert_eq!(at(&index, 1, 4), Some(9));
        assert_eq!(&text[at(&index, 1, 4).unwrap()..], "x\n\tß=1");
        // A tab is one column.
        assert_eq!(&text[at(&index, 2, 2).unwrap()..], "ß=1");
        assert_eq!(&text[at(&index, 2, 3).unwrap()..], "=1");
    }

    #[test]
    fn crlf_counts_the_carriage_return_as_a_column() {
        let text = "a;\r\nbé;\r\n";
        let index = LocationIndex::new(text);
        assert_eq!(at(&index, 1, 3), Some(2)); // the '\r'
        assert_eq!(at(&index, 2, 1), Some(4));
        assert_eq!(&text[at(&index, 2, 3).unwrap()..], ";\r\n");
    }

    #[test]
    fn out_of_range_locations_clamp() {
        let text = "ab\ncd";
        let index = LocationIndex::new(text);
        assert_eq!(at(&index, 0, 0), None);
        assert_eq!(at(&index, 1, 99), Some(2));
        assert_eq!(at(&index, 2, 99), Some(5));
        assert_eq!(at(&index, 9, 1), Some(5));
        assert_eq!(at(&index, 1, 0), Some(0));
    }

    #[test]
    fn going_backwards_after_a_clamp_is_exact() {
        let text = "aé😀b\nc";
        let index = LocationIndex::new(text);
        assert_eq!(at(&index, 1, 50), Some(8));
        assert_eq!(at(&index, 1, 3), Some(3));
        assert_eq!(at(&index, 1, 4), Some(7));
        assert_eq!(at(&index, 1, 2), Some(1));
        assert_eq!(at(&index, 2, 1), Some(9));
        assert_eq!(at(&index, 1, 5), Some(8));
    }

    #[test]
    fn long_single_line_is_linear() {
        // 200k tokens on one line: quadratic walking would take minutes here.
        let text = "é ".repeat(200_000);
        let index = LocationIndex::new(&text);
        for column in (1..=400_000u64).step_by(2) {
            let byte = at(&index, 1, column).unwrap();
            assert_eq!(byte, (column as usize - 1) / 2 * 3);
        }
    }
}
