//! The campaigns screen: the list with its figures, the form (checks in place, closerd's
//! refusals beside the field, an edit of a campaign changed meanwhile), the status
//! moves, deleting a draft, the AI preview, live updates, and every size down to tiny.

mod harness;

use closer_core::events::Event as Live;
use closer_core::model::{
    Campaign, CampaignId, CampaignStats, CampaignStatus, ChatFlow, Metrics, Money, Platform, Product,
    QualificationQuestion,
};
use closer_tui::{Call, CallBody, Connection, Event, Method, Tab};
use crossterm::event::KeyCode;
use harness::{Console, live, minutes_ago, user};
use insta::assert_snapshot;
use serde_json::{Value, json};

fn campaign_id(n: u8) -> CampaignId {
    let mut bytes = *b"campaign-0000000";
    bytes[15] = n;
    CampaignId::from_custom_bytes(bytes)
}

fn campaign(n: u8, name: &str, status: CampaignStatus) -> Campaign {
    Campaign {
        id: campaign_id(n),
        user_id: user(),
        name: name.to_owned(),
        product: Product::default(),
        platform: Platform::Facebook,
        status,
        is_default: false,
        flow: ChatFlow::default(),
        stats: CampaignStats::default(),
        version: 1,
        created_at: minutes_ago(60 * 24 * 30),
        updated_at: minutes_ago(60),
    }
}

fn euros(amount_minor: i64) -> Money {
    Money { amount_minor, currency: "EUR".into() }
}

/// Active, the default, ready in every field.
fn panettone() -> Campaign {
    let mut c = campaign(1, "Christmas panettone", CampaignStatus::Active);
    c.is_default = true;
    c.version = 3;
    c.product = Product {
        name: "Panettone 1 kg".into(),
        description: "Slow-risen for 36 hours, with candied orange and raisins.".into(),
        price: Some(euros(2490)),
        images: Vec::new(),
        features: vec!["Baked to order".into(), "Ships in 2 days".into()],
    };
    c.flow = ChatFlow {
        greeting: "Hello! Thinking of a panettone for Christmas?".into(),
        qualification_questions: vec![
            QualificationQuestion {
                question: "For how many people?".into(),
                options: vec!["2-4".into(), "5-8".into(), "More".into()],
            },
            QualificationQuestion { question: "When do you need it?".into(), options: Vec::new() },
        ],
        closing_message: "Wonderful! Here is how to order.".into(),
    };
    c.stats = CampaignStats { conversations: 40, leads: 15, conversions: 5, revenue_minor: 12_450 };
    c
}

/// A draft with a product but no price or greeting yet.
fn colomba() -> Campaign {
    let mut c = campaign(2, "Easter colomba", CampaignStatus::Draft);
    c.product.name = "Colomba 750 g".into();
    c
}

fn cookies() -> Campaign {
    let mut c = campaign(3, "Butter cookies", CampaignStatus::Paused);
    c.version = 5;
    c.product.name = "Butter cookies, 500 g tin".into();
    c.product.price = Some(euros(950));
    c.flow.greeting = "Hi! Fancy some cookies?".into();
    c
}

fn figures() -> Value {
    // Chats started: twice the leads; the rate is sales over them, as closerd gives it.
    let line = |id: Option<CampaignId>, leads: i64, sales: i64, revenue: i64, rate: Option<f64>| {
        json!({
            "name": "",
            "campaign_id": id,
            "metrics": {
                "messages_received": leads * 10,
                "conversations_started": leads * 2,
                "leads": leads,
                "conversions": sales,
                "revenue_minor": revenue,
            },
            "conversion_rate": rate,
        })
    };
    json!({
        "period": { "from": "2026-11-19", "to": "2026-11-25" },
        "campaigns": [
            line(Some(campaign_id(1)), 12, 3, 7_470, Some(0.125)),
            line(Some(campaign_id(3)), 2, 0, 0, Some(0.0)),
            line(None, 4, 0, 0, Some(0.0)),
        ],
    })
}

/// Logged in at `width` × `height`, on the campaigns tab, the list and its figures
/// answered.
fn campaigns_sized(width: u16, height: u16, list: &[Campaign]) -> Console {
    let mut console = Console::new(width, height, Some("ana@bakery.example"));
    console.feed(Event::Connection(Connection::Connected));
    let loads = console.take_calls(Tab::Campaigns);
    let paths: Vec<(Method, &str)> = loads.iter().map(|call| (call.method, call.path.as_str())).collect();
    assert_eq!(paths, [(Method::Get, "/campaigns"), (Method::Get, "/analytics/campaigns")]);
    console.key(KeyCode::Char('3'));
    assert_eq!(console.app.tab(), Tab::Campaigns);
    let mut loads = loads.into_iter();
    if let (Some(list_call), Some(figures_call)) = (loads.next(), loads.next()) {
        console.answer(list_call, json!({ "campaigns": list }));
        console.answer(figures_call, figures());
    }
    assert!(console.take_requests().is_empty());
    console
}

fn campaigns(list: &[Campaign]) -> Console {
    campaigns_sized(80, 24, list)
}

fn body(call: &Call) -> &Value {
    match &call.body {
        CallBody::Json(body) => body,
        other => panic!("expected a JSON body, got {other:?}"),
    }
}

#[test]
fn the_list_with_its_figures() {
    let mut console = campaigns(&[panettone(), colomba(), cookies()]);
    let screen = console.screen();
    assert!(screen.contains("★ Christmas panettone"), "the default is marked: {screen}");
    assert!(screen.contains("24.90 EUR") && screen.contains("74.70"), "{screen}");
    assert!(screen.contains("figures of 19 Nov–25 Nov"), "{screen}");
    assert_snapshot!("campaigns_loaded", screen);

    // Down to the draft: the summary says what it still lacks and what can be done.
    console.key(KeyCode::Char('j'));
    let screen = console.screen();
    assert!(screen.contains("Colomba 750 g · no price yet"), "{screen}");
    assert!(screen.contains("a activate · e edit · v preview · x delete"), "{screen}");

    // Enter shows it in full; Esc comes back.
    console.key(KeyCode::Enter);
    let screen = console.screen();
    assert!(screen.contains("to go live it needs: price, greeting"), "{screen}");
    console.key(KeyCode::Esc);
    assert!(console.screen().contains("Butter cookies"));

    // The search keeps the campaigns whose name or product matches.
    console.key(KeyCode::Char('/')).type_text("tin").key(KeyCode::Enter);
    let screen = console.screen();
    assert!(screen.contains("Butter cookies") && !screen.contains("Christmas panettone"), "{screen}");
}

#[test]
fn an_empty_list_says_how_to_start() {
    let mut console = campaigns(&[]);
    let screen = console.screen();
    assert!(screen.contains("No campaigns yet. n creates one"), "{screen}");
    assert!(screen.contains("Campaigns · 0"), "{screen}");
}

#[test]
fn the_list_that_cannot_be_loaded_says_why() {
    let mut console = Console::new(80, 24, Some("ana@bakery.example"));
    let list_call = console.take_calls(Tab::Campaigns).remove(0);
    console.key(KeyCode::Char('3'));
    assert!(console.screen().contains("loading the campaigns …"));
    console.refuse(list_call, "the store is not reachable");
    assert!(console.screen().contains("! loading the campaigns: the store is not reachable"));
}

#[test]
fn bad_input_is_refused_beside_its_field_and_kept() {
    let mut console = campaigns(&[panettone()]);
    console.key(KeyCode::Char('n'));
    assert!(console.app.tab() == Tab::Campaigns && console.screen().contains(" New campaign "));

    // No name; a product; a price that is no number. `q` is text in a form.
    console.key(KeyCode::Tab).type_text("Colomba quattro");
    console.key(KeyCode::Tab).key(KeyCode::Tab).type_text("abc");
    console.ctrl('s');
    assert!(console.take_requests().is_empty(), "nothing is sent");
    assert!(!console.app.should_quit());
    let screen = console.screen();
    assert!(screen.contains("! must not be empty"), "{screen}");
    assert!(screen.contains("! \"abc\" is not an amount: type a number such as 24.90"), "{screen}");
    assert!(screen.contains("Colomba quattro"), "what was typed stays: {screen}");
    assert!(screen.contains("EUR"), "the currency the business sells in: {screen}");
    assert_snapshot!("campaigns_form_refused", screen);

    // The focus is on the first problem. Over-long values are told with the model's
    // limits.
    assert!(screen.contains("Name ▸"), "{screen}");
    console.type_text(&"x".repeat(201));
    console.key(KeyCode::Down).key(KeyCode::Down).key(KeyCode::Down);
    console.ctrl('u').type_text("19.90");
    for _ in 0..4 {
        console.key(KeyCode::Down);
    }
    console.type_text("How many? | 2-4, a very long option for sure");
    console.ctrl('s');
    assert!(console.take_requests().is_empty());
    let screen = console.screen();
    assert!(screen.contains("! must be at most 200 characters"), "{screen}");
    assert!(screen.contains("! question 1, option 2 must be at most 20 characters"), "{screen}");
    assert!(!screen.contains("is not an amount"), "{screen}");

    // Esc with something typed asks before dropping it; n keeps the form.
    console.key(KeyCode::Esc);
    assert!(console.screen().contains("Drop what you typed in the form?"));
    console.key(KeyCode::Char('n'));
    assert!(console.screen().contains("Colomba quattro"));
    console.key(KeyCode::Esc).key(KeyCode::Char('y'));
    assert!(console.screen().contains("Christmas panettone"));
    assert!(!console.app.should_quit());
}

/// Fills the new campaign's form as an owner would, field by field.
fn fill_new_campaign(console: &mut Console) {
    console.key(KeyCode::Char('n'));
    console.type_text("Easter colomba").key(KeyCode::Tab);
    console.type_text("Colomba 750 g").key(KeyCode::Tab);
    console.key(KeyCode::Tab);
    console.type_text("19,90").key(KeyCode::Tab);
    console.key(KeyCode::Tab);
    console.type_text("Candied orange; Almond glaze;").key(KeyCode::Tab);
    console.type_text("Hi! An Easter colomba?").key(KeyCode::Tab);
    console.type_text("For how many people? | 2-4, 5-8; When?").key(KeyCode::Tab);
    console.type_text("Lovely, here is how to order.");
}

#[test]
fn a_valid_campaign_is_created_with_the_body_closerd_takes() {
    let mut console = campaigns(&[panettone()]);
    fill_new_campaign(&mut console);
    console.key(KeyCode::Enter);
    let call = console.asked(Tab::Campaigns);
    assert_eq!(
        (call.method, call.path.as_str(), call.doing),
        (Method::Post, "/campaigns", "creating the campaign")
    );
    assert_eq!(
        body(&call),
        &json!({
            "name": "Easter colomba",
            "product": {
                "name": "Colomba 750 g",
                "price": { "amount_minor": 1990, "currency": "EUR" },
                "features": ["Candied orange", "Almond glaze"],
            },
            "flow": {
                "greeting": "Hi! An Easter colomba?",
                "qualification_questions": [
                    { "question": "For how many people?", "options": ["2-4", "5-8"] },
                    { "question": "When?", "options": [] },
                ],
                "closing_message": "Lovely, here is how to order.",
            },
        })
    );
    assert!(console.screen().contains("saving …"));

    let mut created = colomba();
    created.name = "Easter colomba".into();
    console.answer(call, serde_json::to_value(&created).expect("json"));
    let screen = console.screen();
    assert!(screen.contains("created the draft “Easter colomba”"), "{screen}");
    assert!(screen.contains("▸  Easter colomba"), "the new one is selected, on top: {screen}");
}

#[test]
fn closerd_s_refusal_goes_beside_the_field_it_names() {
    let mut console = campaigns(&[panettone()]);
    fill_new_campaign(&mut console);
    console.ctrl('s');
    let call = console.asked(Tab::Campaigns);
    console.refuse(
        call.clone(),
        "product.price.currency is not valid: expected a three-letter ISO 4217 code such as USD",
    );
    let screen = console.screen();
    assert!(screen.contains("Currency ▸ EUR"), "the currency is focused: {screen}");
    assert!(screen.contains("! is not valid: expected a three-letter ISO 4217 code"), "beside it: {screen}");
    assert!(screen.contains("Hi! An Easter colomba?"), "what was typed stays: {screen}");

    // One it cannot place goes under the form, and saving again sends the same.
    console.ctrl('s');
    let again = console.asked(Tab::Campaigns);
    assert_eq!(again.body, call.body);
    console.refuse(again, "the request body is larger than 65536 bytes");
    assert!(
        console.screen().contains("! creating the campaign: the request body is larger than 65536 bytes")
    );
}

#[test]
fn an_edit_sends_what_changed_and_a_stale_one_can_be_saved_over_the_newer() {
    let mut console = campaigns(&[panettone(), cookies()]);
    console.key(KeyCode::Char('e'));
    assert!(console.screen().contains(" Edit · Christmas panettone "));
    // Nothing changed: nothing to send.
    console.ctrl('s');
    assert!(console.take_requests().is_empty());
    assert!(console.screen().contains("nothing changed"));

    console.key(KeyCode::Char('e'));
    console.key(KeyCode::Down).key(KeyCode::Down).key(KeyCode::Down);
    console.ctrl('u').type_text("26.50");
    console.ctrl('s');
    let call = console.asked(Tab::Campaigns);
    assert_eq!(
        (call.method, call.path.as_str()),
        (Method::Patch, format!("/campaigns/{}", campaign_id(1)).as_str())
    );
    let price = json!({ "version": 3, "product": { "price": { "amount_minor": 2650, "currency": "EUR" } } });
    assert_eq!(body(&call), &price);

    // Someone else saved first: closerd refuses, the form says what Ctrl-S does now.
    console.refuse(
        call,
        "the campaign was changed meanwhile (version 4 is stored, this edit is of version 3): reload and retry",
    );
    let screen = console.screen();
    assert!(screen.contains("! saving the campaign: the campaign was changed meanwhile"), "{screen}");
    assert!(screen.contains("Ctrl-S reads the campaign again and saves your values over it"), "{screen}");
    assert!(screen.contains("26.50"), "{screen}");

    console.ctrl('s');
    let reread = console.asked(Tab::Campaigns);
    assert_eq!(
        (reread.method, reread.path.as_str()),
        (Method::Get, format!("/campaigns/{}", campaign_id(1)).as_str())
    );
    let mut newer = panettone();
    newer.version = 4;
    newer.flow.greeting = "Ciao! A panettone for Christmas?".into();
    console.answer(reread, serde_json::to_value(&newer).expect("json"));
    let save = console.asked(Tab::Campaigns);
    let price = json!({ "version": 4, "product": { "price": { "amount_minor": 2650, "currency": "EUR" } } });
    assert_eq!(body(&save), &price, "only the price: the other greeting stays");

    let mut saved = newer;
    saved.version = 5;
    saved.product.price = Some(euros(2650));
    console.answer(save, serde_json::to_value(&saved).expect("json"));
    let screen = console.screen();
    assert!(screen.contains("saved “Christmas panettone”") && screen.contains("26.50 EUR"), "{screen}");
}

#[test]
fn an_active_campaign_keeps_its_price_says_closerd_beside_it() {
    let mut console = campaigns(&[panettone()]);
    console.key(KeyCode::Char('e')).key(KeyCode::Down).key(KeyCode::Down).key(KeyCode::Down);
    console.ctrl('u').ctrl('s');
    let call = console.asked(Tab::Campaigns);
    assert_eq!(body(&call), &json!({ "version": 3, "product": { "price": null } }));
    console.refuse(call, "product.price cannot be removed while the campaign is active");
    let screen = console.screen();
    assert!(screen.contains("Price ▸"), "the price is focused: {screen}");
    assert!(screen.contains("! cannot be removed while the campaign is active"), "{screen}");
}

#[test]
fn moves_send_their_paths_and_say_the_outcome() {
    let mut console = campaigns(&[panettone(), colomba(), cookies()]);
    let path = |n: u8, verb: &str| format!("/campaigns/{}/{verb}", campaign_id(n));

    console.key(KeyCode::Char('p'));
    let call = console.asked(Tab::Campaigns);
    assert_eq!(
        (call.method, call.path.clone(), call.body.clone()),
        (Method::Post, path(1, "pause"), CallBody::None)
    );
    let mut paused = panettone();
    paused.status = CampaignStatus::Paused;
    paused.is_default = false;
    console.answer(call, serde_json::to_value(&paused).expect("json"));
    let screen = console.screen();
    assert!(screen.contains("“Christmas panettone” is now paused"), "{screen}");
    assert!(!screen.contains('★'), "pausing drops the default mark: {screen}");

    for (key, verb) in [('r', "resume"), ('c', "complete"), ('d', "default"), ('a', "activate")] {
        console.key(KeyCode::Char(key));
        assert_eq!(console.asked(Tab::Campaigns).path, path(1, verb));
    }

    // The draft activated without a price: closerd's 422 says what is missing.
    console.key(KeyCode::Char('j')).key(KeyCode::Char('a'));
    let call = console.asked(Tab::Campaigns);
    assert_eq!(call.path, path(2, "activate"));
    console.refuse(call, "campaign cannot be activated yet: missing product.price, flow.greeting");
    let screen = console.screen();
    assert!(
        screen.contains("! activating the campaign: campaign cannot be activated yet: missing"),
        "{screen}"
    );
    assert!(screen.contains("greeting (e edits it)"), "{screen}");

    // An illegal move: closerd's 409 names the status.
    console.key(KeyCode::Char('p'));
    let call = console.asked(Tab::Campaigns);
    assert_eq!(call.path, path(2, "pause"));
    console.refuse(call, "cannot pause a campaign that is draft");
    let screen = console.screen();
    assert!(screen.contains("! pausing the campaign: cannot pause a campaign that is draft"), "{screen}");

    // The default mark: the one before loses it.
    console.key(KeyCode::Char('j')).key(KeyCode::Char('d'));
    let call = console.asked(Tab::Campaigns);
    let mut default = cookies();
    default.status = CampaignStatus::Active;
    default.is_default = true;
    console.feed(live(1, Live::CampaignUpdated { campaign: panettone() }));
    console.answer(call, serde_json::to_value(&default).expect("json"));
    let screen = console.screen();
    assert!(screen.contains("“Butter cookies” is now the default on facebook"), "{screen}");
    assert_eq!(screen.matches('★').count(), 2, "the row and the summary of the one default: {screen}");
}

#[test]
fn deleting_a_draft_asks_first() {
    let mut console = campaigns(&[panettone(), colomba()]);
    // Not a draft: said, and nothing asked or sent.
    console.key(KeyCode::Char('x'));
    assert!(console.take_requests().is_empty());
    assert!(console.screen().contains("! only a draft can be deleted: “Christmas panettone” is active"));

    console.key(KeyCode::Char('j')).key(KeyCode::Char('x'));
    let screen = console.screen();
    assert!(screen.contains("Delete the draft “Easter colomba”?"), "{screen}");
    console.key(KeyCode::Char('n'));
    assert!(console.take_requests().is_empty(), "any other key keeps it");
    assert!(!console.screen().contains("Delete the draft"));

    console.key(KeyCode::Delete).key(KeyCode::Char('y'));
    let call = console.asked(Tab::Campaigns);
    assert_eq!(
        (call.method, call.path.as_str()),
        (Method::Delete, format!("/campaigns/{}", campaign_id(2)).as_str())
    );
    console.answer(call, Value::Null);
    let screen = console.screen();
    assert!(screen.contains("deleted “Easter colomba”") && !screen.contains("Colomba 750 g"), "{screen}");
}

#[test]
fn the_preview_is_a_conversation_with_the_ai() {
    let mut console = campaigns(&[panettone()]);
    console.key(KeyCode::Char('v'));
    // Enter with nothing typed asks nothing.
    console.key(KeyCode::Enter);
    assert!(console.take_requests().is_empty());
    assert!(console.screen().contains("type what a customer would write"));

    console.type_text("how much is it?").key(KeyCode::Enter);
    let call = console.asked(Tab::Campaigns);
    assert_eq!((call.method, call.path.as_str()), (Method::Post, "/ai/preview"));
    assert_eq!(
        body(&call),
        &json!({ "campaign_id": campaign_id(1), "message": "how much is it?", "history": [] })
    );
    assert!(console.screen().contains("the AI is answering …"));
    let step = json!({ "step": "qualification", "index": 0 });
    console.answer(
        call,
        json!({
            "text": "Our panettone 1 kg is 24.90 EUR, baked to order. For how many people?",
            "quick_replies": [
                { "title": "2-4", "payload": "Q0_2-4" },
                { "title": "5-8", "payload": "Q0_5-8" },
            ],
            "intent": "price",
            "handoff": false,
            "signals": ["asked_price"],
            "next_step": step,
            "provider": "rules",
        }),
    );
    let screen = console.screen();
    assert!(screen.contains("AI · intent: price · by rules"), "{screen}");
    assert!(screen.contains("[2-4] [5-8]"), "{screen}");
    assert_snapshot!("campaigns_preview", screen);

    // The next message carries the conversation so far and where the flow stands.
    console.type_text("5-8").key(KeyCode::Enter);
    let call = console.asked(Tab::Campaigns);
    assert_eq!(
        body(&call),
        &json!({
            "campaign_id": campaign_id(1),
            "message": "5-8",
            "history": [
                { "from": "customer", "text": "how much is it?" },
                { "from": "ai", "text": "Our panettone 1 kg is 24.90 EUR, baked to order. For how many people?" },
            ],
            "step": step,
        })
    );
    // A refusal gives the message back to send again.
    console.refuse(call, "the AI could not answer: the model did not answer within 20 s");
    let screen = console.screen();
    assert!(screen.contains("customer> 5-8"), "{screen}");
    assert!(screen.contains("asking the AI for a preview: the AI could not answer"), "{screen}");

    // Esc stops writing, Esc again goes back to the list.
    console.key(KeyCode::Esc).key(KeyCode::Esc);
    assert!(console.screen().contains("/ search · n new"));
}

#[test]
fn live_updates_change_the_list() {
    let mut console = campaigns(&[panettone(), colomba()]);
    let mut activated = colomba();
    activated.status = CampaignStatus::Active;
    activated.product.price = Some(euros(1990));
    activated.version = 2;
    console.feed(live(1, Live::CampaignUpdated { campaign: activated }));
    let screen = console.screen();
    assert!(screen.contains("Easter colomba") && screen.contains("19.90 EUR"), "{screen}");
    assert!(!screen.contains("draft"), "{screen}");

    let mut new = cookies();
    new.name = "Advent calendar".into();
    console.feed(live(2, Live::CampaignUpdated { campaign: new }));
    assert!(console.screen().contains("Campaigns · 3"));

    console.feed(live(3, Live::CampaignDeleted { campaign_id: campaign_id(2) }));
    let screen = console.screen();
    assert!(!screen.contains("Easter colomba") && screen.contains("Campaigns · 2"), "{screen}");

    // Counters that moved are added to the figures shown, without asking again.
    let counted = |date: &str, leads: i64| Live::AnalyticsUpdated {
        campaign_id: Some(campaign_id(1)),
        platform: Platform::Facebook,
        date: date.parse().expect("a date"),
        hour: 14,
        increment: Metrics { leads, conversions: 1, revenue_minor: 2_490, ..Metrics::default() },
    };
    console.feed(live(4, counted("2026-11-25", 1)));
    assert!(console.take_requests().is_empty());
    let screen = console.screen();
    assert!(screen.contains("   13     4     99.60"), "{screen}");

    // A new day: the figures of the 7 days that end today are asked for, once while a
    // request is on its way, and once more after it for what came meanwhile.
    console.feed(live(5, counted("2026-11-26", 0))).feed(live(6, counted("2026-11-26", 0)));
    let call = console.asked(Tab::Campaigns);
    assert_eq!(call.path, "/analytics/campaigns");
    console.answer(call, figures());
    assert_eq!(console.asked(Tab::Campaigns).path, "/analytics/campaigns");
}

#[test]
fn wide_the_details_and_the_form_are_beside_the_list() {
    let mut console = campaigns_sized(120, 30, &[panettone(), colomba(), cookies()]);
    let screen = console.screen();
    assert!(screen.contains("Questions  1. For how many people? [2-4] [5-8]"), "{screen}");
    assert!(screen.contains("7 days     24 chats · 12 leads · 3 sales · 74.70"), "{screen}");
    assert_snapshot!("campaigns_wide_details", screen);

    console.key(KeyCode::Char('e'));
    let screen = console.screen();
    assert!(
        screen.contains(" Edit · Christmas panettone ") && screen.contains("Christmas panettone"),
        "{screen}"
    );
    assert!(screen.contains("For how many people? | 2-4, 5-8, More"), "{screen}");
}

#[test]
fn the_keys_are_listed_and_every_size_draws() {
    let mut console = campaigns(&[panettone(), colomba()]);
    console.key(KeyCode::Char('?'));
    let help = console.screen();
    assert!(help.contains("activate, pause, resume, complete"), "{help}");
    assert!(help.contains("delete a draft (asks first)"), "{help}");
    console.key(KeyCode::Esc);

    for (width, height) in [(1, 1), (10, 4), (24, 8), (40, 12), (79, 23), (100, 10)] {
        let mut console = campaigns_sized(width, height, &[panettone(), colomba()]);
        console.screen();
        for key in [KeyCode::Enter, KeyCode::Esc, KeyCode::Char('n')] {
            console.key(key);
            console.screen();
        }
        console.ctrl('s');
        console.screen();
        console.key(KeyCode::Esc).key(KeyCode::Char('y')).key(KeyCode::Char('v'));
        console.type_text("hello").key(KeyCode::Enter);
        console.screen();
        console.key(KeyCode::Esc).key(KeyCode::Esc).key(KeyCode::Char('j')).key(KeyCode::Char('x'));
        console.screen();
    }
}
