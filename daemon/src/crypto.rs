//! Page tokens encrypted at rest (being written).

/// Seals and opens page tokens with the installation's secret key.
#[derive(Debug)]
pub struct TokenSealer {
    #[allow(dead_code)]
    key: [u8; 32],
}

impl TokenSealer {
    /// A sealer with a random key that lives as long as the process: for tests.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).unwrap_or_default();
        Self { key }
    }
}
