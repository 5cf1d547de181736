//! The OpenAPI 3 document of the API, built from the same route table that serves it:
//! every route is registered through `utoipa_axum::routes!`, which takes its path and
//! method from the handler's `#[utoipa::path]`, so the document cannot drift from the
//! routes.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Closer API",
        description = "The REST API of closerd: accounts, onboarding, campaigns, integrations, chats, analytics, the sandbox, the AI, live events.",
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody)),
)]
pub struct ApiDoc;

/// Every authenticated route says `security(("bearer" = []))`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The shape of every error answer.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only: errors are built by `AppError`
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable and machine-readable, e.g. `not_found`, `invalid`, `conflict`.
    code: String,
    /// For people: what went wrong and, where it helps, what to do.
    message: String,
}
