//! `cargo dbopt explain RULE`: the rule's documentation on stdout.

use std::io::Write;

use dbopt_core::config::unknown_rule_message;
use dbopt_core::rules;

use super::Status;
use crate::cli::ExplainArgs;
use crate::error::CliError;

pub fn run(args: &ExplainArgs) -> Result<Status, CliError> {
    let rule =
        rules::find(&args.rule).ok_or_else(|| CliError::Usage(unknown_rule_message(&args.rule)))?;
    let mut out = anstream::stdout().lock();
    write!(out, "{}", text(rule))?;
    Ok(Status::Clean)
}

/// Name and summary, group and default level, then the docs.
pub fn text(rule: &dbopt_core::rule::Rule) -> String {
    format!(
        "{}: {}\ngroup: {}, default level: {}\n\n{}\n",
        rule.name,
        rule.summary,
        rule.group.as_str(),
        rule.default_level,
        rule.docs.trim_end()
    )
}
