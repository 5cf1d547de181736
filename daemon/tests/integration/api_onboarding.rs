//! `/api/v1/onboarding` on both backends: business information and when onboarding
//! completes, and knowledge-base documents with their type, size and count limits.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use closer_core::Clock as _;
use closer_core::model::Document;
use common::{Response, TestApp};
use serde_json::{Value, json};

both_backends![
    onboarding_completes_once_the_required_fields_are_set,
    bad_business_info_is_refused_and_changes_nothing,
    documents_are_uploaded_as_text_markdown_or_json,
    uploads_that_are_not_text_are_refused_with_the_accepted_types,
    uploads_over_one_mebibyte_are_refused,
    the_fifty_first_document_is_refused_until_one_is_deleted,
    documents_of_another_business_are_not_found,
    every_onboarding_route_needs_a_token,
];

const ONBOARDING: &str = "/api/v1/onboarding";
const DOCUMENTS: &str = "/api/v1/onboarding/documents";

fn now(app: &TestApp) -> Value {
    json!(app.clock.now())
}

/// Uploads raw bytes with the given `Content-Type` (none when `None`).
async fn upload_raw(
    app: &TestApp,
    token: &str,
    content_type: Option<&str>,
    query: &str,
    body: impl Into<Body>,
) -> Response {
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("{DOCUMENTS}{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    app.send(request.body(body.into()).expect("request")).await
}

fn message(response: &Response) -> &str {
    response.body["error"]["message"].as_str().unwrap_or_default()
}

async fn onboarding_completes_once_the_required_fields_are_set(app: &TestApp) {
    let token = app.register("ana@bakery.example").await.token;
    let state = app.call("GET", ONBOARDING, Some(&token), None).await;
    let body = state.expect(StatusCode::OK, None);
    assert_eq!(body["onboarding_completed"], false);
    assert_eq!(body["onboarding_completed_at"], Value::Null);
    assert_eq!(body["missing"], json!(["business_name", "owner_name", "industry", "description"]));
    assert_eq!(body["documents"], 0);
    assert_eq!(body["documents_limit"], 50);
    assert_eq!(body["business"]["business_name"], "");

    let step = json!({ "business_name": "  Ana's Bakery ", "owner_name": "Ana" });
    let response = app.call("PATCH", ONBOARDING, Some(&token), Some(step)).await;
    let body = response.expect(StatusCode::OK, None);
    assert_eq!(body["business"]["business_name"], "Ana's Bakery", "trimmed");
    assert_eq!(body["missing"], json!(["industry", "description"]));
    assert_eq!(body["onboarding_completed"], false);

    app.clock.advance(Duration::from_mins(7));
    let completed_at = now(app);
    let step =
        json!({ "industry": "food", "description": "Sourdough every morning", "phone": "+1 555 0100" });
    let response = app.call("PATCH", ONBOARDING, Some(&token), Some(step)).await;
    let body = response.expect(StatusCode::OK, None);
    assert_eq!(body["onboarding_completed"], true);
    assert_eq!(body["onboarding_completed_at"], completed_at);
    assert_eq!(body["missing"], json!([]));
    assert_eq!(body["business"]["owner_name"], "Ana", "fields not sent stay");

    // Later edits keep the completion time; clearing an optional field is fine.
    app.clock.advance(Duration::from_mins(3));
    let edit = json!({ "description": "Sourdough and rye", "phone": "" });
    let body = app.call("PATCH", ONBOARDING, Some(&token), Some(edit)).await;
    let body = body.expect(StatusCode::OK, None).clone();
    assert_eq!(body["onboarding_completed_at"], completed_at);
    assert_eq!(body["business"]["phone"], "");

    // A required field cannot be blanked any more.
    let blank = app.call("PATCH", ONBOARDING, Some(&token), Some(json!({ "industry": "  " }))).await;
    blank.expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    assert!(message(&blank).contains("industry"), "{}", blank.body);
    let after = app.call("GET", ONBOARDING, Some(&token), None).await;
    assert_eq!(after.expect(StatusCode::OK, None), &body);

    let me = app.call("GET", "/api/v1/auth/me", Some(&token), None).await;
    let me = me.expect(StatusCode::OK, None);
    assert_eq!(me["onboarding_completed"], true);
    assert_eq!(me["business"], body["business"]);
}

async fn bad_business_info_is_refused_and_changes_nothing(app: &TestApp) {
    let token = app.register("ana@bakery.example").await.token;
    let good = json!({ "business_name": "Ana's Bakery", "website": "https://bakery.example" });
    let before = app.call("PATCH", ONBOARDING, Some(&token), Some(good)).await;
    let before = before.expect(StatusCode::OK, None).clone();

    let cases = [
        (json!({ "business_nam": "typo" }), StatusCode::BAD_REQUEST, "invalid_body", "business_nam"),
        (json!({ "phone": 5_550_100 }), StatusCode::BAD_REQUEST, "invalid_body", "phone"),
        (json!({ "owner_name": ["Ana"] }), StatusCode::BAD_REQUEST, "invalid_body", "owner_name"),
        (json!(["business_name"]), StatusCode::BAD_REQUEST, "invalid_body", "expected"),
        (
            json!({ "business_name": "x".repeat(201) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "business_name must be at most 200 characters",
        ),
        (
            json!({ "description": "x".repeat(5_001) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "description",
        ),
        (json!({ "phone": "call me maybe" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid", "phone"),
    ];
    for (body, status, code, mention) in cases {
        let response = app.call("PATCH", ONBOARDING, Some(&token), Some(body.clone())).await;
        response.expect(status, Some(code));
        assert!(message(&response).contains(mention), "{body}: {}", response.body);
    }

    let raw = |content_type: &str, body: &'static str| {
        Request::builder()
            .method("PATCH")
            .uri(ONBOARDING)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request")
    };
    app.send(raw("application/json", "{\"phone\": "))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("malformed_json"));
    app.send(raw("text/plain", "phone=1"))
        .await
        .expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"));
    app.call("PUT", ONBOARDING, Some(&token), Some(json!({})))
        .await
        .expect(StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"));

    let after = app.call("GET", ONBOARDING, Some(&token), None).await;
    assert_eq!(after.expect(StatusCode::OK, None), &before);
}

async fn documents_are_uploaded_as_text_markdown_or_json(app: &TestApp) {
    let token = app.register("ana@bakery.example").await.token;
    let first_at = now(app);
    let prices = "Sourdough loaf: 6 €\nRye: 5 €\n";
    let response = upload_raw(app, &token, Some("text/plain"), "?filename=prices.txt", prices).await;
    let plain = response.expect(StatusCode::CREATED, None).clone();
    assert_eq!(plain["filename"], "prices.txt");
    assert_eq!(plain["content_type"], "text/plain");
    assert_eq!(plain["size_bytes"], prices.len(), "bytes, not characters");
    assert_eq!(plain["uploaded_at"], first_at);
    let id = plain["id"].as_str().expect("id");
    assert_eq!(response.headers[header::LOCATION], format!("{DOCUMENTS}/{id}").as_str());

    app.clock.advance(Duration::from_secs(1));
    let menu = "# Menu\n\n- bread\n";
    let response =
        upload_raw(app, &token, Some("text/markdown; charset=UTF-8"), "?filename=menu%20card.md", menu).await;
    let markdown = response.expect(StatusCode::CREATED, None).clone();
    assert_eq!(markdown["content_type"], "text/markdown");
    assert_eq!(markdown["filename"], "menu card.md");

    app.clock.advance(Duration::from_secs(1));
    let faq = json!({ "filename": "faq.MD", "content": "\u{feff}Q: Gluten free?\nA: No." });
    let response = app.call("POST", DOCUMENTS, Some(&token), Some(faq)).await;
    let from_json = response.expect(StatusCode::CREATED, None).clone();
    assert_eq!(from_json["content_type"], "text/markdown", "guessed from the name");
    let notes = json!({ "filename": "notes", "content": "Open 7-14", "content_type": "text/plain" });
    let response = app.call("POST", DOCUMENTS, Some(&token), Some(notes)).await;
    assert_eq!(response.expect(StatusCode::CREATED, None)["content_type"], "text/plain");

    let list = app.call("GET", DOCUMENTS, Some(&token), None).await;
    let list = list.expect(StatusCode::OK, None);
    assert_eq!(list["limit"], 50);
    let documents = list["documents"].as_array().expect("documents");
    let names: Vec<_> = documents.iter().map(|d| d["filename"].as_str().expect("name")).collect();
    assert_eq!(names, ["prices.txt", "menu card.md", "faq.MD", "notes"], "oldest first");
    assert_eq!(documents[0], plain);
    assert!(documents.iter().all(|d| d.get("content").is_none()), "{list}");

    let one = app.call("GET", &format!("{DOCUMENTS}/{id}"), Some(&token), None).await;
    let one = one.expect(StatusCode::OK, None);
    assert_eq!(one["content"], prices);
    assert_eq!(one["filename"], "prices.txt");
    let faq_id = from_json["id"].as_str().expect("id");
    let faq = app.call("GET", &format!("{DOCUMENTS}/{faq_id}"), Some(&token), None).await;
    assert_eq!(faq.expect(StatusCode::OK, None)["content"], "Q: Gluten free?\nA: No.", "no byte-order mark");

    let state = app.call("GET", ONBOARDING, Some(&token), None).await;
    assert_eq!(state.expect(StatusCode::OK, None)["documents"], 4);

    app.call("DELETE", &format!("{DOCUMENTS}/{id}"), Some(&token), None)
        .await
        .expect(StatusCode::NO_CONTENT, None);
    app.call("GET", &format!("{DOCUMENTS}/{id}"), Some(&token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    app.call("DELETE", &format!("{DOCUMENTS}/{id}"), Some(&token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    let list = app.call("GET", DOCUMENTS, Some(&token), None).await;
    assert_eq!(list.expect(StatusCode::OK, None)["documents"].as_array().map(Vec::len), Some(3));
}

async fn uploads_that_are_not_text_are_refused_with_the_accepted_types(app: &TestApp) {
    let token = app.register("ana@bakery.example").await.token;
    let pdf: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj";
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let refused: [(Option<&str>, &[u8]); 7] = [
        (Some("application/pdf"), pdf),
        (Some("image/png"), png),
        (Some("text/html"), b"<p>hi</p>"),
        (None, b"no type at all"),
        (Some("text/plain"), b"caf\xe9 au lait"), // Latin-1, not UTF-8
        (Some("text/plain"), png),
        (Some("text/plain; charset=iso-8859-1"), b"plain ascii"),
    ];
    for (content_type, body) in refused {
        let response = upload_raw(app, &token, content_type, "?filename=upload.txt", body.to_vec()).await;
        response.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"));
        let text = message(&response);
        assert!(text.contains("text/plain") && text.contains("text/markdown"), "{content_type:?}: {text}");
    }
    let nul = upload_raw(app, &token, Some("text/plain"), "?filename=a.txt", &b"a\0b"[..]).await;
    nul.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"));
    let as_pdf = json!({ "filename": "a.pdf", "content": "x", "content_type": "application/pdf" });
    let response = app.call("POST", DOCUMENTS, Some(&token), Some(as_pdf)).await;
    response.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"));

    let no_name = upload_raw(app, &token, Some("text/plain"), "", "hello").await;
    no_name.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
    assert!(message(&no_name).contains("filename"), "{}", no_name.body);
    let blank = upload_raw(app, &token, Some("text/plain"), "?filename=%20", "hello").await;
    blank.expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    assert!(message(&blank).contains("filename"), "{}", blank.body);
    let long = format!("?filename={}.txt", "n".repeat(260));
    upload_raw(app, &token, Some("text/plain"), &long, "hello")
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    upload_raw(app, &token, Some("text/plain"), "?filename=a%0Ab.txt", "hello")
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    upload_raw(app, &token, Some("text/plain"), "?filename=a.txt&folder=x", "hello")
        .await
        .expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
    let cases = [
        json!({ "filename": "a.txt" }),
        json!({ "filename": "a.txt", "content": 42 }),
        json!({ "filename": "a.txt", "content": "x", "size": 1 }),
    ];
    for body in cases {
        let response = app.call("POST", DOCUMENTS, Some(&token), Some(body.clone())).await;
        response.expect(StatusCode::BAD_REQUEST, Some("invalid_body"));
    }

    let list = app.call("GET", DOCUMENTS, Some(&token), None).await;
    assert_eq!(list.expect(StatusCode::OK, None)["documents"], json!([]), "nothing was stored");
}

async fn uploads_over_one_mebibyte_are_refused(app: &TestApp) {
    let token = app.register("ana@bakery.example").await.token;
    let exact = "x".repeat(Document::MAX_BYTES);
    let response = upload_raw(app, &token, Some("text/plain"), "?filename=big.txt", exact.clone()).await;
    assert_eq!(response.expect(StatusCode::CREATED, None)["size_bytes"], Document::MAX_BYTES);

    let over = "x".repeat(Document::MAX_BYTES + 1);
    let response = upload_raw(app, &token, Some("text/plain"), "?filename=big.txt", over.clone()).await;
    response.expect(StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"));
    // Multi-byte text counts in bytes: 2 bytes a character.
    let accents = "é".repeat(Document::MAX_BYTES / 2 + 1);
    let response = upload_raw(app, &token, Some("text/markdown"), "?filename=a.md", accents).await;
    response.expect(StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"));
    let as_json = json!({ "filename": "big.txt", "content": over });
    app.call("POST", DOCUMENTS, Some(&token), Some(as_json))
        .await
        .expect(StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"));
    // Past the router's own limit the answer is the same.
    let huge = "x".repeat(closer_daemon::BODY_LIMIT_BYTES + 10);
    let response = upload_raw(app, &token, Some("text/plain"), "?filename=huge.txt", huge).await;
    response.expect(StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"));

    let list = app.call("GET", DOCUMENTS, Some(&token), None).await;
    assert_eq!(list.expect(StatusCode::OK, None)["documents"].as_array().map(Vec::len), Some(1));
}

async fn the_fifty_first_document_is_refused_until_one_is_deleted(app: &TestApp) {
    let token = app.register("ana@bakery.example").await.token;
    let mut ids = Vec::new();
    for i in 0..Document::MAX_PER_BUSINESS {
        let query = format!("?filename=note-{i}.txt");
        let response = upload_raw(app, &token, Some("text/plain"), &query, format!("note {i}")).await;
        ids.push(response.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned());
    }
    let full = upload_raw(app, &token, Some("text/plain"), "?filename=one-more.txt", "one more").await;
    full.expect(StatusCode::CONFLICT, Some("conflict"));
    assert!(message(&full).contains("50") && message(&full).contains("delete"), "{}", full.body);
    let state = app.call("GET", ONBOARDING, Some(&token), None).await;
    assert_eq!(state.expect(StatusCode::OK, None)["documents"], 50);

    // The limit is per business.
    let other = app.register("bo@florist.example").await.token;
    upload_raw(app, &other, Some("text/plain"), "?filename=a.txt", "a")
        .await
        .expect(StatusCode::CREATED, None);

    app.call("DELETE", &format!("{DOCUMENTS}/{}", ids[0]), Some(&token), None)
        .await
        .expect(StatusCode::NO_CONTENT, None);
    upload_raw(app, &token, Some("text/plain"), "?filename=one-more.txt", "one more")
        .await
        .expect(StatusCode::CREATED, None);
}

async fn documents_of_another_business_are_not_found(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await.token;
    let bo = app.register("bo@florist.example").await.token;
    let response = upload_raw(app, &ana, Some("text/plain"), "?filename=secret.txt", "our recipe").await;
    let id = response.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    let path = format!("{DOCUMENTS}/{id}");

    app.call("GET", &path, Some(&bo), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    app.call("DELETE", &path, Some(&bo), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    let list = app.call("GET", DOCUMENTS, Some(&bo), None).await;
    assert_eq!(list.expect(StatusCode::OK, None)["documents"], json!([]));
    let state = app.call("GET", ONBOARDING, Some(&bo), None).await;
    assert_eq!(state.expect(StatusCode::OK, None)["documents"], 0);

    let still = app.call("GET", &path, Some(&ana), None).await;
    assert_eq!(still.expect(StatusCode::OK, None)["content"], "our recipe");

    for unknown in ["0193a4c0-0000-7000-8000-000000000000", "not-an-id"] {
        let path = format!("{DOCUMENTS}/{unknown}");
        app.call("GET", &path, Some(&ana), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
        app.call("DELETE", &path, Some(&ana), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    }
}

async fn every_onboarding_route_needs_a_token(app: &TestApp) {
    let account = app.register("ana@bakery.example").await;
    let id = "0193a4c0-0000-7000-8000-000000000000";
    let routes = [
        ("GET", ONBOARDING.to_owned()),
        ("PATCH", ONBOARDING.to_owned()),
        ("GET", DOCUMENTS.to_owned()),
        ("POST", DOCUMENTS.to_owned()),
        ("GET", format!("{DOCUMENTS}/{id}")),
        ("DELETE", format!("{DOCUMENTS}/{id}")),
    ];
    for (method, path) in &routes {
        app.call(method, path, None, Some(json!({})))
            .await
            .expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
        app.call(method, path, Some("not-a-token"), Some(json!({})))
            .await
            .expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    }
    // An expired token is refused too (access tokens live 15 minutes).
    app.clock.advance(Duration::from_mins(16));
    app.call("GET", ONBOARDING, Some(&account.token), None)
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("token_expired"));
}
