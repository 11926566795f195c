//! A guard against input nested deeper than syn can parse without overflowing the stack.
//!
//! syn parses recursively: nested groups, but also nested generics, prefix operators and
//! `fn`/`impl` types without any group. A stack overflow is not a panic: it aborts the
//! process (the CLI, or rustc running `#[db_checked]`). So every reader of Rust text
//! measures the nesting first, with proc-macro2's lexer (which keeps its own stack) and the
//! walk below (which does too), so the measurement itself cannot overflow.
//!
//! Depth is counted in units: each `()`, `[]`, `{}` is one; each token that makes syn
//! recurse without a group (see [`Nesting::token`]) is [`RECURSION_UNITS`].

use proc_macro2::{Span, TokenStream, TokenTree};

/// Units of one recursing token (a `<` until its `>`, a prefix operator, `fn`, ...).
pub const RECURSION_UNITS: usize = 4;

/// The deepest nesting the Rust front end (`#[db_checked]` and the scan) reads, in units:
/// about twice the deepest of the 9,860 `.rs` files of the crates.io packages this workspace
/// depends on (typenum's generated `UInt<UInt<..`, 260 units; 99.9 % of them stay under 135).
pub const RUST_LIMIT: usize = 512;

/// The stack the Rust front end runs on. A debug build of syn takes up to 28 KiB per unit
/// (nested modules; 20 KiB for nested blocks, 12 KiB for nested parentheses or generics), so
/// [`RUST_LIMIT`] needs 14 MiB: more than a thread has (2 MiB for spawned threads and rayon's
/// workers, 8 MiB for a main thread or rustc's).
const RUST_STACK: usize = 32 << 20;

/// Rejects Rust tokens nested deeper than [`RUST_LIMIT`], with the position where they do.
pub fn check_rust(tokens: &TokenStream) -> syn::Result<()> {
    check_tokens(tokens, RUST_LIMIT).map_err(|span| {
        syn::Error::new(
            span,
            format!("nesting deeper than {RUST_LIMIT} levels is not analysed"),
        )
    })
}

/// Runs `f` (a syn parse of tokens [`check_rust`] accepted, and everything done with the
/// result, including dropping it) on a fresh stack of `RUST_STACK` bytes, whatever stack the
/// caller's thread has. The stack is mapped, not allocated: only the pages used are touched.
pub fn with_rust_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::grow(RUST_STACK, f)
}

/// `Err` with the position of the first token past `limit` units, if `text` goes deeper.
/// Text that does not lex is `Ok`: the parser reports the lexing error with its position.
pub fn check(text: &str, limit: usize) -> Result<(), Span> {
    match text.parse::<TokenStream>() {
        Ok(tokens) => check_tokens(&tokens, limit),
        Err(_) => Ok(()),
    }
}

/// [`check`] on tokens.
pub fn check_tokens(tokens: &TokenStream, limit: usize) -> Result<(), Span> {
    deepest(tokens, limit).map(drop)
}

/// The deepest nesting of `tokens` in units, or the position of the first token past
/// `limit` units.
pub fn deepest(tokens: &TokenStream, limit: usize) -> Result<usize, Span> {
    let mut deepest = 0;
    let mut stack = vec![Nesting::new(tokens.clone(), 0)];
    while let Some(level) = stack.last_mut() {
        let Some(token) = level.tokens.get(level.next).cloned() else {
            stack.pop();
            continue;
        };
        level.next += 1;
        let depth = match token {
            TokenTree::Group(group) => {
                let depth = level.depth() + 1;
                level.after_operand = true;
                if depth > limit {
                    return Err(group.span_open());
                }
                stack.push(Nesting::new(group.stream(), depth));
                depth
            }
            other => {
                let index = level.next - 1;
                level.token(&other, index);
                if level.depth() > limit {
                    return Err(other.span());
                }
                level.depth()
            }
        };
        deepest = deepest.max(depth);
    }
    Ok(deepest)
}

/// One token sequence (a group's content) being measured by [`deepest`].
struct Nesting {
    tokens: Vec<TokenTree>,
    next: usize,
    /// Units of the groups and tokens around this sequence.
    outer: usize,
    /// `<` not yet closed by `>`; only the end of a statement or item resets it (generic
    /// arguments hold commas).
    angles: usize,
    /// Recursing tokens since the last `,` or the end of a statement or item.
    prefixes: usize,
    /// Unary `&`, `*`, `-`, `!` since the last binary operator: they bind tighter than any,
    /// so `-1 | -2 | ..` does not nest.
    unary: usize,
    /// The previous token ends an operand, so `&`, `*`, `-`, `!`, `|` are binary (or a macro
    /// bang), which syn parses in a loop.
    after_operand: bool,
    /// The previous token is a binary operator's character glued to the next one.
    in_operator: bool,
}

impl Nesting {
    fn new(stream: TokenStream, outer: usize) -> Self {
        Nesting {
            tokens: stream.into_iter().collect(),
            next: 0,
            outer,
            angles: 0,
            prefixes: 0,
            unary: 0,
            after_operand: false,
            in_operator: false,
        }
    }

    /// The token before `index` is the punctuation `c`.
    fn previous_is(&self, c: char, index: usize) -> bool {
        matches!(
            index.checked_sub(1).and_then(|i| self.tokens.get(i)),
            Some(TokenTree::Punct(p)) if p.as_char() == c
        )
    }

    /// `;`, or a `{ .. }` followed by another statement or item.
    fn end_statement(&mut self) {
        self.prefixes = 0;
        self.unary = 0;
        self.angles = 0;
    }

    fn depth(&self) -> usize {
        self.outer + (self.angles + self.prefixes + self.unary) * RECURSION_UNITS
    }

    /// Counts a token other than a group: generic arguments (`<`), prefix operators (`&`,
    /// `*`, `-`, `!`, `|`, `.`), `@` bindings, assignments and the keywords that start a
    /// nested type or expression (`fn`, `impl`, `dyn`, `if`, `return`, ...).
    fn token(&mut self, token: &TokenTree, index: usize) {
        use proc_macro2::Spacing;
        // The previous token when it is glued to this one (`-` of `->`, `<` of `<<`).
        let joined_to = match index.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(TokenTree::Punct(p)) if p.spacing() == Spacing::Joint => Some(p.as_char()),
            _ => None,
        };
        let joint_before = joined_to.is_some();
        // A `{ .. }` followed by the start of another statement or item ended what it
        // belonged to (`fn a() {} fn b() {}`, `if a {} let`), as `;` does; `else` and `as`
        // continue it (`if a {} else if b {} ..` recurses).
        let after_brace = matches!(
            index.checked_sub(1).and_then(|i| self.tokens.get(i)),
            Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Brace
        );
        let starts_another = match token {
            TokenTree::Ident(ident) => ident != "else" && ident != "as",
            TokenTree::Punct(p) => p.as_char() == '#',
            _ => false,
        };
        if after_brace && starts_another {
            self.end_statement();
        }
        let next_char = match self.tokens.get(index + 1) {
            Some(TokenTree::Punct(p)) => Some(p.as_char()),
            _ => None,
        };
        match token {
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let joint = p.spacing() == Spacing::Joint;
                // The second character of a binary operator (`&&`, `||`, `==`, `+=`, ..).
                if joint_before && self.in_operator {
                    self.in_operator = joint;
                    return;
                }
                self.in_operator = false;
                let prefix = !self.after_operand;
                self.after_operand = false;
                match c {
                    ',' => {
                        self.prefixes = 0;
                        self.unary = 0;
                    }
                    ';' => self.end_statement(),
                    // Not `<<` nor `<=`.
                    '<' if !(joint_before || joint && matches!(next_char, Some('=' | '<'))) => {
                        self.angles += 1;
                    }
                    '>' if !matches!(joined_to, Some('-' | '=')) => {
                        self.angles = self.angles.saturating_sub(1);
                        self.after_operand = true;
                    }
                    // `->`, `=>`: parsed in a loop.
                    '-' | '=' if joint && next_char == Some('>') => {}
                    // `..`, `..=`: one range.
                    '.' | '=' if joined_to == Some('.') => {}
                    // `#![inner attribute]`
                    '!' if joined_to == Some('#') || self.previous_is('#', index) => {}
                    '=' if !joint_before && next_char != Some('=') => {
                        self.unary = 0;
                        self.prefixes += 1;
                    }
                    '+' | '-' | '*' | '/' | '%' | '^' | '&' | '|' | '=' if !prefix => {
                        self.unary = 0;
                        self.in_operator = joint;
                    }
                    '&' | '*' | '-' | '!' if prefix => self.unary += 1,
                    // A closure's body and a range's end extend as far as they can.
                    '|' | '.' if prefix => self.prefixes += 1,
                    '@' => self.prefixes += 1,
                    '?' => self.after_operand = true,
                    _ => {}
                }
            }
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                const RECURSING: &[&str] = &[
                    "fn", "impl", "dyn", "if", "return", "break", "yield", "become", "box",
                    "async", "unsafe", "move", "static", "while", "for", "match", "let",
                ];
                const KEYWORDS: &[&str] = &[
                    "as", "in", "mut", "ref", "else", "where", "const", "type", "pub", "use",
                    "struct", "enum", "trait", "mod", "loop", "continue", "extern",
                ];
                if RECURSING.contains(&name.as_str()) {
                    self.prefixes += 1;
                    self.after_operand = false;
                } else {
                    self.after_operand = !KEYWORDS.contains(&name.as_str());
                }
            }
            TokenTree::Literal(_) => self.after_operand = true,
            TokenTree::Group(_) => self.after_operand = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rust::package::{FileInput, analyse_file};
    use crate::rust::{Options, check_attribute};
    use crate::source::FileId;

    fn units(text: &str) -> usize {
        deepest(&text.parse().unwrap_or_default(), usize::MAX).unwrap_or(usize::MAX)
    }

    /// Forms syn recurses on, with the stack a debug build of syn takes per level. Each
    /// repeats `open` n times around `inner`; `close` is repeated after it.
    const FORMS: &[(&str, &str, &str, &str, &str)] = &[
        ("", "mod m { ", "fn f() {}", " }", ""),
        ("fn f() { ", "{ ", "", " }", " }"),
        ("fn f() { let x = ", "(", "1", ")", "; }"),
        ("type A = ", "Vec<", "u8", ">", ";"),
        ("fn f() { let c = ", "|x| ", "1", "", "; }"),
        ("fn f() { x", ".map(|a| a", "", ")", "; }"),
        ("fn f() { let v = ", "vec![", "1", "]", "; }"),
        ("", "fn f() { ", "", " }", ""),
        (
            "fn f(conn: &mut PgConnection) { ",
            "conn.transaction(|c| { ",
            "1",
            " })",
            "; }",
        ),
        ("#[db_checked(lock_order(", "(", "a", ")", "))] fn f() {}"),
    ];

    fn form(i: usize, n: usize) -> String {
        let (head, open, inner, close, tail) = FORMS[i];
        format!("{head}{}{inner}{}{tail}", open.repeat(n), close.repeat(n))
    }

    /// On a thread with a small stack: the scan's parse error (or `None`) and the attribute's
    /// errors for `text`.
    fn both(text: String) -> (Option<String>, Vec<String>) {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let scan = analyse_file(
                    FileInput {
                        id: FileId(0),
                        text: &text,
                    },
                    &Options::default(),
                );
                let tokens = text.parse().unwrap_or_default();
                let exp = check_attribute(TokenStream::new(), tokens);
                let errors = exp.errors.iter().map(ToString::to_string).collect();
                (scan.parse_error.map(|e| e.message), errors)
            })
            .expect("a thread")
            .join()
            .expect("no panic")
    }

    /// Found by the `fn_body` fuzz target: 2,000 nested `Vec<` overflowed the stack (a bare
    /// SIGSEGV, as a proc macro: rustc itself would die). Deeper than the limit is one error
    /// at its position; up to the limit is read, on a 256 KiB thread in a debug build.
    #[test]
    fn the_rust_front_end_reads_up_to_the_limit_and_rejects_deeper_on_any_stack() {
        let message = "nesting deeper than 512 levels is not analysed".to_owned();
        for (i, &(_, open, ..)) in FORMS.iter().enumerate() {
            let (scan, errors) = both(form(i, 5_000));
            assert_eq!(scan.as_ref(), Some(&message), "{}", open);
            assert_eq!(errors, std::slice::from_ref(&message), "{}", open);
            // The deepest text within the limit.
            let n = (1..=RUST_LIMIT)
                .take_while(|&n| units(&form(i, n)) <= RUST_LIMIT)
                .last()
                .unwrap_or(1);
            assert!(units(&form(i, n)) > RUST_LIMIT - 16, "{}", open);
            let (scan, errors) = both(form(i, n));
            assert_eq!(scan, None, "{}", open);
            assert!(!errors.contains(&message), "{}", open);
        }
    }

    #[test]
    fn the_error_points_at_the_first_token_too_deep() {
        let text = format!(
            "fn f() {{ let x = {}1{}; }}",
            "(".repeat(600),
            ")".repeat(600)
        );
        let tokens: TokenStream = text.parse().unwrap_or_default();
        let span = check_tokens(&tokens, RUST_LIMIT).unwrap_err();
        // `fn` and its `{` put the body at 5 units, `let` and `=` add 8: the 500th `(` is
        // unit 513.
        assert_eq!(span.start().column, "fn f() { let x = ".len() + 499);
    }

    /// Flat code is not nesting: a sequence of items or statements ending in `}`, inner doc
    /// comments, chains of binary operators and of negative literals, range patterns.
    #[test]
    fn long_flat_code_is_shallow() {
        let flat = [
            "fn a() {} ".repeat(2_000),
            format!("fn f() {{ {} }}", "if a {} let x = 1; ".repeat(2_000)),
            "//! doc\n".repeat(2_000),
            format!("const A: bool = a{};", " || b && c == d".repeat(2_000)),
            format!("fn f() {{ match x {{ 0{} => 1 }} }}", " | -1".repeat(2_000)),
            format!(
                "fn f() {{ match c {{ 'a'..='b'{} => 1 }} }}",
                " | 'a'..='b'".repeat(2_000)
            ),
        ];
        for text in flat {
            assert!(
                units(&text) <= 16,
                "{} units: {}",
                units(&text),
                &text[..40]
            );
        }
        // What does nest is counted: `else if` chains, unary operators, closures.
        assert!(
            units(&format!(
                "fn f() {{ if a {{}} {}}}",
                "else if a {} ".repeat(200)
            )) > 512
        );
        assert!(units(&format!("const A: u8 = {}1;", "- ".repeat(200))) > 512);
        assert!(units(&format!("fn f() {{ {}1; }}", "|x| ".repeat(200))) > 512);
    }
}
