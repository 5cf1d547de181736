//! The evaluation set (`tests/fixtures/ai/`): three sample businesses with their
//! documents, campaign and customer messages, loaded into the model's types; and a
//! price detector written apart from the responder's own guard, so that a bug in the
//! guard cannot hide itself.

use std::path::{Path, PathBuf};

use closer_core::ai::{Conversation, FlowStep, Intent, KnowledgeBase, Turn};
use closer_core::model::{
    BusinessInfo, Campaign, CampaignStatus, ChatFlow, Document, DocumentId, Money, Platform, Product, Sender,
    Timestamp, UserId,
};
use serde::Deserialize;

/// One sample business, trained.
pub struct Business {
    /// The fixture folder's name (`bakery`).
    pub name: String,
    pub info: BusinessInfo,
    pub campaign: Campaign,
    pub documents: Vec<Document>,
    pub knowledge: KnowledgeBase,
    pub cases: Vec<Case>,
}

/// A customer message and what the answer must be.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub text: String,
    pub intent: Intent,
    /// Substrings the answer must contain, compared without case.
    #[serde(default)]
    pub facts: Vec<String>,
    #[serde(default = "mid_conversation")]
    pub step: FlowStep,
    /// Checked only when given.
    pub handoff: Option<bool>,
    /// Written after the rules and kept as first run: scored apart as well.
    #[serde(default)]
    pub held_out: bool,
}

fn mid_conversation() -> FlowStep {
    FlowStep::Done
}

#[derive(Deserialize)]
struct BusinessFile {
    business: BusinessInfo,
    campaign: CampaignFile,
}

#[derive(Deserialize)]
struct CampaignFile {
    name: String,
    product: Product,
    flow: ChatFlow,
}

#[derive(Deserialize)]
struct MessagesFile {
    message: Vec<Case>,
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ai")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every business of the set, in name order.
pub fn load_all() -> Vec<Business> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/ai exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|dir| load(dir)).collect()
}

pub fn load_named(name: &str) -> Business {
    load(&fixtures_dir().join(name))
}

fn load(dir: &Path) -> Business {
    let file: BusinessFile = toml::from_str(&read(&dir.join("business.toml"))).expect("business.toml parses");
    let messages: MessagesFile =
        toml::from_str(&read(&dir.join("messages.toml"))).expect("messages.toml parses");
    let user = UserId::new();
    let now = Timestamp::from_millis(1_767_225_600_000).expect("a fixed instant");
    let mut campaign = Campaign::draft(user, file.campaign.name, Platform::Facebook, now);
    campaign.product = file.campaign.product;
    campaign.flow = file.campaign.flow;
    campaign.status = CampaignStatus::Active;
    campaign.validate().expect("the fixture campaign is valid");

    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("readable").path())
        .collect();
    paths.sort();
    let documents: Vec<Document> = paths
        .iter()
        .map(|path| Document {
            id: DocumentId::new(),
            user_id: user,
            filename: path.file_name().expect("a file").to_string_lossy().into_owned(),
            content_type: "text/markdown".into(),
            content: read(path),
            uploaded_at: now,
        })
        .collect();
    let knowledge = KnowledgeBase::train(&file.business, &documents, std::slice::from_ref(&campaign), now);
    Business {
        name: dir.file_name().expect("a folder").to_string_lossy().into_owned(),
        info: file.business,
        campaign,
        documents,
        knowledge,
        cases: messages.message,
    }
}

/// What the customer saw before the message, so that the responder can tell that a
/// qualification question was asked (the pipeline passes the real history).
pub fn history_for(campaign: &Campaign, step: FlowStep) -> Vec<Turn> {
    let turn = |from, text: &str| Turn { from, text: text.to_owned() };
    match step {
        FlowStep::Greeting => Vec::new(),
        FlowStep::Qualification { index } => vec![
            turn(Sender::Customer, "hi"),
            turn(
                Sender::Ai,
                &format!("Got it!\n\n{}", campaign.flow.qualification_questions[index].question),
            ),
        ],
        FlowStep::Closing => vec![turn(Sender::Ai, "Thank you! Would you like to go ahead?")],
        FlowStep::Done => vec![turn(Sender::Customer, "hi"), turn(Sender::Ai, &campaign.flow.greeting)],
    }
}

/// A conversation about `business`'s campaign at `step`.
pub fn conversation<'a>(
    business: &'a Business,
    history: &'a [Turn],
    incoming: &'a [String],
    step: FlowStep,
) -> Conversation<'a> {
    Conversation {
        business: &business.info,
        campaign: Some(&business.campaign),
        knowledge: &business.knowledge,
        history,
        incoming,
        step,
    }
}

/// An amount of money as written in a reply: its currency and its value in minor
/// units (`None` when the number cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub text: String,
    pub currency: &'static str,
    pub minor: Option<i64>,
}

impl Written {
    pub fn is(&self, price: &Money) -> bool {
        self.currency == price.currency && self.minor == Some(price.amount_minor)
    }
}

/// Every currency amount in `reply`: a currency sign or code or word next to a number,
/// on either side. Done by spacing signs apart from digits and reading tokens, a
/// different method from the responder's guard on purpose.
pub fn written_amounts(reply: &str) -> Vec<Written> {
    let mut spaced = String::new();
    for c in reply.chars() {
        if "€$£¥₹".contains(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mark = |token: Option<&&str>| -> Option<&'static str> {
        let token = token?.trim_matches(|c: char| ",.;:!?()".contains(c)).to_ascii_lowercase();
        Some(match token.as_str() {
            "€" | "eur" | "euro" | "euros" => "EUR",
            "$" | "usd" | "us$" | "dollar" | "dollars" => "USD",
            "£" | "gbp" | "pound" | "pounds" | "quid" => "GBP",
            "r$" | "brl" | "reais" => "BRL",
            _ => return None,
        })
    };
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let number = token.trim_end_matches(|c: char| !c.is_ascii_digit()).trim_start_matches(['(', '[']);
        if !number.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let before = if i > 0 { mark(tokens.get(i - 1)) } else { None };
        // "R$" splits as "R" then "$": the "$" is the mark before either way.
        let currency = before.or_else(|| mark(tokens.get(i + 1)));
        if let Some(currency) = currency {
            let currency =
                if currency == "USD" && i >= 2 && tokens[i - 2].ends_with('R') { "BRL" } else { currency };
            found.push(Written { text: number.to_owned(), currency, minor: minor_units(number) });
        }
    }
    found
}

/// Two-decimal reading of a written number ("1,250.00", "34,90", "25").
fn minor_units(number: &str) -> Option<i64> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let decimals = number.rfind(['.', ',']).map_or(0, |at| number.len() - at - 1);
    let value: i64 = digits.parse().ok()?;
    match decimals {
        1 => value.checked_mul(10),
        2 => Some(value),
        _ => value.checked_mul(100),
    }
}
