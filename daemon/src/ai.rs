//! The daemon's side of the AI: which responder answers (from `[ai]`). Each business's
//! knowledge base is in [`crate::knowledge`].

use std::sync::Arc;

use closer_core::Clock;
use closer_core::ai::AiError;
use closer_core::ai::Responder;
use closer_core::ai::breaker::{BreakerSettings, FallbackResponder};
use closer_core::ai::leo::Leo;
use closer_core::ai::openai::OpenAiResponder;
use closer_core::ai::rules::RuleBased;
use closer_core::config::{AiConfig, AiProvider};
use closer_core::events::Event;
use closer_core::model::{ChatId, UserId};

use crate::events::EventHub;

tokio::task_local! {
    /// Whom the AI is answering for, while it does: a provider failure the owner must
    /// act on is reported to that business's consoles.
    pub static ANSWERING: Answering;
}

/// The business (and chat) an AI call is for.
#[derive(Debug, Clone, Copy)]
pub struct Answering {
    pub tenant: UserId,
    pub chat: Option<ChatId>,
}

/// The responder `[ai]` asks for: the rules alone, or a model with the rules as its
/// fallback when it fails. A refused key or an exhausted quota becomes an
/// `ai.provider_failed` event for the business being answered.
pub fn responder(
    config: &AiConfig,
    clock: Arc<dyn Clock>,
    events: Arc<EventHub>,
) -> Result<Arc<dyn Responder>, String> {
    let rules: Arc<dyn Responder> = Arc::new(RuleBased);
    match config.effective_provider() {
        AiProvider::Rules | AiProvider::Auto => Ok(rules),
        AiProvider::OpenAi => {
            let model = OpenAiResponder::new(config).map_err(|e| format!("ai: {e}"))?;
            let alert = move |error: &AiError| {
                tracing::error!(%error, "the AI provider needs the owner's attention; the rules answer meanwhile");
                if let Ok(answering) = ANSWERING.try_with(|a| *a) {
                    events.publish(
                        answering.tenant,
                        Event::AiProviderFailed {
                            provider: OpenAiResponder::NAME.to_owned(),
                            error: error.to_string(),
                            chat_id: answering.chat,
                            fell_back: true,
                        },
                    );
                }
            };
            let breaker = FallbackResponder::new(Arc::new(model), rules, clock, BreakerSettings::default())
                .with_alert(alert);
            Ok(Arc::new(breaker))
        }
    }
}

/// Leo as `[ai]` asks for: the rules alone, or the model calling Leo's tools, with the
/// rules answering whenever it fails.
pub fn leo(config: &AiConfig) -> Result<Arc<Leo>, String> {
    match config.effective_provider() {
        AiProvider::Rules | AiProvider::Auto => Ok(Arc::new(Leo::rules())),
        AiProvider::OpenAi => Leo::openai(config).map(Arc::new).map_err(|e| format!("ai: {e}")),
    }
}
