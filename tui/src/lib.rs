//! The Closer operator console: live chats, takeover, and the day's numbers in the
//! terminal, over closerd's REST API and live events.
//!
//! One event stream (terminal input, a clock tick, the live events and the answers to
//! requests) drives [`App`], which does no I/O; [`run`] wires it to the real terminal,
//! a task that makes the REST calls, and a task that follows the live events.

mod app;
mod backend;
mod event;
mod live;
mod screens;
mod terminal;
mod theme;

use std::io::{self, IsTerminal as _};
use std::sync::Mutex;
use std::time::Duration;

use closer_client::Paths;
use closer_core::model::Timestamp;
use futures_util::StreamExt as _;
use tokio::sync::{mpsc, watch};

pub use app::{App, Options, Tab};
pub use backend::{Answer, Call, CallBody, ChatDetail, Dashboard, Failure, Method, ReplyWindow, Request};
pub use event::{Connection, Event};
pub use screens::chats::Filter;
pub use theme::Theme;

/// At most this many queued events are handled before the screen is drawn again, so a
/// burst of live events never holds up the keys typed meanwhile for long.
const EVENTS_PER_FRAME: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Client(#[from] closer_client::Error),
    #[error("the terminal: {0}")]
    Terminal(#[from] io::Error),
    #[error("the console needs a terminal: use `closer chats` and `closer chat` in scripts")]
    NotATerminal,
}

/// Runs the console against `server` (else the server of the last login, else
/// closerd's default address) until the owner quits.
pub async fn run(server: Option<String>) -> Result<(), Error> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(Error::NotATerminal);
    }
    let paths = Paths::locate()?;
    let config = paths.load_config()?;
    let server = server
        .or(config.server)
        .unwrap_or_else(|| closer_client::DEFAULT_SERVER.to_owned())
        .trim_end_matches('/')
        .to_owned();
    log_to_file(&paths);
    let email = paths
        .load_credentials()?
        .filter(|credentials| credentials.server.trim_end_matches('/') == server)
        .map(|credentials| credentials.email);

    let (events, mut incoming) = mpsc::unbounded_channel();
    let (requests, outgoing) = mpsc::unbounded_channel();
    let (tokens, token) = watch::channel(None);
    let backend = tokio::spawn(backend::serve(paths, server.clone(), outgoing, events.clone(), tokens));
    let live = tokio::spawn(live::follow(server.clone(), token, events.clone()));
    let clock = tokio::spawn(tick(events.clone()));

    let mut tasks = vec![backend, live, clock];
    let mut app = App::new(Options { server, email, now: Timestamp::now(), theme: Theme::from_env() });
    let result = async {
        let mut terminal = terminal::TerminalGuard::enter()?;
        // Keys are read once the terminal is ours: nothing of its setup is taken for input.
        tasks.push(tokio::spawn(read_terminal(events)));
        for request in app.start() {
            let _ = requests.send(request);
        }
        while !app.should_quit() {
            terminal.terminal.draw(|frame| app.draw(frame))?;
            let Some(event) = incoming.recv().await else { break };
            let mut handled = 0;
            let mut next = Some(event);
            while let Some(event) = next.take() {
                for request in app.handle(event) {
                    let _ = requests.send(request);
                }
                handled += 1;
                if handled < EVENTS_PER_FRAME && !app.should_quit() {
                    next = incoming.try_recv().ok();
                }
            }
        }
        Ok::<(), Error>(())
    }
    .await;
    for task in tasks {
        task.abort();
    }
    result
}

async fn read_terminal(events: mpsc::UnboundedSender<Event>) {
    let mut stream = crossterm::event::EventStream::new();
    while let Some(Ok(input)) = stream.next().await {
        let event = match input {
            crossterm::event::Event::Key(key) => Event::Key(key),
            crossterm::event::Event::Mouse(mouse) => Event::Mouse(mouse),
            crossterm::event::Event::Paste(text) => Event::Paste(text),
            crossterm::event::Event::Resize(..) => Event::Resize,
            crossterm::event::Event::FocusGained | crossterm::event::Event::FocusLost => continue,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

async fn tick(events: mpsc::UnboundedSender<Event>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        if events.send(Event::Tick(Timestamp::now())).is_err() {
            return;
        }
    }
}

/// The console's log goes to `console.log` beside the credentials, never to the
/// screen (`RUST_LOG` sets the level, `info` by default).
fn log_to_file(paths: &Paths) {
    let Ok(file) = paths.open_log("console.log") else { return };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}
