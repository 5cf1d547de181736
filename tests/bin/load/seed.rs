//! `seed-chats`: fills a store with many chats of one business, each with its
//! customer's first message, directly through `closer_core::store` (the code closerd
//! itself writes with) while closerd is stopped: as the pipeline would store them,
//! without waiting for the AI and the Send API 100,000 times.

use std::sync::Arc;
use std::time::{Duration, Instant};

use closer_core::model::{DeliveryState, Email, Message, MessageId, NewChat, Platform, Sender, Timestamp};
use closer_core::store::Store;

#[derive(Debug)]
pub struct Seed {
    pub store: String,
    /// The business the chats belong to (registered beforehand, through the API).
    pub email: String,
    pub count: u64,
    /// Chats written at the same time (the SQLite store serialises them anyway).
    pub concurrency: u64,
}

pub async fn run(seed: Seed) -> Result<(), String> {
    let store = closer_core::store::open(&seed.store).await.map_err(|e| format!("open the store: {e}"))?;
    let email = Email::parse(&seed.email).map_err(|e| e.to_string())?;
    let user = store
        .find_user_by_email(&email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no account {email} in the store: run `closer-load setup` first"))?;
    let campaign = store.default_campaign(user.id, Platform::Facebook).await.map_err(|e| e.to_string())?;
    let campaign = campaign.map(|c| c.id);
    let started = Instant::now();
    // Spread over the last day, as real chats would be.
    let now = Timestamp::now();
    let count = seed.count;
    let concurrency = seed.concurrency.clamp(1, count.max(1));
    let writers: Vec<_> = (0..concurrency)
        .map(|k| {
            let store: Arc<dyn Store> = Arc::clone(&store);
            tokio::spawn(async move {
                for i in (k..count).step_by(usize::try_from(concurrency).unwrap_or(1)) {
                    let at =
                        Timestamp::from_millis(now.as_millis() - (i % 86_400) as i64 * 1_000).unwrap_or(now);
                    let new = NewChat {
                        user_id: user.id,
                        platform: Platform::Facebook,
                        customer_id: format!("seed-{i}"),
                        customer_name: format!("Customer {i}"),
                        campaign_id: campaign,
                        now: at,
                    };
                    let (chat, _) = store.find_or_create_chat(&new).await.map_err(|e| e.to_string())?;
                    let message = Message {
                        id: MessageId::new(),
                        chat_id: chat.id,
                        user_id: user.id,
                        sender: Sender::Customer,
                        text: "Hi! How much is it, and do you deliver?".to_owned(),
                        platform_message_id: Some(format!("m_seed_{i}")),
                        sent_at: at + Duration::from_millis(1),
                        delivery: DeliveryState::Received,
                        error: None,
                        quick_replies: Vec::new(),
                        attachments: Vec::new(),
                    };
                    match store.append_message(&message).await {
                        Ok(()) | Err(closer_core::store::StoreError::Conflict(_)) => {}
                        Err(other) => return Err(other.to_string()),
                    }
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await.map_err(|e| e.to_string())??;
    }
    let elapsed = started.elapsed();
    println!(
        "seeded chats={count} messages={count} secs={:.1} chats_per_sec={:.0}",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
