// "Get or create" hidden in a read path.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use models::Account;
use schema::accounts;

#[db_checked(read_only)]
fn account_of(conn: &mut SqliteConnection, owner_id: i32) -> QueryResult<Account> {
    let existing = accounts::table
        .filter(accounts::owner_id.eq(owner_id))
        .select(Account::as_select())
        .first(conn)
        .optional()?;
    match existing {
        Some(account) => Ok(account),
        None => diesel::insert_into(accounts::table)
            .values((accounts::owner_id.eq(owner_id), accounts::balance.eq(0)))
            .returning(Account::as_returning())
            .get_result(conn),
    }
}

fn main() {
    let mut conn = db::connect();
    account_of(&mut conn, 2).unwrap();
}
