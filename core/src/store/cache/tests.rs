//! The cache against a real SQLite file, with a second handle on the same file playing
//! another `closerd` (its writes bypass this process's cache) and the truth to
//! compare with. The clock only moves when a test moves it, so anything remembered
//! too long shows.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use super::*;
use crate::ManualClock;
use crate::model::{Money, PasswordHash, SealedToken};
use crate::store::sqlite::SqliteStore;

struct Fixture {
    cached: Arc<CachedStore>,
    /// Another process's handle on the same file: the truth, and writes the cache
    /// does not hear of.
    other: Arc<dyn Store>,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

fn t0() -> Timestamp {
    Timestamp::parse("2026-11-20T09:15:00.000Z").unwrap()
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("closer.db");
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
        let other: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
        let clock = ManualClock::new(t0());
        let cached = Arc::new(CachedStore::with_clock(inner, Arc::new(clock.clone()), FRESH_FOR));
        Self { cached, other, clock, _dir: dir }
    }

    async fn user(&self, email: &str) -> User {
        let user = User::new(Email::parse(email).unwrap(), PasswordHash("$argon2id$test".into()), t0());
        self.cached.create_user(&user).await.unwrap();
        user
    }

    async fn campaign(&self, owner: UserId, name: &str) -> Campaign {
        let mut campaign = Campaign::draft(owner, name, Platform::Facebook, t0());
        campaign.product.name = format!("{name} product");
        campaign.product.price = Some(Money { amount_minor: 2_500, currency: "USD".into() });
        campaign.flow.greeting = "Hello!".into();
        self.cached.create_campaign(&campaign).await.unwrap();
        campaign
    }

    async fn activate(&self, campaign: &Campaign) -> Campaign {
        let mut campaign = self.cached.get_campaign(campaign.user_id, campaign.id).await.unwrap();
        campaign.status = CampaignStatus::Active;
        self.cached.update_campaign(&campaign).await.unwrap()
    }

    /// Every remembered read of these businesses and pages answers what the store
    /// holds now.
    async fn assert_exact(&self, tenants: &[UserId], pages: &[&str]) {
        let (cached, truth) = (&*self.cached, &*self.other);
        for &tenant in tenants {
            assert_eq!(cached.get_user(tenant).await.unwrap(), truth.get_user(tenant).await.unwrap());
            let statuses = [
                None,
                Some(CampaignStatus::Draft),
                Some(CampaignStatus::Active),
                Some(CampaignStatus::Paused),
                Some(CampaignStatus::Completed),
            ];
            for status in statuses {
                let campaigns = truth.list_campaigns(tenant, status).await.unwrap();
                assert_eq!(cached.list_campaigns(tenant, status).await.unwrap(), campaigns, "{status:?}");
                for campaign in campaigns {
                    assert_eq!(cached.get_campaign(tenant, campaign.id).await.unwrap(), campaign);
                }
            }
            for platform in Platform::ALL {
                assert_eq!(
                    cached.default_campaign(tenant, platform).await.unwrap(),
                    truth.default_campaign(tenant, platform).await.unwrap(),
                    "{platform}'s default"
                );
            }
            let integrations = truth.list_integrations(tenant).await.unwrap();
            assert_eq!(cached.list_integrations(tenant).await.unwrap(), integrations);
            for integration in integrations {
                assert_eq!(cached.get_integration(tenant, integration.id).await.unwrap(), integration);
            }
            assert_eq!(
                cached.list_documents(tenant).await.unwrap(),
                truth.list_documents(tenant).await.unwrap()
            );
            assert_eq!(
                cached.knowledge_status(tenant).await.unwrap(),
                truth.knowledge_status(tenant).await.unwrap()
            );
        }
        for page in pages {
            assert_eq!(
                cached.find_integration_by_page(Platform::Facebook, page).await.unwrap(),
                truth.find_integration_by_page(Platform::Facebook, page).await.unwrap(),
                "page {page}"
            );
        }
    }
}

fn integration(owner: UserId, page: &str) -> Integration {
    Integration {
        id: IntegrationId::new(),
        user_id: owner,
        platform: Platform::Facebook,
        page_id: page.into(),
        page_name: format!("Page {page}"),
        token: SealedToken("sealed".into()),
        status: IntegrationStatus::Connected,
        connected_at: t0(),
        updated_at: t0(),
    }
}

fn document(owner: UserId, name: &str) -> Document {
    Document {
        id: DocumentId::new(),
        user_id: owner,
        filename: name.into(),
        content_type: "text/markdown".into(),
        content: format!("# {name}"),
        uploaded_at: t0(),
    }
}

fn training(owner: UserId, fingerprint: &str) -> Training {
    Training {
        user_id: owner,
        trained_at: t0(),
        fingerprint: fingerprint.into(),
        documents: 1,
        campaigns: 2,
        passages: 3,
        duration_ms: 4,
    }
}

fn one(field: &str) -> CampaignStats {
    let mut stats = CampaignStats::default();
    match field {
        "conversations" => stats.conversations = 1,
        "leads" => stats.leads = 1,
        _ => stats.revenue_minor = 1_250,
    }
    stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_through_the_cache_is_seen_by_the_next_read() {
    let f = Fixture::new().await;
    let (ana, bob) = (f.user("ana@bakery.example").await, f.user("bob@shop.example").await);
    let tenants = [ana.id, bob.id];
    let pages = ["P1", "P2"];
    f.assert_exact(&tenants, &pages).await;

    let mut renamed = ana.clone();
    renamed.business.business_name = "Ana's Bakery".into();
    f.cached.update_user(&renamed).await.unwrap();
    f.assert_exact(&tenants, &pages).await;

    let (bread, cake, pie) = (
        f.campaign(ana.id, "Bread").await,
        f.campaign(ana.id, "Cake").await,
        f.campaign(ana.id, "Pie").await,
    );
    f.assert_exact(&tenants, &pages).await;
    let mut edit = f.cached.get_campaign(ana.id, bread.id).await.unwrap();
    edit.name = "Sourdough".into();
    let edited = f.cached.update_campaign(&edit).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    // A write that fails changes nothing, and is no reason to serve what it replaced.
    let stale = f.cached.update_campaign(&edit).await.unwrap_err();
    assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
    assert_eq!(f.cached.get_campaign(ana.id, bread.id).await.unwrap(), edited);

    let (bread, cake) = (f.activate(&bread).await, f.activate(&cake).await);
    f.assert_exact(&tenants, &pages).await;
    f.cached.set_default_campaign(ana.id, bread.id, t0()).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    // Two campaigns change: the new default, and the one that loses the mark.
    f.cached.set_default_campaign(ana.id, cake.id, t0()).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    assert_eq!(f.cached.default_campaign(ana.id, Platform::Facebook).await.unwrap().unwrap().id, cake.id);
    for field in ["conversations", "leads", "revenue"] {
        f.cached.add_campaign_stats(ana.id, cake.id, &one(field)).await.unwrap();
        f.assert_exact(&tenants, &pages).await;
    }
    let missing = f.cached.add_campaign_stats(bob.id, cake.id, &one("leads")).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { .. }), "another business's campaign: {missing:?}");
    f.cached.delete_campaign(ana.id, pie.id).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    let gone = f.cached.get_campaign(ana.id, pie.id).await.unwrap_err();
    assert!(matches!(gone, StoreError::NotFound { what: "campaign" }), "{gone:?}");

    let page = f.cached.upsert_integration(&integration(ana.id, "P1")).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    f.cached.upsert_integration(&integration(ana.id, "P2")).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    f.cached.set_integration_status(ana.id, page.id, IntegrationStatus::Disconnected, t0()).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    // Ana let P1 go; Bob connects it: both businesses' lists and the page change.
    f.cached.upsert_integration(&integration(bob.id, "P1")).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    let routed = f.cached.find_integration_by_page(Platform::Facebook, "P1").await.unwrap().unwrap();
    assert_eq!(routed.user_id, bob.id);

    let menu = document(ana.id, "menu.md");
    f.cached.add_document(&menu).await.unwrap();
    f.cached.add_document(&document(ana.id, "hours.md")).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    f.cached.delete_document(ana.id, menu.id).await.unwrap();
    f.assert_exact(&tenants, &pages).await;

    f.cached.record_training(&training(ana.id, "first")).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
    f.cached.record_training(&training(ana.id, "second")).await.unwrap();
    f.assert_exact(&tenants, &pages).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_s_writes_show_once_the_entries_expire() {
    let f = Fixture::new().await;
    let ana = f.user("ana@bakery.example").await;
    let bread = f.campaign(ana.id, "Bread").await;
    f.cached.upsert_integration(&integration(ana.id, "P1")).await.unwrap();
    f.cached.record_training(&training(ana.id, "first")).await.unwrap();
    f.assert_exact(&[ana.id], &["P1", "P9"]).await; // remembered now, unknown page included

    let mut renamed = ana.clone();
    renamed.business.business_name = "Elsewhere".into();
    f.other.update_user(&renamed).await.unwrap();
    let mut edit = bread.clone();
    edit.name = "Edited elsewhere".into();
    f.other.update_campaign(&edit).await.unwrap();
    f.other.upsert_integration(&integration(ana.id, "P9")).await.unwrap();
    f.other.add_document(&document(ana.id, "menu.md")).await.unwrap();
    f.other.record_training(&training(ana.id, "second")).await.unwrap();

    f.clock.advance(FRESH_FOR.checked_sub(Duration::from_millis(1)).unwrap());
    let c = &f.cached;
    assert_eq!(c.get_user(ana.id).await.unwrap().business.business_name, "");
    assert_eq!(c.get_campaign(ana.id, bread.id).await.unwrap().name, "Bread");
    assert_eq!(c.list_integrations(ana.id).await.unwrap().len(), 1);
    assert_eq!(c.find_integration_by_page(Platform::Facebook, "P9").await.unwrap(), None);
    assert!(c.list_documents(ana.id).await.unwrap().is_empty());
    assert_eq!(c.knowledge_status(ana.id).await.unwrap().unwrap().fingerprint, "first");

    f.clock.advance(Duration::from_millis(1));
    f.assert_exact(&[ana.id], &["P1", "P9"]).await;
    assert_eq!(c.get_campaign(ana.id, bread.id).await.unwrap().name, "Edited elsewhere");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_are_added_to_the_remembered_campaigns_which_stay_remembered() {
    let f = Fixture::new().await;
    let ana = f.user("ana@bakery.example").await;
    let bread = f.campaign(ana.id, "Bread").await;
    f.assert_exact(&[ana.id], &[]).await;
    let mut edit = bread.clone();
    edit.name = "Edited elsewhere".into();
    f.other.update_campaign(&edit).await.unwrap();

    f.cached.add_campaign_stats(ana.id, bread.id, &one("conversations")).await.unwrap();
    f.cached.add_campaign_stats(ana.id, bread.id, &one("leads")).await.unwrap();
    let seen = f.cached.get_campaign(ana.id, bread.id).await.unwrap();
    assert_eq!((seen.stats.conversations, seen.stats.leads), (1, 1), "the stats are this process's");
    assert_eq!(seen.name, "Bread", "still the remembered list: not read again");
    f.clock.advance(FRESH_FOR);
    f.assert_exact(&[ana.id], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_list_is_the_same_until_anything_changes() {
    let f = Fixture::new().await;
    let ana = f.user("ana@bakery.example").await;
    let bread = f.campaign(ana.id, "Bread").await;
    let c = &f.cached;
    let first = c.shared_campaigns(ana.id).await.unwrap();
    assert!(Arc::ptr_eq(&first, &c.shared_campaigns(ana.id).await.unwrap()), "remembered");

    c.add_campaign_stats(ana.id, bread.id, &one("leads")).await.unwrap();
    let counted = c.shared_campaigns(ana.id).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &counted), "stats make a new list");
    assert_eq!((first[0].stats.leads, counted[0].stats.leads), (0, 1), "the old one is untouched");

    f.activate(&bread).await;
    assert!(!Arc::ptr_eq(&counted, &c.shared_campaigns(ana.id).await.unwrap()), "an edit too");
    let remembered = c.shared_campaigns(ana.id).await.unwrap();
    f.clock.advance(FRESH_FOR);
    assert!(!Arc::ptr_eq(&remembered, &c.shared_campaigns(ana.id).await.unwrap()), "and expiry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_overtaken_by_a_write_is_not_remembered() {
    let f = Fixture::new().await;
    let ana = f.user("ana@bakery.example").await;
    let bread = f.campaign(ana.id, "Bread").await;
    let c = &*f.cached;

    // The read gets its answer, then a write lands, then the read comes back.
    let read = || async {
        let before = c.inner.list_campaigns(ana.id, None).await?;
        let mut edit = bread.clone();
        edit.name = "Sourdough".into();
        c.update_campaign(&edit).await?;
        Ok(Arc::new(before))
    };
    let answered = c.remembered(&c.campaigns, ana.id, read).await.unwrap();
    assert_eq!(answered[0].name, "Bread", "the read's own answer is what it read");
    assert_eq!(c.get_campaign(ana.id, bread.id).await.unwrap().name, "Sourdough", "but it was not kept");

    // The same with the write that updates the remembered list in place.
    f.clock.advance(FRESH_FOR);
    let read = || async {
        let before = c.inner.list_campaigns(ana.id, None).await?;
        c.add_campaign_stats(ana.id, bread.id, &one("leads")).await?;
        Ok(Arc::new(before))
    };
    c.remembered(&c.campaigns, ana.id, read).await.unwrap();
    assert_eq!(c.get_campaign(ana.id, bread.id).await.unwrap().stats.leads, 1);
    f.assert_exact(&[ana.id], &[]).await;

    // A read between a stats write's store call and its end sees the delta already:
    // were it remembered, the end would add the delta a second time.
    f.clock.advance(FRESH_FOR);
    let writing = c.campaigns.update(ana.id);
    c.inner.add_campaign_stats(ana.id, bread.id, &one("leads")).await.unwrap();
    assert_eq!(c.get_campaign(ana.id, bread.id).await.unwrap().stats.leads, 2);
    writing.apply(|campaigns| add_stats(campaigns, bread.id, &one("leads")));
    assert_eq!(c.get_campaign(ana.id, bread.id).await.unwrap().stats.leads, 2);
    f.assert_exact(&[ana.id], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_stats_reads_and_expiries_end_exact() {
    let f = Fixture::new().await;
    let ana = f.user("ana@bakery.example").await;
    let bread = f.campaign(ana.id, "Bread").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let cached = Arc::clone(&f.cached);
        tasks.spawn(async move {
            for _ in 0..25 {
                cached.add_campaign_stats(ana.id, bread.id, &one("conversations")).await.unwrap();
            }
        });
        let cached = Arc::clone(&f.cached);
        tasks.spawn(async move {
            for _ in 0..50 {
                cached.list_campaigns(ana.id, None).await.unwrap();
            }
        });
    }
    let clock = f.clock.clone();
    tasks.spawn(async move {
        for _ in 0..20 {
            clock.advance(FRESH_FOR);
            tokio::task::yield_now().await;
        }
    });
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    assert_eq!(f.cached.get_campaign(ana.id, bread.id).await.unwrap().stats.conversations, 100);
    f.assert_exact(&[ana.id], &[]).await;
}
