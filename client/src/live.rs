//! The live events of the logged-in business: `GET /api/v1/ws`, one JSON text frame
//! per event (`closer_core::events::LiveEvent`), resumable with `last_seq`.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::{self};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::error::{Error, Result};

/// An open live-events connection.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long the WebSocket's upgrade may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the live events of `server` with the access token `token`; with `last_seq`,
/// the events after it come first (or a `resync` when they are no longer kept).
pub async fn connect(server: &str, token: &str, last_seq: Option<u64>) -> Result<Socket> {
    let server = server.trim_end_matches('/');
    let base = if let Some(rest) = server.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if server.starts_with("https://") {
        return Err(Error::Usage(format!(
            "the live events are plain ws:// only for now: use an http:// server, not {server}"
        )));
    } else {
        return Err(Error::Usage(format!("bad server URL {server:?}: expected http://HOST:PORT")));
    };
    let mut url = reqwest::Url::parse(&format!("{base}/api/v1/ws"))
        .map_err(|error| Error::Usage(format!("bad server URL {server:?}: {error}")))?;
    url.query_pairs_mut().append_pair("token", token);
    if let Some(seq) = last_seq {
        url.query_pairs_mut().append_pair("last_seq", &seq.to_string());
    }
    let request = url
        .as_str()
        .into_client_request()
        .map_err(|error| Error::Usage(format!("bad server URL {server:?}: {error}")))?;
    let unreachable = |detail: String| Error::Unreachable { server: server.to_owned(), detail };
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(request))
        .await
        .map_err(|_| unreachable("the WebSocket upgrade timed out".into()))?;
    match connected {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) if response.status() == 401 => {
            Err(Error::NotAuthenticated("the live events refused the token: run `closer login`".into()))
        }
        Err(tungstenite::Error::Http(response)) => Err(Error::Server {
            status: response.status().as_u16(),
            code: "websocket_refused".into(),
            message: format!("closerd refused the live events ({})", response.status()),
        }),
        Err(tungstenite::Error::Io(error)) => Err(unreachable(error.to_string())),
        Err(error) => Err(Error::Local(format!("cannot open the live events: {error}"))),
    }
}
