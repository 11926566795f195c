// A budget on the impl block applies to each method; `summary` spends three.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use schema::{accounts, payments};

struct Billing;

#[db_checked(max_queries = 2)]
impl Billing {
    fn balance(&self, conn: &mut SqliteConnection, account_id: i32) -> QueryResult<i64> {
        accounts::table
            .find(account_id)
            .select(accounts::balance)
            .first(conn)
    }

    fn summary(
        &self,
        conn: &mut SqliteConnection,
        account_id: i32,
    ) -> QueryResult<(i64, i64, i64)> {
        let balance = accounts::table
            .find(account_id)
            .select(accounts::balance)
            .first(conn)?;
        let pending = payments::table
            .filter(payments::account_id.eq(account_id))
            .filter(payments::status.eq("pending"))
            .count()
            .get_result(conn)?;
        let settled = payments::table
            .filter(payments::account_id.eq(account_id))
            .filter(payments::status.eq("settled"))
            .count()
            .get_result(conn)?;
        Ok((balance, pending, settled))
    }
}

fn main() {
    let mut conn = db::connect();
    Billing.balance(&mut conn, 1).unwrap();
    Billing.summary(&mut conn, 1).unwrap();
}
