//! What covers the screen for a moment: the key overlay and a question to confirm.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Keys;
use crate::theme::Theme;

/// The key overlay: every key of the current screen.
pub fn draw_help(frame: &mut Frame, keys: &Keys, theme: Theme) {
    let width = 76.min(frame.area().width);
    let height = u16::try_from(keys.len() + 4).unwrap_or(u16::MAX).min(frame.area().height);
    let area = centered(frame.area(), width, height);
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(key, what)| {
            Line::from(vec![Span::styled(format!("{key:>12}  "), theme.key()), Span::raw(*what)])
        })
        .collect();
    lines.push(Line::styled("any key closes this", theme.dim()));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Keys ")),
        area,
    );
}

pub fn draw_confirm(frame: &mut Frame, question: &str, theme: Theme) {
    draw_question(frame, frame.area(), (50, 4), question, theme);
}

/// A question in a box of `size` (columns, rows) at most, centred over `area`.
pub fn draw_question(frame: &mut Frame, area: Rect, size: (u16, u16), question: &str, theme: Theme) {
    let area = centered(area, size.0.min(area.width), size.1.min(area.height));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(Line::styled(question, theme.alert()))
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL)),
        area,
    );
}

/// A `width` × `height` rectangle in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}
