//! Syntactic name resolution: a call site -> the package fns it may call (see the
//! module docs of [`super`]).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use super::names::{STD_FNS, STD_METHODS};
use super::{FnId, Graph};
use crate::rust::model::Callee;
use crate::rust::summary::{CallFact, FnSummary, LocalTy, TypeDecl, UseDecl, absolute_paths};

/// The package's names, for resolution.
pub(super) struct Index<'a> {
    by_path: HashMap<Vec<String>, Vec<FnId>>,
    /// `(impl type, name)` -> methods of impls of that type.
    by_owner: HashMap<(&'a str, &'a str), Vec<FnId>>,
    /// `(trait, name)` -> the trait's default method and every impl's.
    by_trait: HashMap<(&'a str, &'a str), Vec<FnId>>,
    /// Fns with a `self` parameter, by name.
    methods: HashMap<&'a str, Vec<FnId>>,
    /// Free fns by name.
    free: HashMap<&'a str, Vec<FnId>>,
    types: HashMap<&'a str, Vec<&'a TypeDecl>>,
    traits: HashSet<&'a str>,
    /// Impl type -> the traits it implements in the package.
    impls_of: HashMap<&'a str, Vec<&'a str>>,
    /// Module -> its `use` imports.
    uses: HashMap<&'a [String], Vec<&'a UseDecl>>,
    summaries: Vec<&'a FnSummary>,
    /// [`Index::lookup`]'s results; `None` while one is being computed.
    memo: RefCell<HashMap<Vec<String>, Option<Vec<FnId>>>>,
}

/// Paths [`Index::lookup`] may follow per package; past it, a path resolves to nothing.
const MEMO_BUDGET: usize = 1 << 20;

/// A receiver's type, as far as resolution can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ty {
    Known(String),
    /// The result of reaching into a type outside the package.
    Foreign,
    Unknown,
}

impl<'a> Index<'a> {
    pub(super) fn new(g: &Graph<'a>) -> Self {
        let mut ix = Index {
            by_path: HashMap::new(),
            by_owner: HashMap::new(),
            by_trait: HashMap::new(),
            methods: HashMap::new(),
            free: HashMap::new(),
            types: HashMap::new(),
            traits: HashSet::new(),
            impls_of: HashMap::new(),
            uses: HashMap::new(),
            summaries: Vec::new(),
            memo: RefCell::new(HashMap::new()),
        };
        for f in 0..g.fns.len() {
            let s = g.summary(f);
            ix.summaries.push(s);
            ix.by_path.entry(s.qualified()).or_default().push(f);
            if let Some(t) = &s.self_ty {
                ix.by_owner.entry((t, &s.name)).or_default().push(f);
            }
            if let Some(t) = &s.trait_name {
                ix.by_trait.entry((t, &s.name)).or_default().push(f);
            }
            if s.has_receiver {
                ix.methods.entry(&s.name).or_default().push(f);
            } else if s.self_ty.is_none() && s.trait_name.is_none() {
                ix.free.entry(&s.name).or_default().push(f);
            }
        }
        for file in g.files {
            for t in &file.decls.types {
                ix.types.entry(&t.name).or_default().push(t);
            }
            for (_, t) in &file.decls.traits {
                ix.traits.insert(t);
            }
            for i in &file.decls.impls {
                let e = ix.impls_of.entry(&i.self_ty).or_default();
                if let Some(t) = &i.trait_name {
                    e.push(t);
                }
            }
            for u in &file.decls.uses {
                ix.uses.entry(&u.module).or_default().push(u);
            }
        }
        ix
    }

    pub(super) fn resolve(&self, caller: &FnSummary, call: &CallFact) -> Vec<FnId> {
        let mut out = match &call.callee {
            Callee::Path(segs) => self.path(caller, segs),
            Callee::Method { name, receiver } => self.method(caller, name, receiver),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    fn is_package_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
            || self.traits.contains(name)
            || self.impls_of.contains_key(name)
    }

    /// A type alias's target, else the name.
    fn unalias<'n>(&'n self, name: &'n str) -> &'n str {
        let mut cur = name;
        for _ in 0..8 {
            match self
                .types
                .get(cur)
                .and_then(|ts| ts.iter().find_map(|t| t.alias_of.as_deref()))
            {
                Some(next) if next != cur => cur = next,
                _ => break,
            }
        }
        cur
    }

    /// The methods `Type::name` may mean.
    fn type_method(&self, ty: &str, name: &str) -> Vec<FnId> {
        let ty = self.unalias(ty);
        if let Some(v) = self.by_owner.get(&(ty, name)) {
            return v.clone();
        }
        let mut out = Vec::new();
        if let Some(traits) = self.impls_of.get(ty) {
            for t in traits {
                if let Some(v) = self.by_trait.get(&(*t, name)) {
                    out.extend(v.iter().filter(|f| self.summaries[**f].is_trait_default()));
                }
            }
        }
        if out.is_empty()
            && self.traits.contains(ty)
            && let Some(v) = self.by_trait.get(&(ty, name))
        {
            out.extend(v);
        }
        out
    }

    fn path(&self, caller: &FnSummary, segs: &[String]) -> Vec<FnId> {
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        let last = &segs[segs.len() - 1];
        if first == "Self" && segs.len() == 2 {
            return match caller.self_ty.as_ref().or(caller.trait_name.as_ref()) {
                Some(t) => self.type_method(t, last),
                None => Vec::new(),
            };
        }
        if matches!(first.as_str(), "crate" | "self" | "super") {
            for p in absolute_paths(&caller.module, segs) {
                let r = self.lookup(&p, 0);
                if !r.is_empty() {
                    return r;
                }
            }
            return Vec::new();
        }
        if segs.len() == 1 {
            // Fns nested in the caller or in the fns around it, innermost first.
            let mut scope = caller.module.clone();
            scope.extend(caller.enclosing_fns.iter().cloned());
            scope.push(caller.name.clone());
            while scope.len() > caller.module.len() {
                let mut p = scope.clone();
                p.push(first.clone());
                if let Some(v) = self.by_path.get(&p) {
                    return v.clone();
                }
                scope.pop();
            }
        }
        let mut relative = caller.module.clone();
        relative.extend(segs.iter().cloned());
        let r = self.lookup(&relative, 0);
        if !r.is_empty() {
            return r;
        }
        let imports = self.uses.get(caller.module.as_slice());
        let named: Vec<&&UseDecl> = imports
            .map(|v| v.iter().filter(|u| u.alias == *first).collect())
            .unwrap_or_default();
        if !named.is_empty() {
            for u in named {
                for t in &u.targets {
                    let mut p = t.clone();
                    p.extend(segs[1..].iter().cloned());
                    let r = self.lookup(&p, 0);
                    if !r.is_empty() {
                        return r;
                    }
                }
            }
            // Imported from outside the package.
            return Vec::new();
        }
        if !caller.module.is_empty() {
            let r = self.lookup(segs, 0);
            if !r.is_empty() {
                return r;
            }
        }
        if segs.len() >= 2 {
            let ty = &segs[segs.len() - 2];
            if ty.starts_with(|c: char| c.is_ascii_uppercase()) {
                return self.type_method(ty, last);
            }
        }
        for u in imports.into_iter().flatten().filter(|u| u.alias == "*") {
            for t in &u.targets {
                let mut p = t.clone();
                p.extend(segs.iter().cloned());
                let r = self.lookup(&p, 0);
                if !r.is_empty() {
                    return r;
                }
            }
        }
        if segs.len() == 1 && !STD_FNS.contains(&first.as_str()) {
            return self.free.get(first.as_str()).cloned().unwrap_or_default();
        }
        Vec::new()
    }

    /// The fns at a crate-root path, following `use` imports and re-exports on the way.
    /// Memoized: glob imports and re-exports (`use super::*`, `pub use a::*`) reach the same
    /// paths many ways and may form cycles.
    fn lookup(&self, path: &[String], depth: usize) -> Vec<FnId> {
        if let Some(v) = self.by_path.get(path) {
            return v.clone();
        }
        match self.memo.borrow().get(path) {
            Some(Some(v)) => return v.clone(),
            // In progress: a cycle of imports.
            Some(None) => return Vec::new(),
            None => {}
        }
        if depth > 32 || self.memo.borrow().len() > MEMO_BUDGET {
            return Vec::new();
        }
        self.memo.borrow_mut().insert(path.to_vec(), None);
        let found = self.follow_imports(path, depth);
        self.memo
            .borrow_mut()
            .insert(path.to_vec(), Some(found.clone()));
        found
    }

    fn follow_imports(&self, path: &[String], depth: usize) -> Vec<FnId> {
        for i in (0..path.len()).rev() {
            let Some(uses) = self.uses.get(&path[..i]) else {
                continue;
            };
            // A name imported by name shadows the glob imports of its module.
            let named = uses.iter().any(|u| u.alias == path[i]);
            for u in uses {
                // A glob supplies the last name (the fn), never a module on the way: read
                // as a module, `use crate::m::*` at the root would make `m::x` also
                // `m::m::x`, `m::m::m::x`, ..
                let rest = if u.alias == path[i] {
                    &path[i + 1..]
                } else if u.alias == "*" && !named && i + 1 == path.len() {
                    &path[i..]
                } else {
                    continue;
                };
                for t in &u.targets {
                    let mut p = t.clone();
                    p.extend(rest.iter().cloned());
                    if p.as_slice() == path {
                        continue;
                    }
                    let r = self.lookup(&p, depth + 1);
                    if !r.is_empty() {
                        return r;
                    }
                }
            }
        }
        Vec::new()
    }

    fn method(&self, caller: &FnSummary, name: &str, receiver: &[String]) -> Vec<FnId> {
        if receiver.is_empty() {
            return Vec::new();
        }
        // `X::builder().a(..).b(..)`: setters of a builder, not the package's `a` or `b`.
        if receiver.iter().any(|seg| seg.ends_with("builder()")) {
            return Vec::new();
        }
        match self.type_of(caller, receiver, 0) {
            Ty::Known(t) if self.is_package_type(self.unalias(&t)) => self.type_method(&t, name),
            Ty::Known(_) | Ty::Foreign => Vec::new(),
            // A receiver whose type the syntax does not tell: only a name that one method of
            // the package has, and that no other type is likely to have (issue 15 §6).
            Ty::Unknown => {
                if STD_METHODS.contains(&name) || is_common_verb(name) {
                    return Vec::new();
                }
                match self.methods.get(name) {
                    Some(c) if c.len() == 1 => c.clone(),
                    _ => Vec::new(),
                }
            }
        }
    }

    /// The type of a receiver chain in `caller`.
    fn type_of(&self, caller: &FnSummary, chain: &[String], depth: usize) -> Ty {
        if depth > 8 {
            return Ty::Unknown;
        }
        let Some(root) = chain.first() else {
            return Ty::Unknown;
        };
        let owner = || {
            caller
                .self_ty
                .as_ref()
                .or(caller.trait_name.as_ref())
                .map_or(Ty::Unknown, |t| Ty::Known(t.clone()))
        };
        let mut ty = if root == "self" {
            owner()
        } else if let Some(call) = root.strip_suffix("()") {
            let segs: Vec<String> = call.split("::").map(str::to_owned).collect();
            self.returned(&self.path(caller, &segs), || {
                let n = segs.len();
                let ctor = segs[n - 1] == "new"
                    || segs[n - 1] == "default"
                    || segs[n - 1].starts_with("from")
                    || segs[n - 1].starts_with("with");
                (n >= 2 && ctor).then(|| segs[n - 2].clone())
            })
        } else {
            match caller
                .locals
                .iter()
                .find(|(n, _)| n == root)
                .map(|(_, t)| t)
            {
                Some(LocalTy::Named(n)) if n == "Self" => owner(),
                Some(LocalTy::Named(n)) => Ty::Known(n.clone()),
                Some(LocalTy::Alias(ch)) if ch.as_slice() != chain => {
                    self.type_of(caller, ch, depth + 1)
                }
                _ => Ty::Unknown,
            }
        };
        for seg in &chain[1..] {
            ty = match ty {
                Ty::Known(t) => {
                    let t = self.unalias(&t).to_owned();
                    if !self.is_package_type(&t) {
                        Ty::Foreign
                    } else if let Some(m) = seg.strip_suffix("()") {
                        self.returned(&self.type_method(&t, m), || None)
                    } else {
                        self.types
                            .get(t.as_str())
                            .and_then(|ts| {
                                ts.iter().find_map(|d| {
                                    d.fields.iter().find(|(f, _)| f == seg).map(|(_, ft)| ft)
                                })
                            })
                            .map_or(Ty::Unknown, |ft| Ty::Known(ft.clone()))
                    }
                }
                other => return other,
            };
        }
        ty
    }

    /// The return type of the one fn in `cands`, else `fallback`'s type.
    fn returned(&self, cands: &[FnId], fallback: impl FnOnce() -> Option<String>) -> Ty {
        match cands {
            [one] => self.summaries[*one]
                .ret
                .clone()
                .map_or(Ty::Unknown, Ty::Known),
            [] => fallback().map_or(Ty::Unknown, Ty::Known),
            _ => Ty::Unknown,
        }
    }
}

/// Method names many types have (CRUD verbs, accessors, builder setters): on a receiver of
/// unknown type they say nothing about which fn is called.
const COMMON_VERBS: &[&str] = &[
    "add", "build", "call", "close", "commit", "create", "delete", "exec", "execute", "fetch",
    "find", "flush", "get", "handle", "insert", "list", "load", "new", "open", "process",
    "publish", "push", "put", "query", "read", "remove", "run", "save", "send", "set", "start",
    "stop", "store", "update", "upsert", "write",
];

/// A common verb, or a builder setter or accessor by its prefix (`with_x`, `set_x`, `get_x`).
fn is_common_verb(name: &str) -> bool {
    COMMON_VERBS.contains(&name)
        || [
            "with_", "set_", "get_", "is_", "has_", "to_", "as_", "into_",
        ]
        .iter()
        .any(|p| name.starts_with(p))
}
