//! `--fix`: a new Diesel migration folder for every `fk_without_index` finding.
//!
//! Each folder holds one `CREATE INDEX` (the finding's own fix SQL, so the CLI and the rule
//! never disagree on the index name), the matching `DROP INDEX` in `down.sql`, and on
//! PostgreSQL a `metadata.toml` with `run_in_transaction = false`: diesel runs a file as
//! one implicit transaction, so `CREATE INDEX CONCURRENTLY` must be the only statement of its
//! file and the folder must not run in a transaction. Folder names follow diesel_cli 2.x
//! (see [`version`]). Planning is pure; [`write`] creates the folders and files with
//! `create_new` semantics and never touches an existing path.

pub mod version;
mod write;

use std::path::{Path, PathBuf};

use dbopt_core::diagnostic::Diagnostic;
use dbopt_core::model::{Backend, QualName};
use dbopt_core::sql::naming::quote_qualified;

use self::version::{Timestamp, version_of};
pub use self::write::write;

/// The rule whose findings `--fix` resolves.
pub const RULE: &str = "fk_without_index";

/// A migration folder to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMigration {
    /// Indexes of the findings (in the package's diagnostics) this folder resolves: several
    /// foreign keys on the same columns share one index.
    pub findings: Vec<usize>,
    /// The folder, `<migrations dir>/<name>`.
    pub dir: PathBuf,
    pub name: String,
    /// `up.sql`, `down.sql` and, on PostgreSQL, `metadata.toml`, in that order.
    pub files: Vec<NewFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub name: &'static str,
    pub text: String,
}

/// Why `--fix` refuses; nothing has been written when it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FixError(pub String);

/// The folders that resolve the `fk_without_index` findings among `diagnostics`, numbered
/// after the newest of `existing` (the names of the entries of `migrations_dir`).
pub fn plan(
    diagnostics: &[Diagnostic],
    backend: Backend,
    migrations_dir: &Path,
    existing: &[String],
) -> Result<Vec<NewMigration>, FixError> {
    let mut planned: Vec<(Fixable, Vec<usize>)> = Vec::new();
    for (i, d) in diagnostics.iter().enumerate() {
        let Some(fixable) = Fixable::from_diagnostic(d, backend) else {
            continue;
        };
        match planned.iter_mut().find(|(p, _)| p.index == fixable.index) {
            Some((p, findings)) if p.up == fixable.up => findings.push(i),
            Some((p, _)) => {
                return Err(FixError(format!(
                    "two fixes want the index name {}: `{}` and `{}`; add one of the indexes by \
                     hand under another name",
                    fixable.index, p.up, fixable.up
                )));
            }
            None => planned.push((fixable, vec![i])),
        }
    }
    if planned.is_empty() {
        return Ok(Vec::new());
    }

    let newest = existing
        .iter()
        .filter(|name| !name.starts_with('.'))
        .map(|name| version_of(name))
        .max();
    let mut stamp = match &newest {
        None => Timestamp::after_version("00000000000000"),
        Some(v) => Timestamp::after_version(v),
    }
    .ok_or_else(|| {
        FixError(format!(
            "cannot number a new migration after version `{}` in {}: it does not start with a \
             diesel timestamp (YYYYMMDDHHMMSS)",
            newest.as_deref().unwrap_or_default(),
            migrations_dir.display()
        ))
    })?;

    let mut out = Vec::with_capacity(planned.len());
    for (n, (fixable, findings)) in planned.into_iter().enumerate() {
        if n > 0 {
            stamp = stamp.succ().ok_or_else(|| {
                FixError("no migration version is left after 9999-12-31-235959".to_owned())
            })?;
        }
        let name = format!("{stamp}_add_index_{}", fixable.slug);
        if existing.contains(&name) {
            return Err(FixError(format!(
                "{} already exists",
                migrations_dir.join(&name).display()
            )));
        }
        let mut files = vec![
            NewFile {
                name: "up.sql",
                text: format!("{}\n", fixable.up),
            },
            NewFile {
                name: "down.sql",
                text: format!("{}\n", fixable.down),
            },
        ];
        if backend == Backend::Postgres {
            files.push(NewFile {
                name: "metadata.toml",
                text: "run_in_transaction = false\n".to_owned(),
            });
        }
        out.push(NewMigration {
            findings,
            dir: migrations_dir.join(&name),
            name,
            files,
        });
    }
    Ok(out)
}

/// What one finding contributes: its index, SQL both ways and the folder-name suffix.
struct Fixable {
    /// The index as `DROP INDEX` names it (schema-qualified outside the default schema).
    index: String,
    up: String,
    down: String,
    slug: String,
}

impl Fixable {
    /// Reads the finding's fix and data (`index_name`, `table_schema`, `table`, `columns`).
    fn from_diagnostic(d: &Diagnostic, backend: Backend) -> Option<Fixable> {
        if d.rule != RULE {
            return None;
        }
        let fix = d.fix.as_ref()?;
        let index_name = d.data.get("index_name")?.as_str()?;
        let schema = d
            .data
            .get("table_schema")
            .and_then(|s| s.as_str())
            .unwrap_or_default();
        let table = d.data.get("table")?.as_str()?;
        let columns: Vec<&str> = d
            .data
            .get("columns")?
            .as_array()?
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        let index = quote_qualified(&QualName::new(schema, index_name));
        let concurrently = if backend == Backend::Postgres {
            "CONCURRENTLY "
        } else {
            ""
        };
        let up = fix.sql.trim().to_owned();
        let up = if up.ends_with(';') {
            up
        } else {
            format!("{up};")
        };
        Some(Fixable {
            down: format!("DROP INDEX {concurrently}IF EXISTS {index};"),
            index,
            up,
            slug: slug(table, &columns),
        })
    }
}

/// `<table>_<col>_<col>` for a folder name: ASCII letters (lower-cased), digits and `_`,
/// anything else (schema dots, quotes, spaces, slashes) as `_`, at most 80 bytes.
fn slug(table: &str, columns: &[&str]) -> String {
    let mut out = String::new();
    for part in std::iter::once(table).chain(columns.iter().copied()) {
        if !out.is_empty() {
            out.push('_');
        }
        for c in part.chars() {
            let c = if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            };
            if !(c == '_' && out.ends_with('_')) {
                out.push(c);
            }
        }
    }
    let trimmed = out.trim_matches('_');
    let mut s: String = trimmed.chars().take(80).collect();
    if s.is_empty() {
        s.push_str("fk");
    }
    s
}

/// The entry names of a migrations folder (for [`plan`]).
pub fn existing_entries(migrations_dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(migrations_dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests;
