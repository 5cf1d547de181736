//! The Facebook Graph API client (being written).

/// Talks to the Graph API at a configurable base URL, so tests point it at a fake.
#[derive(Debug, Clone)]
pub struct GraphClient {
    pub base: String,
    pub version: String,
}

impl GraphClient {
    pub fn new(base: impl Into<String>, version: impl Into<String>) -> Self {
        Self { base: base.into(), version: version.into() }
    }
}
