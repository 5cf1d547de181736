//! The owner's numbers: a period's totals and rates beside the period before, and the
//! campaigns ranked. The arithmetic is [`crate::analytics`]'s; this reads the rows,
//! names the campaigns and writes money and rates the way answers show them.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::ToolError;
use crate::ai::leo::period::{Named, PeriodSpec};
use crate::analytics::{Comparison, Metric, Period, Summary, by_campaign};
use crate::model::{AnalyticsQuery, Campaign, CampaignId, CampaignStatus, Timestamp, UserId};
use crate::store::Store;

/// The days a figure covers, and their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodInfo {
    /// "this week", "last month (October 2026)".
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl PeriodInfo {
    fn of(named: &Named) -> Self {
        Self { label: named.label.clone(), from: named.period.from(), to: named.period.to() }
    }
}

/// A campaign by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignRef {
    pub id: CampaignId,
    pub name: String,
}

/// A period's totals and rates, written out as answers show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub period: PeriodInfo,
    pub messages_received: i64,
    pub messages_answered: i64,
    pub messages_sent: i64,
    /// Conversations started.
    pub conversations: i64,
    pub leads: i64,
    /// Sales.
    pub conversions: i64,
    pub revenue_minor: i64,
    /// "99.80 EUR" (no currency when the business has no priced campaign).
    pub revenue: String,
    /// `messages_answered / messages_received`, "95.2%"; none without messages.
    pub response_rate: Option<String>,
    /// `conversions / conversations`, "16.7%"; none without conversations.
    pub conversion_rate: Option<String>,
    /// Revenue per sale; none without sales.
    pub average_order: Option<String>,
}

impl Figures {
    fn of(summary: &Summary, named: &Named, currency: Option<&str>) -> Self {
        let t = &summary.totals;
        Self {
            period: PeriodInfo::of(named),
            messages_received: t.messages_received,
            messages_answered: t.messages_answered,
            messages_sent: t.messages_sent,
            conversations: t.conversations_started,
            leads: t.leads,
            conversions: t.conversions,
            revenue_minor: t.revenue_minor,
            revenue: money(t.revenue_minor, currency),
            response_rate: summary.response_rate.map(percent),
            conversion_rate: summary.conversion_rate.map(percent),
            average_order: summary.average_order_minor.map(|minor| money(minor, currency)),
        }
    }

    /// Nothing at all happened.
    pub fn is_empty(&self) -> bool {
        [
            self.messages_received,
            self.messages_answered,
            self.messages_sent,
            self.conversations,
            self.leads,
            self.conversions,
            self.revenue_minor,
        ]
        .iter()
        .all(|n| *n == 0)
    }
}

/// How the current period differs from the one before: "+25.0%" (relative), or for
/// rates "+2.1 points". None where the period before had nothing to compare with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Changes {
    pub messages_received: Option<String>,
    pub conversations: Option<String>,
    pub leads: Option<String>,
    pub conversions: Option<String>,
    pub revenue: Option<String>,
    pub response_rate: Option<String>,
    pub conversion_rate: Option<String>,
}

impl Changes {
    fn of(comparison: &Comparison) -> Self {
        let relative = |metric| comparison.change(metric).map(|p| format!("{}%", signed(p)));
        let points = |metric| comparison.difference(metric).map(|d| format!("{} points", signed(d * 100.0)));
        Self {
            messages_received: relative(Metric::MessagesReceived),
            conversations: relative(Metric::ConversationsStarted),
            leads: relative(Metric::Leads),
            conversions: relative(Metric::Conversions),
            revenue: relative(Metric::Revenue),
            response_rate: points(Metric::ResponseRate),
            conversion_rate: points(Metric::ConversionRate),
        }
    }
}

/// The `metrics` tool's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricsReport {
    /// The one campaign asked about; none for the whole business.
    pub campaign: Option<CampaignRef>,
    /// The currency revenue is in, when known.
    pub currency: Option<String>,
    pub current: Figures,
    /// The period it is compared with (see [`PeriodSpec::comparison`]).
    pub previous: Figures,
    pub change: Changes,
}

/// Totals and rates of `period` (of one campaign, named or by id, when given), beside
/// the period before.
pub async fn metrics(
    store: &dyn Store,
    tenant: UserId,
    now: Timestamp,
    period: PeriodSpec,
    campaign: Option<&str>,
) -> Result<MetricsReport, ToolError> {
    let current = period.resolve(now.date()).map_err(ToolError::InvalidArguments)?;
    let previous = period.comparison(current.period);
    let campaigns = store.list_campaigns(tenant, None).await?;
    let campaign = campaign.map(|wanted| find_campaign(&campaigns, wanted)).transpose()?;
    let query = AnalyticsQuery {
        from: previous.period.from().min(current.period.from()),
        to: current.period.to().max(previous.period.to()),
        campaign_id: campaign.map(|c| c.id),
        platform: None,
    };
    let rows = store.analytics(tenant, &query).await?;
    let comparison = Comparison {
        current: Summary::of(&rows, current.period),
        previous: Summary::of(&rows, previous.period),
    };
    let currency = campaign
        .and_then(|c| c.product.price.as_ref().map(|p| p.currency.clone()))
        .or_else(|| currency_of(&campaigns));
    Ok(MetricsReport {
        campaign: campaign.map(reference),
        current: Figures::of(&comparison.current, &current, currency.as_deref()),
        previous: Figures::of(&comparison.previous, &previous, currency.as_deref()),
        change: Changes::of(&comparison),
        currency,
    })
}

/// One campaign's place in a ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedCampaign {
    /// 1 is the best.
    pub rank: usize,
    pub id: CampaignId,
    pub name: String,
    pub messages_received: i64,
    pub conversations: i64,
    pub leads: i64,
    pub conversions: i64,
    pub revenue_minor: i64,
    pub revenue: String,
    pub conversion_rate: Option<String>,
}

/// The `campaign_ranking` tool's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignRanking {
    pub period: PeriodInfo,
    pub currency: Option<String>,
    /// Best first: by revenue, then conversions, then leads.
    pub campaigns: Vec<RankedCampaign>,
    /// Active campaigns with no activity at all in the period.
    pub idle: Vec<CampaignRef>,
}

/// The campaigns with activity in `period`, best to worst.
pub async fn campaign_ranking(
    store: &dyn Store,
    tenant: UserId,
    now: Timestamp,
    period: PeriodSpec,
) -> Result<CampaignRanking, ToolError> {
    let named = period.resolve(now.date()).map_err(ToolError::InvalidArguments)?;
    let campaigns = store.list_campaigns(tenant, None).await?;
    let rows = store.analytics(tenant, &named.period.query(None, None)).await?;
    Ok(rank(&campaigns, &rows, &named))
}

pub(super) fn rank(
    campaigns: &[Campaign],
    rows: &[crate::model::AnalyticsDay],
    named: &Named,
) -> CampaignRanking {
    let currency = currency_of(campaigns);
    let by_id: HashMap<CampaignId, &str> = campaigns.iter().map(|c| (c.id, c.name.as_str())).collect();
    let ranked: Vec<RankedCampaign> = by_campaign(rows, named.period)
        .into_iter()
        .filter_map(|line| line.campaign_id.map(|id| (id, line)))
        .enumerate()
        .map(|(index, (id, line))| {
            let m = &line.metrics;
            RankedCampaign {
                rank: index + 1,
                id,
                name: by_id.get(&id).map_or_else(|| "a deleted campaign".to_owned(), |n| (*n).to_owned()),
                messages_received: m.messages_received,
                conversations: m.conversations_started,
                leads: m.leads,
                conversions: m.conversions,
                revenue_minor: m.revenue_minor,
                revenue: money(m.revenue_minor, currency.as_deref()),
                conversion_rate: line.conversion_rate.map(percent),
            }
        })
        .collect();
    let idle = campaigns
        .iter()
        .filter(|c| c.status == CampaignStatus::Active && !ranked.iter().any(|r| r.id == c.id))
        .map(reference)
        .collect();
    CampaignRanking { period: PeriodInfo::of(named), currency, campaigns: ranked, idle }
}

/// The campaign `wanted` names: its id, its exact name (any case), or the newest whose
/// name contains it.
fn find_campaign<'a>(campaigns: &'a [Campaign], wanted: &str) -> Result<&'a Campaign, ToolError> {
    let wanted = wanted.trim();
    if let Ok(id) = wanted.parse::<CampaignId>()
        && let Some(found) = campaigns.iter().find(|c| c.id == id)
    {
        return Ok(found);
    }
    let lower = wanted.to_lowercase();
    campaigns
        .iter()
        .find(|c| c.name.trim().to_lowercase() == lower)
        .or_else(|| campaigns.iter().find(|c| c.name.to_lowercase().contains(&lower)))
        .ok_or_else(|| {
            let known: Vec<&str> = campaigns.iter().map(|c| c.name.as_str()).collect();
            let known = if known.is_empty() { "there are none yet".to_owned() } else { known.join(", ") };
            ToolError::NotFound(format!("no campaign is called {wanted:?} (the campaigns: {known})"))
        })
}

fn reference(campaign: &Campaign) -> CampaignRef {
    CampaignRef { id: campaign.id, name: campaign.name.clone() }
}

/// The business's currency: the one most of its priced campaigns use (the first
/// listed on a tie); none without a priced campaign.
pub(super) fn currency_of(campaigns: &[Campaign]) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for currency in campaigns.iter().filter_map(|c| c.product.price.as_ref()).map(|p| p.currency.as_str()) {
        match counts.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, n)) => *n += 1,
            None => counts.push((currency, 1)),
        }
    }
    let most = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == most).map(|(c, _)| c.to_owned())
}

/// An amount in minor units with 2 decimals, and its currency when known: "99.80 EUR".
pub fn money(minor: i64, currency: Option<&str>) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let amount = format!("{sign}{}.{:02}", abs / 100, abs % 100);
    match currency {
        Some(currency) => format!("{amount} {currency}"),
        None => amount,
    }
}

/// A fraction as a percentage with one decimal: 0.95238 → "95.2%".
pub(super) fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// "+25.0", "-3.5"; never "-0.0".
fn signed(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    format!("{:+.1}", rounded + 0.0)
}

/// The resolved period of a ranking or a summary, for callers that have rows already.
pub(super) fn resolve(period: PeriodSpec, now: Timestamp) -> Result<Named, ToolError> {
    period.resolve(now.date()).map_err(ToolError::InvalidArguments)
}

/// The rows of `period` for `tenant`.
pub(super) async fn rows_of(
    store: &dyn Store,
    tenant: UserId,
    period: Period,
) -> Result<Vec<crate::model::AnalyticsDay>, ToolError> {
    Ok(store.analytics(tenant, &period.query(None, None)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals_and_its_currency() {
        assert_eq!(money(9980, Some("EUR")), "99.80 EUR");
        assert_eq!(money(5, None), "0.05");
        assert_eq!(money(-1234, Some("USD")), "-12.34 USD");
        assert_eq!(money(0, Some("BRL")), "0.00 BRL");
    }

    #[test]
    fn rates_and_changes_are_written_once() {
        assert_eq!(percent(40.0 / 42.0), "95.2%");
        assert_eq!(percent(2.0 / 12.0), "16.7%");
        assert_eq!(signed(25.0), "+25.0");
        assert_eq!(signed(-0.01), "+0.0");
        assert_eq!(signed(-12.345), "-12.3");
    }
}
