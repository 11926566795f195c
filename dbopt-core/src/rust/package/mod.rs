//! The scan's entry point: every fn of a package, file by file, then linked.
//!
//! Two phases, so the CLI can spread the expensive one over cores:
//!
//! 1. [`analyse_file`] (independent per file, any thread): parse one file with syn, read its
//!    `// dbopt: allow(..)` comments ([`crate::rust::comments`]), run the per-fn code rules
//!    exactly as `#[db_checked]` does ([`scan_file`]), and summarise every fn for the
//!    cross-function analysis ([`FnSummary`], [`Decls`]). Every token span becomes a byte span
//!    of that file. The result holds no syn or proc-macro2 value, so it is `Send` and the
//!    thread's span table can be released
//!    ([`proc_macro2::extra::invalidate_current_thread_spans`]), which keeps memory flat over
//!    a scan of thousands of files.
//! 2. [`link`] (once per package): resolves the calls between the package's fns
//!    ([`crate::rust::callgraph`]) and adds what no single fn shows: `n_plus_one` through a
//!    called fn, `write_outside_transaction` counting the writes of called fns (and dropped
//!    when every caller runs the fn in a transaction), and `lock_order` cycles across fns.
//!    Fns under `#[db_checked]` keep exactly the macro's findings.
//!
//! Offsets: syn's `parse_file` drops a BOM and a shebang line before parsing, which would
//! shift every offset; [`analyse_file`] blanks them with spaces instead, so a span's byte
//! range is an offset into the text as it is on disk.
//!
//! Module paths: resolution reads paths from the module a fn is in, so the CLI passes each
//! file's module path in its crate ([`FileInput::module_path`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use proc_macro2::TokenStream;

use crate::diagnostic::Diagnostic;
use crate::rust::callgraph::Graph;
use crate::rust::comments::comment_allows;
use crate::rust::model::Callee;
use crate::rust::summary::{Decls, FnSummary, LocalTy, decls, summarise};
use crate::rust::{Options, depth, scan_file};
use crate::source::{FileId, Span};

pub mod prune;
#[cfg(test)]
mod tests;

/// One file of a package, as read from disk.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    pub id: FileId,
    pub text: &'a str,
    /// The file's module path in its crate: empty for a crate root (`src/lib.rs`,
    /// `src/main.rs`, `src/bin/x.rs`, `tests/x.rs`, `examples/x.rs`, `build.rs`),
    /// `["repo", "users"]` for `src/repo/users.rs` or `src/repo/users/mod.rs`, following
    /// `mod` declarations from the root (a `#[path = ".."]` attribute changes the file, not the
    /// module path). A file reached from no crate root gets the path its location suggests.
    /// The fns of all targets of a package share one namespace: a name defined in two crate
    /// roots of one package is ambiguous to the resolution (see [`crate::rust::callgraph`]).
    pub module_path: &'a [String],
}

/// A syntax error or a misuse of dbopt's attributes or comments, at a byte range of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub span: Span,
    pub message: String,
}

/// What [`analyse_file`] found in one file. Owns plain data only (`Send`).
#[derive(Debug, Default)]
pub struct FileAnalysis {
    pub id: Option<FileId>,
    /// The file's module path in its crate, as given.
    pub module_path: Vec<String>,
    /// The per-fn findings, levels decided (allow-level ones dropped), in source order per fn.
    pub diagnostics: Vec<Diagnostic<Span>>,
    /// For each diagnostic, the byte range of the name of the fn it was found in.
    pub owners: Vec<Range<usize>>,
    /// `Some` when the file does not parse: nothing else was analysed in it.
    pub parse_error: Option<FileError>,
    /// Misused `#[db_checked(..)]` / `#[dbopt::allow(..)]` attributes and
    /// `// dbopt: allow(..)` comments, in source order.
    pub errors: Vec<FileError>,
    /// Names of the fns and methods defined in the file that may reach the database, sorted:
    /// those that make a round trip or check out a connection (taking a handle is not
    /// enough: see [`FnSummary::reaches_db_directly`]),
    /// those that call (by name) one of those in this file, and those that make any other
    /// call but a bare call of a free fn of this file (it may go to a fn elsewhere that
    /// reaches the database), except
    /// calls [`link`] never resolves into the package: into `std`/`core`/`alloc`,
    /// `Some`/`Ok`/`Err`, common std types (`Vec::new`, `v.len()` on a `Vec` parameter), and
    /// methods on a receiver that is not a chain of names. A superset of what [`link`] can
    /// use: the scan's text pre-check analyses a
    /// file that mentions none of its database words when it mentions one of these.
    /// [`FileAnalysis::db_fns_given`] is the precise form once other files are known.
    pub db_fns: Vec<String>,
    /// Every analysed fn, summarised for [`link`], in source order.
    pub fns: Vec<FnSummary>,
    /// The declarations [`link`] resolves names with.
    pub decls: Decls,
    /// Byte ranges of the items [`analyse_file_pruned`] left out ([`prune`]), in source
    /// order: a fn named in one of them may call into the database, so the file must be
    /// analysed whole once such a name is known.
    pub pruned: Vec<Range<usize>>,
}

/// Phase 1 for one file: parse, read comments, check every fn, summarise, convert spans.
///
/// Must not be called from inside a procedural macro (it releases the thread's span table).
pub fn analyse_file(input: FileInput<'_>, options: &Options) -> FileAnalysis {
    analyse_file_pruned(input, options, None)
}

/// [`analyse_file`], leaving out the consts, statics, item macros and extern blocks, and the
/// fns whose text `keep` rejects ([`prune`]; the fns' ranges go to
/// [`FileAnalysis::pruned`]). A file that mentions `dbopt` (attributes, `// dbopt:`
/// comments) is analysed whole, and so is one whose pruned tokens do not parse.
pub fn analyse_file_pruned(
    input: FileInput<'_>,
    options: &Options,
    keep: Option<&dyn Fn(&str) -> bool>,
) -> FileAnalysis {
    let text = blank_bom_and_shebang(input.text);
    let text: &str = &text;
    let keep_range = keep.map(|keep| move |r: Range<usize>| text.get(r).is_none_or(keep));
    analyse_with(
        input,
        text,
        options,
        keep_range
            .as_ref()
            .map(|k| k as &dyn Fn(Range<usize>) -> bool),
    )
}

/// Analyses the fns `previous` (an analysis of the same input by [`analyse_file_pruned`])
/// left out and `wanted` accepts, and adds them to it, without parsing again the fns it
/// analysed: for a fn left out that turns out to call a database fn of the package.
pub fn analyse_left_out(
    input: FileInput<'_>,
    options: &Options,
    previous: &mut FileAnalysis,
    wanted: &dyn Fn(&str) -> bool,
) {
    let (needed, still): (Vec<Range<usize>>, Vec<Range<usize>>) = previous
        .pruned
        .iter()
        .cloned()
        .partition(|r| input.text.get(r.clone()).is_some_and(wanted));
    if needed.is_empty() {
        return;
    }
    let text = blank_bom_and_shebang(input.text);
    // Only the fns needed now; what was analysed before is left out this time.
    let keep = |r: Range<usize>| needed.binary_search_by_key(&r.start, |n| n.start).is_ok();
    let more = analyse_with(input, &text, options, Some(&keep));
    if more.parse_error.is_some() || more.pruned.is_empty() {
        // Parsed whole after all (the pruned tokens did not parse): it has everything.
        *previous = more;
        return;
    }
    previous.pruned = still;
    let offset = previous.diagnostics.len();
    previous.diagnostics.extend(more.diagnostics);
    previous.owners.extend(more.owners);
    previous.errors.extend(more.errors);
    previous.errors.sort_by_key(|e| e.span.range.start);
    previous.fns.extend(more.fns.into_iter().map(|mut f| {
        f.diagnostics = f.diagnostics.start + offset..f.diagnostics.end + offset;
        f
    }));
    previous.fns.sort_by_key(|f| f.span.range.start);
    previous.db_fns = previous.db_fns_with(&|_, call| !certainly_foreign(call));
}

fn analyse_with(
    input: FileInput<'_>,
    text: &str,
    options: &Options,
    keep: Option<&dyn Fn(Range<usize>) -> bool>,
) -> FileAnalysis {
    let mut out = FileAnalysis {
        id: Some(input.id),
        module_path: input.module_path.to_vec(),
        ..FileAnalysis::default()
    };
    let keep = keep.filter(|_| !text.contains("dbopt") && !text.contains("db_checked"));
    // On a stack big enough for syn (and for dropping what it built) on any thread.
    depth::with_rust_stack(|| analyse_into(text, input, options, keep, &mut out));
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

/// The transaction wrappers a file of the package defines ([`crate::rust::txn_wrappers`]);
/// none when it does not parse or nests too deep.
pub fn transaction_wrappers(text: &str) -> Vec<String> {
    if !text.contains("transaction") {
        return Vec::new();
    }
    let text = blank_bom_and_shebang(text);
    let found = depth::with_rust_stack(|| {
        let tokens = text.parse::<TokenStream>().ok()?;
        let tokens = depth::check_owned(tokens).ok()?;
        let file = syn::parse2::<syn::File>(tokens).ok()?;
        Some(crate::rust::txn_wrappers::find(&file))
    });
    proc_macro2::extra::invalidate_current_thread_spans();
    found.unwrap_or_default()
}

/// Lexes `text`, leaves out what `keep` rejects, checks the nesting and parses; a pruned
/// file that does not parse is parsed whole (for its real error, or because the pruning
/// cut an item wrongly).
fn parse(
    text: &str,
    keep: Option<&dyn Fn(Range<usize>) -> bool>,
    pruned: &mut Vec<Range<usize>>,
) -> syn::Result<(syn::File, TokenStream)> {
    let lex = || text.parse::<TokenStream>().map_err(syn::Error::from);
    // The tokens are moved through the nesting guard (no copy), then parsed.
    let whole = |tokens: TokenStream| -> syn::Result<(syn::File, TokenStream)> {
        let tokens = depth::check_owned(tokens)?;
        Ok((syn::parse2::<syn::File>(tokens.clone())?, tokens))
    };
    let tokens = lex()?;
    let Some(keep) = keep else {
        return whole(tokens);
    };
    match prune::prune(tokens, keep) {
        Err(tokens) => whole(tokens),
        Ok(p) => match whole(p.tokens) {
            Ok(parsed) => {
                *pruned = p.dropped;
                Ok(parsed)
            }
            // Rare: lexing again costs less than keeping a copy of every file's tokens.
            Err(_) => whole(lex()?),
        },
    }
}

fn analyse_into(
    text: &str,
    input: FileInput<'_>,
    options: &Options,
    keep: Option<&dyn Fn(Range<usize>) -> bool>,
    out: &mut FileAnalysis,
) {
    let to_span = |s: proc_macro2::Span| Span::new(input.id, clamp(s.byte_range(), text));
    let (ast, tokens) = match parse(text, keep, &mut out.pruned) {
        Ok(p) => p,
        Err(e) => {
            out.parse_error = Some(FileError {
                span: to_span(e.span()),
                message: e.to_string(),
            });
            return;
        }
    };
    let (comments, comment_errors) = comment_allows(text, &tokens, &ast);
    let analysis = scan_file(&ast, options, &comments);
    out.diagnostics = analysis
        .diagnostics
        .into_iter()
        .map(|d| d.map_span(to_span))
        .collect();
    out.owners = analysis
        .owners
        .into_iter()
        .map(|s| clamp(s.byte_range(), text))
        .collect();
    out.errors = analysis
        .errors
        .into_iter()
        .flat_map(|e| e.into_iter())
        .map(|e| FileError {
            span: to_span(e.span()),
            message: e.to_string(),
        })
        .chain(comment_errors.into_iter().map(|e| FileError {
            span: Span::new(input.id, clamp(e.range, text)),
            message: e.message,
        }))
        .collect();
    out.errors.sort_by_key(|e| e.span.range.start);
    out.decls = decls(&ast, input.module_path);
    out.fns = analysis
        .fns
        .into_iter()
        .map(|f| summarise(f, input.module_path, &to_span))
        .collect();
    out.db_fns = out.db_fns_with(&|_, call| !certainly_foreign(call));
}

impl FileAnalysis {
    /// The names of the fns in this file that reach the database directly, or call (by
    /// name, transitively within the file) one that does or a name `known` accepts
    /// (a bare call of a free fn defined here is judged by that fn alone): with
    /// `known` the names of the fns that reach the database in the package's other analysed
    /// files, this is the precise form of [`FileAnalysis::db_fns`] (recompute it for every
    /// analysed file when the set of known names grows, until nothing changes).
    pub fn db_fns_given(&self, known: &dyn Fn(&str) -> bool) -> Vec<String> {
        self.db_fns_with(&|name, _| known(name))
    }

    fn db_fns_with(&self, outside: &dyn Fn(&str, (&FnSummary, &Callee)) -> bool) -> Vec<String> {
        // A bare path call of a free fn defined here resolves to it; a method call may
        // resolve to a method of that name anywhere.
        let local_free: HashSet<&str> = self
            .fns
            .iter()
            .filter(|f| f.self_ty.is_none() && f.trait_name.is_none())
            .map(|f| f.name.as_str())
            .collect();
        let mut db: Vec<bool> = self
            .fns
            .iter()
            .map(FnSummary::reaches_db_directly)
            .collect();
        loop {
            let db_names: HashSet<&str> = self
                .fns
                .iter()
                .zip(&db)
                .filter(|(_, d)| **d)
                .map(|(f, _)| f.name.as_str())
                .collect();
            let mut changed = false;
            for (i, f) in self.fns.iter().enumerate() {
                if db[i] {
                    continue;
                }
                let reaches = f.calls.iter().any(|c| {
                    let name = c.name();
                    let local = matches!(&c.callee, Callee::Path(p) if p.len() == 1)
                        && local_free.contains(name);
                    db_names.contains(name) || (!local && outside(name, (f, &c.callee)))
                });
                if reaches {
                    db[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut names: Vec<String> = self
            .fns
            .iter()
            .zip(&db)
            .filter(|(_, d)| **d)
            .map(|(f, _)| f.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Types of std whose methods and associated fns are never the package's.
const STD_TYPES: &[&str] = &[
    "Vec",
    "String",
    "str",
    "Box",
    "Arc",
    "Rc",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "VecDeque",
    "Option",
    "Result",
    "Mutex",
    "RwLock",
    "Cell",
    "RefCell",
    "Duration",
    "Instant",
    "SystemTime",
    "Path",
    "PathBuf",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "f32",
    "f64",
    "bool",
    "char",
];

/// A call [`link`] never resolves to a fn of the package: into `std`/`core`/`alloc`, an
/// enum constructor of the prelude, a std type's method, a method on a receiver that is not
/// a chain of names.
fn certainly_foreign((f, callee): (&FnSummary, &Callee)) -> bool {
    match callee {
        Callee::Path(p) => {
            let (Some(first), Some(last)) = (p.first(), p.last()) else {
                return true;
            };
            matches!(first.as_str(), "std" | "core" | "alloc")
                || matches!(last.as_str(), "Some" | "Ok" | "Err")
                || (p.len() >= 2 && STD_TYPES.contains(&p[p.len() - 2].as_str()))
        }
        // `link` resolves no method on a receiver that is not a chain of names.
        Callee::Method { receiver, .. } => receiver.first().is_none_or(|root| {
            f.locals.iter().any(|(n, t)| {
                n == root && matches!(t, LocalTy::Named(ty) if STD_TYPES.contains(&ty.as_str()))
            })
        }),
    }
}

/// The additions and removals of the cross-function analysis.
#[derive(Debug, Default)]
pub struct PackageFindings {
    /// New findings (levels decided).
    pub add: Vec<Diagnostic<Span>>,
    /// Per-fn findings to drop: `(file index, index in its diagnostics)`.
    pub drop: HashSet<(usize, usize)>,
}

/// Phase 2: the package's findings from its files' analyses: the per-fn findings and the
/// cross-function ones, in file order, then by position in the file.
pub fn link(files: Vec<FileAnalysis>, _options: &Options) -> Vec<Diagnostic<Span>> {
    let found = {
        let graph = Graph::build(&files);
        let mut found = PackageFindings::default();
        crate::rules::n_plus_one::check_package(&graph, &mut found);
        crate::rules::write_outside_transaction::check_package(&graph, &mut found);
        crate::rules::lock_order::check_package(&graph, &mut found);
        found
    };
    let position: HashMap<FileId, usize> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((f.id?, i)))
        .collect();
    let mut out: Vec<(usize, Diagnostic<Span>)> = Vec::new();
    for (fi, f) in files.into_iter().enumerate() {
        for (di, d) in f.diagnostics.into_iter().enumerate() {
            if !found.drop.contains(&(fi, di)) {
                out.push((fi, d));
            }
        }
    }
    for d in found.add {
        let fi = position
            .get(&d.primary.span.file)
            .copied()
            .unwrap_or(usize::MAX);
        out.push((fi, d));
    }
    out.sort_by_key(|(fi, d)| (*fi, d.primary.span.range.start));
    crate::rules::n_plus_one::fold_per_loop(out.into_iter().map(|(_, d)| d).collect())
}

/// `text` with a leading BOM and a `#!` line (not `#![attr]`) replaced by spaces of the same
/// byte length, so syn parses it and offsets stay those of the file.
fn blank_bom_and_shebang(text: &str) -> Cow<'_, str> {
    let blank = crate::schema_rs::position::dropped_by_parse_file(text);
    if blank == 0 {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len());
    s.extend(std::iter::repeat_n(' ', blank));
    s.push_str(&text[blank..]);
    Cow::Owned(s)
}

fn clamp(range: Range<usize>, text: &str) -> Range<usize> {
    let end = range.end.min(text.len());
    range.start.min(end)..end
}
