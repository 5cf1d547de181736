//! The evaluation set (`tests/fixtures/ai/`) through the OpenAI-compatible responder,
//! against the fake server: for every customer message, the facts its answer must
//! contain reach the model (in the system message, the earlier turns or the message
//! itself), the prompt stays within its budget, and the `reply` function is offered
//! and forced. The model is a fake, so what is scored is the prompt, not the answer:
//! a fact the model never sees is one no model can state.
//!
//! `cargo test -p closer-core --test ai_eval_prompt -- --nocapture` prints the score,
//! and the facts present only because the customer typed them.

#![cfg(feature = "ai")]

// The price detector and `load_named` are the rules evaluation's.
#[allow(dead_code)]
mod ai;
#[path = "../../tests/harness/fake_openai.rs"]
mod fake_openai;

use ai::{Business, Case, conversation, history_for, load_all};
use closer_core::ai::Responder;
use closer_core::ai::knowledge::campaign_source;
use closer_core::ai::openai::{Budget, OpenAiResponder};
use closer_core::config::{AiConfig, AiProvider};
use fake_openai::{Answer, FakeOpenAi, Recorded, greeting_arguments};

/// What one case's request got wrong, and the facts it carried only as the
/// customer's own words.
#[derive(Debug, Default)]
struct Findings {
    problems: Vec<String>,
    echoed: Vec<String>,
}

/// Every message's text, as the model reads it.
fn prompt_text(request: &Recorded) -> String {
    request.messages().iter().filter_map(|m| m["content"].as_str()).collect::<Vec<_>>().join("\n")
}

/// The prompt without the customer's new message: the facts Closer itself supplied.
fn supplied_text(request: &Recorded) -> String {
    let messages = request.messages();
    let earlier = messages.split_last().map_or(messages, |(_, rest)| rest);
    earlier.iter().filter_map(|m| m["content"].as_str()).collect::<Vec<_>>().join("\n")
}

/// Why `fact` did not reach the model: no passage holds it, retrieval did not find
/// it, or it was found but left out (ranked past the passages kept, or dropped by the
/// budget).
fn why_missing(business: &Business, case: &Case, fact: &str, budget: &Budget) -> String {
    let fact = fact.to_lowercase();
    let holders: Vec<String> = business
        .knowledge
        .passages()
        .iter()
        .filter(|p| {
            p.text.to_lowercase().contains(&fact)
                || p.heading.iter().any(|h| h.to_lowercase().contains(&fact))
        })
        .map(|p| p.source.clone())
        .collect();
    if holders.is_empty() {
        return "in no passage of the knowledge base, nor in the campaign or business sections".to_owned();
    }
    // What the responder searches: twice the room, other campaigns left out.
    let own = campaign_source(&business.campaign.name);
    let found: Vec<_> = business
        .knowledge
        .search(&case.text, budget.max_passages * 2)
        .into_iter()
        .filter(|p| !p.source.starts_with("campaign:") || p.source == own)
        .collect();
    match found.iter().position(|p| p.text.to_lowercase().contains(&fact)) {
        None => {
            let returned: Vec<String> = found
                .iter()
                .map(|p| format!("{} · {}", p.source, p.heading.as_deref().unwrap_or("")))
                .collect();
            format!(
                "in {holders:?}, which retrieval did not return for this message (it returned {returned:?})"
            )
        }
        Some(rank) if rank >= budget.max_passages => {
            format!(
                "in {holders:?}, retrieved at rank {} but only {} passages go in",
                rank + 1,
                budget.max_passages
            )
        }
        Some(rank) => format!("in {holders:?}, retrieved at rank {}, so the budget dropped it", rank + 1),
    }
}

fn check(business: &Business, case: &Case, request: &Recorded, budget: &Budget) -> Findings {
    let mut findings = Findings::default();
    if request.tools() != ["reply"] {
        findings.problems.push(format!("tools {:?}, expected only `reply`", request.tools()));
    }
    let choice = &request.body["tool_choice"];
    if choice["type"] != "function" || choice["function"]["name"] != "reply" {
        findings.problems.push(format!("tool_choice {choice}, expected `reply` forced"));
    }
    if request.prompt_chars() > budget.total_chars {
        findings.problems.push(format!(
            "{} prompt characters, over the budget of {}",
            request.prompt_chars(),
            budget.total_chars
        ));
    }
    let prompt = prompt_text(request).to_lowercase();
    let supplied = supplied_text(request).to_lowercase();
    for fact in &case.facts {
        let wanted = fact.to_lowercase();
        if !prompt.contains(&wanted) {
            findings
                .problems
                .push(format!("missing {fact:?}: {}", why_missing(business, case, fact, budget)));
        } else if !supplied.contains(&wanted) {
            findings.echoed.push(fact.clone());
        }
    }
    findings
}

#[tokio::test]
async fn every_fact_an_answer_needs_reaches_the_model() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let fake = FakeOpenAi::start().await;
    fake.otherwise(Answer::reply(&greeting_arguments("Hello from the fake model.")));
    let budget = Budget::default();
    let config = AiConfig {
        provider: AiProvider::OpenAi,
        api_key: "sk-test".into(),
        base_url: fake.url(),
        ..AiConfig::default()
    };
    let responder = OpenAiResponder::new(&config).expect("responder").with_budget(budget);

    let businesses = load_all();
    assert_eq!(businesses.len(), 3, "bakery, phone cases, yoga");
    let (mut total, mut carried, mut facts, mut largest) = (0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    let mut echoes = Vec::new();
    for business in &businesses {
        let mut business_carried = 0;
        for case in &business.cases {
            let history = history_for(&business.campaign, case.step);
            let incoming = [case.text.clone()];
            let before = fake.request_count();
            let reply = responder
                .reply(&conversation(business, &history, &incoming, case.step))
                .await
                .unwrap_or_else(|e| panic!("{}: {:?}: {e}", business.name, case.text));
            assert_eq!(reply.provider, OpenAiResponder::NAME);
            assert_eq!(fake.request_count(), before + 1, "{:?}: one request, no retry", case.text);

            let request = fake.last();
            largest = largest.max(request.prompt_chars());
            let findings = check(business, case, &request, &budget);
            total += 1;
            facts += case.facts.len();
            if findings.problems.is_empty() {
                carried += 1;
                business_carried += 1;
            } else {
                misses.push(format!(
                    "{:<12} | {:<45} | {}",
                    business.name,
                    case.text,
                    findings.problems.join("; ")
                ));
            }
            for fact in findings.echoed {
                echoes.push(format!("{:<12} | {:<45} | {fact:?}", business.name, case.text));
            }
        }
        println!("{:<12} {business_carried}/{}", business.name, business.cases.len());
    }
    assert!(total >= 60, "the set has {total} messages; at least 60 are needed");
    println!(
        "prompt carries the needed facts for {carried}/{total} cases ({facts} facts); largest prompt {largest} of {} characters",
        budget.total_chars
    );
    if !echoes.is_empty() {
        println!(
            "facts present only in the customer's own message ({}):\n{}",
            echoes.len(),
            echoes.join("\n")
        );
    }
    assert!(misses.is_empty(), "facts that never reach the model ({}):\n{}", misses.len(), misses.join("\n"));
}
