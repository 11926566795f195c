//! A generated Cargo workspace of Diesel application code for `cargo xtask bench-scan`:
//! `PACKAGES` packages, each a web service in layers, the way real Diesel applications are
//! written: `repo/` (the queries, on a connection or a pool), `service/` (transactions and
//! calls into repositories, some in loops), `handlers/` (no database word: they call
//! services), `models.rs` (Diesel derives), `schema.rs` (`table!`), and `util/` (text,
//! money and date helpers that cannot touch a database). About a quarter of the files hold
//! no database word. Some fns hold the bugs the rules find (a query or a helper call in a
//! loop, two writes without a transaction), so the scan does real work. Deterministic: the
//! same arguments write the same bytes.

use std::fmt::Write as _;
use std::path::Path;

/// Entities, one repository / service / handler module each.
const ENTITIES: &[&str] = &[
    "user",
    "order",
    "product",
    "invoice",
    "payment",
    "shipment",
    "review",
    "coupon",
    "cart",
    "address",
    "category",
    "supplier",
    "warehouse",
    "refund",
    "session",
    "message",
];

/// Files of plain code per package.
const UTIL_FILES: usize = 12;

/// Writes a workspace of `packages` packages under `dir`; returns (files, lines, bytes).
pub fn write_workspace(dir: &Path, packages: usize) -> std::io::Result<(usize, usize, usize)> {
    let mut files = Vec::new();
    let members: Vec<String> = (0..packages).map(|p| format!("\"svc{p}\"")).collect();
    files.push((
        "Cargo.toml".to_owned(),
        format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    ));
    for p in 0..packages {
        package(p, &mut files);
    }
    let mut lines = 0;
    let mut bytes = 0;
    let mut rs = 0;
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
        }
        if rel.ends_with(".rs") {
            rs += 1;
            lines += text.lines().count();
            bytes += text.len();
        }
    }
    Ok((rs, lines, bytes))
}

/// `svc{p}/...`: one package.
fn package(p: usize, files: &mut Vec<(String, String)>) {
    let root = format!("svc{p}");
    files.push((
        format!("{root}/Cargo.toml"),
        format!(
            "[package]\nname = \"svc{p}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\ndiesel = {{ version = \"2.3\", features = [\"postgres\", \"r2d2\"] }}\n"
        ),
    ));
    let mods: Vec<String> = ENTITIES.iter().map(|e| format!("pub mod {e};")).collect();
    files.push((
        format!("{root}/src/lib.rs"),
        format!(
            "//! Service {p}.\n\npub mod handlers;\npub mod models;\npub mod repo;\npub mod schema;\n\
             pub mod service;\npub mod util;\n\nuse diesel::pg::PgConnection;\n\
             use diesel::r2d2::{{ConnectionManager, Pool}};\n\n\
             pub type DbPool = Pool<ConnectionManager<PgConnection>>;\n"
        ),
    ));
    for layer in ["repo", "service", "handlers"] {
        files.push((
            format!("{root}/src/{layer}/mod.rs"),
            format!("//! The {layer} layer.\n\n{}\n", mods.join("\n")),
        ));
    }
    files.push((format!("{root}/src/schema.rs"), schema()));
    files.push((format!("{root}/src/models.rs"), models()));
    for (k, e) in ENTITIES.iter().enumerate() {
        let seed = p * 31 + k;
        files.push((format!("{root}/src/repo/{e}.rs"), repo(e, seed)));
        files.push((format!("{root}/src/service/{e}.rs"), service(e, seed)));
        files.push((format!("{root}/src/handlers/{e}.rs"), handlers(e, seed)));
    }
    let utils: Vec<String> = (0..UTIL_FILES).map(|u| format!("pub mod u{u};")).collect();
    files.push((
        format!("{root}/src/util/mod.rs"),
        format!("//! Helpers.\n\n{}\n", utils.join("\n")),
    ));
    for u in 0..UTIL_FILES {
        files.push((format!("{root}/src/util/u{u}.rs"), util(p * 7 + u)));
    }
}

fn plural(e: &str) -> String {
    match e {
        "address" => "addresses".to_owned(),
        "category" => "categories".to_owned(),
        "supplier" | "warehouse" => format!("{e}s"),
        _ => format!("{e}s"),
    }
}

fn camel(e: &str) -> String {
    let mut c = e.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn schema() -> String {
    let mut s = String::from("// @generated automatically by Diesel CLI.\n\n");
    for e in ENTITIES {
        let t = plural(e);
        let _ = write!(
            s,
            "diesel::table! {{\n    {t} (id) {{\n        id -> Int4,\n        owner_id -> Int4,\n        \
             name -> Text,\n        status -> Text,\n        amount_cents -> Int8,\n        \
             created_at -> Timestamp,\n    }}\n}}\n\n"
        );
    }
    let tables: Vec<String> = ENTITIES.iter().map(|e| plural(e)).collect();
    let _ = writeln!(
        s,
        "diesel::allow_tables_to_appear_in_same_query!({},);",
        tables.join(", ")
    );
    s
}

fn models() -> String {
    let mut s = String::from("use diesel::prelude::*;\n\nuse crate::schema::*;\n\n");
    for e in ENTITIES {
        let (t, c) = (plural(e), camel(e));
        let _ = write!(
            s,
            "#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]\n\
             #[diesel(table_name = {t})]\npub struct {c} {{\n    pub id: i32,\n    pub owner_id: i32,\n    \
             pub name: String,\n    pub status: String,\n    pub amount_cents: i64,\n    \
             pub created_at: chrono::NaiveDateTime,\n}}\n\n\
             #[derive(Debug, Insertable, AsChangeset)]\n#[diesel(table_name = {t})]\n\
             pub struct New{c}<'a> {{\n    pub owner_id: i32,\n    pub name: &'a str,\n    \
             pub status: &'a str,\n    pub amount_cents: i64,\n}}\n\n"
        );
    }
    s
}

/// A repository of about 330 lines: 14 query fns on a connection, 4 on the pool.
fn repo(e: &str, seed: usize) -> String {
    let (t, c) = (plural(e), camel(e));
    let mut s = format!(
        "//! Queries on `{t}`.\n\nuse diesel::prelude::*;\n\nuse crate::DbPool;\n\
         use crate::models::{{{c}, New{c}}};\nuse crate::schema::{t};\n\n\
         /// How many rows a page holds.\npub const PAGE: i64 = 50;\n\n"
    );
    for i in 0..14 {
        let _ = write!(s, "{}", repo_fn(e, &t, &c, i, seed));
    }
    let _ = write!(
        s,
        "/// `{t}` through the pool: each call checks a connection out.\npub struct {c}Repo {{\n    \
         pool: DbPool,\n}}\n\nimpl {c}Repo {{\n    pub fn new(pool: DbPool) -> Self {{\n        \
         {c}Repo {{ pool }}\n    }}\n\n"
    );
    for i in 0..4 {
        let _ = write!(s, "{}", pool_method(e, &t, &c, i));
    }
    s.push_str("}\n");
    s
}

fn repo_fn(e: &str, t: &str, c: &str, i: usize, seed: usize) -> String {
    match (i + seed) % 7 {
        0 => format!(
            "/// One `{e}` by id.\npub fn find_{e}_{i}(conn: &mut PgConnection, id: i32) -> QueryResult<{c}> {{\n    \
             {t}::table\n        .find(id)\n        .select({c}::as_select())\n        .first(conn)\n}}\n\n"
        ),
        1 => format!(
            "/// A page of an owner's `{t}`, newest first.\npub fn page_{e}_{i}(\n    conn: &mut PgConnection,\n    \
             owner: i32,\n    page: i64,\n) -> QueryResult<Vec<{c}>> {{\n    {t}::table\n        \
             .filter({t}::owner_id.eq(owner))\n        .order({t}::created_at.desc())\n        \
             .limit(PAGE)\n        .offset(page * PAGE)\n        .select({c}::as_select())\n        \
             .load(conn)\n}}\n\n"
        ),
        2 => format!(
            "/// The `{t}` of several owners, in one query.\npub fn of_owners_{e}_{i}(\n    conn: &mut PgConnection,\n    \
             owners: &[i32],\n) -> QueryResult<Vec<{c}>> {{\n    {t}::table\n        \
             .filter({t}::owner_id.eq_any(owners))\n        .select({c}::as_select())\n        \
             .load(conn)\n}}\n\n"
        ),
        3 => format!(
            "/// Inserts several `{t}` at once.\npub fn create_{e}_{i}(conn: &mut PgConnection, rows: &[New{c}<'_>]) -> QueryResult<usize> {{\n    \
             diesel::insert_into({t}::table).values(rows).execute(conn)\n}}\n\n"
        ),
        4 => format!(
            "/// Renames and re-prices one `{e}` in a transaction.\npub fn update_{e}_{i}(\n    \
             conn: &mut PgConnection,\n    id: i32,\n    name: &str,\n    cents: i64,\n) -> QueryResult<()> {{\n    \
             conn.transaction(|conn| {{\n        diesel::update({t}::table.find(id))\n            \
             .set({t}::name.eq(name))\n            .execute(conn)?;\n        \
             diesel::update({t}::table.find(id))\n            .set({t}::amount_cents.eq(cents))\n            \
             .execute(conn)?;\n        Ok(())\n    }})\n}}\n\n"
        ),
        5 => format!(
            "/// The statuses of some `{t}`: one query per id.\npub fn statuses_{e}_{i}(\n    \
             conn: &mut PgConnection,\n    ids: &[i32],\n) -> QueryResult<Vec<String>> {{\n    \
             let mut out = Vec::with_capacity(ids.len());\n    for id in ids {{\n        \
             let status: String = {t}::table.find(id).select({t}::status).first(conn)?;\n        \
             out.push(status);\n    }}\n    Ok(out)\n}}\n\n"
        ),
        _ => format!(
            "/// Counts and sums an owner's `{t}`.\npub fn totals_{e}_{i}(conn: &mut PgConnection, owner: i32) -> QueryResult<(i64, Option<i64>)> {{\n    \
             let count = {t}::table\n        .filter({t}::owner_id.eq(owner))\n        .count()\n        \
             .get_result(conn)?;\n    let sum = {t}::table\n        .filter({t}::owner_id.eq(owner))\n        \
             .select(diesel::dsl::sum({t}::amount_cents))\n        .first(conn)?;\n    \
             Ok((count, sum))\n}}\n\n"
        ),
    }
}

fn pool_method(e: &str, t: &str, c: &str, i: usize) -> String {
    match i % 2 {
        0 => format!(
            "    /// One `{e}` on a fresh checkout.\n    pub fn get_{i}(&self, id: i32) -> QueryResult<{c}> {{\n        \
             let mut conn = self.pool.get().expect(\"a pooled connection\");\n        \
             {t}::table.find(id).select({c}::as_select()).first(&mut conn)\n    }}\n\n"
        ),
        _ => format!(
            "    /// Marks some `{t}` archived, all in one statement.\n    pub fn archive_{i}(&self, ids: &[i32]) -> QueryResult<usize> {{\n        \
             let mut conn = self.pool.get().expect(\"a pooled connection\");\n        \
             diesel::update({t}::table.filter({t}::id.eq_any(ids)))\n            \
             .set({t}::status.eq(\"archived\"))\n            .execute(&mut conn)\n    }}\n\n"
        ),
    }
}

/// A service of about 200 lines: transactions, helper calls, some in loops.
fn service(e: &str, seed: usize) -> String {
    let (t, c) = (plural(e), camel(e));
    let mut s = format!(
        "//! What can be done with `{t}`.\n\nuse diesel::prelude::*;\n\nuse crate::DbPool;\n\
         use crate::models::{{{c}, New{c}}};\nuse crate::repo::{e} as repo;\n\n\
         pub struct {c}Service {{\n    pool: DbPool,\n    repo: repo::{c}Repo,\n}}\n\n\
         impl {c}Service {{\n    pub fn new(pool: DbPool) -> Self {{\n        \
         let repo = repo::{c}Repo::new(pool.clone());\n        {c}Service {{ pool, repo }}\n    }}\n\n"
    );
    for i in 0..10 {
        let n = (i + seed) % 14;
        let _ = write!(s, "{}", service_method(e, &t, &c, i, n));
    }
    s.push_str("}\n");
    s
}

fn service_method(e: &str, t: &str, c: &str, i: usize, n: usize) -> String {
    match i % 5 {
        0 => format!(
            "    /// Creates several `{t}` and reads them back, in one transaction.\n    \
             pub fn create_all_{i}(&self, rows: &[New{c}<'_>], owner: i32) -> QueryResult<Vec<{c}>> {{\n        \
             let mut conn = self.pool.get().expect(\"a pooled connection\");\n        \
             conn.transaction(|conn| {{\n            repo::create_{e}_{n}(conn, rows)?;\n            \
             repo::of_owners_{e}_{n}(conn, &[owner])\n        }})\n    }}\n\n"
        ),
        1 => format!(
            "    /// The `{t}` of each owner: one helper call per owner.\n    \
             pub fn by_owner_{i}(&self, owners: &[i32]) -> QueryResult<Vec<Vec<{c}>>> {{\n        \
             let mut conn = self.pool.get().expect(\"a pooled connection\");\n        \
             owners\n            .iter()\n            .map(|o| repo::page_{e}_{n}(&mut conn, *o, 0))\n            \
             .collect()\n    }}\n\n"
        ),
        2 => format!(
            "    /// Looks each id up through the repository.\n    \
             pub fn names_{i}(&self, ids: &[i32]) -> Vec<String> {{\n        \
             let mut names = Vec::new();\n        for id in ids {{\n            \
             if let Ok(row) = self.repo.get_0(*id) {{\n                names.push(row.name);\n            }}\n        }}\n        \
             names\n    }}\n\n"
        ),
        3 => format!(
            "    /// Renames then re-prices: two writes, each on its own.\n    \
             pub fn reprice_{i}(&self, id: i32, name: &str, cents: i64) -> QueryResult<()> {{\n        \
             let mut conn = self.pool.get().expect(\"a pooled connection\");\n        \
             diesel::update(crate::schema::{t}::table.find(id))\n            \
             .set(crate::schema::{t}::name.eq(name))\n            .execute(&mut conn)?;\n        \
             diesel::update(crate::schema::{t}::table.find(id))\n            \
             .set(crate::schema::{t}::amount_cents.eq(cents))\n            .execute(&mut conn)?;\n        \
             Ok(())\n    }}\n\n"
        ),
        _ => format!(
            "    /// A summary line per owner, from one query.\n    \
             pub fn summary_{i}(&self, owners: &[i32]) -> QueryResult<Vec<String>> {{\n        \
             let mut conn = self.pool.get().expect(\"a pooled connection\");\n        \
             let rows = repo::of_owners_{e}_{n}(&mut conn, owners)?;\n        \
             Ok(rows\n            .iter()\n            .map(|r| format!(\"{{}}: {{}} ({{}})\", r.id, r.name, r.status))\n            \
             .collect())\n    }}\n\n"
        ),
    }
}

/// Handlers of about 150 lines: no database word, they call the service.
fn handlers(e: &str, seed: usize) -> String {
    let (t, c) = (plural(e), camel(e));
    let mut s = format!(
        "//! HTTP handlers for `{t}`.\n\nuse crate::service::{e}::{c}Service;\n\n\
         /// A rendered page.\npub struct Page {{\n    pub title: String,\n    pub rows: Vec<String>,\n    \
         pub status: u16,\n}}\n\nfn ok(title: &str, rows: Vec<String>) -> Page {{\n    \
         Page {{ title: title.to_owned(), rows, status: 200 }}\n}}\n\n\
         fn bad_request(why: &str) -> Page {{\n    Page {{ title: why.to_owned(), rows: Vec::new(), status: 400 }}\n}}\n\n"
    );
    for i in 0..8 {
        let m = (i + seed) % 2 * 5 + 2; // names_2 or names_7
        let _ = write!(
            s,
            "/// `GET /{t}/{i}?ids=..`\npub fn list_{i}(svc: &{c}Service, query: &str) -> Page {{\n    \
             let ids: Result<Vec<i32>, _> = query.split(',').map(|s| s.trim().parse::<i32>()).collect();\n    \
             match ids {{\n        Ok(ids) if !ids.is_empty() => {{\n            \
             let names = svc.names_{m}(&ids);\n            ok(\"{t}\", names)\n        }}\n        \
             Ok(_) => bad_request(\"no ids\"),\n        Err(e) => bad_request(&e.to_string()),\n    }}\n}}\n\n"
        );
    }
    s
}

/// Plain helpers of about 200 lines: no database word.
fn util(seed: usize) -> String {
    let mut s = String::from(
        "//! Text, money and date helpers.\n\nuse std::collections::HashMap;\nuse std::fmt::Write as _;\n\n",
    );
    for i in 0..10 {
        let k = seed * 10 + i;
        let _ = write!(
            s,
            "/// Formats cents as a price.\npub fn price_{k}(cents: i64) -> String {{\n    \
             let sign = if cents < 0 {{ \"-\" }} else {{ \"\" }};\n    let abs = cents.unsigned_abs();\n    \
             format!(\"{{sign}}{{}}.{{:02}}\", abs / 100, abs % 100)\n}}\n\n\
             /// Word frequencies, most frequent first.\npub fn words_{k}(text: &str) -> Vec<(String, usize)> {{\n    \
             let mut counts: HashMap<String, usize> = HashMap::new();\n    \
             for w in text.split_whitespace() {{\n        \
             *counts.entry(w.to_lowercase()).or_default() += 1;\n    }}\n    \
             let mut v: Vec<_> = counts.into_iter().collect();\n    \
             v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));\n    v\n}}\n\n\
             /// A table of `rows` as text.\npub fn table_{k}(rows: &[(String, i64)]) -> String {{\n    \
             let mut out = String::new();\n    for (name, n) in rows {{\n        \
             let _ = writeln!(out, \"{{name:<20}}{{n:>12}}\");\n    }}\n    out\n}}\n\n"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_deterministic_and_parses() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let sa = write_workspace(a.path(), 1).unwrap();
        let sb = write_workspace(b.path(), 1).unwrap();
        assert_eq!(sa, sb);
        for rel in ["svc0/src/repo/order.rs", "svc0/src/util/u3.rs"] {
            let ta = std::fs::read_to_string(a.path().join(rel)).unwrap();
            assert_eq!(ta, std::fs::read_to_string(b.path().join(rel)).unwrap());
        }
        let mut stack = vec![a.path().join("svc0/src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let text = std::fs::read_to_string(&path).unwrap();
                    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                }
            }
        }
    }
}
