// A pooled connection checked out once and reborrowed with `&mut *conn` on every iteration.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use db::{AppResult, DbPool};
use schema::users;

#[db_checked]
fn emails(pool: &DbPool, ids: &[i32]) -> AppResult<Vec<String>> {
    let mut conn = pool.get()?;
    let mut emails = Vec::with_capacity(ids.len());
    for &id in ids {
        let email: String = users::table
            .find(id)
            .select(users::email)
            .first(&mut *conn)?;
        emails.push(email);
    }
    Ok(emails)
}

fn main() {
    let pool = db::pool();
    emails(&pool, &[1, 2]).unwrap();
}
