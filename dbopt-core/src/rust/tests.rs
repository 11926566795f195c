//! Front-end tests across rules: handle forms, adapters, items and attribute handling.

use proc_macro2::TokenStream;

use crate::diagnostic::Level;
use crate::rust::testing::{hits, hits_with, run, trip_hits};
use crate::rust::{Options, check_attribute, check_item};

fn expansion_errors(attr: &str, item: &str) -> Vec<String> {
    let exp = check_attribute(
        attr.parse().unwrap_or_default(),
        item.parse().unwrap_or_default(),
    );
    exp.errors
        .into_iter()
        .flat_map(|e| e.into_iter().map(|one| one.to_string()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn handle_forms() {
    let src = r#"async fn f(pool: &deadpool_diesel::postgres::Pool, url: &str, c: &mut impl Connection) {
    let a = PgConnection::establish(url)?;
    let b = pool.get().await?;
    let d = &mut pool.get().await.unwrap();
    for i in 0..n {
        g(&mut a, i);
        g(b.deref_mut(), i);
        g(d, i);
        g(c, i);
        Crud::update(pool, i).await;
    }
}"#;
    assert_eq!(
        trip_hits(src, "n_plus_one"),
        vec![(6, 9), (7, 9), (8, 9), (9, 9), (10, 15)]
    );
}

#[test]
fn connections_from_constructor_fns() {
    let src = r#"fn f(ids: Vec<i32>) {
    let conn = &mut establish_connection();
    let mut other = get_connection();
    for id in &ids {
        g(conn, *id);
        h(&mut other, *id);
    }
    conn.transaction(|c| { let third = establish_connection(); Ok(()) })
}"#;
    assert_eq!(trip_hits(src, "n_plus_one"), vec![(5, 9), (6, 9)]);
    assert_eq!(hits(src, "io_in_transaction"), vec![(8, 40)]);
}

#[test]
fn configured_connection_names() {
    let src = r#"fn f(db: &Database, ids: Vec<i32>) {
    for id in ids { g(db, id); }
}"#;
    assert!(hits(src, "n_plus_one").is_empty());
    assert_eq!(hits_with(src, "conn(db)", "n_plus_one"), vec![(2, 21)]);
    let typed = r#"fn f(x: &mut Database, ids: Vec<i32>) {
    for id in ids { g(x, id); }
}"#;
    assert_eq!(
        hits_with(typed, "conn(Database)", "n_plus_one"),
        vec![(2, 21)]
    );
}

#[test]
fn stream_and_iterator_adapters() {
    let src = r#"async fn f(conn: &mut AsyncPgConnection, ids: Vec<i32>, s: impl Stream<Item = i32>) {
    let a = join_all(ids.iter().map(|id| load(conn, *id))).await;
    ids.iter().for_each(|id| { load(conn, *id); });
    let b: Vec<_> = ids.iter().filter_map(|id| load(conn, *id).ok()).collect();
    let c = ids.iter().fold(0, |acc, id| acc + load(conn, *id));
    s.for_each_concurrent(4, |id| async move { load(conn, id).await; }).await;
    s.map(|id| load(conn, id)).buffer_unordered(4).collect::<Vec<_>>().await;
    ids.into_iter().try_for_each(|id| load(conn, id))?;
    let d = users::table.load_iter::<User, DefaultLoadingMode>(conn)?.map(|u| count(conn, u));
    let e = users::table.load_stream::<User>(conn).await?.and_then(|u| count(conn, u));
}"#;
    assert_eq!(
        hits(src, "n_plus_one"),
        vec![
            (2, 42),
            (3, 32),
            (4, 48),
            (5, 48),
            (6, 48),
            (7, 16),
            (8, 39),
            (9, 79),
            (10, 72)
        ]
    );
}

#[test]
fn single_value_closures_are_not_loops() {
    let src = r#"async fn f(conn: &mut PgConnection, ok: bool, fut: impl Future<Output = i32>, slot: Option<i32>) {
    let a = ok.then(|| load(conn, 1));
    let b = maybe_id().map(|id| load(conn, id));
    let c = fut.then(|id| async move { load(conn, id) });
    let d = conn_id.parse::<i32>().map(|id| load(conn, id));
    let e = cache.get(&k).cloned().map(|v| load(conn, v));
    let f = slot.take().map(|v| load(conn, v));
    let g = ids.iter().cloned().map(|v| load(conn, v));
}"#;
    // Only the iterator's `map` (line 8) is a loop.
    assert_eq!(hits(src, "n_plus_one"), vec![(8, 41)]);
}

#[test]
fn impl_blocks_trait_impls_traits_and_modules() {
    let src = r#"mod m {
    impl Repo {
        fn a(&self, conn: &mut PgConnection) { for i in 0..2 { g(conn, i); } }
    }
    impl Store for Repo {
        #[db_checked(allow(n_plus_one))]
        fn b(&self, conn: &mut PgConnection) { for i in 0..2 { g(conn, i); } }
    }
    trait Loader {
        fn c(&self, conn: &mut PgConnection) { for i in 0..2 { g(conn, i); } }
    }
    impl<C: Connection> Other<C> {
        fn d(&self, conn: &mut C) { for i in 0..2 { g(conn, i); } }
    }
}"#;
    assert_eq!(hits(src, "n_plus_one"), vec![(3, 64), (10, 64), (13, 53)]);
}

#[test]
fn inner_attribute_refines_outer_levels() {
    let src = r#"mod m {
    #[db_checked(warn(n_plus_one))]
    fn a(conn: &mut PgConnection, n: i32) { for i in 0..n { g(conn, i); } }
    fn b(conn: &mut PgConnection, n: i32) { for i in 0..n { g(conn, i); } }
}"#;
    let levels: Vec<Level> = crate::rust::testing::run_with(src, "allow(n_plus_one)")
        .iter()
        .map(|d| d.level)
        .collect();
    assert_eq!(levels, vec![Level::Warn]);
    let levels: Vec<Level> = run(src).iter().map(|d| d.level).collect();
    assert_eq!(levels, vec![Level::Warn, Level::Deny]);
}

#[test]
fn check_item_reads_the_attribute_on_the_item() {
    let file: syn::File = syn::parse_str(
        r#"
#[db_checked(allow(n_plus_one))]
fn a(conn: &mut PgConnection) { for i in 0..2 { g(conn, i); } }
#[dbopt_macros::db_checked(read_only)]
fn b(conn: &mut PgConnection) { diesel::delete(t::table).execute(conn); }
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&str> = file
        .items
        .iter()
        .flat_map(|i| check_item(i, &Options::default()))
        .map(|d| d.rule)
        .collect();
    assert_eq!(rules, vec!["write_in_read_only"]);
}

#[test]
fn attribute_misuse_is_reported_with_the_valid_names() {
    let errs = expansion_errors(
        "allow(n_plus_two), frobnicate(x), max_queries = \"3\", read_only",
        "fn f() {}",
    );
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(
        errs[0].starts_with("unknown rule `n_plus_two`; expected one of: connection_in_loop"),
        "{}",
        errs[0]
    );
    assert!(errs[1].starts_with("unknown option `frobnicate`; expected one of: allow, warn"));
    assert_eq!(errs[2], "expected integer literal");
    let errs = expansion_errors("", "fn f() { #[dbopt::allow(everything)] let x = 1; }");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("unknown rule `everything`"));
    let errs = expansion_errors("", "struct S;");
    assert_eq!(
        errs,
        vec!["`#[db_checked]` applies to fns, `impl` blocks, traits and inline modules"]
    );
    // Schema rules are not code rules.
    let errs = expansion_errors("deny(fk_without_index)", "fn f() {}");
    assert!(errs[0].starts_with("unknown rule `fk_without_index`"));
}

#[test]
fn options_parse_and_refine() {
    let outer = Options::parse(
        "deny(unbounded_load), max_queries = 3, lock_order(a, b), conn(db)"
            .parse()
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let inner = Options::parse(
        "allow(unbounded_load), read_only, max_queries = 5"
            .parse()
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let merged = outer.refined_by(&inner);
    let rule = crate::rules::find("unbounded_load").map(|r| merged.level(r));
    assert_eq!(rule, Some(Level::Allow));
    assert!(merged.read_only && !merged.in_transaction);
    assert_eq!(merged.max_queries.map(|m| m.limit), Some(5));
    let names: Vec<&str> = merged.lock_order.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(merged.conn, vec!["db".to_owned()]);
}

#[test]
fn storing_a_connection_in_a_collection_is_not_a_query() {
    let src = r#"fn f(names: &[&str], pool: &DbPool) {
    let mut shards = Vec::new();
    for name in names {
        shards.push(SqliteConnection::establish(name)?);
        let c = pool.get()?;
        shards.push(c);
        shards.last_mut().unwrap().push(c);
    }
}"#;
    assert!(hits(src, "n_plus_one").is_empty(), "{:?}", run(src));
}

#[test]
fn pool_and_wrapper_options_parse_refine_and_match() {
    let parse = |s: &str| Options::parse(s.parse().unwrap_or_default());
    let outer = parse("max_connections = 50, wrapper_macros(db_run)").unwrap_or_default();
    let inner = parse("wrapper_macros(my_crate::with_conn)").unwrap_or_default();
    let merged = outer.refined_by(&inner);
    assert_eq!(merged.max_connections(), 50);
    assert_eq!(Options::default().max_connections(), 100);
    let inner = parse("max_connections = 20").unwrap_or_default();
    assert_eq!(merged.refined_by(&inner).max_connections(), 20);
    let is =
        |p: &str| merged.is_wrapper_macro(&p.split("::").map(str::to_owned).collect::<Vec<_>>());
    assert!(is("db_run") && is("crate::db_run") && is("dbx::db_run"));
    assert!(is("with_conn") && is("my_crate::with_conn") && is("crate::with_conn"));
    assert!(!is("other::with_conn") && !is("run") && !is("db_run_all"));
    let errs = expansion_errors("max_connections = 0, max_connections = \"9\"", "fn f() {}");
    assert_eq!(
        errs,
        [
            "`max_connections` must be a positive integer",
            "expected integer literal"
        ]
    );
}

#[test]
fn deep_nesting_is_a_spanned_error_not_an_overflow() {
    // 130 nested parentheses: within the nesting guard, deeper than the walk goes.
    let body = format!("{}conn.touch(){}", "(".repeat(130), ")".repeat(130));
    let item = format!("fn f(conn: &mut PgConnection) {{ {body}; }}");
    let errs = expansion_errors("", &item);
    assert_eq!(
        errs,
        vec!["expression nested too deeply for `#[db_checked]` to analyse"]
    );
}

/// A chain is as deep as it is long in syn's tree, but it is not nesting: a 2,000-link builder
/// chain, and 1,000 links of `?`, `.await`, fields, indexes and calls (7,000 links, near the
/// guard's 8,192), are analysed like a short one (issue 19 §6, §12).
#[test]
fn long_suffix_chains_are_analysed() {
    let builder = format!(
        "fn f(conn: &mut PgConnection, ids: &[i32]) {{\n    for id in ids {{\n        users{}\n            \
         .first::<User>(conn);\n    }}\n}}",
        "\n            .filter(id.eq(1))".repeat(2_000)
    );
    assert_eq!(hits(&builder, "n_plus_one"), vec![(2004, 14)]);
    let chain = "\n            .filter(id.eq(1))?.await.rows[0]()".repeat(1_000);
    let src = format!(
        "async fn f(conn: &mut PgConnection, ids: &[i32]) {{\n    for id in ids {{\n        \
         users{chain}\n            .first::<User>(conn);\n    }}\n}}"
    );
    assert_eq!(hits(&src, "n_plus_one"), vec![(1004, 14)]);
}

#[test]
fn unparsable_or_odd_input_never_panics() {
    let inputs = [
        "fn f(",
        "fn f() { let = ; }",
        "fn f(conn: &mut PgConnection) { weird!{ => conn ; ( ) } select! { a = b(conn) => {} } }",
        "fn f(conn: &mut PgConnection) { m!(conn) ; m![ 1 ; 2 ]; }",
        "impl<T> X<T> where T: LoadConnection { fn f(c: &mut T) { loop { c.go() } } }",
        "",
    ];
    for src in inputs {
        let item: TokenStream = src.parse().unwrap_or_default();
        let exp = check_attribute(TokenStream::new(), item.clone());
        assert_eq!(
            exp.item.to_string(),
            crate::rust::strip::strip(item).to_string()
        );
    }
}

#[test]
fn messages_follow_the_convention() {
    let src = r#"fn f(conn: &mut PgConnection, pool: &DbPool, ids: Vec<i32>, body: Json<X>) {
    for id in &ids { diesel::insert_into(t::table).values(id).execute(conn)?; }
    for id in &ids { let c = PgConnection::establish(url)?; }
    let e = establish_connection();
    let p = Pool::builder().max_size(500).min_idle(Some(600)).connection_timeout(Duration::ZERO).build(m)?;
    let q = Pool::builder(m).max_size(0).create_timeout(Some(d)).build()?;
    users::table.load::<U>(conn)?;
    conn.transaction(|c| {
        pool.get()?;
        diesel::insert_into(b::table).values(&x).execute(c)?;
        diesel::insert_into(a::table).values(&x).execute(c)
    })
}"#;
    let all = crate::rust::testing::run_with(src, "read_only, max_queries = 1, lock_order(a, b)");
    let mut rules: Vec<&str> = all.iter().map(|d| d.rule).collect();
    rules.sort_unstable();
    rules.dedup();
    assert_eq!(
        rules,
        vec![
            "connection_in_loop",
            "io_in_transaction",
            "lock_order",
            "n_plus_one",
            "pool_misconfigured",
            "query_budget",
            "unbounded_load",
            "write_in_read_only",
            "write_outside_transaction"
        ]
    );
    let pool_findings = all.iter().filter(|d| d.rule == "pool_misconfigured");
    assert_eq!(pool_findings.count(), 6);
    for d in &all {
        let first = d.message.chars().next().unwrap_or('X');
        assert!(
            !first.is_uppercase() && !d.message.ends_with('.'),
            "{}",
            d.message
        );
        assert!(
            d.help.as_deref().is_some_and(|h| !h.ends_with('.')),
            "{:?}",
            d.help
        );
    }
}

#[test]
fn extractors_wrapped_pools_and_named_connection_types() {
    let src = r#"async fn h(State(pool): State<PgPool>, data: web::Data<DbPool>, c: PooledPgConnection) {
    for i in ids {
        let mut conn = pool.get().await?;
        touch(&mut conn, i);
        Post::count(&data, i);
        touch(&c, i);
    }
}"#;
    assert_eq!(trip_hits(src, "n_plus_one"), vec![(4, 9), (5, 15), (6, 9)]);
}

#[test]
fn update_of_a_local_value_has_no_table() {
    let src = r#"fn f(conn: &mut PgConnection, user: &User) {
    conn.transaction(|conn| {
        diesel::update(user).set(&c).execute(conn)?;
        diesel::update(accounts::table).set(&c).execute(conn)
    })
}"#;
    assert!(hits_with(src, "lock_order(accounts, user)", "lock_order").is_empty());
    let src = src.replace("update(user)", "update(users::table)");
    assert_eq!(
        hits_with(&src, "lock_order(accounts, users)", "lock_order"),
        vec![(4, 49)]
    );
}

#[test]
fn methods_of_a_connection_wrapper_use_self_as_the_handle() {
    let src = r#"impl DbConn {
    fn names(&mut self, ids: &[i32]) {
        for id in ids { users::table.find(*id).first::<User>(self)?; }
    }
}"#;
    assert_eq!(hits(src, "n_plus_one"), vec![(3, 48)]);
    let plain = src.replace("impl DbConn", "impl Service");
    assert!(hits(&plain, "n_plus_one").is_empty());
    let generic = r#"impl<C: Connection> Repo<C> {
    fn f(&mut self, ids: &[i32]) { for id in ids { self.validate(*id); } }
}"#;
    assert!(hits(generic, "n_plus_one").is_empty());
}

#[test]
fn project_macros_are_scanned_for_calls_with_a_handle() {
    let src = r#"fn find_all(conn: &mut DbConn, ids: Vec<String>) {
    for id in &ids {
        db_run! { conn: {
            users::table.filter(users::uuid.eq(id)).first::<UserDb>(conn).ok()
        }}
    }
}"#;
    assert_eq!(hits(src, "n_plus_one"), vec![(4, 53)]);
    let d = &run(src)[0];
    assert!(d.message.contains("`first(..)`"), "{}", d.message);
}

#[test]
fn allows_on_closures_and_match_arms() {
    let src = r#"fn f(conn: &mut PgConnection, ids: Vec<i32>, k: Kind) {
    let a: Vec<_> = ids.iter().map(#[dbopt::allow(n_plus_one)] |id| g(conn, *id)).collect();
    match k {
        #[dbopt::allow(n_plus_one)]
        Kind::A => for id in &ids { g(conn, *id); },
        Kind::B => for id in &ids { g(conn, *id); },
    }
}"#;
    assert_eq!(hits(src, "n_plus_one"), vec![(6, 37)]);
}

#[test]
fn realistic_snippets() {
    // crates.io style: one batched query, one helper call, in-memory joins.
    let crates_io = r#"pub fn list(conn: &mut PgConnection, params: &Params) -> AppResult<Vec<EncodableVersion>> {
    let versions = versions::table
        .filter(versions::id.eq_any(&params.ids))
        .inner_join(crates::table)
        .select((Version::as_select(), crates::name))
        .load::<(Version, String)>(conn)?;
    let actions = VersionOwnerAction::for_versions(conn, &versions)?;
    Ok(versions
        .into_iter()
        .zip(actions)
        .map(|((v, cn), a)| EncodableVersion::from(v, &cn, a))
        .collect())
}"#;
    assert!(run(crates_io).is_empty(), "{:?}", run(crates_io));

    // lemmy style: `get_conn(pool)` checks out; `run_transaction` is a scope.
    let lemmy = r#"impl Crud for Post {
    async fn create(pool: &mut DbPool<'_>, form: &Self::InsertForm) -> Result<Self, Error> {
        let conn = &mut get_conn(pool).await?;
        conn.run_transaction(|conn| {
            async move {
                let post = insert_into(post::table).values(form).get_result::<Self>(conn).await?;
                for tag in &form.tags {
                    PostTag::create(&mut conn.into(), tag).await?;
                }
                let again = get_conn(pool).await?;
                Ok(post)
            }
            .scope_boxed()
        })
        .await
    }
}"#;
    let found: Vec<(&str, usize)> = run(lemmy)
        .iter()
        .map(|d| (d.rule, d.primary.span.start().line))
        .collect();
    assert_eq!(
        found,
        vec![("io_in_transaction", 10), ("n_plus_one", 8)],
        "{:?}",
        run(lemmy)
    );
}

/// The stream with its `k`-th token (counting depth-first, groups included) removed.
fn without_token(ts: TokenStream, k: &mut usize) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    let mut out = Vec::new();
    for tt in ts {
        if *k == 0 {
            *k = usize::MAX;
            continue;
        }
        *k = k.saturating_sub(1);
        match tt {
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), without_token(g.stream(), k));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

#[test]
fn mutated_inputs_never_panic_and_keep_the_item() {
    let src = r#"impl<C: Connection> Repo<C> {
    #[db_checked(max_queries = 2, lock_order(a, b))]
    async fn f(&self, pool: &DbPool, conn: &mut C, ids: Vec<i32>, o: Option<i32>) {
        let mut c = pool.get().await?;
        #[dbopt::allow(n_plus_one)]
        for id in &ids { g(&mut *c, *id).await?; }
        conn.transaction(|conn| async move {
            diesel::update(b::table.find(1)).set(x.eq(1)).execute(conn).await?;
            diesel::insert_into(a::table).values(&v).execute(conn).await?;
            tokio::time::sleep(d).await;
            let r = try_join!(h(conn), k(conn))?;
            Ok(())
        }.scope_boxed()).await?;
        o.map(|v| g(conn, v));
        stream::iter(ids).then(|id| async move { g(conn, id).await }).collect::<Vec<_>>().await;
        match o { Some(v) => users::table.load::<U>(conn)?, None => vec![] };
    }
}"#;
    let base: TokenStream = src.parse().unwrap_or_default();
    let mut total = 0usize;
    fn count_tokens(ts: TokenStream) -> usize {
        ts.into_iter()
            .map(|t| match t {
                proc_macro2::TokenTree::Group(g) => 1 + count_tokens(g.stream()),
                _ => 1,
            })
            .sum()
    }
    let n = count_tokens(base.clone());
    assert!(n > 250, "{n}");
    for i in 0..n {
        let mut k = i;
        let mutated = without_token(base.clone(), &mut k);
        let exp = crate::rust::check_attribute(TokenStream::new(), mutated.clone());
        total += exp.diagnostics.len();
        let stripped = crate::rust::strip::strip(mutated);
        assert_eq!(exp.item.to_string(), stripped.to_string());
    }
    assert!(total > 0);
}
