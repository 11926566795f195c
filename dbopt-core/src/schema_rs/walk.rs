//! Walks a schema.rs file: `table!`, `joinable!` and `allow_tables_to_appear_in_same_query!`
//! at the top level and inside inline modules (`pub mod auth { .. }`), with or without the
//! `diesel::` prefix. Other items (`pub mod sql_types { .. }` structs, `use`, comments,
//! other macros) are passed over.

use std::collections::HashMap;

use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, Token};

use super::position::Positions;
use super::table::{TableDef, parse_tables};
use super::{CustomSqlType, Joinable, SchemaFile, SchemaRsError, SchemaRsInput};
use crate::model::{Column, Origin, QualName, Schema, Table};
use crate::source::{SourceFile, Span};

/// Nesting of inline modules followed; deeper ones are passed over.
const MAX_MODULE_DEPTH: usize = 32;

/// Deepest nesting accepted, in units (see [`crate::rust::depth`]). Far below what Rust code
/// gets, so the check also holds on a 2 MiB thread in a debug build: diesel prints 4 levels
/// of modules and `Nullable<Array<Nullable<Int4>>>` at worst, so real schema files stay far
/// below this.
const MAX_NESTING: usize = 64;

/// The text syn parses, lexed once: absurdly nested input is rejected before syn recurses
/// into it, then the same tokens are parsed (`syn::parse_file` minus the BOM and shebang it
/// drops, which [`Positions::parsed`] already left out). Text that does not lex goes to
/// `syn::parse_file` for its error and position.
fn parse(parsed: &str, text: &str) -> syn::Result<syn::File> {
    let Ok(tokens) = parsed.parse::<proc_macro2::TokenStream>() else {
        return syn::parse_file(text);
    };
    match crate::rust::depth::within(tokens, MAX_NESTING) {
        Ok(tokens) => syn::parse2(tokens),
        Err(span) => Err(syn::Error::new(
            span,
            format!("nesting deeper than {MAX_NESTING} levels is not read"),
        )),
    }
}

/// Parses one schema.rs. A file syn rejects, or a `table!`/`joinable!` whose body does not
/// follow diesel's grammar, is an error naming the file, line and column.
pub fn parse_schema_rs(input: SchemaRsInput<'_>) -> Result<SchemaFile, SchemaRsError> {
    let positions = Positions::new(input.text);
    let error = |e: syn::Error| {
        let offset = positions.offset(e.span().start());
        let lc = SourceFile::new(input.path.to_path_buf(), input.text.to_owned()).line_col(offset);
        SchemaRsError {
            path: input.path.to_path_buf(),
            line: lc.line,
            column: lc.column,
            message: e.to_string(),
        }
    };
    // The text syn parses: a shebang line that does not lex (`#!(`) must not hide the rest.
    let file = parse(positions.parsed(), input.text).map_err(error)?;
    let mut found = Found::default();
    let mut module = Vec::new();
    collect(&file.items, &mut module, &mut found).map_err(error)?;

    let default_schema = input
        .default_schema
        .unwrap_or(input.backend.default_schema());
    let span = |s: proc_macro2::Span| Span::new(input.file, positions.range(s));
    let mut schema = Schema::default();
    let mut known: Vec<KnownTable> = Vec::new();
    for (module, def) in found.tables {
        let qual = QualName::new(
            def.schema
                .as_ref()
                .map_or_else(|| default_schema.to_owned(), |s| s.unraw().to_string()),
            def.sql_name.clone(),
        );
        let columns: Vec<(String, String)> = def
            .columns
            .iter()
            .map(|c| (c.rust_name.unraw().to_string(), c.sql_name.clone()))
            .collect();
        let sql_of = |rust: &str| {
            columns
                .iter()
                .find(|(r, _)| r == rust)
                .map_or_else(|| rust.to_owned(), |(_, s)| s.clone())
        };
        let primary_key = match &def.primary_key {
            Some(keys) => keys
                .iter()
                .map(|k| sql_of(&k.unraw().to_string()))
                .collect(),
            None => vec![sql_of("id")],
        };
        let table = Table {
            name: qual.clone(),
            columns: def
                .columns
                .iter()
                .map(|c| Column {
                    name: c.sql_name.clone(),
                    sql_type: c.sql_type.clone(),
                    nullable: c.nullable,
                    origin: Origin {
                        span: span(c.rust_name.span()),
                        migration: None,
                    },
                })
                .collect(),
            primary_key,
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            origin: Origin {
                span: span(def.rust_name.span()),
                migration: None,
            },
        };
        // diesel would reject two tables with one Rust name in one module; keep the first.
        schema.tables.entry(qual.clone()).or_insert(table);
        known.push(KnownTable {
            module,
            rust_name: def.rust_name.unraw().to_string(),
            qual,
            columns,
        });
    }
    if let Some(s) = input.default_schema
        && s != input.backend.default_schema()
    {
        schema.schemas.push(s.to_owned());
    }
    for table in &known {
        if !table.qual.in_default_schema() && !schema.schemas.contains(&table.qual.schema) {
            schema.schemas.push(table.qual.schema.clone());
        }
    }

    let mut by_name: HashMap<&str, Vec<&KnownTable>> = HashMap::new();
    for table in &known {
        by_name.entry(&table.rust_name).or_default().push(table);
    }
    let resolve = |module: &[String], path: &[String]| -> Option<&KnownTable> {
        resolve(&by_name, module, path)
    };
    let fallback =
        |path: &[String]| QualName::new(default_schema, path.last().cloned().unwrap_or_default());
    let joinables = found
        .joinables
        .into_iter()
        .map(|j| {
            let child = resolve(&j.module, &j.child);
            let parent = resolve(&j.module, &j.parent);
            let column = child
                .and_then(|t| t.columns.iter().find(|(r, _)| *r == j.column))
                .map_or_else(|| j.column.clone(), |(_, sql)| sql.clone());
            Joinable {
                child: child.map_or_else(|| fallback(&j.child), |t| t.qual.clone()),
                parent: parent.map_or_else(|| fallback(&j.parent), |t| t.qual.clone()),
                column,
                span: span(j.span),
            }
        })
        .collect();
    let same_query_groups = found
        .groups
        .into_iter()
        .map(|(module, paths)| {
            paths
                .iter()
                .map(|p| resolve(&module, p).map_or_else(|| fallback(p), |t| t.qual.clone()))
                .collect()
        })
        .collect();
    Ok(SchemaFile {
        file: input.file,
        schema,
        joinables,
        same_query_groups,
        print_schema: None,
        sql_types: found
            .sql_types
            .into_iter()
            .map(|(t, ident_span)| CustomSqlType {
                span: span(ident_span),
                ..t
            })
            .collect(),
        patch: None,
    })
}

#[derive(Default)]
struct Found {
    tables: Vec<(Vec<String>, TableDef)>,
    joinables: Vec<RawJoinable>,
    groups: Vec<(Vec<String>, Vec<Vec<String>>)>,
    /// Each with a placeholder span, and the struct name's real one.
    sql_types: Vec<(CustomSqlType, proc_macro2::Span)>,
}

struct RawJoinable {
    module: Vec<String>,
    child: Vec<String>,
    parent: Vec<String>,
    column: String,
    span: proc_macro2::Span,
}

struct KnownTable {
    module: Vec<String>,
    rust_name: String,
    qual: QualName,
    /// (Rust name, SQL name).
    columns: Vec<(String, String)>,
}

fn collect(items: &[syn::Item], module: &mut Vec<String>, found: &mut Found) -> syn::Result<()> {
    for item in items {
        match item {
            syn::Item::Mod(m) if module.len() < MAX_MODULE_DEPTH => {
                if let Some((_, inner)) = &m.content {
                    module.push(m.ident.unraw().to_string());
                    collect(inner, module, found)?;
                    module.pop();
                }
            }
            syn::Item::Struct(s) => {
                if let Some(t) = custom_sql_type(s) {
                    found.sql_types.push((t, s.ident.span()));
                }
            }
            syn::Item::Macro(m) => match diesel_macro(&m.mac.path) {
                Some("table") => {
                    for def in m.mac.parse_body_with(parse_tables)? {
                        found.tables.push((module.clone(), def));
                    }
                }
                Some("joinable") => {
                    let (child, parent, column) = m.mac.parse_body_with(parse_joinable)?;
                    found.joinables.push(RawJoinable {
                        module: module.clone(),
                        child,
                        parent,
                        column,
                        span: m.span(),
                    });
                }
                Some("allow_tables_to_appear_in_same_query") => {
                    let paths = m.mac.parse_body_with(parse_path_list)?;
                    found.groups.push((module.clone(), paths));
                }
                _ => {}
            },
            _ => {}
        }
    }
    Ok(())
}

/// A struct with `#[diesel(postgres_type(..))]` (or `mysql_type` / `sqlite_type`).
/// Attributes that do not parse are passed over: the struct is then not a custom type here.
fn custom_sql_type(item: &syn::ItemStruct) -> Option<CustomSqlType> {
    let mut found: Option<CustomSqlType> = None;
    for attr in item.attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let _ = attr.parse_nested_meta(|meta| {
            let kind = ["postgres_type", "mysql_type", "sqlite_type"]
                .into_iter()
                .find(|k| meta.path.is_ident(k));
            let Some(kind) = kind else {
                return skip_meta(&meta);
            };
            let mut t = CustomSqlType {
                rust_name: item.ident.unraw().to_string(),
                kind: kind.to_owned(),
                db_name: None,
                db_schema: None,
                span: Span::new(crate::source::FileId(0), 0..0),
            };
            meta.parse_nested_meta(|inner| {
                if inner.path.is_ident("name") {
                    t.db_name = Some(inner.value()?.parse::<syn::LitStr>()?.value());
                } else if inner.path.is_ident("schema") {
                    t.db_schema = Some(inner.value()?.parse::<syn::LitStr>()?.value());
                } else {
                    skip_meta(&inner)?;
                }
                Ok(())
            })?;
            found = Some(t);
            Ok(())
        });
    }
    found
}

/// Consumes `= value` or `(..)` after a nested meta's path.
fn skip_meta(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

/// `table`, `joinable` or `allow_tables_to_appear_in_same_query` when the macro is
/// diesel's: written bare or as `diesel::name` / `::diesel::name`.
fn diesel_macro(path: &syn::Path) -> Option<&'static str> {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let name = match segments.as_slice() {
        [name] => name,
        [krate, name] if krate == "diesel" => name,
        _ => return None,
    };
    ["table", "joinable", "allow_tables_to_appear_in_same_query"]
        .into_iter()
        .find(|known| name == known)
}

fn mod_path(input: ParseStream<'_>) -> syn::Result<Vec<String>> {
    let mut out = vec![input.call(Ident::parse_any)?.unraw().to_string()];
    while input.peek(Token![::]) {
        input.parse::<Token![::]>()?;
        out.push(input.call(Ident::parse_any)?.unraw().to_string());
    }
    Ok(out)
}

/// `child -> parent (column)`, each table a `::` path.
fn parse_joinable(input: ParseStream<'_>) -> syn::Result<(Vec<String>, Vec<String>, String)> {
    let child = mod_path(input)?;
    input.parse::<Token![->]>()?;
    let parent = mod_path(input)?;
    let content;
    syn::parenthesized!(content in input);
    let column = content.call(Ident::parse_any)?.unraw().to_string();
    if !content.is_empty() {
        return Err(content.error("expected one column in `joinable!`"));
    }
    let _ = input.parse::<Option<Token![;]>>()?;
    Ok((child, parent, column))
}

fn parse_path_list(input: ParseStream<'_>) -> syn::Result<Vec<Vec<String>>> {
    let list = Punctuated::<Vec<String>, Token![,]>::parse_terminated_with(input, mod_path)?;
    Ok(list.into_iter().collect())
}

/// The table a (possibly `::`-qualified) Rust path names, seen from `module`: the table in
/// `module` + the path's prefix first, then one at the path from the file's root, then the
/// only table with that name anywhere. `by_name` lists the known tables of each Rust name
/// in file order.
fn resolve<'a>(
    by_name: &HashMap<&str, Vec<&'a KnownTable>>,
    module: &[String],
    path: &[String],
) -> Option<&'a KnownTable> {
    let (name, prefix) = path.split_last()?;
    let prefix: Vec<&str> = prefix
        .iter()
        .map(String::as_str)
        .filter(|p| !matches!(*p, "crate" | "self" | "super"))
        .collect();
    let named: &[&KnownTable] = by_name.get(name.as_str()).map_or(&[], Vec::as_slice);
    let in_module = |m: Vec<&str>| named.iter().copied().find(|t| t.module == m);
    let mut local: Vec<&str> = module.iter().map(String::as_str).collect();
    local.extend(prefix.iter().copied());
    in_module(local)
        .or_else(|| in_module(prefix.clone()))
        .or_else(|| {
            if prefix.is_empty() {
                // Only a unique name is unambiguous.
                match named {
                    [only] => Some(*only),
                    _ => None,
                }
            } else {
                named.iter().copied().find(|t| {
                    t.module.len() >= prefix.len()
                        && t.module[t.module.len() - prefix.len()..]
                            .iter()
                            .zip(&prefix)
                            .all(|(a, b)| a == b)
                })
            }
        })
}
