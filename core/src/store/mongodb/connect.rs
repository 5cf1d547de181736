//! Connecting: the URL, our defaults for what it leaves unsaid, and a first ping that
//! turns a wrong URL or a server that is down into one clear error at start.

use std::time::Duration;

use mongodb::bson::doc;
use mongodb::error::ErrorKind;
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

use crate::store::{Result, StoreError};

/// The database used when the URL names none (`mongodb://host/` or `mongodb://host`).
pub(super) const DEFAULT_DATABASE: &str = "closer";

/// How long to look for a usable server when the URL does not say: long enough for a
/// replica set election, short enough that a wrong URL fails the daemon's start
/// quickly instead of after the driver's default 30 s.
pub(super) const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// The database `url` names, on a client that has answered a ping.
pub(super) async fn connect(url: &str) -> Result<Database> {
    let shown = crate::store::redact_url(url);
    let scrub = |message: String| scrub_password(&message, url);
    let unusable = |e: mongodb::error::Error| {
        StoreError::Unavailable(scrub(format!("cannot use the MongoDB URL {shown}: {}", e.kind)))
    };
    let options = with_defaults(ClientOptions::parse(url).await.map_err(unusable)?);
    let name = database_of(&options);
    let hosts = options.hosts.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    let db = Client::with_options(options).map_err(unusable)?.database(&name);
    db.run_command(doc! { "ping": 1 }).await.map_err(|e| {
        let what = match e.kind.as_ref() {
            ErrorKind::Authentication { .. } => "refused our credentials",
            ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::DnsResolve { .. } => {
                "is unreachable"
            }
            _ => "did not answer a ping",
        };
        StoreError::Unavailable(scrub(format!("MongoDB at {hosts} (database {name:?}) {what}: {}", e.kind)))
    })?;
    Ok(db)
}

/// Our defaults for what the URL leaves unsaid.
pub(super) fn with_defaults(mut options: ClientOptions) -> ClientOptions {
    options.server_selection_timeout.get_or_insert(SERVER_SELECTION_TIMEOUT);
    options.connect_timeout.get_or_insert(SERVER_SELECTION_TIMEOUT);
    options.app_name.get_or_insert_with(|| "closer".to_owned());
    options
}

/// The database the URL names, or ours.
pub(super) fn database_of(options: &ClientOptions) -> String {
    options
        .default_database
        .clone()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE.to_owned())
}

/// Driver messages can quote the URL they were given; the password never leaves.
pub(super) fn scrub_password(message: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty());
    match password {
        Some(password) => message.replace(password, "****"),
        None => message.to_owned(),
    }
}
