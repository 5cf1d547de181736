//! `closer campaign create|list|show|activate|pause|resume|complete|default|rm`.
//!
//! A campaign file (`campaign.toml` or `.json`) is flat, like the flags:
//!
//! ```toml
//! name = "Christmas panettone"
//! product = "Panettone 1 kg"
//! price = "24.90"            # or 24.90
//! currency = "EUR"
//! features = ["Baked to order"]
//! greeting = "Hello! Thinking of a panettone for Christmas?"
//! closing_message = "Wonderful! Here is how to order."
//! [[questions]]
//! question = "For how many people?"
//! options = ["2-4", "5-8", "More"]
//! ```

use std::path::PathBuf;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Ctx, read_structured, segment};
use crate::api::Body;
use crate::error::{CliError, Result};
use crate::money;
use crate::output::{clean, field, text};

#[derive(Debug, clap::Subcommand)]
pub enum CampaignCommand {
    /// Create a draft campaign from flags or a file (flags win).
    Create(Box<CreateArgs>),
    /// List the campaigns, newest first.
    #[command(alias = "ls")]
    List {
        /// Only those with this status: draft, active, paused or completed.
        #[arg(long)]
        status: Option<String>,
    },
    /// Show one campaign.
    Show { id: String },
    /// Put a draft live (it needs a product name, a price and a greeting).
    Activate { id: String },
    /// Stop answering new chats with it for now.
    Pause { id: String },
    /// Put a paused campaign live again.
    Resume { id: String },
    /// End it for good (it keeps its chats and numbers).
    Complete { id: String },
    /// Make it the default for chats that name no campaign.
    Default { id: String },
    /// Delete a draft.
    #[command(alias = "delete")]
    Rm { id: String },
}

#[derive(Debug, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// A TOML or JSON campaign file (see `closer campaign create --help`).
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    file: Option<PathBuf>,
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
    fn over(self, file: Self) -> Self {
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
    fn into_request(self) -> Result<Value> {
        let name = self.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
            CliError::Usage("a campaign needs a name: --name, or `name` in the --file".into())
        })?;
        let mut product = Map::new();
        insert(&mut product, "name", self.product);
        insert(&mut product, "description", self.description);
        match (self.price, self.currency) {
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
        campaign.insert("name".into(), Value::String(name));
        insert(&mut campaign, "platform", self.platform);
        for (key, part) in [("product", product), ("flow", flow)] {
            if !part.is_empty() {
                campaign.insert(key.into(), Value::Object(part));
            }
        }
        Ok(Value::Object(campaign))
    }
}

fn insert(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), Value::String(value));
    }
}

pub async fn run(ctx: &Ctx, command: CampaignCommand) -> Result<()> {
    match command {
        CampaignCommand::Create(args) => create(ctx, *args).await,
        CampaignCommand::List { status } => list(ctx, status).await,
        CampaignCommand::Show { id } => show(ctx, &id).await,
        CampaignCommand::Activate { id } => transition(ctx, &id, "activate").await,
        CampaignCommand::Pause { id } => transition(ctx, &id, "pause").await,
        CampaignCommand::Resume { id } => transition(ctx, &id, "resume").await,
        CampaignCommand::Complete { id } => transition(ctx, &id, "complete").await,
        CampaignCommand::Default { id } => transition(ctx, &id, "default").await,
        CampaignCommand::Rm { id } => remove(ctx, &id).await,
    }
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<()> {
    let file = match &args.file {
        Some(path) => read_structured::<CreateArgs>(path)?,
        None => CreateArgs::default(),
    };
    let request = args.over(file).into_request()?;
    let campaign = ctx.api()?.post("/campaigns", Body::Json(request)).await?;
    let message = format!(
        "created campaign {} \"{}\" ({}): `closer campaign activate {}` puts it live",
        text(&campaign, "/id"),
        clean(text(&campaign, "/name")),
        text(&campaign, "/status"),
        text(&campaign, "/id"),
    );
    ctx.out.changed(&campaign, message)?;
    Ok(())
}

async fn list(ctx: &Ctx, status: Option<String>) -> Result<()> {
    let query: Vec<(&str, String)> = status.map(|s| ("status", s)).into_iter().collect();
    let list = ctx.api()?.get("/campaigns", &query).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&list)?);
    }
    let rows: Vec<Vec<String>> = list["campaigns"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            vec![
                field(c, "/id"),
                field(c, "/name"),
                field(c, "/status"),
                if c["is_default"].as_bool() == Some(true) { "yes".into() } else { String::new() },
                price(c),
                field(c, "/platform"),
            ]
        })
        .collect();
    ctx.out.table(&["ID", "NAME", "STATUS", "DEFAULT", "PRICE", "PLATFORM"], &rows)?;
    Ok(())
}

async fn show(ctx: &Ctx, id: &str) -> Result<()> {
    let c = ctx.api()?.get(&format!("/campaigns/{}", segment(id)?), &[]).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&c)?);
    }
    let mut lines = vec![
        format!("{} ({})", clean(text(&c, "/name")), text(&c, "/id")),
        format!("status: {}{}", text(&c, "/status"), if c["is_default"] == true { ", default" } else { "" }),
        format!("platform: {}", text(&c, "/platform")),
        format!("product: {}  {}", clean(text(&c, "/product/name")), price(&c)),
    ];
    for feature in
        c.pointer("/product/features").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
    {
        lines.push(format!("  - {}", clean(feature.as_str().unwrap_or_default())));
    }
    lines.push(format!("greeting: {}", clean(text(&c, "/flow/greeting"))));
    let questions = c.pointer("/flow/qualification_questions").and_then(Value::as_array);
    for q in questions.map(Vec::as_slice).unwrap_or_default() {
        let options: Vec<&str> =
            q["options"].as_array().map(|o| o.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        lines.push(format!("  ? {}  [{}]", clean(text(q, "/question")), clean(&options.join(" | "))));
    }
    lines.push(format!("closing: {}", clean(text(&c, "/flow/closing_message"))));
    if let Some(stats) = c["stats"].as_object() {
        let figures: Vec<String> = stats.iter().map(|(k, v)| format!("{k} {v}")).collect();
        lines.push(format!("stats: {}", figures.join(", ")));
    }
    ctx.out.line(lines.join("\n"))?;
    Ok(())
}

async fn transition(ctx: &Ctx, id: &str, verb: &str) -> Result<()> {
    let path = format!("/campaigns/{}/{verb}", segment(id)?);
    let campaign = ctx.api()?.post(&path, Body::None).await?;
    let name = clean(text(&campaign, "/name"));
    let message = if verb == "default" {
        format!("campaign \"{name}\" ({id}) is now the default on {}", text(&campaign, "/platform"))
    } else {
        format!("campaign \"{name}\" ({id}) is now {}", text(&campaign, "/status"))
    };
    ctx.out.changed(&campaign, message)?;
    Ok(())
}

async fn remove(ctx: &Ctx, id: &str) -> Result<()> {
    let path = format!("/campaigns/{}", segment(id)?);
    ctx.api()?.call(Method::DELETE, &path, &[], Body::None).await?;
    ctx.out.changed(&json!({ "id": id, "deleted": true }), format!("deleted campaign {id}"))?;
    Ok(())
}

/// "24.90 EUR", or "" without a price.
fn price(campaign: &Value) -> String {
    let price = &campaign["product"]["price"];
    match (price["amount_minor"].as_i64(), price["currency"].as_str()) {
        (Some(amount), Some(currency)) => format!("{} {currency}", money::format_minor(amount, currency)),
        _ => String::new(),
    }
}
