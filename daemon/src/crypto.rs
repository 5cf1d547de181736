//! Page tokens encrypted at rest (AES-256-GCM under the installation's secret key), and
//! the process's TLS crypto provider.
//!
//! A sealed token is `v1:` + base64(nonce ‖ ciphertext ‖ tag). The prefix names the
//! key and algorithm, so either can change later while old tokens still open.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use closer_core::config::ConfigError;
use closer_core::model::SealedToken;

use crate::error::DaemonError;

const KEY_LEN: usize = 32;
/// 96 bits, random per seal: with at most millions of seals under one key, a repeat is
/// out of reach (the bound for random GCM nonces is about 2³² messages).
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const V1: &str = "v1:";
/// Authenticated with every v1 token: a ciphertext made for anything else under the
/// same key does not open as a page token.
const V1_CONTEXT: &[u8] = b"closer page token v1";

/// Makes ring the process's TLS crypto provider; call it first thing in every binary.
///
/// reqwest (the Graph client) is built without a provider of its own and panics
/// without one; mongodb already brings ring, and two providers would leave rustls
/// unable to choose. Idempotent: a provider already installed is kept.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing one is fine: one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Seals and opens page tokens with the installation's secret key.
pub struct TokenSealer {
    cipher: Aes256Gcm,
}

// By hand: the derived one would print the key schedule.
impl fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSealer(********)")
    }
}

/// Why the secret key file cannot be used. Messages name the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the secret key file {}: {error}", path.display())]
    Read { path: PathBuf, error: std::io::Error },

    #[error("cannot create the secret key file {}: {error}", path.display())]
    Create { path: PathBuf, error: std::io::Error },

    /// Deleting it makes a new key, and every page token sealed with the old one is lost
    /// (their pages must be connected again): the message says so rather than suggest it.
    #[error(
        "the secret key file {} does not hold a key: {reason}; it must hold 32 random bytes in \
         base64. Restore it from a backup, or delete it to have a new one made (pages connected \
         with the old key must then be connected again)",
        path.display()
    )]
    Malformed { path: PathBuf, reason: String },

    /// Anyone who can read the key can read every page token; anyone who can write it
    /// can choose the key.
    #[error("the secret key file {} is {what} (mode {mode:03o}): run `chmod 600 {}`", path.display(), path.display())]
    TooOpen { path: PathBuf, mode: u32, what: &'static str },

    #[error("no randomness for a new secret key: {0}")]
    Random(String),
}

/// Why a token could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the token was sealed in a format this closerd does not know")]
    UnknownFormat,

    #[error("the sealed token is damaged")]
    Malformed,

    /// The key file was replaced, or the stored value was altered.
    #[error("the sealed token does not open with this installation's secret key")]
    WrongKeyOrTampered,

    #[error("no randomness for a nonce: {0}")]
    Random(String),

    #[error("the token cannot be encrypted")]
    Encrypt,
}

impl TokenSealer {
    pub fn from_key(key: [u8; KEY_LEN]) -> Self {
        Self { cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)) }
    }

    /// A sealer with a random key that lives as long as the process: for tests.
    pub fn ephemeral() -> Self {
        // A process without randomness can do nothing safely (sessions need it too),
        // and a fixed fallback key would be worse than stopping.
        Self::from_key(random_key().expect("the operating system's random source works"))
    }

    /// The key in `path`, or a new one written there (mode 0600, parent directories
    /// created 0700) when there is no file yet.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyFileError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                check_permissions(path)?;
                Ok(Self::from_key(parse_key(path, &bytes)?))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => create(path),
            Err(error) => Err(KeyFileError::Read { path: path.to_owned(), error }),
        }
    }

    pub fn seal(&self, token: &str) -> Result<SealedToken, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SealError::Random(e.to_string()))?;
        let payload = Payload { msg: token.as_bytes(), aad: V1_CONTEXT };
        let ciphertext = self.cipher.encrypt(&Nonce::from(nonce), payload).map_err(|_| SealError::Encrypt)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(SealedToken(format!("{V1}{}", BASE64.encode(sealed))))
    }

    pub fn open(&self, sealed: &SealedToken) -> Result<String, SealError> {
        let encoded = sealed.0.strip_prefix(V1).ok_or(SealError::UnknownFormat)?;
        let bytes = BASE64.decode(encoded).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let payload = Payload { msg: ciphertext, aad: V1_CONTEXT };
        let plain =
            self.cipher.decrypt(&Nonce::from(nonce), payload).map_err(|_| SealError::WrongKeyOrTampered)?;
        // Authentic bytes are what `seal` encrypted, which was UTF-8.
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }
}

/// A bad key file stops the daemon like a bad setting: exit status 2, message naming
/// `security.secret_key_file`.
impl From<KeyFileError> for DaemonError {
    fn from(error: KeyFileError) -> Self {
        Self::Config(ConfigError::Invalid {
            key: "security.secret_key_file".to_owned(),
            message: error.to_string(),
            origin: None,
        })
    }
}

fn random_key() -> Result<[u8; KEY_LEN], KeyFileError> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(key)
}

fn parse_key(path: &Path, bytes: &[u8]) -> Result<[u8; KEY_LEN], KeyFileError> {
    let malformed = |reason: String| KeyFileError::Malformed { path: path.to_owned(), reason };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("it is not text".to_owned()))?.trim();
    if text.is_empty() {
        return Err(malformed("it is empty".to_owned()));
    }
    let key = BASE64.decode(text).map_err(|e| malformed(format!("it is not base64 ({e})")))?;
    let length = key.len();
    key.try_into().map_err(|_| malformed(format!("it holds {length} bytes, not {KEY_LEN}")))
}

/// Writes a new key beside `path` and links it into place, so that the file appears
/// whole or not at all, and a second daemon starting at the same moment uses the
/// first one's key instead of overwriting it.
fn create(path: &Path) -> Result<TokenSealer, KeyFileError> {
    let failed = |error| KeyFileError::Create { path: path.to_owned(), error };
    let key = random_key()?;
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        private_dir_builder().create(parent).map_err(failed)?;
    }
    let name = path.file_name().map_or_else(|| "secret.key".into(), |name| name.to_string_lossy());
    let staging = path.with_file_name(format!(".{name}.{}.new", std::process::id()));
    let written = write_private(&staging, format!("{}\n", BASE64.encode(key)).as_bytes());
    let linked = written.and_then(|()| std::fs::hard_link(&staging, path));
    // The staging name goes whatever happened; the key lives on under `path` if linked.
    let _ = std::fs::remove_file(&staging);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a new secret key for page tokens");
            Ok(TokenSealer::from_key(key))
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            tracing::info!(path = %path.display(), "another process created the secret key first: using it");
            TokenSealer::load_or_create(path)
        }
        Err(error) => Err(failed(error)),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Creates directories only their owner can enter: the data directory holds the
/// database (password hashes, sealed tokens, customers' messages) and the key.
pub(crate) fn private_dir_builder() -> std::fs::DirBuilder {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt as _;

    let metadata =
        std::fs::metadata(path).map_err(|error| KeyFileError::Read { path: path.to_owned(), error })?;
    let mode = metadata.permissions().mode() & 0o777;
    let too_open = |what| Err(KeyFileError::TooOpen { path: path.to_owned(), mode, what });
    if mode & 0o002 != 0 || mode & 0o020 != 0 {
        return too_open("writable by other users");
    }
    if mode & 0o004 != 0 {
        return too_open("readable by every user");
    }
    if mode & 0o040 != 0 {
        // A service group that may read the key is a deliberate setup; say so, go on.
        tracing::warn!(path = %path.display(), mode = format!("{mode:03o}"), "the secret key file is readable by its group");
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const TOKEN: &str = "EAAGm0PX4ZCpsBAPageTokenForTests";

    #[test]
    fn a_sealed_token_opens_to_the_token_and_does_not_show_it() {
        let vault = TokenSealer::ephemeral();
        let sealed = vault.seal(TOKEN).unwrap();
        assert!(sealed.0.starts_with("v1:"), "{}", sealed.0);
        assert!(!sealed.0.contains(TOKEN));
        assert_eq!(vault.open(&sealed).unwrap(), TOKEN);
        // A fresh nonce each time: the same token never seals to the same text.
        assert_ne!(vault.seal(TOKEN).unwrap(), sealed);
        assert_eq!(vault.open(&vault.seal("").unwrap()).unwrap(), "");
        assert_eq!(format!("{vault:?}"), "TokenSealer(********)");
    }

    #[test]
    fn any_change_to_a_sealed_token_is_detected() {
        let vault = TokenSealer::ephemeral();
        let sealed = vault.seal(TOKEN).unwrap();
        let bytes = BASE64.decode(sealed.0.strip_prefix("v1:").unwrap()).unwrap();
        for at in [0, NONCE_LEN, bytes.len() - 1] {
            let mut tampered = bytes.clone();
            tampered[at] ^= 0x01;
            let tampered = SealedToken(format!("v1:{}", BASE64.encode(tampered)));
            assert_eq!(vault.open(&tampered), Err(SealError::WrongKeyOrTampered), "byte {at}");
        }
        let cases = [
            (SealedToken(TOKEN.to_owned()), SealError::UnknownFormat),
            (SealedToken(sealed.0.replacen("v1:", "v2:", 1)), SealError::UnknownFormat),
            (SealedToken("v1:not base64!".to_owned()), SealError::Malformed),
            (SealedToken(format!("v1:{}", BASE64.encode([0u8; 27]))), SealError::Malformed),
        ];
        for (sealed, expected) in cases {
            assert_eq!(vault.open(&sealed), Err(expected), "{}", sealed.0);
        }
    }

    #[test]
    fn another_key_cannot_open_it() {
        let sealed = TokenSealer::from_key([7; KEY_LEN]).seal(TOKEN).unwrap();
        let error = TokenSealer::from_key([8; KEY_LEN]).open(&sealed).unwrap_err();
        assert_eq!(error, SealError::WrongKeyOrTampered);
        assert_eq!(error.to_string(), "the sealed token does not open with this installation's secret key");
    }

    #[test]
    fn a_missing_key_file_is_created_private_and_reloads_as_the_same_key() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/closer/secret.key");
        let first = TokenSealer::load_or_create(&path).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(BASE64.decode(text.trim()).unwrap().len(), KEY_LEN);
        // Nothing left behind but the key.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);

        let sealed = first.seal(TOKEN).unwrap();
        let again = TokenSealer::load_or_create(&path).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), TOKEN);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "the key is never rewritten");
    }

    #[test]
    fn a_key_file_that_holds_no_key_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let short_key = BASE64.encode([1u8; 16]);
        let cases: [(&[u8], &str); 4] = [
            (b"", "it is empty"),
            (b"\n  \n", "it is empty"),
            (b"this is not base64!", "it is not base64"),
            (short_key.as_bytes(), "it holds 16 bytes, not 32"),
        ];
        for (contents, reason) in cases {
            let path = dir.path().join("secret.key");
            std::fs::write(&path, contents).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
            let message = TokenSealer::load_or_create(&path).unwrap_err().to_string();
            assert!(
                message.starts_with(&format!(
                    "the secret key file {} does not hold a key: {reason}",
                    path.display()
                )),
                "{message}"
            );
            assert!(message.contains("32 random bytes in base64"), "{message}");
            // Never silently replaced: tokens sealed with it would be lost.
            assert_eq!(std::fs::read(&path).unwrap(), contents);
        }
        let padded = dir.path().join("padded.key");
        std::fs::write(&padded, format!("  {}\n", BASE64.encode([9u8; KEY_LEN]))).unwrap();
        std::fs::set_permissions(&padded, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let sealed = TokenSealer::from_key([9; KEY_LEN]).seal(TOKEN).unwrap();
        assert_eq!(TokenSealer::load_or_create(&padded).unwrap().open(&sealed).unwrap(), TOKEN);
    }

    #[test]
    fn a_key_file_others_can_read_or_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        TokenSealer::load_or_create(&path).unwrap();
        for (mode, what) in [(0o644, "readable by every user"), (0o620, "writable by other users")] {
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
            let message = TokenSealer::load_or_create(&path).unwrap_err().to_string();
            assert!(message.contains(what) && message.contains("chmod 600"), "{message}");
        }
        // Readable by its group only: allowed (with a warning).
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
        TokenSealer::load_or_create(&path).unwrap();
    }

    #[test]
    fn a_key_file_error_stops_the_daemon_as_a_configuration_mistake() {
        let error =
            KeyFileError::Malformed { path: "/etc/closer/secret.key".into(), reason: "it is empty".into() };
        let error = DaemonError::from(error);
        assert_eq!(error.exit_code(), 2);
        assert!(
            error
                .to_string()
                .starts_with("security.secret_key_file: the secret key file /etc/closer/secret.key"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn with_the_provider_installed_the_graph_client_can_use_tls() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        // Building reqwest's TLS client would panic without a provider; port 1 then
        // refuses the connection, and the error names the base but never the token.
        let graph = closer_core::platform::facebook::GraphClient::new("https://127.0.0.1:1", "v21.0");
        let error = graph.page_identity(TOKEN).await.unwrap_err().to_string();
        assert!(error.starts_with("cannot reach the Graph API at https://127.0.0.1:1: "), "{error}");
        assert!(!error.contains(TOKEN), "{error}");
    }
}
