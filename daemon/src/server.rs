//! The HTTP application: its state, its routes and how it is served and stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Method, StatusCode, Uri};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::error::AppError;
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::{api, health, metrics};

/// The largest request body the API takes: a knowledge-base document (1 MiB) with
/// room for its JSON envelope.
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// A request that takes longer is answered 408 and its work dropped: a client waiting
/// this long has given up anyway.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application, apart from any socket so that tests can call it directly.
pub fn router(state: AppState) -> Router {
    metrics::handle();
    let (api, document) = api_and_document();
    // Serialised once: it never changes while the daemon runs.
    let document = axum::body::Bytes::from(serde_json::to_vec(&document).unwrap_or_default());
    let serve_document = move || {
        let document = document.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], document) }
    };
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .merge(api)
        .merge(crate::pipeline::webhook::routes())
        .route("/api/v1/openapi.json", get(serve_document))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .with_state(state)
}

/// The API's routes and the OpenAPI document describing exactly them.
pub fn api_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", api::routes()).split_for_parts()
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight
/// finish. The caller binds the listener, so tests can use port 0 and learn the port.
pub async fn serve<F>(listener: TcpListener, app: Router, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let listener = listener.tap_io(|tcp| {
        // Live events are small frames that must leave at once: with Nagle's algorithm
        // each waits for the ACK of the previous one (Linux delays ACKs up to 40 ms).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
    });
    // The client's address feeds the login throttle.
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM (what systemd and `docker stop` send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            // Without the handler Ctrl-C still kills the process, just not gracefully.
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// One span per request, named by the route rather than the raw path so that ids do not
/// explode the cardinality. The query string is left out: a webhook handshake carries
/// the verify token there.
fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("(unmatched)", MatchedPath::as_str);
    let id = request.headers().get("x-request-id").and_then(|id| id.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", id, method = %request.method(), route)
}

async fn not_found(uri: Uri) -> AppError {
    AppError::NoRoute(uri.path().to_owned())
}

async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::response::IntoResponse as _;
    use http_body_util::BodyExt as _;
    use serde_json::{Value, json};
    use tower::ServiceExt as _;

    use std::sync::Arc;

    use super::*;
    use crate::state::Settings;

    async fn sqlite_app() -> (Router, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("closer.db").display());
        let store = crate::open_store(&url).await.unwrap();
        (router(AppState::new(store, Arc::new(closer_core::SystemClock), Settings::default())), dir)
    }

    async fn call(app: Router, method: &str, path: &str) -> (StatusCode, Value) {
        let request = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn healthz_says_ok() {
        let (app, _dir) = sqlite_app().await;
        assert_eq!(call(app, "GET", "/healthz").await, (StatusCode::OK, json!({ "status": "ok" })));
    }

    #[tokio::test]
    async fn readyz_names_the_backend() {
        let (app, _dir) = sqlite_app().await;
        let expected = json!({ "status": "ready", "store": "sqlite" });
        assert_eq!(call(app, "GET", "/readyz").await, (StatusCode::OK, expected));
    }

    #[tokio::test]
    async fn unknown_routes_get_a_json_404() {
        let (app, _dir) = sqlite_app().await;
        let (status, body) = call(app, "GET", "/nope?token=secret").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(body["error"]["message"], "no route for /nope");
    }

    #[tokio::test]
    async fn a_wrong_method_gets_a_json_405() {
        let (app, _dir) = sqlite_app().await;
        let (status, body) = call(app, "POST", "/healthz").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }

    #[tokio::test]
    async fn an_unreachable_store_is_a_503_without_the_details() {
        let error =
            AppError::StoreUnavailable { backend: "mongodb", detail: "10.0.0.7:27017 refused".into() };
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["code"], "store_unavailable");
        assert!(!body.to_string().contains("10.0.0.7"), "{body}");
    }

    #[tokio::test]
    async fn serve_stops_when_the_shutdown_future_ends() {
        let (app, _dir) = sqlite_app().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, async {
            let _ = stopped.await;
        }));
        stop.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    }
}
