//! `analyse_file_pruned`: what is left out, and when the file is analysed whole instead.

use super::*;

const WORDS: &[&str] = &["conn", "Conn", "pool", "diesel"];

fn pruned(text: &str) -> FileAnalysis {
    let keep = |item: &str| WORDS.iter().any(|w| item.contains(w));
    analyse_file_pruned(
        FileInput {
            id: FileId(7),
            text,
            module_path: &[],
        },
        &Options::default(),
        Some(&keep),
    )
}

const FILE: &str = "fn helper(a: u32) -> u32 { a + 1 }
fn f(conn: &mut PgConnection, ids: &[i32]) {
    for id in ids {
        users::table.find(id).first::<User>(conn);
    }
}
";

#[test]
fn the_items_left_out_are_not_analysed_and_the_rest_is_as_whole() {
    let a = pruned(FILE);
    let b = analyse(FILE);
    assert_eq!(a.parse_error, None);
    let texts: Vec<&str> = a.pruned.iter().map(|r| &FILE[r.clone()]).collect();
    assert_eq!(texts, ["fn helper(a: u32) -> u32 { a + 1 }"]);
    assert_eq!(primary(FILE, &a), [("n_plus_one", "first".to_owned())]);
    assert_eq!(primary(FILE, &a), primary(FILE, &b));
    let names: Vec<&str> = a.fns.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["f"]);
    assert_eq!(b.fns.len(), 2);
    assert!(b.pruned.is_empty());
}

#[test]
fn a_file_that_mentions_dbopt_is_analysed_whole() {
    let text = FILE.replace("fn f(", "// dbopt: allow(n_plus_one)\nfn f(");
    let a = pruned(&text);
    assert!(a.pruned.is_empty());
    assert_eq!(a.fns.len(), 2);
    assert!(a.diagnostics.is_empty(), "the comment silences the loop");
}

#[test]
fn pruned_tokens_that_do_not_parse_fall_back_to_the_whole_file() {
    // The splitter ends `g` at its `{ N }` argument; the whole file parses.
    let text = format!("fn g() -> Arr<{{ N }}> {{ Arr }}\n{FILE}");
    let a = pruned(&text);
    assert_eq!(a.parse_error, None);
    assert!(a.pruned.is_empty());
    assert_eq!(a.fns.len(), 3);
    assert_eq!(primary(&text, &a), [("n_plus_one", "first".to_owned())]);
    // A syntax error in a kept item is reported where it is, as without pruning; one in a
    // left-out item is not seen (as in a file the pre-check skips: rustc reports it).
    let broken = format!("fn h(conn: C) {{ let }}\n{FILE}");
    let e = pruned(&broken).parse_error.expect("a parse error");
    assert_eq!(Some(e), analyse(&broken).parse_error);
    let unseen = format!("fn h() {{ let }}\n{FILE}");
    assert_eq!(pruned(&unseen).parse_error, None);
    assert!(analyse(&unseen).parse_error.is_some());
}
