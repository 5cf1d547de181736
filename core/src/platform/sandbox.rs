//! The sandbox channel: replies go nowhere, so the product can be tried (and demoed)
//! with no Facebook app. The pipeline stores and emits every message as for a real
//! platform, so the console shows the conversation; this channel only hands out ids.

use async_trait::async_trait;

use super::{Channel, OutgoingMessage, SendError, SenderAction, SentMessage};
use crate::model::Platform;

/// Accepts every message and every sender action.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxChannel;

#[async_trait]
impl Channel for SandboxChannel {
    fn platform(&self) -> Platform {
        Platform::Sandbox
    }

    /// A fresh `sandbox.<UUIDv7>` id: unique like a platform's `mid`, and never one.
    async fn send(&self, _message: &OutgoingMessage) -> Result<SentMessage, SendError> {
        Ok(SentMessage { message_id: format!("sandbox.{}", uuid::Uuid::now_v7()) })
    }

    async fn sender_action(&self, _recipient: &str, _action: SenderAction) -> Result<(), SendError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn every_send_succeeds_with_its_own_sandbox_id() {
        let channel: Arc<dyn Channel> = Arc::new(SandboxChannel);
        assert_eq!(channel.platform(), Platform::Sandbox);
        let message = OutgoingMessage::response("customer-1", "Hello!");
        let first = channel.send(&message).await.expect("sandbox sends succeed");
        let second = channel.send(&message).await.expect("sandbox sends succeed");
        assert!(first.message_id.starts_with("sandbox."), "{first:?}");
        assert!(first.message_id["sandbox.".len()..].parse::<uuid::Uuid>().is_ok());
        assert_ne!(first, second);
        channel.sender_action("customer-1", SenderAction::TypingOn).await.expect("always fine");
    }
}
