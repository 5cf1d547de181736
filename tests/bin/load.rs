//! `closer-load`: a small HTTP load generator for benchmarking closerd from a second
//! process on loopback.
//!
//! ```text
//! closer-load setup --base http://127.0.0.1:8080 --campaigns 20   # prints an access token
//! closer-load setup --base … --campaigns 1 --live --page 1047 --page-token EAAB --email a@b.example
//! closer-load run --base http://127.0.0.1:8080 --path /healthz --connections 32 --seconds 5
//! closer-load run --base … --path /api/v1/campaigns --token TOKEN
//! closer-load bare --listen 127.0.0.1:9000
//! closer-load graph --listen 127.0.0.1:9001 --page 1047
//! closer-load webhooks --target http://127.0.0.1:8080 --secret S --page 1047 --connections 32 --duration 5 [--rate 10000]
//! closer-load e2e --target http://127.0.0.1:8080 --secret S --page 1047 --graph-listen 127.0.0.1:9001 --rate 500 --duration 10
//! closer-load seed-chats --store sqlite:///tmp/x/closer.db --email a@b.example --count 100000
//! closer-load drop-mongodb --uri mongodb://127.0.0.1:27017/closer_bench
//! ```
//!
//! `run` keeps `--connections` keep-alive connections busy, each sending its next
//! request when the previous answered (closed loop), and prints one line:
//! `path requests rps p50_ms p99_ms errors`. The pipeline's subcommands print one
//! line of `name=value` fields each (see `scripts/bench-pipeline.sh`).

// Counts and percentiles of a benchmark run fit easily in an f64's 52 bits.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]

// A binary's root file takes its modules from its own directory; ours are in load/.
#[path = "load/api.rs"]
mod api;
#[path = "load/bare.rs"]
mod bare;
#[path = "load/e2e.rs"]
mod e2e;
#[path = "load/graph.rs"]
mod graph;
#[path = "load/seed.rs"]
mod seed;
#[path = "load/stats.rs"]
mod stats;
#[path = "load/webhooks.rs"]
mod webhooks;

use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Registers a fresh account, creates campaigns, prints the access token.
    Setup {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 20)]
        campaigns: usize,
        /// The account's email (default: one made from the process id).
        #[arg(long)]
        email: Option<String>,
        /// Connects this Facebook page (closerd's Graph API must know it).
        #[arg(long)]
        page: Option<String>,
        #[arg(long, default_value = "EAAB-load-page-token")]
        page_token: String,
        /// Makes the first campaign active and the Facebook default.
        #[arg(long)]
        live: bool,
    },
    /// Loads one path and prints the throughput and latency.
    Run {
        #[arg(long)]
        base: String,
        #[arg(long)]
        path: String,
        #[arg(long)]
        token: Option<String>,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// The baseline: a bare axum server whose `POST /webhooks/facebook` answers 200.
    Bare {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
    /// A fake Graph API (page connection and Send API) that answers and forgets.
    Graph {
        #[arg(long)]
        listen: String,
        #[arg(long)]
        page: String,
    },
    /// Posts signed Messenger text webhooks and prints the acknowledgements' rate and
    /// latency.
    Webhooks {
        #[command(flatten)]
        webhook: Webhook,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        #[arg(long, default_value_t = 5)]
        duration: u64,
        /// Requests per second in all; without it, as fast as the server answers.
        #[arg(long)]
        rate: Option<f64>,
        /// How many customers the messages come from, in turn.
        #[arg(long, default_value_t = 10_000)]
        customers: u64,
    },
    /// Customer messages end to end: webhook in, reply received by our fake Send API.
    E2e {
        #[command(flatten)]
        webhook: Webhook,
        /// Where our fake Graph API listens (closerd's `graph_api_base`).
        #[arg(long)]
        graph_listen: String,
        /// Messages per second; without it, as fast as replies come back with
        /// `--in-flight` customers waiting.
        #[arg(long)]
        rate: Option<f64>,
        #[arg(long, default_value_t = 200)]
        in_flight: usize,
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Seconds to wait for the last replies after posting stops.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Fills the store with chats of one business (closerd stopped).
    SeedChats {
        /// The store URL closerd uses.
        #[arg(long)]
        store: String,
        /// The business's account, created with `setup --email`.
        #[arg(long)]
        email: String,
        #[arg(long, default_value_t = 100_000)]
        count: u64,
        #[arg(long, default_value_t = 8)]
        concurrency: u64,
    },
    /// Drops the databases MongoDB store URLs name (the benchmark's, after the run).
    DropMongodb {
        #[arg(long, required = true)]
        uri: Vec<String>,
    },
}

/// Where webhooks go and how they are signed.
#[derive(clap::Args)]
struct Webhook {
    /// The server's base URL (or its webhook URL).
    #[arg(long)]
    target: String,
    /// The Facebook app secret closerd verifies signatures with.
    #[arg(long)]
    secret: String,
    /// The connected page the messages are written to.
    #[arg(long)]
    page: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    closer_tests::install_crypto_provider();
    match dispatch(Cli::parse().command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("closer-load: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> Result<(), String> {
    match command {
        Command::Setup { base, campaigns, email, page, page_token, live } => {
            api::setup(&base, api::Setup { email, campaigns, page, page_token, live }).await
        }
        Command::Run { base, path, token, connections, seconds } => {
            api::run(&base, &path, token.as_deref(), connections, Duration::from_secs(seconds)).await
        }
        Command::Bare { listen } => bare::serve(&listen).await,
        Command::Graph { listen, page } => {
            let listener =
                tokio::net::TcpListener::bind(&listen).await.map_err(|e| format!("bind {listen}: {e}"))?;
            println!("fake Graph API listening on {}", listener.local_addr().map_err(|e| e.to_string())?);
            graph::serve(listener, page, None, bare::stopped()).await
        }
        Command::Webhooks { webhook, connections, duration, rate, customers } => {
            let poster = webhooks::Poster::new(&webhook.target, &webhook.secret, &webhook.page, connections)?;
            let load =
                webhooks::Load { connections, duration: Duration::from_secs(duration), rate, customers };
            webhooks::run(poster, load).await
        }
        Command::E2e { webhook, graph_listen, rate, in_flight, duration, timeout } => {
            let poster = webhooks::Poster::new(&webhook.target, &webhook.secret, &webhook.page, in_flight)?;
            let load = e2e::Load {
                rate,
                in_flight,
                duration: Duration::from_secs(duration),
                timeout: Duration::from_secs(timeout),
            };
            e2e::run(poster, &graph_listen, &webhook.page, load).await
        }
        Command::SeedChats { store, email, count, concurrency } => {
            seed::run(seed::Seed { store, email, count, concurrency }).await
        }
        Command::DropMongodb { uri } => {
            for uri in uri {
                let client = mongodb::Client::with_uri_str(&uri).await.map_err(|e| e.to_string())?;
                let database = client.default_database().ok_or("the URI names no database")?;
                let dropped = database.drop().await.map_err(|e| format!("drop {}: {e}", database.name()));
                // Its background tasks ended before the runtime is: the driver panics otherwise.
                client.shutdown().await;
                dropped?;
            }
            Ok(())
        }
    }
}
