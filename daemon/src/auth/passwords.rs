//! Password hashing with argon2id, on the blocking pool: a hash takes tens of
//! milliseconds of CPU by design, which must not stall the async workers.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use closer_core::model::{PasswordHash, Problem, ValidationError};

use crate::error::AppError;

/// Shorter is guessable; the rule and NIST's both say at least this.
pub const MIN_CHARS: usize = 10;
/// Longer is not a password but a way to make us hash megabytes.
pub const MAX_CHARS: usize = 1_024;

/// Refuses passwords that are too short or absurdly long, naming the rule.
pub fn check_rules(password: &str) -> Result<(), ValidationError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(ValidationError::new(
            "password",
            Problem::NotAllowed { reason: format!("must be at least {MIN_CHARS} characters") },
        ));
    }
    if chars > MAX_CHARS {
        return Err(ValidationError::new("password", Problem::TooLong { max_chars: MAX_CHARS }));
    }
    Ok(())
}

/// An argon2id hash (PHC string) with a fresh random salt.
pub async fn hash(password: String) -> Result<PasswordHash, AppError> {
    blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(|e| AppError::Internal(format!("hashing a password failed: {e}")))
    })
    .await
}

/// Whether `password` matches `hash`. A malformed stored hash is a mismatch, logged.
pub async fn verify(password: String, hash: PasswordHash) -> Result<bool, AppError> {
    blocking(move || match Argon2::default().verify_password(password.as_bytes(), hash.0.as_str()) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(error) => {
            tracing::error!(%error, "a stored password hash cannot be read");
            Ok(false)
        }
    })
    .await
}

/// Spends the same time as a real verification, so that logging in with an unknown
/// email takes as long as with a known one and does not reveal which emails exist.
pub async fn verify_nothing(password: String) -> Result<(), AppError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = blocking(|| {
        Ok(DUMMY
            .get_or_init(|| {
                Argon2::default()
                    .hash_password(b"not a password of anyone")
                    .map(|h| h.to_string())
                    .unwrap_or_default()
            })
            .clone())
    })
    .await?;
    verify(password, PasswordHash(hash)).await.map(drop)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("password task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let a = hash("correct horse battery".into()).await.expect("hash");
        let b = hash("correct horse battery".into()).await.expect("hash");
        assert!(a.0.starts_with("$argon2id$"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify("correct horse battery".into(), a.clone()).await.expect("verify"));
        assert!(!verify("correct horse battery!".into(), a).await.expect("verify"));
        assert!(!verify("anything".into(), PasswordHash("garbage".into())).await.expect("verify"));
    }

    #[test]
    fn rules_name_the_minimum() {
        let err = check_rules("short").expect_err("too short");
        assert!(err.to_string().contains("at least 10 characters"), "{err}");
        check_rules("ten chars!").expect("exactly ten");
        check_rules("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑").expect("characters, not bytes");
        assert!(check_rules(&"x".repeat(MAX_CHARS + 1)).is_err());
    }
}
