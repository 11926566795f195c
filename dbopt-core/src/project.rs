//! The schema-side driver for one package: diesel.toml -> migrations -> replay -> schema.rs
//! -> schema rules. The public types and [`analyze`]'s signature are the interface the CLI
//! codes against.

pub mod baseline;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Level, Reporter};
use crate::files::normalize;
use crate::model::Backend;
use crate::rule::{Check, Rule};
use crate::rules::RULES;
use crate::schema_rs::{SchemaFile, SchemaRsError, SchemaRsInput, parse_schema_rs};
use crate::source::{FileId, SourceMap};
use crate::sql::discover::{
    DieselToml, DiscoverError, PrintSchema, discover_migrations_on, find_migrations_directory,
    read_diesel_toml,
};
use crate::sql::replay::Replayer;
use crate::sql::{LoadedMigration, Migration, Replay, SchemaContext, SqlStatement};
use crate::threads::{self, map_in_order};

/// What to analyse for one package. Paths are absolute.
#[derive(Debug, Clone, Default)]
pub struct ProjectInput {
    /// The package's directory (holds Cargo.toml and, usually, diesel.toml).
    pub package_dir: PathBuf,
    /// Paths in findings are shown relative to this (the workspace root).
    pub display_root: PathBuf,
    /// The package name, copied into findings' `package`.
    pub package: String,
    /// `--diesel-toml`: use this file instead of `<package_dir>/diesel.toml`.
    pub diesel_toml: Option<PathBuf>,
    /// `--migrations` or config `migrations`: the migrations directory, overriding diesel.toml.
    pub migrations: Option<PathBuf>,
    /// `--schema` or config `schema`: the schema.rs file, overriding diesel.toml.
    pub schema: Option<PathBuf>,
    /// From the diesel dependency's features or config; `None` means PostgreSQL.
    pub backend: Option<Backend>,
    /// Threads that read and parse the migrations (0: one per core).
    pub threads: usize,
    /// Set when packages are analysed side by side, and shared by them. A package with
    /// [`threads::LARGE`] migrations or more waits for its turn (so that one large history
    /// at a time is in memory) and reads them on `threads` threads; a smaller one reads them
    /// on its own thread, the other packages keeping the other cores busy.
    pub side_by_side: Option<threads::LargeTurn>,
    /// Which migrations the transition rules judge (`start_after`, `--since`).
    pub baseline: baseline::Baseline,
}

impl ProjectInput {
    /// The threads that read `items` migrations (or look into as many folders).
    fn threads_for(&self, items: usize) -> usize {
        match &self.side_by_side {
            Some(_) if items < threads::LARGE => 1,
            _ => threads::count(self.threads),
        }
    }
}

/// A problem that stopped part of the analysis; one clear sentence naming the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProjectError {
    pub path: PathBuf,
    pub message: String,
}

/// The outcome for one package.
#[derive(Debug, Default)]
pub struct ProjectReport {
    pub sources: SourceMap,
    /// Sorted by file, position, rule; levels already decided (allow-level ones dropped).
    pub diagnostics: Vec<Diagnostic>,
    pub errors: Vec<ProjectError>,
    /// `false` when nothing at all could be analysed (no diesel.toml, no migrations, ...).
    pub analysed: bool,
    /// The migrations folder that was read (absolute), where `cargo dbopt --fix` writes.
    pub migrations_dir: Option<PathBuf>,
    /// What the baseline left out, or would leave out (see [`baseline::History`]).
    pub history: baseline::History,
    /// Tables the migrations fill with fixed rows (`schema.table` outside the default
    /// schema): `cargo dbopt` does not report `unbounded_load` on them.
    pub seeded_tables: Vec<String>,
}

/// Runs every schema rule whose level (as `level_of` decides) is not `allow`.
///
/// Steps: diesel.toml (`input.diesel_toml` or `<package_dir>/diesel.toml`), the migrations
/// folder (`input.migrations` > diesel.toml's `[migrations_directory] dir` > diesel_cli's
/// default, see [`find_migrations_directory`]), the schema files (`input.schema` > every
/// print_schema `file`), discovery, reading each `up.sql`, replay, schema.rs parsing, rules.
/// Every problem on the way is a [`ProjectError`] and the rest is still analysed.
pub fn analyze(input: &ProjectInput, level_of: &dyn Fn(&Rule) -> Level) -> ProjectReport {
    let mut run = Run {
        input,
        root: normalize(&input.display_root),
        report: ProjectReport::default(),
    };
    let backend = input.backend.unwrap_or(Backend::Postgres);

    let config = run.diesel_toml();
    if config.is_none() && input.migrations.is_none() && input.schema.is_none() {
        return run.report;
    }

    let discovered = run.discover(config.as_ref());
    let _turn = input
        .side_by_side
        .as_ref()
        .and_then(|turn| turn.wait(discovered.len()));
    // schema.rs is parsed on its own thread while the migrations are read and replayed,
    // unless this package has one thread (`--jobs 1`, or a small package beside others).
    let schemas = run.schema_texts(config.as_ref());
    let parse = || -> Vec<_> { schemas.iter().flatten().map(|s| s.parse(backend)).collect() };
    let (parsed, (migrations, replay)) = if input.threads_for(discovered.len()) > 1 {
        threads::beside("dbopt-schema-rs", parse, || {
            run.load_and_replay(discovered, backend)
        })
    } else {
        (parse(), run.load_and_replay(discovered, backend))
    };
    let schema_files = run.schema_files(schemas, parsed);
    run.report.analysed = !migrations.is_empty() || !schema_files.is_empty();
    if !run.report.analysed {
        return run.report;
    }

    run.report.seeded_tables = replay.seeded.iter().map(ToString::to_string).collect();
    let ctx = SchemaContext {
        sources: &run.report.sources,
        backend,
        migrations: &migrations,
        replay: &replay,
        schema_files: &schema_files,
    };
    // Each schema rule's level is asked once; suppression handling needs them again. Code
    // rules do not run on migrations.
    let levels: Vec<Level> = RULES
        .iter()
        .map(|r| match r.check {
            Check::Schema(_) => level_of(r),
            Check::Code(_) => Level::Allow,
        })
        .collect();
    let level_of = |rule: &Rule| {
        RULES
            .iter()
            .zip(&levels)
            .find(|(r, _)| r.name == rule.name)
            .map_or(Level::Allow, |(_, l)| *l)
    };
    let mut diagnostics = Vec::new();
    for rule in RULES {
        // Only schema rules run here; code rules run in the macro and the source scan.
        let Check::Schema(check) = rule.check else {
            continue;
        };
        let level = level_of(rule);
        if level == Level::Allow {
            continue;
        }
        let mut reporter = Reporter::new();
        check(&ctx, &mut reporter);
        diagnostics.extend(reporter.into_diagnostics().into_iter().map(|mut d| {
            d.level = level;
            d
        }));
    }
    crate::rules::unused_suppression::apply(&ctx, &mut diagnostics, &level_of);
    run.report.history = baseline::apply(
        &input.baseline,
        &migrations,
        &mut diagnostics,
        baseline::today(),
    );
    let sources = &run.report.sources;
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                sources.path(d.primary.span.file).to_path_buf(),
                d.primary.span.range.start,
                d.rule,
            )
        };
        key(a).cmp(&key(b))
    });
    run.report.diagnostics = diagnostics;
    run.report
}

/// One analysis in progress: the input and the report being filled.
struct Run<'a> {
    input: &'a ProjectInput,
    /// `input.display_root`, normalized.
    root: PathBuf,
    report: ProjectReport,
}

impl Run<'_> {
    /// `path` as shown: relative to `display_root` where it lies inside, `..` resolved.
    fn shown(&self, path: &Path) -> PathBuf {
        shown_in(&self.root, path)
    }

    fn error(&mut self, path: &Path, message: String) {
        let path = self.shown(path);
        self.report.errors.push(ProjectError { path, message });
    }

    fn discover_error(&mut self, e: DiscoverError) {
        let e = e.map_path(|p| self.shown(p));
        self.report.errors.push(ProjectError {
            path: e.path().to_path_buf(),
            message: e.to_string(),
        });
    }

    /// The diesel.toml in use, if any. A missing default diesel.toml is not an error (the
    /// package may not use diesel); a missing `--diesel-toml` is.
    fn diesel_toml(&mut self) -> Option<DieselToml> {
        let (path, explicit) = match &self.input.diesel_toml {
            Some(p) => (p.clone(), true),
            None => (self.input.package_dir.join("diesel.toml"), false),
        };
        // `symlink_metadata`, not `is_file`: a diesel.toml that is a symlink loop or a folder
        // is reported, not taken for a package without diesel.
        if !explicit && not_found(&path) {
            return None;
        }
        match read_diesel_toml(&path) {
            Ok(config) => Some(config),
            Err(e) => {
                self.discover_error(e);
                None
            }
        }
    }

    /// Discovers the migrations, in diesel's order.
    fn discover(&mut self, config: Option<&DieselToml>) -> Vec<Migration> {
        // The diesel.toml that named the folder, for messages.
        let mut named_in = None;
        let dir = if let Some(dir) = &self.input.migrations {
            dir.clone()
        } else if let Some(dir) = config.and_then(|c| c.migrations_directory.clone()) {
            named_in = config.map(|c| self.shown(&c.path));
            dir
        } else {
            let start = config
                .and_then(|c| c.path.parent())
                .unwrap_or(&self.input.package_dir)
                .to_path_buf();
            match find_migrations_directory(&start, &self.input.display_root) {
                Some(dir) => dir,
                None => {
                    let expected = start.join("migrations");
                    let message = format!(
                        "no migrations directory: `{}` does not exist and no \
                         `[migrations_directory] dir` is set in diesel.toml",
                        self.shown(&expected).display()
                    );
                    self.error(&expected, message);
                    return Vec::new();
                }
            }
        };
        self.report.migrations_dir = Some(dir.clone());
        let discovered = match discover_migrations_on(&dir, &|n| self.input.threads_for(n)) {
            Ok(d) => d,
            Err(DiscoverError::MigrationsDirNotFound { path })
                if let Some(named_in) = &named_in =>
            {
                let message = format!(
                    "migrations directory `{}` named in `{}` does not exist",
                    self.shown(&path).display(),
                    named_in.display()
                );
                self.error(&path, message);
                return Vec::new();
            }
            Err(e) => {
                self.discover_error(e);
                return Vec::new();
            }
        };
        if discovered.migrations.is_empty() && discovered.problems.is_empty() {
            let message = format!(
                "migrations directory `{}` holds no migrations (no folder with an up.sql)",
                self.shown(&dir).display()
            );
            self.error(&dir, message);
        }
        for problem in discovered.problems {
            let problem = problem.map_paths(|p| self.shown(p));
            self.report.errors.push(ProjectError {
                path: problem.path().to_path_buf(),
                message: problem.to_string(),
            });
        }
        discovered.migrations
    }

    /// Reads each migration's `up.sql` into the source map and replays them in order. The
    /// files are read and parsed on `input.threads` threads while this one applies the
    /// statements of the ones before, in order; the result does not depend on the threads.
    fn load_and_replay(
        &mut self,
        discovered: Vec<Migration>,
        backend: Backend,
    ) -> (Vec<LoadedMigration>, Replay) {
        let mut loaded = Vec::with_capacity(discovered.len());
        let mut replayer = Replayer::new(backend);
        let root = self.root.clone();
        map_in_order(
            &discovered,
            self.input.threads_for(discovered.len()),
            |m| ReadMigration::new(m.clone(), &root, backend),
            |read| self.apply_read(read, &mut loaded, &mut replayer),
        );
        (loaded, replayer.finish())
    }

    /// Adds one read migration to the source map and the replay (or reports why its
    /// `up.sql` could not be read).
    fn apply_read(
        &mut self,
        read: ReadMigration,
        loaded: &mut Vec<LoadedMigration>,
        replayer: &mut Replayer,
    ) {
        match read.text {
            Ok(text) => {
                let up_sql = self.report.sources.add(read.shown, text);
                replayer.migration(&self.report.sources, up_sql, read.statements);
                loaded.push(LoadedMigration {
                    migration: read.migration,
                    up_sql,
                });
            }
            Err(message) => self.report.errors.push(ProjectError {
                path: read.shown,
                message,
            }),
        }
    }

    /// Reads every schema file into the source map; each goes with the print_schema
    /// section it belongs to. Files that cannot be read are errors, reported in this order
    /// by [`Run::schema_files`].
    fn schema_texts(
        &mut self,
        config: Option<&DieselToml>,
    ) -> Vec<Result<SchemaText, ProjectError>> {
        let sections: Vec<PrintSchema> = config.map(|c| c.print_schema.clone()).unwrap_or_default();
        let mut wanted: Vec<(PathBuf, Option<PrintSchema>)> = Vec::new();
        if let Some(path) = &self.input.schema {
            let section = sections
                .iter()
                .find(|s| s.file.as_deref().map(normalize) == Some(normalize(path)))
                .cloned();
            wanted.push((path.clone(), section));
        } else {
            for section in sections {
                let Some(file) = section.file.clone() else {
                    continue;
                };
                if !wanted.iter().any(|(p, _)| normalize(p) == normalize(&file)) {
                    wanted.push((file, Some(section)));
                }
            }
        }
        let named_in = config.map(|c| self.shown(&c.path));
        let mut out = Vec::new();
        for (path, section) in wanted {
            let shown = self.shown(&path);
            if self.input.schema.is_none()
                && let Some(named_in) = &named_in
                && not_found(&path)
            {
                let message = format!(
                    "schema file `{}` named in `{}` does not exist",
                    shown.display(),
                    named_in.display()
                );
                out.push(Err(ProjectError {
                    path: shown,
                    message,
                }));
                continue;
            }
            out.push(match read_text(&path, &shown) {
                Ok(text) => Ok(SchemaText {
                    file: self.report.sources.add(shown.clone(), text.clone()),
                    shown,
                    text,
                    section,
                }),
                Err(message) => Err(ProjectError {
                    path: shown,
                    message,
                }),
            });
        }
        out
    }

    /// The parsed schema files (`parsed` has one result for each text read), with their
    /// patch files read.
    fn schema_files(
        &mut self,
        texts: Vec<Result<SchemaText, ProjectError>>,
        parsed: Vec<Result<SchemaFile, SchemaRsError>>,
    ) -> Vec<SchemaFile> {
        let mut out = Vec::new();
        let mut parsed = parsed.into_iter();
        for text in texts {
            let text = match text {
                Ok(text) => text,
                Err(e) => {
                    self.report.errors.push(e);
                    continue;
                }
            };
            let Some(parsed) = parsed.next() else { break };
            match parsed {
                Ok(mut schema_file) => {
                    let section = text.section;
                    if let Some(patch) = section.as_ref().and_then(|s| s.patch_file.as_ref())
                        && let Some(text) = self.read_text(patch)
                    {
                        let shown = self.shown(patch);
                        schema_file.patch = Some(self.report.sources.add(shown, text));
                    }
                    schema_file.print_schema = section;
                    out.push(schema_file);
                }
                Err(e) => self.report.errors.push(ProjectError {
                    path: e.path.clone(),
                    message: e.to_string(),
                }),
            }
        }
        out
    }

    /// A UTF-8 file's text, or an error naming it.
    fn read_text(&mut self, path: &Path) -> Option<String> {
        match read_text(path, &self.shown(path)) {
            Ok(text) => Some(text),
            Err(message) => {
                self.error(path, message);
                None
            }
        }
    }
}

/// A schema file read into the source map, to be parsed.
struct SchemaText {
    file: FileId,
    shown: PathBuf,
    text: String,
    section: Option<PrintSchema>,
}

impl SchemaText {
    fn parse(&self, backend: Backend) -> Result<SchemaFile, SchemaRsError> {
        parse_schema_rs(SchemaRsInput {
            file: self.file,
            path: &self.shown,
            text: &self.text,
            default_schema: self.section.as_ref().and_then(|s| s.schema.as_deref()),
            backend,
        })
    }
}

/// A migration whose `up.sql` was read and split into statements, on its way to the replay.
struct ReadMigration {
    migration: Migration,
    /// The `up.sql` as shown in messages.
    shown: PathBuf,
    /// The text, or why it could not be read.
    text: Result<String, String>,
    /// The text's statements (none when it could not be read).
    statements: Vec<SqlStatement>,
}

impl ReadMigration {
    fn new(migration: Migration, root: &Path, backend: Backend) -> Self {
        let up = migration.dir.join("up.sql");
        let shown = shown_in(root, &up);
        let text = read_text(&up, &shown);
        let statements = match &text {
            Ok(text) => crate::sql::split::split(text, backend),
            Err(_) => Vec::new(),
        };
        ReadMigration {
            migration,
            shown,
            text,
            statements,
        }
    }
}

/// `path` as shown: relative to `root` (normalized) where it lies inside, `..` resolved.
fn shown_in(root: &Path, path: &Path) -> PathBuf {
    let path = normalize(path);
    match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => path,
    }
}

/// A UTF-8 file's text, or a message naming it as `shown`.
fn read_text(path: &Path, shown: &Path) -> Result<String, String> {
    match crate::files::read_regular(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_column(e.as_bytes(), e.utf8_error().valid_up_to());
            format!(
                "`{}` is not valid UTF-8 (line {line}, column {column})",
                shown.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(match std::fs::read_link(path) {
            Ok(target) => format!(
                "`{}` is a symlink to `{}`, which does not exist",
                shown.display(),
                target.display()
            ),
            Err(_) => format!("`{}` does not exist", shown.display()),
        }),
        Err(e) => Err(format!("cannot read `{}`: {e}", shown.display())),
    }
}

/// Whether nothing (not even a dangling or looping symlink) is at `path`.
fn not_found(path: &Path) -> bool {
    matches!(path.symlink_metadata(), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// The 1-based line and column (in characters) of byte `at` in `bytes`, whose first `at`
/// bytes are valid UTF-8.
fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = std::str::from_utf8(bytes.get(..at).unwrap_or_default()).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests;
