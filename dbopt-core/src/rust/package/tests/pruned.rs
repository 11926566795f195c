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

#[test]
fn left_out_fns_are_added_later_without_parsing_the_rest_again() {
    let text = "pub struct Svc { repo: Repo }
impl Svc {
    fn names(&self, ids: &[i32]) { for id in ids { self.repo.find(*id); } }
    fn plain(&self) -> u8 { 1 }
}
fn helper(a: u32) -> u32 { a + 1 }
fn f(conn: &mut PgConnection, ids: &[i32]) {
    for id in ids {
        users::table.find(id).first::<User>(conn);
    }
}
";
    let input = FileInput {
        id: FileId(7),
        text,
        module_path: &[],
    };
    let mut a = pruned(text);
    let left: Vec<&str> = a.pruned.iter().map(|r| &text[r.clone()]).collect();
    assert_eq!(left.len(), 3);
    analyse_left_out(input, &Options::default(), &mut a, &|t| t.contains("find"));
    let left: Vec<&str> = a.pruned.iter().map(|r| &text[r.clone()]).collect();
    assert_eq!(
        left,
        [
            "fn plain(&self) -> u8 { 1 }",
            "fn helper(a: u32) -> u32 { a + 1 }"
        ]
    );
    let names: Vec<&str> = a.fns.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["names", "f"]);
    // The fns' findings point into the merged list.
    let whole = analyse(text);
    assert_eq!(primary(text, &a), primary(text, &whole));
    for f in &a.fns {
        let w = whole.fns.iter().find(|w| w.name == f.name).unwrap();
        let mine: Vec<_> = a.diagnostics[f.diagnostics.clone()].to_vec();
        assert_eq!(mine, whole.diagnostics[w.diagnostics.clone()].to_vec());
    }
    assert_eq!(a.db_fns, ["f", "names"]);
}

/// Found by comparing the registry corpus with and without pruning (tokio-postgres's
/// `Connection::poll_read`): the handle is `self`, and the word is in the impl's header only.
#[test]
fn a_method_of_a_handle_type_is_kept_though_its_text_has_no_word() {
    let text = "pub struct Connection<S> { stream: S }
impl<S: Stream> Connection<S> {
    fn poll_response(&mut self) -> Option<u8> { self.stream.next() }
    fn poll_read(&mut self) {
        loop {
            if self.poll_response().is_none() { break; }
        }
    }
}
";
    let a = pruned(text);
    assert!(a.pruned.is_empty());
    assert_eq!(primary(text, &a), primary(text, &analyse(text)));
    assert_eq!(a.fns.len(), 2);
}
