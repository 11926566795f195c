//! Writes counted along control flow (issue 15 §4): only a write whose failure ends the fn
//! after an earlier write committed is the atomicity bug.

use crate::rust::testing;

const R: &str = "write_outside_transaction";

/// Several fns in one source, analysed as an inline module (line 1 gains a prefix).
fn hits(src: &str) -> Vec<(usize, usize)> {
    testing::hits(&format!("mod m {{ {src} }}"), R)
}

#[test]
fn sequential_writes_whose_failure_ends_the_fn() {
    let src = r#"fn a(conn: &mut PgConnection) -> QueryResult<()> {
    insert_into(orders::table).values(&o).execute(conn)?;
    insert_into(lines::table).values(&l).execute(conn)?;
    Ok(())
}
async fn b(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    insert_into(orders::table).values(&o).execute(conn).await?;
    insert_into(lines::table).values(&l).execute(conn).await
}
fn c(conn: &mut PgConnection) {
    insert_into(orders::table).values(&o).execute(conn).unwrap();
    update(stock::table).set(stock::n.eq(1)).execute(conn).expect("stock");
}
fn d(conn: &mut PgConnection) -> Result<(), E> {
    insert_into(orders::table).values(&o).execute(conn)?;
    if let Err(e) = update(stock::table).set(stock::n.eq(1)).execute(conn) {
        return Err(e.into());
    }
    Ok(())
}"#;
    assert_eq!(hits(src), vec![(3, 42), (8, 42), (12, 46), (16, 62)]);
}

#[test]
fn handled_failures_make_independent_writes() {
    let src = r#"fn a(conn: &mut PgConnection) {
    insert_into(orders::table).values(&o).execute(conn).ok();
    let _ = insert_into(audit::table).values(&a).execute(conn);
    if let Err(e) = insert_into(stats::table).values(&s).execute(conn) {
        log::warn!("stats: {e}");
    }
    match update(users::table).set(seen.eq(now)).execute(conn) {
        Ok(_) => {}
        Err(e) => log::warn!("{e}"),
    }
}
fn first_aborts_later_handled(conn: &mut PgConnection) -> QueryResult<()> {
    insert_into(orders::table).values(&o).execute(conn)?;
    insert_into(audit::table).values(&a).execute(conn).ok();
    Ok(())
}"#;
    assert_eq!(hits(src), vec![]);
}

#[test]
fn exclusive_paths_are_not_sequential() {
    let src = r#"fn early_return(conn: &mut PgConnection, new: bool) -> QueryResult<()> {
    if new {
        insert_into(users::table).values(&u).execute(conn)?;
        return Ok(());
    }
    update(users::table).set(seen.eq(now)).execute(conn)?;
    Ok(())
}
fn arms(conn: &mut PgConnection, op: Op) -> QueryResult<usize> {
    match op {
        Op::Add => insert_into(t::table).values(&r).execute(conn),
        Op::Del => delete(t::table.find(r.id)).execute(conn),
    }
}
fn fallback(conn: &mut PgConnection) -> QueryResult<usize> {
    insert_into(t::table).values(&r).execute(conn)
        .or_else(|_| update(t::table.find(r.id)).set(&r).execute(conn))
}
fn backends(conn: &mut Conn) -> QueryResult<()> {
    #[cfg(feature = "postgres")]
    insert_into(t::table).values(&r).on_conflict_do_nothing().execute(conn)?;
    #[cfg(feature = "sqlite")]
    insert_or_ignore_into(t::table).values(&r).execute(conn)?;
    Ok(())
}
fn bail(conn: &mut PgConnection, bad: bool) -> anyhow::Result<()> {
    if bad {
        insert_into(errors::table).values(&e).execute(conn)?;
        anyhow::bail!("bad input");
    }
    insert_into(t::table).values(&r).execute(conn)?;
    Ok(())
}
fn falls_through(conn: &mut PgConnection, new: bool) -> QueryResult<()> {
    if new {
        insert_into(users::table).values(&u).execute(conn)?;
    }
    update(users::table).set(seen.eq(now)).execute(conn)?;
    Ok(())
}"#;
    // Only the last fn: its `if` falls through to the second write.
    assert_eq!(hits(src), vec![(38, 44)]);
}

#[test]
fn spawned_and_stored_closures_are_not_on_the_callers_path() {
    let src = r#"fn spawn_audit(pool: Pool, conn: &mut PgConnection) -> QueryResult<()> {
    insert_into(orders::table).values(&o).execute(conn)?;
    tokio::spawn(async move {
        let c = &mut pool.get().await.unwrap();
        insert_into(audit::table).values(&a).execute(c).await.unwrap();
    });
    Ok(())
}
fn stored(conn: &mut PgConnection) -> QueryResult<()> {
    insert_into(orders::table).values(&o).execute(conn)?;
    let later = |c: &mut PgConnection| insert_into(audit::table).values(&a).execute(c);
    Ok(())
}"#;
    assert_eq!(hits(src), vec![]);
}

#[test]
fn a_loop_of_writes_that_ends_the_fn_on_failure() {
    let src = r#"fn each(conn: &mut PgConnection, rows: &[Row]) -> QueryResult<()> {
    for r in rows {
        insert_into(t::table).values(r).execute(conn)?;
    }
    Ok(())
}
fn each_logged(conn: &mut PgConnection, rows: &[Row]) {
    for r in rows {
        if let Err(e) = insert_into(t::table).values(r).execute(conn) {
            log::warn!("{e}");
        }
    }
}"#;
    let d = testing::run(&format!("mod m {{ {src} }}"));
    let found: Vec<(usize, &str)> = d
        .iter()
        .filter(|d| d.rule == R)
        .map(|d| (d.primary.span.start().line, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![(
            3,
            "writes outside a transaction: `execute` runs once per iteration of the `for` loop"
        )]
    );
}

/// A `let .. else { return .. }` and a loop body with a `return` end only their own paths: the
/// writes after them still follow the write before them.
#[test]
fn let_else_and_returns_in_loops_end_only_their_paths() {
    let src = r#"async fn signup(conn: &mut AsyncPgConnection, input: Input) -> Result<(), E> {
    let user = insert_user(conn, &input).await?;
    let Ok(hash) = hash_password(&input.password) else {
        return Err(E::Internal);
    };
    for role in &input.roles {
        if role.is_empty() { return Err(E::BadRole); }
    }
    insert_into(sessions::table).values(&s).execute(conn).await?;
    Ok(())
}
fn seed(conn: &mut PgConnection) -> QueryResult<()> {
    insert_into(users::table).values(&u).execute(conn)?;
    insert_into(audit::table).values(&a).execute(conn)?;
    Ok(())
}"#;
    // `signup`'s first write is a helper the per-fn rule does not count; `seed` is plain.
    assert_eq!(hits(src), vec![(14, 42)]);
    let src = r#"fn f(conn: &mut PgConnection, input: Input) -> QueryResult<()> {
    insert_into(users::table).values(&u).execute(conn)?;
    let Some(x) = input.x else {
        return Ok(());
    };
    insert_into(sessions::table).values(&s).execute(conn)?;
    Ok(())
}"#;
    assert_eq!(testing::hits(src, R), vec![(6, 45)]);
}

/// A closure handed to a scheduler runs later, on a timer: not on the caller's path, and not
/// once per pass of a loop around the registration.
#[test]
fn scheduled_closures_are_not_on_the_callers_path() {
    let src = r#"async fn start(sched: &JobScheduler, pool: Pool, jobs: &[Cfg], conn: &mut PgConnection) -> QueryResult<()> {
    insert_into(boots::table).values(&b).execute(conn)?;
    for cfg in jobs {
        let pool = pool.clone();
        sched.add(Job::new_async(cfg.cron, move |_, _| {
            let pool = pool.clone();
            Box::pin(async move {
                let c = &mut pool.get().await.unwrap();
                insert_into(runs::table).values(&r).execute(c).await.unwrap();
            })
        })?).await?;
    }
    Ok(())
}"#;
    assert_eq!(hits(src), vec![]);
    assert_eq!(
        testing::hits(&format!("mod m {{ {src} }}"), "n_plus_one"),
        Vec::<(usize, usize)>::new()
    );
}
