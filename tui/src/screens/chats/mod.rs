//! The chats: a list by last activity, with filters and search, and the open chat's
//! transcript beside it (or in its place on a narrow terminal). New messages move a
//! chat to the top and flag it; a chat whose customer asked for a person stands out.

use std::collections::HashMap;

use closer_core::model::{
    CampaignId, Chat, ChatId, ChatMode, ChatStatus, DeliveryState, Message, MessageId, Sender, Timestamp,
};
use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

mod list;

pub use list::fit;
use list::fold;

use super::Keys;
use super::input::Search;
use super::transcript::{Transcript, TranscriptAction};
use crate::backend::{ChatDetail, Request};
use crate::screens::list_step;
use crate::theme::Theme;

/// A lead at least this hot counts as hot.
const HOT_SCORE: u8 = 70;
/// Below this width the transcript takes the whole screen.
const SIDE_BY_SIDE_WIDTH: u16 = 100;

/// Which chats the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    /// Handoff requested, or taken over: a person is needed or answering.
    WaitingForYou,
    HotLeads,
    TakenOver,
    Ai,
    Converted,
    Closed,
}

impl Filter {
    const ALL: [Self; 7] = [
        Self::All,
        Self::WaitingForYou,
        Self::HotLeads,
        Self::TakenOver,
        Self::Ai,
        Self::Converted,
        Self::Closed,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::WaitingForYou => "waiting for you",
            Self::HotLeads => "hot leads",
            Self::TakenOver => "taken over",
            Self::Ai => "answered by the AI",
            Self::Converted => "converted",
            Self::Closed => "closed",
        }
    }

    fn next(self) -> Self {
        let at = Self::ALL.iter().position(|filter| *filter == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }

    fn keeps(self, chat: &Chat) -> bool {
        match self {
            Self::All => true,
            Self::WaitingForYou => chat.handoff_requested && chat.status != ChatStatus::Closed,
            Self::HotLeads => chat.lead.score >= HOT_SCORE,
            Self::TakenOver => chat.mode == ChatMode::Human,
            Self::Ai => chat.mode == ChatMode::Ai,
            Self::Converted => chat.status == ChatStatus::Converted,
            Self::Closed => chat.status == ChatStatus::Closed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Pane {
    #[default]
    List,
    Transcript,
}

#[derive(Debug, Default)]
pub struct Chats {
    /// Every chat, the latest activity first. Boxed on purpose: a live message moves
    /// its chat to the top, and rotating 8-byte pointers costs ~5 µs where moving
    /// 272-byte chats cost ~100 µs per event (BENCHMARKS.md, "Console").
    #[allow(clippy::vec_box)]
    by_activity: Vec<Box<Chat>>,
    campaigns: HashMap<CampaignId, String>,
    loaded: bool,
    loading: bool,
    /// Why the list could not be loaded.
    error: Option<String>,
    /// Customer messages that arrived since the chat was last open.
    unread: HashMap<ChatId, u32>,
    filter: Filter,
    search: Search,
    /// The chat under the cursor.
    selected: Option<ChatId>,
    /// The first row drawn.
    offset: usize,
    focus: Pane,
    transcript: Option<Transcript>,
    /// Where the list rows were drawn, for the mouse.
    list_area: Rect,
    transcript_area: Rect,
}

impl Chats {
    pub fn keys(&self) -> Keys {
        let mut keys = vec![
            ("↑ ↓ j k", "move in the list"),
            ("PgUp PgDn", "a page up or down"),
            ("Enter", "open the chat"),
            ("/", "search by customer name"),
            ("f", "filter: all, waiting for you, hot leads, taken over, …"),
            ("Tab", "between the list and the chat"),
        ];
        if self.transcript.is_some() {
            keys.extend(Transcript::keys());
        }
        keys.extend([("Ctrl-R", "reload"), ("1 2", "dashboard, chats"), ("q", "quit")]);
        keys
    }

    pub fn loading(&mut self) {
        self.loading = true;
    }

    pub fn open_chat_id(&self) -> Option<ChatId> {
        self.transcript.as_ref().map(Transcript::chat_id)
    }

    /// The chats in list order, for tests and the console's callers.
    pub fn listed(&self) -> impl Iterator<Item = &Chat> {
        self.visible().into_iter().map(|at| &*self.by_activity[at])
    }

    /// True while the owner types (a search, a message, an order value): keys are text.
    pub fn is_writing(&self) -> bool {
        self.search.is_open() || self.transcript.as_ref().is_some_and(Transcript::is_writing)
    }

    pub fn set(&mut self, mut chats: Vec<Chat>, campaigns: HashMap<CampaignId, String>) {
        chats.sort_by_key(|chat| std::cmp::Reverse(chat.last_activity_at));
        self.by_activity = chats.into_iter().map(Box::new).collect();
        self.campaigns = campaigns;
        self.loaded = true;
        self.loading = false;
        self.error = None;
        if self.selected.is_none_or(|id| !self.by_activity.iter().any(|chat| chat.id == id)) {
            self.selected = self.by_activity.first().map(|chat| chat.id);
        }
    }

    /// A chat that is new or changed: replaces our copy and takes its place by activity.
    pub fn upsert(&mut self, chat: Chat) {
        if let Some(transcript) = &mut self.transcript {
            transcript.chat_changed(&chat);
        }
        if let Some(at) = self.by_activity.iter().position(|known| known.id == chat.id) {
            self.by_activity.remove(at);
        }
        let at = self.by_activity.partition_point(|known| known.last_activity_at > chat.last_activity_at);
        if self.selected.is_none() {
            self.selected = Some(chat.id);
        }
        self.by_activity.insert(at, Box::new(chat));
    }

    /// A new message: its chat moves to the top; a customer's flags the chat unless
    /// it is open.
    pub fn message(&mut self, message: Message) {
        let chat_id = message.chat_id;
        if let Some(at) = self.by_activity.iter().position(|chat| chat.id == chat_id) {
            self.by_activity[..=at].rotate_right(1);
            let chat = &mut self.by_activity[0];
            if message.sent_at > chat.last_activity_at {
                chat.last_activity_at = message.sent_at;
            }
            chat.message_count += 1;
        }
        let open = self.open_chat_id() == Some(chat_id);
        if message.sender == Sender::Customer && !open {
            *self.unread.entry(chat_id).or_default() += 1;
        }
        if let Some(transcript) = self.transcript.as_mut().filter(|_| open) {
            transcript.message(message);
        }
    }

    pub fn handoff(&mut self, chat_id: ChatId) {
        if let Some(chat) = self.by_activity.iter_mut().find(|chat| chat.id == chat_id) {
            chat.handoff_requested = true;
        }
    }

    pub fn delivery(
        &mut self,
        chat_id: ChatId,
        message: MessageId,
        delivery: DeliveryState,
        error: Option<String>,
    ) {
        if let Some(transcript) = self.transcript.as_mut().filter(|t| t.chat_id() == chat_id) {
            transcript.delivery(message, delivery, error);
        }
    }

    pub fn opened(&mut self, detail: ChatDetail) {
        let chat = detail.chat.clone();
        if let Some(transcript) = self.transcript.as_mut().filter(|t| t.chat_id() == chat.id) {
            transcript.loaded(detail);
        }
        self.upsert(chat);
    }

    pub fn sent(&mut self, message: Message) {
        if let Some(transcript) = self.transcript.as_mut().filter(|t| t.chat_id() == message.chat_id) {
            transcript.sent(message);
        }
    }

    /// A request of this screen was refused: the message goes where it was asked.
    pub fn failed(&mut self, request: &Request, text: &str) {
        match request {
            Request::LoadChats => {
                self.loading = false;
                self.error = Some(text.to_owned());
            }
            Request::OpenChat(id)
            | Request::TakeOver(id)
            | Request::HandBack(id)
            | Request::Close(id)
            | Request::Convert { chat: id, .. }
            | Request::Send { chat: id, .. } => {
                if let Some(transcript) = self.transcript.as_mut().filter(|t| t.chat_id() == *id) {
                    transcript.failed(text);
                }
            }
            _ => {}
        }
    }

    pub fn paste(&mut self, text: &str) {
        if self.search.is_open() {
            self.search.paste(text);
        } else if let Some(transcript) = &mut self.transcript {
            transcript.paste(text);
        }
    }

    /// Indices into `chats` of the rows shown, in order.
    fn visible(&self) -> Vec<usize> {
        let needle = fold(self.search.text().trim());
        self.by_activity
            .iter()
            .enumerate()
            .filter(|(_, chat)| self.filter.keeps(chat))
            .filter(|(_, chat)| {
                needle.is_empty()
                    || fold(&chat.customer_name).contains(&needle)
                    || fold(&chat.customer_id).contains(&needle)
            })
            .map(|(at, _)| at)
            .collect()
    }

    fn move_selection(&mut self, by: isize) {
        let visible = self.visible();
        if visible.is_empty() {
            return;
        }
        let current = self
            .selected
            .and_then(|id| visible.iter().position(|&at| self.by_activity[at].id == id))
            .unwrap_or(0);
        let last = visible.len() - 1;
        let next = current.saturating_add_signed(by).min(last);
        self.selected = Some(self.by_activity[visible[next]].id);
    }

    fn open_selected(&mut self) -> Vec<Request> {
        let Some(id) = self.selected.filter(|id| self.by_activity.iter().any(|chat| chat.id == *id)) else {
            return Vec::new();
        };
        self.unread.remove(&id);
        self.focus = Pane::Transcript;
        if self.open_chat_id() == Some(id) {
            return Vec::new();
        }
        self.transcript = Some(Transcript::new(id));
        vec![Request::OpenChat(id)]
    }

    pub fn key(&mut self, key: KeyEvent, now: Timestamp) -> Vec<Request> {
        if self.search.is_open() {
            self.search.key(key);
            self.keep_selection_visible();
            return Vec::new();
        }
        if self.focus == Pane::Transcript
            && let Some(transcript) = &mut self.transcript
        {
            match transcript.key(key, now) {
                TranscriptAction::Request(request) => return vec![request],
                TranscriptAction::Back => {
                    self.focus = Pane::List;
                    return Vec::new();
                }
                TranscriptAction::Handled => return Vec::new(),
                TranscriptAction::Ignored => {}
            }
        }
        if let Some(step) = list_step(key.code, usize::from(self.list_area.height)) {
            self.move_selection(step);
            return Vec::new();
        }
        match key.code {
            KeyCode::Enter => return self.open_selected(),
            KeyCode::Tab if self.transcript.is_some() => self.focus = Pane::Transcript,
            KeyCode::Esc if self.transcript.is_some() => self.transcript = None,
            KeyCode::Esc => self.search.clear(),
            KeyCode::Char('/') => self.search.open(),
            KeyCode::Char('f') => {
                self.filter = self.filter.next();
                self.keep_selection_visible();
            }
            _ => {}
        }
        Vec::new()
    }

    /// After the filter or search changed: the cursor on a row that is shown.
    fn keep_selection_visible(&mut self) {
        let visible = self.visible();
        if !self.selected.is_some_and(|id| visible.iter().any(|&at| self.by_activity[at].id == id)) {
            self.selected = visible.first().map(|&at| self.by_activity[at].id);
            self.offset = 0;
        }
    }

    pub fn mouse(&mut self, mouse: MouseEvent) -> Vec<Request> {
        let at = (mouse.column, mouse.row).into();
        let in_list = self.list_area.contains(at);
        if self.transcript_area.contains(at)
            && let Some(transcript) = &mut self.transcript
        {
            transcript.mouse(mouse);
            return Vec::new();
        }
        match mouse.kind {
            MouseEventKind::ScrollUp if in_list => self.move_selection(-3),
            MouseEventKind::ScrollDown if in_list => self.move_selection(3),
            MouseEventKind::Down(_) if in_list => {
                let row = usize::from(mouse.row - self.list_area.y) + self.offset;
                if let Some(&at) = self.visible().get(row) {
                    self.selected = Some(self.by_activity[at].id);
                    return self.open_selected();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, now: Timestamp) {
        let (list, transcript) = if self.transcript.is_some() && area.width >= SIDE_BY_SIDE_WIDTH {
            let [list, transcript] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
            (list, Some(transcript))
        } else if self.transcript.is_some() && self.focus == Pane::Transcript {
            // Narrow: the open chat has the screen; Tab shows the list again.
            (Rect::default(), Some(area))
        } else {
            (area, None)
        };
        self.transcript_area = Rect::default();
        if let (Some(area), Some(transcript)) = (transcript, &mut self.transcript) {
            self.transcript_area = area;
            let campaign =
                transcript.campaign_id().and_then(|id| self.campaigns.get(&id)).map(String::as_str);
            transcript.draw(frame, area, theme, now, self.focus == Pane::Transcript, campaign);
        }
        if list.area() > 0 {
            self.draw_list(frame, list, theme, now);
        } else {
            self.list_area = Rect::default();
        }
    }
}
