// A hand-rolled "pool": one new connection per worker, opened in an iterator closure. Each
// `establish` is a full connect; a real pool opens them once and hands them out.
use dbopt_macros::db_checked;
use diesel::prelude::*;

#[db_checked]
fn worker_connections(database_url: &str, workers: usize) -> ConnectionResult<Vec<SqliteConnection>> {
    (0..workers)
        .map(|_| SqliteConnection::establish(database_url))
        .collect()
}

fn main() {
    let conns = worker_connections(":memory:", 2).unwrap();
    assert_eq!(conns.len(), 2);
}
