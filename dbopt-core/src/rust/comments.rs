//! `// dbopt: allow(rule, ..)` comments in Rust files, for `cargo dbopt`'s scan (the proc
//! macro never sees comments).
//!
//! syn drops comments, so they are found in the text: a comment can only sit between two
//! tokens, so the gaps between the file's tokens are lexed for `//` and `/* .. */` comments
//! (a `//` inside a string literal is inside a token and never read). A directive is a
//! plain `//` comment on a line of its own whose text starts with `dbopt:`; it applies to
//! the fn, `impl`, trait, inline module or statement that starts on the next line, or after
//! more comment lines (no blank line) below it. Before an item it allows the rules for every
//! fn the item holds, like `#[dbopt::allow(..)]` on the item; before a statement, for the
//! round trips and calls on the statement's lines, like `#[dbopt::allow(..)]` on it.
//!
//! Misuse is an error at the comment: a malformed directive, an unknown rule name, a
//! directive after code on its line or with nothing below it, and a directive inside or
//! before a `#[db_checked]` item (the macro cannot see it, and for annotated fns the scan
//! reports exactly what the macro does: `#[dbopt::allow(..)]` is the form that works there).

use std::ops::{Range, RangeInclusive};
use std::sync::LazyLock;

use proc_macro2::{TokenStream, TokenTree};
use regex::Regex;
use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::rust::attr::{code_rule_names, is_db_checked};

/// Rules allowed by one directive over a range of lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentAllow {
    /// The 1-based lines of the item or statement it applies to.
    pub lines: RangeInclusive<usize>,
    pub rules: Vec<&'static str>,
    /// Before an item: every fn inside is analysed with the rules at level `allow`.
    /// Before a statement: only the events on its lines are allowed.
    pub whole_fn: bool,
}

/// A misused directive, at a byte range of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentError {
    pub range: Range<usize>,
    pub message: String,
}

static DBOPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*dbopt\s*:").expect("a valid regex"));
static ALLOW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*dbopt\s*:\s*allow\s*\(([^()]*)\)").expect("a valid regex"));
static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[^\s,]+").expect("a valid regex"));

/// One `// dbopt:` comment, read.
struct Directive {
    range: Range<usize>,
    rules: Vec<&'static str>,
    /// The line it applies to (the first line below it that is not a comment line).
    target_line: usize,
}

/// The directives of `text` (whose tokens are `tokens` and syntax tree `file`), attached to
/// what they allow.
pub fn comment_allows(
    text: &str,
    tokens: &TokenStream,
    file: &syn::File,
) -> (Vec<CommentAllow>, Vec<CommentError>) {
    let mut errors = Vec::new();
    if !text.contains("dbopt") {
        return (Vec::new(), errors);
    }
    let lines = LineIndex::new(text);
    let mut directives = Vec::new();
    for range in line_comments(text, tokens) {
        if let Some(d) = directive(text, range, &lines, &mut errors) {
            directives.push(d);
        }
    }
    if directives.is_empty() {
        return (Vec::new(), errors);
    }
    let mut finder = Targets {
        wanted: directives.iter().map(|d| (d.target_line, None)).collect(),
        annotated: false,
    };
    finder.visit_file(file);
    let mut out = Vec::new();
    for (d, (_, target)) in directives.into_iter().zip(finder.wanted) {
        match target {
            None => errors.push(CommentError {
                range: d.range,
                message: "`// dbopt: allow(..)` applies to the fn or statement on the next \
                          line, and there is none"
                    .to_owned(),
            }),
            Some(Target {
                annotated: true, ..
            }) => errors.push(CommentError {
                range: d.range,
                message: "`// dbopt: allow(..)` is not seen by `#[db_checked]`: use \
                          `#[dbopt::allow(..)]` on the statement, or `allow(..)` in the \
                          attribute"
                    .to_owned(),
            }),
            Some(Target {
                kind: Kind::Other, ..
            }) => errors.push(CommentError {
                range: d.range,
                message: "`// dbopt: allow(..)` applies to a fn, an `impl` block, a trait, a \
                          module or a statement, not to this item"
                    .to_owned(),
            }),
            Some(Target { lines, kind, .. }) => {
                if !d.rules.is_empty() {
                    out.push(CommentAllow {
                        lines,
                        rules: d.rules,
                        whole_fn: kind == Kind::Item,
                    });
                }
            }
        }
    }
    (out, errors)
}

/// Byte ranges of the plain `//` comments of `text` (not doc comments), found between the
/// tokens.
fn line_comments(text: &str, tokens: &TokenStream) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    token_ranges(tokens, &mut ranges);
    let mut out = Vec::new();
    let mut at = 0;
    for r in ranges
        .iter()
        .chain(std::iter::once(&(text.len()..text.len())))
    {
        if r.start > at {
            gap_comments(text, at..r.start.min(text.len()), &mut out);
        }
        at = at.max(r.end);
    }
    out
}

/// The byte ranges of every token and group delimiter, in order.
fn token_ranges(tokens: &TokenStream, out: &mut Vec<Range<usize>>) {
    let mut stack: Vec<(proc_macro2::token_stream::IntoIter, Option<Range<usize>>)> =
        vec![(tokens.clone().into_iter(), None)];
    while let Some((iter, _)) = stack.last_mut() {
        match iter.next() {
            Some(TokenTree::Group(g)) => {
                out.push(g.span_open().byte_range());
                stack.push((g.stream().into_iter(), Some(g.span_close().byte_range())));
            }
            Some(tt) => out.push(tt.span().byte_range()),
            None => {
                if let Some((_, Some(close))) = stack.pop() {
                    out.push(close);
                }
            }
        }
    }
}

/// The `//` comments in `gap`, a stretch of the text between tokens (whitespace and comments).
fn gap_comments(text: &str, gap: Range<usize>, out: &mut Vec<Range<usize>>) {
    let Some(s) = text.get(gap.clone()) else {
        return;
    };
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            let end = b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n);
            let body = &b[i..end];
            let doc = (body.starts_with(b"///") && !body.starts_with(b"////"))
                || body.starts_with(b"//!");
            if !doc {
                out.push(gap.start + i..gap.start + end);
            }
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else {
            i += 1;
        }
    }
}

/// Reads the comment at `range`; `None` when it is not a `dbopt:` comment or is misused.
fn directive(
    text: &str,
    range: Range<usize>,
    lines: &LineIndex,
    errors: &mut Vec<CommentError>,
) -> Option<Directive> {
    let inner_start = range.start + 2;
    let inner = text.get(inner_start..range.end)?;
    if !DBOPT.is_match(inner) {
        return None;
    }
    let Some(caps) = ALLOW.captures(inner) else {
        errors.push(CommentError {
            range,
            message: "expected `// dbopt: allow(rule, ..)`".to_owned(),
        });
        return None;
    };
    let list = caps.get(1)?;
    let mut rules = Vec::new();
    let valid = code_rule_names();
    for m in NAME.find_iter(list.as_str()) {
        let at = inner_start + list.start() + m.start();
        match valid.iter().find(|v| **v == m.as_str()) {
            Some(rule) => rules.push(*rule),
            None => errors.push(CommentError {
                range: at..at + m.as_str().len(),
                message: format!(
                    "unknown rule `{}`; expected one of: {}",
                    m.as_str(),
                    valid.join(", ")
                ),
            }),
        }
    }
    if list.as_str().trim().is_empty() {
        errors.push(CommentError {
            range,
            message: "expected `// dbopt: allow(rule, ..)`".to_owned(),
        });
        return None;
    }
    let line = lines.line_of(range.start);
    if !text[lines.start(line)..range.start].trim().is_empty() {
        errors.push(CommentError {
            range,
            message: "`// dbopt: allow(..)` applies to the fn or statement on the next line: \
                      put it on a line of its own above it"
                .to_owned(),
        });
        return None;
    }
    let mut target_line = line + 1;
    while target_line <= lines.count() && lines.text(text, target_line).trim().starts_with("//") {
        target_line += 1;
    }
    Some(Directive {
        range,
        rules,
        target_line,
    })
}

/// Line starts of a text; lines are 1-based.
struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    fn count(&self) -> usize {
        self.starts.len()
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    fn start(&self, line: usize) -> usize {
        self.starts.get(line - 1).copied().unwrap_or(self.len)
    }

    fn text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let start = self.start(line);
        let end = self.starts.get(line).copied().unwrap_or(self.len);
        text.get(start..end).unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A fn, `impl`, trait or inline module.
    Item,
    Stmt,
    /// Any other item (a struct, a `use`, ..).
    Other,
}

#[derive(Debug, Clone)]
struct Target {
    lines: RangeInclusive<usize>,
    kind: Kind,
    /// Inside or under a `#[db_checked]` attribute.
    annotated: bool,
}

/// Finds, for each wanted line, the outermost item or statement that starts on it.
struct Targets {
    wanted: Vec<(usize, Option<Target>)>,
    annotated: bool,
}

fn lines_of(span: proc_macro2::Span) -> RangeInclusive<usize> {
    span.start().line..=span.end().line
}

impl Targets {
    fn pending_in(&self, lines: &RangeInclusive<usize>) -> bool {
        self.wanted
            .iter()
            .any(|(l, t)| t.is_none() && lines.contains(l))
    }

    /// Claims the wanted lines in `head` (the lines from the item's first attribute to its
    /// keyword) for a target spanning `lines`.
    fn claim(&mut self, head: RangeInclusive<usize>, lines: &RangeInclusive<usize>, kind: Kind) {
        let annotated = self.annotated;
        for (l, t) in &mut self.wanted {
            if t.is_none() && head.contains(l) {
                *t = Some(Target {
                    lines: lines.clone(),
                    kind,
                    annotated,
                });
            }
        }
    }

    /// An item that can hold fns: claim, then look inside with its annotation.
    fn item(
        &mut self,
        whole: proc_macro2::Span,
        keyword: proc_macro2::Span,
        attrs: &[syn::Attribute],
        inner: impl FnOnce(&mut Self),
    ) {
        let lines = lines_of(whole);
        if !self.pending_in(&lines) {
            return;
        }
        let outer = self.annotated;
        self.annotated |= attrs.iter().any(is_db_checked);
        self.claim(*lines.start()..=keyword.start().line, &lines, Kind::Item);
        if self.pending_in(&lines) {
            inner(self);
        }
        self.annotated = outer;
    }
}

impl<'ast> Visit<'ast> for Targets {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        match item {
            syn::Item::Fn(f) => self.item(item.span(), f.sig.ident.span(), &f.attrs, |s| {
                s.visit_block(&f.block)
            }),
            syn::Item::Impl(i) => self.item(item.span(), i.impl_token.span, &i.attrs, |s| {
                syn::visit::visit_item_impl(s, i)
            }),
            syn::Item::Trait(t) => self.item(item.span(), t.trait_token.span, &t.attrs, |s| {
                syn::visit::visit_item_trait(s, t)
            }),
            syn::Item::Mod(m) => self.item(item.span(), m.mod_token.span, &m.attrs, |s| {
                syn::visit::visit_item_mod(s, m)
            }),
            _ => {
                let lines = lines_of(item.span());
                if self.pending_in(&lines) {
                    self.claim(lines.clone(), &lines, Kind::Other);
                }
            }
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.item(f.span(), f.sig.ident.span(), &f.attrs, |s| {
            s.visit_block(&f.block)
        });
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.item(f.span(), f.sig.ident.span(), &f.attrs, |s| {
            if let Some(b) = &f.default {
                s.visit_block(b);
            }
        });
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let span = block.brace_token.span;
        let lines = span.open().start().line..=span.close().end().line;
        if !self.pending_in(&lines) {
            return;
        }
        for stmt in &block.stmts {
            let lines = lines_of(stmt.span());
            if !self.pending_in(&lines) {
                continue;
            }
            if let syn::Stmt::Item(item) = stmt {
                // A fn nested in a body is a statement: the directive covers its lines.
                let head = *lines.start()..=*lines.start();
                self.claim(head, &lines, Kind::Stmt);
                if self.pending_in(&lines) {
                    self.visit_item(item);
                }
                continue;
            }
            self.claim(*lines.start()..=*lines.start(), &lines, Kind::Stmt);
            if self.pending_in(&lines) {
                syn::visit::visit_stmt(self, stmt);
            }
        }
    }
}
