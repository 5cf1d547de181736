//! Logging in, or registering a new account, with the same session files as `closer
//! login`. What was typed stays when closerd refuses it; only the password field is
//! masked.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Keys;
use super::input::{Edit, Input};
use super::overlay::centered;
use crate::theme::Theme;

/// closerd refuses shorter passwords; saying so here saves a round trip.
const MIN_PASSWORD_CHARS: usize = 10;
const MAX_FIELD_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Email,
    Password,
}

/// What the owner asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    Login { email: String, password: String },
    Register { email: String, password: String },
}

#[derive(Debug)]
pub struct Login {
    email: Input,
    password: Input,
    focus: Field,
    /// Registering a new account instead of logging in.
    register: bool,
    /// Why the last attempt was refused, shown under the form.
    error: Option<String>,
    /// Sent, waiting for closerd.
    busy: bool,
}

impl Login {
    pub fn new(email: Option<String>) -> Self {
        let mut form = Self {
            email: Input::with_limit(MAX_FIELD_CHARS),
            password: Input::with_limit(MAX_FIELD_CHARS),
            focus: Field::Email,
            register: false,
            error: None,
            busy: false,
        };
        if let Some(email) = email {
            form.email.set(&email);
            form.focus = Field::Password;
        }
        form
    }

    pub fn keys() -> Keys {
        vec![
            ("Tab ↑ ↓", "next or previous field"),
            ("Enter", "next field; log in from the password"),
            ("Ctrl-N", "register a new account instead (or back)"),
            ("Ctrl-U", "erase the field"),
            ("Esc Ctrl-C", "quit (Esc when the form is empty)"),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.email.is_empty() && self.password.is_empty()
    }

    /// closerd refused: say why and let the owner try again with what was typed.
    pub fn failed(&mut self, message: String) {
        self.busy = false;
        self.error = Some(message);
    }

    pub fn paste(&mut self, text: &str) {
        self.field().paste(text);
    }

    fn field(&mut self) -> &mut Input {
        match self.focus {
            Field::Email => &mut self.email,
            Field::Password => &mut self.password,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Option<Submitted> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('n') {
            self.register = !self.register;
            self.error = None;
            return None;
        }
        match key.code {
            KeyCode::Tab | KeyCode::Down | KeyCode::BackTab | KeyCode::Up => {
                self.focus = if self.focus == Field::Email { Field::Password } else { Field::Email };
                return None;
            }
            _ => {}
        }
        match self.field().key(key) {
            Edit::Submit if self.focus == Field::Email => {
                self.focus = Field::Password;
                None
            }
            Edit::Submit => self.submit(),
            Edit::Changed | Edit::Cancel | Edit::Ignored => None,
        }
    }

    fn submit(&mut self) -> Option<Submitted> {
        if self.busy {
            return None;
        }
        let email = self.email.text().trim().to_owned();
        let password = self.password.text().to_owned();
        let problem = if email.is_empty() || !email.contains('@') {
            self.focus = Field::Email;
            Some("enter your email address, such as ana@bakery.example".to_owned())
        } else if password.is_empty() {
            Some("enter your password".to_owned())
        } else if self.register && password.chars().count() < MIN_PASSWORD_CHARS {
            Some(format!("a password needs at least {MIN_PASSWORD_CHARS} characters"))
        } else {
            None
        };
        self.error = problem;
        if self.error.is_some() {
            return None;
        }
        self.busy = true;
        Some(if self.register {
            Submitted::Register { email, password }
        } else {
            Submitted::Login { email, password }
        })
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let title = if self.register { " Register a new account " } else { " Log in to closerd " };
        let form = centered(area, 60, 12);
        let field = |label: &str, value: String, focused: bool| {
            let style = if focused { theme.focused() } else { theme.normal() };
            let marker = if focused { "▸ " } else { "  " };
            Line::from(vec![
                Span::raw(marker.to_owned()),
                Span::styled(format!("{label:<10}"), theme.title()),
                Span::styled(value, style),
                Span::styled(if focused { "▏" } else { " " }, style),
            ])
        };
        let width = form.width.saturating_sub(16);
        let masked = "•".repeat(self.password.text().chars().count().min(usize::from(width)));
        let mut lines = vec![
            Line::raw(""),
            field("Email", self.email.visible(width), self.focus == Field::Email),
            Line::raw(""),
            field("Password", masked, self.focus == Field::Password),
            Line::raw(""),
        ];
        if self.busy {
            lines.push(Line::styled("  waiting for closerd …", theme.dim()));
        } else if let Some(error) = &self.error {
            lines.push(Line::styled(format!("  {error}"), theme.alert()));
        } else {
            lines.push(Line::raw(""));
        }
        lines.push(Line::raw(""));
        let other = if self.register { "log in instead" } else { "register a new account" };
        lines.push(Line::from(vec![
            Span::styled("  Enter", theme.key()),
            Span::raw(" continue  "),
            Span::styled("Ctrl-N", theme.key()),
            Span::raw(format!(" {other}")),
        ]));
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::default().borders(Borders::ALL).title(title)),
            form,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(form: &mut Login, text: &str) {
        for c in text.chars() {
            form.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    fn enter(form: &mut Login) -> Option<Submitted> {
        form.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
    }

    #[test]
    fn bad_input_is_refused_in_place_and_keeps_what_was_typed() {
        let mut form = Login::new(None);
        typed(&mut form, "ana");
        enter(&mut form);
        typed(&mut form, "secret");
        assert_eq!(enter(&mut form), None);
        assert!(form.error.as_deref().is_some_and(|e| e.contains("email address")), "{form:?}");
        assert_eq!((form.email.text(), form.password.text()), ("ana", "secret"));

        form.key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
        typed(&mut form, "@bakery.example");
        form.key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        assert_eq!(enter(&mut form), None, "registering wants a longer password");
        assert!(form.error.as_deref().is_some_and(|e| e.contains("10 characters")), "{form:?}");

        typed(&mut form, " long enough");
        let submitted = enter(&mut form);
        let expected =
            Submitted::Register { email: "ana@bakery.example".into(), password: "secret long enough".into() };
        assert_eq!(submitted, Some(expected));
        assert_eq!(enter(&mut form), None, "one request at a time");
        form.failed("an account with this email exists".into());
        assert_eq!(form.email.text(), "ana@bakery.example", "a refusal keeps the form");
    }
}
