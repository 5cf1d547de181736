//! Chats (one customer's conversation with one business on one platform) and their
//! messages.

use serde::{Deserialize, Serialize};

use super::validate::{self, NAME_MAX, Problem, Validated, ValidationError};
use super::{CampaignId, ChatId, MessageId, Money, Platform, Timestamp, UserId};

/// Where a conversation stands in the sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    Active,
    /// The lead score crossed the business's threshold.
    Qualified,
    Converted,
    Closed,
}

impl ChatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Qualified => "qualified",
            Self::Converted => "converted",
            Self::Closed => "closed",
        }
    }
}

/// Who answers the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatMode {
    Ai,
    /// The owner took over: the AI stays silent in this chat until handed back.
    Human,
}

impl ChatMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ai => "ai",
            Self::Human => "human",
        }
    }
}

/// One signal that moved the lead score, kept so the owner sees why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadReason {
    pub signal: String,
    pub points: i32,
}

/// How likely this customer is to buy, 0–100, with the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct LeadScore {
    pub score: u8,
    pub reasons: Vec<LeadReason>,
}

impl LeadScore {
    pub const MAX: u8 = 100;

    pub fn validate(&self) -> Validated {
        if self.score > Self::MAX {
            return Err(ValidationError::new(
                "lead.score",
                Problem::NotAllowed { reason: format!("must be between 0 and {}", Self::MAX) },
            ));
        }
        Ok(())
    }
}

/// Whether and for how much the customer bought.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Conversion {
    pub converted: bool,
    pub order_value: Option<Money>,
    pub converted_at: Option<Timestamp>,
}

/// One customer's conversation with one business on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chat {
    pub id: ChatId,
    pub user_id: UserId,
    pub platform: Platform,
    /// The platform's id of the customer (a page-scoped id on Messenger).
    pub customer_id: String,
    pub customer_name: String,
    pub campaign_id: Option<CampaignId>,
    pub status: ChatStatus,
    pub mode: ChatMode,
    /// When the mode last changed (a takeover, a hand-back): how long the owner has
    /// held the chat.
    #[serde(default)]
    pub mode_changed_at: Option<Timestamp>,
    pub lead: LeadScore,
    pub conversion: Conversion,
    /// The AI asked for a person (or could not help): the console makes it stand out.
    pub handoff_requested: bool,
    /// Where the campaign's flow stands: what the AI asks or says next.
    #[serde(default)]
    pub flow_step: FlowStep,
    /// The platform says the customer cannot be reached (blocked the page, deleted
    /// the account): nothing more is sent.
    #[serde(default)]
    pub unreachable: bool,
    pub message_count: i64,
    /// The platforms allow automated replies only within 24 hours of this.
    pub last_customer_message_at: Option<Timestamp>,
    /// Chats are listed by this, newest first.
    pub last_activity_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What identifies a chat when a message arrives: the store finds it or creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChat {
    pub user_id: UserId,
    pub platform: Platform,
    pub customer_id: String,
    pub customer_name: String,
    /// Only used when the chat is created.
    pub campaign_id: Option<CampaignId>,
    pub now: Timestamp,
}

impl NewChat {
    pub fn validate(&self) -> Validated {
        validate::required("customer_id", &self.customer_id, 200)?;
        validate::optional("customer_name", &self.customer_name, NAME_MAX)
    }

    pub fn into_chat(self) -> Chat {
        Chat {
            id: ChatId::new(),
            user_id: self.user_id,
            platform: self.platform,
            customer_id: self.customer_id,
            customer_name: self.customer_name,
            campaign_id: self.campaign_id,
            status: ChatStatus::Active,
            mode: ChatMode::Ai,
            mode_changed_at: None,
            lead: LeadScore::default(),
            conversion: Conversion::default(),
            handoff_requested: false,
            flow_step: FlowStep::Greeting,
            unreachable: false,
            message_count: 0,
            last_customer_message_at: None,
            last_activity_at: self.now,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

/// A change to a chat's state; unset fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ChatUpdate {
    pub status: Option<ChatStatus>,
    pub mode: Option<ChatMode>,
    pub lead: Option<LeadScore>,
    pub conversion: Option<Conversion>,
    pub handoff_requested: Option<bool>,
    pub customer_name: Option<String>,
    pub campaign_id: Option<CampaignId>,
    pub flow_step: Option<FlowStep>,
    pub unreachable: Option<bool>,
}

impl ChatUpdate {
    /// A recorded sale: status `converted` with its conversion.
    pub fn sale(conversion: &Conversion) -> Self {
        Self { status: Some(ChatStatus::Converted), conversion: Some(conversion.clone()), ..Self::default() }
    }

    pub fn validate(&self) -> Validated {
        if let Some(lead) = &self.lead {
            lead.validate()?;
        }
        if let Some(Conversion { order_value: Some(value), .. }) = &self.conversion {
            value.validate("conversion.order_value")?;
        }
        if let Some(name) = &self.customer_name {
            validate::optional("customer_name", name, NAME_MAX)?;
        }
        Ok(())
    }

    /// Applies the change to a chat in memory (both backends share this meaning).
    pub fn apply_to(&self, chat: &mut Chat, now: Timestamp) {
        if let Some(status) = self.status {
            chat.status = status;
        }
        if let Some(mode) = self.mode {
            chat.mode = mode;
            chat.mode_changed_at = Some(now);
        }
        if let Some(lead) = &self.lead {
            chat.lead = lead.clone();
        }
        if let Some(conversion) = &self.conversion {
            chat.conversion = conversion.clone();
        }
        if let Some(handoff) = self.handoff_requested {
            chat.handoff_requested = handoff;
        }
        if let Some(name) = &self.customer_name {
            chat.customer_name.clone_from(name);
        }
        if let Some(campaign) = self.campaign_id {
            chat.campaign_id = Some(campaign);
        }
        if let Some(step) = self.flow_step {
            chat.flow_step = step;
        }
        if let Some(unreachable) = self.unreachable {
            chat.unreachable = unreachable;
        }
        chat.updated_at = now;
    }
}

/// Which chats to list, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatQuery {
    pub status: Option<ChatStatus>,
    pub mode: Option<ChatMode>,
    pub campaign_id: Option<CampaignId>,
    pub min_score: Option<u8>,
    /// Case-insensitive substring of the customer's name or id.
    pub search: Option<String>,
    /// At most this many (the store caps it at [`Page::MAX_LIMIT`]).
    pub limit: Option<usize>,
    /// Continue after this cursor, from the previous page's `next`.
    pub after: Option<Cursor>,
}

/// A position in a listing ordered by time: the time and the id break ties, so a page
/// boundary never skips or repeats an entry that shares a millisecond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cursor {
    pub at: Timestamp,
    pub id: String,
}

impl Cursor {
    /// The opaque text form used in URLs: `<millis>_<id>`.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.as_millis(), self.id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (millis, id) = text.split_once('_')?;
        let at = Timestamp::from_millis(millis.parse().ok()?)?;
        (!id.is_empty()).then(|| Self { at, id: id.to_owned() })
    }
}

/// One page of a listing and where the next begins (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    pub const DEFAULT_LIMIT: usize = 50;
    pub const MAX_LIMIT: usize = 500;

    pub fn limit(requested: Option<usize>) -> usize {
        requested.unwrap_or(Self::DEFAULT_LIMIT).clamp(1, Self::MAX_LIMIT)
    }

    /// A page of at most `limit` from `items`, which a store fetched one more than
    /// `limit` of: the extra one only says that another page follows, and the page
    /// then ends with the cursor of its last item.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> Cursor) -> Self {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more { items.last().map(cursor) } else { None };
        Self { items, next }
    }
}

impl Chat {
    /// Its position in a listing by last activity.
    pub fn cursor(&self) -> Cursor {
        Cursor { at: self.last_activity_at, id: self.id.to_string() }
    }

    /// What storing `message` in it does to the chat: one more message, and its
    /// times moved forward only (platforms deliver out of order).
    pub fn count_message(&mut self, message: &Message) {
        self.message_count += 1;
        self.last_activity_at = self.last_activity_at.max(message.sent_at);
        if message.sender == Sender::Customer {
            self.last_customer_message_at = self.last_customer_message_at.max(Some(message.sent_at));
        }
        self.updated_at = self.updated_at.max(message.sent_at);
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Customer,
    Ai,
    /// The owner, answering by hand (from the console, the CLI or the page inbox).
    Business,
}

/// How far an outgoing message got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// A customer's message, as received.
    Received,
    /// Stored, not yet handed to the platform.
    Pending,
    /// Handed to the platform, its answer not recorded yet. Found like this after a
    /// crash, the message may or may not have gone out: its echo tells.
    Sending,
    Sent,
    Delivered,
    Read,
    /// Given up on; `Message::error` says why.
    Failed,
}

/// Where a chat stands in its campaign's flow (greeting, the qualification questions in
/// order, the closing message), as the AI leaves it after each reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FlowStep {
    /// Nothing said yet: the greeting comes first.
    #[default]
    Greeting,
    /// The qualification question of this index (in the campaign's order) is next.
    Qualification { index: usize },
    /// Qualified or ready: the closing message is next (or was just sent).
    Closing,
    /// The flow is over; answer questions as they come.
    Done,
}

/// A tappable answer offered with a message (Messenger: at most 13, titles ≤ 20 chars).
/// The AI proposes them and the platforms send them, so it lives with the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuickReply {
    pub title: String,
    pub payload: String,
}

impl QuickReply {
    pub const MAX_COUNT: usize = 13;
    pub const MAX_TITLE_CHARS: usize = 20;
}

/// One message in a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub sender: Sender,
    pub text: String,
    /// The platform's id (`mid`): unique, so a redelivered message is stored once.
    pub platform_message_id: Option<String>,
    pub sent_at: Timestamp,
    pub delivery: DeliveryState,
    pub error: Option<String>,
    /// Offered with an outgoing message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
    /// Images, files, locations… a customer sent, with or without text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// Something a customer sent besides text: its kind (`image`, `audio`, `video`,
/// `file`, `location`…) and where the platform keeps it, when it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Message {
    /// Far above any platform's limit (Messenger's is 2,000 characters): longer is not
    /// a chat message.
    pub const MAX_TEXT: usize = 20_000;

    /// Its position in a chat's transcript.
    pub fn cursor(&self) -> Cursor {
        Cursor { at: self.sent_at, id: self.id.to_string() }
    }

    pub fn validate(&self) -> Validated {
        validate::optional("text", &self.text, Self::MAX_TEXT)?;
        if let Some(mid) = &self.platform_message_id {
            validate::required("platform_message_id", mid, 500)?;
        }
        Ok(())
    }

    /// Checks an answer before it is stored: at least one message, each valid, ours
    /// (not the customer's), each once, all of one chat; returns that chat's
    /// business and id.
    pub fn validate_reply(messages: &[Self]) -> Result<(UserId, ChatId), ValidationError> {
        let Some(first) = messages.first() else {
            return Err(ValidationError::new("messages", Problem::Empty));
        };
        let refuse = |reason: &str| {
            Err(ValidationError::new("messages", Problem::NotAllowed { reason: reason.to_owned() }))
        };
        for (index, message) in messages.iter().enumerate() {
            message.validate()?;
            if (message.user_id, message.chat_id) != (first.user_id, first.chat_id) {
                return refuse("must all belong to one chat");
            }
            if message.sender == Sender::Customer {
                return refuse("must be ours: a customer's message is appended on its own");
            }
            if messages[..index].iter().any(|earlier| earlier.id == message.id) {
                return refuse("must each be there once");
            }
        }
        Ok((first.user_id, first.chat_id))
    }
}

/// Which messages of a chat to list, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageQuery {
    pub limit: Option<usize>,
    pub after: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor =
            Cursor { at: Timestamp::from_millis(1_700_000_000_123).expect("in range"), id: "abc".into() };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", "abc", "12_", "x_abc", "99999999999999999999_a"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_overfetched_page_says_whether_more_follow() {
        let cursor = |n: &i64| Cursor { at: Timestamp::from_millis(*n).expect("time"), id: n.to_string() };
        let full = Page::from_overfetch(vec![1, 2, 3], 2, cursor);
        assert_eq!((full.items, full.next.map(|c| c.id)), (vec![1, 2], Some("2".to_owned())));
        let last = Page::from_overfetch(vec![1, 2], 2, cursor);
        assert_eq!((last.items, last.next), (vec![1, 2], None));
        let empty = Page::from_overfetch(Vec::new(), 2, cursor);
        assert_eq!((empty.items, empty.next), (Vec::<i64>::new(), None));
    }

    #[test]
    fn page_limits_are_clamped() {
        assert_eq!(Page::<()>::limit(None), 50);
        assert_eq!(Page::<()>::limit(Some(0)), 1);
        assert_eq!(Page::<()>::limit(Some(10_000)), 500);
    }

    #[test]
    fn updates_are_validated() {
        let over =
            ChatUpdate { lead: Some(LeadScore { score: 101, reasons: vec![] }), ..ChatUpdate::default() };
        assert_eq!(over.validate().expect_err("score").field, "lead.score");
        let negative = ChatUpdate {
            conversion: Some(Conversion {
                converted: true,
                order_value: Some(Money { amount_minor: -5, currency: "USD".into() }),
                converted_at: None,
            }),
            ..ChatUpdate::default()
        };
        assert_eq!(negative.validate().expect_err("value").field, "conversion.order_value.amount_minor");
    }

    #[test]
    fn a_new_chat_needs_a_customer() {
        let new = NewChat {
            user_id: UserId::new(),
            platform: Platform::Facebook,
            customer_id: " ".into(),
            customer_name: String::new(),
            campaign_id: None,
            now: Timestamp::now(),
        };
        assert_eq!(new.validate().expect_err("empty").field, "customer_id");
    }
}
