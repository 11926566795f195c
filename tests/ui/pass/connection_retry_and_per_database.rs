#![deny(warnings)]
// Two loops that open connections on purpose: a retry loop that stops at the first success,
// and one connection per database file (the URL comes from the iteration).
use std::thread::sleep;
use std::time::Duration;

use dbopt_macros::db_checked;
use diesel::prelude::*;

#[db_checked]
fn connect_with_retry(database_url: &str) -> ConnectionResult<SqliteConnection> {
    let mut attempts = 0;
    loop {
        match SqliteConnection::establish(database_url) {
            Ok(conn) => break Ok(conn),
            Err(e) if attempts >= 3 => break Err(e),
            Err(_) => {
                attempts += 1;
                sleep(Duration::from_millis(10));
            }
        }
    }
}

#[db_checked]
fn open_shards(shard_names: &[&str]) -> ConnectionResult<Vec<SqliteConnection>> {
    let mut shards = Vec::new();
    for name in shard_names {
        let url = format!("file:{name}?mode=memory");
        shards.push(SqliteConnection::establish(&url)?);
    }
    Ok(shards)
}

fn main() {
    connect_with_retry(":memory:").unwrap();
    assert_eq!(open_shards(&["a", "b"]).unwrap().len(), 2);
}
