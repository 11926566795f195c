//! The scan's entry points: spans, parse errors, the pre-check's names, and the harness
//! for the cross-function tests (multi-file packages) in the submodules.

use super::*;

mod calls;
mod comments;
mod locks;
mod pruned;
mod writes;

const LOOP: &str = "#[db_checked]\nfn f(conn: &mut PgConnection, ids: &[i32]) {\n    for id in ids {\n        users::table.find(id).first::<User>(conn);\n    }\n}\n";

fn analyse(text: &str) -> FileAnalysis {
    analyse_file(
        FileInput {
            id: FileId(7),
            text,
            module_path: &[],
        },
        &Options::default(),
    )
}

fn primary(text: &str, a: &FileAnalysis) -> Vec<(&'static str, String)> {
    a.diagnostics
        .iter()
        .map(|d| (d.rule, text[d.primary.span.range.clone()].to_owned()))
        .collect()
}

#[test]
fn spans_are_byte_ranges_of_the_file_even_after_a_bom_and_a_shebang() {
    for prefix in [
        "",
        "\u{feff}",
        "#!/usr/bin/env run\n",
        "\u{feff}#!x\n// é\n",
    ] {
        let text = format!("{prefix}{LOOP}");
        let a = analyse(&text);
        assert_eq!(a.parse_error, None, "{prefix:?}");
        assert_eq!(
            primary(&text, &a),
            [("n_plus_one", "first".to_owned())],
            "{prefix:?}"
        );
        assert!(
            a.diagnostics
                .iter()
                .all(|d| d.primary.span.file == FileId(7))
        );
        assert_eq!(a.owners.len(), 1);
        assert_eq!(&text[a.owners[0].clone()], "f");
        assert_eq!(a.db_fns, ["f"]);
    }
}

#[test]
fn an_inner_attribute_is_not_a_shebang() {
    // The second was a parse error (found by the `fn_body` fuzz target): syn skips comments
    // between `#!` and `[`.
    for head in ["#![allow(dead_code)]\n", "#!//x\n[allow(dead_code)]\n"] {
        let text = format!("{head}{LOOP}");
        assert_eq!(primary(&text, &analyse(&text)).len(), 1, "{head:?}");
    }
}

#[test]
fn a_file_that_does_not_parse_is_one_error_at_its_position() {
    let text = "fn ok() {}\nfn broken( {\n";
    let a = analyse(text);
    let e = a.parse_error.expect("parse error");
    assert_eq!(e.span.file, FileId(7));
    assert!(e.span.range.start >= text.find("broken").unwrap(), "{e:?}");
    assert!(a.diagnostics.is_empty());
}

#[test]
fn link_keeps_file_order() {
    let a = analyse(LOOP);
    let b = analyse_file(
        FileInput {
            id: FileId(8),
            text: LOOP,
            module_path: &[],
        },
        &Options::default(),
    );
    let all = link(vec![a, b], &Options::default());
    let files: Vec<_> = all.iter().map(|d| d.primary.span.file).collect();
    assert_eq!(files, [FileId(7), FileId(8)]);
}

/// `(rule, file id, line, message)` of a finding.
pub(super) type Hit = (&'static str, u32, usize, String);

/// Analyses `files` (module path as `a::b`, text) as one package; file `i` gets `FileId(i)`.
pub(super) fn scan_full(files: &[(&str, &str)]) -> (Vec<Diagnostic<Span>>, Vec<FileError>) {
    let paths: Vec<Vec<String>> = files
        .iter()
        .map(|(m, _)| {
            m.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect();
    let analyses: Vec<FileAnalysis> = files
        .iter()
        .zip(&paths)
        .enumerate()
        .map(|(i, ((_, text), path))| {
            analyse_file(
                FileInput {
                    id: FileId(i as u32),
                    text,
                    module_path: path,
                },
                &Options::default(),
            )
        })
        .collect();
    let mut errors = Vec::new();
    for a in &analyses {
        assert_eq!(a.parse_error, None);
        errors.extend(a.errors.iter().cloned());
    }
    (link(analyses, &Options::default()), errors)
}

pub(super) fn line_of(files: &[(&str, &str)], span: &Span) -> usize {
    files[span.file.0 as usize].1[..span.range.start]
        .matches('\n')
        .count()
        + 1
}

pub(super) fn scan(files: &[(&str, &str)]) -> Vec<Hit> {
    let (diags, errors) = scan_full(files);
    assert!(errors.is_empty(), "{errors:?}");
    diags
        .iter()
        .map(|d| {
            (
                d.rule,
                d.primary.span.file.0,
                line_of(files, &d.primary.span),
                d.message.clone(),
            )
        })
        .collect()
}

pub(super) fn hit(rule: &'static str, file: u32, line: usize, message: &str) -> Hit {
    (rule, file, line, message.to_owned())
}

/// `(file id, line, message)` of each secondary label of `d`.
pub(super) fn labels(files: &[(&str, &str)], d: &Diagnostic<Span>) -> Vec<(u32, usize, String)> {
    d.secondary
        .iter()
        .map(|l| (l.span.file.0, line_of(files, &l.span), l.message.clone()))
        .collect()
}

pub(super) const SERVICE: &str = r#"use crate::repo::users;

pub struct UserService {
    repo: users::UserRepo,
}

impl UserService {
    pub fn user(&self, id: i32) -> User {
        self.repo.find(id)
    }

    pub fn names(&self, ids: &[i32]) -> Vec<String> {
        ids.iter().map(|id| self.repo.find(*id).name).collect()
    }
}
"#;

pub(super) const USERS_REPO: &str = r#"pub struct UserRepo {
    pool: DbPool,
}

impl UserRepo {
    pub fn find(&self, id: i32) -> User {
        let mut conn = self.pool.get().unwrap();
        users::table.find(id).first(&mut conn).unwrap()
    }
}
"#;

pub(super) const EVENTS: &str = r#"pub fn log_event(conn: &mut PgConnection, what: &str) {
    diesel::insert_into(events::table)
        .values(events::what.eq(what))
        .execute(conn)
        .unwrap();
}
"#;

#[test]
fn db_fns_are_the_fns_that_may_reach_the_database() {
    let text = r#"pub fn query(conn: &mut PgConnection) { conn.execute("x").unwrap(); }
pub fn keeps(pool: DbPool) -> Repo { Repo { pool } }
pub fn via_local(x: i32) { query_again(x); }
fn query_again(x: i32) { let c = &mut establish_connection(); }
pub fn elsewhere() { crate::repo::find(1); }
pub fn pure(v: Vec<i32>) -> usize { v.len() + std::cmp::max(1, 2) + local_pure() }
fn local_pure() -> usize { Some(1).map_or(0, |x| x) }
pub struct Cache;
impl Cache { pub fn get(&self, k: i32) -> i32 { k } }
pub fn cached(c: &Cache) -> i32 { c.get(1) }
"#;
    let a = analyse(text);
    // `c.get(..)` may resolve to a `get` of another type that queries.
    assert_eq!(
        a.db_fns,
        ["cached", "elsewhere", "query", "query_again", "via_local"]
    );
    assert_eq!(
        a.db_fns_given(&|n| n == "find"),
        ["elsewhere", "query", "query_again", "via_local"]
    );
    assert_eq!(
        a.db_fns_given(&|n| n == "get"),
        ["cached", "query", "query_again", "via_local"]
    );
    assert_eq!(
        a.db_fns_given(&|_| false),
        ["query", "query_again", "via_local"]
    );
}

#[test]
fn deep_nesting_is_analysed_without_overflow() {
    // Nested 64 deep (syn's own parser overflows a test thread near 90 here): the scan's
    // visitors (locals, comment targets with their statement spans, summaries) and `link` must
    // not be the first to overflow. The comment makes the statement's span be computed.
    let open = "{ let x: Repo = Repo::new(); x.find(1); ".repeat(64);
    let close = "}".repeat(64);
    // Deeper than the walk goes (a chain, however long, is walked in a loop).
    let (parens, closing) = ("(".repeat(130), ")".repeat(130));
    let text = format!(
        "pub fn f(ids: Vec<i32>, conn: &mut PgConnection) {{\n    // dbopt: allow(n_plus_one)\n    \
         for id in ids {open}{close}\n    // dbopt: allow(n_plus_one)\n    \
         {parens}conn.touch(){closing};\n}}\n"
    );
    let a = analyse(&text);
    assert_eq!(a.parse_error, None);
    assert_eq!(a.fns.len(), 1);
    assert_eq!(
        a.errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>(),
        ["expression nested too deeply for `#[db_checked]` to analyse"]
    );
    let _ = link(vec![a], &Options::default());
}
