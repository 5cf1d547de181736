//! The inbox: idempotent enqueue and conversation leases.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use closer_core::model::{Enqueued, InboxStatus, NewInboxEvent, Platform, Timestamp, UserId};
use closer_core::store::{Store, StoreError};

use crate::fixtures::{at, t0};

const LEASE: Duration = Duration::from_secs(30);

fn event(key: &str, conversation: &str, occurred_at: Timestamp) -> NewInboxEvent {
    NewInboxEvent {
        key: format!("facebook:{key}"),
        user_id: UserId::from(uuid::Uuid::nil()),
        platform: Platform::Facebook,
        conversation: conversation.into(),
        occurred_at,
        payload: serde_json::json!({ "mid": key, "text": "héllo 👋" }),
        received_at: t0(),
    }
}

fn keys(claim: &closer_core::model::InboxClaim) -> Vec<&str> {
    claim.events.iter().map(|e| e.key.trim_start_matches("facebook:")).collect()
}

pub async fn enqueue_is_idempotent(store: Arc<dyn Store>) {
    let e = event("m_1", "page:psid", t0());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (store, e) = (Arc::clone(&store), e.clone());
            tokio::spawn(async move { store.inbox_enqueue(&e).await })
        })
        .collect();
    let mut new = 0;
    for task in tasks {
        new += usize::from(task.await.expect("join").expect("enqueue") == Enqueued::New);
    }
    assert_eq!(new, 1, "ten deliveries, one event");
    let stored = store.inbox_get(&e.key).await.expect("stored");
    assert_eq!((stored.status, stored.attempts, &stored.payload), (InboxStatus::Pending, 0, &e.payload));

    let claim = store.inbox_claim("w1", at(1), LEASE, 10).await.expect("claim").expect("work");
    assert_eq!(keys(&claim), ["m_1"]);
    store.inbox_complete(claim.lease, &e.key).await.expect("done");
    store.inbox_release(claim.lease).await.expect("release");
    // A redelivery after it was handled is still a duplicate, not new work.
    assert_eq!(store.inbox_enqueue(&e).await.expect("enqueue"), Enqueued::Duplicate);
    assert!(store.inbox_claim("w1", at(2), LEASE, 10).await.expect("claim").is_none());
    assert_eq!(store.inbox_get(&e.key).await.expect("stored").status, InboxStatus::Done);
    assert!(matches!(store.inbox_get("facebook:nope").await, Err(StoreError::NotFound { .. })));
}

/// A webhook burst: many events at once, some delivered twice, each answered for
/// itself (the embedded store writes a burst in one transaction).
pub async fn a_burst_of_enqueues_keeps_every_event_once(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..300)
        .map(|n| {
            // Events 0-199, the first 100 of them delivered twice.
            let e = event(&format!("m_{}", n % 200), &format!("page:psid-{}", n % 7), at(n % 200));
            let store = Arc::clone(&store);
            tokio::spawn(async move { (e.key.clone(), store.inbox_enqueue(&e).await) })
        })
        .collect();
    let mut new = HashSet::new();
    let mut duplicates = 0;
    for task in tasks {
        let (key, outcome) = task.await.expect("join");
        match outcome.expect("enqueue") {
            Enqueued::New => assert!(new.insert(key.clone()), "{key} was new twice"),
            Enqueued::Duplicate => duplicates += 1,
        }
    }
    assert_eq!((new.len(), duplicates), (200, 100));
    for n in 0..200 {
        let stored = store.inbox_get(&format!("facebook:m_{n}")).await.expect("every event is stored");
        assert_eq!(stored.status, InboxStatus::Pending);
    }
}

/// One customer's flood, its conversation held by a worker, must not hide another
/// customer who wrote after it.
pub async fn a_flood_in_one_conversation_does_not_hide_the_others(store: Arc<dyn Store>) {
    for n in 0..300 {
        let e = event(&format!("flood_{n:03}"), "page:flood", at(n));
        store.inbox_enqueue(&e).await.expect("enqueue");
    }
    store.inbox_enqueue(&event("other_1", "page:other", at(400))).await.expect("enqueue");
    let first = store.inbox_claim("w1", at(500), LEASE, 25).await.expect("claim").expect("work");
    assert_eq!(first.conversation, "page:flood", "the oldest waiting conversation first");
    assert_eq!(first.events.len(), 25);
    let second =
        store.inbox_claim("w2", at(500), LEASE, 25).await.expect("claim").expect("the other customer");
    assert_eq!(
        (second.conversation.as_str(), keys(&second).as_slice()),
        ("page:other", ["other_1"].as_slice())
    );
    assert!(store.inbox_claim("w3", at(500), LEASE, 25).await.expect("claim").is_none(), "both are held");
}

pub async fn a_claim_takes_one_conversation_in_order(store: Arc<dyn Store>) {
    // Arrival order differs from the platform's timestamps.
    for (key, conversation, second) in
        [("b3", "b", 3), ("a2", "a", 2), ("b1", "b", 1), ("a5", "a", 5), ("b4", "b", 4)]
    {
        store.inbox_enqueue(&event(key, conversation, at(second))).await.expect("enqueue");
    }
    let first = store.inbox_claim("w1", at(10), LEASE, 10).await.expect("claim").expect("work");
    assert_eq!(
        (first.conversation.as_str(), keys(&first)),
        ("b", vec!["b1", "b3", "b4"]),
        "oldest first, in order"
    );
    assert_eq!(first.owner, "w1");
    assert_eq!(first.lease_until, at(10) + LEASE);
    assert!(first.events.iter().all(|e| e.attempts == 1 && e.status == InboxStatus::Leased));

    // Events arriving for a held conversation wait for its worker.
    store.inbox_enqueue(&event("b6", "b", at(6))).await.expect("enqueue");
    let second = store.inbox_claim("w2", at(11), LEASE, 10).await.expect("claim").expect("work");
    assert_eq!((second.conversation.as_str(), keys(&second)), ("a", vec!["a2", "a5"]));
    assert!(store.inbox_claim("w3", at(12), LEASE, 10).await.expect("claim").is_none(), "both are held");

    for e in &first.events {
        store.inbox_complete(first.lease, &e.key).await.expect("complete");
    }
    // Completing the last event ended the lease: no release needed.
    let burst = store.inbox_claim("w3", at(13), LEASE, 10).await.expect("claim").expect("the late one");
    assert_eq!(keys(&burst), ["b6"]);

    // `max_events` bounds a claim.
    for i in 0..5 {
        store.inbox_enqueue(&event(&format!("c{i}"), "c", at(20 + i))).await.expect("enqueue");
    }
    let bounded = store.inbox_claim("w4", at(30), LEASE, 2).await.expect("claim").expect("work");
    assert_eq!(keys(&bounded), ["c0", "c1"]);
}

pub async fn concurrent_workers_never_share_a_conversation(store: Arc<dyn Store>) {
    for c in 0..20 {
        for m in 0..3 {
            store
                .inbox_enqueue(&event(&format!("{c}-{m}"), &format!("conv-{c}"), at(c * 10 + m)))
                .await
                .expect("enqueue");
        }
    }
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut held = Vec::new();
                while let Some(claim) =
                    store.inbox_claim(&format!("w{w}"), at(500), LEASE, 10).await.expect("claim")
                {
                    held.push(claim);
                }
                held
            })
        })
        .collect();
    let mut conversations = HashSet::new();
    let mut leases = HashSet::new();
    let mut events = 0;
    for worker in workers {
        for claim in worker.await.expect("join") {
            assert!(conversations.insert(claim.conversation.clone()), "{} claimed twice", claim.conversation);
            assert!(leases.insert(claim.lease));
            events += claim.events.len();
        }
    }
    assert_eq!(conversations.len(), 20, "every conversation claimed once");
    assert_eq!(events, 60);
}

pub async fn an_expired_lease_is_reclaimed(store: Arc<dyn Store>) {
    store.inbox_enqueue(&event("m1", "conv", at(1))).await.expect("enqueue");
    store.inbox_enqueue(&event("m2", "conv", at(2))).await.expect("enqueue");
    let crashed = store.inbox_claim("w1", at(10), LEASE, 10).await.expect("claim").expect("work");
    assert!(
        store
            .inbox_claim("w2", at(10) + LEASE - Duration::from_millis(1), LEASE, 10)
            .await
            .expect("claim")
            .is_none()
    );

    // w1 went away; once its lease runs out, w2 takes the same events again.
    let later = at(10) + LEASE;
    let rescued = store.inbox_claim("w2", later, LEASE, 10).await.expect("claim").expect("reclaimed");
    assert_eq!(keys(&rescued), ["m1", "m2"]);
    assert_ne!(rescued.lease, crashed.lease);
    assert!(rescued.events.iter().all(|e| e.attempts == 2), "the crashed attempt counts");

    // The old holder can no longer act on them.
    for result in [
        store.inbox_complete(crashed.lease, "facebook:m1").await,
        store.inbox_fail(crashed.lease, "facebook:m1", "late", None).await,
        store.inbox_extend(crashed.lease, later + LEASE).await,
    ] {
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    store.inbox_extend(rescued.lease, later + LEASE * 2).await.expect("extend");
    assert!(store.inbox_claim("w3", later + LEASE, LEASE, 10).await.expect("claim").is_none(), "extended");
    store.inbox_complete(rescued.lease, "facebook:m1").await.expect("complete");
    assert_eq!(store.inbox_get("facebook:m1").await.expect("get").status, InboxStatus::Done);
}

pub async fn failures_retry_later_or_give_up(store: Arc<dyn Store>) {
    store.inbox_enqueue(&event("flaky", "conv-1", at(1))).await.expect("enqueue");
    store.inbox_enqueue(&event("poison", "conv-2", at(2))).await.expect("enqueue");
    let claim = store.inbox_claim("w1", at(10), LEASE, 10).await.expect("claim").expect("work");
    store
        .inbox_fail(claim.lease, "facebook:flaky", "Graph API 613: rate limited", Some(at(60)))
        .await
        .expect("fail");
    let stored = store.inbox_get("facebook:flaky").await.expect("get");
    assert_eq!(
        (stored.status, stored.attempts, stored.last_error.as_deref(), stored.available_at),
        (InboxStatus::Pending, 1, Some("Graph API 613: rate limited"), at(60))
    );

    let other = store.inbox_claim("w1", at(11), LEASE, 10).await.expect("claim").expect("conv-2 is due");
    assert_eq!(keys(&other), ["poison"]);
    store.inbox_fail(other.lease, "facebook:poison", "cannot parse", None).await.expect("give up");
    store.inbox_release(other.lease).await.expect("releasing an ended lease is harmless");
    assert_eq!(store.inbox_get("facebook:poison").await.expect("get").status, InboxStatus::Failed);

    assert!(
        store.inbox_claim("w1", at(59), LEASE, 10).await.expect("claim").is_none(),
        "not before its retry time"
    );
    let retry = store.inbox_claim("w1", at(60), LEASE, 10).await.expect("claim").expect("due");
    assert_eq!((keys(&retry), retry.events[0].attempts), (vec!["flaky"], 2));
}

/// A failed event holds back its conversation until its retry: the customer's later
/// messages wait behind it, and are taken with it then, in order. Other
/// conversations go on meanwhile.
pub async fn a_failed_event_holds_back_its_conversation(store: Arc<dyn Store>) {
    for (key, conversation, second) in [("m1", "conv-1", 1), ("m2", "conv-1", 2), ("x1", "conv-2", 3)] {
        store.inbox_enqueue(&event(key, conversation, at(second))).await.expect("enqueue");
    }
    let claim = store.inbox_claim("w1", at(10), LEASE, 10).await.expect("claim").expect("work");
    assert_eq!(keys(&claim), ["m1", "m2"]);
    store
        .inbox_give_back(claim.lease, &keys_of(["m1"]), "the AI could not answer", Some(at(60)))
        .await
        .expect("give back");
    let failed = store.inbox_get("facebook:m1").await.expect("get");
    assert_eq!(
        (failed.status, failed.last_error.as_deref(), failed.available_at),
        (InboxStatus::Pending, Some("the AI could not answer"), at(60))
    );
    let rest = store.inbox_get("facebook:m2").await.expect("get");
    assert_eq!((rest.status, rest.lease), (InboxStatus::Pending, None), "the rest waits again");
    // A heartbeat of the claim, sent before it was given back, arrives late: it
    // cannot move the retry.
    assert!(matches!(store.inbox_extend(claim.lease, at(200)).await, Err(StoreError::Conflict(_))));
    // The customer writes again meanwhile.
    store.inbox_enqueue(&event("m3", "conv-1", at(20))).await.expect("enqueue");

    let other = store.inbox_claim("w2", at(11), LEASE, 10).await.expect("claim").expect("conv-2 goes on");
    assert_eq!(keys(&other), ["x1"]);
    store.inbox_complete(other.lease, "facebook:x1").await.expect("complete");
    assert!(
        store.inbox_claim("w2", at(59), LEASE, 10).await.expect("claim").is_none(),
        "conv-1's later messages wait for the earlier one"
    );
    let retry = store.inbox_claim("w2", at(60), LEASE, 10).await.expect("claim").expect("due");
    assert_eq!(keys(&retry), ["m1", "m2", "m3"], "in order, the failed one first");
    let attempts: Vec<u32> = retry.events.iter().map(|e| e.attempts).collect();
    assert_eq!(attempts, [2, 1, 1], "only the failed one has failed before");

    assert!(
        matches!(
            store.inbox_give_back(claim.lease, &keys_of(["m1"]), "late", None).await,
            Err(StoreError::Conflict(_))
        ),
        "the first claim's lease is over"
    );

    // Two messages answered together fail together: both keep this attempt, the
    // third waits again untried.
    store
        .inbox_give_back(retry.lease, &keys_of(["m1", "m2"]), "the reply could not be sent", Some(at(70)))
        .await
        .expect("give back");
    let again = store.inbox_claim("w3", at(70), LEASE, 10).await.expect("claim").expect("due");
    let attempts: Vec<u32> = again.events.iter().map(|e| e.attempts).collect();
    assert_eq!((keys(&again), attempts), (vec!["m1", "m2", "m3"], vec![3, 2, 1]));

    // Given up, they no longer hold anything back: the rest is free at once.
    store.inbox_give_back(again.lease, &keys_of(["m1", "m2"]), "cannot parse", None).await.expect("give up");
    for key in ["facebook:m1", "facebook:m2"] {
        assert_eq!(store.inbox_get(key).await.expect("get").status, InboxStatus::Failed);
    }
    let next = store.inbox_claim("w4", at(71), LEASE, 10).await.expect("claim").expect("free");
    assert_eq!(keys(&next), ["m3"]);
}

fn keys_of<const N: usize>(names: [&str; N]) -> Vec<String> {
    names.iter().map(|name| format!("facebook:{name}")).collect()
}

pub async fn release_returns_unfinished_events(store: Arc<dyn Store>) {
    for (key, second) in [("m1", 1), ("m2", 2), ("m3", 3)] {
        store.inbox_enqueue(&event(key, "conv", at(second))).await.expect("enqueue");
    }
    let claim = store.inbox_claim("w1", at(10), LEASE, 10).await.expect("claim").expect("work");
    store.inbox_complete(claim.lease, "facebook:m1").await.expect("complete");
    // Shutting down mid-way: the rest go back, at once, to the next worker.
    store.inbox_release(claim.lease).await.expect("release");
    let next = store.inbox_claim("w2", at(11), LEASE, 10).await.expect("claim").expect("work");
    assert_eq!(keys(&next), ["m2", "m3"]);
    assert!(matches!(store.inbox_complete(claim.lease, "facebook:m2").await, Err(StoreError::Conflict(_))));
}

pub async fn handled_events_are_forgotten_after_a_while(store: Arc<dyn Store>) {
    const DAY: Duration = Duration::from_hours(24);
    let received = |key: &str, at: Timestamp| NewInboxEvent { received_at: at, ..event(key, key, at) };
    for key in ["old_1", "old_2", "old_3", "given_up"] {
        store.inbox_enqueue(&received(key, t0())).await.expect("enqueue");
    }
    store.inbox_enqueue(&received("recent", t0() + DAY * 8)).await.expect("enqueue");
    // Received long ago, and still waiting: its conversation's turn comes last.
    let waiting = NewInboxEvent { occurred_at: t0() + DAY * 9, ..received("waiting", t0()) };
    store.inbox_enqueue(&waiting).await.expect("enqueue");
    for _ in 0..5 {
        let claim = store.inbox_claim("w1", t0() + DAY * 8, LEASE, 10).await.expect("claim").expect("work");
        let [event] = &claim.events[..] else { panic!("one event per conversation: {:?}", keys(&claim)) };
        match event.key.as_str() {
            "facebook:given_up" => store.inbox_fail(claim.lease, &event.key, "cannot parse", None).await,
            _ => store.inbox_complete(claim.lease, &event.key).await,
        }
        .expect("end");
    }
    let handled = |key: &str| {
        let store = Arc::clone(&store);
        let key = format!("facebook:{key}");
        async move { store.inbox_get(&key).await.map(|e| e.status) }
    };
    let done_at_first: Vec<_> = ["old_1", "old_2", "old_3", "recent"].map(handled).into_iter().collect();
    for status in futures_util::future::join_all(done_at_first).await {
        assert_eq!(status.expect("handled"), InboxStatus::Done);
    }

    // A week after: the three old handled events go, a bite at a time.
    let week_ago = t0() + DAY;
    assert_eq!(store.inbox_forget_handled(week_ago, 2).await.expect("forget"), 2);
    assert_eq!(store.inbox_forget_handled(week_ago, 2).await.expect("forget"), 1);
    assert_eq!(store.inbox_forget_handled(week_ago, 2).await.expect("forget"), 0);
    for key in ["old_1", "old_2", "old_3"] {
        assert!(matches!(handled(key).await, Err(StoreError::NotFound { .. })), "{key} is forgotten");
    }
    assert_eq!(handled("given_up").await.expect("kept"), InboxStatus::Failed, "failures stay to be seen");
    assert_eq!(handled("waiting").await.expect("kept"), InboxStatus::Pending, "waiting work is never lost");
    assert_eq!(handled("recent").await.expect("kept"), InboxStatus::Done, "recent events still deduplicate");
    assert_eq!(
        store.inbox_enqueue(&received("recent", t0() + DAY * 8)).await.expect("again"),
        Enqueued::Duplicate
    );
    let next = store.inbox_claim("w2", t0() + DAY * 8, LEASE, 10).await.expect("claim").expect("work");
    assert_eq!(keys(&next), ["waiting"]);
}
