//! The period a question names: "today", "last week", "the last 30 days", "in
//! November"…

use chrono::{Datelike, NaiveDate};

use crate::ai::leo::period::PeriodSpec;
use crate::ai::leo::words::{any, is, number, phrase};

/// The period a question names, if any.
pub(super) fn period(w: &[String], today: NaiveDate) -> Option<PeriodSpec> {
    for (i, word) in w.iter().enumerate() {
        let (Some(n), Some(unit)) = (number(word), w.get(i + 1)) else { continue };
        let per = if is(unit, "day") || is(unit, "days") {
            1
        } else if is(unit, "week") || is(unit, "weeks") {
            7
        } else if is(unit, "month") || is(unit, "months") {
            30
        } else {
            continue;
        };
        if n > 0 {
            return Some(PeriodSpec::LastDays { days: n.saturating_mul(per).min(366) });
        }
    }
    let year = today.year();
    let spec = if any(w, &["today", "tonight"]) {
        PeriodSpec::Today
    } else if any(w, &["yesterday"]) {
        PeriodSpec::Yesterday
    } else if phrase(w, &["last week", "previous week"]) {
        PeriodSpec::LastWeek
    } else if phrase(w, &["past week"]) {
        PeriodSpec::LastDays { days: 7 }
    } else if phrase(w, &["last month", "previous month"]) {
        PeriodSpec::LastMonth
    } else if phrase(w, &["past month"]) {
        PeriodSpec::LastDays { days: 30 }
    } else if phrase(w, &["this year", "so far this year"]) {
        PeriodSpec::Range { from: NaiveDate::from_ymd_opt(year, 1, 1)?, to: today }
    } else if phrase(w, &["last year"]) {
        PeriodSpec::Range {
            from: NaiveDate::from_ymd_opt(year - 1, 1, 1)?,
            to: NaiveDate::from_ymd_opt(year - 1, 12, 31)?,
        }
    } else if let Some(month) = month_named(w, today) {
        month
    } else if phrase(w, &["this week", "current week"]) || any(w, &["week", "weekly"]) {
        PeriodSpec::ThisWeek
    } else if phrase(w, &["this month", "current month"]) || any(w, &["month", "monthly"]) {
        PeriodSpec::ThisMonth
    } else {
        return None;
    };
    Some(spec)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const SHORT_MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// "in November", "october 2025", "nov": the latest such month that has begun.
fn month_named(w: &[String], today: NaiveDate) -> Option<PeriodSpec> {
    for (i, word) in w.iter().enumerate() {
        // Fuzzy only for the long names: "match" must not be March.
        let full = MONTHS.iter().position(|m| word == m || (m.len() >= 6 && is(word, m)));
        let short = SHORT_MONTHS.iter().position(|m| word == m || (word == "sept" && *m == "sep"));
        let year_after =
            w.get(i + 1).and_then(|next| next.parse::<i32>().ok()).filter(|y| (2000..=2100).contains(y));
        let after_in = i > 0 && w[i - 1] == "in";
        // "may" is a word too: only as a month after "in" or before a year.
        let index = match (full, short) {
            (Some(4), _) | (_, Some(4)) if !after_in && year_after.is_none() => continue,
            (Some(index), _) | (None, Some(index)) => index,
            (None, None) => continue,
        };
        let month = u32::try_from(index + 1).ok()?;
        let year = year_after.unwrap_or(if month <= today.month() { today.year() } else { today.year() - 1 });
        return Some(PeriodSpec::Month { year, month });
    }
    None
}
