//! The `#[db_checked]` contract on tokens, written independently of `dbopt_core::rust::strip`:
//! the emitted item is the caller's item with dbopt's own attributes removed and every other
//! token kept, in order, with its text and its span.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// The attribute in a `#[..]`'s content as syn reads it. `path = value` is read with the
/// value left out: the contract does not look at it (syn would parse it as an expression).
fn meta(bracket: &TokenStream) -> Option<syn::Meta> {
    let trees = flatten(bracket);
    let eq = trees
        .iter()
        .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '='));
    let head = match eq {
        Some(i) => {
            if let (TokenTree::Punct(p), Some(TokenTree::Punct(next))) =
                (&trees[i], trees.get(i + 1))
                && p.spacing() == proc_macro2::Spacing::Joint
                && matches!(next.as_char(), '=' | '>')
            {
                return None; // `==`, `=>`
            }
            &trees[..i]
        }
        None => &trees[..],
    };
    let meta = syn::parse2::<syn::Meta>(head.iter().cloned().collect()).ok()?;
    (eq.is_none() || matches!(meta, syn::Meta::Path(_))).then_some(meta)
}

fn segments(meta: &syn::Meta) -> Vec<String> {
    meta.path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect()
}

/// `#[dbopt::allow ..]`, or `#[<path>::db_checked ..]` / `#[db_checked ..]`.
pub fn is_dbopt_attribute(bracket: &TokenStream) -> bool {
    meta(bracket).is_some_and(|m| {
        let segments = segments(&m);
        segments == ["dbopt", "allow"] || segments.last().is_some_and(|s| s == "db_checked")
    })
}

/// What rustc hands `#[db_checked(..)]` placed on `item`: when one of the item's leading
/// outer attributes is `#[db_checked]` or `#[db_checked(args)]`, `args` and the item without
/// that attribute; otherwise no arguments and the item as it is.
pub fn take_db_checked(item: TokenStream) -> (TokenStream, TokenStream) {
    let trees = flatten(&item);
    let mut i = 0;
    while let (Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) =
        (trees.get(i), trees.get(i + 1))
    {
        if p.as_char() != '#' || g.delimiter() != Delimiter::Bracket {
            break;
        }
        if let Some(m) = meta(&g.stream())
            && segments(&m).last().is_some_and(|s| s == "db_checked")
        {
            let attr = match m {
                syn::Meta::Path(_) => TokenStream::new(),
                syn::Meta::List(l) if matches!(l.delimiter, syn::MacroDelimiter::Paren(_)) => {
                    l.tokens
                }
                _ => break, // rustc hands no arguments from `[..]`, `{..}` or `= ..`
            };
            let rest = trees[..i].iter().chain(&trees[i + 2..]).cloned().collect();
            return (attr, rest);
        }
        i += 2;
    }
    (TokenStream::new(), item)
}

/// Panics unless `output` is `input` minus every `#` + `[..]` pair whose content is a dbopt
/// attribute, at any depth, with every kept token's text and span unchanged.
pub fn check_stripped(input: &TokenStream, output: &TokenStream) {
    compare(
        input,
        output,
        |inp, i| match (&inp[i], inp.get(i + 1)) {
            (TokenTree::Punct(p), Some(TokenTree::Group(g)))
                if p.as_char() == '#'
                    && g.delimiter() == Delimiter::Bracket
                    && is_dbopt_attribute(&g.stream()) =>
            {
                2
            }
            _ => 0,
        },
        |_, _| 0,
    );
}

/// Panics unless `emitted` (what the attribute expands to) is `errors` `compile_error!`s,
/// then `item` with nothing added but, when there are `warnings`, dbopt's warning blocks:
/// a `const _: () = { .. };` of them before the item, or one at the top of fn bodies.
pub fn check_emitted(item: &TokenStream, emitted: &TokenStream, errors: usize, warnings: bool) {
    let out = flatten(emitted);
    assert!(
        out.len() >= errors * 8,
        "{} tokens for {errors} errors",
        out.len()
    );
    for chunk in out[..errors * 8].chunks(8) {
        let text = chunk.iter().cloned().collect::<TokenStream>().to_string();
        assert!(
            text.starts_with(":: core :: compile_error ! {"),
            "not an error: {text}"
        );
    }
    let mut rest = &out[errors * 8..];
    if warnings
        && let [
            TokenTree::Ident(c),
            TokenTree::Ident(u),
            _,
            _,
            _,
            TokenTree::Group(g),
            TokenTree::Punct(semi),
            tail @ ..,
        ] = rest
        && c == "const"
        && u == "_"
        && semi.as_char() == ';'
        && g.stream().into_iter().all(|t| is_warning_block(&t))
    {
        rest = tail;
    }
    let rest: TokenStream = rest.iter().cloned().collect();
    compare(
        item,
        &rest,
        |_, _| 0,
        |out, o| usize::from(warnings && is_warning_block(&out[o])),
    );
}

/// `{ #[deprecated(..)] .. struct db_checked; .. }` with the struct's name at the call site
/// (no source text), which no caller's token has.
fn is_warning_block(tree: &TokenTree) -> bool {
    let TokenTree::Group(g) = tree else {
        return false;
    };
    let inner = flatten(&g.stream());
    let deprecated = matches!(
        inner.as_slice(),
        [TokenTree::Punct(p), TokenTree::Group(a), ..]
            if p.as_char() == '#'
                && matches!(a.stream().into_iter().next(), Some(TokenTree::Ident(d)) if d == "deprecated")
    );
    let defined = inner.windows(2).any(|w| {
        matches!(w, [TokenTree::Ident(s), TokenTree::Ident(n)]
            if s == "struct" && n == "db_checked" && n.span().byte_range().is_empty())
    });
    g.delimiter() == Delimiter::Brace && deprecated && defined
}

/// Walks `input` and `output` in step, group by group (an explicit stack: the input may be
/// nested deeper than the thread's stack allows). At each position `skip_in` / `skip_out`
/// say how many tokens of that side are dropped before comparing; every other token must be
/// the same on both sides.
fn compare(
    input: &TokenStream,
    output: &TokenStream,
    skip_in: impl Fn(&[TokenTree], usize) -> usize,
    skip_out: impl Fn(&[TokenTree], usize) -> usize,
) {
    let mut stack = vec![(flatten(input), flatten(output), 0usize, 0usize)];
    while let Some((inp, out, i, o)) = stack.last_mut() {
        if *o < out.len() {
            let n = skip_out(out, *o);
            if n > 0 {
                *o += n;
                continue;
            }
        }
        if *i == inp.len() {
            assert_eq!(*o, out.len(), "output has an extra {}", show(&out[*o]));
            stack.pop();
            continue;
        }
        let n = skip_in(inp, *i);
        if n > 0 {
            *i += n;
            continue;
        }
        let want = inp[*i].clone();
        let Some(got) = out.get(*o).cloned() else {
            panic!(
                "output lacks {} at {:?}",
                show(&want),
                want.span().byte_range()
            );
        };
        *i += 1;
        *o += 1;
        same_token(&want, &got);
        if let (TokenTree::Group(w), TokenTree::Group(g)) = (want, got) {
            stack.push((flatten(&w.stream()), flatten(&g.stream()), 0, 0));
        }
    }
}

/// A token for messages: a group as its delimiter (`Display` recurses into it).
fn show(tree: &TokenTree) -> String {
    match tree {
        TokenTree::Group(g) => format!("{:?} group", g.delimiter()),
        other => format!("`{other}`"),
    }
}

fn flatten(ts: &TokenStream) -> Vec<TokenTree> {
    ts.clone().into_iter().collect()
}

/// Same kind, same text (a group: same delimiter), same span.
fn same_token(want: &TokenTree, got: &TokenTree) {
    let text = |t: &TokenTree| match t {
        TokenTree::Group(g) => format!("{:?}", g.delimiter()),
        other => other.to_string(),
    };
    assert_eq!(text(want), text(got), "token changed");
    assert_eq!(
        std::mem::discriminant(want),
        std::mem::discriminant(got),
        "token kind changed at {}",
        show(want)
    );
    assert_eq!(
        want.span().byte_range(),
        got.span().byte_range(),
        "span of {} changed",
        show(want)
    );
    if let (TokenTree::Punct(w), TokenTree::Punct(g)) = (want, got) {
        assert_eq!(w.spacing(), g.spacing(), "spacing of {w} changed");
    }
    if let (TokenTree::Group(w), TokenTree::Group(g)) = (want, got) {
        assert_eq!(
            w.span_open().byte_range(),
            g.span_open().byte_range(),
            "open span changed"
        );
    }
}
