//! The console's chat screens in their main states, drawn at 80×24 (and wider where
//! the layout changes), and the session a shop owner has with a chat: open it, take it
//! over, write, send, hand it back. Each step is fed as the runner would feed it (keys,
//! live events, closerd's answers) and checked on screen and in the requests made.

mod harness;

use std::collections::HashMap;

use closer_core::events::Event as Live;
use closer_core::model::{CampaignId, Chat, ChatMode, ChatStatus, DeliveryState, Money, Sender};
use closer_tui::{Answer, ChatDetail, Connection, Event, Failure, ReplyWindow, Request, Tab};
use crossterm::event::KeyCode;
use harness::{Console, chat, chat_id, live, message, minutes_ago, now};
use insta::assert_snapshot;

fn panettone() -> CampaignId {
    CampaignId::from_custom_bytes(*b"campaign-panet-1")
}

/// Four chats of a bakery: one wants a person, one is hot, one taken over, one cold.
fn bakery_chats() -> Vec<Chat> {
    let mut maria = chat(1, "Maria Lopes", 2);
    maria.handoff_requested = true;
    maria.campaign_id = Some(panettone());
    let mut joao = chat(2, "João Pereira", 15);
    joao.lead.score = 85;
    joao.campaign_id = Some(panettone());
    let mut ines = chat(3, "Inês Costa", 90);
    ines.mode = ChatMode::Human;
    let mut rui = chat(4, "Rui", 60 * 26);
    rui.status = ChatStatus::Closed;
    vec![rui, ines, joao, maria]
}

fn bakery() -> Console {
    let mut console = Console::new(80, 24, Some("ana@bakery.example"));
    console.feed(Event::Connection(Connection::Connected));
    let campaigns = HashMap::from([(panettone(), "Christmas panettone".to_owned())]);
    console.feed(Event::Answer(Answer::Chats { chats: bakery_chats(), campaigns }));
    console
}

/// closerd's answer to opening `chat`, with a short conversation.
fn opened(chat: &Chat) -> Event {
    Event::Answer(Answer::Chat(Box::new(ChatDetail {
        chat: chat.clone(),
        window: ReplyWindow {
            automated_until: Some(minutes_ago(2 - 24 * 60)),
            human_until: Some(minutes_ago(2 - 7 * 24 * 60)),
        },
        messages: vec![
            message(chat, 1, Sender::Customer, "Hello! How much is the panettone?", 5),
            message(chat, 2, Sender::Ai, "Hello! The Panettone 1 kg is 24.90 EUR. For how many people?", 4),
            message(chat, 3, Sender::Customer, "Can I talk to a person about a big order?", 2),
        ],
    })))
}

#[test]
fn the_login_screen_refuses_bad_input_in_place_and_keeps_it() {
    let mut console = Console::new(80, 24, None);
    assert!(console.take_requests().is_empty(), "nothing is loaded before a login");
    assert_snapshot!("login_empty", console.screen());

    console.type_text("ana.bakery.example").key(KeyCode::Enter).type_text("hunter2").key(KeyCode::Enter);
    assert!(console.take_requests().is_empty(), "a bad email is not sent");
    let screen = console.screen();
    assert!(screen.contains("enter your email address"), "{screen}");
    assert!(screen.contains("ana.bakery.example"), "what was typed stays: {screen}");
    assert_snapshot!("login_bad_email", screen);

    // Fixed in place (the refusal put the cursor on the email), sent as a login.
    for _ in 0.."ana.bakery.example".len() - 3 {
        console.key(KeyCode::Backspace);
    }
    console.type_text("@bakery.example").key(KeyCode::Tab).key(KeyCode::Enter);
    assert_eq!(
        console.take_requests(),
        [Request::Login { email: "ana@bakery.example".into(), password: "hunter2".into() }]
    );

    // closerd refuses: the message under the form, the email kept.
    let refused = Failure::NotAuthenticated("wrong email or password".into());
    let request = Request::Login { email: "ana@bakery.example".into(), password: "hunter2".into() };
    console.feed(Event::Answer(Answer::Failed { request, error: refused }));
    let screen = console.screen();
    assert!(screen.contains("wrong email or password") && screen.contains("ana@bakery.example"), "{screen}");

    // And a login that works opens the chats and loads them.
    console.feed(Event::Answer(Answer::LoggedIn { email: "ana@bakery.example".into() }));
    assert_eq!(
        console.take_chat_requests(),
        [Request::LoadChats, Request::LoadDashboard { today: now().date() }]
    );
    assert_eq!(console.app.tab(), Tab::Chats);
}

#[test]
fn the_chat_list_in_its_states() {
    let mut loading = Console::new(80, 24, Some("ana@bakery.example"));
    assert_eq!(
        loading.take_chat_requests(),
        [Request::LoadChats, Request::LoadDashboard { today: now().date() }]
    );
    assert_snapshot!("chats_loading", loading.screen());

    let mut empty = Console::with_chats(80, 24, Vec::new());
    assert!(empty.screen().contains("No chats yet"));

    let mut failed = Console::new(80, 24, Some("ana@bakery.example"));
    let error =
        Failure::Unreachable("closerd is not reachable at http://127.0.0.1:8080: is it running?".into());
    failed.feed(Event::Answer(Answer::Failed { request: Request::LoadChats, error }));
    failed.feed(Event::Connection(Connection::Reconnecting { attempt: 3, retry_in_secs: 4 }));
    let screen = failed.screen();
    assert!(screen.contains("loading the chats: closerd is not reachable"), "{screen}");
    assert!(screen.contains("reconnecting in 4s"), "{screen}");
    assert_snapshot!("chats_unreachable", screen);

    let mut console = bakery();
    let screen = console.screen();
    assert_eq!(screen.matches(" active ").count(), 3, "{screen}");
    assert_eq!(screen.matches(" closed ").count(), 1, "{screen}");
    assert!(screen.find("Maria Lopes") < screen.find("João Pereira"), "latest activity first: {screen}");
    assert!(screen.contains("▸! Maria Lopes"), "the first row is selected and asks for a person: {screen}");
    assert_snapshot!("chats_loaded", screen);
}

#[test]
fn filters_and_search_narrow_the_list() {
    let mut console = bakery();
    console.key(KeyCode::Char('f'));
    let waiting = console.screen();
    assert!(waiting.contains("waiting for you · 1 of 4") && waiting.contains("Maria Lopes"), "{waiting}");
    assert!(!waiting.contains("João"), "{waiting}");
    console.key(KeyCode::Char('f'));
    assert!(console.screen().contains("hot leads · 1 of 4"));
    assert_eq!(
        console.app.chats().listed().map(|c| c.customer_name.as_str()).collect::<Vec<_>>(),
        ["João Pereira"]
    );

    // Back to all, then search: typed keys are text, not commands (q does not quit).
    for _ in 0..5 {
        console.key(KeyCode::Char('f'));
    }
    console.key(KeyCode::Char('/')).type_text("qu");
    assert!(!console.app.should_quit());
    assert_eq!(console.app.chats().listed().count(), 0, "no customer matches 'qu'");
    assert!(console.screen().contains("No chat matches"));
    console.key(KeyCode::Backspace).key(KeyCode::Backspace).type_text("ine").key(KeyCode::Enter);
    let names: Vec<_> = console.app.chats().listed().map(|c| c.customer_name.clone()).collect();
    assert_eq!(
        names,
        ["Inês Costa"],
        "a name matches whatever its accents are typed as: not yet; 'ine' matches 'Inês'"
    );
    console.key(KeyCode::Esc);
    assert_eq!(console.app.chats().listed().count(), 4, "Esc clears the search");
}

#[test]
fn a_new_message_moves_its_chat_to_the_top_and_flags_it() {
    let mut console = bakery();
    let ines = bakery_chats().remove(1);
    let mut text = message(&ines, 10, Sender::Customer, "Is the shop open on Sunday?", 0);
    text.sent_at = now();
    console.feed(live(1, Live::ChatMessage { chat_id: ines.id, message: text }));
    let screen = console.screen();
    let first_row = screen.lines().nth(4).unwrap_or_default();
    assert!(first_row.contains("● Inês Costa") && first_row.contains("1 new"), "{screen}");
    assert!(screen.contains("▸! Maria Lopes"), "the cursor stays on the chat it was on: {screen}");
    assert_snapshot!("chats_new_message", screen);

    // A chat the console had never seen arrives live.
    let mut newcomer = chat(9, "Beatriz", 0);
    newcomer.last_activity_at = now();
    console.feed(live(2, Live::ChatCreated { chat: newcomer }));
    assert_eq!(console.app.chats().listed().next().map(|c| c.customer_name.as_str()), Some("Beatriz"));
}

#[test]
fn opening_taking_over_writing_and_handing_back() {
    let mut console = bakery();
    console.take_requests();
    let maria = bakery_chats().remove(3);

    console.key(KeyCode::Enter);
    assert_eq!(console.take_requests(), [Request::OpenChat(maria.id)]);
    assert!(console.screen().contains("loading the transcript"));
    console.feed(opened(&maria));
    let screen = console.screen();
    assert!(screen.contains("Can I talk to a person about a big order?"), "{screen}");
    assert!(screen.contains("asks for a person"), "{screen}");
    assert_snapshot!("chat_open_handoff", screen);

    // Writing before taking over is refused with what to do.
    console.key(KeyCode::Char('i'));
    assert!(console.screen().contains("take it over first (t)"));
    assert!(console.take_requests().is_empty());

    console.key(KeyCode::Char('t'));
    assert_eq!(console.take_requests(), [Request::TakeOver(maria.id)]);
    let mut taken = maria.clone();
    taken.mode = ChatMode::Human;
    taken.handoff_requested = false;
    console.feed(Event::Answer(Answer::ChatChanged(Box::new(taken.clone()))));
    let screen = console.screen();
    assert!(screen.contains("taken over by you"), "{screen}");
    assert!(
        screen.contains("you can answer until 14:58 tomorrow") || screen.contains("you can answer until"),
        "{screen}"
    );

    // An empty message is refused in place; a typed one is sent once.
    console.key(KeyCode::Char('i')).key(KeyCode::Enter);
    assert!(console.screen().contains("type a message first"));
    console.type_text("Hi Maria, this is Ana. How many panettoni?");
    assert_snapshot!("chat_writing", console.screen());
    console.key(KeyCode::Enter).key(KeyCode::Enter);
    let sent = "Hi Maria, this is Ana. How many panettoni?".to_owned();
    assert_eq!(
        console.take_requests(),
        [Request::Send { chat: maria.id, text: sent.clone() }],
        "Enter twice sends once"
    );
    assert!(console.screen().contains("sending …"));

    let mut mine = message(&taken, 4, Sender::Business, &sent, 0);
    mine.delivery = DeliveryState::Sent;
    console.feed(Event::Answer(Answer::Sent(Box::new(mine.clone()))));
    // The same message comes back live: shown once.
    console.feed(live(3, Live::ChatMessage { chat_id: maria.id, message: mine.clone() }));
    console.feed(live(
        4,
        Live::MessageDelivery { chat_id: maria.id, message_id: mine.id, delivery: DeliveryState::Read },
    ));
    let screen = console.screen();
    assert_eq!(screen.matches("How many panettoni?").count(), 1, "{screen}");
    assert!(screen.contains("You · 15:00 · read"), "{screen}");
    assert_snapshot!("chat_answered", screen);

    console.key(KeyCode::Esc).key(KeyCode::Char('h'));
    assert_eq!(console.take_requests(), [Request::HandBack(maria.id)]);
}

#[test]
fn a_sale_asks_for_the_order_value_and_refuses_what_is_not_one() {
    let mut console = bakery();
    let maria = bakery_chats().remove(3);
    console.key(KeyCode::Enter).feed(opened(&maria));
    console.take_requests();

    console.key(KeyCode::Char('c')).type_text("about forty").key(KeyCode::Enter);
    let screen = console.screen();
    assert!(screen.contains("\"about forty\" is not an amount"), "{screen}");
    assert!(screen.contains("about forty"), "what was typed stays: {screen}");
    assert_snapshot!("chat_sale_bad_value", screen);
    assert!(console.take_requests().is_empty());

    for _ in 0.."about forty".len() {
        console.key(KeyCode::Backspace);
    }
    console.type_text("49,90").key(KeyCode::Enter);
    assert_eq!(console.take_requests(), [Request::Convert { chat: maria.id, amount_minor: 4990 }]);

    // closerd refuses (no currency known): said in place.
    let error = Failure::Refused("no currency known for this chat".into());
    let request = Request::Convert { chat: maria.id, amount_minor: 4990 };
    console.feed(Event::Answer(Answer::Failed { request, error }));
    assert!(console.screen().contains("recording the sale: no currency known"));

    let mut sold = maria.clone();
    sold.status = ChatStatus::Converted;
    sold.conversion.converted = true;
    sold.conversion.order_value = Some(Money { amount_minor: 4990, currency: "EUR".into() });
    console.feed(Event::Answer(Answer::ChatChanged(Box::new(sold))));
    let screen = console.screen();
    assert!(screen.contains("sold 49.90 EUR") && !screen.contains("order value"), "{screen}");
}

#[test]
fn a_wide_terminal_shows_the_list_and_the_chat_side_by_side() {
    let mut console = bakery();
    console.terminal.backend_mut().resize(120, 30);
    let maria = bakery_chats().remove(3);
    console.key(KeyCode::Enter).feed(opened(&maria));
    let screen = console.screen();
    let titles = screen.lines().nth(1).unwrap_or_default();
    assert!(
        titles.contains("Chats · all") && titles.contains("Maria Lopes · Christmas panettone"),
        "{screen}"
    );
    assert!(screen.contains("João Pereira") && screen.contains("How much is the panettone"), "{screen}");
    assert_snapshot!("chats_wide_open", screen);
}

#[test]
fn help_lists_the_keys_of_the_screen_and_any_key_closes_it() {
    let mut console = bakery();
    console.key(KeyCode::Char('?'));
    let screen = console.screen();
    for key in ["Enter", "open the chat", "filter", "quit"] {
        assert!(screen.contains(key), "{key}: {screen}");
    }
    assert_snapshot!("help_chats", screen);
    console.key(KeyCode::Char('q'));
    assert!(!console.app.should_quit(), "the key that closes help does nothing else");
    assert!(!console.screen().contains("any key closes this"));
}

#[test]
fn quitting_while_writing_asks_first() {
    let mut console = bakery();
    let ines = bakery_chats().remove(1);
    console.key(KeyCode::Down).key(KeyCode::Down).key(KeyCode::Enter).feed(opened(&ines));
    console.key(KeyCode::Char('i')).type_text("quick question");
    assert!(!console.app.should_quit(), "q is text while writing");
    console.ctrl('c');
    assert!(console.screen().contains("Quit and lose it?"));
    console.key(KeyCode::Char('n'));
    assert!(!console.app.should_quit());
    assert!(console.screen().contains("quick question"), "the draft is kept");
    console.ctrl('c').key(KeyCode::Char('y'));
    assert!(console.app.should_quit());
}

#[test]
fn a_burst_of_live_events_does_not_hold_up_a_key() {
    let mut console = Console::with_chats(
        80,
        24,
        (0..200).map(|n| chat(n, &format!("Customer {n}"), i64::from(n) + 1)).collect(),
    );
    for n in 0..200u8 {
        let customer = chat(n, "", 0);
        let text = message(&customer, u32::from(n) + 100, Sender::Customer, "hello", 0);
        console.feed(live(u64::from(n) + 1, Live::ChatMessage { chat_id: customer.id, message: text }));
    }
    console.key(KeyCode::Char('2')).key(KeyCode::Char('1'));
    assert_eq!(console.app.tab(), Tab::Dashboard, "the key after the burst took effect");
    console.key(KeyCode::Char('2'));
    assert_eq!(
        console.app.chats().listed().next().map(|c| c.id),
        Some(chat_id(199)),
        "the last message's chat is first"
    );
}

#[test]
fn any_size_draws_without_breaking() {
    let mut console = bakery();
    let maria = bakery_chats().remove(3);
    console.key(KeyCode::Enter).feed(opened(&maria));
    for (width, height) in [(80, 24), (40, 10), (20, 5), (10, 3), (200, 60), (1, 1)] {
        console.terminal.backend_mut().resize(width, height);
        console.screen();
    }
    console.key(KeyCode::Char('?'));
    console.terminal.backend_mut().resize(12, 4);
    console.screen();
}

#[test]
fn a_notice_leaves_the_status_bar_after_a_while() {
    let mut console = bakery();
    let error = Failure::Refused("closerd is busy".into());
    console.feed(Event::Answer(Answer::Failed { request: Request::LoadChats, error }));
    assert!(console.screen().contains("loading the chats: closerd is busy"));
    console.feed(Event::Tick(harness::minutes_ago(-1)));
    let status = console.screen().lines().last().unwrap_or_default().to_owned();
    assert!(!status.contains("closerd is busy"), "{status}");
    assert!(status.contains("● live"), "{status}");
}
