//! `closer register`, `login`, `logout`, `whoami`. Passwords come from a prompt
//! without echo or from stdin (`--password-stdin`), never from a flag, which would
//! leave them in the shell history and in `ps`.

use std::io::Write as _;

use serde_json::{Value, json};

use super::{Ctx, read_stdin, stdin_is_terminal};
use crate::error::{CliError, Result};
use crate::output::{clean, text};
use closer_client::Credentials;
use closer_client::{Api, Body};

#[derive(Debug, clap::Args)]
pub struct Login {
    /// The account's email (asked for on a terminal when left out).
    #[arg(long)]
    email: Option<String>,
    /// Read the password from stdin (for scripts) instead of prompting for it.
    #[arg(long)]
    password_stdin: bool,
}

pub async fn register(ctx: &Ctx, args: Login) -> Result<()> {
    let (email, password) = ask_credentials(&args, true)?;
    let mut api = Api::anonymous(&ctx.server, ctx.verbose)?;
    let welcome =
        api.post("/auth/register", Body::Json(json!({ "email": email, "password": password }))).await?;
    let account = start_session(ctx, &welcome)?;
    ctx.out.changed(
        account,
        format!("registered {} on {} and logged in", text(account, "/email"), ctx.server),
    )?;
    Ok(())
}

pub async fn login(ctx: &Ctx, args: Login) -> Result<()> {
    let (email, password) = ask_credentials(&args, false)?;
    let mut api = Api::anonymous(&ctx.server, ctx.verbose)?;
    let welcome =
        api.post("/auth/login", Body::Json(json!({ "email": email, "password": password }))).await?;
    let account = start_session(ctx, &welcome)?;
    ctx.out.changed(account, format!("logged in to {} as {}", ctx.server, text(account, "/email")))?;
    Ok(())
}

pub async fn logout(ctx: &Ctx) -> Result<()> {
    let Some(credentials) = ctx.paths.load_credentials()? else {
        return ctx.out.changed(&json!({ "logged_out": false }), "not logged in").map_err(Into::into);
    };
    let mut api = Api::authenticated(&credentials.server, &ctx.paths, ctx.verbose)?;
    // The local tokens go in any case: a server that cannot be told still loses them
    // in 15 minutes (access) or when the refresh token expires.
    let told = api.post("/auth/logout", Body::None).await;
    ctx.paths.remove_credentials()?;
    match told {
        Ok(_) | Err(closer_client::Error::NotAuthenticated(_)) => {}
        Err(error) => eprintln!("closer: the server was not told ({error}); the local tokens are deleted"),
    }
    let message = format!("logged out of {} ({})", credentials.server, credentials.email);
    ctx.out.changed(&json!({ "logged_out": true, "server": credentials.server }), message)?;
    Ok(())
}

pub async fn whoami(ctx: &Ctx) -> Result<()> {
    let mut api = ctx.api()?;
    let account = api.get("/auth/me", &[]).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&account)?);
    }
    ctx.out.line(format!("{} on {}", clean(text(&account, "/email")), api.server()))?;
    let business = text(&account, "/business/business_name");
    if !business.is_empty() {
        ctx.out.line(format!("business: {}", clean(business)))?;
    }
    let onboarded = account["onboarding_completed"].as_bool().unwrap_or(false);
    ctx.out.line(if onboarded {
        "onboarding: complete"
    } else {
        "onboarding: not complete (run `closer onboard`)"
    })?;
    Ok(())
}

/// Keeps the tokens of a login for later commands; the account, to print.
fn start_session<'a>(ctx: &Ctx, welcome: &'a Value) -> Result<&'a Value> {
    let account = &welcome["account"];
    let (Some(access), Some(refresh)) = (welcome["access_token"].as_str(), welcome["refresh_token"].as_str())
    else {
        return Err(CliError::Server {
            status: 200,
            code: "bad_answer".into(),
            message: "closerd's answer holds no tokens".into(),
        });
    };
    ctx.paths.save_credentials(&Credentials {
        server: ctx.server.clone(),
        email: text(account, "/email").to_owned(),
        access_token: access.to_owned(),
        refresh_token: refresh.to_owned(),
    })?;
    let mut config = ctx.paths.load_config()?;
    config.server = Some(ctx.server.clone());
    ctx.paths.save_config(&config)?;
    Ok(account)
}

fn ask_credentials(args: &Login, confirm: bool) -> Result<(String, String)> {
    let interactive = stdin_is_terminal() && !args.password_stdin;
    let email = match &args.email {
        Some(email) => email.trim().to_owned(),
        None if interactive => prompt("Email: ")?,
        None => return Err(CliError::Usage("--email is needed when stdin is not a terminal".into())),
    };
    if args.password_stdin {
        let password = read_stdin("the password")?;
        if password.is_empty() {
            return Err(CliError::Usage("--password-stdin: stdin held no password".into()));
        }
        return Ok((email, password));
    }
    if !interactive {
        return Err(CliError::Usage(
            "no terminal to ask for the password on: pipe it in with --password-stdin".into(),
        ));
    }
    let password = rpassword::prompt_password("Password: ").map_err(prompt_failed)?;
    if confirm && rpassword::prompt_password("Password again: ").map_err(prompt_failed)? != password {
        return Err(CliError::Usage("the passwords differ".into()));
    }
    Ok((email, password))
}

fn prompt(label: &str) -> Result<String> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{label}");
    let _ = stderr.flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(prompt_failed)?;
    Ok(line.trim().to_owned())
}

#[allow(clippy::needless_pass_by_value)] // made for `map_err`
fn prompt_failed(error: std::io::Error) -> CliError {
    CliError::Usage(format!("cannot read from the terminal: {error}"))
}
