//! Accounts' credentials: password hashing, bearer tokens and sessions, the login
//! throttle, and the extractor that turns a request's bearer token into its business.

pub mod cache;
pub mod passwords;
pub mod throttle;
pub mod tokens;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use closer_core::model::{Session, SessionId, SessionTokens, TokenKind, UserId};
use closer_core::store::StoreError;
use serde::Serialize;

use crate::error::AppError;
use crate::state::AppState;

/// A request's verified identity: the business it acts for and the session it uses.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated {
    pub user_id: UserId,
    pub session_id: SessionId,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)?.ok_or_else(|| {
            AppError::unauthorized("unauthorized", "missing Authorization: Bearer <access token>")
        })?;
        authenticate(state, token).await
    }
}

/// The token of an `Authorization: Bearer` header: `None` without the header, an error
/// when the header is there but is not a bearer token (refused, never skipped).
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(header) = headers.get(AUTHORIZATION) else { return Ok(None) };
    header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(Some)
        .ok_or_else(|| {
            AppError::unauthorized("unauthorized", "expected Authorization: Bearer <access token>")
        })
}

/// Checks an access token (from a header, or a WebSocket's query string).
pub async fn authenticate(state: &AppState, access_token: &str) -> Result<Authenticated, AppError> {
    let hash = tokens::hash(access_token);
    let now = state.clock.now();
    if let Some(known) = state.sessions.get(&hash, now) {
        return Ok(known);
    }
    let session = state.store.find_session(TokenKind::Access, &hash).await?.ok_or_else(|| {
        AppError::unauthorized("invalid_token", "the access token is unknown or was revoked")
    })?;
    if session.tokens.access_expires_at <= now {
        return Err(AppError::unauthorized("token_expired", "the access token has expired: refresh it"));
    }
    let who = Authenticated { user_id: session.user_id, session_id: session.id };
    state.sessions.insert(hash, who, session.tokens.access_expires_at, now);
    Ok(who)
}

/// What a client gets when it logs in or refreshes: shown once, never stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

/// A fresh pair of tokens, and what the store keeps of them.
fn new_pair(state: &AppState) -> Result<(IssuedTokens, SessionTokens), AppError> {
    let now = state.clock.now();
    let (access_for, refresh_for) = (state.settings.access_token_ttl, state.settings.refresh_token_ttl);
    let issued = IssuedTokens {
        access_token: tokens::generate(TokenKind::Access)?,
        refresh_token: tokens::generate(TokenKind::Refresh)?,
        token_type: "Bearer",
        expires_in: access_for.as_secs(),
        refresh_expires_in: refresh_for.as_secs(),
    };
    let stored = SessionTokens {
        access_hash: tokens::hash(&issued.access_token),
        access_expires_at: now + access_for,
        refresh_hash: tokens::hash(&issued.refresh_token),
        refresh_expires_at: now + refresh_for,
    };
    Ok((issued, stored))
}

/// Logs `user` in: a new session with a new pair of tokens.
pub async fn start_session(state: &AppState, user_id: UserId) -> Result<IssuedTokens, AppError> {
    let (issued, tokens) = new_pair(state)?;
    let now = state.clock.now();
    let session = Session { id: SessionId::new(), user_id, tokens, created_at: now, rotated_at: now };
    state.store.create_session(&session).await?;
    Ok(issued)
}

/// Exchanges a refresh token for a new pair; the old refresh token stops working.
pub async fn refresh_session(state: &AppState, refresh_token: &str) -> Result<IssuedTokens, AppError> {
    let invalid = || AppError::unauthorized("invalid_token", "the refresh token is unknown, used or revoked");
    let presented = tokens::hash(refresh_token);
    let session = state.store.find_session(TokenKind::Refresh, &presented).await?.ok_or_else(invalid)?;
    if session.tokens.refresh_expires_at <= state.clock.now() {
        return Err(AppError::unauthorized("token_expired", "the refresh token has expired: log in again"));
    }
    let (issued, next) = new_pair(state)?;
    match state.store.rotate_session(session.id, &presented, &next, state.clock.now()).await {
        Ok(_) => {
            state.sessions.forget_session(session.id);
            Ok(issued)
        }
        // Used twice at once: only the first wins, the second is refused.
        Err(StoreError::Conflict(_) | StoreError::NotFound { .. }) => Err(invalid()),
        Err(error) => Err(error.into()),
    }
}
