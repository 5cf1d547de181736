//! Chats and messages: atomic find-or-create, updates, listings, deduplication.

use std::collections::HashSet;
use std::sync::Arc;

use closer_core::model::{
    Attachment, CampaignId, ChatMode, ChatQuery, ChatStatus, ChatUpdate, Conversion, DeliveryState, FlowStep,
    LeadReason, LeadScore, MessageQuery, Money, QuickReply, Sender,
};
use closer_core::store::{Store, StoreError};

use crate::fixtures::{at, message, new_chat, user};

pub async fn find_or_create_is_atomic_under_concurrency(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.find_or_create_chat(&new_chat(ana.id, "psid-42")).await })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let (chat, was_created) = task.await.expect("join").expect("find or create");
        ids.insert(chat.id);
        created += usize::from(was_created);
    }
    assert_eq!(ids.len(), 1, "one chat for one customer");
    assert_eq!(created, 1, "exactly one call created it");
    assert_eq!(store.list_chats(ana.id, &ChatQuery::default()).await.expect("list").items.len(), 1);

    // The same customer id with another business, or on another platform, is another chat.
    let bob = user(&*store, "bob@shop.example").await;
    let (bobs, created) = store.find_or_create_chat(&new_chat(bob.id, "psid-42")).await.expect("bob's");
    assert!(created && !ids.contains(&bobs.id));
    let mut on_sandbox = new_chat(ana.id, "psid-42");
    on_sandbox.platform = closer_core::model::Platform::Sandbox;
    let (other, created) = store.find_or_create_chat(&on_sandbox).await.expect("sandbox");
    assert!(created && !ids.contains(&other.id));

    let mut blank = new_chat(ana.id, "");
    blank.customer_id = "  ".into();
    assert!(matches!(store.find_or_create_chat(&blank).await, Err(StoreError::Invalid(_))));
}

pub async fn chat_updates_apply_and_validate(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let (chat, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-1")).await.expect("chat");
    let lead =
        LeadScore { score: 72, reasons: vec![LeadReason { signal: "asked the price".into(), points: 15 }] };
    let conversion = Conversion {
        converted: true,
        order_value: Some(Money { amount_minor: 4_990, currency: "USD".into() }),
        converted_at: Some(at(30)),
    };
    let update = ChatUpdate {
        status: Some(ChatStatus::Converted),
        mode: Some(ChatMode::Human),
        lead: Some(lead.clone()),
        conversion: Some(conversion.clone()),
        handoff_requested: Some(true),
        flow_step: Some(FlowStep::Qualification { index: 1 }),
        unreachable: Some(true),
        ..ChatUpdate::default()
    };
    let updated = store.update_chat(ana.id, chat.id, &update, at(30)).await.expect("update");
    assert_eq!(
        (updated.status, updated.mode, &updated.lead, &updated.conversion, updated.handoff_requested),
        (ChatStatus::Converted, ChatMode::Human, &lead, &conversion, true)
    );
    assert_eq!((updated.flow_step, updated.unreachable), (FlowStep::Qualification { index: 1 }, true));
    assert_eq!(updated.updated_at, at(30));
    assert_eq!(updated.customer_name, chat.customer_name, "unset fields stay");
    assert_eq!(store.get_chat(ana.id, chat.id).await.expect("get"), updated);

    let bad = ChatUpdate { lead: Some(LeadScore { score: 101, reasons: vec![] }), ..ChatUpdate::default() };
    assert!(matches!(store.update_chat(ana.id, chat.id, &bad, at(31)).await, Err(StoreError::Invalid(_))));
    assert_eq!(
        store.get_chat(ana.id, chat.id).await.expect("get"),
        updated,
        "a refused update changes nothing"
    );
}

pub async fn chat_listing_filters_and_pages_without_gaps(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let campaign = CampaignId::new();
    let mut expected = Vec::new();
    for i in 0..25u64 {
        let mut new = new_chat(ana.id, &format!("psid-{i:02}"));
        new.customer_name = if i == 7 { "Zoë Ångström".into() } else { format!("Customer {i}") };
        new.campaign_id = (i % 5 == 0).then_some(campaign);
        let (chat, _) = store.find_or_create_chat(&new).await.expect("chat");
        // Three chats share each activity time, so the page edges fall inside ties.
        let when = at(i / 3);
        store.append_message(&message(ana.id, chat.id, Sender::Customer, "hi", when)).await.expect("message");
        let update = ChatUpdate {
            lead: Some(LeadScore { score: u8::try_from(i * 4).expect("small"), reasons: vec![] }),
            mode: (i % 2 == 0).then_some(ChatMode::Human),
            status: (i >= 20).then_some(ChatStatus::Qualified),
            ..ChatUpdate::default()
        };
        expected.push(store.update_chat(ana.id, chat.id, &update, when).await.expect("update"));
    }
    expected.sort_by_key(|chat| std::cmp::Reverse((chat.last_activity_at, chat.id)));

    // Page through everything, 4 at a time.
    let mut seen = Vec::new();
    let mut query = ChatQuery { limit: Some(4), ..ChatQuery::default() };
    loop {
        let page = store.list_chats(ana.id, &query).await.expect("page");
        assert!(page.items.len() <= 4);
        seen.extend(page.items);
        match page.next {
            Some(cursor) => query.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every chat once, newest activity first");

    let ids = |query: ChatQuery| {
        let store = Arc::clone(&store);
        async move {
            let page = store.list_chats(ana.id, &query).await.expect("list");
            page.items.iter().map(|c| c.customer_id.clone()).collect::<Vec<_>>()
        }
    };
    let mut hot = ids(ChatQuery { min_score: Some(80), ..ChatQuery::default() }).await;
    hot.sort();
    assert_eq!(hot, ["psid-20", "psid-21", "psid-22", "psid-23", "psid-24"]);
    let qualified_human = ids(ChatQuery {
        status: Some(ChatStatus::Qualified),
        mode: Some(ChatMode::Human),
        ..ChatQuery::default()
    })
    .await;
    assert_eq!(qualified_human, ["psid-24", "psid-22", "psid-20"]);
    let in_campaign = ids(ChatQuery { campaign_id: Some(campaign), ..ChatQuery::default() }).await;
    assert_eq!(in_campaign, ["psid-20", "psid-15", "psid-10", "psid-05", "psid-00"]);
    let found = ids(ChatQuery { search: Some("zoË ÅNG".into()), ..ChatQuery::default() }).await;
    assert_eq!(found, ["psid-07"], "case-insensitive, beyond ASCII");
    let by_id =
        ids(ChatQuery { search: Some("PSID-1".into()), limit: Some(3), ..ChatQuery::default() }).await;
    assert_eq!(by_id, ["psid-19", "psid-18", "psid-17"]);
}

pub async fn messages_append_in_order_and_deduplicate(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let (chat, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-1")).await.expect("chat");
    let mut written = Vec::new();
    // Out of order, as platforms deliver: the listing is by time all the same.
    for (i, second) in [5u64, 1, 3, 2, 4, 0].into_iter().enumerate() {
        let sender = if i % 2 == 0 { Sender::Customer } else { Sender::Ai };
        let mut m = message(ana.id, chat.id, sender, &format!("message at {second}"), at(second));
        m.platform_message_id = Some(format!("m_{second}"));
        store.append_message(&m).await.expect("append");
        written.push(m);
    }
    written.sort_by_key(|m| (m.sent_at, m.id));

    let chat_now = store.get_chat(ana.id, chat.id).await.expect("chat");
    assert_eq!(chat_now.message_count, 6);
    assert_eq!(chat_now.last_activity_at, at(5), "the latest message time, whatever the arrival order");
    assert_eq!(chat_now.last_customer_message_at, Some(at(5)));

    let first = store
        .list_messages(ana.id, chat.id, &MessageQuery { limit: Some(4), after: None })
        .await
        .expect("page");
    let rest = store
        .list_messages(ana.id, chat.id, &MessageQuery { limit: Some(4), after: first.next.clone() })
        .await;
    let rest = rest.expect("page");
    assert_eq!(rest.next, None);
    assert_eq!([first.items, rest.items].concat(), written);
    let latest = store.recent_messages(ana.id, chat.id, 3).await.expect("recent");
    assert_eq!(latest, written[3..], "the latest three, oldest first");
    let stranger = user(&*store, "eve@shop.example").await;
    assert!(matches!(store.recent_messages(stranger.id, chat.id, 3).await, Err(StoreError::NotFound { .. })));

    // A redelivered platform message is refused and changes nothing.
    let mut again = message(ana.id, chat.id, Sender::Customer, "dup", at(9));
    again.platform_message_id = Some("m_3".into());
    assert!(matches!(store.append_message(&again).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.get_chat(ana.id, chat.id).await.expect("chat").message_count, 6);
    let original = store.find_message_by_platform_id(ana.id, "m_3").await.expect("find").expect("stored");
    assert_eq!(original.text, "message at 3");
    assert_eq!(store.get_message(ana.id, original.id).await.expect("by id"), original);
    let other = user(&*store, "ben@shop.example").await;
    assert!(matches!(store.get_message(other.id, original.id).await, Err(StoreError::NotFound { .. })));

    // An id is stored once: a writer that retries with the same id learns it is there.
    let mut with_extras = message(ana.id, chat.id, Sender::Ai, "Which size?", at(6));
    with_extras.quick_replies = vec![QuickReply { title: "Small".into(), payload: "SIZE_S".into() }];
    with_extras.attachments =
        vec![Attachment { kind: "image".into(), url: Some("https://cdn.example/1.jpg".into()) }];
    store.append_message(&with_extras).await.expect("append");
    assert!(matches!(store.append_message(&with_extras).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.get_message(ana.id, with_extras.id).await.expect("by id"), with_extras);
    assert_eq!(store.get_chat(ana.id, chat.id).await.expect("chat").message_count, 7);

    // Messages without a platform id never clash with each other.
    for _ in 0..2 {
        store
            .append_message(&message(ana.id, chat.id, Sender::Business, "by hand", at(10)))
            .await
            .expect("append");
    }
    let too_long = message(ana.id, chat.id, Sender::Ai, &"x".repeat(20_001), at(11));
    assert!(matches!(store.append_message(&too_long).await, Err(StoreError::Invalid(_))));
    let unknown_chat = message(ana.id, closer_core::model::ChatId::new(), Sender::Ai, "lost", at(12));
    assert!(matches!(store.append_message(&unknown_chat).await, Err(StoreError::NotFound { .. })));
    assert_eq!(store.get_chat(ana.id, chat.id).await.expect("chat").message_count, 9);
}

pub async fn a_reply_and_what_it_changes_are_stored_together(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let (chat, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-1")).await.expect("chat");
    let question = message(ana.id, chat.id, Sender::Customer, "How much is it?", at(10));
    store.append_message(&question).await.expect("append");

    // As the pipeline writes them: being sent.
    let mut first = message(ana.id, chat.id, Sender::Ai, "It is 25 dollars.", at(11));
    first.delivery = DeliveryState::Sending;
    let mut second = message(ana.id, chat.id, Sender::Ai, "Shall I put one aside?", at(12));
    second.delivery = DeliveryState::Sending;
    second.quick_replies = vec![QuickReply { title: "Yes".into(), payload: "BUY".into() }];
    let lead =
        LeadScore { score: 40, reasons: vec![LeadReason { signal: "asked the price".into(), points: 15 }] };
    let update = ChatUpdate {
        lead: Some(lead.clone()),
        flow_step: Some(FlowStep::Qualification { index: 0 }),
        mode: Some(ChatMode::Human),
        handoff_requested: Some(true),
        ..ChatUpdate::default()
    };
    let answered =
        store.append_reply(&[first.clone(), second.clone()], &update, at(20)).await.expect("reply");
    assert_eq!(answered.message_count, 3);
    assert_eq!(answered.last_activity_at, at(12));
    assert_eq!(answered.last_customer_message_at, Some(at(10)), "a reply is not the customer writing");
    assert_eq!((&answered.lead, answered.flow_step), (&lead, FlowStep::Qualification { index: 0 }));
    assert_eq!(
        (answered.mode, answered.mode_changed_at, answered.handoff_requested),
        (ChatMode::Human, Some(at(20)), true)
    );
    assert_eq!(answered.updated_at, at(20));
    let stored = store.get_chat(ana.id, chat.id).await.expect("chat");
    assert_eq!(stored, answered, "what is returned is what is stored");
    let page = store.list_messages(ana.id, chat.id, &MessageQuery::default()).await.expect("list");
    assert_eq!(page.items, [question, first.clone(), second.clone()]);
    for part in [&first, &second] {
        let finished = store.finish_reply(ana.id, part.id).await.expect("finish");
        assert_eq!(finished, None, "a reply stored whole leaves nothing to finish");
    }
    let unsettled = store.unsettled_messages(at(100), 10).await.expect("unsettled");
    assert_eq!(unsettled, [first.clone(), second.clone()], "until recorded sent, they are unsettled sends");

    // The same reply again (work taken again): refused, and nothing moves twice.
    let again = store.append_reply(&[first.clone(), second.clone()], &update, at(21)).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    // A reply whose second part is stored already: its first part does not stay either.
    let fresh = message(ana.id, chat.id, Sender::Ai, "A new first part", at(13));
    let moved = ChatUpdate { flow_step: Some(FlowStep::Closing), ..ChatUpdate::default() };
    let half = store.append_reply(&[fresh.clone(), second.clone()], &moved, at(22)).await;
    assert!(matches!(half, Err(StoreError::Conflict(_))), "{half:?}");
    assert!(matches!(store.get_message(ana.id, fresh.id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(
        store.get_chat(ana.id, chat.id).await.expect("chat"),
        stored,
        "a refused reply changes nothing"
    );

    // Another business's chat, messages of two chats, none, a bad update: refused,
    // and nothing stored.
    let eve = user(&*store, "eve@shop.example").await;
    let intruder = message(eve.id, chat.id, Sender::Ai, "Hello from elsewhere", at(14));
    let foreign = store.append_reply(std::slice::from_ref(&intruder), &moved, at(23)).await;
    assert!(matches!(foreign, Err(StoreError::NotFound { .. })), "{foreign:?}");
    assert!(matches!(store.get_message(eve.id, intruder.id).await, Err(StoreError::NotFound { .. })));
    let (other, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-2")).await.expect("chat");
    let mixed = [fresh.clone(), message(ana.id, other.id, Sender::Ai, "elsewhere", at(14))];
    assert!(matches!(store.append_reply(&mixed, &moved, at(23)).await, Err(StoreError::Invalid(_))));
    assert!(matches!(store.append_reply(&[], &moved, at(23)).await, Err(StoreError::Invalid(_))));
    let twice = [fresh.clone(), fresh.clone()];
    assert!(matches!(store.append_reply(&twice, &moved, at(23)).await, Err(StoreError::Invalid(_))));
    let theirs = message(ana.id, chat.id, Sender::Customer, "not an answer", at(14));
    let customer = store.append_reply(&[theirs], &moved, at(23)).await;
    assert!(matches!(customer, Err(StoreError::Invalid(_))), "{customer:?}");
    let nowhere = message(ana.id, closer_core::model::ChatId::new(), Sender::Ai, "lost", at(14));
    let missing = store.append_reply(std::slice::from_ref(&nowhere), &moved, at(23)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
    assert!(matches!(store.get_message(ana.id, nowhere.id).await, Err(StoreError::NotFound { .. })));
    let bad = ChatUpdate { lead: Some(LeadScore { score: 101, reasons: vec![] }), ..ChatUpdate::default() };
    let refused = store.append_reply(std::slice::from_ref(&fresh), &bad, at(23)).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    assert!(matches!(store.get_message(ana.id, fresh.id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(store.get_chat(ana.id, chat.id).await.expect("chat"), stored);

    // A reply that changes nothing else moves only the count and the times, forward.
    let late = message(ana.id, chat.id, Sender::Ai, "Anything else?", at(40));
    let plain = store.append_reply(&[late], &ChatUpdate::default(), at(30)).await.expect("reply");
    assert_eq!((plain.message_count, plain.last_activity_at, plain.updated_at), (4, at(40), at(40)));
    assert_eq!(
        (plain.mode_changed_at, plain.flow_step),
        (Some(at(20)), FlowStep::Qualification { index: 0 })
    );
    // A change with parts written after `now` (the reply follows its question even
    // within the same millisecond): the chat's time is the later of the two.
    let ahead = message(ana.id, chat.id, Sender::Ai, "Here is the link.", at(60));
    let closing = store.append_reply(&[ahead], &moved, at(50)).await.expect("reply");
    assert_eq!(
        (closing.flow_step, closing.last_activity_at, closing.updated_at),
        (FlowStep::Closing, at(60), at(60))
    );
    assert_eq!(store.get_chat(ana.id, chat.id).await.expect("chat"), closing);
}

pub async fn delivery_state_is_recorded(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let (chat, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-1")).await.expect("chat");
    let reply = message(ana.id, chat.id, Sender::Ai, "Hello!", at(1));
    store.append_message(&reply).await.expect("append");

    store
        .set_message_delivery(ana.id, reply.id, DeliveryState::Sent, Some("m_out_1"), None)
        .await
        .expect("sent");
    let sent = store.find_message_by_platform_id(ana.id, "m_out_1").await.expect("find").expect("by new id");
    assert_eq!((sent.id, sent.delivery), (reply.id, DeliveryState::Sent));

    store.set_message_delivery(ana.id, reply.id, DeliveryState::Read, None, None).await.expect("read");
    let read = store.find_message_by_platform_id(ana.id, "m_out_1").await.expect("find").expect("id kept");
    assert_eq!(read.delivery, DeliveryState::Read);

    let failed = message(ana.id, chat.id, Sender::Ai, "Hello again", at(2));
    store.append_message(&failed).await.expect("append");
    store
        .set_message_delivery(
            ana.id,
            failed.id,
            DeliveryState::Failed,
            None,
            Some("(#551) person unavailable"),
        )
        .await
        .expect("failed");
    let page = store.list_messages(ana.id, chat.id, &MessageQuery::default()).await.expect("list");
    let stored = page.items.iter().find(|m| m.id == failed.id).expect("listed");
    assert_eq!(
        (stored.delivery, stored.error.as_deref()),
        (DeliveryState::Failed, Some("(#551) person unavailable"))
    );
    let unknown = closer_core::model::MessageId::new();
    let missing = store.set_message_delivery(ana.id, unknown, DeliveryState::Sent, None, None).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));
}

pub async fn a_sale_is_recorded_once_under_concurrency(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let (chat, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-1")).await.expect("chat");
    let tasks: Vec<_> = (0..8_i64)
        .map(|i| {
            let store = Arc::clone(&store);
            let sale = Conversion {
                converted: true,
                order_value: Some(Money { amount_minor: 1_000 + i, currency: "EUR".into() }),
                converted_at: Some(at(60)),
            };
            tokio::spawn(async move { store.convert_chat(ana.id, chat.id, &sale, at(60)).await })
        })
        .collect();
    let mut won = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(chat) => won.push(chat),
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one sale is recorded");
    let stored = store.get_chat(ana.id, chat.id).await.expect("chat");
    assert_eq!(stored.status, ChatStatus::Converted);
    assert_eq!(stored.conversion, won[0].conversion, "the winner's amount is the one kept");

    let other = user(&*store, "ben@shop.example").await;
    let sale = Conversion { converted: true, order_value: None, converted_at: Some(at(61)) };
    assert!(matches!(
        store.convert_chat(other.id, chat.id, &sale, at(61)).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn unsettled_messages_are_found_across_businesses(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let bo = user(&*store, "bo@cafe.example").await;
    let (chat, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-1")).await.expect("chat");
    let (other, _) = store.find_or_create_chat(&new_chat(bo.id, "psid-2")).await.expect("chat");
    let write = async |owner, chat, sender, text: &str, second, delivery| {
        let message = message(owner, chat, sender, text, at(second));
        store.append_message(&message).await.expect("append");
        if delivery != DeliveryState::Pending && sender != Sender::Customer {
            store.set_message_delivery(owner, message.id, delivery, None, None).await.expect("delivery");
        }
        message.id
    };
    write(ana.id, chat.id, Sender::Customer, "Hi", 1, DeliveryState::Received).await;
    let pending = write(ana.id, chat.id, Sender::Ai, "Hello!", 2, DeliveryState::Pending).await;
    let sending = write(ana.id, chat.id, Sender::Business, "On my way", 3, DeliveryState::Sending).await;
    write(ana.id, chat.id, Sender::Ai, "Sent", 4, DeliveryState::Sent).await;
    write(ana.id, chat.id, Sender::Ai, "Failed", 5, DeliveryState::Failed).await;
    write(ana.id, chat.id, Sender::Ai, "Just now", 100, DeliveryState::Pending).await;
    let elsewhere = write(bo.id, other.id, Sender::Business, "Bo's", 1, DeliveryState::Sending).await;

    let ids = |found: Vec<closer_core::model::Message>| found.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let found = store.unsettled_messages(at(50), 10).await.expect("unsettled");
    assert_eq!(ids(found), [elsewhere, pending, sending], "oldest first, every business's, ours only");
    assert_eq!(ids(store.unsettled_messages(at(50), 2).await.expect("unsettled")), [elsewhere, pending]);

    // Listed, then sent at last before it could be given up: it stays sent.
    store.set_message_delivery(ana.id, pending, DeliveryState::Sent, Some("m_1"), None).await.expect("sent");
    assert!(!store.fail_unsettled_message(ana.id, pending, at(50), "unfinished").await.expect("fail"));
    let sent = store.get_message(ana.id, pending).await.expect("get");
    assert_eq!((sent.delivery, sent.error), (DeliveryState::Sent, None));
    // Only the business's own, and only those written before the bound.
    assert!(!store.fail_unsettled_message(bo.id, sending, at(50), "unfinished").await.expect("fail"));
    assert!(!store.fail_unsettled_message(ana.id, sending, at(3), "unfinished").await.expect("fail"));

    assert!(store.fail_unsettled_message(ana.id, sending, at(50), "unfinished").await.expect("fail"));
    let failed = store.get_message(ana.id, sending).await.expect("get");
    assert_eq!((failed.delivery, failed.error.as_deref()), (DeliveryState::Failed, Some("unfinished")));
    assert!(!store.fail_unsettled_message(ana.id, sending, at(50), "again").await.expect("once"));
    assert_eq!(ids(store.unsettled_messages(at(50), 10).await.expect("unsettled")), [elsewhere]);
}
