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
    pub ty: syn::TypePath,
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
    let ty: syn::TypePath = input.parse()?;
    let sql_name = sql_name(&mut attrs, &rust_name)?;
    Ok(ColumnDef {
        rust_name,
        sql_name,
        ty,
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
