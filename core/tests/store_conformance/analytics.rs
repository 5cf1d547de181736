//! Analytics: atomic increments by day and hour, and range queries.

use std::sync::Arc;

use chrono::NaiveDate;
use closer_core::model::{AnalyticsQuery, CampaignId, Metrics, Platform};
use closer_core::store::Store;

use crate::fixtures::{at, t0, user};

fn date(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

pub async fn increments_land_in_their_day_and_hour(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let campaign = Some(CampaignId::new());
    let received = Metrics { messages_received: 1, ..Metrics::default() };
    let sale = Metrics { messages_answered: 1, conversions: 1, revenue_minor: 4_990, ..Metrics::default() };
    // t0 is 2026-11-20 09:15 UTC.
    store.record_analytics(ana.id, campaign, Platform::Facebook, t0(), &received).await.expect("record");
    store.record_analytics(ana.id, campaign, Platform::Facebook, at(60), &received).await.expect("record");
    store.record_analytics(ana.id, campaign, Platform::Facebook, at(3_600), &sale).await.expect("record");
    store
        .record_analytics(ana.id, campaign, Platform::Facebook, at(86_400), &received)
        .await
        .expect("record");

    let query = AnalyticsQuery {
        from: date("2026-11-20"),
        to: date("2026-11-21"),
        campaign_id: None,
        platform: None,
    };
    let days = store.analytics(ana.id, &query).await.expect("query");
    assert_eq!(days.len(), 2);
    let (first, second) = (&days[0], &days[1]);
    assert_eq!(
        (first.date, first.campaign_id, first.platform),
        (date("2026-11-20"), campaign, Platform::Facebook)
    );
    assert_eq!(
        first.totals,
        Metrics {
            messages_received: 2,
            messages_answered: 1,
            conversions: 1,
            revenue_minor: 4_990,
            ..Metrics::default()
        }
    );
    assert_eq!(first.hourly[9], Metrics { messages_received: 2, ..Metrics::default() });
    assert_eq!(first.hourly[10], sale);
    assert!(first.hourly.iter().enumerate().all(|(h, m)| h == 9 || h == 10 || m.is_zero()));
    assert_eq!(second.date, date("2026-11-21"));
    assert_eq!(second.totals, received);
    assert_eq!(second.hourly[9], received);
}

pub async fn concurrent_increments_are_all_counted(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let one = Metrics { messages_sent: 1, revenue_minor: 3, ..Metrics::default() };
    let tasks: Vec<_> = (0..1_000u64)
        .map(|i| {
            let store = Arc::clone(&store);
            // Spread over two hours of the same day.
            tokio::spawn(async move {
                store.record_analytics(ana.id, None, Platform::Sandbox, at(i * 7), &one).await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("record");
    }
    let query = AnalyticsQuery {
        from: date("2026-11-20"),
        to: date("2026-11-20"),
        campaign_id: None,
        platform: None,
    };
    let days = store.analytics(ana.id, &query).await.expect("query");
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].totals, Metrics { messages_sent: 1_000, revenue_minor: 3_000, ..Metrics::default() });
    let by_hours: i64 = days[0].hourly.iter().map(|m| m.messages_sent).sum();
    assert_eq!(by_hours, 1_000);
    assert_eq!(days[0].campaign_id, None);
}

pub async fn queries_filter_by_range_campaign_and_platform(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let bob = user(&*store, "bob@shop.example").await;
    let (a, b) = (CampaignId::new(), CampaignId::new());
    let lead = Metrics { leads: 1, ..Metrics::default() };
    for (campaign, platform, day) in [
        (Some(a), Platform::Facebook, 0),
        (Some(b), Platform::Facebook, 0),
        (Some(a), Platform::Sandbox, 0),
        (Some(a), Platform::Facebook, 1),
        (Some(a), Platform::Facebook, 5),
    ] {
        store.record_analytics(ana.id, campaign, platform, at(day * 86_400), &lead).await.expect("record");
    }
    store.record_analytics(bob.id, Some(a), Platform::Facebook, t0(), &lead).await.expect("bob's");

    let range = |from: &str, to: &str| AnalyticsQuery {
        from: date(from),
        to: date(to),
        campaign_id: None,
        platform: None,
    };
    let all = store.analytics(ana.id, &range("2026-11-20", "2026-11-25")).await.expect("all");
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].date <= w[1].date), "by date");
    let total: i64 = all.iter().map(|d| d.totals.leads).sum();
    assert_eq!(total, 5, "bob's lead is not ana's");

    let two_days = store.analytics(ana.id, &range("2026-11-20", "2026-11-21")).await.expect("range");
    assert_eq!(two_days.len(), 4, "both ends inclusive, day 5 outside");
    let only_a = AnalyticsQuery { campaign_id: Some(a), ..range("2026-11-20", "2026-11-25") };
    assert_eq!(store.analytics(ana.id, &only_a).await.expect("a").len(), 4);
    let a_on_facebook = AnalyticsQuery { platform: Some(Platform::Facebook), ..only_a };
    let rows = store.analytics(ana.id, &a_on_facebook).await.expect("a on facebook");
    assert_eq!(
        rows.iter().map(|d| d.date).collect::<Vec<_>>(),
        [date("2026-11-20"), date("2026-11-21"), date("2026-11-25")]
    );
    assert!(store.analytics(ana.id, &range("2026-12-01", "2026-12-31")).await.expect("empty").is_empty());
}
