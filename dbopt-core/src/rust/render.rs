//! The text of a code finding as rustc shows it (a `compile_error!` or a deprecation note):
//! which rule fired, what and where, the fix, and how to allow it.

use crate::diagnostic::Diagnostic;

/// `rule: message`, then `help: ..` and the two ways to allow the rule.
pub fn rustc_message<S>(d: &Diagnostic<S>) -> String {
    let mut s = format!("{}: {}", d.rule, d.message);
    if let Some(help) = &d.help {
        s.push_str("\nhelp: ");
        s.push_str(help);
    }
    s.push_str(&format!(
        "\nallow with `#[db_checked(allow({0}))]` or `#[dbopt::allow({0})]` on the statement",
        d.rule
    ));
    s
}
