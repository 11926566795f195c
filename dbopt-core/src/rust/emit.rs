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
    for d in &exp.diagnostics {
        let text = rustc_message(d);
        match d.level {
            Level::Deny => errors.push(syn::Error::new(d.primary.span, text)),
            Level::Warn => warnings.extend(warning(d.primary.span, &text)),
            Level::Allow => {}
        }
    }
    let mut out: TokenStream = errors.iter().map(syn::Error::to_compile_error).collect();
    if warnings.is_empty() {
        out.extend(exp.item);
    } else if exp.is_fn {
        out.extend(inject_into_body(exp.item, warnings));
    } else {
        out.extend(quote! { const _: () = { #warnings }; });
        out.extend(exp.item);
    }
    out
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
    fn warn_on_impl_goes_into_a_const_block() {
        let out = expand_str(
            "",
            "impl R { fn f(&self, conn: &mut PgConnection) { users::table.load::<U>(conn); } }",
        );
        assert!(out.starts_with("const _ : () = {"), "{out}");
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
        assert!(out.contains("unknown rule `n_plus_two`; expected one of: io_in_transaction, lock_order, n_plus_one, query_budget, unbounded_load, write_in_read_only, write_outside_transaction"), "{out}");
        assert!(out.contains("unknown option `colour`; expected one of: allow, warn, deny, read_only, in_transaction, max_queries, lock_order, conn"), "{out}");
    }
}
