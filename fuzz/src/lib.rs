//! Invariants shared by the fuzz targets. Every check panics with the offending input's
//! facts, so libFuzzer records the input as a crash.

pub mod tokens;

use std::ops::Range;

use dbopt_core::model::Backend;
use dbopt_core::source::{SourceMap, Span};
use dbopt_core::sql::StatementKind;
use dbopt_core::sql::split::split;

pub const BACKENDS: [Backend; 3] = [Backend::Postgres, Backend::Sqlite, Backend::Mysql];

/// `range` lies within `text`, is not reversed and starts and ends on char boundaries.
pub fn check_range(text: &str, range: &Range<usize>, what: &str) {
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what}: range {range:?} outside 0..{}",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: range {range:?} not on char boundaries"
    );
}

/// `span` names a file of `sources` and lies within its text; its line/column are sane.
pub fn check_span(sources: &SourceMap, span: &Span, what: &str) {
    let file = sources
        .iter()
        .find(|(id, _)| *id == span.file)
        .map(|(_, f)| f)
        .unwrap_or_else(|| panic!("{what}: span in unknown file {:?}", span.file));
    check_range(&file.text, &span.range, what);
    let start = file.line_col(span.range.start);
    let end = file.line_col(span.range.end);
    assert!(start <= end, "{what}: {start:?} after {end:?}");
}

/// Splits `text` in `backend` and checks the statements: non-empty ranges within the text, on
/// char boundaries, increasing and non-overlapping, without surrounding whitespace; error
/// offsets within the text and on char boundaries.
pub fn check_split(text: &str, backend: Backend) {
    let mut previous_end = 0;
    for s in split(text, backend) {
        let r = &s.range;
        check_range(text, r, "statement");
        assert!(r.start < r.end, "{backend:?}: empty statement at {r:?}");
        assert!(
            previous_end <= r.start,
            "{backend:?}: statement {r:?} overlaps the previous one ending at {previous_end}"
        );
        let own = &text[r.clone()];
        assert_eq!(
            own.trim_matches(|c: char| c.is_ascii_whitespace()),
            own,
            "{backend:?}: statement {r:?} has surrounding whitespace"
        );
        if let StatementKind::Unparsed {
            offset: Some(o), ..
        } = s.kind
        {
            check_range(text, &(o..o), "error offset");
        }
        previous_end = r.end;
    }
}

/// Every origin of `schema` lies in `sources`; a migration index, when given, is below
/// `migrations`.
pub fn check_schema(
    sources: &SourceMap,
    schema: &dbopt_core::model::Schema,
    migrations: Option<usize>,
) {
    let origin = |o: &dbopt_core::model::Origin, what: &str| {
        check_span(sources, &o.span, what);
        match (o.migration, migrations) {
            (Some(m), Some(count)) => assert!(m < count, "{what}: migration {m} of {count}"),
            (Some(m), None) => panic!("{what}: schema.rs object with migration {m}"),
            (None, _) => {}
        }
    };
    for (name, table) in &schema.tables {
        assert_eq!(name, &table.name, "table keyed under another name");
        origin(&table.origin, "table");
        for c in &table.columns {
            origin(&c.origin, "column");
        }
        for f in &table.foreign_keys {
            origin(&f.origin, "foreign key");
        }
        for i in &table.indexes {
            origin(&i.origin, "index");
        }
    }
}

/// Every label of every diagnostic lies in `sources`.
pub fn check_diagnostics(sources: &SourceMap, diagnostics: &[dbopt_core::diagnostic::Diagnostic]) {
    for d in diagnostics {
        check_span(sources, &d.primary.span, d.rule);
        for label in &d.secondary {
            check_span(sources, &label.span, d.rule);
        }
    }
}
