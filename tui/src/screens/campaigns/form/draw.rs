//! The form as drawn: each field with its label, its problem under it, and the focused
//! one marked (▸) and kept in sight; what to type in it, and the keys, below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Form;
use crate::screens::campaigns::fields::Field;
use crate::screens::transcript::wrap;
use crate::theme::Theme;

impl Form {
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let title = match &self.original {
            None => " New campaign ".to_owned(),
            Some(campaign) => format!(" Edit · {} ", closer_client::clean(&campaign.name)),
        };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(title, theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let width = usize::from(inner.width);

        let wrapped = |text: &str, style| -> Vec<Line<'static>> {
            wrap(text, width + 2).into_iter().map(|line| Line::styled(line, style)).collect()
        };
        let mut footer = wrapped(self.focus.hint(), theme.dim());
        if let Some(general) = &self.general {
            footer.extend(wrapped(&format!("! {}", closer_client::clean(general)), theme.alert()));
        }
        if self.saving {
            footer.push(Line::styled("saving …", theme.dim()));
        } else if self.over_newer {
            let text = "Ctrl-S reads the campaign again and saves your values over it · Esc drops them";
            footer.extend(wrapped(text, theme.warn()));
        }
        footer.extend(wrapped("Tab ↓ next · Shift-Tab ↑ back · Ctrl-S save · Esc cancel", theme.dim()));
        let footer_height = u16::try_from(footer.len()).unwrap_or(u16::MAX);
        let [body, bottom] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(footer_height)]).areas(inner);

        let (lines, focus_rows) = self.field_lines(width, theme);
        // The focused field and its problem stay in sight on a short screen.
        let height = usize::from(body.height);
        let offset = focus_rows.end.saturating_sub(height).min(focus_rows.start);
        frame.render_widget(Paragraph::new(lines.into_iter().skip(offset).collect::<Vec<_>>()), body);
        frame.render_widget(Paragraph::new(footer), bottom);
    }

    /// Every field's line and its problem's, and the rows of the focused one.
    fn field_lines(&self, width: usize, theme: Theme) -> (Vec<Line<'static>>, std::ops::Range<usize>) {
        let indent = Field::LABEL_WIDTH + 3;
        let room = width.saturating_sub(indent);
        let mut lines = Vec::new();
        let mut focus_rows = 0..0;
        for field in Field::ALL {
            let focused = field == self.focus;
            let start = lines.len();
            let input = &self.inputs[field.at()];
            let error = self.errors[field.at()].as_ref();
            let label = format!("{:>width$}", field.label(), width = Field::LABEL_WIDTH);
            let label_style = if error.is_some() {
                theme.alert()
            } else if focused {
                theme.key()
            } else {
                theme.normal()
            };
            let (marker, value, value_style) = if focused {
                (" ▸ ", input.visible(u16::try_from(room).unwrap_or(u16::MAX)), theme.focused())
            } else {
                ("   ", cut(&closer_client::clean(input.text()), room), theme.normal())
            };
            lines.push(Line::from(vec![
                Span::styled(label, label_style),
                Span::raw(marker),
                Span::styled(value, value_style),
            ]));
            if let Some(error) = error {
                for line in wrap(&format!("! {}", closer_client::clean(error)), room + 2) {
                    lines.push(Line::styled(format!("{}{line}", " ".repeat(indent)), theme.alert()));
                }
            }
            if focused {
                focus_rows = start..lines.len();
            }
        }
        (lines, focus_rows)
    }
}

/// The start of `text` in `width` columns, "…" where it is cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
