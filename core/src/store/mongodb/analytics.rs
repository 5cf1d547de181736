//! Analytics counters: one document per business × day × campaign × platform, with
//! the day's totals and its hours in one record, so one `$inc` moves both at once.
//!
//! ```text
//! { user_id, date: "2026-11-20", campaign: "<id>" | "", campaign_id: "<id>" | null,
//!   platform, totals: { messages_sent, … }, hours: { "9": { messages_sent, … }, … } }
//! ```
//!
//! `campaign` is the unique key's campaign, `""` for activity outside any campaign: a
//! null in a unique index would work too, but `""` sorts the same as in the embedded
//! store, which keeps the two listings in the same order.

use mongodb::bson::{self, Bson, Document, doc};

use super::Collections;
use super::batch::Batcher;
use super::codec::{DriverResult, all, is_duplicate_key, value};
use super::counters::{self, Increment};
use super::statements;
use crate::model::{AnalyticsDay, AnalyticsQuery, CampaignId, Metrics, Platform, Timestamp, UserId};
use crate::store::{Result, StoreError};

/// Rounds when concurrent first increments of a new day race to insert it (the
/// server normally retries that itself).
const ATTEMPTS: usize = 4;

fn campaign_key(campaign: Option<CampaignId>) -> String {
    campaign.map(|id| id.to_string()).unwrap_or_default()
}

/// Adds `delta` to its day's and hour's counters. Increments that arrive together go
/// to the server in one `update` command, summed per record; one that lost a race to
/// create its day's record (a duplicate key) is tried again on its own.
pub(super) async fn record(
    c: &Collections,
    increments: &Batcher<Increment, bool>,
    tenant: UserId,
    campaign: Option<CampaignId>,
    platform: Platform,
    at: Timestamp,
    delta: &Metrics,
) -> Result<()> {
    let filter = doc! {
        "user_id": tenant.to_string(),
        "date": at.date().to_string(),
        "campaign": campaign_key(campaign),
        "platform": value(&platform)?,
    };
    let hour = at.hour();
    let mut amounts = Vec::with_capacity(2 * Metrics::FIELDS.len());
    for (field, amount) in Metrics::FIELDS.into_iter().zip(delta.values()) {
        amounts.push((format!("totals.{field}"), amount));
        amounts.push((format!("hours.{hour}.{field}"), amount));
    }
    let on_insert = doc! { "campaign_id": campaign.map_or(Bson::Null, |id| Bson::String(id.to_string())) };
    let increment = Increment { filter, amounts, on_insert };
    let (filter, update) = (increment.filter.clone(), increment.update());

    let together = |increments: Vec<Increment>| {
        counters::add_together(increments, |sums: Vec<Increment>| async move {
            let count = sums.len();
            let statements = sums
                .into_iter()
                .map(|sum| {
                    let update = sum.update();
                    doc! { "q": sum.filter, "u": update, "upsert": true }
                })
                .collect();
            let outcome = statements::update(&c.db, &c.analytics, statements).await?;
            Ok(outcome.answers(count, true, false))
        })
    };
    if increments.write(increment, together).await? {
        return Ok(());
    }
    for _ in 0..ATTEMPTS {
        match c.analytics.update_one(filter.clone(), update.clone()).upsert(true).await {
            Ok(_) => return Ok(()),
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(e).db(),
        }
    }
    Err(StoreError::Unavailable("analytics counters kept colliding: try again".into()))
}

pub(super) async fn query(
    c: &Collections,
    tenant: UserId,
    query: &AnalyticsQuery,
) -> Result<Vec<AnalyticsDay>> {
    let mut filter = doc! {
        "user_id": tenant.to_string(),
        // ISO dates sort as text in calendar order.
        "date": { "$gte": query.from.to_string(), "$lte": query.to.to_string() },
    };
    if let Some(campaign) = query.campaign_id {
        filter.insert("campaign", campaign.to_string());
    }
    if let Some(platform) = query.platform {
        filter.insert("platform", value(&platform)?);
    }
    let docs: Vec<Document> =
        all(c.analytics.find(filter).sort(doc! { "date": 1, "campaign": 1, "platform": 1 })).await?;
    docs.into_iter().map(|doc| day(tenant, &doc)).collect()
}

fn day(tenant: UserId, doc: &Document) -> Result<AnalyticsDay> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("analytics record {:?}: {what}", doc.get("_id")));
    let text = |field: &str| doc.get_str(field).map_err(|_| corrupt(&format!("{field} is not text")));
    let date = text("date")?.parse().map_err(|_| corrupt("date is not a date"))?;
    let campaign = text("campaign")?;
    let campaign_id = (!campaign.is_empty())
        .then(|| campaign.parse().map_err(|_| corrupt("campaign is not an id")))
        .transpose()?;
    let platform = Platform::parse(text("platform")?).ok_or_else(|| corrupt("unknown platform"))?;
    let totals = metrics(doc.get("totals")).map_err(|e| corrupt(&format!("totals: {e}")))?;
    let hours = match doc.get("hours") {
        Some(Bson::Document(hours)) => Some(hours),
        None => None,
        Some(_) => return Err(corrupt("hours is not a document")),
    };
    let mut hourly = [Metrics::default(); 24];
    for (hour, slot) in hourly.iter_mut().enumerate() {
        let bucket = hours.and_then(|hours| hours.get(hour.to_string()));
        *slot = metrics(bucket).map_err(|e| corrupt(&format!("hour {hour}: {e}")))?;
    }
    Ok(AnalyticsDay { user_id: tenant, campaign_id, platform, date, totals, hourly })
}

/// A counters subdocument; absent counters (and an absent bucket) are zero.
fn metrics(bucket: Option<&Bson>) -> std::result::Result<Metrics, bson::error::Error> {
    match bucket {
        Some(bucket) => bson::deserialize_from_bson(bucket.clone()),
        None => Ok(Metrics::default()),
    }
}
