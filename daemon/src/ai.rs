//! The daemon's side of the AI: which responder answers (from `[ai]`), and each
//! business's knowledge base, trained from its current facts and kept while they do
//! not change.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use closer_core::Clock;
use closer_core::ai::breaker::{BreakerSettings, FallbackResponder};
use closer_core::ai::openai::OpenAiResponder;
use closer_core::ai::rules::RuleBased;
use closer_core::ai::{KnowledgeBase, Responder};
use closer_core::config::{AiConfig, AiProvider};
use closer_core::model::{CampaignStatus, UserId};

use crate::error::AppError;
use crate::state::AppState;

/// The responder `[ai]` asks for: the rules alone, or a model with the rules as its
/// fallback when it fails.
pub fn responder(config: &AiConfig, clock: Arc<dyn Clock>) -> Result<Arc<dyn Responder>, String> {
    let rules: Arc<dyn Responder> = Arc::new(RuleBased);
    match config.effective_provider() {
        AiProvider::Rules | AiProvider::Auto => Ok(rules),
        AiProvider::OpenAi => {
            let model = OpenAiResponder::new(config).map_err(|e| format!("ai: {e}"))?;
            let breaker = FallbackResponder::new(Arc::new(model), rules, clock, BreakerSettings::default())
                .with_alert(|error| tracing::error!(%error, "the AI provider needs the owner's attention"));
            Ok(Arc::new(breaker))
        }
    }
}

/// Each business's knowledge base with the fingerprint of the facts it was built from.
#[derive(Debug, Default)]
pub struct KnowledgeCache {
    built: Mutex<HashMap<UserId, (u64, KnowledgeBase)>>,
}

impl KnowledgeCache {
    /// The business's knowledge base, trained again (on the blocking pool) when its
    /// business info, documents or active campaigns changed since the last time.
    pub async fn for_business(&self, state: &AppState, tenant: UserId) -> Result<KnowledgeBase, AppError> {
        let user = state.store.get_user(tenant).await?;
        let documents = state.store.list_documents(tenant).await?;
        let campaigns = state.store.list_campaigns(tenant, Some(CampaignStatus::Active)).await?;

        let mut facts = DefaultHasher::new();
        format!("{:?}", user.business).hash(&mut facts);
        for document in &documents {
            (document.id, document.uploaded_at.as_millis(), document.size_bytes).hash(&mut facts);
        }
        for campaign in &campaigns {
            (campaign.id, campaign.version).hash(&mut facts);
        }
        let fingerprint = facts.finish();
        if let Some((built_from, knowledge)) = self.lock().get(&tenant)
            && *built_from == fingerprint
        {
            return Ok(knowledge.clone());
        }

        let mut contents = Vec::with_capacity(documents.len());
        for document in &documents {
            contents.push(state.store.get_document(tenant, document.id).await?);
        }
        let now = state.clock.now();
        let knowledge = tokio::task::spawn_blocking(move || {
            KnowledgeBase::train(&user.business, &contents, &campaigns, now)
        })
        .await
        .map_err(|e| AppError::Internal(format!("training was interrupted: {e}")))?;
        self.lock().insert(tenant, (fingerprint, knowledge.clone()));
        Ok(knowledge)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, (u64, KnowledgeBase)>> {
        self.built.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
