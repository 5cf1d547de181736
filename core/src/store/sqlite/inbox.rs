//! The durable inbox: idempotent enqueue, and conversation leases for the workers.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::users::{parse_id, timestamp};
use super::{Result, from_json, to_json};
use crate::model::{
    Enqueued, InboxClaim, InboxEvent, InboxStatus, LeaseId, NewInboxEvent, Platform, Timestamp,
};
use crate::store::StoreError;

/// Events a worker may take from the conversation it has just leased: waiting and
/// due, or still marked leased under a lease that ran out (nobody else holds the
/// conversation: that is what the claim checked).
// The literal `status IN (…)` lets SQLite use the partial index
// `inbox_by_conversation`, whose WHERE clause it must see implied: without it every
// claim scanned the whole inbox, done events included, and slowed as the inbox grew.
const CLAIMABLE: &str = "status IN ('pending', 'leased') AND ((status = 'pending' AND available_at <= :now) OR status = 'leased')";

/// A new event as its row's values.
pub(super) struct NewRow {
    key: String,
    user_id: String,
    platform: &'static str,
    conversation: String,
    occurred_at: i64,
    received_at: i64,
    payload: String,
}

impl NewRow {
    pub(super) fn encode(event: &NewInboxEvent) -> Result<Self> {
        Ok(Self {
            key: event.key.clone(),
            user_id: event.user_id.to_string(),
            platform: event.platform.as_str(),
            conversation: event.conversation.clone(),
            occurred_at: event.occurred_at.as_millis(),
            received_at: event.received_at.as_millis(),
            payload: to_json(&event.payload)?,
        })
    }
}

pub(super) fn enqueue(conn: &Connection, row: &NewRow) -> Result<Enqueued> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO inbox (key, user_id, platform, conversation, occurred_at, received_at, payload, status, \
             available_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?6) ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![
            row.key,
            row.user_id,
            row.platform,
            row.conversation,
            row.occurred_at,
            row.received_at,
            row.payload
        ])?;
    Ok(if inserted == 1 { Enqueued::New } else { Enqueued::Duplicate })
}

pub(super) fn claim(
    conn: &Connection,
    owner: String,
    now: Timestamp,
    lease_for: Duration,
    max_events: usize,
) -> Result<Option<InboxClaim>> {
    let now_ms = now.as_millis();
    requeue_expired(conn, now_ms)?;
    // Only waiting events are looked at: those in progress (as many as there are
    // workers) were walked past one by one, and made a claim cost as much as all
    // the rest of a message's writes together.
    let conversation: Option<String> = conn
        .prepare_cached(
            "SELECT conversation FROM inbox AS event \
             WHERE status = 'pending' AND available_at <= :now AND NOT EXISTS ( \
                 SELECT 1 FROM inbox_leases AS held \
                 WHERE held.conversation = event.conversation AND held.lease_until > :now) \
             ORDER BY occurred_at, key LIMIT 1",
        )?
        .query_row(rusqlite::named_params! { ":now": now_ms }, |row| row.get(0))
        .optional()?;
    let Some(conversation) = conversation else { return Ok(None) };

    let lease = LeaseId::new();
    let lease_until = now + lease_for;
    conn.prepare_cached(
        "INSERT INTO inbox_leases (conversation, lease, owner, lease_until) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (conversation) DO UPDATE SET lease = excluded.lease, owner = excluded.owner, \
         lease_until = excluded.lease_until",
    )?
    .execute(params![conversation, lease.to_string(), owner, lease_until.as_millis()])?;

    // Holding the conversation now, events still marked leased belong to a lease that
    // expired: they are taken again.
    let events = conn
        .prepare_cached(&format!(
            "UPDATE inbox SET status = 'leased', lease = :lease, attempts = attempts + 1 WHERE key IN ( \
                 SELECT key FROM inbox WHERE conversation = :conversation AND {CLAIMABLE} \
                 ORDER BY occurred_at, key LIMIT :max) \
             RETURNING {COLUMNS}"
        ))?
        .query_map(
            rusqlite::named_params! {
                ":lease": lease.to_string(),
                ":conversation": conversation,
                ":now": now_ms,
                ":max": i64::try_from(max_events.max(1)).unwrap_or(i64::MAX),
            },
            read_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut events = events.into_iter().collect::<Result<Vec<_>>>()?;
    // RETURNING gives no order: put them back in the order they happened.
    events.sort_by(|a, b| (a.occurred_at, &a.key).cmp(&(b.occurred_at, &b.key)));
    Ok(Some(InboxClaim { lease, conversation, owner, lease_until, events }))
}

/// Puts back to waiting the events of leases that ran out (their holder stopped or
/// stalled), and forgets those leases: a holder that comes back finds its lease gone.
/// Nothing to do, the usual case, costs one look at the earliest expiry.
fn requeue_expired(conn: &Connection, now_ms: i64) -> Result<()> {
    let expired = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM inbox_leases WHERE lease_until <= ?1)")?
        .query_row([now_ms], |row| row.get::<_, bool>(0))?;
    if expired {
        conn.prepare_cached(
            "UPDATE inbox SET status = 'pending', lease = NULL WHERE status = 'leased' AND lease IN ( \
                 SELECT lease FROM inbox_leases WHERE lease_until <= ?1)",
        )?
        .execute([now_ms])?;
        conn.prepare_cached("DELETE FROM inbox_leases WHERE lease_until <= ?1")?.execute([now_ms])?;
    }
    Ok(())
}

pub(super) fn extend(conn: &Connection, lease: LeaseId, until: Timestamp) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE inbox_leases SET lease_until = ?2 WHERE lease = ?1")?
        .execute(params![lease.to_string(), until.as_millis()])?;
    held(changed)
}

pub(super) fn complete(conn: &Connection, lease: LeaseId, key: &str) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE inbox SET status = 'done', lease = NULL, last_error = NULL \
             WHERE key = ?1 AND lease = ?2 AND status = 'leased'",
        )?
        .execute(params![key, lease.to_string()])?;
    held(changed)?;
    end_if_finished(conn, lease)?;
    Ok(())
}

pub(super) fn fail(
    conn: &Connection,
    lease: LeaseId,
    key: &str,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    end_failed(conn, lease, key, error, retry_at)?;
    end_if_finished(conn, lease)?;
    Ok(())
}

/// A failed event, back to waiting from `retry_at` or given up; Conflict if `lease`
/// no longer holds it.
fn end_failed(
    conn: &Connection,
    lease: LeaseId,
    key: &str,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    let (status, available_at) = match retry_at {
        Some(at) => (InboxStatus::Pending, Some(at.as_millis())),
        None => (InboxStatus::Failed, None),
    };
    let changed = conn
        .prepare_cached(
            "UPDATE inbox SET status = ?3, lease = NULL, last_error = ?4, \
             available_at = coalesce(?5, available_at) WHERE key = ?1 AND lease = ?2 AND status = 'leased'",
        )?
        .execute(params![key, lease.to_string(), status.as_str(), error, available_at])?;
    held(changed)
}

/// A lease whose last event is done or failed ends by itself: the conversation is
/// free for the events that arrived meanwhile, without another round trip.
fn end_if_finished(conn: &Connection, lease: LeaseId) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM inbox_leases WHERE lease = ?1 \
         AND NOT EXISTS (SELECT 1 FROM inbox WHERE lease = ?1 AND status = 'leased')",
    )?
    .execute([lease.to_string()])?;
    Ok(())
}

pub(super) fn release(conn: &Connection, lease: LeaseId) -> Result<()> {
    put_back(conn, lease)?;
    end_lease(conn, lease)
}

/// The failed events end as [`fail`] ends one, the rest of the claim waits again, and
/// the conversation stays held until their retry (or is free at once when they were
/// given up). In one write: no claim sees the rest free before the hold.
///
/// The hold is a lease of its own, under a new id: whatever the worker still sends
/// under its old one (a heartbeat already on its way) finds nothing to extend, and
/// cannot move the retry.
pub(super) fn give_back(
    conn: &Connection,
    lease: LeaseId,
    failed: &[String],
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    for key in failed {
        end_failed(conn, lease, key, error, retry_at)?;
    }
    put_back(conn, lease)?;
    let Some(at) = retry_at else { return end_lease(conn, lease) };
    conn.prepare_cached("UPDATE inbox_leases SET lease = ?2, lease_until = ?3 WHERE lease = ?1")?
        .execute(params![lease.to_string(), LeaseId::new().to_string(), at.as_millis()])?;
    Ok(())
}

fn end_lease(conn: &Connection, lease: LeaseId) -> Result<()> {
    conn.prepare_cached("DELETE FROM inbox_leases WHERE lease = ?1")?.execute([lease.to_string()])?;
    Ok(())
}

/// The events still leased under `lease` wait again, untried: their claim no longer
/// counts as an attempt.
fn put_back(conn: &Connection, lease: LeaseId) -> Result<()> {
    conn.prepare_cached(
        "UPDATE inbox SET status = 'pending', lease = NULL, attempts = attempts - 1 \
         WHERE lease = ?1 AND status = 'leased'",
    )?
    .execute([lease.to_string()])?;
    Ok(())
}

pub(super) fn get(conn: &Connection, key: &str) -> Result<InboxEvent> {
    let row = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM inbox WHERE key = ?1"))?
        .query_row([key], read_row)
        .optional()?;
    row.ok_or(StoreError::NotFound { what: "inbox event" })?
}

/// One bite of the handled events, through their own index: every write waiting
/// behind it is kept waiting only as long as `limit` deletions take.
pub(super) fn forget_handled(conn: &Connection, before: Timestamp, limit: usize) -> Result<usize> {
    let forgotten = conn
        .prepare_cached(FORGET_HANDLED)?
        .execute(params![before.as_millis(), i64::try_from(limit).unwrap_or(i64::MAX)])?;
    Ok(forgotten)
}

pub(super) const FORGET_HANDLED: &str = "DELETE FROM inbox WHERE rowid IN ( \
     SELECT rowid FROM inbox WHERE status = 'done' AND available_at < ?1 ORDER BY available_at LIMIT ?2)";

fn held(changed: usize) -> Result<()> {
    if changed == 0 {
        return Err(StoreError::Conflict(
            "the inbox lease was lost: another worker holds the conversation".into(),
        ));
    }
    Ok(())
}

const COLUMNS: &str = "key, user_id, platform, conversation, occurred_at, received_at, payload, status, attempts, \
                       last_error, available_at, lease";

/// One inbox row; the outer error is SQLite's, the inner one a record we cannot read.
fn read_row(row: &Row<'_>) -> rusqlite::Result<Result<InboxEvent>> {
    let platform: String = row.get(2)?;
    let status: String = row.get(7)?;
    let payload: String = row.get(6)?;
    let (user_id, lease): (String, Option<String>) = (row.get(1)?, row.get(11)?);
    let (occurred, received, available): (i64, i64, i64) = (row.get(4)?, row.get(5)?, row.get(10)?);
    let (key, conversation, attempts, last_error) = (row.get(0)?, row.get(3)?, row.get(8)?, row.get(9)?);
    Ok((|| {
        Ok(InboxEvent {
            key,
            user_id: parse_id(&user_id)?,
            platform: Platform::parse(&platform)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown platform {platform:?}")))?,
            conversation,
            occurred_at: timestamp(occurred)?,
            payload: from_json(&payload)?,
            received_at: timestamp(received)?,
            status: InboxStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown inbox status {status:?}")))?,
            attempts,
            last_error,
            available_at: timestamp(available)?,
            lease: lease.as_deref().map(parse_id).transpose()?,
        })
    })())
}
