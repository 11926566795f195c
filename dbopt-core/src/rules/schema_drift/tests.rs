use std::path::{Path, PathBuf};

use super::*;
use crate::schema_rs::{SchemaRsInput, parse_schema_rs};
use crate::source::{SourceMap, Span};
use crate::sql::discover::parse_diesel_toml;
use crate::sql::{LoadedMigration, Migration};

/// One analysed project: migrations, one schema.rs, optionally a diesel.toml section and
/// a patch file.
struct Case<'a> {
    backend: Backend,
    migrations: &'a [&'a str],
    schema_rs: &'a str,
    diesel_toml: Option<&'a str>,
    patch: Option<&'a str>,
    /// Statements sqlparser rejects are expected.
    unparsed: bool,
}

impl<'a> Case<'a> {
    fn new(backend: Backend, migrations: &'a [&'a str], schema_rs: &'a str) -> Self {
        Case {
            backend,
            migrations,
            schema_rs,
            diesel_toml: None,
            patch: None,
            unparsed: false,
        }
    }

    /// `file:line: message` of every finding.
    fn findings(&self) -> Vec<String> {
        self.render(false)
    }

    /// Each finding as above, followed by `  file:line: label` for its secondary labels.
    fn render(&self, secondary: bool) -> Vec<String> {
        let mut sources = SourceMap::new();
        let migrations: Vec<LoadedMigration> = self
            .migrations
            .iter()
            .enumerate()
            .map(|(i, sql)| LoadedMigration {
                migration: Migration {
                    version: format!("2024010100000{i}"),
                    name: format!("2024010100000{i}_m"),
                    dir: PathBuf::from(format!("m{i}")),
                    run_in_transaction: true,
                },
                up_sql: sources.add(format!("m{i}/up.sql"), *sql),
            })
            .collect();
        let replay = crate::sql::replay::replay(self.backend, &sources, &migrations);
        assert_eq!(
            replay.unparsed.is_empty(),
            !self.unparsed,
            "{:?}",
            replay.unparsed
        );
        let section = self.diesel_toml.map(|toml| {
            let config = parse_diesel_toml(Path::new("diesel.toml"), toml).expect("valid toml");
            config.print_schema.into_iter().next().expect("a section")
        });
        let file = sources.add("src/schema.rs", self.schema_rs);
        let mut schema_file = parse_schema_rs(SchemaRsInput {
            file,
            path: Path::new("src/schema.rs"),
            text: self.schema_rs,
            default_schema: section.as_ref().and_then(|s| s.schema.as_deref()),
            backend: self.backend,
        })
        .expect("schema.rs parses");
        schema_file.print_schema = section;
        schema_file.patch = self.patch.map(|p| sources.add("src/schema.patch", p));
        let files = [schema_file];
        let ctx = SchemaContext {
            sources: &sources,
            backend: self.backend,
            migrations: &migrations,
            replay: &replay,
            schema_files: &files,
        };
        let mut out = Reporter::new();
        check(&ctx, &mut out);
        let at = |span: &Span| {
            let lc = sources.line_col(span.file, span.range.start);
            format!("{}:{}", sources.path(span.file).display(), lc.line)
        };
        let mut lines = Vec::new();
        for d in out.into_diagnostics() {
            lines.push(format!("{}: {}", at(&d.primary.span), d.message));
            if secondary {
                for l in &d.secondary {
                    lines.push(format!("  {}: {}", at(&l.span), l.message));
                }
            }
        }
        lines
    }
}

const PG_MIGRATIONS: &[&str] = &[
    "CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
     CREATE DOMAIN email AS varchar(320);\n\
     CREATE TABLE users (\n\
       id SERIAL PRIMARY KEY,\n\
       email email NOT NULL,\n\
       name VARCHAR(50),\n\
       mood mood,\n\
       tags TEXT[] NOT NULL,\n\
       created_at TIMESTAMPTZ NOT NULL DEFAULT now()\n\
     );\n\
     CREATE VIEW active_users AS SELECT id FROM users;\n\
     CREATE TABLE __internal (id INT PRIMARY KEY);\n\
     CREATE TABLE no_pk (a INT);",
    "CREATE TABLE posts (\n\
       id BIGSERIAL PRIMARY KEY,\n\
       user_id INTEGER NOT NULL REFERENCES users (id),\n\
       body TEXT,\n\
       score NUMERIC(10, 2) NOT NULL\n\
     );\n\
     CREATE TABLE tags (post_id BIGINT, tag TEXT, PRIMARY KEY (post_id, tag));\n\
     ALTER TABLE posts ADD COLUMN published_at TIMESTAMP;",
];

/// What print-schema writes for PG_MIGRATIONS (diesel 2.3 layout).
const PG_SCHEMA_RS: &str = r#"// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "mood"))]
    pub struct Mood;
}

diesel::table! {
    posts (id) {
        id -> Int8,
        user_id -> Int4,
        body -> Nullable<Text>,
        score -> Numeric,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tags (post_id, tag) {
        post_id -> Int8,
        tag -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Mood;

    users (id) {
        id -> Int4,
        #[max_length = 320]
        email -> Varchar,
        #[max_length = 50]
        name -> Nullable<Varchar>,
        mood -> Nullable<Mood>,
        tags -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    active_users (id) {
        id -> Int4,
    }
}

diesel::joinable!(posts -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(posts, tags, users);
"#;

#[test]
fn silent_when_schema_rs_is_what_print_schema_writes() {
    assert_eq!(
        Case::new(Backend::Postgres, PG_MIGRATIONS, PG_SCHEMA_RS).findings(),
        Vec::<String>::new()
    );
}

#[test]
fn every_kind_of_drift() {
    let edited = PG_SCHEMA_RS
        .replace("        score -> Numeric,\n", "")
        .replace("body -> Nullable<Text>", "body -> Text")
        .replace("created_at -> Timestamptz", "created_at -> Timestamp")
        .replace("mood -> Nullable<Mood>", "mood -> Nullable<Text>")
        .replace("tags (post_id, tag)", "tags (post_id)")
        .replace(
            "        tag -> Text,\n",
            "        tag -> Text,\n        weight -> Int4,\n",
        )
        .replace("active_users (id)", "legacy (id)")
        .replace(
            "published_at -> Nullable<Timestamp>",
            "published_at -> Nullable<Timestamptz>",
        );
    assert_eq!(
        Case::new(Backend::Postgres, PG_MIGRATIONS, &edited).findings(),
        vec![
            "src/schema.rs:13: column `posts.body` is NOT NULL in schema.rs but nullable in the migrations",
            "src/schema.rs:10: column `posts.score` is missing from schema.rs",
            "src/schema.rs:14: column `posts.published_at` is `Timestamptz` in schema.rs but `timestamp` (`Timestamp`) in the migrations",
            "src/schema.rs:22: schema.rs declares column `tags.weight`, which the migrations do not create",
            "src/schema.rs:19: primary key of `tags` is (post_id) in schema.rs but (post_id, tag) in the migrations",
            "src/schema.rs:36: column `users.mood` is `Text` in schema.rs but `mood` (`Mood`) in the migrations",
            "src/schema.rs:38: column `users.created_at` is `Timestamp` in schema.rs but `timestamptz` (`Timestamptz`) in the migrations",
            "src/schema.rs:43: schema.rs declares table `legacy`, which the migrations do not create",
        ]
    );
}

#[test]
fn missing_table_points_at_its_migration() {
    let without_tags = PG_SCHEMA_RS.replace(
        "diesel::table! {\n    tags (post_id, tag) {\n        post_id -> Int8,\n        tag -> Text,\n    }\n}\n",
        "",
    );
    assert_eq!(
        Case::new(Backend::Postgres, PG_MIGRATIONS, &without_tags).findings(),
        vec!["m1/up.sql:7: table `tags` is missing from src/schema.rs"]
    );
}

#[test]
fn filter_and_schema_choose_the_expected_tables() {
    let only_users = r#"diesel::table! {
    use diesel::sql_types::*;
    users (id) {
        id -> Int4,
        email -> Varchar,
        name -> Nullable<Varchar>,
        mood -> Nullable<Mood>,
        tags -> Array<Text>,
        created_at -> Timestamptz,
    }
}
"#;
    let mut case = Case::new(Backend::Postgres, PG_MIGRATIONS, only_users);
    case.diesel_toml = Some("[print_schema]\nfilter = { only_tables = [\"^users$\"] }\n");
    assert_eq!(case.findings(), Vec::<String>::new());
    case.diesel_toml = Some("[print_schema]\nfilter = { except_tables = [\"^posts$\"] }\n");
    assert_eq!(
        case.findings(),
        vec!["m1/up.sql:7: table `tags` is missing from src/schema.rs"]
    );

    let audit = ["CREATE SCHEMA audit;\n\
         CREATE TABLE audit.events (id SERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL);\n\
         CREATE TABLE other (id INT PRIMARY KEY);"];
    let audit_rs = "pub mod audit {\n    diesel::table! {\n        audit.events (id) {\n            \
                    id -> Int4,\n            at -> Timestamptz,\n        }\n    }\n}\n";
    let mut case = Case::new(Backend::Postgres, &audit, audit_rs);
    case.diesel_toml = Some("[print_schema]\nschema = \"audit\"\n");
    assert_eq!(case.findings(), Vec::<String>::new());
    case.diesel_toml = None;
    assert_eq!(
        case.findings(),
        vec!["m0/up.sql:3: table `other` is missing from src/schema.rs"]
    );
}

const PATCH: &str = concat!(
    "--- a/src/schema.rs\n",
    "+++ b/src/schema.rs\n",
    "@@ -10,7 +10,7 @@\n",
    "     posts (id) {\n",
    "         id -> Int8,\n",
    "         user_id -> Int4,\n",
    "-        body -> Nullable<Text>,\n",
    "+        body -> Text,\n",
    "         score -> Numeric,\n",
    "         published_at -> Nullable<Timestamp>,\n",
    "     }\n",
);

#[test]
fn what_the_patch_changes_is_not_drift() {
    let patched = PG_SCHEMA_RS.replace("body -> Nullable<Text>", "body -> Text");
    let mut case = Case::new(Backend::Postgres, PG_MIGRATIONS, &patched);
    case.diesel_toml = Some("[print_schema]\npatch_file = \"src/schema.patch\"\n");
    case.patch = Some(PATCH);
    assert_eq!(case.findings(), Vec::<String>::new());

    // A CRLF checkout of the same files.
    let crlf = patched.replace('\n', "\r\n");
    case.schema_rs = &crlf;
    assert_eq!(case.findings(), Vec::<String>::new());
    case.schema_rs = &patched;

    // Drift elsewhere is still found, at its place in the file as written.
    let drifted = patched.replace("created_at -> Timestamptz", "created_at -> Timestamp");
    case.schema_rs = &drifted;
    assert_eq!(
        case.findings(),
        vec![
            "src/schema.rs:38: column `users.created_at` is `Timestamp` in schema.rs but `timestamptz` (`Timestamptz`) in the migrations"
        ]
    );

    // Without the patch applied, the patch no longer fits: reported, then compared as is.
    case.schema_rs = PG_SCHEMA_RS;
    assert_eq!(
        case.findings(),
        vec![
            "src/schema.rs:10: patch_file `src/schema.patch` does not apply to schema.rs in reverse (error applying hunk #1)"
        ]
    );
}

#[test]
fn sqlite_rowid_and_types() {
    let migrations = [
        "CREATE TABLE users (id INTEGER PRIMARY KEY NOT NULL, email VARCHAR(255) NOT NULL, score NUMERIC, token UUID);\n\
         CREATE TABLE log (message TEXT NOT NULL, at DATETIME);\n\
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));",
    ];
    let schema_rs = "diesel::table! {\n    log (rowid) {\n        rowid -> Integer,\n        \
                     message -> Text,\n        at -> Nullable<Timestamp>,\n    }\n}\n\
                     diesel::table! {\n    posts (id) {\n        id -> Nullable<Integer>,\n        \
                     user_id -> Integer,\n    }\n}\n\
                     diesel::table! {\n    users (id) {\n        id -> Integer,\n        \
                     email -> Text,\n        score -> Nullable<Double>,\n        \
                     token -> Nullable<Binary>,\n    }\n}\n";
    let mut case = Case::new(Backend::Sqlite, &migrations, schema_rs);
    assert_eq!(case.findings(), Vec::<String>::new());
    case.diesel_toml = Some("[print_schema]\nsqlite_integer_primary_key_is_bigint = true\n");
    assert_eq!(
        case.findings(),
        vec![
            "src/schema.rs:10: column `posts.id` is `Integer` in schema.rs but `integer` (`BigInt`) in the migrations",
            "src/schema.rs:11: column `posts.user_id` is `Integer` in schema.rs but `integer` (`BigInt`) in the migrations",
            "src/schema.rs:16: column `users.id` is `Integer` in schema.rs but `integer` (`BigInt`) in the migrations",
        ]
    );
}

#[test]
fn mysql_unsigned_and_enum_columns() {
    let migrations = [
        "CREATE TABLE items (id SERIAL PRIMARY KEY, qty INT UNSIGNED NOT NULL, \
         status ENUM('new', 'done') NOT NULL, flag BOOLEAN NOT NULL, at DATETIME NOT NULL);",
    ];
    let schema_rs = r#"pub mod sql_types {
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(mysql_type(name = "Enum"))]
    pub struct ItemsStatusEnum;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ItemsStatusEnum;

    items (id) {
        id -> Unsigned<Bigint>,
        qty -> Unsigned<Integer>,
        status -> ItemsStatusEnum,
        flag -> Bool,
        at -> Datetime,
    }
}
"#;
    assert_eq!(
        Case::new(Backend::Mysql, &migrations, schema_rs).findings(),
        Vec::<String>::new()
    );
    let edited = schema_rs
        .replace("Unsigned<Integer>", "Integer")
        .replace("at -> Datetime", "at -> Timestamp");
    assert_eq!(
        Case::new(Backend::Mysql, &migrations, &edited).findings(),
        vec![
            "src/schema.rs:13: column `items.qty` is `Integer` in schema.rs but `int unsigned` (`Unsigned<Integer>`) in the migrations",
            "src/schema.rs:16: column `items.at` is `Timestamp` in schema.rs but `datetime` (`Datetime`) in the migrations",
        ]
    );
}

#[test]
fn tables_replay_cannot_see_into_are_not_compared() {
    let migrations = [
        "CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\n\
         CREATE TABLE users_copy AS SELECT * FROM users;",
    ];
    let schema_rs = "diesel::table! {\n    users (id) {\n        id -> Int4,\n        \
                     name -> Text,\n    }\n}\n\
                     diesel::table! {\n    users_copy (id) {\n        id -> Int4,\n        \
                     name -> Text,\n    }\n}\n";
    assert_eq!(
        Case::new(Backend::Postgres, &migrations, schema_rs).findings(),
        Vec::<String>::new()
    );
}

#[test]
fn odd_patch_files_are_reported_not_fatal() {
    let mut case = Case::new(Backend::Postgres, PG_MIGRATIONS, PG_SCHEMA_RS);
    case.diesel_toml = Some("[print_schema]\npatch_file = \"src/schema.patch\"\n");
    for patch in [
        "",
        "garbage\n",
        "@@ -1,1 +1,1 @@\n",
        "--- a/src/schema.rs\n+++ b/src/schema.rs\n@@ -900,3 +900,3 @@\n-x\n+y\n",
        "--- a/src/schema.rs\n+++ b/src/schema.rs\n@@ -1,2 +1,1 @@\n-// @generated automatically by Diesel CLI.\n",
        "diff --git a/src/schema.rs b/src/schema.rs\nindex 1..2 100644\n--- a/src/schema.rs\n+++ b/src/schema.rs\n@@ -1 +1 @@\n-\u{e9}\n+\u{1F600}\n",
    ] {
        case.patch = Some(patch);
        let findings = case.findings();
        assert!(
            findings.len() <= 1 && findings.iter().all(|f| f.contains("patch_file")),
            "{patch:?}: {findings:?}"
        );
    }
}

#[test]
fn domains_follow_pg_domains_as_custom_types() {
    let migrations = ["CREATE DOMAIN email AS VARCHAR(320);\n\
                       CREATE TABLE users (id SERIAL PRIMARY KEY, email email NOT NULL);"];
    let as_base = "diesel::table! {\n    users (id) {\n        id -> Int4,\n        \
                   email -> Varchar,\n    }\n}\n";
    let as_custom = "pub mod sql_types {\n    #[derive(diesel::sql_types::SqlType)]\n    \
                     #[diesel(postgres_type(name = \"email\"))]\n    pub struct Email;\n}\n\
                     diesel::table! {\n    use super::sql_types::Email;\n    users (id) {\n        \
                     id -> Int4,\n        email -> Email,\n    }\n}\n";
    let mut case = Case::new(Backend::Postgres, &migrations, as_base);
    assert_eq!(case.findings(), Vec::<String>::new());
    case.schema_rs = as_custom;
    assert_eq!(
        case.findings(),
        vec![
            "src/schema.rs:10: column `users.email` is `Email` in schema.rs but `email` (`Text`) in the migrations"
        ]
    );
    case.diesel_toml = Some("[print_schema]\npg_domains_as_custom_types = [\"^email$\"]\n");
    assert_eq!(case.findings(), Vec::<String>::new());
    case.schema_rs = as_base;
    assert_eq!(
        case.findings(),
        vec![
            "src/schema.rs:4: column `users.email` is `Varchar` in schema.rs but `email` (`Email`) in the migrations"
        ]
    );
}

#[test]
fn tables_named_by_unparsed_statements_are_not_compared() {
    let migrations = [
        "CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\n\
         CREATE TABLE posts (id SERIAL PRIMARY KEY);\n\
         ALTER TABLE users SET SCHEMA app;\n\
         ALTER TABLE posts ADD COLUMN title TEXT;",
    ];
    // users moved to `app` (replay cannot tell); posts' column is real drift.
    let schema_rs = "diesel::table! {\n    posts (id) {\n        id -> Int4,\n    }\n}\n";
    let mut case = Case::new(Backend::Postgres, &migrations, schema_rs);
    case.unparsed = true;
    assert_eq!(
        case.findings(),
        vec!["src/schema.rs:2: column `posts.title` is missing from schema.rs"]
    );
}

#[test]
fn secondary_labels_point_at_the_migration() {
    let migrations = [
        "CREATE TABLE tags (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\n\
         CREATE TABLE old_posts (id SERIAL PRIMARY KEY);",
        "ALTER TABLE tags RENAME TO labels;\n\
         ALTER TABLE labels ALTER COLUMN name DROP NOT NULL;\n\
         DROP TABLE old_posts;",
    ];
    let schema_rs = "diesel::table! {\n    tags (id) {\n        id -> Int4,\n        \
                     name -> Text,\n    }\n}\n\
                     diesel::table! {\n    old_posts (id) {\n        id -> Int4,\n    }\n}\n\
                     diesel::table! {\n    labels (id) {\n        id -> Int4,\n        \
                     name -> Text,\n    }\n}\n";
    assert_eq!(
        Case::new(Backend::Postgres, &migrations, schema_rs).render(true),
        vec![
            "src/schema.rs:15: column `labels.name` is NOT NULL in schema.rs but nullable in the migrations",
            "  m1/up.sql:2: `name` is nullable after this",
            "src/schema.rs:8: schema.rs declares table `old_posts`, which the migrations do not create",
            "  m1/up.sql:3: `old_posts` dropped here",
            "src/schema.rs:2: schema.rs declares table `tags`, which the migrations do not create",
            "  m1/up.sql:1: `tags` renamed to `labels` here",
        ]
    );
}

#[test]
fn renamed_enum_types_follow_their_new_name() {
    let migrations = [
        "CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
         CREATE TABLE users (id SERIAL PRIMARY KEY, mood mood NOT NULL, moods mood[] NOT NULL);",
        "ALTER TYPE mood RENAME TO feeling;",
    ];
    let schema_rs = "pub mod sql_types {\n    #[derive(diesel::sql_types::SqlType)]\n    \
                     #[diesel(postgres_type(name = \"feeling\"))]\n    pub struct Feeling;\n}\n\
                     diesel::table! {\n    use super::sql_types::Feeling;\n    users (id) {\n        \
                     id -> Int4,\n        mood -> Feeling,\n        \
                     moods -> Array<Nullable<Feeling>>,\n    }\n}\n";
    assert_eq!(
        Case::new(Backend::Postgres, &migrations, schema_rs).findings(),
        Vec::<String>::new()
    );
    let stale = schema_rs.replace("name = \"feeling\"", "name = \"mood\"");
    assert_eq!(
        Case::new(Backend::Postgres, &migrations, &stale).findings(),
        vec![
            "src/schema.rs:10: column `users.mood` is `Feeling` (database type `mood`) in schema.rs but `mood` (`Feeling`) in the migrations",
            "src/schema.rs:11: column `users.moods` is `Array<Nullable<Feeling>>` (database type `mood`) in schema.rs but `mood[]` (`Array<Nullable<Feeling>>`) in the migrations",
        ]
    );
}
