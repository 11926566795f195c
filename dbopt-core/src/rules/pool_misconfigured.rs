//! `pool_misconfigured`: r2d2, bb8 and deadpool builders set up to panic, to exceed the
//! server's connection limit, or to wait forever.

use proc_macro2::Span;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::rule::{Check, Group, Rule};
use crate::rust::CodeContext;
use crate::rust::pools::{PoolBuild, PoolLibrary, Setting};

/// r2d2's and bb8's default `max_size`.
const R2D2_BB8_MAX_SIZE: u64 = 10;

pub static RULE: Rule = Rule {
    name: "pool_misconfigured",
    group: Group::Performance,
    default_level: Level::Deny,
    summary: "a connection pool builder that panics, exceeds max_connections or waits forever",
    docs: r#"## What it does
Reads the literal settings chained on a connection pool builder, from `Pool::builder(..)` to
its `build(..)` / `build_unchecked(..)`, for r2d2 (diesel's `r2d2` feature), bb8
(diesel-async's `bb8` feature) and deadpool (deadpool-diesel, diesel-async's `deadpool`
feature), and reports:

* **`min_idle` above `max_size`** (r2d2, bb8; with no `max_size` in the chain, against the
  default 10): both libraries assert `min_idle <= max_size` in `build` and
  `build_unchecked`, so the program panics where it builds the pool;
* **a zero size or duration**: `max_size(0)`, `connection_timeout(Duration::ZERO)`,
  `max_lifetime(Some(Duration::ZERO))`, `idle_timeout(Some(..zero..))` panic in the r2d2 and
  bb8 setters; deadpool accepts `max_size(0)` and then never hands out a connection;
* **`max_size` above the server's `max_connections`** (every library, including deadpool's
  `config(PoolConfig::new(n))`);
* **deadpool without a wait timeout**: its `Timeouts` default to `None`, and `get()` with no
  `wait` timeout waits on the pool's semaphore forever once every connection is checked out.
  Reported when the chain sets no `wait_timeout(Some(..))` / `timeouts(..)` / `config(..)`,
  or sets it to `None` (`wait_timeout(None)`, `Timeouts::new()`, `PoolConfig::new(n)`);
* **deadpool timeouts without a runtime**: `build()` returns
  `BuildError::NoRuntimeSpecified` when any timeout is set and `.runtime(..)` is not.

The library is told by the chain's shape: `Pool::builder()` .. `.build(manager)` is r2d2 or
bb8 (same checks), `Pool::builder(manager)` .. `.build()` is deadpool.

## Why is this bad
Each of these fails only at run time, and most only under load. The panics take the
service down at startup (or, with a pool built lazily, on the first request). A pool
larger than the server's `max_connections` works in development and fails with "too many
clients already" once traffic fills it. A checkout with no timeout turns a pool exhausted by
a slow query or a leak into requests that hang forever instead of failing fast, and the
piled-up waiters keep the service from recovering.

Facts relied on (read in the sources of r2d2 0.8.10, bb8 0.9.1, deadpool 0.13.1,
deadpool-diesel 0.7.0, diesel 2.3.14 and diesel-async 0.9.2):

| | r2d2 | bb8 | deadpool |
|---|---|---|---|
| default `max_size` | 10 | 10 | 2 × logical CPUs |
| `max_size(0)` | panics in the setter | panics in the setter | accepted; `get()` never gets a slot |
| `min_idle` default | `None` = `max_size` (opened by `build`) | `None` = 0 | no such setting |
| `min_idle > max_size` | panics in `build` / `build_unchecked` | panics in `build` / `build_unchecked` | — |
| checkout timeout | `connection_timeout`, default 30 s | `connection_timeout`, default 30 s | `wait`, default `None`: waits forever |
| zero timeout | `connection_timeout`, `max_lifetime`, `idle_timeout` panic | same | `wait` zero = do not wait (`try_get`-like) |
| timeouts need | — | — | `.runtime(..)`, else `build()` fails |

## Example
```rust
let pool = Pool::builder()
    .max_size(4)
    .min_idle(Some(8))                               // panics in build
    .connection_timeout(Duration::from_secs(0))     // panics here
    .build(ConnectionManager::<PgConnection>::new(url))?;

let pool = deadpool_diesel::postgres::Pool::builder(manager)
    .max_size(16)
    .build()?;                                       // get() may wait forever
```

## Use instead
```rust
let pool = Pool::builder()
    .max_size(8)
    .min_idle(Some(2))
    .connection_timeout(Duration::from_secs(5))
    .build(ConnectionManager::<PgConnection>::new(url))?;

let pool = deadpool_diesel::postgres::Pool::builder(manager)
    .max_size(16)
    .wait_timeout(Some(Duration::from_secs(5)))
    .runtime(deadpool_diesel::Runtime::Tokio1)
    .build()?;
```

## Configuration
`max_connections = N` in `[package.metadata.dbopt]` / `[workspace.metadata.dbopt]` or
`#[db_checked(max_connections = N)]` sets the server limit `max_size` is compared with. With
none configured the limit is 100, PostgreSQL's default `max_connections` (MySQL's default is
151, SQLite has no limit; set it for those backends and for servers configured otherwise).
Keep in mind that several app instances share one server: the real budget per pool is
`max_connections` divided by the instances (PostgreSQL also keeps 3 slots for superusers).
`#[db_checked(allow(pool_misconfigured))]` or `#[dbopt::allow(pool_misconfigured)]` on the
statement silences it.

## Known limitations
Only literals are judged: `max_size(config.pool_size)` or `connection_timeout(t)` is not, nor
is a builder assembled over several statements (`let b = Pool::builder(); b.max_size(..)`)
or a deadpool `Config` read from the environment. deadpool's `create` and `recycle` timeouts
are not required (a hung connect is bounded by the driver's own timeouts). The number of app
instances sharing the server is not known. A pool of another service built with the same
libraries (bb8-redis, deadpool-redis) is judged the same way, including against
`max_connections`.
"#,
    check: Check::Code(check),
};

fn check(ctx: &CodeContext<'_>, out: &mut Reporter<Span>) {
    let limit = ctx.options.max_connections();
    let configured = ctx.options.max_connections.is_some();
    for p in &ctx.model.pools {
        if p.ctx.allows(RULE.name) {
            continue;
        }
        if let Some((size, span)) = p.max_size.literal() {
            if size == 0 {
                zero_size(p, span, out);
            } else if size > limit {
                let whose = if configured {
                    String::new()
                } else {
                    " (PostgreSQL's default)".to_owned()
                };
                out.report(finding(
                    format!(
                        "pool larger than the server allows: `max_size` {size} is above \
                         `max_connections` {limit}{whose}"
                    ),
                    span,
                    "more connections than the server accepts",
                    "keep `max_size` at or below the server's `max_connections` divided by the \
                     number of app instances; set `max_connections = N` in \
                     `[package.metadata.dbopt]` or `#[db_checked(max_connections = N)]` to the \
                     server's real limit",
                    p,
                ));
            }
        }
        match p.library {
            PoolLibrary::R2d2OrBb8 => r2d2_bb8(p, out),
            PoolLibrary::Deadpool => deadpool(p, out),
        }
    }
}

fn finding(
    message: String,
    span: Span,
    label: &str,
    help: &str,
    p: &PoolBuild,
) -> Diagnostic<Span> {
    Diagnostic::new(&RULE, message, span)
        .with_label(label)
        .with_help(help)
        .with_data(json!({
            "call": p.call,
            "library": match p.library {
                PoolLibrary::R2d2OrBb8 => "r2d2_or_bb8",
                PoolLibrary::Deadpool => "deadpool",
            },
        }))
}

fn zero_size(p: &PoolBuild, span: Span, out: &mut Reporter<Span>) {
    let (message, help) = match p.library {
        PoolLibrary::R2d2OrBb8 => (
            "pool of size 0: `max_size(0)` panics in r2d2's and bb8's builder",
            "a pool needs at least one connection: `max_size(1)` or more",
        ),
        PoolLibrary::Deadpool => (
            "pool of size 0: deadpool's `get()` never hands out a connection",
            "a pool needs at least one connection: `max_size(1)` or more",
        ),
    };
    out.report(finding(message.to_owned(), span, "no connections", help, p));
}

fn r2d2_bb8(p: &PoolBuild, out: &mut Reporter<Span>) {
    let max = match p.max_size {
        Setting::Set(0, _) | Setting::Unknown => None,
        Setting::Set(n, span) => Some((n, Some(span))),
        Setting::Default => Some((R2D2_BB8_MAX_SIZE, None)),
    };
    if let (Some((Some(idle), span)), Some((max, max_span))) = (p.min_idle.literal(), max)
        && idle > max
    {
        let of = match max_span {
            Some(_) => format!("`max_size` {max}"),
            None => format!("the default `max_size` of {max}"),
        };
        let mut d = finding(
            format!("`min_idle` {idle} is above {of}: building the pool panics"),
            span,
            "more idle connections than the pool may hold",
            "keep `min_idle` at or below `max_size`: r2d2 and bb8 assert it in `build` and \
             `build_unchecked`",
            p,
        );
        if let Some(s) = max_span {
            d = d.with_secondary(s, "`max_size` set here");
        }
        out.report(d);
    }
    for (name, span) in &p.zero_durations {
        let help = if name == "connection_timeout" {
            "use a positive duration, e.g. `Duration::from_secs(5)`: r2d2 and bb8 assert it \
             is not zero"
        } else {
            "use a positive duration, or `None` to turn it off: r2d2 and bb8 assert it is not \
             zero"
        };
        out.report(finding(
            format!("zero `{name}`: the pool builder panics"),
            *span,
            "panics: the duration must be positive",
            help,
            p,
        ));
    }
}

fn deadpool(p: &PoolBuild, out: &mut Reporter<Span>) {
    let missing_wait = match p.wait {
        Setting::Default => Some((p.span, "deadpool's default `Timeouts` are all `None`")),
        Setting::Set(false, span) => Some((span, "leaves the `wait` timeout at `None`")),
        Setting::Set(true, _) | Setting::Unknown => None,
    };
    if let Some((span, label)) = missing_wait {
        out.report(finding(
            "no wait timeout: `get()` waits forever when every connection is in use".to_owned(),
            span,
            label,
            "set one, e.g. `.wait_timeout(Some(Duration::from_secs(5)))` with \
             `.runtime(Runtime::Tokio1)`, so an exhausted pool returns an error instead of \
             hanging the request",
            p,
        ));
    }
    if let (Some(set), false) = (p.timeout_set, p.runtime) {
        out.report(
            finding(
                "timeouts without a runtime: deadpool's `build()` returns \
                 `BuildError::NoRuntimeSpecified`"
                    .to_owned(),
                p.span,
                "fails: no runtime to time out with",
                "add `.runtime(Runtime::Tokio1)` (deadpool's re-exported `Runtime`) to the \
                 builder",
                p,
            )
            .with_secondary(set, "timeout set here"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits, hits_with, run, run_with, spans_with};

    const R: &str = "pool_misconfigured";

    fn messages(src: &str, attr: &str) -> Vec<String> {
        run_with(src, attr)
            .into_iter()
            .filter(|d| d.rule == R)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn r2d2_min_idle_above_max_size_and_zero_durations() {
        let src = r#"fn pool(url: &str) -> DbPool {
    Pool::builder()
        .max_size(2)
        .min_idle(Some(5))
        .connection_timeout(Duration::from_secs(0))
        .idle_timeout(Some(Duration::ZERO))
        .max_lifetime(None)
        .build(ConnectionManager::new(url))
        .unwrap()
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![
                (4, 10, "min_idle".to_owned()),
                (5, 10, "connection_timeout".to_owned()),
                (6, 10, "idle_timeout".to_owned())
            ]
        );
        assert_eq!(
            messages(src, ""),
            [
                "`min_idle` 5 is above `max_size` 2: building the pool panics",
                "zero `connection_timeout`: the pool builder panics",
                "zero `idle_timeout`: the pool builder panics",
            ]
        );
        let d = &run(src)[0];
        assert_eq!(d.secondary[0].message, "`max_size` set here");
        assert_eq!(d.data["library"], "r2d2_or_bb8");
    }

    #[test]
    fn min_idle_against_the_default_max_size_and_bb8_forms() {
        let src = r#"async fn pool(url: &str) -> Pool<AsyncDieselConnectionManager<AsyncPgConnection>> {
    let a = bb8::Pool::builder().min_idle(20).build(config(url)).await?;
    let b = Pool::builder().min_idle(Some(10)).build_unchecked(config(url));
    let c = Pool::builder().max_size(n).min_idle(Some(50)).build(config(url)).await?;
    a
}"#;
        assert_eq!(spans_with(src, "", R), vec![(2, 34, "min_idle".to_owned())]);
        assert_eq!(
            messages(src, ""),
            ["`min_idle` 20 is above the default `max_size` of 10: building the pool panics"]
        );
    }

    #[test]
    fn max_size_against_max_connections() {
        let src = r#"fn pools() {
    let a = r2d2::Pool::builder().max_size(150).build(m1)?;
    let b = Pool::builder().max_size(64).build(m2)?;
    let c = Pool::builder(manager).config(PoolConfig::new(120)).wait_timeout(Some(Duration::from_secs(2))).runtime(Runtime::Tokio1).build()?;
    let d = Pool::builder().max_size(0).build(m3)?;
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![
                (2, 35, "max_size".to_owned()),
                (4, 36, "config".to_owned()),
                (5, 29, "max_size".to_owned())
            ]
        );
        assert_eq!(
            messages(src, "")[0],
            "pool larger than the server allows: `max_size` 150 is above `max_connections` \
             100 (PostgreSQL's default)"
        );
        assert_eq!(
            messages(src, "")[2],
            "pool of size 0: `max_size(0)` panics in r2d2's and bb8's builder"
        );
        assert_eq!(
            spans_with(src, "max_connections = 50", R),
            vec![
                (2, 35, "max_size".to_owned()),
                (3, 29, "max_size".to_owned()),
                (4, 36, "config".to_owned()),
                (5, 29, "max_size".to_owned())
            ]
        );
        assert_eq!(
            messages(src, "max_connections = 50")[1],
            "pool larger than the server allows: `max_size` 64 is above `max_connections` 50"
        );
        assert_eq!(
            spans_with(src, "max_connections = 500", R),
            vec![(5, 29, "max_size".to_owned())]
        );
    }

    #[test]
    fn deadpool_wait_timeouts_and_runtime() {
        let src = r#"fn pools(manager: Manager) {
    let a = deadpool_diesel::postgres::Pool::builder(manager.clone()).max_size(8).build()?;
    let b = Pool::builder(m()).wait_timeout(None).build()?;
    let c = Pool::builder(m()).wait_timeout(Some(Duration::from_secs(5))).build()?;
    let d = Pool::builder(m()).timeouts(Timeouts::wait_millis(500)).runtime(Runtime::Tokio1).build()?;
    let e = Pool::builder(m()).config(cfg.pool).build()?;
    let f = Pool::builder(m()).timeouts(Timeouts::default()).build()?;
}"#;
        assert_eq!(
            spans_with(src, "", R),
            vec![
                (2, 83, "build".to_owned()),
                (3, 32, "wait_timeout".to_owned()),
                (4, 75, "build".to_owned()),
                (7, 32, "timeouts".to_owned())
            ]
        );
        assert_eq!(
            messages(src, ""),
            [
                "no wait timeout: `get()` waits forever when every connection is in use",
                "no wait timeout: `get()` waits forever when every connection is in use",
                "timeouts without a runtime: deadpool's `build()` returns \
                 `BuildError::NoRuntimeSpecified`",
                "no wait timeout: `get()` waits forever when every connection is in use",
            ]
        );
        let d = &run(src)[2];
        assert_eq!(d.secondary[0].message, "timeout set here");
    }

    #[test]
    fn sane_pools_variables_and_other_builders_are_silent() {
        let src = r#"fn pools(cfg: &Settings, url: &str) {
    let a = Pool::builder()
        .max_size(8)
        .min_idle(Some(2))
        .connection_timeout(Duration::from_secs(5))
        .idle_timeout(None)
        .build(ConnectionManager::<PgConnection>::new(url))?;
    let b = Pool::builder().max_size(cfg.size).min_idle(Some(cfg.idle)).connection_timeout(cfg.t).build(m)?;
    let c = Pool::new(ConnectionManager::<PgConnection>::new(url))?;
    let d = reqwest::Client::builder().timeout(Duration::from_secs(0)).build()?;
    let e = Pool::builder(m).max_size(4).wait_timeout(Some(Duration::ZERO)).runtime(Runtime::Tokio1).build()?;
}"#;
        assert!(hits(src, R).is_empty(), "{:?}", messages(src, ""));
    }

    #[test]
    fn allows() {
        let src = r#"fn f() {
    #[dbopt::allow(pool_misconfigured)]
    let a = Pool::builder().max_size(0).build(m)?;
    let b = Pool::builder().max_size(0).build(m)?;
}"#;
        assert_eq!(spans_with(src, "", R), vec![(4, 29, "max_size".to_owned())]);
        assert!(hits_with(src, "allow(pool_misconfigured)", R).is_empty());
    }
}
