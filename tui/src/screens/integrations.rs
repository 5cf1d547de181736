//! Where customers reach the business: the Facebook page's state (connected, or
//! what to do when it needs reconnecting), connecting one with its page id and token
//! (masked as typed), and the sandbox.

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
pub struct Integrations {
    error: Option<String>,
}

impl Screen for Integrations {
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
