//! rustc-style text with code frames (annotate-snippets), for stderr.
//!
//! Messages, labels and paths carry text from the user's files (identifiers, file names),
//! which may hold control characters: a newline in a quoted SQL name could start a stderr
//! line with `::error file=..::` (a GitHub Actions command), a carriage return overwrite a
//! line. They are written escaped (`\n`, `\r`, `\u{1b}`), as `--format github` escapes the
//! same text; the code frames show the source itself, which annotate-snippets makes safe.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level as Title, Renderer, Snippet};
use dbopt_core::config::{LevelSource, RuleLevels};
use dbopt_core::diagnostic::{Diagnostic, Level};
use dbopt_core::project::ProjectError;
use dbopt_core::project::baseline::{History, OLD_AFTER_DAYS};
use dbopt_core::source::{SourceFile, SourceMap};

use super::{PackageFindings, clamp, display_path, file};

/// Renders findings and messages as text; styled text goes through anstream, which strips
/// the styles when colour is off.
#[derive(Debug)]
pub struct Human {
    renderer: Renderer,
    root: PathBuf,
}

impl Human {
    /// `styled`: emit ANSI styles; `root`: paths are shown relative to it.
    pub fn new(styled: bool, root: &Path) -> Self {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        Human {
            renderer: renderer.decor_style(DecorStyle::Ascii),
            root: root.to_path_buf(),
        }
    }

    /// Every finding of a package, then the errors that stopped part of its analysis (as
    /// `error_level`), then its summary line (none when there is no finding).
    pub fn package(
        &self,
        findings: &PackageFindings<'_>,
        errors: &[ProjectError],
        error_level: Level,
    ) -> String {
        let mut out = String::new();
        for d in findings.diagnostics {
            out.push_str(&self.diagnostic(d, findings.sources, findings.levels));
            out.push_str("\n\n");
        }
        for e in errors {
            out.push_str(&self.message(error_level, &e.message));
            out.push('\n');
        }
        if let Some(summary) = self.summary(findings.package, findings.diagnostics) {
            out.push_str(&summary);
            out.push('\n');
        }
        out
    }

    /// One finding: title with the rule, code frames, help, fix and how to silence it.
    pub fn diagnostic(&self, d: &Diagnostic, sources: &SourceMap, levels: &RuleLevels) -> String {
        let title = match d.level {
            Level::Deny => Title::ERROR,
            Level::Warn => Title::WARNING,
            Level::Allow => Title::NOTE,
        };
        let mut group = Group::with_title(title.primary_title(escaped(&d.message)).id(d.rule));

        // One snippet per file, the primary label's file first.
        let labels: Vec<(&dbopt_core::diagnostic::Label, bool)> =
            std::iter::once((&d.primary, true))
                .chain(d.secondary.iter().map(|l| (l, false)))
                .collect();
        let mut files = Vec::new();
        for (label, _) in &labels {
            if !files.contains(&label.span.file) {
                files.push(label.span.file);
            }
        }
        let mut missing = Vec::new();
        for id in files {
            let in_file: Vec<_> = labels.iter().filter(|(l, _)| l.span.file == id).collect();
            let Some(source) = file(sources, id) else {
                missing.extend(in_file.iter().map(|(l, _)| escaped(&l.message)));
                continue;
            };
            let ranges: Vec<Range<usize>> =
                in_file.iter().map(|(l, _)| l.span.range.clone()).collect();
            let window = Window::new(source, &ranges);
            let path = escaped(&display_path(&source.path, &self.root)).into_owned();
            let mut snippet = Snippet::source(window.text)
                .line_start(window.line_start)
                .path(path);
            for (label, primary) in in_file {
                let kind = if *primary {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                let mut annotation = kind.span(window.relative(&label.span.range));
                if !label.message.is_empty() {
                    annotation = annotation.label(escaped(&label.message));
                }
                snippet = snippet.annotation(annotation);
            }
            group = group.element(snippet);
        }
        let mut messages: Vec<(Title<'_>, String)> = Vec::new();
        for label in missing.into_iter().filter(|m| !m.is_empty()) {
            messages.push((Title::NOTE, format!("{label} (source file unavailable)")));
        }
        if let Some(help) = &d.help {
            messages.push((Title::HELP, escaped_lines(help).into_owned()));
        }
        // The fix's code, unless the help line already quotes it.
        if let Some(fix) = &d.fix {
            let sql = fix.sql.trim();
            if !sql.is_empty() && !d.help.as_deref().is_some_and(|h| h.contains(sql)) {
                let title = escaped(&fix.title);
                messages.push((Title::HELP, format!("{title}:\n{}", escaped_lines(sql))));
            }
        }
        messages.push((Title::NOTE, silence_note(d, levels)));
        for (level, text) in messages {
            group = group.element(level.message(text));
        }
        self.renderer.render(&[group])
    }

    /// `error: <sentence>` or `warning: <sentence>`.
    pub fn message(&self, level: Level, text: &str) -> String {
        let title = if level == Level::Deny {
            Title::ERROR
        } else {
            Title::WARNING
        };
        self.renderer
            .render(&[Group::with_title(title.primary_title(escaped(text)))])
    }

    /// cargo-style closing line: `error: 3 problems (2 denied, 1 warning) in package blog`.
    pub fn summary(&self, package: &str, diagnostics: &[Diagnostic]) -> Option<String> {
        let deny = diagnostics
            .iter()
            .filter(|d| d.level == Level::Deny)
            .count();
        let warn = diagnostics
            .iter()
            .filter(|d| d.level == Level::Warn)
            .count();
        if deny + warn == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if deny > 0 {
            parts.push(format!("{deny} denied"));
        }
        if warn > 0 {
            parts.push(format!("{warn} {}", plural(warn, "warning", "warnings")));
        }
        let total = deny + warn;
        let text = format!(
            "{total} {} ({}) in package {package}",
            plural(total, "problem", "problems"),
            parts.join(", ")
        );
        let level = if deny > 0 { Level::Deny } else { Level::Warn };
        Some(self.message(level, &text))
    }

    /// Without a baseline, after a package's summary: how many of its findings are in
    /// migrations older than [`OLD_AFTER_DAYS`] days, and how to judge only newer ones.
    /// `None` when there are none (or a baseline is set).
    pub fn history(&self, history: &History) -> Option<String> {
        let n = history.old_findings;
        if n == 0 {
            return None;
        }
        let version = history.newest_version.as_deref().unwrap_or("<version>");
        let text = format!(
            "{n} {} in migrations older than {OLD_AFTER_DAYS} days; to judge only the \
             migrations to come, set `start_after = \"{version}\"` (the newest migration) in \
             [package.metadata.dbopt], or pass `--since <git revision>` on a pull request",
            plural(n, "finding is", "findings are"),
        );
        Some(
            self.renderer
                .render(&[Group::with_title(Title::NOTE.primary_title(text))]),
        )
    }
}

/// `text` with every control character escaped, newlines too: one line.
pub fn escaped(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `text` with every control character but the newline escaped: the help and fix texts are
/// several lines by design, and the renderer indents each line after the first.
fn escaped_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    // Control characters, and the bidirectional overrides that reorder what a terminal shows.
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.contains(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' if !keep_newlines => out.push_str("\\n"),
            // A CRLF line end is a line end.
            '\r' if keep_newlines && chars.peek() == Some(&'\n') => {}
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Which rule fired, where its level was set and how to silence it.
fn silence_note(d: &Diagnostic, levels: &RuleLevels) -> String {
    let rule = d.rule;
    let found = dbopt_core::rules::find(rule);
    // A code finding whose level is not the configured one got it from the fn's attribute.
    if found.is_some_and(|r| levels.level(r) != d.level) {
        return format!(
            "`{rule}` is set to {} by a `#[db_checked(..)]` attribute; silence it there with \
             `allow({rule})`",
            d.level
        );
    }
    let source = found.map_or(LevelSource::Default, |r| levels.source(r));
    let set = match source {
        LevelSource::Default => format!("`{rule}` is {} by default", d.level),
        LevelSource::Workspace => {
            format!(
                "`{rule}` is set to {} in `[workspace.metadata.dbopt]`",
                d.level
            )
        }
        LevelSource::Package => {
            format!(
                "`{rule}` is set to {} in `[package.metadata.dbopt]`",
                d.level
            )
        }
        LevelSource::CommandLine => format!("`{rule}` is set to {} on the command line", d.level),
    };
    format!("{set}; silence it with `-A {rule}` or `rules.{rule} = \"allow\"`")
}

/// The lines of a file that a set of spans touch, as annotate-snippets takes them: the text
/// (from the start of the first line to the end of the last, a BOM left out), its first line
/// number, and where it starts in the file.
struct Window<'t> {
    text: &'t str,
    offset: usize,
    line_start: usize,
}

impl<'t> Window<'t> {
    fn new(source: &'t SourceFile, ranges: &[Range<usize>]) -> Self {
        let text = source.text.as_str();
        let clamped: Vec<Range<usize>> = ranges.iter().map(|r| clamp(text, r)).collect();
        let first = clamped
            .iter()
            .map(|r| source.line_col(r.start).line)
            .min()
            .unwrap_or(1);
        let last = clamped
            .iter()
            .map(|r| source.line_col(r.end).line)
            .max()
            .unwrap_or(first)
            .max(first);
        let mut start = source.line_range(first).start;
        if start == 0 && text.starts_with('\u{feff}') {
            start = '\u{feff}'.len_utf8();
        }
        let end = source.line_range(last).end.max(start);
        Window {
            text: text.get(start..end).unwrap_or(""),
            offset: start,
            line_start: first,
        }
    }

    /// A file range as a range in the window, clamped into it.
    fn relative(&self, range: &Range<usize>) -> Range<usize> {
        let len = self.text.len();
        let start = range.start.saturating_sub(self.offset).min(len);
        let end = range.end.saturating_sub(self.offset).clamp(start, len);
        clamp(self.text, &(start..end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixture;

    fn plain() -> Human {
        Human::new(false, Path::new(fixture::ROOT))
    }

    #[test]
    fn package_with_deny_and_warn_findings() {
        let fixture = fixture::Package::new();
        let findings = fixture.findings();
        let errors = [ProjectError {
            path: "/ws/blog/diesel.toml".into(),
            message: "cannot read /ws/blog/diesel.toml: permission denied".into(),
        }];
        insta::assert_snapshot!(plain().package(&findings, &errors, Level::Warn));
    }

    #[test]
    fn hostile_spans_are_clamped_not_panics() {
        let sources = fixture::sources();
        let levels = fixture::levels();
        let text: Vec<String> = fixture::hostile()
            .iter()
            .map(|d| plain().diagnostic(d, &sources, &levels))
            .collect();
        insta::assert_snapshot!(text.join("\n\n"));
    }

    #[test]
    fn styled_output_differs_only_by_escapes() {
        let sources = fixture::sources();
        let levels = fixture::levels();
        let root = Path::new(fixture::ROOT);
        for d in fixture::diagnostics() {
            let styled = Human::new(true, root).diagnostic(&d, &sources, &levels);
            assert!(styled.contains("\u{1b}["));
            assert_eq!(
                anstream::adapter::strip_str(&styled).to_string(),
                plain().diagnostic(&d, &sources, &levels)
            );
        }
    }

    #[test]
    fn a_fix_quoted_by_the_help_is_not_repeated() {
        let sources = fixture::sources();
        let levels = fixture::levels();
        let mut d = fixture::diagnostics().remove(0);
        let render = |d: &Diagnostic| plain().diagnostic(d, &sources, &levels);
        let sql = "CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);";
        assert_eq!(render(&d).matches(sql).count(), 1);
        d.help = Some(format!("add an index in a new migration: `{sql}`"));
        assert_eq!(render(&d).matches(sql).count(), 1);
        assert!(!render(&d).contains("create the index without blocking writes"));
    }

    #[test]
    fn summary_lines() {
        let h = plain();
        let d = fixture::diagnostics();
        assert_eq!(
            h.summary("blog", &d).unwrap(),
            "error: 3 problems (2 denied, 1 warning) in package blog"
        );
        assert_eq!(
            h.summary("blog", &d[1..2]).unwrap(),
            "warning: 1 problem (1 warning) in package blog"
        );
        assert_eq!(h.summary("blog", &[]), None);
    }
}

#[cfg(test)]
mod odd_text_tests {
    use super::*;
    use dbopt_core::config::RuleLevels;
    use dbopt_core::diagnostic::{Applicability, Fix};
    use dbopt_core::rules;
    use dbopt_core::source::{FileId, Span};

    fn render(text: &str, range: Range<usize>) -> String {
        let mut sources = SourceMap::new();
        sources.add("m/up.sql", text);
        let rule = rules::find("unparsed_statement").expect("registered");
        let d = Diagnostic::new(rule, "odd text", Span::new(FileId(0), range)).with_label("here");
        Human::new(false, Path::new("/")).diagnostic(&d, &sources, &RuleLevels::default())
    }

    #[test]
    fn tabs_long_lines_and_control_characters_render() {
        let tabbed = "SELECT 1;\n\tCREATE\tINDEX i ON t (c);\n";
        let out = render(tabbed, 11..17);
        assert!(out.contains("--> m/up.sql:2:2"), "{out}");
        let long = format!("CREATE TABLE t ({});", "c INT, ".repeat(800));
        let out = render(&long, 4000..4005);
        assert!(out.contains("--> m/up.sql:1:4001"), "{out}");
        let escape = "-- \u{1b}[31mred\u{1b}[0m\u{7}\nDROP TABLE t;";
        let out = render(escape, 0..escape.len());
        assert!(
            !out.contains('\u{1b}'),
            "escapes in the file must not reach the terminal: {out:?}"
        );
        assert!(!out.contains('\u{7}'), "{out:?}");
    }

    /// Names from the user's files with newlines, carriage returns and escapes: no line of
    /// the output starts with what followed them (issue 19 §9).
    #[test]
    fn control_characters_in_names_and_paths_are_escaped() {
        let mut sources = SourceMap::new();
        let path = "migrations/2024-01-01-000000_a\n::error file=x::b/up.sql";
        let text = "CREATE TABLE \"a\n::error file=y::b\" (id INT);\n";
        sources.add(path, text);
        let rule = rules::find("fk_without_index").expect("registered");
        let d = Diagnostic::new(
            rule,
            "foreign key \"a\n::error file=y::b\"(c) -> \"u\r\u{1b}[2K\u{202e}\" has no index",
            Span::new(FileId(0), 0..12),
        )
        .with_label("`a\n::warning::b` is not covered")
        .with_help("add an index:\n`CREATE INDEX \"a\n::error::\r\" ON a (c)`")
        .with_fix(Fix {
            title: "create\rthe index".into(),
            sql: "CREATE INDEX\r\n  i ON t (c);".into(),
            applicability: Applicability::Safe,
        });
        let human = Human::new(false, Path::new("/"));
        let out = human.diagnostic(&d, &sources, &RuleLevels::default());
        let error = human.message(Level::Deny, "cannot read `src/\n::error file=z::x.rs`");
        let all = format!("{out}\n{error}");
        for line in all.lines() {
            assert!(!line.starts_with("::"), "{line:?} in\n{all}");
        }
        assert!(!all.contains(['\r', '\u{1b}', '\u{202e}']), "{all:?}");
        insta::assert_snapshot!(all);
    }
}
