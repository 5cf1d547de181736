//! Operations endpoints: health, readiness and Prometheus metrics.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::sqlite().await;
    app.call("GET", "/healthz", None, None).await.expect(StatusCode::OK, None);
    app.call("GET", "/api/v1/auth/me", None, None)
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));

    let response = app.call("GET", "/metrics", None, None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.headers["content-type"].to_str().expect("ascii").starts_with("text/plain"));
    let text = response.body.as_str().expect("text");
    assert!(
        text.lines().any(|l| l.starts_with("closer_http_requests_total{")
            && l.contains(r#"route="/healthz""#)
            && l.contains(r#"status="200""#)),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains(r#"route="/api/v1/auth/me""#) && l.contains(r#"status="401""#)),
        "{text}"
    );
    assert!(text.contains("closer_http_request_duration_seconds_bucket"), "{text}");
    assert!(!text.contains("{id}") || text.contains("route="), "routes are patterns");
}

#[tokio::test]
async fn requests_carry_a_request_id() {
    let app = TestApp::sqlite().await;
    let response = app.call("GET", "/healthz", None, None).await;
    let id = response.headers.get("x-request-id").expect("x-request-id");
    assert_eq!(id.to_str().expect("ascii").len(), 36, "a UUID");
}
