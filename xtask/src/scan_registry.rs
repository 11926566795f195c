//! `cargo xtask scan-registry [--all | PREFIX..]`: runs the `#[db_checked]` analysis
//! (`dbopt_core::rust::check_item`, default options) over every fn, impl, trait and inline
//! module of the crates in `~/.cargo/registry/src/*/`, each item under `catch_unwind`, and
//! prints how many files and fns it read, the panics (each one a bug), the findings and the
//! time. Default prefixes: diesel, syn, tokio, serde, sqlparser, clap. Run it in release.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use dbopt_core::rust::{Options, check_item};
use syn::visit::Visit;

const DEFAULT_PREFIXES: &[&str] = &["diesel", "syn", "tokio", "serde", "sqlparser", "clap"];

#[derive(Default)]
struct Tally {
    crates: usize,
    files: usize,
    unparsed: usize,
    items: usize,
    fns: usize,
    panics: usize,
    findings: usize,
    by_rule: std::collections::BTreeMap<&'static str, usize>,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let all = args.iter().any(|a| a == "--all");
    let prefixes: Vec<&str> = if args.is_empty() || all {
        DEFAULT_PREFIXES.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    let mut crates = Vec::new();
    let src = home.join("registry/src");
    for index in read_dir_sorted(&src)? {
        for krate in read_dir_sorted(&index)? {
            let name = krate
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if krate.is_dir() && (all || prefixes.iter().any(|p| name.starts_with(p))) {
                crates.push(krate);
            }
        }
    }
    // A panic is counted and reported with its item; the default hook would only print it.
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let mut tally = Tally::default();
    for krate in &crates {
        tally.crates += 1;
        let mut files = Vec::new();
        rs_files(krate, &mut files);
        files.sort();
        for file in files {
            scan_file(&file, &mut tally);
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "crates {} | files {} (unparsable {}) | items {} | fns {} | panics {} | findings {} | {:.1} s",
        tally.crates,
        tally.files,
        tally.unparsed,
        tally.items,
        tally.fns,
        tally.panics,
        tally.findings,
        start.elapsed().as_secs_f64()
    );
    let by_rule: Vec<String> = tally
        .by_rule
        .iter()
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    println!("findings by rule: {}", by_rule.join(", "));
    if tally.panics > 0 {
        return Err(format!("{} panics", tally.panics));
    }
    Ok(())
}

fn scan_file(path: &Path, tally: &mut Tally) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    tally.files += 1;
    let Ok(file) = syn::parse_file(&text) else {
        tally.unparsed += 1;
        return;
    };
    let options = Options::default();
    let mut items: Vec<&syn::Item> = Vec::new();
    collect(&file.items, &mut items);
    for item in items {
        tally.items += 1;
        let mut counter = FnCounter(0);
        counter.visit_item(item);
        tally.fns += counter.0;
        match catch_unwind(AssertUnwindSafe(|| check_item(item, &options))) {
            Ok(found) => {
                tally.findings += found.len();
                for d in found {
                    *tally.by_rule.entry(d.rule).or_default() += 1;
                }
            }
            Err(payload) => {
                tally.panics += 1;
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let line = item_line(item);
                println!("PANIC {}:{line}: {msg}", path.display());
            }
        }
    }
}

/// The fn-holding items (fns, impls, traits, inline modules), modules opened so a panic names
/// the smallest item.
fn collect<'a>(items: &'a [syn::Item], out: &mut Vec<&'a syn::Item>) {
    for item in items {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect(inner, out);
                }
            }
            syn::Item::Fn(_) | syn::Item::Impl(_) | syn::Item::Trait(_) => out.push(item),
            _ => {}
        }
    }
}

fn item_line(item: &syn::Item) -> usize {
    use syn::spanned::Spanned;
    item.span().start().line
}

/// Counts fns with a body: free fns, methods, trait default methods, fns nested in bodies.
struct FnCounter(usize);

impl<'ast> Visit<'ast> for FnCounter {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.0 += 1;
        syn::visit::visit_item_fn(self, f);
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.0 += 1;
        syn::visit::visit_impl_item_fn(self, f);
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.0 += 1;
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            rs_files(&p, out);
        } else if ft.is_file() && p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    Ok(v)
}
