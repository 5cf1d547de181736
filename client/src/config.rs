//! The client's own files, under the XDG config directory (`~/.config/closer` on
//! Linux; `CLOSER_CONFIG_DIR` overrides it): `config.toml` (which server) and
//! `credentials.json` (the tokens, mode 0600).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where closerd listens when nothing else says.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// The directory of the client's files.
#[derive(Debug, Clone)]
pub struct Paths {
    dir: PathBuf,
}

impl Paths {
    pub fn locate() -> Result<Self> {
        if let Some(dir) = std::env::var_os("CLOSER_CONFIG_DIR").filter(|dir| !dir.is_empty()) {
            return Ok(Self { dir: PathBuf::from(dir) });
        }
        let dirs = directories::ProjectDirs::from("", "", "closer").ok_or_else(|| {
            Error::Local("no home directory to keep the configuration in: set CLOSER_CONFIG_DIR".into())
        })?;
        Ok(Self { dir: dirs.config_dir().to_owned() })
    }

    fn config_file(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.dir.join("credentials.json")
    }

    pub fn load_config(&self) -> Result<ClientConfig> {
        let path = self.config_file();
        match read_if_exists(&path)? {
            None => Ok(ClientConfig::default()),
            Some(text) => toml::from_str(&text)
                .map_err(|error| Error::Local(format!("{}: {}", path.display(), error.message()))),
        }
    }

    pub fn save_config(&self, config: &ClientConfig) -> Result<()> {
        let text = toml::to_string(config).map_err(|error| Error::Local(error.to_string()))?;
        self.write_private(&self.config_file(), text.as_bytes())
    }

    pub fn load_credentials(&self) -> Result<Option<Credentials>> {
        let path = self.credentials_file();
        read_if_exists(&path)?
            .map(|text| {
                serde_json::from_str(&text).map_err(|error| {
                    Error::Local(format!(
                        "{} is damaged ({error}): delete it and run `closer login`",
                        path.display()
                    ))
                })
            })
            .transpose()
    }

    pub fn save_credentials(&self, credentials: &Credentials) -> Result<()> {
        let text = serde_json::to_vec_pretty(credentials).map_err(|error| Error::Local(error.to_string()))?;
        self.write_private(&self.credentials_file(), &text)
    }

    /// Forgets the credentials; true if there were any.
    pub fn remove_credentials(&self) -> Result<bool> {
        let path = self.credentials_file();
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(local(&path, &error)),
        }
    }

    /// Opens `name` in the client's directory for appending (the console's log).
    pub fn open_log(&self, name: &str) -> Result<fs::File> {
        create_private_dir(&self.dir)?;
        let path = self.dir.join(name);
        fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|error| local(&path, &error))
    }

    /// Writes `path` whole (a temporary file renamed over it, so a crash never leaves
    /// half a file), readable by its owner only: it may hold tokens.
    fn write_private(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        create_private_dir(&self.dir)?;
        let temporary = path.with_extension("tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(|error| local(&temporary, &error))?;
        // The mode above applies to new files only; an old temporary keeps its own.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|error| local(&temporary, &error))?;
        }
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|error| local(&temporary, &error))?;
        fs::rename(&temporary, path).map_err(|error| local(path, &error))
    }
}

/// `config.toml`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The server of the last login: later commands talk to it without `--server`.
    pub server: Option<String>,
}

/// `credentials.json`: one session on one server.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// The tokens are sent to this server only, never to another `--server`.
    pub server: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

// Never derive Debug: it would print the tokens.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("server", &self.server)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(local(path, &error)),
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|error| local(dir, &error))
}

fn local(path: &Path, error: &std::io::Error) -> Error {
    Error::Local(format!("{}: {error}", path.display()))
}
