//! Accounts, sessions, documents, integrations, and the tenant wall around them all.

use std::sync::Arc;

use closer_core::model::{
    BusinessInfo, CampaignStats, ChatQuery, ChatUpdate, Document, DocumentId, Email, Integration,
    IntegrationId, IntegrationStatus, MessageQuery, Platform, SealedToken, Session, SessionId, SessionTokens,
    TokenHash, TokenKind,
};
use closer_core::store::{Store, StoreError};

use crate::fixtures::{at, campaign, new_chat, t0, user};

pub async fn users_are_found_by_id_and_normalised_email(store: Arc<dyn Store>) {
    let mut ana = user(&*store, "Ana@Bakery.example").await;
    assert_eq!(store.get_user(ana.id).await.expect("by id"), ana);
    let by_email = store.find_user_by_email(&Email::parse("ANA@bakery.example").expect("valid")).await;
    assert_eq!(by_email.expect("lookup").expect("found"), ana);
    let nobody = store.find_user_by_email(&Email::parse("nobody@bakery.example").expect("valid")).await;
    assert_eq!(nobody.expect("lookup"), None);

    ana.business = BusinessInfo { business_name: "Ana's Bakery".into(), ..BusinessInfo::default() };
    ana.onboarding_completed_at = Some(at(60));
    ana.updated_at = at(60);
    store.update_user(&ana).await.expect("update");
    assert_eq!(store.get_user(ana.id).await.expect("reread"), ana);

    let ghost = closer_core::model::UserId::new();
    assert!(matches!(store.get_user(ghost).await, Err(StoreError::NotFound { .. })));
}

pub async fn a_taken_email_is_a_conflict(store: Arc<dyn Store>) {
    let first = user(&*store, "owner@shop.example").await;
    let twin = closer_core::model::User::new(first.email.clone(), first.password_hash.clone(), t0());
    let err = store.create_user(&twin).await.expect_err("taken");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("email"), "{err}");
    assert_eq!(store.get_user(first.id).await.expect("first intact"), first);
}

pub async fn invalid_users_never_reach_the_store(store: Arc<dyn Store>) {
    let mut ana = user(&*store, "ana@shop.example").await;
    let before = ana.clone();
    ana.business.business_name = "x".repeat(201);
    let err = store.update_user(&ana).await.expect_err("too long");
    assert!(matches!(&err, StoreError::Invalid(e) if e.field == "business_name"), "{err:?}");
    assert_eq!(store.get_user(ana.id).await.expect("reread"), before, "nothing changed");
}

fn tokens(tag: &str) -> SessionTokens {
    SessionTokens {
        access_hash: TokenHash(format!("access-{tag}")),
        access_expires_at: at(900),
        refresh_hash: TokenHash(format!("refresh-{tag}")),
        refresh_expires_at: at(86_400 * 30),
    }
}

pub async fn sessions_rotate_once_and_revoke(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let session = Session {
        id: SessionId::new(),
        user_id: ana.id,
        tokens: tokens("1"),
        created_at: t0(),
        rotated_at: t0(),
    };
    store.create_session(&session).await.expect("create");
    let found = store.find_session(TokenKind::Access, &TokenHash("access-1".into())).await.expect("find");
    assert_eq!(found.as_ref(), Some(&session));
    let found = store.find_session(TokenKind::Refresh, &TokenHash("refresh-1".into())).await.expect("find");
    assert_eq!(found.as_ref(), Some(&session));
    // The kinds are not interchangeable.
    assert_eq!(
        store.find_session(TokenKind::Access, &TokenHash("refresh-1".into())).await.expect("find"),
        None
    );

    let rotated = store
        .rotate_session(session.id, &TokenHash("refresh-1".into()), &tokens("2"), at(10))
        .await
        .expect("rotate");
    assert_eq!(rotated.tokens, tokens("2"));
    assert_eq!(rotated.rotated_at, at(10));
    assert_eq!(
        store.find_session(TokenKind::Refresh, &TokenHash("refresh-1".into())).await.expect("find"),
        None
    );
    let replay = store.rotate_session(session.id, &TokenHash("refresh-1".into()), &tokens("3"), at(20)).await;
    assert!(matches!(replay, Err(StoreError::Conflict(_))), "a refresh token works once: {replay:?}");

    // Another business cannot revoke it.
    let bob = user(&*store, "bob@shop.example").await;
    assert!(matches!(store.revoke_session(bob.id, session.id).await, Err(StoreError::NotFound { .. })));
    assert!(
        store.find_session(TokenKind::Access, &TokenHash("access-2".into())).await.expect("find").is_some()
    );

    store.revoke_session(ana.id, session.id).await.expect("revoke");
    assert_eq!(
        store.find_session(TokenKind::Access, &TokenHash("access-2".into())).await.expect("find"),
        None
    );

    for tag in ["a", "b"] {
        let s = Session {
            id: SessionId::new(),
            user_id: ana.id,
            tokens: tokens(tag),
            created_at: t0(),
            rotated_at: t0(),
        };
        store.create_session(&s).await.expect("create");
    }
    assert_eq!(store.revoke_sessions(ana.id).await.expect("revoke all"), 2);
    assert_eq!(
        store.find_session(TokenKind::Access, &TokenHash("access-a".into())).await.expect("find"),
        None
    );
}

fn document(owner: closer_core::model::UserId, name: &str, content: &str) -> Document {
    Document {
        id: DocumentId::new(),
        user_id: owner,
        filename: name.into(),
        content_type: "text/markdown".into(),
        content: content.into(),
        uploaded_at: t0(),
    }
}

pub async fn documents_are_kept_per_business_up_to_the_limit(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let menu = document(ana.id, "menu.md", "# Menu\nSourdough — 6 €");
    store.add_document(&menu).await.expect("add");
    let listed = store.list_documents(ana.id).await.expect("list");
    assert_eq!(listed, vec![menu.meta()]);
    assert_eq!(listed[0].size_bytes, menu.content.len() as u64, "size in bytes, not characters");
    assert_eq!(store.get_document(ana.id, menu.id).await.expect("get"), menu);

    for i in 1..Document::MAX_PER_BUSINESS {
        store.add_document(&document(ana.id, &format!("doc{i}.txt"), "text")).await.expect("under the limit");
    }
    let over = store.add_document(&document(ana.id, "one-too-many.txt", "text")).await;
    assert!(matches!(over, Err(StoreError::Conflict(_))), "{over:?}");
    assert_eq!(store.list_documents(ana.id).await.expect("list").len(), Document::MAX_PER_BUSINESS);

    let huge = document(ana.id, "huge.txt", &"x".repeat(Document::MAX_BYTES + 1));
    assert!(matches!(store.add_document(&huge).await, Err(StoreError::Invalid(_))));

    store.delete_document(ana.id, menu.id).await.expect("delete");
    assert!(matches!(store.get_document(ana.id, menu.id).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(store.delete_document(ana.id, menu.id).await, Err(StoreError::NotFound { .. })));
}

fn integration(owner: closer_core::model::UserId, page: &str) -> Integration {
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

pub async fn integrations_route_pages_to_one_business(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let bob = user(&*store, "bob@shop.example").await;
    let page = store.upsert_integration(&integration(ana.id, "1001")).await.expect("connect");
    let routed = store.find_integration_by_page(Platform::Facebook, "1001").await.expect("find");
    assert_eq!(routed.as_ref(), Some(&page));
    assert_eq!(store.find_integration_by_page(Platform::Instagram, "1001").await.expect("find"), None);

    // Connecting the same page again keeps its identity and takes the new token.
    let mut again = integration(ana.id, "1001");
    again.token = SealedToken("sealed-2".into());
    again.connected_at = at(100);
    let again = store.upsert_integration(&again).await.expect("reconnect");
    assert_eq!(again.id, page.id);
    assert_eq!(again.connected_at, page.connected_at);
    assert_eq!(store.list_integrations(ana.id).await.expect("list"), vec![again.clone()]);

    // Another business cannot take a live page…
    let stolen = store.upsert_integration(&integration(bob.id, "1001")).await;
    assert!(matches!(stolen, Err(StoreError::Conflict(_))), "{stolen:?}");
    let routed = store.find_integration_by_page(Platform::Facebook, "1001").await.expect("find");
    assert_eq!(routed.map(|i| i.user_id), Some(ana.id));

    store
        .set_integration_status(ana.id, page.id, IntegrationStatus::NeedsReconnect, at(5))
        .await
        .expect("status");
    let stored = store.get_integration(ana.id, page.id).await.expect("get");
    assert_eq!((stored.status, stored.updated_at), (IntegrationStatus::NeedsReconnect, at(5)));

    // …but can connect one its owner let go of.
    store
        .set_integration_status(ana.id, page.id, IntegrationStatus::Disconnected, at(6))
        .await
        .expect("status");
    let taken = store.upsert_integration(&integration(bob.id, "1001")).await.expect("take over");
    assert_eq!(taken.user_id, bob.id);
    assert!(store.list_integrations(ana.id).await.expect("list").is_empty());
}

/// For every kind of record that has an id: business B using business A's id gets
/// `NotFound`, and A's record is unchanged.
pub async fn tenants_never_see_each_others_records(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let bob = user(&*store, "bob@shop.example").await;
    let page = store.upsert_integration(&integration(ana.id, "2002")).await.expect("connect");
    let c = campaign(ana.id, "Ana's");
    store.create_campaign(&c).await.expect("campaign");
    let (chat, _) = store.find_or_create_chat(&new_chat(ana.id, "psid-1")).await.expect("chat");
    let doc = document(ana.id, "secret.md", "A's recipe");
    store.add_document(&doc).await.expect("doc");

    let not_found = |what: &str, result: Result<(), StoreError>| {
        assert!(matches!(result, Err(StoreError::NotFound { .. })), "{what}: {result:?}");
    };
    not_found("get campaign", store.get_campaign(bob.id, c.id).await.map(drop));
    not_found(
        "update campaign",
        store
            .update_campaign(&closer_core::model::Campaign {
                user_id: bob.id,
                name: "Mine".into(),
                ..c.clone()
            })
            .await
            .map(drop),
    );
    not_found("delete campaign", store.delete_campaign(bob.id, c.id).await);
    not_found("add stats", store.add_campaign_stats(bob.id, c.id, &CampaignStats::default()).await);
    not_found("get chat", store.get_chat(bob.id, chat.id).await.map(drop));
    not_found(
        "update chat",
        store
            .update_chat(
                bob.id,
                chat.id,
                &ChatUpdate { mode: Some(closer_core::model::ChatMode::Human), ..ChatUpdate::default() },
                at(1),
            )
            .await
            .map(drop),
    );
    not_found(
        "list messages",
        store.list_messages(bob.id, chat.id, &MessageQuery::default()).await.map(drop),
    );
    let mut foreign = crate::fixtures::message(bob.id, chat.id, closer_core::model::Sender::Ai, "hi", at(1));
    not_found("append message", store.append_message(&foreign).await);
    foreign.user_id = ana.id;
    store.append_message(&foreign).await.expect("A's own message");
    not_found(
        "message delivery",
        store
            .set_message_delivery(
                bob.id,
                foreign.id,
                closer_core::model::DeliveryState::Failed,
                None,
                Some("x"),
            )
            .await,
    );
    not_found("get integration", store.get_integration(bob.id, page.id).await.map(drop));
    not_found(
        "integration status",
        store.set_integration_status(bob.id, page.id, IntegrationStatus::Disconnected, at(1)).await,
    );
    not_found("get document", store.get_document(bob.id, doc.id).await.map(drop));
    not_found("delete document", store.delete_document(bob.id, doc.id).await);

    assert!(store.list_campaigns(bob.id, None).await.expect("list").is_empty());
    assert!(store.list_chats(bob.id, &ChatQuery::default()).await.expect("list").items.is_empty());
    assert!(store.list_documents(bob.id).await.expect("list").is_empty());
    assert!(store.list_integrations(bob.id).await.expect("list").is_empty());
    assert_eq!(store.find_message_by_platform_id(bob.id, "none").await.expect("find"), None);

    // A's records are as they were.
    assert_eq!(store.get_campaign(ana.id, c.id).await.expect("A's campaign"), c);
    let chat_now = store.get_chat(ana.id, chat.id).await.expect("A's chat");
    assert_eq!((chat_now.mode, chat_now.message_count), (chat.mode, 1));
    assert_eq!(store.get_integration(ana.id, page.id).await.expect("A's page"), page);
    assert_eq!(store.get_document(ana.id, doc.id).await.expect("A's doc"), doc);
    let msg = store.list_messages(ana.id, chat.id, &MessageQuery::default()).await.expect("A's messages");
    assert_eq!(msg.items, vec![foreign]);
}
