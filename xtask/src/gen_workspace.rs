//! `cargo xtask gen-workspace --out DIR --packages P --migrations M --fns F [--seed S]`: a
//! synthetic Diesel (PostgreSQL) Cargo workspace for the scale benchmark. A virtual manifest
//! and P packages under `crates/`, each with its Cargo.toml (depending on diesel, never
//! compiled), diesel.toml, a migration history (see [`history`]) that starts with diesel's
//! own initial setup, the schema.rs `diesel print-schema` would write for it, and Diesel code
//! over those tables (see [`fns`]). Migrations and fns are shared out evenly over the
//! packages. The same arguments give the same bytes.

mod code;
mod diesel_setup;
mod fns;
mod history;
mod model;
mod rng;
mod words;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use fns::Expected;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub packages: usize,
    pub migrations: usize,
    pub fns: usize,
    pub seed: u64,
}

/// What was generated, and the findings it was written to produce.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub migrations: usize,
    pub tables: usize,
    pub foreign_keys: usize,
    /// Foreign keys that no index covers at the end of the history: `fk_without_index`.
    pub unindexed_foreign_keys: usize,
    pub fns: usize,
    pub rust_files: usize,
    pub expected: Expected,
}

/// A file at the root of every generated workspace: a directory holding it may be replaced.
pub const MARKER: &str = "GENERATED-BY-XTASK";

/// Where squawk finds the migrations of a workspace written by [`write_workspace`] (squawk
/// expands the pattern itself, so the argument list stays short at any size).
pub fn up_sql_pattern(dir: &Path) -> String {
    format!("{}/crates/*/migrations/*/up.sql", dir.display())
}

const PACKAGE_NAMES: &[&str] = &[
    "accounts",
    "billing",
    "catalog",
    "checkout",
    "inventory",
    "shipping",
    "identity",
    "notifications",
    "reporting",
    "search",
    "support",
    "analytics",
];

fn package_name(p: usize) -> String {
    let base = PACKAGE_NAMES[p % PACKAGE_NAMES.len()];
    match p / PACKAGE_NAMES.len() {
        0 => base.to_owned(),
        n => format!("{base}_{n}"),
    }
}

/// Share `total` out over `parts`: the first ones get one more.
fn share(total: usize, parts: usize, i: usize) -> usize {
    total / parts + usize::from(i < total % parts)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: cargo xtask gen-workspace --out DIR --packages P --migrations M --fns F \
                 [--seed S]";
    let mut out = None;
    let mut spec = Spec {
        packages: 1,
        migrations: 0,
        fns: 0,
        seed: 1,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|e| format!("{flag} {value}: {e}\n{usage}"))
        };
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value)),
            "--packages" => spec.packages = number()? as usize,
            "--migrations" => spec.migrations = number()? as usize,
            "--fns" => spec.fns = number()? as usize,
            "--seed" => spec.seed = number()?,
            _ => return Err(format!("unknown argument {flag}\n{usage}")),
        }
    }
    let out = out.ok_or_else(|| usage.to_owned())?;
    let summary = write_workspace(&out, &spec)?;
    println!(
        "wrote {}: {} packages, {} migrations ({} tables, {} foreign keys, {} of them \
         unindexed), {} fns in {} .rs files\nwritten to produce: fk_without_index {}, \
         n_plus_one {}, write_outside_transaction {}, io_in_transaction {}, unbounded_load {}",
        out.display(),
        spec.packages,
        summary.migrations,
        summary.tables,
        summary.foreign_keys,
        summary.unindexed_foreign_keys,
        summary.fns,
        summary.rust_files,
        summary.unindexed_foreign_keys,
        summary.expected.n_plus_one,
        summary.expected.write_outside_transaction,
        summary.expected.io_in_transaction,
        summary.expected.unbounded_load,
    );
    Ok(())
}

/// Writes the workspace into `dir`, replacing an earlier generated one (never anything else).
pub fn write_workspace(dir: &Path, spec: &Spec) -> Result<Summary, String> {
    if spec.packages == 0 || spec.migrations < 2 * spec.packages {
        return Err(format!(
            "need at least one package and two migrations per package (diesel's setup and a \
             table), got {} packages and {} migrations",
            spec.packages, spec.migrations
        ));
    }
    let fail = |e: io::Error| format!("cannot write {}: {e}", dir.display());
    if dir.exists() && fs::read_dir(dir).map_err(fail)?.next().is_some() {
        if !dir.join(MARKER).is_file() {
            return Err(format!(
                "{} exists and was not written by gen-workspace; choose an empty directory",
                dir.display()
            ));
        }
        fs::remove_dir_all(dir).map_err(fail)?;
    }
    fs::create_dir_all(dir).map_err(fail)?;
    fs::write(
        dir.join(MARKER),
        format!("cargo xtask gen-workspace {spec:?}\n"),
    )
    .map_err(fail)?;
    fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"3\"\n",
    )
    .map_err(fail)?;
    let root = rng::Rng::new(spec.seed);
    let mut summary = Summary::default();
    for p in 0..spec.packages {
        let mut rng = root.fork(p as u64);
        let name = package_name(p);
        let package = dir.join("crates").join(&name);
        write_package(
            &package,
            &name,
            share(spec.migrations, spec.packages, p),
            share(spec.fns, spec.packages, p),
            &mut rng,
            &mut summary,
        )
        .map_err(|e| format!("cannot write {}: {e}", package.display()))?;
    }
    Ok(summary)
}

fn write_package(
    dir: &Path,
    name: &str,
    migrations: usize,
    fns: usize,
    rng: &mut rng::Rng,
    summary: &mut Summary,
) -> io::Result<()> {
    fs::create_dir_all(dir.join("src"))?;
    fs::write(dir.join("Cargo.toml"), manifest(name))?;
    fs::write(dir.join("diesel.toml"), DIESEL_TOML)?;
    let history = history::generate(migrations - 1, rng);
    let root = dir.join("migrations");
    let setup = root.join(diesel_setup::FOLDER);
    fs::create_dir_all(&setup)?;
    fs::write(setup.join("up.sql"), diesel_setup::UP)?;
    fs::write(setup.join("down.sql"), diesel_setup::DOWN)?;
    for m in &history.migrations {
        let folder = root.join(&m.folder);
        fs::create_dir_all(&folder)?;
        fs::write(folder.join("up.sql"), &m.up)?;
        fs::write(folder.join("down.sql"), &m.down)?;
        if m.no_transaction {
            fs::write(folder.join("metadata.toml"), "run_in_transaction = false\n")?;
        }
    }
    fs::write(dir.join("src/schema.rs"), model::schema_rs(&history.tables))?;
    let code = code::generate(name, &history.tables, fns, rng);
    for (path, text) in &code.files {
        let path = dir.join("src").join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, text)?;
    }
    summary.migrations += migrations;
    summary.tables += history.tables.len();
    for t in &history.tables {
        summary.foreign_keys += t.fks.len();
        summary.unindexed_foreign_keys += t.fks.iter().filter(|f| !t.fk_covered(&f.column)).count();
    }
    summary.fns += fns;
    summary.rust_files += code.files.len() + 1;
    summary.expected += code.expected;
    Ok(())
}

fn manifest(name: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\naxum = \"0.8\"\nbigdecimal = {{ version = \"0.4\", features = [\"serde\"] }}\n\
         chrono = {{ version = \"0.4\", features = [\"serde\"] }}\n\
         diesel = {{ version = \"2.3\", features = [\"postgres\", \"r2d2\", \"chrono\", \"uuid\", \
         \"serde_json\", \"numeric\"] }}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n\
         uuid = {{ version = \"1\", features = [\"serde\"] }}\n"
    )
}

const DIESEL_TOML: &str = "# For documentation on how to configure this file,\n\
# see https://diesel.rs/guides/configuring-diesel-cli\n\n\
[print_schema]\nfile = \"src/schema.rs\"\n\
custom_type_derives = [\"diesel::query_builder::QueryId\", \"Clone\"]\n\n\
[migrations_directory]\ndir = \"migrations\"\n";

#[cfg(test)]
mod tests;
