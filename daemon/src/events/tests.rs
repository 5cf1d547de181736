//! The hub on its own: numbering, replay, lag, forgetting and shutdown.

#![allow(clippy::unwrap_used)]

use closer_core::ManualClock;
use closer_core::model::CampaignId;
use serde_json::Value;

use super::*;

fn clock() -> ManualClock {
    ManualClock::new(Timestamp::parse("2026-11-20T09:00:00.000Z").unwrap())
}

fn hub(limits: HubLimits) -> EventHub {
    EventHub::with_limits(Arc::new(clock()), limits)
}

fn deleted() -> Event {
    Event::CampaignDeleted { campaign_id: CampaignId::new() }
}

fn parse(frame: &Frame) -> Value {
    let value: Value = serde_json::from_str(frame.json.as_str()).unwrap();
    assert_eq!(value["seq"], frame.seq, "{value}");
    value
}

/// Everything already queued for `subscription`, without waiting.
async fn drain(subscription: &mut Subscription) -> Vec<Frame> {
    let mut frames = Vec::new();
    while let Ok(Ok(frame)) = tokio::time::timeout(Duration::from_millis(20), subscription.recv()).await {
        frames.push(frame);
    }
    frames
}

#[tokio::test]
async fn each_business_has_its_own_increasing_sequence() {
    let hub = hub(HubLimits::default());
    let (ana, bo) = (UserId::new(), UserId::new());
    let before = unix_micros();
    let a1 = hub.publish(ana, deleted());
    let a2 = hub.publish(ana, deleted());
    let b1 = hub.publish(bo, deleted());
    assert_eq!(a2, a1 + 1);
    assert!(a1 > before && b1 > before, "numbering starts from the daemon's start time");
    assert_eq!(hub.publish(bo, deleted()), b1 + 1);
}

#[tokio::test]
async fn a_subscriber_gets_only_its_business_with_the_clock_time() {
    let hub = hub(HubLimits::default());
    let (ana, bo) = (UserId::new(), UserId::new());
    let mut subscription = hub.subscribe(ana, None);
    let seq = hub.publish(ana, deleted());
    hub.publish(bo, deleted());
    let frames = drain(&mut subscription).await;
    assert_eq!(frames.len(), 1);
    let value = parse(&frames[0]);
    assert_eq!((frames[0].seq, value["type"].as_str()), (seq, Some("campaign.deleted")));
    assert_eq!(value["at"], "2026-11-20T09:00:00.000Z");
}

#[tokio::test]
async fn a_reconnect_gets_exactly_what_it_missed_then_live_events() {
    let hub = hub(HubLimits::default());
    let ana = UserId::new();
    let seqs: Vec<u64> = (0..5).map(|_| hub.publish(ana, deleted())).collect();
    let mut subscription = hub.subscribe(ana, Some(seqs[1]));
    let live = hub.publish(ana, deleted());
    let got: Vec<u64> = drain(&mut subscription).await.iter().map(|f| f.seq).collect();
    assert_eq!(got, [seqs[2], seqs[3], seqs[4], live]);

    let mut up_to_date = hub.subscribe(ana, Some(live));
    assert!(drain(&mut up_to_date).await.is_empty());

    // Without waiting: the missed ones, then the live ones, then nothing.
    let mut batch = hub.subscribe(ana, Some(seqs[3]));
    let later = hub.publish(ana, deleted());
    let got: Vec<u64> = std::iter::from_fn(|| batch.try_recv()).map(|next| next.unwrap().seq).collect();
    assert_eq!(got, [seqs[4], live, later]);
}

#[tokio::test]
async fn a_last_seq_out_of_reach_gets_a_resync_numbered_as_the_latest() {
    let hub = hub(HubLimits { replay_events: 3, ..HubLimits::default() });
    let ana = UserId::new();
    let seqs: Vec<u64> = (0..5).map(|_| hub.publish(ana, deleted())).collect();
    for (last_seq, reason) in [(seqs[0], "too_old"), (1, "too_old"), (seqs[4] + 7, "unknown")] {
        let mut subscription = hub.subscribe(ana, Some(last_seq));
        let frames = drain(&mut subscription).await;
        assert_eq!(frames.len(), 1, "{last_seq}");
        let value = parse(&frames[0]);
        assert_eq!((value["type"].as_str(), value["reason"].as_str()), (Some("resync"), Some(reason)));
        assert_eq!(frames[0].seq, seqs[4]);
    }
    // The oldest kept one is still replayable.
    let mut subscription = hub.subscribe(ana, Some(seqs[1]));
    assert_eq!(drain(&mut subscription).await.len(), 3);
}

#[tokio::test]
async fn the_replay_buffer_is_bounded_in_bytes_too() {
    let hub = hub(HubLimits { replay_bytes: 1_000, ..HubLimits::default() });
    let ana = UserId::new();
    for _ in 0..100 {
        hub.publish(ana, deleted());
    }
    hub.with_channel(ana, |channel| {
        assert!(channel.replay_bytes <= 1_000 && channel.replay.len() < 100, "{}", channel.replay.len());
        assert_eq!(channel.replay_bytes, channel.replay.iter().map(|f| f.json.len()).sum::<usize>());
    });
    let huge =
        Event::HandoffRequested { chat_id: closer_core::model::ChatId::new(), reason: "x".repeat(5_000) };
    let seq = hub.publish(ana, huge);
    hub.with_channel(ana, |channel| {
        assert_eq!(channel.replay.iter().map(|f| f.seq).collect::<Vec<_>>(), [seq], "the latest stays");
    });
}

#[tokio::test]
async fn a_subscriber_that_does_not_keep_up_lags_and_publishing_never_waits() {
    let hub = hub(HubLimits { lag_events: 8, ..HubLimits::default() });
    let ana = UserId::new();
    let mut slow = hub.subscribe(ana, None);
    let started = Instant::now();
    for _ in 0..10_000 {
        hub.publish(ana, deleted());
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(slow.recv().await, Err(Ended::Lagged { missed }) if missed > 0));
}

#[tokio::test]
async fn idle_businesses_are_forgotten_and_their_old_numbers_resync() {
    let hub = hub(HubLimits { forget_after: Duration::ZERO, ..HubLimits::default() });
    let (ana, bo) = (UserId::new(), UserId::new());
    let old = hub.publish(ana, deleted());
    let listening = hub.subscribe(bo, None);
    let bo_seq = hub.publish(bo, deleted());
    // Ana has no subscriber: the next sweep forgets her; Bo's subscriber keeps his.
    let carol = hub.publish(UserId::new(), deleted());
    assert!(carol > 0);
    let channels = hub.channels.read().unwrap().keys().copied().collect::<Vec<_>>();
    assert!(!channels.contains(&ana) && channels.contains(&bo), "{channels:?}");

    let mut back = hub.subscribe(ana, Some(old));
    let frames = drain(&mut back).await;
    assert_eq!(parse(&frames[0])["reason"], "too_old");
    assert!(hub.publish(ana, deleted()) > old, "numbering never goes back");
    assert_eq!(hub.publish(bo, deleted()), bo_seq + 1);
    drop(listening);
}

#[tokio::test]
async fn shutting_down_ends_every_subscription_and_closed_waits_for_them() {
    let hub = Arc::new(hub(HubLimits::default()));
    let ana = UserId::new();
    let mut first = hub.subscribe(ana, None);
    let second = hub.subscribe(ana, None);
    assert_eq!(hub.connected(), 2);
    hub.shut_down();
    assert_eq!(first.recv().await.unwrap_err(), Ended::ShuttingDown);
    let mut late = hub.subscribe(ana, None);
    assert_eq!(late.recv().await.unwrap_err(), Ended::ShuttingDown);

    let closed = tokio::spawn({
        let hub = Arc::clone(&hub);
        async move { hub.closed().await }
    });
    drop((first, second));
    tokio::task::yield_now().await;
    assert!(!closed.is_finished(), "one subscription is left");
    drop(late);
    tokio::time::timeout(Duration::from_secs(1), closed).await.unwrap().unwrap();
    assert_eq!(hub.connected(), 0);
}
