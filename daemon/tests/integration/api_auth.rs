//! `/api/v1/auth` on both backends: accounts, tokens, throttling, and bad input.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{PASSWORD, TestApp};
use serde_json::json;

both_backends![
    registering_returns_the_account_and_tokens_but_never_the_hash,
    bad_registrations_are_refused_clearly_and_store_nothing,
    malformed_bodies_get_json_errors,
    login_accepts_the_password_and_refuses_anything_else,
    five_failed_logins_are_throttled_with_retry_after,
    access_tokens_expire_and_refresh_rotates,
    logout_revokes_the_session,
    requests_without_a_valid_token_are_refused,
];

async fn registering_returns_the_account_and_tokens_but_never_the_hash(app: &TestApp) {
    let response = app
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({ "email": " Ana@Bakery.Example ", "password": PASSWORD })),
        )
        .await;
    let body = response.expect(StatusCode::CREATED, None);
    assert_eq!(body["account"]["email"], "ana@bakery.example");
    assert_eq!(body["account"]["onboarding_completed"], false);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 15 * 60);
    let text = body.to_string();
    assert!(!text.contains("argon2") && !text.contains("password"), "{text}");

    let token = body["access_token"].as_str().expect("token");
    let me = app.call("GET", "/api/v1/auth/me", Some(token), None).await;
    let me = me.expect(StatusCode::OK, None);
    assert_eq!(me["email"], "ana@bakery.example");
    assert_eq!(me["id"], body["account"]["id"]);
    assert!(!me.to_string().contains("argon2") && !me.to_string().contains(token));
}

async fn bad_registrations_are_refused_clearly_and_store_nothing(app: &TestApp) {
    app.register("taken@shop.example").await;
    let cases = [
        (
            json!({ "email": "ana@shop.example", "password": "short" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "at least 10 characters",
        ),
        (
            json!({ "email": "not-an-email", "password": PASSWORD }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "email",
        ),
        (
            json!({ "email": "TAKEN@shop.example", "password": PASSWORD }),
            StatusCode::CONFLICT,
            "conflict",
            "email",
        ),
        (json!({ "email": "ana@shop.example" }), StatusCode::BAD_REQUEST, "invalid_body", "password"),
        (json!({ "email": 42, "password": PASSWORD }), StatusCode::BAD_REQUEST, "invalid_body", "email"),
        (
            json!({ "email": "ana@shop.example", "password": PASSWORD, "admin": true }),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "admin",
        ),
    ];
    for (body, status, code, mention) in cases {
        let response = app.call("POST", "/api/v1/auth/register", None, Some(body.clone())).await;
        response.expect(status, Some(code));
        let message = response.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(mention), "{body}: {message}");
    }
    let login = app.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({ "email": "ana@shop.example", "password": PASSWORD })),
    );
    login.await.expect(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
}

async fn malformed_bodies_get_json_errors(app: &TestApp) {
    let raw = |content_type: &str, body: Body| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/auth/register")
            .header("content-type", content_type)
            .body(body)
            .expect("request")
    };
    app.send(raw("application/json", Body::from("{\"email\": ")))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("malformed_json"));
    app.send(raw("text/plain", Body::from("email=a")))
        .await
        .expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"));
    let huge =
        format!("{{\"email\":\"{}\",\"password\":\"x\"}}", "a".repeat(closer_daemon::BODY_LIMIT_BYTES));
    app.send(raw("application/json", Body::from(huge)))
        .await
        .expect(StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"));
    app.call("GET", "/api/v1/nowhere", None, None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    app.call("GET", "/api/v1/auth/register", None, None)
        .await
        .expect(StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"));
}

async fn login_accepts_the_password_and_refuses_anything_else(app: &TestApp) {
    let account = app.register("ana@shop.example").await;
    let ok = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "ANA@shop.example", "password": PASSWORD })),
        )
        .await;
    let body = ok.expect(StatusCode::OK, None);
    assert_eq!(body["account"]["id"], account.id.as_str());
    assert_ne!(body["access_token"], account.token.as_str(), "a new session");

    for (email, password) in
        [("ana@shop.example", "wrong password!"), ("nobody@shop.example", PASSWORD), ("garbage", PASSWORD)]
    {
        let refused = app
            .call("POST", "/api/v1/auth/login", None, Some(json!({ "email": email, "password": password })))
            .await;
        refused.expect(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
        assert_eq!(
            refused.body["error"]["message"], "wrong email or password",
            "the same words whichever was wrong"
        );
    }
}

async fn five_failed_logins_are_throttled_with_retry_after(app: &TestApp) {
    app.register("ana@shop.example").await;
    let attempt = |password: &'static str| {
        app.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "ana@shop.example", "password": password })),
        )
    };
    for _ in 0..5 {
        attempt("wrong password!").await.expect(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
    }
    // Even the right password waits now.
    let throttled = attempt(PASSWORD).await;
    throttled.expect(StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests"));
    let retry_after: u64 =
        throttled.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert_eq!(retry_after, 15 * 60);

    app.clock.advance(Duration::from_mins(15));
    attempt(PASSWORD).await.expect(StatusCode::OK, None);
}

async fn access_tokens_expire_and_refresh_rotates(app: &TestApp) {
    let account = app.register("ana@shop.example").await;
    app.clock.advance(Duration::from_mins(15));
    let expired = app.call("GET", "/api/v1/auth/me", Some(&account.token), None).await;
    expired.expect(StatusCode::UNAUTHORIZED, Some("token_expired"));

    let refreshed = app
        .call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": account.refresh_token })))
        .await;
    let tokens = refreshed.expect(StatusCode::OK, None).clone();
    let access = tokens["access_token"].as_str().expect("access");
    app.call("GET", "/api/v1/auth/me", Some(access), None).await.expect(StatusCode::OK, None);

    // The old refresh token worked once.
    let replay = app
        .call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": account.refresh_token })))
        .await;
    replay.expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    let next = tokens["refresh_token"].as_str().expect("refresh");
    app.clock.advance(Duration::from_hours(24 * 30));
    let stale = app.call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": next }))).await;
    stale.expect(StatusCode::UNAUTHORIZED, Some("token_expired"));
    let junk =
        app.call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": "clo_rt_nope" }))).await;
    junk.expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
}

async fn logout_revokes_the_session(app: &TestApp) {
    let account = app.register("ana@shop.example").await;
    let other = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "ana@shop.example", "password": PASSWORD })),
        )
        .await;
    let other_token = other.body["access_token"].as_str().expect("token").to_owned();

    app.call("POST", "/api/v1/auth/logout", Some(&account.token), None)
        .await
        .expect(StatusCode::NO_CONTENT, None);
    app.call("GET", "/api/v1/auth/me", Some(&account.token), None)
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    let refresh = app
        .call("POST", "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": account.refresh_token })))
        .await;
    refresh.expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    app.call("GET", "/api/v1/auth/me", Some(&other_token), None).await.expect(StatusCode::OK, None);
}

async fn requests_without_a_valid_token_are_refused(app: &TestApp) {
    app.call("GET", "/api/v1/auth/me", None, None)
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
    app.call("GET", "/api/v1/auth/me", Some("clo_at_forged"), None)
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    let basic =
        Request::builder().uri("/api/v1/auth/me").header("authorization", "Basic YTpi").body(Body::empty());
    app.send(basic.expect("request")).await.expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
}
