//! `/api/v1/auth`: register, login, refresh, logout, me.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use closer_core::model::{BusinessInfo, Email, Role, Timestamp, User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, Authenticated, IssuedTokens, passwords};
use crate::error::AppError;
use crate::extract::{AppJson, ClientAddress};
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// An account as the API shows it: never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: UserId,
    pub email: Email,
    pub role: Role,
    pub business: BusinessInfo,
    pub onboarding_completed: bool,
    pub onboarding_completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl From<&User> for AccountView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            role: user.role,
            business: user.business.clone(),
            onboarding_completed: user.onboarding_completed_at.is_some(),
            onboarding_completed_at: user.onboarding_completed_at,
            created_at: user.created_at,
        }
    }
}

/// A new login: the account and its tokens.
#[derive(Debug, Serialize, ToSchema)]
struct Welcome {
    account: AccountView,
    #[serde(flatten)]
    tokens: IssuedTokens,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

// Never derive Debug on Credentials: it would print the password.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("email", &self.email).finish_non_exhaustive()
    }
}

/// Creates an account (and logs it in). Passwords must be at least 10 characters.
#[utoipa::path(post, path = "/register", tag = "auth", request_body = Credentials, responses(
    (status = 201, body = Welcome),
    (status = 409, description = "email already registered", body = ErrorBody),
    (status = 422, description = "invalid email or password", body = ErrorBody),
))]
async fn register(
    State(state): State<AppState>,
    AppJson(credentials): AppJson<Credentials>,
) -> Result<(StatusCode, Json<Welcome>), AppError> {
    let email = Email::parse(&credentials.email)?;
    passwords::check_rules(&credentials.password)?;
    let hash = passwords::hash(credentials.password).await?;
    let user = User::new(email, hash, state.clock.now());
    state.store.create_user(&user).await?;
    tracing::info!(user = %user.id, "account registered");
    let tokens = auth::start_session(&state, user.id).await?;
    Ok((StatusCode::CREATED, Json(Welcome { account: AccountView::from(&user), tokens })))
}

/// Logs in. After 5 failures in 15 minutes (per email or per address): 429 with `Retry-After`.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = Credentials, responses(
    (status = 200, body = Welcome),
    (status = 401, description = "wrong email or password", body = ErrorBody),
    (status = 429, description = "too many failures", body = ErrorBody),
))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    AppJson(credentials): AppJson<Credentials>,
) -> Result<Json<Welcome>, AppError> {
    let refused = || AppError::unauthorized("invalid_credentials", "wrong email or password");
    let Ok(email) = Email::parse(&credentials.email) else { return Err(refused()) };
    let now = state.clock.now();
    state
        .login_throttle
        .check(&email, address, now)
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;

    let user = state.store.find_user_by_email(&email).await?;
    let verified = if let Some(user) = &user {
        passwords::verify(credentials.password, user.password_hash.clone()).await?
    } else {
        passwords::verify_nothing(credentials.password).await?;
        false
    };
    let Some(user) = user.filter(|_| verified) else {
        state.login_throttle.record_failure(&email, address, now);
        tracing::info!(?address, "failed login");
        return Err(refused());
    };
    state.login_throttle.record_success(&email);
    let tokens = auth::start_session(&state, user.id).await?;
    Ok(Json(Welcome { account: AccountView::from(&user), tokens }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

/// Exchanges a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = IssuedTokens),
    (status = 401, description = "unknown, used, revoked or expired", body = ErrorBody),
))]
async fn refresh(
    State(state): State<AppState>,
    AppJson(request): AppJson<RefreshRequest>,
) -> Result<Json<IssuedTokens>, AppError> {
    Ok(Json(auth::refresh_session(&state, &request.refresh_token).await?))
}

/// Ends this session: its tokens stop working.
#[utoipa::path(post, path = "/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "logged out"),
    (status = 401, body = ErrorBody),
))]
async fn logout(State(state): State<AppState>, who: Authenticated) -> Result<StatusCode, AppError> {
    state.store.revoke_session(who.user_id, who.session_id).await?;
    state.sessions.forget_session(who.session_id);
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in account.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = AccountView),
    (status = 401, body = ErrorBody),
))]
async fn me(State(state): State<AppState>, who: Authenticated) -> Result<Json<AccountView>, AppError> {
    let user = state.store.get_user(who.user_id).await?;
    Ok(Json(AccountView::from(&user)))
}
