//! The sandbox: a platform with no network, for trying the product without a
//! Facebook app. The owner plays the customer through the API; the message goes
//! through the same inbox and workers as a webhook event, and the replies are stored
//! and shown live instead of being sent anywhere.

use closer_core::model::{
    Integration, IntegrationId, IntegrationStatus, NewInboxEvent, Platform, SealedToken, Timestamp, UserId,
};

use super::item::{InboxItem, ItemEvent};

/// The sandbox "page" of a business: one per business.
pub fn page_id(tenant: UserId) -> String {
    format!("sandbox-{tenant}")
}

/// A fresh sandbox integration for `tenant`.
pub fn integration(tenant: UserId, now: Timestamp) -> Integration {
    Integration {
        id: IntegrationId::new(),
        user_id: tenant,
        platform: Platform::Sandbox,
        page_id: page_id(tenant),
        page_name: "Sandbox".to_owned(),
        token: SealedToken(String::new()),
        status: IntegrationStatus::Connected,
        connected_at: now,
        updated_at: now,
    }
}

/// What the played customer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Played {
    Text(String),
    QuickReply(String),
    Postback(String),
}

/// The inbox event of a played customer message, keyed by a fresh id (each call is a
/// new message).
pub fn event(
    tenant: UserId,
    customer_id: &str,
    customer_name: Option<String>,
    played: Played,
    now: Timestamp,
) -> NewInboxEvent {
    let mid = format!("sandbox.{}", closer_core::model::MessageId::new());
    let event = match played {
        Played::Text(text) => ItemEvent::Message {
            mid: mid.clone(),
            text: Some(text),
            quick_reply_payload: None,
            attachments: Vec::new(),
            referral: None,
        },
        Played::QuickReply(payload) => ItemEvent::Message {
            mid: mid.clone(),
            text: None,
            quick_reply_payload: Some(payload),
            attachments: Vec::new(),
            referral: None,
        },
        Played::Postback(payload) => {
            ItemEvent::Postback { mid: Some(mid.clone()), title: String::new(), payload, referral: None }
        }
    };
    let item = InboxItem {
        page_id: page_id(tenant),
        customer_id: customer_id.to_owned(),
        customer_name,
        standby: false,
        event,
    };
    NewInboxEvent {
        key: format!("sandbox:mid:{mid}"),
        user_id: tenant,
        platform: Platform::Sandbox,
        conversation: format!("sandbox:{tenant}:{customer_id}"),
        occurred_at: now,
        payload: item.to_json(),
        received_at: now,
    }
}
