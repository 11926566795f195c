// With no `max_size`, r2d2's default of 10 applies, and `min_idle(Some(16))` is above it:
// `build` panics.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PoolError};

type DbPool = Pool<ConnectionManager<SqliteConnection>>;

#[db_checked]
fn pool(database_url: &str) -> Result<DbPool, PoolError> {
    Pool::builder()
        .min_idle(Some(16))
        .build(ConnectionManager::new(database_url))
}

fn main() {
    let _ = pool(":memory:");
}
