//! Today's and this week's numbers against the periods before, with today's hours and
//! the last 30 days as bar charts; reloaded when closerd says the figures changed.
//!
//! Every figure is told in text: a change carries its sign, a chart its caption, so
//! the screen reads the same without colour.

use closer_core::analytics::{Comparison, Metric, Summary};
use closer_core::model::{Metrics, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, Borders, Cell, Paragraph, Row, Sparkline, Table, Wrap};

use super::Keys;
use crate::backend;
use crate::theme::Theme;

/// The table's rows, in the order an owner follows a customer: from the first message
/// to the money.
const ROWS: [Metric; 7] = [
    Metric::MessagesReceived,
    Metric::ConversationsStarted,
    Metric::Leads,
    Metric::Conversions,
    Metric::ConversionRate,
    Metric::Revenue,
    Metric::ResponseRate,
];

/// The table's columns after the labels. A narrow screen gives up the rightmost first,
/// so today's figure stays longest.
const COLUMNS: [&str; 4] = ["Today", "vs yesterday", "Last 7 days", "vs 7 days before"];

/// A chart's caption and at least two rows of bars; with less it is left out rather
/// than drawn as a smear.
const CHART_ROWS: u16 = 3;

/// Rows of bars (and one of labels) a chart needs before its bars carry their values.
const VALUED_CHART_ROWS: u16 = 6;

/// Wider bars only stretch the same picture.
const WIDEST_BAR: u16 = 4;

/// An error is shown in full up to this many lines.
const ERROR_LINES: u16 = 3;

#[derive(Debug, Default)]
pub struct Dashboard {
    /// The last figures closerd sent; kept through a failed reload, so an error does
    /// not blank the numbers the owner was reading.
    figures: Option<backend::Dashboard>,
    /// Why the last load failed; cleared by the next figures.
    error: Option<String>,
}

impl Dashboard {
    pub fn keys() -> Keys {
        vec![
            ("Ctrl-R", "reload (the numbers also reload as they change)"),
            ("1-6", "the other screens"),
            ("q", "quit"),
        ]
    }

    pub fn set(&mut self, figures: backend::Dashboard) {
        self.figures = Some(figures);
        self.error = None;
    }

    pub fn failed(&mut self, error: String) {
        self.error = Some(error);
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, now: Timestamp) {
        let block =
            Block::default().borders(Borders::ALL).title(Span::styled(self.title(now), theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);

        let after_error = if self.figures.is_some() { AFTER_ERROR } else { RETRY };
        let error_lines = self.error.as_ref().map_or(0, |error| {
            let width = Line::raw(error.as_str()).width() + after_error.chars().count();
            u16::try_from(width.div_ceil(usize::from(inner.width.max(1))))
                .unwrap_or(ERROR_LINES)
                .min(ERROR_LINES)
        });
        let [error_area, rest] =
            Layout::vertical([Constraint::Length(error_lines), Constraint::Fill(1)]).areas(inner);
        if let Some(error) = &self.error {
            let line = Line::from(vec![
                Span::styled(error.clone(), theme.alert()),
                Span::styled(after_error, theme.dim()),
            ]);
            frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), error_area);
        }
        let Some(figures) = &self.figures else {
            if self.error.is_none() {
                frame.render_widget(Line::styled("loading the numbers …", theme.dim()), rest);
            }
            return;
        };

        let [table, _, charts] =
            Layout::vertical([Constraint::Length(1 + 7), Constraint::Length(1), Constraint::Fill(1)])
                .areas(rest);
        frame.render_widget(kpi_table(figures, table.width, theme), table);
        if is_new_business(figures) {
            let hint = "No messages yet. When customers write to your page, their messages, \
                        conversations, leads and sales are counted here as they happen.";
            frame.render_widget(
                Paragraph::new(Line::styled(hint, theme.dim())).wrap(Wrap { trim: true }),
                charts,
            );
        } else {
            draw_charts(frame, charts, figures, theme);
        }
    }

    /// "Dashboard · Wed 25 Nov 2026 (UTC)": the day the figures are of, which is
    /// yesterday for the moment between midnight and the reload it sets off.
    fn title(&self, now: Timestamp) -> String {
        let Some(figures) = &self.figures else { return " Dashboard ".to_owned() };
        let day = figures.today.current.period.to();
        let stale = if day < now.date() { " · a new day: reloading …" } else { "" };
        format!(" Dashboard · {} (UTC){stale} ", day.format("%a %-d %b %Y"))
    }
}

/// After the error, when the figures of before are still on screen.
const AFTER_ERROR: &str = " · the figures below are from before; Ctrl-R tries again";
/// After the error, when there are no figures yet.
const RETRY: &str = " · Ctrl-R tries again";

/// A business with nothing counted in 30 days: new, or not yet connected to a page.
fn is_new_business(figures: &backend::Dashboard) -> bool {
    [&figures.today.current, &figures.today.previous, &figures.week.current, &figures.week.previous]
        .iter()
        .all(|summary| summary.totals.is_zero())
        && figures.days.iter().all(|day| day.metrics.is_zero())
        && figures.hours.iter().all(Metrics::is_zero)
}

/// The figures against the periods before, with as many columns as fit `width`.
fn kpi_table(figures: &backend::Dashboard, width: u16, theme: Theme) -> Table<'static> {
    let columns: [Vec<(String, Style)>; 4] = [
        ROWS.iter().map(|&metric| (figure(metric, &figures.today.current), theme.normal())).collect(),
        ROWS.iter().map(|&metric| change(&figures.today, metric, theme)).collect(),
        ROWS.iter().map(|&metric| (figure(metric, &figures.week.current), theme.normal())).collect(),
        ROWS.iter().map(|&metric| change(&figures.week, metric, theme)).collect(),
    ];
    let label_width = ROWS.iter().map(|metric| metric.label().chars().count()).max().unwrap_or(0);
    let mut widths = vec![label_width];
    for (header, cells) in COLUMNS.iter().zip(&columns) {
        let column = cells
            .iter()
            .map(|(text, _)| text.chars().count())
            .chain([header.chars().count()])
            .max()
            .unwrap_or(0);
        let used: usize = widths.iter().map(|width| width + SPACING).sum();
        // The first figure is always there: a table of labels alone says nothing.
        if widths.len() > 1 && used + column > usize::from(width) {
            break;
        }
        widths.push(column);
    }
    let shown = widths.len() - 1;

    let header = Row::new(
        std::iter::once(Cell::from(""))
            .chain(COLUMNS[..shown].iter().map(|header| Cell::from(Line::from(*header).right_aligned()))),
    )
    .style(theme.title());
    let rows = ROWS.iter().enumerate().map(|(row, metric)| {
        Row::new(std::iter::once(Cell::from(metric.label())).chain(columns[..shown].iter().map(|cells| {
            let (text, style) = &cells[row];
            Cell::from(Line::styled(text.clone(), *style).right_aligned())
        })))
    });
    let widths = widths.into_iter().map(|width| Constraint::Length(u16::try_from(width).unwrap_or(u16::MAX)));
    Table::new(rows, widths).header(header).column_spacing(u16::try_from(SPACING).unwrap_or(1))
}

/// Between the table's columns.
const SPACING: usize = 2;

/// A figure of `summary` as the owner reads it: "1,234", "1,234.50", "25%", or "—"
/// for a rate with nothing to divide by.
fn figure(metric: Metric, summary: &Summary) -> String {
    match metric {
        Metric::Revenue => money(summary.totals.revenue_minor),
        Metric::AverageOrder => summary.average_order_minor.map_or_else(|| "—".to_owned(), money),
        _ if metric.is_rate() => {
            metric.value(summary).map_or_else(|| "—".to_owned(), |rate| percent(rate * 100.0))
        }
        _ => metric.value(summary).map_or_else(|| "—".to_owned(), |count| signed(count.round(), "")),
    }
}

/// How `metric` changed, with the style that helps to see which way: "+25%", "−10%",
/// "—" when there was nothing before. A rate's change is in percentage points
/// ("+5 pts"): "+20%" on a response rate of 50% would read as 70%.
fn change(comparison: &Comparison, metric: Metric, theme: Theme) -> (String, Style) {
    let (change, unit) = if metric.is_rate() {
        (comparison.difference(metric).map(|points| points * 100.0), " pts")
    } else {
        (comparison.change(metric), "%")
    };
    match change.map(f64::round) {
        None => ("—".to_owned(), theme.dim()),
        Some(change) if change.abs() < 0.5 => (format!("0{unit}"), theme.dim()),
        // More of every figure here is better, so up is good.
        Some(change) if change > 0.0 => (format!("+{}", signed(change, unit)), theme.good()),
        Some(change) => (signed(change, unit), theme.warn()),
    }
}

fn percent(value: f64) -> String {
    signed(value.round(), "%")
}

/// A whole number with thousands separated and a real minus sign, then `unit`.
fn signed(whole: f64, unit: &str) -> String {
    let digits = format!("{:.0}", whole.abs());
    let minus = if whole < 0.0 && digits != "0" { "−" } else { "" };
    format!("{minus}{}{unit}", thousands(&digits))
}

/// Minor units as "1,234.50". The currency is not in the figures; two decimals are
/// what nearly every currency the platforms sell in has.
fn money(minor: i64) -> String {
    let (units, cents) = (minor.unsigned_abs() / 100, minor.unsigned_abs() % 100);
    let minus = if minor < 0 { "−" } else { "" };
    format!("{minus}{}.{cents:02}", thousands(&units.to_string()))
}

/// "1234567" as "1,234,567".
fn thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Today's messages by hour above the last 30 days' conversations, or only the hours
/// when there is room for one chart.
fn draw_charts(frame: &mut Frame, area: Rect, figures: &backend::Dashboard, theme: Theme) {
    let [hours_area, days_area] = if area.height >= 2 * CHART_ROWS {
        Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    if hours_area.height >= CHART_ROWS {
        let received: Vec<u64> = figures.hours.iter().map(|hour| count(hour.messages_received)).collect();
        let busiest = received.iter().enumerate().max_by_key(|&(hour, n)| (*n, std::cmp::Reverse(hour)));
        let caption = match busiest {
            Some((hour, &n)) if n > 0 => {
                format!("Messages received today by UTC hour · busiest {hour:02}:00, {n} messages")
            }
            _ => "Messages received today by UTC hour · none yet".to_owned(),
        };
        let labels = (0..received.len()).map(|hour| format!("{hour:02}")).collect();
        draw_bars(frame, hours_area, &caption, &received, labels, theme);
    }
    if days_area.height >= CHART_ROWS {
        let started: Vec<u64> =
            figures.days.iter().map(|day| count(day.metrics.conversations_started)).collect();
        let span = match (figures.days.first(), figures.days.last()) {
            (Some(first), Some(last)) => {
                format!(", {} – {}", first.date.format("%-d %b"), last.date.format("%-d %b"))
            }
            _ => String::new(),
        };
        let caption = format!(
            "Conversations started, the last {} days{span} · {} in all",
            started.len(),
            thousands(&started.iter().sum::<u64>().to_string()),
        );
        let labels = figures.days.iter().map(|day| day.date.format("%d").to_string()).collect();
        draw_bars(frame, days_area, &caption, &started, labels, theme);
    }
}

/// A caption over one bar per value, oldest left: bars a column apart with their labels
/// under them when they are wide enough for one, else a sparkline.
fn draw_bars(
    frame: &mut Frame,
    area: Rect,
    caption: &str,
    values: &[u64],
    labels: Vec<String>,
    theme: Theme,
) {
    let [caption_area, chart] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Line::styled(caption.to_owned(), theme.title()), caption_area);
    let Some(width) = bar_width(values.len(), chart.width) else {
        frame.render_widget(Sparkline::default().data(values).style(theme.normal()), chart);
        return;
    };
    // A one-column bar has no room for a label. A value takes the place of its bar's
    // bottom row, which a short chart cannot spare.
    let labelled = width >= 2;
    let with_values = labelled && chart.height > VALUED_CHART_ROWS;
    let bars: Vec<Bar> = values
        .iter()
        .zip(labels)
        .map(|(&value, label)| {
            let bar = if labelled { Bar::new(value).label(label) } else { Bar::new(value) };
            if with_values { bar } else { bar.text_value(String::new()) }
        })
        .collect();
    let chart_widget = BarChart::new(bars)
        .bar_width(width)
        .bar_gap(1)
        .bar_style(theme.normal())
        .value_style(theme.selected())
        .label_style(theme.dim());
    frame.render_widget(chart_widget, chart);
}

/// As wide as `count` bars a column apart fit in `width`, at most [`WIDEST_BAR`];
/// `None` when not even one column each fits.
fn bar_width(count: usize, width: u16) -> Option<u16> {
    let count = u16::try_from(count.max(1)).ok()?;
    let width = (width.saturating_add(1) / count).checked_sub(1)?;
    (width > 0).then_some(width.min(WIDEST_BAR))
}

/// A counter as a bar's height; a negative one (a correction) draws as nothing.
fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_an_owner_writes_them() {
        assert_eq!(money(123_450), "1,234.50");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-100_000_000), "−1,000,000.00");
        assert_eq!(thousands("123"), "123");
        assert_eq!(thousands("1234567"), "1,234,567");
        assert_eq!(signed(-0.0, "%"), "0%");
        assert_eq!(percent(12.5), "13%");
    }

    #[test]
    fn bars_fit_or_give_way_to_a_sparkline() {
        assert_eq!(bar_width(24, 78), Some(2));
        assert_eq!(bar_width(24, 118), Some(3));
        assert_eq!(bar_width(30, 78), Some(1));
        assert_eq!(bar_width(24, 46), None);
        assert_eq!(bar_width(0, 0), None);
        assert_eq!(bar_width(2, 400), Some(WIDEST_BAR));
    }
}
