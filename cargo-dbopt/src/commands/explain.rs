//! `cargo dbopt explain RULE`: the rule's documentation on stdout, the same text as its
//! generated page `docs/rules/<rule>.md`.

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
    write!(out, "{}", rule.doc_markdown())?;
    Ok(Status::Clean)
}
