//! The indexes, created at start. `createIndexes` is a no-op for an index that exists
//! with the same keys and options, so opening the store is idempotent; an index that
//! exists under the same name with other options fails loudly instead of silently
//! leaving the old rule in place.
//!
//! The unique ones are part of the store's correctness, not only its speed: they are
//! what makes find-or-create, enqueueing and message storage idempotent across many
//! `closerd` processes.

use mongodb::bson::{Document, doc};
use mongodb::error::ErrorKind;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};

use super::Collections;
use super::codec::DriverResult;
use crate::model::InboxStatus;
use crate::store::Result;

/// The index the inbox claim reads (it names it as a hint).
pub(super) const CLAIM_WINDOW: &str = "claim_waiting";

pub(super) async fn create(c: &Collections) -> Result<()> {
    ensure(&c.users, vec![unique("email_unique", doc! { "email": 1 })]).await?;
    ensure(
        &c.sessions,
        vec![
            unique("access_hash_unique", doc! { "tokens.access_hash": 1 }),
            unique("refresh_hash_unique", doc! { "tokens.refresh_hash": 1 }),
            plain("by_user", doc! { "user_id": 1 }),
        ],
    )
    .await?;
    ensure(&c.documents, vec![plain("by_user_uploaded", doc! { "user_id": 1, "uploaded_at": 1, "_id": 1 })])
        .await?;
    ensure(
        &c.integrations,
        vec![
            unique("page_unique", doc! { "platform": 1, "page_id": 1 }),
            plain("by_user", doc! { "user_id": 1, "_id": 1 }),
        ],
    )
    .await?;
    ensure(
        &c.campaigns,
        vec![
            plain("by_user_status", doc! { "user_id": 1, "status": 1 }),
            plain("by_user_platform_default", doc! { "user_id": 1, "platform": 1, "is_default": 1 }),
            // At most one default per business and platform, whatever races.
            partial_unique(
                "one_default_per_platform",
                doc! { "user_id": 1, "platform": 1 },
                doc! { "is_default": true },
            ),
        ],
    )
    .await?;
    ensure(
        &c.chats,
        vec![
            unique("customer_unique", doc! { "user_id": 1, "platform": 1, "customer_id": 1 }),
            plain("by_user_status_activity", doc! { "user_id": 1, "status": 1, "last_activity_at": 1 }),
            plain("by_user_activity", doc! { "user_id": 1, "last_activity_at": 1, "_id": 1 }),
        ],
    )
    .await?;
    ensure(
        &c.messages,
        vec![
            plain("by_chat_time", doc! { "chat_id": 1, "sent_at": 1, "_id": 1 }),
            // Messages we send have no platform id until the platform accepts them:
            // only those that have one must be unique.
            partial_unique(
                "platform_message_unique",
                doc! { "user_id": 1, "platform_message_id": 1 },
                doc! { "platform_message_id": { "$type": "string" } },
            ),
            // The outgoing messages whose send never finished, found after a crash:
            // only those, so that the index stays as small as they are few.
            partial("unsettled_pending", doc! { "sent_at": 1 }, doc! { "delivery": "pending" }),
            partial("unsettled_sending", doc! { "sent_at": 1 }, doc! { "delivery": "sending" }),
        ],
    )
    .await?;
    ensure(
        &c.analytics,
        vec![unique("day_unique", doc! { "user_id": 1, "date": 1, "campaign": 1, "platform": 1 })],
    )
    .await?;
    inbox(c).await
}

/// The inbox's: what the claim reads, and what finds the events a lease holds and
/// the handled ones. Each holds only the events it is read for, so that a new event
/// costs the fewest entries: its enqueue is what a webhook waits for.
async fn inbox(c: &Collections) -> Result<()> {
    // Indexes of earlier versions, which nothing reads any more or which held every
    // event: each cost every enqueue and every change of an event's status.
    let retired =
        ["waiting_by_time", "by_conversation_status", "by_status_available", "by_lease", "claim_window"];
    for old in retired {
        retire(&c.inbox, old).await?;
    }
    // Where earlier versions kept their leases, one document per conversation; the
    // holds are on the events now. Several closerd on one database are upgraded
    // together (README), so no process still reads it.
    c.db.collection::<Document>("inbox_leases").drop().await.db()?;
    ensure(
        &c.inbox,
        vec![
            // The handled events, oldest first, for forgetting them.
            partial(
                "handled",
                doc! { "status": 1, "available_at": 1 },
                doc! { "status": InboxStatus::Done.as_str() },
            ),
            // The events a lease holds. A lease id is never empty, and `$gt: ""` holds
            // only text: the server sees that a lease id asked for implies it, where it
            // did not see it for `$type: "string"`.
            partial("leased", doc! { "lease": 1 }, doc! { "lease": { "$gt": "" } }),
            // One hold per conversation: what keeps two workers from holding it at once,
            // and what the claim reads to leave out the conversations held.
            partial_unique(
                "one_hold_per_conversation",
                doc! { "hold.conversation": 1 },
                doc! { "hold.conversation": { "$gt": "" } },
            ),
            // The hold of a lease, which its worker extends and lets go of.
            partial("hold_by_lease", doc! { "hold.lease": 1 }, doc! { "hold.lease": { "$gt": "" } }),
            // The claim reads the oldest waiting events of the conversations no live
            // lease holds from this index alone: one range per status, merged in time
            // order; the due time and the conversation are checked on the keys, and
            // no event is fetched. Only waiting and leased events are in it: the
            // handled ones, kept for a week, would make it the largest of all.
            partial(
                CLAIM_WINDOW,
                doc! { "status": 1, "occurred_at": 1, "_id": 1, "available_at": 1, "conversation": 1 },
                doc! { "status": { "$in": [InboxStatus::Pending.as_str(), InboxStatus::Leased.as_str()] } },
            ),
        ],
    )
    .await
}

async fn ensure(collection: &Collection<Document>, models: Vec<IndexModel>) -> Result<()> {
    collection.create_indexes(models).await.db().map(drop)
}

/// Drops an index an earlier version created and this one replaced.
async fn retire(collection: &Collection<Document>, name: &str) -> Result<()> {
    // The server's codes for "namespace not found" and "index not found": nothing to drop.
    const GONE: [i32; 2] = [26, 27];
    match collection.drop_index(name).await {
        Err(e) if matches!(*e.kind, ErrorKind::Command(ref c) if GONE.contains(&c.code)) => Ok(()),
        other => other.db(),
    }
}

fn plain(name: &str, keys: Document) -> IndexModel {
    IndexModel::builder().keys(keys).options(IndexOptions::builder().name(name.to_owned()).build()).build()
}

fn unique(name: &str, keys: Document) -> IndexModel {
    let options = IndexOptions::builder().name(name.to_owned()).unique(true).build();
    IndexModel::builder().keys(keys).options(options).build()
}

fn partial(name: &str, keys: Document, filter: Document) -> IndexModel {
    let options = IndexOptions::builder().name(name.to_owned()).partial_filter_expression(filter).build();
    IndexModel::builder().keys(keys).options(options).build()
}

fn partial_unique(name: &str, keys: Document, filter: Document) -> IndexModel {
    let options =
        IndexOptions::builder().name(name.to_owned()).unique(true).partial_filter_expression(filter).build();
    IndexModel::builder().keys(keys).options(options).build()
}
