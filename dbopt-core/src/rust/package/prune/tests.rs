use super::*;

/// The texts of the fns left out when `keep` accepts what mentions `conn`, `Conn` or `pool`;
/// and the pruned tokens, which must parse as a file.
fn pruned(text: &str) -> (Vec<String>, String) {
    let tokens: TokenStream = text.parse().unwrap();
    let keep = |r: Range<usize>| {
        ["conn", "Conn", "pool"]
            .iter()
            .any(|w| text[r.clone()].contains(w))
    };
    let p = match prune(tokens, &keep) {
        Ok(p) => p,
        Err(back) => return (Vec::new(), back.to_string()),
    };
    syn::parse2::<syn::File>(p.tokens.clone()).expect("pruned tokens parse");
    let dropped = p.dropped.into_iter().map(|r| text[r].to_owned()).collect();
    (dropped, p.tokens.to_string())
}

fn dropped(text: &str) -> Vec<String> {
    pruned(text).0
}

#[test]
fn fns_without_a_word_and_every_const_static_macro_and_extern_block_are_left_out() {
    let text = r#"#![allow(dead_code)]
use std::fmt;
/// Adds.
pub(crate) const fn add(a: u32, b: u32) -> u32 { a + b }
pub fn query(conn: &mut PgConnection) { conn.run() }
const LIMIT: Limit = Limit { rows: 10 };
static POOL: &[&str] = &["conn"];
pub struct Repo { conn: Conn }
enum E { A = 1, B = 2 }
type Alias<T = u8> = Vec<T>;
macro_rules! twice { ($e:expr) => { $e; $e }; }
diesel::table! { users (id) { id -> Int4, } }
thread_local!(static X: u8 = 0;);
unsafe extern "C" { fn abs(x: i32) -> i32; }
extern crate alloc;
async fn fetch() -> impl std::future::Future<Output = u8> { async { 1 } }
trait T { fn f(&self) -> u8 { 1 } }
"#;
    let (dropped, kept) = pruned(text);
    assert_eq!(
        dropped,
        [
            "/// Adds.\npub(crate) const fn add(a: u32, b: u32) -> u32 { a + b }",
            "async fn fetch() -> impl std::future::Future<Output = u8> { async { 1 } }",
        ]
    );
    let expected: TokenStream = r#"#![allow(dead_code)]
use std::fmt;
pub fn query(conn: &mut PgConnection) { conn.run() }
pub struct Repo { conn: Conn }
enum E { A = 1, B = 2 }
type Alias<T = u8> = Vec<T>;
extern crate alloc;
trait T { fn f(&self) -> u8 { 1 } }
"#
    .parse()
    .unwrap();
    assert_eq!(kept, expected.to_string());
}

#[test]
fn impl_blocks_and_inline_modules_are_pruned_inside() {
    let text = r#"impl Repo {
    pub fn new(x: u8) -> Self { Repo { x } }
    pub fn find(&self, conn: &mut C) -> u8 { 1 }
    const N: usize = 3;
}
mod inner {
    fn plain() {}
    impl<T: Into<u8>> Show for Wrapper<T> where T: Clone { fn show(&self) {} }
    pub fn db(conn: &mut C) {}
}
/// A word in the header: every method is kept.
impl<S> Connection<S> where S: Stream {
    fn poll_read(&mut self) { loop { self.poll_response(); } }
}
#[cfg(feature = "pool")]
impl Plain { fn kept(&self) {} }
"#;
    assert_eq!(
        dropped(text),
        [
            "pub fn new(x: u8) -> Self { Repo { x } }",
            "fn plain() {}",
            "fn show(&self) {}",
        ]
    );
}

#[test]
fn nothing_left_out_is_none() {
    let text = "use a::b;\nfn f(conn: C) {}\nstruct S;\n";
    let tokens: TokenStream = text.parse().unwrap();
    assert!(prune(tokens.clone(), &|_| false).is_ok());
    let back = prune(tokens.clone(), &|_| true).expect_err("nothing left out");
    assert_eq!(back.to_string(), tokens.to_string());
    assert_eq!(dropped(text), Vec::<String>::new());
}

#[test]
fn a_word_in_a_doc_comment_or_attribute_keeps_the_item() {
    let text = "/// Opens a conn.\nfn a() {}\n#[cfg(feature = \"conn\")]\nfn b() {}\nfn c() {}\n";
    assert_eq!(dropped(text), ["fn c() {}"]);
}

#[test]
fn a_const_generic_block_in_a_signature_cuts_wrongly_and_does_not_parse() {
    // The splitter ends the fn at `{ N }`; what remains does not parse, and
    // `analyse_file_pruned` then parses the file whole.
    let text = "fn f() -> Arr<{ N }> { 1 }\nfn g(conn: C) {}\n";
    let tokens: TokenStream = text.parse().unwrap();
    let keep = |r: Range<usize>| {
        ["conn", "Conn", "pool"]
            .iter()
            .any(|w| text[r.clone()].contains(w))
    };
    let p = prune(tokens, &keep).unwrap();
    assert!(syn::parse2::<syn::File>(p.tokens).is_err());
}
