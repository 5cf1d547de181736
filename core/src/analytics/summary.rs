//! The totals and rates of a period, and how they changed from the period before.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Period, ratio, rows_in};
use crate::model::{AnalyticsDay, Metrics};

/// A period's totals and the rates the owner asks about.
///
/// Rates are plain quotients (0.25 is 25 %), not rounded: rounding is for display
/// (the CSV writes 4 decimals). They are `None` when their denominator is 0, never a
/// made-up 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub period: Period,
    pub totals: Metrics,
    /// `messages_answered / messages_received`.
    pub response_rate: Option<f64>,
    /// `conversions / conversations_started`. Can exceed 1: a sale in this period may
    /// close a conversation started in an earlier one.
    pub conversion_rate: Option<f64>,
    /// `revenue_minor / conversions`, rounded to the nearest minor unit (halves away
    /// from zero).
    pub average_order_minor: Option<i64>,
}

impl Summary {
    /// The summary of the rows whose date is inside `period`; other rows are ignored,
    /// so one fetch can serve several periods.
    pub fn of(rows: &[AnalyticsDay], period: Period) -> Self {
        let totals = rows_in(rows, period).fold(Metrics::default(), |sum, row| sum.plus(&row.totals));
        Self::from_totals(period, totals)
    }

    /// The rates of already summed totals.
    pub fn from_totals(period: Period, totals: Metrics) -> Self {
        Self {
            period,
            totals,
            response_rate: ratio(totals.messages_answered, totals.messages_received),
            conversion_rate: ratio(totals.conversions, totals.conversations_started),
            average_order_minor: average(totals.revenue_minor, totals.conversions),
        }
    }
}

/// `total / count` to the nearest integer, halves away from zero; `None` for no count.
fn average(total: i64, count: i64) -> Option<i64> {
    if count == 0 {
        return None;
    }
    // i128: no overflow for any i64 pair, including `i64::MIN / -1`.
    let (total, count) = (i128::from(total), i128::from(count));
    let (quotient, remainder) = (total / count, total % count);
    let rounded = if 2 * remainder.abs() >= count.abs() {
        quotient + total.signum() * count.signum()
    } else {
        quotient
    };
    i64::try_from(rounded).ok()
}

/// A figure of a [`Summary`], by name: what a comparison or a chart is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    MessagesSent,
    MessagesReceived,
    MessagesAnswered,
    ConversationsStarted,
    Leads,
    Conversions,
    /// In minor units.
    Revenue,
    ResponseRate,
    ConversionRate,
    /// In minor units.
    AverageOrder,
}

impl Metric {
    pub const ALL: [Self; 10] = [
        Self::MessagesSent,
        Self::MessagesReceived,
        Self::MessagesAnswered,
        Self::ConversationsStarted,
        Self::Leads,
        Self::Conversions,
        Self::Revenue,
        Self::ResponseRate,
        Self::ConversionRate,
        Self::AverageOrder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessagesSent => "messages_sent",
            Self::MessagesReceived => "messages_received",
            Self::MessagesAnswered => "messages_answered",
            Self::ConversationsStarted => "conversations_started",
            Self::Leads => "leads",
            Self::Conversions => "conversions",
            Self::Revenue => "revenue",
            Self::ResponseRate => "response_rate",
            Self::ConversionRate => "conversion_rate",
            Self::AverageOrder => "average_order",
        }
    }

    /// For people: "messages received".
    pub fn label(self) -> &'static str {
        match self {
            Self::MessagesSent => "messages sent",
            Self::MessagesReceived => "messages received",
            Self::MessagesAnswered => "messages answered",
            Self::ConversationsStarted => "conversations started",
            Self::Leads => "leads",
            Self::Conversions => "sales",
            Self::Revenue => "revenue",
            Self::ResponseRate => "response rate",
            Self::ConversionRate => "conversion rate",
            Self::AverageOrder => "average order",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// A rate (a fraction), not a count or an amount.
    pub fn is_rate(self) -> bool {
        matches!(self, Self::ResponseRate | Self::ConversionRate)
    }

    /// Its value in `summary`; `None` for a rate or average with nothing to divide by.
    #[allow(clippy::cast_precision_loss)] // counters far below 2^53; a figure to compare, not to add
    pub fn value(self, summary: &Summary) -> Option<f64> {
        let t = &summary.totals;
        let count = |n: i64| Some(n as f64);
        match self {
            Self::MessagesSent => count(t.messages_sent),
            Self::MessagesReceived => count(t.messages_received),
            Self::MessagesAnswered => count(t.messages_answered),
            Self::ConversationsStarted => count(t.conversations_started),
            Self::Leads => count(t.leads),
            Self::Conversions => count(t.conversions),
            Self::Revenue => count(t.revenue_minor),
            Self::ResponseRate => summary.response_rate,
            Self::ConversionRate => summary.conversion_rate,
            Self::AverageOrder => summary.average_order_minor.and_then(count),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A period beside the one before it, of the same length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub current: Summary,
    pub previous: Summary,
}

impl Comparison {
    /// `period` against [`Period::previous`], from rows covering both (fetch them with
    /// [`Period::query_with_previous`]).
    pub fn of(rows: &[AnalyticsDay], period: Period) -> Self {
        Self { current: Summary::of(rows, period), previous: Summary::of(rows, period.previous()) }
    }

    /// The change in percent: +50.0 when it went from 10 to 15, −100.0 from 10 to 0.
    /// `None` when the previous value is 0 (or either is missing): a change from
    /// nothing has no percentage. Not rounded. Relative for rates too (a response rate
    /// from 0.5 to 0.6 is +20 %); [`Comparison::difference`] gives the points.
    pub fn change(&self, metric: Metric) -> Option<f64> {
        let (current, previous) = (metric.value(&self.current)?, metric.value(&self.previous)?);
        // abs: a negative previous figure (refunds) still gives "up" for a rise.
        (previous != 0.0).then(|| (current - previous) / previous.abs() * 100.0)
    }

    /// `current − previous`, in the metric's unit (for a rate, a fraction: 0.1 is ten
    /// percentage points). `None` when either is missing.
    pub fn difference(&self, metric: Metric) -> Option<f64> {
        Some(metric.value(&self.current)? - metric.value(&self.previous)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_round_halves_away_from_zero() {
        assert_eq!(average(5, 2), Some(3));
        assert_eq!(average(4, 3), Some(1));
        assert_eq!(average(-5, 2), Some(-3));
        assert_eq!(average(5, -2), Some(-3));
        assert_eq!(average(7, 0), None);
        assert_eq!(average(i64::MAX, 1), Some(i64::MAX));
        assert_eq!(average(i64::MIN, -1), None, "out of i64 range");
    }

    #[test]
    fn metric_names_round_trip_and_match_serde() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.as_str()), Some(metric));
            let json = serde_json::to_string(&metric).expect("serializes");
            assert_eq!(json, format!("\"{metric}\""));
        }
    }
}
