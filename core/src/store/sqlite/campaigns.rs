//! Campaigns and platform integrations.

use rusqlite::{Connection, params};

use super::{Result, conflict_as, doc_of, expect_one, found, to_json};
use crate::model::{
    Campaign, CampaignId, CampaignStats, CampaignStatus, Integration, IntegrationId, IntegrationStatus,
    Timestamp, UserId,
};
use crate::store::StoreError;

pub(super) fn upsert_integration(conn: &Connection, mut integration: Integration) -> Result<Integration> {
    let existing: Option<Integration> = doc_of(
        conn,
        "SELECT doc FROM integrations WHERE platform = ?1 AND page_id = ?2",
        [integration.platform.as_str(), &integration.page_id],
    )?;
    if let Some(existing) = existing {
        let taken =
            existing.user_id != integration.user_id && existing.status != IntegrationStatus::Disconnected;
        if taken {
            return Err(StoreError::Conflict(format!(
                "{} page {} is connected to another business",
                integration.platform, integration.page_id
            )));
        }
        if existing.user_id == integration.user_id {
            // The same page again: keep its identity and history.
            integration.id = existing.id;
            integration.connected_at = existing.connected_at;
        }
        conn.prepare_cached("DELETE FROM integrations WHERE id = ?1")?.execute([existing.id.to_string()])?;
    }
    conn.prepare_cached(
        "INSERT INTO integrations (id, user_id, platform, page_id, status, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        integration.id.to_string(),
        integration.user_id.to_string(),
        integration.platform.as_str(),
        integration.page_id,
        integration.status.as_str(),
        to_json(&integration)?
    ])
    .map_err(|e| conflict_as(e, "an integration with this id already exists"))?;
    Ok(integration)
}

pub(super) fn set_integration_status(
    conn: &Connection,
    tenant: UserId,
    id: IntegrationId,
    status: IntegrationStatus,
    now: Timestamp,
) -> Result<()> {
    let sql = "SELECT doc FROM integrations WHERE id = ?1 AND user_id = ?2";
    let mut integration: Integration =
        found(doc_of(conn, sql, [id.to_string(), tenant.to_string()])?, "integration")?;
    integration.status = status;
    integration.updated_at = now;
    conn.prepare_cached("UPDATE integrations SET status = ?2, doc = ?3 WHERE id = ?1")?.execute(params![
        id.to_string(),
        status.as_str(),
        to_json(&integration)?
    ])?;
    Ok(())
}

pub(super) fn create_campaign(conn: &Connection, campaign: &Campaign) -> Result<()> {
    // A new campaign is never the default: that is set_default_campaign's job.
    let campaign = Campaign { is_default: false, ..campaign.clone() };
    conn.prepare_cached(
        "INSERT INTO campaigns (id, user_id, platform, status, is_default, version, doc) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
    )?
    .execute(params![
        campaign.id.to_string(),
        campaign.user_id.to_string(),
        campaign.platform.as_str(),
        campaign.status.as_str(),
        campaign.version,
        to_json(&campaign)?
    ])
    .map_err(|e| conflict_as(e, "a campaign with this id already exists"))?;
    Ok(())
}

pub(super) fn get_campaign(conn: &Connection, tenant: UserId, id: CampaignId) -> Result<Campaign> {
    let sql = "SELECT doc FROM campaigns WHERE id = ?1 AND user_id = ?2";
    found(doc_of(conn, sql, [id.to_string(), tenant.to_string()])?, "campaign")
}

fn save(conn: &Connection, campaign: &Campaign) -> Result<()> {
    conn.prepare_cached(
        "UPDATE campaigns SET platform = ?2, status = ?3, is_default = ?4, version = ?5, doc = ?6 WHERE id = ?1",
    )?
    .execute(params![
        campaign.id.to_string(),
        campaign.platform.as_str(),
        campaign.status.as_str(),
        campaign.is_default,
        campaign.version,
        to_json(campaign)?
    ])?;
    Ok(())
}

pub(super) fn update_campaign(conn: &Connection, mut campaign: Campaign) -> Result<Campaign> {
    let stored = get_campaign(conn, campaign.user_id, campaign.id)?;
    if stored.version != campaign.version {
        return Err(StoreError::Conflict(format!(
            "the campaign was changed meanwhile (version {} is stored, this edit is of version {}): reload and retry",
            stored.version, campaign.version
        )));
    }
    campaign.version += 1;
    campaign.stats = stored.stats;
    // The default mark survives an edit only while the campaign stays active on the
    // same platform.
    campaign.is_default = stored.is_default
        && campaign.status == CampaignStatus::Active
        && campaign.platform == stored.platform;
    save(conn, &campaign)?;
    Ok(campaign)
}

pub(super) fn delete_campaign(conn: &Connection, tenant: UserId, id: CampaignId) -> Result<()> {
    let stored = get_campaign(conn, tenant, id)?;
    if stored.status != CampaignStatus::Draft {
        return Err(StoreError::Conflict(format!(
            "only drafts can be deleted; this campaign is {}: complete it instead",
            stored.status
        )));
    }
    conn.prepare_cached("DELETE FROM campaigns WHERE id = ?1")?.execute([id.to_string()])?;
    Ok(())
}

pub(super) fn set_default_campaign(
    conn: &Connection,
    tenant: UserId,
    id: CampaignId,
    now: Timestamp,
) -> Result<Campaign> {
    let mut campaign = get_campaign(conn, tenant, id)?;
    if campaign.status != CampaignStatus::Active {
        return Err(StoreError::Conflict(format!(
            "only an active campaign can be the default; this one is {}",
            campaign.status
        )));
    }
    let previous: Vec<Campaign> = super::docs_of(
        conn,
        "SELECT doc FROM campaigns WHERE user_id = ?1 AND platform = ?2 AND is_default = 1 AND id != ?3",
        [tenant.to_string(), campaign.platform.as_str().to_owned(), id.to_string()],
    )?;
    for mut other in previous {
        other.is_default = false;
        other.updated_at = now;
        save(conn, &other)?;
    }
    campaign.is_default = true;
    campaign.updated_at = now;
    save(conn, &campaign)?;
    Ok(campaign)
}

pub(super) fn add_campaign_stats(
    conn: &Connection,
    tenant: UserId,
    id: CampaignId,
    delta: &CampaignStats,
) -> Result<()> {
    let mut campaign = get_campaign(conn, tenant, id)?;
    let stats = &mut campaign.stats;
    stats.conversations += delta.conversations;
    stats.leads += delta.leads;
    stats.conversions += delta.conversions;
    stats.revenue_minor += delta.revenue_minor;
    let changed = conn
        .prepare_cached("UPDATE campaigns SET doc = ?2 WHERE id = ?1")?
        .execute(params![id.to_string(), to_json(&campaign)?])?;
    expect_one(changed, "campaign")?;
    Ok(())
}
