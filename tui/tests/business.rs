//! The business screen: the onboarding wizard a new business is taken to (business
//! info, documents by path, training with its progress), the problems shown beside
//! the field they are about with what was typed kept, and the same screen editing a
//! business that finished onboarding. Each call is checked: path, method and body.

mod harness;

use std::path::PathBuf;

use closer_core::model::{BusinessInfo, DocumentId, DocumentMeta, KnowledgeStatus};
use closer_tui::{CallBody, Connection, Event, Method, Tab};
use crossterm::event::KeyCode;
use harness::{Console, minutes_ago, now};
use insta::assert_snapshot;
use serde_json::{Value, json};

fn ana() -> BusinessInfo {
    BusinessInfo {
        business_name: "Ana's Bakery".into(),
        owner_name: "Ana".into(),
        industry: "bakery".into(),
        description: "Bread, cakes and Christmas panettone, baked every morning in Porto".into(),
        website: "https://bakery.example".into(),
        phone: "+351 222 000 111".into(),
    }
}

fn onboarding(business: &BusinessInfo, completed: bool) -> Value {
    let missing: Vec<&str> = business.missing_required();
    json!({
        "business": business,
        "onboarding_completed": completed,
        "onboarding_completed_at": if completed { json!(minutes_ago(60)) } else { Value::Null },
        "missing": missing,
        "documents": 0,
        "documents_limit": 50,
    })
}

fn document(n: u8, filename: &str, size_bytes: u64) -> DocumentMeta {
    let mut id = *b"document-0000000";
    id[15] = n;
    DocumentMeta {
        id: DocumentId::from_custom_bytes(id),
        filename: filename.into(),
        content_type: "text/markdown".into(),
        size_bytes,
        uploaded_at: minutes_ago(30),
    }
}

fn knowledge(trained: Option<&KnowledgeStatus>, up_to_date: bool) -> Value {
    json!({ "trained": trained.is_some(), "last_training": trained, "up_to_date": up_to_date, "retrain_pending": false })
}

fn status(version: u64) -> KnowledgeStatus {
    KnowledgeStatus {
        version,
        last_trained_at: now(),
        fingerprint: "f1".into(),
        documents: 2,
        campaigns: 1,
        passages: 48,
        duration_ms: 1_240,
    }
}

/// Logged in, with closerd's answers to the screen's three loads.
fn business(info: &BusinessInfo, completed: bool, documents: &[DocumentMeta], trained: Value) -> Console {
    let mut console = Console::new(80, 24, Some("ana@bakery.example"));
    console.feed(Event::Connection(Connection::Connected));
    let loads = console.take_calls(Tab::Business);
    let asked: Vec<(Method, &str)> = loads.iter().map(|call| (call.method, call.path.as_str())).collect();
    assert_eq!(
        asked,
        [
            (Method::Get, "/onboarding"),
            (Method::Get, "/onboarding/documents"),
            (Method::Get, "/onboarding/knowledge")
        ]
    );
    let mut loads = loads.into_iter();
    let mut next = || loads.next().expect("a load");
    console.answer(next(), onboarding(info, completed));
    console.answer(next(), json!({ "documents": documents, "limit": 50 }));
    console.answer(next(), trained);
    console
}

#[test]
fn a_new_business_is_walked_through_onboarding() {
    let mut console = business(&BusinessInfo::default(), false, &[], knowledge(None, false));
    assert_eq!(console.app.tab(), Tab::Business, "the console opened the wizard by itself");
    let screen = console.screen();
    assert!(screen.contains("Set up your business · step 1 of 3"), "{screen}");
    assert_snapshot!("business_wizard_new", screen);
    step_1_business_info(&mut console);
    step_2_documents(&mut console);
    step_3_training(&mut console);
}

/// The fields, one after the other with Enter; the last one saves.
fn step_1_business_info(console: &mut Console) {
    console.key(KeyCode::Enter).type_text("Ana's Bakery").key(KeyCode::Enter);
    console.type_text("Ana").key(KeyCode::Enter).type_text("bakery").key(KeyCode::Enter);
    console.key(KeyCode::Enter).type_text("bakery.example").key(KeyCode::Enter);
    console.type_text("call me").key(KeyCode::Enter);
    assert!(console.take_requests().is_empty(), "problems are found before sending");
    let screen = console.screen();
    assert!(screen.contains("↳ the AI needs this one"), "{screen}");
    assert!(screen.contains("↳ a phone number is digits"), "{screen}");
    assert!(screen.contains("call me"), "what was typed is kept: {screen}");

    // The focus went to the first problem: the description.
    console.type_text("Bread and cakes, baked every morning in Porto");
    console.key(KeyCode::Tab).key(KeyCode::Tab).ctrl('u').type_text("+351 222 000 111");
    console.key(KeyCode::Enter);
    let save = console.asked(Tab::Business);
    assert_eq!((save.method, save.path.as_str()), (Method::Patch, "/onboarding"));
    assert_eq!(
        save.body,
        CallBody::Json(json!({
            "business_name": "Ana's Bakery",
            "owner_name": "Ana",
            "industry": "bakery",
            "description": "Bread and cakes, baked every morning in Porto",
            "website": "bakery.example",
            "phone": "+351 222 000 111",
        }))
    );

    // closerd refuses one field: the reason is beside it, and everything typed stays.
    console.refuse(save.clone(), "website is not valid: expected an address such as https://bakery.example");
    let screen = console.screen();
    assert!(screen.contains("↳ is not valid: expected an address such as"), "{screen}");
    assert!(screen.contains("Bread and cakes, baked every morning in Porto"), "{screen}");
    assert_snapshot!("business_refused_beside_the_field", screen);

    console.ctrl('u').type_text("https://bakery.example").key(KeyCode::Enter).key(KeyCode::Enter);
    let save = console.asked(Tab::Business);
    assert_eq!(
        save.body,
        CallBody::Json(json!({
            "business_name": "Ana's Bakery",
            "owner_name": "Ana",
            "industry": "bakery",
            "description": "Bread and cakes, baked every morning in Porto",
            "website": "https://bakery.example",
            "phone": "+351 222 000 111",
        }))
    );
    let mut saved = ana();
    saved.description = "Bread and cakes, baked every morning in Porto".into();
    console.answer(save, onboarding(&saved, true));
    let reload = console.asked(Tab::Business);
    assert_eq!((reload.method, reload.path.as_str()), (Method::Get, "/onboarding/knowledge"));
    console.answer(
        reload,
        json!({ "trained": false, "last_training": null, "up_to_date": false, "retrain_pending": true }),
    );
}

/// A document by its path; one that is not there is refused beside it.
fn step_2_documents(console: &mut Console) {
    let screen = console.screen();
    assert!(screen.contains("step 2 of 3") && screen.contains("No documents yet"), "{screen}");
    console.key(KeyCode::Char('a')).type_text("/home/ana/menu.md").key(KeyCode::Enter);
    let upload = console.asked(Tab::Business);
    assert_eq!((upload.method, upload.path.as_str()), (Method::Post, "/onboarding/documents"));
    assert_eq!(upload.body, CallBody::Document(PathBuf::from("/home/ana/menu.md")));
    console.refuse(upload, "/home/ana/menu.md: no such file");
    let screen = console.screen();
    assert!(screen.contains("› path> /home/ana/menu.md"), "the path is kept: {screen}");
    assert!(screen.contains("↳ /home/ana/menu.md: no such file"), "{screen}");
    assert_snapshot!("business_unknown_document_path", screen);

    console.ctrl('u').type_text("/home/ana/Menu.md").key(KeyCode::Enter);
    let upload = console.asked(Tab::Business);
    assert_eq!(upload.body, CallBody::Document(PathBuf::from("/home/ana/Menu.md")));
    let menu = document(1, "Menu.md", 12_560);
    console.answer(upload, serde_json::to_value(&menu).expect("json"));
    let reload = console.asked(Tab::Business);
    console.answer(reload, knowledge(None, false));
    let screen = console.screen();
    assert!(screen.contains("Menu.md") && screen.contains("12.5 kB"), "{screen}");
    assert!(screen.contains("added Menu.md"), "{screen}");
}

/// Training, with the seconds counted while closerd works.
fn step_3_training(console: &mut Console) {
    console.key(KeyCode::Tab).key(KeyCode::Char('t'));
    let train = console.asked(Tab::Business);
    assert_eq!(
        (train.method, train.path.as_str(), &train.body),
        (Method::Post, "/onboarding/train", &CallBody::None)
    );
    console.key(KeyCode::Char('t'));
    assert!(console.take_requests().is_empty(), "one training at a time");
    console.feed(Event::Tick(now() + std::time::Duration::from_secs(3)));
    let screen = console.screen();
    assert!(screen.contains("training the knowledge base … 3 s"), "{screen}");
    assert_snapshot!("business_training", screen);

    console.answer(train, knowledge(Some(&status(1)), true));
    let screen = console.screen();
    assert!(screen.contains("✓ trained: version 1"), "{screen}");
    assert!(screen.contains("2 documents · 1 campaign · 48 passages · in 1.2 s"), "{screen}");
    assert!(screen.contains("onboarding done"), "{screen}");
    assert!(screen.contains("Your business"), "the wizard is over: {screen}");
    assert_snapshot!("business_trained", screen);
}

#[test]
fn a_business_that_finished_onboarding_edits_the_same_screen() {
    let documents = [document(1, "menu.md", 12_560), document(2, "opening-hours.txt", 840)];
    let mut console = business(&ana(), true, &documents, knowledge(Some(&status(3)), true));
    assert_eq!(console.app.tab(), Tab::Chats, "no wizard for a business that finished onboarding");
    console.key(KeyCode::Char('6'));
    let screen = console.screen();
    assert!(screen.contains("Your business") && screen.contains("Ana's Bakery"), "{screen}");
    assert_snapshot!("business_edit", screen);

    // One field changed: only it is sent, and the screen stays on the form.
    console.key(KeyCode::Down).key(KeyCode::Enter).type_text(" Lopes").key(KeyCode::Esc);
    assert!(console.screen().contains("not saved yet"));
    console.key(KeyCode::Char('s'));
    let save = console.asked(Tab::Business);
    assert_eq!(save.body, CallBody::Json(json!({ "owner_name": "Ana Lopes" })));
    let mut saved = ana();
    saved.owner_name = "Ana Lopes".into();
    console.answer(save, onboarding(&saved, true));
    console.asked(Tab::Business);
    let screen = console.screen();
    assert!(screen.contains("Ana Lopes") && screen.contains("saved"), "{screen}");
    assert!(screen.contains("Your business"), "{screen}");

    // A required field cannot be blanked: said beside it before anything is sent.
    console.key(KeyCode::Enter).ctrl('u').key(KeyCode::Esc).key(KeyCode::Char('s'));
    assert!(console.take_requests().is_empty());
    assert!(console.screen().contains("↳ the AI needs this one"));
    console.key(KeyCode::Esc).key(KeyCode::Char('u'));
    assert!(console.screen().contains("Ana Lopes"), "u undoes what was not saved");

    // The documents: deleting asks first.
    console.key(KeyCode::Tab).key(KeyCode::Down).key(KeyCode::Char('d'));
    assert!(console.screen().contains("Delete opening-hours.txt?"));
    console.key(KeyCode::Char('y'));
    let delete = console.asked(Tab::Business);
    assert_eq!(delete.method, Method::Delete);
    assert_eq!(delete.path, format!("/onboarding/documents/{}", documents[1].id));
    console.answer(delete, Value::Null);
    let screen = console.screen();
    assert!(!screen.contains("opening-hours.txt") && screen.contains("1 of 50 documents"), "{screen}");

    console.key(KeyCode::Tab);
    let screen = console.screen();
    assert!(screen.contains("trained: version 3") && screen.contains("● up to date"), "{screen}");
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (width, height) in [(1, 1), (3, 2), (12, 5), (30, 9), (50, 14)] {
        let mut console = Console::new(width, height, Some("ana@bakery.example"));
        let loads = console.take_calls(Tab::Business);
        let mut loads = loads.into_iter();
        console.answer(loads.next().expect("load"), onboarding(&BusinessInfo::default(), false));
        console.answer(loads.next().expect("load"), json!({ "documents": [document(1, "menu.md", 10)] }));
        console.screen();
        console.key(KeyCode::Enter).type_text("x").key(KeyCode::Enter).key(KeyCode::Esc);
        console.key(KeyCode::Char('s'));
        console.screen();
        console.key(KeyCode::Tab).key(KeyCode::Char('a')).type_text("/nowhere.md").key(KeyCode::Enter);
        console.screen();
        console.key(KeyCode::Esc).key(KeyCode::Tab).key(KeyCode::Char('t'));
        console.screen();
    }
}
