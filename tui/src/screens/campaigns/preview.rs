//! The preview: the owner writes as a customer and sees what the AI would answer with
//! this campaign, its quick replies and the intent it understood. Nothing is sent to a
//! customer and nothing is stored; the conversation goes on until the owner starts
//! over (`n`).

use std::fmt::Write as _;

use closer_core::model::{Campaign, CampaignId, Message};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use serde_json::{Value, json};

use crate::app::Tab;
use crate::backend::{Call, CallBody};
use crate::screens::conversation::{Pane, bottom_up};
use crate::screens::input::{Edit, Input};
use crate::screens::transcript::wrap;
use crate::theme::Theme;

pub const PREVIEWING: &str = "asking the AI for a preview";

/// The earlier turns sent with a message: enough for the AI to follow the
/// conversation, far below closerd's 50.
const HISTORY: usize = 20;

/// What the AI answered, as the preview shows it.
#[derive(Debug, Clone)]
struct Reply {
    text: String,
    quick_replies: Vec<String>,
    intent: String,
    handoff: bool,
    provider: String,
}

#[derive(Debug, Clone)]
enum Turn {
    Customer(String),
    Ai(Reply),
}

/// What a key in the preview asks of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewAction {
    Ask(Call),
    /// Esc when not writing: back to the list.
    Close,
    Handled,
    /// Not a key of the preview (Tab: to the list).
    Ignored,
}

#[derive(Debug)]
pub struct Preview {
    campaign_id: CampaignId,
    name: String,
    turns: Vec<Turn>,
    /// Where the chat flow stands after the AI's last answer: sent with the next
    /// message, so the greeting, questions and closing follow as in a real chat.
    step: Option<Value>,
    input: Input,
    writing: bool,
    /// A message is on its way.
    asking: bool,
    error: Option<String>,
    /// Lines scrolled up from the newest.
    scroll: usize,
}

impl Preview {
    pub fn new(campaign: &Campaign) -> Self {
        Self {
            campaign_id: campaign.id,
            name: campaign.name.clone(),
            turns: Vec::new(),
            step: None,
            input: Input::default(),
            writing: true,
            asking: false,
            error: None,
            scroll: 0,
        }
    }

    pub fn campaign_id(&self) -> CampaignId {
        self.campaign_id
    }

    pub fn is_writing(&self) -> bool {
        self.writing
    }

    pub fn renamed(&mut self, name: &str) {
        name.clone_into(&mut self.name);
    }

    pub fn paste(&mut self, text: &str) {
        self.writing = true;
        self.input.paste(text);
    }

    pub fn key(&mut self, key: KeyEvent) -> PreviewAction {
        if self.writing {
            return match self.input.key(key) {
                Edit::Submit => self.ask(),
                Edit::Cancel => {
                    self.writing = false;
                    PreviewAction::Handled
                }
                Edit::Changed => PreviewAction::Handled,
                // Tab, say: the screen's.
                Edit::Ignored => PreviewAction::Ignored,
            };
        }
        match key.code {
            KeyCode::Char('i') | KeyCode::Enter => self.writing = true,
            KeyCode::Char('n') if !self.asking => {
                self.turns.clear();
                self.step = None;
                self.error = None;
                self.scroll = 0;
            }
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_add(10),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_sub(10),
            KeyCode::End | KeyCode::Char('G') => self.scroll = 0,
            KeyCode::Esc => return PreviewAction::Close,
            _ => return PreviewAction::Ignored,
        }
        PreviewAction::Handled
    }

    fn ask(&mut self) -> PreviewAction {
        let message = self.input.text().trim().to_owned();
        if message.is_empty() {
            self.error = Some("type what a customer would write, such as: how much is it?".into());
            return PreviewAction::Handled;
        }
        if message.chars().count() > Message::MAX_TEXT {
            self.error = Some(format!("a message is at most {} characters", Message::MAX_TEXT));
            return PreviewAction::Handled;
        }
        if self.asking {
            return PreviewAction::Handled;
        }
        let history: Vec<Value> = self
            .turns
            .iter()
            .skip(self.turns.len().saturating_sub(HISTORY))
            .map(|turn| match turn {
                Turn::Customer(text) => json!({ "from": "customer", "text": text }),
                Turn::Ai(reply) => json!({ "from": "ai", "text": reply.text }),
            })
            .collect();
        let mut body = json!({ "campaign_id": self.campaign_id, "message": message, "history": history });
        if let Some(step) = self.step.as_ref().filter(|_| !self.turns.is_empty()) {
            body["step"] = step.clone();
        }
        self.asking = true;
        self.error = None;
        self.scroll = 0;
        self.turns.push(Turn::Customer(message));
        self.input.clear();
        PreviewAction::Ask(Call::post(Tab::Campaigns, PREVIEWING, "/ai/preview", CallBody::Json(body)))
    }

    pub fn answered(&mut self, value: &Value) {
        self.asking = false;
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        self.step = Some(value["next_step"].clone()).filter(|step| !step.is_null());
        self.turns.push(Turn::Ai(Reply {
            text: text(&value["text"]),
            quick_replies: value["quick_replies"]
                .as_array()
                .map(|replies| replies.iter().map(|reply| text(&reply["title"])).collect())
                .unwrap_or_default(),
            intent: text(&value["intent"]).replace('_', " "),
            handoff: value["handoff"].as_bool().unwrap_or(false),
            provider: text(&value["provider"]),
        }));
        self.scroll = 0;
    }

    /// The message goes back into the input, to try again or change it.
    pub fn failed(&mut self, error: &str) {
        self.asking = false;
        if let Some(Turn::Customer(message)) = self.turns.last().cloned() {
            self.turns.pop();
            self.input.set(&message);
            self.writing = true;
        }
        self.error = Some(error.to_owned());
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let title = format!(" Preview · {} · nothing is sent ", closer_client::clean(&self.name));
        let border = if focused { theme.title() } else { theme.dim() };
        let status = if let Some(error) = &self.error {
            Line::styled(closer_client::clean(error), theme.alert())
        } else if self.asking {
            Line::styled("the AI is answering …", theme.dim())
        } else {
            Line::raw("")
        };
        let pane = Pane {
            block: Block::default().borders(Borders::ALL).title(Span::styled(title, border)),
            hints: vec![
                Line::raw("Write as a customer would; the AI answers as it would in a chat."),
                Line::styled("  hello!", theme.dim()),
                Line::styled("  how much is it?", theme.dim()),
                Line::styled("  can you deliver on Friday?", theme.dim()),
            ],
            status,
            writing: self.writing.then(|| (Span::styled("customer> ", theme.customer()), &self.input)),
            idle: Line::styled("i write · n start over · Esc back to the list", theme.dim()),
        };
        let (turns, scroll) = (&self.turns, &mut self.scroll);
        pane.draw(frame, area, turns.is_empty(), |width, height| {
            bottom_up(turns, scroll, height, |turn| turn_lines(turn, width, theme))
        });
    }
}

/// One turn: the customer's text, or the AI's answer; then a blank line.
fn turn_lines(turn: &Turn, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = match turn {
        Turn::Customer(text) => {
            vec![Line::styled("Customer", theme.customer())].into_iter().chain(wrapped(text, width)).collect()
        }
        Turn::Ai(reply) => reply_lines(reply, width, theme),
    };
    lines.push(Line::raw(""));
    lines
}

/// The AI's answer: who, what it understood, the text, the quick replies offered.
fn reply_lines(reply: &Reply, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut about = format!(" · intent: {}", closer_client::clean(&reply.intent));
    if !reply.provider.is_empty() {
        let _ = write!(about, " · by {}", closer_client::clean(&reply.provider));
    }
    let mut header = vec![Span::styled("AI", theme.ai()), Span::styled(about, theme.dim())];
    if reply.handoff {
        header.push(Span::styled(" · hands the chat to you", theme.alert()));
    }
    let mut lines = vec![Line::from(header)];
    lines.extend(wrapped(&reply.text, width));
    if !reply.quick_replies.is_empty() {
        let titles: Vec<String> =
            reply.quick_replies.iter().map(|title| format!("[{}]", closer_client::clean(title))).collect();
        lines.extend(
            wrap(&titles.join(" "), width.max(8)).into_iter().map(|line| Line::raw(format!("  {line}"))),
        );
    }
    lines
}

fn wrapped(text: &str, width: usize) -> Vec<Line<'static>> {
    text.lines()
        .flat_map(|paragraph| wrap(&closer_client::clean(paragraph), width.max(8)))
        .map(|line| Line::raw(format!("  {line}")))
        .collect()
}
