//! [`Period`]: a run of whole UTC days, the range every analytics figure is over.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::model::{AnalyticsQuery, CampaignId, Platform};

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period starts on {from}, after it ends on {to}")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("a period covers at most {max} days; {from} to {to} is {days} days")]
    TooLong { from: NaiveDate, to: NaiveDate, days: i64, max: u32 },
    #[error("a period needs at least one day")]
    NoDays,
    #[error("the period is outside the calendar")]
    OutOfRange,
}

/// Days `from` to `to`, both included, in UTC (the days analytics rows are kept by).
///
/// Always valid: `from <= to` and at most [`Period::MAX_DAYS`] long. The fields are
/// private so that no period skips [`Period::new`]; deserializing checks the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "RawPeriod")]
pub struct Period {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    to: NaiveDate,
}

/// The unchecked wire form of a period.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: NaiveDate,
    to: NaiveDate,
}

impl TryFrom<RawPeriod> for Period {
    type Error = PeriodError;

    fn try_from(raw: RawPeriod) -> Result<Self, Self::Error> {
        Self::new(raw.from, raw.to)
    }
}

impl Period {
    /// A leap year: "the last year" always fits, and a query stays bounded.
    pub const MAX_DAYS: u32 = 366;

    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed { from, to });
        }
        let days = (to - from).num_days() + 1;
        if days > i64::from(Self::MAX_DAYS) {
            return Err(PeriodError::TooLong { from, to, days, max: Self::MAX_DAYS });
        }
        Ok(Self { from, to })
    }

    /// Checked by construction: only for ranges this module computes.
    fn of(from: NaiveDate, to: NaiveDate) -> Self {
        debug_assert!(from <= to && (to - from).num_days() < i64::from(Self::MAX_DAYS));
        Self { from, to }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// How many days, 1–366.
    pub fn days(&self) -> u32 {
        u32::try_from((self.to - self.from).num_days() + 1).unwrap_or(Self::MAX_DAYS)
    }

    /// The days in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        self.from.iter_days().take(self.days() as usize)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.from..=self.to).contains(&date)
    }

    /// The same number of days, ending the day before this one starts (what "compared
    /// with the previous period" compares with). Saturates at the calendar's start.
    pub fn previous(&self) -> Self {
        let to = self.from.pred_opt().unwrap_or(NaiveDate::MIN);
        let from = self.from.checked_sub_days(Days::new(self.days().into())).unwrap_or(NaiveDate::MIN);
        Self::of(from, to)
    }

    /// One day.
    pub fn day(date: NaiveDate) -> Self {
        Self::of(date, date)
    }

    /// `n` days ending with `today` (`last_days(today, 7)`: the last week, today
    /// included).
    pub fn last_days(today: NaiveDate, n: u32) -> Result<Self, PeriodError> {
        if n == 0 {
            return Err(PeriodError::NoDays);
        }
        let from = today.checked_sub_days(Days::new((n - 1).into())).ok_or(PeriodError::OutOfRange)?;
        Self::new(from, today)
    }

    /// Monday to `today`.
    pub fn this_week(today: NaiveDate) -> Self {
        let monday = today.week(chrono::Weekday::Mon).first_day();
        Self::of(monday, today)
    }

    /// Monday to Sunday of the week before `today`'s.
    pub fn last_week(today: NaiveDate) -> Self {
        let monday = today.week(chrono::Weekday::Mon).first_day();
        let sunday = monday.pred_opt().unwrap_or(NaiveDate::MIN);
        let from = sunday.checked_sub_days(Days::new(6)).unwrap_or(NaiveDate::MIN);
        Self::of(from, sunday)
    }

    /// The 1st of `today`'s month to `today`.
    pub fn this_month(today: NaiveDate) -> Self {
        Self::of(first_of_month(today), today)
    }

    /// The whole month before `today`'s.
    pub fn last_month(today: NaiveDate) -> Self {
        let last = first_of_month(today).pred_opt().unwrap_or(NaiveDate::MIN);
        Self::of(first_of_month(last), last)
    }

    /// The store query for this period's rows, optionally of one campaign or platform.
    pub fn query(&self, campaign_id: Option<CampaignId>, platform: Option<Platform>) -> AnalyticsQuery {
        AnalyticsQuery { from: self.from, to: self.to, campaign_id, platform }
    }

    /// The store query for this period and the previous one together, the rows
    /// [`super::Comparison::of`] needs.
    pub fn query_with_previous(
        &self,
        campaign_id: Option<CampaignId>,
        platform: Option<Platform>,
    ) -> AnalyticsQuery {
        AnalyticsQuery { from: self.previous().from, to: self.to, campaign_id, platform }
    }
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}
