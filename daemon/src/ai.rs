//! The daemon's side of the AI: which responder answers (from `[ai]`). Each business's
//! knowledge base is in [`crate::knowledge`].

use std::sync::Arc;

use closer_core::Clock;
use closer_core::ai::Responder;
use closer_core::ai::breaker::{BreakerSettings, FallbackResponder};
use closer_core::ai::openai::OpenAiResponder;
use closer_core::ai::rules::RuleBased;
use closer_core::config::{AiConfig, AiProvider};

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
