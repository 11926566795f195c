//! proc-macro2 locations (1-based line, 0-based column counted in characters, relative to
//! the text syn parsed) to byte offsets in the original file.

use std::ops::Range;

/// Byte offsets for the locations of one file that went through `syn::parse_file`.
#[derive(Debug)]
pub struct Positions<'a> {
    /// The text syn saw: the file after a UTF-8 BOM and a shebang line.
    parsed: &'a str,
    /// Byte offset of `parsed` in the file.
    base: usize,
    line_starts: Vec<usize>,
}

impl<'a> Positions<'a> {
    /// Mirrors `syn::parse_file`'s stripping of a BOM and a `#!` line (not `#![`).
    pub fn new(text: &'a str) -> Self {
        let mut base = 0;
        let mut parsed = text;
        if let Some(rest) = parsed.strip_prefix('\u{feff}') {
            base += '\u{feff}'.len_utf8();
            parsed = rest;
        }
        if let Some(after) = parsed.strip_prefix("#!")
            && !skip_whitespace_and_comments(after).starts_with('[')
        {
            let cut = parsed.find('\n').unwrap_or(parsed.len());
            base += cut;
            parsed = &parsed[cut..];
        }
        let mut line_starts = vec![0];
        line_starts.extend(parsed.match_indices('\n').map(|(i, _)| i + 1));
        Positions {
            parsed,
            base,
            line_starts,
        }
    }

    /// The text syn parses: the file after a BOM and a shebang line.
    pub fn parsed(&self) -> &'a str {
        self.parsed
    }

    /// Byte offset in the file of a location; out-of-range locations are clamped.
    pub fn offset(&self, at: proc_macro2::LineColumn) -> usize {
        let line = at.line.clamp(1, self.line_starts.len());
        let start = self.line_starts[line - 1];
        let in_line: usize = self.parsed[start..]
            .chars()
            .take(at.column)
            .map(char::len_utf8)
            .sum();
        self.base + start + in_line
    }

    /// Byte range in the file of a span.
    pub fn range(&self, span: proc_macro2::Span) -> Range<usize> {
        let start = self.offset(span.start());
        let end = self.offset(span.end()).max(start);
        start..end
    }
}

/// Enough of syn's whitespace skipping to decide whether `#!` starts an inner attribute.
fn skip_whitespace_and_comments(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_start();
        if let Some(rest) = trimmed.strip_prefix("//") {
            s = rest.find('\n').map_or("", |i| &rest[i..]);
        } else if let Some(rest) = trimmed.strip_prefix("/*") {
            s = rest.find("*/").map_or("", |i| &rest[i + 2..]);
        } else {
            return trimmed;
        }
    }
}
