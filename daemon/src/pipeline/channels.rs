//! Which channel a chat's replies go out on, and what a failed send does to the
//! integration: a token Facebook refuses marks the page as needing a new connection
//! and tells the owner, once.

use std::sync::Arc;

use closer_core::events::{Event, IntegrationSummary};
use closer_core::model::{Integration, IntegrationStatus, Platform, UserId};
use closer_core::platform::facebook::FacebookChannel;
use closer_core::platform::{Channel, SandboxChannel, SendError, SendFailure};

use crate::error::AppError;
use crate::state::AppState;

/// The business's connected integration on `platform` and a channel that sends
/// through it; `None` when there is none that can send.
pub async fn channel_for(
    state: &AppState,
    tenant: UserId,
    platform: Platform,
) -> Result<Option<(Arc<dyn Channel>, Integration)>, AppError> {
    let integrations = state.store.list_integrations(tenant).await?;
    let Some(integration) =
        integrations.into_iter().find(|i| i.platform == platform && i.status == IntegrationStatus::Connected)
    else {
        return Ok(None);
    };
    let channel: Arc<dyn Channel> = match platform {
        Platform::Sandbox => Arc::new(SandboxChannel),
        Platform::Facebook => {
            let token = state.sealer.open(&integration.token).map_err(|error| {
                AppError::Internal(format!("cannot open the page token of {}: {error}", integration.page_id))
            })?;
            Arc::new(FacebookChannel::new(state.graph.clone(), token).with_retry(state.settings.send_retry))
        }
        Platform::Instagram | Platform::Whatsapp => return Ok(None),
    };
    Ok(Some((channel, integration)))
}

/// What a final send failure means beyond the message: a dead token marks the
/// integration (`needs_reconnect`) and tells the owner what to do.
pub async fn after_failure(state: &AppState, integration: &Integration, error: &SendError) {
    if error.kind != SendFailure::TokenInvalid {
        return;
    }
    let now = state.clock.now();
    match state
        .store
        .set_integration_status(integration.user_id, integration.id, IntegrationStatus::NeedsReconnect, now)
        .await
    {
        Ok(()) => {
            tracing::warn!(
                user = %integration.user_id,
                page = %integration.page_id,
                "the page token was refused: the page needs to be connected again"
            );
            let mut summary = IntegrationSummary::from(integration);
            summary.status = IntegrationStatus::NeedsReconnect;
            summary.updated_at = now;
            let detail = "Facebook no longer accepts this page's access token (it expired, was revoked, \
                          or the password changed). Connect the page again with a new token: until then \
                          no replies are sent.";
            state.events.publish(
                integration.user_id,
                Event::IntegrationUpdated { integration: summary, detail: Some(detail.to_owned()) },
            );
        }
        Err(store_error) => {
            tracing::error!(%store_error, "cannot mark the integration as needing a new connection");
        }
    }
}
