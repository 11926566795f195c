//! Properties of `#[db_checked]`'s expansion over generated fns: the analysis never panics,
//! the emitted item is the caller's item token for token (same text, same spans) minus
//! dbopt's own attributes, and what the expansion adds is only `compile_error!`s and the
//! warning statements.

use dbopt_core::rust::{check_attribute, emit::expand};
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::select;

/// Generated code: text, a `{}`-less template filled by children at each `@`, a list of
/// statements (one per line), or a statement under one of dbopt's attributes (own line).
#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Tpl(&'static str, Vec<Node>),
    List(Vec<Node>),
    Ours(&'static str, Box<Node>),
}

impl Node {
    /// The source; `ours` keeps dbopt's attributes (the input) or drops them (the oracle).
    fn render(&self, ours: bool) -> String {
        match self {
            Node::Text(s) => s.clone(),
            Node::Tpl(t, kids) => {
                let mut out = String::new();
                let mut kids = kids.iter();
                for (i, part) in t.split('@').enumerate() {
                    if i > 0 {
                        out.push_str(&kids.next().map(|k| k.render(ours)).unwrap_or_default());
                    }
                    out.push_str(part);
                }
                out
            }
            Node::List(v) => v
                .iter()
                .map(|n| n.render(ours))
                .collect::<Vec<_>>()
                .join("\n"),
            Node::Ours(attr, n) if ours => format!("{attr}\n{}", n.render(ours)),
            Node::Ours(_, n) => n.render(ours),
        }
    }
}

const CONN_ARGS: &[&str] = &[
    "conn",
    "db",
    "tx",
    "connection",
    "&mut conn",
    "&mut *conn",
    "self.conn",
    "pool.get()?",
    "c",
];
const CONN_NAMES: &[&str] = &["conn", "db", "tx", "connection", "c"];
const NAMES: &[&str] = &["x", "ids", "rows", "item", "v", "1", "ids.len()", "\"s\""];

/// Leaf expressions; each `@` is filled by a value (`v`) or a connection (`c`), in order.
const LEAVES: &[(&str, &str)] = &[
    (
        "users::table.filter(users::id.eq(@)).load::<User>(@)?",
        "vc",
    ),
    ("posts::table.load::<Post>(@)?", "c"),
    ("posts::table.limit(10).get_results::<Post>(@)", "c"),
    (
        "diesel::insert_into(posts::table).values(&@).execute(@)?",
        "vc",
    ),
    (
        "diesel::update(users::table.find(@)).set(users::name.eq(\"a\")).execute(@)?",
        "vc",
    ),
    (
        "diesel::delete(users::table.filter(users::id.eq(@))).execute(@)?",
        "vc",
    ),
    ("users::table.for_update().find(@).first::<User>(@)?", "vc"),
    ("helper(@, @)", "cv"),
    ("@.batch_execute(\"SELECT 1\")?", "c"),
    (
        "sql_query(\"SELECT 1\").bind::<Integer, _>(@).execute(@)?",
        "vc",
    ),
    ("std::fs::read_to_string(@)?", "v"),
    ("reqwest::get(@).await?", "v"),
    ("self.repo.find(@)", "v"),
    ("Some(@)", "v"),
    ("@", "v"),
];

fn leaf() -> impl Strategy<Value = Node> {
    (select(LEAVES), select(NAMES), select(CONN_ARGS)).prop_map(|((t, kinds), v, c)| {
        let kids = kinds
            .chars()
            .map(|k| Node::Text(if k == 'c' { c } else { v }.to_owned()))
            .collect();
        Node::Tpl(t, kids)
    })
}

/// Statements that hold no statement list, over expressions `e`.
fn simple_stmt(e: BoxedStrategy<Node>) -> BoxedStrategy<Node> {
    prop_oneof![
        e.clone().prop_map(|x| Node::Tpl("let x = @;", vec![x])),
        e.clone()
            .prop_map(|x| Node::Tpl("let mut rows = @;", vec![x])),
        e.clone().prop_map(|x| Node::Tpl("@;", vec![x])),
        e.clone()
            .prop_map(|x| Node::Tpl("#[allow(unused)]\nlet y = @;", vec![x])),
        (
            select(CONN_NAMES),
            select(
                &[
                    "pool.get()?",
                    "establish_connection()",
                    "Pool::get(&pool).unwrap()"
                ][..]
            )
        )
            .prop_map(|(c, k)| Node::Tpl(
                "let mut @ = @;",
                vec![Node::Text(c.to_owned()), Node::Text(k.to_owned())]
            )),
        (
            select(
                &[
                    "n_plus_one",
                    "io_in_transaction",
                    "unbounded_load",
                    "write_outside_transaction"
                ][..]
            ),
            e
        )
            .prop_map(|(r, x)| Node::Ours(
                match r {
                    "n_plus_one" => "#[dbopt::allow(n_plus_one)]",
                    "io_in_transaction" => "#[dbopt::allow(io_in_transaction)]",
                    "unbounded_load" => "#[dbopt::allow(unbounded_load)]",
                    _ => "#[dbopt::allow(write_outside_transaction, n_plus_one)]",
                },
                Box::new(Node::Tpl("@;", vec![x]))
            )),
    ]
    .boxed()
}

fn list(e: BoxedStrategy<Node>) -> BoxedStrategy<Node> {
    prop::collection::vec(simple_stmt(e), 0..4)
        .prop_map(Node::List)
        .boxed()
}

fn expr() -> BoxedStrategy<Node> {
    leaf()
        .prop_recursive(4, 64, 4, |inner| {
            let e = inner.boxed();
            let l = list(e.clone());
            prop_oneof![
                (e.clone(), e.clone()).prop_map(|(a, b)| Node::Tpl(
                    "@.iter().map(|x| @).collect::<Vec<_>>()",
                    vec![a, b]
                )),
                (e.clone(), l.clone()).prop_map(|(a, b)| Node::Tpl(
                    "@.into_iter().for_each(|item| {\n@\n})",
                    vec![a, b]
                )),
                (select(CONN_ARGS), select(CONN_NAMES), l.clone()).prop_map(|(c, n, b)| {
                    Node::Tpl(
                        "@.transaction(|@| {\n@\nOk::<_, diesel::result::Error>(())\n})?",
                        vec![Node::Text(c.to_owned()), Node::Text(n.to_owned()), b],
                    )
                }),
                (e.clone(), l.clone(), l.clone())
                    .prop_map(|(a, b, c)| Node::Tpl("if @ {\n@\n} else {\n@\n}", vec![a, b, c])),
                (e.clone(), e.clone(), e.clone()).prop_map(|(a, b, c)| Node::Tpl(
                    "match @ {\nSome(v) => @,\nNone => @,\n}",
                    vec![a, b, c]
                )),
                (l.clone(), e.clone()).prop_map(|(a, b)| Node::Tpl("{\n@\n@\n}", vec![a, b])),
                e.clone().prop_map(|a| Node::Tpl("(|| @)()", vec![a])),
                l.clone()
                    .prop_map(|a| Node::Tpl("async move {\n@\n}.await", vec![a])),
                l.clone()
                    .prop_map(|a| Node::Tpl("std::thread::spawn(move || {\n@\n})", vec![a])),
                (e.clone(), e.clone())
                    .prop_map(|(a, b)| Node::Tpl("@.and_then(|v| @)", vec![a, b])),
                (e.clone(), e.clone()).prop_map(|(a, b)| Node::Tpl("vec![@, @]", vec![a, b])),
                e.clone()
                    .prop_map(|a| Node::Tpl("format!(\"{}\", @)", vec![a])),
                e.clone()
                    .prop_map(|a| Node::Tpl("println!(\"{:?}\", @)", vec![a])),
                (e.clone(), e.clone())
                    .prop_map(|(a, b)| Node::Tpl("my_macro!(@ ; @ => x)", vec![a, b])),
                (e.clone(), e).prop_map(|(a, b)| Node::Tpl("(@, @)", vec![a, b])),
            ]
        })
        .boxed()
}

fn stmt() -> BoxedStrategy<Node> {
    let e = expr();
    let l = list(e.clone());
    prop_oneof![
        4 => simple_stmt(e.clone()),
        1 => (e.clone(), l.clone()).prop_map(|(a, b)| Node::Tpl("for x in @ {\n@\n}", vec![a, b])),
        1 => (e.clone(), l.clone()).prop_map(|(a, b)| Node::Tpl(
            "while let Some(x) = @ {\n@\nbreak;\n}",
            vec![a, b]
        )),
        1 => l.clone().prop_map(|a| Node::Tpl("loop {\n@\nbreak;\n}", vec![a])),
        1 => l.clone().prop_map(|a| Node::Tpl("fn inner(conn: &mut PgConnection) {\n@\n}", vec![a])),
        1 => l.prop_map(|a| Node::Ours(
            "#[db_checked(read_only)]",
            Box::new(Node::Tpl("fn inner2(db: &mut SqliteConnection) {\n@\n}", vec![a]))
        )),
        1 => (select(&["n_plus_one", "write_outside_transaction"][..]), e, list(expr()))
            .prop_map(|(r, a, b)| Node::Ours(
                if r == "n_plus_one" { "#[dbopt::allow(n_plus_one)]" } else { "#[dbopt::allow(write_outside_transaction)]" },
                Box::new(Node::Tpl("for x in @ {\n@\n}", vec![a, b]))
            )),
    ]
    .boxed()
}

const WRAPPERS: &[&str] = &[
    "fn f(conn: &mut PgConnection, db: &mut SqliteConnection, pool: &Pool, ids: Vec<i32>) -> QueryResult<()> {\n@\nOk(())\n}",
    "pub async fn f<C: Connection>(c: &mut C, ids: &[i32]) {\n#![allow(unused)]\n@\n}",
    "impl Repo {\nfn a(&self) {}\nfn f(&self, conn: &mut PgConnection) {\n@\n}\n}",
    "mod m {\nfn f(tx: &mut PgConnection) {\n@\n}\n}",
    "trait T {\nfn f(&mut self, connection: &mut PgConnection) {\n@\n}\n}",
];

const ATTRS: &[&str] = &[
    "",
    "read_only",
    "in_transaction",
    "max_queries = 2",
    "lock_order(users, posts)",
    "conn(db, pool)",
    "warn(n_plus_one), deny(unbounded_load)",
];

const DENY_ALL: &str = "deny(io_in_transaction, lock_order, n_plus_one, query_budget, \
     unbounded_load, write_in_read_only, write_outside_transaction)";

fn item() -> impl Strategy<Value = Node> {
    (select(WRAPPERS), prop::collection::vec(stmt(), 1..6))
        .prop_map(|(w, body)| Node::Tpl(w, vec![Node::List(body)]))
}

/// Each leaf token and group opening: (text, line, column).
fn leaves(ts: TokenStream, out: &mut Vec<(String, usize, usize)>) {
    for tt in ts {
        let start = tt.span().start();
        match tt {
            TokenTree::Group(g) => {
                let open = match g.delimiter() {
                    Delimiter::Parenthesis => "(",
                    Delimiter::Brace => "{",
                    Delimiter::Bracket => "[",
                    Delimiter::None => "∅",
                };
                out.push((open.to_owned(), start.line, start.column));
                leaves(g.stream(), out);
            }
            other => out.push((other.to_string(), start.line, start.column)),
        }
    }
}

fn lex(src: &str) -> TokenStream {
    match src.parse() {
        Ok(ts) => ts,
        Err(e) => panic!("generated code does not lex: {e}\n{src}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The emitted item is the input item minus dbopt's attributes: same tokens, same spans.
    #[test]
    fn emitted_item_is_the_input_item(node in item(), attr in select(ATTRS)) {
        let src = node.render(true);
        let input = lex(&src);
        assert!(syn::parse2::<syn::Item>(input.clone()).is_ok(), "syn rejects:\n{src}");
        let exp = check_attribute(lex(attr), input.clone());
        let expected = lex(&node.render(false));
        prop_assert_eq!(exp.item.to_string(), expected.to_string());
        // Spans: the input's tokens without those on the lines of dbopt's attributes.
        let ours: Vec<usize> = src
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("#[dbopt::allow") || l.starts_with("#[db_checked"))
            .map(|(i, _)| i + 1)
            .collect();
        let mut want = Vec::new();
        leaves(input, &mut want);
        want.retain(|(_, line, _)| !ours.contains(line));
        let mut got = Vec::new();
        leaves(exp.item, &mut got);
        prop_assert_eq!(got, want);
    }

    /// With every rule at deny, the expansion is exactly one `::core::compile_error!{..}` per
    /// error and finding, then the item.
    #[test]
    fn expansion_is_errors_then_the_item(node in item()) {
        let src = node.render(true);
        let exp = check_attribute(lex(DENY_ALL), lex(&src));
        // A finding capped below deny (`n_plus_one` over a fixed collection such as
        // `vec![a, b]`) is a warning whatever the rule's level: not this property's case.
        prop_assume!(exp.diagnostics.iter().all(|d| d.level == dbopt_core::diagnostic::Level::Deny));
        let errors = exp.errors.len() + exp.diagnostics.len();
        let item: Vec<TokenTree> = exp.item.into_iter().collect();
        let out: Vec<TokenTree> = expand(lex(DENY_ALL), lex(&src)).into_iter().collect();
        prop_assert_eq!(out.len(), errors * 8 + item.len(), "{}", src);
        for chunk in out[..errors * 8].chunks(8) {
            let text: TokenStream = chunk.iter().cloned().collect();
            let text = text.to_string();
            prop_assert!(text.starts_with(":: core :: compile_error ! {"), "{}", text);
        }
        let tail: TokenStream = out[errors * 8..].iter().cloned().collect();
        let item: TokenStream = item.into_iter().collect();
        prop_assert_eq!(tail.to_string(), item.to_string());
    }

    /// Any balanced token soup in a fn body (syn may reject it): no panic, item unchanged.
    #[test]
    fn token_soup_never_panics(body in soup(), attr in select(ATTRS)) {
        let src = format!("fn f(conn: &mut PgConnection) {{ {body} }}");
        let input = lex(&src);
        let exp = check_attribute(lex(attr), input.clone());
        prop_assert_eq!(exp.item.to_string(), input.to_string());
        let _ = expand(lex(attr), input);
    }
}

const SOUP: &[&str] = &[
    "conn",
    "for",
    "in",
    "loop",
    "while",
    "let",
    "fn",
    "move",
    "async",
    "await",
    "transaction",
    "load",
    "execute",
    "get",
    "insert_into",
    "diesel",
    "users",
    "table",
    "x",
    "self",
    "Self",
    "impl",
    "match",
    "if",
    "else",
    "return",
    "break",
    "1",
    "\"s\"",
    ".",
    ",",
    ";",
    ":",
    "::",
    "?",
    "=",
    "|",
    "||",
    "&",
    "&mut",
    "*",
    "->",
    "=>",
    "!",
    "#",
    "'a",
    "_",
    "<",
    ">",
    "+",
];

fn soup() -> impl Strategy<Value = String> {
    let tok = select(SOUP).prop_map(str::to_owned);
    tok.prop_recursive(5, 200, 8, |inner| {
        (
            select(&["(", "[", "{", ""][..]),
            prop::collection::vec(inner, 0..8),
        )
            .prop_map(|(open, v)| {
                let close = match open {
                    "(" => ")",
                    "[" => "]",
                    "{" => "}",
                    _ => "",
                };
                format!("{open} {} {close}", v.join(" "))
            })
    })
}
