//! `/api/v1/analytics` on both backends, over rows seeded straight into the store with
//! figures chosen here and every expected value worked out by hand: the summary beside
//! the previous period, the default range, the filters, by day (zero-filled), by hour,
//! by campaign, CSV, bad ranges and tenants.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use closer_core::model::{CampaignId, Metrics, Platform, Timestamp, UserId};
use closer_daemon::Settings;
use common::{Account, TestApp};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

both_backends![
    the_summary_compares_the_range_with_the_one_before,
    the_default_range_is_the_last_seven_days_of_the_clock,
    campaign_and_platform_filters_narrow_every_figure,
    daily_figures_are_zero_filled_and_hourly_ones_are_24,
    campaigns_are_ranked_best_first_with_their_names,
    csv_exports_are_spreadsheet_ready,
    bad_ranges_and_filters_are_400_with_a_clear_message,
    another_business_sees_none_of_it,
    every_analytics_route_needs_a_token,
];

const ANALYTICS: &str = "/api/v1/analytics";
const WEEK: &str = "from=2026-11-14&to=2026-11-20";
const SPRING: &str = "Spring, \"with love\"";

/// received, sent, answered, conversations started, leads, conversions, revenue.
fn m(values: [i64; 7]) -> Metrics {
    let [received, sent, answered, started, leads, conversions, revenue] = values;
    Metrics::from_values([sent, received, answered, started, leads, conversions, revenue])
}

/// Ana's shop and its two campaigns.
struct Shop {
    ana: Account,
    bo: Account,
    spring: CampaignId,
    summer: CampaignId,
}

async fn campaign(app: &TestApp, token: &str, name: &str) -> CampaignId {
    let response = app.call("POST", "/api/v1/campaigns", Some(token), Some(json!({ "name": name }))).await;
    let id = response.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    id.parse().expect("a campaign id")
}

async fn record(app: &TestApp, tenant: UserId, row: (Option<CampaignId>, Platform, &str, Metrics)) {
    let (campaign, platform, at, metrics) = row;
    let at = Timestamp::parse(at).expect("a time");
    app.store.record_analytics(tenant, campaign, platform, at, &metrics).await.expect("record");
}

/// The rows: R1–R5 in the week of 14–20 November, R6–R7 in the week before, R8 before
/// that, R9 the day after (the clock stands at 20 November, 09:00).
async fn shop(app: &TestApp) -> Shop {
    let ana = app.register("ana@cases.example").await;
    let spring = campaign(app, &ana.token, SPRING).await;
    let summer = campaign(app, &ana.token, "Summer").await;
    let (s, u, fb, sandbox) = (Some(spring), Some(summer), Platform::Facebook, Platform::Sandbox);
    let rows = [
        (s, fb, "2026-11-14T10:30:00Z", m([10, 12, 8, 4, 2, 1, 4_990])), // R1
        (s, fb, "2026-11-16T15:00:00Z", m([6, 6, 6, 2, 1, 1, 2_500])),   // R2
        (u, fb, "2026-11-16T10:10:00Z", m([5, 4, 4, 3, 1, 0, 0])),       // R3
        (u, sandbox, "2026-11-20T08:59:00Z", m([2, 2, 2, 1, 0, 0, 0])),  // R4
        (None, fb, "2026-11-18T23:59:59Z", m([3, 1, 1, 2, 0, 1, 1_000])), // R5
        (s, fb, "2026-11-10T10:00:00Z", m([4, 4, 2, 2, 1, 1, 3_000])),   // R6
        (None, fb, "2026-11-13T23:00:00Z", m([1, 0, 0, 1, 0, 0, 0])),    // R7
        (s, fb, "2026-11-06T12:00:00Z", m([100, 100, 100, 100, 100, 100, 100_000])), // R8
        (u, fb, "2026-11-21T00:00:00Z", m([50, 0, 0, 0, 0, 0, 0])),      // R9
    ];
    for row in rows {
        record(app, ana.tenant(), row).await;
    }
    // Another business, busy on the same days.
    let bo = app.register("bo@florist.example").await;
    record(
        app,
        bo.tenant(),
        (None, fb, "2026-11-16T10:00:00Z", m([1_000, 900, 800, 700, 600, 500, 400_000])),
    )
    .await;
    Shop { ana, bo, spring, summer }
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    app.call("GET", path, Some(token), None).await.expect(StatusCode::OK, None).clone()
}

fn summary(from: &str, to: &str, totals: Metrics, rates: [Option<f64>; 2], average: Option<i64>) -> Value {
    json!({
        "period": { "from": from, "to": to },
        "totals": totals,
        "response_rate": rates[0],
        "conversion_rate": rates[1],
        "average_order_minor": average,
    })
}

async fn the_summary_compares_the_range_with_the_one_before(app: &TestApp) {
    let shop = shop(app).await;
    let body = get(app, &shop.ana.token, &format!("{ANALYTICS}?{WEEK}")).await;
    // R1–R5; 8,490 / 3 = 2,830.
    let current = m([26, 25, 21, 12, 4, 3, 8_490]);
    let current = summary("2026-11-14", "2026-11-20", current, [Some(21.0 / 26.0), Some(0.25)], Some(2_830));
    assert_eq!(body["current"], current);
    // R6–R7.
    let previous = m([5, 4, 2, 3, 1, 1, 3_000]);
    let previous = summary("2026-11-07", "2026-11-13", previous, [Some(0.4), Some(1.0 / 3.0)], Some(3_000));
    assert_eq!(body["previous"], previous);

    // One day, compared with the day before.
    let body = get(app, &shop.ana.token, &format!("{ANALYTICS}?from=2026-11-14&to=2026-11-14")).await;
    let r1 = summary(
        "2026-11-14",
        "2026-11-14",
        m([10, 12, 8, 4, 2, 1, 4_990]),
        [Some(0.8), Some(0.25)],
        Some(4_990),
    );
    assert_eq!(body["current"], r1);
    let r7 = summary("2026-11-13", "2026-11-13", m([1, 0, 0, 1, 0, 0, 0]), [Some(0.0), Some(0.0)], None);
    assert_eq!(body["previous"], r7);
}

async fn the_default_range_is_the_last_seven_days_of_the_clock(app: &TestApp) {
    let app =
        app.with_settings(Settings { access_token_ttl: Duration::from_hours(48), ..Settings::default() });
    let shop = shop(&app).await;
    let token = &shop.ana.token;
    let explicit = get(&app, token, &format!("{ANALYTICS}?{WEEK}")).await;
    assert_eq!(get(&app, token, ANALYTICS).await, explicit, "14–20 November");

    // `to` alone: the seven days up to it. R6, R7, R1, R2, R3.
    let body = get(&app, token, &format!("{ANALYTICS}?to=2026-11-16")).await;
    assert_eq!(body["current"]["period"], json!({ "from": "2026-11-10", "to": "2026-11-16" }));
    assert_eq!(body["current"]["totals"], json!(m([26, 26, 20, 12, 5, 3, 10_490])));
    assert_eq!(body["previous"]["period"], json!({ "from": "2026-11-03", "to": "2026-11-09" }));
    assert_eq!(body["previous"]["totals"], json!(m([100, 100, 100, 100, 100, 100, 100_000])), "R8");
    // `from` alone: up to today.
    let body = get(&app, token, &format!("{ANALYTICS}?from=2026-11-20")).await;
    assert_eq!(body["current"]["totals"], json!(m([2, 2, 2, 1, 0, 0, 0])), "R4");

    // A day later, the week moves with the clock: R2–R5 and R9; before it R6, R7, R1.
    app.clock.advance(Duration::from_hours(24));
    let body = get(&app, token, ANALYTICS).await;
    assert_eq!(body["current"]["period"], json!({ "from": "2026-11-15", "to": "2026-11-21" }));
    assert_eq!(body["current"]["totals"], json!(m([66, 13, 13, 8, 2, 2, 3_500])));
    assert_eq!(body["previous"]["totals"], json!(m([15, 16, 10, 7, 3, 2, 7_990])));
    let daily = get(&app, token, &format!("{ANALYTICS}/daily")).await;
    assert_eq!(daily["period"], json!({ "from": "2026-11-15", "to": "2026-11-21" }));
    assert_eq!(daily["days"][6], json!({ "date": "2026-11-21", "metrics": m([50, 0, 0, 0, 0, 0, 0]) }));
}

async fn campaign_and_platform_filters_narrow_every_figure(app: &TestApp) {
    let shop = shop(app).await;
    let (token, spring, summer) = (&shop.ana.token, shop.spring, shop.summer);
    let body = get(app, token, &format!("{ANALYTICS}?{WEEK}&campaign_id={spring}")).await;
    let r1_r2 = m([16, 18, 14, 6, 3, 2, 7_490]);
    let expected =
        summary("2026-11-14", "2026-11-20", r1_r2, [Some(14.0 / 16.0), Some(2.0 / 6.0)], Some(3_745));
    assert_eq!(body["current"], expected);
    assert_eq!(body["previous"]["totals"], json!(m([4, 4, 2, 2, 1, 1, 3_000])), "R6 alone");

    let body = get(app, token, &format!("{ANALYTICS}?{WEEK}&platform=sandbox")).await;
    let r4 = summary("2026-11-14", "2026-11-20", m([2, 2, 2, 1, 0, 0, 0]), [Some(1.0), Some(0.0)], None);
    assert_eq!(body["current"], r4);
    let nothing = summary("2026-11-07", "2026-11-13", Metrics::default(), [None, None], None);
    assert_eq!(body["previous"], nothing, "no rates out of nothing");

    let both = format!("{WEEK}&campaign_id={summer}&platform=facebook");
    let body = get(app, token, &format!("{ANALYTICS}?{both}")).await;
    assert_eq!(body["current"]["totals"], json!(m([5, 4, 4, 3, 1, 0, 0])), "R3 alone");
    let daily = get(app, token, &format!("{ANALYTICS}/daily?{both}")).await;
    let days: Vec<&Value> = daily["days"].as_array().expect("days").iter().collect();
    assert_eq!(days.iter().filter(|d| d["metrics"] != json!(Metrics::default())).count(), 1);
    assert_eq!(days[2]["metrics"], json!(m([5, 4, 4, 3, 1, 0, 0])));
    let hourly = get(app, token, &format!("{ANALYTICS}/hourly?{both}")).await;
    assert_eq!(hourly["hours"][10], json!(m([5, 4, 4, 3, 1, 0, 0])));
    let lines = get(app, token, &format!("{ANALYTICS}/campaigns?{WEEK}&platform=sandbox")).await;
    assert_eq!(lines["campaigns"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (&lines["campaigns"][0]["name"], &lines["campaigns"][0]["metrics"]),
        (&json!("Summer"), &json!(m([2, 2, 2, 1, 0, 0, 0])))
    );

    let unknown =
        get(app, token, &format!("{ANALYTICS}?{WEEK}&campaign_id=0193a4c0-0000-7000-8000-000000000000"))
            .await;
    assert_eq!(unknown["current"]["totals"], json!(Metrics::default()));
}

async fn daily_figures_are_zero_filled_and_hourly_ones_are_24(app: &TestApp) {
    let shop = shop(app).await;
    let daily = get(app, &shop.ana.token, &format!("{ANALYTICS}/daily?{WEEK}")).await;
    let zero = m([0; 7]);
    let day = |date: &str, metrics: Metrics| json!({ "date": date, "metrics": metrics });
    let expected = json!({
        "period": { "from": "2026-11-14", "to": "2026-11-20" },
        "days": [
            day("2026-11-14", m([10, 12, 8, 4, 2, 1, 4_990])),
            day("2026-11-15", zero),
            day("2026-11-16", m([11, 10, 10, 5, 2, 1, 2_500])),
            day("2026-11-17", zero),
            day("2026-11-18", m([3, 1, 1, 2, 0, 1, 1_000])),
            day("2026-11-19", zero),
            day("2026-11-20", m([2, 2, 2, 1, 0, 0, 0])),
        ],
    });
    assert_eq!(daily, expected);

    let hourly = get(app, &shop.ana.token, &format!("{ANALYTICS}/hourly?{WEEK}")).await;
    assert_eq!(hourly["period"], expected["period"]);
    let mut hours = vec![json!(zero); 24];
    hours[8] = json!(m([2, 2, 2, 1, 0, 0, 0])); // R4, 08:59
    hours[10] = json!(m([15, 16, 12, 7, 3, 1, 4_990])); // R1 10:30 and R3 10:10
    hours[15] = json!(m([6, 6, 6, 2, 1, 1, 2_500])); // R2
    hours[23] = json!(m([3, 1, 1, 2, 0, 1, 1_000])); // R5, 23:59:59
    assert_eq!(hourly["hours"], json!(hours));
}

/// The raw JSON text of a 200 answer, to look at what parsing would hide.
async fn raw(app: &TestApp, token: &str, path: &str) -> String {
    let request = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .extension(axum::extract::ConnectInfo(app.client))
        .body(Body::empty())
        .expect("request");
    let response = app.app().oneshot(request).await.expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

async fn campaigns_are_ranked_best_first_with_their_names(app: &TestApp) {
    let shop = shop(app).await;
    let body = get(app, &shop.ana.token, &format!("{ANALYTICS}/campaigns?{WEEK}")).await;
    let line = |id: Option<CampaignId>, name: &str, metrics: Metrics, rate: f64| json!({ "campaign_id": id, "name": name, "metrics": metrics, "conversion_rate": rate });
    let expected = json!({
        "period": { "from": "2026-11-14", "to": "2026-11-20" },
        "campaigns": [
            line(Some(shop.spring), SPRING, m([16, 18, 14, 6, 3, 2, 7_490]), 2.0 / 6.0),
            line(None, "(no campaign)", m([3, 1, 1, 2, 0, 1, 1_000]), 0.5),
            line(Some(shop.summer), "Summer", m([7, 6, 6, 4, 1, 0, 0]), 0.0),
        ],
    });
    assert_eq!(body, expected, "by revenue: 74.90, 10.00, 0.00");

    // Each key once per campaign: a JSON object with a key twice is read differently
    // by different clients.
    let text = raw(app, &shop.ana.token, &format!("{ANALYTICS}/campaigns?{WEEK}")).await;
    assert_eq!(text.matches("\"campaign_id\"").count(), 3, "{text}");

    // The week before: R6 and R7.
    let before =
        get(app, &shop.ana.token, &format!("{ANALYTICS}/campaigns?from=2026-11-07&to=2026-11-13")).await;
    let names: Vec<&str> = before["campaigns"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, [SPRING, "(no campaign)"]);
}

async fn csv_exports_are_spreadsheet_ready(app: &TestApp) {
    let shop = shop(app).await;
    let token = Some(shop.ana.token.as_str());
    let response = app.call("GET", &format!("{ANALYTICS}/daily?{WEEK}&format=csv"), token, None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = "attachment; filename=\"closer-daily-2026-11-14-2026-11-20.csv\"";
    assert_eq!(response.headers[header::CONTENT_DISPOSITION], disposition);
    let expected = [
        "date,messages_received,messages_sent,messages_answered,conversations_started,leads,conversions,conversion_rate,revenue",
        "2026-11-14,10,12,8,4,2,1,0.2500,49.90",
        "2026-11-15,0,0,0,0,0,0,,0.00",
        "2026-11-16,11,10,10,5,2,1,0.2000,25.00",
        "2026-11-17,0,0,0,0,0,0,,0.00",
        "2026-11-18,3,1,1,2,0,1,0.5000,10.00",
        "2026-11-19,0,0,0,0,0,0,,0.00",
        "2026-11-20,2,2,2,1,0,0,0.0000,0.00",
    ];
    assert_eq!(response.body, json!(format!("{}\r\n", expected.join("\r\n"))));

    let response = app.call("GET", &format!("{ANALYTICS}/campaigns?{WEEK}&format=csv"), token, None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = "attachment; filename=\"closer-campaigns-2026-11-14-2026-11-20.csv\"";
    assert_eq!(response.headers[header::CONTENT_DISPOSITION], disposition);
    let expected = [
        "campaign_id,campaign,messages_received,messages_sent,messages_answered,conversations_started,leads,conversions,conversion_rate,revenue".to_owned(),
        format!("{},\"Spring, \"\"with love\"\"\",16,18,14,6,3,2,0.3333,74.90", shop.spring),
        ",(no campaign),3,1,1,2,0,1,0.5000,10.00".to_owned(),
        format!("{},Summer,7,6,6,4,1,0,0.0000,0.00", shop.summer),
    ];
    assert_eq!(response.body, json!(format!("{}\r\n", expected.join("\r\n"))));

    let json = app.call("GET", &format!("{ANALYTICS}/daily?{WEEK}&format=json"), token, None).await;
    assert_eq!(json.expect(StatusCode::OK, None)["days"].as_array().map(Vec::len), Some(7));
    let hourly = app.call("GET", &format!("{ANALYTICS}/hourly?{WEEK}&format=csv"), token, None).await;
    hourly.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
    assert!(hourly.body["error"]["message"].as_str().is_some_and(|m| m.contains("json only")));
    let summary = app.call("GET", &format!("{ANALYTICS}?{WEEK}&format=xml"), token, None).await;
    summary.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
}

async fn bad_ranges_and_filters_are_400_with_a_clear_message(app: &TestApp) {
    let shop = shop(app).await;
    let cases = [
        ("from=2026-13-01&to=2026-11-20", "from"),
        ("from=20-11-2026", "from"),
        ("to=yesterday", "to"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-11-21&to=2026-11-20", "the period starts on 2026-11-21, after it ends on 2026-11-20"),
        ("from=2026-11-25", "after it ends on 2026-11-20"),
        ("from=2025-11-19&to=2026-11-20", "at most 366 days; 2025-11-19 to 2026-11-20 is 367 days"),
        ("campaign_id=42", "campaign_id"),
        ("platform=myspace", "platform"),
        ("colour=red", "colour"),
    ];
    for route in ["", "/daily", "/hourly", "/campaigns"] {
        for (query, mention) in cases {
            let path = format!("{ANALYTICS}{route}?{query}");
            let response = app.call("GET", &path, Some(&shop.ana.token), None).await;
            response.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
            let message = response.body["error"]["message"].as_str().expect("message");
            assert!(message.contains(mention), "{path}: {message}");
        }
        let longest = format!("{ANALYTICS}{route}?from=2025-11-20&to=2026-11-20");
        app.call("GET", &longest, Some(&shop.ana.token), None).await.expect(StatusCode::OK, None);
    }
    let year = get(app, &shop.ana.token, &format!("{ANALYTICS}?from=2025-11-20&to=2026-11-20")).await;
    assert_eq!(year["current"]["totals"]["messages_received"], 26 + 1 + 4 + 100, "R1–R8");
}

async fn another_business_sees_none_of_it(app: &TestApp) {
    let shop = shop(app).await;
    let bo = shop.bo.token.clone();
    let body = get(app, &bo, &format!("{ANALYTICS}?{WEEK}")).await;
    assert_eq!(
        body["current"]["totals"],
        json!(m([1_000, 900, 800, 700, 600, 500, 400_000])),
        "Bo's own row"
    );
    assert_eq!(body["previous"]["totals"], json!(Metrics::default()));
    let body = get(app, &bo, &format!("{ANALYTICS}?{WEEK}&campaign_id={}", shop.spring)).await;
    assert_eq!(body["current"]["totals"], json!(Metrics::default()), "not Ana's campaign");
    let lines = get(app, &bo, &format!("{ANALYTICS}/campaigns?{WEEK}")).await;
    let names: Vec<&Value> =
        lines["campaigns"].as_array().expect("list").iter().map(|c| &c["name"]).collect();
    assert_eq!(names, [&json!("(no campaign)")]);
    let csv = app.call("GET", &format!("{ANALYTICS}/campaigns?{WEEK}&format=csv"), Some(&bo), None).await;
    assert!(
        csv.body
            .as_str()
            .is_some_and(|text| !text.contains("Spring") && !text.contains(&shop.spring.to_string()))
    );
}

async fn every_analytics_route_needs_a_token(app: &TestApp) {
    for route in ["", "/daily", "/hourly", "/campaigns", "/daily?format=csv"] {
        let path = format!("{ANALYTICS}{route}");
        app.call("GET", &path, None, None).await.expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
        let forged = app.call("GET", &path, Some("forged"), None).await;
        forged.expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    }
}
