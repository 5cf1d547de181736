//! CSV exports of the figures, for a spreadsheet: RFC 4180 (CRLF line ends, a field
//! with a comma, a quote or a line break is quoted, quotes doubled).

use std::borrow::Cow;

use super::{CampaignLine, DailyPoint};
use crate::model::{CampaignId, Metrics};

/// The header of [`daily_csv`].
pub const DAILY_HEADER: &str = "date,messages_received,messages_sent,messages_answered,conversations_started,leads,conversions,conversion_rate,revenue";

/// The header of [`campaigns_csv`].
pub const CAMPAIGNS_HEADER: &str = "campaign_id,campaign,messages_received,messages_sent,messages_answered,conversations_started,leads,conversions,conversion_rate,revenue";

/// One line per day under [`DAILY_HEADER`]. Dates are ISO 8601 (`2026-03-01`); the
/// conversion rate is a fraction with 4 decimals (`0.2500`), empty when no conversation
/// started; revenue is in major units with 2 decimals (`1234.50` from 123450 minor
/// units).
pub fn daily_csv(points: &[DailyPoint]) -> String {
    let mut out = String::new();
    record(&mut out, DAILY_HEADER.split(','));
    for point in points {
        let date = point.date.to_string();
        let figures = figures(&point.metrics, point.conversion_rate());
        record(&mut out, [date.as_str()].into_iter().chain(figures.iter().map(String::as_str)));
    }
    out
}

/// One line per campaign under [`CAMPAIGNS_HEADER`], in the order given; `names` gives
/// a campaign's name (and the name of "no campaign"). Figures as in [`daily_csv`].
///
/// Names are written as they are: a name starting with `=` is a formula to a
/// spreadsheet, but names are the owner's own, exported to the owner.
pub fn campaigns_csv(lines: &[CampaignLine], names: &dyn Fn(Option<CampaignId>) -> String) -> String {
    let mut out = String::new();
    record(&mut out, CAMPAIGNS_HEADER.split(','));
    for line in lines {
        let id = line.campaign_id.map(|id| id.to_string()).unwrap_or_default();
        let name = names(line.campaign_id);
        let figures = figures(&line.metrics, line.conversion_rate);
        record(&mut out, [id.as_str(), name.as_str()].into_iter().chain(figures.iter().map(String::as_str)));
    }
    out
}

/// The columns after the first of both exports, in header order.
fn figures(m: &Metrics, conversion_rate: Option<f64>) -> [String; 8] {
    [
        m.messages_received.to_string(),
        m.messages_sent.to_string(),
        m.messages_answered.to_string(),
        m.conversations_started.to_string(),
        m.leads.to_string(),
        m.conversions.to_string(),
        // Nearest at 4 decimals (Rust's formatting of the exact binary value).
        conversion_rate.map(|rate| format!("{rate:.4}")).unwrap_or_default(),
        decimal(m.revenue_minor),
    ]
}

/// Minor units as a decimal with 2 places, exactly (no float): -1234 → `-12.34`.
fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn record<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, value) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(value));
    }
    out.push_str("\r\n");
}

fn field(value: &str) -> Cow<'_, str> {
    if value.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_become_two_decimals_exactly() {
        assert_eq!(decimal(0), "0.00");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(decimal(123_450), "1234.50");
        assert_eq!(decimal(-1_234), "-12.34");
        assert_eq!(decimal(-5), "-0.05");
        assert_eq!(decimal(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }
}
