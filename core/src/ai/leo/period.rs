//! Which days a question is about, as the owner says it ("this week", "last 30 days",
//! "in November"), and what those days are compared with.
//!
//! A [`PeriodSpec`] stays relative until it is resolved against today's date, so that
//! a conversation kept overnight still means what the owner meant.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde_json::{Map, Value, json};

use crate::analytics::Period;

/// A period as asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodSpec {
    Today,
    Yesterday,
    /// Monday to today.
    #[default]
    ThisWeek,
    /// Monday to Sunday of the week before.
    LastWeek,
    /// The 1st to today.
    ThisMonth,
    /// The whole month before.
    LastMonth,
    /// `days` days ending today.
    LastDays {
        days: u32,
    },
    /// One calendar month (up to today if it is the current one).
    Month {
        year: i32,
        month: u32,
    },
    /// Explicit dates, both included.
    Range {
        from: NaiveDate,
        to: NaiveDate,
    },
}

/// The names the model may use for `period`.
pub(super) const NAMES: [&str; 9] = [
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "last_days",
    "month",
    "range",
];

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A resolved period with the words that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub period: Period,
    /// "this week", "the last 30 days", "November 2026".
    pub label: String,
}

impl PeriodSpec {
    /// The days meant, as of `today`; an error the owner (or the model) can read when
    /// there are none (a month that has not begun, more than a year, reversed dates).
    pub fn resolve(self, today: NaiveDate) -> Result<Named, String> {
        let yesterday = today.pred_opt().unwrap_or(today);
        let (period, label) = match self {
            Self::Today => (Period::day(today), "today".to_owned()),
            Self::Yesterday => (Period::day(yesterday), "yesterday".to_owned()),
            Self::ThisWeek => (Period::this_week(today), "this week".to_owned()),
            Self::LastWeek => (Period::last_week(today), "last week".to_owned()),
            Self::ThisMonth => (Period::this_month(today), "this month".to_owned()),
            Self::LastMonth => {
                let period = Period::last_month(today);
                (period, format!("last month ({})", month_name(period.from())))
            }
            Self::LastDays { days } => {
                let period = Period::last_days(today, days).map_err(|e| e.to_string())?;
                let label = if days == 1 { "today".to_owned() } else { format!("the last {days} days") };
                (period, label)
            }
            Self::Month { year, month } => {
                let first = NaiveDate::from_ymd_opt(year, month, 1)
                    .ok_or_else(|| format!("{year}-{month:02} is not a month"))?;
                if first > today {
                    return Err(format!("{} has not started yet", month_name(first)));
                }
                let last = last_of_month(first).min(today);
                (Period::new(first, last).map_err(|e| e.to_string())?, month_name(first))
            }
            Self::Range { from, to } => {
                let period = Period::new(from, to).map_err(|e| e.to_string())?;
                (period, format!("{from} to {to}"))
            }
        };
        Ok(Named { period, label })
    }

    /// What `current` (this spec resolved) is compared with: the same days a week or a
    /// month earlier for a week or month in progress, the calendar month before a
    /// month, otherwise as many days just before.
    pub fn comparison(self, current: Period) -> Named {
        let days = current.days();
        let shifted = |by: Days| {
            let from = current.from().checked_sub_days(by);
            let to = current.to().checked_sub_days(by);
            from.zip(to).and_then(|(from, to)| Period::new(from, to).ok())
        };
        let named = |period: Period, label: &str| Named { period, label: label.to_owned() };
        let whole_month = current.from().day() == 1 && current.to() == last_of_month(current.to());
        match self {
            Self::Today => named(current.previous(), "yesterday"),
            Self::Yesterday => named(current.previous(), "the day before"),
            Self::ThisWeek if days == 7 => named(current.previous(), "last week"),
            Self::ThisWeek => shifted(Days::new(7)).map_or_else(
                || named(current.previous(), "the days before"),
                |p| named(p, "the same days last week"),
            ),
            Self::LastWeek => named(current.previous(), "the week before"),
            Self::ThisMonth | Self::Month { .. } | Self::LastMonth => {
                let month_before = Period::last_month(current.from());
                if whole_month {
                    return Named { label: month_name(month_before.from()), period: month_before };
                }
                // A month in progress: its days so far against the same days of the
                // month before (as many as that month has).
                let to = current
                    .to()
                    .checked_sub_months(Months::new(1))
                    .map_or(month_before.to(), |to| to.min(month_before.to()));
                Period::new(month_before.from(), to).map_or_else(
                    |_| named(current.previous(), "the days before"),
                    |p| named(p, "the same days last month"),
                )
            }
            Self::LastDays { .. } | Self::Range { .. } => {
                let label =
                    if days == 1 { "the day before".to_owned() } else { format!("the {days} days before") };
                Named { period: current.previous(), label }
            }
        }
    }

    /// The tool arguments that ask for this period.
    pub fn to_arguments(self) -> Map<String, Value> {
        let mut args = Map::new();
        let name = match self {
            Self::Today => "today",
            Self::Yesterday => "yesterday",
            Self::ThisWeek => "this_week",
            Self::LastWeek => "last_week",
            Self::ThisMonth => "this_month",
            Self::LastMonth => "last_month",
            Self::LastDays { days } => {
                args.insert("days".into(), json!(days));
                "last_days"
            }
            Self::Month { year, month } => {
                args.insert("month".into(), json!(format!("{year:04}-{month:02}")));
                "month"
            }
            Self::Range { from, to } => {
                args.insert("from".into(), json!(from.to_string()));
                args.insert("to".into(), json!(to.to_string()));
                "range"
            }
        };
        args.insert("period".into(), json!(name));
        args
    }

    /// Reads `period` (and `days`, `month`, `from`, `to` as it needs) from tool
    /// arguments; no `period` is this week.
    pub fn from_arguments(args: &Map<String, Value>) -> Result<Self, String> {
        let Some(name) = args.get("period").filter(|v| !v.is_null()) else {
            return Ok(Self::default());
        };
        let name = name.as_str().ok_or("`period` must be a string")?;
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "today" => Self::Today,
            "yesterday" => Self::Yesterday,
            "this_week" => Self::ThisWeek,
            "last_week" => Self::LastWeek,
            "this_month" => Self::ThisMonth,
            "last_month" => Self::LastMonth,
            "last_days" => {
                let days =
                    args.get("days").and_then(Value::as_u64).ok_or("`last_days` needs `days`, 1 to 366")?;
                match u32::try_from(days) {
                    Ok(days @ 1..=Period::MAX_DAYS) => Self::LastDays { days },
                    _ => return Err(format!("`days` must be 1 to {}", Period::MAX_DAYS)),
                }
            }
            "month" => {
                let text =
                    args.get("month").and_then(Value::as_str).ok_or("`month` needs `month` as YYYY-MM")?;
                parse_month(text).ok_or_else(|| format!("`month` {text:?} is not YYYY-MM"))?
            }
            "range" => {
                let date = |key: &str| {
                    args.get(key)
                        .and_then(Value::as_str)
                        .and_then(|t| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok())
                        .ok_or_else(|| format!("`range` needs `{key}` as YYYY-MM-DD"))
                };
                Self::Range { from: date("from")?, to: date("to")? }
            }
            other => {
                return Err(format!("unknown period {other:?}; use one of: {}", NAMES.join(", ")));
            }
        })
    }
}

fn parse_month(text: &str) -> Option<PeriodSpec> {
    let (year, month) = text.trim().split_once('-')?;
    let (year, month) = (year.parse().ok()?, month.parse().ok()?);
    NaiveDate::from_ymd_opt(year, month, 1).map(|_| PeriodSpec::Month { year, month })
}

/// "November 2026".
pub(super) fn month_name(date: NaiveDate) -> String {
    let index = usize::try_from(date.month0()).unwrap_or(0);
    format!("{} {}", MONTH_NAMES.get(index).copied().unwrap_or("Month"), date.year())
}

fn last_of_month(date: NaiveDate) -> NaiveDate {
    let first = date.with_day(1).unwrap_or(date);
    first.checked_add_months(Months::new(1)).and_then(|next| next.pred_opt()).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn periods_resolve_against_today() {
        let today = date("2026-11-20"); // a Friday
        let this_week = PeriodSpec::ThisWeek.resolve(today).expect("week");
        assert_eq!((this_week.period.from(), this_week.period.to()), (date("2026-11-16"), today));
        let compared = PeriodSpec::ThisWeek.comparison(this_week.period);
        assert_eq!((compared.period.from(), compared.period.to()), (date("2026-11-09"), date("2026-11-13")));
        let october = PeriodSpec::Month { year: 2026, month: 10 }.resolve(today).expect("october");
        assert_eq!((october.period.from(), october.period.to()), (date("2026-10-01"), date("2026-10-31")));
        let september = PeriodSpec::Month { year: 2026, month: 10 }.comparison(october.period);
        assert_eq!(
            (september.period.from(), september.period.to()),
            (date("2026-09-01"), date("2026-09-30"))
        );
        let this_month = PeriodSpec::ThisMonth.resolve(today).expect("month");
        let before = PeriodSpec::ThisMonth.comparison(this_month.period);
        assert_eq!((before.period.from(), before.period.to()), (date("2026-10-01"), date("2026-10-20")));
        assert!(PeriodSpec::Month { year: 2026, month: 12 }.resolve(today).is_err());
    }

    #[test]
    fn arguments_round_trip() {
        for spec in [
            PeriodSpec::Today,
            PeriodSpec::LastDays { days: 30 },
            PeriodSpec::Month { year: 2026, month: 11 },
            PeriodSpec::Range { from: date("2026-11-01"), to: date("2026-11-10") },
        ] {
            assert_eq!(PeriodSpec::from_arguments(&spec.to_arguments()), Ok(spec));
        }
        let mut bad = Map::new();
        bad.insert("period".into(), json!("fortnight"));
        assert!(PeriodSpec::from_arguments(&bad).is_err());
        bad.insert("period".into(), json!("last_days"));
        bad.insert("days".into(), json!(0));
        assert!(PeriodSpec::from_arguments(&bad).is_err());
    }
}
