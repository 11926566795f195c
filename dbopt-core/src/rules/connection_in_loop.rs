//! `connection_in_loop`: a new connection or pool per loop iteration, or per call of a
//! request handler.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;
use crate::rust::model::{Connect, ConnectKind};

pub static RULE: Rule = Rule {
    name: "connection_in_loop",
    group: Group::Performance,
    default_level: Level::Deny,
    summary: "a connection or pool created in a loop or on every request",
    docs: r#"## What it does
Finds code that opens a new database connection or builds a new pool over and over:

* inside a loop context (a `for`, `while` or `loop` body, or a closure handed to an
  iterator or stream adapter such as `map` or `for_each`);
* directly in a request handler, so once per request. A fn is taken for a request handler
  when it carries a route attribute (`#[get(..)]`, `#[post(..)]`, `#[route(..)]`, ... of
  actix-web and rocket, `#[handler]`, axum's `#[debug_handler]`) or takes an extractor
  parameter (`Json<T>`, `Form<T>`, `Query<T>`, `Path<T>`, `State<T>`, `web::Data<T>`,
  `Extension<T>`, `TypedHeader<T>`, `HttpRequest`).

A new connection is `PgConnection::establish(..)`, `SqliteConnection::establish(..)`,
`MysqlConnection::establish(..)`, `AsyncPgConnection::establish(..)`,
`Connection::establish(..)`, or a call of a helper whose name starts with `establish`
(the Diesel guide's `establish_connection()`). A new pool is a builder chain ending in
`build(..)` / `build_unchecked(..)` that starts at `Pool::builder(..)` (`r2d2::Pool`,
`bb8::Pool`, deadpool's `Pool`, a `DbPool` alias, ...), or `Pool::new(manager)`.

## Why is this bad
Opening a connection costs a TCP (and often TLS) handshake, authentication and, on
PostgreSQL, forking a server process: milliseconds where a query takes microseconds. A pool
built per request or per item is worse: r2d2's `build` opens `min_idle` connections (by
default `max_size`, 10) before it returns, and every discarded pool leaves the server to
clean up its connections. Under load the server runs out of `max_connections`.

## Example
```rust
#[post("/import")]
async fn import(Json(rows): Json<Vec<NewUser>>) -> HttpResponse {
    let conn = &mut PgConnection::establish(&env::var("DATABASE_URL").unwrap()).unwrap();
    // ..
}

for user in &users {
    let conn = &mut PgConnection::establish(&url)?;
    notify(conn, user)?;
}
```

## Use instead
Build one pool at startup, hand it to the handlers (`web::Data<DbPool>`, axum's `State`,
rocket's `&State`), and check a connection out per request or per batch: `pool.get()`.
Outside a server, open the connection once before the loop and reuse it.

## Configuration
`#[db_checked(allow(connection_in_loop))]` on the fn, `impl` or module, or
`#[dbopt::allow(connection_in_loop)]` on one statement; `connection_in_loop = "warn"` in
`[package.metadata.dbopt.rules]`.

## Known limitations
Syntactic: a connection opened in a helper called from the loop is not seen, nor is a
handler recognised whose parameters are all plain types, nor a router that calls a plain fn
per request. Two loops are not reported: a loop that can leave early (`break`, `return`),
which is how retry-until-connected loops look, and a loop whose connection is made from a
value of the iteration (`for url in tenant_urls { establish(&url) }`: one connection per
database is what such code needs). A manager alone (`ConnectionManager::new(url)`,
deadpool's `Manager::new(..)`) opens nothing and is not reported; the pool built from it is.
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    for c in &ctx.model.connects {
        if c.ctx.allows(RULE.name) {
            continue;
        }
        // The innermost loop that is not a retry loop.
        let looped = c.ctx.loops.iter().rev().find(|l| !l.exits);
        if let (Some(lp), false) = (looped, c.per_item) {
            let where_ = lp.describe();
            let (message, help) = match c.kind {
                ConnectKind::Establish => (
                    format!(
                        "connection opened in a loop: `{}` connects once per iteration of the {where_}",
                        c.call
                    ),
                    "open the connection once before the loop and reuse it, or check \
                     connections out of a pool built at startup (`pool.get()`)",
                ),
                ConnectKind::PoolBuild => (
                    format!(
                        "pool built in a loop: `{}` builds a new pool on every iteration of the {where_}",
                        c.call
                    ),
                    "build the pool once, before the loop, and check connections out of it \
                     (`pool.get()`)",
                ),
            };
            out.report(
                diagnostic(c, message, help)
                    .with_secondary(lp.span, format!("the {where_}"))
                    .with_data(json!({ "call": c.call, "kind": kind(c), "loop": where_ })),
            );
        } else if let Some(h) = &ctx.model.handler {
            let name = &ctx.model.name;
            let message = match c.kind {
                ConnectKind::Establish => format!(
                    "connection opened per request: `{}` connects on every call of the \
                     request handler `{name}`",
                    c.call
                ),
                ConnectKind::PoolBuild => format!(
                    "pool built per request: `{}` builds a new pool on every call of the \
                     request handler `{name}`",
                    c.call
                ),
            };
            out.report(
                diagnostic(
                    c,
                    message,
                    "build one pool at startup, share it with the handlers (`web::Data<DbPool>`, \
                     axum's `State`), and check a connection out per request: `pool.get()`",
                )
                .with_secondary(h.span, format!("a request handler: {}", h.sign))
                .with_data(json!({ "call": c.call, "kind": kind(c), "handler": name })),
            );
        }
    }
}

fn diagnostic(c: &Connect, message: String, help: &str) -> Diagnostic<Span> {
    let label = match c.kind {
        ConnectKind::Establish => "a new connection each time",
        ConnectKind::PoolBuild => "a new pool each time",
    };
    Diagnostic::new(&RULE, message, c.span)
        .with_label(label)
        .with_help(help)
}

fn kind(c: &Connect) -> &'static str {
    match c.kind {
        ConnectKind::Establish => "connection",
        ConnectKind::PoolBuild => "pool",
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, hits_with, run, spans_with};

    const R: &str = "connection_in_loop";

    fn messages(src: &str) -> Vec<String> {
        run(src)
            .into_iter()
            .filter(|d| d.rule == R)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn establish_in_a_for_loop() {
        let src = r#"fn notify_all(url: &str, users: Vec<User>) {
    for user in &users {
        let conn = &mut PgConnection::establish(url)?;
        notify(conn, user)?;
    }
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![(3, 39, "establish".to_owned())]
        );
        let d = run(src).into_iter().find(|d| d.rule == R).unwrap();
        assert_eq!(
            d.message,
            "connection opened in a loop: `PgConnection::establish(..)` connects once per \
             iteration of the `for` loop"
        );
        assert_eq!(d.primary.message, "a new connection each time");
        assert_eq!(d.secondary[0].message, "the `for` loop");
        // The queries on the new connection are still n_plus_one's business.
        assert_eq!(hits(src, "n_plus_one"), vec![(4, 9)]);
    }

    #[test]
    fn pools_built_in_adapters_and_while_loops() {
        let src = r#"async fn f(urls: Vec<String>, url: String, jobs: Vec<Job>) {
    let pools: Vec<_> = jobs
        .iter()
        .map(|j| Pool::builder().max_size(2).build(ConnectionManager::<PgConnection>::new(url.clone())))
        .collect();
    while let Some(job) = queue.pop() {
        let pool = deadpool_diesel::postgres::Pool::builder(manager.clone()).build()?;
        let other = r2d2::Pool::new(make_manager())?;
        let c = AsyncPgConnection::establish(&url).await?;
        let d = establish_connection();
    }
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![
                (4, 46, "build".to_owned()),
                (7, 78, "build".to_owned()),
                (8, 33, "new".to_owned()),
                (9, 36, "establish".to_owned()),
                (10, 17, "establish_connection".to_owned())
            ]
        );
        assert_eq!(
            messages(src)[0],
            "pool built in a loop: `Pool::builder()..build(..)` builds a new pool on every \
             iteration of the closure passed to `.map(..)`"
        );
        assert_eq!(
            messages(src)[1],
            "pool built in a loop: `deadpool_diesel::postgres::Pool::builder(..)..build()` \
             builds a new pool on every iteration of the `while` loop"
        );
    }

    #[test]
    fn request_handlers_by_attribute_and_by_extractor() {
        let src = r#"#[post("/users")]
async fn create(form: web::Form<NewUser>) -> HttpResponse {
    let mut conn = PgConnection::establish(&database_url()).unwrap();
    HttpResponse::Ok().finish()
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![(3, 34, "establish".to_owned())]
        );
        let d = run(src).into_iter().find(|d| d.rule == R).unwrap();
        assert_eq!(
            d.message,
            "connection opened per request: `PgConnection::establish(..)` connects on every \
             call of the request handler `create`"
        );
        assert_eq!(
            d.secondary[0].message,
            "a request handler: route attribute `#[post]`"
        );
        let axum = r#"async fn list(Query(p): Query<Page>) -> Json<Vec<User>> {
    let pool = Pool::builder().build(ConnectionManager::new(url()))?;
    let mut conn = pool.get()?;
    Json(users.limit(p.size).load(&mut conn)?)
}"#;
        assert_eq!(spans_with(axum, "", R), vec![(2, 32, "build".to_owned())]);
        assert_eq!(
            messages(axum),
            [
                "pool built per request: `Pool::builder()..build(..)` builds a new pool on every \
              call of the request handler `list`"
            ]
        );
    }

    #[test]
    fn retry_loops_per_item_connections_and_startup_code_are_silent() {
        let src = r#"fn connect(url: &str) -> PgConnection {
    let mut tries = 0;
    loop {
        match PgConnection::establish(url) {
            Ok(c) => break c,
            Err(_) if tries < 5 => { tries += 1; sleep(Duration::from_secs(1)); }
            Err(e) => panic!("{e}"),
        }
    }
}
fn migrate_all(tenants: &[Tenant]) {
    for t in tenants {
        let url = format!("postgres://db/{}", t.name);
        let mut conn = PgConnection::establish(&url)?;
        conn.run_pending_migrations(MIGRATIONS)?;
    }
    for url in TENANT_URLS { let c = PgConnection::establish(url)?; }
}
#[tokio::main]
async fn main() {
    let pool = Pool::builder().max_size(8).build(ConnectionManager::new(url))?;
    HttpServer::new(move || App::new().app_data(web::Data::new(pool.clone())));
}
async fn handler(State(pool): State<DbPool>) {
    let mut conn = pool.get()?;
}"#;
        let file: syn::File = syn::parse_str(src).unwrap();
        let found = crate::rust::check_file(&file, &crate::rust::Options::default());
        let rules: Vec<&str> = found.diagnostics.iter().map(|d| d.rule).collect();
        assert!(!rules.contains(&R), "{rules:?}");
    }

    #[test]
    fn a_retry_loop_inside_a_per_item_loop_still_counts() {
        let src = r#"fn f(url: &str, ids: &[i32]) {
    for id in ids {
        let conn = loop { if let Ok(c) = PgConnection::establish(url) { break c; } };
    }
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![(3, 56, "establish".to_owned())]
        );
        assert_eq!(
            messages(src),
            [
                "connection opened in a loop: `PgConnection::establish(..)` connects once per \
              iteration of the `for` loop"
            ]
        );
    }

    #[test]
    fn allows() {
        let src = r#"fn f(url: &str, ids: &[i32]) {
    #[dbopt::allow(connection_in_loop)]
    for id in ids { let c = PgConnection::establish(url); }
    for id in ids { let c = PgConnection::establish(url); }
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![(4, 43, "establish".to_owned())]
        );
        assert!(hits_with(src, "allow(connection_in_loop)", R).is_empty());
    }
}
