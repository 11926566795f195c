//! Request handlers, recognised by syntax: a web framework's route attribute on the fn
//! (actix-web, rocket, poem, salvo: `#[get("/")]`, `#[post(..)]`, `#[route(..)]`,
//! `#[handler]`; axum's `#[debug_handler]`), or a parameter whose type is an extractor
//! (`Json<T>`, `Form<T>`, `Query<T>`, `Path<T>`, `State<T>`, `web::Data<T>`,
//! `Extension<T>`, `TypedHeader<T>`, `HttpRequest`). Axum handlers carry no attribute, so
//! the extractor is what marks them.
//!
//! Limits: a handler whose parameters are all plain types (an axum handler taking only a
//! `String` body) is not recognised; a fn of another kind that takes, say, a `Json<T>` is
//! taken for one. Extractors that share their name with common types must have generic
//! arguments (`Path<T>`, never `&Path`, which is `std::path::Path`).

use syn::spanned::Spanned;

use crate::rust::model::Handler;

/// Route attributes, by their last path segment.
const ROUTE_ATTRS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "trace",
    "connect",
    "route",
    "routes",
    "handler",
    "debug_handler",
];

/// Extractor types (last path segment) that take a type argument.
const GENERIC_EXTRACTORS: &[&str] = &[
    "Json",
    "Form",
    "Query",
    "Path",
    "State",
    "Data",
    "Extension",
    "TypedHeader",
];

/// Extractor types without type arguments.
const PLAIN_EXTRACTORS: &[&str] = &["HttpRequest"];

/// Why `attrs` + `sig` look like a request handler, or `None`.
pub fn request_handler(attrs: &[syn::Attribute], sig: &syn::Signature) -> Option<Handler> {
    for attr in attrs {
        let Some(last) = attr.path().segments.last() else {
            continue;
        };
        let name = last.ident.to_string();
        if ROUTE_ATTRS.contains(&name.as_str()) {
            return Some(Handler {
                span: last.ident.span(),
                sign: format!("route attribute `#[{name}]`"),
            });
        }
    }
    for input in &sig.inputs {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        if let Some(name) = extractor(&pt.ty) {
            return Some(Handler {
                span: pt.ty.span(),
                sign: format!("extractor parameter `{name}`"),
            });
        }
    }
    None
}

/// The extractor a parameter type is, as messages show it (`Json<..>`, `HttpRequest`).
fn extractor(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(r) => extractor(&r.elem),
        syn::Type::Paren(p) => extractor(&p.elem),
        syn::Type::Group(g) => extractor(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            let generic = matches!(last.arguments, syn::PathArguments::AngleBracketed(_));
            if generic && GENERIC_EXTRACTORS.contains(&name.as_str()) {
                let prefix = match p.path.segments.len() {
                    // `web::Data<..>` reads better with its module.
                    n if n >= 2 => format!("{}::", p.path.segments[n - 2].ident),
                    _ => String::new(),
                };
                Some(format!("{prefix}{name}<..>"))
            } else if !generic && PLAIN_EXTRACTORS.contains(&name.as_str()) {
                Some(name)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(src: &str) -> Option<String> {
        let f: syn::ItemFn = syn::parse_str(src).expect("fn");
        request_handler(&f.attrs, &f.sig).map(|h| h.sign)
    }

    #[test]
    fn route_attributes_and_extractors() {
        assert_eq!(
            sign("#[get(\"/users\")] async fn index() {}").as_deref(),
            Some("route attribute `#[get]`")
        );
        assert_eq!(
            sign("#[actix_web::post(\"/\")] async fn create() {}").as_deref(),
            Some("route attribute `#[post]`")
        );
        assert_eq!(
            sign("async fn create(Json(body): Json<NewUser>) {}").as_deref(),
            Some("extractor parameter `Json<..>`")
        );
        assert_eq!(
            sign("async fn list(pool: web::Data<DbPool>) {}").as_deref(),
            Some("extractor parameter `web::Data<..>`")
        );
        assert_eq!(
            sign("async fn show(req: HttpRequest) {}").as_deref(),
            Some("extractor parameter `HttpRequest`")
        );
        assert_eq!(
            sign("async fn show(p: &axum::extract::Path<i32>) {}").as_deref(),
            Some("extractor parameter `extract::Path<..>`")
        );
    }

    #[test]
    fn plain_fns_are_not_handlers() {
        assert_eq!(sign("fn open(path: &Path, url: &str) {}"), None);
        assert_eq!(sign("#[test] fn t() {}"), None);
        assert_eq!(sign("#[tokio::main] async fn main() {}"), None);
        assert_eq!(sign("fn f(state: AppState, data: Vec<u8>) {}"), None);
    }
}
