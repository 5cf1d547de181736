//! The OpenAI-compatible responder and the circuit breaker against a fake
//! OpenAI-compatible server on 127.0.0.1: what the request carries, how failures are
//! retried (or not), the timeout, malformed answers, and the fallback to rules.

#[path = "../../tests/harness/fake_openai.rs"]
mod fake_openai;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use closer_core::ManualClock;
use closer_core::ai::breaker::{BreakerSettings, CircuitState, FallbackResponder};
use closer_core::ai::knowledge::Passage;
use closer_core::ai::openai::{OpenAiResponder, SetupError, Sleeper};
use closer_core::ai::{
    AiError, Conversation, FlowStep, Intent, KnowledgeBase, LeadSignal, Reply, Responder, Turn,
};
use closer_core::config::AiConfig;
use closer_core::model::{
    BusinessInfo, Campaign, ChatFlow, Money, Platform, Product, QualificationQuestion, Sender, Timestamp,
    UserId,
};
use fake_openai::{Answer, FakeOpenAi, greeting_arguments};
use serde_json::json;

/// Records the pauses between retries instead of waiting them.
#[derive(Debug, Default)]
struct RecordingSleeper(Mutex<Vec<Duration>>);

impl RecordingSleeper {
    fn pauses(&self) -> Vec<Duration> {
        self.0.lock().expect("pauses").clone()
    }
}

#[async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.0.lock().expect("pauses").push(duration);
    }
}

/// A stand-in for the rule-based responder: always answers, says so.
#[derive(Debug)]
struct TestRules;

#[async_trait]
impl Responder for TestRules {
    fn name(&self) -> &'static str {
        "rules"
    }

    async fn reply(&self, _conversation: &Conversation<'_>) -> Result<Reply, AiError> {
        Ok(Reply {
            text: "Hello! How can we help?".into(),
            quick_replies: Vec::new(),
            intent: Intent::Greeting,
            handoff: false,
            signals: Vec::new(),
            next_step: FlowStep::Greeting,
            provider: "rules".into(),
        })
    }
}

fn start_time() -> Timestamp {
    Timestamp::parse("2026-11-20T09:00:00.000Z").expect("valid")
}

/// Everything a conversation borrows.
struct Chat {
    business: BusinessInfo,
    campaign: Campaign,
    knowledge: KnowledgeBase,
    history: Vec<Turn>,
    incoming: Vec<String>,
}

impl Chat {
    fn new(incoming: &str) -> Self {
        let mut campaign = Campaign::draft(UserId::new(), "Phone cases", Platform::Facebook, start_time());
        campaign.product = Product {
            name: "ArmorCase".into(),
            description: "A drop-proof case for the Pixel 9.".into(),
            price: Some(Money { amount_minor: 2999, currency: "USD".into() }),
            images: Vec::new(),
            features: vec!["Survives 3 m drops".into(), "MagSafe compatible".into()],
        };
        campaign.flow = ChatFlow {
            greeting: "Hi! Welcome to CaseCraft.".into(),
            qualification_questions: vec![QualificationQuestion {
                question: "Which phone do you have?".into(),
                options: vec!["Pixel 9".into(), "Pixel 9 Pro".into()],
            }],
            closing_message: "Order here: https://casecraft.example/buy".into(),
        };
        let knowledge = KnowledgeBase::from_passages(
            vec![
                passage("shipping.md", "Shipping: we deliver in 2 business days, free over $50."),
                passage("campaign:Other", "The leather wallet costs $89."),
            ],
            start_time(),
        );
        Self {
            business: BusinessInfo {
                business_name: "CaseCraft".into(),
                owner_name: "Sam".into(),
                industry: "Phone accessories".into(),
                description: "Tough phone cases, made in Porto.".into(),
                website: "https://casecraft.example".into(),
                phone: String::new(),
            },
            campaign,
            knowledge,
            history: Vec::new(),
            incoming: vec![incoming.to_owned()],
        }
    }

    fn conversation(&self) -> Conversation<'_> {
        Conversation {
            business: &self.business,
            campaign: Some(&self.campaign),
            knowledge: &self.knowledge,
            history: &self.history,
            incoming: &self.incoming,
            step: FlowStep::Qualification { index: 0 },
        }
    }
}

fn passage(source: &str, text: &str) -> Passage {
    Passage { source: source.into(), heading: None, text: text.into(), score: 0.0 }
}

fn config(fake: &FakeOpenAi) -> AiConfig {
    // A test binary's process has no TLS provider until one is installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    AiConfig {
        api_key: "sk-test-key".into(),
        base_url: fake.url(),
        model: "gpt-test-mini".into(),
        timeout_secs: 15,
        max_retries: 2,
        ..AiConfig::default()
    }
}

fn responder(fake: &FakeOpenAi, sleeper: &Arc<RecordingSleeper>) -> OpenAiResponder {
    OpenAiResponder::new(&config(fake)).expect("responder").with_sleeper(sleeper.clone())
}

async fn ask(responder: &dyn Responder, chat: &Chat) -> Result<Reply, AiError> {
    responder.reply(&chat.conversation()).await
}

#[tokio::test]
async fn the_request_carries_the_facts_the_campaign_the_passages_and_the_history() {
    let fake = FakeOpenAi::start().await;
    let mut chat = Chat::new("Do you deliver to Lisbon? How long does shipping take?");
    chat.history = vec![
        Turn { from: Sender::Customer, text: "hello".into() },
        Turn { from: Sender::Ai, text: "Hi! Welcome to CaseCraft. Which phone do you have?".into() },
        Turn { from: Sender::Business, text: "Sam here, happy to help too.".into() },
    ];
    let reply = ask(&responder(&fake, &Arc::default()), &chat).await.expect("a reply");
    assert_eq!(reply.provider, "openai");

    let request = fake.last();
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(request.model(), Some("gpt-test-mini"));
    let system = request.system();
    for fact in [
        "CaseCraft",
        "Tough phone cases, made in Porto.",
        "ArmorCase",
        "$29.99",
        "Survives 3 m drops",
        "Which phone do you have? [Pixel 9 | Pixel 9 Pro]",
        "Order here: https://casecraft.example/buy",
        "we deliver in 2 business days",
        "automated assistant",
    ] {
        assert!(system.contains(fact), "the system message lacks {fact:?}:\n{system}");
    }
    assert!(!system.contains("leather wallet"), "another campaign's passage leaked in");
    assert_eq!(request.contents("user"), ["hello", "Do you deliver to Lisbon? How long does shipping take?"]);
    assert_eq!(request.contents("assistant").len(), 2);
    let messages = request.messages();
    assert_eq!(messages[3]["name"], "owner", "the owner's turn is marked: {}", messages[3]);
    assert_eq!(request.body["tool_choice"]["function"]["name"], "reply");
    assert_eq!(request.body["tools"][0]["function"]["name"], "reply");
}

#[tokio::test]
async fn a_long_history_is_trimmed_oldest_first() {
    let fake = FakeOpenAi::start().await;
    let mut chat = Chat::new("And how long does shipping take?");
    chat.history = (0..60)
        .map(|i| Turn {
            from: if i % 2 == 0 { Sender::Customer } else { Sender::Ai },
            text: format!("message #{i:02} {}", "blah ".repeat(100)),
        })
        .collect();
    ask(&responder(&fake, &Arc::default()), &chat).await.expect("a reply");
    let request = fake.last();
    assert!(request.prompt_chars() <= 12_000, "{} characters", request.prompt_chars());
    let raw = &request.raw;
    assert!(raw.contains("message #59") && raw.contains("message #58"), "the newest turns stay");
    assert!(!raw.contains("message #00") && !raw.contains("message #30"), "the oldest turns go");
    assert!(request.system().contains("we deliver in 2 business days"), "passages outlive old turns");
}

#[tokio::test]
async fn the_structured_reply_comes_back_checked() {
    let fake = FakeOpenAi::start().await;
    fake.push(Answer::reply(&json!({
        "text": "It's $29.99. Which phone do you have?",
        "quick_replies": [{ "title": "Pixel 9", "payload": "PIXEL_9" }, { "title": "Pixel 9 Pro — the big one", "payload": "" }],
        "intent": "price",
        "handoff": false,
        "signals": ["asked_price"],
        "next_step": { "step": "qualification", "index": 0 }
    })));
    let reply = ask(&responder(&fake, &Arc::default()), &Chat::new("how much?")).await.expect("a reply");
    assert_eq!(reply.text, "It's $29.99. Which phone do you have?");
    assert_eq!(reply.intent, Intent::Price);
    assert_eq!(reply.signals, [LeadSignal::AskedPrice]);
    assert_eq!(reply.next_step, FlowStep::Qualification { index: 0 });
    assert_eq!(reply.quick_replies[1].title, "Pixel 9 Pro — the bi", "titles cut to 20 characters");
    assert_eq!(reply.quick_replies[1].payload, reply.quick_replies[1].title);
}

#[tokio::test]
async fn server_errors_are_retried_with_growing_pauses() {
    let fake = FakeOpenAi::start().await;
    fake.push(Answer::ServerError).push(Answer::ServerError);
    let sleeper = Arc::new(RecordingSleeper::default());
    let reply = ask(&responder(&fake, &sleeper), &Chat::new("hi")).await.expect("the third try answers");
    assert_eq!(reply.provider, "openai");
    assert_eq!(fake.request_count(), 3);
    let pauses = sleeper.pauses();
    assert_eq!(pauses.len(), 2);
    assert!((Duration::from_millis(250)..=Duration::from_millis(500)).contains(&pauses[0]), "{pauses:?}");
    assert!((Duration::from_millis(500)..=Duration::from_secs(1)).contains(&pauses[1]), "{pauses:?}");
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let fake = FakeOpenAi::start().await;
    fake.otherwise(Answer::ServerError);
    let error = ask(&responder(&fake, &Arc::default()), &Chat::new("hi")).await.expect_err("keeps failing");
    assert!(matches!(error, AiError::Provider(ref m) if m.contains("500")), "{error:?}");
    assert_eq!(fake.request_count(), 3, "one try and max_retries = 2 retries");
}

#[tokio::test]
async fn a_rate_limit_is_retried_after_its_retry_after() {
    let fake = FakeOpenAi::start().await;
    fake.push(Answer::rate_limited(3));
    let sleeper = Arc::new(RecordingSleeper::default());
    ask(&responder(&fake, &sleeper), &Chat::new("hi")).await.expect("the retry answers");
    assert_eq!(fake.request_count(), 2);
    assert_eq!(sleeper.pauses(), [Duration::from_secs(3)]);
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let fake = FakeOpenAi::start().await;
    fake.push(Answer::rate_limited(60));
    let sleeper = Arc::new(RecordingSleeper::default());
    let error = ask(&responder(&fake, &sleeper), &Chat::new("hi")).await.expect_err("no time to wait");
    assert_eq!(error, AiError::RateLimited { retry_after_secs: Some(60) });
    assert_eq!(fake.request_count(), 1);
    assert!(sleeper.pauses().is_empty());
}

#[tokio::test]
async fn quota_and_refused_keys_are_not_retried() {
    for (answer, expected) in
        [(Answer::QuotaExceeded, AiError::QuotaExceeded), (Answer::Unauthorized, AiError::Unauthorized)]
    {
        let fake = FakeOpenAi::start().await;
        fake.otherwise(answer);
        let sleeper = Arc::new(RecordingSleeper::default());
        let error = ask(&responder(&fake, &sleeper), &Chat::new("hi")).await.expect_err("fails");
        assert_eq!(error, expected);
        assert!(!error.is_transient());
        assert_eq!(fake.request_count(), 1, "{expected:?} is not retried");
        assert!(sleeper.pauses().is_empty());
    }
}

#[tokio::test]
async fn the_timeout_fires() {
    let fake = FakeOpenAi::start().await;
    fake.otherwise(Answer::slow(Duration::from_secs(5), Answer::reply(&greeting_arguments("too late"))));
    let responder = OpenAiResponder::new(&AiConfig { timeout_secs: 1, ..config(&fake) }).expect("responder");
    let started = Instant::now();
    let error = ask(&responder, &Chat::new("hi")).await.expect_err("too slow");
    let waited = started.elapsed();
    assert_eq!(error, AiError::Timeout { secs: 1 });
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(3), "waited {waited:?}");
    assert_eq!(fake.request_count(), 1, "the deadline is the timeout: no time left for a retry");
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried_when_the_deadline_allows() {
    let fake = FakeOpenAi::start().await;
    fake.push(Answer::slow(Duration::from_secs(5), Answer::reply(&greeting_arguments("too late"))));
    let responder = OpenAiResponder::new(&AiConfig { timeout_secs: 1, ..config(&fake) })
        .expect("responder")
        .with_sleeper(Arc::new(RecordingSleeper::default()))
        .with_deadline(Duration::from_secs(10));
    let reply = ask(&responder, &Chat::new("hi")).await.expect("the retry answers");
    assert_eq!(reply.text, "Hello from the fake model.");
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn malformed_answers_are_refused_without_retrying() {
    let mut long = greeting_arguments("");
    long["text"] = json!("x".repeat(2_001));
    let mut unknown_intent = greeting_arguments("Hi!");
    unknown_intent["intent"] = json!("wants_discount");
    for answer in [
        Answer::RawBody("{ this is not json".into()),
        Answer::RawBody(json!({ "hello": "world" }).to_string()),
        Answer::Text("Sure, it's $5! [HANDOFF]".into()),
        Answer::ToolCall { name: "reply".into(), arguments: "{\"text\": \"Hi".into() },
        Answer::reply(&unknown_intent),
        Answer::reply(&greeting_arguments("   ")),
        Answer::reply(&long),
        // An invented price: the campaign says $29.99.
        Answer::reply(&greeting_arguments("Today only: ArmorCase for $19.99!")),
    ] {
        let fake = FakeOpenAi::start().await;
        fake.push(answer.clone());
        let result = ask(&responder(&fake, &Arc::default()), &Chat::new("hi")).await;
        assert!(matches!(result, Err(AiError::Malformed(_))), "{answer:?} gave {result:?}");
        assert_eq!(fake.request_count(), 1, "{answer:?} was retried");
    }
}

#[tokio::test]
async fn an_unreachable_server_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = listener.local_addr().expect("address");
    drop(listener);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config =
        AiConfig { api_key: "k".into(), base_url: format!("http://{closed}/v1"), ..AiConfig::default() };
    let sleeper = Arc::new(RecordingSleeper::default());
    let responder = OpenAiResponder::new(&config).expect("responder").with_sleeper(sleeper.clone());
    let error = ask(&responder, &Chat::new("hi")).await.expect_err("nobody listens");
    assert!(matches!(error, AiError::Provider(ref m) if m.contains("cannot reach")), "{error:?}");
    assert_eq!(sleeper.pauses().len(), 2);
}

#[test]
fn setup_refuses_what_cannot_work() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let bad_url = AiConfig { base_url: "localhost:11434/v1".into(), ..AiConfig::default() };
    assert!(matches!(OpenAiResponder::new(&bad_url), Err(SetupError::InvalidBaseUrl(_))));
    let bad_key = AiConfig { api_key: "sk-abc\ndef".into(), ..AiConfig::default() };
    assert_eq!(OpenAiResponder::new(&bad_key).map(|_| ()), Err(SetupError::InvalidKey));
    let local = AiConfig {
        api_key: String::new(),
        base_url: "http://127.0.0.1:11434/v1/".into(),
        ..AiConfig::default()
    };
    assert!(OpenAiResponder::new(&local).is_ok(), "local servers need no key");
}

fn breaker(fake: &FakeOpenAi, clock: &ManualClock) -> FallbackResponder {
    let primary = OpenAiResponder::new(&AiConfig { max_retries: 0, ..config(fake) }).expect("responder");
    FallbackResponder::new(
        Arc::new(primary),
        Arc::new(TestRules),
        Arc::new(clock.clone()),
        BreakerSettings::default(),
    )
}

#[tokio::test]
async fn the_breaker_falls_back_skips_the_primary_while_open_and_recovers() {
    let fake = FakeOpenAi::start().await;
    fake.otherwise(Answer::ServerError);
    let clock = ManualClock::new(start_time());
    let breaker = breaker(&fake, &clock);
    let chat = Chat::new("hi");

    for attempt in 1..=3 {
        let reply = ask(&breaker, &chat).await.expect("the fallback answers");
        assert_eq!(reply.provider, "rules", "attempt {attempt}");
    }
    assert_eq!(fake.request_count(), 3);
    assert_eq!(breaker.state(), CircuitState::Open { until: start_time() + Duration::from_mins(1) });
    assert_eq!(breaker.trips(), 1);
    assert!(matches!(breaker.last_error(), Some(AiError::Provider(_))));

    clock.advance(Duration::from_secs(59));
    assert_eq!(ask(&breaker, &chat).await.expect("fallback").provider, "rules");
    assert_eq!(fake.request_count(), 3, "the primary is left alone while open");

    fake.otherwise(Answer::reply(&greeting_arguments("Back online!")));
    clock.advance(Duration::from_secs(1));
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let reply = ask(&breaker, &chat).await.expect("the trial answers");
    assert_eq!((reply.provider.as_str(), reply.text.as_str()), ("openai", "Back online!"));
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.last_error(), None);
    assert_eq!(breaker.fallbacks(), 4);
}

#[tokio::test]
async fn an_exhausted_quota_opens_the_circuit_at_once_and_tells_the_owner() {
    let fake = FakeOpenAi::start().await;
    fake.otherwise(Answer::QuotaExceeded);
    let clock = ManualClock::new(start_time());
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let seen = alerts.clone();
    let breaker =
        breaker(&fake, &clock).with_alert(move |error| seen.lock().expect("alerts").push(error.clone()));
    let chat = Chat::new("hi");

    assert_eq!(ask(&breaker, &chat).await.expect("fallback").provider, "rules");
    assert!(matches!(breaker.state(), CircuitState::Open { .. }));
    assert_eq!(breaker.last_error(), Some(AiError::QuotaExceeded));
    ask(&breaker, &chat).await.expect("fallback");
    assert_eq!(fake.request_count(), 1);
    assert_eq!(*alerts.lock().expect("alerts"), [AiError::QuotaExceeded], "told once, not per message");
}
