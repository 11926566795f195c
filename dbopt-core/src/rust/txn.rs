//! Transaction scopes: the closure passed to `transaction`, `immediate_transaction`,
//! `exclusive_transaction`, `build_transaction()..run`, and diesel-async's `transaction` in its
//! 0.9 async-closure form and its older `|c| async move {..}.scope_boxed()` form (both are a
//! closure argument, so one rule covers them).

use crate::rust::calls::{TRANSACTIONS, chain};

/// Does `receiver.method(..)` open a transaction scope around its closure argument?
pub fn is_transaction_method(method: &str, receiver: &syn::Expr) -> bool {
    // Project wrappers follow the same naming: `run_transaction`, `with_transaction`.
    if TRANSACTIONS.contains(&method) || method.ends_with("_transaction") {
        return true;
    }
    method == "run"
        && chain(receiver)
            .methods
            .iter()
            .any(|m| m.method == "build_transaction")
}

/// Does a call to a fn with this path (`Connection::transaction(conn, |c| ..)`) open one?
pub fn is_transaction_fn(path: &[String]) -> bool {
    path.last()
        .is_some_and(|l| TRANSACTIONS.contains(&l.as_str()) || l.ends_with("_transaction"))
}

/// The closure an argument holds, looking through parentheses.
pub fn as_closure(e: &syn::Expr) -> Option<&syn::ExprClosure> {
    match e {
        syn::Expr::Closure(c) => Some(c),
        syn::Expr::Paren(p) => as_closure(&p.expr),
        syn::Expr::Group(g) => as_closure(&g.expr),
        _ => None,
    }
}
