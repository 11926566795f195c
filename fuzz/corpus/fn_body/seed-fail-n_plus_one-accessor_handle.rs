// Handlers reach the database through an accessor on the app state (`state.conn()`), not a
// parameter; the connection it returns is a handle all the same.
use dbopt_macros::db_checked;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, PooledConnection};

include!("../../schema.rs");

use db::{AppResult, DbPool};
use models::Payment;
use schema::payments;

struct AppState {
    pool: DbPool,
}

impl AppState {
    fn conn(&self) -> AppResult<PooledConnection<ConnectionManager<SqliteConnection>>> {
        Ok(self.pool.get()?)
    }
}

#[db_checked]
fn statuses(state: &AppState, ids: &[i32]) -> AppResult<Vec<String>> {
    let mut conn = state.conn()?;
    let mut statuses = Vec::with_capacity(ids.len());
    for &id in ids {
        let payment: Payment = payments::table
            .find(id)
            .select(Payment::as_select())
            .first(&mut conn)?;
        statuses.push(payment.status);
    }
    Ok(statuses)
}

fn main() {
    let state = AppState { pool: db::pool() };
    statuses(&state, &[1, 2]).unwrap();
}
