//! The OpenAPI document parses, and every operation it lists is served by the router.
//! (The converse holds by construction: routes are registered from their docs.)

use crate::common;

use axum::http::StatusCode;
use common::TestApp;

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::sqlite().await;
    let response = app.call("GET", "/api/v1/openapi.json", None, None).await;
    let document = response.expect(StatusCode::OK, None).clone();
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{document}");
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());

    let paths = document["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/api/v1/auth/login"), "{:?}", paths.keys());
    let mut operations = 0;
    for (path, item) in paths {
        let concrete = fill_parameters(path);
        for method in item.as_object().expect("path item").keys() {
            let method = method.to_uppercase();
            let answer = app.call(&method, &concrete, None, None).await;
            let message = answer.body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                answer.status != StatusCode::METHOD_NOT_ALLOWED && !message.starts_with("no route for"),
                "{method} {path} is documented but not served: {} {}",
                answer.status,
                answer.body
            );
            operations += 1;
        }
    }
    assert!(operations >= 5, "only {operations} operations documented");
}

/// `/campaigns/{id}` → `/campaigns/<a uuid>`.
fn fill_parameters(path: &str) -> String {
    path.split('/')
        .map(|part| if part.starts_with('{') { "0193a4c0-0000-7000-8000-000000000000" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}
