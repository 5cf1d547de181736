//! The integrations screen in its main states at 80×24 (no page, a page connected, a
//! page that needs reconnecting), and connecting a page: the checks made before
//! sending, the token never on screen, closerd's refusal beside the token, and the
//! calls made (paths and bodies) to connect, disconnect and toggle the sandbox.

mod harness;

use closer_core::events::{Event as Live, IntegrationSummary};
use closer_core::model::{IntegrationId, IntegrationStatus, Platform};
use closer_tui::{Answer, CallBody, Connection, Event, Method, Tab};
use crossterm::event::KeyCode;
use harness::{Console, live, minutes_ago};
use insta::assert_snapshot;
use serde_json::{Value, json};

const TOKEN: &str = "EAABsecretPageToken42";

fn integration(platform: Platform, status: IntegrationStatus) -> IntegrationSummary {
    let (id, page_id, page_name) = match platform {
        Platform::Sandbox => (*b"integration-sbx1", "sandbox-ana", "Sandbox"),
        _ => (*b"integration-fb-1", "104857392615", "Ana's Bakery"),
    };
    IntegrationSummary {
        id: IntegrationId::from_custom_bytes(id),
        platform,
        page_id: page_id.into(),
        page_name: page_name.into(),
        status,
        connected_at: minutes_ago(5 * 24 * 60),
        updated_at: minutes_ago(10),
    }
}

fn value(integration: &IntegrationSummary) -> Value {
    serde_json::to_value(integration).expect("json")
}

/// Logged in, on tab 4, with closerd's list of integrations.
fn integrations(list: &[IntegrationSummary]) -> Console {
    integrations_at(80, 24, list)
}

fn integrations_at(width: u16, height: u16, list: &[IntegrationSummary]) -> Console {
    let mut console = Console::new(width, height, Some("ana@bakery.example"));
    console.feed(Event::Connection(Connection::Connected));
    let load = match console.take_calls(Tab::Integrations).as_slice() {
        [load] => load.clone(),
        other => panic!("expected the list to load, got {other:?}"),
    };
    assert_eq!(
        (load.method, load.path.as_str(), &load.body),
        (Method::Get, "/integrations", &CallBody::None)
    );
    let list: Vec<Value> = list.iter().map(value).collect();
    console.feed(Event::Answer(Answer::Called { call: load, value: Value::Array(list) }));
    console.key(KeyCode::Char('4'));
    assert_eq!(console.app.tab(), Tab::Integrations);
    console
}

#[test]
fn nothing_connected_says_what_to_do() {
    let mut console = integrations(&[]);
    let screen = console.screen();
    assert!(screen.contains("○ not connected"), "{screen}");
    assert!(screen.contains("`closer simulate`"), "{screen}");
    assert_snapshot!("integrations_not_connected", screen);
}

#[test]
fn a_connected_page_and_sandbox() {
    let mut console = integrations(&[
        integration(Platform::Facebook, IntegrationStatus::Connected),
        integration(Platform::Sandbox, IntegrationStatus::Connected),
    ]);
    let screen = console.screen();
    assert!(screen.contains("● connected  Ana's Bakery · page 104857392615"), "{screen}");
    assert_snapshot!("integrations_connected", screen);
}

#[test]
fn a_page_that_needs_reconnecting_says_why_and_what_to_do() {
    let mut console = integrations(&[integration(Platform::Facebook, IntegrationStatus::Connected)]);
    let event = Live::IntegrationUpdated {
        integration: integration(Platform::Facebook, IntegrationStatus::NeedsReconnect),
        detail: Some("Facebook refused the token (OAuthException 190): the password was changed".into()),
    };
    console.feed(live(1, event));
    let screen = console.screen();
    assert!(screen.contains("▲ needs reconnecting"), "{screen}");
    assert!(screen.contains("the page token expired or was revoked"), "{screen}");
    assert!(screen.contains("the password was changed"), "{screen}");
    assert_snapshot!("integrations_needs_reconnect", screen);

    // Reconnecting asks only for the token: the page id is known.
    console.key(KeyCode::Char('c')).type_text(TOKEN).key(KeyCode::Enter);
    let call = console.asked(Tab::Integrations);
    assert_eq!(call.body, CallBody::Json(json!({ "page_id": "104857392615", "page_access_token": TOKEN })));
}

#[test]
fn connecting_a_page_checks_masks_and_keeps_what_was_typed() {
    let mut console = integrations(&[]);
    console.key(KeyCode::Char('c'));
    assert!(console.app.tab() == Tab::Integrations);

    // While the form is open every key is text: `q` and `4` are typed, not obeyed.
    console.type_text("Ana's bakery q4").key(KeyCode::Enter);
    assert!(!console.app.should_quit());
    assert!(console.take_requests().is_empty(), "nothing is sent");
    let screen = console.screen();
    assert!(screen.contains("a page id is digits only"), "{screen}");
    assert!(screen.contains("Ana's bakery q4"), "what was typed is kept: {screen}");
    assert_snapshot!("integrations_connect_bad_page_id", screen);

    console.ctrl('u').type_text("104857392615").key(KeyCode::Enter);
    console.key(KeyCode::Enter);
    assert!(console.take_requests().is_empty());
    assert!(console.screen().contains("paste the page access token"));

    console.feed(Event::Paste(format!("{TOKEN}\n")));
    let screen = console.screen();
    assert!(!screen.contains(TOKEN) && !screen.contains("secret"), "the token is never shown: {screen}");
    assert!(screen.contains("•••••"), "{screen}");
    assert_snapshot!("integrations_connect_token_masked", screen);

    console.key(KeyCode::Enter);
    let call = console.asked(Tab::Integrations);
    assert_eq!((call.method, call.path.as_str()), (Method::Post, "/integrations/facebook"));
    assert_eq!(
        call.body,
        CallBody::Json(json!({ "page_id": "104857392615", "page_access_token": TOKEN })),
        "trimmed as closerd trims"
    );

    // Facebook refuses the token: the reason is beside it, both fields are kept.
    console.refuse(
        call.clone(),
        "token invalid or expired (OAuthException 190): create a new page \
         access token and connect again",
    );
    let screen = console.screen();
    assert!(screen.contains("↳ token invalid or expired"), "{screen}");
    assert!(screen.contains("104857392615") && !screen.contains(TOKEN), "{screen}");
    assert_snapshot!("integrations_connect_token_refused", screen);

    // Trying again sends the same; closerd's answer closes the form.
    console.key(KeyCode::Enter);
    assert_eq!(console.asked(Tab::Integrations), call);
    console.answer(call, value(&integration(Platform::Facebook, IntegrationStatus::Connected)));
    let screen = console.screen();
    assert!(screen.contains("● connected  Ana's Bakery"), "{screen}");
    assert!(screen.contains("connected Ana's Bakery: the AI answers its customers now"), "{screen}");
    assert!(!screen.contains("Page access token"), "{screen}");
}

#[test]
fn esc_cancels_the_form_and_a_page_already_taken_is_refused_beside_the_id() {
    let mut console = integrations(&[]);
    console.key(KeyCode::Char('c')).type_text("104857392615").key(KeyCode::Tab).type_text(TOKEN);
    console.key(KeyCode::Enter);
    let call = console.asked(Tab::Integrations);
    console.refuse(call, "facebook page 104857392615 is connected to another business");
    let screen = console.screen();
    assert!(screen.contains("↳ facebook page 104857392615 is connected to another"), "{screen}");
    console.key(KeyCode::Esc);
    assert!(!console.screen().contains("Page access token"));
    console.key(KeyCode::Char('q'));
    assert!(console.app.should_quit(), "out of the form, q quits");
}

#[test]
fn disconnecting_asks_first_and_the_sandbox_toggles() {
    let mut console = integrations(&[integration(Platform::Facebook, IntegrationStatus::Connected)]);
    console.key(KeyCode::Char('d'));
    assert!(console.screen().contains("Disconnect Ana's Bakery · page 104857392615?"));
    console.key(KeyCode::Char('n'));
    assert!(console.take_requests().is_empty(), "n keeps the page");

    console.key(KeyCode::Char('d')).key(KeyCode::Char('y'));
    let call = console.asked(Tab::Integrations);
    assert_eq!(
        (call.method, call.path.as_str(), &call.body),
        (Method::Delete, "/integrations/facebook", &CallBody::None)
    );
    console.answer(call, value(&integration(Platform::Facebook, IntegrationStatus::Disconnected)));
    let screen = console.screen();
    assert!(screen.contains("○ not connected  (was Ana's Bakery · page 104857392615)"), "{screen}");

    console.key(KeyCode::Char('s'));
    let call = console.asked(Tab::Integrations);
    assert_eq!(
        (call.method, call.path.as_str(), &call.body),
        (Method::Post, "/integrations/sandbox", &CallBody::None)
    );
    console.key(KeyCode::Char('s'));
    assert!(console.take_requests().is_empty(), "one change at a time");
    console.answer(call, value(&integration(Platform::Sandbox, IntegrationStatus::Connected)));
    assert!(console.screen().contains("the sandbox is connected"));

    console.key(KeyCode::Char('s'));
    let call = console.asked(Tab::Integrations);
    assert_eq!((call.method, call.path.as_str()), (Method::Delete, "/integrations/sandbox"));
    console.refuse(call, "the store (store) is not reachable");
    assert!(console.screen().contains("disconnecting the sandbox: the store (store) is not reachable"));
}

#[test]
fn a_failed_load_says_so_and_the_keys_are_listed() {
    let mut console = Console::new(80, 24, Some("ana@bakery.example"));
    let load = console.take_calls(Tab::Integrations).remove(0);
    console.refuse(load, "closerd cannot be reached at http://127.0.0.1:8080");
    console.key(KeyCode::Char('4'));
    let screen = console.screen();
    assert!(screen.contains("loading the integrations: closerd cannot be reached"), "{screen}");
    assert!(screen.contains("Ctrl-R tries again"), "{screen}");
    console.key(KeyCode::Char('?'));
    let help = console.screen();
    assert!(help.contains("connect a Facebook page") && help.contains("connect or disconnect the sandbox"));
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (width, height) in [(1, 1), (2, 3), (10, 4), (24, 8), (40, 12), (80, 24)] {
        let page = integration(Platform::Facebook, IntegrationStatus::NeedsReconnect);
        let mut console = integrations_at(width, height, &[page]);
        console.screen();
        console.key(KeyCode::Char('c')).type_text("12x").key(KeyCode::Tab).type_text(TOKEN);
        console.key(KeyCode::Enter);
        console.screen();
    }
}
