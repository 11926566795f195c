//! Call classification: Diesel executors, writes, unbounded loads, row locks and the I/O calls
//! that must not run inside a transaction. Syntax only: it reads the query chain a call is
//! made on, not types.

use crate::rust::model::{IoKind, UnboundedLoad, Write};

/// Diesel's executors (sync and diesel-async, which has the same names, awaited).
pub const EXECUTORS: &[&str] = &[
    "load",
    "load_iter",
    "load_stream",
    "get_result",
    "get_results",
    "first",
    "execute",
    "save_changes",
    "batch_execute",
    "get_result_async",
];

/// Methods that only convert or reborrow a handle; the result is the same handle.
pub const PASSTHROUGH: &[&str] = &[
    "deref_mut",
    "deref",
    "as_mut",
    "as_ref",
    "borrow_mut",
    "borrow",
    "into",
    "clone",
    "lock",
    "unwrap",
    "expect",
    "map_err",
    "context",
    "with_context",
    "to_owned",
    "get_mut",
    "as_deref_mut",
    "as_deref",
    "by_ref",
];

/// Methods on a pool that check out a connection.
pub const CHECKOUTS: &[&str] = &[
    "get",
    "get_conn",
    "get_connection",
    "try_get",
    "get_timeout",
    "get_owned",
    "acquire",
    "timeout_get",
    "dedicated_connection",
];

/// Transaction methods whose closure argument is a transaction scope.
pub const TRANSACTIONS: &[&str] = &[
    "transaction",
    "immediate_transaction",
    "exclusive_transaction",
    "transaction_async",
    "test_transaction",
];

/// Methods in a query chain that bound a load.
const BOUNDING: &[&str] = &[
    "filter",
    "or_filter",
    "find",
    "limit",
    "paginate",
    "per_page",
    "page",
    "first",
    "single_value",
    "count",
    "belonging_to",
    "group_by",
    // Only the rows that have a match: bounded by the other side.
    "inner_join",
];

/// The method chain a call is made on, innermost receiver last: for
/// `users.filter(x).limit(3)` the names are `["limit", "filter"]` and the root is `users`.
pub struct Chain<'a> {
    pub methods: Vec<&'a syn::ExprMethodCall>,
    pub calls: Vec<&'a syn::ExprCall>,
    pub root: &'a syn::Expr,
}

/// Walks receivers (and the arguments of calls such as `update(x)`) down to the root.
pub fn chain(expr: &syn::Expr) -> Chain<'_> {
    let mut methods = Vec::new();
    let mut calls = Vec::new();
    let mut e = expr;
    for _ in 0..256 {
        match e {
            syn::Expr::MethodCall(m) => {
                methods.push(m);
                e = &m.receiver;
            }
            syn::Expr::Call(c) => {
                calls.push(c);
                match c.args.first() {
                    Some(a) => e = a,
                    None => break,
                }
            }
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Group(g) => e = &g.expr,
            syn::Expr::Reference(r) => e = &r.expr,
            syn::Expr::Try(t) => e = &t.expr,
            syn::Expr::Await(a) => e = &a.base,
            _ => break,
        }
    }
    Chain {
        methods,
        calls,
        root: e,
    }
}

/// The last path segment of a call's fn, e.g. `insert_into` for `diesel::insert_into(..)`.
pub fn call_name(c: &syn::ExprCall) -> Option<String> {
    match &*c.func {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The segments of a call's fn path.
pub fn call_path(c: &syn::ExprCall) -> Vec<String> {
    match &*c.func {
        syn::Expr::Path(p) => p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// A table named by a query root: `users`, `users::table`, `schema::users::table`,
/// `posts::dsl::posts`, `users.find(1)`.
pub fn table_of(expr: &syn::Expr) -> Option<String> {
    let ch = chain(expr);
    match ch.root {
        syn::Expr::Path(p) if p.qself.is_none() => {
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            match segs.as_slice() {
                [] => None,
                [one] if one == "table" => None,
                [one] => Some(one.clone()),
                [.., t, last] if last == "table" => Some(t.clone()),
                [.., t, d, last] if d == "dsl" && last == t => Some(t.clone()),
                [.., last] => Some(last.clone()),
            }
        }
        _ => None,
    }
}

/// The write a query performs, judged from its chain: `insert_into(t)`, `update(t)`,
/// `delete(t)`, `save_changes`, or `sql_query("INSERT ..")`.
pub fn write_of(
    executor: &str,
    receiver: &syn::Expr,
    is_local: &dyn Fn(&str) -> bool,
) -> Option<Write> {
    if executor == "save_changes" {
        return Some(Write {
            table: None,
            verb: "update",
        });
    }
    let ch = chain(receiver);
    for c in &ch.calls {
        let Some(name) = call_name(c) else { continue };
        let verb = match name.as_str() {
            "insert_into" | "insert_or_ignore_into" | "replace_into" => "insert",
            "update" => "update",
            "delete" => "delete",
            "sql_query" => {
                let lit = c.args.first().and_then(str_lit)?;
                let (verb, table) = sql_write(&lit)?;
                return Some(Write { table, verb });
            }
            _ => continue,
        };
        // `update(&user)`: a local value, not a table name.
        let table = c.args.first().and_then(table_of).filter(|t| !is_local(t));
        return Some(Write { table, verb });
    }
    None
}

/// `batch_execute("INSERT ..")` on a connection.
pub fn batch_write(args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>) -> Option<Write> {
    let lit = args.first().and_then(str_lit)?;
    let (verb, table) = sql_write(&lit)?;
    Some(Write { table, verb })
}

fn str_lit(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        syn::Expr::Reference(r) => str_lit(&r.expr),
        syn::Expr::Paren(p) => str_lit(&p.expr),
        _ => None,
    }
}

/// The verb and table of an SQL write: `INSERT INTO t`, `UPDATE t`, `DELETE FROM t`, `MERGE INTO t`.
fn sql_write(sql: &str) -> Option<(&'static str, Option<String>)> {
    let mut words = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty());
    let first = words.next()?.to_ascii_uppercase();
    let verb = match first.as_str() {
        "INSERT" => "insert",
        "UPDATE" => "update",
        "DELETE" => "delete",
        "MERGE" => "merge",
        _ => return None,
    };
    let mut next = words.next().map(str::to_owned);
    if matches!(
        next.as_deref().map(str::to_ascii_uppercase).as_deref(),
        Some("INTO" | "FROM" | "ONLY")
    ) {
        next = words.next().map(str::to_owned);
    }
    let table = next.map(|t| {
        let t = t.trim_matches(|c| c == '"' || c == '`');
        t.rsplit('.')
            .next()
            .unwrap_or(t)
            .trim_matches('"')
            .to_owned()
    });
    Some((verb, table.filter(|t| !t.is_empty())))
}

/// The table a query locks with `for_update()`/`for_share()`/`for_no_key_update()`.
pub fn lock_of(receiver: &syn::Expr) -> Option<String> {
    let ch = chain(receiver);
    let locks = ch.methods.iter().any(|m| {
        let n = m.method.to_string();
        n.starts_with("for_") && (n.ends_with("update") || n.ends_with("share"))
    });
    if locks { table_of(receiver) } else { None }
}

/// `Some(..)` when `executor` loads a whole table: the chain has a table root and no filter,
/// find, inner join, limit, pagination or count.
pub fn unbounded_load(
    executor: &str,
    receiver: &syn::Expr,
    is_local: &dyn Fn(&str) -> bool,
) -> Option<UnboundedLoad> {
    if !matches!(
        executor,
        "load" | "get_results" | "load_iter" | "load_stream"
    ) {
        return None;
    }
    let ch = chain(receiver);
    if !ch.calls.is_empty() {
        // `diesel::sql_query(..)`, `Child::belonging_to(..)`, `Model::query()`: not a plain
        // table expression (or already bounded).
        let plain = ch.calls.iter().all(|c| {
            matches!(call_name(c).as_deref(), Some("table" | "query" | "all")) && c.args.is_empty()
        });
        if !plain {
            return None;
        }
    }
    if ch.methods.iter().any(|m| {
        BOUNDING.contains(&m.method.to_string().as_str()) || m.method.to_string().contains("page")
    }) {
        return None;
    }
    // An outer join keeps every row of the table: say so without calling it "every row".
    let joined = ch.methods.iter().any(|m| {
        matches!(
            m.method.to_string().as_str(),
            "left_join" | "left_outer_join" | "full_join"
        )
    });
    let table = match ch.root {
        syn::Expr::Path(p) => {
            if let Some(id) = p.path.get_ident()
                && is_local(&id.to_string())
            {
                return None;
            }
            table_of(ch.root)
        }
        _ => None,
    }?;
    Some(UnboundedLoad { table, joined })
}

/// The I/O a call does, judged from its path (`tokio::time::sleep`, `std::fs::read`,
/// `reqwest::get`, `Command::new`, `tokio::spawn`).
pub fn io_of_path(path: &[String]) -> Option<IoKind> {
    let last = path.last()?.as_str();
    let first = path.first()?.as_str();
    let has = |s: &str| path.iter().any(|p| p == s);
    if matches!(last, "sleep" | "sleep_until" | "sleep_ms") {
        return Some(IoKind::Sleep);
    }
    let constructor = matches!(last, "new" | "builder" | "default" | "Client");
    if !constructor
        && matches!(
            first,
            "reqwest" | "ureq" | "hyper" | "surf" | "isahc" | "attohttpc" | "lettre"
        )
        || (matches!(first, "TcpStream" | "UdpSocket" | "TcpListener") || has("net"))
            && matches!(last, "connect" | "bind")
        || last == "lookup_host"
    {
        return Some(IoKind::Network);
    }
    if has("fs")
        || (first == "File" && matches!(last, "open" | "create" | "create_new"))
        || first == "OpenOptions"
    {
        return Some(IoKind::File);
    }
    if first == "Command" || has("process") && has("Command") {
        return Some(IoKind::Process);
    }
    if matches!(last, "spawn" | "spawn_blocking" | "spawn_local") {
        return Some(IoKind::Spawn);
    }
    None
}

/// The I/O a method call does: `client.get(url).send()`, `Command::new(..).output()`.
pub fn io_of_method(method: &str, receiver: &syn::Expr) -> Option<IoKind> {
    if !matches!(method, "send" | "send_json" | "send_form" | "call") {
        return None;
    }
    let ch = chain(receiver);
    let root_name = match ch.root {
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string().to_lowercase())
            .unwrap_or_default(),
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => i.to_string().to_lowercase(),
            syn::Member::Unnamed(_) => String::new(),
        },
        _ => String::new(),
    };
    let from_call = ch.calls.iter().find_map(|c| {
        let p = call_path(c);
        if p.first().is_some_and(|f| f == "Command") {
            return Some(IoKind::Process);
        }
        if p.first().is_some_and(|f| f == "reqwest" || f == "Client") {
            return Some(IoKind::Network);
        }
        None
    });
    match method {
        "send" | "send_json" | "send_form" | "call"
            if root_name.contains("client")
                || root_name.contains("http")
                || from_call == Some(IoKind::Network) =>
        {
            Some(IoKind::Network)
        }
        _ => None,
    }
}
