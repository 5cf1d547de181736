//! One campaign in full: what it sells, how the AI talks, its figures of the last 7
//! days and of all time, what it still needs to go live, and what can be done with it.

use closer_core::model::{Campaign, CampaignStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::list::{moves, status_style};
use super::{Campaigns, money};
use crate::screens::transcript::wrap;
use crate::theme::Theme;

/// A long description, greeting or closing is shown in at most this many lines.
const TEXT_LINES: usize = 3;
/// The labels' column.
const LABEL: usize = 10;

impl Campaigns {
    pub(super) fn draw_detail(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let Some(campaign) = self.selected_campaign() else {
            let block = Block::default().borders(Borders::ALL).title(Span::styled(" Campaign ", theme.dim()));
            let inner = block.inner(area);
            frame.render_widget(block, area);
            frame.render_widget(Line::styled("n creates a campaign", theme.dim()), inner);
            return;
        };
        let title = format!(" {} ", closer_client::clean(&campaign.name));
        let block = Block::default().borders(Borders::ALL).title(Span::styled(title, theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        // Full screen, the details carry the outcome of the last action themselves.
        let note = if self.wide { None } else { self.note.as_ref() };
        let note = note.map(|note| note.lines(inner.width, theme)).unwrap_or_default();
        let note_height = u16::try_from(note.len()).unwrap_or(1);
        let [body, note_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(note_height)]).areas(inner);
        let lines = self.detail_lines(campaign, usize::from(body.width), theme);
        frame.render_widget(Paragraph::new(lines), body);
        frame.render_widget(Paragraph::new(note), note_area);
    }

    fn detail_lines(&self, c: &Campaign, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let mut head = vec![
            Span::styled(c.status.as_str(), status_style(c.status, theme)),
            Span::raw(format!(" · {}", c.platform.as_str())),
        ];
        if c.is_default {
            head.push(Span::styled(" · ★ default", theme.key()));
        }
        head.push(Span::styled(format!(" · version {}", c.version), theme.dim()));
        let mut lines = vec![Line::from(head), Line::raw("")];
        let product = &c.product;
        let or = |text: &str, none: &str| if text.is_empty() { none.to_owned() } else { text.to_owned() };
        let price = product.price.as_ref().map_or_else(|| "no price yet".to_owned(), money::price);
        labelled(
            &mut lines,
            "Product",
            &format!("{} · {price}", or(&product.name, "no product yet")),
            width,
            1,
        );
        labelled(&mut lines, "", &product.description, width, TEXT_LINES);
        labelled(&mut lines, "Features", &or(&product.features.join("; "), "none"), width, TEXT_LINES);
        labelled(&mut lines, "Greeting", &or(&c.flow.greeting, "none yet"), width, TEXT_LINES);
        if c.flow.qualification_questions.is_empty() {
            labelled(&mut lines, "Questions", "none", width, 1);
        }
        for (n, q) in c.flow.qualification_questions.iter().enumerate() {
            let options: Vec<String> = q.options.iter().map(|option| format!("[{option}]")).collect();
            let label = if n == 0 { "Questions" } else { "" };
            let text = format!("{}. {} {}", n + 1, q.question, options.join(" "));
            labelled(&mut lines, label, text.trim_end(), width, 2);
        }
        labelled(&mut lines, "Closing", &or(&c.flow.closing_message, "none yet"), width, TEXT_LINES);
        lines.push(Line::raw(""));
        let week = if self.figures.loaded {
            let m = self.metrics(c);
            let rate = self.figures.by_campaign.get(&c.id).and_then(|line| line.conversion_rate);
            let rate = rate.map(|rate| format!(" · {:.0}% bought", rate * 100.0)).unwrap_or_default();
            format!(
                "{} chats · {} leads · {} sales · {} revenue{rate}",
                m.conversations_started,
                m.leads,
                m.conversions,
                money::revenue(m.revenue_minor)
            )
        } else {
            "loading …".to_owned()
        };
        labelled(&mut lines, "7 days", &week, width, 2);
        let all = &c.stats;
        let total = format!(
            "{} chats · {} leads · {} sales · {} revenue",
            all.conversations,
            all.leads,
            all.conversions,
            money::revenue(all.revenue_minor)
        );
        labelled(&mut lines, "All time", &total, width, 2);
        let missing = c.missing_for_activation();
        if c.status == CampaignStatus::Draft && !missing.is_empty() {
            lines.push(Line::raw(""));
            let text = format!("to go live it needs: {}", plain_fields(&missing.join(", ")));
            lines.extend(wrap(&text, width + 2).into_iter().map(|line| Line::styled(line, theme.warn())));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(moves(c), theme.dim()));
        lines
    }
}

/// A labelled text in the details: the label in its column, the text wrapped beside
/// it in at most `max_lines` lines.
fn labelled(lines: &mut Vec<Line<'static>>, label: &str, text: &str, width: usize, max_lines: usize) {
    if text.is_empty() {
        return;
    }
    let room = width.saturating_sub(LABEL + 1);
    let mut wrapped = wrap(&closer_client::clean(text), room + 2);
    if wrapped.len() > max_lines {
        wrapped.truncate(max_lines);
        if let Some(last) = wrapped.last_mut() {
            last.push('…');
        }
    }
    for (n, part) in wrapped.into_iter().enumerate() {
        let label = if n == 0 { label } else { "" };
        lines.push(Line::from(vec![Span::raw(format!("{label:<LABEL$} ")), Span::raw(part)]));
    }
}

/// closerd's field names in a message as the owner knows them ("missing
/// product.price" is "missing price"); a campaign not ready to go live says how to
/// fix it.
pub(super) fn plain_fields(message: &str) -> String {
    let mut plain = message
        .replace("product.name", "product")
        .replace("product.price", "price")
        .replace("flow.greeting", "greeting");
    if plain.contains("cannot be activated yet") {
        plain.push_str(" (e edits it)");
    }
    plain
}
