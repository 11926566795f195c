//! The Rust side of a generated package: `src/lib.rs`, a pool and an error type, a model
//! struct per table the code uses, and `n` fns in bundles of [`FNS_PER_BUNDLE`] over the
//! package's tables, four bundles to a module in each layer (`repo/`, `service/`,
//! `handlers/`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::fns::{Expected, FNS_PER_BUNDLE, bundle};
use super::model::{Table, camel, singular};
use super::rng::Rng;

const BUNDLES_PER_MODULE: usize = 4;

/// The files of the package's `src/` (schema.rs aside), by path relative to `src/`.
pub struct Code {
    pub files: Vec<(String, String)>,
    pub expected: Expected,
}

pub fn generate(package: &str, tables: &[Table], fns: usize, rng: &mut Rng) -> Code {
    let mut files = Vec::new();
    let mut expected = Expected::default();
    let mut lib =
        format!("//! The `{package}` service: its schema, models, queries and handlers.\n\n");
    if fns == 0 || tables.is_empty() {
        lib.push_str("pub mod schema;\n");
        files.push(("lib.rs".to_owned(), lib));
        return Code { files, expected };
    }
    lib.push_str(
        "pub mod db;\npub mod error;\npub mod handlers;\npub mod models;\npub mod repo;\n\
         pub mod schema;\npub mod service;\n\n\
         /// Rows per page of every paginated query.\npub const PAGE_SIZE: i64 = 50;\n",
    );
    files.push(("lib.rs".to_owned(), lib));
    files.push(("db.rs".to_owned(), DB_RS.to_owned()));
    files.push(("error.rs".to_owned(), ERROR_RS.to_owned()));

    let bundles = fns.div_ceil(FNS_PER_BUNDLE);
    let modules = bundles.div_ceil(BUNDLES_PER_MODULE);
    let mut used = BTreeSet::new();
    let mut written = 0;
    let mut mods = Vec::new();
    for k in 0..modules {
        let mut layers = [String::new(), String::new(), String::new()];
        let mut module_tables = BTreeSet::new();
        let mut module_models = BTreeSet::new();
        for b in k * BUNDLES_PER_MODULE..((k + 1) * BUNDLES_PER_MODULE).min(bundles) {
            let table = &tables[b % tables.len()];
            used.insert(b % tables.len());
            module_models.insert(b % tables.len());
            module_tables.insert(table.name.clone());
            if let Some(fk) = table.fks.first() {
                module_tables.insert(fk.parent.clone());
            }
            let bundle = bundle(b, table, rng);
            for ((layer, text), e) in bundle.fns.into_iter().zip(bundle.expected) {
                if written == fns {
                    break;
                }
                written += 1;
                expected += e;
                let slot = &mut layers[layer as usize];
                slot.push('\n');
                slot.push_str(&text);
            }
        }
        let name = format!("part_{k:04}");
        let models: Vec<String> = module_models
            .iter()
            .flat_map(|&i| {
                let m = camel(&singular(&tables[i].name));
                [format!("New{m}"), m]
            })
            .collect();
        let schema: Vec<&str> = module_tables.iter().map(String::as_str).collect();
        let imports = format!(
            "use crate::models::{{{}}};\nuse crate::schema::{{{}}};\n",
            models.join(", "),
            schema.join(", ")
        );
        let [repo, service, handlers] = layers;
        files.push((
            format!("repo/{name}.rs"),
            format!(
                "//! Queries of {}.\n\nuse diesel::prelude::*;\n\n{imports}{repo}",
                schema.join(", ")
            ),
        ));
        files.push((
            format!("service/{name}.rs"),
            format!(
                "//! Operations on {} that combine queries.\n\nuse diesel::prelude::*;\n\n\
                 {imports}use crate::repo::{name} as repo;\n{service}",
                schema.join(", ")
            ),
        ));
        files.push((
            format!("handlers/{name}.rs"),
            format!(
                "//! HTTP endpoints of {}.\n\nuse axum::Json;\n\
                 use axum::extract::{{Path, Query, State}};\n\n\
                 use super::Page;\nuse crate::db::DbPool;\nuse crate::error::AppError;\n\
                 use crate::models::{{{}}};\nuse crate::repo::{name} as repo;\n\
                 use crate::service::{name} as service;\n{handlers}",
                schema.join(", "),
                models.join(", ")
            ),
        ));
        mods.push(name);
    }
    let list = |header: &str| {
        let mut text = format!("{header}\n");
        for m in &mods {
            let _ = writeln!(text, "pub mod {m};");
        }
        text
    };
    files.push((
        "repo/mod.rs".to_owned(),
        list("//! Queries, one module per group of tables.\n"),
    ));
    files.push((
        "service/mod.rs".to_owned(),
        list("//! Business operations over the repositories.\n"),
    ));
    let mut handlers = list("//! axum handlers.\n\nuse serde::Deserialize;\n");
    handlers.push_str(
        "\n/// `?page=N` of a list endpoint.\n#[derive(Debug, Deserialize)]\n\
         pub struct Page {\n    pub page: Option<i64>,\n}\n",
    );
    files.push(("handlers/mod.rs".to_owned(), handlers));
    files.push((
        "models.rs".to_owned(),
        models(used.iter().map(|&i| &tables[i])),
    ));
    Code { files, expected }
}

/// A `Queryable` row struct and an `Insertable` struct per table.
fn models<'a>(tables: impl Iterator<Item = &'a Table>) -> String {
    let mut out = String::from(
        "//! Rows of the tables and the values inserted into them.\n\n\
         use bigdecimal::BigDecimal;\nuse chrono::{DateTime, NaiveDate, Utc};\n\
         use diesel::prelude::*;\nuse serde::{Deserialize, Serialize};\nuse uuid::Uuid;\n",
    );
    for t in tables {
        let m = camel(&singular(&t.name));
        let field = |c: &super::model::Column| {
            if c.nullable {
                format!("    pub {}: Option<{}>,\n", c.name, c.ty.rust())
            } else {
                format!("    pub {}: {},\n", c.name, c.ty.rust())
            }
        };
        let _ = write!(
            out,
            "\n#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]\n\
             #[diesel(table_name = crate::schema::{0})]\n\
             #[diesel(check_for_backend(diesel::pg::Pg))]\npub struct {m} {{\n",
            t.name
        );
        for c in &t.columns {
            out.push_str(&field(c));
        }
        let _ = write!(
            out,
            "}}\n\n#[derive(Debug, Insertable, Deserialize)]\n\
             #[diesel(table_name = crate::schema::{0})]\npub struct New{m} {{\n",
            t.name
        );
        for c in t
            .columns
            .iter()
            .filter(|c| !super::model::FIXED_COLUMNS.contains(&c.name.as_str()))
        {
            out.push_str(&field(c));
        }
        out.push_str("}\n");
    }
    out
}

const DB_RS: &str = "//! The connection pool.\n\n\
use diesel::pg::PgConnection;\nuse diesel::r2d2::{ConnectionManager, Pool, PoolError};\n\n\
pub type DbPool = Pool<ConnectionManager<PgConnection>>;\n\n\
pub fn pool(database_url: &str) -> Result<DbPool, PoolError> {\n    \
Pool::builder()\n        .max_size(16)\n        .build(ConnectionManager::new(database_url))\n}\n";

const ERROR_RS: &str = "//! What a handler can fail with.\n\n\
use axum::http::StatusCode;\nuse axum::response::{IntoResponse, Response};\n\n\
#[derive(Debug)]\npub enum AppError {\n    NotFound,\n    Database(diesel::result::Error),\n    \
Pool(diesel::r2d2::PoolError),\n}\n\n\
impl From<diesel::result::Error> for AppError {\n    \
fn from(e: diesel::result::Error) -> Self {\n        AppError::Database(e)\n    }\n}\n\n\
impl From<diesel::r2d2::PoolError> for AppError {\n    \
fn from(e: diesel::r2d2::PoolError) -> Self {\n        AppError::Pool(e)\n    }\n}\n\n\
impl IntoResponse for AppError {\n    fn into_response(self) -> Response {\n        \
match self {\n            AppError::NotFound => StatusCode::NOT_FOUND.into_response(),\n            \
_ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),\n        }\n    }\n}\n";
