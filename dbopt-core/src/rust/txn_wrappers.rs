//! The workspace's own transaction wrappers, found without configuration (issue 15 §5):
//!
//! * a `macro_rules!` macro one of whose rules expands to `.transaction(..)` (or
//!   `build_transaction()..run(..)`, `immediate_transaction`, diesel-async's `transaction`)
//!   with one of its `$` arguments inside the call:
//!   `macro_rules! atomically { ($c:expr, $body:expr) => { $c.transaction(|c| $body(c)) } }`;
//! * a fn taking a closure (`F: FnOnce(&mut PgConnection) -> ..`, `impl FnOnce(..)`,
//!   `Box<dyn FnOnce(..)>`) that hands it to a transaction: `conn.transaction(f)` or
//!   `conn.transaction(|c| f(c))`.
//!
//! The scan treats a call of such a macro or fn like `transaction` itself: its closure (or,
//! for a macro, its body) runs inside a transaction. A wrapper can only take writes out of
//! `write_outside_transaction`'s count, never add any.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

use crate::rust::calls::TRANSACTIONS;

/// Is this name a method that opens a transaction around its closure?
fn opens_transaction(name: &str) -> bool {
    TRANSACTIONS.iter().any(|t| *t == name && name != "test_transaction")
        || name == "run" // `build_transaction()..run(..)`
        || name.ends_with("_transaction")
}

/// The names of the transaction wrappers a file defines: macros and fns, by their last path
/// segment (how callers name them: `atomically!`, `crate::db::with_tx(..)`).
pub fn find(file: &syn::File) -> Vec<String> {
    let mut v = Finder::default();
    v.visit_file(file);
    v.found.sort();
    v.found.dedup();
    v.found
}

#[derive(Default)]
struct Finder {
    found: Vec<String>,
    depth: usize,
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        if m.mac.path.is_ident("macro_rules")
            && let Some(name) = &m.ident
            && macro_wraps(m.mac.tokens.clone(), 0)
        {
            self.found.push(name.to_string());
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if fn_wraps(&f.sig, &f.block) {
            self.found.push(f.sig.ident.to_string());
        }
        self.nested(|v| syn::visit::visit_item_fn(v, f));
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if fn_wraps(&f.sig, &f.block) {
            self.found.push(f.sig.ident.to_string());
        }
        self.nested(|v| syn::visit::visit_impl_item_fn(v, f));
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        self.nested(|v| syn::visit::visit_expr(v, e));
    }
}

impl Finder {
    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        if self.depth < crate::rust::walk::MAX_DEPTH {
            self.depth += 1;
            f(self);
            self.depth -= 1;
        }
    }
}

/// A rule's body names a transaction method and passes one of the macro's arguments into
/// its call: `.transaction(|c| $body(c))`, `$conn.build_transaction().run(|c| { $($t)* })`.
fn macro_wraps(tokens: TokenStream, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tt) in trees.iter().enumerate() {
        match tt {
            TokenTree::Ident(id) if opens_transaction(&id.to_string()) => {
                if let Some(TokenTree::Group(g)) = trees.get(i + 1)
                    && g.delimiter() == proc_macro2::Delimiter::Parenthesis
                    && has_dollar(g.stream(), 0)
                {
                    return true;
                }
            }
            TokenTree::Group(g) if macro_wraps(g.stream(), depth + 1) => return true,
            _ => {}
        }
    }
    false
}

fn has_dollar(tokens: TokenStream, depth: usize) -> bool {
    depth <= 64
        && tokens.into_iter().any(|tt| match tt {
            TokenTree::Punct(p) => p.as_char() == '$',
            TokenTree::Group(g) => has_dollar(g.stream(), depth + 1),
            _ => false,
        })
}

/// The fn's closure parameters, and a transaction call in its body that runs one of them.
fn fn_wraps(sig: &syn::Signature, block: &syn::Block) -> bool {
    let closures = closure_params(sig);
    if closures.is_empty() {
        return false;
    }
    crate::rust::visit::any_expr_in_block(block, &|e| match e {
        syn::Expr::MethodCall(m) => {
            opens_transaction(&m.method.to_string())
                && m.args.iter().any(|a| mentions(a, &closures))
        }
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if p
                .path
                .segments
                .last()
                .is_some_and(|s| opens_transaction(&s.ident.to_string())))
                && c.args.iter().any(|a| mentions(a, &closures))
        }
        _ => false,
    })
}

/// Does `e` mention one of `names` (the closure itself, or a call of it inside a closure)?
fn mentions(e: &syn::Expr, names: &[String]) -> bool {
    struct V<'a> {
        names: &'a [String],
        found: bool,
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if self.names.iter().any(|n| i == n) {
                self.found = true;
            }
        }
    }
    let mut v = V {
        names,
        found: false,
    };
    v.visit_expr(e);
    v.found
}

/// Parameters whose type is a closure: a generic bounded by `Fn*`, `impl Fn*(..)`, or a
/// boxed `dyn Fn*`.
fn closure_params(sig: &syn::Signature) -> Vec<String> {
    let fn_bound = |b: &syn::TypeParamBound| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "Fn" | "FnMut" | "FnOnce" | "AsyncFnOnce" | "AsyncFnMut" | "AsyncFn"
            )
        }),
        _ => false,
    };
    let mut generic: Vec<String> = sig
        .generics
        .type_params()
        .filter(|p| p.bounds.iter().any(fn_bound))
        .map(|p| p.ident.to_string())
        .collect();
    if let Some(w) = &sig.generics.where_clause {
        for pred in &w.predicates {
            if let syn::WherePredicate::Type(t) = pred
                && t.bounds.iter().any(fn_bound)
                && let syn::Type::Path(p) = &t.bounded_ty
                && let Some(id) = p.path.get_ident()
            {
                generic.push(id.to_string());
            }
        }
    }
    let is_closure_type = |ty: &syn::Type| -> bool {
        let text = quote::quote!(#ty).to_string();
        match ty {
            syn::Type::ImplTrait(i) => i.bounds.iter().any(fn_bound),
            syn::Type::Path(p) => {
                p.path
                    .get_ident()
                    .is_some_and(|id| generic.iter().any(|g| id == g))
                    || (text.contains("dyn") && text.contains("Fn"))
            }
            _ => false,
        }
    };
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(pt) if is_closure_type(&pt.ty) => match &*pt.pat {
                syn::Pat::Ident(id) => Some(id.ident.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<String> {
        find(&syn::parse_file(src).expect("parses"))
    }

    #[test]
    fn macros_and_fns_that_run_their_argument_in_a_transaction() {
        let src = r#"
macro_rules! atomically {
    ($conn:expr, $body:expr) => { $conn.transaction(|conn| $body(conn)) };
}
macro_rules! tx {
    ($conn:ident => $($t:tt)*) => {
        $conn.build_transaction().read_write().run(|$conn| { $($t)* })
    };
}
macro_rules! not_one { ($c:expr) => { $c.execute("x") } }
macro_rules! fixed { () => { conn.transaction(|c| Ok(())) } }

pub fn with_tx<T, F>(pool: &Pool, f: F) -> QueryResult<T>
where
    F: FnOnce(&mut PgConnection) -> QueryResult<T>,
{
    let mut conn = pool.get().unwrap();
    conn.transaction(|c| f(c))
}
pub async fn in_tx<T>(conn: &mut AsyncPgConnection, f: impl AsyncFnOnce(&mut AsyncPgConnection) -> QueryResult<T>) -> QueryResult<T> {
    conn.transaction(f).await
}
impl Db {
    pub fn atomic<T, F: FnOnce(&mut PgConnection) -> QueryResult<T>>(&self, f: F) -> QueryResult<T> {
        self.conn().transaction(f)
    }
}
fn not_a_wrapper<F: Fn(i32)>(conn: &mut PgConnection, f: F) {
    conn.transaction(|c| Ok(()));
    f(1);
}
fn no_closure(conn: &mut PgConnection) { conn.transaction(|c| Ok(())); }
"#;
        assert_eq!(
            names(src),
            ["atomic", "atomically", "in_tx", "tx", "with_tx"]
        );
    }
}
