#![deny(warnings)]
// A whole repository impl under `#[db_checked]`: `&self` plus a connection parameter,
// bounded reads, one write per method.
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../schema.rs");

use models::{NewUser, User};
use schema::users;

struct Users {
    page_size: i64,
}

#[db_checked]
impl Users {
    fn find(&self, conn: &mut SqliteConnection, id: i32) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    fn page(&self, conn: &mut SqliteConnection, page: i64) -> QueryResult<Vec<User>> {
        users::table
            .order(users::id)
            .limit(self.page_size)
            .offset(page * self.page_size)
            .select(User::as_select())
            .load(conn)
    }

    fn create(&self, conn: &mut SqliteConnection, name: &str, email: &str) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(NewUser { name, email })
            .returning(User::as_returning())
            .get_result(conn)
    }
}

fn main() {
    let mut conn = db::connect();
    let repo = Users { page_size: 1 };
    let cy = repo.create(&mut conn, "cy", "cy@example.com").unwrap();
    assert_eq!(repo.find(&mut conn, cy.id).unwrap(), Some(cy));
    assert_eq!(repo.page(&mut conn, 1).unwrap()[0].name, "bob");
}
