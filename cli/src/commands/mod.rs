//! The command line's shape (clap derive) and the dispatch to one module per noun.

mod analytics;
mod auth;
mod campaign;
mod chat;
mod completions;
mod integrations;
mod kb;
mod leo;
mod man;
mod onboard;
mod simulate;
#[cfg(test)]
mod snapshots;

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use clap::{Parser, Subcommand};
use serde::de::DeserializeOwned;

use crate::error::{CliError, EXIT_CODES, Result};
use crate::output::Output;
use closer_client::Api;
use closer_client::{DEFAULT_SERVER, Paths};

/// Closer from the terminal: onboarding, campaigns, integrations, chats, analytics and Leo.
#[derive(Debug, Parser)]
#[command(name = "closer", version, after_help = after_help())]
pub struct Cli {
    /// closerd's URL. Default: `CLOSER_SERVER`, then the server of the last login, then
    /// `http://127.0.0.1:8080`.
    #[arg(long, global = true, value_name = "URL", env = "CLOSER_SERVER", hide_env_values = true)]
    server: Option<String>,
    /// Print JSON on stdout, for scripts: one document (`simulate` and a `leo`
    /// conversation: one per line, as they come).
    #[arg(long, global = true)]
    json: bool,
    /// Print no confirmations (data asked for is still printed); `campaign create`
    /// prints only the new campaign's id.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Show each request on stderr (never a token).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    command: Command,
}

fn after_help() -> String {
    format!(
        "{EXIT_CODES}\n\nEnvironment:\n  CLOSER_SERVER      closerd's URL (as --server)\n  \
         CLOSER_TOKEN       an access token to use instead of the stored login\n  \
         CLOSER_CONFIG_DIR  where config.toml and credentials.json live (default: the XDG config dir)"
    )
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an account (and log in).
    Register(auth::Login),
    /// Log in; the tokens are kept in credentials.json (mode 0600).
    Login(auth::Login),
    /// End this session and forget its tokens.
    Logout,
    /// Show the logged-in account.
    Whoami,
    /// Tell the AI about the business (from flags or a TOML/JSON file).
    Onboard(onboard::Onboard),
    /// The knowledge base's documents.
    #[command(subcommand)]
    Kb(kb::Kb),
    /// Train the knowledge base now.
    Train,
    /// Create, list, show and move campaigns.
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
    /// Connect a platform: the sandbox or a Facebook page.
    #[command(subcommand)]
    Connect(integrations::Connect),
    /// Disconnect a platform.
    Disconnect(integrations::Disconnect),
    /// List the connected platforms.
    Integrations,
    /// List chats, newest activity first.
    Chats(chat::ChatsFilter),
    /// One chat: show it, take it over, answer, record a sale.
    #[command(subcommand)]
    Chat(chat::ChatCommand),
    /// The numbers of a range of days, against the range before.
    Analytics(analytics::AnalyticsArgs),
    /// Ask Leo about your numbers and chats: one question, or a conversation.
    Leo(leo::LeoArgs),
    /// Play a customer in the sandbox and see the AI's answers as they come.
    Simulate(simulate::SimulateArgs),
    /// Open the operator console: live chats, takeover and the day's numbers.
    Tui,
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(man::ManArgs),
}

/// What every command gets: the output settings, the server and the client's files.
#[derive(Debug)]
pub struct Ctx {
    pub out: Output,
    pub server: String,
    pub paths: Paths,
    pub verbose: bool,
}

impl Ctx {
    /// A client with the stored login (or `CLOSER_TOKEN`).
    pub fn api(&self) -> Result<Api> {
        Ok(Api::authenticated(&self.server, &self.paths, self.verbose)?)
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    // What needs neither the server nor the client's files.
    match &cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return man::run(args),
        _ => {}
    }
    let paths = Paths::locate()?;
    let server = match cli.server.filter(|server| !server.trim().is_empty()) {
        Some(server) => server,
        None => paths.load_config()?.server.unwrap_or_else(|| DEFAULT_SERVER.to_owned()),
    };
    let ctx = Ctx { out: Output::new(cli.json, cli.quiet), server, paths, verbose: cli.verbose > 0 };
    match cli.command {
        Command::Register(args) => auth::register(&ctx, args).await,
        Command::Login(args) => auth::login(&ctx, args).await,
        Command::Logout => auth::logout(&ctx).await,
        Command::Whoami => auth::whoami(&ctx).await,
        Command::Onboard(args) => onboard::run(&ctx, args).await,
        Command::Kb(command) => kb::run(&ctx, command).await,
        Command::Train => kb::train(&ctx).await,
        Command::Campaign(command) => campaign::run(&ctx, command).await,
        Command::Connect(command) => integrations::connect(&ctx, command).await,
        Command::Disconnect(args) => integrations::disconnect(&ctx, args).await,
        Command::Integrations => integrations::list(&ctx).await,
        Command::Chats(filter) => chat::list(&ctx, filter).await,
        Command::Chat(command) => chat::run(&ctx, command).await,
        Command::Analytics(args) => analytics::run(&ctx, args).await,
        Command::Leo(args) => leo::run(&ctx, args).await,
        Command::Simulate(args) => simulate::run(&ctx, args).await,
        Command::Tui => closer_tui::run(Some(ctx.server)).await.map_err(|error| match error {
            closer_tui::Error::Client(error) => error.into(),
            other => CliError::Local(other.to_string()),
        }),
        Command::Completions(_) | Command::Man(_) => unreachable!("handled above"),
    }
}

/// All of stdin, without the one line end a shell or `echo` adds.
pub fn read_stdin(what: &str) -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|error| CliError::Usage(format!("cannot read {what} from stdin: {error}")))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// A TOML or JSON file (by its extension) read into `T`; every problem is a usage
/// error that names the file.
pub fn read_structured<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|error| CliError::Usage(format!("{name}: {error}")))?;
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("toml") => toml::from_str(&text).map_err(|error| CliError::Usage(format!("{name}: {error}"))),
        Some("json") => {
            serde_json::from_str(&text).map_err(|error| CliError::Usage(format!("{name}: {error}")))
        }
        _ => Err(CliError::Usage(format!("{name}: expected a .toml or .json file"))),
    }
}

/// An id as one path segment: refused if it could change the route (`../`, `?`).
pub fn segment(id: &str) -> Result<&str> {
    let id = id.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(CliError::Usage(format!("bad id {id:?}")));
    }
    Ok(id)
}
