//! Rendering of findings at the edge: rustc-style text ([`human`]), JSON ([`json`]),
//! SARIF 2.1.0 ([`sarif`]) and GitHub workflow commands ([`github`]). All take spans as
//! untrusted: a span past the end of its file, inside a multibyte character, reversed, or in
//! a file the map does not hold is clamped, never a panic.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::ops::Range;
use std::path::{Component, Path};

use dbopt_core::source::{FileId, LineCol, SourceFile, SourceMap, Span};

/// The findings of one package, as the renderers take them.
#[derive(Debug, Clone, Copy)]
pub struct PackageFindings<'a> {
    pub package: &'a str,
    pub sources: &'a SourceMap,
    pub diagnostics: &'a [dbopt_core::diagnostic::Diagnostic],
    pub levels: &'a dbopt_core::config::RuleLevels,
}

/// The file of `id`, or `None` when the map does not hold it.
pub fn file(sources: &SourceMap, id: FileId) -> Option<&SourceFile> {
    sources.try_get(id)
}

/// Where a span is, as machine formats give it: the path relative to `root` (empty when the
/// map does not hold the file), and 1-based start and end line and column (characters).
pub fn location(sources: &SourceMap, span: &Span, root: &Path) -> (String, LineCol, LineCol) {
    match file(sources, span.file) {
        Some(source) => {
            let range = clamp(&source.text, &span.range);
            (
                display_path(&source.path, root),
                source.line_col(range.start),
                source.line_col(range.end),
            )
        }
        None => {
            let unknown = LineCol { line: 1, column: 1 };
            (String::new(), unknown, unknown)
        }
    }
}

/// `range` clamped into `text`, on character boundaries, never reversed; an empty or
/// reversed range becomes an empty one at its start.
pub fn clamp(text: &str, range: &Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    if range.end <= range.start {
        return start..start;
    }
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// `path` relative to `root` when it lies below it, with `/` separators on every platform.
pub fn display_path(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for component in rel.components() {
        match component {
            Component::RootDir => out.push('/'),
            Component::Prefix(p) => out.push_str(&p.as_os_str().to_string_lossy()),
            Component::CurDir => {}
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_never_splits_characters() {
        let text = "aé";
        assert_eq!(clamp(text, &(2..2)), 1..1);
        assert_eq!(clamp(text, &(0..2)), 0..3);
        assert_eq!(clamp(text, &Range { start: 9, end: 1 }), 3..3);
        assert_eq!(clamp(text, &Range { start: 2, end: 1 }), 1..1);
        assert_eq!(clamp(text, &(2..3)), 1..3);
        assert_eq!(clamp("", &(0..5)), 0..0);
    }

    #[test]
    fn paths_are_relative_with_slashes() {
        assert_eq!(
            display_path(Path::new("/ws/blog/migrations/up.sql"), Path::new("/ws")),
            "blog/migrations/up.sql"
        );
        assert_eq!(
            display_path(Path::new("/elsewhere/x.sql"), Path::new("/ws")),
            "/elsewhere/x.sql"
        );
        assert_eq!(
            display_path(Path::new("./a/b.sql"), Path::new("/ws")),
            "a/b.sql"
        );
    }
}

/// Hand-built findings over a hand-built source map, shared by the renderers' tests.
#[cfg(test)]
pub(crate) mod fixture {
    use dbopt_core::config::{Config, RuleLevels, resolve};
    use dbopt_core::diagnostic::{Applicability, Diagnostic, Fix, Level};
    use dbopt_core::rules;
    use dbopt_core::source::{FileId, SourceMap, Span};
    use serde_json::json;
    use std::ops::Range;

    /// BOM, CRLF line ends and non-ASCII text before the spans.
    pub const POSTS: &str = "\u{feff}-- posts by café owners\r\nCREATE TABLE posts (\r\n    id SERIAL PRIMARY KEY,\r\n    título TEXT NOT NULL,\r\n    user_id INTEGER NOT NULL REFERENCES users (id)\r\n);\r\n";
    /// No newline at the end.
    pub const USERS: &str = "CREATE TABLE users (\n    id SERIAL PRIMARY KEY\n);";

    /// The fixture's sources, findings and levels, owned, for package `blog`.
    pub struct Package {
        pub sources: SourceMap,
        pub diagnostics: Vec<Diagnostic>,
        pub levels: RuleLevels,
    }

    impl Package {
        pub fn new() -> Self {
            Package {
                sources: sources(),
                diagnostics: diagnostics(),
                levels: levels(),
            }
        }

        pub fn findings(&self) -> super::PackageFindings<'_> {
            super::PackageFindings {
                package: "blog",
                sources: &self.sources,
                diagnostics: &self.diagnostics,
                levels: &self.levels,
            }
        }
    }

    pub fn sources() -> SourceMap {
        let mut map = SourceMap::new();
        map.add("migrations/2024-01-02-000000_create_posts/up.sql", POSTS);
        map.add(
            "/ws/migrations/2024-01-01-000000_create_users/up.sql",
            USERS,
        );
        map
    }

    fn span(file: u32, text: &str, needle: &str) -> Span {
        let start = text.find(needle).expect("needle in fixture");
        Span::new(FileId(file), start..start + needle.len())
    }

    /// Defaults, except `joinable_without_fk`, denied by the package.
    pub fn levels() -> RuleLevels {
        let package = Config {
            rules: vec![("joinable_without_fk", Level::Deny)],
            ..Config::default()
        };
        resolve(&Config::default(), Some(&package), &Config::default(), &[]).levels
    }

    pub fn diagnostics() -> Vec<Diagnostic> {
        let fk = rules::find("fk_without_index").expect("registered");
        let unparsed = rules::find("unparsed_statement").expect("registered");
        let joinable = rules::find("joinable_without_fk").expect("registered");
        let text_type = POSTS.find("TEXT").expect("in fixture");
        vec![
            Diagnostic::new(
                fk,
                "foreign key posts(user_id) -> users has no index",
                span(0, POSTS, "user_id INTEGER NOT NULL REFERENCES users (id)"),
            )
            .with_label("no index covers `user_id`")
            .with_secondary(span(1, USERS, "CREATE TABLE users"), "`users` created here")
            .with_help("add an index on posts(user_id) in a new migration")
            .with_fix(Fix {
                title: "create the index without blocking writes".into(),
                sql: "CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);\n".into(),
                applicability: Applicability::Safe,
            })
            .with_data(json!({"table": "posts", "columns": ["user_id"],
                              "referenced_table": "users", "referenced_columns": ["id"]})),
            Diagnostic::new(
                unparsed,
                "statement not parsed",
                Span::new(FileId(0), text_type..text_type),
            )
            .with_label("zero-length span after multibyte text"),
            Diagnostic {
                level: Level::Deny,
                ..Diagnostic::new(
                    joinable,
                    "joinable!(posts -> users) has no foreign key",
                    Span::new(FileId(1), USERS.len()..USERS.len()),
                )
                .with_label("end of file")
            },
        ]
    }

    /// Spans no real finding has: reversed, past the end, inside a character, unknown file.
    pub fn hostile() -> Vec<Diagnostic> {
        let rule = rules::find("unparsed_statement").expect("registered");
        let e_acute = POSTS.find('é').expect("in fixture");
        [
            Span::new(FileId(0), Range { start: 50, end: 10 }),
            Span::new(FileId(0), 10_000..20_000),
            Span::new(FileId(0), e_acute + 1..e_acute + 1),
            Span::new(FileId(0), 0..1),
            Span::new(FileId(1), 3..usize::MAX),
            Span::new(FileId(9), 0..4),
        ]
        .into_iter()
        .map(|s| {
            Diagnostic::new(rule, "hostile span", s.clone())
                .with_label("here")
                .with_secondary(
                    Span::new(
                        FileId(1),
                        Range {
                            start: usize::MAX - 1,
                            end: 0,
                        },
                    ),
                    "and here",
                )
        })
        .collect()
    }

    pub const ROOT: &str = "/ws";
}
