//! The tokens `#[db_checked]` expands to: one `compile_error!` per error and deny-level
//! finding, one deprecation warning per warn-level finding, then the caller's item.
//!
//! Warnings use the `#[deprecated]` trick (the only stable way for a proc macro to warn): a
//! deprecated unit struct used at the finding's span. In a fn the uses go at the top of its
//! body (after inner attributes), which also works for methods in `impl` blocks; for other
//! items they sit in a `const _: () = { .. };` before the item.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::quote;

use crate::diagnostic::Level;
use crate::rust::Expansion;
use crate::rust::render::rustc_message;

/// The final tokens of the attribute.
pub fn emit(exp: Expansion) -> TokenStream {
    let mut errors = exp.errors;
    let mut warnings = TokenStream::new();
    // Warnings per owning fn (keyed by its name's span), for impl blocks, traits and modules.
    let mut per_fn: Vec<(String, TokenStream)> = Vec::new();
    for (i, d) in exp.diagnostics.iter().enumerate() {
        let text = rustc_message(d);
        match d.level {
            Level::Deny => errors.push(syn::Error::new(d.primary.span, text)),
            Level::Warn => {
                let w = warning(d.primary.span, &text);
                match exp.owners.get(i) {
                    Some(owner) if !exp.is_fn => {
                        let key = format!("{owner:?}");
                        match per_fn.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, ts)) => ts.extend(w),
                            None => per_fn.push((key, w)),
                        }
                    }
                    _ => warnings.extend(w),
                }
            }
            Level::Allow => {}
        }
    }
    let mut out: TokenStream = errors.iter().map(syn::Error::to_compile_error).collect();
    let mut item = exp.item;
    if !per_fn.is_empty() {
        // Inside each method's body, so `#[allow(deprecated)]` on it works; when its body
        // cannot be found unambiguously, in the `const _` block below.
        item = inject_into_fns(item, &mut per_fn);
        for (_, ts) in per_fn {
            warnings.extend(ts);
        }
    }
    if warnings.is_empty() {
        out.extend(item);
    } else if exp.is_fn {
        out.extend(inject_into_body(item, warnings));
    } else {
        out.extend(quote! { const _: () = { #warnings }; });
        out.extend(item);
    }
    out
}

/// Places each entry's statements at the top of the body of the fn whose name has that span
/// (by `Debug`, which shows the span's location), when exactly one fn name in `item` has it.
/// Placed entries are removed from `per_fn`.
fn inject_into_fns(item: TokenStream, per_fn: &mut Vec<(String, TokenStream)>) -> TokenStream {
    let mut counts: Vec<(String, usize)> = Vec::new();
    count_fn_names(item.clone(), &mut counts, 0);
    let (mut pending, unplaceable): (Vec<_>, Vec<_>) = std::mem::take(per_fn)
        .into_iter()
        .partition(|(k, _)| counts.iter().any(|(c, n)| c == k && *n == 1));
    per_fn.extend(unplaceable);
    let out = inject_rec(item, &mut pending, 0);
    // Whatever was not placed goes back to the caller.
    per_fn.extend(pending);
    out
}

fn count_fn_names(ts: TokenStream, counts: &mut Vec<(String, usize)>, depth: usize) {
    if depth > 256 {
        return;
    }
    let mut prev_fn = false;
    for tt in ts {
        match &tt {
            TokenTree::Ident(id) if prev_fn => {
                let key = format!("{:?}", id.span());
                match counts.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((key, 1)),
                }
            }
            TokenTree::Group(g) => count_fn_names(g.stream(), counts, depth + 1),
            _ => {}
        }
        prev_fn = matches!(&tt, TokenTree::Ident(id) if id == "fn");
    }
}

fn inject_rec(
    ts: TokenStream,
    pending: &mut Vec<(String, TokenStream)>,
    depth: usize,
) -> TokenStream {
    if pending.is_empty() || depth > 256 {
        return ts;
    }
    let mut trees: Vec<TokenTree> = ts.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        let is_fn_name = i > 0
            && matches!(&trees[i - 1], TokenTree::Ident(id) if id == "fn")
            && matches!(&trees[i], TokenTree::Ident(_));
        if is_fn_name {
            let key = format!("{:?}", trees[i].span());
            if let Some(pos) = pending.iter().position(|(k, _)| *k == key) {
                // The body: the first brace group at this level before a `;`.
                let mut j = i + 1;
                while j < trees.len() {
                    match &trees[j] {
                        TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => break,
                        TokenTree::Punct(p) if p.as_char() == ';' => {
                            j = trees.len();
                        }
                        _ => j += 1,
                    }
                }
                if let Some(TokenTree::Group(body)) = trees.get(j) {
                    let (_, stmts) = pending.remove(pos);
                    let one: TokenStream =
                        std::iter::once(TokenTree::Group(body.clone())).collect();
                    if let Some(new_body) = inject_into_body(one, stmts).into_iter().next() {
                        trees[j] = new_body;
                    }
                }
            }
        }
        if let TokenTree::Group(g) = &trees[i] {
            // Rebuild a group only when something was placed inside it.
            let before = pending.len();
            let inner = inject_rec(g.stream(), pending, depth + 1);
            if pending.len() != before {
                let mut ng = Group::new(g.delimiter(), inner);
                ng.set_span(g.span());
                trees[i] = TokenTree::Group(ng);
            }
        }
        i += 1;
    }
    trees.into_iter().collect()
}

/// `{ #[deprecated(note = "..")] struct db_checked; let _ = db_checked; }`, the use spanned at
/// the finding (resolved at the macro's call site, so hygiene never breaks the name lookup).
fn warning(span: Span, text: &str) -> TokenStream {
    let def = Ident::new("db_checked", Span::call_site());
    let used = Ident::new("db_checked", Span::call_site().located_at(span));
    quote! {
        {
            #[deprecated(note = #text)]
            #[allow(non_camel_case_types, dead_code)]
            struct #def;
            let _ = #used;
        }
    }
}

/// The fn's tokens with `stmts` placed at the start of its body (its last brace group), after
/// any inner attributes. Every other token is the caller's own.
fn inject_into_body(item: TokenStream, stmts: TokenStream) -> TokenStream {
    let mut trees: Vec<TokenTree> = item.into_iter().collect();
    let Some(TokenTree::Group(body)) = trees.last() else {
        return trees.into_iter().collect();
    };
    if body.delimiter() != Delimiter::Brace {
        return trees.into_iter().collect();
    }
    let inner: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut at = 0;
    while let (Some(TokenTree::Punct(h)), Some(TokenTree::Punct(b)), Some(TokenTree::Group(g))) =
        (inner.get(at), inner.get(at + 1), inner.get(at + 2))
    {
        if h.as_char() == '#' && b.as_char() == '!' && g.delimiter() == Delimiter::Bracket {
            at += 3;
        } else {
            break;
        }
    }
    let mut stream: TokenStream = inner[..at].iter().cloned().collect();
    stream.extend(stmts);
    stream.extend(inner[at..].iter().cloned());
    let mut group = Group::new(Delimiter::Brace, stream);
    group.set_span(body.span());
    if let Some(last) = trees.last_mut() {
        *last = TokenTree::Group(group);
    }
    trees.into_iter().collect()
}

/// `#[db_checked(attr)] item`, expanded: [`crate::rust::check_attribute`] then [`emit`].
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    emit(crate::rust::check_attribute(attr, item))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(attr: &str, item: &str) -> String {
        expand(
            attr.parse().unwrap_or_default(),
            item.parse().unwrap_or_default(),
        )
        .to_string()
    }

    #[test]
    fn deny_becomes_compile_error_before_the_item() {
        let out = expand_str(
            "",
            "fn f(conn: &mut PgConnection, ids: Vec<i32>) { for id in ids { g(conn, id); } }",
        );
        assert!(out.starts_with(":: core :: compile_error !"), "{out}");
        assert!(out.contains("n_plus_one: query inside a loop"), "{out}");
        assert!(
            out.contains("#[dbopt::allow(n_plus_one)]` on the statement"),
            "{out}"
        );
        assert!(
            out.ends_with("for id in ids { g (conn , id) ; } }"),
            "{out}"
        );
    }

    #[test]
    fn warn_goes_into_the_fn_body_after_inner_attributes() {
        let out = expand_str(
            "",
            "fn f(conn: &mut PgConnection) { #![allow(unused)] let a = users::table.load::<U>(conn); }",
        );
        let body = out.split_once("{").map(|(_, b)| b).unwrap_or("");
        assert!(
            body.trim_start()
                .starts_with("#! [allow (unused)] { # [deprecated"),
            "{out}"
        );
        assert!(out.contains("unbounded_load: unbounded load"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn warn_on_impl_goes_into_the_method_body() {
        let out = expand_str(
            "",
            "impl R { fn g() {} fn f(&self, conn: &mut PgConnection) { users::table.load::<U>(conn); } }",
        );
        assert!(
            out.starts_with(
                "impl R { fn g () { } fn f (& self , conn : & mut PgConnection) { { # [deprecated"
            ),
            "{out}"
        );
        assert!(!out.contains("const _"), "{out}");
    }

    #[test]
    fn warn_goes_into_a_const_block_when_the_fn_is_ambiguous() {
        let mut per_fn = vec![("no such span".to_owned(), quote! { x; })];
        let item: TokenStream = "mod m { fn f() {} }".parse().unwrap_or_default();
        let out = inject_into_fns(item.clone(), &mut per_fn);
        assert_eq!(out.to_string(), item.to_string());
        assert_eq!(per_fn.len(), 1);
    }

    #[test]
    fn allow_emits_the_item_unchanged_and_attribute_errors_are_listed() {
        let item = "fn f(conn: &mut PgConnection) { users::table.load::<U>(conn); }";
        let out = expand_str("allow(unbounded_load)", item);
        assert_eq!(
            out,
            item.parse::<TokenStream>().unwrap_or_default().to_string()
        );
        let out = expand_str("allow(n_plus_two), colour = 3", item);
        assert!(out.contains("unknown rule `n_plus_two`; expected one of: connection_in_loop, io_in_transaction, lock_order, n_plus_one, pool_misconfigured, query_budget, unbounded_load, write_in_read_only, write_outside_transaction"), "{out}");
        assert!(out.contains("unknown option `colour`; expected one of: allow, warn, deny, read_only, in_transaction, max_queries, lock_order, conn, max_connections, wrapper_macros"), "{out}");
    }

    #[test]
    fn a_misused_attribute_reports_no_cascade() {
        // `allow(n_plus_1)` was meant to silence the N+1: only the misuse is reported.
        let item = "fn f(conn: &mut PgConnection, ids: &[i32]) { for id in ids { users::table.find(id).first::<U>(conn); } }";
        let out = expand_str("allow(n_plus_1)", item);
        assert!(out.contains("unknown rule `n_plus_1`"), "{out}");
        assert!(!out.contains("n_plus_one:"), "{out}");
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    }
}
