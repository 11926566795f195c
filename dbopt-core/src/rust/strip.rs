//! Removes dbopt's own attributes from the caller's original tokens: the statement-level
//! `#[dbopt::allow(..)]` (inert only because we remove it) and nested `#[db_checked(..)]`
//! (already applied by the outer attribute). Every other token keeps its span.

use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};

/// `tokens` without `#[dbopt::allow(..)]` and nested `#[db_checked ..]` attributes, at any
/// depth (an explicit stack, so no input is too deep for it).
pub fn strip(tokens: TokenStream) -> TokenStream {
    let mut stack = vec![Level::new(tokens, None)];
    loop {
        let Some(level) = stack.last_mut() else {
            return TokenStream::new();
        };
        let Some(tree) = level.trees.get(level.next).cloned() else {
            let Some(done) = stack.pop() else {
                return TokenStream::new();
            };
            let (group, changed, stream) = done.finish();
            let Some(parent) = stack.last_mut() else {
                return stream;
            };
            let Some(group) = group else {
                return stream;
            };
            // Untouched groups are reused as they are.
            if changed {
                parent.changed = true;
                let mut rebuilt = Group::new(group.delimiter(), stream);
                rebuilt.set_span(group.span());
                parent.out.push(TokenTree::Group(rebuilt));
            } else {
                parent.out.push(TokenTree::Group(group));
            }
            continue;
        };
        level.next += 1;
        if let (TokenTree::Punct(p), Some(TokenTree::Group(g))) =
            (&tree, level.trees.get(level.next))
            && p.as_char() == '#'
            && g.delimiter() == Delimiter::Bracket
            && is_ours(&g.stream())
        {
            level.next += 1;
            level.changed = true;
            continue;
        }
        match tree {
            TokenTree::Group(g) => stack.push(Level::new(g.stream(), Some(g))),
            other => level.out.push(other),
        }
    }
}

/// One token sequence being stripped: the group it is the content of (`None` at the top).
struct Level {
    group: Option<Group>,
    trees: Vec<TokenTree>,
    next: usize,
    out: Vec<TokenTree>,
    changed: bool,
}

impl Level {
    fn new(stream: TokenStream, group: Option<Group>) -> Self {
        let trees: Vec<TokenTree> = stream.into_iter().collect();
        Level {
            group,
            out: Vec::with_capacity(trees.len()),
            trees,
            next: 0,
            changed: false,
        }
    }

    /// The group, whether anything inside was removed, and the stripped content.
    fn finish(self) -> (Option<Group>, bool, TokenStream) {
        let stream = if self.changed {
            self.out.into_iter().collect()
        } else {
            self.trees.into_iter().collect()
        };
        (self.group, self.changed, stream)
    }
}

/// `dbopt::allow ..` or `db_checked ..` under any path, read as syn reads an attribute
/// (which is what [`crate::rust::attr`] sees): a path of identifiers (keywords included)
/// joined by `::`, then nothing, one delimited group or `= value` (the value unchecked).
/// `#[db_checked fnn]` is no attribute, so it is kept.
fn is_ours(attr: &TokenStream) -> bool {
    let trees: Vec<TokenTree> = attr.clone().into_iter().collect();
    let punct = |i: usize| match trees.get(i) {
        Some(TokenTree::Punct(p)) => Some((p.as_char(), p.spacing())),
        _ => None,
    };
    let colons = |i: usize| {
        punct(i) == Some((':', Spacing::Joint)) && matches!(punct(i + 1), Some((':', _)))
    };
    let mut i = if colons(0) { 2 } else { 0 };
    let mut path = Vec::new();
    loop {
        let Some(TokenTree::Ident(id)) = trees.get(i) else {
            return false;
        };
        path.push(id.to_string());
        i += 1;
        if !colons(i) {
            break;
        }
        i += 2;
    }
    let shaped = match &trees[i..] {
        [] => true,
        [TokenTree::Group(g)] => g.delimiter() != Delimiter::None,
        // `= value`, not `==` nor `=>`.
        [TokenTree::Punct(_), ..] => {
            punct(i) == Some(('=', Spacing::Alone))
                || punct(i) == Some(('=', Spacing::Joint))
                    && !matches!(punct(i + 1), Some(('=' | '>', _)))
        }
        _ => false,
    };
    shaped && (path == ["dbopt", "allow"] || path.last().is_some_and(|l| l == "db_checked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_exactly_our_attributes() {
        let src: TokenStream = r#"
            #[doc = "x"]
            fn f(conn: &mut PgConnection) {
                #[dbopt::allow(n_plus_one)]
                for x in xs { g(conn, x); }
                #[allow(unused)] let y = { #[dbopt::allow(io_in_transaction)] h(); 1 };
                #[db_checked(read_only)] fn inner() {}
            }
        "#
        .parse()
        .unwrap_or_default();
        let out = strip(src).to_string();
        assert!(!out.contains("dbopt"), "{out}");
        assert!(!out.contains("db_checked"), "{out}");
        assert!(out.contains("# [doc = \"x\"]"), "{out}");
        assert!(out.contains("# [allow (unused)]"), "{out}");
        assert!(out.contains("for x in xs"), "{out}");
    }

    /// Every token, groups as their delimiters, depth first (no recursion: `Display`
    /// recurses and would overflow on these inputs).
    fn flat(tokens: TokenStream) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![tokens.into_iter()];
        while let Some(level) = stack.last_mut() {
            match level.next() {
                Some(TokenTree::Group(g)) => {
                    out.push(format!("{:?}", g.delimiter()));
                    stack.push(g.stream().into_iter());
                }
                Some(other) => out.push(other.to_string()),
                None => {
                    stack.pop();
                }
            }
        }
        out
    }

    /// Found by the `fn_body` fuzz target: past 512 nested groups the attribute was kept.
    #[test]
    fn removes_our_attributes_at_any_depth() {
        let deep = |inner: &str| {
            let depth = 5_000;
            let src = format!(
                "fn f() {{ m!{{ {}{inner} x{} }} }}",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            src.parse::<TokenStream>().unwrap_or_default()
        };
        let out = flat(strip(deep("#[dbopt::allow(n_plus_one)]")));
        assert_eq!(out, flat(deep("")));
        assert_eq!(out.len(), 5_000 + 8);
    }

    /// Found by the `fn_body` fuzz target: `#[db_checked fnn]` and `#[dbopt allow]` were taken
    /// for paths ending in `fnn` and for `dbopt::allow`; a path is read as syn reads it.
    #[test]
    fn only_what_syn_reads_as_our_attribute_is_ours() {
        let ours = [
            "db_checked",
            "db_checked(read_only)",
            "db_checked[x]",
            "db_checked = 1",
            "db_checked =-1",
            "::dbopt::db_checked",
            "fn::db_checked",
            "dbopt::allow(n_plus_one)",
            "dbopt :: allow()",
        ];
        let not_ours = [
            "db_checked fnn",
            "dbopt allow(n_plus_one)",
            "dbopt:allow",
            "dbopt: :allow",
            "dbopt:::allow",
            "db_checked::",
            "db_checked == 1",
            "db_checked => 1",
            "db_checked(x) y",
            "r#db_checked",
            "dbopt::allow::<T>",
            "allow",
            "1",
            "",
        ];
        for (attrs, want) in [(&ours[..], true), (&not_ours[..], false)] {
            for a in attrs {
                let tokens: TokenStream = a.parse().unwrap_or_default();
                assert_eq!(is_ours(&tokens), want, "{a}");
            }
        }
    }

    #[test]
    fn untouched_stream_is_unchanged() {
        let src: TokenStream = "fn f() { #[cfg(test)] let x = 1; }"
            .parse()
            .unwrap_or_default();
        assert_eq!(strip(src.clone()).to_string(), src.to_string());
    }
}
