//! `/api/v1/analytics`: the business's numbers for a range of days (UTC), beside the
//! period just before; by day, by hour and by campaign; as JSON or CSV.
//!
//! The range is `from`..=`to` (dates), by default the last 7 days up to today.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use closer_core::analytics::{self, CampaignLine, Comparison, DailyPoint, Period};
use closer_core::model::{AnalyticsDay, CampaignId, Metrics, Platform, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::AppQuery;
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(daily))
        .routes(routes!(hourly))
        .routes(routes!(campaigns))
}

/// The days a range covers when none is given.
const DEFAULT_DAYS: u32 = 7;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RangeQuery {
    /// First day, `YYYY-MM-DD` (default: 6 days before `to`).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
    campaign_id: Option<CampaignId>,
    platform: Option<Platform>,
    /// `json` (default) or `csv` (daily and campaigns only).
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

impl RangeQuery {
    fn period(&self, today: NaiveDate) -> Result<Period, AppError> {
        let to = self.to.unwrap_or(today);
        let period = match self.from {
            Some(from) => Period::new(from, to),
            None => Period::last_days(to, DEFAULT_DAYS),
        };
        period.map_err(|error| AppError::bad_request("invalid_query", format!("bad range: {error}")))
    }

    fn csv(&self) -> bool {
        self.format == Some(Format::Csv)
    }
}

/// The rows of the period (and, with `previous`, of the period before it).
async fn rows(
    state: &AppState,
    tenant: UserId,
    query: &RangeQuery,
    period: Period,
    previous: bool,
) -> Result<Vec<AnalyticsDay>, AppError> {
    let wanted = if previous {
        period.query_with_previous(query.campaign_id, query.platform)
    } else {
        period.query(query.campaign_id, query.platform)
    };
    Ok(state.store.analytics(tenant, &wanted).await?)
}

/// Totals and rates for the range and for the same number of days before it:
/// messages received, sent and answered, the response rate, conversations started,
/// leads, conversions, the conversion rate and revenue (minor units).
#[utoipa::path(get, path = "/", tag = "analytics", operation_id = "analytics_summary",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, body = Comparison),
        (status = 400, description = "a bad date, range or filter", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
)]
async fn summary(
    State(state): State<AppState>,
    who: Authenticated,
    AppQuery(query): AppQuery<RangeQuery>,
) -> Result<Json<Comparison>, AppError> {
    let period = query.period(state.clock.now().date())?;
    let rows = rows(&state, who.user_id, &query, period, true).await?;
    Ok(Json(Comparison::of(&rows, period)))
}

#[derive(Debug, Serialize, ToSchema)]
struct Daily {
    period: Period,
    /// Every day of the range, oldest first; days without activity are zeros.
    days: Vec<DailyPoint>,
}

/// Day by day; `?format=csv` for a spreadsheet.
#[utoipa::path(get, path = "/daily", tag = "analytics", operation_id = "analytics_daily",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, body = Daily, content_type = "application/json"),
        (status = 200, description = "with format=csv", body = String, content_type = "text/csv"),
        (status = 400, description = "a bad date, range or filter", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
)]
async fn daily(
    State(state): State<AppState>,
    who: Authenticated,
    AppQuery(query): AppQuery<RangeQuery>,
) -> Result<Response, AppError> {
    let period = query.period(state.clock.now().date())?;
    let rows = rows(&state, who.user_id, &query, period, false).await?;
    let days = analytics::daily(&rows, period);
    if query.csv() {
        return Ok(csv(analytics::daily_csv(&days), "daily", period));
    }
    Ok(Json(Daily { period, days }).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
struct Hourly {
    period: Period,
    /// 24 entries: the range's activity by UTC hour of day.
    hours: Vec<Metrics>,
}

/// Hour by hour (UTC), summed over the range's days.
#[utoipa::path(get, path = "/hourly", tag = "analytics", operation_id = "analytics_hourly",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, body = Hourly),
        (status = 400, description = "a bad date, range or filter", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
)]
async fn hourly(
    State(state): State<AppState>,
    who: Authenticated,
    AppQuery(query): AppQuery<RangeQuery>,
) -> Result<Json<Hourly>, AppError> {
    if query.csv() {
        return Err(AppError::bad_request(
            "invalid_query",
            "bad query parameter: hourly figures come as json only",
        ));
    }
    let period = query.period(state.clock.now().date())?;
    let rows = rows(&state, who.user_id, &query, period, false).await?;
    Ok(Json(Hourly { period, hours: analytics::hourly(&rows, period).to_vec() }))
}

#[derive(Debug, Serialize, ToSchema)]
struct CampaignFigures {
    /// The campaign's name; "(no campaign)" for chats outside any.
    name: String,
    #[serde(flatten)]
    line: CampaignLine,
}

#[derive(Debug, Serialize, ToSchema)]
struct Campaigns {
    period: Period,
    /// Best first: by revenue, then conversions, then leads.
    campaigns: Vec<CampaignFigures>,
}

/// Campaign by campaign, best first; `?format=csv` for a spreadsheet.
#[utoipa::path(get, path = "/campaigns", tag = "analytics", operation_id = "analytics_campaigns",
    security(("bearer" = [])),
    params(RangeQuery),
    responses(
        (status = 200, body = Campaigns, content_type = "application/json"),
        (status = 200, description = "with format=csv", body = String, content_type = "text/csv"),
        (status = 400, description = "a bad date, range or filter", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
)]
async fn campaigns(
    State(state): State<AppState>,
    who: Authenticated,
    AppQuery(query): AppQuery<RangeQuery>,
) -> Result<Response, AppError> {
    let period = query.period(state.clock.now().date())?;
    let rows = rows(&state, who.user_id, &query, period, false).await?;
    let lines = analytics::by_campaign(&rows, period);
    let known = state.store.list_campaigns(who.user_id, None).await?;
    let name = |id: Option<CampaignId>| match id {
        None => "(no campaign)".to_owned(),
        Some(id) => known.iter().find(|c| c.id == id).map_or_else(|| id.to_string(), |c| c.name.clone()),
    };
    if query.csv() {
        return Ok(csv(analytics::campaigns_csv(&lines, &name), "campaigns", period));
    }
    let campaigns =
        lines.into_iter().map(|line| CampaignFigures { name: name(line.campaign_id), line }).collect();
    Ok(Json(Campaigns { period, campaigns }).into_response())
}

fn csv(body: String, what: &str, period: Period) -> Response {
    let filename = format!("attachment; filename=\"closer-{what}-{}-{}.csv\"", period.from(), period.to());
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response()
}
