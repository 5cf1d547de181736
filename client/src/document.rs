//! A knowledge-base document from the owner's disk, read whole before anything is
//! sent, so that a typo in a path adds nothing. closerd takes plain text and Markdown.

use std::path::Path;

use serde_json::Value;

use crate::api::{Api, Body};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The file's name, which closerd keeps and lists.
    pub filename: String,
    /// `text/markdown` for `.md` and `.markdown` names, `text/plain` otherwise.
    pub content_type: &'static str,
    pub text: String,
}

impl Document {
    /// Reads `path`; what cannot be read is a usage error naming the path.
    pub fn read(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            Error::Usage(match error.kind() {
                std::io::ErrorKind::NotFound => format!("{name}: no such file"),
                std::io::ErrorKind::InvalidData => format!("{name}: not UTF-8 text (only text and Markdown)"),
                _ => format!("{name}: {error}"),
            })
        })?;
        let filename = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Usage(format!("{name}: not a file name")))?
            .to_owned();
        let markdown = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
        let content_type = if markdown { "text/markdown" } else { "text/plain" };
        Ok(Self { filename, content_type, text })
    }

    /// Adds it to the business's knowledge base; closerd answers with its metadata.
    pub async fn upload(self, api: &mut Api) -> Result<Value> {
        let body = Body::Text { content_type: self.content_type, text: self.text };
        api.call(reqwest::Method::POST, "/onboarding/documents", &[("filename", self.filename)], body).await
    }
}
