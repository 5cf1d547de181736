//! The business the AI speaks for: the onboarding wizard for a new business
//! (business info, documents by path, training with progress), and the same form to
//! edit it later.

use closer_core::model::Timestamp;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use serde_json::Value;

use super::{Keys, Screen};
use crate::backend::{Call, Request};
use crate::theme::Theme;

#[derive(Debug, Default)]
pub struct Business {
    error: Option<String>,
    /// closerd's `onboarding_completed`, once loaded.
    completed: Option<bool>,
}

impl Business {
    /// closerd said the business has not finished onboarding: the console opens the
    /// wizard once.
    pub fn needs_onboarding(&self) -> bool {
        self.completed == Some(false)
    }
}

impl Screen for Business {
    fn load(&mut self) -> Vec<Request> {
        Vec::new()
    }

    fn keys(&self) -> Keys {
        vec![("q", "quit")]
    }

    fn is_writing(&self) -> bool {
        false
    }

    fn key(&mut self, _key: KeyEvent, _now: Timestamp) -> Vec<Request> {
        Vec::new()
    }

    fn paste(&mut self, _text: &str) {}

    fn called(&mut self, _call: &Call, _value: Value) -> Vec<Request> {
        Vec::new()
    }

    fn failed(&mut self, _call: &Call, error: &str) {
        self.error = Some(error.to_owned());
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, _now: Timestamp) {
        let text = self.error.clone().unwrap_or_else(|| "coming next".to_owned());
        frame.render_widget(Line::styled(text, theme.dim()), area);
    }
}
