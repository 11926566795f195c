// The author allowed the per-row INSERT (n_plus_one), but a write in a loop is still many
// writes, and without a transaction a failure leaves half of the rows behind.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::NewUser;
use schema::users;

#[db_checked(allow(n_plus_one))]
fn invite(conn: &mut SqliteConnection, invites: &[(&str, &str)]) -> QueryResult<()> {
    for &(name, email) in invites {
        diesel::insert_into(users::table)
            .values(NewUser { name, email })
            .execute(conn)?;
    }
    Ok(())
}

fn main() {
    let mut conn = db::connect();
    invite(&mut conn, &[("cy", "cy@example.com")]).unwrap();
}
