//! The chat list's rows: only those on screen are drawn, so ten thousand chats cost
//! what twenty do; columns give way on a narrow terminal, the campaign's first.

use closer_core::model::{Chat, ChatMode, ChatStatus, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{Chats, Pane};
use crate::screens::scrolled_to;
use crate::theme::Theme;

impl Chats {
    pub(super) fn draw_list(&mut self, frame: &mut Frame, area: Rect, theme: Theme, now: Timestamp) {
        let visible = self.visible();
        let title =
            format!(" Chats · {} · {} of {} ", self.filter.name(), visible.len(), self.by_activity.len());
        let border = if self.focus == Pane::List { theme.title() } else { theme.dim() };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(title, border));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [search, header, rows] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        self.list_area = rows;
        let layout = Columns::for_width(usize::from(rows.width));
        let mut titles = String::from("   ");
        titles.push_str(&fit("Customer", layout.name));
        if layout.campaign > 0 {
            titles.push_str(&fit("Campaign", layout.campaign));
        }
        titles.push_str(&fit("Status", 10));
        titles.push_str(&fit("By", 4));
        titles.push_str("Lead  New    Last");
        frame.render_widget(Line::styled(titles, theme.dim()), header);

        let search_line = if self.search.is_open() {
            Line::from(vec![
                Span::styled("/", theme.key()),
                Span::styled(self.search.visible(search.width), theme.focused()),
            ])
        } else if self.search.is_empty() {
            Line::styled("/ search · f filter · Enter open · ? keys", theme.dim())
        } else {
            Line::from(vec![Span::styled("search: ", theme.dim()), Span::raw(self.search.text().to_owned())])
        };
        frame.render_widget(search_line, search);

        if visible.is_empty() {
            let text = if let Some(error) = &self.error {
                Line::styled(error.clone(), theme.alert())
            } else if self.loading && !self.loaded {
                Line::styled("loading the chats …", theme.dim())
            } else if self.by_activity.is_empty() {
                Line::styled("No chats yet. They appear here as customers write.", theme.dim())
            } else {
                Line::styled("No chat matches: Esc clears the search, f changes the filter.", theme.dim())
            };
            frame.render_widget(Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }), rows);
            return;
        }

        let height = usize::from(rows.height);
        let selected =
            self.selected.and_then(|id| visible.iter().position(|&at| self.by_activity[at].id == id));
        self.offset = scrolled_to(self.offset, selected, height, visible.len());
        for (row, &at) in visible.iter().skip(self.offset).take(height).enumerate() {
            let chat = &self.by_activity[at];
            let area = Rect { y: rows.y + u16::try_from(row).unwrap_or(u16::MAX), height: 1, ..rows };
            let is_selected = Some(self.offset + row) == selected;
            let line = self.row(chat, theme, now, usize::from(area.width), is_selected);
            let line = if is_selected { line.style(theme.selected()) } else { line };
            frame.render_widget(line, area);
        }
    }

    /// One chat's row: flag, customer, campaign, status, mode, score, unread, age.
    fn row(&self, chat: &Chat, theme: Theme, now: Timestamp, width: usize, selected: bool) -> Line<'static> {
        let unread = self.unread.get(&chat.id).copied().unwrap_or(0);
        let (flag, flag_style) = if chat.handoff_requested && chat.status != ChatStatus::Closed {
            ("!", theme.alert())
        } else if unread > 0 {
            ("●", theme.key())
        } else {
            (" ", theme.normal())
        };
        let campaign = chat.campaign_id.and_then(|id| self.campaigns.get(&id)).map_or("—", String::as_str);
        let mode = match chat.mode {
            ChatMode::Ai => "AI",
            ChatMode::Human => "YOU",
        };
        let unread = if unread > 0 { format!("{unread} new") } else { String::new() };
        let layout = Columns::for_width(width);
        let name = closer_client::clean(if chat.customer_name.is_empty() {
            &chat.customer_id
        } else {
            &chat.customer_name
        });
        let mut spans = vec![
            Span::raw(if selected { "▸" } else { " " }),
            Span::styled(flag, flag_style),
            Span::raw(" "),
            Span::styled(fit(&name, layout.name), if flag == "!" { theme.alert() } else { theme.normal() }),
        ];
        if layout.campaign > 0 {
            spans.push(Span::styled(fit(&closer_client::clean(campaign), layout.campaign), theme.dim()));
        }
        spans.extend([
            Span::raw(fit(chat.status.as_str(), 10)),
            Span::styled(
                fit(mode, 4),
                if chat.mode == ChatMode::Human { theme.owner() } else { theme.normal() },
            ),
            Span::styled(format!("{:>4} ", chat.lead.score), theme.score(chat.lead.score)),
            Span::styled(fit(&unread, 7), theme.key()),
            Span::styled(ago(chat.last_activity_at, now), theme.dim()),
        ]);
        Line::from(spans)
    }
}

/// The widths of the list's columns that vary: the campaign's goes first when space is
/// short, and the customer's name takes what the others leave.
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: usize,
    /// 0: not shown.
    campaign: usize,
}

impl Columns {
    /// Marker, flag and space; status, by, lead, new, last.
    const FIXED: usize = 3 + 10 + 4 + 5 + 7 + 5;

    fn for_width(width: usize) -> Self {
        let campaign = if width >= 70 { 15 } else { 0 };
        Self { name: width.saturating_sub(Self::FIXED + campaign).clamp(8, 30), campaign }
    }
}

/// Lower case without the accents of Latin letters: "Inês" is found by "ines".
pub(super) fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// `text` cut or padded to exactly `width` columns, a space after.
pub fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count < width {
        format!("{text}{}", " ".repeat(width - count))
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(2)).collect();
        cut.push_str("… ");
        cut
    }
}

/// "now", "5m", "3h", "2d".
pub fn ago(at: Timestamp, now: Timestamp) -> String {
    let seconds = now.since(at).as_secs();
    match seconds {
        0..60 => "now".into(),
        60..3_600 => format!("{}m", seconds / 60),
        3_600..86_400 => format!("{}h", seconds / 3_600),
        _ => format!("{}d", seconds / 86_400),
    }
}
