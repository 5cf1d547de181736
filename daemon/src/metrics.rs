//! `/metrics` in Prometheus text: requests by route and status, their latency, live
//! WebSocket clients, store errors, the SQLite writer's transactions and writes. One
//! process-wide recorder, as the `metrics` crate has; routers built later in the same
//! process (tests) share it.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: an API call should take milliseconds; anything past a
/// second is worth seeing on its own.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

pub const HTTP_REQUESTS: &str = "closer_http_requests_total";
pub const HTTP_LATENCY: &str = "closer_http_request_duration_seconds";
pub const WEBSOCKET_CLIENTS: &str = "closer_websocket_clients";
pub const STORE_ERRORS: &str = "closer_store_errors_total";
pub const WEBHOOK_EVENTS: &str = "closer_webhook_events_total";

/// The process's recorder, installed on first use. `None` when another recorder was
/// installed first (then `/metrics` says so instead of lying with an empty page).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_LATENCY.to_owned()), LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route and status");
            metrics::describe_histogram!(
                HTTP_LATENCY,
                metrics::Unit::Seconds,
                "HTTP request latency by route"
            );
            metrics::describe_gauge!(WEBSOCKET_CLIENTS, "Consoles connected to the live event stream");
            metrics::describe_counter!(STORE_ERRORS, "Store operations that failed, by kind");
            metrics::describe_counter!(
                closer_core::store::sqlite::TRANSACTIONS_METRIC,
                "SQLite transactions committed (or lost) by the one writer"
            );
            metrics::describe_counter!(
                closer_core::store::sqlite::WRITES_METRIC,
                "SQLite writes run by the writer; over the transactions, how many share a commit"
            );
            metrics::describe_counter!(
                WEBHOOK_EVENTS,
                "Platform webhook events by outcome (stored, duplicate, unknown_page, unreadable, bad_signature)"
            );
            Some(handle)
        })
        .as_ref()
}

/// Counts and times every request by its route pattern (never the raw path: ids
/// would make one series per chat).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_LATENCY, "route" => route).record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn render() -> Response {
    match handle() {
        Some(handle) => ([(CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response(),
        None => {
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "metrics recorder not installed\n").into_response()
        }
    }
}
