//! The JSON shape of live events, as consoles rely on it.

use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::model::{
    CampaignStats, ChatMode, ChatStatus, Conversion, LeadScore, Money, SealedToken, Sender, UserId,
};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("valid timestamp")
}

fn chat_id() -> ChatId {
    ChatId::from(Uuid::from_u128(0x0193_a4c0_0000_7000_8000_0000_0000_0001))
}

fn message_id() -> MessageId {
    MessageId::from(Uuid::from_u128(0x0193_a4c0_0000_7000_8000_0000_0000_0002))
}

fn user_id() -> UserId {
    UserId::from(Uuid::from_u128(0x0193_a4c0_0000_7000_8000_0000_0000_0003))
}

fn message() -> Message {
    Message {
        id: message_id(),
        chat_id: chat_id(),
        user_id: user_id(),
        sender: Sender::Customer,
        text: "¿Cuánto cuesta? 🍰".into(),
        platform_message_id: Some("m_1".into()),
        sent_at: at("2026-11-20T09:00:00.000Z"),
        delivery: DeliveryState::Received,
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    }
}

fn chat() -> Chat {
    Chat {
        id: chat_id(),
        user_id: user_id(),
        platform: Platform::Facebook,
        customer_id: "psid-1".into(),
        customer_name: "Ana".into(),
        campaign_id: None,
        status: ChatStatus::Active,
        mode: ChatMode::Ai,
        lead: LeadScore::default(),
        conversion: Conversion::default(),
        handoff_requested: false,
        flow_step: crate::model::FlowStep::Greeting,
        mode_changed_at: None,
        unreachable: false,
        message_count: 1,
        last_customer_message_at: Some(at("2026-11-20T09:00:00.000Z")),
        last_activity_at: at("2026-11-20T09:00:00.000Z"),
        created_at: at("2026-11-20T09:00:00.000Z"),
        updated_at: at("2026-11-20T09:00:00.000Z"),
    }
}

fn integration() -> Integration {
    Integration {
        id: IntegrationId::from(Uuid::from_u128(4)),
        user_id: user_id(),
        platform: Platform::Facebook,
        page_id: "1234".into(),
        page_name: "Ana's Bakery".into(),
        token: SealedToken("sealed-secret-token".into()),
        status: IntegrationStatus::NeedsReconnect,
        connected_at: at("2026-11-20T08:00:00.000Z"),
        updated_at: at("2026-11-20T09:00:00.000Z"),
    }
}

/// One of every event the daemon sends.
fn every_event() -> Vec<Event> {
    let mut campaign =
        Campaign::draft(user_id(), "Cakes", Platform::Facebook, at("2026-11-20T08:00:00.000Z"));
    campaign.product.price = Some(Money { amount_minor: 2_500, currency: "EUR".into() });
    campaign.stats = CampaignStats { conversations: 3, leads: 1, conversions: 0, revenue_minor: 0 };
    vec![
        Event::ChatCreated { chat: chat() },
        Event::ChatMessage { chat_id: chat_id(), message: message() },
        Event::ChatUpdated { chat: chat() },
        Event::HandoffRequested { chat_id: chat_id(), reason: "asked for a person".into() },
        Event::MessageDelivery {
            chat_id: chat_id(),
            message_id: message_id(),
            delivery: DeliveryState::Read,
        },
        Event::MessageFailed {
            chat_id: chat_id(),
            message_id: message_id(),
            error: "(#551) unavailable".into(),
        },
        Event::CampaignUpdated { campaign: campaign.clone() },
        Event::CampaignDeleted { campaign_id: campaign.id },
        Event::IntegrationUpdated {
            integration: IntegrationSummary::from(&integration()),
            detail: Some("connect the page again".into()),
        },
        Event::AnalyticsUpdated {
            campaign_id: Some(campaign.id),
            platform: Platform::Facebook,
            date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date"),
            hour: 9,
            increment: Metrics { messages_received: 1, ..Metrics::default() },
        },
        Event::AiProviderFailed {
            provider: "openai".into(),
            error: "the API key was refused".into(),
            chat_id: Some(chat_id()),
            fell_back: true,
        },
        Event::Resync { reason: ResyncReason::TooOld },
    ]
}

#[test]
fn a_chat_message_has_the_documented_shape() {
    let event = LiveEvent {
        seq: 1,
        at: at("2026-11-20T09:00:00.001Z"),
        event: Event::ChatMessage { chat_id: chat_id(), message: message() },
    };
    let text = serde_json::to_string(&event).expect("serializes");
    assert!(text.starts_with(r#"{"seq":1,"at":"2026-11-20T09:00:00.001Z","type":"chat.message","#), "{text}");
    let expected = json!({
        "seq": 1,
        "at": "2026-11-20T09:00:00.001Z",
        "type": "chat.message",
        "chat_id": "0193a4c0-0000-7000-8000-000000000001",
        "message": {
            "id": "0193a4c0-0000-7000-8000-000000000002",
            "chat_id": "0193a4c0-0000-7000-8000-000000000001",
            "user_id": "0193a4c0-0000-7000-8000-000000000003",
            "sender": "customer",
            "text": "¿Cuánto cuesta? 🍰",
            "platform_message_id": "m_1",
            "sent_at": "2026-11-20T09:00:00.000Z",
            "delivery": "received",
            "error": null,
        },
    });
    assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), expected);
    assert_eq!(serde_json::from_value::<LiveEvent>(expected).expect("parses"), event);
}

#[test]
fn every_event_round_trips_under_its_dotted_type() {
    for (n, event) in every_event().into_iter().enumerate() {
        let live = LiveEvent { seq: 10 + n as u64, at: at("2026-11-20T09:00:00.000Z"), event };
        let value = serde_json::to_value(&live).expect("serializes");
        assert_eq!(value["type"], live.event.kind(), "{value}");
        assert_eq!(value["seq"], 10 + n as u64);
        let back: LiveEvent = serde_json::from_value(value.clone()).expect("parses");
        assert_eq!(back, live, "{value}");
    }
}

#[test]
fn resync_says_why() {
    let live = LiveEvent {
        seq: 41,
        at: at("2026-11-20T09:00:00.000Z"),
        event: Event::Resync { reason: ResyncReason::Unknown },
    };
    assert_eq!(
        serde_json::to_string(&live).expect("serializes"),
        r#"{"seq":41,"at":"2026-11-20T09:00:00.000Z","type":"resync","reason":"unknown"}"#
    );
}

#[test]
fn an_unknown_type_from_a_newer_daemon_is_not_an_error() {
    let text = r#"{"seq":7,"at":"2026-11-20T09:00:00.000Z","type":"order.shipped","order":{"id":1}}"#;
    let live: LiveEvent = serde_json::from_str(text).expect("parses");
    assert_eq!(live.seq, 7);
    assert_eq!(live.event, Event::Unknown);
}

#[test]
fn fields_a_newer_daemon_adds_are_ignored() {
    let text = r#"{"seq":8,"at":"2026-11-20T09:00:00.000Z","type":"campaign.deleted",
        "campaign_id":"0193a4c0-0000-7000-8000-000000000001","by":"owner","priority":3}"#;
    let live: LiveEvent = serde_json::from_str(text).expect("parses");
    assert_eq!(live.event.kind(), "campaign.deleted");
}

#[test]
fn an_integration_event_never_carries_the_token() {
    let live = LiveEvent {
        seq: 1,
        at: at("2026-11-20T09:00:00.000Z"),
        event: Event::IntegrationUpdated {
            integration: IntegrationSummary::from(&integration()),
            detail: None,
        },
    };
    let text = serde_json::to_string(&live).expect("serializes");
    assert!(!text.contains("sealed-secret-token") && !text.contains("token"), "{text}");
    assert!(!text.contains("detail"), "an absent detail is left out: {text}");
    assert!(text.contains(r#""status":"needs_reconnect""#), "{text}");
}

#[test]
fn a_malformed_known_event_is_an_error() {
    let text = r#"{"seq":1,"at":"2026-11-20T09:00:00.000Z","type":"chat.message","chat_id":"nope"}"#;
    assert!(serde_json::from_str::<LiveEvent>(text).is_err());
}
