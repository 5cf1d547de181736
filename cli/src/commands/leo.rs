//! `closer leo "question"`: one question to Leo, the owner's assistant, about their
//! own numbers and chats.

use serde_json::json;

use super::Ctx;
use crate::api::Body;
use crate::error::{CliError, Result};
use crate::output::{clean, text};

#[derive(Debug, clap::Args)]
pub struct LeoArgs {
    /// The question (the words are joined: quotes are optional).
    #[arg(value_name = "QUESTION")]
    question: Vec<String>,
    /// Continue this conversation (its id is in the `--json` answer).
    #[arg(long, value_name = "ID")]
    conversation: Option<String>,
}

pub async fn run(ctx: &Ctx, args: LeoArgs) -> Result<()> {
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        return Err(CliError::Usage(
            "ask a question: closer leo \"how did sales go this week?\" (a conversation on the terminal is \
             not there yet)"
                .into(),
        ));
    }
    let mut body = json!({ "message": question });
    if let Some(id) = args.conversation {
        body["conversation_id"] = id.into();
    }
    let reply = ctx.api()?.post("/ai/leo", Body::Json(body)).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&reply)?);
    }
    // Keep the answer's own line breaks; clean each line of anything else.
    let answer: Vec<String> = text(&reply, "/answer").lines().map(clean).collect();
    ctx.out.line(answer.join("\n"))?;
    Ok(())
}
