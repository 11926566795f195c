//! `// dbopt: allow(..)` comments, their misuse, and fns under `#[db_checked]`.

use super::*;

const EXPORT: &str = r##"use crate::service::UserService;

// dbopt: allow(n_plus_one)
pub fn warm_cache(svc: &UserService, conn: &mut PgConnection, ids: &[i32]) {
    for id in ids {
        svc.user(*id);
        helper(conn, *id);
    }
}

pub fn export(svc: &UserService, conn: &mut PgConnection, ids: &[i32]) {
    // Each user is exported on its own: the list is short.
    // dbopt: allow(n_plus_one)
    for id in ids {
        svc.user(*id);
    }
    // dbopt: allow(n_plus_one, write_outside_transaction)
    for id in ids {
        helper(conn, *id);
    }
    let note = r#"
    // dbopt: allow(n_plus_one)"#;
    for id in ids {
        svc.user(*id);
    }
    for id in ids {
        helper(conn, *id);
    }
}
"##;

#[test]
fn allow_comments_before_a_fn_and_a_statement_but_not_in_a_string() {
    let files = [
        ("handlers", EXPORT),
        ("service", SERVICE),
        ("repo::users", USERS_REPO),
    ];
    assert_eq!(
        scan(&files),
        [
            hit(
                "n_plus_one",
                0,
                24,
                "query inside a loop: `svc.user(..)` queries the database through \
                 `UserService::user` once per iteration of the `for` loop"
            ),
            hit(
                "n_plus_one",
                0,
                27,
                "query inside a loop: `helper(..)` runs once per iteration of the `for` loop"
            ),
            hit(
                "n_plus_one",
                1,
                13,
                "query inside a loop: `self.repo.find(..)` queries the database through \
                 `UserRepo::find` once per iteration of the closure passed to `.map(..)`"
            ),
        ]
    );
}

const WRITES_ALLOWED: &str = r#"pub fn audit_then_save(conn: &mut PgConnection, id: i32) {
    // dbopt: allow(write_outside_transaction)
    log_event(conn, "saving");
    diesel::update(items::table.find(id)).set(items::saved.eq(true)).execute(conn).unwrap();
}
"#;

#[test]
fn an_allowed_statement_leaves_a_helper_write_out_of_the_count() {
    let files = [("", WRITES_ALLOWED), ("events", EVENTS)];
    assert_eq!(scan(&files), []);
    let plain = WRITES_ALLOWED.replace("    // dbopt: allow(write_outside_transaction)\n", "");
    let files = [("", plain.as_str()), ("events", EVENTS)];
    assert_eq!(
        scan(&files),
        [hit(
            "write_outside_transaction",
            0,
            3,
            "2 writes outside a transaction: `execute` commits separately from the write \
             before it"
        )]
    );
}

const MISUSED: &str = r#"// dbopt: allow(n_plus_once, write_outside_transaction)
pub fn typo() {}

pub fn trailing() {
    let x = 1; // dbopt: allow(n_plus_one)
}

// dbopt: allow n_plus_one
pub fn malformed() {}

// dbopt: allow(n_plus_one)

pub fn after_a_blank_line() {}

#[db_checked]
pub fn annotated(conn: &mut PgConnection, ids: Vec<i32>) {
    // dbopt: allow(n_plus_one)
    for id in ids {
        g(conn, id);
    }
}

// dbopt: allow(n_plus_one)
struct NotAFn;

/// dbopt: allow(n_plus_one) in a doc comment is documentation.
pub fn documented() {}
"#;

#[test]
fn misused_allow_comments_are_errors_at_the_comment() {
    let files = [("", MISUSED)];
    let (diags, errors) = scan_full(&files);
    let errors: Vec<(usize, String)> = errors
        .iter()
        .map(|e| (line_of(&files, &e.span), e.message.clone()))
        .collect();
    let valid = crate::rust::attr::code_rule_names().join(", ");
    assert_eq!(
        errors,
        [
            (
                1,
                format!("unknown rule `n_plus_once`; expected one of: {valid}")
            ),
            (
                5,
                "`// dbopt: allow(..)` applies to the fn or statement on the next line: put it \
                 on a line of its own above it"
                    .to_owned()
            ),
            (8, "expected `// dbopt: allow(rule, ..)`".to_owned()),
            (
                11,
                "`// dbopt: allow(..)` applies to the fn or statement on the next line, and \
                 there is none"
                    .to_owned()
            ),
            (
                17,
                "`// dbopt: allow(..)` is not seen by `#[db_checked]`: use \
                 `#[dbopt::allow(..)]` on the statement, or `allow(..)` in the attribute"
                    .to_owned()
            ),
            (
                23,
                "`// dbopt: allow(..)` applies to a fn, an `impl` block, a trait, a module or a \
                 statement, not to this item"
                    .to_owned()
            ),
        ]
    );
    // The annotated fn keeps the macro's finding: the comment did not silence it.
    let rules: Vec<(&str, usize)> = diags
        .iter()
        .map(|d| (d.rule, line_of(&files, &d.primary.span)))
        .collect();
    assert_eq!(rules, [("n_plus_one", 19)]);
    // The error's span is the unknown name itself.
    let (_, errors) = scan_full(&files);
    assert_eq!(&MISUSED[errors[0].span.range.clone()], "n_plus_once");
}

const ANNOTATED: &str = r#"use crate::service::UserService;
use crate::events::log_event;

#[db_checked]
pub fn annotated_loop(svc: &UserService, ids: &[i32]) {
    for id in ids {
        svc.user(*id);
    }
}

#[db_checked]
pub fn annotated_writes(conn: &mut PgConnection) {
    diesel::insert_into(a::table).values(a::x.eq(1)).execute(conn).unwrap();
    diesel::insert_into(b::table).values(b::x.eq(1)).execute(conn).unwrap();
}

pub fn caller(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        annotated_writes(conn);
        Ok(())
    })
}

#[db_checked]
pub fn annotated_helpers(conn: &mut PgConnection) {
    log_event(conn, "a");
    log_event(conn, "b");
}

pub fn plain_loop(svc: &UserService, ids: &[i32]) {
    for id in ids {
        svc.user(*id);
    }
}
"#;

#[test]
fn annotated_fns_keep_exactly_the_macros_findings() {
    let files = [
        ("handlers", ANNOTATED),
        ("service", SERVICE),
        ("repo::users", USERS_REPO),
        ("events", EVENTS),
    ];
    let (diags, errors) = scan_full(&files);
    assert!(errors.is_empty(), "{errors:?}");
    let in_file_0: Vec<(&str, usize, String)> = diags
        .iter()
        .filter(|d| d.primary.span.file == FileId(0))
        .map(|d| (d.rule, line_of(&files, &d.primary.span), d.message.clone()))
        .collect();
    assert_eq!(
        in_file_0,
        [
            (
                "write_outside_transaction",
                14,
                "2 writes outside a transaction: `execute` commits separately from the write \
                 before it"
                    .to_owned()
            ),
            (
                "n_plus_one",
                32,
                "query inside a loop: `svc.user(..)` queries the database through \
                 `UserService::user` once per iteration of the `for` loop"
                    .to_owned()
            ),
        ]
    );
    // The macro on each annotated fn finds the same.
    for (name, expected) in [
        ("annotated_loop", vec![]),
        ("annotated_writes", vec!["write_outside_transaction"]),
        ("annotated_helpers", vec![]),
    ] {
        let start = ANNOTATED.find(&format!("pub fn {name}")).expect("fn");
        let end = ANNOTATED[start..].find("\n}\n").expect("end") + start + 2;
        let macro_rules: Vec<&str> = crate::rust::testing::run(&ANNOTATED[start..end])
            .iter()
            .map(|d| d.rule)
            .collect();
        assert_eq!(macro_rules, expected, "{name}");
    }
}
