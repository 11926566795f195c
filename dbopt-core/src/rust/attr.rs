//! The options of `#[db_checked(..)]` and of the statement-level `#[dbopt::allow(..)]`.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;

use crate::diagnostic::Level;
use crate::rule::{Check, Rule};
use crate::rules::RULES;

/// The option keys `#[db_checked(..)]` accepts, in the order the error message lists them.
pub const OPTION_KEYS: [&str; 10] = [
    "allow",
    "warn",
    "deny",
    "read_only",
    "in_transaction",
    "max_queries",
    "lock_order",
    "conn",
    "max_connections",
    "wrapper_macros",
];

/// `max_queries = N` with the span of `N`.
#[derive(Debug, Clone, Copy)]
pub struct MaxQueries {
    pub limit: u64,
    pub span: Span,
}

/// A table named in `lock_order(..)`.
#[derive(Debug, Clone)]
pub struct TableName {
    pub name: String,
    pub span: Span,
}

/// Parsed `#[db_checked(..)]` options; an inner attribute refines an outer one
/// ([`Options::refined_by`]).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Level overrides in the order written (outer first); the last one for a rule wins.
    pub levels: Vec<(&'static str, Level)>,
    /// `read_only`: every write is a `write_in_read_only` finding.
    pub read_only: bool,
    /// `in_transaction`: callers always run the fn inside a transaction.
    pub in_transaction: bool,
    /// `max_queries = N`: the `query_budget`.
    pub max_queries: Option<MaxQueries>,
    /// `lock_order(a, b)`: the order tables must be written or locked in a transaction.
    pub lock_order: Vec<TableName>,
    /// `conn(name, ..)`: extra handle names, matched against parameter and variable names and
    /// against the last segment of parameter types.
    pub conn: Vec<String>,
    /// `max_connections = N`: the database server's connection limit that
    /// `pool_misconfigured` compares a pool's literal `max_size` with (config key
    /// `max_connections`; unset: PostgreSQL's default, [`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: Option<u64>,
    /// `wrapper_macros(db_run, my_crate::with_conn)`: project macros whose body runs with a
    /// connection (config key `wrapper_macros`), as paths (`["my_crate", "with_conn"]`).
    pub wrapper_macros: Vec<Vec<String>>,
    /// Macros and fns that run their closure or body inside a transaction: configured
    /// (`transaction_macros`) and, in the scan, the package's own wrappers it found.
    pub transaction_wrappers: Vec<Vec<String>>,
    /// The scan checks test code too (`include_tests`); off by default. The macro always
    /// checks what it annotates.
    pub include_tests: bool,
}

/// PostgreSQL's default `max_connections`, used when none is configured.
pub const DEFAULT_MAX_CONNECTIONS: u64 = 100;

impl Options {
    /// Parses the arguments of `#[db_checked(..)]` (the tokens inside the parentheses).
    /// Every misuse is reported, combined into one error.
    pub fn parse(attr: TokenStream) -> Result<Options, syn::Error> {
        // syn builds its token buffer recursively: absurd nesting would overflow the stack.
        use crate::rust::depth::{MAX_NESTING, message, too_deep};
        if let Some(span) = too_deep(&attr, MAX_NESTING) {
            return Err(syn::Error::new(span, message(MAX_NESTING)));
        }
        let mut opts = Options::default();
        let mut errors: Vec<syn::Error> = Vec::new();
        let parser = syn::meta::parser(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match key.as_str() {
                "allow" | "warn" | "deny" => {
                    let level = match key.as_str() {
                        "allow" => Level::Allow,
                        "warn" => Level::Warn,
                        _ => Level::Deny,
                    };
                    meta.parse_nested_meta(|rule| {
                        match code_rule(&rule.path) {
                            Ok(r) => opts.levels.push((r.name, level)),
                            Err(e) => errors.push(e),
                        }
                        Ok(())
                    })
                }
                "read_only" => {
                    opts.read_only = true;
                    Ok(())
                }
                "in_transaction" => {
                    opts.in_transaction = true;
                    Ok(())
                }
                "max_queries" => {
                    let lit: syn::LitInt = meta.value()?.parse()?;
                    let limit = lit.base10_parse::<u64>()?;
                    opts.max_queries = Some(MaxQueries {
                        limit,
                        span: lit.span(),
                    });
                    Ok(())
                }
                "lock_order" => {
                    opts.lock_order.clear();
                    meta.parse_nested_meta(|t| {
                        match t.path.segments.last() {
                            Some(seg) => opts.lock_order.push(TableName {
                                name: seg.ident.to_string(),
                                span: seg.ident.span(),
                            }),
                            None => errors.push(t.error("expected a table name")),
                        }
                        Ok(())
                    })
                }
                "conn" => meta.parse_nested_meta(|n| {
                    match n.path.get_ident() {
                        Some(i) => opts.conn.push(i.to_string()),
                        None => errors.push(n.error("expected a name")),
                    }
                    Ok(())
                }),
                "max_connections" => {
                    let lit: syn::LitInt = meta.value()?.parse()?;
                    match lit.base10_parse::<u64>()? {
                        0 => errors.push(syn::Error::new(
                            lit.span(),
                            "`max_connections` must be a positive integer",
                        )),
                        n => opts.max_connections = Some(n),
                    }
                    Ok(())
                }
                "wrapper_macros" => meta.parse_nested_meta(|m| {
                    opts.wrapper_macros.push(
                        m.path
                            .segments
                            .iter()
                            .map(|s| s.ident.to_string())
                            .collect(),
                    );
                    Ok(())
                }),
                _ => {
                    errors.push(meta.error(format!(
                        "unknown option `{}`; expected one of: {}",
                        path_text(&meta.path),
                        OPTION_KEYS.join(", ")
                    )));
                    // Consume the option's value so parsing goes on with the next key.
                    if meta.input.peek(syn::Token![=]) {
                        let _: syn::Expr = meta.value()?.parse()?;
                    } else if meta.input.peek(syn::token::Paren) {
                        let _: proc_macro2::Group = meta.input.parse()?;
                    }
                    Ok(())
                }
            }
        });
        if let Err(e) = parser.parse2(attr) {
            errors.push(e);
        }
        match combine(errors) {
            Some(e) => Err(e),
            None => Ok(opts),
        }
    }

    /// These options refined by an inner attribute: levels appended (the inner wins), flags
    /// added, `max_queries` and `lock_order` replaced when the inner one sets them.
    pub fn refined_by(&self, inner: &Options) -> Options {
        let mut out = self.clone();
        out.levels.extend(inner.levels.iter().copied());
        out.read_only |= inner.read_only;
        out.in_transaction |= inner.in_transaction;
        if inner.max_queries.is_some() {
            out.max_queries = inner.max_queries;
        }
        if !inner.lock_order.is_empty() {
            out.lock_order = inner.lock_order.clone();
        }
        out.conn.extend(inner.conn.iter().cloned());
        if inner.max_connections.is_some() {
            out.max_connections = inner.max_connections;
        }
        out.wrapper_macros
            .extend(inner.wrapper_macros.iter().cloned());
        out.transaction_wrappers
            .extend(inner.transaction_wrappers.iter().cloned());
        out.include_tests |= inner.include_tests;
        out
    }

    /// The connection limit `pool_misconfigured` judges a pool's size against.
    pub fn max_connections(&self) -> u64 {
        self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS)
    }

    /// Is a macro invoked with this path one of the configured wrapper macros? The last
    /// segments must be equal; when both paths have several segments, the shorter must be a
    /// suffix of the longer or the invocation must start with `crate`: `my_crate::with_conn`
    /// matches `with_conn!`, `my_crate::with_conn!` and `crate::with_conn!`, not
    /// `other::with_conn!`.
    pub fn is_wrapper_macro(&self, path: &[String]) -> bool {
        names_path(&self.wrapper_macros, path)
    }

    /// Is a macro or fn called with this path a configured (`transaction_macros`) or found
    /// transaction wrapper: it runs its body or closure inside a transaction?
    pub fn is_transaction_wrapper(&self, path: &[String]) -> bool {
        names_path(&self.transaction_wrappers, path)
    }
}

/// Does one of `list` (paths as configured) name the macro or fn called with `path`? The
/// last segments must agree; a one-segment entry matches any path ending in it.
fn names_path(list: &[Vec<String>], path: &[String]) -> bool {
    list.iter().any(|w| {
        let (short, long) = if w.len() <= path.len() {
            (w.as_slice(), path)
        } else {
            (path, w.as_slice())
        };
        let Some(last) = short.last() else {
            return false;
        };
        if long.last() != Some(last) {
            return false;
        }
        short.len() == 1 || long.ends_with(short) || path.first().is_some_and(|f| f == "crate")
    })
}

impl Options {
    /// The effective level of `rule`: its default, refined by the overrides in order.
    pub fn level(&self, rule: &Rule) -> Level {
        self.levels
            .iter()
            .rev()
            .find(|(name, _)| *name == rule.name)
            .map_or(rule.default_level, |(_, level)| *level)
    }
}

/// The rule names `#[db_checked]` knows (every rule with a code check), sorted.
pub fn code_rule_names() -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|r| matches!(r.check, Check::Code(_)))
        .map(|r| r.name)
        .collect()
}

/// The code rule a path names, or a spanned error listing the valid names.
pub fn code_rule(path: &syn::Path) -> Result<&'static Rule, syn::Error> {
    let name = path_text(path);
    RULES
        .iter()
        .copied()
        .find(|r| r.name == name && matches!(r.check, Check::Code(_)))
        .ok_or_else(|| {
            syn::Error::new_spanned(
                path,
                format!(
                    "unknown rule `{name}`; expected one of: {}",
                    code_rule_names().join(", ")
                ),
            )
        })
}

/// Is this attribute `#[dbopt::allow(..)]`?
pub fn is_stmt_allow(attr: &syn::Attribute) -> bool {
    let segs: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segs == ["dbopt", "allow"]
}

/// Is this attribute `#[db_checked]` (under any path, e.g. `dbopt::db_checked`)?
pub fn is_db_checked(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "db_checked")
}

/// The rules listed by the `#[dbopt::allow(..)]` attributes among `attrs`; misuse goes to
/// `errors`.
pub fn stmt_allows(attrs: &[syn::Attribute], errors: &mut Vec<syn::Error>) -> Vec<&'static str> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| is_stmt_allow(a)) {
        let res = attr.parse_nested_meta(|m| {
            match code_rule(&m.path) {
                Ok(r) => out.push(r.name),
                Err(e) => errors.push(e),
            }
            Ok(())
        });
        if let Err(e) = res {
            errors.push(e);
        }
    }
    out
}

/// The options of the `#[db_checked(..)]` attributes among `attrs`, refining `outer`.
pub fn nested_options(
    outer: &Options,
    attrs: &[syn::Attribute],
    errors: &mut Vec<syn::Error>,
) -> Options {
    let mut opts = outer.clone();
    for attr in attrs.iter().filter(|a| is_db_checked(a)) {
        let tokens = match &attr.meta {
            syn::Meta::Path(_) => TokenStream::new(),
            syn::Meta::List(list) => list.tokens.clone(),
            syn::Meta::NameValue(nv) => {
                errors.push(syn::Error::new_spanned(
                    nv,
                    "expected `#[db_checked]` or `#[db_checked(..)]`",
                ));
                continue;
            }
        };
        match Options::parse(tokens) {
            Ok(inner) => opts = opts.refined_by(&inner),
            Err(e) => errors.push(e),
        }
    }
    opts
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// All errors as one (`syn::Error::combine`), or `None`.
pub fn combine(errors: Vec<syn::Error>) -> Option<syn::Error> {
    let mut iter = errors.into_iter();
    let mut first = iter.next()?;
    for e in iter {
        first.combine(e);
    }
    Some(first)
}
