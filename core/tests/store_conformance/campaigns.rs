//! Campaigns: storage, optimistic updates, deletion rules, the default per platform.

use std::sync::Arc;

use closer_core::model::{CampaignStats, CampaignStatus, Platform, Transition};
use closer_core::store::{Store, StoreError};

use crate::fixtures::{at, campaign, user};

pub async fn campaigns_round_trip_and_filter_by_status(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let draft = campaign(ana.id, "Draft");
    let mut live = campaign(ana.id, "Live");
    live.transition(Transition::Activate, at(1)).expect("activate");
    store.create_campaign(&draft).await.expect("create");
    store.create_campaign(&live).await.expect("create");

    assert_eq!(store.get_campaign(ana.id, live.id).await.expect("get"), live);
    let all = store.list_campaigns(ana.id, None).await.expect("list");
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), [live.id, draft.id], "newest first");
    let active = store.list_campaigns(ana.id, Some(CampaignStatus::Active)).await.expect("list");
    assert_eq!(active, vec![live]);

    let mut invalid = campaign(ana.id, "Bad");
    invalid.product.price.as_mut().expect("priced").amount_minor = -1;
    assert!(matches!(store.create_campaign(&invalid).await, Err(StoreError::Invalid(_))));
    assert!(matches!(store.get_campaign(ana.id, invalid.id).await, Err(StoreError::NotFound { .. })));
}

pub async fn updates_are_optimistic_and_keep_stats_and_default(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let mut c = campaign(ana.id, "Cases");
    c.transition(Transition::Activate, at(1)).expect("activate");
    store.create_campaign(&c).await.expect("create");
    store.set_default_campaign(ana.id, c.id, at(2)).await.expect("default");
    let delta = CampaignStats { conversations: 3, leads: 2, conversions: 1, revenue_minor: 2_500 };
    store.add_campaign_stats(ana.id, c.id, &delta).await.expect("stats");

    // An editor holding the version it read.
    let mut edit = c.clone();
    edit.product.features = vec!["Shockproof".into()];
    let saved = store.update_campaign(&edit).await.expect("update");
    assert_eq!(saved.version, c.version + 1);
    assert_eq!(saved.stats, delta, "an edit does not reset the numbers");
    assert!(saved.is_default, "an edit keeps the default mark");
    assert_eq!(store.get_campaign(ana.id, c.id).await.expect("get"), saved);

    // A second editor with the old version loses, and changes nothing.
    let mut stale = c.clone();
    stale.name = "Overwritten".into();
    let err = store.update_campaign(&stale).await.expect_err("stale");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.get_campaign(ana.id, c.id).await.expect("get").name, "Cases");
}

pub async fn only_drafts_can_be_deleted(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let draft = campaign(ana.id, "Draft");
    let mut live = campaign(ana.id, "Live");
    live.transition(Transition::Activate, at(1)).expect("activate");
    store.create_campaign(&draft).await.expect("create");
    store.create_campaign(&live).await.expect("create");

    let err = store.delete_campaign(ana.id, live.id).await.expect_err("active");
    assert!(matches!(&err, StoreError::Conflict(m) if m.contains("active")), "{err:?}");
    assert_eq!(store.get_campaign(ana.id, live.id).await.expect("still there"), live);
    store.delete_campaign(ana.id, draft.id).await.expect("draft goes");
    assert!(matches!(store.get_campaign(ana.id, draft.id).await, Err(StoreError::NotFound { .. })));
}

pub async fn one_default_per_platform(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let mut first = campaign(ana.id, "First");
    let mut second = campaign(ana.id, "Second");
    let mut sandbox = campaign(ana.id, "Sandbox");
    sandbox.platform = Platform::Sandbox;
    let draft = campaign(ana.id, "Draft");
    for c in [&mut first, &mut second, &mut sandbox] {
        c.transition(Transition::Activate, at(1)).expect("activate");
        store.create_campaign(c).await.expect("create");
    }
    store.create_campaign(&draft).await.expect("create");

    assert_eq!(store.default_campaign(ana.id, Platform::Facebook).await.expect("default"), None);
    let err = store.set_default_campaign(ana.id, draft.id, at(2)).await.expect_err("draft");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    store.set_default_campaign(ana.id, first.id, at(2)).await.expect("first");
    store.set_default_campaign(ana.id, sandbox.id, at(2)).await.expect("sandbox");
    let now_default = store.set_default_campaign(ana.id, second.id, at(3)).await.expect("second");
    assert!(now_default.is_default);
    let fb = store.default_campaign(ana.id, Platform::Facebook).await.expect("default").expect("set");
    assert_eq!(fb.id, second.id);
    assert!(
        !store.get_campaign(ana.id, first.id).await.expect("get").is_default,
        "the old default is unmarked"
    );
    let sb = store.default_campaign(ana.id, Platform::Sandbox).await.expect("default").expect("set");
    assert_eq!(sb.id, sandbox.id, "other platforms keep theirs");

    // Pausing the default through an update drops the mark.
    let mut paused = store.get_campaign(ana.id, second.id).await.expect("get");
    paused.transition(Transition::Pause, at(4)).expect("pause");
    store.update_campaign(&paused).await.expect("update");
    assert_eq!(store.default_campaign(ana.id, Platform::Facebook).await.expect("default"), None);
}

pub async fn campaign_stats_add_up_under_concurrency(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let c = campaign(ana.id, "Busy");
    store.create_campaign(&c).await.expect("create");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let one = CampaignStats { conversations: 1, leads: 1, conversions: 0, revenue_minor: 10 };
                store.add_campaign_stats(ana.id, c.id, &one).await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("add");
    }
    let stats = store.get_campaign(ana.id, c.id).await.expect("get").stats;
    assert_eq!(stats, CampaignStats { conversations: 50, leads: 50, conversions: 0, revenue_minor: 500 });
}
