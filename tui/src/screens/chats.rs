//! The chats: a list by last activity, with filters and search, and the open chat's
//! transcript beside it (or in its place on a narrow terminal). New messages move a
//! chat to the top and flag it; a chat whose customer asked for a person stands out.
//!
//! The list draws only the rows on screen, so ten thousand chats cost what twenty do.

use std::collections::HashMap;

use closer_core::model::{
    CampaignId, Chat, ChatId, ChatMode, ChatStatus, DeliveryState, Message, MessageId, Sender, Timestamp,
};
use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Keys;
use super::input::{Edit, Input};
use super::transcript::{Transcript, TranscriptAction};
use crate::backend::{ChatDetail, Request};
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
    search: Input,
    searching: bool,
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
        self.searching || self.transcript.as_ref().is_some_and(Transcript::is_writing)
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
        if self.searching {
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
        if self.searching {
            match self.search.key(key) {
                Edit::Submit => self.searching = false,
                Edit::Cancel => {
                    self.searching = false;
                    self.search.clear();
                }
                Edit::Changed | Edit::Ignored => {}
            }
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
        let page = isize::try_from(self.list_area.height.max(2) - 1).unwrap_or(10);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::PageUp => self.move_selection(-page),
            KeyCode::PageDown => self.move_selection(page),
            KeyCode::Home | KeyCode::Char('g') => self.move_selection(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_selection(isize::MAX / 2),
            KeyCode::Enter => return self.open_selected(),
            KeyCode::Tab if self.transcript.is_some() => self.focus = Pane::Transcript,
            KeyCode::Esc if self.transcript.is_some() => self.transcript = None,
            KeyCode::Esc => self.search.clear(),
            KeyCode::Char('/') => self.searching = true,
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

    fn draw_list(&mut self, frame: &mut Frame, area: Rect, theme: Theme, now: Timestamp) {
        let visible = self.visible();
        let title =
            format!(" Chats · {} · {} of {} ", self.filter.name(), visible.len(), self.by_activity.len());
        let border = if self.focus == Pane::List { theme.title() } else { theme.dim() };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(title, border));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [search, header, rows] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        self.list_area = rows;
        let layout = Columns::for_width(usize::from(rows.width));
        let mut titles = String::from("   ");
        titles.push_str(&fit("Customer", layout.name));
        if layout.campaign > 0 {
            titles.push_str(&fit("Campaign", layout.campaign));
        }
        titles.push_str(&fit("Status", 10));
        titles.push_str(&fit("By", 4));
        titles.push_str("Lead  New    Last");
        frame.render_widget(Line::styled(titles, theme.dim()), header);

        let search_line = if self.searching {
            Line::from(vec![
                Span::styled("/", theme.key()),
                Span::styled(self.search.visible(search.width), theme.focused()),
            ])
        } else if self.search.is_empty() {
            Line::styled("/ search · f filter · Enter open · ? keys", theme.dim())
        } else {
            Line::from(vec![Span::styled("search: ", theme.dim()), Span::raw(self.search.text().to_owned())])
        };
        frame.render_widget(search_line, search);

        if visible.is_empty() {
            let text = if let Some(error) = &self.error {
                Line::styled(error.clone(), theme.alert())
            } else if self.loading && !self.loaded {
                Line::styled("loading the chats …", theme.dim())
            } else if self.by_activity.is_empty() {
                Line::styled("No chats yet. They appear here as customers write.", theme.dim())
            } else {
                Line::styled("No chat matches: Esc clears the search, f changes the filter.", theme.dim())
            };
            frame.render_widget(Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }), rows);
            return;
        }

        let height = usize::from(rows.height);
        let selected =
            self.selected.and_then(|id| visible.iter().position(|&at| self.by_activity[at].id == id));
        if let Some(selected) = selected {
            if selected < self.offset {
                self.offset = selected;
            } else if selected >= self.offset + height {
                self.offset = selected + 1 - height;
            }
        }
        self.offset = self.offset.min(visible.len().saturating_sub(1));
        for (row, &at) in visible.iter().skip(self.offset).take(height).enumerate() {
            let chat = &self.by_activity[at];
            let area = Rect { y: rows.y + u16::try_from(row).unwrap_or(u16::MAX), height: 1, ..rows };
            let is_selected = Some(self.offset + row) == selected;
            let line = self.row(chat, theme, now, usize::from(area.width), is_selected);
            let line = if is_selected { line.style(theme.selected()) } else { line };
            frame.render_widget(line, area);
        }
    }

    /// One chat's row: flag, customer, campaign, status, mode, score, unread, age.
    fn row(&self, chat: &Chat, theme: Theme, now: Timestamp, width: usize, selected: bool) -> Line<'static> {
        let unread = self.unread.get(&chat.id).copied().unwrap_or(0);
        let (flag, flag_style) = if chat.handoff_requested && chat.status != ChatStatus::Closed {
            ("!", theme.alert())
        } else if unread > 0 {
            ("●", theme.key())
        } else {
            (" ", theme.normal())
        };
        let campaign = chat.campaign_id.and_then(|id| self.campaigns.get(&id)).map_or("—", String::as_str);
        let mode = match chat.mode {
            ChatMode::Ai => "AI",
            ChatMode::Human => "YOU",
        };
        let unread = if unread > 0 { format!("{unread} new") } else { String::new() };
        let layout = Columns::for_width(width);
        let name = closer_client::clean(if chat.customer_name.is_empty() {
            &chat.customer_id
        } else {
            &chat.customer_name
        });
        let mut spans = vec![
            Span::raw(if selected { "▸" } else { " " }),
            Span::styled(flag, flag_style),
            Span::raw(" "),
            Span::styled(fit(&name, layout.name), if flag == "!" { theme.alert() } else { theme.normal() }),
        ];
        if layout.campaign > 0 {
            spans.push(Span::styled(fit(&closer_client::clean(campaign), layout.campaign), theme.dim()));
        }
        spans.extend([
            Span::raw(fit(chat.status.as_str(), 10)),
            Span::styled(
                fit(mode, 4),
                if chat.mode == ChatMode::Human { theme.owner() } else { theme.normal() },
            ),
            Span::styled(format!("{:>4} ", chat.lead.score), theme.score(chat.lead.score)),
            Span::styled(fit(&unread, 7), theme.key()),
            Span::styled(ago(chat.last_activity_at, now), theme.dim()),
        ]);
        Line::from(spans)
    }
}

/// The widths of the list's columns that vary: the campaign's goes first when space is
/// short, and the customer's name takes what the others leave.
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: usize,
    /// 0: not shown.
    campaign: usize,
}

impl Columns {
    /// Marker, flag and space; status, by, lead, new, last.
    const FIXED: usize = 3 + 10 + 4 + 5 + 7 + 5;

    fn for_width(width: usize) -> Self {
        let campaign = if width >= 70 { 15 } else { 0 };
        Self { name: width.saturating_sub(Self::FIXED + campaign).clamp(8, 30), campaign }
    }
}

/// Lower case without the accents of Latin letters: "Inês" is found by "ines".
fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// `text` cut or padded to exactly `width` columns, a space after.
pub fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count < width {
        format!("{text}{}", " ".repeat(width - count))
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(2)).collect();
        cut.push_str("… ");
        cut
    }
}

/// "now", "5m", "3h", "2d".
pub fn ago(at: Timestamp, now: Timestamp) -> String {
    let seconds = now.since(at).as_secs();
    match seconds {
        0..60 => "now".into(),
        60..3_600 => format!("{}m", seconds / 60),
        3_600..86_400 => format!("{}h", seconds / 3_600),
        _ => format!("{}d", seconds / 86_400),
    }
}
