//! Test code, which `cargo dbopt`'s scan leaves out unless `include_tests` is set: items
//! under `#[cfg(test)]`, fns carrying a test attribute, closures run by `test_transaction`,
//! files named `tests.rs` / `test_utils.rs`, and the files of out-of-line
//! `#[cfg(test)] mod name;` modules. (Test-support packages are left out by the CLI, which
//! knows the workspace's dependency graph.)
//!
//! Half of the code findings on real applications were in test fixtures, which insert rows
//! one by one in loops on purpose. A fn the user annotates with `#[db_checked]` is always
//! checked: the user asked.

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

/// Does a `cfg` predicate hold only under `test`: `test`, or `all(.., test, ..)`?
fn requires_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::List(l) if l.path.is_ident("all") => l
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|metas| metas.iter().any(requires_test)),
        _ => false,
    }
}

/// Is the item compiled only for tests (`#[cfg(test)]`, `#[cfg(all(test, ..))]`)?
pub fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|meta| requires_test(&meta))
    })
}

/// Attribute names (last path segment) that make a fn a test: `#[test]`, `#[tokio::test]`,
/// `#[actix_web::test]`, `#[sqlx::test(..)]`, and the parameterised-test crates' own.
const TEST_ATTRS: &[&str] = &["test", "rstest", "test_case", "test_log"];

/// Does the fn carry a test attribute?
pub fn is_test_fn(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| TEST_ATTRS.iter().any(|t| s.ident == t))
    })
}

/// Is the item test code: `#[cfg(test)]`, or a fn with a test attribute?
pub fn is_test_item(attrs: &[syn::Attribute]) -> bool {
    is_cfg_test(attrs) || is_test_fn(attrs)
}

/// File names that hold test code by convention.
pub const TEST_FILE_NAMES: &[&str] = &["tests.rs", "test_utils.rs", "test_util.rs"];

/// Is the file test code by its name?
pub fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| TEST_FILE_NAMES.contains(&n))
}

/// Methods whose closure runs in a transaction that is rolled back: test set-up.
pub const TEST_TRANSACTIONS: &[&str] = &["test_transaction", "begin_test_transaction"];

/// The names of the out-of-line modules a file declares under `#[cfg(test)]`
/// (`#[cfg(test)] mod tests;`, `#[cfg(test)] pub(crate) mod fixtures;`): their files are
/// test code. Read from the text, so a file the pre-check skips still counts.
pub fn cfg_test_modules(text: &str) -> Vec<String> {
    if !text.contains("test") {
        return Vec::new();
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"#\[\s*cfg\s*\(\s*(?:test|all\s*\((?:[^()]|\([^()]*\))*\btest\b(?:[^()]|\([^()]*\))*\))\s*\)\s*\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+(?:r#)?([A-Za-z_][A-Za-z0-9_]*)\s*;",
        )
        .expect("valid regex")
    });
    re.captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<syn::Attribute> {
        let f: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        f.attrs
    }

    #[test]
    fn cfg_predicates() {
        assert!(is_cfg_test(&attrs("#[cfg(test)]")));
        assert!(is_cfg_test(&attrs("#[cfg(all(test, feature = \"pg\"))]")));
        assert!(!is_cfg_test(&attrs("#[cfg(any(test, feature = \"x\"))]")));
        assert!(!is_cfg_test(&attrs("#[cfg(not(test))]")));
        assert!(!is_cfg_test(&attrs("#[cfg(feature = \"test\")]")));
    }

    #[test]
    fn test_attributes() {
        for a in [
            "#[test]",
            "#[tokio::test]",
            "#[tokio::test(flavor = \"multi_thread\")]",
            "#[actix_web::test]",
            "#[sqlx::test(migrations = \"x\")]",
            "#[rstest]",
        ] {
            assert!(is_test_fn(&attrs(a)), "{a}");
        }
        assert!(!is_test_fn(&attrs("#[tokio::main]")));
        assert!(!is_test_fn(&attrs("#[get(\"/test\")]")));
        assert!(!is_test_fn(&attrs("#[instrument]")));
    }

    #[test]
    fn out_of_line_test_modules() {
        let text = "mod users;\n#[cfg(test)]\nmod tests;\n#[cfg(test)] pub(crate) mod fixtures;\n\
                    #[cfg(all(test, feature = \"pg\"))]\n#[allow(unused)]\nmod pg_tests;\n\
                    #[cfg(test)]\nmod inline { }\n#[cfg(not(test))]\nmod prod;\n";
        assert_eq!(cfg_test_modules(text), ["tests", "fixtures", "pg_tests"]);
    }

    #[test]
    fn file_names() {
        assert!(is_test_file(Path::new("src/db/tests.rs")));
        assert!(is_test_file(Path::new("src/test_utils.rs")));
        assert!(!is_test_file(Path::new("src/testing_db.rs")));
        assert!(!is_test_file(Path::new("src/tests/mod.rs")));
    }
}
