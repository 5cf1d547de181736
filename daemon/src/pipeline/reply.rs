//! Answering: the AI's reply to a customer's new messages, stored before it is sent
//! and sent exactly once; and the owner's replies by hand.
//!
//! A reply's messages get ids derived from the inbox event they answer (the last of
//! the burst). Work taken again after a crash looks for them first: a reply already
//! written is not asked of the AI again, and a part already sent is not sent again.
//! Only a crash in the instant between the platform accepting a part and us
//! recording it can send that part twice; our metadata on each send lets its echo be
//! recognised as ours either way.

use std::time::Duration;

use closer_core::ai::{AiError, Conversation, Reply, Turn};
use closer_core::events::Event;
use closer_core::lead::Signal;
use closer_core::model::{
    CampaignStats, Chat, ChatMode, ChatStatus, ChatUpdate, DeliveryState, Message, MessageId, Metrics,
    Sender, Timestamp, UserId,
};
use closer_core::platform::{
    Channel, MessagingType, OutgoingMessage, SendError, SendFailure, SenderAction, fit_quick_replies,
    split_text,
};
use closer_core::store::StoreError;
use sha2::{Digest, Sha256};

use super::channels::{after_failure, channel_for};
use super::conversation::count;
use crate::error::AppError;
use crate::state::AppState;

/// Starts the `metadata` of everything we send: an echo carrying it is ours.
pub const METADATA_PREFIX: &str = "closer:";

/// Automated replies: only this long after the customer's last message.
const RESPONSE_WINDOW: Duration = Duration::from_hours(24);
/// A person's replies (`HUMAN_AGENT`): this long.
const HUMAN_AGENT_WINDOW: Duration = Duration::from_hours(24 * 7);

/// How long a part found stored as being sent (by a process that stopped before it
/// recorded the platform's answer, or a worker that lost its lease) waits for its
/// echo, counted from when it was written, before it is sent again. The platform
/// echoes every message a page sends, and redelivers webhooks until they are taken,
/// so an echo that has not come by then means the message never left.
const ECHO_WAIT: Duration = Duration::from_secs(10);

/// How far answering got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Done,
    /// A part's fate is unknown until its echo arrives or this time passes: try again
    /// then.
    AwaitEcho {
        until: Timestamp,
    },
}

/// A customer message waiting for an answer.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Its inbox event.
    pub key: String,
    /// The chat as it was once this message was stored.
    pub chat: Chat,
    pub text: String,
    pub has_attachments: bool,
    /// The quick reply or button the customer tapped.
    pub quick_reply_payload: Option<String>,
    /// Its event's first claim: no earlier worker can have written a reply to it.
    pub first_attempt: bool,
    /// What its arrival adds to the analytics, and when it arrived; `None` when it was
    /// stored by an earlier attempt (which counted it, or lost the count).
    pub received: Option<(Timestamp, Metrics)>,
    /// Its chat was created for it: nothing came before it.
    pub opened_chat: bool,
}

/// Answers the customer's new messages of one chat, once.
pub async fn answer(state: &AppState, incoming: &[Incoming]) -> Result<Answered, AppError> {
    let Some(first) = incoming.first() else { return Ok(Answered::Done) };
    let (tenant, chat_id) = (first.chat.user_id, first.chat.id);

    // Work taken again: the messages up to the last one already answered are done,
    // once that reply's parts have all gone out.
    let mut unanswered = incoming;
    for (i, input) in incoming.iter().enumerate().rev() {
        if input.first_attempt {
            continue; // nobody held it before: nobody answered it
        }
        let parts = stored_reply(state, tenant, &input.key).await?;
        if !parts.is_empty() {
            if let wait @ Answered::AwaitEcho { .. } =
                resume(state, &first.chat, parts, &incoming[..=i]).await?
            {
                return Ok(wait);
            }
            unanswered = &incoming[i + 1..];
            break;
        }
    }
    if unanswered.is_empty() {
        return Ok(Answered::Done);
    }

    // The chat as the last of these messages left it: the owner taking it over from
    // here on is caught before anything is sent.
    let chat = unanswered.last().map_or(&first.chat, |input| &input.chat).clone();
    let chat = hand_back_if_forgotten(state, chat).await?;
    let now = state.clock.now();
    if chat.mode == ChatMode::Human || chat.unreachable {
        return Ok(Answered::Done); // the owner answers, or nobody can
    }
    if chat.last_customer_message_at.is_none_or(|last| last + RESPONSE_WINDOW < now) {
        tracing::info!(chat = %chat.id, "more than 24 hours since the customer wrote: no automated reply");
        return Ok(Answered::Done);
    }
    let Some((channel, _integration)) = channel_for(state, tenant, chat.platform).await? else {
        tracing::warn!(
            user = %tenant,
            chat = %chat.id,
            platform = %chat.platform,
            "no connected integration to answer on: the message is stored, not answered"
        );
        return Ok(Answered::Done);
    };
    // Both at once: neither waits for the other, and the model for both.
    let (channel_ref, customer) = (channel.as_ref(), chat.customer_id.as_str());
    let show = |action| async move {
        if let Err(error) = channel_ref.sender_action(customer, action).await {
            tracing::debug!(%error, ?action, "a sender action failed");
        }
    };
    tokio::join!(show(SenderAction::MarkSeen), show(SenderAction::TypingOn));

    let reply = think(state, &chat, unanswered).await?;
    // The owner may have taken over while the AI was thinking: then it stays silent.
    let chat = state.store.get_chat(tenant, chat_id).await?;
    if chat.mode == ChatMode::Human {
        tracing::info!(chat = %chat.id, "the owner took over while the AI was answering: its reply is dropped");
        return Ok(Answered::Done);
    }
    let written = write_reply(state, chat, &reply, unanswered, channel.max_text_chars()).await?;
    let Some((chat, parts)) = written else {
        // Written meanwhile by a worker that held these events before us (its lease
        // ran out), which may be sending it now.
        let parts = stored_reply(state, tenant, &unanswered[unanswered.len() - 1].key).await?;
        if parts.is_empty() {
            // Only part of it is stored (a write whose fate the store could not tell):
            // never answered, so try again rather than take the events as done.
            return Err(AppError::Internal("a reply was found stored only in part: trying again".into()));
        }
        return resume(state, &first.chat, parts, unanswered).await;
    };
    send_parts(state, &chat, parts, unanswered.len()).await?;
    Ok(Answered::Done)
}

/// Finishes a reply found stored, the answer to `answered`: its change to the chat
/// applied if a stop kept it from the chat, then its parts that have not gone out
/// sent; unless one was being handed to the platform (by a process that stopped, or
/// a worker that lost its lease) so recently that it may still be on its way:
/// sending it again could send it twice, and its echo, which marks it sent, settles
/// it.
async fn resume(
    state: &AppState,
    chat: &Chat,
    parts: Vec<Message>,
    answered: &[Incoming],
) -> Result<Answered, AppError> {
    if let Some(first) = parts.first()
        && let Some((chat, update)) = state.store.finish_reply(chat.user_id, first.id).await?
    {
        // The write that stored the reply never came back: the consoles have not seen it.
        tracing::info!(chat = %chat.id, "a reply's change to its chat was applied after a stop");
        for message in &parts {
            state
                .events
                .publish(chat.user_id, Event::ChatMessage { chat_id: chat.id, message: message.clone() });
        }
        FollowUp { update }.announce(state, &chat, answered).await;
    }
    if let Some(handed) = parts.iter().find(|m| m.delivery == DeliveryState::Sending)
        && state.clock.now() < handed.sent_at + ECHO_WAIT
    {
        return Ok(Answered::AwaitEcho { until: handed.sent_at + ECHO_WAIT });
    }
    let chat = state.store.get_chat(chat.user_id, chat.id).await?;
    send_parts(state, &chat, parts, answered.len()).await?;
    Ok(Answered::Done)
}

/// With `[pipeline] handback_after_minutes`, a chat the owner took over and has not
/// written in for that long goes back to the AI when the customer writes again.
async fn hand_back_if_forgotten(state: &AppState, chat: Chat) -> Result<Chat, AppError> {
    let minutes = state.pipeline.config.handback_after_minutes;
    if chat.mode != ChatMode::Human || minutes == 0 {
        return Ok(chat);
    }
    let recent = state.store.recent_messages(chat.user_id, chat.id, 50).await?;
    // The owner's last word: their last message, or taking the chat over.
    let took_over = chat.mode_changed_at.unwrap_or(chat.created_at);
    let last_word = recent
        .iter()
        .rev()
        .find(|m| m.sender == Sender::Business)
        .map_or(took_over, |m| m.sent_at.max(took_over));
    if last_word + Duration::from_secs(minutes * 60) > state.clock.now() {
        return Ok(chat);
    }
    tracing::info!(chat = %chat.id, minutes, "the owner has been silent: the chat goes back to the AI");
    let update =
        ChatUpdate { mode: Some(ChatMode::Ai), handoff_requested: Some(false), ..ChatUpdate::default() };
    let chat = state.store.update_chat(chat.user_id, chat.id, &update, state.clock.now()).await?;
    state.events.publish(chat.user_id, Event::ChatUpdated { chat: chat.clone() });
    Ok(chat)
}

/// Asks the AI, with what it needs: the business, the campaign, what it knows, the
/// conversation so far and the new messages.
async fn think(state: &AppState, chat: &Chat, unanswered: &[Incoming]) -> Result<Reply, AppError> {
    let tenant = chat.user_id;
    let user = state.store.get_user(tenant).await?;
    let campaign = match chat.campaign_id {
        Some(id) => match state.store.get_campaign(tenant, id).await {
            Ok(campaign) => Some(campaign),
            Err(StoreError::NotFound { .. }) => None,
            Err(other) => return Err(other.into()),
        },
        None => None,
    };
    let knowledge = state.knowledge.current(state, tenant).await?;
    // The new messages are the last customer messages; the history is what came before.
    let new_count = unanswered.len();
    // A chat opened by these messages has no history to read: a new customer's first
    // answer costs no read.
    let recent = if unanswered.first().is_some_and(|first| first.opened_chat) {
        Vec::new()
    } else {
        let limit = state.pipeline.config.history_messages + new_count;
        state.store.recent_messages(tenant, chat.id, limit).await?
    };
    let mut history: Vec<Turn> =
        recent.iter().map(|m| Turn { from: m.sender, text: m.text.clone() }).collect();
    let mut skipped = 0;
    while skipped < new_count
        && let Some(position) = history.iter().rposition(|turn| turn.from == Sender::Customer)
    {
        history.remove(position);
        skipped += 1;
    }
    let incoming: Vec<String> = unanswered
        .iter()
        .map(|input| {
            if input.text.trim().is_empty() && input.has_attachments {
                "(the customer sent an attachment without text)".to_owned()
            } else {
                input.text.clone()
            }
        })
        .collect();
    let conversation = Conversation {
        business: &user.business,
        campaign: campaign.as_ref(),
        knowledge: &knowledge,
        history: &history,
        incoming: &incoming,
        step: chat.flow_step,
    };
    let answering = crate::ai::Answering { tenant, chat: Some(chat.id) };
    let reply = crate::ai::ANSWERING.scope(answering, state.ai.reply(&conversation)).await;
    // The responder falls back to the rules by itself; an error here is the rules
    // failing, which only a bug does. Try again later rather than answer nothing.
    reply.map_err(|error: AiError| AppError::Internal(format!("the AI could not answer: {error}")))
}

/// Stores the reply's parts and what the reply changes about the chat, in one write,
/// then shows them on the consoles. The first part is stored as being sent: it goes
/// out next, and a process that stops before it is recorded sent leaves it to wait
/// for its echo rather than be sent twice. A later part waits for the ones before it
/// and is marked when its turn comes, so that one never handed over is sent at once
/// after a stop. `None`: the reply to these messages was written already (by a
/// worker that held them before).
async fn write_reply(
    state: &AppState,
    chat: Chat,
    reply: &Reply,
    unanswered: &[Incoming],
    max_chars: usize,
) -> Result<Option<(Chat, Vec<Message>)>, AppError> {
    let tenant = chat.user_id;
    let key = &unanswered[unanswered.len() - 1].key;
    let texts = split_text(&reply.text, max_chars);
    let last = texts.len().saturating_sub(1);
    // After what it answers, even within the same millisecond.
    let after_question = chat.last_customer_message_at.map(|at| at + Duration::from_millis(1));
    let now = after_question.map_or(state.clock.now(), |after| after.max(state.clock.now()));
    let parts: Vec<Message> = texts
        .into_iter()
        .enumerate()
        .map(|(index, text)| Message {
            id: reply_id(tenant, key, index),
            chat_id: chat.id,
            user_id: tenant,
            sender: Sender::Ai,
            text,
            platform_message_id: None,
            // One millisecond apart, so the parts list in order.
            sent_at: now + Duration::from_millis(index as u64),
            delivery: if index == 0 { DeliveryState::Sending } else { DeliveryState::Pending },
            error: None,
            quick_replies: if index == last { fit_quick_replies(&reply.quick_replies) } else { Vec::new() },
            attachments: Vec::new(),
        })
        .collect();
    let follow_up = FollowUp::of(state, &chat, reply, unanswered);
    let answered = match state.store.append_reply(&parts, &follow_up.update, state.clock.now()).await {
        Ok(answered) => answered,
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    for message in &parts {
        state.events.publish(tenant, Event::ChatMessage { chat_id: chat.id, message: message.clone() });
    }
    follow_up.announce(state, &answered, unanswered).await;
    Ok(Some((answered, parts)))
}

/// What a reply means for the chat: the flow moves on, the lead score follows the
/// signals, a request for a person hands the chat to the owner.
struct FollowUp {
    update: ChatUpdate,
}

impl FollowUp {
    fn of(state: &AppState, chat: &Chat, reply: &Reply, unanswered: &[Incoming]) -> Self {
        let mut signals: Vec<Signal> = reply.signals.iter().copied().map(Signal::from).collect();
        if unanswered.iter().any(|i| i.quick_reply_payload.as_deref().is_some_and(toward_buying)) {
            signals.push(Signal::QuickReplyTowardBuying);
        }
        let scorer = &state.pipeline.scorer;
        let lead = scorer.apply(&chat.lead, &signals);
        let outcome = scorer.outcome(&chat.lead, &lead, chat.status);
        let mut update = ChatUpdate::default();
        if reply.next_step != chat.flow_step {
            update.flow_step = Some(reply.next_step);
        }
        if lead != chat.lead {
            update.lead = Some(lead);
        }
        if outcome.qualified_now {
            update.status = Some(ChatStatus::Qualified);
        }
        if reply.handoff {
            update.mode = Some(ChatMode::Human);
            update.handoff_requested = Some(true);
        }
        Self { update }
    }

    /// The score crossed the threshold with this reply: a new lead (a chat qualified
    /// before is never qualified again).
    fn qualified_now(&self) -> bool {
        self.update.status == Some(ChatStatus::Qualified)
    }

    /// The AI asked for a person.
    fn handoff(&self) -> bool {
        self.update.mode == Some(ChatMode::Human)
    }

    /// Tells the consoles, and counts a new lead, once the chat is stored as `chat`.
    /// A count that fails is logged: the reply goes out all the same.
    async fn announce(&self, state: &AppState, chat: &Chat, unanswered: &[Incoming]) {
        let tenant = chat.user_id;
        if self.update != ChatUpdate::default() {
            state.events.publish(tenant, Event::ChatUpdated { chat: chat.clone() });
        }
        if self.qualified_now() {
            tracing::info!(user = %tenant, chat = %chat.id, score = chat.lead.score, "a new lead");
            count(state, chat, state.clock.now(), &Metrics { leads: 1, ..Metrics::default() }).await;
            if let Some(campaign) = chat.campaign_id {
                let lead = CampaignStats { leads: 1, ..CampaignStats::default() };
                if let Err(error) = state.store.add_campaign_stats(tenant, campaign, &lead).await {
                    tracing::warn!(%error, "cannot count the lead in its campaign");
                }
            }
        }
        if self.handoff() {
            let reason = if unanswered.iter().any(|i| i.text.to_lowercase().contains("person")) {
                "the customer asked to talk to a person"
            } else {
                "the AI could not help and handed the chat over"
            };
            tracing::info!(user = %tenant, chat = %chat.id, reason, "handoff requested");
            state
                .events
                .publish(tenant, Event::HandoffRequested { chat_id: chat.id, reason: reason.to_owned() });
        }
    }
}

/// Sends the parts not sent yet, in order; a part that fails for good stops the rest
/// (they would make no sense alone). `answered` customer messages count as answered
/// once the first part is out.
async fn send_parts(
    state: &AppState,
    chat: &Chat,
    parts: Vec<Message>,
    answered: usize,
) -> Result<(), AppError> {
    let tenant = chat.user_id;
    let (unsent, out): (Vec<Message>, Vec<Message>) = parts
        .into_iter()
        .partition(|m| matches!(m.delivery, DeliveryState::Pending | DeliveryState::Sending));
    if unsent.is_empty() {
        return Ok(());
    }
    let Some((channel, integration)) = channel_for(state, tenant, chat.platform).await? else {
        for message in &unsent {
            fail(state, chat, message, "the page is not connected: connect it to send replies").await?;
        }
        return Ok(());
    };
    // The customer's messages count as answered with the first part out, once: a
    // reply resumed after its first part went out has counted them already.
    let mut first = out.iter().all(|m| m.delivery == DeliveryState::Failed);
    let mut unsent = unsent.into_iter();
    while let Some(message) = unsent.next() {
        let outgoing = OutgoingMessage::response(&chat.customer_id, &message.text)
            .with_quick_replies(message.quick_replies.clone())
            .with_metadata(format!("{METADATA_PREFIX}{}", message.id));
        match deliver(state, channel.as_ref(), chat, &message, &outgoing).await? {
            Ok(()) => {
                let mut sent = Metrics { messages_sent: 1, ..Metrics::default() };
                if first {
                    sent.messages_answered = answered as i64;
                    first = false;
                }
                count(state, chat, state.clock.now(), &sent).await;
            }
            Err(error) => {
                after_failure(state, &integration, &error).await;
                mark_if_unreachable(state, chat, &error).await?;
                for rest in unsent.by_ref() {
                    fail(state, chat, &rest, "not sent: the part before it failed").await?;
                }
                break;
            }
        }
    }
    Ok(())
}

/// Sends one stored message and records the outcome on it. The outer error is the
/// store failing (try again later); the inner one the platform refusing for good.
async fn deliver(
    state: &AppState,
    channel: &dyn Channel,
    chat: &Chat,
    message: &Message,
    outgoing: &OutgoingMessage,
) -> Result<Result<(), SendError>, AppError> {
    let tenant = chat.user_id;
    // Recorded first (an answer's first part is stored so): if this process stops
    // before the answer is, the next one knows the message may have gone out.
    if message.delivery != DeliveryState::Sending {
        state.store.set_message_delivery(tenant, message.id, DeliveryState::Sending, None, None).await?;
    }
    match channel.send(outgoing).await {
        Ok(sent) => {
            let stored = state
                .store
                .set_message_delivery(tenant, message.id, DeliveryState::Sent, Some(&sent.message_id), None)
                .await;
            match stored {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(other) => return Err(other.into()),
            }
            state.events.publish(
                tenant,
                Event::MessageDelivery {
                    chat_id: chat.id,
                    message_id: message.id,
                    delivery: DeliveryState::Sent,
                },
            );
            Ok(Ok(()))
        }
        Err(error) => {
            tracing::warn!(chat = %chat.id, message = %message.id, kind = error.kind.as_str(), %error, "a message could not be sent");
            fail(state, chat, message, &error.to_string()).await?;
            Ok(Err(error))
        }
    }
}

/// The platform says the customer cannot be reached (blocked the page, left): the chat
/// says so, and nothing more is sent to them.
async fn mark_if_unreachable(state: &AppState, chat: &Chat, error: &SendError) -> Result<(), AppError> {
    if error.kind != SendFailure::Unreachable || chat.unreachable {
        return Ok(());
    }
    let update = ChatUpdate { unreachable: Some(true), ..ChatUpdate::default() };
    let chat = state.store.update_chat(chat.user_id, chat.id, &update, state.clock.now()).await?;
    state.events.publish(chat.user_id, Event::ChatUpdated { chat });
    Ok(())
}

async fn fail(state: &AppState, chat: &Chat, message: &Message, why: &str) -> Result<(), AppError> {
    let tenant = chat.user_id;
    state.store.set_message_delivery(tenant, message.id, DeliveryState::Failed, None, Some(why)).await?;
    state.events.publish(
        tenant,
        Event::MessageFailed { chat_id: chat.id, message_id: message.id, error: why.to_owned() },
    );
    Ok(())
}

/// The parts of the reply to the inbox event `key`, if it was written.
async fn stored_reply(state: &AppState, tenant: UserId, key: &str) -> Result<Vec<Message>, AppError> {
    let mut parts = Vec::new();
    loop {
        match state.store.get_message(tenant, reply_id(tenant, key, parts.len())).await {
            Ok(message) => parts.push(message),
            Err(StoreError::NotFound { .. }) => return Ok(parts),
            Err(other) => return Err(other.into()),
        }
    }
}

/// The id of part `index` of the reply to inbox event `key`: the same every time, so
/// a reply is stored once whoever writes it.
fn reply_id(tenant: UserId, key: &str, index: usize) -> MessageId {
    let digest = Sha256::new()
        .chain_update(tenant.to_string())
        .chain_update([0])
        .chain_update(key)
        .chain_update([0])
        .chain_update(index.to_le_bytes())
        .finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    MessageId::from_custom_bytes(bytes)
}

/// A tapped quick reply or button that says "yes, I'll buy".
fn toward_buying(payload: &str) -> bool {
    let payload = payload.to_lowercase();
    payload == "closing:yes" || ["buy", "order", "checkout"].iter().any(|word| payload.contains(word))
}

/// How the owner may write to this customer now: `RESPONSE` within 24 hours of the
/// customer's last message, `HUMAN_AGENT` up to 7 days, and not at all after.
pub fn window_for_owner(chat: &Chat, now: Timestamp) -> Result<MessagingType, AppError> {
    let Some(last) = chat.last_customer_message_at else {
        return Err(AppError::Conflict(
            "the customer has not written yet: a page may only answer customers who wrote first".into(),
        ));
    };
    if now <= last + RESPONSE_WINDOW {
        Ok(MessagingType::Response)
    } else if now <= last + HUMAN_AGENT_WINDOW {
        Ok(MessagingType::HumanAgent)
    } else {
        Err(AppError::Conflict(
            "more than 7 days since the customer's last message: the platform allows no reply until they \
             write again"
                .into(),
        ))
    }
}

/// Whether the owner may write to this customer now, and how: the reason why not
/// is a 409 the owner can read.
pub async fn check_owner_can_send(
    state: &AppState,
    chat: &Chat,
) -> Result<(MessagingType, std::sync::Arc<dyn Channel>, closer_core::model::Integration), AppError> {
    if chat.unreachable {
        return Err(AppError::Conflict("the platform says this customer cannot be reached".into()));
    }
    let messaging = window_for_owner(chat, state.clock.now())?;
    let Some((channel, integration)) = channel_for(state, chat.user_id, chat.platform).await? else {
        return Err(AppError::Conflict(format!(
            "no connected {} integration to send on: connect the page first",
            chat.platform
        )));
    };
    Ok((messaging, channel, integration))
}

/// The owner's own message to the customer: stored, sent with the messaging type the
/// window allows, and returned with how it went.
pub async fn send_by_hand(state: &AppState, chat: &Chat, text: &str) -> Result<Message, AppError> {
    let tenant = chat.user_id;
    let now = state.clock.now();
    let (messaging, channel, integration) = check_owner_can_send(state, chat).await?;
    let mut last = None;
    for (index, part) in split_text(text, channel.max_text_chars()).into_iter().enumerate() {
        let message = Message {
            id: MessageId::new(),
            chat_id: chat.id,
            user_id: tenant,
            sender: Sender::Business,
            text: part,
            platform_message_id: None,
            sent_at: now + Duration::from_millis(index as u64),
            delivery: DeliveryState::Pending,
            error: None,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
        };
        state.store.append_message(&message).await?;
        state.events.publish(tenant, Event::ChatMessage { chat_id: chat.id, message: message.clone() });
        let mut outgoing = OutgoingMessage::response(&chat.customer_id, &message.text)
            .with_metadata(format!("{METADATA_PREFIX}{}", message.id));
        outgoing.messaging = messaging;
        if let Err(error) = deliver(state, channel.as_ref(), chat, &message, &outgoing).await? {
            after_failure(state, &integration, &error).await;
            mark_if_unreachable(state, chat, &error).await?;
            return Err(AppError::BadGateway {
                code: "send_failed",
                message: format!("the message was not sent: {error}"),
            });
        }
        count(state, chat, now, &Metrics { messages_sent: 1, ..Metrics::default() }).await;
        last = Some(state.store.get_message(tenant, message.id).await?);
    }
    last.ok_or_else(|| {
        AppError::Invalid(closer_core::model::ValidationError::new(
            "text",
            closer_core::model::Problem::Empty,
        ))
    })
}

/// Tells the customer they are with the automated assistant again (some laws ask
/// for it when a person hands back). Inside the 24-hour window only; a failure is
/// logged and shown like any other failed message, never blocking the hand-back.
pub async fn tell_back_with_the_assistant(state: &AppState, chat: &Chat) {
    let now = state.clock.now();
    if chat.unreachable || chat.last_customer_message_at.is_none_or(|last| last + RESPONSE_WINDOW < now) {
        return;
    }
    let business = match state.store.get_user(chat.user_id).await {
        Ok(user) if !user.business.business_name.trim().is_empty() => user.business.business_name,
        _ => "this business".to_owned(),
    };
    let text =
        format!("You're chatting with {business}'s automated assistant again. Ask for a person any time.");
    let message = Message {
        id: MessageId::new(),
        chat_id: chat.id,
        user_id: chat.user_id,
        sender: Sender::Ai,
        text,
        platform_message_id: None,
        sent_at: now,
        delivery: DeliveryState::Pending,
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    };
    if let Err(error) = state.store.append_message(&message).await {
        tracing::warn!(%error, "cannot store the hand-back notice");
        return;
    }
    state.events.publish(chat.user_id, Event::ChatMessage { chat_id: chat.id, message: message.clone() });
    if let Err(error) = send_parts(state, chat, vec![message], 0).await {
        tracing::warn!(%error, "cannot send the hand-back notice");
    }
}
