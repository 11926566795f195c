//! Arbitrary bytes, read as lossy UTF-8, as a schema.rs (the first byte picks the backend
//! and whether a print_schema `schema` is set), then every schema rule run over it. Checks
//! that every span points into the file and that errors have a sane line and column.
#![no_main]

use std::path::Path;

use dbopt_core::diagnostic::Reporter;
use dbopt_core::rule::Check;
use dbopt_core::rules::RULES;
use dbopt_core::schema_rs::{SchemaRsInput, parse_schema_rs};
use dbopt_core::source::SourceMap;
use dbopt_core::sql::{Replay, SchemaContext};
use dbopt_fuzz::{BACKENDS, check_diagnostics, check_schema, check_span};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check(data);
    // Built with `--no-cfg-fuzzing`, proc-macro2 keeps every parsed text in a per-thread
    // source map (for real spans); release it, or memory grows with every input.
    proc_macro2::extra::invalidate_current_thread_spans();
});

fn check(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let backend = BACKENDS[usize::from(first) % BACKENDS.len()];
    let default_schema = (first & 0x80 != 0).then_some("auth");
    let text = String::from_utf8_lossy(rest).into_owned();
    let mut sources = SourceMap::new();
    let path = Path::new("src/schema.rs");
    let file = sources.add(path, text);
    let input = SchemaRsInput {
        file,
        path,
        text: sources.text(file),
        default_schema,
        backend,
    };
    let parsed = match parse_schema_rs(input) {
        Ok(parsed) => parsed,
        Err(e) => {
            let text = sources.text(file);
            let lines = text.split('\n').count();
            assert!(
                (1..=lines).contains(&e.line) && e.column >= 1,
                "error at {}:{} in a file of {lines} lines",
                e.line,
                e.column
            );
            let line = text.split('\n').nth(e.line - 1).unwrap_or_default();
            assert!(
                e.column <= line.chars().count() + 1,
                "error column {} past line {} of {} chars",
                e.column,
                e.line,
                line.chars().count()
            );
            return;
        }
    };
    assert_eq!(parsed.file, file);
    check_schema(&sources, &parsed.schema, None);
    for j in &parsed.joinables {
        check_span(&sources, &j.span, "joinable");
    }
    for t in &parsed.sql_types {
        check_span(&sources, &t.span, "sql type");
    }
    let replay = Replay::default();
    let schema_files = [parsed];
    let context = SchemaContext {
        sources: &sources,
        backend,
        migrations: &[],
        replay: &replay,
        schema_files: &schema_files,
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
}
