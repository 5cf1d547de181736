//! The form that connects a Facebook page: its id, then its page access token, which
//! is never shown (one `•` per character) nor printed by `Debug`. The problems closerd
//! finds come back beside the field they are about, with what was typed kept.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

use super::super::input::{Edit, Input};
use super::indented;
use crate::theme::Theme;

// closerd's limits: longer than any id or token Facebook issues.
const PAGE_ID_MAX: usize = 100;
const TOKEN_MAX: usize = 2_000;
/// The labels' column, so that the values line up.
const LABEL: usize = 21;
/// At most this many `•` stand for the token; the count says the rest.
const MASK_MAX: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Field {
    #[default]
    PageId,
    Token,
}

/// What a key did to the form.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Typing,
    Cancel,
    /// Both fields look right: connect with these (trimmed, as closerd trims them).
    Connect {
        page_id: String,
        token: String,
    },
}

#[derive(Default)]
pub struct ConnectForm {
    page_id: Input,
    token: Input,
    field: Field,
    page_id_error: Option<String>,
    token_error: Option<String>,
    /// A refusal about neither field (Facebook unreachable): try again later.
    error: Option<String>,
}

// Not derived: it would print the token.
impl std::fmt::Debug for ConnectForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectForm")
            .field("page_id", &self.page_id.text())
            .field("token", &"••••")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl ConnectForm {
    /// For a page that needs reconnecting, its id is filled in: only the token is new.
    pub fn new(page_id: Option<&str>) -> Self {
        let mut form = Self::default();
        if let Some(page_id) = page_id {
            form.page_id.set(page_id);
            form.field = Field::Token;
        }
        form
    }

    fn input(&mut self) -> &mut Input {
        match self.field {
            Field::Token => &mut self.token,
            Field::PageId => &mut self.page_id,
        }
    }

    fn switch(&mut self) {
        self.field = if self.field == Field::Token { Field::PageId } else { Field::Token };
    }

    pub fn key(&mut self, key: KeyEvent) -> Outcome {
        if matches!(key.code, KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down) {
            self.switch();
            return Outcome::Typing;
        }
        match self.input().key(key) {
            Edit::Cancel => Outcome::Cancel,
            Edit::Submit if self.field == Field::PageId => {
                self.page_id_error = check_page_id(self.page_id.text().trim());
                if self.page_id_error.is_none() {
                    self.field = Field::Token;
                }
                Outcome::Typing
            }
            Edit::Submit => self.submit(),
            Edit::Changed => {
                self.forget_problem();
                Outcome::Typing
            }
            Edit::Ignored => Outcome::Typing,
        }
    }

    /// A pasted token often ends with a line break: it is not part of it.
    pub fn paste(&mut self, text: &str) {
        self.input().paste(text.trim());
        self.forget_problem();
    }

    /// The field changed: what was said about it was about what it was.
    fn forget_problem(&mut self) {
        match self.field {
            Field::PageId => self.page_id_error = None,
            Field::Token => self.token_error = None,
        }
    }

    fn submit(&mut self) -> Outcome {
        let page_id = self.page_id.text().trim().to_owned();
        let token = self.token.text().trim().to_owned();
        self.page_id_error = check_page_id(&page_id);
        self.token_error = check_token(&token);
        self.error = None;
        if self.page_id_error.is_some() {
            self.field = Field::PageId;
        } else if self.token_error.is_some() {
            self.field = Field::Token;
        } else {
            return Outcome::Connect { page_id, token };
        }
        Outcome::Typing
    }

    /// closerd refused the connection: `why` goes beside the field it is about.
    pub fn refused(&mut self, why: &str) {
        let about_page = why.starts_with("page_id ") || why.contains("connected to another business");
        let about_token =
            why.starts_with("page_access_token ") || why.contains("token") || why.contains("permission");
        if about_page {
            self.page_id_error = Some(why.to_owned());
            self.field = Field::PageId;
        } else if about_token {
            self.token_error = Some(why.to_owned());
            self.field = Field::Token;
        } else {
            self.error = Some(why.to_owned());
        }
    }

    pub fn lines(&self, width: usize, theme: Theme, connecting: bool) -> Vec<Line<'static>> {
        let mut lines = vec![Line::styled("    Connect a Facebook page", theme.title())];
        let field = |lines: &mut Vec<Line<'static>>, which, label: &str, value: Span<'static>, error| {
            let focused = self.field == which;
            let marker = if focused { "› " } else { "  " };
            lines.push(Line::from(vec![
                Span::raw(format!("  {marker}")),
                Span::styled(
                    format!("{label:<LABEL$}"),
                    if focused { theme.title() } else { theme.normal() },
                ),
                value,
            ]));
            if let Some(error) = error {
                lines.extend(indented(&format!("↳ {error}"), LABEL + 4, width, theme.alert()));
            }
        };
        let room = u16::try_from(width.saturating_sub(LABEL + 4)).unwrap_or(u16::MAX);
        let style = |which| if self.field == which { theme.focused() } else { theme.normal() };
        let page_id = Span::styled(self.page_id.visible(room), style(Field::PageId));
        field(&mut lines, Field::PageId, "Page id", page_id, self.page_id_error.as_deref());
        let token = self.masked_token();
        let token = Span::styled(token, style(Field::Token));
        field(&mut lines, Field::Token, "Page access token", token, self.token_error.as_deref());
        if let Some(error) = &self.error {
            lines.extend(indented(error, 4, width, theme.alert()));
        }
        let hint = if connecting {
            "connecting: Facebook checks the token …"
        } else {
            "the page id is in the page's About section; a page access token comes from Meta's Graph \
             API Explorer or the app's settings"
        };
        lines.extend(indented(hint, 4, width, theme.dim()));
        lines
    }

    /// One `•` per character, up to a few, and how many there are.
    fn masked_token(&self) -> String {
        let count = self.token.text().chars().count();
        if count == 0 {
            return String::new();
        }
        let plural = if count == 1 { "" } else { "s" };
        format!("{} ({count} character{plural})", "•".repeat(count.min(MASK_MAX)))
    }
}

fn check_page_id(page_id: &str) -> Option<String> {
    if page_id.is_empty() {
        Some("type the page id: the number in the page's About section".into())
    } else if !page_id.chars().all(|c| c.is_ascii_digit()) {
        Some("a page id is digits only (such as 104857392615), not the page's name".into())
    } else if page_id.len() > PAGE_ID_MAX {
        Some(format!("too long for a page id: at most {PAGE_ID_MAX} digits"))
    } else {
        None
    }
}

fn check_token(token: &str) -> Option<String> {
    if token.is_empty() {
        Some("paste the page access token".into())
    } else if token.chars().any(char::is_whitespace) {
        Some("a page access token has no spaces: paste it again".into())
    } else if token.chars().count() > TOKEN_MAX {
        Some(format!("too long for a page access token (at most {TOKEN_MAX} characters): paste it again"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(form: &mut ConnectForm, code: KeyCode) -> Outcome {
        form.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(form: &mut ConnectForm, text: &str) {
        for c in text.chars() {
            key(form, KeyCode::Char(c));
        }
    }

    #[test]
    fn the_fields_are_checked_before_anything_is_sent() {
        let mut form = ConnectForm::new(None);
        assert_eq!(key(&mut form, KeyCode::Enter), Outcome::Typing);
        assert!(form.page_id_error.as_deref().is_some_and(|e| e.starts_with("type the page id")));
        typed(&mut form, "Ana's page");
        key(&mut form, KeyCode::Tab);
        typed(&mut form, "EAAB token");
        assert_eq!(key(&mut form, KeyCode::Enter), Outcome::Typing);
        assert!(form.page_id_error.as_deref().is_some_and(|e| e.contains("digits only")));
        assert!(form.token_error.as_deref().is_some_and(|e| e.contains("no spaces")));
        assert_eq!(form.field, Field::PageId, "the first problem has the focus");
        assert_eq!(form.page_id.text(), "Ana's page", "what was typed is kept");
    }

    #[test]
    fn a_good_form_connects_with_trimmed_values() {
        let mut form = ConnectForm::new(Some("104857392615"));
        assert_eq!(form.field, Field::Token, "a known page only needs its token");
        form.paste("EAABsecret\n");
        assert_eq!(
            key(&mut form, KeyCode::Enter),
            Outcome::Connect { page_id: "104857392615".into(), token: "EAABsecret".into() }
        );
        assert!(!format!("{form:?}").contains("EAABsecret"), "Debug never prints the token");
    }

    #[test]
    fn refusals_go_beside_their_field() {
        let mut form = ConnectForm::new(None);
        form.refused("token invalid or expired (OAuthException 190): create a new page access token");
        assert!(form.token_error.is_some() && form.page_id_error.is_none());
        form.refused("facebook page 1 is connected to another business");
        assert!(form.page_id_error.is_some());
        form.refused("Graph API unreachable; try again later");
        assert!(form.error.is_some());
        assert!(check_page_id(&"1".repeat(PAGE_ID_MAX + 1)).is_some_and(|e| e.contains("too long")));
        assert!(check_token(&"t".repeat(TOKEN_MAX + 1)).is_some_and(|e| e.contains("too long")));
    }
}
