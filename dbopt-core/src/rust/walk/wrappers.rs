//! Configured wrapper macros (`wrapper_macros = ["db_run"]`, `#[db_checked(wrapper_macros(..))]`):
//! project macros whose body runs with a connection, as vaultwarden's `db_run!` hides every
//! Diesel call. Their tokens are read best effort and walked with an implicit connection:
//!
//! * `db_run!(conn: { .. })` / `db_run!(conn => ..)`: the leading name is a connection;
//! * a closure among the arguments (`db_run!(|c| ..)`, `db_run!(pool, move |c| ..)`): its
//!   parameters are connections;
//! * an executor given a name bound nowhere (`db_run!(users.load(conn))`, where the macro
//!   brings `conn` into scope): that name is the connection;
//! * tokens that are neither expressions nor statements (`db_run!(conn: sqlite { .. }
//!   postgresql { .. })`): each `{ .. }` group is a block, the groups alternatives (only one
//!   backend's body runs).
//!
//! A wrapper whose body shows no round trip is one round trip itself: running it takes a
//! connection and, as it exists to run database code, talks to the database.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::parse::Parser;
use syn::punctuated::Punctuated;

use crate::rust::calls::EXECUTORS;
use crate::rust::handles::{Binding, HandleKind, Shape};
use crate::rust::model::{Cost, TripKind};
use crate::rust::txn::as_closure;

use super::{Val, Walker};

impl Walker<'_> {
    /// Is `mac` a configured wrapper macro?
    pub(super) fn is_wrapper(&self, mac: &syn::Macro) -> bool {
        if self.opts.wrapper_macros.is_empty() {
            return false;
        }
        let path: Vec<String> = mac
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        self.opts.is_wrapper_macro(&path)
    }

    /// Walks a wrapper macro's tokens with an implicit connection.
    pub(super) fn wrapper(&mut self, mac: &syn::Macro, name: &str, span: Span) -> Val {
        let before = self.round_trips.len();
        self.env.push();
        self.implicit += 1;
        let tokens = self.bind_leading_conn(mac.tokens.clone());
        self.wrapper_tokens(tokens);
        self.implicit -= 1;
        self.env.pop();
        if self.round_trips.len() == before {
            self.trip(
                span,
                format!("{name}!(..)"),
                name.to_owned(),
                TripKind::Macro,
                None,
                None,
                None,
            );
        }
        Val::default()
    }

    /// `conn: rest` or `conn => rest`: binds `conn` as a connection and returns `rest`;
    /// other tokens are returned unchanged.
    fn bind_leading_conn(&mut self, tokens: TokenStream) -> TokenStream {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let (Some(TokenTree::Ident(id)), Some(TokenTree::Punct(p))) = (trees.first(), trees.get(1))
        else {
            return tokens;
        };
        let rest = match (p.as_char(), trees.get(2)) {
            // `conn: ..`, but not `conn::path` or `conn := ..`.
            (':', Some(TokenTree::Punct(q))) if q.as_char() == ':' => return tokens,
            (':', _) => 2,
            // `conn => ..`
            ('=', Some(TokenTree::Punct(q))) if q.as_char() == '>' => 3,
            _ => return tokens,
        };
        self.env.bind(
            id.to_string(),
            Binding {
                handle: Some(HandleKind::Conn),
                shape: Shape::Unknown,
            },
        );
        trees.into_iter().skip(rest).collect()
    }

    fn wrapper_tokens(&mut self, tokens: TokenStream) {
        let exprs = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(list) = exprs.parse2(tokens.clone()) {
            for e in &list {
                match as_closure(e) {
                    Some(c) => self.closure(c, Some(HandleKind::Conn)),
                    None => {
                        self.expr(e);
                    }
                }
            }
            return;
        }
        if let Ok(stmts) = syn::Block::parse_within.parse2(tokens.clone()) {
            for s in &stmts {
                self.stmt(s);
            }
            return;
        }
        // `sqlite, mysql { .. } postgresql { .. }`: one alternative per braced block.
        let mut arms = Vec::new();
        for tt in tokens {
            if let TokenTree::Group(g) = tt
                && g.delimiter() == Delimiter::Brace
                && let Ok(stmts) = syn::Block::parse_within.parse2(g.stream())
            {
                arms.push(self.arm(|w| {
                    w.env.push();
                    for s in &stmts {
                        w.stmt(s);
                    }
                    w.env.pop();
                }));
            }
        }
        match arms.len() {
            0 => {}
            1 => {
                for c in arms.pop().unwrap_or_default() {
                    self.push_cost(c);
                }
            }
            _ => self.push_cost(Cost::Alt(arms)),
        }
    }

    /// Inside a wrapper macro, is `arg` of executor `method` the implicit connection: a plain
    /// name (maybe borrowed) that nothing in the fn binds?
    pub(super) fn implicit_conn(&self, method: &str, arg: &syn::Expr) -> bool {
        if self.implicit == 0 || !EXECUTORS.contains(&method) {
            return false;
        }
        let mut e = arg;
        loop {
            match e {
                syn::Expr::Reference(r) => e = &r.expr,
                syn::Expr::Paren(p) => e = &p.expr,
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
                _ => break,
            }
        }
        match e {
            syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().is_some_and(|id| {
                let name = id.to_string();
                self.env.get(&name).is_none()
                    && name
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_lowercase() || c == '_')
            }),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rust::testing::{hits_with, run_with, spans_with};

    const WRAP: &str = "wrapper_macros(db_run)";

    #[test]
    fn closure_and_free_connection_forms_in_a_loop_are_n_plus_one() {
        let src = r#"fn f(pool: &DbPool, ids: Vec<i32>) {
    for id in &ids {
        db_run!(|c| users.find(*id).first::<User>(c));
        db_run!(pool, move |conn| { posts.filter(user_id.eq(*id)).load::<Post>(conn) });
        db_run!(users.filter(name.eq("x")).load::<User>(conn));
    }
}"#;
        assert_eq!(
            spans_with(src, WRAP, "n_plus_one"),
            vec![(3, 37, "first".to_owned()),]
        );
        // One loop, one finding: the other two round trips are its secondary labels.
        let d = crate::rust::testing::run_with(src, WRAP);
        let more: Vec<(usize, usize, &str)> = d[0]
            .secondary
            .iter()
            .map(|l| {
                (
                    l.span.start().line,
                    l.span.start().column + 1,
                    l.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            more,
            vec![
                (2, 5, "the `for` loop"),
                (4, 67, "another query in the same loop: `load`"),
                (5, 44, "another query in the same loop: `load`"),
            ]
        );
        // Unnamed, only the call that mentions the pool is seen, as one opaque round trip.
        assert_eq!(
            spans_with(src, "", "n_plus_one"),
            vec![(4, 9, "db_run".to_owned())]
        );
    }

    #[test]
    fn vaultwarden_style_leading_connection_and_backend_blocks() {
        let src = r#"async fn find(conn: &DbConn, uuids: &[String]) {
    for uuid in uuids {
        db_run! { conn: {
            users::table.filter(users::uuid.eq(uuid)).first::<UserDb>(conn).ok()
        }}
    }
    db_run! { db:
        sqlite, mysql {
            diesel::insert_into(users::table).values(&a).execute(db)?;
        }
        postgresql {
            diesel::insert_into(users::table).values(&a).on_conflict_do_nothing().execute(db)?;
        }
    }
}"#;
        assert_eq!(
            spans_with(src, WRAP, "n_plus_one"),
            vec![(4, 55, "first".to_owned())]
        );
        // Alternatives: at most one insert runs, so one write.
        assert!(hits_with(src, WRAP, "write_outside_transaction").is_empty());
        let body = src
            .split_once("    db_run! { db:")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let once = format!("fn g(a: A) {{ db_run! {{ db:{body}");
        assert!(hits_with(&once, &format!("{WRAP}, max_queries = 1"), "query_budget").is_empty());
        assert_eq!(
            hits_with(
                &once,
                "wrapper_macros(db_run), max_queries = 0",
                "query_budget"
            )
            .len(),
            1
        );
    }

    #[test]
    fn writes_in_wrappers_count() {
        let src = r#"fn transfer(a: i32, b: i32) {
    db_run!(|c| diesel::update(accounts.find(a)).set(balance.eq(balance - 1)).execute(c))?;
    crate::db_run!(|c| diesel::update(accounts.find(b)).set(balance.eq(balance + 1)).execute(c))?;
}"#;
        let d = run_with(src, WRAP);
        let rules: Vec<&str> = d.iter().map(|d| d.rule).collect();
        assert_eq!(rules, ["write_outside_transaction"]);
        assert_eq!(
            spans_with(src, "", "write_outside_transaction"),
            Vec::<(usize, usize, String)>::new()
        );
    }

    #[test]
    fn an_opaque_wrapper_is_one_round_trip() {
        let src = r#"fn f(ids: Vec<i32>) {
    for id in ids {
        my_crate::with_conn!(refresh(id));
        other::with_conn!(refresh(id));
    }
}"#;
        assert_eq!(
            spans_with(src, "wrapper_macros(my_crate::with_conn)", "n_plus_one"),
            vec![(3, 19, "with_conn".to_owned())]
        );
        let d = &run_with(src, "wrapper_macros(my_crate::with_conn)")[0];
        assert_eq!(
            d.message,
            "query inside a loop: `with_conn!(..)` runs once per iteration of the `for` loop"
        );
    }

    #[test]
    fn bound_names_and_non_executors_are_not_the_implicit_connection() {
        let src = r#"fn f(counter: AtomicUsize, v: Vec<i32>) {
    let order = Ordering::SeqCst;
    for x in &v {
        db_run!(|c| { let n = counter.load(order); let m = counter.load(Ordering::Relaxed); helper(c, *x) });
    }
}"#;
        assert_eq!(
            spans_with(src, WRAP, "n_plus_one"),
            vec![(4, 93, "helper".to_owned())]
        );
    }
}
