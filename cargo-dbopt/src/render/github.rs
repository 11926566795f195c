//! `--format github`: one GitHub Actions workflow command per finding, on stdout, which the
//! runner turns into annotations on the pull request:
//!
//! ```text
//! ::error file=migrations/x/up.sql,line=4,col=3,endLine=4,endColumn=41,title=fk_without_index::foreign key ..
//! ```
//!
//! Deny-level findings are `::error`, warn-level ones `::warning`. Values are escaped as the
//! runner unescapes them (`%`, CR, LF everywhere; `:` and `,` in properties too).

use std::path::Path;

use dbopt_core::diagnostic::Level;
use dbopt_core::project::ProjectError;

use super::{PackageFindings, display_path, location};

/// Every finding of a package, one line each (allow-level ones are left out).
pub fn package(findings: &PackageFindings<'_>, root: &Path) -> String {
    let mut out = String::new();
    for d in findings.diagnostics {
        let Some(command) = command(d.level) else {
            continue;
        };
        let (path, start, end) = location(findings.sources, &d.primary.span, root);
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&path),
            start.line,
            start.column,
            end.line,
            end.column,
            property(d.rule),
            data(&d.message),
        ));
    }
    out
}

/// An error that stopped part of the analysis, as an annotation on the file it is about.
pub fn error(error: &ProjectError, level: Level, root: &Path) -> String {
    let command = command(level).unwrap_or("notice");
    let path = display_path(&error.path, root);
    format!(
        "::{command} file={},title=dbopt::{}\n",
        property(&path),
        data(&error.message)
    )
}

/// A message about no file in particular.
pub fn message(text: &str, level: Level) -> String {
    let command = command(level).unwrap_or("notice");
    format!("::{command} title=dbopt::{}\n", data(text))
}

fn command(level: Level) -> Option<&'static str> {
    match level {
        Level::Deny => Some("error"),
        Level::Warn => Some("warning"),
        Level::Allow => None,
    }
}

/// The message part (after `::`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A `key=value` property.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    #[test]
    fn one_command_per_finding() {
        let fixture = fixture::Package::new();
        let findings = fixture.findings();
        insta::assert_snapshot!(package(&findings, Path::new(fixture::ROOT)));
    }

    #[test]
    fn values_are_escaped() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
        let e = ProjectError {
            path: "/ws/blog/diesel.toml".into(),
            message: "invalid `blog/diesel.toml` at line 1, column 5: expected `]`".into(),
        };
        assert_eq!(
            error(&e, Level::Warn, Path::new("/ws")),
            "::warning file=blog/diesel.toml,title=dbopt::invalid `blog/diesel.toml` at line 1, \
             column 5: expected `]`\n"
        );
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
        let text = package(&findings, Path::new(fixture::ROOT));
        assert_eq!(text.lines().count(), diagnostics.len());
    }
}
