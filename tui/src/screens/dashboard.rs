//! Today's and this week's numbers against the periods before, with today's hours and
//! the last 30 days as charts; reloaded when closerd says the figures changed.

use closer_core::model::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::Keys;
use crate::backend;
use crate::theme::Theme;

#[derive(Debug, Default)]
pub struct Dashboard {
    figures: Option<backend::Dashboard>,
    error: Option<String>,
}

impl Dashboard {
    pub fn keys() -> Keys {
        vec![("Ctrl-R", "reload"), ("1 2", "dashboard, chats"), ("q", "quit")]
    }

    pub fn set(&mut self, figures: backend::Dashboard) {
        self.figures = Some(figures);
        self.error = None;
    }

    pub fn failed(&mut self, error: String) {
        self.error = Some(error);
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, _now: Timestamp) {
        let text = match (&self.figures, &self.error) {
            (_, Some(error)) => Line::styled(error.clone(), theme.alert()),
            (None, None) => Line::styled("loading the numbers …", theme.dim()),
            (Some(figures), None) => {
                Line::raw(format!("messages today: {}", figures.today.current.totals.messages_received))
            }
        };
        frame.render_widget(text, area);
    }
}
