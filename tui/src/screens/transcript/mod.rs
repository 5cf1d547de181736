//! One chat: the transcript (customer, AI and you, with delivery state and failures),
//! the lead score and its reasons, and the owner's keys: take over, hand back, record
//! a sale, close, and — when taken over — a line to write to the customer, with how
//! long Messenger still allows it.
//!
//! Only the messages on screen are laid out, from the bottom up, so a transcript of
//! thousands of messages scrolls as fast as a short one.

use closer_core::model::{Chat, ChatId, ChatMode, DeliveryState, Message, MessageId, Timestamp};
use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

mod lines;

use lines::{message_lines, money, when};
pub use lines::{parse_amount, wrap};

use super::Keys;
use super::input::{Edit, Input};
use crate::backend::{ChatDetail, ReplyWindow, Request};
use crate::theme::Theme;

/// Messenger's longest message; longer ones are split by closerd, but a console line
/// this long is a paste gone wrong more often than a message.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// What a key in the transcript asks of the chats screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptAction {
    Request(Request),
    /// Focus back on the list, the chat stays open.
    Back,
    Handled,
    /// Not a key of the transcript.
    Ignored,
}

/// What the owner is typing, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    None,
    /// A message to the customer.
    Message,
    /// The order value of a sale.
    OrderValue,
}

#[derive(Debug)]
pub struct Transcript {
    chat_id: ChatId,
    chat: Option<Chat>,
    window: ReplyWindow,
    /// Oldest first.
    messages: Vec<Message>,
    loaded: bool,
    /// How many lines the view is scrolled up from the newest message.
    scroll: usize,
    prompt: Prompt,
    /// Kept when the prompt closes, so Esc does not lose a half-written message.
    message: Input,
    order_value: Input,
    /// Why the last action was refused, shown beside the input.
    error: Option<String>,
    /// A message is on its way: Enter does not send it twice.
    sending: bool,
    /// The transcript's height at the last draw, for paging.
    page: usize,
    /// Lines per message at `heights_width`; cleared when a message changes.
    heights: Vec<usize>,
    heights_width: usize,
}

impl Transcript {
    pub fn new(chat_id: ChatId) -> Self {
        Self {
            chat_id,
            chat: None,
            window: ReplyWindow::default(),
            messages: Vec::new(),
            loaded: false,
            scroll: 0,
            prompt: Prompt::None,
            message: Input::with_limit(MAX_MESSAGE_CHARS),
            order_value: Input::with_limit(16),
            error: None,
            sending: false,
            page: 10,
            heights: Vec::new(),
            heights_width: 0,
        }
    }

    pub fn keys() -> Keys {
        vec![
            ("t", "take the chat over: the AI stops answering"),
            ("h", "hand it back to the AI"),
            ("i Enter", "write to the customer (when taken over)"),
            ("c", "record a sale (asks for the order value)"),
            ("x", "close the chat"),
            ("↑ ↓ PgUp PgDn", "scroll the transcript; End: newest"),
            ("Esc", "back to the list"),
        ]
    }

    pub fn chat_id(&self) -> ChatId {
        self.chat_id
    }

    pub fn campaign_id(&self) -> Option<closer_core::model::CampaignId> {
        self.chat.as_ref().and_then(|chat| chat.campaign_id)
    }

    pub fn is_writing(&self) -> bool {
        self.prompt != Prompt::None
    }

    pub fn loaded(&mut self, detail: ChatDetail) {
        // Messages that arrived live while the page loaded are kept.
        let mut messages = detail.messages;
        for message in self.messages.drain(..) {
            if !messages.iter().any(|known| known.id == message.id) {
                messages.push(message);
            }
        }
        self.messages = messages;
        self.heights.clear();
        self.chat = Some(detail.chat);
        self.window = detail.window;
        self.loaded = true;
    }

    pub fn chat_changed(&mut self, chat: &Chat) {
        if chat.id != self.chat_id {
            return;
        }
        if let Some(at) = chat.last_customer_message_at {
            self.window = ReplyWindow::after(at);
        }
        if chat.mode == ChatMode::Ai && self.prompt == Prompt::Message {
            self.prompt = Prompt::None;
        }
        if self.prompt == Prompt::OrderValue && chat.conversion.converted {
            self.prompt = Prompt::None;
            self.order_value.clear();
        }
        self.error = None;
        self.chat = Some(chat.clone());
    }

    /// A message of this chat (live, or the answer to a send): added once. A new one
    /// counts in the header, and a customer's moves the reply window on.
    pub fn message(&mut self, message: Message) {
        let known = self.messages.iter().any(|known| known.id == message.id);
        if !known && let Some(chat) = &mut self.chat {
            chat.message_count += 1;
            if message.sender == closer_core::model::Sender::Customer {
                chat.last_customer_message_at = Some(message.sent_at);
                self.window = ReplyWindow::after(message.sent_at);
            }
        }
        match self.messages.iter_mut().find(|known| known.id == message.id) {
            Some(known) => {
                *known = message;
                self.heights.clear();
            }
            None => self.messages.push(message),
        }
    }

    pub fn sent(&mut self, message: Message) {
        self.sending = false;
        self.message.clear();
        self.error = None;
        self.scroll = 0;
        self.message(message);
    }

    pub fn delivery(&mut self, id: MessageId, delivery: DeliveryState, error: Option<String>) {
        if let Some(message) = self.messages.iter_mut().find(|message| message.id == id) {
            self.heights.clear();
            message.delivery = delivery;
            if error.is_some() {
                message.error = error;
            }
        }
    }

    pub fn failed(&mut self, text: &str) {
        self.sending = false;
        self.error = Some(text.to_owned());
    }

    pub fn paste(&mut self, text: &str) {
        match self.prompt {
            Prompt::Message => self.message.paste(text),
            Prompt::OrderValue => self.order_value.paste(text),
            Prompt::None => {}
        }
    }

    pub fn key(&mut self, key: KeyEvent, now: Timestamp) -> TranscriptAction {
        match self.prompt {
            Prompt::Message => return self.message_key(key, now),
            Prompt::OrderValue => return self.order_value_key(key),
            Prompt::None => {}
        }
        let request = |request| TranscriptAction::Request(request);
        match key.code {
            KeyCode::Char('t') => request(Request::TakeOver(self.chat_id)),
            KeyCode::Char('h') => request(Request::HandBack(self.chat_id)),
            KeyCode::Char('x') => request(Request::Close(self.chat_id)),
            KeyCode::Char('c') => {
                self.error = None;
                self.prompt = Prompt::OrderValue;
                TranscriptAction::Handled
            }
            KeyCode::Char('i') | KeyCode::Enter => {
                if self.chat.as_ref().is_some_and(|chat| chat.mode == ChatMode::Human) {
                    self.error = None;
                    self.prompt = Prompt::Message;
                } else {
                    self.error = Some("the AI is answering this chat: take it over first (t)".into());
                }
                TranscriptAction::Handled
            }
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(-1),
            KeyCode::PageUp => self.scroll_by(isize::try_from(self.page).unwrap_or(10)),
            KeyCode::PageDown => self.scroll_by(-isize::try_from(self.page).unwrap_or(10)),
            KeyCode::End | KeyCode::Char('G') => {
                self.scroll = 0;
                TranscriptAction::Handled
            }
            KeyCode::Esc | KeyCode::Tab => TranscriptAction::Back,
            _ => TranscriptAction::Ignored,
        }
    }

    fn scroll_by(&mut self, lines: isize) -> TranscriptAction {
        self.scroll = self.scroll.saturating_add_signed(lines);
        TranscriptAction::Handled
    }

    fn message_key(&mut self, key: KeyEvent, now: Timestamp) -> TranscriptAction {
        match self.message.key(key) {
            Edit::Submit => {
                let text = self.message.text().trim().to_owned();
                if text.is_empty() {
                    self.error = Some("type a message first".into());
                } else if self.window.human_until.is_some_and(|until| now >= until) {
                    self.error =
                        Some("Messenger allows no more messages 7 days after the customer's last".into());
                } else if !self.sending {
                    self.sending = true;
                    self.error = None;
                    return TranscriptAction::Request(Request::Send { chat: self.chat_id, text });
                }
            }
            Edit::Cancel => self.prompt = Prompt::None,
            Edit::Changed | Edit::Ignored => {}
        }
        TranscriptAction::Handled
    }

    fn order_value_key(&mut self, key: KeyEvent) -> TranscriptAction {
        match self.order_value.key(key) {
            Edit::Submit => match parse_amount(self.order_value.text()) {
                Ok(amount_minor) => {
                    self.error = None;
                    return TranscriptAction::Request(Request::Convert { chat: self.chat_id, amount_minor });
                }
                Err(problem) => self.error = Some(problem),
            },
            Edit::Cancel => {
                self.prompt = Prompt::None;
                self.order_value.clear();
                self.error = None;
            }
            Edit::Changed | Edit::Ignored => {}
        }
        TranscriptAction::Handled
    }

    pub fn mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollUp => {
                self.scroll_by(3);
            }
            MouseEventKind::ScrollDown => {
                self.scroll_by(-3);
            }
            _ => {}
        }
    }

    pub fn draw(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        theme: Theme,
        now: Timestamp,
        focused: bool,
        campaign: Option<&str>,
    ) {
        let title = match &self.chat {
            Some(chat) => format!(
                " {} · {} · {} ",
                closer_client::clean(if chat.customer_name.is_empty() {
                    &chat.customer_id
                } else {
                    &chat.customer_name
                }),
                campaign.map_or_else(|| "no campaign".to_owned(), closer_client::clean),
                if chat.mode == ChatMode::Human { "taken over by you" } else { "answered by the AI" },
            ),
            None => " Chat ".to_owned(),
        };
        let border = if focused { theme.title() } else { theme.dim() };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(title, border));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [header, body, footer] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(1), Constraint::Length(2)]).areas(inner);

        frame.render_widget(Paragraph::new(self.header(theme)), header);
        self.page = usize::from(body.height.max(2) - 1);
        if !self.loaded && self.messages.is_empty() {
            frame.render_widget(Line::styled("loading the transcript …", theme.dim()), body);
        } else {
            let lines = self.visible_lines(usize::from(body.width), usize::from(body.height), theme, now);
            frame.render_widget(Paragraph::new(lines), body);
        }
        frame.render_widget(Paragraph::new(self.footer(theme, now, footer.width)), footer);
    }

    fn header(&self, theme: Theme) -> Vec<Line<'static>> {
        let Some(chat) = &self.chat else { return Vec::new() };
        let mut first = vec![
            Span::raw("lead "),
            Span::styled(format!("{}", chat.lead.score), theme.score(chat.lead.score)),
            Span::raw(format!(" · {} · {} messages", chat.status.as_str(), chat.message_count)),
        ];
        if let Some(value) = &chat.conversion.order_value {
            first.push(Span::styled(
                format!(" · sold {}", money(value.amount_minor, &value.currency)),
                theme.good(),
            ));
        }
        if chat.handoff_requested && chat.mode == ChatMode::Ai {
            first.push(Span::styled(" · asks for a person", theme.alert()));
        }
        if chat.unreachable {
            first.push(Span::styled(" · unreachable", theme.alert()));
        }
        let reasons: Vec<String> = chat
            .lead
            .reasons
            .iter()
            .map(|reason| format!("{} {:+}", closer_client::clean(&reason.signal), reason.points))
            .collect();
        let second = if reasons.is_empty() { "no lead signals yet".to_owned() } else { reasons.join(", ") };
        vec![Line::from(first), Line::styled(second, theme.dim())]
    }

    /// The lines of the messages that fit `height`, `self.scroll` lines up from the
    /// newest, laid out from the bottom so that only what is shown is wrapped.
    fn visible_lines(
        &mut self,
        width: usize,
        height: usize,
        theme: Theme,
        now: Timestamp,
    ) -> Vec<Line<'static>> {
        if self.heights_width != width {
            self.heights.clear();
            self.heights_width = width;
        }
        for message in &self.messages[self.heights.len()..] {
            self.heights.push(message_lines(message, width, theme, now).len());
        }
        let total: usize = self.heights.iter().sum();
        self.scroll = self.scroll.min(total.saturating_sub(height));
        let mut skipped = 0;
        let mut start = self.messages.len();
        while start > 0 && skipped + self.heights[start - 1] <= self.scroll {
            skipped += self.heights[start - 1];
            start -= 1;
        }
        let scroll = self.scroll - skipped;
        let wanted = scroll + height;
        let mut reversed: Vec<Line<'static>> = Vec::with_capacity(wanted + 8);
        for message in self.messages[..start].iter().rev() {
            if reversed.len() >= wanted {
                break;
            }
            let mut lines = message_lines(message, width, theme, now);
            lines.reverse();
            reversed.extend(lines);
        }
        let end = reversed.len().min(wanted);
        let mut lines: Vec<Line<'static>> = reversed.drain(scroll.min(end)..end).collect();
        lines.resize(height, Line::raw(""));
        lines.reverse();
        lines
    }

    fn footer(&self, theme: Theme, now: Timestamp, width: u16) -> Vec<Line<'static>> {
        let status = if let Some(error) = &self.error {
            Line::styled(error.clone(), theme.alert())
        } else if self.sending {
            Line::styled("sending …", theme.dim())
        } else {
            self.window_line(theme, now)
        };
        let input = match self.prompt {
            Prompt::Message => Line::from(vec![
                Span::styled("you> ", theme.owner()),
                Span::styled(self.message.visible(width.saturating_sub(5)), theme.focused()),
            ]),
            Prompt::OrderValue => Line::from(vec![
                Span::styled("order value (e.g. 49.90)> ", theme.key()),
                Span::styled(self.order_value.visible(width.saturating_sub(28)), theme.focused()),
            ]),
            Prompt::None => match &self.chat {
                Some(chat) if chat.mode == ChatMode::Human => {
                    Line::styled("i write · h hand back to the AI · c sale · x close · Esc list", theme.dim())
                }
                _ => Line::styled("t take over · c sale · x close · Esc list · ? keys", theme.dim()),
            },
        };
        vec![status, input]
    }

    /// How long the owner may still write: Messenger's 24 hours after the customer's
    /// last message, then 7 days as a person (`HUMAN_AGENT`), then not at all.
    fn window_line(&self, theme: Theme, now: Timestamp) -> Line<'static> {
        let Some(chat) = &self.chat else { return Line::raw("") };
        if chat.mode != ChatMode::Human {
            return Line::raw("");
        }
        match (self.window.automated_until, self.window.human_until) {
            (Some(until), _) if now < until => Line::styled(
                format!(
                    "you can answer until {} (24 hours after the customer's last message)",
                    when(until, now)
                ),
                theme.dim(),
            ),
            (_, Some(until)) if now < until => Line::styled(
                format!("24-hour window closed: you can still answer as a person until {}", when(until, now)),
                theme.warn(),
            ),
            (_, Some(_)) => {
                Line::styled("the 7-day window has closed: Messenger allows no more messages", theme.alert())
            }
            _ => Line::raw(""),
        }
    }
}
