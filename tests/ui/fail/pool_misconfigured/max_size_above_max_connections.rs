// The server accepts 50 connections (declared with `max_connections`); one pool of 64
// exhausts it under load.
use std::time::Duration;

use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PoolError};

type DbPool = Pool<ConnectionManager<SqliteConnection>>;

#[db_checked(max_connections = 50)]
fn pool(database_url: &str) -> Result<DbPool, PoolError> {
    Pool::builder()
        .max_size(64)
        .min_idle(Some(4))
        .connection_timeout(Duration::from_secs(5))
        .build(ConnectionManager::new(database_url))
}

fn main() {
    let _ = pool(":memory:");
}
