//! The console without a terminal: an [`App`] drawn on a `TestBackend`, fed keys,
//! live events and closerd's answers, as the runner would feed it.

#![allow(dead_code)]

use closer_core::events::{Event as Live, LiveEvent};
use closer_core::model::{
    Chat, ChatId, ChatMode, ChatStatus, Conversion, DeliveryState, FlowStep, LeadReason, LeadScore, Message,
    MessageId, Platform, Sender, Timestamp, UserId,
};
use closer_tui::{Answer, App, Call, Connection, Event, Failure, Options, Request, Tab, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 25 November 2026, 15:00 UTC: the console's "now" in every test.
pub fn now() -> Timestamp {
    Timestamp::parse("2026-11-25T15:00:00Z").expect("a time")
}

pub fn minutes_ago(minutes: i64) -> Timestamp {
    Timestamp::from_millis(now().as_millis() - minutes * 60_000).expect("a time")
}

pub fn user() -> UserId {
    UserId::from_custom_bytes(*b"owner-ana-000001")
}

/// A chat id that reads well in a failure: `n` in its last bytes.
pub fn chat_id(n: u8) -> ChatId {
    let mut bytes = *b"chat-00000000000";
    bytes[15] = n;
    ChatId::from_custom_bytes(bytes)
}

pub fn chat(n: u8, name: &str, minutes: i64) -> Chat {
    Chat {
        id: chat_id(n),
        user_id: user(),
        platform: Platform::Facebook,
        customer_id: format!("psid-{n}"),
        customer_name: name.to_owned(),
        campaign_id: None,
        status: ChatStatus::Active,
        mode: ChatMode::Ai,
        mode_changed_at: None,
        lead: LeadScore {
            score: 20,
            reasons: vec![LeadReason { signal: "asked the price".into(), points: 20 }],
        },
        conversion: Conversion::default(),
        handoff_requested: false,
        flow_step: FlowStep::default(),
        unreachable: false,
        message_count: 2,
        last_customer_message_at: Some(minutes_ago(minutes)),
        last_activity_at: minutes_ago(minutes),
        created_at: minutes_ago(minutes + 60),
        updated_at: minutes_ago(minutes),
    }
}

/// Message `n` of `chat`; ids are unique across chats of up to 2^32 messages.
pub fn message(chat: &Chat, n: u32, sender: Sender, text: &str, minutes: i64) -> Message {
    let mut bytes = *b"msg-000000000000";
    bytes[4..8].copy_from_slice(&n.to_be_bytes());
    bytes[8..].copy_from_slice(
        &chat
            .customer_id
            .as_bytes()
            .iter()
            .copied()
            .chain(std::iter::repeat(b'-'))
            .take(8)
            .collect::<Vec<u8>>(),
    );
    Message {
        id: MessageId::from_custom_bytes(bytes),
        chat_id: chat.id,
        user_id: chat.user_id,
        sender,
        text: text.to_owned(),
        platform_message_id: None,
        sent_at: minutes_ago(minutes),
        delivery: if sender == Sender::Customer { DeliveryState::Received } else { DeliveryState::Delivered },
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    }
}

pub fn live(seq: u64, event: Live) -> Event {
    Event::Live(Box::new(LiveEvent { seq, at: now(), event }))
}

/// The console, logged in or not, on a `width` × `height` screen.
#[derive(Debug)]
pub struct Console {
    pub app: App,
    pub terminal: Terminal<TestBackend>,
    /// Every request the app made, in order.
    pub requests: Vec<Request>,
}

impl Console {
    pub fn new(width: u16, height: u16, email: Option<&str>) -> Self {
        let mut app = App::new(Options {
            server: "http://127.0.0.1:8080".into(),
            email: email.map(str::to_owned),
            now: now(),
            theme: Theme::plain(),
        });
        let requests = app.start();
        let terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        Self { app, terminal, requests }
    }

    /// Logged in as Ana, connected, with `chats` loaded.
    pub fn with_chats(width: u16, height: u16, chats: Vec<Chat>) -> Self {
        let mut console = Self::new(width, height, Some("ana@bakery.example"));
        console.feed(Event::Connection(Connection::Connected));
        console.feed(Event::Answer(Answer::Chats { chats, campaigns: std::collections::HashMap::new() }));
        console
    }

    pub fn feed(&mut self, event: Event) -> &mut Self {
        let requests = self.app.handle(event);
        self.requests.extend(requests);
        self
    }

    pub fn key(&mut self, code: KeyCode) -> &mut Self {
        self.feed(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    pub fn ctrl(&mut self, c: char) -> &mut Self {
        self.feed(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
    }

    pub fn type_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    /// The screen as text, one line per row, trailing spaces trimmed.
    pub fn screen(&mut self) -> String {
        let app = &mut self.app;
        self.terminal.draw(|frame| app.draw(frame)).expect("draws");
        let buffer = self.terminal.backend().buffer();
        let width = usize::from(buffer.area.width).max(1);
        let cells: Vec<&str> = buffer.content.iter().map(ratatui::buffer::Cell::symbol).collect();
        cells.chunks(width).map(|row| row.concat().trim_end().to_owned()).collect::<Vec<_>>().join("\n")
    }

    /// The requests made since the last call.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }

    /// The calls `screen` made since the last take, in order.
    pub fn take_calls(&mut self, screen: Tab) -> Vec<Call> {
        self.take_requests()
            .into_iter()
            .filter_map(|request| match request {
                Request::Call(call) if call.screen == screen => Some(call),
                _ => None,
            })
            .collect()
    }

    /// The one call `screen` made since the last take.
    #[track_caller]
    pub fn asked(&mut self, screen: Tab) -> Call {
        match self.take_calls(screen).as_slice() {
            [call] => call.clone(),
            other => panic!("expected one call, got {other:?}"),
        }
    }

    /// closerd answers `call` with `value`.
    pub fn answer(&mut self, call: Call, value: serde_json::Value) -> &mut Self {
        self.feed(Event::Answer(Answer::Called { call, value }))
    }

    /// closerd refuses `call` with `message`.
    pub fn refuse(&mut self, call: Call, message: &str) -> &mut Self {
        let error = Failure::Refused(message.to_owned());
        self.feed(Event::Answer(Answer::Failed { request: Request::Call(call), error }))
    }

    /// The requests made since the last call, without the calls of the screens that
    /// load their own things (campaigns, integrations, the business).
    pub fn take_chat_requests(&mut self) -> Vec<Request> {
        self.take_requests().into_iter().filter(|request| !matches!(request, Request::Call(_))).collect()
    }
}
