//! A manifest written back in the form it was read: toml_edit drops a BOM and ends the lines
//! it writes with LF, so a CRLF manifest would change on every line. Here the edited text is
//! compared line by line with the original (diffy), each unchanged line is taken from the
//! original byte for byte, and each new or changed line ends like the file's first line.

use diffy::Line;

/// `edited` (toml_edit's output for the text of `original` without its BOM) in the form of
/// `original`: its BOM, its unchanged lines as they were, the others ended as its lines are.
pub fn in_original_form(original: &str, edited: &str) -> String {
    let (bom, body) = match original.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", original),
    };
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let ending = match lines.first() {
        Some(line) if line.ends_with("\r\n") => "\r\n",
        _ => "\n",
    };
    let lf = |text: &str| text.replace("\r\n", "\n");
    let edited = lf(edited.strip_prefix('\u{feff}').unwrap_or(edited));
    let body_lf = lf(body);
    let patch = diffy::create_patch(&body_lf, &edited);
    let mut out = String::from(bom);
    let mut next = 0;
    let copy_to = |end: usize, out: &mut String, next: &mut usize| -> Option<()> {
        out.extend(lines.get(*next..end)?.iter().copied());
        *next = end;
        Some(())
    };
    let merged = (|| -> Option<()> {
        for hunk in patch.hunks() {
            let old = hunk.old_range();
            // diffy numbers lines from 1, and an empty range by the line before it.
            let before = if old.is_empty() {
                old.start()
            } else {
                old.start().checked_sub(1)?
            };
            copy_to(before, &mut out, &mut next)?;
            for line in hunk.lines() {
                match line {
                    Line::Context(_) => copy_to(next + 1, &mut out, &mut next)?,
                    Line::Delete(_) => next += 1,
                    Line::Insert(text) => match text.strip_suffix('\n') {
                        Some(text) => {
                            out.push_str(text);
                            out.push_str(ending);
                        }
                        None => out.push_str(text),
                    },
                }
            }
        }
        copy_to(lines.len(), &mut out, &mut next)
    })();
    match merged {
        Some(()) => out,
        // Cannot happen (the patch is made from these lines); the edit stays right anyway.
        None => format!("{bom}{}", edited.replace('\n', ending)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_lines_keep_their_bytes_and_new_ones_the_files_line_end() {
        let original =
            "\u{feff}[package]\r\nname = \"a\"\r\n\r\n[dependencies]\r\nserde = \"1\"\r\n";
        let edited =
            "[package]\nname = \"a\"\n\n[dependencies]\nserde = \"1\"\nx = \"2\"\n\n[t]\nk = 1\n";
        assert_eq!(
            in_original_form(original, edited),
            "\u{feff}[package]\r\nname = \"a\"\r\n\r\n[dependencies]\r\nserde = \"1\"\r\nx = \
             \"2\"\r\n\r\n[t]\r\nk = 1\r\n"
        );
        // A changed line is the edited one with the file's line end; LF files stay LF.
        assert_eq!(
            in_original_form("a = 1\r\nb = 2", "a = 1\nb = 3"),
            "a = 1\r\nb = 3"
        );
        assert_eq!(
            in_original_form("a = 1\n", "a = 1\nb = 2\n"),
            "a = 1\nb = 2\n"
        );
        assert_eq!(in_original_form("", "a = 1\n"), "a = 1\n");
        assert_eq!(in_original_form("a\r\n", "a\r\n"), "a\r\n");
    }
}
