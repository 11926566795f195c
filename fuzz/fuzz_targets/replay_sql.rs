//! The bytes as one or several `up.sql` files (cut at each 0xFF byte, which valid UTF-8
//! never holds; the first byte picks the backend), replayed in order, then every schema
//! rule run over the result. Checks that every span and migration index replay and the
//! rules produce points into the files that were given.
#![no_main]

use std::path::PathBuf;

use dbopt_core::diagnostic::Reporter;
use dbopt_core::rule::Check;
use dbopt_core::rules::RULES;
use dbopt_core::source::SourceMap;
use dbopt_core::sql::replay::replay;
use dbopt_core::sql::{LoadedMigration, Migration, SchemaContext};
use dbopt_fuzz::{BACKENDS, check_diagnostics, check_schema, check_span};
use libfuzzer_sys::fuzz_target;

/// More files add nothing the splitter or replay would treat differently.
const MAX_FILES: usize = 8;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let backend = BACKENDS[usize::from(first) % BACKENDS.len()];
    let mut sources = SourceMap::new();
    let migrations: Vec<LoadedMigration> = rest
        .split(|&b| b == 0xFF)
        .take(MAX_FILES)
        .enumerate()
        .map(|(i, bytes)| {
            let name = format!("2024010100000{i}_m{i}");
            let dir = PathBuf::from("migrations").join(&name);
            let text = String::from_utf8_lossy(bytes).into_owned();
            let up_sql = sources.add(dir.join("up.sql"), text);
            LoadedMigration {
                migration: Migration {
                    version: format!("2024010100000{i}"),
                    name,
                    dir,
                    run_in_transaction: i % 2 == 0,
                },
                up_sql,
            }
        })
        .collect();
    let result = replay(backend, &sources, &migrations);
    let count = migrations.len();
    check_schema(&sources, &result.schema, Some(count));
    for s in &result.statements {
        assert!(
            s.migration < count,
            "statement of migration {}",
            s.migration
        );
        check_span(&sources, &s.span, "statement");
        assert_eq!(
            s.span.file, migrations[s.migration].up_sql,
            "statement span in another migration's file"
        );
    }
    for u in &result.unparsed {
        assert!(u.migration < count, "unparsed of migration {}", u.migration);
        check_span(&sources, &u.span, "unparsed");
    }
    let context = SchemaContext {
        sources: &sources,
        backend,
        migrations: &migrations,
        replay: &result,
        schema_files: &[],
    };
    for rule in RULES {
        #[allow(irrefutable_let_patterns)] // code rules will add variants
        let Check::Schema(check) = rule.check else {
            continue;
        };
        let mut reporter = Reporter::new();
        check(&context, &mut reporter);
        check_diagnostics(&sources, &reporter.into_diagnostics());
    }
});
