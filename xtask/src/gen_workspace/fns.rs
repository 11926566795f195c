//! The fns of one "bundle": ten fns of Diesel code around one table, the way a service
//! crate spreads them over layers. Six repository queries (find, paginated list, insert,
//! update, children by foreign key or by ids, whole table or count), three services (a bulk
//! import, a create with a follow-up write, a parent page with its children) and one axum
//! handler. The services come in variants, some of them the bugs dbopt exists for: a query
//! per row in a `for` loop or an iterator closure (`n_plus_one`), two writes outside a
//! transaction (`write_outside_transaction`), a sleep inside one (`io_in_transaction`); a
//! third of the bundles load a whole table (`unbounded_load`).

use std::fmt::Write as _;

use super::model::{FIXED_COLUMNS, Table, camel, singular};
use super::rng::Rng;

pub const FNS_PER_BUNDLE: usize = 10;

/// The findings a bundle's code is written to produce, by rule.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    pub n_plus_one: usize,
    pub write_outside_transaction: usize,
    pub io_in_transaction: usize,
    pub unbounded_load: usize,
}

impl std::ops::AddAssign for Expected {
    fn add_assign(&mut self, o: Expected) {
        self.n_plus_one += o.n_plus_one;
        self.write_outside_transaction += o.write_outside_transaction;
        self.io_in_transaction += o.io_in_transaction;
        self.unbounded_load += o.unbounded_load;
    }
}

/// The source of the bundle's fns, one string per fn, in layer order (repository, service,
/// handler): truncating the list keeps every call pointing at a fn that exists.
pub struct Bundle {
    pub fns: Vec<(Layer, String)>,
    /// Expected findings of each fn, same order.
    pub expected: Vec<Expected>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Repo,
    Service,
    Handler,
}

/// Bundle `b`, over `table`.
pub fn bundle(b: usize, table: &Table, rng: &mut Rng) -> Bundle {
    let t = &table.name;
    let s = singular(t);
    let m = camel(&s);
    let mut out = Bundle {
        fns: Vec::with_capacity(FNS_PER_BUNDLE),
        expected: Vec::with_capacity(FNS_PER_BUNDLE),
    };
    let mut push = |layer, text: String, expected: Expected| {
        out.fns.push((layer, text));
        out.expected.push(expected);
    };
    let none = Expected::default();

    push(
        Layer::Repo,
        format!(
            "pub fn find_{s}_{b}(conn: &mut PgConnection, id: i64) -> QueryResult<Option<{m}>> {{\n    \
             {t}::table\n        .find(id)\n        .select({m}::as_select())\n        \
             .first(conn)\n        .optional()\n}}\n"
        ),
        none,
    );
    push(
        Layer::Repo,
        format!(
            "/// One page of {t}, newest first.\n\
             pub fn list_{t}_{b}(conn: &mut PgConnection, page: i64) -> QueryResult<Vec<{m}>> {{\n    \
             {t}::table\n        .order({t}::created_at.desc())\n        \
             .limit(crate::PAGE_SIZE)\n        .offset(page * crate::PAGE_SIZE)\n        \
             .select({m}::as_select())\n        .load(conn)\n}}\n"
        ),
        none,
    );
    push(
        Layer::Repo,
        format!(
            "pub fn create_{s}_{b}(conn: &mut PgConnection, new: &New{m}) -> QueryResult<{m}> {{\n    \
             diesel::insert_into({t}::table)\n        .values(new)\n        \
             .returning({m}::as_returning())\n        .get_result(conn)\n}}\n"
        ),
        none,
    );
    let settable = table.columns.iter().find(|c| {
        !FIXED_COLUMNS.contains(&c.name.as_str()) && !table.is_fk(&c.name) && rng.chance(50)
    });
    let update = match settable {
        Some(c) => {
            let ty = if c.nullable {
                format!("Option<{}>", c.ty.rust())
            } else {
                c.ty.rust().to_owned()
            };
            format!(
                "pub fn set_{s}_{col}_{b}(conn: &mut PgConnection, id: i64, value: {ty}) -> QueryResult<usize> {{\n    \
                 diesel::update({t}::table.find(id))\n        \
                 .set(({t}::{col}.eq(value), {t}::updated_at.eq(diesel::dsl::now)))\n        \
                 .execute(conn)\n}}\n",
                col = c.name
            )
        }
        None => format!(
            "pub fn touch_{s}_{b}(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {{\n    \
             diesel::update({t}::table.find(id))\n        \
             .set({t}::updated_at.eq(diesel::dsl::now))\n        .execute(conn)\n}}\n"
        ),
    };
    push(Layer::Repo, update, none);
    let fk = table.fks.first();
    let children = match fk {
        Some(fk) => format!(
            "pub fn {t}_of_{p}_{b}(conn: &mut PgConnection, {col}: i64) -> QueryResult<Vec<{m}>> {{\n    \
             {t}::table\n        .filter({t}::{col}.eq({col}))\n        .order({t}::id)\n        \
             .select({m}::as_select())\n        .load(conn)\n}}\n",
            p = singular(&fk.parent),
            col = fk.column
        ),
        None => format!(
            "pub fn {t}_by_ids_{b}(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<{m}>> {{\n    \
             {t}::table\n        .filter({t}::id.eq_any(ids))\n        \
             .select({m}::as_select())\n        .load(conn)\n}}\n"
        ),
    };
    push(Layer::Repo, children, none);
    if b.is_multiple_of(3) {
        push(
            Layer::Repo,
            format!(
                "/// Every row: the admin export.\n\
                 pub fn all_{t}_{b}(conn: &mut PgConnection) -> QueryResult<Vec<{m}>> {{\n    \
                 {t}::table.select({m}::as_select()).load(conn)\n}}\n"
            ),
            Expected {
                unbounded_load: 1,
                ..none
            },
        );
    } else {
        push(
            Layer::Repo,
            format!(
                "pub fn count_{t}_{b}(conn: &mut PgConnection) -> QueryResult<i64> {{\n    \
                 {t}::table.count().get_result(conn)\n}}\n"
            ),
            none,
        );
    }

    let n_plus_one = Expected {
        n_plus_one: 1,
        ..none
    };
    let (import, expected) = match rng.weighted(&[40, 20, 40]) {
        0 => (
            format!(
                "/// Imports the rows one at a time.\n\
                 pub fn import_{t}_{b}(conn: &mut PgConnection, rows: &[New{m}]) -> QueryResult<Vec<{m}>> {{\n    \
                 let mut created = Vec::with_capacity(rows.len());\n    \
                 for row in rows {{\n        created.push(repo::create_{s}_{b}(conn, row)?);\n    }}\n    \
                 Ok(created)\n}}\n"
            ),
            n_plus_one,
        ),
        1 => (
            format!(
                "pub fn load_{t}_{b}(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<{m}>> {{\n    \
                 ids.iter()\n        .map(|id| repo::find_{s}_{b}(conn, *id))\n        \
                 .filter_map(Result::transpose)\n        .collect()\n}}\n"
            ),
            n_plus_one,
        ),
        _ => (
            format!(
                "/// Imports the rows with one statement.\n\
                 pub fn import_{t}_{b}(conn: &mut PgConnection, rows: &[New{m}]) -> QueryResult<Vec<{m}>> {{\n    \
                 diesel::insert_into({t}::table)\n        .values(rows)\n        \
                 .returning({m}::as_returning())\n        .get_results(conn)\n}}\n"
            ),
            none,
        ),
    };
    push(Layer::Service, import, expected);

    let touch = format!(
        "diesel::update({t}::table.find(row.id))\n            \
         .set({t}::updated_at.eq(diesel::dsl::now))\n            .execute(conn)?;"
    );
    let (register, expected) = match rng.weighted(&[60, 25, 15]) {
        0 => (
            format!(
                "pub fn register_{s}_{b}(conn: &mut PgConnection, new: &New{m}) -> QueryResult<{m}> {{\n    \
                 conn.transaction(|conn| {{\n        let row = repo::create_{s}_{b}(conn, new)?;\n        \
                 {touch}\n        Ok(row)\n    }})\n}}\n"
            ),
            none,
        ),
        1 => (
            format!(
                "pub fn register_{s}_{b}(conn: &mut PgConnection, new: &New{m}) -> QueryResult<{m}> {{\n    \
                 let row: {m} = diesel::insert_into({t}::table)\n        .values(new)\n        \
                 .returning({m}::as_returning())\n        .get_result(conn)?;\n    \
                 diesel::update({t}::table.find(row.id))\n        \
                 .set({t}::updated_at.eq(diesel::dsl::now))\n        .execute(conn)?;\n    \
                 Ok(row)\n}}\n"
            ),
            Expected {
                write_outside_transaction: 1,
                ..none
            },
        ),
        _ => (
            format!(
                "pub fn register_{s}_{b}(conn: &mut PgConnection, new: &New{m}) -> QueryResult<{m}> {{\n    \
                 conn.transaction(|conn| {{\n        let row = repo::create_{s}_{b}(conn, new)?;\n        \
                 // Give the search indexer time to see the row.\n        \
                 std::thread::sleep(std::time::Duration::from_millis(20));\n        \
                 {touch}\n        Ok(row)\n    }})\n}}\n"
            ),
            Expected {
                io_in_transaction: 1,
                ..none
            },
        ),
    };
    push(Layer::Service, register, expected);

    let (page, expected) = match fk {
        Some(fk) => {
            let (p, col) = (&fk.parent, &fk.column);
            let ps = singular(p);
            let parents = format!(
                "let parent_ids: Vec<i64> = {p}::table\n        .select({p}::id)\n        \
                 .order({p}::id.desc())\n        .limit(crate::PAGE_SIZE)\n        \
                 .offset(page * crate::PAGE_SIZE)\n        .load(conn)?;"
            );
            let head = format!(
                "/// A page of {p} with their {t}.\n\
                 pub fn {ps}_page_with_{t}_{b}(\n    conn: &mut PgConnection,\n    page: i64,\n) \
                 -> QueryResult<Vec<(i64, Vec<{m}>)>> {{\n    {parents}\n"
            );
            if rng.chance(35) {
                let mut f = head;
                let _ = write!(
                    f,
                    "    let mut out = Vec::with_capacity(parent_ids.len());\n    \
                     for parent_id in parent_ids {{\n        \
                     let children = repo::{t}_of_{ps}_{b}(conn, parent_id)?;\n        \
                     out.push((parent_id, children));\n    }}\n    Ok(out)\n}}\n"
                );
                (f, n_plus_one)
            } else {
                let wrap = if table.column(col).is_some_and(|c| c.nullable) {
                    "Some(id)"
                } else {
                    "id"
                };
                let mut f = head;
                let _ = write!(
                    f,
                    "    let children: Vec<{m}> = {t}::table\n        \
                     .filter({t}::{col}.eq_any(&parent_ids))\n        \
                     .select({m}::as_select())\n        .load(conn)?;\n    \
                     Ok(parent_ids\n        .into_iter()\n        .map(|id| {{\n            \
                     let mine = children.iter().filter(|c| c.{col} == {wrap}).cloned().collect();\n            \
                     (id, mine)\n        }})\n        .collect())\n}}\n"
                );
                (f, none)
            }
        }
        None => (
            format!(
                "/// The number of {t} and the ten newest.\n\
                 pub fn recent_{t}_{b}(conn: &mut PgConnection) -> QueryResult<(i64, Vec<{m}>)> {{\n    \
                 let total: i64 = {t}::table.count().get_result(conn)?;\n    \
                 let latest = {t}::table\n        .order({t}::created_at.desc())\n        \
                 .limit(10)\n        .select({m}::as_select())\n        .load(conn)?;\n    \
                 Ok((total, latest))\n}}\n"
            ),
            none,
        ),
    };
    push(Layer::Service, page, expected);

    let handler = match b % 3 {
        0 => format!(
            "pub async fn get_{s}_{b}(\n    State(pool): State<DbPool>,\n    Path(id): Path<i64>,\n) \
             -> Result<Json<{m}>, AppError> {{\n    let mut conn = pool.get()?;\n    \
             let row = repo::find_{s}_{b}(&mut conn, id)?.ok_or(AppError::NotFound)?;\n    \
             Ok(Json(row))\n}}\n"
        ),
        1 => format!(
            "pub async fn list_{t}_{b}(\n    State(pool): State<DbPool>,\n    Query(q): Query<Page>,\n) \
             -> Result<Json<Vec<{m}>>, AppError> {{\n    let mut conn = pool.get()?;\n    \
             Ok(Json(repo::list_{t}_{b}(&mut conn, q.page.unwrap_or(0))?))\n}}\n"
        ),
        _ => format!(
            "pub async fn create_{s}_{b}(\n    State(pool): State<DbPool>,\n    Json(new): Json<New{m}>,\n) \
             -> Result<Json<{m}>, AppError> {{\n    let mut conn = pool.get()?;\n    \
             Ok(Json(service::register_{s}_{b}(&mut conn, &new)?))\n}}\n"
        ),
    };
    push(Layer::Handler, handler, none);
    out
}
