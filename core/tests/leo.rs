//! Leo on a real SQLite store seeded with known numbers: twenty questions whose answers
//! must carry the exact figures of the seed (computed here from the seed, never copied
//! from an answer), the tenant wall, bad input, and the model path against a fake
//! OpenAI-compatible server: tool calls answered with the store's real numbers, and
//! every way the model can fail ending in the rules' answer.

#[path = "../../tests/harness/fake_openai.rs"]
mod fake_openai;

use std::sync::Arc;

use chrono::NaiveDate;
use closer_core::ai::leo::{Leo, LeoAnswer, LeoError, MAX_ROUNDS};
use closer_core::config::{AiConfig, AiProvider};
use closer_core::model::{
    Campaign, CampaignStatus, Chat, ChatMode, ChatStatus, ChatUpdate, Conversion, DeliveryState, Email,
    LeadReason, LeadScore, LeoConversation, LeoRole, Message, MessageId, Metrics, Money, NewChat,
    PasswordHash, Platform, Sender, Timestamp, User, UserId,
};
use closer_core::store::{Store, StoreError};
use fake_openai::{Answer, FakeOpenAi};
use serde_json::json;

fn now() -> Timestamp {
    // A Friday: this week is Monday 16 to today, last week 9 to 15 November.
    Timestamp::parse("2026-11-20T09:00:00.000Z").expect("valid")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// One analytics increment of the seed: campaign (by name; `None`: no campaign), when,
/// and `[received, answered, sent, conversations, leads, conversions, revenue_minor]`.
type Row = (Option<&'static str>, &'static str, [i64; 7]);

const ANA_ROWS: &[Row] = &[
    // Today.
    (Some("Panettone Christmas"), "2026-11-20T08:10:00Z", [12, 11, 15, 4, 2, 1, 2490]),
    (Some("Sourdough Club"), "2026-11-20T07:00:00Z", [5, 5, 6, 2, 1, 0, 0]),
    (None, "2026-11-20T06:30:00Z", [3, 2, 2, 1, 0, 0, 0]),
    // Yesterday, two hours.
    (Some("Panettone Christmas"), "2026-11-19T10:00:00Z", [20, 19, 25, 6, 3, 2, 4980]),
    (Some("Sourdough Club"), "2026-11-19T15:00:00Z", [8, 8, 9, 3, 2, 1, 1500]),
    // Earlier this week.
    (Some("Sourdough Club"), "2026-11-17T12:00:00Z", [10, 9, 11, 4, 2, 1, 1500]),
    (Some("Panettone Christmas"), "2026-11-17T18:00:00Z", [7, 7, 8, 2, 1, 0, 0]),
    (Some("Croissant Week"), "2026-11-18T09:00:00Z", [14, 10, 12, 5, 2, 0, 0]),
    // Last week.
    (Some("Panettone Christmas"), "2026-11-10T11:00:00Z", [15, 12, 16, 5, 2, 1, 2490]),
    (Some("Sourdough Club"), "2026-11-12T11:00:00Z", [6, 6, 7, 2, 1, 1, 1500]),
    (Some("Panettone Christmas"), "2026-11-14T16:00:00Z", [9, 9, 10, 3, 1, 1, 2490]),
    // Earlier this month.
    (Some("Croissant Week"), "2026-11-03T09:00:00Z", [30, 24, 28, 10, 4, 0, 0]),
    // October.
    (Some("Panettone Christmas"), "2026-10-15T12:00:00Z", [40, 38, 45, 12, 6, 3, 7470]),
];

const BOB_ROWS: &[Row] = &[
    (Some("Phone Cases"), "2026-11-20T08:00:00Z", [7, 7, 9, 3, 1, 1, 2999]),
    (Some("Phone Cases"), "2026-11-18T08:00:00Z", [4, 3, 4, 2, 1, 0, 0]),
    (Some("Screen Guards"), "2026-11-19T08:00:00Z", [2, 2, 2, 1, 0, 0, 0]),
];

const ANA_CAMPAIGNS: [&str; 4] = ["Panettone Christmas", "Sourdough Club", "Croissant Week", "Gift Boxes"];
const ANA_CUSTOMERS: [&str; 5] = ["Maria Santos", "João Silva", "Ana Costa", "Rui Lopes", "Pedro Alves"];

/// The seed's totals over days `from`–`to` (of one campaign, when named).
fn total(rows: &[Row], from: &str, to: &str, campaign: Option<&str>) -> Metrics {
    let (from, to) = (date(from), date(to));
    rows.iter()
        .filter(|(c, at, _)| {
            let day = Timestamp::parse(at).expect("time").date();
            (from..=to).contains(&day) && (campaign.is_none() || *c == campaign)
        })
        .fold(Metrics::default(), |sum, (_, _, v)| sum.plus(&metrics(*v)))
}

fn metrics(v: [i64; 7]) -> Metrics {
    Metrics {
        messages_received: v[0],
        messages_answered: v[1],
        messages_sent: v[2],
        conversations_started: v[3],
        leads: v[4],
        conversions: v[5],
        revenue_minor: v[6],
    }
}

fn eur(minor: i64) -> String {
    format!("{}.{:02} EUR", minor / 100, minor % 100)
}

#[allow(clippy::cast_precision_loss)]
fn percent(numerator: i64, denominator: i64) -> String {
    format!("{:.1}%", numerator as f64 / denominator as f64 * 100.0)
}

#[allow(clippy::cast_precision_loss)]
fn change(current: i64, previous: i64) -> String {
    format!("{:.1}%", ((current - previous) as f64 / previous as f64 * 100.0).abs())
}

/// A business and its records.
struct Business {
    user: User,
    campaigns: Vec<Campaign>,
}

struct World {
    store: Arc<dyn Store>,
    ana: Business,
    bob: Business,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("leo.db").display());
    let store = closer_core::store::open(&url).await.expect("open the store");
    let ana = business(&*store, "ana@crumb.example", "Crumb & Co", &ANA_CAMPAIGNS, "EUR", ANA_ROWS).await;
    let bob = business(
        &*store,
        "bob@cases.example",
        "CaseCraft",
        &["Phone Cases", "Screen Guards"],
        "USD",
        BOB_ROWS,
    )
    .await;
    seed_ana_chats(&*store, &ana).await;
    let zed = chat(&*store, bob.user.id, "Zed Carter", None).await;
    let lead = LeadScore { score: 97, reasons: vec![reason("buying_words", 40)] };
    update(
        &*store,
        &bob,
        &zed,
        ChatUpdate { lead: Some(lead), handoff_requested: Some(true), ..ChatUpdate::default() },
    )
    .await;
    World { store, ana, bob, _dir: dir }
}

async fn business(
    store: &dyn Store,
    email: &str,
    name: &str,
    campaigns: &[&str],
    currency: &str,
    rows: &[Row],
) -> Business {
    let mut user =
        User::new(Email::parse(email).expect("email"), PasswordHash("$argon2id$test".into()), now());
    user.business.business_name = name.to_owned();
    store.create_user(&user).await.expect("user");
    let mut made = Vec::new();
    for (i, campaign_name) in campaigns.iter().enumerate() {
        let mut campaign = Campaign::draft(user.id, *campaign_name, Platform::Facebook, now());
        campaign.product.name = format!("{campaign_name} product");
        campaign.product.price =
            Some(Money { amount_minor: 2490 + i64::try_from(i).expect("small"), currency: currency.into() });
        campaign.flow.greeting = "Hello!".into();
        campaign.status = CampaignStatus::Active;
        store.create_campaign(&campaign).await.expect("campaign");
        made.push(campaign);
    }
    for (campaign, at, values) in rows {
        let id = campaign.map(|name| made.iter().find(|c| c.name == name).expect("seeded campaign").id);
        let at = Timestamp::parse(at).expect("time");
        store
            .record_analytics(user.id, id, Platform::Facebook, at, &metrics(*values))
            .await
            .expect("analytics");
    }
    Business { user, campaigns: made }
}

fn reason(signal: &str, points: i32) -> LeadReason {
    LeadReason { signal: signal.into(), points }
}

async fn chat(store: &dyn Store, owner: UserId, name: &str, campaign: Option<&Campaign>) -> Chat {
    let new = NewChat {
        user_id: owner,
        platform: Platform::Facebook,
        customer_id: format!("psid-{}", name.to_lowercase().replace(' ', "-")),
        customer_name: name.to_owned(),
        campaign_id: campaign.map(|c| c.id),
        now: now(),
    };
    store.find_or_create_chat(&new).await.expect("chat").0
}

async fn update(store: &dyn Store, owner: &Business, chat: &Chat, update: ChatUpdate) -> Chat {
    store.update_chat(owner.user.id, chat.id, &update, now()).await.expect("update chat")
}

async fn say(store: &dyn Store, chat: &Chat, sender: Sender, text: &str, at: &str) {
    let message = Message {
        id: MessageId::new(),
        chat_id: chat.id,
        user_id: chat.user_id,
        sender,
        text: text.to_owned(),
        platform_message_id: None,
        sent_at: Timestamp::parse(at).expect("time"),
        delivery: if sender == Sender::Customer { DeliveryState::Received } else { DeliveryState::Sent },
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    };
    store.append_message(&message).await.expect("message");
}

async fn seed_ana_chats(store: &dyn Store, ana: &Business) {
    let panettone = &ana.campaigns[0];
    let scored = |score, reasons| Some(LeadScore { score, reasons });

    let maria = chat(store, ana.user.id, "Maria Santos", Some(panettone)).await;
    say(store, &maria, Sender::Customer, "Hi! Is the panettone still available?", "2026-11-20T08:00:00Z")
        .await;
    say(store, &maria, Sender::Ai, "Yes, baked to order every morning!", "2026-11-20T08:00:02Z").await;
    say(
        store,
        &maria,
        Sender::Customer,
        "Can I talk to a person about an order of 40 for my office?",
        "2026-11-20T08:05:00Z",
    )
    .await;
    let lead =
        scored(85, vec![reason("asked_price", 15), reason("buying_words", 40), reason("gave_contact", 30)]);
    let update_maria = ChatUpdate {
        lead,
        status: Some(ChatStatus::Qualified),
        handoff_requested: Some(true),
        ..ChatUpdate::default()
    };
    update(store, ana, &maria, update_maria).await;

    let joao = chat(store, ana.user.id, "João Silva", Some(panettone)).await;
    say(store, &joao, Sender::Customer, "Do you deliver to Porto?", "2026-11-19T17:00:00Z").await;
    let joao_update = ChatUpdate {
        lead: scored(72, vec![reason("asked_availability_or_shipping", 20)]),
        status: Some(ChatStatus::Qualified),
        mode: Some(ChatMode::Human),
        ..ChatUpdate::default()
    };
    update(store, ana, &joao, joao_update).await;

    let ana_costa = chat(store, ana.user.id, "Ana Costa", Some(&ana.campaigns[1])).await;
    update(
        store,
        ana,
        &ana_costa,
        ChatUpdate { lead: scored(64, vec![reason("asked_product", 10)]), ..ChatUpdate::default() },
    )
    .await;
    let rui = chat(store, ana.user.id, "Rui Lopes", None).await;
    update(store, ana, &rui, ChatUpdate { lead: scored(30, Vec::new()), ..ChatUpdate::default() }).await;
    let pedro = chat(store, ana.user.id, "Pedro Alves", Some(panettone)).await;
    let bought = ChatUpdate {
        lead: scored(90, Vec::new()),
        status: Some(ChatStatus::Converted),
        conversion: Some(Conversion {
            converted: true,
            order_value: Some(Money { amount_minor: 4980, currency: "EUR".into() }),
            converted_at: Some(now()),
        }),
        ..ChatUpdate::default()
    };
    update(store, ana, &pedro, bought).await;
    let gone = chat(store, ana.user.id, "Closed Carla", None).await;
    let closed = ChatUpdate {
        lead: scored(95, Vec::new()),
        status: Some(ChatStatus::Closed),
        handoff_requested: Some(true),
        ..ChatUpdate::default()
    };
    update(store, ana, &gone, closed).await;
}

/// Asks `question` in a fresh conversation with the rules.
async fn ask(world: &World, owner: &Business, question: &str) -> LeoAnswer {
    let mut conversation = LeoConversation::new(owner.user.id, now());
    Leo::rules()
        .ask(&*world.store, owner.user.id, &mut conversation, question, now())
        .await
        .unwrap_or_else(|e| panic!("{question}: {e}"))
}

#[track_caller]
fn says(answer: &LeoAnswer, question: &str, expected: &[String]) {
    for needle in expected {
        assert!(
            answer.text.contains(needle.as_str()),
            "{question}\nexpected {needle:?} in:\n{}",
            answer.text
        );
    }
    assert_eq!(answer.provider, "rules");
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // twenty questions read best one after the other
async fn twenty_questions_get_the_seeded_figures() {
    let world = world().await;
    let ana = &world.ana;

    // 1. Today's messages.
    let q = "How many messages did we get today?";
    let t = total(ANA_ROWS, "2026-11-20", "2026-11-20", None);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            format!("received {} messages and answered {}", t.messages_received, t.messages_answered),
            percent(t.messages_answered, t.messages_received),
        ],
    );
    assert_eq!(a.tools.len(), 1);
    assert_eq!(a.tools[0].name, "metrics");
    assert_eq!(a.tools[0].result["current"]["messages_received"], t.messages_received);

    // 2. Revenue this week, against the same days last week.
    let q = "revenue this week";
    let t = total(ANA_ROWS, "2026-11-16", "2026-11-20", None);
    let before = total(ANA_ROWS, "2026-11-09", "2026-11-13", None);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            eur(t.revenue_minor),
            format!("up {}", change(t.revenue_minor, before.revenue_minor)),
            eur(before.revenue_minor),
        ],
    );

    // 3. Response rate last week.
    let q = "What was the response rate last week?";
    let t = total(ANA_ROWS, "2026-11-09", "2026-11-15", None);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            percent(t.messages_answered, t.messages_received),
            format!("{} of {}", t.messages_answered, t.messages_received),
        ],
    );

    // 4. The best campaign this week.
    let q = "which campaign sold most this week?";
    let best = total(ANA_ROWS, "2026-11-16", "2026-11-20", Some("Panettone Christmas"));
    let second = total(ANA_ROWS, "2026-11-16", "2026-11-20", Some("Sourdough Club"));
    assert!(best.revenue_minor > second.revenue_minor, "the seed makes Panettone the best");
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            format!(
                "Best campaign this week: \"Panettone Christmas\" — {} revenue, {} conversions",
                eur(best.revenue_minor),
                best.conversions
            ),
            eur(second.revenue_minor),
        ],
    );

    // 5. The worst campaign this month.
    let q = "worst campaign this month";
    let worst = total(ANA_ROWS, "2026-11-01", "2026-11-20", Some("Croissant Week"));
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            format!("Weakest campaign this month: \"Croissant Week\" — {} revenue", eur(0)),
            format!("{} messages", worst.messages_received),
            "Gift Boxes".to_owned(),
        ],
    );

    // 6. Conversion rate yesterday.
    let q = "conversion rate yesterday";
    let t = total(ANA_ROWS, "2026-11-19", "2026-11-19", None);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            percent(t.conversions, t.conversations_started),
            format!("{} conversions from {} conversations", t.conversions, t.conversations_started),
        ],
    );

    // 7. The hottest leads: open chats only, highest score first.
    let q = "who are my hottest leads?";
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            "1. Maria Santos — score 85".into(),
            "2. João Silva — score 72".into(),
            "3. Ana Costa — score 64".into(),
            "4. Rui Lopes — score 30".into(),
        ],
    );
    assert!(
        !a.text.contains("Pedro") && !a.text.contains("Carla"),
        "converted and closed chats are not leads: {}",
        a.text
    );

    // 8. Chats waiting for a person.
    let q = "which chats are waiting for me?";
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            "2 chats are waiting".into(),
            "Maria Santos — asked for a person".into(),
            "João Silva — you took over".into(),
        ],
    );
    assert!(!a.text.contains("Carla"), "a closed chat waits for nobody: {}", a.text);

    // 9. One chat summed up.
    let q = "summarize the chat with Maria";
    let maria = world
        .store
        .list_chats(
            ana.user.id,
            &closer_core::model::ChatQuery { search: Some("Maria".into()), ..Default::default() },
        )
        .await
        .expect("chats")
        .items
        .remove(0);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            "Chat with Maria Santos".into(),
            format!("{}, answered by the AI, lead score {}", maria.status.as_str(), maria.lead.score),
            format!("{} messages", maria.message_count),
            "campaign \"Panettone Christmas\"".into(),
            "They asked for a person".into(),
            "Can I talk to a person about an order of 40".into(),
        ],
    );

    // 10. What to do next.
    let q = "what should I do next?";
    let recent = total(ANA_ROWS, "2026-11-14", "2026-11-20", None);
    let croissant = total(ANA_ROWS, "2026-11-14", "2026-11-20", Some("Croissant Week"));
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            "2 chats are waiting for you: João Silva (you took over), Maria Santos (asked for a person)"
                .into(),
            "1 hot lead has not bought yet".into(),
            "Ana Costa (64)".into(),
            format!(
                "Campaign \"Croissant Week\" had {} messages, {} conversations and {} leads",
                croissant.messages_received, croissant.conversations_started, croissant.leads
            ),
            format!(
                "{} of {} customer messages",
                recent.messages_received - recent.messages_answered,
                recent.messages_received
            ),
            "knowledge base has never been trained".into(),
        ],
    );

    // 11. Leads over the last 7 days.
    let q = "how many leads in the last 7 days?";
    let t = total(ANA_ROWS, "2026-11-14", "2026-11-20", None);
    let before = total(ANA_ROWS, "2026-11-07", "2026-11-13", None);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            format!("In the last 7 days (2026-11-14 to 2026-11-20): {} leads", t.leads),
            format!("({})", before.leads),
        ],
    );

    // 12. Sales this month.
    let q = "How many SALES this month??";
    let t = total(ANA_ROWS, "2026-11-01", "2026-11-20", None);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[format!(
            "{} conversions (sales), a {} conversion rate",
            t.conversions,
            percent(t.conversions, t.conversations_started)
        )],
    );

    // 13. Revenue last month, against September (nothing).
    let q = "revenue last month";
    let t = total(ANA_ROWS, "2026-10-01", "2026-10-31", None);
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[eur(t.revenue_minor), format!("from {} conversions", t.conversions), "October 2026".into()],
    );

    // 14. Conversations yesterday.
    let q = "how many new conversations yesterday?";
    let t = total(ANA_ROWS, "2026-11-19", "2026-11-19", None);
    let a = ask(&world, ana, q).await;
    says(&a, q, &[format!("{} new conversations", t.conversations_started)]);

    // 15. Response rate this week, with a typo.
    let q = "respnse rate this wek";
    let t = total(ANA_ROWS, "2026-11-16", "2026-11-20", None);
    let a = ask(&world, ana, q).await;
    says(&a, q, &[percent(t.messages_answered, t.messages_received)]);

    // 16. One campaign this week.
    let q = "How did Sourdough Club do this week?";
    let t = total(ANA_ROWS, "2026-11-16", "2026-11-20", Some("Sourdough Club"));
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            "for \"Sourdough Club\"".into(),
            format!("{} messages received, {} answered", t.messages_received, t.messages_answered),
            format!("revenue {}", eur(t.revenue_minor)),
        ],
    );

    // 17. A month by name.
    let q = "what was our revenue in October?";
    let t = total(ANA_ROWS, "2026-10-01", "2026-10-31", None);
    let a = ask(&world, ana, q).await;
    says(&a, q, &[format!("Revenue in October 2026: {}", eur(t.revenue_minor))]);

    // 18. Messages over the last 30 days.
    let q = "messages received in the last 30 days";
    let t = total(ANA_ROWS, "2026-10-22", "2026-11-20", None);
    let a = ask(&world, ana, q).await;
    says(&a, q, &[format!("received {} messages and answered {}", t.messages_received, t.messages_answered)]);

    // 19. The top two leads only.
    let q = "top 2 leads";
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            "Your hottest leads (2 of 4 open leads)".into(),
            "Maria Santos — score 85".into(),
            "João Silva — score 72".into(),
        ],
    );
    assert!(!a.text.contains("Ana Costa"), "{}", a.text);

    // 20. Every campaign this week, best first, and the idle one.
    let q = "how are my campaigns doing this week?";
    let a = ask(&world, ana, q).await;
    let mut expected = Vec::new();
    for (rank, name) in ["Panettone Christmas", "Sourdough Club", "Croissant Week"].iter().enumerate() {
        let t = total(ANA_ROWS, "2026-11-16", "2026-11-20", Some(name));
        expected.push(format!(
            "{}. \"{name}\" — {} revenue, {} conversions, {} leads",
            rank + 1,
            eur(t.revenue_minor),
            t.conversions,
            t.leads
        ));
    }
    expected.push("Active but without any activity this week: \"Gift Boxes\"".into());
    says(&a, q, &expected);

    // 21. Today against yesterday.
    let q = "revenue today";
    let (t, y) = (
        total(ANA_ROWS, "2026-11-20", "2026-11-20", None),
        total(ANA_ROWS, "2026-11-19", "2026-11-19", None),
    );
    let a = ask(&world, ana, q).await;
    says(
        &a,
        q,
        &[
            eur(t.revenue_minor),
            format!(
                "down {} on yesterday ({})",
                change(t.revenue_minor, y.revenue_minor),
                eur(y.revenue_minor)
            ),
        ],
    );
}

#[tokio::test]
async fn a_conversation_keeps_its_turns_and_follows_up() {
    let world = world().await;
    let ana = &world.ana;
    let leo = Leo::rules();
    let mut conversation = LeoConversation::new(ana.user.id, now());
    leo.ask(&*world.store, ana.user.id, &mut conversation, "revenue this week", now()).await.expect("first");
    let follow = leo
        .ask(&*world.store, ana.user.id, &mut conversation, "and last week?", now())
        .await
        .expect("second");
    let last_week = total(ANA_ROWS, "2026-11-09", "2026-11-15", None);
    assert!(follow.text.starts_with("Revenue last week"), "{}", follow.text);
    assert!(follow.text.contains(&eur(last_week.revenue_minor)), "{}", follow.text);
    let roles: Vec<LeoRole> = conversation.turns.iter().map(|t| t.role).collect();
    assert_eq!(roles, [LeoRole::Owner, LeoRole::Leo, LeoRole::Owner, LeoRole::Leo]);
    assert_eq!(conversation.turns[2].text, "and last week?");
    assert_eq!(conversation.turns[3].text, follow.text);

    // Kept within its bound, and stored as it is.
    for _ in 0..LeoConversation::MAX_TURNS {
        leo.ask(&*world.store, ana.user.id, &mut conversation, "hi", now()).await.expect("hi");
    }
    assert_eq!(conversation.turns.len(), LeoConversation::MAX_TURNS);
    world.store.save_leo_conversation(&conversation).await.expect("save");
    let stored = world.store.get_leo_conversation(ana.user.id, conversation.id).await.expect("load");
    assert_eq!(stored, conversation);
}

#[tokio::test]
async fn business_b_never_sees_business_a() {
    let world = world().await;
    let (ana, bob) = (&world.ana, &world.bob);
    let questions = [
        "How many messages did we get today?",
        "revenue this week",
        "What was the response rate last week?",
        "which campaign sold most this week?",
        "worst campaign this month",
        "who are my hottest leads?",
        "which chats are waiting for me?",
        "summarize the chat with Maria",
        "what should I do next?",
        "how are my campaigns doing this week?",
        "revenue last month",
        "How did Panettone Christmas do this week?",
    ];
    let ana_figures: Vec<String> = [
        total(ANA_ROWS, "2026-11-16", "2026-11-20", None).revenue_minor,
        total(ANA_ROWS, "2026-10-01", "2026-10-31", None).revenue_minor,
        total(ANA_ROWS, "2026-11-16", "2026-11-20", Some("Panettone Christmas")).revenue_minor,
    ]
    .iter()
    .map(|minor| format!("{}.{:02}", minor / 100, minor % 100))
    .collect();
    for question in questions {
        let answer = ask(&world, bob, question).await;
        let seen = format!("{}\n{}", answer.text, serde_json::to_string(&answer.tools).expect("json"));
        for secret in ANA_CAMPAIGNS
            .iter()
            .chain(ANA_CUSTOMERS.iter())
            .map(ToString::to_string)
            .chain(ana_figures.iter().cloned())
        {
            assert!(!seen.contains(&secret), "B asked {question:?} and saw A's {secret:?}:\n{seen}");
        }
        assert!(!seen.contains(&ana.user.id.to_string()));
    }
    // B's own figures are there.
    let t = total(BOB_ROWS, "2026-11-16", "2026-11-20", None);
    let answer = ask(&world, bob, "revenue this week").await;
    assert!(
        answer.text.contains(&format!("{}.{:02} USD", t.revenue_minor / 100, t.revenue_minor % 100)),
        "{}",
        answer.text
    );
    let answer = ask(&world, bob, "which chats are waiting for me?").await;
    assert!(
        answer.text.contains("1 chat is waiting for you") && answer.text.contains("Zed Carter"),
        "{}",
        answer.text
    );

    // A's conversation is not B's to continue, nor to read.
    let mut anas = LeoConversation::new(ana.user.id, now());
    let refused = Leo::rules().ask(&*world.store, bob.user.id, &mut anas, "revenue this week", now()).await;
    assert!(matches!(refused, Err(LeoError::NotFound)), "{refused:?}");
    assert!(anas.turns.is_empty());
    world.store.save_leo_conversation(&anas).await.expect("save");
    let read = world.store.get_leo_conversation(bob.user.id, anas.id).await;
    assert!(matches!(read, Err(StoreError::NotFound { .. })), "{read:?}");
}

#[tokio::test]
async fn bad_input_is_refused_or_answered_never_a_panic() {
    let world = world().await;
    let ana = &world.ana;
    let leo = Leo::rules();
    let mut conversation = LeoConversation::new(ana.user.id, now());
    for empty in ["", "   ", "\n\t"] {
        let refused = leo.ask(&*world.store, ana.user.id, &mut conversation, empty, now()).await;
        assert!(
            matches!(&refused, Err(LeoError::Invalid(why)) if why == "the question is empty"),
            "{refused:?}"
        );
    }
    let long = "revenue ".repeat(1_250);
    let refused = leo.ask(&*world.store, ana.user.id, &mut conversation, &long, now()).await;
    assert!(matches!(&refused, Err(LeoError::Invalid(why)) if why.contains("4000")), "{refused:?}");
    assert!(conversation.turns.is_empty(), "refused questions are not kept");

    // At the limit, and nonsense: answered with what Leo can do.
    let at_limit = "x".repeat(Leo::MAX_QUESTION_CHARS);
    for odd in [at_limit.as_str(), "🙂🙂🙂", "'; DROP TABLE chats; --", "summarize the chat with Nobody Here"]
    {
        let answer =
            leo.ask(&*world.store, ana.user.id, &mut conversation, odd, now()).await.expect("answered");
        assert!(!answer.text.is_empty());
    }
    let unknown = ask(&world, ana, "summarize the chat with Nobody Here").await;
    assert!(unknown.text.contains("couldn't find"), "{}", unknown.text);
    assert!(unknown.tools[0].is_error());
    let help = ask(&world, ana, "what's the weather in Lisbon?").await;
    assert!(help.text.contains("hottest leads") && help.tools.is_empty(), "{}", help.text);
    assert!(ask(&world, ana, "Hi Leo!").await.text.starts_with("Hi! I'm Leo"));
    assert!(ask(&world, ana, "thanks!").await.text.contains("welcome"));
}

// ── The model ───────────────────────────────────────────────────────────────────

fn model_config(fake: &FakeOpenAi) -> AiConfig {
    // A test binary's process has no TLS provider until one is installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    AiConfig {
        provider: AiProvider::OpenAi,
        api_key: "sk-test".into(),
        base_url: fake.url(),
        model: "gpt-test".into(),
        timeout_secs: 5,
        max_retries: 0,
        ..AiConfig::default()
    }
}

async fn ask_model(world: &World, fake: &FakeOpenAi, owner: &Business, question: &str) -> LeoAnswer {
    let leo = Leo::openai(&model_config(fake)).expect("leo");
    let mut conversation = LeoConversation::new(owner.user.id, now());
    leo.ask(&*world.store, owner.user.id, &mut conversation, question, now()).await.expect("answered")
}

#[tokio::test]
async fn the_model_calls_tools_and_words_the_real_numbers() {
    let world = world().await;
    let fake = FakeOpenAi::start().await;
    let week = total(ANA_ROWS, "2026-11-16", "2026-11-20", None);
    let revenue = eur(week.revenue_minor);
    fake.push(Answer::tool_calls(vec![("metrics", json!({ "period": "this_week" }))]));
    let text = format!("This week you made {revenue} from {} sales.", week.conversions);
    fake.push(Answer::text(&text));

    let answer = ask_model(&world, &fake, &world.ana, "How much did we make this week?").await;
    assert_eq!(answer.provider, "openai");
    assert_eq!(answer.text, text);
    assert_eq!(answer.tools.len(), 1);
    assert_eq!(answer.tools[0].name, "metrics");
    assert_eq!(answer.tools[0].result["current"]["revenue_minor"], week.revenue_minor);

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(
        first.tools(),
        ["metrics", "campaign_ranking", "hottest_leads", "waiting_for_human", "chat_summary", "next_steps"]
    );
    assert!(first.system().contains("Friday 2026-11-20"), "{}", first.system());
    assert!(first.system().contains("Crumb & Co"));
    assert_eq!(first.contents("user"), ["How much did we make this week?"]);
    let second = &requests[1];
    assert_eq!(second.assistant_tool_calls(), [("call_fake_1", "metrics", r#"{"period":"this_week"}"#)]);
    let results = second.tool_results();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].0, "call_fake_1");
    assert!(results[0].1.contains(&format!("\"revenue\":\"{revenue}\"")), "{}", results[0].1);
    assert!(results[0].1.contains(&format!("\"messages_received\":{}", week.messages_received)));
}

#[tokio::test]
async fn the_model_sees_only_its_own_business_and_bad_arguments_come_back_as_errors() {
    let world = world().await;
    let fake = FakeOpenAi::start().await;
    fake.push(Answer::tool_calls(vec![
        ("chat_summary", json!({ "chat": "Maria" })),
        ("hottest_leads", json!({ "limit": "lots" })),
        ("campaign_ranking", json!({ "period": "this_week", "user_id": world.ana.user.id.to_string() })),
        ("delete_everything", json!({})),
    ]));
    fake.push(Answer::text("I found no chat with Maria, and your best campaign this week is Phone Cases."));
    let answer = ask_model(&world, &fake, &world.bob, "summarize Maria's chat and rank my campaigns").await;
    assert_eq!(answer.provider, "openai", "{answer:?}");
    let errors: Vec<bool> = answer.tools.iter().map(closer_core::ai::leo::ToolCallRecord::is_error).collect();
    assert_eq!(errors, [true, true, false, true]);
    let sent = fake.last();
    let results = sent.tool_results();
    assert_eq!(results.len(), 4);
    let everything: String = results.iter().map(|(_, content)| *content).collect();
    for secret in ANA_CAMPAIGNS.iter().chain(["Santos", "Crumb"].iter()) {
        assert!(!everything.contains(secret), "B's model saw {secret}: {everything}");
    }
    assert!(everything.contains("Phone Cases"));
}

#[tokio::test]
async fn every_model_failure_ends_in_the_rules_answer() {
    let world = world().await;
    let week = total(ANA_ROWS, "2026-11-16", "2026-11-20", None);
    let failures: Vec<(&str, Vec<Answer>)> = vec![
        ("server error", vec![Answer::ServerError]),
        ("refused key", vec![Answer::Unauthorized]),
        ("quota", vec![Answer::QuotaExceeded]),
        ("not JSON", vec![Answer::RawBody("this is not json".into())]),
        ("not a completion", vec![Answer::RawBody(r#"{"hello":"world"}"#.into())]),
        ("empty text", vec![Answer::text("  ")]),
        ("invented figure", vec![Answer::text("You made 999.99 EUR this week, up 300%!")]),
        ("too many calls", vec![Answer::tool_calls((0..9).map(|_| ("next_steps", json!({}))).collect())]),
        (
            "tool calls then garbage",
            vec![Answer::tool_calls(vec![("metrics", json!({}))]), Answer::RawBody("{".into())],
        ),
    ];
    for (why, script) in failures {
        let fake = FakeOpenAi::start().await;
        for answer in script {
            fake.push(answer);
        }
        let answer = ask_model(&world, &fake, &world.ana, "revenue this week").await;
        assert_eq!(answer.provider, "rules", "{why}: {answer:?}");
        assert!(answer.text.contains(&eur(week.revenue_minor)), "{why}: {}", answer.text);
        assert_eq!(answer.tools.len(), 1, "{why}: the rules' own call is recorded");
    }

    // A model that never stops calling tools is cut off after its rounds.
    let fake = FakeOpenAi::start().await;
    fake.otherwise(Answer::tool_calls(vec![("metrics", json!({ "period": "today" }))]));
    let answer = ask_model(&world, &fake, &world.ana, "revenue this week").await;
    assert_eq!(answer.provider, "rules");
    assert_eq!(fake.request_count(), MAX_ROUNDS);

    // Nothing listening at all.
    let gone = FakeOpenAi::start().await;
    let config = model_config(&gone);
    drop(gone);
    let leo = Leo::openai(&config).expect("leo");
    let mut conversation = LeoConversation::new(world.ana.user.id, now());
    let answer = leo
        .ask(&*world.store, world.ana.user.id, &mut conversation, "revenue this week", now())
        .await
        .expect("answer");
    assert_eq!(answer.provider, "rules");
    assert_eq!(conversation.turns.len(), 2);
}
