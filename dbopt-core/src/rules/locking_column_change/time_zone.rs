//! The session time zone a migration sets before it changes a column between `timestamp`
//! and `timestamptz`. PostgreSQL 12+ makes that change without rewriting the table when the
//! session's time zone is UTC (a zone with a fixed offset of zero; `TimestampTimestampTzRequiresRewrite`),
//! so `SET [LOCAL] timezone = 'UTC'` (or `SET TIME ZONE 'UTC'`) earlier in the same
//! migration turns the rewrite off.
//!
//! Only what the migration itself sets counts: the server's default time zone is unknown
//! here, and a `SET` in an earlier migration need not run on the same connection (each
//! deploy runs only the pending migrations). `RESET`, `DEFAULT` and `LOCAL` go back to that
//! unknown default.

use sqlparser::ast::{Expr, ObjectName, Reset, Set, Statement, UnaryOperator, Value};

use crate::sql::StatementRecord;

use super::super::migration::parsed;

/// Zone names PostgreSQL resolves to a fixed offset of zero, lower case. Each was checked on
/// PostgreSQL 15 (`tests/tests/migration_rules_pg.rs` keeps a sample honest): the table's
/// file node stays the same across the change. Zones that are at zero today but were not
/// always (`Europe/London`, `Iceland`, `Africa/Abidjan`) still rewrite.
const UTC_NAMES: &[&str] = &[
    "etc/gmt",
    "etc/gmt+0",
    "etc/gmt-0",
    "etc/gmt0",
    "etc/greenwich",
    "etc/uct",
    "etc/universal",
    "etc/utc",
    "etc/zulu",
    "gmt",
    "gmt+0",
    "gmt-0",
    "gmt0",
    "greenwich",
    "uct",
    "universal",
    "utc",
    "zulu",
];

/// Whether the session time zone is known to be UTC at a statement, as the statements of
/// its migration before it left it. Fed every statement in replay order.
#[derive(Debug, Default)]
pub(super) struct SessionTimeZone {
    /// The migration of the statements seen last.
    migration: Option<usize>,
    utc: bool,
}

impl SessionTimeZone {
    /// Follows `record`: a new migration starts with the server's (unknown) zone; `SET`
    /// and `RESET` of the time zone change it.
    pub(super) fn track(&mut self, record: &StatementRecord) {
        if self.migration != Some(record.migration) {
            self.migration = Some(record.migration);
            self.utc = false;
        }
        match parsed(record) {
            Some(Statement::Set(Set::SetTimeZone { value, .. })) => self.utc = is_utc(value),
            Some(Statement::Set(Set::SingleAssignment {
                variable, values, ..
            })) if is_time_zone(variable) => {
                self.utc = matches!(values.as_slice(), [value] if is_utc(value));
            }
            Some(Statement::Set(Set::MultipleAssignments { assignments })) => {
                for a in assignments.iter().filter(|a| is_time_zone(&a.name)) {
                    self.utc = is_utc(&a.value);
                }
            }
            Some(Statement::Reset(r)) => match &r.reset {
                Reset::ALL => self.utc = false,
                Reset::ConfigurationParameter(name) if is_time_zone(name) => self.utc = false,
                _ => {}
            },
            _ => {}
        }
    }

    /// Whether the statement last tracked runs with the session time zone set to UTC.
    pub(super) fn utc(&self) -> bool {
        self.utc
    }
}

/// `timezone` (any case, quoted or not: PostgreSQL's setting names ignore case).
fn is_time_zone(name: &ObjectName) -> bool {
    matches!(name.0.as_slice(), [part] if part.to_string().trim_matches('"').eq_ignore_ascii_case("timezone"))
}

/// Whether a time zone value is a fixed offset of zero: a name of [`UTC_NAMES`] (quoted or
/// not), the number `0`, an offset such as `'+00:00'`, or `INTERVAL '00:00' HOUR TO MINUTE`.
fn is_utc(value: &Expr) -> bool {
    match value {
        Expr::Identifier(i) => UTC_NAMES.contains(&i.value.to_ascii_lowercase().as_str()),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => {
                UTC_NAMES.contains(&s.to_ascii_lowercase().as_str()) || zero_offset(s)
            }
            Value::Number(n, _) => zero_offset(n),
            _ => false,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Plus | UnaryOperator::Minus,
            expr,
        } => {
            matches!(&**expr, Expr::Value(v) if matches!(&v.value, Value::Number(n, _) if zero_offset(n)))
        }
        Expr::Interval(i) => matches!(&*i.value, Expr::Value(v)
            if matches!(&v.value, Value::SingleQuotedString(s) if zero_offset(s))),
        _ => false,
    }
}

/// `0`, `0.0`, `+00:00`, `-00`: an offset of zero written with digits.
fn zero_offset(s: &str) -> bool {
    let digits = s.trim().trim_start_matches(['+', '-']);
    !digits.is_empty()
        && digits.chars().any(|c| c == '0')
        && digits.chars().all(|c| matches!(c, '0' | ':' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Backend;

    /// Whether the zone is UTC after `sql` (one migration's statements).
    fn utc_after(sql: &str) -> bool {
        let mut tz = SessionTimeZone::default();
        let mut sources = crate::source::SourceMap::new();
        let file = sources.add("1_m/up.sql", sql);
        for statement in crate::sql::split::split(sql, Backend::Postgres) {
            tz.track(&StatementRecord {
                migration: 0,
                span: crate::source::Span::new(file, statement.range.clone()),
                statement,
                targets: Vec::new(),
            });
        }
        tz.utc()
    }

    #[test]
    fn the_forms_that_set_utc() {
        for sql in [
            "SET timezone = 'UTC';",
            "SET timezone TO 'utc';",
            "SET LOCAL timezone = 'UTC';",
            "SET SESSION timezone = 'Etc/UTC';",
            "SET \"TimeZone\" = 'GMT';",
            "SET TimeZone = utc;",
            "SET TIME ZONE 'UTC';",
            "SET LOCAL TIME ZONE 'Zulu';",
            "SET TIME ZONE UTC;",
            "SET TIME ZONE 0;",
            "SET TIME ZONE '+00:00';",
            "SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE;",
            "SET timezone = 'Europe/Paris'; SET timezone = 'UTC';",
        ] {
            assert!(utc_after(sql), "{sql}");
        }
    }

    #[test]
    fn the_forms_that_do_not() {
        for sql in [
            "",
            "SET search_path = 'UTC';",
            "SET timezone = 'Europe/London';",
            "SET timezone = 'America/New_York';",
            "SET TIME ZONE 'Iceland';",
            "SET TIME ZONE 1;",
            "SET TIME ZONE '+01:00';",
            "SET TIME ZONE LOCAL;",
            "SET TIME ZONE DEFAULT;",
            "SET timezone = DEFAULT;",
            "SET timezone = 'localtime';",
            "SET timezone = 'UTC'; RESET timezone;",
            "SET timezone = 'UTC'; RESET ALL;",
            "SET timezone = 'UTC'; SET TIME ZONE 'Europe/Paris';",
            "SET timezone = 'UTC', 'x';",
        ] {
            assert!(!utc_after(sql), "{sql}");
        }
    }
}
