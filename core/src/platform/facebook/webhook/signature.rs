//! The webhook's signature: Meta signs each POST with our app secret, so that nobody
//! else can make us answer "customers" (and spend the owner's AI budget and reputation).
//!
//! The MAC is over the body's bytes exactly as received. Meta escapes non-ASCII
//! characters (`\u00e9`), so re-serialized JSON differs from what was signed: verify
//! before parsing, on the raw bytes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header that carries the signature (HTTP header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";

/// Why a webhook's signature was not accepted. Each says what to look at: a missing
/// header is usually a request that did not come from Meta; a mismatch, a wrong app
/// secret in our configuration or a body changed on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// With an empty key anyone could sign: refuse everything instead.
    #[error("no app secret is configured, so no webhook can be verified")]
    NoSecret,
    #[error("the request has no X-Hub-Signature-256 header")]
    Missing,
    #[error("the X-Hub-Signature-256 header does not start with \"sha256=\"")]
    WrongPrefix,
    #[error("the X-Hub-Signature-256 header is not 64 hexadecimal digits after \"sha256=\"")]
    NotHex,
    #[error(
        "the X-Hub-Signature-256 header does not match the body: signed with another app secret, \
         or the body was changed"
    )]
    Mismatch,
}

/// Checks `header` (the value of [`SIGNATURE_HEADER`], if the request had one) against
/// `body` in constant time.
pub fn verify_signature(app_secret: &str, body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.map(str::trim).filter(|header| !header.is_empty()).ok_or(SignatureError::Missing)?;
    let digits = match header.split_at_checked(PREFIX.len()) {
        Some((prefix, digits)) if prefix.eq_ignore_ascii_case(PREFIX) => digits,
        _ => return Err(SignatureError::WrongPrefix),
    };
    let tag = hex::decode(digits).map_err(|_| SignatureError::NotHex)?;
    if tag.len() != 32 {
        return Err(SignatureError::NotHex);
    }
    mac(app_secret, body).verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
}

/// The [`SIGNATURE_HEADER`] value Meta would send with `body`: `sha256=<lowercase hex>`.
/// For tests and the load tool, which play Meta.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    format!("{PREFIX}{}", hex::encode(mac(app_secret, body).finalize().into_bytes()))
}

fn mac(app_secret: &str, body: &[u8]) -> Hmac<Sha256> {
    let mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.chain_update(body)
}
