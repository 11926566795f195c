//! `n_plus_one` through called fns: call chains across modules, traits and impls, handles in
//! `self`, fields and closures, recursion, ambiguity and path resolution.

use super::*;

const HANDLERS: &str = r#"use crate::service::UserService;

pub fn list_users(svc: &UserService, ids: &[i32]) -> Vec<User> {
    let mut out = Vec::new();
    for id in ids {
        out.push(svc.user(*id));
    }
    out
}

pub fn one_user(svc: &UserService, id: i32) -> User {
    svc.user(id)
}
"#;

#[test]
fn a_call_chain_across_modules_reports_each_loop_once_at_its_own_level() {
    let files = [
        ("handlers", HANDLERS),
        ("service", SERVICE),
        ("repo::users", USERS_REPO),
    ];
    assert_eq!(
        scan(&files),
        [
            hit(
                "n_plus_one",
                0,
                6,
                "query inside a loop: `svc.user(..)` queries the database through \
                 `UserService::user` once per iteration of the `for` loop"
            ),
            hit(
                "n_plus_one",
                1,
                13,
                "query inside a loop: `self.repo.find(..)` queries the database through \
                 `UserRepo::find` once per iteration of the closure passed to `.map(..)`"
            ),
        ]
    );
    let (diags, _) = scan_full(&files);
    assert_eq!(
        labels(&files, &diags[0]),
        [
            (0, 5, "the `for` loop".to_owned()),
            (2, 8, "`UserRepo::find` makes a query here".to_owned()),
        ]
    );
    assert_eq!(diags[0].data["via"], "service::UserService::user");
    assert_eq!(diags[1].data["via"], "repo::users::UserRepo::find");
    assert_eq!(diags[1].data["call"], "find");
}

const STORE: &str = r#"pub trait OrderStore {
    fn pool(&self) -> &DbPool;

    fn order(&self, id: i32) -> Order {
        let mut conn = self.pool().get().unwrap();
        orders::table.find(id).first(&mut conn).unwrap()
    }

    fn save(&self, o: &Order);
}

pub struct PgOrders {
    pool: DbPool,
}

impl OrderStore for PgOrders {
    fn pool(&self) -> &DbPool {
        &self.pool
    }

    fn save(&self, o: &Order) {
        let mut conn = self.pool.get().unwrap();
        diesel::update(orders::table.find(o.id)).set(o).execute(&mut conn).unwrap();
    }
}
"#;

const PRICING: &str = r#"use crate::store::{OrderStore, PgOrders};

pub fn reprice(store: &PgOrders, ids: &[i32]) {
    for id in ids {
        let o = store.order(*id);
        store.save(&o)?;
    }
}

pub fn reprice_any(store: &dyn OrderStore, orders: Vec<Order>) {
    orders.iter().for_each(|o| store.save(o));
}
"#;

#[test]
fn trait_default_methods_impl_methods_and_trait_objects() {
    let files = [("store", STORE), ("pricing", PRICING)];
    assert_eq!(
        scan(&files),
        [
            hit(
                "n_plus_one",
                1,
                5,
                "query inside a loop: `store.order(..)` queries the database through \
                 `OrderStore::order` once per iteration of the `for` loop"
            ),
            hit(
                "write_outside_transaction",
                1,
                6,
                "writes outside a transaction: `store.save(..)` runs once per iteration of \
                 the `for` loop"
            ),
            hit(
                "n_plus_one",
                1,
                11,
                "query inside a loop: `store.save(..)` queries the database through \
                 `PgOrders::save` once per iteration of the closure passed to `.for_each(..)`"
            ),
        ]
    );
    let (diags, _) = scan_full(&files);
    assert_eq!(diags[0].data["via"], "store::OrderStore::order");
    assert_eq!(
        labels(&files, &diags[1]),
        [(0, 23, "`PgOrders::save` writes `orders` here".to_owned())]
    );
}

const MAILER: &str = r#"pub struct Mailer {
    pool: DbPool,
}

impl Mailer {
    pub async fn recipients(&self, list: i32) -> Vec<String> {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().unwrap();
            subscribers::table
                .filter(subscribers::list.eq(list))
                .select(subscribers::email)
                .load(&mut conn)
        })
        .await
        .unwrap()
        .unwrap()
    }
}

pub async fn send_all(mailer: Mailer, lists: Vec<i32>) {
    let pending = lists.into_iter().map(|l| mailer.recipients(l));
    join_all(pending).await;
}
"#;

const AUDIT: &str = r#"pub struct Audit {
    conn: PgConnection,
}

impl Audit {
    pub fn record(&mut self, event: &str) {
        diesel::insert_into(audit_log::table)
            .values(audit_log::event.eq(event))
            .execute(&mut self.conn)
            .unwrap();
    }
}

pub fn import(audit: &mut Audit, rows: &[Row]) {
    for r in rows {
        audit.record(&r.name)?;
    }
}
"#;

#[test]
fn a_pool_captured_by_a_closure_and_a_connection_in_a_struct_field() {
    let files = [("jobs", MAILER), ("audit", AUDIT)];
    assert_eq!(
        scan(&files),
        [
            hit(
                "n_plus_one",
                0,
                22,
                "query inside a loop: `mailer.recipients(..)` queries the database through \
                 `Mailer::recipients` once per iteration of the closure passed to `.map(..)`"
            ),
            hit(
                "n_plus_one",
                1,
                16,
                "query inside a loop: `audit.record(..)` queries the database through \
                 `Audit::record` once per iteration of the `for` loop"
            ),
            hit(
                "write_outside_transaction",
                1,
                16,
                "writes outside a transaction: `audit.record(..)` runs once per iteration of \
                 the `for` loop"
            ),
        ]
    );
    let (diags, _) = scan_full(&files);
    assert_eq!(
        labels(&files, &diags[0]),
        [
            (0, 22, "the closure passed to `.map(..)`".to_owned()),
            (0, 13, "`Mailer::recipients` makes a query here".to_owned()),
        ]
    );
}

const TREE: &str = r#"pub struct Tree {
    pool: DbPool,
}

impl Tree {
    pub fn size(&self, id: i32) -> usize {
        let mut n = 1;
        for k in self.children(id) {
            n += self.size(k);
        }
        n
    }

    fn children(&self, id: i32) -> Vec<i32> {
        let mut conn = self.pool.get().unwrap();
        nodes::table
            .filter(nodes::parent.eq(id))
            .select(nodes::id)
            .load(&mut conn)
            .unwrap()
    }

    pub fn prune(&self, id: i32) {
        self.remove(id);
        for k in self.children(id) {
            self.prune(k)?;
        }
    }

    fn remove(&self, id: i32) {
        let mut conn = self.pool.get().unwrap();
        diesel::delete(nodes::table.find(id)).execute(&mut conn).unwrap();
    }

    fn ping(&self, n: u32) -> u32 {
        if n == 0 { 0 } else { self.pong(n - 1) }
    }

    fn pong(&self, n: u32) -> u32 {
        self.ping(n)
    }
}
"#;

#[test]
fn recursion_terminates_and_recursive_calls_in_loops_are_found() {
    let files = [("tree", TREE)];
    assert_eq!(
        scan(&files),
        [
            hit(
                "n_plus_one",
                0,
                9,
                "query inside a loop: `self.size(..)` queries the database through \
                 `Tree::size` once per iteration of the `for` loop"
            ),
            hit(
                "n_plus_one",
                0,
                26,
                "query inside a loop: `self.prune(..)` queries the database through \
                 `Tree::prune` once per iteration of the `for` loop"
            ),
            hit(
                "write_outside_transaction",
                0,
                26,
                "writes outside a transaction: `self.prune(..)` runs once per iteration of \
                 the `for` loop"
            ),
        ]
    );
}

const AMBIGUOUS: &str = r#"pub struct Users {
    pool: DbPool,
}

pub struct Cache {
    entries: Vec<User>,
}

impl Users {
    pub fn fetch(&self, id: i32) -> User {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first(&mut conn).unwrap()
    }

    pub fn refresh(&self, id: i32) {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first::<User>(&mut conn).unwrap();
    }

    pub fn reindex_user(&self, id: i32) {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first::<User>(&mut conn).unwrap();
    }

    pub fn update(&self, id: i32) {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first::<User>(&mut conn).unwrap();
    }
}

impl Cache {
    pub fn fetch(&self, id: i32) -> User {
        self.entries[id as usize].clone()
    }
}

pub struct Posts {
    pool: DbPool,
}

impl Posts {
    pub fn refresh(&self, id: i32) {
        let mut conn = self.pool.get().unwrap();
        posts::table.find(id).first::<Post>(&mut conn).unwrap();
    }
}

pub fn warm(sources: Vec<Source>, ids: &[i32]) {
    sources.iter().for_each(|s| {
        s.fetch(1);
        s.refresh(1);
        s.update(1);
        s.len();
        s.reindex_user(1);
        Source::builder().reindex_user(1);
    });
}
"#;

#[test]
fn methods_on_unknown_receivers_resolve_only_to_a_unique_uncommon_name() {
    // `s` is an untyped closure parameter: `fetch` and `refresh` have two candidates, `update`
    // is a common verb, `len` a std method, and a builder's setters are not package fns;
    // only `reindex_user`, one method of the package, resolves (issue 15 §6).
    let files = [("", AMBIGUOUS)];
    assert_eq!(
        scan(&files),
        [hit(
            "n_plus_one",
            0,
            54,
            "query inside a loop: `s.reindex_user(..)` queries the database through \
             `Users::reindex_user` once per iteration of the closure passed to `.for_each(..)`"
        )]
    );
}

const REPO_MOD: &str = r#"mod users;

pub use users::find_user;
pub use self::users::*;
"#;

const REPO_USERS: &str = r#"pub fn find_user(id: i32) -> User {
    let conn = &mut establish_connection();
    users::table.find(id).first(conn).unwrap()
}

pub fn find_post(id: i32) -> Post {
    let conn = &mut establish_connection();
    posts::table.find(id).first(conn).unwrap()
}

pub fn spawn(id: i32) {
    let conn = &mut establish_connection();
    jobs::table.find(id).first::<Job>(conn).unwrap();
}
"#;

const PATHS: &str = r#"use crate::repo;
use crate::repo::*;
use tokio::spawn;

pub fn a(ids: &[i32]) {
    for id in ids {
        repo::find_user(*id);
        find_post(*id);
        spawn(*id);
        self::local(*id);
        inner(*id);
    }

    fn inner(id: i32) -> User {
        let conn = &mut establish_connection();
        users::table.find(id).first(conn).unwrap()
    }
}

fn local(id: i32) {
    crate::repo::users::find_user(id);
}
"#;

const ALIASES: &str = r#"pub type Repo = PgRepo;

pub struct PgRepo;

impl PgRepo {
    pub fn load(id: i32) -> User {
        let conn = &mut establish_connection();
        users::table.find(id).first(conn).unwrap()
    }

    pub fn load_many(ids: &[i32]) {
        for id in ids {
            Self::load(*id);
        }
    }
}

pub fn b(ids: &[i32]) {
    for id in ids {
        Repo::load(*id);
    }
}
"#;

#[test]
fn paths_resolve_through_imports_reexports_globs_nested_fns_and_aliases() {
    let files = [
        ("repo", REPO_MOD),
        ("repo::users", REPO_USERS),
        ("handlers", PATHS),
        ("types", ALIASES),
    ];
    let msg = |call: &str, via: &str| {
        format!(
            "query inside a loop: `{call}` queries the database through `{via}` once per \
             iteration of the `for` loop"
        )
    };
    assert_eq!(
        scan(&files),
        [
            ("n_plus_one", 2, 7, msg("repo::find_user(..)", "find_user")),
            ("n_plus_one", 3, 13, msg("Self::load(..)", "PgRepo::load")),
            ("n_plus_one", 3, 20, msg("Repo::load(..)", "PgRepo::load")),
        ]
    );
    // One finding per loop: every call that resolved to a querying fn is a label of it.
    let (diags, _) = scan_full(&files);
    let vias: Vec<&str> = diags
        .iter()
        .filter_map(|d| d.data["via"].as_str())
        .collect();
    assert_eq!(
        vias,
        [
            "repo::users::find_user",
            "types::PgRepo::load",
            "types::PgRepo::load"
        ]
    );
    let trips: Vec<Vec<&str>> = diags
        .iter()
        .map(|d| {
            d.data["round_trips"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        trips,
        [
            vec!["find_user", "find_post", "local", "inner"],
            vec!["load"],
            vec!["load"]
        ]
    );
    let more: Vec<&str> = diags[0]
        .secondary
        .iter()
        .filter(|l| l.message.starts_with("another query"))
        .map(|l| l.message.as_str())
        .collect();
    assert_eq!(
        more,
        [
            "another query in the same loop: `find_post(..)`",
            "another query in the same loop: `self::local(..)`",
            "another query in the same loop: `inner(..)`",
        ]
    );
}

const NOT_A_QUERY: &str = r#"pub struct Ctx {
    pool: DbPool,
}

impl Ctx {
    pub fn label(&self) -> String {
        describe(&self.pool)
    }
}

fn describe(pool: &DbPool) -> String {
    format!("{} connections", pool.max_size())
}

pub fn labels(ctx: &Ctx, n: usize) {
    for _ in 0..n {
        ctx.label();
    }
}
"#;

#[test]
fn a_handle_passed_to_a_package_fn_that_never_queries_is_no_round_trip() {
    // The per-fn model counts `describe(&self.pool)` as a round trip (it receives a pool);
    // the package shows `describe` makes none, so `label` makes none either.
    assert_eq!(scan(&[("", NOT_A_QUERY)]), []);
    let querying = NOT_A_QUERY.replace(
        "format!(\"{} connections\", pool.max_size())",
        "pool.get().unwrap().batch_execute(\"SELECT 1\").unwrap();\n    String::new()",
    );
    assert_eq!(
        scan(&[("", querying.as_str())]),
        [hit(
            "n_plus_one",
            0,
            18,
            "query inside a loop: `ctx.label(..)` queries the database through `Ctx::label` \
             once per iteration of the `for` loop"
        )]
    );
}
