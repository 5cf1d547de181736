//! The REST API side: `setup` (an account, its campaigns, optionally a connected page
//! and a live default campaign) and `run` (one path under closed-loop load).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::stats::Summary;

/// What `setup` makes besides the account.
#[derive(Debug)]
pub struct Setup {
    pub email: Option<String>,
    pub campaigns: usize,
    /// Connect this Facebook page (the Graph API closerd points at must know it).
    pub page: Option<String>,
    pub page_token: String,
    /// The first campaign active and the Facebook default, so customers are answered.
    pub live: bool,
}

pub async fn setup(base: &str, setup: Setup) -> Result<(), String> {
    let http = reqwest::Client::new();
    let email = setup.email.unwrap_or_else(|| format!("load-{}@closer.example", std::process::id()));
    let welcome =
        call(&http, "POST", &format!("{base}/api/v1/auth/register"), None, Some(credentials(&email))).await?;
    let token = welcome["access_token"].as_str().ok_or("no access token")?.to_owned();
    let api = |path: &str| format!("{base}/api/v1{path}");
    if setup.live || setup.page.is_some() {
        let business = json!({ "business_name": "Load Test Bakery", "owner_name": "Ana", "industry": "food",
                               "description": "Sourdough and panettone, baked every morning." });
        call(&http, "PATCH", &api("/onboarding"), Some(&token), Some(business)).await?;
    }
    let mut first = None;
    for i in 0..setup.campaigns {
        let campaign = json!({
            "name": format!("Campaign {i}"),
            "product": { "name": format!("Product {i}"), "price": { "amount_minor": 1_999, "currency": "USD" },
                         "features": ["Shockproof", "Slim"] },
            "flow": { "greeting": "Hi! Looking for a case?",
                      "qualification_questions": [{ "question": "Which phone is it for?", "options": ["iPhone", "Pixel"] }],
                      "closing_message": "Great! Here is how to order." },
        });
        let created = call(&http, "POST", &api("/campaigns"), Some(&token), Some(campaign)).await?;
        first.get_or_insert(created["id"].as_str().ok_or("no campaign id")?.to_owned());
    }
    if setup.live {
        let id = first.ok_or("--live needs at least one campaign")?;
        call(&http, "POST", &api(&format!("/campaigns/{id}/activate")), Some(&token), None).await?;
        call(&http, "POST", &api(&format!("/campaigns/{id}/default")), Some(&token), None).await?;
    }
    if let Some(page) = setup.page {
        let connect = json!({ "page_id": page, "page_access_token": setup.page_token });
        call(&http, "POST", &api("/integrations/facebook"), Some(&token), Some(connect)).await?;
    }
    println!("{token}");
    Ok(())
}

fn credentials(email: &str) -> Value {
    json!({ "email": email, "password": "load test password" })
}

/// One API call; the JSON answer, or what went wrong with the body closerd sent.
async fn call(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Value, String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = http.request(method.clone(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|e| format!("{method} {url}: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{method} {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{method} {url}: HTTP {status}: {text}"));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn run(
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
    let summary = Summary::of(latencies);
    println!(
        "{path} {} {:.0} {:.2} {:.2} {errors}",
        summary.count,
        summary.count as f64 / duration.as_secs_f64(),
        super::stats::ms(summary.p50),
        super::stats::ms(summary.p99),
    );
    Ok(())
}
