//! The generated workspace is what it claims: deterministic, consistent (schema.rs agrees
//! with the migrations, every statement parses) and holding exactly the findings the
//! generator wrote into it, as dbopt's own analyses see them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbopt_core::model::Backend;
use dbopt_core::project::{ProjectInput, analyze};
use dbopt_core::rust::{Options, check_file};

use super::*;

const SPEC: Spec = Spec {
    packages: 2,
    migrations: 300,
    fns: 200,
    seed: 7,
};

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn count<'a>(rules: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for r in rules {
        *counts.entry(r).or_default() += 1;
    }
    counts
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let summary = write_workspace(&a, &SPEC).unwrap();
    assert_eq!(write_workspace(&b, &SPEC).unwrap(), summary);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa, fb);
    write_workspace(&c, &Spec { seed: 8, ..SPEC }).unwrap();
    assert_ne!(files(&c), fa);

    let ups = fa.keys().filter(|p| p.ends_with("up.sql")).count();
    assert_eq!((ups, summary.migrations), (300, 300));
    assert_eq!(summary.fns, 200);
    let fns = fa
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "rs"))
        .map(|(_, text)| {
            String::from_utf8_lossy(text).matches("\npub fn ").count()
                + String::from_utf8_lossy(text)
                    .matches("\npub async fn ")
                    .count()
        })
        .sum::<usize>();
    // db.rs's `pool` is the one fn outside the bundles, in each package.
    assert_eq!(fns, 200 + SPEC.packages);
}

#[test]
fn without_fns_the_migrations_and_schema_rs_are_the_same() {
    // `cargo xtask bench-scale` times the schema side on this twin of each workspace.
    let tmp = tempfile::tempdir().unwrap();
    let (with, without) = (tmp.path().join("with"), tmp.path().join("without"));
    write_workspace(&with, &SPEC).unwrap();
    write_workspace(&without, &Spec { fns: 0, ..SPEC }).unwrap();
    let sql_and_schema = |dir: &Path| -> BTreeMap<PathBuf, Vec<u8>> {
        files(dir)
            .into_iter()
            .filter(|(p, _)| {
                p.extension().is_some_and(|e| e == "sql" || e == "toml") || p.ends_with("schema.rs")
            })
            .collect()
    };
    let twin = sql_and_schema(&without);
    assert_eq!(twin.keys().filter(|p| p.ends_with("up.sql")).count(), 300);
    assert_eq!(sql_and_schema(&with), twin);
}

#[test]
fn replaces_only_what_it_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let err = write_workspace(tmp.path(), &SPEC).unwrap_err();
    assert!(err.contains("was not written by gen-workspace"), "{err}");
    assert!(tmp.path().join("keep.txt").is_file());
    let dir = tmp.path().join("ws");
    write_workspace(&dir, &SPEC).unwrap();
    write_workspace(
        &dir,
        &Spec {
            packages: 1,
            ..SPEC
        },
    )
    .unwrap();
    assert!(!dir.join("crates/billing").exists());
    assert!(
        write_workspace(
            &dir,
            &Spec {
                migrations: 3,
                ..SPEC
            }
        )
        .is_err()
    );
}

#[test]
fn schema_findings_are_the_ones_written_in() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = write_workspace(tmp.path(), &SPEC).unwrap();
    let mut all = Vec::new();
    for p in 0..SPEC.packages {
        let name = package_name(p);
        let input = ProjectInput {
            package_dir: tmp.path().join("crates").join(&name),
            display_root: tmp.path().to_path_buf(),
            package: name,
            backend: Some(Backend::Postgres),
            ..ProjectInput::default()
        };
        let report = analyze(&input, &|rule| rule.default_level);
        assert!(
            report.analysed && report.errors.is_empty(),
            "{:?}",
            report.errors
        );
        all.extend(report.diagnostics.iter().map(|d| d.rule));
    }
    let counts = count(all.into_iter());
    assert_eq!(
        counts.get("fk_without_index"),
        Some(&summary.unindexed_foreign_keys)
    );
    for absent in [
        "schema_drift",
        "joinable_without_fk",
        "unparsed_statement",
        "concurrently_in_transaction",
    ] {
        assert_eq!(counts.get(absent), None, "{absent}: {counts:?}");
    }
    // The history also does what the migration rules look for.
    for present in [
        "index_not_concurrent",
        "destructive_change",
        "locking_column_change",
    ] {
        assert!(
            counts.get(present).is_some_and(|&n| n > 0),
            "{present}: {counts:?}"
        );
    }
}

#[test]
fn code_findings_are_the_ones_written_in() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = write_workspace(tmp.path(), &SPEC).unwrap();
    let mut rules = Vec::new();
    for (path, text) in files(tmp.path()) {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = String::from_utf8(text).unwrap();
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let analysis = check_file(&file, &Options::default());
        assert!(analysis.errors.is_empty(), "{}", path.display());
        rules.extend(analysis.diagnostics.iter().map(|d| d.rule));
    }
    let e = summary.expected;
    let expected: BTreeMap<&str, usize> = [
        ("n_plus_one", e.n_plus_one),
        ("write_outside_transaction", e.write_outside_transaction),
        ("io_in_transaction", e.io_in_transaction),
        ("unbounded_load", e.unbounded_load),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect();
    assert_eq!(count(rules.into_iter()), expected);
    assert!(e.n_plus_one > 0 && e.write_outside_transaction > 0 && e.unbounded_load > 0);
}
