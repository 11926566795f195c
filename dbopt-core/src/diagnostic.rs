//! Findings as plain data. Rendering happens at the edges: the proc macro turns a
//! [`Diagnostic`] into `syn::Error`s / deprecation warnings, the CLI into rustc-style text,
//! JSON or SARIF.
//!
//! The span type is a parameter: schema rules point into files ([`crate::source::Span`]),
//! code rules point at tokens (`proc_macro2::Span`).

use std::fmt;
use std::str::FromStr;

use crate::source::Span;

/// How seriously a finding is taken, with rustc's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Allow, Level::Warn, Level::Deny];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`Level::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level `{0}`; expected one of: allow, warn, deny")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(Level::Allow),
            "warn" => Ok(Level::Warn),
            "deny" => Ok(Level::Deny),
            other => Err(UnknownLevel(other.to_owned())),
        }
    }
}

/// A span with a message; the primary label says what is wrong, secondary labels give
/// context (e.g. "table created here" in another migration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label<S = Span> {
    pub span: S,
    pub message: String,
}

impl<S> Label<S> {
    pub fn new(span: S, message: impl Into<String>) -> Self {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// How safe it is to apply a [`Fix`] without reading it (ruff's applicability).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    /// Applying it cannot change behaviour (e.g. adding an index).
    Safe,
    /// Correct in most cases; a human should look.
    Unsafe,
    /// Shown only, never applied.
    DisplayOnly,
}

/// A concrete change that resolves the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// One line, e.g. "add an index on posts(user_id)".
    pub title: String,
    /// SQL for a new migration (schema rules) or replacement code (code rules).
    pub sql: String,
    pub applicability: Applicability,
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic<S = Span> {
    /// The rule's name, e.g. `fk_without_index`.
    pub rule: &'static str,
    /// The effective level, decided by the engine (rule default, then configuration).
    pub level: Level,
    /// A short lowercase phrase, no trailing period.
    pub message: String,
    pub primary: Label<S>,
    pub secondary: Vec<Label<S>>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Rule-specific structured data for machine output (a JSON object).
    pub data: serde_json::Value,
    /// The most this finding may be, whatever the rule's level (`n_plus_one` over a fixed,
    /// small collection is at most a warning): the engine takes the lower of the two.
    pub cap: Option<Level>,
}

impl<S> Diagnostic<S> {
    /// A finding at the rule's default level; the engine overrides the level.
    pub fn new(rule: &crate::rule::Rule, message: impl Into<String>, span: S) -> Self {
        Diagnostic {
            rule: rule.name,
            level: rule.default_level,
            message: message.into(),
            primary: Label::new(span, ""),
            secondary: Vec::new(),
            help: None,
            fix: None,
            data: serde_json::Value::Null,
            cap: None,
        }
    }

    /// Caps the level the engine may give this finding.
    pub fn with_cap(mut self, cap: Level) -> Self {
        self.cap = Some(cap);
        self
    }

    /// `level` lowered to this finding's cap, if it has one.
    pub fn capped(&self, level: Level) -> Level {
        self.cap.map_or(level, |c| level.min(c))
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: S, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = data;
        self
    }

    /// The same finding with every span converted (e.g. token span -> file span).
    pub fn map_span<T>(self, mut f: impl FnMut(S) -> T) -> Diagnostic<T> {
        Diagnostic {
            rule: self.rule,
            level: self.level,
            message: self.message,
            primary: Label::new(f(self.primary.span), self.primary.message),
            secondary: self
                .secondary
                .into_iter()
                .map(|l| Label::new(f(l.span), l.message))
                .collect(),
            help: self.help,
            fix: self.fix,
            data: self.data,
            cap: self.cap,
        }
    }
}

/// Collects the findings of one check. Checks only report; the engine decides levels.
#[derive(Debug)]
pub struct Reporter<S = Span> {
    diagnostics: Vec<Diagnostic<S>>,
}

impl<S> Default for Reporter<S> {
    fn default() -> Self {
        Reporter {
            diagnostics: Vec::new(),
        }
    }
}

impl<S> Reporter<S> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn report(&mut self, diagnostic: Diagnostic<S>) {
        self.diagnostics.push(diagnostic);
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic<S>> {
        self.diagnostics
    }
}
