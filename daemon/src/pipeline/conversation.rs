//! One claim: a conversation's waiting events, applied in order, then one reply to
//! the customer's new messages among them.
//!
//! Everything here may run twice for the same event (a crash, a lost lease): storing
//! a message is deduplicated by its platform id, counters move only when a message is
//! new (its arrival is counted while it is answered), and the reply is found again by
//! its derived id.

use closer_core::events::Event;
use closer_core::model::{
    Campaign, CampaignId, CampaignStats, CampaignStatus, Chat, ChatMode, ChatUpdate, DeliveryState,
    InboxClaim, InboxEvent, Message, MessageId, Metrics, NewChat, Platform, Sender, Timestamp, UserId,
};
use closer_core::store::StoreError;

use super::item::{InboxItem, ItemEvent};
use super::reply::{self, Answered, Incoming};
use super::worker::retry_at;
use crate::error::AppError;
use crate::state::AppState;

/// What applying one event left to do.
enum Applied {
    /// Nothing more: the event is done.
    Done,
    /// A customer message to answer: the event is done once the reply is.
    Answer(Box<Incoming>),
}

pub async fn handle(state: &AppState, claim: InboxClaim) {
    let lease = claim.lease;
    let mut to_answer: Vec<Incoming> = Vec::new();
    for event in &claim.events {
        match apply(state, event).await {
            Ok(Applied::Done) => complete(state, lease, &event.key).await,
            Ok(Applied::Answer(incoming)) => to_answer.push(*incoming),
            Err(error) => {
                // The messages stored before it are answered with it, later; their
                // arrival counts now, or never (stored again, they are not new).
                count_arrivals(state, &to_answer).await;
                // Later events wait behind this one, so the conversation stays in order.
                give_back(state, &claim, &[event], &error).await;
                return;
            }
        }
    }
    // The answers are per chat; one conversation is one chat, but be exact about it.
    while let Some(first) = to_answer.first() {
        let chat = first.chat.id;
        let (same, rest): (Vec<_>, Vec<_>) = to_answer.into_iter().partition(|i| i.chat.id == chat);
        to_answer = rest;
        let keys: Vec<String> = same.iter().map(|i| i.key.clone()).collect();
        // The messages' arrival is counted while they are answered: the count does not
        // hold the reply up.
        let arrivals = count_arrivals(state, &same);
        let ((), answered) = tokio::join!(arrivals, reply::answer(state, &same));
        match answered {
            Ok(Answered::Done) => {}
            Ok(Answered::AwaitEcho { until }) => {
                // Not a failure: the events wait (their echo is processed meanwhile).
                let note = "waiting for the platform's echo of a reply another attempt began to send";
                for key in &keys {
                    if let Err(error) = state.store.inbox_fail(lease, key, note, Some(until)).await {
                        tracing::warn!(%error, "cannot put an event back to wait");
                    }
                }
                if let Err(error) = state.store.inbox_release(lease).await {
                    tracing::warn!(%error, "cannot release the conversation");
                }
                return;
            }
            Err(error) => {
                tracing::warn!(%error, conversation = %claim.conversation, "answering failed; will try again");
                // All of them: the reply may have been written under the last one's
                // key, which the next attempt must then look for.
                let failed: Vec<&InboxEvent> =
                    claim.events.iter().filter(|e| keys.contains(&e.key)).collect();
                give_back(state, &claim, &failed, &error).await;
                return;
            }
        }
        for key in keys {
            complete(state, lease, &key).await;
        }
    }
}

/// Adds the arrival of each of these messages to the analytics (those new this time).
async fn count_arrivals(state: &AppState, incoming: &[Incoming]) {
    let counts = incoming
        .iter()
        .filter_map(|i| i.received.as_ref().map(|(at, metrics)| count(state, &i.chat, *at, metrics)));
    futures_util::future::join_all(counts).await;
}

async fn complete(state: &AppState, lease: closer_core::model::LeaseId, key: &str) {
    if let Err(error) = state.store.inbox_complete(lease, key).await {
        tracing::warn!(%error, key, "cannot mark an inbox event done; it will be handled again");
    }
}

/// Puts the failed events back for a later try, and lets go of the rest of the
/// claim. The conversation waits for the retry: a customer's later message is not
/// answered before these. An event tried `[pipeline] max_attempts` times is given up
/// on; one written later and answered with it is tried again on its own count.
///
/// The store's work runs as a task of its own, finished even if this work is dropped
/// meanwhile (its heartbeat found the lease moved to the retry's hold).
async fn give_back(state: &AppState, claim: &InboxClaim, failed: &[&InboxEvent], error: &AppError) {
    let max_attempts = state.pipeline.config.max_attempts;
    let (given_up, again): (Vec<&InboxEvent>, Vec<&InboxEvent>) =
        failed.iter().partition(|event| event.attempts >= max_attempts);
    let retry = again.iter().map(|e| e.attempts).max().map(|attempts| retry_at(state.clock.now(), attempts));
    let keys = |events: Vec<&InboxEvent>| events.into_iter().map(|e| e.key.clone()).collect::<Vec<String>>();
    let (given_up, again) = (keys(given_up), keys(again));
    if !given_up.is_empty() {
        tracing::error!(keys = ?given_up, %error, "giving up on inbox events");
    }
    let (store, lease, error) = (std::sync::Arc::clone(&state.store), claim.lease, error.to_string());
    let giving_back = tokio::spawn(async move {
        for key in &given_up {
            store.inbox_fail(lease, key, &error, None).await?;
        }
        // With none to try again, this only lets go of the rest.
        store.inbox_give_back(lease, &again, &error, retry).await
    });
    let why = match giving_back.await {
        Ok(Ok(())) => return,
        Ok(Err(store_error)) => store_error.to_string(),
        Err(interrupted) => interrupted.to_string(),
    };
    // The lease runs out by itself, and the events are taken again then.
    tracing::warn!(%why, "cannot give back the failed events' claim");
}

async fn apply(state: &AppState, event: &InboxEvent) -> Result<Applied, AppError> {
    let item: InboxItem = match serde_json::from_value(event.payload.clone()) {
        Ok(item) => item,
        Err(error) => {
            // Nothing will ever read it: set it aside rather than retry it.
            tracing::error!(key = %event.key, %error, "an inbox event cannot be read; skipped");
            return Ok(Applied::Done);
        }
    };
    let tenant = event.user_id;
    match &item.event {
        ItemEvent::Message { mid, referral, attachments, .. } => {
            let text = item.customer_text().unwrap_or_default();
            let customer = CustomerMessage { mid, text, referral: referral.as_deref(), attachments };
            customer_message(state, event, &item, customer).await
        }
        ItemEvent::Postback { mid, referral, .. } => {
            let mid = mid.clone().unwrap_or_else(|| event.key.clone());
            let text = item.customer_text().unwrap_or_default();
            let customer =
                CustomerMessage { mid: &mid, text, referral: referral.as_deref(), attachments: &[] };
            customer_message(state, event, &item, customer).await
        }
        ItemEvent::Echo { mid, app_id, text, metadata } => {
            echo(state, event, &item, mid, app_id.as_deref(), text.as_deref(), metadata.as_deref()).await?;
            Ok(Applied::Done)
        }
        ItemEvent::Delivery { mids, watermark } => {
            let chat = chat_of(state, event, &item).await?;
            mark_outgoing(state, tenant, &chat, Some(mids), *watermark, DeliveryState::Delivered).await?;
            Ok(Applied::Done)
        }
        ItemEvent::Read { watermark } => {
            let chat = chat_of(state, event, &item).await?;
            mark_outgoing(state, tenant, &chat, None, *watermark, DeliveryState::Read).await?;
            Ok(Applied::Done)
        }
        ItemEvent::Referral { referral } => {
            let chat = chat_of(state, event, &item).await?;
            if chat.campaign_id.is_none()
                && let Some(campaign) = referred_campaign(state, tenant, referral).await?
            {
                let update = ChatUpdate { campaign_id: Some(campaign.id), ..ChatUpdate::default() };
                let chat = state.store.update_chat(tenant, chat.id, &update, state.clock.now()).await?;
                state.events.publish(tenant, Event::ChatUpdated { chat });
            }
            Ok(Applied::Done)
        }
        ItemEvent::Unsupported { what } => {
            tracing::debug!(key = %event.key, what, "an event kind we do not handle; skipped");
            Ok(Applied::Done)
        }
    }
}

struct CustomerMessage<'a> {
    mid: &'a str,
    text: String,
    referral: Option<&'a str>,
    attachments: &'a [closer_core::model::Attachment],
}

/// Stores the customer's message (once), shows it, and hands it on to be answered.
async fn customer_message(
    state: &AppState,
    event: &InboxEvent,
    item: &InboxItem,
    customer: CustomerMessage<'_>,
) -> Result<Applied, AppError> {
    let tenant = event.user_id;
    let campaign = match customer.referral {
        Some(referral) => referred_campaign(state, tenant, referral).await?,
        None => None,
    };
    let campaign = match campaign {
        Some(campaign) => Some(campaign),
        None => default_campaign(state, tenant, event.platform).await?,
    };
    let new = NewChat {
        user_id: tenant,
        platform: event.platform,
        customer_id: item.customer_id.clone(),
        customer_name: item.customer_name.clone().unwrap_or_default(),
        campaign_id: campaign.as_ref().map(|c| c.id),
        now: event.occurred_at,
    };
    let (mut chat, created) = state.store.find_or_create_chat(&new).await?;
    // A new chat is one more conversation for its campaign: counted beside the
    // message's write, not before it.
    let mut new_conversation = None;
    if created {
        tracing::info!(user = %tenant, chat = %chat.id, platform = %event.platform, "a new customer wrote");
        state.events.publish(tenant, Event::ChatCreated { chat: chat.clone() });
        new_conversation = chat.campaign_id;
    } else if chat.campaign_id.is_none()
        && let Some(campaign) = &campaign
    {
        // A chat that began outside any campaign joins the one the customer came through.
        let update = ChatUpdate { campaign_id: Some(campaign.id), ..ChatUpdate::default() };
        chat = state.store.update_chat(tenant, chat.id, &update, state.clock.now()).await?;
    }

    let message = Message {
        id: MessageId::new(),
        chat_id: chat.id,
        user_id: tenant,
        sender: Sender::Customer,
        text: clip(&customer.text),
        platform_message_id: Some(customer.mid.to_owned()),
        sent_at: event.occurred_at,
        delivery: DeliveryState::Received,
        error: None,
        quick_replies: Vec::new(),
        attachments: customer.attachments.to_vec(),
    };
    let first = chat.message_count == 0;
    let one_more = CampaignStats { conversations: 1, ..CampaignStats::default() };
    let counted = async {
        match new_conversation {
            Some(campaign) => state.store.add_campaign_stats(tenant, campaign, &one_more).await,
            None => Ok(()),
        }
    };
    let (appended, counted) = tokio::join!(state.store.append_message(&message), counted);
    if let Err(error) = counted {
        // A wrong number, not a lost message (as with `count`): the message goes on.
        tracing::warn!(%error, "cannot count the new conversation in its campaign");
    }
    let mut received = None;
    let message = match appended {
        Ok(()) => {
            // What the store just did to the chat, so that answering need not ask.
            chat.count_message(&message);
            state.events.publish(tenant, Event::ChatMessage { chat_id: chat.id, message: message.clone() });
            // A chat's first message starts its conversation: counted together.
            received = Some(Metrics {
                messages_received: 1,
                conversations_started: i64::from(first),
                ..Metrics::default()
            });
            message
        }
        // Stored before: this is the same event again (a redelivery, or work taken
        // again after a crash). Answer it if it has not been answered.
        Err(StoreError::Conflict(_)) => state
            .store
            .find_message_by_platform_id(tenant, customer.mid)
            .await?
            .ok_or(AppError::Internal("a stored message vanished".into()))?,
        Err(other) => return Err(other.into()),
    };

    if item.standby {
        if let Some(received) = &received {
            count(state, &chat, event.occurred_at, received).await;
        }
        return Ok(Applied::Done); // another app owns the conversation
    }
    Ok(Applied::Answer(Box::new(Incoming {
        key: event.key.clone(),
        received: received.map(|metrics| (event.occurred_at, metrics)),
        opened_chat: created,
        chat,
        text: message.text,
        has_attachments: !message.attachments.is_empty(),
        quick_reply_payload: match &item.event {
            ItemEvent::Message { quick_reply_payload, .. } => quick_reply_payload.clone(),
            ItemEvent::Postback { payload, .. } => Some(payload.clone()),
            _ => None,
        },
        first_attempt: event.attempts <= 1,
    })))
}

/// A copy of something the page sent. Ours is already stored (found by its id, or
/// recognised by our metadata or app id); anything else is a person answering from
/// the page inbox: stored as the business's message, and the AI steps aside.
async fn echo(
    state: &AppState,
    event: &InboxEvent,
    item: &InboxItem,
    mid: &str,
    app_id: Option<&str>,
    text: Option<&str>,
    metadata: Option<&str>,
) -> Result<(), AppError> {
    let tenant = event.user_id;
    if state.store.find_message_by_platform_id(tenant, mid).await?.is_some() {
        return Ok(());
    }
    if let Some(ours) = metadata.and_then(|m| m.strip_prefix(reply::METADATA_PREFIX)) {
        // Ours, echoed before we recorded the platform's id (or by a process that
        // stopped before it could): the echo is the proof it went out.
        if let Ok(id) = ours.parse::<MessageId>() {
            sent_after_all(state, tenant, id, mid).await?;
        }
        return Ok(());
    }
    let ours =
        !state.pipeline.facebook_app_id.is_empty() && app_id == Some(state.pipeline.facebook_app_id.as_str());
    if ours {
        return Ok(());
    }
    let chat = chat_of(state, event, item).await?;
    let message = Message {
        id: MessageId::new(),
        chat_id: chat.id,
        user_id: tenant,
        sender: Sender::Business,
        text: clip(text.unwrap_or_default()),
        platform_message_id: Some(mid.to_owned()),
        sent_at: event.occurred_at,
        delivery: DeliveryState::Sent,
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    };
    match state.store.append_message(&message).await {
        Ok(()) => {
            state.events.publish(tenant, Event::ChatMessage { chat_id: chat.id, message });
        }
        Err(StoreError::Conflict(_)) => {}
        Err(other) => return Err(other.into()),
    }
    if chat.mode == ChatMode::Ai {
        tracing::info!(user = %tenant, chat = %chat.id, "a person answered from the page inbox: the AI steps aside");
        let update = ChatUpdate { mode: Some(ChatMode::Human), ..ChatUpdate::default() };
        let chat = state.store.update_chat(tenant, chat.id, &update, state.clock.now()).await?;
        state.events.publish(tenant, Event::ChatUpdated { chat });
    }
    Ok(())
}

/// Records as sent a message of ours whose echo came before its answer was recorded,
/// or after it was marked failed (a send never confirmed, see `housekeeping`, or a
/// platform that answered an error yet had taken it): the echo says it went out.
async fn sent_after_all(state: &AppState, tenant: UserId, id: MessageId, mid: &str) -> Result<(), AppError> {
    let message = match state.store.get_message(tenant, id).await {
        Ok(message) => message,
        Err(StoreError::NotFound { .. }) => return Ok(()),
        Err(other) => return Err(other.into()),
    };
    if !matches!(message.delivery, DeliveryState::Pending | DeliveryState::Sending | DeliveryState::Failed) {
        return Ok(());
    }
    match state.store.set_message_delivery(tenant, id, DeliveryState::Sent, Some(mid), None).await {
        Ok(()) => {}
        // Another message has this platform id: nothing changed, nothing to tell.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(other) => return Err(other.into()),
    }
    let event =
        Event::MessageDelivery { chat_id: message.chat_id, message_id: id, delivery: DeliveryState::Sent };
    state.events.publish(tenant, event);
    Ok(())
}

/// Moves our outgoing messages on: those named (a delivery's `mids`), and for a
/// watermark every earlier one of the chat not already further.
async fn mark_outgoing(
    state: &AppState,
    tenant: UserId,
    chat: &Chat,
    mids: Option<&[String]>,
    watermark: i64,
    to: DeliveryState,
) -> Result<(), AppError> {
    let mut moved = Vec::new();
    for mid in mids.unwrap_or_default() {
        if let Some(message) = state.store.find_message_by_platform_id(tenant, mid).await? {
            moved.push(message);
        }
    }
    if let Some(watermark) = Timestamp::from_millis(watermark) {
        let recent = state.store.recent_messages(tenant, chat.id, 50).await?;
        moved.extend(recent.into_iter().filter(|m| m.sent_at <= watermark));
    }
    for message in moved {
        let outgoing = matches!(message.sender, Sender::Ai | Sender::Business);
        if !outgoing || rank(message.delivery) >= rank(to) {
            continue;
        }
        state.store.set_message_delivery(tenant, message.id, to, None, None).await?;
        state.events.publish(
            tenant,
            Event::MessageDelivery { chat_id: chat.id, message_id: message.id, delivery: to },
        );
    }
    Ok(())
}

/// How far along a delivery state is; a failed message is never moved on.
fn rank(state: DeliveryState) -> u8 {
    match state {
        DeliveryState::Received | DeliveryState::Pending | DeliveryState::Sending => 0,
        DeliveryState::Sent => 1,
        DeliveryState::Delivered => 2,
        DeliveryState::Read | DeliveryState::Failed => 3,
    }
}

/// The chat an event belongs to, created if a non-message event comes first.
async fn chat_of(state: &AppState, event: &InboxEvent, item: &InboxItem) -> Result<Chat, AppError> {
    let new = NewChat {
        user_id: event.user_id,
        platform: event.platform,
        customer_id: item.customer_id.clone(),
        customer_name: item.customer_name.clone().unwrap_or_default(),
        campaign_id: None,
        now: event.occurred_at,
    };
    Ok(state.store.find_or_create_chat(&new).await?.0)
}

/// The campaign a link or ad names in its `ref`, if it is this business's and active.
async fn referred_campaign(
    state: &AppState,
    tenant: UserId,
    referral: &str,
) -> Result<Option<Campaign>, AppError> {
    let Ok(id) = referral.trim().parse::<CampaignId>() else {
        return Ok(None);
    };
    match state.store.get_campaign(tenant, id).await {
        Ok(campaign) if campaign.status == CampaignStatus::Active => Ok(Some(campaign)),
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The campaign a chat without a reference joins: the platform's default, and for
/// the sandbox (where owners try their Facebook campaigns) Facebook's.
pub async fn default_campaign(
    state: &AppState,
    tenant: UserId,
    platform: Platform,
) -> Result<Option<Campaign>, AppError> {
    if let Some(campaign) = state.store.default_campaign(tenant, platform).await? {
        return Ok(Some(campaign));
    }
    if platform == Platform::Sandbox {
        if let Some(campaign) = state.store.default_campaign(tenant, Platform::Facebook).await? {
            return Ok(Some(campaign));
        }
        let active = state.store.list_campaigns(tenant, Some(CampaignStatus::Active)).await?;
        return Ok(active.into_iter().next());
    }
    Ok(None)
}

/// Adds to the analytics of the chat's campaign and platform, and tells the consoles.
pub async fn count(state: &AppState, chat: &Chat, at: Timestamp, delta: &Metrics) {
    let tenant = chat.user_id;
    if let Err(error) = state.store.record_analytics(tenant, chat.campaign_id, chat.platform, at, delta).await
    {
        // A lost increment is a wrong number, not a lost message: log and go on.
        tracing::warn!(%error, "cannot count analytics");
        return;
    }
    state.events.publish(
        tenant,
        Event::AnalyticsUpdated {
            campaign_id: chat.campaign_id,
            platform: chat.platform,
            date: at.date(),
            hour: u8::try_from(at.hour()).unwrap_or(0),
            increment: *delta,
        },
    );
}

/// A stored message is at most this long; a platform never sends more.
fn clip(text: &str) -> String {
    text.chars().take(Message::MAX_TEXT).collect()
}
