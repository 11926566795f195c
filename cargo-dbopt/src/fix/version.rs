//! Versions for the migrations `--fix` writes, in diesel_cli 2.x's naming scheme
//! (`YYYY-MM-DD-HHMMSS-0000_name`: `diesel migration generate`'s `%Y-%m-%d-%H%M%S` and a
//! four-hex-digit subversion).
//!
//! The timestamp is not the clock's: it is the newest existing version's plus one second
//! (the second fix plus two, and so on). The result only depends on the migrations folder,
//! so running `--fix` twice on the same tree writes the same names, tests are reproducible,
//! and a new migration always sorts after every existing one, even when the existing names
//! are dated in the future or the machine's clock is wrong.

use std::fmt;

/// A calendar second, `0000-01-01 00:00:00` to `9999-12-31 23:59:59`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

/// diesel's version of a migration folder name: the part before the first `_`, every `-`
/// removed. diesel compares these as strings.
pub fn version_of(folder: &str) -> String {
    folder.split('_').next().unwrap_or(folder).replace('-', "")
}

impl Timestamp {
    /// The first valid timestamp whose diesel version sorts strictly after `version`, or
    /// `None` when no 14-digit timestamp can (the version does not start with a digit run
    /// that a timestamp can follow, or it is past year 9999).
    ///
    /// A version starting with a valid `YYYYMMDDHHMMSS` gives that second plus one; one with
    /// out-of-range fields (`00000000000000`, diesel's initial setup) gives the first valid
    /// second after them.
    pub fn after_version(version: &str) -> Option<Timestamp> {
        let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() < 14 {
            // `1`, `001`, `v2`: not a timestamp, and no date-shaped name is sure to follow it.
            return None;
        }
        let field = |range: std::ops::Range<usize>| digits[range].parse::<u32>().ok();
        let t = Timestamp {
            year: field(0..4)?,
            month: field(4..6)?,
            day: field(6..8)?,
            hour: field(8..10)?,
            minute: field(10..12)?,
            second: field(12..14)?,
        };
        t.next_valid()
    }

    /// The smallest valid timestamp strictly after `self` (whose fields may be out of range).
    fn next_valid(self) -> Option<Timestamp> {
        let Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
        } = self;
        if month == 0 {
            return Some(Timestamp::start_of(year, 1, 1));
        }
        if month > 12 {
            return Timestamp::start_of_year(year + 1);
        }
        if day == 0 {
            return Some(Timestamp::start_of(year, month, 1));
        }
        if day > days_in_month(year, month) {
            return Timestamp::start_of_next_month(year, month);
        }
        if hour > 23 {
            return Timestamp::start_of_next_day(year, month, day);
        }
        if minute > 59 {
            return Timestamp::start_of_next_hour(year, month, day, hour);
        }
        if second >= 59 {
            // 59 -> the next minute; 60-99 are out of range and also carry.
            if minute == 59 {
                return Timestamp::start_of_next_hour(year, month, day, hour);
            }
            return Some(Timestamp {
                minute: minute + 1,
                second: 0,
                ..self
            });
        }
        Some(Timestamp {
            second: second + 1,
            ..self
        })
    }

    /// The next second.
    pub fn succ(self) -> Option<Timestamp> {
        self.next_valid()
    }

    fn start_of(year: u32, month: u32, day: u32) -> Timestamp {
        Timestamp {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
        }
    }

    fn start_of_year(year: u32) -> Option<Timestamp> {
        (year <= 9999).then(|| Timestamp::start_of(year, 1, 1))
    }

    fn start_of_next_month(year: u32, month: u32) -> Option<Timestamp> {
        if month >= 12 {
            Timestamp::start_of_year(year + 1)
        } else {
            Some(Timestamp::start_of(year, month + 1, 1))
        }
    }

    fn start_of_next_day(year: u32, month: u32, day: u32) -> Option<Timestamp> {
        if day >= days_in_month(year, month) {
            Timestamp::start_of_next_month(year, month)
        } else {
            Some(Timestamp::start_of(year, month, day + 1))
        }
    }

    fn start_of_next_hour(year: u32, month: u32, day: u32, hour: u32) -> Option<Timestamp> {
        if hour >= 23 {
            Timestamp::start_of_next_day(year, month, day)
        } else {
            Some(Timestamp {
                hour: hour + 1,
                ..Timestamp::start_of(year, month, day)
            })
        }
    }
}

/// diesel_cli's folder prefix: `YYYY-MM-DD-HHMMSS-0000`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}-{:02}{:02}{:02}-0000",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(version: &str) -> Option<String> {
        Timestamp::after_version(version).map(|t| t.to_string())
    }

    #[test]
    fn diesel_versions_of_every_naming_scheme() {
        assert_eq!(
            version_of("2026-06-17-094708-0000_add_counters"),
            "202606170947080000"
        );
        assert_eq!(version_of("20170102131034_create_users"), "20170102131034");
        assert_eq!(version_of("2017-08-31-230457_x_y"), "20170831230457");
        assert_eq!(
            version_of("00000000000000_diesel_initial_setup"),
            "00000000000000"
        );
    }

    #[test]
    fn one_second_after_the_newest() {
        assert_eq!(
            after("202606170947080000").as_deref(),
            Some("2026-06-17-094709-0000")
        );
        assert_eq!(
            after("20170102131034").as_deref(),
            Some("2017-01-02-131035-0000")
        );
        // A subversion other than 0000 is still after: the seconds decide.
        assert_eq!(
            after("20260617094708ffff").as_deref(),
            Some("2026-06-17-094709-0000")
        );
    }

    #[test]
    fn carries_through_minutes_hours_days_months_and_leap_years() {
        assert_eq!(
            after("20241231235959").as_deref(),
            Some("2025-01-01-000000-0000")
        );
        assert_eq!(
            after("20240228235959").as_deref(),
            Some("2024-02-29-000000-0000")
        );
        assert_eq!(
            after("20230228235959").as_deref(),
            Some("2023-03-01-000000-0000")
        );
        assert_eq!(
            after("21000228235959").as_deref(),
            Some("2100-03-01-000000-0000")
        );
        assert_eq!(
            after("20000228235959").as_deref(),
            Some("2000-02-29-000000-0000")
        );
        assert_eq!(
            after("20240430125959").as_deref(),
            Some("2024-04-30-130000-0000")
        );
        assert_eq!(
            after("20240430235959").as_deref(),
            Some("2024-05-01-000000-0000")
        );
    }

    #[test]
    fn out_of_range_fields_give_the_next_valid_second() {
        assert_eq!(
            after("00000000000000").as_deref(),
            Some("0000-01-01-000000-0000")
        );
        assert_eq!(
            after("20241300000000").as_deref(),
            Some("2025-01-01-000000-0000")
        );
        assert_eq!(
            after("20240231000000").as_deref(),
            Some("2024-03-01-000000-0000")
        );
        assert_eq!(
            after("20240101250000").as_deref(),
            Some("2024-01-02-000000-0000")
        );
        assert_eq!(
            after("20240101106000").as_deref(),
            Some("2024-01-01-110000-0000")
        );
        assert_eq!(
            after("20240101105960").as_deref(),
            Some("2024-01-01-110000-0000")
        );
        assert_eq!(after("99991231235959"), None);
    }

    #[test]
    fn versions_that_no_timestamp_can_follow() {
        assert_eq!(after("1"), None);
        assert_eq!(after("abc"), None);
        assert_eq!(after(""), None);
    }

    #[test]
    fn the_result_always_sorts_after_the_input() {
        for v in [
            "00000000000000",
            "20241300000000",
            "20240101105960",
            "20240228235959",
            "202606170947080000",
            "2026061709470899",
        ] {
            let next = Timestamp::after_version(v).unwrap().to_string();
            assert!(version_of(&next).as_str() > v, "{next} after {v}");
        }
    }
}
