//! The rule type. Every rule is one `static RULE: Rule` in its own file under `rules/`,
//! registered once in [`crate::rules::RULES`].

use crate::diagnostic::{Level, Reporter};

/// What a rule is about; shown by `cargo dbopt rules` and used for grouping in the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Query patterns that cost round trips or scans (N+1, unbounded loads, missing indexes).
    Performance,
    /// Transaction and locking mistakes in code.
    Transactions,
    /// Migrations that lock, rewrite or break tables in production.
    Migrations,
    /// schema.rs and the migrations disagreeing.
    Schema,
    /// Input dbopt could not fully read.
    Tooling,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Performance => "performance",
            Group::Transactions => "transactions",
            Group::Migrations => "migrations",
            Group::Schema => "schema",
            Group::Tooling => "tooling",
        }
    }
}

/// Which input a rule checks, and its check function. A check only reports: it does no I/O
/// and returns no error; the engine decides whether the rule runs and at which level.
#[derive(Clone, Copy)]
pub enum Check {
    /// Runs once per analysed project over the replayed migrations and schema.rs files.
    Schema(fn(&crate::sql::SchemaContext<'_>, &mut Reporter)),
    /// Runs once per analysed fn over its model (`#[db_checked]` and `cargo dbopt`'s scan).
    Code(fn(&crate::rust::CodeContext<'_>, &mut Reporter<proc_macro2::Span>)),
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Schema(_) => f.write_str("Check::Schema"),
            Check::Code(_) => f.write_str("Check::Code"),
        }
    }
}

/// A rule: its name (snake_case, says the bad pattern), group, default level, docs (markdown
/// with the fixed sections, see CONTRIBUTING.md) and check.
#[derive(Debug)]
pub struct Rule {
    pub name: &'static str,
    pub group: Group,
    pub default_level: Level,
    /// One line, lowercase, used by `cargo dbopt rules` and SARIF's short description.
    pub summary: &'static str,
    /// Markdown with the sections `## What it does`, `## Why is this bad`, `## Example`,
    /// `## Use instead`, `## Configuration`, `## Known limitations`.
    pub docs: &'static str,
    pub check: Check,
}

/// The sections every rule's docs must have, in this order.
pub const DOC_SECTIONS: [&str; 6] = [
    "## What it does",
    "## Why is this bad",
    "## Example",
    "## Use instead",
    "## Configuration",
    "## Known limitations",
];

impl Rule {
    /// The rule's page: its name, summary, group and default level, then its docs. This is
    /// `docs/rules/<rule>.md` (written by `cargo xtask docs`) and what `cargo dbopt explain`
    /// prints, byte for byte.
    pub fn doc_markdown(&self) -> String {
        format!(
            "# {}\n\n{}\n\n- group: `{}`\n- default level: `{}`\n\n{}\n",
            self.name,
            self.summary,
            self.group.as_str(),
            self.default_level,
            self.docs.trim()
        )
    }
}
