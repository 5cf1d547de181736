//! Records to store, valid unless a test spoils them.

use closer_core::model::{
    Campaign, ChatId, DeliveryState, Email, Message, MessageId, Money, NewChat, PasswordHash, Platform,
    Sender, Timestamp, User, UserId,
};
use closer_core::store::Store;

/// A fixed instant, so that days and hours in the tests are known.
pub fn t0() -> Timestamp {
    Timestamp::parse("2026-11-20T09:15:00.000Z").expect("valid")
}

pub fn at(seconds_after_t0: u64) -> Timestamp {
    t0() + std::time::Duration::from_secs(seconds_after_t0)
}

pub async fn user(store: &dyn Store, email: &str) -> User {
    let user =
        User::new(Email::parse(email).expect("valid email"), PasswordHash("$argon2id$test".into()), t0());
    store.create_user(&user).await.expect("create user");
    user
}

pub fn campaign(owner: UserId, name: &str) -> Campaign {
    let mut c = Campaign::draft(owner, name, Platform::Facebook, t0());
    c.product.name = format!("{name} product");
    c.product.price = Some(Money { amount_minor: 2_500, currency: "USD".into() });
    c.flow.greeting = "Hello!".into();
    c
}

pub fn new_chat(owner: UserId, customer: &str) -> NewChat {
    NewChat {
        user_id: owner,
        platform: Platform::Facebook,
        customer_id: customer.into(),
        customer_name: format!("Customer {customer}"),
        campaign_id: None,
        now: t0(),
    }
}

pub fn message(owner: UserId, chat: ChatId, sender: Sender, text: &str, sent_at: Timestamp) -> Message {
    Message {
        id: MessageId::new(),
        chat_id: chat,
        user_id: owner,
        sender,
        text: text.into(),
        platform_message_id: None,
        sent_at,
        delivery: if sender == Sender::Customer { DeliveryState::Received } else { DeliveryState::Pending },
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    }
}
