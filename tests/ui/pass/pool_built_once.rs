#![deny(warnings)]
// The pool is built once, at startup, with settings r2d2 accepts (`min_idle <= max_size`, a
// positive timeout, well under the server's `max_connections`), and requests check
// connections out of it.
use std::time::Duration;

use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PoolError};

include!("../schema.rs");

use db::AppResult;
use schema::users;

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;

#[db_checked]
fn build_pool(database_url: &str) -> Result<SqlitePool, PoolError> {
    Pool::builder()
        .max_size(4)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .idle_timeout(None)
        .build(ConnectionManager::new(database_url))
}

#[db_checked]
fn count_users(pool: &SqlitePool) -> AppResult<i64> {
    let conn = &mut pool.get()?;
    diesel::sql_query("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL, active BOOLEAN NOT NULL DEFAULT 1)")
        .execute(conn)?;
    Ok(users::table.count().get_result(conn)?)
}

fn main() {
    let pool = build_pool(":memory:").unwrap();
    assert_eq!(count_users(&pool).unwrap(), 0);
}
