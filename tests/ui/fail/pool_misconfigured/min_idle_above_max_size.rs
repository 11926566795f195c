// r2d2 asserts `min_idle <= max_size` when the pool is built: this panics at startup.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PoolError};

type DbPool = Pool<ConnectionManager<SqliteConnection>>;

#[db_checked]
fn pool(database_url: &str) -> Result<DbPool, PoolError> {
    Pool::builder()
        .max_size(4)
        .min_idle(Some(8))
        .build(ConnectionManager::new(database_url))
}

fn main() {
    let _ = pool(":memory:");
}
