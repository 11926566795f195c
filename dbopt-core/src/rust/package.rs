//! The scan's entry point: every fn of a package, file by file, then linked.
//!
//! Two phases, so the CLI can spread the expensive one over cores:
//!
//! 1. [`analyse_file`] (independent per file, any thread): parse one file with syn, run the
//!    per-fn code rules exactly as `#[db_checked]` does ([`check_file`]), and turn every
//!    token span into a byte span of that file. The result holds no syn or proc-macro2
//!    value, so it is `Send` and the thread's span table can be released
//!    ([`proc_macro2::extra::invalidate_current_thread_spans`]), which keeps memory flat over
//!    a scan of thousands of files.
//! 2. [`link`] (once per package): combines the files' results into the package's findings.
//!
//! Offsets: syn's `parse_file` drops a BOM and a shebang line before parsing, which would
//! shift every offset; [`analyse_file`] blanks them with spaces instead, so a span's byte
//! range is an offset into the text as it is on disk.

use std::borrow::Cow;
use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::rust::{Options, check_file};
use crate::source::{FileId, Span};

/// One file of a package, as read from disk.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    pub id: FileId,
    pub text: &'a str,
}

/// A syntax error or a misuse of dbopt's attributes, at a byte range of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub span: Span,
    pub message: String,
}

/// What [`analyse_file`] found in one file. Owns plain data only (`Send`).
#[derive(Debug, Default)]
pub struct FileAnalysis {
    pub id: Option<FileId>,
    /// The per-fn findings, levels decided (allow-level ones dropped), in source order.
    pub diagnostics: Vec<Diagnostic<Span>>,
    /// For each diagnostic, the byte range of the name of the fn it was found in.
    pub owners: Vec<Range<usize>>,
    /// `Some` when the file does not parse: nothing else was analysed in it.
    pub parse_error: Option<FileError>,
    /// Misused `#[db_checked(..)]` / `#[dbopt::allow(..)]` attributes.
    pub errors: Vec<FileError>,
    /// Names of the fns and methods defined in the file that may reach the database (a
    /// superset: today every fn). The scan's text pre-check analyses a file that mentions
    /// none of its database words when it mentions one of these.
    pub db_fns: Vec<String>,
}

/// Phase 1 for one file: parse, check every fn, convert spans.
///
/// Must not be called from inside a procedural macro (it releases the thread's span table).
pub fn analyse_file(input: FileInput<'_>, options: &Options) -> FileAnalysis {
    let text = blank_bom_and_shebang(input.text);
    let mut out = FileAnalysis {
        id: Some(input.id),
        ..FileAnalysis::default()
    };
    let to_span = |s: proc_macro2::Span| Span::new(input.id, clamp(s.byte_range(), &text));
    // `syn::parse_str`, with input nested too deep for syn rejected in between.
    let parse = || -> syn::Result<syn::File> {
        let tokens: proc_macro2::TokenStream = text.parse()?;
        crate::nesting::check_rust(&tokens)?;
        syn::parse2(tokens)
    };
    // On a stack big enough for syn (and for dropping what it built) on any thread.
    crate::nesting::with_rust_stack(|| match parse() {
        Err(e) => {
            out.parse_error = Some(FileError {
                span: to_span(e.span()),
                message: e.to_string(),
            });
        }
        Ok(ast) => {
            out.db_fns = fn_names(&ast);
            let analysis = check_file(&ast, options);
            out.diagnostics = analysis
                .diagnostics
                .into_iter()
                .map(|d| d.map_span(to_span))
                .collect();
            out.owners = analysis
                .owners
                .into_iter()
                .map(|s| clamp(s.byte_range(), &text))
                .collect();
            out.errors = analysis
                .errors
                .into_iter()
                .flat_map(|e| e.into_iter())
                .map(|e| FileError {
                    span: to_span(e.span()),
                    message: e.to_string(),
                })
                .collect();
        }
    });
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

/// Phase 2: the package's findings from its files' analyses, in file order then source
/// order.
pub fn link(files: Vec<FileAnalysis>, _options: &Options) -> Vec<Diagnostic<Span>> {
    files.into_iter().flat_map(|f| f.diagnostics).collect()
}

/// The names of every fn, method and trait method with a body in `file`, sorted, deduplicated.
fn fn_names(file: &syn::File) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names {
        fn visit_signature(&mut self, sig: &'ast syn::Signature) {
            self.0.push(sig.ident.to_string());
        }
    }
    let mut names = Names(Vec::new());
    syn::visit::visit_file(&mut names, file);
    names.0.sort();
    names.0.dedup();
    names.0
}

/// `text` with a leading BOM and a `#!` line (not `#![attr]`) replaced by spaces of the same
/// byte length, so syn parses it and offsets stay those of the file.
fn blank_bom_and_shebang(text: &str) -> Cow<'_, str> {
    let blank = crate::schema_rs::position::dropped_by_parse_file(text);
    if blank == 0 {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len());
    s.extend(std::iter::repeat_n(' ', blank));
    s.push_str(&text[blank..]);
    Cow::Owned(s)
}

fn clamp(range: Range<usize>, text: &str) -> Range<usize> {
    let end = range.end.min(text.len());
    range.start.min(end)..end
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOP: &str = "#[db_checked]\nfn f(conn: &mut PgConnection, ids: &[i32]) {\n    for id in ids {\n        users::table.find(id).first::<User>(conn);\n    }\n}\n";

    fn analyse(text: &str) -> FileAnalysis {
        analyse_file(
            FileInput {
                id: FileId(7),
                text,
            },
            &Options::default(),
        )
    }

    fn primary(text: &str, a: &FileAnalysis) -> Vec<(&'static str, String)> {
        a.diagnostics
            .iter()
            .map(|d| (d.rule, text[d.primary.span.range.clone()].to_owned()))
            .collect()
    }

    #[test]
    fn spans_are_byte_ranges_of_the_file_even_after_a_bom_and_a_shebang() {
        for prefix in [
            "",
            "\u{feff}",
            "#!/usr/bin/env run\n",
            "\u{feff}#!x\n// é\n",
        ] {
            let text = format!("{prefix}{LOOP}");
            let a = analyse(&text);
            assert_eq!(a.parse_error, None, "{prefix:?}");
            assert_eq!(
                primary(&text, &a),
                [("n_plus_one", "first".to_owned())],
                "{prefix:?}"
            );
            assert!(
                a.diagnostics
                    .iter()
                    .all(|d| d.primary.span.file == FileId(7))
            );
            assert_eq!(a.owners.len(), 1);
            assert_eq!(&text[a.owners[0].clone()], "f");
            assert_eq!(a.db_fns, ["f"]);
        }
    }

    #[test]
    fn an_inner_attribute_is_not_a_shebang() {
        // The second was a parse error (found by the `fn_body` fuzz target): syn skips
        // comments between `#!` and `[`.
        for head in ["#![allow(dead_code)]\n", "#!//x\n[allow(dead_code)]\n"] {
            let text = format!("{head}{LOOP}");
            assert_eq!(primary(&text, &analyse(&text)).len(), 1, "{head:?}");
        }
    }

    #[test]
    fn a_file_that_does_not_parse_is_one_error_at_its_position() {
        let text = "fn ok() {}\nfn broken( {\n";
        let a = analyse(text);
        let e = a.parse_error.expect("parse error");
        assert_eq!(e.span.file, FileId(7));
        assert!(e.span.range.start >= text.find("broken").unwrap(), "{e:?}");
        assert!(a.diagnostics.is_empty());
    }

    #[test]
    fn link_keeps_file_order() {
        let a = analyse(LOOP);
        let b = analyse_file(
            FileInput {
                id: FileId(8),
                text: LOOP,
            },
            &Options::default(),
        );
        let all = link(vec![a, b], &Options::default());
        let files: Vec<_> = all.iter().map(|d| d.primary.span.file).collect();
        assert_eq!(files, [FileId(7), FileId(8)]);
    }
}
