//! Shared by the rule tests: migrations written as SQL strings are replayed and one rule
//! runs on them through the engine's suppression pass, as `cargo dbopt` would run it.

use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Reporter};
use crate::model::Backend;
use crate::rule::{Check, Rule};
use crate::source::SourceMap;
use crate::sql::{LoadedMigration, Migration, SchemaContext};

/// One migration: folder name (`<version>_<name>`), `run_in_transaction`, `up.sql`.
pub(crate) type M<'a> = (&'a str, bool, &'a str);

/// Runs `rule` and `unused_suppression` (each at its default level, every other rule
/// disabled) with suppressions applied and returns every finding with its file (`<folder>/up.sql`) and
/// 1-based line.
pub(crate) fn findings(
    rule: &'static Rule,
    backend: Backend,
    migrations: &[M<'_>],
) -> Vec<(&'static str, String, usize)> {
    let (sources, diagnostics) = diagnostics(rule, backend, migrations);
    diagnostics
        .iter()
        .map(|d| {
            let span = &d.primary.span;
            (
                d.rule,
                sources.path(span.file).display().to_string(),
                sources.line_col(span.file, span.range.start).line,
            )
        })
        .collect()
}

/// [`findings`] on PostgreSQL.
pub(crate) fn pg(rule: &'static Rule, migrations: &[M<'_>]) -> Vec<(&'static str, String, usize)> {
    findings(rule, Backend::Postgres, migrations)
}

/// The diagnostics themselves, for tests of messages, labels and help.
pub(crate) fn diagnostics(
    rule: &'static Rule,
    backend: Backend,
    migrations: &[M<'_>],
) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let loaded: Vec<LoadedMigration> = migrations
        .iter()
        .map(|(name, run_in_transaction, sql)| {
            let up_sql = sources.add(format!("{name}/up.sql"), *sql);
            let version = name.split('_').next().unwrap_or(name).replace('-', "");
            LoadedMigration {
                migration: Migration {
                    version,
                    name: (*name).to_owned(),
                    dir: PathBuf::from(name),
                    run_in_transaction: *run_in_transaction,
                },
                up_sql,
            }
        })
        .collect();
    let replay = crate::sql::replay::replay(backend, &sources, &loaded);
    let ctx = SchemaContext {
        sources: &sources,
        backend,
        migrations: &loaded,
        replay: &replay,
        schema_files: &[],
    };
    let mut reporter = Reporter::new();
    let unused = &super::unused_suppression::RULE;
    let mut run = vec![rule];
    if rule.name != unused.name {
        run.push(unused);
    }
    for r in run {
        #[allow(irrefutable_let_patterns)]
        let Check::Schema(check) = r.check else {
            panic!("`{}` is not a schema rule", r.name);
        };
        check(&ctx, &mut reporter);
    }
    let mut diagnostics = reporter.into_diagnostics();
    let level_of = |r: &Rule| {
        if r.name == rule.name || r.name == super::unused_suppression::RULE.name {
            r.default_level
        } else {
            crate::diagnostic::Level::Allow
        }
    };
    super::unused_suppression::apply(&ctx, &mut diagnostics, &level_of);
    diagnostics.sort_by_key(|d| (d.primary.span.file, d.primary.span.range.start));
    (sources, diagnostics)
}
