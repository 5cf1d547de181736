//! The SQLite schema, as numbered migrations applied at open.
//!
//! Records are kept whole as JSON in a `doc` column, the model being the one
//! definition of their shape; the fields that queries filter, order or constrain on
//! are columns beside it. `PRAGMA user_version` counts the migrations applied: a new
//! migration is appended here, never edited in place.

use rusqlite::Connection;

/// Each entry runs once, in order, in its own transaction.
const MIGRATIONS: &[&str] = &[
    // 1: everything issue one of the store needs.
    r"
    CREATE TABLE users (
        id    TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        doc   TEXT NOT NULL
    );

    CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL,
        access_hash  TEXT NOT NULL UNIQUE,
        refresh_hash TEXT NOT NULL UNIQUE,
        doc          TEXT NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user_id);

    CREATE TABLE documents (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL,
        filename     TEXT NOT NULL,
        content_type TEXT NOT NULL,
        uploaded_at  INTEGER NOT NULL,
        content      TEXT NOT NULL
    );
    CREATE INDEX documents_by_user ON documents (user_id, uploaded_at);

    CREATE TABLE integrations (
        id       TEXT PRIMARY KEY,
        user_id  TEXT NOT NULL,
        platform TEXT NOT NULL,
        page_id  TEXT NOT NULL,
        status   TEXT NOT NULL,
        doc      TEXT NOT NULL,
        UNIQUE (platform, page_id)
    );
    CREATE INDEX integrations_by_user ON integrations (user_id);

    CREATE TABLE campaigns (
        id         TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL,
        platform   TEXT NOT NULL,
        status     TEXT NOT NULL,
        is_default INTEGER NOT NULL,
        version    INTEGER NOT NULL,
        doc        TEXT NOT NULL
    );
    CREATE INDEX campaigns_by_user ON campaigns (user_id, status);
    CREATE INDEX campaigns_default ON campaigns (user_id, platform) WHERE is_default = 1;

    CREATE TABLE chats (
        id               TEXT PRIMARY KEY,
        user_id          TEXT NOT NULL,
        platform         TEXT NOT NULL,
        customer_id      TEXT NOT NULL,
        status           TEXT NOT NULL,
        mode             TEXT NOT NULL,
        campaign_id      TEXT,
        score            INTEGER NOT NULL,
        search_text      TEXT NOT NULL,
        last_activity_at INTEGER NOT NULL,
        doc              TEXT NOT NULL,
        UNIQUE (user_id, platform, customer_id)
    );
    CREATE INDEX chats_by_activity ON chats (user_id, last_activity_at DESC, id DESC);
    CREATE INDEX chats_by_status ON chats (user_id, status, last_activity_at DESC);

    CREATE TABLE messages (
        id                  TEXT PRIMARY KEY,
        chat_id             TEXT NOT NULL,
        user_id             TEXT NOT NULL,
        platform_message_id TEXT,
        sent_at             INTEGER NOT NULL,
        doc                 TEXT NOT NULL
    );
    CREATE INDEX messages_by_chat ON messages (chat_id, sent_at, id);
    -- NULLs never clash, so only messages with a platform id are deduplicated.
    CREATE UNIQUE INDEX messages_by_platform_id ON messages (user_id, platform_message_id);

    CREATE TABLE inbox (
        key          TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL,
        platform     TEXT NOT NULL,
        conversation TEXT NOT NULL,
        occurred_at  INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        payload      TEXT NOT NULL,
        status       TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        available_at INTEGER NOT NULL,
        lease        TEXT
    );
    CREATE INDEX inbox_waiting ON inbox (occurred_at, key) WHERE status IN ('pending', 'leased');
    CREATE INDEX inbox_by_conversation ON inbox (conversation, occurred_at, key) WHERE status IN ('pending', 'leased');
    CREATE INDEX inbox_by_lease ON inbox (lease) WHERE lease IS NOT NULL;

    -- One row per conversation a worker holds (or held: an expired row is free).
    CREATE TABLE inbox_leases (
        conversation TEXT PRIMARY KEY,
        lease        TEXT NOT NULL UNIQUE,
        owner        TEXT NOT NULL,
        lease_until  INTEGER NOT NULL
    );

    -- Hourly rows; a day is the sum of its hours.
    CREATE TABLE analytics (
        user_id               TEXT NOT NULL,
        date                  TEXT NOT NULL,
        campaign_id           TEXT NOT NULL,  -- '' for chats without a campaign
        platform              TEXT NOT NULL,
        hour                  INTEGER NOT NULL,
        messages_sent         INTEGER NOT NULL DEFAULT 0,
        messages_received     INTEGER NOT NULL DEFAULT 0,
        conversations_started INTEGER NOT NULL DEFAULT 0,
        leads                 INTEGER NOT NULL DEFAULT 0,
        conversions           INTEGER NOT NULL DEFAULT 0,
        revenue_minor         INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, date, campaign_id, platform, hour)
    ) WITHOUT ROWID;
    ",
    // 2: the response rate's numerator; knowledge-base trainings; Leo's conversations.
    r"
    ALTER TABLE analytics ADD COLUMN messages_answered INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE knowledge (
        user_id TEXT PRIMARY KEY,
        doc     TEXT NOT NULL
    );

    CREATE TABLE leo_conversations (
        id      TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        doc     TEXT NOT NULL
    );
    ",
    // 3: claims look among the waiting events only, which this index holds whole
    // (the one of waiting and leased events it replaces is no longer read); leases
    // that ran out are found by their expiry.
    r"
    CREATE INDEX inbox_pending ON inbox (occurred_at, key, conversation, available_at)
        WHERE status = 'pending';
    DROP INDEX inbox_waiting;
    CREATE INDEX inbox_leases_by_expiry ON inbox_leases (lease_until);
    ",
    // 4: handled events are forgotten after a while, the oldest first.
    r"
    CREATE INDEX inbox_handled ON inbox (available_at) WHERE status = 'done';
    ",
    // 5: the outgoing messages whose send never finished, found after a crash: while
    // its send is unfinished a message carries the time it was written (a column, so
    // that the index costs no look into the document on every write).
    r"
    ALTER TABLE messages ADD COLUMN unsettled_since INTEGER;
    UPDATE messages SET unsettled_since = sent_at
        WHERE json_extract(doc, '$.delivery') IN ('pending', 'sending');
    CREATE INDEX messages_unsettled ON messages (unsettled_since) WHERE unsettled_since IS NOT NULL;
    ",
];

/// Brings the database up to the latest schema. Refuses a database written by a newer
/// Closer rather than guess at its shape.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Ok(Err(format!(
            "the database is at schema version {applied}, newer than this closerd knows ({}): upgrade closerd",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        // Some read every row (an index built, a column filled): long on a big file.
        tracing::info!(version = index + 1, "applying store migration");
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied store migration");
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database of an earlier version keeps its rows through the later migrations.
    #[test]
    fn an_older_database_upgrades_with_its_rows() {
        let mut conn = Connection::open_in_memory().expect("open");
        let tx = conn.transaction().expect("tx");
        tx.execute_batch(MIGRATIONS[0]).expect("version 1");
        tx.pragma_update(None, "user_version", 1).expect("version");
        tx.commit().expect("commit");
        conn.execute(
            "INSERT INTO analytics (user_id, date, campaign_id, platform, hour, messages_received) \
             VALUES ('u', '2026-11-20', '', 'facebook', 9, 7)",
            [],
        )
        .expect("a version-1 row");
        for (id, delivery) in [("m1", "received"), ("m2", "sending"), ("m3", "sent"), ("m4", "pending")] {
            conn.execute(
                "INSERT INTO messages (id, chat_id, user_id, sent_at, doc) VALUES (?1, 'c', 'u', 5, ?2)",
                [id, &format!(r#"{{"delivery":"{delivery}"}}"#)],
            )
            .expect("a version-1 message");
        }

        migrate(&mut conn).expect("sqlite").expect("migrated");

        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).expect("version");
        assert_eq!(usize::try_from(version).ok(), Some(MIGRATIONS.len()));
        let (received, answered): (i64, i64) = conn
            .query_row("SELECT messages_received, messages_answered FROM analytics", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .expect("the row survived");
        assert_eq!((received, answered), (7, 0));
        let unsettled: Vec<String> = conn
            .prepare("SELECT id FROM messages WHERE unsettled_since = 5 ORDER BY id")
            .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
            .expect("unsettled");
        assert_eq!(unsettled, ["m2", "m4"], "sends under way are found after the upgrade");
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", 99).expect("version");
        let refused = migrate(&mut conn).expect("sqlite").expect_err("too new");
        assert!(refused.contains("upgrade closerd"), "{refused}");
    }
}
