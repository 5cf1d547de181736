//! Accounts and login sessions.

use mongodb::bson::doc;
use mongodb::options::ReturnDocument;

use super::Collections;
use super::codec::{DriverResult, conflict_as, decode, encode, value};
use crate::model::{Email, Session, SessionId, SessionTokens, Timestamp, TokenHash, TokenKind, User, UserId};
use crate::store::{Result, StoreError};

const EMAIL_TAKEN: &str = "an account with this email already exists";
const TOKEN_TAKEN: &str = "a session with this token already exists";

pub(super) async fn create_user(c: &Collections, user: &User) -> Result<()> {
    // The id clashing is as good as impossible (UUIDv7); the email is what clashes.
    c.users.insert_one(encode(user, "id")?).await.map_err(|e| conflict_as(&e, EMAIL_TAKEN))?;
    Ok(())
}

pub(super) async fn get_user(c: &Collections, id: UserId) -> Result<User> {
    let found = c.users.find_one(doc! { "_id": id.to_string() }).await.db()?;
    decode(found.ok_or(StoreError::not_found("user"))?, "id")
}

pub(super) async fn find_user_by_email(c: &Collections, email: &Email) -> Result<Option<User>> {
    let found = c.users.find_one(doc! { "email": email.as_str() }).await.db()?;
    found.map(|doc| decode(doc, "id")).transpose()
}

pub(super) async fn update_user(c: &Collections, user: &User) -> Result<()> {
    let result = c
        .users
        .replace_one(doc! { "_id": user.id.to_string() }, encode(user, "id")?)
        .await
        .map_err(|e| conflict_as(&e, EMAIL_TAKEN))?;
    if result.matched_count == 0 {
        return Err(StoreError::not_found("user"));
    }
    Ok(())
}

pub(super) async fn create_session(c: &Collections, session: &Session) -> Result<()> {
    c.sessions.insert_one(encode(session, "id")?).await.map_err(|e| conflict_as(&e, TOKEN_TAKEN))?;
    Ok(())
}

pub(super) async fn find_session(
    c: &Collections,
    kind: TokenKind,
    hash: &TokenHash,
) -> Result<Option<Session>> {
    let field = match kind {
        TokenKind::Access => "tokens.access_hash",
        TokenKind::Refresh => "tokens.refresh_hash",
    };
    let found = c.sessions.find_one(doc! { field: hash.0.as_str() }).await.db()?;
    found.map(|doc| decode(doc, "id")).transpose()
}

pub(super) async fn rotate_session(
    c: &Collections,
    id: SessionId,
    presented: &TokenHash,
    next: &SessionTokens,
    now: Timestamp,
) -> Result<Session> {
    // Compare-and-swap on the refresh hash: of two requests presenting the same
    // refresh token, exactly one matches.
    let rotated = c
        .sessions
        .find_one_and_update(
            doc! { "_id": id.to_string(), "tokens.refresh_hash": presented.0.as_str() },
            doc! { "$set": { "tokens": value(next)?, "rotated_at": value(&now)? } },
        )
        .return_document(ReturnDocument::After)
        .await
        .map_err(|e| conflict_as(&e, TOKEN_TAKEN))?;
    if let Some(doc) = rotated {
        return decode(doc, "id");
    }
    let exists =
        c.sessions.find_one(doc! { "_id": id.to_string() }).projection(doc! { "_id": 1 }).await.db()?;
    match exists {
        Some(_) => Err(StoreError::Conflict("the refresh token was already used".into())),
        None => Err(StoreError::not_found("session")),
    }
}

pub(super) async fn revoke_session(c: &Collections, tenant: UserId, id: SessionId) -> Result<()> {
    let result =
        c.sessions.delete_one(doc! { "_id": id.to_string(), "user_id": tenant.to_string() }).await.db()?;
    if result.deleted_count == 0 {
        return Err(StoreError::not_found("session"));
    }
    Ok(())
}

pub(super) async fn revoke_sessions(c: &Collections, tenant: UserId) -> Result<u64> {
    Ok(c.sessions.delete_many(doc! { "user_id": tenant.to_string() }).await.db()?.deleted_count)
}
