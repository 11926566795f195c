use super::*;

/// The texts of the items left out when `keep` accepts what mentions `conn`, and the
/// pruned tokens (which must parse as a file).
fn dropped(text: &str) -> Vec<String> {
    let tokens: TokenStream = text.parse().unwrap();
    let keep = |r: Range<usize>| text[r].contains("conn");
    let Ok(p) = prune(tokens, &keep) else {
        return Vec::new();
    };
    syn::parse2::<syn::File>(p.tokens).expect("pruned tokens parse");
    p.dropped.into_iter().map(|r| text[r].to_owned()).collect()
}

#[test]
fn fns_consts_statics_macros_and_extern_blocks_without_a_word_are_left_out() {
    let text = r#"#![allow(dead_code)]
use std::fmt;
/// Adds.
pub(crate) const fn add(a: u32, b: u32) -> u32 { a + b }
pub fn query(conn: &mut PgConnection) { conn.run() }
const LIMIT: Limit = Limit { rows: 10 };
static NAMES: &[&str] = &["a"];
pub struct Repo { conn: Conn }
enum E { A = 1, B = 2 }
type Alias<T = u8> = Vec<T>;
macro_rules! twice { ($e:expr) => { $e; $e }; }
thread_local!(static X: u8 = 0;);
unsafe extern "C" { fn abs(x: i32) -> i32; }
extern crate alloc;
async fn fetch() -> impl std::future::Future<Output = u8> { async { 1 } }
trait T { fn f(&self) -> u8 { 1 } }
"#;
    assert_eq!(
        dropped(text),
        [
            "/// Adds.\npub(crate) const fn add(a: u32, b: u32) -> u32 { a + b }",
            "const LIMIT: Limit = Limit { rows: 10 };",
            "static NAMES: &[&str] = &[\"a\"];",
            "macro_rules! twice { ($e:expr) => { $e; $e }; }",
            "thread_local!(static X: u8 = 0;);",
            "unsafe extern \"C\" { fn abs(x: i32) -> i32; }",
            "async fn fetch() -> impl std::future::Future<Output = u8> { async { 1 } }",
        ]
    );
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
"#;
    assert_eq!(
        dropped(text),
        [
            "pub fn new(x: u8) -> Self { Repo { x } }",
            "const N: usize = 3;",
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
    let keep = |r: Range<usize>| text[r].contains("conn");
    let p = prune(tokens, &keep).unwrap();
    assert!(syn::parse2::<syn::File>(p.tokens).is_err());
}
