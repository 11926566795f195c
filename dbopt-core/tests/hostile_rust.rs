//! Hostile Rust input for the two front doors (issue 7 §2): a 100,000-line fn for the scan's
//! per-file entry point, and absurdly deep nesting for both it and `#[db_checked]`. The
//! scan's CLI test of the same inputs lands with the scan.

use dbopt_core::rust::Options;
use dbopt_core::rust::package::{FileInput, analyse_file};
use dbopt_core::source::FileId;
use proc_macro2::TokenStream;

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// One fn of 100,000 lines of ordinary statements, with a query every 1,000 lines and an
/// N+1 at the end: every finding is at its line, nothing else is reported.
#[test]
fn a_100k_line_fn_is_analysed() {
    let mut text = String::from(
        "use diesel::prelude::*;\n\
         fn big(conn: &mut PgConnection, ids: &[i32]) -> QueryResult<i64> {\n    let x0 = 0i64;\n",
    );
    for i in 1..100_000 {
        if i % 1_000 == 0 {
            text.push_str(&format!(
                "    let x{i} = x{} + users::table.find(x{}).select(users::id).first::<i64>(conn)?;\n",
                i - 1,
                i - 1
            ));
        } else {
            text.push_str(&format!("    let x{i} = x{} + {i};\n", i - 1));
        }
    }
    text.push_str(
        "    for id in ids {\n        users::table.find(id).first::<User>(conn)?;\n    }\n    Ok(x99999)\n}\n",
    );
    assert!(text.lines().count() > 100_000);

    let analysis = analyse_file(
        FileInput {
            id: FileId(3),
            text: &text,
            module_path: &[],
        },
        &Options::default(),
    );
    assert_eq!(analysis.parse_error, None);
    assert_eq!(analysis.errors, vec![]);
    assert_eq!(analysis.db_fns, ["big"]);
    let found: Vec<(&str, usize, &str)> = analysis
        .diagnostics
        .iter()
        .map(|d| {
            let range = d.primary.span.range.clone();
            (d.rule, line_of(&text, range.start), &text[range])
        })
        .collect();
    // 3 lines before the statements, 99,999 statements, the `for` line.
    assert_eq!(found, vec![("n_plus_one", 100_004, "first")]);
}

/// 100,000 nested parentheses in a fn under `#[db_checked]`, on the 2 MiB stack of a test
/// thread: one error at the first parenthesis past the limit, the item emitted unchanged.
#[test]
fn the_attribute_rejects_deep_nesting_without_overflowing() {
    let n = 100_000;
    let source = format!(
        "fn f(conn: &mut PgConnection) {{ let x = {}1{}; }}",
        "(".repeat(n),
        ")".repeat(n)
    );
    let item: TokenStream = source.parse().expect("lexes");
    let expansion = dbopt_core::rust::check_attribute(TokenStream::new(), item.clone());
    let errors: Vec<String> = expansion.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors, ["nesting deeper than 256 levels; not analysed"]);
    let at = expansion.errors[0].span().byte_range().start;
    assert_eq!(&source[at - 2..at + 1], "(((");
    assert!(at > source.find('(').unwrap() + 200, "{at}");
    assert!(expansion.diagnostics.is_empty());
    // Not `to_string()`: proc-macro2's Display recurses into groups.
    assert_eq!(flat(&expansion.item), flat(&item));
}

/// The tokens of `stream` in order, groups opened and closed, without recursion.
fn flat(stream: &TokenStream) -> Vec<String> {
    use proc_macro2::TokenTree;
    let mut out = Vec::new();
    let mut stack = vec![stream.clone().into_iter()];
    while let Some(tokens) = stack.last_mut() {
        match tokens.next() {
            Some(TokenTree::Group(g)) => {
                out.push(format!("{:?}", g.delimiter()));
                stack.push(g.stream().into_iter());
            }
            Some(other) => out.push(other.to_string()),
            None => {
                stack.pop();
                out.push("end".to_owned());
            }
        }
    }
    out
}

/// The attribute's own arguments nested absurdly: an error, no overflow.
#[test]
fn deep_attribute_arguments_are_an_error() {
    let n = 100_000;
    let attr: TokenStream = format!("allow({}n_plus_one{})", "(".repeat(n), ")".repeat(n))
        .parse()
        .expect("lexes");
    let item: TokenStream = "fn f() {}".parse().expect("lexes");
    let expansion = dbopt_core::rust::check_attribute(attr, item);
    let errors: Vec<String> = expansion.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors, ["nesting deeper than 256 levels; not analysed"]);
}
