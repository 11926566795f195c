//! `--format json`: one document on stdout, in DESIGN.md §3's shape.

use std::path::Path;

use dbopt_core::diagnostic::{Diagnostic, Level};
use dbopt_core::project::ProjectError;
use serde::Serialize;

use super::{PackageFindings, display_path, location};

#[derive(Debug, Serialize)]
pub struct Document {
    pub version: u32,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub errors: Vec<ErrorEntry>,
}

#[derive(Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub level: &'static str,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub package: String,
    pub help: Option<String>,
    pub fix: Option<FixEntry>,
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub struct FixEntry {
    pub title: String,
    pub sql: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub deny: usize,
    pub warn: usize,
    /// Findings of the migration rules in migrations older than 90 days, in the packages
    /// without a baseline (`start_after`, `--since`); 0 where every package has one.
    pub old_migration_findings: usize,
}

#[derive(Debug, Serialize)]
pub struct ErrorEntry {
    pub path: String,
    pub message: String,
}

impl Document {
    pub fn new() -> Self {
        Document {
            version: 1,
            findings: Vec::new(),
            summary: Summary::default(),
            errors: Vec::new(),
        }
    }

    /// Adds a package's findings (allow-level ones are left out).
    pub fn add_package(&mut self, findings: &PackageFindings<'_>, root: &Path) {
        for d in findings.diagnostics {
            match d.level {
                Level::Deny => self.summary.deny += 1,
                Level::Warn => self.summary.warn += 1,
                Level::Allow => continue,
            }
            self.findings.push(finding(d, findings, root));
        }
    }

    /// Adds what a package's baseline left out, or would leave out.
    pub fn add_history(&mut self, history: &dbopt_core::project::baseline::History) {
        self.summary.old_migration_findings += history.old_findings;
    }

    pub fn add_error(&mut self, error: &ProjectError, root: &Path) {
        self.errors.push(ErrorEntry {
            path: display_path(&error.path, root),
            message: error.message.clone(),
        });
    }

    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings, numbers and JSON values cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

fn finding(d: &Diagnostic, findings: &PackageFindings<'_>, root: &Path) -> Finding {
    let (path, start, end) = location(findings.sources, &d.primary.span, root);
    Finding {
        rule: d.rule,
        level: d.level.as_str(),
        message: d.message.clone(),
        file: path,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        package: findings.package.to_owned(),
        help: d.help.clone(),
        fix: d.fix.as_ref().map(|f| FixEntry {
            title: f.title.clone(),
            sql: f.sql.clone(),
        }),
        data: d.data.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn document_shape() {
        let fixture = fixture::Package::new();
        let findings = fixture.findings();
        let root = Path::new(fixture::ROOT);
        let mut doc = Document::new();
        doc.add_package(&findings, root);
        doc.add_error(
            &ProjectError {
                path: "/ws/blog/diesel.toml".into(),
                message: "cannot read /ws/blog/diesel.toml: permission denied".into(),
            },
            root,
        );
        insta::assert_snapshot!(doc.to_json());
    }

    #[test]
    fn columns_count_characters_after_bom_and_crlf() {
        let fixture = fixture::Package::new();
        let findings = fixture.findings();
        let mut doc = Document::new();
        doc.add_package(&findings, Path::new(fixture::ROOT));
        let at = |f: &Finding| (f.line, f.column, f.end_line, f.end_column);
        // `user_id ...` on line 5 after 4 spaces; 46 characters long.
        assert_eq!(at(&doc.findings[0]), (5, 5, 5, 51));
        // zero-length, at `TEXT` after `    título ` (12 characters, 13 bytes) on line 4.
        assert_eq!(at(&doc.findings[1]), (4, 12, 4, 12));
        // end of a file without a final newline: after `);` on line 3.
        assert_eq!(at(&doc.findings[2]), (3, 3, 3, 3));
        assert_eq!(
            doc.findings[2].file,
            "migrations/2024-01-01-000000_create_users/up.sql"
        );
        assert_eq!(doc.summary.deny, 2);
        assert_eq!(doc.summary.warn, 1);
    }

    #[test]
    fn hostile_spans_never_panic() {
        let sources = fixture::sources();
        let diagnostics = fixture::hostile();
        let levels = fixture::levels();
        let findings = PackageFindings {
            package: "blog",
            sources: &sources,
            diagnostics: &diagnostics,
            levels: &levels,
        };
        let mut doc = Document::new();
        doc.add_package(&findings, Path::new(fixture::ROOT));
        assert_eq!(doc.findings.len(), diagnostics.len());
        assert_eq!(doc.findings[5].file, "");
    }
}
