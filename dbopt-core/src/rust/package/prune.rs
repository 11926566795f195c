//! Item pruning: the scan's pre-check at the level of items.
//!
//! The scan's text pre-check skips a file that holds none of the database words; a file
//! that holds one is lexed whole, but syn only parses the items that may matter, at the top
//! level of the file, of an inline `mod` and of an `impl` block:
//!
//! * a `const`, a `static`, a macro invocation (`table!`, `macro_rules!`, `lazy_static!`) and
//!   an `extern` block are always left out: no code rule and no declaration the call
//!   resolution reads looks into them (the rules analyse fns; see `rust::items` and
//!   `rust::summary::decls`);
//! * a fn is left out when its own text (attributes and doc comments included) holds none of
//!   the words, and neither does the header of the `impl` block it is in (`impl Repo for
//!   PgConnection` makes `self` a handle in every method; such a block is kept whole);
//! * everything else is kept whole: `use`, `struct`, `enum`, `type`, `trait` (the
//!   declarations call resolution reads), attributes of the file, and whatever this splitter
//!   does not recognise.
//!
//! Why this loses nothing: a left-out fn has no database word, so by the same reasoning as
//! the file-level pre-check (see `cargo_dbopt::scan::prefilter`) it takes no handle and makes
//! no round trip of its own; the only way it matters is by calling a fn of the package that
//! reaches the database, and the scan looks for those fns' names in the left-out fns
//! ([`super::FileAnalysis::pruned`]) exactly as in skipped files, and analyses the whole file
//! when one is mentioned. The benchmark compares every scan with a scan without the
//! pre-check (same findings).
//!
//! Splitting is syntactic, on the token trees: an item ends at a `;` or at a `{}` group that
//! does not follow a `=` (outside `<..>`), so `const X: S = S { a: 1 };` ends at its `;`.
//! Where that guess is wrong (a `{ N }` const generic argument in a fn signature), the pruned
//! tokens do not parse, and the file is parsed whole instead.

use std::ops::Range;

use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};

/// Tokens of a file with some items left out.
#[derive(Debug)]
pub struct Pruned {
    pub tokens: TokenStream,
    /// Byte ranges of the fns left out, in source order (the other items left out are not
    /// listed: nothing in them is ever analysed).
    pub dropped: Vec<Range<usize>>,
}

/// `tokens` without their consts, statics, macro invocations and extern blocks, and without
/// the fns `keep` rejects (given each one's byte range), or `tokens` back when every item is
/// kept. Moves the tokens (a copy would copy every identifier).
pub fn prune(
    tokens: TokenStream,
    keep: &dyn Fn(Range<usize>) -> bool,
) -> Result<Pruned, TokenStream> {
    let mut dropped = Vec::new();
    match prune_stream(tokens, keep, &mut dropped, 0) {
        Ok(tokens) => Ok(Pruned { tokens, dropped }),
        Err(tokens) => Err(tokens),
    }
}

/// Inline modules and impl blocks followed; deeper ones are kept whole.
const MAX_DEPTH: usize = 16;

/// `Err(stream)`, given back whole, when nothing was left out of it.
fn prune_stream(
    stream: TokenStream,
    keep: &dyn Fn(Range<usize>) -> bool,
    dropped: &mut Vec<Range<usize>>,
    depth: usize,
) -> Result<TokenStream, TokenStream> {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let mut changed = false;
    let lengths = item_lengths(&tokens);
    let mut tokens = tokens.into_iter();
    for len in lengths {
        let item: Vec<TokenTree> = tokens.by_ref().take(len).collect();
        match kind(&item) {
            Kind::Inert => changed = true,
            Kind::Fn => {
                let range = byte_range(&item);
                if keep(range.clone()) {
                    out.extend(item);
                } else {
                    dropped.push(range);
                    changed = true;
                }
            }
            Kind::Container if depth < MAX_DEPTH => {
                let mut item = item;
                match item.pop() {
                    // A database word in the header (`impl Repo for PgConnection`,
                    // `impl<C: Connection> Store<C>`) makes every method's `self` or
                    // generic a handle: the block is kept whole.
                    Some(TokenTree::Group(body)) if !keep(byte_range(&item)) => {
                        out.extend(item);
                        let (span, stream) = (body.span(), body.stream());
                        match prune_stream(stream, keep, dropped, depth + 1) {
                            Ok(inner) => {
                                let mut group = Group::new(Delimiter::Brace, inner);
                                group.set_span(span);
                                out.push(TokenTree::Group(group));
                                changed = true;
                            }
                            Err(_) => out.push(TokenTree::Group(body)),
                        }
                    }
                    last => {
                        out.extend(item);
                        out.extend(last);
                    }
                }
            }
            _ => out.extend(item),
        }
    }
    let stream: TokenStream = out.into_iter().collect();
    if changed { Ok(stream) } else { Err(stream) }
}

/// The number of tokens of each item of `tokens`, in order.
fn item_lengths(tokens: &[TokenTree]) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut start = 0;
    while start < tokens.len() {
        let end = item_end(tokens, start);
        lengths.push(end - start);
        start = end;
    }
    lengths
}

/// The index after the last token of the item starting at `start`.
fn item_end(tokens: &[TokenTree], start: usize) -> usize {
    let mut angles = 0usize;
    let mut assigned = false;
    let mut i = start;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) => {
                let joined_to = match i.checked_sub(1).map(|j| &tokens[j]) {
                    Some(TokenTree::Punct(q)) if q.spacing() == Spacing::Joint => Some(q.as_char()),
                    _ => None,
                };
                let joint_next = p.spacing() == Spacing::Joint;
                match p.as_char() {
                    ';' => return i + 1,
                    '<' if joined_to.is_none() && !joint_next => angles += 1,
                    '>' if !matches!(joined_to, Some('-' | '=')) => {
                        angles = angles.saturating_sub(1);
                    }
                    // Alone: not `==`, `=>`, `<=`, `+=`, ...
                    '=' if angles == 0 && joined_to.is_none() && !joint_next => {
                        assigned = true;
                    }
                    _ => {}
                }
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && !assigned => {
                return i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    tokens.len()
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// A fn: left out when `keep` says so.
    Fn,
    /// A const, static, macro invocation or extern block: always left out.
    Inert,
    /// An `impl` block or an inline `mod`: its items are pruned in turn.
    Container,
    Kept,
}

/// What the item `item` (attributes first) is, from its first tokens and its end.
fn kind(item: &[TokenTree]) -> Kind {
    let mut i = 0;
    // Outer attributes and doc comments: `#` `[..]`. An inner one (`#!`) is kept.
    while let (Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) =
        (item.get(i), item.get(i + 1))
    {
        if p.as_char() != '#' || g.delimiter() != Delimiter::Bracket {
            break;
        }
        i += 2;
    }
    // Visibility: `pub`, `pub(crate)`, `pub(in path)`.
    if is_ident(item.get(i), "pub") {
        i += 1;
        if matches!(item.get(i), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
        {
            i += 1;
        }
    }
    let last = item.last();
    let ends_with_body =
        matches!(last, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace);
    let ends_with_semi = matches!(last, Some(TokenTree::Punct(p)) if p.as_char() == ';');
    // Qualifiers before `fn`, `impl`, `extern {}`: `const`, `async`, `unsafe`, `safe`,
    // `default`, `extern "C"`.
    let mut j = i;
    loop {
        match item.get(j) {
            Some(TokenTree::Ident(id))
                if ["const", "async", "unsafe", "safe", "default", "extern"]
                    .iter()
                    .any(|q| id == q) =>
            {
                j += 1;
            }
            Some(TokenTree::Literal(_))
                if is_ident(j.checked_sub(1).and_then(|k| item.get(k)), "extern") =>
            {
                j += 1;
            }
            _ => break,
        }
    }
    let is_extern = (i..j).any(|k| is_ident(item.get(k), "extern"));
    match item.get(j) {
        Some(TokenTree::Ident(id)) if id == "fn" && (ends_with_body || ends_with_semi) => {
            return Kind::Fn;
        }
        Some(TokenTree::Ident(id)) if id == "impl" && ends_with_body => return Kind::Container,
        // `extern "C" { .. }`, `unsafe extern { .. }`.
        Some(TokenTree::Group(_)) if is_extern && j + 1 == item.len() && ends_with_body => {
            return Kind::Inert;
        }
        _ => {}
    }
    match item.get(i) {
        // `const NAME: T = ..;`, `static [mut] NAME: T = ..;` (`const fn` is handled above).
        Some(TokenTree::Ident(id)) if (id == "const" || id == "static") && ends_with_semi => {
            Kind::Inert
        }
        Some(TokenTree::Ident(id)) if id == "mod" && ends_with_body => Kind::Container,
        // A macro invocation: `path!(..);`, `path! { .. }`, `macro_rules! name { .. }`.
        Some(TokenTree::Ident(_)) if macro_bang(item, i) && (ends_with_body || ends_with_semi) => {
            Kind::Inert
        }
        _ => Kind::Kept,
    }
}

/// Whether `item[i..]` starts with a path (`a`, `a::b`, `::a`) followed by `!`.
fn macro_bang(item: &[TokenTree], mut i: usize) -> bool {
    loop {
        match item.get(i) {
            Some(TokenTree::Ident(_)) => i += 1,
            _ => return false,
        }
        match (item.get(i), item.get(i + 1)) {
            (Some(TokenTree::Punct(p)), _) if p.as_char() == '!' => return true,
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':' =>
            {
                i += 2;
            }
            _ => return false,
        }
    }
}

fn is_ident(token: Option<&TokenTree>, word: &str) -> bool {
    matches!(token, Some(TokenTree::Ident(id)) if id == word)
}

/// From the first token's start to the last token's end.
fn byte_range(item: &[TokenTree]) -> Range<usize> {
    let start = item.first().map_or(0, |t| t.span().byte_range().start);
    let end = item.last().map_or(start, |t| t.span().byte_range().end);
    start..end.max(start)
}

#[cfg(test)]
mod tests;
