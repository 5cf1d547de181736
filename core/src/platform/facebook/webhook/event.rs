//! One Messenger webhook event, read tolerantly: extra fields are ignored, ids may be
//! strings (as Graph sends them) or numbers, and what we do not handle is reported as
//! [`EventKind::Unsupported`] rather than refused.

use serde_json::Value;

/// One event of a webhook POST, with what identifies its conversation and makes a
/// redelivery recognisable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The entry's page (`entry[].id`).
    pub page_id: String,
    /// The customer's page-scoped id, except for an echo: then the page.
    pub sender_id: String,
    /// The page, except for an echo: then the customer.
    pub recipient_id: String,
    /// When it happened, in Unix milliseconds: the platform does not deliver in order,
    /// so the pipeline orders by this. Taken from the watermark (delivery, read) or the
    /// entry's time when the event has none.
    pub timestamp_ms: i64,
    /// Another app owns the conversation (it came under `standby`): it is for the
    /// record, not for an automated answer.
    pub standby: bool,
    pub kind: EventKind,
    /// The event as received, for storing and for what this type does not read.
    pub raw: Value,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A customer's message. It may have no text at all (a photo, a location, a like).
    Message {
        mid: String,
        text: Option<String>,
        /// The customer tapped a quick reply: its payload, as we sent it.
        quick_reply_payload: Option<String>,
        attachments: Vec<Attachment>,
        /// The `ref` of the link or ad that opened the conversation.
        referral: Option<String>,
    },
    /// A copy of a message the page sent: ours, or a person's from the page inbox.
    /// Never a customer message; one from another app than ours means a human answered.
    Echo {
        mid: String,
        /// The app that sent it; none for some messages sent from Meta's own inboxes.
        app_id: Option<String>,
        text: Option<String>,
        /// What we put in the sent message's `metadata`.
        metadata: Option<String>,
    },
    /// A button tap.
    Postback { mid: Option<String>, title: String, payload: String, referral: Option<String> },
    /// Messages up to `watermark` (and those listed) reached the customer's device.
    Delivery { mids: Vec<String>, watermark: i64 },
    /// The customer read everything up to `watermark`.
    Read { watermark: i64 },
    /// The customer came through a link or an ad (`ref`, else the source) into an
    /// existing conversation.
    Referral { referral: String },
    /// A kind we do not handle (a reaction, an opt-in, thread control…), named by its
    /// field.
    Unsupported { what: String },
}

/// A file, image, location… attached to a customer's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// `image`, `audio`, `video`, `file`, `location`, `fallback`…
    pub kind: String,
    /// Where the platform serves it, for the kinds that have one.
    pub url: Option<String>,
}

impl EventKind {
    /// `message`, `echo`, `postback`, `delivery`, `read`, `referral`, or the
    /// unsupported field's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Message { .. } => "message",
            Self::Echo { .. } => "echo",
            Self::Postback { .. } => "postback",
            Self::Delivery { .. } => "delivery",
            Self::Read { .. } => "read",
            Self::Referral { .. } => "referral",
            Self::Unsupported { what } => what,
        }
    }

    /// The platform's id of the message, for the kinds that have one.
    pub fn mid(&self) -> Option<&str> {
        match self {
            Self::Message { mid, .. } | Self::Echo { mid, .. } => Some(mid),
            Self::Postback { mid, .. } => mid.as_deref(),
            _ => None,
        }
    }
}

impl WebhookEvent {
    /// The customer: the sender, or for an echo the recipient.
    pub fn customer_id(&self) -> &str {
        if matches!(self.kind, EventKind::Echo { .. }) { &self.recipient_id } else { &self.sender_id }
    }

    /// `facebook:{page}:{customer}`: one conversation, one at a time through the pipeline.
    pub fn conversation(&self) -> String {
        format!("facebook:{}:{}", self.page_id, self.customer_id())
    }

    /// What makes a redelivered event recognisable in the inbox: `facebook:mid:{mid}`
    /// for a message, echo or postback with a `mid` (unique across Messenger);
    /// otherwise `facebook:{page}:{sender}:{timestamp}:{kind}`, which the same event
    /// repeats and another kind of event never shares.
    pub fn inbox_key(&self) -> String {
        match self.kind.mid() {
            Some(mid) => format!("facebook:mid:{mid}"),
            None => format!(
                "facebook:{}:{}:{}:{}",
                self.page_id,
                self.sender_id,
                self.timestamp_ms,
                self.kind.name()
            ),
        }
    }
}

/// Reads one element of an entry's `messaging` or `standby`.
pub(super) fn parse_event(
    page_id: &str,
    entry_time: Option<i64>,
    event: &Value,
    standby: bool,
) -> Result<WebhookEvent, String> {
    if !event.is_object() {
        return Err("the event is not an object".to_owned());
    }
    let kind = parse_kind(event)?;
    let sender_id = id(event.pointer("/sender/id")).ok_or("no sender.id")?;
    let recipient_id = match id(event.pointer("/recipient/id")) {
        Some(recipient) => recipient,
        // Only an echo's recipient is not the page itself.
        None if !matches!(kind, EventKind::Echo { .. }) => page_id.to_owned(),
        None => return Err("an echo with no recipient.id".to_owned()),
    };
    let watermark = match &kind {
        EventKind::Delivery { watermark, .. } | EventKind::Read { watermark } => Some(*watermark),
        _ => None,
    };
    let timestamp_ms = millis(event.get("timestamp")).or(watermark).or(entry_time).ok_or("no timestamp")?;
    Ok(WebhookEvent {
        page_id: page_id.to_owned(),
        sender_id,
        recipient_id,
        timestamp_ms,
        standby,
        kind,
        raw: event.clone(),
    })
}

fn parse_kind(event: &Value) -> Result<EventKind, String> {
    if let Some(message) = event.get("message") {
        if !message.is_object() {
            return Err("\"message\" is not an object".to_owned());
        }
        let mid = id(message.get("mid")).ok_or("a message with no mid")?;
        let text = string(message.get("text"));
        if message.get("is_echo").and_then(Value::as_bool) == Some(true) {
            return Ok(EventKind::Echo {
                mid,
                app_id: id(message.get("app_id")),
                text,
                metadata: string(message.get("metadata")),
            });
        }
        let attachments =
            message.get("attachments").and_then(Value::as_array).map_or_else(Vec::new, |list| {
                list.iter()
                    .map(|attachment| Attachment {
                        kind: string(attachment.get("type")).unwrap_or_else(|| "unknown".to_owned()),
                        url: string(attachment.pointer("/payload/url"))
                            .or_else(|| string(attachment.get("url"))),
                    })
                    .collect()
            });
        return Ok(EventKind::Message {
            mid,
            text,
            quick_reply_payload: string(message.pointer("/quick_reply/payload")),
            attachments,
            // Ads put it in the message; links beside it.
            referral: referral_ref(message.get("referral")).or_else(|| referral_ref(event.get("referral"))),
        });
    }
    if let Some(postback) = event.get("postback") {
        return Ok(EventKind::Postback {
            mid: id(postback.get("mid")),
            title: string(postback.get("title")).unwrap_or_default(),
            payload: string(postback.get("payload")).unwrap_or_default(),
            referral: referral_ref(postback.get("referral")),
        });
    }
    if let Some(delivery) = event.get("delivery") {
        let mids = delivery
            .get("mids")
            .and_then(Value::as_array)
            .map_or_else(Vec::new, |mids| mids.iter().filter_map(|mid| id(Some(mid))).collect());
        let watermark = millis(delivery.get("watermark")).ok_or("a delivery with no watermark")?;
        return Ok(EventKind::Delivery { mids, watermark });
    }
    if let Some(read) = event.get("read") {
        let watermark = millis(read.get("watermark")).ok_or("a read with no watermark")?;
        return Ok(EventKind::Read { watermark });
    }
    if let Some(referral) = event.get("referral") {
        let referral =
            referral_ref(Some(referral)).or_else(|| string(referral.get("source"))).unwrap_or_default();
        return Ok(EventKind::Referral { referral });
    }
    let what = event
        .as_object()
        .and_then(|fields| {
            fields.keys().find(|key| !matches!(key.as_str(), "sender" | "recipient" | "timestamp"))
        })
        .map_or_else(|| "empty".to_owned(), Clone::clone);
    Ok(EventKind::Unsupported { what })
}

/// An id given as a string (as Graph does) or as a whole number.
pub(super) fn id(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => {
            number.as_u64().map(|n| n.to_string()).or_else(|| number.as_i64().map(|n| n.to_string()))
        }
        _ => None,
    }
}

/// Unix milliseconds given as a number or as a string of digits.
pub(super) fn millis(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

fn referral_ref(referral: Option<&Value>) -> Option<String> {
    string(referral?.get("ref")).filter(|text| !text.is_empty())
}
