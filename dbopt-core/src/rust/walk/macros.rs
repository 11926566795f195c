//! Macros in a body: read as expressions, else statements, else scanned as token trees for
//! calls that receive a handle. Best effort, never an error.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;

use crate::rust::calls::EXECUTORS;
use crate::rust::handles::Shape;
use crate::rust::model::TripKind;

use super::{MAX_DEPTH, Val, Walker};

/// Macros that never talk to the database themselves.
const KNOWN_MACROS: &[&str] = &[
    "vec",
    "format",
    "format_args",
    "println",
    "eprintln",
    "print",
    "eprint",
    "write",
    "writeln",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "todo",
    "unimplemented",
    "unreachable",
    "dbg",
    "matches",
    "try_join",
    "join",
    "select",
    "info",
    "debug",
    "warn",
    "error",
    "trace",
    "event",
    "anyhow",
    "bail",
    "ensure",
    "json",
    "concat",
    "stringify",
    "pin",
    "pin_mut",
    "ready",
];

impl Walker<'_> {
    /// A macro in the body: its tokens as expressions, else as statements, else scanned for
    /// calls that receive a handle. Best effort, never an error.
    pub(super) fn mac(&mut self, mac: &syn::Macro) -> Val {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let span = mac
            .path
            .segments
            .last()
            .map_or_else(|| mac.bang_token.span, |s| s.ident.span());
        self.last_span = span;
        let path: Vec<String> = mac
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if super::exprs::DIVERGING.contains(&name.as_str()) {
            // `bail!(..)`, `panic!(..)`: its arguments are evaluated, then the path ends.
            if let Ok(list) =
                mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
            {
                for e in &list {
                    self.expr(e);
                }
            }
            self.exit();
            return Val::default();
        }
        if self.opts.is_transaction_wrapper(&path) {
            // `transaction!(conn, { .. })`: the body runs in a transaction, with a connection.
            self.open_txn(&name, span);
            let v = self.wrapper(mac, &name, span);
            self.txn.pop();
            return v;
        }
        if self.is_wrapper(mac) {
            return self.wrapper(mac, &name, span);
        }
        let known = KNOWN_MACROS.contains(&name.as_str());
        let shape = if name == "vec" {
            Shape::Many
        } else {
            Shape::Unknown
        };
        if let Ok(list) =
            mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            let before = self.round_trips.len();
            let mut passed = false;
            for e in &list {
                passed |= self.expr(e).handle.is_some();
            }
            // `db_run!(conn, users.load(conn))`: the inner call is the round trip.
            if passed && !known && self.round_trips.len() == before {
                self.trip(
                    span,
                    format!("{name}!(..)"),
                    name,
                    TripKind::Macro,
                    None,
                    None,
                    None,
                );
            }
            return Val {
                handle: None,
                shape,
            };
        }
        if let Ok(stmts) = mac.parse_body_with(syn::Block::parse_within) {
            self.env.push();
            for s in &stmts {
                self.stmt(s);
            }
            self.env.pop();
            return Val {
                handle: None,
                shape,
            };
        }
        let before = self.round_trips.len();
        let mut mentions = false;
        self.scan_tokens(mac.tokens.clone(), &mut mentions, 0);
        if mentions && !known && self.round_trips.len() == before {
            self.trip(
                span,
                format!("{name}!(..)"),
                name,
                TripKind::Macro,
                None,
                None,
                None,
            );
        }
        Val {
            handle: None,
            shape,
        }
    }

    /// Finds `name(.. handle ..)` calls in raw tokens.
    pub(super) fn scan_tokens(&mut self, tokens: TokenStream, mentions: &mut bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut last_ident: Option<(String, Span)> = None;
        // Inside a turbofish (`first::<User>(conn)`) the callee stays `first`.
        let mut turbofish = 0usize;
        let mut prev_colon = false;
        for tt in tokens {
            let colon = matches!(&tt, TokenTree::Punct(p) if p.as_char() == ':');
            match tt {
                TokenTree::Ident(id) => {
                    let n = id.to_string();
                    if self.env.get(&n).is_some_and(|b| b.handle.is_some()) {
                        *mentions = true;
                    }
                    if turbofish == 0 {
                        last_ident = Some((n, id.span()));
                    }
                }
                TokenTree::Group(g) => {
                    if g.delimiter() == Delimiter::Parenthesis {
                        let passes = g.stream().into_iter().any(|t| match t {
                            TokenTree::Ident(id) => self
                                .env
                                .get(&id.to_string())
                                .is_some_and(|b| b.handle.is_some()),
                            _ => false,
                        });
                        if let (true, Some((n, sp))) = (passes, &last_ident) {
                            let kind = if EXECUTORS.contains(&n.as_str()) {
                                TripKind::Executor
                            } else {
                                TripKind::Helper
                            };
                            self.trip(*sp, format!("{n}(..)"), n.clone(), kind, None, None, None);
                        }
                    }
                    self.scan_tokens(g.stream(), mentions, depth + 1);
                    last_ident = None;
                }
                TokenTree::Punct(p) => match p.as_char() {
                    '<' if prev_colon || turbofish > 0 => turbofish += 1,
                    '>' if turbofish > 0 => turbofish -= 1,
                    ':' | '<' | '>' | ',' | '&' if turbofish > 0 => {}
                    ':' => {}
                    _ => last_ident = None,
                },
                TokenTree::Literal(_) => {
                    if turbofish == 0 {
                        last_ident = None;
                    }
                }
            }
            prev_colon = colon;
        }
    }
}
