//! A nesting guard run before syn parses Rust code. syn parses recursively with no limit, and
//! so do the drop and the visit of the tree it builds, so absurdly nested input (generated
//! code, a hostile file) would overflow the stack and abort the process. proc-macro2's
//! lexer keeps its own stack (and so does the walk here), so lexing and checking cannot
//! overflow: the guard measures the token trees and rejects what is too deep before syn
//! sees it.
//!
//! Depth is counted in *units*, each roughly the stack one `()`, `[]` or `{}` level costs
//! syn. Recursion without a group costs more or less than a group:
//!
//! * a group is 1 unit;
//! * a recursing token is [`RECURSION_UNITS`]: a `<` until its `>` (generic arguments), a
//!   prefix operator (`&`, `*`, `-`, `!`, `|`, `..`), an assignment `=`, `@`, and the
//!   keywords that start a nested type or expression (`fn`, `impl`, `dyn`, `if`,
//!   `return`, ...). They count until the next `,` or `;` (a `<` until its `>` or a `;`),
//!   or until a `{}` group that ends a statement or an item (one not followed by `else`,
//!   `.`, `?` or an operator). In a match arm's pattern nothing counts: syn reads
//!   `A | B | C` as a flat list;
//! * a chain link costs 1/[`LINKS_PER_UNIT`] unit: a binary operator, `.`, `?`, `as` or
//!   `else`, and a call or index suffix (a `()` or `[]` right after an operand: `a()()`,
//!   `a[0][0]`, the arguments of `x.f()`). syn parses `a + b + c`, `x.f().g()`, `a()()` and
//!   `if .. else if ..` in a loop, but the tree is as deep as the chain is long, and
//!   dropping or visiting it recurses.
//!
//! Measured in a debug build (the slowest frames): 146 nested `(`, 92 nested `{`, 39
//! nested `Vec<`, 63 `& `, 478 `!`, about 16,000 `+ 1` and 11,800 `else if` overflow a
//! 2 MiB thread; four times as many fit in 8 MiB. With a `syn::visit` pass over the tree
//! too, about 3,100 links of `.m()` or `()` (660-680 bytes each) and 3,800 of `[0]`, `?`,
//! `.await` or `.f` (550 bytes) fit in 2 MiB: 8,192 links, the most accepted, take 5.5 MB
//! of the front end's 32 MiB. [`MAX_NESTING`] keeps every form within
//! 8 MiB of stack in a debug build (the `deep_*` tests below run at the limit on such a
//! thread).

use std::fmt::Write as _;

use proc_macro2::{Delimiter, Group, Spacing, Span, TokenStream, TokenTree};

/// Deepest nesting of Rust code analysed, in units. Of the 9,860 files of 287 crates'
/// sources (this workspace's dependencies), three measure more: typenum's generated
/// `UInt<UInt<..>>` constants (260) and syn's own stress test of prefix ranges (259, twice);
/// the deepest ordinary code measures 166.
pub const MAX_NESTING: usize = 256;

/// Units of one recursing token (a `<` until its `>`, a prefix operator, `fn`, ...).
pub const RECURSION_UNITS: usize = 4;

/// Chain links (binary operators, `.`, `?`, `as`, `else`) that cost one unit.
pub const LINKS_PER_UNIT: usize = 32;

/// The message for code nested deeper than `limit` units.
pub fn message(limit: usize) -> String {
    format!("nesting deeper than {limit} levels; not analysed")
}

/// `text` as a Rust file, or the error syn gives, or [`message`] at the token where the
/// nesting first exceeds [`MAX_NESTING`]. Lexes once: the same work as
/// `syn::parse_str::<syn::File>`.
pub fn parse_file(text: &str) -> syn::Result<syn::File> {
    let tokens: TokenStream = text.parse()?;
    if let Some(span) = too_deep(&tokens, MAX_NESTING) {
        return Err(syn::Error::new(span, message(MAX_NESTING)));
    }
    syn::parse2(tokens)
}

/// The span of the first token at which `tokens` nest deeper than `limit` units.
pub fn too_deep(tokens: &TokenStream, limit: usize) -> Option<Span> {
    measure(tokens, limit).err()
}

/// The deepest nesting of `tokens` in units, or the span where it first exceeds `limit`.
pub fn measure(tokens: &TokenStream, limit: usize) -> Result<usize, Span> {
    let mut deepest = 0;
    let mut word = String::new();
    let mut stack = vec![(
        tokens.clone().into_iter().collect::<Vec<_>>(),
        0,
        Level::new(0, false),
    )];
    while let Some((tokens, next, level)) = stack.last_mut() {
        let Some(token) = tokens.get(*next).cloned() else {
            stack.pop();
            continue;
        };
        let index = *next;
        *next += 1;
        let prev = index.checked_sub(1).and_then(|i| tokens.get(i));
        let following = tokens.get(index + 1);
        let (depth, inner) = level.step(&token, Prev::of(prev), following, limit, &mut word)?;
        deepest = deepest.max(depth);
        if let (Some(inner), TokenTree::Group(group)) = (inner, token) {
            stack.push((group.stream().into_iter().collect(), 0, inner));
        }
    }
    Ok(deepest)
}

/// [`check`] for tokens the caller owns: measures them without copying a token (the
/// borrowed [`measure`] copies every identifier) and gives them back, regrouped.
pub fn check_owned(tokens: TokenStream) -> syn::Result<TokenStream> {
    within(tokens, MAX_NESTING).map_err(|span| syn::Error::new(span, message(MAX_NESTING)))
}

/// [`check_owned`] against any `limit`: the tokens, regrouped, or the span where the nesting
/// first exceeds it.
pub fn within(tokens: TokenStream, limit: usize) -> Result<TokenStream, Span> {
    /// A group being measured: its tokens still to come, those seen (moved into the stream
    /// that rebuilds it), the last one seen, and how to rebuild it.
    struct Frame {
        rest: std::iter::Peekable<proc_macro2::token_stream::IntoIter>,
        seen: TokenStream,
        prev: Prev,
        level: Level,
        group: Option<(Delimiter, Span)>,
    }
    let frame = |stream: TokenStream, level: Level, group: Option<(Delimiter, Span)>| Frame {
        rest: stream.into_iter().peekable(),
        seen: TokenStream::new(),
        prev: Prev::None,
        level,
        group,
    };
    let mut word = String::new();
    let mut stack = vec![frame(tokens, Level::new(0, false), None)];
    loop {
        let top = stack
            .last_mut()
            .expect("the outermost frame is popped last");
        let Some(token) = top.rest.next() else {
            let done = stack.pop().expect("a frame");
            let Some((delimiter, span)) = done.group else {
                return Ok(done.seen);
            };
            let mut group = Group::new(delimiter, done.seen);
            group.set_span(span);
            let parent = stack.last_mut().expect("a group has a parent");
            parent.prev = Prev::Other;
            parent.seen.extend([TokenTree::Group(group)]);
            continue;
        };
        let step = top
            .level
            .step(&token, top.prev, top.rest.peek(), limit, &mut word)?;
        match (step, token) {
            ((_, Some(inner)), TokenTree::Group(group)) => {
                let (delimiter, span, stream) = (group.delimiter(), group.span(), group.stream());
                // The stream is now this frame's alone: iterating it moves its tokens.
                drop(group);
                stack.push(frame(stream, inner, Some((delimiter, span))));
            }
            (_, token) => {
                top.prev = Prev::of(Some(&token));
                top.seen.extend([token]);
            }
        }
    }
}

/// What [`Level::step`] needs of the token before the one it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// The first token of its sequence.
    None,
    Punct(char, Spacing),
    Other,
}

impl Prev {
    fn of(token: Option<&TokenTree>) -> Self {
        match token {
            None => Prev::None,
            Some(TokenTree::Punct(p)) => Prev::Punct(p.as_char(), p.spacing()),
            Some(_) => Prev::Other,
        }
    }
}

/// One token sequence (a group's content) being measured.
struct Level {
    /// Units of the groups and tokens around this sequence.
    outer: usize,
    /// `<` not yet closed by `>` (only `;`, `=>` and the end of a statement close them all).
    angles: usize,
    /// Recursing tokens since the last `,`, `;` or statement.
    prefixes: usize,
    /// Chain links since the last `,`, `;` or statement.
    links: usize,
    /// The previous token ends an operand, so `&`, `*`, `-`, `!`, `|` are binary (or a macro
    /// bang), which syn parses in a loop.
    after_operand: bool,
    /// The previous token is `else`: an `if` after it continues a chain.
    after_else: bool,
    /// A `match` was seen and its `{}` body not yet.
    pending_match: bool,
    /// This sequence is the body of a `match`.
    match_body: bool,
    /// In a match body, before the `=>` of an arm: patterns (`A | B`, `-1 | 1..=9`) are
    /// flat lists to syn, so nothing counts there.
    in_pattern: bool,
}

impl Level {
    fn new(outer: usize, match_body: bool) -> Self {
        Level {
            outer,
            angles: 0,
            prefixes: 0,
            links: 0,
            after_operand: false,
            after_else: false,
            pending_match: false,
            match_body,
            in_pattern: match_body,
        }
    }

    /// Counts `token` (between `prev` and `next` in this sequence): the depth in units at it,
    /// and for a group the level of its content; the token's span when it is deeper than
    /// `limit`. `word` is scratch space for an identifier's text.
    fn step(
        &mut self,
        token: &TokenTree,
        prev: Prev,
        next: Option<&TokenTree>,
        limit: usize,
        word: &mut String,
    ) -> Result<(usize, Option<Level>), Span> {
        match token {
            TokenTree::Group(group) => {
                // A call or index suffix: one more link of the chain the operand heads.
                if self.after_operand
                    && !self.in_pattern
                    && matches!(
                        group.delimiter(),
                        Delimiter::Parenthesis | Delimiter::Bracket
                    )
                {
                    self.links += 1;
                }
                let depth = self.depth() + 1;
                if depth > limit {
                    return Err(group.span_open());
                }
                let match_body = self.group(group.delimiter(), next);
                Ok((depth, Some(Level::new(depth, match_body))))
            }
            other => {
                self.token(other, prev, next, word);
                let depth = self.depth();
                if depth > limit {
                    return Err(other.span());
                }
                Ok((depth, None))
            }
        }
    }

    fn depth(&self) -> usize {
        self.outer + (self.angles + self.prefixes) * RECURSION_UNITS + self.links / LINKS_PER_UNIT
    }

    /// A new statement, item, list element or match arm starts.
    fn reset(&mut self) {
        self.angles = 0;
        self.prefixes = 0;
        self.links = 0;
        self.in_pattern = self.match_body;
    }

    /// Counts a group (before its content is measured); returns whether it is the body of
    /// a `match`. A `{}` that is not continued ends a statement, an item or a match arm
    /// (`fn f() {}`, `if a < b {}`, `impl X {}`, `A => {}`), so what was counted before it
    /// no longer nests what follows.
    fn group(&mut self, delimiter: Delimiter, next: Option<&TokenTree>) -> bool {
        self.after_operand = true;
        self.after_else = false;
        if delimiter != Delimiter::Brace {
            return false;
        }
        let match_body = std::mem::take(&mut self.pending_match);
        let continued = match next {
            Some(TokenTree::Ident(i)) => i == "else" || i == "as",
            Some(TokenTree::Punct(p)) => p.as_char() != '#',
            _ => false,
        };
        if !continued && !self.in_pattern {
            self.reset();
        }
        match_body
    }

    /// Counts a token other than a group.
    fn token(
        &mut self,
        token: &TokenTree,
        prev: Prev,
        next: Option<&TokenTree>,
        word: &mut String,
    ) {
        // The previous token when it is glued to this one (`-` of `->`, `<` of `<<`).
        let joined_to = match prev {
            Prev::Punct(c, Spacing::Joint) => Some(c),
            _ => None,
        };
        let joint_before = joined_to.is_some();
        let next_char = match next {
            Some(TokenTree::Punct(p)) => Some(p.as_char()),
            _ => None,
        };
        let after_else = std::mem::take(&mut self.after_else);
        if self.in_pattern {
            match token {
                TokenTree::Punct(p) if p.as_char() == '=' && next_char == Some('>') => {
                    self.reset();
                    self.in_pattern = false;
                }
                TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';') => self.reset(),
                _ => {}
            }
            self.after_operand = false;
            return;
        }
        let after_hash = matches!(prev, Prev::Punct('#', _));
        match token {
            // `#` and the `!` of `#![attr]` (and of `//!` docs) start an attribute.
            TokenTree::Punct(p) if p.as_char() == '#' || after_hash => {
                self.after_operand = false;
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let joint = p.spacing() == Spacing::Joint;
                let prefix = !self.after_operand;
                self.after_operand = false;
                match c {
                    ';' => self.reset(),
                    // Generic arguments hold commas: `<` stays open.
                    ',' => {
                        let angles = self.angles;
                        self.reset();
                        self.angles = angles;
                    }
                    // Not `<<` nor `<=`.
                    '<' if !(joint_before || joint && matches!(next_char, Some('=' | '<'))) => {
                        self.angles += 1;
                    }
                    '>' if !matches!(joined_to, Some('-' | '=')) => {
                        self.angles = self.angles.saturating_sub(1);
                        self.after_operand = true;
                    }
                    // `=>` ends a match arm's pattern, whose `A | B | C` is a flat list.
                    '=' if joint && next_char == Some('>') => self.reset(),
                    // `->`: parsed in a loop.
                    '-' if joint && next_char == Some('>') => {}
                    // `=` alone (not `==`, `<=`, `+=`, ...) is an assignment or an
                    // initialiser, which syn parses right to left.
                    '=' if !joint_before && next_char != Some('=') => self.prefixes += 1,
                    '&' | '*' | '-' | '!' | '|' | '.' if prefix => self.prefixes += 1,
                    '@' => self.prefixes += 1,
                    '?' => {
                        self.links += 1;
                        self.after_operand = true;
                    }
                    // The second character of a glued operator was counted with the first.
                    _ if joint_before => {}
                    '+' | '-' | '*' | '/' | '%' | '^' | '&' | '|' | '!' | '.' => self.links += 1,
                    _ => {}
                }
            }
            TokenTree::Ident(ident) => {
                // Written into a buffer used again for every name: one match instead of a
                // comparison per keyword, and no allocation (`Ident::to_string` makes one).
                word.clear();
                let _ = write!(word, "{ident}");
                match word.as_str() {
                    "else" => {
                        self.links += 1;
                        self.after_else = true;
                        self.after_operand = false;
                    }
                    "as" => {
                        self.links += 1;
                        self.after_operand = false;
                    }
                    "if" if after_else => self.after_operand = false,
                    "fn" | "impl" | "dyn" | "if" | "return" | "break" | "yield" | "become"
                    | "box" | "async" | "unsafe" | "move" | "static" | "while" | "for"
                    | "match" | "let" => {
                        self.prefixes += 1;
                        self.pending_match = word == "match";
                        self.after_operand = false;
                    }
                    "in" | "mut" | "ref" | "where" | "const" | "type" | "pub" | "use"
                    | "struct" | "enum" | "trait" | "mod" | "loop" | "continue" | "extern" => {
                        self.after_operand = false;
                    }
                    _ => self.after_operand = true,
                }
            }
            TokenTree::Literal(_) => self.after_operand = true,
            TokenTree::Group(_) => self.after_operand = true,
        }
    }
}

#[cfg(test)]
mod tests;

/// The stack the Rust front end runs on. A debug build of syn takes up to 28 KiB per unit
/// (nested modules; 20 KiB for nested blocks, 12 KiB for nested parentheses or generics), and
/// dropping or visiting a long chain recurses too: more than a spawned thread's 2 MiB (rayon's
/// workers) and close to a main thread's or rustc's 8 MiB at [`MAX_NESTING`].
const RUST_STACK: usize = 32 << 20;

/// Runs `f` (a syn parse of tokens [`too_deep`] accepted, and everything done with the
/// result, including dropping it) on a stack of at least `RUST_STACK` bytes, whatever stack
/// the caller's thread has. The stack is mapped, not allocated: only the pages used are
/// touched; `stacker` runs `f` in place when enough stack is left.
pub fn with_rust_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RUST_STACK, RUST_STACK, f)
}

/// [`too_deep`] as a syn error (the message of [`parse_file`]).
pub fn check(tokens: &TokenStream) -> syn::Result<()> {
    match too_deep(tokens, MAX_NESTING) {
        Some(span) => Err(syn::Error::new(span, message(MAX_NESTING))),
        None => Ok(()),
    }
}
