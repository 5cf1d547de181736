//! `closer simulate`: play a customer against the sandbox in the terminal. Each line
//! of stdin is a customer message (`POST /api/v1/sandbox/messages`); the AI's answers
//! come back over the live events (`GET /api/v1/ws`) and are printed as they arrive.
//!
//! The WebSocket is connected before the first message is sent, so no answer can be
//! missed. One message is answered before the next line is read: piped lines make a
//! conversation in turn, as a person would have it, rather than one burst the AI
//! answers once. An answer is complete when the AI's follow-up (the `chat.updated`
//! after its messages) arrives, or when nothing more came for a moment.

use std::time::Duration;

use closer_client::live::Socket;
use closer_core::events::{Event, LiveEvent};
use closer_core::model::{Chat, ChatMode, Message, Platform, Sender};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as Frame;

use super::Ctx;
use crate::error::{CliError, Result};
use crate::lines::Lines;
use closer_client::clean;
use closer_client::{Api, Body};

/// The longest customer id or name the sandbox takes.
const ID_MAX_CHARS: usize = 100;
/// After an answer's last message, how long to wait for more before taking it as
/// complete (an owner answering by hand sends no follow-up).
const SETTLE: Duration = Duration::from_millis(1500);

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each line of stdin is one customer message (typed at a `you> ` prompt on a terminal; \
                        Ctrl-D ends). The answers of the AI, or of the owner who took the chat over, are \
                        printed as they come; with --json each is one JSON line (the live event). Piped, it \
                        ends after the answer to the last line:\n  \
                        printf 'Hi\\nHow much?\\n' | closer simulate --customer-id maria --name Maria"
)]
pub struct SimulateArgs {
    /// Who you play: any id; the same id continues the same chat.
    #[arg(long, value_name = "ID", default_value = "simulated")]
    customer_id: String,
    /// The customer's name, as the owner sees it.
    #[arg(long)]
    name: Option<String>,
    /// How long to wait for each answer.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    wait: u64,
}

pub async fn run(ctx: &Ctx, args: SimulateArgs) -> Result<()> {
    let customer = args.customer_id.trim().to_owned();
    let name = args.name.map(|name| name.trim().to_owned()).filter(|name| !name.is_empty());
    for (flag, value) in [("--customer-id", Some(&customer)), ("--name", name.as_ref())] {
        match value {
            Some(value) if value.chars().count() > ID_MAX_CHARS => {
                return Err(CliError::Usage(format!("{flag} is longer than {ID_MAX_CHARS} characters")));
            }
            Some(value) if value.is_empty() => return Err(CliError::Usage(format!("{flag} is empty"))),
            _ => {}
        }
    }
    let mut api = ctx.api()?;
    // Also the request that refreshes an expired token before the WebSocket uses it.
    sandbox_connected(&mut api).await?;
    let (chat, human) = existing_chat(&mut api, &customer).await?;
    let socket = connect(&api).await?;
    let mut lines = Lines::stdin("you> ");
    if lines.interactive() && !ctx.out.quiet {
        eprintln!("You are customer {customer:?} in the sandbox: type a message and Enter; Ctrl-D ends.");
    }
    let mut simulation = Simulation {
        ctx,
        customer,
        chat,
        handoff: false,
        human,
        waiting: None,
        wait: Duration::from_secs(args.wait),
    };
    simulation.converse(&mut api, socket, &mut lines, name.as_deref()).await
}

/// What is waited for after a message was sent.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    /// When to give up (no answer yet) or to take the answer as complete.
    until: Instant,
    /// A part of the answer arrived.
    answered: bool,
}

struct Simulation<'a> {
    ctx: &'a Ctx,
    customer: String,
    /// The played customer's chat, once known (it is created by the first message).
    chat: Option<String>,
    /// The chat waits for a person, as last said.
    handoff: bool,
    /// The owner took the chat over: the AI does not answer in it.
    human: bool,
    waiting: Option<Waiting>,
    wait: Duration,
}

impl Simulation<'_> {
    async fn converse(
        &mut self,
        api: &mut Api,
        mut socket: Socket,
        lines: &mut Lines,
        name: Option<&str>,
    ) -> Result<()> {
        let mut ended = false;
        let mut sent = 0_usize;
        loop {
            let reading = self.waiting.is_none() && !ended;
            if reading {
                lines.prompt();
            } else if self.waiting.is_none() {
                break;
            }
            let until = self.waiting.map_or_else(Instant::now, |waiting| waiting.until);
            tokio::select! {
                line = lines.next(), if reading => {
                    let Some(line) = line? else {
                        ended = true;
                        continue;
                    };
                    if line.trim().is_empty() {
                        continue;
                    }
                    match self.send(api, &line, name).await {
                        Ok(()) => {
                            sent += 1;
                            self.waiting = Some(Waiting { until: Instant::now() + self.wait, answered: false });
                        }
                        // A person can try again; a script stops at the first refusal.
                        Err(error @ CliError::Server { .. }) if lines.interactive() => eprintln!("closer: {error}"),
                        Err(error) => return Err(error),
                    }
                }
                frame = socket.next() => {
                    let event = match frame {
                        Some(Ok(Frame::Text(text))) => text,
                        Some(Ok(Frame::Close(close))) => {
                            let why = close.map(|c| c.reason.to_string()).unwrap_or_default();
                            return Err(CliError::Local(format!("closerd closed the live events: {why}")));
                        }
                        Some(Ok(_)) => continue, // pings are answered by tungstenite
                        Some(Err(error)) => {
                            return Err(CliError::Local(format!("the live events broke off: {error}")));
                        }
                        None => return Err(CliError::Local("closerd closed the live events".into())),
                    };
                    self.event(event.as_str(), lines)?;
                }
                () = tokio::time::sleep_until(until), if self.waiting.is_some() => {
                    if self.waiting.is_some_and(|waiting| !waiting.answered) {
                        lines.interrupted();
                        eprintln!("closer: no answer within {} s{}", self.wait.as_secs(), self.hint());
                    }
                    self.waiting = None;
                }
            }
        }
        if sent == 0 && !lines.interactive() {
            return Err(CliError::Usage(
                "no message on stdin: pipe the customer's lines in, e.g. printf 'Hi\\n' | closer simulate"
                    .into(),
            ));
        }
        Ok(())
    }

    async fn send(&self, api: &mut Api, text: &str, name: Option<&str>) -> Result<()> {
        let mut body = json!({ "customer_id": self.customer, "text": text });
        if let Some(name) = name {
            body["customer_name"] = name.into();
        }
        api.post("/sandbox/messages", Body::Json(body)).await?;
        Ok(())
    }

    /// One live event: printed if it is an answer in the played chat.
    fn event(&mut self, frame: &str, lines: &mut Lines) -> Result<()> {
        let Ok(raw) = serde_json::from_str::<Value>(frame) else { return Ok(()) };
        // A frame this build cannot read is one it has no use for: the contract says
        // to ignore what is not known.
        let Ok(live) = serde_json::from_value::<LiveEvent>(raw.clone()) else { return Ok(()) };
        match live.event {
            Event::ChatCreated { chat } | Event::ChatUpdated { chat } if self.is_ours(&chat) => {
                self.chat = Some(chat.id.to_string());
                if chat.handoff_requested && !self.handoff && !self.ctx.out.json {
                    lines.interrupted();
                    eprintln!("(the AI asked for a person: the chat waits for the owner)");
                }
                self.handoff = chat.handoff_requested;
                self.human = chat.mode == ChatMode::Human;
                // The AI's follow-up comes after its messages: the answer is complete.
                if self.waiting.is_some_and(|waiting| waiting.answered) {
                    self.waiting = None;
                }
            }
            Event::ChatMessage { chat_id, message }
                if self.chat.as_deref() == Some(chat_id.to_string().as_str())
                    && matches!(message.sender, Sender::Ai | Sender::Business) =>
            {
                lines.interrupted();
                if self.ctx.out.json {
                    self.ctx.out.json_line(&raw)?;
                } else {
                    self.ctx.out.line(shown(&message))?;
                }
                if let Some(waiting) = &mut self.waiting {
                    *waiting = Waiting { until: Instant::now() + SETTLE, answered: true };
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn is_ours(&self, chat: &Chat) -> bool {
        chat.platform == Platform::Sandbox && chat.customer_id == self.customer
    }

    /// Why there may be no answer, when it is known.
    fn hint(&self) -> String {
        match &self.chat {
            Some(chat) if self.human => {
                format!(
                    ": the owner took the chat over (`closer chat release {chat}` gives it back to the AI)"
                )
            }
            _ => String::new(),
        }
    }
}

/// An answer for people: `ai> text`, its further lines indented, and the quick
/// replies offered with it.
fn shown(message: &Message) -> String {
    let label = match message.sender {
        Sender::Business => "business> ",
        _ => "ai> ",
    };
    let indent = " ".repeat(label.len());
    let mut lines: Vec<String> = message
        .text
        .lines()
        .enumerate()
        .map(|(i, line)| match (i, clean(line).trim_end()) {
            (0, line) => format!("{label}{line}"),
            (_, "") => String::new(),
            (_, line) => format!("{indent}{line}"),
        })
        .collect();
    if lines.is_empty() {
        lines.push(label.trim_end().to_owned());
    }
    if !message.quick_replies.is_empty() {
        let replies: Vec<String> =
            message.quick_replies.iter().map(|reply| format!("[{}]", clean(&reply.title))).collect();
        lines.push(format!("{indent}{}", replies.join(" ")));
    }
    lines.join("\n")
}

/// The sandbox must be connected, or every message would be refused.
async fn sandbox_connected(api: &mut Api) -> Result<()> {
    let integrations = api.get("/integrations", &[]).await?;
    let connected = integrations
        .as_array()
        .is_some_and(|list| list.iter().any(|i| i["platform"] == "sandbox" && i["status"] == "connected"));
    if connected {
        return Ok(());
    }
    Err(CliError::Server {
        status: 409,
        code: "sandbox_not_connected".into(),
        message: "the sandbox is not connected: run `closer connect sandbox` first".into(),
    })
}

/// The chat of a customer played before, if there is one (a new one announces itself
/// with `chat.created`), and whether the owner has taken it over.
async fn existing_chat(api: &mut Api, customer: &str) -> Result<(Option<String>, bool)> {
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("search", customer.to_owned()), ("limit", "500".to_owned())];
        query.extend(cursor.take().map(|cursor| ("cursor", cursor)));
        let page = api.get("/chats", &query).await?;
        let found = page["chats"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .find(|chat| chat["platform"] == "sandbox" && chat["customer_id"].as_str() == Some(customer));
        if let Some(chat) = found {
            return Ok((chat["id"].as_str().map(str::to_owned), chat["mode"] == "human"));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok((None, false)),
        }
    }
}

/// The live events of the logged-in business.
async fn connect(api: &Api) -> Result<Socket> {
    api.trace(&format!("GET {}/api/v1/ws (WebSocket)", api.server()));
    let token = api.access_token().ok_or_else(CliError::not_logged_in)?;
    Ok(closer_client::live::connect(api.server(), token, None).await?)
}
