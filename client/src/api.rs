//! A small client of closerd's REST API (`/api/v1`): JSON in and out, errors in the
//! API's `{"error": {"code", "message"}}` shape turned into [`Error`]s, and an
//! expired access token refreshed once, transparently, with the stored refresh token.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

use crate::config::{Credentials, Paths};
use crate::error::{Error, Result};

/// Generous for training a large knowledge base; a hung server still ends.
const TIMEOUT: Duration = Duration::from_mins(2);

/// What a request carries.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    Json(Value),
    /// Raw text with its content type (a knowledge-base document).
    Text {
        content_type: &'static str,
        text: String,
    },
}

/// Where the access token comes from.
#[derive(Debug)]
enum Session {
    Anonymous,
    /// `CLOSER_TOKEN`: used as it is, never refreshed or saved.
    Environment(String),
    /// `credentials.json`: refreshed and saved again when it expires.
    Stored {
        paths: Paths,
        credentials: Credentials,
    },
}

#[derive(Debug)]
pub struct Api {
    http: reqwest::Client,
    /// The server's base URL as given (`http://127.0.0.1:8080`).
    server: String,
    session: Session,
    /// `-v`: each request and its status on stderr (never a token).
    verbose: bool,
}

impl Api {
    /// A client without a token, for registering and logging in.
    pub fn anonymous(server: &str, verbose: bool) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("closer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Local(format!("cannot set up HTTP: {error}")))?;
        Ok(Self {
            http,
            server: server.trim_end_matches('/').to_owned(),
            session: Session::Anonymous,
            verbose,
        })
    }

    /// A logged-in client: `CLOSER_TOKEN`, else the stored credentials of this server.
    pub fn authenticated(server: &str, paths: &Paths, verbose: bool) -> Result<Self> {
        let mut api = Self::anonymous(server, verbose)?;
        if let Some(token) = std::env::var("CLOSER_TOKEN").ok().filter(|token| !token.is_empty()) {
            api.session = Session::Environment(token);
            return Ok(api);
        }
        let credentials = paths.load_credentials()?.ok_or_else(Error::not_logged_in)?;
        if credentials.server.trim_end_matches('/') != api.server {
            return Err(Error::NotAuthenticated(format!(
                "not logged in to {} (only to {}): run `closer login --server {}`",
                api.server, credentials.server, api.server
            )));
        }
        api.session = Session::Stored { paths: paths.clone(), credentials };
        Ok(api)
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// The access token requests carry, for what is not a REST call (the WebSocket's
    /// `?token=`); the last request refreshed it if it had expired.
    pub fn access_token(&self) -> Option<&str> {
        match &self.session {
            Session::Anonymous => None,
            Session::Environment(token) => Some(token),
            Session::Stored { credentials, .. } => Some(&credentials.access_token),
        }
    }

    /// `-v`: show what is about to be done (never a token).
    pub fn trace(&self, what: &str) {
        if self.verbose {
            eprintln!("> {what}");
        }
    }

    pub async fn get(&mut self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        self.call(Method::GET, path, query, Body::None).await
    }

    pub async fn post(&mut self, path: &str, body: Body) -> Result<Value> {
        self.call(Method::POST, path, &[], body).await
    }

    /// A request whose answer is JSON (or nothing: `null`).
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> Result<Value> {
        let text = self.text(method, path, query, body).await?;
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|error| Error::Server {
            status: 200,
            code: "bad_answer".into(),
            message: format!("closerd's answer is not the JSON expected ({error})"),
        })
    }

    /// A request whose answer is text (CSV).
    pub async fn text(
        &mut self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> Result<String> {
        let url = self.url(path, query)?;
        let mut refreshed = false;
        loop {
            let response = self.send(method.clone(), url.clone(), &body).await?;
            let status = response.status();
            let text = response.text().await.map_err(|error| self.unreachable(&error))?;
            if status.is_success() {
                return Ok(text);
            }
            let (code, message) = error_of(status, &text);
            if status == StatusCode::UNAUTHORIZED {
                let expired = matches!(code.as_str(), "token_expired" | "invalid_token");
                if expired && !refreshed && self.refresh().await? {
                    refreshed = true;
                    continue;
                }
                return Err(Error::NotAuthenticated(match self.session {
                    Session::Anonymous => message,
                    Session::Environment(_) => format!("{message}: CLOSER_TOKEN was refused"),
                    Session::Stored { .. } => format!("{message}: run `closer login`"),
                }));
            }
            return Err(Error::Server { status: status.as_u16(), code, message });
        }
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url> {
        let mut url = Url::parse(&format!("{}/api/v1{path}", self.server))
            .map_err(|error| Error::Usage(format!("bad server URL {:?}: {error}", self.server)))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    async fn send(&self, method: Method, url: Url, body: &Body) -> Result<reqwest::Response> {
        if self.verbose {
            eprintln!("> {method} {url}");
        }
        let mut request = self.http.request(method, url);
        request = match &self.session {
            Session::Anonymous => request,
            Session::Environment(token) => request.bearer_auth(token),
            Session::Stored { credentials, .. } => request.bearer_auth(&credentials.access_token),
        };
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Text { content_type, text } => {
                request.header(reqwest::header::CONTENT_TYPE, *content_type).body(text.clone())
            }
        };
        let response = request.send().await.map_err(|error| self.unreachable(&error))?;
        if self.verbose {
            eprintln!("< {}", response.status());
        }
        Ok(response)
    }

    /// Exchanges the stored refresh token for new tokens and saves them; false when
    /// there is nothing to refresh with or the server refuses it.
    async fn refresh(&mut self) -> Result<bool> {
        let Session::Stored { credentials, .. } = &self.session else { return Ok(false) };
        let url = self.url("/auth/refresh", &[])?;
        let body = Body::Json(json!({ "refresh_token": credentials.refresh_token }));
        let response = self.send(Method::POST, url, &body).await?;
        if !response.status().is_success() {
            return Ok(false);
        }
        let tokens: Value = response.json().await.map_err(|error| self.unreachable(&error))?;
        let (Some(access), Some(refresh)) =
            (tokens["access_token"].as_str(), tokens["refresh_token"].as_str())
        else {
            return Ok(false);
        };
        if let Session::Stored { paths, credentials } = &mut self.session {
            access.clone_into(&mut credentials.access_token);
            refresh.clone_into(&mut credentials.refresh_token);
            paths.save_credentials(credentials)?;
        }
        Ok(true)
    }

    fn unreachable(&self, error: &reqwest::Error) -> Error {
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Unreachable { server: self.server.clone(), detail }
    }
}

/// The code and message of an error answer; something readable for one that is not
/// in the API's shape (a proxy's HTML page).
fn error_of(status: StatusCode, text: &str) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let detail = parsed.as_ref().and_then(|value| value.get("error"));
    let code = detail.and_then(|e| e["code"].as_str()).unwrap_or("http_error").to_owned();
    let message = detail
        .and_then(|e| e["message"].as_str())
        .map_or_else(|| format!("closerd answered {status}"), crate::clean);
    (code, message)
}
