//! A search through an expression tree, for the syntax checks that ask "is there an
//! expression like this inside?" (loop natures, transaction wrappers). As deep as the walk
//! goes and no deeper; nested items are other fns and are not entered.

use syn::visit::Visit;

use crate::rust::walk::MAX_DEPTH;

/// Does `pred` hold for `e` or an expression inside it? The search stops at the first hit and
/// does not look inside a hit.
pub fn any_expr(e: &syn::Expr, pred: &dyn Fn(&syn::Expr) -> bool) -> bool {
    let mut v = Any::new(pred, &|_| false);
    v.visit_expr(e);
    v.found
}

/// [`any_expr`] over the statements of a block.
pub fn any_expr_in_block(b: &syn::Block, pred: &dyn Fn(&syn::Expr) -> bool) -> bool {
    any_in_block(b, pred, &|_| false)
}

/// [`any_expr_in_block`] that also asks `mac` about every macro call (whose tokens are not
/// expressions to search).
pub fn any_in_block(
    b: &syn::Block,
    pred: &dyn Fn(&syn::Expr) -> bool,
    mac: &dyn Fn(&syn::Macro) -> bool,
) -> bool {
    let mut v = Any::new(pred, mac);
    v.visit_block(b);
    v.found
}

struct Any<'p> {
    pred: &'p dyn Fn(&syn::Expr) -> bool,
    mac: &'p dyn Fn(&syn::Macro) -> bool,
    found: bool,
    depth: usize,
}

impl<'p> Any<'p> {
    fn new(pred: &'p dyn Fn(&syn::Expr) -> bool, mac: &'p dyn Fn(&syn::Macro) -> bool) -> Self {
        Any {
            pred,
            mac,
            found: false,
            depth: 0,
        }
    }
}

impl<'ast> Visit<'ast> for Any<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if self.found || self.depth >= MAX_DEPTH {
            return;
        }
        if (self.pred)(e) {
            self.found = true;
            return;
        }
        self.depth += 1;
        syn::visit::visit_expr(self, e);
        self.depth -= 1;
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.found |= (self.mac)(m);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
