//! Connections to platform pages, and the page → business lookup webhooks need.

use mongodb::bson::doc;

use super::Collections;
use super::codec::{DriverResult, all, decode, encode, is_duplicate_key, value};
use crate::model::{Integration, IntegrationId, IntegrationStatus, Platform, Timestamp, UserId};
use crate::store::{Result, StoreError};

/// How often to look again when the page changed under us between reading and
/// writing; only a storm of reconnects of one page exhausts it.
const ATTEMPTS: usize = 8;

pub(super) async fn upsert_integration(c: &Collections, integration: &Integration) -> Result<Integration> {
    let page = doc! { "platform": value(&integration.platform)?, "page_id": integration.page_id.as_str() };
    for _ in 0..ATTEMPTS {
        let existing: Option<Integration> =
            c.integrations.find_one(page.clone()).await.db()?.map(|doc| decode(doc, "id")).transpose()?;
        let mut next = integration.clone();
        let Some(existing) = existing else {
            match c.integrations.insert_one(encode(&next, "id")?).await {
                Ok(_) => return Ok(next),
                // Someone connected the page meanwhile: look again.
                Err(e) if is_duplicate_key(&e) => continue,
                Err(e) => return Err(e).db(),
            }
        };
        if existing.user_id == integration.user_id {
            // The same page again: keep its identity and history.
            next.id = existing.id;
            next.connected_at = existing.connected_at;
            let owned = doc! { "_id": existing.id.to_string(), "user_id": existing.user_id.to_string() };
            if c.integrations.replace_one(owned, encode(&next, "id")?).await.db()?.matched_count == 1 {
                return Ok(next);
            }
            continue;
        }
        if existing.status != IntegrationStatus::Disconnected {
            return Err(StoreError::Conflict(format!(
                "{} page {} is connected to another business",
                integration.platform, integration.page_id
            )));
        }
        // The other business let the page go: its record goes, ours takes its place.
        // Only if it is still theirs and still disconnected at the moment we delete.
        let released = doc! {
            "_id": existing.id.to_string(),
            "user_id": existing.user_id.to_string(),
            "status": value(&IntegrationStatus::Disconnected)?,
        };
        c.integrations.delete_one(released).await.db()?;
    }
    Err(StoreError::Conflict(format!(
        "{} page {} kept changing while connecting it: try again",
        integration.platform, integration.page_id
    )))
}

pub(super) async fn get_integration(
    c: &Collections,
    tenant: UserId,
    id: IntegrationId,
) -> Result<Integration> {
    let found =
        c.integrations.find_one(doc! { "_id": id.to_string(), "user_id": tenant.to_string() }).await.db()?;
    decode(found.ok_or(StoreError::not_found("integration"))?, "id")
}

pub(super) async fn list_integrations(c: &Collections, tenant: UserId) -> Result<Vec<Integration>> {
    let docs: Vec<_> =
        all(c.integrations.find(doc! { "user_id": tenant.to_string() }).sort(doc! { "_id": 1 })).await?;
    docs.into_iter().map(|doc| decode(doc, "id")).collect()
}

pub(super) async fn find_integration_by_page(
    c: &Collections,
    platform: Platform,
    page_id: &str,
) -> Result<Option<Integration>> {
    let found =
        c.integrations.find_one(doc! { "platform": value(&platform)?, "page_id": page_id }).await.db()?;
    found.map(|doc| decode(doc, "id")).transpose()
}

pub(super) async fn set_integration_status(
    c: &Collections,
    tenant: UserId,
    id: IntegrationId,
    status: IntegrationStatus,
    now: Timestamp,
) -> Result<()> {
    let result = c
        .integrations
        .update_one(
            doc! { "_id": id.to_string(), "user_id": tenant.to_string() },
            doc! { "$set": { "status": value(&status)?, "updated_at": value(&now)? } },
        )
        .await
        .db()?;
    if result.matched_count == 0 {
        return Err(StoreError::not_found("integration"));
    }
    Ok(())
}
