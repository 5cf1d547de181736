//! The fields of a campaign as `create` and `edit` take them: flags, or a flat TOML or
//! JSON file (see the module above), turned into the API's `NewCampaign` or
//! `CampaignChanges`.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{CliError, Result};
use crate::money;

#[derive(Debug, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// A TOML or JSON campaign file (see `closer campaign create --help`).
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The campaign's name, for you (customers see the product's).
    #[arg(long)]
    name: Option<String>,
    /// facebook (the default) or sandbox.
    #[arg(long)]
    platform: Option<String>,
    /// The product's name.
    #[arg(long)]
    product: Option<String>,
    /// The product's description.
    #[arg(long)]
    description: Option<String>,
    /// The price, such as 24.90.
    #[arg(long)]
    #[serde(default, deserialize_with = "price_text")]
    price: Option<String>,
    /// The price's currency (ISO 4217, such as EUR).
    #[arg(long)]
    currency: Option<String>,
    /// A feature of the product (repeat for several).
    #[arg(long = "feature", value_name = "TEXT")]
    #[serde(default)]
    features: Vec<String>,
    /// The first message of a chat.
    #[arg(long)]
    greeting: Option<String>,
    /// A qualification question, answered freely (repeat for several; options in a file).
    #[arg(long = "question", value_name = "TEXT")]
    #[serde(skip)]
    question_texts: Vec<String>,
    #[arg(skip)]
    #[serde(default)]
    questions: Vec<Question>,
    /// What the AI says when the customer is ready to buy.
    #[arg(long)]
    closing_message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    question: String,
    #[serde(default)]
    options: Vec<String>,
}

/// A price in a file may be a string ("24.90") or a number (24.90).
fn price_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Price {
        Text(String),
        Number(f64),
    }
    Ok(Option::<Price>::deserialize(deserializer)?.map(|price| match price {
        Price::Text(text) => text,
        Price::Number(number) => number.to_string(),
    }))
}

impl CreateArgs {
    /// The flags where given, else the file's values.
    pub fn over(self, file: Self) -> Self {
        let questions = if self.question_texts.is_empty() {
            file.questions
        } else {
            self.question_texts
                .into_iter()
                .map(|question| Question { question, options: Vec::new() })
                .collect()
        };
        Self {
            file: None,
            name: self.name.or(file.name),
            platform: self.platform.or(file.platform),
            product: self.product.or(file.product),
            description: self.description.or(file.description),
            price: self.price.or(file.price),
            currency: self.currency.or(file.currency),
            features: if self.features.is_empty() { file.features } else { self.features },
            greeting: self.greeting.or(file.greeting),
            question_texts: Vec::new(),
            questions,
            closing_message: self.closing_message.or(file.closing_message),
        }
    }

    /// The API's `NewCampaign`.
    pub fn into_request(self) -> Result<Value> {
        if self.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(CliError::Usage("a campaign needs a name: --name, or `name` in the --file".into()));
        }
        Ok(Value::Object(self.into_fields(None)?))
    }

    /// The API's `CampaignChanges` (but the version): only what is given. A price
    /// without a currency is in the campaign's `currency`.
    pub fn into_changes(self, currency: Option<&str>) -> Result<Map<String, Value>> {
        if self.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(CliError::Usage("--name is empty: a campaign keeps a name".into()));
        }
        let changes = self.into_fields(currency)?;
        if changes.is_empty() {
            return Err(nothing_to_change());
        }
        Ok(changes)
    }

    pub fn is_empty(&self) -> bool {
        [&self.name, &self.platform, &self.product, &self.description, &self.price, &self.currency]
            .iter()
            .all(|field| field.is_none())
            && [&self.greeting, &self.closing_message].iter().all(|field| field.is_none())
            && self.features.is_empty()
            && self.questions.is_empty()
            && self.question_texts.is_empty()
    }

    fn into_fields(self, default_currency: Option<&str>) -> Result<Map<String, Value>> {
        let mut product = Map::new();
        insert(&mut product, "name", self.product);
        insert(&mut product, "description", self.description);
        let currency = self.currency.or_else(|| self.price.as_ref().and(default_currency.map(str::to_owned)));
        match (self.price, currency) {
            (Some(price), Some(currency)) => {
                let amount_minor = money::parse_minor(&price, &currency)?;
                product.insert("price".into(), json!({ "amount_minor": amount_minor, "currency": currency }));
            }
            (Some(_), None) => {
                return Err(CliError::Usage("a price needs its currency (--currency EUR)".into()));
            }
            (None, Some(_)) => {
                return Err(CliError::Usage("a currency without a price (--price 24.90)".into()));
            }
            (None, None) => {}
        }
        if !self.features.is_empty() {
            product.insert("features".into(), json!(self.features));
        }
        let mut flow = Map::new();
        insert(&mut flow, "greeting", self.greeting);
        insert(&mut flow, "closing_message", self.closing_message);
        if !self.questions.is_empty() {
            let questions: Vec<Value> = self
                .questions
                .into_iter()
                .map(|q| json!({ "question": q.question, "options": q.options }))
                .collect();
            flow.insert("qualification_questions".into(), Value::Array(questions));
        }
        let mut campaign = Map::new();
        insert(&mut campaign, "name", self.name);
        insert(&mut campaign, "platform", self.platform);
        for (key, part) in [("product", product), ("flow", flow)] {
            if !part.is_empty() {
                campaign.insert(key.into(), Value::Object(part));
            }
        }
        Ok(campaign)
    }
}

pub fn nothing_to_change() -> CliError {
    CliError::Usage("nothing to change: give flags such as --price 19.90, or --file campaign.toml".into())
}

fn insert(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), Value::String(value));
    }
}
