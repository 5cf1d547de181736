//! Analytics counters: one row per hour, incremented in place.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use super::Result;
use super::users::parse_id;
use crate::model::{AnalyticsDay, AnalyticsQuery, CampaignId, Metrics, Platform, Timestamp, UserId};
use crate::store::StoreError;

pub(super) fn record(
    conn: &Connection,
    tenant: UserId,
    campaign: Option<CampaignId>,
    platform: Platform,
    at: Timestamp,
    delta: &Metrics,
) -> Result<()> {
    let v = delta.values();
    conn.prepare_cached(
        "INSERT INTO analytics (user_id, date, campaign_id, platform, hour, messages_sent, messages_received, \
         messages_answered, conversations_started, leads, conversions, revenue_minor) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
         ON CONFLICT (user_id, date, campaign_id, platform, hour) DO UPDATE SET \
         messages_sent = messages_sent + excluded.messages_sent, \
         messages_received = messages_received + excluded.messages_received, \
         messages_answered = messages_answered + excluded.messages_answered, \
         conversations_started = conversations_started + excluded.conversations_started, \
         leads = leads + excluded.leads, \
         conversions = conversions + excluded.conversions, \
         revenue_minor = revenue_minor + excluded.revenue_minor",
    )?
    .execute(params![
        tenant.to_string(),
        at.date().to_string(),
        campaign.map(|id| id.to_string()).unwrap_or_default(),
        platform.as_str(),
        at.hour() as i64,
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        v[5],
        v[6]
    ])?;
    Ok(())
}

pub(super) fn query(conn: &Connection, tenant: UserId, query: &AnalyticsQuery) -> Result<Vec<AnalyticsDay>> {
    let mut stmt = conn.prepare_cached(
        "SELECT date, campaign_id, platform, hour, messages_sent, messages_received, messages_answered, \
         conversations_started, leads, conversions, revenue_minor FROM analytics \
         WHERE user_id = ?1 AND date >= ?2 AND date <= ?3 AND (?4 IS NULL OR campaign_id = ?4) \
         AND (?5 IS NULL OR platform = ?5)",
    )?;
    let rows = stmt.query_map(
        params![
            tenant.to_string(),
            query.from.to_string(),
            query.to.to_string(),
            query.campaign_id.map(|id| id.to_string()),
            query.platform.map(Platform::as_str)
        ],
        |row| {
            let key: (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let hour = usize::try_from(row.get::<_, i64>(3)?).unwrap_or(usize::MAX);
            let values: [i64; 7] =
                [row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?, row.get(8)?, row.get(9)?, row.get(10)?];
            Ok((key, hour, Metrics::from_values(values)))
        },
    )?;
    // BTreeMap on (date, campaign, platform): the documented order, for free.
    let mut days: BTreeMap<(String, String, String), AnalyticsDay> = BTreeMap::new();
    for row in rows {
        let ((date, campaign, platform), hour, metrics) = row?;
        if hour >= 24 {
            return Err(StoreError::Corrupt(format!("analytics hour {hour}")));
        }
        let day = match days.entry((date, campaign, platform)) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let (date, campaign, platform) = entry.key();
                let day = AnalyticsDay {
                    user_id: tenant,
                    campaign_id: (!campaign.is_empty()).then(|| parse_id(campaign)).transpose()?,
                    platform: Platform::parse(platform)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown platform {platform:?}")))?,
                    date: date
                        .parse::<NaiveDate>()
                        .map_err(|e| StoreError::Corrupt(format!("analytics date {date:?}: {e}")))?,
                    totals: Metrics::default(),
                    hourly: [Metrics::default(); 24],
                };
                entry.insert(day)
            }
        };
        day.hourly[hour] = day.hourly[hour].plus(&metrics);
        day.totals = day.totals.plus(&metrics);
    }
    Ok(days.into_values().collect())
}
