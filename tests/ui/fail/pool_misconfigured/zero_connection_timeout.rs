// "Fail fast" written as a zero timeout: r2d2's `connection_timeout` setter panics on zero.
use std::time::Duration;

use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PoolError};

type DbPool = Pool<ConnectionManager<SqliteConnection>>;

#[db_checked]
fn pool(database_url: &str) -> Result<DbPool, PoolError> {
    Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(0))
        .build(ConnectionManager::new(database_url))
}

fn main() {
    let _ = pool(":memory:");
}
