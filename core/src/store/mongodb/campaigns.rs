//! Campaigns: optimistic edits by version, the default mark, running totals.

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;

use super::Collections;
use super::batch::Batcher;
use super::codec::{DriverResult, all, conflict_as, decode, encode, is_duplicate_key, value};
use super::counters::{self, Increment};
use super::statements;
use crate::model::{Campaign, CampaignId, CampaignStats, CampaignStatus, Platform, Timestamp, UserId};
use crate::store::{Result, StoreError};

/// Fields an edit never writes: who and when it was made, and what other calls own
/// (the default mark, the totals, the version, which moves by one here).
const NOT_EDITED: [&str; 6] = ["_id", "user_id", "created_at", "is_default", "stats", "version"];

/// How often `set_default_campaign` tries when another one races it.
const ATTEMPTS: usize = 8;

fn owned(tenant: UserId, id: CampaignId) -> Document {
    doc! { "_id": id.to_string(), "user_id": tenant.to_string() }
}

pub(super) async fn create_campaign(c: &Collections, campaign: &Campaign) -> Result<()> {
    // A new campaign is never the default: that is set_default_campaign's job.
    let campaign = Campaign { is_default: false, ..campaign.clone() };
    c.campaigns
        .insert_one(encode(&campaign, "id")?)
        .await
        .map_err(|e| conflict_as(&e, "a campaign with this id already exists"))?;
    Ok(())
}

pub(super) async fn get_campaign(c: &Collections, tenant: UserId, id: CampaignId) -> Result<Campaign> {
    let found = c.campaigns.find_one(owned(tenant, id)).await.db()?;
    decode(found.ok_or(StoreError::not_found("campaign"))?, "id")
}

pub(super) async fn list_campaigns(
    c: &Collections,
    tenant: UserId,
    status: Option<CampaignStatus>,
) -> Result<Vec<Campaign>> {
    let mut filter = doc! { "user_id": tenant.to_string() };
    if let Some(status) = status {
        filter.insert("status", value(&status)?);
    }
    // Ids are UUIDv7: by id descending is newest first.
    let docs: Vec<_> = all(c.campaigns.find(filter).sort(doc! { "_id": -1 })).await?;
    docs.into_iter().map(|doc| decode(doc, "id")).collect()
}

pub(super) async fn update_campaign(c: &Collections, campaign: &Campaign) -> Result<Campaign> {
    let mut set = encode(campaign, "id")?;
    for field in NOT_EDITED {
        set.remove(field);
    }
    // An update pipeline, so the default mark can be decided against the stored
    // record in the same write; every value is a `$literal` so that text starting
    // with `$` stays text.
    let mut stage: Document =
        set.into_iter().map(|(k, v)| (k, Bson::Document(doc! { "$literal": v }))).collect();
    stage.insert("version", campaign.version + 1);
    // The mark survives an edit only while the campaign stays active on the same
    // platform (each stage sees the record as it was before the stage).
    stage.insert(
        "is_default",
        doc! { "$and": [
            "$is_default",
            campaign.status == CampaignStatus::Active,
            { "$eq": ["$platform", { "$literal": value(&campaign.platform)? }] },
        ] },
    );
    let mut filter = owned(campaign.user_id, campaign.id);
    filter.insert("version", campaign.version);
    let updated = c
        .campaigns
        .find_one_and_update(filter, vec![doc! { "$set": stage }])
        .return_document(ReturnDocument::After)
        .await
        .db()?;
    if let Some(doc) = updated {
        return decode(doc, "id");
    }
    let stored = get_campaign(c, campaign.user_id, campaign.id).await?;
    Err(StoreError::Conflict(format!(
        "the campaign was changed meanwhile (version {} is stored, this edit is of version {}): reload and retry",
        stored.version, campaign.version
    )))
}

pub(super) async fn delete_campaign(c: &Collections, tenant: UserId, id: CampaignId) -> Result<()> {
    let mut draft = owned(tenant, id);
    draft.insert("status", value(&CampaignStatus::Draft)?);
    if c.campaigns.delete_one(draft).await.db()?.deleted_count == 1 {
        return Ok(());
    }
    let stored = get_campaign(c, tenant, id).await?;
    Err(StoreError::Conflict(format!(
        "only drafts can be deleted; this campaign is {}: complete it instead",
        stored.status
    )))
}

fn not_active(status: CampaignStatus) -> StoreError {
    StoreError::Conflict(format!("only an active campaign can be the default; this one is {status}"))
}

pub(super) async fn set_default_campaign(
    c: &Collections,
    tenant: UserId,
    id: CampaignId,
    now: Timestamp,
) -> Result<Campaign> {
    let campaign = get_campaign(c, tenant, id).await?;
    if campaign.status != CampaignStatus::Active {
        return Err(not_active(campaign.status));
    }
    let now = value(&now)?;
    for _ in 0..ATTEMPTS {
        // Unmark first, then mark: the unique index on the default allows one per
        // business and platform, so a concurrent call that marked another in between
        // makes our mark fail, and we go round again (the last caller wins).
        let others = doc! {
            "user_id": tenant.to_string(),
            "platform": value(&campaign.platform)?,
            "is_default": true,
            "_id": { "$ne": id.to_string() },
        };
        c.campaigns
            .update_many(others, doc! { "$set": { "is_default": false, "updated_at": now.clone() } })
            .await
            .db()?;
        let mut active = owned(tenant, id);
        active.insert("status", value(&CampaignStatus::Active)?);
        let marked = c
            .campaigns
            .find_one_and_update(active, doc! { "$set": { "is_default": true, "updated_at": now.clone() } })
            .return_document(ReturnDocument::After)
            .await;
        match marked {
            Ok(Some(doc)) => return decode(doc, "id"),
            Ok(None) => return Err(not_active(get_campaign(c, tenant, id).await?.status)),
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(e).db(),
        }
    }
    Err(StoreError::Conflict("the default campaign kept changing meanwhile: try again".into()))
}

pub(super) async fn default_campaign(
    c: &Collections,
    tenant: UserId,
    platform: Platform,
) -> Result<Option<Campaign>> {
    let filter = doc! { "user_id": tenant.to_string(), "platform": value(&platform)?, "is_default": true };
    c.campaigns.find_one(filter).await.db()?.map(|doc| decode(doc, "id")).transpose()
}

pub(super) async fn add_campaign_stats(
    c: &Collections,
    together: &Batcher<Increment, bool>,
    tenant: UserId,
    id: CampaignId,
    delta: &CampaignStats,
) -> Result<()> {
    let amounts = [
        ("stats.conversations", delta.conversations),
        ("stats.leads", delta.leads),
        ("stats.conversions", delta.conversions),
        ("stats.revenue_minor", delta.revenue_minor),
    ];
    let increment = Increment {
        filter: owned(tenant, id),
        amounts: amounts.into_iter().map(|(field, amount)| (field.to_owned(), amount)).collect(),
        on_insert: Document::new(),
    };
    // Every message a campaign brings adds to its stats: those that arrive together
    // go in one command, summed per campaign.
    let write = |increments: Vec<Increment>| {
        counters::add_together(increments, |sums: Vec<Increment>| async move {
            let updates = sums
                .into_iter()
                .map(|sum| {
                    let update = sum.update();
                    (sum.filter, update)
                })
                .collect();
            statements::update_by_key(&c.db, &c.campaigns, updates).await
        })
    };
    if together.write(increment, write).await? { Ok(()) } else { Err(StoreError::not_found("campaign")) }
}
