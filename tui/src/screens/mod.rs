//! The console's screens, each its own component: it takes keys and mouse events,
//! keeps its state, and draws itself into the area it is given.

pub mod business;
pub mod campaigns;
pub mod chats;
pub mod conversation;
pub mod dashboard;
pub mod input;
pub mod integrations;
pub mod leo;
pub mod login;
pub mod overlay;
pub mod status_bar;
pub mod transcript;

use closer_core::model::Timestamp;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use serde_json::Value;

use crate::backend::{Call, Request};
use crate::theme::Theme;

/// The keys of a screen: what to press, what it does. The help overlay lists them.
pub type Keys = Vec<(&'static str, &'static str)>;

/// A screen that talks to closerd through [`Call`]s: the app routes each answer back
/// to the screen that asked.
pub trait Screen {
    /// What to load when the owner logs in or reloads (Ctrl-R).
    fn load(&mut self) -> Vec<Request>;

    fn keys(&self) -> Keys;

    /// True while the owner types into a field: every key is text then.
    fn is_writing(&self) -> bool;

    fn key(&mut self, key: KeyEvent, now: Timestamp) -> Vec<Request>;

    fn paste(&mut self, text: &str);

    /// closerd answered one of this screen's calls.
    fn called(&mut self, call: &Call, value: Value) -> Vec<Request>;

    /// closerd refused one of this screen's calls: `error` says what and why, to show
    /// where it was asked (beside the field), keeping what was typed.
    fn failed(&mut self, call: &Call, error: &str);

    /// A live event, for the screens that follow one (a campaign changed elsewhere).
    fn live(&mut self, _event: &closer_core::events::Event) -> Vec<Request> {
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, now: Timestamp);
}

/// `text` wrapped to `width`, each line indented by `indent` columns.
pub(crate) fn indented(text: &str, indent: usize, width: usize, style: Style) -> Vec<Line<'static>> {
    // `wrap` keeps two columns of margin: one is the right margin, the indent the rest.
    let room = width.saturating_sub(indent).saturating_add(1).max(8);
    transcript::wrap(text, room)
        .into_iter()
        .map(|line| Line::styled(format!("{}{line}", " ".repeat(indent)), style))
        .collect()
}

/// A JSON answer of closerd as `T`, or a message saying it is not what was expected.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value)
        .map_err(|error| format!("closerd's answer is not what the console expects ({error})"))
}

/// How far a list's key moves its selection in a list `rows` tall (a page keeps one
/// row of the last in sight); `None` for a key that does not move it.
pub(crate) fn list_step(code: KeyCode, rows: usize) -> Option<isize> {
    let page = isize::try_from(rows.max(2) - 1).unwrap_or(10);
    match code {
        KeyCode::Up | KeyCode::Char('k') => Some(-1),
        KeyCode::Down | KeyCode::Char('j') => Some(1),
        KeyCode::PageUp => Some(-page),
        KeyCode::PageDown => Some(page),
        KeyCode::Home | KeyCode::Char('g') => Some(isize::MIN / 2),
        KeyCode::End | KeyCode::Char('G') => Some(isize::MAX / 2),
        _ => None,
    }
}

/// The first row shown of a list of `len` rows in `height`: moved from `offset` as
/// little as shows row `selected`, and never past the last row.
pub(crate) fn scrolled_to(offset: usize, selected: Option<usize>, height: usize, len: usize) -> usize {
    let offset = match selected {
        Some(selected) if selected < offset => selected,
        Some(selected) if selected >= offset + height => selected + 1 - height,
        _ => offset,
    };
    offset.min(len.saturating_sub(1))
}
