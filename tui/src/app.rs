//! The console's state and what each event does to it. `App` does no I/O: events come
//! in ([`App::handle`]), requests for closerd go out as its return value, and
//! [`App::draw`] paints the state. The runner in `lib.rs` wires it to the terminal,
//! the REST client and the live events; the tests wire it to a `TestBackend`.

use closer_core::events::{Event as Live, LiveEvent};
use closer_core::model::Timestamp;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use crate::backend::{Answer, Failure, Request};
use crate::event::{Connection, Event};
use crate::screens::business::Business;
use crate::screens::campaigns::Campaigns;
use crate::screens::chats::Chats;
use crate::screens::dashboard::Dashboard;
use crate::screens::integrations::Integrations;
use crate::screens::leo::Leo;
use crate::screens::login::{Login, Submitted};
use crate::screens::overlay::{draw_confirm, draw_help};
use crate::screens::{Screen, status_bar};
use crate::theme::Theme;

/// The screens behind the login, in the order of their number keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Dashboard,
    Chats,
    Campaigns,
    Integrations,
    Leo,
    Business,
}

impl Tab {
    const ALL: [Self; 6] =
        [Self::Dashboard, Self::Chats, Self::Campaigns, Self::Integrations, Self::Leo, Self::Business];

    fn title(self) -> &'static str {
        match self {
            Self::Dashboard => "Dashboard",
            Self::Chats => "Chats",
            Self::Campaigns => "Campaigns",
            Self::Integrations => "Integrations",
            Self::Leo => "Leo",
            Self::Business => "Business",
        }
    }

    /// The tab of number key `c` ('1' the first).
    fn of_key(c: char) -> Option<Self> {
        let n = c.to_digit(10)? as usize;
        Self::ALL.get(n.checked_sub(1)?).copied()
    }
}

/// A message for the owner in the status bar, until the next one or until it is
/// [`NOTICE_FOR`] old: the screen that was refused keeps its own message in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub alert: bool,
    pub at: Timestamp,
}

/// How long a notice stays in the status bar.
const NOTICE_FOR: std::time::Duration = std::time::Duration::from_secs(15);

/// What covers the screen until a key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    None,
    /// The keys of the current screen.
    Help,
    /// Quit was asked for while a message was being written: asks before losing it.
    ConfirmQuit,
}

/// How the console starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// closerd's base URL, shown in the status bar.
    pub server: String,
    /// The saved session's email, if there is one: the console opens logged in.
    pub email: Option<String>,
    pub now: Timestamp,
    pub theme: Theme,
}

#[derive(Debug)]
pub struct App {
    theme: Theme,
    server: String,
    /// Who is logged in; `None` shows the login screen.
    email: Option<String>,
    login: Login,
    now: Timestamp,
    tab: Tab,
    chats: Chats,
    dashboard: Dashboard,
    campaigns: Campaigns,
    integrations: Integrations,
    leo: Leo,
    business: Business,
    /// The business's onboarding was found unfinished once: the console opened the
    /// wizard, and does not force it again.
    onboarding_shown: bool,
    connection: Connection,
    notice: Option<Notice>,
    overlay: Overlay,
    quit: bool,
    /// An `analytics.updated` arrived: the dashboard reloads at the next tick, once,
    /// however many came in between.
    dashboard_stale: bool,
    /// Where the tab titles were drawn, for clicks.
    tab_areas: Vec<(Tab, Rect)>,
}

impl App {
    pub fn new(options: Options) -> Self {
        Self {
            theme: options.theme,
            server: options.server,
            login: Login::new(options.email.clone()),
            email: options.email,
            now: options.now,
            tab: Tab::Chats,
            chats: Chats::default(),
            dashboard: Dashboard::default(),
            campaigns: Campaigns::default(),
            integrations: Integrations::default(),
            leo: Leo::default(),
            business: Business::default(),
            onboarding_shown: false,
            connection: Connection::Idle,
            notice: None,
            overlay: Overlay::None,
            quit: false,
            dashboard_stale: false,
            tab_areas: Vec::new(),
        }
    }

    /// The first requests: everything a logged-in console shows.
    pub fn start(&mut self) -> Vec<Request> {
        if self.email.is_some() { self.load_everything() } else { Vec::new() }
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn chats(&self) -> &Chats {
        &self.chats
    }

    /// The screens that make their own calls.
    fn screen(&mut self, tab: Tab) -> Option<&mut dyn Screen> {
        match tab {
            Tab::Dashboard | Tab::Chats => None,
            Tab::Campaigns => Some(&mut self.campaigns),
            Tab::Integrations => Some(&mut self.integrations),
            Tab::Leo => Some(&mut self.leo),
            Tab::Business => Some(&mut self.business),
        }
    }

    fn load_everything(&mut self) -> Vec<Request> {
        self.chats.loading();
        let mut requests = vec![Request::LoadChats, Request::LoadDashboard { today: self.now.date() }];
        requests.extend(self.chats.open_chat_id().map(Request::OpenChat));
        for tab in [Tab::Campaigns, Tab::Integrations, Tab::Leo, Tab::Business] {
            if let Some(screen) = self.screen(tab) {
                requests.extend(screen.load());
            }
        }
        requests
    }

    pub fn handle(&mut self, event: Event) -> Vec<Request> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.key(key),
            Event::Key(_) | Event::Resize => Vec::new(),
            Event::Mouse(mouse) => self.mouse(mouse),
            Event::Paste(text) => {
                if self.email.is_none() {
                    self.login.paste(&text);
                } else if self.tab == Tab::Chats {
                    self.chats.paste(&text);
                } else if let Some(screen) = self.screen(self.tab) {
                    screen.paste(&text);
                }
                Vec::new()
            }
            Event::Tick(now) => self.tick(now),
            Event::Live(live) => self.live(*live),
            Event::Connection(connection) => {
                let lost_the_token = matches!(connection, Connection::Offline(_));
                self.connection = connection;
                // Any call refreshes an expired token, which reconnects the live events;
                // a refused one ends on the login screen.
                if lost_the_token && self.email.is_some() { vec![Request::LoadChats] } else { Vec::new() }
            }
            Event::Answer(answer) => self.answer(answer),
        }
    }

    fn tick(&mut self, now: Timestamp) -> Vec<Request> {
        let new_day = now.date() != self.now.date();
        self.now = now;
        if self.notice.as_ref().is_some_and(|notice| now.since(notice.at) >= NOTICE_FOR) {
            self.notice = None;
        }
        if self.email.is_some() && (self.dashboard_stale || new_day) {
            self.dashboard_stale = false;
            return vec![Request::LoadDashboard { today: now.date() }];
        }
        Vec::new()
    }

    fn live(&mut self, live: LiveEvent) -> Vec<Request> {
        let mut requests = Vec::new();
        for tab in [Tab::Campaigns, Tab::Integrations, Tab::Business] {
            if let Some(screen) = self.screen(tab) {
                requests.extend(screen.live(&live.event));
            }
        }
        match live.event {
            Live::ChatCreated { chat } | Live::ChatUpdated { chat } => self.chats.upsert(chat),
            Live::ChatMessage { message, .. } => self.chats.message(message),
            Live::HandoffRequested { chat_id, reason } => {
                self.chats.handoff(chat_id);
                self.notify(format!("a customer asks for a person: {reason}"), true);
            }
            Live::MessageDelivery { chat_id, message_id, delivery } => {
                self.chats.delivery(chat_id, message_id, delivery, None);
            }
            Live::MessageFailed { chat_id, message_id, error } => {
                self.chats.delivery(
                    chat_id,
                    message_id,
                    closer_core::model::DeliveryState::Failed,
                    Some(error),
                );
                self.notify("a message could not be delivered: see the chat".into(), true);
            }
            Live::AnalyticsUpdated { .. } => self.dashboard_stale = true,
            Live::AiProviderFailed { provider, error, fell_back, .. } => {
                let instead = if fell_back { ": the rule-based answers stand in" } else { "" };
                self.notify(format!("the AI provider {provider} failed ({error}){instead}"), true);
            }
            Live::Resync { .. } => return self.load_everything(),
            _ => {}
        }
        requests
    }

    fn answer(&mut self, answer: Answer) -> Vec<Request> {
        match answer {
            Answer::LoggedIn { email } => {
                self.email = Some(email.clone());
                self.login = Login::new(Some(email.clone()));
                self.notify(format!("logged in as {email}"), false);
                return self.load_everything();
            }
            Answer::Chats { chats, campaigns } => self.chats.set(chats, campaigns),
            Answer::Chat(detail) => self.chats.opened(*detail),
            Answer::ChatChanged(chat) => self.chats.upsert(*chat),
            Answer::Sent(message) => self.chats.sent(*message),
            Answer::Dashboard(figures) => self.dashboard.set(*figures),
            Answer::Called { call, value } => {
                let tab = call.screen;
                let requests = self.screen(tab).map(|screen| screen.called(&call, value)).unwrap_or_default();
                if tab == Tab::Business && self.business.needs_onboarding() && !self.onboarding_shown {
                    self.onboarding_shown = true;
                    self.tab = Tab::Business;
                }
                return requests;
            }
            Answer::Failed { request, error } => self.failed(&request, error),
        }
        Vec::new()
    }

    fn failed(&mut self, request: &Request, error: Failure) {
        tracing::warn!(doing = request.doing(), %error, "a request failed");
        match error {
            Failure::NotAuthenticated(message) => {
                self.email = None;
                self.connection = Connection::Idle;
                self.login.failed(message);
            }
            error if matches!(request, Request::Login { .. } | Request::Register { .. }) => {
                self.login.failed(error.to_string());
            }
            error => {
                let text = format!("{}: {error}", request.doing());
                // A form keeps what was typed and shows why it was refused beside it.
                self.chats.failed(request, &text);
                if let Request::Call(call) = request
                    && let Some(screen) = self.screen(call.screen)
                {
                    screen.failed(call, &text);
                }
                if matches!(request, Request::LoadDashboard { .. }) {
                    self.dashboard.failed(text.clone());
                }
                self.notify(text, true);
            }
        }
    }

    fn notify(&mut self, text: String, alert: bool) {
        self.notice = Some(Notice { text, alert, at: self.now });
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Request> {
        let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::ConfirmQuit => {
                self.quit = matches!(key.code, KeyCode::Char('y' | 'Y')) || ctrl_c;
                return Vec::new();
            }
            Overlay::Help => return Vec::new(),
            Overlay::None => {}
        }
        if self.email.is_none() {
            if ctrl_c || (key.code == KeyCode::Esc && self.login.is_empty()) {
                self.quit = true;
                return Vec::new();
            }
            return match self.login.key(key) {
                Some(Submitted::Login { email, password }) => vec![Request::Login { email, password }],
                Some(Submitted::Register { email, password }) => vec![Request::Register { email, password }],
                None => Vec::new(),
            };
        }
        let writing = match self.tab {
            Tab::Dashboard => false,
            Tab::Chats => self.chats.is_writing(),
            tab => self.screen(tab).is_some_and(|screen| screen.is_writing()),
        };
        if ctrl_c {
            self.ask_to_quit(writing);
            return Vec::new();
        }
        // While text is typed, the keys are the text's.
        if !writing {
            match key.code {
                KeyCode::Char('q') => {
                    self.ask_to_quit(false);
                    return Vec::new();
                }
                KeyCode::Char('?') => {
                    self.overlay = Overlay::Help;
                    return Vec::new();
                }
                KeyCode::Char(c) if Tab::of_key(c).is_some() => {
                    self.tab = Tab::of_key(c).unwrap_or(self.tab);
                    return Vec::new();
                }
                KeyCode::Char('r') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    return self.load_everything();
                }
                _ => {}
            }
        }
        let now = self.now;
        match self.tab {
            Tab::Dashboard => Vec::new(),
            Tab::Chats => self.chats.key(key, now),
            tab => self.screen(tab).map(|screen| screen.key(key, now)).unwrap_or_default(),
        }
    }

    fn ask_to_quit(&mut self, writing: bool) {
        if writing {
            self.overlay = Overlay::ConfirmQuit;
        } else {
            self.quit = true;
        }
    }

    fn mouse(&mut self, mouse: MouseEvent) -> Vec<Request> {
        if self.email.is_none() || self.overlay != Overlay::None {
            return Vec::new();
        }
        if let crossterm::event::MouseEventKind::Down(_) = mouse.kind {
            let clicked =
                self.tab_areas.iter().find(|(_, area)| area.contains((mouse.column, mouse.row).into()));
            if let Some((tab, _)) = clicked {
                self.tab = *tab;
                return Vec::new();
            }
        }
        match self.tab {
            Tab::Chats => self.chats.mouse(mouse),
            Tab::Leo => {
                self.leo.mouse(mouse);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame) {
        let theme = self.theme;
        let [top, body, bottom] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)])
                .areas(frame.area());
        let keys = if self.email.is_none() {
            self.login.draw(frame, body, theme);
            Login::keys()
        } else {
            self.draw_tabs(frame, top);
            match self.tab {
                Tab::Dashboard => {
                    self.dashboard.draw(frame, body, theme, self.now);
                    Dashboard::keys()
                }
                Tab::Chats => {
                    self.chats.draw(frame, body, theme, self.now);
                    self.chats.keys()
                }
                tab => {
                    let now = self.now;
                    self.screen(tab).map_or_else(Vec::new, |screen| {
                        screen.draw(frame, body, theme, now);
                        screen.keys()
                    })
                }
            }
        };
        if self.email.is_none() {
            frame.render_widget(Line::styled(" Closer", theme.title()), top);
        }
        let status = status_bar::StatusBar {
            server: &self.server,
            email: self.email.as_deref(),
            connection: &self.connection,
            notice: self.notice.as_ref(),
            theme,
        };
        frame.render_widget(status, bottom);
        match self.overlay {
            Overlay::Help => draw_help(frame, &keys, theme),
            Overlay::ConfirmQuit => {
                draw_confirm(frame, "A message is being written. Quit and lose it? y / n", theme);
            }
            Overlay::None => {}
        }
    }

    fn draw_tabs(&mut self, frame: &mut Frame, area: Rect) {
        let theme = self.theme;
        // The name only where there is room for it beside six tabs.
        let wide = area.width >= 100;
        let mut spans = if wide { vec![Span::styled(" Closer ", theme.title())] } else { Vec::new() };
        let mut x = area.x + if wide { 8 } else { 0 };
        self.tab_areas.clear();
        for (n, tab) in Tab::ALL.into_iter().enumerate() {
            let text = format!(" {} {} ", n + 1, tab.title());
            let width = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
            self.tab_areas.push((tab, Rect { x, y: area.y, width, height: 1 }));
            x = x.saturating_add(width + 1);
            let style = if tab == self.tab { theme.selected() } else { theme.normal() };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        if wide {
            spans.push(Span::styled("  ? keys", theme.dim()));
        }
        frame.render_widget(Line::from(spans), area);
    }
}
