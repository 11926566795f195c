// A request handler that opens its own connection on every request. `Json` here stands in
// for axum's / actix-web's extractor of the same name (dbopt recognises handlers by such
// parameters; the web framework itself is not needed to show it).
use dbopt_macros::db_checked;
use diesel::prelude::*;

include!("../../schema.rs");

use db::AppResult;
use models::NewUser;
use schema::users;

pub struct Json<T>(pub T);

pub struct SignUp {
    pub name: String,
    pub email: String,
}

#[db_checked]
fn sign_up(Json(form): Json<SignUp>) -> AppResult<Json<i32>> {
    let conn = &mut SqliteConnection::establish(":memory:")?;
    let id = diesel::insert_into(users::table)
        .values(NewUser {
            name: &form.name,
            email: &form.email,
        })
        .returning(users::id)
        .get_result(conn)?;
    Ok(Json(id))
}

fn main() {
    let form = SignUp {
        name: "cy".to_owned(),
        email: "cy@example.com".to_owned(),
    };
    let _ = sign_up(Json(form));
}
