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
        let base = dropped_by_parse_file(text);
        let parsed = &text[base..];
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

/// The bytes `syn::parse_file` drops before parsing: a UTF-8 BOM, then a `#!` line unless
/// what follows `#!` (after whitespace and comments) is `[`, an inner attribute. Offsets
/// into what it parses are offsets into the file minus this.
pub fn dropped_by_parse_file(text: &str) -> usize {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[bom..];
    match rest.strip_prefix("#!") {
        Some(after) if !skip_whitespace(after).starts_with('[') => {
            bom + rest.find('\n').unwrap_or(rest.len())
        }
        _ => bom,
    }
}

/// syn's own `whitespace::skip` (private to syn), which decides what a shebang is: whitespace
/// (with U+200E and U+200F), `//` and nested `/* */` comments, but not doc comments (`///`,
/// `//!`, `/**`, `/*!`); an unterminated comment stops it.
fn skip_whitespace(mut s: &str) -> &str {
    'skip: while !s.is_empty() {
        let byte = s.as_bytes()[0];
        if byte == b'/' {
            if s.starts_with("//")
                && (!s.starts_with("///") || s.starts_with("////"))
                && !s.starts_with("//!")
            {
                match s.find('\n') {
                    Some(i) => {
                        s = &s[i + 1..];
                        continue;
                    }
                    None => return "",
                }
            } else if s.starts_with("/**/") {
                s = &s[4..];
                continue;
            } else if s.starts_with("/*")
                && (!s.starts_with("/**") || s.starts_with("/***"))
                && !s.starts_with("/*!")
            {
                let mut depth = 0;
                let bytes = s.as_bytes();
                let mut i = 0;
                while i + 1 < bytes.len() {
                    if bytes[i] == b'/' && bytes[i + 1] == b'*' {
                        depth += 1;
                        i += 1;
                    } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
                        depth -= 1;
                        if depth == 0 {
                            s = &s[i + 2..];
                            continue 'skip;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                return s;
            }
        }
        match s.chars().next() {
            Some(c) if c.is_whitespace() || c == '\u{200e}' || c == '\u{200f}' => {
                s = &s[c.len_utf8()..];
            }
            _ => return s,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `fn_body` fuzz target (the scan rejected `#!//x` + newline + `[attr]`,
    /// which rustc and syn read as an inner attribute); the schema.rs reader had the same
    /// approximation, which could hide deep nesting from its guard. syn itself is the oracle.
    #[test]
    fn drops_exactly_what_syn_drops() {
        let heads = [
            "#!/usr/bin/env run\n",
            "#![allow(x)]\n",
            "#! [allow(x)]\n",
            "#!//x\n[allow(x)]\n",
            "#!///x\n[allow(x)]\n",
            "#!//!x\n[allow(x)]\n",
            "#!/* /* */ */[allow(x)]\n",
            "#!/* /* */[allow(x)]\n",
            "#!/**/[allow(x)]\n",
            "#!/** x */[allow(x)]\n",
            "#!/*** x */[allow(x)]\n",
            "#!\u{200e}[allow(x)]\n",
            "#!\u{a0}[allow(x)]\n",
            "\u{feff}#!x\n",
            "\u{feff}fn g() {}\n",
            "#!",
            "",
        ];
        for head in heads {
            let text = format!("{head}fn f() {{}}\n");
            let dropped = dropped_by_parse_file(&text);
            match syn::parse_file(&text) {
                Ok(file) => {
                    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
                    let shebang = file.shebang.map_or(0, |s| s.len());
                    assert_eq!(dropped, bom + shebang, "{head:?}");
                }
                // syn rejects it: then what is left after the drop must not parse either.
                Err(_) => assert!(
                    syn::parse_str::<syn::File>(&text[dropped..]).is_err(),
                    "{head:?}"
                ),
            }
        }
    }
}
