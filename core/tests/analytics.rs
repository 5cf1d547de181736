//! Analytics arithmetic over hand-built rows. Every expected figure is worked out by
//! hand in the comments, never by calling the code under test.

use chrono::NaiveDate;
use closer_core::analytics::{
    self, CAMPAIGNS_HEADER, Comparison, DAILY_HEADER, Metric, Period, PeriodError, Summary,
};
use closer_core::model::{AnalyticsDay, CampaignId, Metrics, Platform, UserId};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn period(from: NaiveDate, to: NaiveDate) -> Period {
    Period::new(from, to).expect("a valid period")
}

/// received, sent, answered, started, leads, conversions, revenue (minor units).
fn m(figures: [i64; 7]) -> Metrics {
    let [received, sent, answered, started, leads, conversions, revenue] = figures;
    Metrics {
        messages_sent: sent,
        messages_received: received,
        messages_answered: answered,
        conversations_started: started,
        leads,
        conversions,
        revenue_minor: revenue,
    }
}

/// A row whose whole day happened in one UTC hour.
fn row(
    campaign: Option<CampaignId>,
    platform: Platform,
    day: NaiveDate,
    hour: usize,
    totals: Metrics,
) -> AnalyticsDay {
    let mut hourly = [Metrics::default(); 24];
    hourly[hour] = totals;
    AnalyticsDay { user_id: UserId::new(), campaign_id: campaign, platform, date: day, totals, hourly }
}

/// Campaigns A and B in the week of Mon 2026-03-02 to Sun 2026-03-08, the week before,
/// and a day after.
struct Week {
    a: CampaignId,
    b: CampaignId,
    rows: Vec<AnalyticsDay>,
}

fn week() -> Week {
    let (a, b) = (CampaignId::new(), CampaignId::new());
    let fb = Platform::Facebook;
    let rows = vec![
        row(Some(a), fb, date(2026, 3, 2), 9, m([10, 12, 9, 4, 2, 1, 4_999])),
        row(Some(a), Platform::Instagram, date(2026, 3, 2), 20, m([5, 5, 5, 2, 1, 1, 5_001])),
        row(Some(b), fb, date(2026, 3, 4), 9, m([8, 8, 6, 3, 2, 0, 0])),
        row(None, fb, date(2026, 3, 8), 23, m([2, 2, 2, 1, 0, 0, 0])),
        // Outside the week: the day after, and the previous week (its first and last day).
        row(Some(a), fb, date(2026, 3, 9), 9, m([100, 100, 100, 100, 100, 100, 100_000])),
        row(Some(a), fb, date(2026, 2, 23), 9, m([20, 20, 10, 5, 4, 2, 8_000])),
        row(Some(b), fb, date(2026, 3, 1), 9, m([4, 4, 0, 0, 0, 0, 0])),
    ];
    Week { a, b, rows }
}

fn this_week() -> Period {
    period(date(2026, 3, 2), date(2026, 3, 8))
}

#[test]
fn a_summary_counts_only_its_period() {
    let summary = Summary::of(&week().rows, this_week());
    // 10+5+8+2 received, 12+5+8+2 sent, 9+5+6+2 answered, 4+2+3+1 started,
    // 2+1+2 leads, 1+1 sales, 4999+5001 revenue.
    assert_eq!(summary.totals, m([25, 27, 22, 10, 5, 2, 10_000]));
    assert_eq!(summary.response_rate, Some(0.88)); // 22 / 25
    assert_eq!(summary.conversion_rate, Some(0.2)); // 2 / 10
    assert_eq!(summary.average_order_minor, Some(5_000)); // 10000 / 2
    assert_eq!(summary.period, this_week());
}

#[test]
fn rates_with_nothing_to_divide_by_are_none() {
    let quiet = [row(None, Platform::Sandbox, date(2026, 3, 3), 0, m([0, 3, 0, 0, 0, 0, 0]))];
    let summary = Summary::of(&quiet, this_week());
    assert_eq!(summary.totals.messages_sent, 3);
    assert_eq!(
        (summary.response_rate, summary.conversion_rate, summary.average_order_minor),
        (None, None, None)
    );
    let empty = Summary::of(&[], this_week());
    assert_eq!(empty.totals, Metrics::default());
    assert_eq!(empty.response_rate, None);
}

#[test]
fn the_average_order_rounds_to_the_nearest_minor_unit() {
    let rows = [row(None, Platform::Facebook, date(2026, 3, 3), 0, m([0, 0, 0, 3, 0, 3, 1_000]))];
    // 1000 / 3 = 333.33… → 333; 1001/2 below is 500.5 → 501 (halves away from zero).
    assert_eq!(Summary::of(&rows, this_week()).average_order_minor, Some(333));
    let rows = [row(None, Platform::Facebook, date(2026, 3, 3), 0, m([0, 0, 0, 2, 0, 2, 1_001]))];
    assert_eq!(Summary::of(&rows, this_week()).average_order_minor, Some(501));
}

#[test]
fn a_comparison_is_against_the_week_before() {
    let comparison = Comparison::of(&week().rows, this_week());
    assert_eq!(comparison.previous.period, period(date(2026, 2, 23), date(2026, 3, 1)));
    // 20+4 received, 20+4 sent, 10 answered, 5 started, 4 leads, 2 sales, 8000.
    assert_eq!(comparison.previous.totals, m([24, 24, 10, 5, 4, 2, 8_000]));

    let close = |metric: Metric, expected: f64| {
        let change = comparison.change(metric).expect("a previous figure");
        assert!((change - expected).abs() < 1e-9, "{metric}: {change} ≠ {expected}");
    };
    close(Metric::Leads, 25.0); // 4 → 5
    close(Metric::Revenue, 25.0); // 8000 → 10000
    close(Metric::Conversions, 0.0); // 2 → 2
    close(Metric::MessagesReceived, 100.0 / 24.0); // 24 → 25: +1/24
    close(Metric::ConversionRate, -50.0); // 0.4 → 0.2
    close(Metric::AverageOrder, 25.0); // 4000 → 5000
    let points = comparison.difference(Metric::ConversionRate).expect("both rates");
    assert!((points + 0.2).abs() < 1e-12, "{points}");
}

#[test]
fn no_change_from_nothing() {
    let rows = [row(None, Platform::Facebook, date(2026, 3, 3), 0, m([1, 1, 1, 1, 1, 1, 100]))];
    let comparison = Comparison::of(&rows, this_week());
    for metric in Metric::ALL {
        assert_eq!(comparison.change(metric), None, "{metric}");
    }
    assert_eq!(comparison.difference(Metric::Leads), Some(1.0));
    assert_eq!(comparison.difference(Metric::ResponseRate), None, "no previous rate");
}

#[test]
fn a_drop_to_zero_is_minus_a_hundred_percent() {
    let rows = [row(None, Platform::Facebook, date(2026, 2, 24), 0, m([7, 0, 0, 0, 0, 0, 0]))];
    assert_eq!(Comparison::of(&rows, this_week()).change(Metric::MessagesReceived), Some(-100.0));
}

#[test]
fn daily_points_cover_every_day_with_zeros_between() {
    let points = analytics::daily(&week().rows, this_week());
    let dates: Vec<NaiveDate> = points.iter().map(|p| p.date).collect();
    assert_eq!(dates, (2..=8).map(|d| date(2026, 3, d)).collect::<Vec<_>>());
    let figures: Vec<Metrics> = points.iter().map(|p| p.metrics).collect();
    let zero = Metrics::default();
    // The 2nd: both of A's rows (Facebook and Instagram) summed.
    let expected = [
        m([15, 17, 14, 6, 3, 2, 10_000]),
        zero,
        m([8, 8, 6, 3, 2, 0, 0]),
        zero,
        zero,
        zero,
        m([2, 2, 2, 1, 0, 0, 0]),
    ];
    assert_eq!(figures, expected);
    assert_eq!(analytics::daily(&[], Period::day(date(2026, 3, 5))).len(), 1);
}

#[test]
fn hourly_sums_every_day_by_utc_hour() {
    let hours = analytics::hourly(&week().rows, this_week());
    // 09: A on Facebook on the 2nd and B on the 4th (not the 9th, nor Feb 23rd).
    assert_eq!(hours[9], m([18, 20, 15, 7, 4, 1, 4_999]));
    assert_eq!(hours[20], m([5, 5, 5, 2, 1, 1, 5_001]));
    assert_eq!(hours[23], m([2, 2, 2, 1, 0, 0, 0]));
    let busy = [9, 20, 23];
    for (hour, metrics) in hours.iter().enumerate().filter(|(h, _)| !busy.contains(h)) {
        assert!(metrics.is_zero(), "hour {hour}: {metrics:?}");
    }
}

#[test]
fn campaigns_are_ranked_best_first() {
    let Week { a, b, rows } = week();
    let lines = analytics::by_campaign(&rows, this_week());
    let order: Vec<Option<CampaignId>> = lines.iter().map(|l| l.campaign_id).collect();
    // A made 10000; B and "no campaign" made nothing, but B has 2 leads to none.
    assert_eq!(order, [Some(a), Some(b), None]);
    assert_eq!(lines[0].metrics, m([15, 17, 14, 6, 3, 2, 10_000]));
    assert_eq!(lines[0].conversion_rate, Some(2.0 / 6.0));
    assert_eq!(lines[1].conversion_rate, Some(0.0)); // 0 sales of 3 started

    let best = analytics::best_and_worst(&rows, this_week()).expect("campaigns");
    assert_eq!(best.best.campaign_id, Some(a));
    assert_eq!(best.worst.map(|w| w.campaign_id), Some(Some(b)), "no campaign is not a campaign");
}

#[test]
fn revenue_then_sales_then_leads_decide_the_rank() {
    let ids: Vec<CampaignId> = (0..4).map(|_| CampaignId::new()).collect();
    let day = date(2026, 3, 3);
    let fb = Platform::Facebook;
    let rows = [
        row(Some(ids[0]), fb, day, 0, m([0, 0, 0, 0, 0, 1, 100])),
        row(Some(ids[1]), fb, day, 0, m([0, 0, 0, 0, 0, 2, 100])),
        row(Some(ids[2]), fb, day, 0, m([0, 0, 0, 0, 5, 2, 100])),
        row(Some(ids[3]), fb, day, 0, m([0, 0, 0, 0, 9, 9, 99])),
    ];
    let order: Vec<Option<CampaignId>> =
        analytics::by_campaign(&rows, this_week()).iter().map(|l| l.campaign_id).collect();
    assert_eq!(order, [Some(ids[2]), Some(ids[1]), Some(ids[0]), Some(ids[3])]);
}

#[test]
fn equal_campaigns_have_no_worst() {
    let (x, y) = (CampaignId::new(), CampaignId::new());
    let day = date(2026, 3, 3);
    let same = m([1, 1, 1, 1, 1, 0, 0]);
    let rows =
        [row(Some(x), Platform::Facebook, day, 0, same), row(Some(y), Platform::Facebook, day, 0, same)];
    let lines = analytics::by_campaign(&rows, this_week());
    assert_eq!(lines[0].campaign_id, Some(x.min(y)), "ties in id order");
    assert_eq!(analytics::best_and_worst(&rows, this_week()).expect("two").worst, None);

    let one = [row(Some(x), Platform::Facebook, day, 0, same)];
    assert_eq!(analytics::best_and_worst(&one, this_week()).expect("one").worst, None);
    let unassigned = [row(None, Platform::Facebook, day, 0, same)];
    assert_eq!(analytics::best_and_worst(&unassigned, this_week()), None);
}

#[test]
fn daily_csv_has_a_header_decimals_and_empty_rates() {
    let points = analytics::daily(&week().rows, period(date(2026, 3, 2), date(2026, 3, 3)));
    let csv = analytics::daily_csv(&points);
    assert_eq!(
        csv,
        "date,messages_received,messages_sent,messages_answered,conversations_started,leads,conversions,conversion_rate,revenue\r\n\
         2026-03-02,15,17,14,6,3,2,0.3333,100.00\r\n\
         2026-03-03,0,0,0,0,0,0,,0.00\r\n"
    );
    assert!(csv.starts_with(DAILY_HEADER));
}

#[test]
fn campaigns_csv_quotes_names_per_rfc_4180() {
    let Week { a, b, rows } = week();
    let lines = analytics::by_campaign(&rows, this_week());
    let names = |id: Option<CampaignId>| match id {
        Some(id) if id == a => "Shoes, red".to_owned(),
        Some(id) if id == b => "The \"Big\" sale".to_owned(),
        Some(_) => unreachable!("only A and B"),
        None => "No campaign".to_owned(),
    };
    let csv = analytics::campaigns_csv(&lines, &names);
    let expected = format!(
        "{CAMPAIGNS_HEADER}\r\n\
         {a},\"Shoes, red\",15,17,14,6,3,2,0.3333,100.00\r\n\
         {b},\"The \"\"Big\"\" sale\",8,8,6,3,2,0,0.0000,0.00\r\n\
         ,No campaign,2,2,2,1,0,0,0.0000,0.00\r\n"
    );
    assert_eq!(csv, expected);
}

#[test]
fn negative_revenue_keeps_its_sign() {
    let rows = [row(None, Platform::Facebook, date(2026, 3, 3), 0, m([0, 0, 0, 0, 0, 0, -1_205]))];
    let csv = analytics::daily_csv(&analytics::daily(&rows, Period::day(date(2026, 3, 3))));
    assert!(csv.ends_with(",-12.05\r\n"), "{csv}");
}

#[test]
fn periods_are_checked_with_a_clear_message() {
    let reversed = Period::new(date(2026, 3, 8), date(2026, 3, 2)).expect_err("reversed");
    assert_eq!(reversed, PeriodError::Reversed { from: date(2026, 3, 8), to: date(2026, 3, 2) });
    assert_eq!(reversed.to_string(), "the period starts on 2026-03-08, after it ends on 2026-03-02");

    // 2025-01-01 to 2026-01-02: 365 + 2 days.
    let long = Period::new(date(2025, 1, 1), date(2026, 1, 2)).expect_err("too long");
    assert_eq!(long.to_string(), "a period covers at most 366 days; 2025-01-01 to 2026-01-02 is 367 days");
    // A leap year is the longest: 2024 has 366 days.
    assert_eq!(period(date(2024, 1, 1), date(2024, 12, 31)).days(), 366);
    assert_eq!(Period::last_days(date(2026, 3, 8), 0), Err(PeriodError::NoDays));
    assert!(Period::last_days(date(2026, 3, 8), 367).is_err());
}

#[test]
fn period_arithmetic() {
    let today = date(2026, 3, 5); // a Thursday
    assert_eq!(this_week().days(), 7);
    assert_eq!(Period::day(today).days(), 1);
    assert_eq!(Period::last_days(today, 7), Ok(period(date(2026, 2, 27), today)));
    assert_eq!(Period::last_days(today, 1), Ok(Period::day(today)));
    assert_eq!(Period::this_week(today), period(date(2026, 3, 2), today));
    assert_eq!(Period::this_week(date(2026, 3, 2)), Period::day(date(2026, 3, 2)), "on a Monday");
    assert_eq!(Period::this_week(date(2026, 3, 8)), this_week(), "on a Sunday");
    assert_eq!(Period::last_week(today), period(date(2026, 2, 23), date(2026, 3, 1)));
    assert_eq!(Period::this_month(today), period(date(2026, 3, 1), today));
    assert_eq!(Period::last_month(today), period(date(2026, 2, 1), date(2026, 2, 28)));
    assert_eq!(Period::last_month(date(2024, 3, 31)), period(date(2024, 2, 1), date(2024, 2, 29)));
    assert_eq!(Period::last_month(date(2026, 1, 15)), period(date(2025, 12, 1), date(2025, 12, 31)));
    // The previous of a month is the same number of days, not the previous month.
    assert_eq!(Period::this_month(today).previous(), period(date(2026, 2, 24), date(2026, 2, 28)));
    assert_eq!(Period::day(date(2026, 3, 1)).previous(), Period::day(date(2026, 2, 28)));

    assert!(this_week().contains(date(2026, 3, 2)) && this_week().contains(date(2026, 3, 8)));
    assert!(!this_week().contains(date(2026, 3, 1)) && !this_week().contains(date(2026, 3, 9)));
    let query = this_week().query_with_previous(None, Some(Platform::Facebook));
    assert_eq!((query.from, query.to), (date(2026, 2, 23), date(2026, 3, 8)));
}

#[test]
fn periods_travel_as_json_and_are_checked_on_the_way_in() {
    let json = serde_json::to_string(&this_week()).expect("serializes");
    assert_eq!(json, r#"{"from":"2026-03-02","to":"2026-03-08"}"#);
    assert_eq!(serde_json::from_str::<Period>(&json).expect("parses"), this_week());
    let err =
        serde_json::from_str::<Period>(r#"{"from":"2026-03-08","to":"2026-03-02"}"#).expect_err("reversed");
    assert!(err.to_string().contains("after it ends"), "{err}");

    let summary = serde_json::to_value(Summary::of(&[], this_week())).expect("serializes");
    assert_eq!(summary["period"]["from"], "2026-03-02");
    assert_eq!(summary["response_rate"], serde_json::Value::Null);
}
