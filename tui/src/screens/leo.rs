//! Leo, the owner's assistant: a conversation about the business's own figures
//! ("which campaign sold most this week?"), answered from closerd's data. The
//! conversation continues until the owner starts a new one (`n`).

use closer_core::model::Timestamp;
use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use serde_json::{Value, json};

use super::conversation::{Pane, bottom_up};
use super::input::{Edit, Input};
use super::transcript::wrap;
use super::{Keys, Screen};
use crate::app::Tab;
use crate::backend::{Call, CallBody, Request};
use crate::theme::Theme;

/// closerd's limit on a question.
const MAX_QUESTION_CHARS: usize = 4_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Turn {
    Owner(String),
    Leo(String),
}

#[derive(Debug)]
pub struct Leo {
    /// The conversation closerd keeps; `None` until the first answer, or after `n`.
    conversation: Option<String>,
    turns: Vec<Turn>,
    question: Input,
    writing: bool,
    /// A question is on its way.
    asking: bool,
    error: Option<String>,
    /// Lines scrolled up from the newest.
    scroll: usize,
}

impl Default for Leo {
    fn default() -> Self {
        Self {
            conversation: None,
            turns: Vec::new(),
            question: Input::with_limit(MAX_QUESTION_CHARS),
            writing: false,
            asking: false,
            error: None,
            scroll: 0,
        }
    }
}

impl Leo {
    fn ask(&mut self) -> Vec<Request> {
        let question = self.question.text().trim().to_owned();
        if question.is_empty() {
            self.error = Some("type a question first, such as: which campaign sold most this week?".into());
            return Vec::new();
        }
        if self.asking {
            return Vec::new();
        }
        self.asking = true;
        self.error = None;
        self.scroll = 0;
        self.turns.push(Turn::Owner(question.clone()));
        self.question.clear();
        let mut body = json!({ "message": question });
        if let Some(conversation) = &self.conversation {
            body["conversation_id"] = json!(conversation);
        }
        vec![Request::Call(Call::post(Tab::Leo, "asking Leo", "/ai/leo", CallBody::Json(body)))]
    }

    pub fn mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.scroll = self.scroll.saturating_add(3),
            MouseEventKind::ScrollDown => self.scroll = self.scroll.saturating_sub(3),
            _ => {}
        }
    }
}

impl Screen for Leo {
    fn load(&mut self) -> Vec<Request> {
        Vec::new()
    }

    fn keys(&self) -> Keys {
        vec![
            ("i Enter", "write a question; Enter asks it"),
            ("Esc", "stop writing (the question is kept)"),
            ("n", "start a new conversation"),
            ("↑ ↓ PgUp PgDn", "scroll; End: newest"),
            ("1-6", "the other screens"),
            ("q", "quit"),
        ]
    }

    fn is_writing(&self) -> bool {
        self.writing
    }

    fn key(&mut self, key: KeyEvent, _now: Timestamp) -> Vec<Request> {
        if self.writing {
            return match self.question.key(key) {
                Edit::Submit => self.ask(),
                Edit::Cancel => {
                    self.writing = false;
                    Vec::new()
                }
                Edit::Changed | Edit::Ignored => Vec::new(),
            };
        }
        match key.code {
            KeyCode::Char('i') | KeyCode::Enter => self.writing = true,
            KeyCode::Char('n') if !self.asking => {
                self.conversation = None;
                self.turns.clear();
                self.error = None;
                self.scroll = 0;
            }
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_add(10),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_sub(10),
            KeyCode::End => self.scroll = 0,
            _ => {}
        }
        Vec::new()
    }

    fn paste(&mut self, text: &str) {
        self.writing = true;
        self.question.paste(text);
    }

    fn called(&mut self, _call: &Call, value: Value) -> Vec<Request> {
        self.asking = false;
        if let Some(conversation) = value["conversation_id"].as_str() {
            self.conversation = Some(conversation.to_owned());
        }
        let answer = value["answer"].as_str().unwrap_or("(Leo gave no answer)").to_owned();
        self.turns.push(Turn::Leo(answer));
        self.scroll = 0;
        Vec::new()
    }

    fn failed(&mut self, _call: &Call, error: &str) {
        self.asking = false;
        // The question goes back into the input, to try again or fix it.
        if let Some(Turn::Owner(question)) = self.turns.last().cloned() {
            self.turns.pop();
            self.question.set(&question);
            self.writing = true;
        }
        self.error = Some(error.to_owned());
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, _now: Timestamp) {
        let status = if let Some(error) = &self.error {
            Line::styled(error.clone(), theme.alert())
        } else if self.asking {
            Line::styled("Leo is looking at your figures …", theme.dim())
        } else {
            Line::raw("")
        };
        let pane = Pane {
            block: Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(" Leo, your assistant ", theme.title())),
            hints: vec![
                Line::raw("Ask about your business, for example:"),
                Line::styled("  which campaign sold most this week?", theme.dim()),
                Line::styled("  how many leads did I get yesterday?", theme.dim()),
                Line::styled("  who should I call back?", theme.dim()),
            ],
            status,
            writing: self.writing.then(|| (Span::styled("you> ", theme.owner()), &self.question)),
            idle: Line::styled("i ask a question · n new conversation · ? keys", theme.dim()),
        };
        let (turns, scroll) = (&self.turns, &mut self.scroll);
        pane.draw(frame, area, turns.is_empty(), |width, height| {
            bottom_up(turns, scroll, height, |turn| turn_lines(turn, width, theme))
        });
    }
}

/// One turn: who, then the text wrapped to `width`, paragraph by paragraph.
fn turn_lines(turn: &Turn, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let (who, style, text) = match turn {
        Turn::Owner(text) => ("You", theme.owner(), text),
        Turn::Leo(text) => ("Leo", theme.ai(), text),
    };
    let mut lines = vec![Line::styled(who, style)];
    for paragraph in text.lines() {
        let clean = closer_client::clean(paragraph);
        lines.extend(wrap(&clean, width.max(8)).into_iter().map(|line| Line::raw(format!("  {line}"))));
    }
    lines.push(Line::raw(""));
    lines
}
