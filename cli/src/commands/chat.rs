//! `closer chats` (the list, with filters) and `closer chat show|takeover|release|
//! close|send|convert ID`.

use serde_json::{Value, json};

use super::{Ctx, read_stdin, segment, stdin_is_terminal};
use crate::error::{CliError, Result};
use crate::money;
use crate::output::{clean, field, text};
use closer_client::Body;

#[derive(Debug, clap::Args)]
pub struct ChatsFilter {
    /// open, closed… (as the API names them).
    #[arg(long)]
    status: Option<String>,
    /// ai or human: who answers.
    #[arg(long)]
    mode: Option<String>,
    /// Only the chats of this campaign (its id).
    #[arg(long, value_name = "ID")]
    campaign: Option<String>,
    /// Only leads scored at least this (0-100).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    min_score: Option<u8>,
    /// Part of the customer's name or id.
    #[arg(long)]
    search: Option<String>,
    /// At most this many (the server's default is 50, at most 500).
    #[arg(long)]
    limit: Option<u32>,
    /// The page after the one that gave this `next_cursor` (in `--json`, or on stderr
    /// on a terminal).
    #[arg(long)]
    cursor: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum ChatCommand {
    /// The chat and its transcript.
    Show {
        id: String,
        /// At most this many messages, oldest first.
        #[arg(long, default_value_t = 500)]
        limit: u32,
    },
    /// Take the chat over: the AI stays silent in it until released.
    Takeover { id: String },
    /// Hand the chat back to the AI.
    Release { id: String },
    /// Close the chat (a new customer message opens it again).
    Close { id: String },
    /// Send your own message (TEXT, or stdin when left out); this takes the chat over.
    Send { id: String, text: Option<String> },
    /// Record a sale: the chat is converted and its value counted.
    Convert {
        id: String,
        /// The order's value, such as 49.90.
        #[arg(long)]
        value: String,
        /// ISO 4217; by default the currency of the campaign's price.
        #[arg(long)]
        currency: Option<String>,
    },
}

pub async fn list(ctx: &Ctx, filter: ChatsFilter) -> Result<()> {
    let mut query: Vec<(&str, String)> = Vec::new();
    let texts = [("status", filter.status), ("mode", filter.mode), ("campaign_id", filter.campaign)];
    query.extend(texts.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    query.extend(filter.search.map(|v| ("search", v)));
    query.extend(filter.min_score.map(|v| ("min_score", v.to_string())));
    query.extend(filter.limit.map(|v| ("limit", v.to_string())));
    query.extend(filter.cursor.map(|v| ("cursor", v)));
    let list = ctx.api()?.get("/chats", &query).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&list)?);
    }
    let rows: Vec<Vec<String>> = list["chats"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let mut row =
                ["/id", "/customer_name", "/platform", "/status", "/mode", "/lead/score", "/message_count"]
                    .map(|p| field(c, p))
                    .to_vec();
            row.push(flags(c));
            row.push(field(c, "/last_activity_at"));
            row
        })
        .collect();
    ctx.out.table(
        &["ID", "CUSTOMER", "PLATFORM", "STATUS", "MODE", "SCORE", "MESSAGES", "FLAGS", "LAST ACTIVITY"],
        &rows,
    )?;
    // Where the next page starts: for a person only; a script reads it in --json.
    if let Some(next) = list["next_cursor"].as_str().filter(|_| ctx.out.terminal && !ctx.out.quiet) {
        eprintln!("more: closer chats --cursor {next} (with the same filters)");
    }
    Ok(())
}

/// What stands out in a chat: a sale, a request for a person.
fn flags(chat: &Value) -> String {
    let mut flags = Vec::new();
    if chat["conversion"]["converted"] == true {
        flags.push("sold");
    }
    if chat["handoff_requested"] == true {
        flags.push("wants-human");
    }
    if chat["unreachable"] == true {
        flags.push("unreachable");
    }
    flags.join(",")
}

pub async fn run(ctx: &Ctx, command: ChatCommand) -> Result<()> {
    match command {
        ChatCommand::Show { id, limit } => show(ctx, &id, limit).await,
        ChatCommand::Takeover { id } => change(ctx, &id, "takeover").await,
        ChatCommand::Release { id } => change(ctx, &id, "release").await,
        ChatCommand::Close { id } => change(ctx, &id, "close").await,
        ChatCommand::Send { id, text } => send(ctx, &id, text).await,
        ChatCommand::Convert { id, value, currency } => convert(ctx, &id, &value, currency).await,
    }
}

async fn show(ctx: &Ctx, id: &str, limit: u32) -> Result<()> {
    let detail = ctx.api()?.get(&format!("/chats/{}", segment(id)?), &[("limit", limit.to_string())]).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&detail)?);
    }
    let chat = &detail["chat"];
    let mut lines = vec![
        format!(
            "{} ({}) on {}",
            clean(text(chat, "/customer_name")),
            clean(text(chat, "/customer_id")),
            text(chat, "/platform")
        ),
        format!(
            "status {}, mode {}, lead score {}, {} messages{}",
            text(chat, "/status"),
            text(chat, "/mode"),
            field(chat, "/lead/score"),
            field(chat, "/message_count"),
            match flags(chat).as_str() {
                "" => String::new(),
                flags => format!(" [{flags}]"),
            }
        ),
        String::new(),
    ];
    for message in detail["messages"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let delivery = match text(message, "/delivery") {
            "failed" => " (not delivered)",
            _ => "",
        };
        let sent_at = text(message, "/sent_at");
        // A message's own line breaks stay, indented under its first line.
        let indent = " ".repeat(sent_at.chars().count() + 11);
        let body: Vec<String> = text(message, "/text")
            .lines()
            .enumerate()
            .map(|(i, line)| match (i, clean(line).trim_end()) {
                (0, line) => line.to_owned(),
                (_, "") => String::new(),
                (_, line) => format!("{indent}{line}"),
            })
            .collect();
        lines.push(format!("{sent_at}  {:<8} {}{delivery}", text(message, "/sender"), body.join("\n")));
    }
    ctx.out.line(lines.join("\n"))?;
    Ok(())
}

async fn change(ctx: &Ctx, id: &str, verb: &str) -> Result<()> {
    let chat = ctx.api()?.post(&format!("/chats/{}/{verb}", segment(id)?), Body::None).await?;
    let message = match verb {
        "takeover" => format!("chat {id}: you answer now; the AI is silent until `closer chat release {id}`"),
        "release" => format!("chat {id}: handed back to the AI"),
        _ => format!("chat {id}: {}", text(&chat, "/status")),
    };
    ctx.out.changed(&chat, message)?;
    Ok(())
}

async fn send(ctx: &Ctx, id: &str, message: Option<String>) -> Result<()> {
    let message = match message {
        Some(message) => message,
        None if stdin_is_terminal() => {
            return Err(CliError::Usage(
                "give the message: closer chat send ID \"text\" (or pipe it in)".into(),
            ));
        }
        None => read_stdin("the message")?,
    };
    if message.trim().is_empty() {
        return Err(CliError::Usage("the message is empty".into()));
    }
    let path = format!("/chats/{}/messages", segment(id)?);
    let sent = ctx.api()?.post(&path, Body::Json(json!({ "text": message }))).await?;
    ctx.out.changed(&sent, format!("sent to chat {id} ({})", text(&sent, "/delivery")))?;
    Ok(())
}

async fn convert(ctx: &Ctx, id: &str, value: &str, currency: Option<String>) -> Result<()> {
    let id = segment(id)?;
    let mut api = ctx.api()?;
    // The amount's decimals depend on the currency: without one, the campaign's.
    let known = match currency {
        Some(currency) => Some(currency.trim().to_ascii_uppercase()),
        None => campaign_currency(&mut api, id).await?,
    };
    let amount_minor = money::parse_minor(value, known.as_deref().unwrap_or("EUR"))?;
    let mut body = json!({ "amount_minor": amount_minor });
    if let Some(currency) = &known {
        body["currency"] = currency.as_str().into();
    }
    let chat = api.post(&format!("/chats/{id}/convert"), Body::Json(body)).await?;
    let order = &chat["conversion"]["order_value"];
    let shown = match (order["amount_minor"].as_i64(), order["currency"].as_str()) {
        (Some(amount), Some(currency)) => format!("{} {currency}", money::format_minor(amount, currency)),
        _ => value.to_owned(),
    };
    ctx.out.changed(&chat, format!("chat {id}: sale of {shown} recorded"))?;
    Ok(())
}

async fn campaign_currency(api: &mut closer_client::Api, chat_id: &str) -> Result<Option<String>> {
    let detail = api.get(&format!("/chats/{chat_id}"), &[("limit", "1".into())]).await?;
    let Some(campaign) = detail["chat"]["campaign_id"].as_str() else { return Ok(None) };
    let campaign = match api.get(&format!("/campaigns/{}", segment(campaign)?), &[]).await {
        Ok(campaign) => campaign,
        Err(closer_client::Error::Server { status: 404, .. }) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    Ok(campaign["product"]["price"]["currency"].as_str().map(str::to_owned))
}
