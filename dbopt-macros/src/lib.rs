//! `#[db_checked]`: the attribute front door of dbopt. Entry points only; every rule lives in
//! `dbopt-core`.

use proc_macro::TokenStream;

/// Checks the fn, method, `impl` block, trait or inline module it is placed on for database
/// mistakes: queries in loops (`n_plus_one`), writes outside a transaction, I/O inside one,
/// writes in `read_only` fns, `max_queries` budgets, unbounded loads, lock order, connections
/// opened in loops or per request, and misconfigured connection pools.
///
/// Options: `allow(rule, ..)`, `warn(..)`, `deny(..)`, `read_only`, `in_transaction`,
/// `max_queries = N`, `lock_order(table, ..)`, `conn(name, ..)`, `max_connections = N` (the
/// server limit `pool_misconfigured` compares pool sizes with), `wrapper_macros(name, ..)`
/// (project macros whose body runs with a connection). One statement is exempted
/// with `#[dbopt::allow(rule, ..)]`, which this attribute removes before emitting the item.
/// Deny-level findings are compile errors at the call; warn-level ones are warnings.
#[proc_macro_attribute]
pub fn db_checked(attr: TokenStream, item: TokenStream) -> TokenStream {
    dbopt_core::rust::emit::expand(attr.into(), item.into()).into()
}
