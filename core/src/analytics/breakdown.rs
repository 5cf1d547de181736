//! The rows of a period cut by day, by hour of the day and by campaign.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Period, ratio, rows_in};
use crate::model::{AnalyticsDay, CampaignId, Metrics};

/// One day's totals, for a chart or the CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyPoint {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    pub metrics: Metrics,
}

impl DailyPoint {
    /// `conversions / conversations_started` of the day; `None` when none started.
    pub fn conversion_rate(&self) -> Option<f64> {
        ratio(self.metrics.conversions, self.metrics.conversations_started)
    }
}

/// Every day of `period` in order, all campaigns and platforms summed; a day without
/// rows is there with zeros, so a chart has no gaps.
pub fn daily(rows: &[AnalyticsDay], period: Period) -> Vec<DailyPoint> {
    let mut points: Vec<DailyPoint> =
        period.dates().map(|date| DailyPoint { date, metrics: Metrics::default() }).collect();
    for row in rows_in(rows, period) {
        let index = usize::try_from((row.date - period.from()).num_days()).ok();
        if let Some(point) = index.and_then(|i| points.get_mut(i)) {
            point.metrics = point.metrics.plus(&row.totals);
        }
    }
    points
}

/// The period's activity by UTC hour of the day (index 0 is 00:00–00:59 UTC), all
/// days summed: when customers write. Shifting it to the owner's time zone is for
/// whoever displays it.
pub fn hourly(rows: &[AnalyticsDay], period: Period) -> [Metrics; 24] {
    let mut hours = [Metrics::default(); 24];
    for row in rows_in(rows, period) {
        for (sum, hour) in hours.iter_mut().zip(&row.hourly) {
            *sum = sum.plus(hour);
        }
    }
    hours
}

/// One campaign's totals over a period (`campaign_id: None`: chats in no campaign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignLine {
    pub campaign_id: Option<CampaignId>,
    pub metrics: Metrics,
    /// `conversions / conversations_started`; `None` when none started.
    pub conversion_rate: Option<f64>,
}

impl CampaignLine {
    /// Best first: more revenue, then more sales, then more leads.
    fn rank(&self) -> Reverse<(i64, i64, i64)> {
        let m = &self.metrics;
        Reverse((m.revenue_minor, m.conversions, m.leads))
    }
}

/// A line per campaign with rows in `period` (all platforms summed), best first: by
/// revenue, then conversions, then leads, all descending. Equal lines keep the order
/// of their ids (no campaign first), so the order never changes between two calls.
pub fn by_campaign(rows: &[AnalyticsDay], period: Period) -> Vec<CampaignLine> {
    let mut sums: BTreeMap<Option<CampaignId>, Metrics> = BTreeMap::new();
    for row in rows_in(rows, period) {
        let sum = sums.entry(row.campaign_id).or_default();
        *sum = sum.plus(&row.totals);
    }
    let mut lines: Vec<CampaignLine> = sums
        .into_iter()
        .map(|(campaign_id, metrics)| CampaignLine {
            campaign_id,
            metrics,
            conversion_rate: ratio(metrics.conversions, metrics.conversations_started),
        })
        .collect();
    // Stable: ties stay in id order.
    lines.sort_by_key(CampaignLine::rank);
    lines
}

/// The campaign that did best in a period and the one that did worst.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BestAndWorst {
    pub best: CampaignLine,
    /// `None` when there is only one campaign, or when all did equally well (by
    /// revenue, conversions and leads): then no campaign is worse than another.
    pub worst: Option<CampaignLine>,
}

/// The first and the last of [`by_campaign`], campaigns only (chats in no campaign are
/// not a campaign to praise or blame); `None` when no campaign has rows in `period`.
pub fn best_and_worst(rows: &[AnalyticsDay], period: Period) -> Option<BestAndWorst> {
    let mut lines = by_campaign(rows, period).into_iter().filter(|line| line.campaign_id.is_some());
    let best = lines.next()?;
    let worst = lines.next_back().filter(|worst| worst.rank() != best.rank());
    Some(BestAndWorst { best, worst })
}
