//! `closer connect sandbox|facebook`, `closer disconnect`, `closer integrations`.

use std::io::IsTerminal as _;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Ctx, read_stdin};
use crate::error::{CliError, Result};
use crate::output::{field, text};
use closer_client::Body;

#[derive(Debug, clap::Subcommand)]
pub enum Connect {
    /// The sandbox: a pretend page to play customers on, no Facebook needed.
    Sandbox,
    /// A Facebook page, with its page access token (checked with Facebook).
    Facebook {
        #[arg(long, value_name = "ID")]
        page_id: String,
        /// Read the page access token from stdin (else it is asked for on a terminal).
        #[arg(long)]
        token_stdin: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct Disconnect {
    #[arg(value_enum)]
    platform: Platform,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Platform {
    Facebook,
    Sandbox,
}

pub async fn connect(ctx: &Ctx, command: Connect) -> Result<()> {
    let integration = match command {
        Connect::Sandbox => ctx.api()?.post("/integrations/sandbox", Body::None).await?,
        Connect::Facebook { page_id, token_stdin } => {
            let token = if token_stdin {
                read_stdin("the page access token")?
            } else if std::io::stdin().is_terminal() {
                rpassword::prompt_password("Page access token: ")
                    .map_err(|error| CliError::Usage(format!("cannot read from the terminal: {error}")))?
            } else {
                return Err(CliError::Usage("pipe the page access token in with --token-stdin".into()));
            };
            let token = token.trim();
            if token.is_empty() {
                return Err(CliError::Usage("the page access token is empty".into()));
            }
            let body = json!({ "page_id": page_id, "page_access_token": token });
            ctx.api()?.post("/integrations/facebook", Body::Json(body)).await?
        }
    };
    let message = format!("{}: {}", describe(&integration), text(&integration, "/status"));
    ctx.out.changed(&integration, message)?;
    Ok(())
}

pub async fn disconnect(ctx: &Ctx, args: Disconnect) -> Result<()> {
    let path = match args.platform {
        Platform::Facebook => "/integrations/facebook",
        Platform::Sandbox => "/integrations/sandbox",
    };
    let integration = ctx.api()?.call(Method::DELETE, path, &[], Body::None).await?;
    let message = format!("{}: {}", describe(&integration), text(&integration, "/status"));
    ctx.out.changed(&integration, message)?;
    Ok(())
}

pub async fn list(ctx: &Ctx) -> Result<()> {
    let list = ctx.api()?.get("/integrations", &[]).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&list)?);
    }
    let rows: Vec<Vec<String>> = list
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|i| {
            ["/platform", "/page_id", "/page_name", "/status", "/updated_at"].map(|p| field(i, p)).to_vec()
        })
        .collect();
    ctx.out.table(&["PLATFORM", "PAGE ID", "PAGE", "STATUS", "SINCE"], &rows)?;
    Ok(())
}

fn describe(integration: &Value) -> String {
    match text(integration, "/platform") {
        "sandbox" => "sandbox".to_owned(),
        platform => format!(
            "{platform} page {} ({})",
            closer_client::clean(text(integration, "/page_name")),
            text(integration, "/page_id")
        ),
    }
}
