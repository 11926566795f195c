#![deny(warnings)]
// `Option::map` / `Result::map` run their closure at most once: not a loop.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::{Account, User};
use schema::{accounts, users};

#[db_checked]
fn owner_of(conn: &mut SqliteConnection, account_id: Option<i32>) -> QueryResult<Option<User>> {
    account_id
        .map(|id| {
            let account = accounts::table
                .find(id)
                .select(Account::as_select())
                .first(conn)?;
            users::table
                .find(account.owner_id)
                .select(User::as_select())
                .first(conn)
        })
        .transpose()
}

#[db_checked]
fn email_of(conn: &mut SqliteConnection, name: &str) -> QueryResult<Option<String>> {
    users::table
        .filter(users::name.eq(name))
        .select(users::id)
        .first::<i32>(conn)
        .optional()
        .map(|id| id.map(|id| format!("user-{id}@example.com")))
}

fn main() {
    let mut conn = db::connect();
    assert_eq!(owner_of(&mut conn, Some(2)).unwrap().unwrap().name, "bob");
    assert_eq!(owner_of(&mut conn, None).unwrap(), None);
    assert_eq!(
        email_of(&mut conn, "ada").unwrap().as_deref(),
        Some("user-1@example.com")
    );
}
