//! `schema_drift`'s PostgreSQL type families checked against a real server (issue 5).
//!
//! The migrations below (every built-in type diesel knows, arrays, ranges, enums, a
//! composite, a domain, extension and catalog types) run on a fresh PostgreSQL database.
//! From its information_schema the test writes the schema.rs `diesel print-schema` would
//! write, following diesel_cli 2.3's rules (`udt_name` in UpperCamelCase, `_x` as
//! `Array<Nullable<X>>`, types diesel lacks in a generated `sql_types` module). dbopt replays
//! the same SQL; `schema_drift` must be silent on that file and report exactly the edits of
//! a changed copy. Reads `DBOPT_TEST_DATABASE_URL` (see `dbopt_tests::pg`).
#![allow(
    clippy::print_stdout,
    reason = "the test shows the schema.rs it derived"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbopt_core::diagnostic::Reporter;
use dbopt_core::model::Backend;
use dbopt_core::rule::Check;
use dbopt_core::schema_rs::{SchemaRsInput, parse_schema_rs};
use dbopt_core::source::SourceMap;
use dbopt_core::sql::types::upper_camel;
use dbopt_core::sql::{LoadedMigration, Migration, Replay, SchemaContext};
use dbopt_tests::pg::{TestDatabase, server_url};
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

const MIGRATIONS: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS citext;\n\
     CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
     CREATE TYPE address AS (street TEXT, city TEXT);\n\
     CREATE DOMAIN email AS VARCHAR(320) CHECK (VALUE LIKE '%@%');\n\
     CREATE TABLE numbers (\n\
       id SERIAL PRIMARY KEY,\n\
       s SMALLINT, ss SMALLSERIAL, i INTEGER NOT NULL, i4 INT4, b BIGINT, bs BIGSERIAL,\n\
       r REAL, d DOUBLE PRECISION, f10 FLOAT(10), f40 FLOAT(40), f FLOAT,\n\
       n NUMERIC(10, 2) NOT NULL, dec DECIMAL, m MONEY, o OID\n\
     );",
    "CREATE TABLE texts (\n\
       id BIGSERIAL PRIMARY KEY,\n\
       t TEXT NOT NULL, v VARCHAR(20), cv CHARACTER VARYING, c CHAR(3), ch CHARACTER(5),\n\
       ci CITEXT, e email NOT NULL, nm NAME, by BYTEA, bt BIT(3), vb BIT VARYING(8),\n\
       x XML, ts TSVECTOR, bo BOOLEAN NOT NULL DEFAULT false, u UUID, j JSON, jb JSONB\n\
     );",
    "CREATE TABLE times (\n\
       id INTEGER PRIMARY KEY,\n\
       dt DATE, tm TIME, tm2 TIME WITHOUT TIME ZONE, ttz TIMETZ,\n\
       ts TIMESTAMP, ts3 TIMESTAMP(3) WITHOUT TIME ZONE, tstz TIMESTAMPTZ NOT NULL,\n\
       tstz2 TIMESTAMP WITH TIME ZONE, iv INTERVAL, iv2 INTERVAL DAY TO SECOND\n\
     );\n\
     CREATE TABLE others (\n\
       a INTEGER, b TEXT, ip INET, net CIDR, mac MACADDR, mac8 MACADDR8, pt POINT,\n\
       lsn PG_LSN, md mood NOT NULL, ad address,\n\
       r4 INT4RANGE, r8 INT8RANGE, rn NUMRANGE, rd DATERANGE, rts TSRANGE, rtz TSTZRANGE,\n\
       mr INT4MULTIRANGE,\n\
       ia INTEGER[] NOT NULL, ta TEXT[][], va VARCHAR(10)[], ina INT ARRAY, ma mood[],\n\
       PRIMARY KEY (a, b)\n\
     );",
];

/// diesel_cli's `pg_diesel_types()` (with `common_diesel_types`).
const DIESEL_PG_TYPES: &[&str] = &[
    "Bool",
    "Integer",
    "SmallInt",
    "BigInt",
    "Binary",
    "Text",
    "Double",
    "Float",
    "Numeric",
    "Timestamp",
    "Date",
    "Time",
    "Float4",
    "Smallint",
    "Int2",
    "Int4",
    "Int8",
    "Bigint",
    "Float8",
    "Decimal",
    "VarChar",
    "Varchar",
    "Char",
    "Tinytext",
    "Mediumtext",
    "Longtext",
    "Tinyblob",
    "Blob",
    "Mediumblob",
    "Longblob",
    "Varbinary",
    "Bit",
    "Cidr",
    "Citext",
    "Inet",
    "Jsonb",
    "MacAddr",
    "MacAddr8",
    "Money",
    "Oid",
    "Range",
    "Timestamptz",
    "Uuid",
    "Json",
    "PgLsn",
    "Record",
    "Interval",
    "Int4range",
    "Int8range",
    "Daterange",
    "Numrange",
    "Tsrange",
    "Tstzrange",
    "Int4multirange",
    "Int8multirange",
    "Datemultirange",
    "Nummultirange",
    "Tsmultirange",
    "Tstzmultirange",
    "SmallSerial",
    "BigSerial",
    "Serial",
    "Bytea",
    "Bpchar",
    "Macaddr",
    "Macaddr8",
];

#[test]
fn schema_drift_agrees_with_print_schema_types() {
    let Some(server) = server_url("schema_drift_agrees_with_print_schema_types") else {
        return;
    };
    let db = TestDatabase::create(&server, "pg_drift")
        .unwrap_or_else(|e| panic!("cannot create a test database on {server}: {e}"));
    let mut conn = PgConnection::establish(&db.url)
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", db.name()));
    for sql in MIGRATIONS {
        diesel::connection::SimpleConnection::batch_execute(&mut conn, sql)
            .unwrap_or_else(|e| panic!("PostgreSQL rejects the migration: {e}\n{sql}"));
    }
    let printed = print_schema(&mut conn);
    println!("print-schema's rules give:\n{printed}");

    let (sources, loaded) = migrations();
    let replay = dbopt_core::sql::replay::replay(Backend::Postgres, &sources, &loaded);
    assert_eq!(replay.unparsed, vec![], "every statement parses");
    assert_eq!(
        schema_drift(&sources, &loaded, &replay, &printed),
        Vec::<String>::new()
    );

    let edited = printed
        .replace(
            "        ia -> Array<Nullable<Int4>>,",
            "        ia -> Array<Nullable<Int8>>,",
        )
        .replace("        tstz -> Timestamptz,", "        tstz -> Timestamp,")
        .replace("        md -> Mood,", "        md -> Text,")
        .replace("        e -> Varchar,", "        e -> Text,");
    assert_eq!(
        schema_drift(&sources, &loaded, &replay, &edited),
        vec![
            "column `others.md` is `Text` in schema.rs but `mood` (`Mood`) in the migrations",
            "column `others.ia` is `Array<Nullable<Int8>>` in schema.rs but `integer[]` (`Array<Nullable<Integer>>`) in the migrations",
            "column `times.tstz` is `Timestamp` in schema.rs but `timestamptz` (`Timestamptz`) in the migrations",
        ],
        "`e -> Text` is no drift: the domain is a varchar, and Varchar is Text"
    );
}

fn migrations() -> (SourceMap, Vec<LoadedMigration>) {
    let mut sources = SourceMap::new();
    let loaded = MIGRATIONS
        .iter()
        .enumerate()
        .map(|(i, sql)| {
            let name = format!("2024-03-01-00000{i}_m{i}");
            LoadedMigration {
                up_sql: sources.add(format!("migrations/{name}/up.sql"), *sql),
                migration: Migration {
                    version: format!("2024030100000{i}"),
                    dir: PathBuf::from(format!("migrations/{name}")),
                    name,
                    run_in_transaction: true,
                },
            }
        })
        .collect();
    (sources, loaded)
}

/// The messages of `schema_drift` for one schema.rs text.
fn schema_drift(
    sources: &SourceMap,
    loaded: &[LoadedMigration],
    replay: &Replay,
    schema_rs: &str,
) -> Vec<String> {
    let mut sources = sources.clone();
    let file = sources.add("src/schema.rs", schema_rs);
    let parsed = parse_schema_rs(SchemaRsInput {
        file,
        path: Path::new("src/schema.rs"),
        text: schema_rs,
        default_schema: None,
        backend: Backend::Postgres,
    })
    .unwrap_or_else(|e| panic!("the generated schema.rs does not parse: {e}"));
    let files = [parsed];
    let ctx = SchemaContext {
        sources: &sources,
        backend: Backend::Postgres,
        migrations: loaded,
        replay,
        schema_files: &files,
    };
    let rule = dbopt_core::rules::find("schema_drift").expect("registered");
    // Refutable once code rules get their own `Check` variant.
    #[allow(irrefutable_let_patterns)]
    let Check::Schema(check) = rule.check else {
        panic!("`{}` is a schema rule", rule.name);
    };
    let mut out = Reporter::new();
    check(&ctx, &mut out);
    out.into_diagnostics()
        .into_iter()
        .map(|d| d.message)
        .collect()
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// diesel_cli 2.3's PostgreSQL `determine_column_type` and its table! layout.
fn print_schema(conn: &mut PgConnection) -> String {
    let columns: Vec<ColumnRow> = diesel::sql_query(
        "SELECT c.table_name::text, c.column_name::text, c.udt_name::text, c.is_nullable::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.columns: {e}"));
    let keys: Vec<KeyRow> = diesel::sql_query(
        "SELECT k.table_name::text, k.column_name::text \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema \
         WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY' \
         ORDER BY k.table_name, k.ordinal_position",
    )
    .load(conn)
    .unwrap_or_else(|e| panic!("information_schema.key_column_usage: {e}"));
    let mut custom: BTreeMap<String, String> = BTreeMap::new();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &columns {
        let (array, udt) = match c.udt_name.strip_prefix('_') {
            Some(element) => (true, element),
            None => (false, c.udt_name.as_str()),
        };
        let rust = upper_camel(udt);
        if !DIESEL_PG_TYPES.contains(&rust.as_str()) {
            custom.insert(
                rust.clone(),
                format!(
                    "    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]\n    \
                     #[diesel(postgres_type(name = \"{udt}\"))]\n    pub struct {rust};\n"
                ),
            );
        }
        let mut ty = if array {
            format!("Array<Nullable<{rust}>>")
        } else {
            rust
        };
        if c.is_nullable == "YES" {
            ty = format!("Nullable<{ty}>");
        }
        tables
            .entry(c.table_name.clone())
            .or_default()
            .push(format!("        {} -> {ty},\n", c.column_name));
    }
    let mut out = String::from("// @generated automatically by Diesel CLI.\n\n");
    out.push_str("pub mod sql_types {\n");
    out.push_str(&custom.values().cloned().collect::<Vec<_>>().join("\n"));
    out.push_str("}\n\n");
    for (table, cols) in &tables {
        let pk: Vec<&str> = keys
            .iter()
            .filter(|k| &k.table_name == table)
            .map(|k| k.column_name.as_str())
            .collect();
        out.push_str(&format!(
            "diesel::table! {{\n    use diesel::sql_types::*;\n    use super::sql_types::*;\n\n    \
             {table} ({}) {{\n{}    }}\n}}\n\n",
            pk.join(", "),
            cols.concat()
        ));
    }
    out
}
