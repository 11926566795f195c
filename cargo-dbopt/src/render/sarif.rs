//! `--format sarif`: one SARIF 2.1.0 log on stdout, as code-scanning services read it.
//!
//! A few hand-written serde structs (DESIGN.md §4: serde-sarif would bring a second syn).
//! `tool.driver.rules` lists every registered rule; results point at the finding's file
//! relative to `%SRCROOT%` (the workspace root), with columns counted in Unicode code points
//! (`columnKind`), secondary labels as related locations, and for `fk_without_index` the
//! new migration folder `--fix` would write as a fix.

use std::path::Path;

use dbopt_core::diagnostic::{Diagnostic, Level};
use dbopt_core::project::ProjectError;
use dbopt_core::rule::Rule;
use dbopt_core::rules::RULES;
use dbopt_core::source::{LineCol, Span};
use serde::Serialize;

use super::{PackageFindings, display_path, location};
use crate::fix::NewMigration;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const ROOT_ID: &str = "%SRCROOT%";

#[derive(Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    original_uri_base_ids: serde_json::Value,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Markdown,
    help_uri: String,
    default_configuration: Configuration,
    properties: Properties,
}

#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
struct Markdown {
    text: String,
    markdown: String,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
struct Properties {
    tags: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Debug, Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    properties: ResultProperties,
}

#[derive(Debug, Serialize)]
struct ResultProperties {
    package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

/// Collects the findings and errors of every package into one run.
#[derive(Debug)]
pub struct Sarif {
    root: std::path::PathBuf,
    results: Vec<SarifResult>,
    notifications: Vec<Notification>,
}

impl Sarif {
    /// Paths are written relative to `root` (the workspace root, `%SRCROOT%`).
    pub fn new(root: &Path) -> Self {
        Sarif {
            root: root.to_path_buf(),
            results: Vec::new(),
            notifications: Vec::new(),
        }
    }

    /// Adds a package's findings (allow-level ones are left out); `fixes` are the folders
    /// `--fix` would write for them.
    pub fn add_package(&mut self, findings: &PackageFindings<'_>, fixes: &[NewMigration]) {
        for (i, d) in findings.diagnostics.iter().enumerate() {
            let Some(level) = result_level(d.level) else {
                continue;
            };
            let fixes = fixes
                .iter()
                .filter(|m| m.findings.contains(&i))
                .map(|m| self.fix(d, m))
                .collect();
            let result = SarifResult {
                rule_id: d.rule,
                rule_index: RULES.iter().position(|r| r.name == d.rule).unwrap_or(0),
                level,
                message: Text {
                    text: d.message.clone(),
                },
                locations: vec![self.location(findings, &d.primary.span, None, None)],
                related_locations: d
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(n, l)| {
                        self.location(findings, &l.span, Some(n + 1), Some(l.message.clone()))
                    })
                    .collect(),
                fixes,
                properties: ResultProperties {
                    package: findings.package.to_owned(),
                    help: d.help.clone(),
                },
            };
            self.results.push(result);
        }
    }

    /// An error that stopped part of a package's analysis, as a tool notification.
    pub fn add_error(&mut self, error: &ProjectError, level: Level) {
        let uri = self.uri(&error.path);
        self.notifications.push(Notification {
            level: result_level(level).unwrap_or("note"),
            message: Text {
                text: error.message.clone(),
            },
            locations: vec![Location {
                id: None,
                physical_location: PhysicalLocation {
                    artifact_location: uri,
                    region: None,
                },
                message: None,
            }],
        });
    }

    /// A message about no file in particular, as a tool notification.
    pub fn add_message(&mut self, text: &str, level: Level) {
        self.notifications.push(Notification {
            level: result_level(level).unwrap_or("note"),
            message: Text {
                text: text.to_owned(),
            },
            locations: Vec::new(),
        });
    }

    /// The log; `successful` is false when nothing at all could be analysed.
    pub fn into_json(self, successful: bool) -> String {
        let root_uri = format!("{}/", file_uri(&self.root).trim_end_matches('/'));
        let log = Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: "dbopt",
                        version: env!("CARGO_PKG_VERSION"),
                        information_uri: env!("CARGO_PKG_REPOSITORY"),
                        rules: RULES.iter().map(|r| descriptor(r)).collect(),
                    },
                },
                invocations: vec![Invocation {
                    execution_successful: successful,
                    tool_execution_notifications: self.notifications,
                }],
                original_uri_base_ids: serde_json::json!({ ROOT_ID: { "uri": root_uri } }),
                column_kind: "unicodeCodePoints",
                results: self.results,
            }],
        };
        // Plain structs of strings, numbers and JSON values always serialise.
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    fn location(
        &self,
        findings: &PackageFindings<'_>,
        span: &Span,
        id: Option<usize>,
        message: Option<String>,
    ) -> Location {
        let (path, start, end) = location(findings.sources, span, &self.root);
        Location {
            id,
            physical_location: PhysicalLocation {
                artifact_location: self.uri(Path::new(&path)),
                region: Some(region(start, end)),
            },
            message: message.filter(|m| !m.is_empty()).map(|text| Text { text }),
        }
    }

    /// A new file per [`crate::fix::NewFile`]: its whole text inserted at the start.
    fn fix(&self, d: &Diagnostic, migration: &NewMigration) -> SarifFix {
        let start = LineCol { line: 1, column: 1 };
        SarifFix {
            description: Text {
                text: d.fix.as_ref().map_or_else(
                    || format!("add the migration {}", migration.name),
                    |f| format!("{} in a new migration {}", f.title, migration.name),
                ),
            },
            artifact_changes: migration
                .files
                .iter()
                .map(|f| ArtifactChange {
                    artifact_location: self.uri(&migration.dir.join(f.name)),
                    replacements: vec![Replacement {
                        deleted_region: region(start, start),
                        inserted_content: Text {
                            text: f.text.clone(),
                        },
                    }],
                })
                .collect(),
        }
    }

    /// Relative to `%SRCROOT%` when below the root, else an absolute `file:` URI.
    fn uri(&self, path: &Path) -> ArtifactLocation {
        let shown = display_path(path, &self.root);
        if Path::new(&shown).is_absolute() {
            ArtifactLocation {
                uri: file_uri(Path::new(&shown)),
                uri_base_id: None,
            }
        } else {
            ArtifactLocation {
                uri: percent_encode(&shown),
                uri_base_id: Some(ROOT_ID),
            }
        }
    }
}

fn region(start: LineCol, end: LineCol) -> Region {
    Region {
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

/// SARIF's names for rustc's levels; allow-level findings are not reported.
fn result_level(level: Level) -> Option<&'static str> {
    match level {
        Level::Deny => Some("error"),
        Level::Warn => Some("warning"),
        Level::Allow => None,
    }
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.name,
        name: rule.name,
        short_description: Text {
            text: rule.summary.to_owned(),
        },
        full_description: Text {
            text: one_paragraph(section(rule.docs, "## What it does").unwrap_or(rule.summary)),
        },
        help: Markdown {
            text: rule.docs.trim().to_owned(),
            markdown: rule.docs.trim().to_owned(),
        },
        help_uri: help_uri(rule.name),
        default_configuration: Configuration {
            level: result_level(rule.default_level).unwrap_or("none"),
        },
        properties: Properties {
            tags: vec![rule.group.as_str()],
        },
    }
}

/// Where the generated doc of `rule` lives: `docs/rules/<rule>.md` in the repository.
pub fn help_uri(rule: &str) -> String {
    format!(
        "{}/blob/main/docs/rules/{rule}.md",
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// The body of a `## ` section of the docs.
fn section<'d>(docs: &'d str, heading: &str) -> Option<&'d str> {
    let start = docs.find(heading)? + heading.len();
    let rest = &docs[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// Lines and paragraphs joined by single spaces.
fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn file_uri(path: &Path) -> String {
    let shown = display_path(path, Path::new(""));
    let encoded = percent_encode(&shown);
    if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file:///{encoded}")
    }
}

/// RFC 3986: every byte outside the unreserved set and `/` as `%XX`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
