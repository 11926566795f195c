use std::path::Path;

use super::*;
use crate::model::{Column, Table};
use crate::source::FileId;

fn parse(text: &str, default_schema: Option<&str>) -> Result<SchemaFile, SchemaRsError> {
    parse_with(text, default_schema, Backend::Postgres)
}

fn parse_with(
    text: &str,
    default_schema: Option<&str>,
    backend: Backend,
) -> Result<SchemaFile, SchemaRsError> {
    parse_schema_rs(SchemaRsInput {
        file: FileId(7),
        path: Path::new("src/schema.rs"),
        text,
        default_schema,
        backend,
    })
}

fn q(schema: &str, name: &str) -> QualName {
    QualName::new(schema, name)
}

/// `(name, sql_type, nullable)` of every column.
fn columns(t: &Table) -> Vec<(&str, &str, bool)> {
    t.columns
        .iter()
        .map(|c| (c.name.as_str(), c.sql_type.as_str(), c.nullable))
        .collect()
}

fn slice<'a>(text: &'a str, span: &Span) -> &'a str {
    &text[span.range.clone()]
}

const DIESEL_PRINTED: &str = r#"// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "mood"))]
    pub struct Mood;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Mood;

    /// Représentation of the `users` table.
    users (id) {
        /// The `id` column.
        id -> Int4,
        #[max_length = 255]
        name -> Varchar,
        mood -> Nullable<Mood>,
        tags -> Nullable<Array<Nullable<Text>>>,
        scores -> Array<diesel::sql_types::Int8>,
        #[sql_name = "Type"]
        r#type -> Nullable<crate::schema::sql_types::Mood>,
    }
}

diesel::table! {
    posts {
        id -> Int8,
        user_id -> Int4,
        body -> diesel::sql_types::Nullable<diesel::sql_types::Text>,
    }

    #[sql_name = "Post_Tags"]
    post_tags (post_id, tag) {
        post_id -> Int8,
        #[sql_name = "Tag"]
        tag -> Text,
    }
}

table! {
    audit.events (event_id) {
        event_id -> Uuid,
        #[sql_name = "postId"]
        post -> Int8,
    }
}

diesel::joinable!(posts -> users (user_id));
diesel::joinable!(post_tags -> posts (post_id));
joinable!(events -> posts (post));

diesel::allow_tables_to_appear_in_same_query!(posts, post_tags, users,);
diesel::allow_tables_to_appear_in_same_query!(events, posts);
"#;

#[test]
fn diesel_printed_schema_with_every_construct() {
    let file = parse(DIESEL_PRINTED, None).unwrap();
    assert_eq!(file.file, FileId(7));
    let names: Vec<&QualName> = file.schema.tables.keys().collect();
    assert_eq!(
        names,
        vec![
            &q("audit", "events"),
            &q("public", "Post_Tags"),
            &q("public", "posts"),
            &q("public", "users"),
        ]
    );
    assert_eq!(file.schema.schemas, vec!["audit".to_owned()]);

    let users = &file.schema.tables[&q("public", "users")];
    assert_eq!(
        columns(users),
        vec![
            ("id", "Int4", false),
            ("name", "Varchar", false),
            ("mood", "Mood", true),
            ("tags", "Array<Nullable<Text>>", true),
            ("scores", "Array<Int8>", false),
            ("Type", "Mood", true),
        ]
    );
    assert_eq!(users.primary_key, vec!["id".to_owned()]);
    assert!(users.foreign_keys.is_empty() && users.indexes.is_empty());
    assert_eq!(slice(DIESEL_PRINTED, &users.origin.span), "users");
    assert_eq!(users.origin.span.file, FileId(7));
    assert_eq!(users.origin.migration, None);
    assert_eq!(
        slice(DIESEL_PRINTED, &users.column("Type").unwrap().origin.span),
        "r#type"
    );

    let posts = &file.schema.tables[&q("public", "posts")];
    assert_eq!(
        columns(posts),
        vec![
            ("id", "Int8", false),
            ("user_id", "Int4", false),
            ("body", "Text", true),
        ]
    );
    assert_eq!(posts.primary_key, vec!["id".to_owned()]);

    let tags = &file.schema.tables[&q("public", "Post_Tags")];
    assert_eq!(
        tags.primary_key,
        vec!["post_id".to_owned(), "Tag".to_owned()]
    );
    assert_eq!(slice(DIESEL_PRINTED, &tags.origin.span), "post_tags");

    let events = &file.schema.tables[&q("audit", "events")];
    assert_eq!(events.name, q("audit", "events"));
    assert_eq!(events.primary_key, vec!["event_id".to_owned()]);
    assert_eq!(
        columns(events),
        vec![("event_id", "Uuid", false), ("postId", "Int8", false)]
    );

    let joinables: Vec<(QualName, QualName, &str, &str)> = file
        .joinables
        .iter()
        .map(|j| {
            (
                j.child.clone(),
                j.parent.clone(),
                j.column.as_str(),
                slice(DIESEL_PRINTED, &j.span),
            )
        })
        .collect();
    assert_eq!(
        joinables,
        vec![
            (
                q("public", "posts"),
                q("public", "users"),
                "user_id",
                "diesel::joinable!(posts -> users (user_id));"
            ),
            (
                q("public", "Post_Tags"),
                q("public", "posts"),
                "post_id",
                "diesel::joinable!(post_tags -> posts (post_id));"
            ),
            (
                q("audit", "events"),
                q("public", "posts"),
                "postId",
                "joinable!(events -> posts (post));"
            ),
        ]
    );
    assert_eq!(
        file.same_query_groups,
        vec![
            vec![
                q("public", "posts"),
                q("public", "Post_Tags"),
                q("public", "users")
            ],
            vec![q("audit", "events"), q("public", "posts")],
        ]
    );
    assert_eq!(file.print_schema, None);
    assert_eq!(file.sql_types.len(), 1);
    let mood = &file.sql_types[0];
    assert_eq!(
        (
            mood.rust_name.as_str(),
            mood.kind.as_str(),
            mood.db_name.as_deref(),
            mood.db_schema.as_deref(),
            slice(DIESEL_PRINTED, &mood.span),
        ),
        ("Mood", "postgres_type", Some("mood"), None, "Mood")
    );
}

const NESTED: &str = r#"pub mod auth {
    pub mod sql_types {
        #[derive(diesel::sql_types::SqlType)]
        #[diesel(postgres_type(name = "role", schema = "auth"))]
        pub struct Role;
    }

    diesel::table! {
        use diesel::sql_types::*;
        use super::sql_types::Role;

        auth.accounts (id) {
            id -> Int4,
            role -> Role,
        }
    }

    diesel::table! {
        auth.sessions (id) {
            id -> Int4,
            account_id -> Int4,
        }
    }

    diesel::joinable!(sessions -> accounts (account_id));
    diesel::allow_tables_to_appear_in_same_query!(accounts, sessions);
}

pub mod billing {
    diesel::table! {
        billing.accounts (id) {
            id -> Int4,
        }
    }
}

diesel::table! {
    invoices (id) {
        id -> Int4,
        account_id -> Int4,
    }
}

diesel::joinable!(invoices -> billing::accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(auth::accounts, billing::accounts, invoices);
"#;

#[test]
fn nested_schema_modules_resolve_names_per_module() {
    let file = parse(NESTED, None).unwrap();
    let names: Vec<String> = file.schema.tables.keys().map(ToString::to_string).collect();
    assert_eq!(
        names,
        vec![
            "auth.accounts",
            "auth.sessions",
            "billing.accounts",
            "invoices"
        ]
    );
    assert_eq!(
        file.schema.schemas,
        vec!["auth".to_owned(), "billing".to_owned()]
    );
    let roles = &file.schema.tables[&q("auth", "accounts")];
    assert_eq!(
        columns(roles),
        vec![("id", "Int4", false), ("role", "Role", false)]
    );
    assert_eq!(
        file.sql_types
            .iter()
            .map(|t| (t.db_name.as_deref(), t.db_schema.as_deref()))
            .collect::<Vec<_>>(),
        vec![(Some("role"), Some("auth"))]
    );
    let pairs: Vec<(String, String, &str)> = file
        .joinables
        .iter()
        .map(|j| (j.child.to_string(), j.parent.to_string(), j.column.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            (
                "auth.sessions".to_owned(),
                "auth.accounts".to_owned(),
                "account_id"
            ),
            (
                "invoices".to_owned(),
                "billing.accounts".to_owned(),
                "account_id"
            ),
        ]
    );
    assert_eq!(
        file.same_query_groups,
        vec![
            vec![q("auth", "accounts"), q("auth", "sessions")],
            vec![
                q("auth", "accounts"),
                q("billing", "accounts"),
                q("public", "invoices")
            ],
        ]
    );
}

#[test]
fn print_schema_option_and_backend_choose_the_default_schema() {
    let text = "diesel::table! { users { id -> Integer, } }\n\
                diesel::table! { other.things (key) { key -> Text, } }\n";
    let file = parse(text, Some("tenant")).unwrap();
    let names: Vec<&QualName> = file.schema.tables.keys().collect();
    assert_eq!(names, vec![&q("other", "things"), &q("tenant", "users")]);
    assert_eq!(
        file.schema.schemas,
        vec!["tenant".to_owned(), "other".to_owned()]
    );
    let file = parse_with(text, None, Backend::Sqlite).unwrap();
    assert!(file.schema.tables.contains_key(&q("main", "users")));
    let file = parse_with(text, None, Backend::Mysql).unwrap();
    assert!(file.schema.tables.contains_key(&q("", "users")));
}

#[test]
fn unknown_names_in_joinable_fall_back_to_the_default_schema() {
    let text = "diesel::joinable!(ghosts -> users (user_id));\n\
                diesel::allow_tables_to_appear_in_same_query!(ghosts, users);\n";
    let file = parse(text, None).unwrap();
    assert_eq!(
        file.joinables,
        vec![Joinable {
            child: q("public", "ghosts"),
            parent: q("public", "users"),
            column: "user_id".into(),
            span: Span::new(FileId(7), 0..45),
        }]
    );
    assert_eq!(
        file.same_query_groups,
        vec![vec![q("public", "ghosts"), q("public", "users")]]
    );
}

#[test]
fn spans_are_byte_offsets_after_non_ascii_text_and_a_bom() {
    let text = "\u{feff}// schéma généré\ndiesel::table! {\n    /// Größe\n    größen (id) { id -> Int4, wert -> Float8, }\n}\n";
    let file = parse(text, None).unwrap();
    let table = &file.schema.tables[&q("public", "größen")];
    assert_eq!(slice(text, &table.origin.span), "größen");
    let column: &Column = table.column("wert").unwrap();
    assert_eq!(slice(text, &column.origin.span), "wert");
    assert_eq!(column.origin.span.range.start, text.find("wert").unwrap());
}

#[test]
fn other_items_and_macros_are_passed_over() {
    let text = r#"#![allow(unused)]
use diesel::prelude::*;
diesel::define_sql_function!(fn lower(x: Text) -> Text);
other_crate::table! { not diesel at all }
fn helper() { table! { inside_a_fn { id -> Int4, } } }
diesel::table! { kept { id -> Int4, } }
"#;
    let file = parse(text, None).unwrap();
    let names: Vec<String> = file.schema.tables.keys().map(ToString::to_string).collect();
    assert_eq!(names, vec!["kept"]);
}

#[test]
fn a_file_syn_rejects_is_an_error_with_line_and_column() {
    let err = parse(
        "diesel::table! {\n    users { id -> Int4, }\n}\n\nfn broken( {\n",
        None,
    )
    .unwrap_err();
    assert_eq!(
        err,
        SchemaRsError {
            path: "src/schema.rs".into(),
            line: 5,
            column: 12,
            message: "cannot parse string into token stream".into(),
        }
    );
    let err = parse("pub struct Ünïcode;\nfn x() -> { }\n", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot parse `src/schema.rs` at line 2, column 11: expected one of: `for`, parentheses, `fn`, `unsafe`, `extern`, identifier, `::`, `<`, `dyn`, square brackets, `*`, `&`, `!`, `impl`, `_`, lifetime"
    );
}

#[test]
fn a_table_body_off_diesel_grammar_is_an_error_at_the_token() {
    let text = "diesel::table! {\n    /// é\n    users (id) {\n        id -> Int4,\n        name => Text,\n    }\n}\n";
    let err = parse(text, None).unwrap_err();
    assert_eq!(
        err,
        SchemaRsError {
            path: "src/schema.rs".into(),
            line: 5,
            column: 14,
            message: "expected `->`".into(),
        }
    );
    let err = parse(
        "diesel::table! { #[sql_name = 3] users { id -> Int4, } }",
        None,
    )
    .unwrap_err();
    assert_eq!(
        (err.line, err.column, err.message.as_str()),
        (
            1,
            18,
            "invalid `#[sql_name]` attribute, expected `#[sql_name = \"name\"]`"
        )
    );
    let err = parse("diesel::joinable!(posts -> users (a, b));", None).unwrap_err();
    assert_eq!(
        (err.line, err.column, err.message.as_str()),
        (1, 36, "expected one column in `joinable!`")
    );
}

#[test]
fn deeply_nested_modules_do_not_overflow() {
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!("mod m{i} {{ "));
    }
    text.push_str("diesel::table! { deep { id -> Int4, } }");
    for _ in 0..200 {
        text.push_str(" }");
    }
    let err = parse(&text, None).unwrap_err();
    assert_eq!(
        (err.line, err.column, err.message.as_str()),
        (
            1,
            text.find("mod m64 {").unwrap() + 9,
            "nesting deeper than 64 levels is not read"
        )
    );
    // 40 nested modules parse; tables deeper than 32 modules are passed over
    let nested = |n: usize| {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("mod m{i} {{ "));
        }
        text.push_str("diesel::table! { deep { id -> Int4, } }");
        text.push_str(&" }".repeat(n));
        text
    };
    assert!(parse(&nested(40), None).unwrap().schema.tables.is_empty());
    assert_eq!(parse(&nested(31), None).unwrap().schema.tables.len(), 1);
}

/// syn recurses on nested types and prefix operators without any `()`, `[]` or `{}`: 50
/// nested `Vec<` overflowed the stack of a 2 MiB test thread in a debug build. Each form is
/// parsed on such a thread, deep (rejected with a position) and shallow (read).
#[test]
fn deep_recursion_without_groups_is_rejected_not_overflowed() {
    let forms: &[(&str, &str, &str)] = &[
        ("type A = ", "Vec<", ";"),
        ("table! { t { id -> ", "Nullable<", ", } }"),
        ("type A = ", "& ", "u8;"),
        ("type A = ", "fn() -> ", "u8;"),
        ("type A = ", "impl Fn() -> ", "u8;"),
        ("const X: u8 = ", "!", "1;"),
        ("const X: u8 = ", "- ", "1;"),
        ("fn f() { ", "* ", "x; }"),
        ("fn f() { ", "a = ", "1; }"),
        ("fn f() { ", "return ", "1; }"),
        ("fn f() { ", "if a {} else ", "{} }"),
        ("fn f() { let ", "&", "x = 1; }"),
        ("type A = ", "Result<u8, ", ";"),
    ];
    for &(head, repeated, tail) in forms {
        let text = |n: usize| {
            let closing = if repeated.contains('<') {
                format!("u8{}", ">".repeat(n))
            } else {
                String::new()
            };
            format!("{head}{}{closing}{tail}", repeated.repeat(n))
        };
        let (deep, shallow) = (text(3000), text(3));
        let (deep_result, shallow_result) = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || (parse(&deep, None), parse(&shallow, None)))
            .unwrap()
            .join()
            .unwrap();
        let err = deep_result.unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (1, "nesting deeper than 64 levels is not read"),
            "{head}{repeated}"
        );
        assert!(err.column > head.len(), "{head}{repeated}: {}", err.column);
        assert!(
            shallow_result.is_ok(),
            "{head}{repeated}: {shallow_result:?}"
        );
    }
}

/// Found by the `schema_rs` fuzz target (two bare segfaults whose inputs libFuzzer could not
/// save; reproduced from `fuzz/regressions/schema_rs/`): the guard lexed the whole file, so a
/// shebang line that does not lex (`#!(`) made it give up, while syn drops that line and
/// recursed into the deep rest.
#[test]
fn a_shebang_that_does_not_lex_does_not_hide_deep_nesting() {
    // The last is a shebang line to syn, whose comments nest (an unterminated one here); the
    // guard once read it as `#![(`.
    for shebang in [
        "#!(\n",
        "#!)\n",
        "#!\"x\n",
        "#!'\n",
        "#!/*\n",
        "\u{feff}#!{\r\n",
        "#!/* /* */[(\n",
    ] {
        let text = format!(
            "{shebang}type A = {}u8{};",
            "Vec<".repeat(3000),
            ">".repeat(3000)
        );
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || parse(&text, None))
            .unwrap()
            .join()
            .unwrap();
        let err = result.unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (2, "nesting deeper than 64 levels is not read"),
            "{shebang:?}"
        );
        // The 16th `<` (16 of them and the `=` before them make 68 units).
        assert_eq!(err.column, 9 + 4 * 16, "{shebang:?}");
    }
}

/// Long flat lists (many columns, many tables, long generic lists) are not nesting.
#[test]
fn wide_schema_files_are_not_nesting() {
    let columns: String = (0..100)
        .map(|i| format!("c{i} -> Nullable<Array<Nullable<Int4>>>,\n"))
        .collect();
    let tables: String = (0..100)
        .map(|i| format!("diesel::table! {{ t{i} (id) {{ id -> Int4, {columns} }} }}\n"))
        .collect();
    let joins: String = (1..100)
        .map(|i| format!("diesel::joinable!(t{i} -> t0 (c1));\n"))
        .collect();
    let names: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let text = format!(
        "{tables}{joins}diesel::allow_tables_to_appear_in_same_query!({});\n\
         type Wide = (Vec<u8>, HashMap<Vec<u8>, Vec<Vec<u8>>>, Box<dyn Fn(&u8) -> u8>);\n\
         fn f() {{ let x = a.b().c()? + 1 - 2 * 3 >= 4 && !y; z += 1; }}\n",
        names.join(", ")
    );
    let parsed = parse(&text, None).unwrap();
    assert_eq!(parsed.schema.tables.len(), 100);
    assert_eq!(parsed.joinables.len(), 99);
}

#[test]
fn custom_sql_types_in_every_attribute_form() {
    let text = r#"pub mod sql_types {
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(oid = 600, array_oid = 1017))]
    pub struct Point;

    #[derive(diesel::sql_types::SqlType)]
    #[diesel(mysql_type(name = "Enum"))]
    pub struct Color;

    #[derive(diesel::sql_types::SqlType)]
    #[diesel(sql_type = Text)]
    pub struct NotACustomType;

    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = 3))]
    pub struct Broken;
}
"#;
    let file = parse(text, None).unwrap();
    let types: Vec<(&str, &str, Option<&str>)> = file
        .sql_types
        .iter()
        .map(|t| (t.rust_name.as_str(), t.kind.as_str(), t.db_name.as_deref()))
        .collect();
    assert_eq!(
        types,
        vec![
            ("Point", "postgres_type", None),
            ("Color", "mysql_type", Some("Enum")),
        ]
    );
}

#[test]
fn crlf_line_ends_and_a_shebang_line_keep_offsets_right() {
    let text = "#!/usr/bin/env run-cargo-script\r\n// é\r\ndiesel::table! {\r\n    ünï (id) {\r\n        id -> Int4,\r\n        naïve -> Text,\r\n    }\r\n}\r\n";
    let file = parse(text, Some("public")).unwrap();
    assert_eq!(file.schema.schemas, Vec::<String>::new());
    let table = &file.schema.tables[&q("public", "ünï")];
    assert_eq!(slice(text, &table.origin.span), "ünï");
    assert_eq!(
        slice(text, &table.column("naïve").unwrap().origin.span),
        "naïve"
    );
}
