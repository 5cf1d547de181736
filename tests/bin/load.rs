//! `closer-load`: a small HTTP load generator for benchmarking closerd from a second
//! process on loopback.
//!
//! ```text
//! closer-load setup --base http://127.0.0.1:8080 --campaigns 20   # prints an access token
//! closer-load run --base http://127.0.0.1:8080 --path /healthz --connections 32 --seconds 5
//! closer-load run --base … --path /api/v1/campaigns --token TOKEN
//! ```
//!
//! `run` keeps `--connections` keep-alive connections busy, each sending its next
//! request when the previous answered (closed loop), and prints one line:
//! `path requests rps p50_ms p99_ms errors`.

// Counts and percentiles of a benchmark run fit easily in an f64's 52 bits.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::json;

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
}

#[tokio::main]
async fn main() -> Result<(), String> {
    closer_tests::install_crypto_provider();
    match Cli::parse().command {
        Command::Setup { base, campaigns } => setup(&base, campaigns).await,
        Command::Run { base, path, token, connections, seconds } => {
            run(&base, &path, token.as_deref(), connections, Duration::from_secs(seconds)).await
        }
    }
}

async fn setup(base: &str, campaigns: usize) -> Result<(), String> {
    let http = reqwest::Client::new();
    let email = format!("load-{}@closer.example", std::process::id());
    let welcome: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({ "email": email, "password": "load test password" }))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("register: {e}"))?
        .json()
        .await
        .map_err(|e| format!("register: {e}"))?;
    let token = welcome["access_token"].as_str().ok_or("no access token")?.to_owned();
    for i in 0..campaigns {
        let campaign = json!({
            "name": format!("Campaign {i}"),
            "product": { "name": format!("Product {i}"), "price": { "amount_minor": 1_999, "currency": "USD" },
                         "features": ["Shockproof", "Slim"] },
            "flow": { "greeting": "Hi! Looking for a case?" },
        });
        http.post(format!("{base}/api/v1/campaigns"))
            .bearer_auth(&token)
            .json(&campaign)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("create campaign: {e}"))?;
    }
    println!("{token}");
    Ok(())
}

async fn run(
    base: &str,
    path: &str,
    token: Option<&str>,
    connections: usize,
    duration: Duration,
) -> Result<(), String> {
    let http =
        reqwest::Client::builder().pool_max_idle_per_host(connections).build().map_err(|e| e.to_string())?;
    let url = format!("{base}{path}");
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (http, url, token) = (http.clone(), url.clone(), token.map(str::to_owned));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let mut request = http.get(&url);
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let started = Instant::now();
                    let ok = match request.send().await {
                        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    latencies.push(started.elapsed());
                    errors += u64::from(!ok);
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (mut l, e) = worker.await.map_err(|e| e.to_string())?;
        latencies.append(&mut l);
        errors += e;
    }
    latencies.sort_unstable();
    let count = latencies.len();
    let at = |q: f64| {
        latencies.get(((count as f64 * q) as usize).min(count.saturating_sub(1))).copied().unwrap_or_default()
    };
    println!(
        "{path} {count} {:.0} {:.2} {:.2} {errors}",
        count as f64 / duration.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    );
    Ok(())
}
