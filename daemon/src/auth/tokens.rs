//! Bearer tokens: random, shown to the client once, stored only as SHA-256 hashes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use closer_core::model::{TokenHash, TokenKind};
use sha2::{Digest as _, Sha256};

use crate::error::AppError;

/// A recognisable prefix lets secret scanners (and people) tell what a leaked string is.
const ACCESS_PREFIX: &str = "clo_at_";
const REFRESH_PREFIX: &str = "clo_rt_";

/// A new token of `kind`: 256 random bits.
pub fn generate(kind: TokenKind) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness for a token: {e}")))?;
    let prefix = match kind {
        TokenKind::Access => ACCESS_PREFIX,
        TokenKind::Refresh => REFRESH_PREFIX,
    };
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What the store keeps and looks tokens up by. The tokens carry 256 bits of entropy,
/// so a fast hash is enough: there is nothing to brute-force.
pub fn hash(token: &str) -> TokenHash {
    TokenHash(hex::encode(Sha256::digest(token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hashed() {
        let a = generate(TokenKind::Access).expect("token");
        let b = generate(TokenKind::Access).expect("token");
        assert_ne!(a, b);
        assert!(a.starts_with("clo_at_") && a.len() > 40);
        assert!(generate(TokenKind::Refresh).expect("token").starts_with("clo_rt_"));
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a).0.len(), 64);
        assert!(!hash(&a).0.contains(&a));
    }
}
