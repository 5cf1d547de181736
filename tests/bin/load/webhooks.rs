//! `webhooks`: signed Messenger text webhooks, one event per POST, each a new `mid`
//! from one of many customers, from N keep-alive connections, as fast as the server
//! answers (closed loop) or at a fixed rate (open loop, paced per connection).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use closer_tests::messenger;

use super::stats::{Summary, run_id};

/// What customers write, round the list: short, as most chat messages are, and one
/// with the non-ASCII text Meta sends escaped.
const TEXTS: [&str; 4] =
    ["Hi! How much is it?", "Do you deliver to Porto?", "Is it available in black?", "Olá! Quanto custa? 🎄"];

/// Posts signed webhooks to one server.
#[derive(Debug, Clone)]
pub struct Poster {
    http: reqwest::Client,
    url: String,
    secret: String,
    page: String,
}

impl Poster {
    /// `target` is the server's base URL (`http://127.0.0.1:8080`) or the webhook URL.
    pub fn new(target: &str, secret: &str, page: &str, connections: usize) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let target = target.trim_end_matches('/');
        let url = if target.ends_with("/webhooks/facebook") {
            target.to_owned()
        } else {
            format!("{target}/webhooks/facebook")
        };
        Ok(Self { http, url, secret: secret.to_owned(), page: page.to_owned() })
    }

    /// Posts customer `psid`'s message `mid`, built and signed as Meta does; the
    /// HTTP status (0: no answer).
    pub async fn post(&self, psid: &str, mid: &str, n: u64) -> u16 {
        let text = TEXTS[(n % TEXTS.len() as u64) as usize];
        let now = closer_core::model::Timestamp::now().as_millis();
        let event = messenger::text(&self.page, psid, mid, text, now);
        let body = messenger::bytes(&messenger::single(&self.page, event));
        let signature = closer_core::platform::facebook::webhook::sign(&self.secret, &body);
        let sent = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header(messenger::SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        match sent {
            // The body is read so the connection can be used again.
            Ok(response) => {
                let status = response.status().as_u16();
                if response.bytes().await.is_ok() { status } else { 0 }
            }
            Err(_) => 0,
        }
    }
}

#[derive(Debug)]
pub struct Load {
    pub connections: usize,
    pub duration: Duration,
    /// Requests per second over all connections; `None`: as fast as answered.
    pub rate: Option<f64>,
    /// How many customers the messages come from, in turn.
    pub customers: u64,
}

pub async fn run(poster: Poster, load: Load) -> Result<(), String> {
    let run = run_id();
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + load.duration;
    let connections = load.connections.max(1);
    let workers: Vec<_> = (0..connections)
        .map(|k| {
            let (poster, counter, run) = (poster.clone(), Arc::clone(&counter), run.clone());
            // Open loop: connection k sends at started + (k + j·N) / rate.
            let pace = load.rate.map(|rate| {
                let period = Duration::from_secs_f64(connections as f64 / rate);
                (started + Duration::from_secs_f64(k as f64 / rate), period)
            });
            let customers = load.customers.max(1);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failed = 0_u64;
                let mut next = pace.map(|(first, _)| first);
                loop {
                    let start = match (next, pace) {
                        (Some(at), Some((_, period))) => {
                            // A server that falls behind does not stretch the run:
                            // what was not sent by the deadline is not sent.
                            if at >= deadline || Instant::now() >= deadline {
                                break;
                            }
                            tokio::time::sleep_until(at.into()).await;
                            next = Some(at + period);
                            // A request late by more than the timer's granularity
                            // (1 ms) counts its wait: the server kept it waiting.
                            let now = Instant::now();
                            if now > at + Duration::from_millis(2) { at } else { now }
                        }
                        _ => Instant::now(),
                    };
                    if start >= deadline {
                        break;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let psid = format!("w{run}-{}", n % customers);
                    let mid = format!("m_w{run}_{n}");
                    let status = poster.post(&psid, &mid, n).await;
                    latencies.push(start.elapsed());
                    failed += u64::from(status != 200);
                }
                (latencies, failed)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for worker in workers {
        let (mut l, f) = worker.await.map_err(|e| e.to_string())?;
        latencies.append(&mut l);
        failed += f;
    }
    let elapsed = started.elapsed().max(load.duration);
    let summary = Summary::of(latencies);
    let rate = load.rate.map_or_else(|| "max".to_owned(), |r| format!("{r:.0}"));
    println!(
        "webhooks target={} connections={connections} rate={rate} requests={} rps={:.0} {} non200={failed}",
        poster.url,
        summary.count,
        summary.count as f64 / elapsed.as_secs_f64(),
        summary.fields(),
    );
    Ok(())
}
