//! Connection pools in syntax: which calls build a pool (r2d2 — diesel's `r2d2` feature —,
//! bb8 and deadpool, with diesel-async's and deadpool-diesel's managers) and the settings a
//! builder chain leaves in effect when it is built. Only literals are read; anything else is
//! [`Setting::Unknown`]. The rule `pool_misconfigured` judges the result with each
//! library's defaults.

use proc_macro2::Span;

use crate::rust::calls::call_path;
use crate::rust::handles::is_pool_type_name;
use crate::rust::model::Ctx;

/// Whose builder a chain is, told apart by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolLibrary {
    /// `Pool::builder()` .. `.build(manager)`: r2d2's and bb8's builders have the same shape,
    /// defaults and checks (`max_size` 10, `connection_timeout` 30 s, panics on zero and on
    /// `min_idle > max_size`).
    R2d2OrBb8,
    /// `Pool::builder(manager)` .. `.build()`: deadpool (also deadpool-diesel and
    /// diesel-async's `pooled_connection::deadpool`).
    Deadpool,
}

/// A setting in effect when the pool is built.
#[derive(Debug, Clone, Copy)]
pub enum Setting<T> {
    /// Not touched by the chain: the library's default.
    Default,
    /// Set to a literal by the method whose name has this span.
    Set(T, Span),
    /// Set to something that is not a literal (a variable, a config value).
    Unknown,
}

impl<T: Copy> Setting<T> {
    pub fn literal(self) -> Option<(T, Span)> {
        match self {
            Setting::Set(v, s) => Some((v, s)),
            _ => None,
        }
    }
}

/// One `Pool::builder(..)..build(..)` chain.
#[derive(Debug, Clone)]
pub struct PoolBuild {
    pub library: PoolLibrary,
    /// The `build` / `build_unchecked` method name.
    pub span: Span,
    /// `build` or `build_unchecked`.
    pub build: String,
    /// How messages show the whole chain: `Pool::builder()..build(..)`.
    pub call: String,
    pub max_size: Setting<u64>,
    /// r2d2/bb8's `min_idle`: `Some(n)`, or `None` (`min_idle(None)`).
    pub min_idle: Setting<Option<u64>>,
    /// r2d2/bb8 durations set to zero (`connection_timeout`, `max_lifetime`, `idle_timeout`),
    /// each with the setting's name and span: every one of them panics in the setter.
    pub zero_durations: Vec<(String, Span)>,
    /// deadpool: whether a `wait` timeout is set (`wait_timeout(Some(..))`,
    /// `timeouts(Timeouts::wait_millis(..))`); `Set(false, _)` is an explicit `None`.
    pub wait: Setting<bool>,
    /// deadpool: the first setting that sets any timeout (`wait`, `create`, `recycle`).
    pub timeout_set: Option<Span>,
    /// deadpool: `.runtime(..)` is in the chain.
    pub runtime: bool,
    pub ctx: Ctx,
}

/// Does a call with this path build a pool (`Pool::builder()`, `r2d2::Pool::new(m)`,
/// `bb8::Builder::new()`)? The library is guessed from the shape when it is a builder.
pub fn pool_constructor(path: &[String], nargs: usize) -> Option<Option<PoolLibrary>> {
    let [.., ty, last] = path else { return None };
    let named = |lib: &str| path.iter().any(|p| p.starts_with(lib));
    let pool_type = is_pool_type_name(ty);
    match last.as_str() {
        "builder" if pool_type => Some(Some(if nargs > 0 || named("deadpool") {
            PoolLibrary::Deadpool
        } else {
            PoolLibrary::R2d2OrBb8
        })),
        "new" if ty == "Builder" && (named("r2d2") || named("bb8")) => {
            Some(Some(PoolLibrary::R2d2OrBb8))
        }
        "new" if pool_type => Some(None),
        _ => None,
    }
}

/// Reads `receiver.build(..)` / `.build_unchecked(..)` when its chain starts at a pool
/// builder; the settings are applied in source order, as the builder applies them. Returns
/// the builder call too (its arguments are the manager, for deadpool).
pub fn read_build(m: &syn::ExprMethodCall, ctx: Ctx) -> Option<(PoolBuild, &syn::ExprCall)> {
    let build = m.method.to_string();
    if build != "build" && build != "build_unchecked" {
        return None;
    }
    // Setters down to the root, which must be the builder call: `Pool::builder(..)`.
    let mut setters: Vec<&syn::ExprMethodCall> = Vec::new();
    let mut e = &*m.receiver;
    let builder = loop {
        match e {
            syn::Expr::MethodCall(s) if setters.len() < 256 => {
                setters.push(s);
                e = &s.receiver;
            }
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Group(g) => e = &g.expr,
            syn::Expr::Call(c) => break c,
            _ => return None,
        }
    };
    let Some(Some(mut library)) = pool_constructor(&call_path(builder), builder.args.len()) else {
        return None;
    };
    if m.args.is_empty() && build == "build" {
        library = PoolLibrary::Deadpool;
    }
    let dots = |n: usize| if n == 0 { "" } else { ".." };
    let call = format!(
        "{}({})..{build}({})",
        call_path(builder).join("::"),
        dots(builder.args.len()),
        dots(m.args.len())
    );
    let mut out = PoolBuild {
        library,
        span: m.method.span(),
        build,
        call,
        max_size: Setting::Default,
        min_idle: Setting::Default,
        zero_durations: Vec::new(),
        wait: Setting::Default,
        timeout_set: None,
        runtime: false,
        ctx,
    };
    // Collected outermost first; the builder applies them innermost first.
    for setter in setters.iter().rev() {
        apply(&mut out, setter);
    }
    Some((out, builder))
}

fn apply(out: &mut PoolBuild, setter: &syn::ExprMethodCall) {
    let name = setter.method.to_string();
    let span = setter.method.span();
    let Some(arg) = setter.args.first() else {
        return;
    };
    match name.as_str() {
        "max_size" => {
            out.max_size = int_lit(arg).map_or(Setting::Unknown, |n| Setting::Set(n, span));
        }
        "min_idle" => {
            out.min_idle = option_int(arg).map_or(Setting::Unknown, |n| Setting::Set(n, span));
        }
        "connection_timeout" | "max_lifetime" | "idle_timeout"
            if option_duration(arg) == Some(Some(Some(true)))
                || duration_zero(arg) == Some(true) =>
        {
            out.zero_durations.push((name, span));
        }
        "wait_timeout" => {
            let set = option_duration(arg).map(|d| d.is_some());
            set_wait(out, set, span);
        }
        "create_timeout" | "recycle_timeout"
            if option_duration(arg).is_some_and(|d| d.is_some()) =>
        {
            out.timeout_set.get_or_insert(span);
        }
        "timeouts" => {
            // Replaces every timeout set before.
            out.timeout_set = None;
            let t = timeouts(arg);
            set_wait(out, t.map(|t| t.wait), span);
            if t.is_some_and(|t| t.any) {
                out.timeout_set.get_or_insert(span);
            }
        }
        "config" => match pool_config(arg) {
            // A whole `PoolConfig` replaces `max_size` and the timeouts set before.
            Some((max_size, t)) => {
                out.timeout_set = None;
                out.max_size = max_size.map_or(Setting::Default, |m| match m {
                    Some(n) => Setting::Set(n, span),
                    None => Setting::Unknown,
                });
                set_wait(out, t.map(|t| t.wait), span);
                if t.is_some_and(|t| t.any) {
                    out.timeout_set.get_or_insert(span);
                }
            }
            None => {
                out.timeout_set = None;
                out.max_size = Setting::Unknown;
                out.wait = Setting::Unknown;
            }
        },
        "runtime" => out.runtime = true,
        _ => {}
    }
}

fn set_wait(out: &mut PoolBuild, set: Option<bool>, span: Span) {
    out.wait = match set {
        Some(set) => Setting::Set(set, span),
        None => Setting::Unknown,
    };
    if set == Some(true) {
        out.timeout_set.get_or_insert(span);
    }
}

/// deadpool's `Timeouts`: whether `wait` is set and whether any timeout is.
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    wait: bool,
    any: bool,
}

/// `Timeouts::new()`, `Timeouts::default()`, `Timeouts::wait_millis(n)`,
/// `Timeouts { wait: .., create: .., recycle: .. }`; `None` when not a literal.
fn timeouts(e: &syn::Expr) -> Option<Timeouts> {
    match peel(e) {
        syn::Expr::Call(c) => {
            let path = call_path(c);
            match path.last().map(String::as_str) {
                Some("new" | "default") if c.args.is_empty() => Some(Timeouts {
                    wait: false,
                    any: false,
                }),
                Some("wait_millis") => Some(Timeouts {
                    wait: true,
                    any: true,
                }),
                _ => None,
            }
        }
        syn::Expr::Struct(s) => {
            let mut t = Timeouts {
                wait: false,
                any: false,
            };
            for f in &s.fields {
                let syn::Member::Named(field) = &f.member else {
                    return None;
                };
                let set = option_duration(&f.expr)?.is_some();
                t.any |= set;
                if field == "wait" {
                    t.wait = set;
                }
            }
            if s.rest.as_deref().is_some_and(|r| !is_default_call(r)) {
                return None;
            }
            Some(t)
        }
        _ => None,
    }
}

/// deadpool's `PoolConfig::new(n)`, `PoolConfig::default()` or a struct literal: its
/// `max_size` (`None`: the default; `Some(None)`: not a literal) and timeouts.
#[allow(clippy::type_complexity)]
fn pool_config(e: &syn::Expr) -> Option<(Option<Option<u64>>, Option<Timeouts>)> {
    let none = Timeouts {
        wait: false,
        any: false,
    };
    match peel(e) {
        syn::Expr::Call(c) => {
            let path = call_path(c);
            match path.last().map(String::as_str) {
                Some("new") if c.args.len() == 1 => Some((c.args.first().map(int_lit), Some(none))),
                Some("default") if c.args.is_empty() => Some((None, Some(none))),
                _ => None,
            }
        }
        syn::Expr::Struct(s) => {
            if s.rest.as_deref().is_some_and(|r| !is_default_call(r)) {
                return None;
            }
            let mut max_size = None;
            let mut t = Some(none);
            for f in &s.fields {
                let syn::Member::Named(field) = &f.member else {
                    return None;
                };
                if field == "max_size" {
                    max_size = Some(int_lit(&f.expr));
                } else if field == "timeouts" {
                    t = timeouts(&f.expr);
                }
            }
            Some((max_size, t))
        }
        _ => None,
    }
}

fn is_default_call(e: &syn::Expr) -> bool {
    matches!(peel(e), syn::Expr::Call(c)
        if c.args.is_empty() && call_path(c).last().is_some_and(|l| l == "default"))
}

/// Parentheses, groups and references around an expression.
fn peel(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => peel(&p.expr),
        syn::Expr::Group(g) => peel(&g.expr),
        syn::Expr::Reference(r) => peel(&r.expr),
        other => other,
    }
}

/// An integer literal, possibly cast or suffixed: `16`, `16u32`, `16 as usize`.
pub fn int_lit(e: &syn::Expr) -> Option<u64> {
    match peel(e) {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        syn::Expr::Cast(c) => int_lit(&c.expr),
        _ => None,
    }
}

/// `Some(n)` or `n` (bb8 takes `impl Into<Option<u32>>`) as `Some(Some(n))`, `None` as
/// `Some(None)`; `None` when not a literal.
fn option_int(e: &syn::Expr) -> Option<Option<u64>> {
    if is_none(e) {
        return Some(None);
    }
    match some_arg(e) {
        Some(inner) => int_lit(inner).map(Some),
        None => int_lit(e).map(Some),
    }
}

/// An optional duration: `None` → `Some(None)`; `Some(d)` or `d` → `Some(Some(zero))` where
/// `zero` says whether `d` is a literal zero (`None` when unknown); `None` when the option
/// itself is not visible (a variable).
fn option_duration(e: &syn::Expr) -> Option<Option<Option<bool>>> {
    if is_none(e) {
        return Some(None);
    }
    some_arg(e).map(|inner| Some(duration_zero(inner)))
}

/// Whether a duration literal is zero: `Duration::ZERO`, `Duration::from_secs(0)`,
/// `from_millis`/`from_micros`/`from_nanos(0)`, `Duration::new(0, 0)`,
/// `from_secs_f32/f64(0.0)`. `None` when it is not such a literal.
pub fn duration_zero(e: &syn::Expr) -> Option<bool> {
    match peel(e) {
        syn::Expr::Path(p) => {
            let last = p.path.segments.last()?.ident.to_string();
            let ty = p.path.segments.iter().rev().nth(1)?.ident.to_string();
            (ty == "Duration").then_some(last == "ZERO")
        }
        syn::Expr::Call(c) => {
            let path = call_path(c);
            let [.., ty, f] = path.as_slice() else {
                return None;
            };
            if ty != "Duration" {
                return None;
            }
            let args: Vec<&syn::Expr> = c.args.iter().collect();
            match (f.as_str(), args.as_slice()) {
                ("from_secs" | "from_millis" | "from_micros" | "from_nanos", [n]) => {
                    int_lit(n).map(|n| n == 0)
                }
                ("new", [s, n]) => Some(int_lit(s)? == 0 && int_lit(n)? == 0),
                ("from_secs_f32" | "from_secs_f64", [x]) => match peel(x) {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Float(f),
                        ..
                    }) => f.base10_parse::<f64>().ok().map(|v| v == 0.0),
                    other => int_lit(other).map(|n| n == 0),
                },
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_none(e: &syn::Expr) -> bool {
    matches!(peel(e), syn::Expr::Path(p) if p.path.is_ident("None"))
}

fn some_arg(e: &syn::Expr) -> Option<&syn::Expr> {
    match peel(e) {
        syn::Expr::Call(c) if call_path(c).last().is_some_and(|l| l == "Some") => c.args.first(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(src: &str) -> Option<PoolBuild> {
        let e: syn::Expr = syn::parse_str(src).expect("expression");
        match e {
            syn::Expr::MethodCall(m) => read_build(&m, Ctx::default()).map(|(b, _)| b),
            _ => None,
        }
    }

    #[test]
    fn r2d2_chain_in_source_order() {
        let b = build(
            "Pool::builder().max_size(4).min_idle(Some(2)).max_size(8)\
             .connection_timeout(Duration::from_secs(0)).idle_timeout(None).build(m)",
        )
        .unwrap();
        assert_eq!(b.library, PoolLibrary::R2d2OrBb8);
        assert_eq!(b.max_size.literal().map(|v| v.0), Some(8));
        assert_eq!(b.min_idle.literal().map(|v| v.0), Some(Some(2)));
        let zero: Vec<&str> = b.zero_durations.iter().map(|z| z.0.as_str()).collect();
        assert_eq!(zero, ["connection_timeout"]);
        assert!(matches!(b.wait, Setting::Default));
    }

    #[test]
    fn deadpool_shapes_timeouts_and_configs() {
        let b = build("Pool::builder(manager).max_size(8).build()").unwrap();
        assert_eq!(b.library, PoolLibrary::Deadpool);
        assert!(matches!(b.wait, Setting::Default));
        let b =
            build("Pool::builder(m).wait_timeout(Some(Duration::from_secs(5))).build()").unwrap();
        assert!(matches!(b.wait, Setting::Set(true, _)) && b.timeout_set.is_some());
        let b = build("Pool::builder(m).wait_timeout(Some(d)).config(PoolConfig::new(64)).build()")
            .unwrap();
        assert!(matches!(b.wait, Setting::Set(false, _)), "{:?}", b.wait);
        assert_eq!(b.max_size.literal().map(|v| v.0), Some(64));
        let b = build("Pool::builder(m).timeouts(Timeouts { wait: Some(d), ..Default::default() }).runtime(Runtime::Tokio1).build()").unwrap();
        assert!(matches!(b.wait, Setting::Set(true, _)) && b.runtime);
        let b = build("Pool::builder(m).timeouts(t).config(cfg).build()").unwrap();
        assert!(matches!(b.wait, Setting::Unknown));
        assert!(matches!(b.max_size, Setting::Unknown));
    }

    #[test]
    fn not_pool_builders() {
        assert!(build("Client::builder().timeout(d).build()").is_none());
        assert!(build("Pool::builder().max_size(n).finish()").is_none());
        assert!(build("Runtime::builder(x).build()").is_none());
    }

    #[test]
    fn literals() {
        let e = |s: &str| syn::parse_str::<syn::Expr>(s).unwrap();
        assert_eq!(duration_zero(&e("Duration::ZERO")), Some(true));
        assert_eq!(
            duration_zero(&e("std::time::Duration::from_millis(0)")),
            Some(true)
        );
        assert_eq!(duration_zero(&e("Duration::new(0, 0)")), Some(true));
        assert_eq!(
            duration_zero(&e("Duration::from_secs_f64(0.0)")),
            Some(true)
        );
        assert_eq!(duration_zero(&e("Duration::from_secs(30)")), Some(false));
        assert_eq!(duration_zero(&e("Duration::from_secs(n)")), None);
        assert_eq!(int_lit(&e("16u32")), Some(16));
        assert_eq!(int_lit(&e("(16 as usize)")), Some(16));
        assert_eq!(option_int(&e("Some(3)")), Some(Some(3)));
        assert_eq!(option_int(&e("None")), Some(None));
        assert_eq!(option_int(&e("n")), None);
    }
}
