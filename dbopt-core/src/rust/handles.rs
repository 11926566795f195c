//! Database handles: which parameter types, names and expressions are connections or pools,
//! and the scoped environment of local bindings (with shadowing).

use std::collections::HashMap;

use syn::visit::Visit;

/// A connection or a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleKind {
    Conn,
    Pool,
}

/// What a value is known to be, for telling iterator adapters from `Option::map`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    #[default]
    Unknown,
    /// An iterator, stream or collection.
    Many,
    /// An `Option`, `Result`, future or `bool`: a closure on it runs at most once.
    One,
}

/// A local binding.
#[derive(Debug, Clone, Copy, Default)]
pub struct Binding {
    pub handle: Option<HandleKind>,
    pub shape: Shape,
}

/// Type names (last path segment) that are connections.
const CONN_TYPES: &[&str] = &[
    "PgConnection",
    "SqliteConnection",
    "MysqlConnection",
    "AsyncPgConnection",
    "AsyncMysqlConnection",
    "SyncConnectionWrapper",
    "PooledConnection",
    "PooledConn",
    "DbConn",
    "DbConnection",
    "PgConn",
    "Connection",
    "AsyncConnection",
    "LoadConnection",
    "MultiConnection",
    "AnyConnection",
];

/// Type names (last path segment) that are pools.
const POOL_TYPES: &[&str] = &["Pool", "PgPool", "DbPool", "ConnectionPool", "DatabasePool"];

/// A type name (last path segment) that is a database pool: `Pool`, `DbPool`, `SqlitePool`.
pub fn is_pool_type_name(name: &str) -> bool {
    POOL_TYPES.contains(&name) || is_db_pool_name(name)
}

/// `SqlitePool`, `MyDbPool`, `PgConnPool`: a name ending in `Pool` that says database.
fn is_db_pool_name(name: &str) -> bool {
    name.ends_with("Pool")
        && ["Db", "DB", "Pg", "Sql", "Database", "Conn", "Diesel"]
            .iter()
            .any(|w| name.contains(w))
}

/// `PooledPgConnection`, `DbConn`, `SqliteConn`: a connection type named for a database.
fn is_db_conn_name(name: &str) -> bool {
    (name.ends_with("Connection") || name.ends_with("Conn"))
        && [
            "Pg", "Postgres", "Sqlite", "Mysql", "Db", "DB", "Database", "Diesel",
        ]
        .iter()
        .any(|w| name.contains(w))
}

/// Traits whose bound makes a generic parameter a connection.
const CONN_TRAITS: &[&str] = &["Connection", "AsyncConnection", "LoadConnection"];

/// Accessor methods and fields that yield a handle: `context.pool()`, `state.db`.
pub const ACCESSORS: &[(&str, HandleKind)] = &[
    ("pool", HandleKind::Pool),
    ("db_pool", HandleKind::Pool),
    ("db", HandleKind::Pool),
    ("conn", HandleKind::Conn),
    ("connection", HandleKind::Conn),
    ("get_conn", HandleKind::Conn),
    ("db_conn", HandleKind::Conn),
];

/// Classifies a type: a handle, and the shape of a value of that type.
pub fn type_handle(
    ty: &syn::Type,
    generics: &[String],
    conn_names: &[String],
) -> Option<HandleKind> {
    let mut v = TypeScan {
        generics,
        conn_names,
        found: None,
    };
    v.visit_type(ty);
    v.found
}

struct TypeScan<'a> {
    generics: &'a [String],
    conn_names: &'a [String],
    found: Option<HandleKind>,
}

impl<'ast> Visit<'ast> for TypeScan<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if self.found.is_some() {
            return;
        }
        if let Some(last) = path.segments.last() {
            let name = last.ident.to_string();
            let in_deadpool = path.segments.iter().any(|s| {
                let s = s.ident.to_string();
                s.starts_with("deadpool") || s == "bb8" || s == "r2d2"
            });
            if POOL_TYPES.contains(&name.as_str()) || is_db_pool_name(&name) {
                self.found = Some(HandleKind::Pool);
                return;
            }
            if CONN_TYPES.contains(&name.as_str())
                || is_db_conn_name(&name)
                || (in_deadpool && (name == "Object" || name == "Connection"))
                || self.generics.contains(&name)
                || self.conn_names.contains(&name)
            {
                self.found = Some(HandleKind::Conn);
                return;
            }
        }
        syn::visit::visit_path(self, path);
    }
}

/// The shape of a value of this type.
pub fn type_shape(ty: &syn::Type) -> Shape {
    match ty {
        syn::Type::Reference(r) => type_shape(&r.elem),
        syn::Type::Paren(p) => type_shape(&p.elem),
        syn::Type::Group(g) => type_shape(&g.elem),
        syn::Type::Slice(_) | syn::Type::Array(_) => Shape::Many,
        syn::Type::ImplTrait(it) => {
            for b in &it.bounds {
                if let syn::TypeParamBound::Trait(t) = b
                    && let Some(s) = t.path.segments.last()
                {
                    let n = s.ident.to_string();
                    if n.contains("Iterator") || n.contains("Stream") {
                        return Shape::Many;
                    }
                    if n == "Future" {
                        return Shape::One;
                    }
                }
            }
            Shape::Unknown
        }
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return Shape::Unknown;
            };
            let n = last.ident.to_string();
            match n.as_str() {
                "Option" | "Result" | "bool" => Shape::One,
                "Vec" | "VecDeque" | "HashMap" | "HashSet" | "BTreeMap" | "BTreeSet" | "Range"
                | "RangeInclusive" | "BoxStream" | "LocalBoxStream" | "IntoIter" | "Iter" => {
                    Shape::Many
                }
                "Box" | "Arc" | "Rc" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .find_map(|g| match g {
                            syn::GenericArgument::Type(t) => Some(type_shape(t)),
                            _ => None,
                        })
                        .unwrap_or_default(),
                    _ => Shape::Unknown,
                },
                _ if n.ends_with("Result") => Shape::One,
                _ => Shape::Unknown,
            }
        }
        _ => Shape::Unknown,
    }
}

/// Generic parameters of `generics` bounded (inline or in the `where` clause) by a connection
/// trait.
pub fn conn_generics(generics: &syn::Generics, out: &mut Vec<String>) {
    let is_conn_bound = |b: &syn::TypeParamBound| match b {
        syn::TypeParamBound::Trait(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| CONN_TRAITS.contains(&s.ident.to_string().as_str())),
        _ => false,
    };
    for p in generics.type_params() {
        if p.bounds.iter().any(is_conn_bound) {
            out.push(p.ident.to_string());
        }
    }
    if let Some(wc) = &generics.where_clause {
        for pred in &wc.predicates {
            if let syn::WherePredicate::Type(t) = pred
                && let syn::Type::Path(tp) = &t.bounded_ty
                && let Some(id) = tp.path.get_ident()
                && t.bounds.iter().any(is_conn_bound)
            {
                out.push(id.to_string());
            }
        }
    }
}

/// Lexically scoped bindings; the innermost binding of a name wins (shadowing).
#[derive(Debug, Default)]
pub struct Env {
    scopes: Vec<HashMap<String, Binding>>,
}

impl Env {
    pub fn new() -> Self {
        Env {
            scopes: vec![HashMap::new()],
        }
    }

    pub fn push(&mut self) {
        self.scopes.push(HashMap::new());
    }

    pub fn pop(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    pub fn bind(&mut self, name: String, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, binding);
        }
    }

    /// How many scopes are open.
    pub fn depth(&self) -> usize {
        self.scopes.len()
    }

    /// The index of the innermost scope that binds `name`.
    pub fn scope_of(&self, name: &str) -> Option<usize> {
        self.scopes.iter().rposition(|s| s.contains_key(name))
    }

    pub fn get(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }
}

/// Every identifier a pattern binds.
pub fn pat_idents(pat: &syn::Pat, out: &mut Vec<String>) {
    struct V<'a>(&'a mut Vec<String>);
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
        fn visit_expr(&mut self, _: &'ast syn::Expr) {}
    }
    V(out).visit_pat(pat);
}

/// The identifier a pattern binds the whole value (or the `Ok`/`Some` payload) to:
/// `conn`, `mut conn`, `Ok(conn)`, `Some(conn)`, `conn: &mut PgConnection`.
pub fn pat_main_ident(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.to_string()),
        syn::Pat::Type(t) => pat_main_ident(&t.pat),
        syn::Pat::Reference(r) => pat_main_ident(&r.pat),
        syn::Pat::Paren(p) => pat_main_ident(&p.pat),
        // `Ok(conn)`, `Some(conn)`, and extractors: `State(pool)`, `Extension(pool)`.
        syn::Pat::TupleStruct(ts) => {
            let last = ts.path.segments.last()?.ident.to_string();
            if last != "Err" && ts.elems.len() == 1 {
                ts.elems.first().and_then(pat_main_ident)
            } else {
                None
            }
        }
        _ => None,
    }
}
