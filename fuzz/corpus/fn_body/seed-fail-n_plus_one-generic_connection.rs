// Library code generic over the connection: a type parameter bounded by `Connection` is a
// handle.
use dbopt_macros::db_checked;
use diesel::connection::LoadConnection;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;

include!("../../schema.rs");

use schema::users;

#[db_checked]
fn names<C>(conn: &mut C, ids: &[i32]) -> QueryResult<Vec<String>>
where
    C: Connection<Backend = Sqlite> + LoadConnection,
{
    let mut names = Vec::with_capacity(ids.len());
    for &id in ids {
        names.push(users::table.find(id).select(users::name).first(conn)?);
    }
    Ok(names)
}

fn main() {
    let mut conn = db::connect();
    names(&mut conn, &[1, 2]).unwrap();
}
