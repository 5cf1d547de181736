//! The arithmetic of the owner's numbers: totals, rates and comparisons over a
//! [`Period`], and the same rows by day, by hour and by campaign, with CSV exports.
//!
//! Nothing here reads the store: callers fetch the rows with
//! `Store::analytics(tenant, &period.query(campaign, platform))` (or
//! [`Period::query_with_previous`] for a [`Comparison`]) and pass them in. Every
//! function looks only at the rows whose date is inside the period it is given, so one
//! fetch can serve several figures. Days are UTC days, the days rows are kept by.

mod breakdown;
mod csv;
mod period;
mod summary;

pub use breakdown::{BestAndWorst, CampaignLine, DailyPoint, best_and_worst, by_campaign, daily, hourly};
pub use csv::{CAMPAIGNS_HEADER, DAILY_HEADER, campaigns_csv, daily_csv};
pub use period::{Period, PeriodError};
pub use summary::{Comparison, Metric, Summary};

use crate::model::AnalyticsDay;

/// The rows dated inside `period`.
fn rows_in(rows: &[AnalyticsDay], period: Period) -> impl Iterator<Item = &AnalyticsDay> {
    rows.iter().filter(move |row| period.contains(row.date))
}

/// `numerator / denominator`, `None` when the denominator is 0. Not rounded.
#[allow(clippy::cast_precision_loss)] // counters stay far below 2^53, where i64 → f64 is exact
fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}
