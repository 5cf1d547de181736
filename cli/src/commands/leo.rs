//! `closer leo "question"`: one question to Leo, the owner's assistant, about their
//! own numbers and chats; `closer leo` alone: a conversation, a question per line
//! (typed at a `leo> ` prompt, or piped in), each following up on the ones before.

use serde_json::{Value, json};

use super::Ctx;
use crate::error::{CliError, Result};
use crate::lines::Lines;
use crate::output::{clean, text};
use closer_client::{Api, Body};

#[derive(Debug, clap::Args)]
#[command(after_help = "Without a QUESTION, Leo reads questions from stdin, one per line (at a `leo> ` \
                        prompt on a terminal; Ctrl-D ends), all in one conversation. With --json each \
                        answer is one JSON line.")]
pub struct LeoArgs {
    /// The question (the words are joined: quotes are optional).
    #[arg(value_name = "QUESTION")]
    question: Vec<String>,
    /// Continue this conversation (its id is in the `--json` answer).
    #[arg(long, value_name = "ID")]
    conversation: Option<String>,
}

pub async fn run(ctx: &Ctx, args: LeoArgs) -> Result<()> {
    if args.question.is_empty() {
        return conversation(ctx, args.conversation).await;
    }
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        return Err(CliError::Usage(
            "the question is empty: closer leo \"how did sales go this week?\"".into(),
        ));
    }
    let reply = ask(&mut ctx.api()?, &question, args.conversation.as_deref()).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&reply)?);
    }
    ctx.out.line(answer(&reply))?;
    Ok(())
}

/// Questions from stdin until it ends, in one conversation.
async fn conversation(ctx: &Ctx, mut id: Option<String>) -> Result<()> {
    let mut lines = Lines::stdin("leo> ");
    if lines.interactive() && !ctx.out.quiet {
        eprintln!("Ask Leo about your numbers and chats, one question per line; Ctrl-D ends.");
    }
    let mut api = ctx.api()?;
    let mut answered = 0_usize;
    loop {
        lines.prompt();
        let Some(line) = lines.next().await? else { break };
        let question = line.trim();
        if question.is_empty() {
            continue;
        }
        let reply = match ask(&mut api, question, id.as_deref()).await {
            Ok(reply) => reply,
            // A person can rephrase; a script stops at the first refusal.
            Err(error @ CliError::Server { .. }) if lines.interactive() => {
                eprintln!("closer: {error}");
                continue;
            }
            Err(error) => return Err(error),
        };
        id = reply["conversation_id"].as_str().map(str::to_owned).or(id);
        if ctx.out.json {
            ctx.out.json_line(&reply)?;
        } else {
            // A blank line between answers, which may have several lines each.
            let separator = if answered > 0 && !lines.interactive() { "\n" } else { "" };
            ctx.out.line(format!("{separator}{}", answer(&reply)))?;
        }
        answered += 1;
    }
    if answered == 0 && !lines.interactive() {
        return Err(CliError::Usage(
            "no question: closer leo \"how did sales go this week?\", or pipe questions in, one per line"
                .into(),
        ));
    }
    Ok(())
}

async fn ask(api: &mut Api, question: &str, conversation: Option<&str>) -> Result<Value> {
    let mut body = json!({ "message": question });
    if let Some(id) = conversation {
        body["conversation_id"] = id.into();
    }
    Ok(api.post("/ai/leo", Body::Json(body)).await?)
}

/// The answer's text, keeping its own line breaks and cleaning each line of anything
/// else.
fn answer(reply: &Value) -> String {
    text(reply, "/answer").lines().map(clean).collect::<Vec<_>>().join("\n")
}
