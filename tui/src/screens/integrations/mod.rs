//! Where customers reach the business: the Facebook page's state (connected, or
//! what to do when it needs reconnecting), connecting one with its page id and token
//! (masked as typed), and the sandbox.

mod cards;
mod connect;

use closer_core::events::{Event as Live, IntegrationSummary};
use closer_core::model::{IntegrationStatus, Platform, Timestamp};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use serde_json::{Value, json};

use self::connect::{ConnectForm, Outcome};
pub(super) use super::indented;
use super::parse;
use super::{Keys, Screen};
use crate::app::Tab;
use crate::backend::{Call, CallBody, Method, Request};
use crate::theme::Theme;

const LIST: &str = "/integrations";
const FACEBOOK: &str = "/integrations/facebook";
const SANDBOX: &str = "/integrations/sandbox";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Card {
    #[default]
    Facebook,
    Sandbox,
}

#[derive(Debug, Default)]
pub struct Integrations {
    /// The first list arrived: until then the cards say "loading".
    loaded: bool,
    /// The page shown: a live one before one let go, then the latest changed.
    facebook: Option<IntegrationSummary>,
    /// What closerd said to do about the page when it last changed (`integration.updated`).
    facebook_detail: Option<String>,
    sandbox: Option<IntegrationSummary>,
    card: Card,
    form: Option<ConnectForm>,
    /// `d` was pressed on the page: `y` disconnects it, any other key keeps it.
    confirm_disconnect: bool,
    /// A change on its way (what it is doing): a second one waits for its answer.
    pending: Option<&'static str>,
    /// The last refusal that belongs to no form field, shown under the cards.
    error: Option<String>,
    /// What the last change did.
    notice: Option<String>,
}

impl Integrations {
    fn connect_form(&mut self) {
        let reconnect =
            self.facebook.as_ref().filter(|page| page.status == IntegrationStatus::NeedsReconnect);
        self.form = Some(ConnectForm::new(reconnect.map(|page| page.page_id.as_str())));
        self.card = Card::Facebook;
        self.notice = None;
    }

    fn change(&mut self, call: Call) -> Vec<Request> {
        if self.pending.is_some() {
            return Vec::new();
        }
        self.pending = Some(call.doing);
        self.error = None;
        self.notice = None;
        vec![Request::Call(call)]
    }

    fn sandbox_connected(&self) -> bool {
        self.sandbox.as_ref().is_some_and(|sandbox| sandbox.status == IntegrationStatus::Connected)
    }

    /// `s`: the sandbox on or off. Off needs no confirming: `s` turns it back on.
    fn toggle_sandbox(&mut self) -> Vec<Request> {
        self.card = Card::Sandbox;
        let call = if self.sandbox_connected() {
            Call::delete(Tab::Integrations, "disconnecting the sandbox", SANDBOX)
        } else {
            Call::post(Tab::Integrations, "connecting the sandbox", SANDBOX, CallBody::None)
        };
        self.change(call)
    }

    fn form_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let Some(form) = &mut self.form else { return Vec::new() };
        match form.key(key) {
            Outcome::Typing => Vec::new(),
            Outcome::Cancel => {
                self.form = None;
                Vec::new()
            }
            Outcome::Connect { page_id, token } => {
                let body = json!({ "page_id": page_id, "page_access_token": token });
                self.change(Call::post(
                    Tab::Integrations,
                    "connecting the Facebook page",
                    FACEBOOK,
                    CallBody::Json(body),
                ))
            }
        }
    }

    fn set(&mut self, integration: IntegrationSummary) {
        match integration.platform {
            Platform::Facebook => {
                if integration.status != IntegrationStatus::NeedsReconnect {
                    self.facebook_detail = None;
                }
                self.facebook = Some(integration);
            }
            Platform::Sandbox => self.sandbox = Some(integration),
            Platform::Instagram | Platform::Whatsapp => {}
        }
    }

    fn list(&mut self, value: Value) -> Result<(), String> {
        let all: Vec<IntegrationSummary> = parse(value)?;
        let current = |platform| {
            all.iter()
                .filter(|integration| integration.platform == platform)
                .max_by_key(|i| (i.status != IntegrationStatus::Disconnected, i.updated_at))
                .cloned()
        };
        self.facebook = current(Platform::Facebook);
        self.sandbox = current(Platform::Sandbox);
        if self.facebook.as_ref().is_none_or(|page| page.status != IntegrationStatus::NeedsReconnect) {
            self.facebook_detail = None;
        }
        self.loaded = true;
        Ok(())
    }
}

impl Screen for Integrations {
    fn load(&mut self) -> Vec<Request> {
        vec![Request::Call(Call::get(Tab::Integrations, "loading the integrations", LIST))]
    }

    fn keys(&self) -> Keys {
        vec![
            ("↑ ↓ j k", "choose Facebook or the sandbox"),
            ("c Enter", "connect a Facebook page (page id, then its token)"),
            ("Tab", "in the form: the other field"),
            ("Enter", "in the form: next field, then connect"),
            ("Esc", "in the form: cancel"),
            ("d", "disconnect the Facebook page (asks first)"),
            ("s", "connect or disconnect the sandbox"),
            ("Ctrl-R", "load again"),
            ("1-6", "the other screens"),
            ("q", "quit"),
        ]
    }

    fn is_writing(&self) -> bool {
        self.form.is_some()
    }

    fn key(&mut self, key: KeyEvent, _now: Timestamp) -> Vec<Request> {
        if self.form.is_some() {
            return self.form_key(key);
        }
        if std::mem::take(&mut self.confirm_disconnect) {
            if matches!(key.code, KeyCode::Char('y' | 'Y')) {
                return self.change(Call::delete(
                    Tab::Integrations,
                    "disconnecting the Facebook page",
                    FACEBOOK,
                ));
            }
            return Vec::new();
        }
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.card = Card::Facebook,
            KeyCode::Down | KeyCode::Char('j') => self.card = Card::Sandbox,
            KeyCode::Char('c') => self.connect_form(),
            KeyCode::Enter if self.card == Card::Facebook => self.connect_form(),
            KeyCode::Enter if !self.sandbox_connected() => return self.toggle_sandbox(),
            KeyCode::Char('s') => return self.toggle_sandbox(),
            KeyCode::Char('d') | KeyCode::Delete => {
                let live =
                    self.facebook.as_ref().is_some_and(|fb| fb.status != IntegrationStatus::Disconnected);
                if self.card == Card::Sandbox && self.sandbox_connected() {
                    return self.toggle_sandbox();
                }
                if live {
                    self.card = Card::Facebook;
                    self.confirm_disconnect = true;
                } else {
                    self.notice = Some("no Facebook page is connected".into());
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn paste(&mut self, text: &str) {
        if let Some(form) = &mut self.form {
            form.paste(text);
        }
    }

    fn called(&mut self, call: &Call, value: Value) -> Vec<Request> {
        if call.method == Method::Get {
            if let Err(error) = self.list(value) {
                self.error = Some(format!("{}: {error}", call.doing));
            }
            return Vec::new();
        }
        self.pending = None;
        match parse::<IntegrationSummary>(value) {
            Ok(integration) => {
                let connected = integration.status == IntegrationStatus::Connected;
                self.notice = Some(match (integration.platform, connected) {
                    (Platform::Sandbox, true) => {
                        "the sandbox is connected: `closer simulate` plays a customer".into()
                    }
                    (Platform::Sandbox, false) => "the sandbox is disconnected".into(),
                    (_, true) => format!(
                        "connected {}: the AI answers its customers now",
                        closer_client::clean(&integration.page_name)
                    ),
                    (_, false) => "the Facebook page is disconnected and its token forgotten".into(),
                });
                if call.method == Method::Post && integration.platform == Platform::Facebook {
                    // Only now: the token typed leaves memory with the form.
                    self.form = None;
                }
                self.set(integration);
            }
            Err(error) => self.error = Some(format!("{}: {error}", call.doing)),
        }
        Vec::new()
    }

    fn failed(&mut self, call: &Call, error: &str) {
        if call.method != Method::Get {
            self.pending = None;
        }
        let why = error.strip_prefix(call.doing).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(error);
        match &mut self.form {
            Some(form) if call.path == FACEBOOK && call.method == Method::Post => form.refused(why),
            _ if call.method == Method::Get => self.error = Some(format!("{error} (Ctrl-R tries again)")),
            _ => self.error = Some(error.to_owned()),
        }
    }

    fn live(&mut self, event: &Live) -> Vec<Request> {
        if let Live::IntegrationUpdated { integration, detail } = event {
            let facebook = integration.platform == Platform::Facebook;
            let shown = if facebook { &self.facebook } else { &self.sandbox };
            // A page let go long ago does not hide the one connected since.
            let older = integration.status == IntegrationStatus::Disconnected
                && shown.as_ref().is_some_and(|shown| {
                    shown.id != integration.id && shown.status != IntegrationStatus::Disconnected
                });
            if older {
                return Vec::new();
            }
            self.set(integration.clone());
            if facebook && integration.status == IntegrationStatus::NeedsReconnect {
                self.facebook_detail.clone_from(detail);
            }
        }
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, _now: Timestamp) {
        let block =
            Block::default().borders(Borders::ALL).title(Span::styled(" Integrations ", theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let width = usize::from(inner.width);
        let message = if let Some(error) = &self.error {
            indented(error, 0, width, theme.alert())
        } else if let Some(doing) = self.pending.filter(|_| self.form.is_none()) {
            vec![Line::styled(format!("{doing} …"), theme.dim())]
        } else if let Some(notice) = &self.notice {
            indented(notice, 0, width, theme.normal())
        } else {
            Vec::new()
        };
        let [cards, message_area, hints] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(u16::try_from(message.len()).unwrap_or(u16::MAX)),
            Constraint::Length(1),
        ])
        .areas(inner);
        let mut lines = self.facebook_lines(width, theme);
        lines.push(Line::raw(""));
        lines.extend(self.sandbox_lines(width, theme));
        frame.render_widget(Paragraph::new(lines), cards);
        frame.render_widget(Paragraph::new(message), message_area);
        let hint = if self.form.is_some() {
            "Enter next field, then connect · Tab other field · Esc cancel"
        } else {
            "↑↓ choose · c connect Facebook · d disconnect · s sandbox · ? keys"
        };
        frame.render_widget(Line::styled(hint, theme.dim()), hints);
    }
}
