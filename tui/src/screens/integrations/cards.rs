//! The two cards of the integrations screen, Facebook and the sandbox: each says its
//! state in words and symbols first (colour only helps), and what the owner can do.

use closer_core::events::IntegrationSummary;
use closer_core::model::{IntegrationStatus, Timestamp};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Card, Integrations, indented};
use crate::theme::Theme;

/// What needs reconnecting means, and what to do about it.
const RECONNECT: &str =
    "the page token expired or was revoked: connect again with a new page access token (c)";

impl Integrations {
    pub(super) fn facebook_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let mut lines = vec![self.title(Card::Facebook, "Facebook page", theme)];
        let page = |page: &IntegrationSummary| {
            let name = closer_client::clean(&page.page_name);
            if name.trim().is_empty() {
                format!("page {}", page.page_id)
            } else {
                format!("{name} · page {}", page.page_id)
            }
        };
        match &self.facebook {
            None if !self.loaded => lines.push(Line::styled("    loading …", theme.dim())),
            Some(fb) if fb.status == IntegrationStatus::Connected => {
                lines.push(status_line("● connected", theme.good(), &page(fb)));
                let since = format!("since {}", day(fb.connected_at));
                lines.extend(indented(
                    &format!("{since} · the AI answers the page's customers on Messenger"),
                    4,
                    width,
                    theme.dim(),
                ));
                if self.form.is_none() {
                    lines.push(Line::styled(
                        "    c connect again with a new token · d disconnect",
                        theme.dim(),
                    ));
                }
            }
            Some(fb) if fb.status == IntegrationStatus::NeedsReconnect => {
                lines.push(status_line("▲ needs reconnecting", theme.alert(), &page(fb)));
                lines.extend(indented(RECONNECT, 4, width, theme.warn()));
                if let Some(detail) = &self.facebook_detail {
                    lines.extend(indented(&closer_client::clean(detail), 4, width, theme.dim()));
                }
            }
            other => {
                let was = other.as_ref().map(|fb| format!("(was {})", page(fb))).unwrap_or_default();
                lines.push(status_line("○ not connected", theme.normal(), &was));
                if self.form.is_none() {
                    lines.extend(indented(
                        "connect the business's page so the AI answers its customers on Messenger: \
                         c connects (you need the page id and a page access token)",
                        4,
                        width,
                        theme.dim(),
                    ));
                }
            }
        }
        if self.confirm_disconnect {
            let name = self.facebook.as_ref().map(page).unwrap_or_default();
            lines.extend(indented(
                &format!("Disconnect {name}? The AI stops answering there and the token is forgotten. y / n"),
                4,
                width,
                theme.alert(),
            ));
        }
        if let Some(form) = &self.form {
            lines.push(Line::raw(""));
            lines.extend(form.lines(width, theme, self.pending.is_some()));
        }
        lines
    }

    pub(super) fn sandbox_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let mut lines = vec![self.title(Card::Sandbox, "Sandbox", theme)];
        if !self.loaded {
            lines.push(Line::styled("    loading …", theme.dim()));
        } else if self.sandbox_connected() {
            lines.push(status_line("● connected", theme.good(), "a pretend page, no Facebook needed"));
            lines.extend(indented(
                "`closer simulate` plays a customer; the AI's answers show in 2 Chats",
                4,
                width,
                theme.dim(),
            ));
            lines.push(Line::styled("    s disconnects it", theme.dim()));
        } else {
            lines.push(status_line("○ not connected", theme.normal(), ""));
            lines.extend(indented(
                "try the AI without Facebook: s connects a pretend page,",
                4,
                width,
                theme.dim(),
            ));
            lines.push(Line::styled("    where `closer simulate` plays a customer", theme.dim()));
        }
        lines
    }

    fn title(&self, card: Card, name: &'static str, theme: Theme) -> Line<'static> {
        if self.card == card {
            Line::from(vec![Span::raw("› "), Span::styled(format!(" {name} "), theme.selected())])
        } else {
            Line::from(vec![Span::raw("  "), Span::styled(format!(" {name} "), theme.title())])
        }
    }
}

/// A card's state: a symbol and a word first, so it reads the same without colour.
fn status_line(state: &'static str, style: Style, rest: &str) -> Line<'static> {
    let mut spans = vec![Span::raw("    "), Span::styled(state, style)];
    if !rest.is_empty() {
        spans.push(Span::raw(format!("  {rest}")));
    }
    Line::from(spans)
}

fn day(at: Timestamp) -> String {
    at.as_datetime().format("%-d %b %Y").to_string()
}
