//! `/healthz` and `/readyz`, for load balancers, systemd and orchestrators.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;

/// A probe answers within this even when the store hangs (a `mongodb://` store still
/// selecting a server can take 30 s): to a load balancer, slow is down.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// The process is up and serving; says nothing about the store, so that a store outage
/// does not get the daemon restarted.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The store answers, so requests can be served.
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let backend = state.store.backend();
    let detail = match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => return Ok(Json(json!({ "status": "ready", "store": backend }))),
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!("no answer to a ping within {} s", READY_TIMEOUT.as_secs()),
    };
    Err(AppError::StoreUnavailable { backend, detail })
}
