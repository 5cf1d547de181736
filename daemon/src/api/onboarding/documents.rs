//! `/api/v1/onboarding/documents`: the knowledge-base documents the AI learns the
//! business from. Plain text or Markdown only, at most 1 MiB each and 50 per business.
//!
//! An upload comes one of two ways: the raw text as the body, with
//! `Content-Type: text/plain` or `text/markdown` and the name in `?filename=` (what
//! `curl --data-binary @menu.md` sends), or a JSON body `{filename, content}` (what a
//! program that already holds the text sends).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use closer_core::model::{Document, DocumentId, DocumentMeta, Problem, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::openapi::ErrorBody;
use crate::state::AppState;

const PLAIN: &str = "text/plain";
const MARKDOWN: &str = "text/markdown";

/// Every refusal of a type says what would have been taken.
fn unsupported(what: &str) -> AppError {
    AppError::UnsupportedMediaType {
        message: format!(
            "{what}: documents must be plain text or Markdown, sent as the body with Content-Type \
             {PLAIN} or {MARKDOWN} (name it with ?filename=), or as application/json \
             {{\"filename\", \"content\"}}"
        ),
    }
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge { limit_bytes: Document::MAX_BYTES }
}

/// How the body of an upload is to be read.
enum Upload {
    Text(&'static str),
    Json,
}

/// Reads `Content-Type`: its media type decides, and a charset, when given, must be
/// UTF-8 (or ASCII, a subset), because documents are stored as UTF-8 text.
fn upload_kind(headers: &HeaderMap) -> Result<Upload, AppError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .ok_or_else(|| unsupported("no Content-Type was given"))?
        .to_str()
        .map_err(|_| unsupported("the Content-Type is unreadable"))?;
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    for parameter in parts {
        let Some((name, charset)) = parameter.split_once('=') else { continue };
        let charset = charset.trim().trim_matches('"').to_ascii_lowercase();
        if name.trim().eq_ignore_ascii_case("charset")
            && !matches!(charset.as_str(), "utf-8" | "utf8" | "us-ascii")
        {
            return Err(unsupported(&format!("charset {charset} is not accepted, only UTF-8")));
        }
    }
    match essence.as_str() {
        "application/json" => Ok(Upload::Json),
        other => text_type(other).map(Upload::Text),
    }
}

/// The canonical name of a text type we take (`text/x-markdown` is an older spelling).
fn text_type(media_type: &str) -> Result<&'static str, AppError> {
    match media_type.trim().to_ascii_lowercase().as_str() {
        PLAIN => Ok(PLAIN),
        MARKDOWN | "text/x-markdown" => Ok(MARKDOWN),
        other => Err(unsupported(&format!("{other} is not accepted"))),
    }
}

/// For JSON uploads that do not say: Markdown by its usual extensions, else plain text.
fn type_from_filename(filename: &str) -> &'static str {
    let extension = std::path::Path::new(filename).extension();
    if extension.is_some_and(|ext| ext.eq_ignore_ascii_case("md") || ext.eq_ignore_ascii_case("markdown")) {
        MARKDOWN
    } else {
        PLAIN
    }
}

/// Text, or a 413 when too long, or a 415: bytes that are not UTF-8, or that hold NUL
/// characters (no text file does), are some binary format sent under a text type.
fn text_of(bytes: Bytes) -> Result<String, AppError> {
    if bytes.len() > Document::MAX_BYTES {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes.into()).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        unsupported(&format!("the body is not UTF-8 text (byte {at} is not)"))
    })?;
    check_text(text)
}

/// What both kinds of upload check: the size in bytes, and that it is really text.
fn check_text(mut text: String) -> Result<String, AppError> {
    if text.len() > Document::MAX_BYTES {
        return Err(too_large());
    }
    if text.contains('\0') {
        return Err(unsupported("the content holds NUL characters, so it is not text"));
    }
    // A byte-order mark is an editor's habit, not part of the text.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct UploadQuery {
    /// The document's name, for uploads of raw text (JSON uploads carry it in the body).
    filename: Option<String>,
}

/// A document sent as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewDocument {
    filename: String,
    content: String,
    /// `text/plain` or `text/markdown`; by default Markdown for `.md` and `.markdown`
    /// names, plain text otherwise.
    content_type: Option<String>,
}

/// A document with its content.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DocumentView {
    #[serde(flatten)]
    meta: DocumentMeta,
    content: String,
}

/// The knowledge base's documents, oldest first, without their content.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DocumentList {
    documents: Vec<DocumentMeta>,
    /// The most documents a business may keep.
    limit: usize,
}

/// Adds a document: the raw text with `Content-Type: text/plain` or `text/markdown`
/// and `?filename=`, or JSON `{filename, content, content_type?}`.
#[utoipa::path(post, path = "/documents", tag = "onboarding", operation_id = "upload_document",
    security(("bearer" = [])),
    params(UploadQuery),
    request_body(description = "the document's text, or JSON with its name and text", content(
        (String = "text/plain"),
        (String = "text/markdown"),
        (NewDocument = "application/json"),
    )),
    responses(
        (status = 201, body = DocumentMeta, headers(("Location" = String, description = "the new document"))),
        (status = 400, description = "no filename, or a malformed body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 409, description = "the knowledge base is full (50 documents)", body = ErrorBody),
        (status = 413, description = "over 1 MiB", body = ErrorBody),
        (status = 415, description = "not plain text or Markdown, or not UTF-8", body = ErrorBody),
        (status = 422, description = "the filename is empty, too long or has control characters",
            body = ErrorBody),
    ),
)]
pub(super) async fn upload(
    State(state): State<AppState>,
    who: Authenticated,
    AppQuery(query): AppQuery<UploadQuery>,
    request: Request,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<DocumentMeta>), AppError> {
    let (filename, content_type, content) = match upload_kind(request.headers())? {
        Upload::Text(content_type) => {
            let filename = query.filename.ok_or_else(|| {
                AppError::bad_request(
                    "invalid_query",
                    "name the document: POST /api/v1/onboarding/documents?filename=menu.md",
                )
            })?;
            let bytes = Bytes::from_request(request, &state).await.map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    AppError::bad_request("bad_body", rejection.body_text())
                }
            })?;
            (filename, content_type, text_of(bytes)?)
        }
        Upload::Json => {
            let AppJson(new) = AppJson::<NewDocument>::from_request(request, &state).await?;
            let content_type = match &new.content_type {
                Some(given) => text_type(given)?,
                None => type_from_filename(&new.filename),
            };
            (new.filename, content_type, check_text(new.content)?)
        }
    };
    let document = Document {
        id: DocumentId::new(),
        user_id: who.user_id,
        filename: checked_filename(&filename)?,
        content_type: content_type.to_owned(),
        content,
        uploaded_at: state.clock.now(),
    };
    document.validate()?;
    state.store.add_document(&document).await?;
    let bytes = document.content.len();
    tracing::info!(user = %who.user_id, document = %document.id, bytes, "document added");
    state.knowledge.schedule(&state, who.user_id);
    let location = format!("/api/v1/onboarding/documents/{}", document.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(document.meta())))
}

/// The name as given, trimmed. It is only ever a label (never a path on disk), but it
/// is shown in terminals, where control characters would do harm.
fn checked_filename(filename: &str) -> Result<String, ValidationError> {
    let filename = filename.trim();
    if filename.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "filename",
            Problem::Malformed { expected: "a name without control characters" },
        ));
    }
    Ok(filename.to_owned())
}

/// The knowledge base's documents, without their content.
#[utoipa::path(get, path = "/documents", tag = "onboarding", operation_id = "list_documents",
    security(("bearer" = [])),
    responses(
        (status = 200, body = DocumentList),
        (status = 401, body = ErrorBody),
    ),
)]
pub(super) async fn list(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<DocumentList>, AppError> {
    let documents = state.store.list_documents(who.user_id).await?;
    Ok(Json(DocumentList { documents, limit: Document::MAX_PER_BUSINESS }))
}

/// One document with its content.
#[utoipa::path(get, path = "/documents/{id}", tag = "onboarding", operation_id = "get_document",
    security(("bearer" = [])),
    params(("id" = DocumentId, Path, description = "the document's id")),
    responses(
        (status = 200, body = DocumentView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
pub(super) async fn show(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<DocumentId>,
) -> Result<Json<DocumentView>, AppError> {
    let document = state.store.get_document(who.user_id, id).await?;
    Ok(Json(DocumentView { meta: document.meta(), content: document.content }))
}

/// Removes a document from the knowledge base.
#[utoipa::path(delete, path = "/documents/{id}", tag = "onboarding", operation_id = "delete_document",
    security(("bearer" = [])),
    params(("id" = DocumentId, Path, description = "the document's id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
pub(super) async fn delete(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<DocumentId>,
) -> Result<StatusCode, AppError> {
    state.store.delete_document(who.user_id, id).await?;
    tracing::info!(user = %who.user_id, document = %id, "document deleted");
    state.knowledge.schedule(&state, who.user_id);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().expect("header"));
        headers
    }

    #[test]
    fn text_types_and_charsets() {
        for (given, expected) in [
            ("text/plain", PLAIN),
            ("Text/Plain; charset=UTF-8", PLAIN),
            ("text/markdown; charset=\"utf-8\"", MARKDOWN),
            ("text/x-markdown", MARKDOWN),
            ("text/plain; charset=us-ascii", PLAIN),
        ] {
            assert!(matches!(upload_kind(&headers(given)), Ok(Upload::Text(t)) if t == expected), "{given}");
        }
        assert!(matches!(upload_kind(&headers("application/json; charset=utf-8")), Ok(Upload::Json)));
        for refused in ["application/pdf", "image/png", "text/html", "text/plain; charset=latin1"] {
            let Err(error) = upload_kind(&headers(refused)) else { panic!("{refused} accepted") };
            assert_eq!(error.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert!(error.to_string().contains("text/markdown"), "{error}");
        }
        assert!(upload_kind(&HeaderMap::new()).is_err());
    }

    #[test]
    fn markdown_is_recognised_by_name() {
        assert_eq!(type_from_filename("Menu.MD"), MARKDOWN);
        assert_eq!(type_from_filename("notes.markdown"), MARKDOWN);
        assert_eq!(type_from_filename("prices.txt"), PLAIN);
        assert_eq!(type_from_filename("README"), PLAIN);
    }

    #[test]
    fn binary_and_oversized_bodies_are_refused_and_a_bom_dropped() {
        let status = |result: Result<String, AppError>| result.expect_err("refused").status();
        assert_eq!(
            status(text_of(Bytes::from_static(b"\x89PNG\r\n\x1a\n\xff"))),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(status(text_of(Bytes::from_static(b"a\0b"))), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let big = Bytes::from(vec![b'x'; Document::MAX_BYTES + 1]);
        assert_eq!(status(text_of(big)), StatusCode::PAYLOAD_TOO_LARGE);
        let exact = Bytes::from(vec![b'x'; Document::MAX_BYTES]);
        assert_eq!(text_of(exact).expect("1 MiB is allowed").len(), Document::MAX_BYTES);
        assert_eq!(text_of(Bytes::from("\u{feff}# Menu")).expect("text"), "# Menu");
    }

    #[test]
    fn filenames_are_trimmed_and_control_characters_refused() {
        assert_eq!(checked_filename("  menu.md ").expect("fine"), "menu.md");
        assert_eq!(checked_filename("a\nb.md").expect_err("newline").field, "filename");
    }
}
