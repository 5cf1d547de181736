//! The campaigns list as drawn, and moving in it.
//! Every state is told in words (a status, "★ default", "! " before a problem), so the
//! screen reads the same without colour.

use std::fmt::Write as _;

use closer_core::model::{Campaign, CampaignStatus, Metrics};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Campaigns, Confirm, Load, money};
use crate::screens::chats::fit;
use crate::screens::scrolled_to;
use crate::theme::Theme;

/// The widths of the list's columns: the price goes first when space is short, then
/// the figures, and the name takes what the others leave.
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: usize,
    price: bool,
    figures: bool,
}

impl Columns {
    /// Marker, default mark and space; the status.
    const FIXED: usize = 3 + 10;
    const PRICE: usize = 13;
    /// Leads, sales, revenue.
    const FIGURES: usize = 6 + 6 + 9;

    fn for_width(width: usize) -> Self {
        let price = width >= 72;
        let figures = width >= 46;
        let taken =
            Self::FIXED + if price { Self::PRICE } else { 0 } + if figures { Self::FIGURES } else { 0 };
        Self { name: width.saturating_sub(taken).clamp(6, 40), price, figures }
    }
}

impl Campaigns {
    /// Indices into `campaigns` of the rows shown, in order.
    pub(super) fn visible(&self) -> Vec<usize> {
        let needle = self.search.text().trim().to_lowercase();
        self.list
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                needle.is_empty()
                    || c.name.to_lowercase().contains(&needle)
                    || c.product.name.to_lowercase().contains(&needle)
            })
            .map(|(at, _)| at)
            .collect()
    }

    pub(super) fn move_selection(&mut self, by: isize) {
        let visible = self.visible();
        let Some(last) = visible.len().checked_sub(1) else { return };
        let current =
            self.selected.and_then(|id| visible.iter().position(|&at| self.list[at].id == id)).unwrap_or(0);
        let next = current.saturating_add_signed(by).min(last);
        self.selected = Some(self.list[visible[next]].id);
    }

    /// After the search changed: the cursor on a row that is shown.
    pub(super) fn keep_selection_visible(&mut self) {
        let visible = self.visible();
        if !self.selected.is_some_and(|id| visible.iter().any(|&at| self.list[at].id == id)) {
            self.selected = visible.first().map(|&at| self.list[at].id);
            self.offset = 0;
        }
    }

    /// The list; with `summary`, the selected campaign in brief under it (a narrow
    /// screen, where the details are not beside it).
    pub(super) fn draw_list(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        theme: Theme,
        focused: bool,
        summary: bool,
    ) {
        let mut title = format!(" Campaigns · {} ", self.list.len());
        if let Some(period) = self.figures.period {
            let (from, to) = (period.from().format("%-d %b"), period.to().format("%-d %b"));
            let _ = write!(title, "· figures of {from}–{to} ");
        }
        let border = if focused { theme.title() } else { theme.dim() };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(title, border));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let summary_height = if summary && self.selected_campaign().is_some() { 5 } else { 0 };
        let note = self.note.as_ref().map(|note| note.lines(inner.width, theme)).unwrap_or_default();
        let note_height = u16::try_from(note.len()).unwrap_or(1);
        let [search, header, rows, note_area, brief_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(note_height),
            Constraint::Length(summary_height),
        ])
        .areas(inner);
        self.page = usize::from(rows.height);

        let search_line = if self.search.is_open() {
            Line::from(vec![
                Span::styled("/", theme.key()),
                Span::styled(self.search.visible(search.width.saturating_sub(1)), theme.focused()),
            ])
        } else if self.search.is_empty() {
            Line::styled("/ search · n new · e edit · v preview · ? keys", theme.dim())
        } else {
            Line::from(vec![Span::styled("search: ", theme.dim()), Span::raw(self.search.text().to_owned())])
        };
        frame.render_widget(search_line, search);

        let columns = Columns::for_width(usize::from(rows.width));
        let mut titles = format!("   {}{}", fit("Name", columns.name), fit("Status", 10));
        if columns.price {
            titles.push_str(&fit("Price", Columns::PRICE));
        }
        if columns.figures {
            let _ = write!(titles, "{:>5} {:>5} {:>9}", "Leads", "Sales", "Revenue");
        }
        frame.render_widget(Line::styled(titles, theme.dim()), header);
        self.draw_rows(frame, rows, theme, columns);

        frame.render_widget(Paragraph::new(note), note_area);
        if summary_height > 0
            && let Some(campaign) = self.selected_campaign()
        {
            let block = Block::default().borders(Borders::TOP).border_style(theme.dim());
            let text_area = block.inner(brief_area);
            frame.render_widget(block, brief_area);
            frame.render_widget(
                Paragraph::new(brief(campaign, usize::from(text_area.width), theme)),
                text_area,
            );
        }
    }

    fn draw_rows(&mut self, frame: &mut Frame, rows: Rect, theme: Theme, columns: Columns) {
        let visible = self.visible();
        if visible.is_empty() {
            let text = if let Load::Failed(error) = &self.load {
                Line::styled(format!("! {}", closer_client::clean(error)), theme.alert())
            } else if self.load == Load::Loading && self.list.is_empty() {
                Line::styled("loading the campaigns …", theme.dim())
            } else if self.list.is_empty() {
                Line::styled(
                    "No campaigns yet. n creates one: what you sell, its price, and how the AI greets \
                     and qualifies your customers.",
                    theme.dim(),
                )
            } else {
                Line::styled("No campaign matches: Esc clears the search.", theme.dim())
            };
            frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), rows);
            return;
        }
        let height = usize::from(rows.height);
        let selected = self.selected.and_then(|id| visible.iter().position(|&at| self.list[at].id == id));
        self.offset = scrolled_to(self.offset, selected, height, visible.len());
        for (row, &at) in visible.iter().skip(self.offset).take(height).enumerate() {
            let area = Rect { y: rows.y + u16::try_from(row).unwrap_or(u16::MAX), height: 1, ..rows };
            let is_selected = Some(self.offset + row) == selected;
            let line = self.row(&self.list[at], theme, columns, is_selected);
            frame.render_widget(if is_selected { line.style(theme.selected()) } else { line }, area);
        }
    }

    /// One campaign's row: marker, default mark, name, status, price, 7 days' figures.
    fn row(&self, campaign: &Campaign, theme: Theme, columns: Columns, selected: bool) -> Line<'static> {
        let mut spans = vec![
            Span::raw(if selected { "▸" } else { " " }),
            Span::styled(if campaign.is_default { "★" } else { " " }, theme.key()),
            Span::raw(" "),
            Span::raw(fit(&closer_client::clean(&campaign.name), columns.name)),
            Span::styled(fit(campaign.status.as_str(), 10), status_style(campaign.status, theme)),
        ];
        if columns.price {
            let price = campaign.product.price.as_ref().map_or_else(|| "—".to_owned(), money::price);
            spans.push(Span::raw(fit(&price, Columns::PRICE)));
        }
        if columns.figures {
            let figures = if self.figures.loaded {
                let m = self.metrics(campaign);
                format!("{:>5} {:>5} {:>9}", m.leads, m.conversions, money::revenue(m.revenue_minor))
            } else {
                format!("{:>5} {:>5} {:>9}", "…", "…", "…")
            };
            spans.push(Span::raw(figures));
        }
        Line::from(spans)
    }

    pub(super) fn metrics(&self, campaign: &Campaign) -> Metrics {
        self.figures.by_campaign.get(&campaign.id).map(|line| line.metrics).unwrap_or_default()
    }
}

/// The selected campaign in four lines: what, what it sells, how it greets, what
/// can be done with it.
fn brief(campaign: &Campaign, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut head = vec![
        Span::styled(closer_client::clean(&campaign.name), theme.title()),
        Span::raw(format!(" · {} · {}", campaign.status, campaign.platform.as_str())),
    ];
    if campaign.is_default {
        head.push(Span::styled(" · ★ default", theme.key()));
    }
    let product = &campaign.product;
    let questions = campaign.flow.qualification_questions.len();
    let what = format!(
        "{} · {} · {questions} question{}",
        if product.name.is_empty() {
            "no product yet".to_owned()
        } else {
            closer_client::clean(&product.name)
        },
        product.price.as_ref().map_or_else(|| "no price yet".to_owned(), money::price),
        if questions == 1 { "" } else { "s" },
    );
    let greeting = if campaign.flow.greeting.is_empty() {
        "no greeting yet".to_owned()
    } else {
        format!("greets: {}", closer_client::clean(&campaign.flow.greeting))
    };
    vec![
        Line::from(head),
        Line::raw(fit(&what, width).trim_end().to_owned()),
        Line::styled(fit(&greeting, width).trim_end().to_owned(), theme.dim()),
        Line::styled(format!("{} · Enter details", moves(campaign)), theme.dim()),
    ]
}

/// What can be done with a campaign in its status, as keys.
pub(super) fn moves(campaign: &Campaign) -> String {
    let moves = match campaign.status {
        CampaignStatus::Draft => "a activate · e edit · v preview · x delete",
        CampaignStatus::Active if campaign.is_default => "p pause · c complete · e edit · v preview",
        CampaignStatus::Active => "p pause · c complete · d make default · e edit · v preview",
        CampaignStatus::Paused => "r resume · c complete · e edit · v preview",
        CampaignStatus::Completed => "e edit · v preview",
    };
    moves.to_owned()
}

pub(super) fn status_style(status: CampaignStatus, theme: Theme) -> Style {
    match status {
        CampaignStatus::Active => theme.good(),
        CampaignStatus::Paused => theme.warn(),
        CampaignStatus::Draft | CampaignStatus::Completed => theme.dim(),
    }
}

/// The question of `confirm` in a box over the screen.
pub(super) fn draw_confirm(frame: &mut Frame, area: Rect, confirm: &Confirm, theme: Theme) {
    let question = match confirm {
        Confirm::Delete { name, .. } => {
            format!("Delete the draft “{name}”? y deletes it · any other key keeps it")
        }
        Confirm::Discard => {
            "Drop what you typed in the form? y drops it · any other key goes back to it".to_owned()
        }
    };
    crate::screens::overlay::draw_question(frame, area, (56, 5), &question, theme);
}
