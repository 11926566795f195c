//! The rule registry: one sorted slice, the only place a rule is registered.

use crate::rule::Rule;

mod concurrently_in_transaction;
mod connection_in_loop;
mod destructive_change;
mod fk_not_valid_missing;
mod fk_without_index;
mod index_not_concurrent;
mod io_in_transaction;
mod joinable_without_fk;
pub(crate) mod lock_order;
mod locking_column_change;
mod migration;
pub(crate) mod n_plus_one;
mod pool_misconfigured;
mod query_budget;
mod redundant_index;
mod schema_drift;
#[cfg(test)]
mod test_support;
mod unbounded_load;
mod unparsed_statement;
pub(crate) mod unused_suppression;
mod write_in_read_only;
pub(crate) mod write_outside_transaction;

/// Every rule, sorted by name (a test keeps it so).
pub static RULES: &[&Rule] = &[
    &concurrently_in_transaction::RULE,
    &connection_in_loop::RULE,
    &destructive_change::RULE,
    &fk_not_valid_missing::RULE,
    &fk_without_index::RULE,
    &index_not_concurrent::RULE,
    &io_in_transaction::RULE,
    &joinable_without_fk::RULE,
    &lock_order::RULE,
    &locking_column_change::RULE,
    &n_plus_one::RULE,
    &pool_misconfigured::RULE,
    &query_budget::RULE,
    &redundant_index::RULE,
    &schema_drift::RULE,
    &unbounded_load::RULE,
    &unparsed_statement::RULE,
    &unused_suppression::RULE,
    &write_in_read_only::RULE,
    &write_outside_transaction::RULE,
];

/// The rule with this name.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::DOC_SECTIONS;

    #[test]
    fn registry_is_sorted_and_unique() {
        for pair in RULES.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "RULES must be sorted and unique: `{}` before `{}`",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn names_are_snake_case_without_prescriptive_prefixes() {
        for rule in RULES {
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                rule.name
            );
            for prefix in ["ban_", "require_", "prefer_", "no_"] {
                assert!(!rule.name.starts_with(prefix), "{}", rule.name);
            }
        }
    }

    #[test]
    fn docs_have_every_section_in_order() {
        for rule in RULES {
            let mut at = 0;
            for section in DOC_SECTIONS {
                let found = rule.docs[at..].find(section).unwrap_or_else(|| {
                    panic!("docs of `{}` lack `{section}` (in order)", rule.name)
                });
                at += found + section.len();
            }
            assert!(!rule.summary.is_empty() && !rule.summary.ends_with('.'));
            assert_eq!(
                rule.summary,
                rule.summary.to_lowercase(),
                "summary of `{}` must be lowercase",
                rule.name
            );
        }
    }
}
