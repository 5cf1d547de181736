//! The bottom line: whether the live events are flowing, the last notice, and who is
//! logged in where.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::Notice;
use crate::event::Connection;
use crate::theme::Theme;

#[derive(Debug)]
pub struct StatusBar<'a> {
    pub server: &'a str,
    pub email: Option<&'a str>,
    pub connection: &'a Connection,
    pub notice: Option<&'a Notice>,
    pub theme: Theme,
}

impl Widget for StatusBar<'_> {
    fn render(self, area: Rect, buffer: &mut Buffer) {
        let theme = self.theme;
        let (state, style) = match self.connection {
            Connection::Idle => ("○ not logged in".to_owned(), theme.dim()),
            Connection::Connecting => ("○ connecting".to_owned(), theme.warn()),
            Connection::Connected => ("● live".to_owned(), theme.good()),
            Connection::Reconnecting { retry_in_secs: 0, .. } => ("○ reconnecting".to_owned(), theme.warn()),
            Connection::Reconnecting { retry_in_secs, .. } => {
                (format!("○ reconnecting in {retry_in_secs}s"), theme.warn())
            }
            Connection::Offline(why) => (format!("○ offline: {why}"), theme.alert()),
        };
        let who = match self.email {
            Some(email) => format!("{email} @ {}", self.server),
            None => self.server.to_owned(),
        };
        let mut spans = vec![Span::styled(format!(" {state} "), style)];
        if let Some(notice) = self.notice {
            let style = if notice.alert { theme.alert() } else { theme.normal() };
            spans.push(Span::raw("│ "));
            spans.push(Span::styled(notice.text.clone(), style));
        }
        let used: usize = spans.iter().map(|span| span.content.chars().count()).sum();
        let room = usize::from(area.width).saturating_sub(used + 1);
        if who.chars().count() < room {
            spans.push(Span::raw(" ".repeat(room - who.chars().count())));
            spans.push(Span::styled(who, theme.dim()));
        }
        Line::from(spans).render(area, buffer);
    }
}
