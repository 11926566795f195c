//! Loop contexts from iterator and stream adapters, told apart from `Option::map`.

use syn::visit::Visit;

use crate::rust::handles::Shape;

/// Adapters that exist only on iterators and streams: their closure always runs per item.
const ALWAYS_MANY: &[&str] = &[
    "for_each",
    "try_for_each",
    "for_each_concurrent",
    "try_for_each_concurrent",
    "filter_map",
    "flat_map",
    "fold",
    "try_fold",
    "scan",
    "take_while",
    "skip_while",
    "map_while",
    "find_map",
    "position",
    "any",
    "all",
    "partition",
    "retain",
    "sort_by_key",
    "sort_by_cached_key",
    "max_by_key",
    "min_by_key",
    "try_filter_map",
    "and_then_ok",
    "map_ok",
    "try_filter",
    "filter",
];

/// Adapters that also exist on `Option`, `Result`, futures or `bool` (`map`, `and_then`,
/// `then`): a loop only when the receiver is known to be many values.
const AMBIGUOUS: &[&str] = &["map", "and_then", "then", "inspect", "or_else", "zip"];

/// Methods that start an iteration, so the receiver chain holds many values.
const SOURCES: &[&str] = &[
    "load",
    "load_iter",
    "load_stream",
    "get_results",
    "iter",
    "into_iter",
    "iter_mut",
    "par_iter",
    "into_par_iter",
    "par_iter_mut",
    "chars",
    "bytes",
    "lines",
    "keys",
    "values",
    "values_mut",
    "drain",
    "windows",
    "chunks",
    "chunks_exact",
    "split",
    "enumerate",
    "into_stream",
    "buffer_unordered",
    "buffered",
    "rev",
    "skip",
    "step_by",
    "chain",
    "cycle",
    "peekable",
];

/// Methods on both iterators and `Option`/`Result`: the result has the receiver's shape.
const PRESERVING: &[&str] = &[
    "take",
    "flatten",
    "cloned",
    "copied",
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "by_ref",
    "clone",
    "to_owned",
];

/// Methods whose result is a single value (a closure on it runs once).
const SINGLE: &[&str] = &[
    "ok",
    "err",
    "first",
    "last",
    "next",
    "get",
    "find",
    "pop",
    "parse",
    "nth",
    "max",
    "min",
    "reduce",
    "ok_or",
    "ok_or_else",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "contains",
    "is_empty",
    "checked_add",
    "checked_sub",
    "checked_mul",
    "checked_div",
];

/// Free fns (last path segment) that build an iterator or stream.
const SOURCE_FNS: &[&str] = &[
    "iter",
    "repeat",
    "repeat_with",
    "from_fn",
    "successors",
    "unfold",
    "once",
    "select_all",
    "zip",
];

/// Is a closure passed to `method` on a receiver of shape `receiver` a loop body?
pub fn is_loop_adapter(method: &str, receiver: Shape) -> bool {
    if ALWAYS_MANY.contains(&method) {
        // `Option::filter` exists too; trust a known single receiver.
        return receiver != Shape::One;
    }
    AMBIGUOUS.contains(&method) && receiver == Shape::Many
}

/// The shape of `receiver.method(..)` given the receiver's shape.
pub fn method_shape(method: &str, receiver: Shape) -> Shape {
    if PRESERVING.contains(&method) {
        receiver
    } else if SOURCES.contains(&method) {
        Shape::Many
    } else if SINGLE.contains(&method) {
        Shape::One
    } else if ALWAYS_MANY.contains(&method) || AMBIGUOUS.contains(&method) {
        match method {
            "fold" | "try_fold" | "any" | "all" | "position" | "find_map" | "for_each"
            | "try_for_each" | "partition" => Shape::Unknown,
            _ => receiver,
        }
    } else {
        Shape::Unknown
    }
}

/// The shape of a call to a free fn with this path (`stream::iter(..)`, `Some(..)`).
pub fn call_shape(path: &[String]) -> Shape {
    let Some(last) = path.last() else {
        return Shape::Unknown;
    };
    match last.as_str() {
        "Some" | "Ok" | "Err" => Shape::One,
        l if SOURCE_FNS.contains(&l) => {
            let iter_mod = path.len() == 1
                || path
                    .iter()
                    .any(|p| p == "stream" || p == "iter" || p == "futures" || p == "futures_util");
            if iter_mod {
                Shape::Many
            } else {
                Shape::Unknown
            }
        }
        _ => Shape::Unknown,
    }
}

/// Can the body of a loop labelled `label` leave it early: an unlabelled `break` outside a
/// nested loop, a `break 'label`, or a `return` outside a nested closure, async block or
/// item? (`?` is not counted: it leaves on an error, not when the work is done.)
pub fn body_exits(body: &syn::Block, label: Option<&syn::Label>) -> bool {
    struct Exits<'a> {
        label: Option<&'a syn::Lifetime>,
        nested_loops: usize,
        depth: usize,
        found: bool,
    }
    impl Exits<'_> {
        fn nested(&mut self, f: impl FnOnce(&mut Self)) {
            self.nested_loops += 1;
            f(self);
            self.nested_loops -= 1;
        }
    }
    impl<'ast> Visit<'ast> for Exits<'_> {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            // As deep as the walk goes, no deeper (no stack overflow on hostile input).
            if self.found || self.depth >= crate::rust::walk::MAX_DEPTH {
                return;
            }
            self.depth += 1;
            syn::visit::visit_expr(self, e);
            self.depth -= 1;
        }
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            let ours = match (&b.label, self.label) {
                (None, _) => self.nested_loops == 0,
                (Some(l), Some(own)) => l.ident == own.ident,
                (Some(_), None) => false,
            };
            self.found |= ours;
            syn::visit::visit_expr_break(self, b);
        }
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.found = true;
        }
        fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
            self.nested(|v| syn::visit::visit_expr_for_loop(v, e));
        }
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.nested(|v| syn::visit::visit_expr_while(v, e));
        }
        fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
            self.nested(|v| syn::visit::visit_expr_loop(v, e));
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = Exits {
        label: label.map(|l| &l.name),
        nested_loops: 0,
        depth: 0,
        found: false,
    };
    v.visit_block(body);
    v.found
}
