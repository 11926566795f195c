//! Migration history's baseline (docs/design.md, "History has a baseline"). The rules of the
//! `migrations` group judge a transition (`index_not_concurrent`, `locking_column_change`,
//! `fk_not_valid_missing`, `destructive_change`, `concurrently_in_transaction`): a migration
//! that production ran years ago cannot be changed, so they judge only the migrations after
//! the baseline. Every other rule judges the final schema, whatever the baseline.
//!
//! * `start_after = "<version>"` (config, as strong_migrations' `start_after`): the
//!   migrations whose version sorts after it, in diesel's order (by version string).
//! * `--since <git revision>`: the migrations whose `up.sql` was added since (the CLI asks
//!   git which files; see [`Baseline::Added`]).
//!
//! Without one, [`History::old_findings`] counts the findings a baseline would leave out
//! that sit in migrations older than [`OLD_AFTER_DAYS`] days, so the CLI can say how to set one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::diagnostic::Diagnostic;
use crate::rule::Group;
use crate::source::FileId;
use crate::sql::discover::migrations::version_of;
use crate::sql::{LoadedMigration, Migration};

/// A migration is old, for [`History::old_findings`], when its version's date is more than
/// this many days before today.
pub const OLD_AFTER_DAYS: i64 = 90;

/// Which migrations the transition rules judge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Baseline {
    /// Every migration.
    #[default]
    None,
    /// The migrations whose version sorts after this one (already normalised with
    /// [`normalize_version`]).
    StartAfter(String),
    /// The migrations whose `up.sql` is one of these files: absolute paths, symlinks
    /// resolved (the files a change added, as `--since` finds them).
    Added(Vec<PathBuf>),
}

impl Baseline {
    /// Whether the transition rules judge `m`.
    pub fn judges(&self, m: &Migration) -> bool {
        match self {
            Baseline::None => true,
            Baseline::StartAfter(version) => m.version.as_str() > version.as_str(),
            Baseline::Added(files) => {
                let up_sql = m.dir.join("up.sql");
                let up_sql = up_sql
                    .canonicalize()
                    .unwrap_or_else(|_| crate::files::normalize(&up_sql));
                files.contains(&up_sql)
            }
        }
    }
}

/// What the baseline did to a package's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Without a baseline: the findings of the transition rules in migrations older than
    /// [`OLD_AFTER_DAYS`] days (by the date their version starts with). 0 with a baseline.
    pub old_findings: usize,
    /// The newest migration's version as its folder name writes it (`2024-01-10-090100`),
    /// the value `start_after` would take to judge only the migrations to come.
    pub newest_version: Option<String>,
}

/// Drops the transition rules' findings in migrations `baseline` leaves out and counts,
/// when there is no baseline, those in migrations older than [`OLD_AFTER_DAYS`] days
/// before `today` (days since 1970-01-01).
pub fn apply(
    baseline: &Baseline,
    migrations: &[LoadedMigration],
    diagnostics: &mut Vec<Diagnostic>,
    today: i64,
) -> History {
    let newest_version = migrations
        .iter()
        .max_by(|a, b| a.migration.version.cmp(&b.migration.version))
        .map(|m| written_version(&m.migration.name).to_owned());
    let of_file: HashMap<FileId, &Migration> = migrations
        .iter()
        .map(|m| (m.up_sql, &m.migration))
        .collect();
    let migration_of = |d: &Diagnostic| -> Option<&Migration> {
        let rule = crate::rules::find(d.rule)?;
        if rule.group != Group::Migrations {
            return None;
        }
        of_file.get(&d.primary.span.file).copied()
    };
    if *baseline != Baseline::None {
        let mut judged: HashMap<FileId, bool> = HashMap::new();
        diagnostics.retain(|d| match migration_of(d) {
            Some(m) => *judged
                .entry(d.primary.span.file)
                .or_insert_with(|| baseline.judges(m)),
            None => true,
        });
        return History {
            old_findings: 0,
            newest_version,
        };
    }
    let old_findings = diagnostics
        .iter()
        .filter_map(migration_of)
        .filter(|m| version_date(&m.version).is_some_and(|day| today - day > OLD_AFTER_DAYS))
        .count();
    History {
        old_findings,
        newest_version,
    }
}

/// A version as `start_after` is compared with: diesel's rule (the part before the first
/// `_`, every `-` removed), so `2024-01-10-090100`, `20240110090100` and the whole folder
/// name `2024-01-10-090100_create_users` are the same. `None` unless what is left is
/// ASCII letters and digits.
pub fn normalize_version(written: &str) -> Option<String> {
    let version = version_of(written.trim());
    (!version.is_empty() && version.chars().all(|c| c.is_ascii_alphanumeric())).then_some(version)
}

/// The version part of a folder name as written: before the first `_`.
fn written_version(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}

/// The day (since 1970-01-01) a version starts with, when its first 8 characters are a
/// date `YYYYMMDD` from 1970 on (`20240110090100` -> 2024-01-10). Versions that are not
/// dates (`00000000000000`, `1`, `v2`) have none and are never old.
pub fn version_date(version: &str) -> Option<i64> {
    let digits = version.get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits[range].parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if year < 1970 || day < 1 || day > days_in_month {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Today, in days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(seconds / 86_400).unwrap_or(i64::MAX)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`; a few lines of integer arithmetic, not worth a date crate).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Level;
    use crate::source::{SourceMap, Span};

    #[test]
    fn versions_are_normalised_as_diesel_does() {
        for written in [
            "2024-01-10-090100",
            "20240110090100",
            " 2024-01-10-090100_create_users ",
        ] {
            assert_eq!(
                normalize_version(written).as_deref(),
                Some("20240110090100")
            );
        }
        assert_eq!(normalize_version("").as_deref(), None);
        assert_eq!(normalize_version("_x").as_deref(), None);
        assert_eq!(normalize_version("2024 01 10").as_deref(), None);
        assert_eq!(normalize_version("v2").as_deref(), Some("v2"));
    }

    #[test]
    fn dates_of_versions() {
        assert_eq!(version_date("19700101000000"), Some(0));
        assert_eq!(version_date("19700102"), Some(1));
        assert_eq!(version_date("20000301"), Some(11_017));
        assert_eq!(version_date("20240229123000"), Some(19_782));
        assert_eq!(version_date("20230229123000"), None);
        assert_eq!(version_date("00000000000000"), None);
        assert_eq!(version_date("20241301000000"), None);
        assert_eq!(version_date("2024011"), None);
        assert_eq!(version_date("v2024011012"), None);
        assert_eq!(version_date("2024-01-10"), None); // versions have no `-` left
    }

    fn migration(sources: &mut SourceMap, name: &str) -> LoadedMigration {
        LoadedMigration {
            migration: Migration {
                version: version_of(name),
                name: name.to_owned(),
                dir: PathBuf::from(format!("/nowhere/{name}")),
                run_in_transaction: true,
            },
            up_sql: sources.add(format!("{name}/up.sql"), "SELECT 1;"),
        }
    }

    fn finding(rule: &str, file: FileId) -> Diagnostic {
        let rule = crate::rules::find(rule).expect("a rule");
        let mut d = Diagnostic::new(rule, "m", Span::new(file, 0..1));
        d.level = Level::Warn;
        d
    }

    /// `(rule, file)` of what is left, and the history, for three migrations: 2020-01-01,
    /// 2024-03-01 and 2024-06-01, judged on 2024-06-10.
    fn run(baseline: &Baseline) -> (Vec<(&'static str, usize)>, History) {
        let mut sources = SourceMap::new();
        let migrations = [
            migration(&mut sources, "2020-01-01-000000_a"),
            migration(&mut sources, "20240301000000_b"),
            migration(&mut sources, "2024-06-01-000000_c"),
        ];
        let mut diagnostics = Vec::new();
        for m in &migrations {
            for rule in [
                "index_not_concurrent",
                "fk_without_index",
                "unparsed_statement",
            ] {
                diagnostics.push(finding(rule, m.up_sql));
            }
        }
        let today = version_date("20240610").unwrap();
        let history = apply(baseline, &migrations, &mut diagnostics, today);
        let left = diagnostics
            .iter()
            .map(|d| (d.rule, d.primary.span.file.0 as usize))
            .collect();
        (left, history)
    }

    #[test]
    fn start_after_drops_the_transition_findings_of_older_migrations() {
        let (left, history) = run(&Baseline::StartAfter("20240301000000".to_owned()));
        assert_eq!(
            left,
            vec![
                ("fk_without_index", 0),
                ("unparsed_statement", 0),
                ("fk_without_index", 1),
                ("unparsed_statement", 1),
                ("index_not_concurrent", 2),
                ("fk_without_index", 2),
                ("unparsed_statement", 2),
            ]
        );
        assert_eq!(
            history,
            History {
                old_findings: 0,
                newest_version: Some("2024-06-01-000000".to_owned()),
            }
        );
    }

    #[test]
    fn without_a_baseline_every_finding_stays_and_the_old_ones_are_counted() {
        let (left, history) = run(&Baseline::None);
        assert_eq!(left.len(), 9);
        // 2020-01-01 and 2024-03-01 are more than 90 days before 2024-06-10; 2024-06-01 is not.
        assert_eq!(history.old_findings, 2);
    }

    #[test]
    fn added_files_judge_only_their_migrations() {
        let (left, _) = run(&Baseline::Added(vec![PathBuf::from(
            "/nowhere/20240301000000_b/up.sql",
        )]));
        let transitions: Vec<_> = left
            .iter()
            .filter(|(rule, _)| *rule == "index_not_concurrent")
            .collect();
        assert_eq!(transitions, vec![&("index_not_concurrent", 1)]);
        assert_eq!(left.len(), 7);
    }
}
