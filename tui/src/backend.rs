//! The console's requests to closerd's REST API, made off the UI loop: the app asks
//! for a [`Request`], a task makes the call, and the [`Answer`] comes back as an
//! event. One task owns the client, so an expired token is refreshed once and the
//! live events pick up the new one.

use chrono::{Days, NaiveDate};
use closer_client::{Api, Body, Document, Error, Paths};
use closer_core::analytics::{Comparison, DailyPoint};
use std::collections::HashMap;

use closer_core::model::{Campaign, CampaignId, Chat, ChatId, Message, Metrics, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::app::Tab;
use crate::event::Event;

/// Chats and messages come in pages of this many (the API's largest).
const PAGE: usize = 500;

/// What the console asks closerd for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Login {
        email: String,
        password: String,
    },
    Register {
        email: String,
        password: String,
    },
    /// Every chat, the latest activity first.
    LoadChats,
    /// One chat with its whole transcript and reply window.
    OpenChat(ChatId),
    TakeOver(ChatId),
    HandBack(ChatId),
    Close(ChatId),
    Convert {
        chat: ChatId,
        amount_minor: i64,
    },
    Send {
        chat: ChatId,
        text: String,
    },
    /// A call of one of the other screens (campaigns, integrations, Leo, the business):
    /// its answer comes back whole to the screen that asked.
    Call(Call),
    /// Today and the last 7 days against the periods before, today's hours and the
    /// last 30 days; `today` in UTC, as closerd counts days.
    LoadDashboard {
        today: NaiveDate,
    },
}

impl Request {
    /// What was being done, for a message when it fails ("taking the chat over: …").
    pub fn doing(&self) -> &'static str {
        match self {
            Self::Login { .. } => "logging in",
            Self::Register { .. } => "registering",
            Self::LoadChats => "loading the chats",
            Self::OpenChat(_) => "opening the chat",
            Self::TakeOver(_) => "taking the chat over",
            Self::HandBack(_) => "handing the chat back",
            Self::Close(_) => "closing the chat",
            Self::Convert { .. } => "recording the sale",
            Self::Send { .. } => "sending",
            Self::LoadDashboard { .. } => "loading the numbers",
            Self::Call(call) => call.doing,
        }
    }
}

/// closerd's answer to a [`Request`].
#[derive(Debug, Clone)]
pub enum Answer {
    LoggedIn {
        email: String,
    },
    /// Every chat, and the campaigns' names by id.
    Chats {
        chats: Vec<Chat>,
        campaigns: HashMap<CampaignId, String>,
    },
    Chat(Box<ChatDetail>),
    /// A chat after a takeover, hand-back, sale or close.
    ChatChanged(Box<Chat>),
    Sent(Box<Message>),
    Dashboard(Box<Dashboard>),
    /// closerd's answer to a [`Call`] (`null` when it had no body).
    Called {
        call: Call,
        value: Value,
    },
    Failed {
        request: Request,
        error: Failure,
    },
}

/// A REST call for a screen: what it is for, and what to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The screen that asked, which gets the answer.
    pub screen: Tab,
    /// What is being done, for a message when it fails ("activating the campaign").
    pub doing: &'static str,
    pub method: Method,
    /// Under `/api/v1`.
    pub path: String,
    pub body: CallBody,
}

/// The HTTP methods the console uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallBody {
    None,
    Json(Value),
    /// A document from the owner's disk, read by the backend: a file that cannot be
    /// read is refused with its path before anything is sent.
    Document(std::path::PathBuf),
}

impl Call {
    pub fn get(screen: Tab, doing: &'static str, path: impl Into<String>) -> Self {
        Self { screen, doing, method: Method::Get, path: path.into(), body: CallBody::None }
    }

    pub fn post(screen: Tab, doing: &'static str, path: impl Into<String>, body: CallBody) -> Self {
        Self { screen, doing, method: Method::Post, path: path.into(), body }
    }

    pub fn patch(screen: Tab, doing: &'static str, path: impl Into<String>, body: Value) -> Self {
        Self { screen, doing, method: Method::Patch, path: path.into(), body: CallBody::Json(body) }
    }

    pub fn delete(screen: Tab, doing: &'static str, path: impl Into<String>) -> Self {
        Self { screen, doing, method: Method::Delete, path: path.into(), body: CallBody::None }
    }
}

/// Why a request failed, in the terms the console acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No session, or closerd refused it: back to the login screen.
    NotAuthenticated(String),
    /// closerd cannot be reached.
    Unreachable(String),
    /// closerd refused the request: its message.
    Refused(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::NotAuthenticated(message) => Self::NotAuthenticated(message),
            error @ Error::Unreachable { .. } => Self::Unreachable(error.to_string()),
            Error::Server { message, .. } | Error::Usage(message) | Error::Local(message) => {
                Self::Refused(message)
            }
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAuthenticated(message) | Self::Unreachable(message) | Self::Refused(message) => {
                f.write_str(message)
            }
        }
    }
}

/// `GET /api/v1/chats/{id}` with every page of messages.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatDetail {
    pub chat: Chat,
    pub window: ReplyWindow,
    /// Oldest first.
    pub messages: Vec<Message>,
}

/// Until when the owner may still write to the customer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReplyWindow {
    /// Messenger's 24 hours after the customer's last message.
    pub automated_until: Option<Timestamp>,
    /// The 7 days a person may still answer (`HUMAN_AGENT`).
    pub human_until: Option<Timestamp>,
}

impl ReplyWindow {
    /// Messenger's windows after a customer's message at `at`: 24 hours for automated
    /// replies, 7 days for a person's.
    pub fn after(at: Timestamp) -> Self {
        Self {
            automated_until: Some(at + std::time::Duration::from_hours(24)),
            human_until: Some(at + std::time::Duration::from_hours(24 * 7)),
        }
    }
}

/// The dashboard's figures.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub today: Comparison,
    pub week: Comparison,
    /// Today's 24 hours.
    pub hours: Vec<Metrics>,
    /// The last 30 days, oldest first.
    pub days: Vec<DailyPoint>,
}

/// Runs requests until the app goes away. `tokens` carries the current access token
/// to the live events after every call (a call may have refreshed it).
pub async fn serve(
    paths: Paths,
    server: String,
    mut requests: mpsc::UnboundedReceiver<Request>,
    events: mpsc::UnboundedSender<Event>,
    tokens: watch::Sender<Option<String>>,
) {
    let mut api = Api::authenticated(&server, &paths, false).ok();
    if let Some(api) = &api {
        tokens.send_replace(api.access_token().map(str::to_owned));
    }
    while let Some(request) = requests.recv().await {
        let answer = match answer(&paths, &server, &mut api, &request).await {
            Ok(answer) => answer,
            Err(error) => Answer::Failed { request, error: error.into() },
        };
        tokens.send_replace(api.as_ref().and_then(Api::access_token).map(str::to_owned));
        if events.send(Event::Answer(answer)).is_err() {
            return;
        }
    }
}

async fn answer(
    paths: &Paths,
    server: &str,
    api: &mut Option<Api>,
    request: &Request,
) -> Result<Answer, Error> {
    if let Request::Login { email, password } | Request::Register { email, password } = request {
        let path = if matches!(request, Request::Login { .. }) { "/auth/login" } else { "/auth/register" };
        let mut anonymous = Api::anonymous(server, false)?;
        let tokens =
            anonymous.post(path, Body::Json(json!({ "email": email, "password": password }))).await?;
        let credentials = closer_client::Credentials {
            server: server.trim_end_matches('/').to_owned(),
            email: email.clone(),
            access_token: text(&tokens, "access_token")?,
            refresh_token: text(&tokens, "refresh_token")?,
        };
        paths.save_credentials(&credentials)?;
        *api = Some(Api::authenticated(server, paths, false)?);
        return Ok(Answer::LoggedIn { email: email.clone() });
    }
    let api = api.as_mut().ok_or_else(Error::not_logged_in)?;
    Ok(match request {
        Request::Login { .. } | Request::Register { .. } => unreachable!("answered above"),
        Request::LoadChats => {
            let chats = load_chats(api).await?;
            let campaigns = parse::<Vec<Campaign>>(api.get("/campaigns", &[]).await?["campaigns"].take())?;
            let campaigns = campaigns.into_iter().map(|campaign| (campaign.id, campaign.name)).collect();
            Answer::Chats { chats, campaigns }
        }
        Request::OpenChat(id) => Answer::Chat(Box::new(load_chat(api, *id).await?)),
        Request::TakeOver(id) => changed(api.post(&format!("/chats/{id}/takeover"), Body::None).await?)?,
        Request::HandBack(id) => changed(api.post(&format!("/chats/{id}/release"), Body::None).await?)?,
        Request::Close(id) => changed(api.post(&format!("/chats/{id}/close"), Body::None).await?)?,
        Request::Convert { chat, amount_minor } => {
            let body = Body::Json(json!({ "amount_minor": amount_minor }));
            changed(api.post(&format!("/chats/{chat}/convert"), body).await?)?
        }
        Request::Send { chat, text } => {
            let body = Body::Json(json!({ "text": text }));
            Answer::Sent(Box::new(parse(api.post(&format!("/chats/{chat}/messages"), body).await?)?))
        }
        Request::Call(call) => Answer::Called { call: call.clone(), value: make(api, call).await? },
        Request::LoadDashboard { today } => Answer::Dashboard(Box::new(load_dashboard(api, *today).await?)),
    })
}

async fn make(api: &mut Api, call: &Call) -> Result<Value, Error> {
    let method = match call.method {
        Method::Get => closer_client::Method::GET,
        Method::Post => closer_client::Method::POST,
        Method::Patch => closer_client::Method::PATCH,
        Method::Delete => closer_client::Method::DELETE,
    };
    let body = match &call.body {
        CallBody::None => Body::None,
        CallBody::Json(value) => Body::Json(value.clone()),
        CallBody::Document(path) => return Document::read(path)?.upload(api).await,
    };
    api.call(method, &call.path, &[], body).await
}

async fn load_chats(api: &mut Api) -> Result<Vec<Chat>, Error> {
    let mut chats = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", PAGE.to_string())];
        if let Some(cursor) = cursor.take() {
            query.push(("cursor", cursor));
        }
        let mut page = api.get("/chats", &query).await?;
        chats.extend(parse::<Vec<Chat>>(page["chats"].take())?);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(chats),
        }
    }
}

async fn load_chat(api: &mut Api, id: ChatId) -> Result<ChatDetail, Error> {
    let path = format!("/chats/{id}");
    let mut first = api.get(&path, &[("limit", PAGE.to_string())]).await?;
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    let mut detail: ChatDetail = parse(first.take())?;
    while let Some(next) = cursor.take() {
        let page = api.get(&path, &[("limit", PAGE.to_string()), ("cursor", next)]).await?;
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        detail.messages.extend(parse::<Vec<Message>>(page["messages"].clone())?);
    }
    Ok(detail)
}

async fn load_dashboard(api: &mut Api, today: NaiveDate) -> Result<Dashboard, Error> {
    let range = |days_back: u64| {
        let from = today.checked_sub_days(Days::new(days_back)).unwrap_or(today);
        vec![("from", from.to_string()), ("to", today.to_string())]
    };
    let today_figures = api.get("/analytics", &range(0)).await?;
    let week = api.get("/analytics", &range(6)).await?;
    let hours = api.get("/analytics/hourly", &range(0)).await?;
    let days = api.get("/analytics/daily", &range(29)).await?;
    Ok(Dashboard {
        today: parse(today_figures)?,
        week: parse(week)?,
        hours: parse(hours["hours"].clone())?,
        days: parse(days["days"].clone())?,
    })
}

fn changed(value: Value) -> Result<Answer, Error> {
    Ok(Answer::ChatChanged(Box::new(parse(value)?)))
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|error| Error::Server {
        status: 200,
        code: "bad_answer".into(),
        message: format!("closerd's answer is not what the console expects ({error})"),
    })
}

fn text(value: &Value, field: &str) -> Result<String, Error> {
    value[field].as_str().map(str::to_owned).ok_or_else(|| Error::Server {
        status: 200,
        code: "bad_answer".into(),
        message: format!("closerd's answer has no {field}"),
    })
}
