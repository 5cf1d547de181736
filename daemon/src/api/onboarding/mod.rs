//! `/api/v1/onboarding`: what the business tells the AI about itself, how far
//! onboarding has come, and the knowledge-base documents (in [`documents`]).
//!
//! Business information is edited with `PATCH`: only the fields sent change, so the
//! console's wizard can save one step at a time. Onboarding completes the first time
//! the required fields are all set; from then on they can be changed but not blanked,
//! so "completed" keeps meaning the AI has what it needs.

mod documents;

use axum::Json;
use axum::extract::State;
use closer_core::model::{BusinessInfo, Document, Problem, Timestamp, User, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::knowledge::KnowledgeView;
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, update))
        .routes(routes!(documents::upload, documents::list))
        .routes(routes!(documents::show, documents::delete))
        .routes(routes!(knowledge))
        .routes(routes!(train))
}

/// Where a business stands in onboarding.
#[derive(Debug, Serialize, ToSchema)]
struct OnboardingState {
    /// The same shape `PATCH` takes, so a client can edit what it read.
    business: BusinessInfo,
    onboarding_completed: bool,
    onboarding_completed_at: Option<Timestamp>,
    /// The required fields still empty, by name: what the wizard asks for next.
    missing: Vec<&'static str>,
    /// How many documents the knowledge base holds.
    documents: usize,
    /// How many it may hold.
    documents_limit: usize,
}

impl OnboardingState {
    fn new(user: &User, documents: usize) -> Self {
        Self {
            business: user.business.clone(),
            onboarding_completed: user.onboarding_completed_at.is_some(),
            onboarding_completed_at: user.onboarding_completed_at,
            missing: user.business.missing_required(),
            documents,
            documents_limit: Document::MAX_PER_BUSINESS,
        }
    }
}

/// Changes to the business information: a field left out stays as it is, an empty
/// string clears it. Surrounding whitespace is dropped.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BusinessChanges {
    business_name: Option<String>,
    owner_name: Option<String>,
    industry: Option<String>,
    description: Option<String>,
    website: Option<String>,
    phone: Option<String>,
}

impl BusinessChanges {
    fn apply(self, business: &mut BusinessInfo) {
        let fields = [
            (self.business_name, &mut business.business_name),
            (self.owner_name, &mut business.owner_name),
            (self.industry, &mut business.industry),
            (self.description, &mut business.description),
            (self.website, &mut business.website),
            (self.phone, &mut business.phone),
        ];
        for (change, field) in fields {
            if let Some(value) = change {
                value.trim().clone_into(field);
            }
        }
    }
}

/// The business information, whether onboarding is complete and what it still needs.
#[utoipa::path(get, path = "/", tag = "onboarding", operation_id = "get_onboarding",
    security(("bearer" = [])),
    responses(
        (status = 200, body = OnboardingState),
        (status = 401, body = ErrorBody),
    ),
)]
async fn show(State(state): State<AppState>, who: Authenticated) -> Result<Json<OnboardingState>, AppError> {
    let user = state.store.get_user(who.user_id).await?;
    let documents = state.store.list_documents(who.user_id).await?.len();
    Ok(Json(OnboardingState::new(&user, documents)))
}

/// Changes the fields sent (business name, owner name, industry, description, website,
/// phone). Onboarding completes when business name, owner name, industry and
/// description are all set; after that they cannot be blanked (422).
#[utoipa::path(patch, path = "/", tag = "onboarding", operation_id = "update_onboarding",
    security(("bearer" = [])),
    request_body = BusinessChanges,
    responses(
        (status = 200, body = OnboardingState),
        (status = 400, description = "malformed body or unknown field", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, description = "a value too long or malformed, or a required field blanked \
            after onboarding", body = ErrorBody),
    ),
)]
async fn update(
    State(state): State<AppState>,
    who: Authenticated,
    AppJson(changes): AppJson<BusinessChanges>,
) -> Result<Json<OnboardingState>, AppError> {
    let mut user = state.store.get_user(who.user_id).await?;
    changes.apply(&mut user.business);
    user.business.validate()?;
    let now = state.clock.now();
    let missing = user.business.missing_required();
    if user.onboarding_completed_at.is_some() {
        if let Some(field) = missing.first() {
            return Err(ValidationError::new(
                *field,
                Problem::NotAllowed { reason: "must not be empty once onboarding is complete".into() },
            )
            .into());
        }
    } else if missing.is_empty() {
        user.onboarding_completed_at = Some(now);
        tracing::info!(user = %user.id, "onboarding completed");
    }
    user.updated_at = now;
    state.store.update_user(&user).await?;
    state.knowledge.schedule(&state, who.user_id);
    let documents = state.store.list_documents(who.user_id).await?.len();
    Ok(Json(OnboardingState::new(&user, documents)))
}

/// The knowledge base the AI answers from: its last training, and whether the facts
/// changed since (a retrain follows changes by itself within seconds).
#[utoipa::path(get, path = "/knowledge", tag = "onboarding", operation_id = "get_knowledge",
    security(("bearer" = [])),
    responses(
        (status = 200, body = KnowledgeView),
        (status = 401, body = ErrorBody),
    ),
)]
async fn knowledge(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<KnowledgeView>, AppError> {
    Ok(Json(state.knowledge.view(&state, who.user_id).await?))
}

/// Trains the knowledge base now from the business info, the documents and the active
/// campaigns, and answers when it is done (50 documents of 1 MiB take a few seconds).
#[utoipa::path(post, path = "/train", tag = "onboarding", operation_id = "train_knowledge",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "trained: the new version", body = KnowledgeView),
        (status = 401, body = ErrorBody),
    ),
)]
async fn train(State(state): State<AppState>, who: Authenticated) -> Result<Json<KnowledgeView>, AppError> {
    state.knowledge.train(&state, who.user_id).await?;
    Ok(Json(state.knowledge.view(&state, who.user_id).await?))
}
