//! The grammar of diesel's `table!` (diesel_table_macro_syntax 0.3), for one or several
//! tables per invocation:
//!
//! ```text
//! table! {
//!     use diesel::sql_types::*;          // optional `use` items
//!     /// doc comments, #[sql_name = "Users"]
//!     schema.users (id, other) {         // optional `schema.`, optional primary key (default `id`)
//!         #[sql_name = "Name"]
//!         name -> Nullable<Text>,
//!     }
//!     posts { .. }                       // more tables
//! }
//! ```

use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::parse::discouraged::Speculative;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Token};

/// One table of a `table!` invocation.
#[derive(Debug)]
pub struct TableDef {
    pub schema: Option<Ident>,
    /// The Rust name (the table module), unraw.
    pub rust_name: Ident,
    /// `#[sql_name]` or the Rust name.
    pub sql_name: String,
    /// Rust column names; `None` means diesel's default `id`.
    pub primary_key: Option<Vec<Ident>>,
    pub columns: Vec<ColumnDef>,
}

/// `#[sql_name = ".."] name -> Type`.
#[derive(Debug)]
pub struct ColumnDef {
    pub rust_name: Ident,
    pub sql_name: String,
    /// The type as [`column_type`] renders it, and whether it was `Nullable<..>`.
    pub sql_type: String,
    pub nullable: bool,
}

/// Parses the body of a `table!` invocation.
pub fn parse_tables(input: ParseStream<'_>) -> syn::Result<Vec<TableDef>> {
    let mut tables = Vec::new();
    while !input.is_empty() {
        skip_use_items(input)?;
        if input.is_empty() {
            break;
        }
        tables.push(parse_table(input)?);
    }
    Ok(tables)
}

fn skip_use_items(input: ParseStream<'_>) -> syn::Result<()> {
    loop {
        let fork = input.fork();
        if fork.parse::<syn::ItemUse>().is_ok() {
            input.parse::<syn::ItemUse>()?;
        } else {
            return Ok(());
        }
    }
}

fn parse_table(input: ParseStream<'_>) -> syn::Result<TableDef> {
    let mut attrs = Attribute::parse_outer(input)?;
    let first = input.call(Ident::parse_any)?;
    let (schema, rust_name) = if input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        (Some(first), input.call(Ident::parse_any)?)
    } else {
        (None, first)
    };
    let primary_key = if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let keys =
            Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
        Some(keys.into_iter().collect())
    } else {
        None
    };
    let content;
    syn::braced!(content in input);
    let columns =
        Punctuated::<ColumnDef, Token![,]>::parse_terminated_with(&content, parse_column)?;
    let sql_name = sql_name(&mut attrs, &rust_name)?;
    Ok(TableDef {
        schema,
        rust_name,
        sql_name,
        primary_key,
        columns: columns.into_iter().collect(),
    })
}

fn parse_column(input: ParseStream<'_>) -> syn::Result<ColumnDef> {
    let mut attrs = Attribute::parse_outer(input)?;
    let rust_name = input.call(Ident::parse_any)?;
    input.parse::<Token![->]>()?;
    let (sql_type, nullable) = match plain_column_type(input) {
        Some(plain) => plain,
        None => column_type(&input.parse()?),
    };
    let sql_name = sql_name(&mut attrs, &rust_name)?;
    Ok(ColumnDef {
        rust_name,
        sql_name,
        sql_type,
        nullable,
    })
}

/// diesel's `get_sql_name`: `#[sql_name = "x"]` (a leading `r#` dropped) or the unraw ident.
fn sql_name(attrs: &mut Vec<Attribute>, fallback: &Ident) -> syn::Result<String> {
    let Some(index) = attrs.iter().position(|a| a.path().is_ident("sql_name")) else {
        return Ok(fallback.unraw().to_string());
    };
    let attr = attrs.remove(index);
    if let syn::Meta::NameValue(syn::MetaNameValue {
        value:
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }),
        ..
    }) = &attr.meta
    {
        let value = s.value();
        Ok(value.strip_prefix("r#").unwrap_or(&value).to_owned())
    } else {
        Err(syn::Error::new_spanned(
            &attr,
            "invalid `#[sql_name]` attribute, expected `#[sql_name = \"name\"]`",
        ))
    }
}

/// The SQL type as dbopt stores it: without the outer `Nullable<>` (returned as the flag)
/// and with every path prefix dropped, `Nullable<diesel::sql_types::Array<Nullable<Int4>>>`
/// -> (`Array<Nullable<Int4>>`, true).
pub fn column_type(ty: &syn::TypePath) -> (String, bool) {
    if let Some(last) = ty.path.segments.last()
        && last.ident == "Nullable"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && args.args.len() == 1
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return (render_type(inner, 0), true);
    }
    (render_path(&ty.path, 0), false)
}

const MAX_DEPTH: usize = 32;

fn render_type(ty: &syn::Type, depth: usize) -> String {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => render_path(&p.path, depth),
        other => tokens(other),
    }
}

fn render_path(path: &syn::Path, depth: usize) -> String {
    let Some(last) = path.segments.last() else {
        return tokens(path);
    };
    let mut out = last.ident.unraw().to_string();
    match &last.arguments {
        syn::PathArguments::None => {}
        syn::PathArguments::AngleBracketed(args) if depth < MAX_DEPTH => {
            let parts: Vec<String> = args
                .args
                .iter()
                .map(|a| match a {
                    syn::GenericArgument::Type(t) => render_type(t, depth + 1),
                    other => tokens(other),
                })
                .collect();
            out.push('<');
            out.push_str(&parts.join(", "));
            out.push('>');
        }
        other => out.push_str(&tokens(other)),
    }
    out
}

fn tokens(t: &impl quote::ToTokens) -> String {
    t.to_token_stream().to_string()
}

/// Generic-argument nesting [`plain_column_type`] follows; deeper types go to syn. Below
/// [`MAX_DEPTH`], so rendering never reaches its cut-off on this path.
const PLAIN_DEPTH: usize = 8;

/// [`column_type`] of what diesel prints (`Nullable<Array<Int4>>`, `sql_types::Text`), read
/// off the tokens with syn's own token parsers but without building a `syn::TypePath` (most
/// of a schema.rs's parse time): identifier paths whose last segment may carry generic
/// arguments that are such paths too, followed by `,` or the end of the table. That is
/// where syn's `TypePath` stops too, with the same segments. Anything else (keywords,
/// `::` prefixes, `<X as Y>`, lifetimes, `Fn(..)`, deeper nesting) gives `None` with `input`
/// untouched, for syn to parse (and to report, when wrong).
fn plain_column_type(input: ParseStream<'_>) -> Option<(String, bool)> {
    let fork = input.fork();
    let (name, args) = plain_path(&fork, 0)?;
    if !fork.is_empty() && !fork.peek(Token![,]) {
        return None;
    }
    input.advance_to(&fork);
    Some(match args {
        Some(mut args) if name == "Nullable" && args.len() == 1 => (args.remove(0), true),
        args => (render_plain(&name, args), false),
    })
}

/// A path's last identifier and its rendered generic arguments (see [`plain_column_type`]).
fn plain_path(input: ParseStream<'_>, depth: usize) -> Option<(Ident, Option<Vec<String>>)> {
    let mut last: Ident = input.parse().ok()?;
    while input.peek(Token![::]) {
        input.parse::<Token![::]>().ok()?;
        last = input.parse().ok()?;
    }
    // syn's own test for generic arguments on a type path's segment.
    if !input.peek(Token![<]) || input.peek(Token![<=]) || input.peek(Token![<<=]) {
        return Some((last, None));
    }
    if depth == PLAIN_DEPTH {
        return None;
    }
    input.parse::<Token![<]>().ok()?;
    let mut args = Vec::new();
    loop {
        let (name, inner) = plain_path(input, depth + 1)?;
        args.push(render_plain(&name, inner));
        if input.peek(Token![>]) {
            break;
        }
        input.parse::<Token![,]>().ok()?;
        if input.peek(Token![>]) {
            break;
        }
    }
    input.parse::<Token![>]>().ok()?;
    Some((last, Some(args)))
}

/// [`render_path`]'s text for a path ending in `name<args>`.
fn render_plain(name: &Ident, args: Option<Vec<String>>) -> String {
    let mut out = name.unraw().to_string();
    if let Some(args) = args {
        out.push('<');
        out.push_str(&args.join(", "));
        out.push('>');
    }
    out
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use syn::parse::Parser;

    use super::*;

    /// Where the fast path answers, it answers what syn's `TypePath` and [`column_type`] do
    /// and leaves the same tokens behind; where it does not, it leaves the input untouched.
    #[test]
    fn plain_types_read_as_syn_reads_them() {
        let deep = format!("{}Int4{}", "Array<".repeat(12), ">".repeat(12));
        let plain_cases = [
            "Text",
            "Nullable<Text>",
            "diesel::sql_types::Nullable<Int4>",
            "Nullable<Array<Nullable<Int4>>>",
            "Array<Nullable<diesel::sql_types::Int4>>",
            "Nullable<Text, Int4>",
            "Nullable<Text,>",
            "r#Nullable<Text>",
            "Nullable<r#Text>",
            "Range<Int4>, next -> Text",
            "Text ,",
            "Text<A, B<C, D>>",
        ];
        let other_cases = [
            "Foo<A>::B",
            "Foo<'a>",
            "Foo<A = B>",
            "Foo<A: B>",
            "Foo<>",
            "::diesel::Text",
            "self::Mood",
            "crate::Mood",
            "Self",
            "Fn(A) -> B",
            "dyn Foo",
            "Foo + Bar",
            "Foo!()",
            "<A as B>::C",
            "Foo<<A as B>::C>",
            "Foo<1>",
            "Foo<true>",
            "Foo<_>",
            "Foo<=",
            "Foo::<A>",
            "Foo<A>>",
            "builtin # x()",
            "Text Text",
            "type",
            deep.as_str(),
        ];
        let fast = |input: ParseStream<'_>| {
            let plain = plain_column_type(input);
            Ok((plain, input.parse::<TokenStream>()?.to_string()))
        };
        let slow = |input: ParseStream<'_>| {
            let ty = input.parse::<syn::TypePath>()?;
            Ok((column_type(&ty), input.parse::<TokenStream>()?.to_string()))
        };
        for case in plain_cases.iter().chain(&other_cases) {
            let (plain, rest) = fast.parse_str(case).expect("lexes");
            let Some(plain) = plain else {
                assert!(other_cases.contains(case), "{case}: not read");
                let all = case.parse::<TokenStream>().expect("lexes").to_string();
                assert_eq!(rest, all, "{case}: input touched");
                continue;
            };
            assert!(plain_cases.contains(case), "{case}: read");
            let (syn_type, syn_rest) = slow.parse_str(case).expect("syn parses it");
            assert_eq!((plain, rest), (syn_type, syn_rest), "{case}");
        }
    }
}
