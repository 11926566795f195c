//! Removes dbopt's own attributes from the caller's original tokens: the statement-level
//! `#[dbopt::allow(..)]` (inert only because we remove it) and nested `#[db_checked(..)]`
//! (already applied by the outer attribute). Every other token keeps its span.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

/// `tokens` without `#[dbopt::allow(..)]` and nested `#[db_checked ..]` attributes.
pub fn strip(tokens: TokenStream) -> TokenStream {
    strip_depth(tokens, 0).0
}

/// Returns the stream and whether anything was removed (so untouched groups are reused).
fn strip_depth(tokens: TokenStream, depth: usize) -> (TokenStream, bool) {
    if depth > 512 {
        return (tokens, false);
    }
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut changed = false;
    let mut i = 0;
    while i < trees.len() {
        if let (TokenTree::Punct(p), Some(TokenTree::Group(g))) = (&trees[i], trees.get(i + 1))
            && p.as_char() == '#'
            && g.delimiter() == Delimiter::Bracket
            && is_ours(&g.stream())
        {
            changed = true;
            i += 2;
            continue;
        }
        match &trees[i] {
            TokenTree::Group(g) => {
                let (inner, inner_changed) = strip_depth(g.stream(), depth + 1);
                if inner_changed {
                    changed = true;
                    let mut ng = Group::new(g.delimiter(), inner);
                    ng.set_span(g.span());
                    out.push(TokenTree::Group(ng));
                } else {
                    out.push(TokenTree::Group(g.clone()));
                }
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    if changed {
        (out.into_iter().collect(), true)
    } else {
        (trees.into_iter().collect(), false)
    }
}

/// `dbopt::allow(..)`, `db_checked`, `db_checked(..)`, `dbopt::db_checked(..)`.
fn is_ours(attr: &TokenStream) -> bool {
    let mut path: Vec<String> = Vec::new();
    for tt in attr.clone() {
        match tt {
            TokenTree::Ident(id) => path.push(id.to_string()),
            TokenTree::Punct(p) if p.as_char() == ':' => {}
            _ => break,
        }
    }
    matches!(path.as_slice(), [a, b] if a == "dbopt" && b == "allow")
        || path.last().is_some_and(|l| l == "db_checked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_exactly_our_attributes() {
        let src: TokenStream = r#"
            #[doc = "x"]
            fn f(conn: &mut PgConnection) {
                #[dbopt::allow(n_plus_one)]
                for x in xs { g(conn, x); }
                #[allow(unused)] let y = { #[dbopt::allow(io_in_transaction)] h(); 1 };
                #[db_checked(read_only)] fn inner() {}
            }
        "#
        .parse()
        .unwrap_or_default();
        let out = strip(src).to_string();
        assert!(!out.contains("dbopt"), "{out}");
        assert!(!out.contains("db_checked"), "{out}");
        assert!(out.contains("# [doc = \"x\"]"), "{out}");
        assert!(out.contains("# [allow (unused)]"), "{out}");
        assert!(out.contains("for x in xs"), "{out}");
    }

    #[test]
    fn untouched_stream_is_unchanged() {
        let src: TokenStream = "fn f() { #[cfg(test)] let x = 1; }"
            .parse()
            .unwrap_or_default();
        assert_eq!(strip(src.clone()).to_string(), src.to_string());
    }
}
