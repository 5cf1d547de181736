//! Accounts, sessions and knowledge-base documents.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, conflict_as, doc_of, expect_one, found, to_json};
use crate::model::{
    Document, DocumentId, DocumentMeta, Session, SessionId, SessionTokens, Timestamp, TokenHash, User, UserId,
};
use crate::store::StoreError;

pub(super) fn create_user(conn: &Connection, user: &User) -> Result<()> {
    conn.prepare_cached("INSERT INTO users (id, email, doc) VALUES (?1, ?2, ?3)")?
        .execute(params![user.id.to_string(), user.email.as_str(), to_json(user)?])
        .map_err(|e| conflict_as(e, "an account with this email already exists"))?;
    Ok(())
}

pub(super) fn update_user(conn: &Connection, user: &User) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE users SET email = ?2, doc = ?3 WHERE id = ?1")?
        .execute(params![user.id.to_string(), user.email.as_str(), to_json(user)?])
        .map_err(|e| conflict_as(e, "an account with this email already exists"))?;
    expect_one(changed, "user")
}

pub(super) fn create_session(conn: &Connection, session: &Session) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (id, user_id, access_hash, refresh_hash, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        session.id.to_string(),
        session.user_id.to_string(),
        session.tokens.access_hash.0,
        session.tokens.refresh_hash.0,
        to_json(session)?
    ])
    .map_err(|e| conflict_as(e, "a session with this token already exists"))?;
    Ok(())
}

pub(super) fn rotate_session(
    conn: &Connection,
    id: SessionId,
    presented: &TokenHash,
    next: SessionTokens,
    now: Timestamp,
) -> Result<Session> {
    let mut session: Session =
        found(doc_of(conn, "SELECT doc FROM sessions WHERE id = ?1", [id.to_string()])?, "session")?;
    if session.tokens.refresh_hash != *presented {
        return Err(StoreError::Conflict("the refresh token was already used".into()));
    }
    session.tokens = next;
    session.rotated_at = now;
    conn.prepare_cached("UPDATE sessions SET access_hash = ?2, refresh_hash = ?3, doc = ?4 WHERE id = ?1")?
        .execute(params![
            id.to_string(),
            session.tokens.access_hash.0,
            session.tokens.refresh_hash.0,
            to_json(&session)?
        ])
        .map_err(|e| conflict_as(e, "a session with this token already exists"))?;
    Ok(session)
}

pub(super) fn add_document(conn: &Connection, doc: &Document) -> Result<()> {
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM documents WHERE user_id = ?1")?
        .query_row([doc.user_id.to_string()], |row| row.get(0))?;
    if count >= Document::MAX_PER_BUSINESS as i64 {
        return Err(StoreError::Conflict(format!(
            "the knowledge base already has {} documents, the most it may hold: delete one first",
            Document::MAX_PER_BUSINESS
        )));
    }
    conn.prepare_cached(
        "INSERT INTO documents (id, user_id, filename, content_type, uploaded_at, content) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        doc.id.to_string(),
        doc.user_id.to_string(),
        doc.filename,
        doc.content_type,
        doc.uploaded_at.as_millis(),
        doc.content
    ])
    .map_err(|e| conflict_as(e, "a document with this id already exists"))?;
    Ok(())
}

pub(super) fn list_documents(conn: &Connection, tenant: UserId) -> Result<Vec<DocumentMeta>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, filename, content_type, length(CAST(content AS BLOB)), uploaded_at \
         FROM documents WHERE user_id = ?1 ORDER BY uploaded_at, id",
    )?;
    let rows = stmt.query_map([tenant.to_string()], |row| {
        Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?, row.get::<_, i64>(3)?, row.get::<_, i64>(4)?))
    })?;
    rows.map(|row| {
        let (id, filename, content_type, size, uploaded) = row?;
        Ok(DocumentMeta {
            id: parse_id(&id)?,
            filename,
            content_type,
            size_bytes: size as u64,
            uploaded_at: timestamp(uploaded)?,
        })
    })
    .collect()
}

pub(super) fn get_document(conn: &Connection, tenant: UserId, id: DocumentId) -> Result<Document> {
    let row = conn
        .prepare_cached(
            "SELECT filename, content_type, content, uploaded_at FROM documents WHERE id = ?1 AND user_id = ?2",
        )?
        .query_row([id.to_string(), tenant.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get::<_, i64>(3)?))
        })
        .optional()?;
    let (filename, content_type, content, uploaded) = found(row, "document")?;
    Ok(Document { id, user_id: tenant, filename, content_type, content, uploaded_at: timestamp(uploaded)? })
}

pub(super) fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("not an id: {text:?}")))
}

pub(super) fn timestamp(millis: i64) -> Result<Timestamp> {
    Timestamp::from_millis(millis).ok_or_else(|| StoreError::Corrupt(format!("not a time: {millis}")))
}
