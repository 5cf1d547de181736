//! Rule-based replies per second on one thread, and knowledge-base training time.
//!
//! `cargo bench -p closer-core --bench ai_rules` (add `-- 5` for more seconds per
//! reply figure). It measures:
//!
//! - replies: every message of the evaluation set (`tests/fixtures/ai/`), in a loop on
//!   one thread, against a knowledge base of 50 documents: the business's own plus
//!   generated FAQ-like pages of 4–16 KiB, so retrieval searches real noise;
//! - training: 50 generated Markdown documents of 1 MiB each (the most a business may
//!   upload), median of three runs, then loading the result back from its passages;
//! - replies again against that 50 MiB knowledge base, the worst case for retrieval.

// Rates are counts over seconds: a count past 2^52 is not a benchmark we run.
#![allow(clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use closer_core::ai::rules::RuleBased;
use closer_core::ai::{FlowStep, KnowledgeBase, Turn};
use closer_core::model::{BusinessInfo, Document, DocumentId, Timestamp, UserId};

// The evaluation set's loader, shared with `tests/ai_rules.rs`.
#[allow(dead_code)]
#[path = "../tests/ai/mod.rs"]
mod ai;

const TARGET_PER_SECOND: f64 = 5_000.0;
const DOCUMENTS: usize = 50;
const MIB: usize = 1024 * 1024;

fn main() {
    let seconds: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!("ai_rules benchmark ({cores} cores; replies on one thread, {seconds} s per figure)\n");

    let mut businesses = ai::load_all();
    let now = Timestamp::now();
    for (n, business) in businesses.iter_mut().enumerate() {
        let mut documents = business.documents.clone();
        let seed = n as u64 * 1_000;
        documents
            .extend((documents.len()..DOCUMENTS).map(|i| document(seed + i as u64, 4_096 + (i % 4) * 4_096)));
        let bytes: usize = documents.iter().map(|d| d.content.len()).sum();
        business.knowledge =
            KnowledgeBase::train(&business.info, &documents, std::slice::from_ref(&business.campaign), now);
        println!(
            "{:<12} knowledge base: {} documents, {} KiB, {} passages",
            business.name,
            documents.len(),
            bytes / 1024,
            business.knowledge.passage_count()
        );
    }
    let rate = replies_per_second(&businesses, Duration::from_secs(seconds));
    let verdict = if rate >= TARGET_PER_SECOND { "meets" } else { "MISSES" };
    println!(
        "\nrule-based replies: {rate:.0}/s ({:.1} µs each) on one thread; {verdict} the target of {TARGET_PER_SECOND:.0}/s\n",
        1e6 / rate
    );

    let big: Vec<Document> = (0..DOCUMENTS as u64).map(|i| document(10_000 + i, MIB)).collect();
    let mut runs = Vec::new();
    let mut trained = KnowledgeBase::default();
    for _ in 0..3 {
        let started = Instant::now();
        trained = KnowledgeBase::train(&BusinessInfo::default(), &big, &[], now);
        runs.push(started.elapsed());
    }
    runs.sort();
    println!(
        "training {DOCUMENTS} × 1 MiB: median {:.2} s (runs {}), {} passages",
        runs[1].as_secs_f64(),
        runs.iter().map(|r| format!("{:.2} s", r.as_secs_f64())).collect::<Vec<_>>().join(", "),
        trained.passage_count()
    );
    let started = Instant::now();
    let loaded = KnowledgeBase::from_passages(trained.passages().to_vec(), now);
    println!("loading it back from its passages: {:.2} s", started.elapsed().as_secs_f64());

    for business in &mut businesses {
        business.knowledge = loaded.clone();
    }
    let rate = replies_per_second(&businesses, Duration::from_secs(seconds));
    println!("rule-based replies against the 50 MiB knowledge base: {rate:.0}/s ({:.1} µs each)", 1e6 / rate);
}

/// Replies per second over the whole evaluation set, one thread.
fn replies_per_second(businesses: &[ai::Business], budget: Duration) -> f64 {
    let work: Vec<(&ai::Business, Vec<Turn>, [String; 1], FlowStep)> = businesses
        .iter()
        .flat_map(|b| {
            b.cases.iter().map(move |c| (b, ai::history_for(&b.campaign, c.step), [c.text.clone()], c.step))
        })
        .collect();
    let started = Instant::now();
    let mut replies = 0usize;
    while started.elapsed() < budget {
        for (business, history, incoming, step) in &work {
            black_box(RuleBased.answer(&ai::conversation(business, history, incoming, *step)));
            replies += 1;
        }
    }
    replies as f64 / started.elapsed().as_secs_f64()
}

/// Common words of shop pages, most frequent first.
const COMMON: &[&str] = &[
    "the",
    "and",
    "to",
    "of",
    "a",
    "in",
    "is",
    "for",
    "our",
    "you",
    "we",
    "with",
    "on",
    "are",
    "it",
    "your",
    "be",
    "at",
    "from",
    "this",
    "can",
    "all",
    "or",
    "by",
    "order",
    "orders",
    "delivery",
    "day",
    "days",
    "week",
    "price",
    "product",
    "products",
    "service",
    "customers",
    "team",
    "shop",
    "store",
    "online",
    "time",
    "free",
    "new",
    "each",
    "one",
    "two",
    "three",
    "hours",
    "open",
    "closed",
    "please",
    "contact",
    "email",
    "phone",
    "payment",
    "card",
    "cash",
    "gift",
    "size",
    "colour",
    "quality",
    "made",
    "local",
    "fresh",
    "handmade",
    "stock",
    "available",
    "return",
    "refund",
    "warranty",
    "policy",
    "shipping",
    "package",
    "parcel",
    "tracking",
    "address",
    "city",
    "weekend",
    "morning",
    "evening",
    "booking",
    "class",
    "lesson",
    "course",
    "member",
    "membership",
    "discount",
    "offer",
    "season",
    "summer",
    "winter",
];

/// A generated Markdown page of `bytes` bytes: headings, paragraphs and lists of
/// common words (the frequent ones more often) with a tail of rare made-up words, so
/// that term statistics look like a real FAQ or catalogue rather than noise.
fn document(seed: u64, bytes: usize) -> Document {
    Document {
        id: DocumentId::new(),
        user_id: UserId::new(),
        filename: format!("page-{seed}.md"),
        content_type: "text/markdown".into(),
        content: page(seed, bytes),
        uploaded_at: Timestamp::now(),
    }
}

fn page(seed: u64, bytes: usize) -> String {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::with_capacity(bytes + 256);
    let mut section = 0;
    while out.len() < bytes {
        section += 1;
        let _ = write!(out, "\n## Section {section}\n\n");
        for paragraph in 0..(2 + next() % 4) {
            let list = paragraph % 3 == 2;
            for sentence in 0..(2 + next() % 4) {
                out.push_str(if list {
                    "- "
                } else if sentence > 0 {
                    " "
                } else {
                    ""
                });
                for word in 0..(5 + next() % 12) {
                    if word > 0 {
                        out.push(' ');
                    }
                    if next() % 10 == 0 {
                        let _ = write!(out, "x{}", next() % 50_000);
                    } else {
                        // The square of a uniform draw favours the first (common) words.
                        let r = next() % 1_000;
                        let index = usize::try_from(r * r * COMMON.len() as u64 / 1_000_000).unwrap_or(0);
                        out.push_str(COMMON[index]);
                    }
                }
                out.push_str(if list { "\n" } else { "." });
            }
            out.push_str("\n\n");
        }
    }
    out.truncate(bytes.min(out.len()));
    out
}
