//! `closer campaign create|list|show|edit|activate|pause|resume|complete|default|rm`.
//!
//! A campaign file (`campaign.toml` or `.json`) is flat, like the flags (an edit
//! changes only the fields it names):
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

mod fields;

use reqwest::Method;
use serde_json::{Value, json};

use self::fields::{CreateArgs, nothing_to_change};
use super::{Ctx, read_structured, segment};
use crate::error::{CliError, Result};
use crate::money;
use crate::output::{clean, field, text};
use closer_client::Body;

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
    /// Change the fields given, as flags or in a file (the others stay as they are).
    Edit(Box<EditArgs>),
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

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The campaign's id.
    id: String,
    /// Edit only if the campaign is still at this version (as `closer campaign show
    /// --json` gave it); by default, the version read just before the edit.
    #[arg(long = "if-version", value_name = "VERSION")]
    version: Option<i64>,
    #[command(flatten)]
    fields: CreateArgs,
}

pub async fn run(ctx: &Ctx, command: CampaignCommand) -> Result<()> {
    match command {
        CampaignCommand::Create(args) => create(ctx, *args).await,
        CampaignCommand::List { status } => list(ctx, status).await,
        CampaignCommand::Show { id } => show(ctx, &id).await,
        CampaignCommand::Edit(args) => edit(ctx, *args).await,
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
    if ctx.out.quiet && !ctx.out.json {
        // For scripts: `CAMPAIGN=$(closer campaign create … --quiet)`.
        ctx.out.line(text(&campaign, "/id"))?;
        return Ok(());
    }
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

async fn edit(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let id = segment(&args.id)?.to_owned();
    let file = match &args.fields.file {
        Some(path) => read_structured::<CreateArgs>(path)?,
        None => CreateArgs::default(),
    };
    let fields = args.fields.over(file);
    if fields.is_empty() {
        return Err(nothing_to_change());
    }
    let mut api = ctx.api()?;
    let path = format!("/campaigns/{id}");
    let current = api.get(&path, &[]).await?;
    let mut changes =
        fields.into_changes(current.pointer("/product/price/currency").and_then(Value::as_str))?;
    let names: Vec<String> = changes
        .iter()
        .flat_map(|(key, value)| match value.as_object() {
            Some(part) => part.keys().map(|sub| format!("{key}.{sub}")).collect(),
            None => vec![key.clone()],
        })
        .collect();
    let version = match args.version {
        Some(version) => version,
        None => current["version"].as_i64().ok_or_else(|| CliError::Server {
            status: 200,
            code: "bad_answer".into(),
            message: "closerd's campaign has no version".into(),
        })?,
    };
    changes.insert("version".into(), version.into());
    let campaign = match api.call(Method::PATCH, &path, &[], Body::Json(Value::Object(changes))).await {
        Ok(campaign) => campaign,
        Err(closer_client::Error::Server { status: 409, code, message }) => {
            return Err(CliError::Server {
                status: 409,
                code,
                message: format!(
                    "campaign {id} was changed by someone else since version {version}, so nothing was saved \
                     ({message}): look at it again with `closer campaign show {id}`, then run the edit again"
                ),
            });
        }
        Err(other) => return Err(other.into()),
    };
    let message = format!(
        "updated campaign {id} \"{}\" ({}), now version {}",
        clean(text(&campaign, "/name")),
        names.join(", "),
        field(&campaign, "/version"),
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
