//! `closer analytics`: the totals of a range of days against the range before it;
//! `--csv` for the day-by-day spreadsheet, `--json` for scripts.

use chrono::{Days, NaiveDate, Utc};
use closer_core::analytics::{Comparison, Metric};
use reqwest::Method;

use super::Ctx;
use crate::error::{CliError, Result};
use crate::money;
use closer_client::Body;

#[derive(Debug, clap::Args)]
pub struct AnalyticsArgs {
    /// First day, YYYY-MM-DD (UTC).
    #[arg(long, conflicts_with = "last")]
    from: Option<NaiveDate>,
    /// Last day, YYYY-MM-DD (UTC; default today).
    #[arg(long, conflicts_with = "last")]
    to: Option<NaiveDate>,
    /// The last N days up to today: 7d, 30d, 4w (default: 7d).
    #[arg(long, value_name = "N[d|w]", value_parser = parse_last)]
    last: Option<u64>,
    /// Only this campaign (its id).
    #[arg(long, value_name = "ID")]
    campaign: Option<String>,
    /// The figures day by day, as CSV.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
}

/// "7d" or "7" is 7 days, "2w" 14.
fn parse_last(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?}: expected days such as 7d, or weeks such as 4w");
    let (number, unit) = match text.strip_suffix(['d', 'w']) {
        Some(number) => (number, if text.ends_with('w') { 7 } else { 1 }),
        None => (text, 1),
    };
    let days = number.parse::<u64>().map_err(|_| bad())? * unit;
    if days == 0 || days > 3660 {
        return Err(bad());
    }
    Ok(days)
}

pub async fn run(ctx: &Ctx, args: AnalyticsArgs) -> Result<()> {
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(days) = args.last {
        let today = Utc::now().date_naive();
        let from = today.checked_sub_days(Days::new(days - 1)).unwrap_or(today);
        query.push(("from", from.to_string()));
        query.push(("to", today.to_string()));
    } else {
        if let (Some(from), Some(to)) = (args.from, args.to)
            && from > to
        {
            return Err(CliError::Usage(format!("--from {from} is after --to {to}")));
        }
        query.extend(args.from.map(|d| ("from", d.to_string())));
        query.extend(args.to.map(|d| ("to", d.to_string())));
    }
    query.extend(args.campaign.map(|id| ("campaign_id", id)));
    let mut api = ctx.api()?;
    if args.csv {
        query.push(("format", "csv".into()));
        let csv = api.text(Method::GET, "/analytics/daily", &query, Body::None).await?;
        return Ok(ctx.out.raw(&csv)?);
    }
    let summary = api.get("/analytics", &query).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&summary)?);
    }
    let comparison: Comparison = serde_json::from_value(summary).map_err(|error| CliError::Server {
        status: 200,
        code: "bad_answer".into(),
        message: format!("closerd's analytics are not in the shape expected ({error})"),
    })?;
    ctx.out.line(report(&comparison))?;
    Ok(())
}

/// The summary for people: each figure, and its change against the period before.
/// Amounts are shown with two decimals: the API counts them in minor units of the
/// business's currency without naming it.
fn report(comparison: &Comparison) -> String {
    let (current, previous) = (&comparison.current.period, &comparison.previous.period);
    let mut lines = vec![format!(
        "{} to {} (against {} to {})",
        current.from(),
        current.to(),
        previous.from(),
        previous.to()
    )];
    for metric in Metric::ALL {
        let value = metric.value(&comparison.current);
        let shown = match value {
            None => "-".to_owned(),
            Some(value) if metric.is_rate() => format!("{:.1}%", value * 100.0),
            #[allow(clippy::cast_possible_truncation)] // counters, far below 2^53
            Some(value) if matches!(metric, Metric::Revenue | Metric::AverageOrder) => {
                money::format_minor(value.round() as i64, "EUR")
            }
            Some(value) => format!("{value:.0}"),
        };
        let change = match (comparison.change(metric), value, metric.value(&comparison.previous)) {
            (Some(change), _, _) => format!("{change:+.0}%"),
            (None, Some(now), Some(before)) if before == 0.0 && now != 0.0 => "new".to_owned(),
            _ => String::new(),
        };
        let line = format!("  {:<22} {shown:>12}  {change}", metric.label());
        lines.push(line.trim_end().to_owned());
    }
    lines.join("\n")
}
